//! The Bedrock client through a fake `Transport` that answers canned responses and
//! records what was sent: request bodies against golden fixtures, the auth headers of
//! both kinds, response decoding, every error shape and the retry policy. Waits are
//! recorded by a fake `Sleep` that advances the fake clock; nothing really sleeps.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::path::Path;

use http::{Request, Response};
use serde_json::{Value, json};
use tora_core::clients::bedrock::{
    BedrockAuth, BedrockConfig, BedrockLlm, EmbeddingDimensions, encode_path_segment,
};
use tora_core::clients::sigv4::AwsCredentials;
use tora_core::domain::extraction::Extraction;
use tora_core::ports::{
    Clock, Ids, Llm, LlmError, LlmErrorKind, Sleep, Transport, TransportError, Usage,
};
use tora_core::secret::Secret;

/// 2023-11-14T22:13:20Z.
const NOW: i64 = 1_700_000_000_000;

struct FakeClock(Cell<i64>);
impl Clock for FakeClock {
    fn now_millis(&self) -> i64 {
        self.0.get()
    }
}

/// Records each wait and moves the clock on by it.
struct FakeSleep<'a> {
    clock: &'a FakeClock,
    waits: RefCell<Vec<u32>>,
}
impl Sleep for FakeSleep<'_> {
    async fn sleep(&self, millis: u32) {
        self.waits.borrow_mut().push(millis);
        self.clock.0.set(self.clock.0.get() + i64::from(millis));
    }
}

/// Draws the largest jitter, so waits are at their ceiling.
struct MaxJitter;
impl Ids for MaxJitter {
    fn new_uuid(&self) -> uuid::Uuid {
        uuid::Uuid::from_u128(u128::from(u32::MAX))
    }
}

type Canned = Result<Response<Vec<u8>>, TransportError>;

/// Answers in order; each answer takes `latency_ms` of clock time.
struct FakeTransport<'a> {
    clock: &'a FakeClock,
    latency_ms: i64,
    answers: RefCell<VecDeque<Canned>>,
    sent: RefCell<Vec<Request<Vec<u8>>>>,
}
impl Transport for FakeTransport<'_> {
    async fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        self.sent.borrow_mut().push(request);
        self.clock.0.set(self.clock.0.get() + self.latency_ms);
        self.answers
            .borrow_mut()
            .pop_front()
            .expect("no canned answer left")
    }
}

fn ok(body: Value) -> Canned {
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(body.to_string().into_bytes())
        .unwrap())
}

fn aws_error(status: u16, header: Option<&str>, body: Value) -> Canned {
    let mut builder = Response::builder()
        .status(status)
        .header("x-amzn-requestid", "5f1c0a3e-0000-0000-0000-000000000000");
    if let Some(error_type) = header {
        builder = builder.header("x-amzn-ErrorType", error_type);
    }
    Ok(builder.body(body.to_string().into_bytes()).unwrap())
}

fn throttled() -> Canned {
    aws_error(
        429,
        Some("ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"),
        json!({"message": "Too many requests, please wait before trying again."}),
    )
}

fn unavailable() -> Canned {
    aws_error(
        503,
        Some("ServiceUnavailableException:http://internal.amazon.com/coral/com.amazon.bedrock/"),
        json!({"message": "Bedrock is unable to process your request."}),
    )
}

fn config(auth: BedrockAuth) -> BedrockConfig {
    BedrockConfig {
        auth,
        region: "us-east-1".into(),
        endpoint: "https://bedrock-runtime.us-east-1.amazonaws.com".into(),
        model_id: "us.amazon.nova-lite-v1:0".into(),
        embedding_dimensions: EmbeddingDimensions::D256,
        retry_budget_ms: 8_000,
    }
}

fn access_keys(token: Option<&str>) -> BedrockAuth {
    BedrockAuth::AccessKeys(AwsCredentials {
        access_key_id: Secret::new("AKIAIOSFODNN7EXAMPLE"),
        secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        session_token: token.map(Secret::new),
    })
}

/// One scenario: a config, canned answers, and what was sent and waited afterwards.
struct Harness {
    config: BedrockConfig,
    clock: FakeClock,
    latency_ms: i64,
}

struct Run<T> {
    result: Result<T, LlmError>,
    sent: Vec<Request<Vec<u8>>>,
    waits: Vec<u32>,
    elapsed_ms: i64,
}

impl Harness {
    fn new(auth: BedrockAuth) -> Self {
        Self {
            config: config(auth),
            clock: FakeClock(Cell::new(NOW)),
            latency_ms: 0,
        }
    }

    fn run<T>(
        &self,
        answers: Vec<Canned>,
        call: impl AsyncFnOnce(
            &BedrockLlm<FakeTransport, FakeClock, FakeSleep, MaxJitter>,
        ) -> Result<T, LlmError>,
    ) -> Run<T> {
        let transport = FakeTransport {
            clock: &self.clock,
            latency_ms: self.latency_ms,
            answers: RefCell::new(answers.into()),
            sent: RefCell::new(Vec::new()),
        };
        let sleep = FakeSleep {
            clock: &self.clock,
            waits: RefCell::new(Vec::new()),
        };
        let started = self.clock.0.get();
        let llm = BedrockLlm::new(&self.config, &transport, &self.clock, &sleep, &MaxJitter);
        let result = block_on(call(&llm));
        Run {
            result,
            sent: transport.sent.into_inner(),
            waits: sleep.waits.into_inner(),
            elapsed_ms: self.clock.0.get() - started,
        }
    }
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

fn body_of(request: &Request<Vec<u8>>) -> Value {
    serde_json::from_slice(request.body()).unwrap()
}

/// Compares with `fixtures/<name>`; `TORA_BLESS=1` writes the fixture instead (then
/// read the diff before committing it).
fn assert_golden(name: &str, actual: &Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/bedrock/fixtures")
        .join(name);
    if std::env::var_os("TORA_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, serde_json::to_string_pretty(actual).unwrap() + "\n").unwrap();
    }
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(actual, &expected, "{name}");
}

fn header<'r>(request: &'r Request<Vec<u8>>, name: &str) -> Option<&'r str> {
    request
        .headers()
        .get(name)
        .map(|value| value.to_str().unwrap())
}

fn converse_answer(content: Value, stop_reason: &str) -> Canned {
    ok(json!({
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop_reason,
        "usage": {"inputTokens": 812, "outputTokens": 64, "totalTokens": 876},
        "metrics": {"latencyMs": 731}
    }))
}

fn tool_use(input: Value) -> Value {
    json!({"toolUse": {"toolUseId": "tooluse_abc", "name": "record_workout", "input": input}})
}

fn pull_ups() -> Value {
    json!({"kind": "workout", "confidence": 0.92,
           "entries": [{"exercise": "pull_up", "sets": [{"reps": 8}, {"reps": 8}, {"reps": 7}]}]})
}

// --- Requests ---------------------------------------------------------------------

#[test]
fn extraction_forces_the_contract_tool_at_temperature_zero() {
    let harness = Harness::new(access_keys(None));
    let run = harness.run(
        vec![converse_answer(json!([tool_use(pull_ups())]), "tool_use")],
        async |llm| llm.extract_workout("3x8 pull ups, last one 7").await,
    );
    run.result.unwrap();
    let [request] = run.sent.as_slice() else {
        panic!("one request")
    };
    assert_eq!(request.method(), "POST");
    assert_eq!(
        request.uri().to_string(),
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.amazon.nova-lite-v1%3A0/converse"
    );
    assert_golden("converse-extraction-request.json", &body_of(request));
}

#[test]
fn a_reply_is_a_plain_converse_call() {
    let harness = Harness::new(access_keys(None));
    let run = harness.run(
        vec![converse_answer(json!([{"text": "Nice work."}]), "end_turn")],
        async |llm| {
            llm.reply("You are a calisthenics coach.", "how was that?")
                .await
        },
    );
    assert_eq!(run.result.unwrap().value, "Nice work.");
    assert_golden("converse-reply-request.json", &body_of(&run.sent[0]));
}

#[test]
fn an_embedding_is_invoke_model_on_titan_v2() {
    let harness = Harness::new(access_keys(None));
    let embedding: Vec<f64> = (0..256).map(|i| f64::from(i) / 256.0).collect();
    let run = harness.run(
        vec![ok(json!({"embedding": embedding, "inputTextTokenCount": 5,
                       "embeddingsByType": {"float": embedding}}))],
        async |llm| llm.embed("pull-up progression").await,
    );
    let completion = run.result.unwrap();
    assert_eq!(completion.value.len(), 256);
    assert_eq!(completion.value[128], 0.5);
    assert_eq!(
        completion.usage,
        Usage {
            input_tokens: 5,
            output_tokens: 0
        }
    );
    let request = &run.sent[0];
    assert_eq!(
        request.uri().path(),
        "/model/amazon.titan-embed-text-v2%3A0/invoke"
    );
    assert_eq!(header(request, "accept"), Some("application/json"));
    assert_golden("invoke-embedding-request.json", &body_of(request));
}

#[test]
fn access_keys_sign_every_request_with_the_clock_time() {
    let harness = Harness::new(access_keys(None));
    let run = harness.run(
        vec![converse_answer(json!([{"text": "ok"}]), "end_turn")],
        async |llm| llm.reply("s", "m").await,
    );
    run.result.unwrap();
    let request = &run.sent[0];
    assert_eq!(header(request, "x-amz-date"), Some("20231114T221320Z"));
    assert_eq!(header(request, "x-amz-security-token"), None);
    let authorization = header(request, "authorization").unwrap();
    assert!(
        authorization.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20231114/us-east-1/bedrock/aws4_request, \
             SignedHeaders=accept;content-type;host;x-amz-date, Signature="
        ),
        "{authorization}"
    );
}

#[test]
fn session_credentials_send_their_token_signed() {
    let harness = Harness::new(access_keys(Some("IQoJb3JpZ2luX2VjEXAMPLE")));
    let run = harness.run(
        vec![converse_answer(json!([{"text": "ok"}]), "end_turn")],
        async |llm| llm.reply("s", "m").await,
    );
    run.result.unwrap();
    let request = &run.sent[0];
    assert_eq!(
        header(request, "x-amz-security-token"),
        Some("IQoJb3JpZ2luX2VjEXAMPLE")
    );
    assert!(
        header(request, "authorization")
            .unwrap()
            .contains("SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token,")
    );
}

#[test]
fn an_api_key_is_sent_as_a_bearer_token_without_signing() {
    let harness = Harness::new(BedrockAuth::ApiKey(Secret::new("ABSKexample-key")));
    let run = harness.run(
        vec![converse_answer(json!([{"text": "ok"}]), "end_turn")],
        async |llm| llm.reply("s", "m").await,
    );
    run.result.unwrap();
    let request = &run.sent[0];
    assert_eq!(
        header(request, "authorization"),
        Some("Bearer ABSKexample-key")
    );
    assert_eq!(header(request, "x-amz-date"), None);
}

#[test]
fn a_local_endpoint_is_where_requests_go_and_what_is_signed() {
    let mut harness = Harness::new(access_keys(None));
    harness.config.endpoint = "http://127.0.0.1:4545".into();
    let run = harness.run(
        vec![converse_answer(json!([{"text": "ok"}]), "end_turn")],
        async |llm| llm.reply("s", "m").await,
    );
    run.result.unwrap();
    let local = run.sent[0].clone_parts();

    let harness = Harness::new(access_keys(None));
    let run = harness.run(
        vec![converse_answer(json!([{"text": "ok"}]), "end_turn")],
        async |llm| llm.reply("s", "m").await,
    );
    let remote = run.sent[0].clone_parts();
    assert_eq!(
        local.0,
        "http://127.0.0.1:4545/model/us.amazon.nova-lite-v1%3A0/converse"
    );
    assert_ne!(local.1, remote.1, "the signature covers the host sent");
}

trait CloneParts {
    fn clone_parts(&self) -> (String, String);
}
impl CloneParts for Request<Vec<u8>> {
    fn clone_parts(&self) -> (String, String) {
        (
            self.uri().to_string(),
            header(self, "authorization").unwrap().to_owned(),
        )
    }
}

#[test]
fn model_ids_and_arns_are_one_path_segment() {
    assert_eq!(
        encode_path_segment("us.amazon.nova-lite-v1:0"),
        "us.amazon.nova-lite-v1%3A0"
    );
    assert_eq!(
        encode_path_segment(
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0"
        ),
        "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.amazon.nova-lite-v1%3A0"
    );
}

// --- Responses --------------------------------------------------------------------

#[test]
fn the_tool_call_is_found_after_text_and_becomes_a_workout_with_usage() {
    let harness = Harness::new(access_keys(None));
    let run = harness.run(
        vec![converse_answer(
            json!([{"text": "Logging your pull-ups."}, tool_use(pull_ups())]),
            "tool_use",
        )],
        async |llm| llm.extract_workout("3x8 pull ups, last one 7").await,
    );
    let completion = run.result.unwrap();
    assert_eq!(
        completion.usage,
        Usage {
            input_tokens: 812,
            output_tokens: 64
        }
    );
    let Extraction::Workout {
        workout,
        confidence,
    } = completion.value
    else {
        panic!("expected a workout");
    };
    assert_eq!(confidence.value(), 0.92);
    let reps: Vec<_> = workout
        .sets_of("pull_up")
        .iter()
        .map(|set| set.reps)
        .collect();
    assert_eq!(reps, vec![Some(8), Some(8), Some(7)]);
}

#[test]
fn a_message_that_is_not_training_comes_back_as_not_workout() {
    let harness = Harness::new(access_keys(None));
    let run = harness.run(
        vec![converse_answer(
            json!([tool_use(
                json!({"kind": "not_workout", "confidence": 0.97, "entries": []})
            )]),
            "tool_use",
        )],
        async |llm| llm.extract_workout("should I do 5x5?").await,
    );
    assert!(matches!(
        run.result.unwrap().value,
        Extraction::NotWorkout { .. }
    ));
}

fn extraction_error(answer: Canned) -> LlmError {
    let harness = Harness::new(access_keys(None));
    harness
        .run(vec![answer], async |llm| llm.extract_workout("x").await)
        .result
        .unwrap_err()
}

#[test]
fn an_answer_without_the_tool_call_is_malformed() {
    let error = extraction_error(converse_answer(
        json!([{"text": "You did 3 sets of pull-ups!"}]),
        "end_turn",
    ));
    assert_eq!(error.kind(), LlmErrorKind::Malformed);
    assert!(error.to_string().contains("no record_workout tool call"));
}

#[test]
fn malformed_tool_use_is_malformed() {
    let error = extraction_error(converse_answer(json!([]), "malformed_tool_use"));
    assert_eq!(error.kind(), LlmErrorKind::Malformed);
    assert!(error.to_string().contains("malformed_tool_use"), "{error}");
}

#[test]
fn a_tool_input_that_breaks_the_contract_is_never_a_workout() {
    let error = extraction_error(converse_answer(
        json!([tool_use(json!({"kind": "workout", "confidence": 0.9,
            "entries": [{"exercise": "kettlebell_swing", "sets": [{"reps": 20}]}]}))]),
        "tool_use",
    ));
    assert_eq!(error.kind(), LlmErrorKind::Malformed);
    assert!(error.to_string().contains("kettlebell_swing"), "{error}");

    let error = extraction_error(converse_answer(
        json!([tool_use(json!({"kind": "workout", "confidence": 0.9,
            "entries": [{"exercise": "pull_up", "sets": [{"reps": 8, "reps_max": 5}]}]}))]),
        "tool_use",
    ));
    assert_eq!(error.kind(), LlmErrorKind::Malformed);
    assert!(error.to_string().contains("reps_max"), "{error}");
}

#[test]
fn an_embedding_of_the_wrong_size_is_malformed() {
    let harness = Harness::new(access_keys(None));
    let run = harness.run(
        vec![ok(
            json!({"embedding": [0.1, 0.2], "inputTextTokenCount": 1}),
        )],
        async |llm| llm.embed("x").await,
    );
    assert_eq!(run.result.unwrap_err().kind(), LlmErrorKind::Malformed);
}

// --- Errors and retries -----------------------------------------------------------

#[test]
fn every_aws_error_shape_is_decoded_to_a_kind_and_its_code() {
    let cases = [
        (
            aws_error(
                400,
                Some("ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"),
                json!({"message": "Invocation of model ID amazon.nova-lite-v1:0 with on-demand throughput isn't supported."}),
            ),
            LlmErrorKind::Rejected,
            "ValidationException (HTTP 400): Invocation of model ID",
        ),
        (
            aws_error(
                403,
                None,
                json!({"__type": "com.amazon.coral.service#UnrecognizedClientException",
                       "message": "The security token included in the request is invalid."}),
            ),
            LlmErrorKind::Denied,
            "UnrecognizedClientException (HTTP 403)",
        ),
        (
            aws_error(
                403,
                Some(
                    "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/",
                ),
                json!({"message": "Signature expired"}),
            ),
            LlmErrorKind::Denied,
            "InvalidSignatureException (HTTP 403): Signature expired",
        ),
        (
            aws_error(
                404,
                None,
                json!({"code": "ResourceNotFoundException", "message": "Model not found"}),
            ),
            LlmErrorKind::NotFound,
            "ResourceNotFoundException (HTTP 404): Model not found",
        ),
        (
            aws_error(
                408,
                Some("ModelTimeoutException:x"),
                json!({"message": "slow"}),
            ),
            LlmErrorKind::Timeout,
            "ModelTimeoutException (HTTP 408)",
        ),
        (
            aws_error(
                424,
                Some("ModelErrorException:x"),
                json!({"message": "boom", "originalStatusCode": 500, "resourceName": "m"}),
            ),
            LlmErrorKind::Unavailable,
            "ModelErrorException (HTTP 424)",
        ),
        (
            throttled(),
            LlmErrorKind::Throttled,
            "ThrottlingException (HTTP 429)",
        ),
        (
            aws_error(
                500,
                Some("InternalServerException:x"),
                json!({"message": "oops"}),
            ),
            LlmErrorKind::Unavailable,
            "InternalServerException (HTTP 500)",
        ),
        (
            unavailable(),
            LlmErrorKind::Unavailable,
            "ServiceUnavailableException (HTTP 503)",
        ),
        (
            Ok(Response::builder()
                .status(502)
                .body(b"<html>bad gateway</html>".to_vec())
                .unwrap()),
            LlmErrorKind::Unavailable,
            "UnknownError (HTTP 502)",
        ),
    ];
    for (answer, kind, message) in cases {
        let mut harness = Harness::new(access_keys(None));
        // One attempt: the shape, not the retries, is under test here.
        harness.config.retry_budget_ms = 0;
        let error = harness
            .run(vec![answer], async |llm| llm.reply("s", "m").await)
            .result
            .unwrap_err();
        assert_eq!(error.kind(), kind, "{error}");
        assert!(
            error.to_string().contains(message),
            "{error} lacks {message}"
        );
    }
}

#[test]
fn throttling_is_retried_with_growing_waits_until_it_answers() {
    let mut harness = Harness::new(access_keys(None));
    harness.latency_ms = 1_000;
    let run = harness.run(
        vec![
            throttled(),
            throttled(),
            converse_answer(json!([{"text": "ok"}]), "end_turn"),
        ],
        async |llm| llm.reply("s", "m").await,
    );
    assert_eq!(run.result.unwrap().value, "ok");
    assert_eq!(run.sent.len(), 3);
    // Jitter at its largest: each wait is its ceiling, 250 ms then 500 ms.
    assert_eq!(run.waits, vec![250, 500]);
    // Each attempt is signed afresh, at the time it is sent.
    let dates: Vec<_> = run
        .sent
        .iter()
        .map(|request| header(request, "x-amz-date").unwrap())
        .collect();
    assert_eq!(
        dates,
        vec!["20231114T221320Z", "20231114T221321Z", "20231114T221322Z"]
    );
}

#[test]
fn timeouts_model_errors_and_server_errors_are_retried() {
    for first in [
        aws_error(
            408,
            Some("ModelTimeoutException:x"),
            json!({"message": "slow"}),
        ),
        aws_error(
            424,
            Some("ModelErrorException:x"),
            json!({"message": "boom"}),
        ),
        aws_error(
            500,
            Some("InternalServerException:x"),
            json!({"message": "oops"}),
        ),
        unavailable(),
        Err(TransportError::Timeout {
            host: "bedrock-runtime.us-east-1.amazonaws.com".into(),
        }),
    ] {
        let harness = Harness::new(access_keys(None));
        let run = harness.run(
            vec![first, converse_answer(json!([{"text": "ok"}]), "end_turn")],
            async |llm| llm.reply("s", "m").await,
        );
        assert_eq!(run.result.unwrap().value, "ok");
        assert_eq!(run.sent.len(), 2);
    }
}

#[test]
fn refusals_are_answered_after_one_attempt() {
    for (answer, kind) in [
        (
            aws_error(
                400,
                Some("ValidationException:x"),
                json!({"message": "bad"}),
            ),
            LlmErrorKind::Rejected,
        ),
        (
            aws_error(
                403,
                Some("AccessDeniedException:x"),
                json!({"message": "no access"}),
            ),
            LlmErrorKind::Denied,
        ),
        (
            aws_error(
                404,
                Some("ResourceNotFoundException:x"),
                json!({"message": "no model"}),
            ),
            LlmErrorKind::NotFound,
        ),
    ] {
        let harness = Harness::new(access_keys(None));
        let run = harness.run(vec![answer], async |llm| llm.reply("s", "m").await);
        assert_eq!(run.result.unwrap_err().kind(), kind);
        assert_eq!(run.sent.len(), 1);
        assert!(run.waits.is_empty());
    }
}

#[test]
fn retries_stop_within_the_time_budget() {
    let mut harness = Harness::new(access_keys(None));
    // Slow failures of 2.5 s each: a third attempt would end past the 8 s budget.
    harness.latency_ms = 2_500;
    let run = harness.run(
        vec![unavailable(), unavailable(), unavailable(), unavailable()],
        async |llm| llm.reply("s", "m").await,
    );
    assert_eq!(run.result.unwrap_err().kind(), LlmErrorKind::Unavailable);
    assert!(run.elapsed_ms <= 8_000, "took {} ms", run.elapsed_ms);
    assert_eq!(run.sent.len(), 2);
    assert_eq!(run.waits, vec![250]);
}

#[test]
fn a_persistent_throttle_gives_up_after_a_bounded_number_of_attempts() {
    let harness = Harness::new(access_keys(None));
    let run = harness.run(
        vec![
            throttled(),
            throttled(),
            throttled(),
            throttled(),
            throttled(),
        ],
        async |llm| llm.reply("s", "m").await,
    );
    assert_eq!(run.result.unwrap_err().kind(), LlmErrorKind::Throttled);
    assert_eq!(run.sent.len(), 4);
    assert_eq!(run.waits, vec![250, 500, 1_000]);
    assert!(run.waits.iter().map(|&wait| i64::from(wait)).sum::<i64>() <= 8_000);
}

// --- Meals ------------------------------------------------------------------------

fn meal_tool(input: Value) -> Value {
    json!({"toolUse": {"toolUseId": "tooluse_meal", "name": "log_meal", "input": input}})
}

fn lunch() -> Value {
    json!({"items": [{"name": "chicken breast", "grams": 200}, {"name": "rice", "grams": 180}],
           "kcal": 560, "protein_g": 66, "carbs_g": 50, "fat_g": 8, "confidence": 0.8})
}

#[test]
fn a_meal_photo_goes_as_a_base64_image_with_the_meal_tool_forced() {
    let harness = Harness::new(access_keys(None));
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F'];
    let photo = tora_core::ports::MealSource::Photo {
        format: tora_core::ports::ImageFormat::Jpeg,
        bytes: &jpeg,
    };
    let run = harness.run(
        vec![converse_answer(
            json!([{"text": "Looks like lunch."}, meal_tool(lunch())]),
            "tool_use",
        )],
        async |llm| llm.estimate_meal(&photo).await,
    );
    let meal = run.result.unwrap();
    assert_eq!(meal.value.items().len(), 2);
    assert_eq!(meal.value.macros().protein_g, 66.0);
    assert_eq!(meal.usage.input_tokens, 812);
    let body = body_of(&run.sent[0]);
    let content = &body["messages"][0]["content"];
    assert_eq!(content[1]["image"]["format"], "jpeg");
    assert_eq!(content[1]["image"]["source"]["bytes"], "/9j/4AAQSkZJRg==");
    assert_eq!(body["toolConfig"]["toolChoice"]["tool"]["name"], "log_meal");
    assert_eq!(body["inferenceConfig"]["temperature"], 0);

    // The hold counts the rescaled image's tokens, not its bytes: a 5 MB photo costs
    // the same worst case as a tiny one.
    let big = vec![0u8; 5_000_000];
    let budget = |bytes: &[u8]| {
        let photo = tora_core::ports::MealSource::Photo {
            format: tora_core::ports::ImageFormat::Jpeg,
            bytes,
        };
        harness
            .run(Vec::new(), async |llm| Ok(llm.meal_budget(&photo)))
            .result
            .unwrap()
    };
    assert_eq!(budget(&big), budget(&jpeg));
    assert!(budget(&jpeg).prompt_tokens >= 2_000);
}

#[test]
fn a_meal_whose_calories_disagree_with_its_macros_is_refused() {
    let harness = Harness::new(access_keys(None));
    let mut wrong = lunch();
    wrong["kcal"] = json!(1_400);
    let run = harness.run(
        vec![converse_answer(json!([meal_tool(wrong)]), "tool_use")],
        async |llm| {
            llm.estimate_meal(&tora_core::ports::MealSource::Description(
                "200 g chicken and rice",
            ))
            .await
        },
    );
    let error = run.result.unwrap_err();
    assert_eq!(error.kind(), LlmErrorKind::Malformed);
    assert_eq!(
        body_of(&run.sent[0])["messages"][0]["content"][0]["text"],
        "200 g chicken and rice"
    );
}
