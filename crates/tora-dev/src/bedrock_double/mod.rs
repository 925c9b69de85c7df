//! `tora-dev bedrock-double`: a local stand-in for Bedrock Runtime that the worker
//! cannot tell from the real service.
//!
//! Model routes (what the worker calls), authenticated like Bedrock:
//! - `POST /model/{modelId}/converse` — Nova models (`amazon.nova-lite-v1:0`, its
//!   `us.`/`eu.`/`apac.` profiles, Micro, Pro, Nova 2 Lite). A forced tool
//!   (`toolChoice.tool`, or `any`) is answered with a short `text` block and a `toolUse`
//!   whose `input` follows the tool's `inputSchema`: for the parse contract the workout
//!   parser's reading of the last user message plus `confidence` (a looser reading
//!   where the parser is unsure: those are the messages the product sends to a model),
//!   for any other tool
//!   plausible values of its required fields. Otherwise a short text (`end_turn`),
//!   which names the first session a system prompt lists (`- <YYYY-MM-DD>: ...`), as
//!   the coach's grounded answers are asked to.
//! - `POST /model/amazon.titan-embed-text-v2%3A0/invoke` — Titan Text Embeddings V2:
//!   deterministic hashed-trigram vectors (similar texts are near), L2-normalised unless
//!   `normalize: false`.
//!
//! `{modelId}` is one percent-encoded path segment. Every request is authenticated
//! first: SigV4 (signing name `bedrock`, the double's region, `x-amz-date` within
//! 5 minutes, `x-amz-security-token` when the double has a session token), verified
//! by signing the received bytes again, or `Authorization: Bearer <--api-key>`. Errors
//! are Bedrock's: status, `x-amzn-ErrorType: <Name>:http://internal.amazon.com/coral/com.amazon.bedrock/`,
//! `x-amzn-RequestId`, body `{"message": "..."}`.
//!
//! Control routes for tests (no auth; the double listens on loopback only):
//! - `POST /__faults` `{"next": [fault...], "scope": "marker"?, "operation": "converse"|"invoke"?}`
//!   queues faults; each is used once, by the next model request that passed auth and
//!   matches: its operation, and the scope text found in its prompt (user and system
//!   text, or `inputText`). A fault is `{"kind": k}` with k one of `throttle` (429
//!   `ThrottlingException`), `server_error` (500 `InternalServerException`),
//!   `unavailable` (503 `ServiceUnavailableException`), `model_timeout` (408
//!   `ModelTimeoutException`), `slow` (`delay_ms`, default 2000, then the normal
//!   answer), `text_instead_of_tool`, `schema_breaking_tool_call`; a fault may carry
//!   its own `scope`/`operation`. Answers `{"queued": n}`.
//! - `POST /__faults` `{"random": {"share": 0.1, "kinds": [k...], "seed": n, "delay_ms": ms}}`
//!   gives that share of all later model requests a fault of a kind picked from the
//!   list (queued faults go first), for load runs.
//! - `GET /__faults` lists the queue; `DELETE /__faults` empties it and stops random
//!   faults.
//! - `GET /__calls` lists every model request received, oldest first: `{operation,
//!   model_id, status, auth ("sigv4"|"api_key"|"rejected"), signature_verified,
//!   error_type, fault, input_tokens, output_tokens}`; `DELETE /__calls` forgets them.

mod model;
pub mod sigv4;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use percent_encoding::percent_decode_str;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::random_faults::{RandomFaults, RandomFaultsSpec};
use tokio::net::TcpListener;
use tora_core::ports::Clock as _;

use crate::tokens::SystemClock;
pub use model::{embedding, extraction, model_kind, tokens};
pub use sigv4::{Accepted, Verified};

/// Bedrock's request size limit (Nova: the whole request, base64 included).
const MAX_REQUEST_BYTES: usize = 25_000_000;

const ERROR_NAMESPACE: &str = "http://internal.amazon.com/coral/com.amazon.bedrock/";

/// An error in Bedrock's wire shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub status: StatusCode,
    pub name: &'static str,
    pub message: String,
}

impl AwsError {
    fn new(status: StatusCode, name: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            name,
            message: message.into(),
        }
    }
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ValidationException", message)
    }
    pub fn missing_authentication() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        )
    }
    pub fn incomplete_signature(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "IncompleteSignatureException",
            message,
        )
    }
    pub fn invalid_signature(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "InvalidSignatureException", message)
    }
    pub fn unrecognized_client() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        )
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerException",
            message,
        )
    }

    fn response(&self, request_id: &str) -> Response<Full<Bytes>> {
        let mut response =
            json_response(self.status, &json!({"message": self.message}), request_id);
        if let Ok(value) = HeaderValue::from_str(&format!("{}:{ERROR_NAMESPACE}", self.name)) {
            response.headers_mut().insert("x-amzn-errortype", value);
        }
        response
    }
}

/// A fault queued by a test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    pub kind: FaultKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Text the request's prompt must contain for this fault to apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// `converse` or `invoke`; any when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<Operation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    Throttle,
    ServerError,
    Unavailable,
    ModelTimeout,
    Slow,
    TextInsteadOfTool,
    SchemaBreakingToolCall,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Converse,
    Invoke,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueFaults {
    #[serde(default)]
    next: Vec<Fault>,
    #[serde(default)]
    random: Option<RandomFaultsSpec<FaultKind>>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    operation: Option<Operation>,
}

/// One model request as the double saw it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Call {
    pub operation: Option<Operation>,
    pub model_id: String,
    pub status: u16,
    /// `sigv4`, `api_key` or `rejected`.
    pub auth: String,
    pub signature_verified: bool,
    pub error_type: Option<String>,
    pub fault: Option<FaultKind>,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

struct State {
    accepted: Accepted,
    faults: Mutex<Vec<Fault>>,
    random: Mutex<Option<RandomFaults<FaultKind>>>,
    calls: Mutex<Vec<Call>>,
}

impl State {
    fn faults(&self) -> MutexGuard<'_, Vec<Fault>> {
        // A poisoned lock only means a panicking handler; the queue is still sound.
        self.faults
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
    fn random(&self) -> MutexGuard<'_, Option<RandomFaults<FaultKind>>> {
        self.random
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
    fn calls(&self) -> MutexGuard<'_, Vec<Call>> {
        self.calls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Serves the double on exactly `listen` until the process is stopped.
pub async fn serve(listen: SocketAddr, accepted: Accepted) -> anyhow::Result<()> {
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("could not listen on {listen}"))?;
    serve_on(listener, accepted).await
}

/// [`serve`] on a listener the caller bound (port 0 in tests).
pub async fn serve_on(listener: TcpListener, accepted: Accepted) -> anyhow::Result<()> {
    let address = listener.local_addr()?;
    eprintln!(
        "bedrock-double: serving http://{address} (region {}, key id {})",
        accepted.region, accepted.access_key_id
    );
    let state = Arc::new(State {
        accepted,
        faults: Mutex::new(Vec::new()),
        random: Mutex::new(None),
        calls: Mutex::new(Vec::new()),
    });
    loop {
        let (stream, _peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                eprintln!("bedrock-double: accept failed: {error}");
                continue;
            }
        };
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(handle(&state, request).await) }
            });
            if let Err(error) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("bedrock-double: connection error: {error}");
            }
        });
    }
}

async fn handle(state: &State, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return AwsError::validation("Input is too long for requested model.")
                .response(&request_id);
        }
    };
    let path = parts.uri.path().to_owned();
    let response = match path.as_str() {
        "/__faults" => control_faults(state, &parts.method, &body),
        "/__calls" => control_calls(state, &parts.method),
        _ => {
            model_request(
                state,
                &parts.method,
                &parts.uri,
                &parts.headers,
                &body,
                &request_id,
            )
            .await
        }
    };
    eprintln!(
        "bedrock-double: {} {path} {}",
        parts.method,
        response.status().as_u16()
    );
    response
}

fn control_faults(state: &State, method: &Method, body: &[u8]) -> Response<Full<Bytes>> {
    let control_id = "control";
    match *method {
        Method::GET => json_response(StatusCode::OK, &json!(*state.faults()), control_id),
        Method::DELETE => {
            state.faults().clear();
            *state.random() = None;
            json_response(StatusCode::OK, &json!({"queued": 0}), control_id)
        }
        Method::POST => match serde_json::from_slice::<QueueFaults>(body)
            .map_err(|error| error.to_string())
            .and_then(|queue| {
                let random = queue.random.clone().map(RandomFaults::new).transpose()?;
                Ok((queue, random))
            }) {
            Ok((queue, random)) => {
                if let Some(random) = random {
                    *state.random() = Some(random);
                }
                let mut faults = state.faults();
                for mut fault in queue.next {
                    fault.scope = fault.scope.or_else(|| queue.scope.clone());
                    fault.operation = fault.operation.or(queue.operation);
                    faults.push(fault);
                }
                json_response(StatusCode::OK, &json!({"queued": faults.len()}), control_id)
            }
            Err(error) => json_response(
                StatusCode::BAD_REQUEST,
                &json!({"message": format!("expected {{\"next\": [{{\"kind\": ...}}], \"scope\"?, \"operation\"?, \"random\"?}}: {error}")}),
                control_id,
            ),
        },
        _ => json_response(
            StatusCode::METHOD_NOT_ALLOWED,
            &json!({"message": "GET, POST or DELETE"}),
            control_id,
        ),
    }
}

fn control_calls(state: &State, method: &Method) -> Response<Full<Bytes>> {
    match *method {
        Method::GET => json_response(StatusCode::OK, &json!(*state.calls()), "control"),
        Method::DELETE => {
            state.calls().clear();
            json_response(StatusCode::OK, &json!([]), "control")
        }
        _ => json_response(
            StatusCode::METHOD_NOT_ALLOWED,
            &json!({"message": "GET or DELETE"}),
            "control",
        ),
    }
}

/// `/model/{modelId}/{operation}` → (decoded model id, operation).
fn route(path: &str) -> Option<(String, Option<Operation>)> {
    let rest = path.strip_prefix("/model/")?;
    let (segment, operation) = rest.split_once('/')?;
    let operation = match operation {
        "converse" => Some(Operation::Converse),
        "invoke" => Some(Operation::Invoke),
        _ => None,
    };
    let model_id = percent_decode_str(segment).decode_utf8().ok()?.into_owned();
    Some((model_id, operation))
}

async fn model_request(
    state: &State,
    method: &Method,
    uri: &http::Uri,
    headers: &HeaderMap,
    body: &[u8],
    request_id: &str,
) -> Response<Full<Bytes>> {
    let path_and_query = uri.path_and_query().map_or("/", |path| path.as_str());
    let (model_id, operation) = route(uri.path()).unwrap_or_default();
    let mut call = Call {
        operation,
        model_id: model_id.clone(),
        status: 0,
        auth: "rejected".to_owned(),
        signature_verified: false,
        error_type: None,
        fault: None,
        input_tokens: 0,
        output_tokens: 0,
    };
    let received = sigv4::Received {
        method: method.as_str(),
        path_and_query,
        headers,
        body,
    };
    let outcome = match sigv4::verify(&state.accepted, &received, SystemClock.now_secs()) {
        Err(error) => Err(error),
        Ok(verified) => {
            call.auth = match verified {
                Verified::SigV4 => "sigv4",
                Verified::ApiKey => "api_key",
            }
            .to_owned();
            call.signature_verified = verified == Verified::SigV4;
            answer(
                state, method, operation, &model_id, body, request_id, &mut call,
            )
            .await
        }
    };
    let response = match outcome {
        Ok(response) => response,
        Err(error) => {
            call.error_type = Some(error.name.to_owned());
            error.response(request_id)
        }
    };
    call.status = response.status().as_u16();
    state.calls().push(call);
    response
}

async fn answer(
    state: &State,
    method: &Method,
    operation: Option<Operation>,
    model_id: &str,
    body: &[u8],
    request_id: &str,
    call: &mut Call,
) -> Result<Response<Full<Bytes>>, AwsError> {
    let Some(operation) = operation.filter(|_| *method == Method::POST) else {
        // Bedrock's front door answers unknown routes like this.
        return Err(AwsError::new(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            "",
        ));
    };
    let kind = model_kind(model_id);
    let Some(kind) = kind else {
        return Err(AwsError::validation(
            "The provided model identifier is invalid.",
        ));
    };
    let request: Value = serde_json::from_slice(body).map_err(|_| match operation {
        Operation::Converse => AwsError::new(
            StatusCode::BAD_REQUEST,
            "SerializationException",
            "Unexpected character while parsing the request body.",
        ),
        Operation::Invoke => AwsError::validation(
            "Malformed input request: #: expected type: JSONObject, please reformat your input and try again.",
        ),
    })?;
    let prompt = match operation {
        Operation::Converse => model::input_text(&request),
        Operation::Invoke => request
            .get("inputText")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    };
    let fault = take_fault(state, operation, &prompt);
    call.fault = fault.as_ref().map(|fault| fault.kind);
    let mut deviation = model::Deviation::None;
    let mut delay_ms = 0;
    if let Some(fault) = fault {
        match fault.kind {
            FaultKind::Throttle => {
                return Err(AwsError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "ThrottlingException",
                    "Too many requests, please wait before trying again.",
                ));
            }
            FaultKind::ServerError => {
                return Err(AwsError::internal(
                    "The system encountered an unexpected error during processing. Try your request again.",
                ));
            }
            FaultKind::Unavailable => {
                return Err(AwsError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailableException",
                    "Bedrock is unable to process your request.",
                ));
            }
            FaultKind::ModelTimeout => {
                return Err(AwsError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "ModelTimeoutException",
                    "Model has timed out in processing the request. Try your request again.",
                ));
            }
            FaultKind::Slow => delay_ms = fault.delay_ms.unwrap_or(2_000),
            FaultKind::TextInsteadOfTool => deviation = model::Deviation::TextInsteadOfTool,
            FaultKind::SchemaBreakingToolCall => {
                deviation = model::Deviation::SchemaBreakingToolCall;
            }
        }
    }
    if delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    }
    match (operation, kind) {
        (Operation::Converse, model::ModelKind::Chat) => {
            // Reported latency: the injected delay plus a plausible generation time.
            let latency = delay_ms + 180 + 6 * tokens(&prompt).min(2_000) / 10;
            let answer = model::converse(&request, deviation, latency, request_id)?;
            call.input_tokens = answer.input_tokens;
            call.output_tokens = answer.output_tokens;
            Ok(json_response(StatusCode::OK, &answer.body, request_id))
        }
        (Operation::Invoke, model::ModelKind::Embedding) => {
            let answer = model::embed(&request)?;
            call.input_tokens = answer.input_tokens;
            let mut response = json_response(StatusCode::OK, &answer.body, request_id);
            let latency = delay_ms + 40 + answer.input_tokens / 20;
            let headers = response.headers_mut();
            for (name, value) in [
                ("x-amzn-bedrock-input-token-count", answer.input_tokens),
                ("x-amzn-bedrock-output-token-count", 0),
                ("x-amzn-bedrock-invocation-latency", latency),
            ] {
                headers.insert(name, HeaderValue::from(value));
            }
            Ok(response)
        }
        (Operation::Converse, model::ModelKind::Embedding) => Err(AwsError::validation(
            "This action doesn't support the model that you provided. Try again with a supported text or chat model.",
        )),
        (Operation::Invoke, model::ModelKind::Chat) => Err(AwsError::validation(
            "Malformed input request: #: required key [messages] not found, please reformat your input and try again.",
        )),
    }
}

/// Takes the first queued fault that applies to this request.
fn take_fault(state: &State, operation: Operation, prompt: &str) -> Option<Fault> {
    let mut faults = state.faults();
    let index = faults.iter().position(|fault| {
        fault.operation.is_none_or(|wanted| wanted == operation)
            && fault
                .scope
                .as_deref()
                .is_none_or(|scope| prompt.contains(scope))
    });
    match index {
        Some(index) => Some(faults.remove(index)),
        None => {
            let mut random = state.random();
            let random = random.as_mut()?;
            let kind = random.draw()?;
            Some(Fault {
                kind,
                delay_ms: random.delay_ms(),
                scope: None,
                operation: None,
            })
        }
    }
}

fn json_response(status: StatusCode, body: &Value, request_id: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", value);
    }
    response
}
