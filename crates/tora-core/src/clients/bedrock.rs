//! Bedrock Runtime: request building, signing, retries and response decoding for
//! Converse (Nova Lite by default) and InvokeModel (Titan Text Embeddings V2), sent
//! through the `Transport` port like everything else the core sends.
//!
//! The traps this module exists to get right:
//! - the model id is ONE path segment: `us.amazon.nova-lite-v1:0` travels as
//!   `us.amazon.nova-lite-v1%3A0` (ARNs have `/` encoded too) and SigV4 signs it again
//!   encoded (`%253A`), with signing name `bedrock`;
//! - structured output is a forced tool call whose `toolUse` block may come after text,
//!   and whose input is validated like any other workout (`domain::extraction`);
//! - errors are read from `x-amzn-ErrorType` (text before the first `:`), falling back
//!   to the body's `__type`/`code`; 408, 424, 429 and 5xx are retried with jittered
//!   backoff inside a time budget a Worker request can afford; 400, 403, 404 never are.

use http::{HeaderMap, Method, Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::clients::sigv4::{self, AwsCredentials, SigningOptions, SigningScope};
use crate::domain::catalog::Catalog;
use crate::domain::extraction::{self, EXTRACTION_PROMPT, Extraction, TOOL_NAME};
use crate::domain::meals::{self, MealEstimate};
use crate::ports::{
    Clock, Completion, Ids, Llm, LlmError, LlmErrorKind, MealSource, Sleep, TokenBudget, Transport,
    TransportError, Usage,
};
use crate::secret::Secret;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// Titan Text Embeddings V2; embeddings stored with one model stay comparable.
pub const EMBEDDING_MODEL_ID: &str = "amazon.titan-embed-text-v2:0";
pub const DEFAULT_MODEL_ID: &str = "us.amazon.nova-lite-v1:0";
pub const DEFAULT_REGION: &str = "us-east-1";
/// Total time retries may spend, waits and attempts together: a Worker request has to
/// answer long before the person gives up.
pub const DEFAULT_RETRY_BUDGET_MS: u32 = 8_000;
/// Room for a long session (the contract allows 200 sets) without letting a runaway
/// answer cost much.
const EXTRACTION_MAX_TOKENS: u32 = 2_048;
/// A meal's items and macros are a short tool call.
const MEAL_MAX_TOKENS: u32 = 1_024;
/// Nova rescales an image to about 896 px on its long side; a photo costs at most about
/// 1,800 input tokens (1,400 × 900). The hold counts 2,000, so it is never short.
const IMAGE_TOKENS: u32 = 2_000;
/// A coaching reply is a few sentences.
const REPLY_MAX_TOKENS: u32 = 400;
const MAX_ATTEMPTS: u32 = 4;
const BACKOFF_BASE_MS: u32 = 250;
const BACKOFF_CAP_MS: u32 = 2_000;

/// How requests prove who sends them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BedrockAuth {
    /// A Bedrock API key, sent as `Authorization: Bearer <key>`.
    ApiKey(Secret),
    /// IAM credentials; requests are signed with SigV4.
    AccessKeys(AwsCredentials),
}

/// The embedding sizes Titan V2 produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmbeddingDimensions {
    D256,
    D512,
    D1024,
}

impl EmbeddingDimensions {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "256" => Some(Self::D256),
            "512" => Some(Self::D512),
            "1024" => Some(Self::D1024),
            _ => None,
        }
    }

    pub fn get(self) -> usize {
        match self {
            Self::D256 => 256,
            Self::D512 => 512,
            Self::D1024 => 1024,
        }
    }
}

/// Where the model lives and how to call it.
#[derive(Clone, Debug)]
pub struct BedrockConfig {
    pub auth: BedrockAuth,
    /// The signing region; also the default endpoint's.
    pub region: String,
    /// `https://bedrock-runtime.<region>.amazonaws.com`, or a local double. No trailing `/`.
    pub endpoint: String,
    /// Converse model or inference profile id (or ARN).
    pub model_id: String,
    pub embedding_dimensions: EmbeddingDimensions,
    /// Longest total time one call may take across retries.
    pub retry_budget_ms: u32,
}

impl BedrockConfig {
    pub fn default_endpoint(region: &str) -> String {
        format!("https://bedrock-runtime.{region}.amazonaws.com")
    }
}

/// Encodes `raw` as one URI path segment: everything outside `A-Z a-z 0-9 - _ . ~`
/// becomes `%XY`, so `:` and the `/` of an ARN stay inside the segment.
pub fn encode_path_segment(raw: &str) -> String {
    let mut encoded = String::with_capacity(raw.len() * 3);
    for byte in raw.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// The Converse body for reading a workout: the contract as a forced tool, greedy
/// decoding, bounded output.
pub fn extraction_request_body(message: &str, catalog: &Catalog) -> Value {
    json!({
        "system": [{"text": EXTRACTION_PROMPT}],
        "messages": [{"role": "user", "content": [{"text": message}]}],
        "inferenceConfig": {"maxTokens": EXTRACTION_MAX_TOKENS, "temperature": 0},
        "toolConfig": {
            "tools": [{"toolSpec": {
                "name": TOOL_NAME,
                "description": "Record what the message says was trained, or that it is not a workout.",
                "inputSchema": {"json": extraction::tool_input_schema(catalog)}
            }}],
            "toolChoice": {"tool": {"name": TOOL_NAME}}
        }
    })
}

/// The Converse body for reading a meal: the estimate's contract as a forced tool, the
/// photo as a base64 image block or the description as text.
pub fn meal_request_body(meal: &MealSource<'_>) -> Value {
    let content = match meal {
        MealSource::Description(text) => json!([{"text": text}]),
        MealSource::Photo { format, bytes } => json!([
            {"text": "Estimate this meal."},
            {"image": {"format": format.as_str(), "source": {"bytes": BASE64.encode(bytes)}}}
        ]),
    };
    json!({
        "system": [{"text": meals::MEAL_PROMPT}],
        "messages": [{"role": "user", "content": content}],
        "inferenceConfig": {"maxTokens": MEAL_MAX_TOKENS, "temperature": 0},
        "toolConfig": {
            "tools": [{"toolSpec": {
                "name": meals::MEAL_TOOL_NAME,
                "description": "Record the meal's foods, calories and macros.",
                "inputSchema": {"json": meals::tool_input_schema()}
            }}],
            "toolChoice": {"tool": {"name": meals::MEAL_TOOL_NAME}}
        }
    })
}

/// The Converse body for a plain text reply.
pub fn reply_request_body(system: &str, message: &str) -> Value {
    json!({
        "system": [{"text": system}],
        "messages": [{"role": "user", "content": [{"text": message}]}],
        "inferenceConfig": {"maxTokens": REPLY_MAX_TOKENS, "temperature": 0.3}
    })
}

/// The InvokeModel body for Titan Text Embeddings V2.
pub fn embedding_request_body(text: &str, dimensions: EmbeddingDimensions) -> Value {
    json!({"inputText": text, "dimensions": dimensions.get(), "normalize": true})
}

/// `Llm` on Bedrock Runtime.
pub struct BedrockLlm<'a, T, C, S, R> {
    config: &'a BedrockConfig,
    transport: &'a T,
    clock: &'a C,
    sleep: &'a S,
    random: &'a R,
}

impl<'a, T: Transport, C: Clock, S: Sleep, R: Ids> BedrockLlm<'a, T, C, S, R> {
    /// `random` draws the jitter of the retry waits.
    pub fn new(
        config: &'a BedrockConfig,
        transport: &'a T,
        clock: &'a C,
        sleep: &'a S,
        random: &'a R,
    ) -> Self {
        Self {
            config,
            transport,
            clock,
            sleep,
            random,
        }
    }

    fn url(&self, model_id: &str, action: &str) -> String {
        format!(
            "{}/model/{}/{action}",
            self.config.endpoint,
            encode_path_segment(model_id)
        )
    }

    /// One request, built and signed afresh for each attempt (the signature carries
    /// the time).
    fn build(&self, url: &str, body: &[u8]) -> Result<Request<Vec<u8>>, LlmError> {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(url)
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .body(body.to_vec())
            .map_err(|error| {
                LlmError::new(LlmErrorKind::Rejected, format!("bad request: {error}"))
            })?;
        match &self.config.auth {
            BedrockAuth::ApiKey(key) => {
                let value = format!("Bearer {}", key.expose()).parse().map_err(|_| {
                    LlmError::new(LlmErrorKind::Denied, "the API key is not a valid header")
                })?;
                request.headers_mut().insert("authorization", value);
            }
            BedrockAuth::AccessKeys(credentials) => {
                let scope = SigningScope {
                    credentials,
                    region: &self.config.region,
                    service: "bedrock",
                };
                sigv4::sign_request(
                    &mut request,
                    &scope,
                    SigningOptions::default(),
                    sigv4::signing_time(self.clock),
                )
                .map_err(|error| LlmError::new(LlmErrorKind::Rejected, error.to_string()))?;
            }
        }
        Ok(request)
    }

    /// Sends with retries: 408, 424, 429 and 5xx (and no answer at all) are tried again
    /// after a jittered, growing wait, as long as the wait still fits in the budget.
    async fn call(&self, url: &str, body: &Value) -> Result<Value, LlmError> {
        let body = serde_json::to_vec(body)
            .map_err(|error| LlmError::new(LlmErrorKind::Rejected, error.to_string()))?;
        let started = self.clock.now_millis();
        let budget = i64::from(self.config.retry_budget_ms);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = self.build(url, &body)?;
            let attempt_started = self.clock.now_millis();
            let error = match self.transport.send(request).await {
                Ok(response) if response.status().is_success() => return decode_json(&response),
                Ok(response) => decode_error(&response),
                Err(error) => transport_error(error),
            };
            if !retryable(&error) || attempt >= MAX_ATTEMPTS {
                return Err(error);
            }
            // Retry only if the wait and another attempt as long as this one still fit:
            // an answer that comes after the budget is as bad as none.
            let now = self.clock.now_millis();
            let wait = self.backoff(attempt);
            let needed = now
                .saturating_sub(started)
                .saturating_add(i64::from(wait))
                .saturating_add(now.saturating_sub(attempt_started));
            if needed > budget {
                return Err(error);
            }
            self.sleep.sleep(wait).await;
        }
    }

    /// "Equal jitter": half of an exponentially growing, capped ceiling plus a random
    /// part of the other half, so isolates throttled together do not retry together
    /// and no wait is so short that it is wasted.
    fn backoff(&self, attempt: u32) -> u32 {
        let ceiling = BACKOFF_BASE_MS
            .saturating_mul(1 << attempt.saturating_sub(1).min(10))
            .min(BACKOFF_CAP_MS);
        // The low 32 bits of a v4 uuid are all random.
        let draw = self.random.new_uuid().as_u128() & 0xFFFF_FFFF;
        let half = ceiling / 2;
        let jitter = u128::from(half) * draw / 0xFFFF_FFFF;
        half + u32::try_from(jitter).unwrap_or(half)
    }
}

/// A prompt's size in tokens, from above: the request body's bytes over three. Nova's
/// and Titan's tokenizers average about four bytes of English or JSON per token, and
/// the body holds every prompt token plus JSON punctuation the model never sees.
pub fn prompt_tokens(body: &Value) -> u32 {
    let bytes = serde_json::to_vec(body).map_or(0, |body| body.len());
    u32::try_from(bytes.div_ceil(3)).unwrap_or(u32::MAX)
}

impl<T: Transport, C: Clock, S: Sleep, R: Ids> Llm for BedrockLlm<'_, T, C, S, R> {
    fn chat_model(&self) -> &str {
        &self.config.model_id
    }

    fn embedding_model(&self) -> &str {
        EMBEDDING_MODEL_ID
    }

    fn extraction_budget(&self, message: &str) -> TokenBudget {
        let prompt_tokens = Catalog::embedded().map_or(u32::MAX, |catalog| {
            prompt_tokens(&extraction_request_body(message, catalog))
        });
        TokenBudget {
            prompt_tokens,
            max_tokens: EXTRACTION_MAX_TOKENS,
        }
    }

    fn reply_budget(&self, system: &str, message: &str) -> TokenBudget {
        TokenBudget {
            prompt_tokens: prompt_tokens(&reply_request_body(system, message)),
            max_tokens: REPLY_MAX_TOKENS,
        }
    }

    fn meal_budget(&self, meal: &MealSource<'_>) -> TokenBudget {
        let prompt_tokens = match meal {
            MealSource::Description(_) => prompt_tokens(&meal_request_body(meal)),
            // The image's bytes are not its tokens: count the text around it and the
            // most a rescaled image costs.
            MealSource::Photo { format, .. } => {
                prompt_tokens(&meal_request_body(&MealSource::Photo {
                    format: *format,
                    bytes: &[],
                }))
                .saturating_add(IMAGE_TOKENS)
            }
        };
        TokenBudget {
            prompt_tokens,
            max_tokens: MEAL_MAX_TOKENS,
        }
    }

    async fn estimate_meal(
        &self,
        meal: &MealSource<'_>,
    ) -> Result<Completion<MealEstimate>, LlmError> {
        let body = meal_request_body(meal);
        let response = self
            .call(&self.url(&self.config.model_id, "converse"), &body)
            .await?;
        let converse = decode_converse(&response)?;
        let input = converse.tool_input(meals::MEAL_TOOL_NAME)?;
        let value = meals::from_tool_input(input).map_err(|error| {
            LlmError::new(
                LlmErrorKind::Malformed,
                format!("meal tool input refused: {error}"),
            )
        })?;
        Ok(Completion {
            value,
            usage: converse.usage,
        })
    }

    fn embedding_budget(&self, text: &str) -> TokenBudget {
        TokenBudget {
            prompt_tokens: prompt_tokens(&embedding_request_body(
                text,
                self.config.embedding_dimensions,
            )),
            max_tokens: 0,
        }
    }

    async fn extract_workout(&self, message: &str) -> Result<Completion<Extraction>, LlmError> {
        let catalog = Catalog::embedded()
            .map_err(|error| LlmError::new(LlmErrorKind::Unavailable, error.to_string()))?;
        let body = extraction_request_body(message, catalog);
        let response = self
            .call(&self.url(&self.config.model_id, "converse"), &body)
            .await?;
        let converse = decode_converse(&response)?;
        let input = converse.tool_input(TOOL_NAME)?;
        let value = extraction::from_tool_input(input, catalog).map_err(|error| {
            LlmError::new(
                LlmErrorKind::Malformed,
                format!("tool input refused: {error}"),
            )
        })?;
        Ok(Completion {
            value,
            usage: converse.usage,
        })
    }

    async fn reply(&self, system: &str, message: &str) -> Result<Completion<String>, LlmError> {
        let body = reply_request_body(system, message);
        let response = self
            .call(&self.url(&self.config.model_id, "converse"), &body)
            .await?;
        let converse = decode_converse(&response)?;
        let value = converse.text()?;
        Ok(Completion {
            value,
            usage: converse.usage,
        })
    }

    async fn embed(&self, text: &str) -> Result<Completion<Vec<f32>>, LlmError> {
        let dimensions = self.config.embedding_dimensions;
        let body = embedding_request_body(text, dimensions);
        let response = self
            .call(&self.url(EMBEDDING_MODEL_ID, "invoke"), &body)
            .await?;
        decode_embedding(&response, dimensions)
    }
}

fn retryable(error: &LlmError) -> bool {
    matches!(
        error.kind(),
        LlmErrorKind::Throttled | LlmErrorKind::Timeout | LlmErrorKind::Unavailable
    )
}

fn transport_error(error: TransportError) -> LlmError {
    let kind = match error {
        TransportError::Timeout { .. } => LlmErrorKind::Timeout,
        TransportError::Unreachable { .. } => LlmErrorKind::Unavailable,
        TransportError::InvalidRequest(_) => LlmErrorKind::Rejected,
    };
    LlmError::new(kind, error.to_string())
}

fn decode_json(response: &Response<Vec<u8>>) -> Result<Value, LlmError> {
    serde_json::from_slice(response.body()).map_err(|error| {
        LlmError::new(
            LlmErrorKind::Malformed,
            format!("response is not JSON: {error}"),
        )
    })
}

/// An AWS error answer as a kind and a message naming its code and status.
pub fn decode_error(response: &Response<Vec<u8>>) -> LlmError {
    let status = response.status();
    let body: Value = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    let code = error_code(response.headers(), &body);
    let message = body
        .get("message")
        .or_else(|| body.get("Message"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = match status {
        StatusCode::TOO_MANY_REQUESTS => LlmErrorKind::Throttled,
        StatusCode::REQUEST_TIMEOUT => LlmErrorKind::Timeout,
        StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => LlmErrorKind::Denied,
        StatusCode::NOT_FOUND => LlmErrorKind::NotFound,
        StatusCode::FAILED_DEPENDENCY => LlmErrorKind::Unavailable,
        status if status.is_server_error() => LlmErrorKind::Unavailable,
        _ => LlmErrorKind::Rejected,
    };
    let code = code.as_deref().unwrap_or("UnknownError");
    LlmError::new(
        kind,
        format!("{code} (HTTP {}): {message}", status.as_u16()),
    )
}

/// `x-amzn-ErrorType: ThrottlingException:http://internal.amazon.com/...` → the name;
/// else the body's `__type` or `code`, without a `namespace#` prefix.
fn error_code(headers: &HeaderMap, body: &Value) -> Option<String> {
    let from_header = headers
        .get("x-amzn-errortype")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(':').next())
        .map(str::trim)
        .filter(|code| !code.is_empty());
    let from_body = || {
        body.get("__type")
            .or_else(|| body.get("code"))
            .and_then(Value::as_str)
            .map(|code| code.rsplit('#').next().unwrap_or(code))
    };
    from_header.or_else(from_body).map(str::to_owned)
}

/// The parts of a Converse answer Tora reads.
#[derive(Debug)]
pub struct ConverseOutput {
    pub content: Vec<Value>,
    pub stop_reason: String,
    pub usage: Usage,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConverseWire {
    output: OutputWire,
    stop_reason: String,
    usage: UsageWire,
}

#[derive(Deserialize)]
struct OutputWire {
    message: MessageWire,
}

#[derive(Deserialize)]
struct MessageWire {
    content: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageWire {
    input_tokens: u32,
    output_tokens: u32,
}

pub fn decode_converse(response: &Value) -> Result<ConverseOutput, LlmError> {
    let wire = ConverseWire::deserialize(response).map_err(|error| {
        LlmError::new(
            LlmErrorKind::Malformed,
            format!("unexpected Converse answer: {error}"),
        )
    })?;
    Ok(ConverseOutput {
        content: wire.output.message.content,
        stop_reason: wire.stop_reason,
        usage: Usage {
            input_tokens: wire.usage.input_tokens,
            output_tokens: wire.usage.output_tokens,
        },
    })
}

impl ConverseOutput {
    /// The input of the first `toolUse` block calling `name`, wherever it is among the
    /// content blocks (Nova may write text first).
    pub fn tool_input(&self, name: &str) -> Result<&Value, LlmError> {
        if let Some(input) = self
            .content
            .iter()
            .filter_map(|block| block.get("toolUse"))
            .find(|tool_use| tool_use.get("name").and_then(Value::as_str) == Some(name))
            .and_then(|tool_use| tool_use.get("input"))
        {
            return Ok(input);
        }
        Err(LlmError::new(
            LlmErrorKind::Malformed,
            format!("no {name} tool call (stop reason {})", self.stop_reason),
        ))
    }

    /// The text blocks, joined; an answer without text is malformed.
    pub fn text(&self) -> Result<String, LlmError> {
        let text: Vec<&str> = self
            .content
            .iter()
            .filter_map(|block| block.get("text").and_then(Value::as_str))
            .collect();
        if text.is_empty() || self.stop_reason.starts_with("malformed") {
            return Err(LlmError::new(
                LlmErrorKind::Malformed,
                format!("no text in the answer (stop reason {})", self.stop_reason),
            ));
        }
        Ok(text.join(""))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EmbeddingWire {
    embedding: Vec<f32>,
    input_text_token_count: u32,
}

pub fn decode_embedding(
    response: &Value,
    dimensions: EmbeddingDimensions,
) -> Result<Completion<Vec<f32>>, LlmError> {
    let wire = EmbeddingWire::deserialize(response).map_err(|error| {
        LlmError::new(
            LlmErrorKind::Malformed,
            format!("unexpected InvokeModel answer: {error}"),
        )
    })?;
    if wire.embedding.len() != dimensions.get() {
        return Err(LlmError::new(
            LlmErrorKind::Malformed,
            format!(
                "embedding has {} dimensions, asked for {}",
                wire.embedding.len(),
                dimensions.get()
            ),
        ));
    }
    Ok(Completion {
        value: wire.embedding,
        usage: Usage {
            input_tokens: wire.input_text_token_count,
            output_tokens: 0,
        },
    })
}

#[cfg(test)]
mod prompt_size {
    use super::*;

    /// The README states the extraction prompt's size; this keeps it true. Tokens are
    /// counted as the hold counts them (bytes over three, an upper bound) and as Nova
    /// averages for English and JSON (about four bytes a token).
    #[test]
    fn the_extraction_prompt_stays_small() {
        let catalog = Catalog::embedded().unwrap();
        let body = extraction_request_body("", catalog);
        let bytes = serde_json::to_vec(&body).unwrap().len();
        let held = prompt_tokens(&body);
        assert_eq!(held as usize, bytes.div_ceil(3));
        let typical = bytes / 4;
        assert!(
            (500..=900).contains(&typical),
            "about {typical} tokens ({bytes} bytes): update the README"
        );
    }
}
