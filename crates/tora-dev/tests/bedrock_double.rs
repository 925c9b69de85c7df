//! The Bedrock double over real HTTP on an ephemeral port: requests are signed with
//! `aws-sigv4` exactly as the worker signs them, and the answers are checked in
//! Bedrock's wire shapes.

// Test helpers outside `#[test]` functions are not covered by clippy.toml's
// allow-*-in-tests; a failed unwrap here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use http::HeaderMap;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tora_dev::bedrock_double::sigv4::{
    Received, format_amz_date, parse_amz_date, system_time, verify,
};
use tora_dev::bedrock_double::{Accepted, Verified, serve_on};
use tora_dev::tokens::now_secs;

const KEY_ID: &str = "AKIDLOCALTEST";
const SECRET: &str = "local-test-secret-0123456789";
const NOVA: &str = "us.amazon.nova-lite-v1%3A0";
const TITAN: &str = "amazon.titan-embed-text-v2%3A0";

fn accepted() -> Accepted {
    Accepted {
        access_key_id: KEY_ID.to_owned(),
        secret_access_key: SECRET.to_owned(),
        session_token: None,
        api_key: Some("local-api-key".to_owned()),
        region: "us-east-1".to_owned(),
    }
}

async fn start(accepted: Accepted) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(serve_on(listener, accepted));
    address
}

/// Signing inputs, defaulting to what the worker sends.
struct Signer<'a> {
    key_id: &'a str,
    secret: &'a str,
    token: Option<&'a str>,
    region: &'a str,
    at: i64,
}

impl Default for Signer<'_> {
    fn default() -> Self {
        Self {
            key_id: KEY_ID,
            secret: SECRET,
            token: None,
            region: "us-east-1",
            at: now_secs(),
        }
    }
}

impl Signer<'_> {
    /// The headers the worker sends for `POST {path}` with `body` to `host`.
    fn headers(&self, host: &str, path: &str, body: &[u8]) -> Vec<(String, String)> {
        let identity = Credentials::new(
            self.key_id,
            self.secret,
            self.token.map(str::to_owned),
            None,
            "test",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(self.region)
            .name("bedrock")
            .time(system_time(self.at))
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let uri = format!("http://{host}{path}");
        let base = [("content-type", "application/json"), ("host", host)];
        let signable = SignableRequest::new(
            "POST",
            &uri,
            base.iter().copied(),
            SignableBody::Bytes(body),
        )
        .unwrap();
        let (instructions, _signature) = sign(signable, &params).unwrap().into_parts();
        let mut headers: Vec<(String, String)> = base
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        for (name, value) in instructions.headers() {
            headers.push((name.to_owned(), value.to_owned()));
        }
        headers
    }
}

struct Answer {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Value,
}

impl Answer {
    fn error_type(&self) -> &str {
        self.headers
            .get("x-amzn-errortype")
            .map_or("", |value| value.split(':').next().unwrap_or(""))
    }
}

/// One HTTP/1.1 exchange over plain TCP with exactly these headers.
async fn send(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Answer {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    if !headers.iter().any(|(name, _)| name == "host") {
        head.push_str(&format!("host: {address}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let body = serde_json::from_slice(&raw[split + 4..]).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

/// A signed model request, as the worker makes it.
async fn call(address: SocketAddr, signer: &Signer<'_>, path: &str, body: &Value) -> Answer {
    let body = body.to_string().into_bytes();
    let headers = signer.headers(&address.to_string(), path, &body);
    send(address, "POST", path, &headers, &body).await
}

async fn control(address: SocketAddr, method: &str, path: &str, body: &Value) -> Answer {
    let body = body.to_string().into_bytes();
    let headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    send(address, method, path, &headers, &body).await
}

fn converse_path(model: &str) -> String {
    format!("/model/{model}/converse")
}

fn invoke_path(model: &str) -> String {
    format!("/model/{model}/invoke")
}

/// The parse contract as the worker will declare it for the extraction tool.
fn workout_tool_request(message: &str) -> Value {
    let set = json!({"type": "object", "properties": {
        "reps": {"type": "integer", "minimum": 0}, "reps_max": {"type": "integer"},
        "seconds": {"type": "integer"}, "added_kg": {"type": "number"},
        "assisted": {"type": "boolean"}, "each_side": {"type": "boolean"},
        "rpe": {"type": "number", "minimum": 1, "maximum": 10}}});
    json!({
        "system": [{"text": "Extract the workout the athlete logged."}],
        "messages": [{"role": "user", "content": [{"text": message}]}],
        "inferenceConfig": {"maxTokens": 1024, "temperature": 0},
        "toolConfig": {
            "tools": [{"toolSpec": {
                "name": "record_workout",
                "description": "Record the sets",
                "inputSchema": {"json": {
                    "type": "object",
                    "required": ["kind", "entries", "confidence"],
                    "properties": {
                        "kind": {"type": "string", "enum": ["workout", "not_workout", "unsure"]},
                        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                        "entries": {"type": "array", "items": {"type": "object",
                            "required": ["exercise", "sets"],
                            "properties": {"exercise": {"type": "string"},
                                           "sets": {"type": "array", "items": set}}}}
                    }
                }}
            }}],
            "toolChoice": {"tool": {"name": "record_workout"}}
        }
    })
}

fn tool_use(answer: &Answer) -> Option<Value> {
    answer.body["output"]["message"]["content"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|block| block.get("toolUse").cloned())
}

#[test]
fn the_published_bedrock_signing_vectors_verify() {
    let accepted = Accepted {
        access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned(),
        session_token: None,
        api_key: None,
        region: "us-east-1".to_owned(),
    };
    let at = parse_amz_date("20231114T221320Z").unwrap();
    for (path, signature) in [
        (
            "/model/amazon.titan-embed-text-v2%3A0/invoke",
            "efb64a16ca546365c986265feeafdcedbeab6c26547e3ed013c9ea07cf96222e",
        ),
        (
            "/model/us.amazon.nova-lite-v1%3A0/converse",
            "6c5103417ea77388c938ad83c242110a304244206da66cebf0d5251e68a99504",
        ),
    ] {
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20231114/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature={signature}"
        );
        let mut headers = HeaderMap::new();
        headers.insert("authorization", authorization.parse().unwrap());
        headers.insert("content-type", "application/json".parse().unwrap());
        headers.insert(
            "host",
            "bedrock-runtime.us-east-1.amazonaws.com".parse().unwrap(),
        );
        headers.insert("x-amz-date", "20231114T221320Z".parse().unwrap());
        let received = Received {
            method: "POST",
            path_and_query: path,
            headers: &headers,
            body: br#"{"inputText":"hi"}"#,
        };
        assert_eq!(
            verify(&accepted, &received, at),
            Ok(Verified::SigV4),
            "{path}"
        );
        // One byte more in the body and the same signature no longer holds.
        let tampered = Received {
            body: br#"{"inputText":"hi!"}"#,
            ..received
        };
        assert_eq!(
            verify(&accepted, &tampered, at).unwrap_err().name,
            "InvalidSignatureException"
        );
    }
}

#[tokio::test]
async fn a_request_signed_like_the_worker_signs_is_answered_and_recorded_as_verified() {
    let address = start(accepted()).await;
    let answer = call(
        address,
        &Signer::default(),
        &converse_path(NOVA),
        &json!({"messages": [{"role": "user", "content": [{"text": "How long should I rest?"}]}]}),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["stopReason"], "end_turn");
    assert!(answer.body["output"]["message"]["content"][0]["text"].is_string());
    let usage = &answer.body["usage"];
    assert!(usage["inputTokens"].as_u64().unwrap() > 0);
    assert_eq!(
        usage["totalTokens"].as_u64().unwrap(),
        usage["inputTokens"].as_u64().unwrap() + usage["outputTokens"].as_u64().unwrap()
    );
    assert!(answer.body["metrics"]["latencyMs"].is_u64());
    assert!(answer.headers.contains_key("x-amzn-requestid"));

    let calls = control(address, "GET", "/__calls", &Value::Null).await.body;
    assert_eq!(calls.as_array().unwrap().len(), 1);
    assert_eq!(calls[0]["operation"], "converse");
    assert_eq!(calls[0]["model_id"], "us.amazon.nova-lite-v1:0");
    assert_eq!(calls[0]["signature_verified"], true);
    assert_eq!(calls[0]["status"], 200);
}

#[tokio::test]
async fn bad_credentials_get_403_in_bedrocks_error_shape() {
    let address = start(accepted()).await;
    let path = converse_path(NOVA);
    let body = json!({"messages": [{"role": "user", "content": [{"text": "hi"}]}]});
    let bytes = body.to_string().into_bytes();
    let host = address.to_string();

    let wrong_secret = call(
        address,
        &Signer {
            secret: "not-the-secret",
            ..Signer::default()
        },
        &path,
        &body,
    )
    .await;
    assert_eq!(wrong_secret.status, 403);
    assert_eq!(wrong_secret.error_type(), "InvalidSignatureException");
    assert_eq!(
        wrong_secret.headers["x-amzn-errortype"],
        "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.bedrock/"
    );
    assert_eq!(wrong_secret.headers["content-type"], "application/json");
    assert!(wrong_secret.headers.contains_key("x-amzn-requestid"));
    assert!(
        wrong_secret.body["message"]
            .as_str()
            .unwrap()
            .starts_with("The request signature we calculated does not match")
    );

    let wrong_key = call(
        address,
        &Signer {
            key_id: "AKIDSOMEONEELSE",
            ..Signer::default()
        },
        &path,
        &body,
    )
    .await;
    assert_eq!(wrong_key.status, 403);
    assert_eq!(wrong_key.error_type(), "UnrecognizedClientException");

    let headers = Signer::default().headers(&host, &path, &bytes);
    let tampered_body = send(address, "POST", &path, &headers, br#"{"messages":[]} "#).await;
    assert_eq!(tampered_body.status, 403);
    assert_eq!(tampered_body.error_type(), "InvalidSignatureException");

    let other_path = converse_path("eu.amazon.nova-lite-v1%3A0");
    let tampered_path = send(address, "POST", &other_path, &headers, &bytes).await;
    assert_eq!(tampered_path.status, 403);
    assert_eq!(tampered_path.error_type(), "InvalidSignatureException");

    let six_minutes_ago = now_secs() - 6 * 60;
    let stale = call(
        address,
        &Signer {
            at: six_minutes_ago,
            ..Signer::default()
        },
        &path,
        &body,
    )
    .await;
    assert_eq!(stale.status, 403);
    assert_eq!(stale.error_type(), "InvalidSignatureException");
    let message = stale.body["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "Signature expired: {} is now earlier than",
            format_amz_date(six_minutes_ago)
        )),
        "{message}"
    );
    let ahead = call(
        address,
        &Signer {
            at: now_secs() + 6 * 60,
            ..Signer::default()
        },
        &path,
        &body,
    )
    .await;
    assert_eq!(ahead.error_type(), "InvalidSignatureException");

    let other_region = call(
        address,
        &Signer {
            region: "eu-west-1",
            ..Signer::default()
        },
        &path,
        &body,
    )
    .await;
    assert_eq!(other_region.error_type(), "InvalidSignatureException");

    let anonymous = control(address, "POST", &path, &body).await;
    assert_eq!(anonymous.status, 403);
    assert_eq!(
        anonymous.error_type(),
        "MissingAuthenticationTokenException"
    );

    let calls = control(address, "GET", "/__calls", &Value::Null).await.body;
    let calls = calls.as_array().unwrap();
    assert_eq!(calls.len(), 8);
    assert!(calls.iter().all(|call| call["signature_verified"] == false));
}

#[tokio::test]
async fn a_session_token_is_required_when_the_double_has_one_and_api_keys_work_as_bearer() {
    let address = start(Accepted {
        session_token: Some("session-token-1".to_owned()),
        ..accepted()
    })
    .await;
    let path = converse_path(NOVA);
    let body = json!({"messages": [{"role": "user", "content": [{"text": "hi"}]}]});
    let without = call(address, &Signer::default(), &path, &body).await;
    assert_eq!(without.status, 403);
    assert_eq!(without.error_type(), "UnrecognizedClientException");
    let with = call(
        address,
        &Signer {
            token: Some("session-token-1"),
            ..Signer::default()
        },
        &path,
        &body,
    )
    .await;
    assert_eq!(with.status, 200, "{}", with.body);

    let bearer = |key: &str| {
        vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("authorization".to_owned(), format!("Bearer {key}")),
        ]
    };
    let bytes = body.to_string().into_bytes();
    let good = send(address, "POST", &path, &bearer("local-api-key"), &bytes).await;
    assert_eq!(good.status, 200);
    let bad = send(address, "POST", &path, &bearer("guess"), &bytes).await;
    assert_eq!(bad.status, 403);
    assert_eq!(bad.error_type(), "UnrecognizedClientException");
}

#[tokio::test]
async fn a_forced_tool_is_answered_with_a_schema_valid_extraction() {
    let address = start(accepted()).await;
    let answer = call(
        address,
        &Signer::default(),
        &converse_path(NOVA),
        &workout_tool_request("3x8 pull-ups, then 4 x 20s L-sit"),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["stopReason"], "tool_use");
    let call_block = tool_use(&answer).unwrap();
    assert_eq!(call_block["name"], "record_workout");
    assert!(
        call_block["toolUseId"]
            .as_str()
            .unwrap()
            .starts_with("tooluse_")
    );
    let input = &call_block["input"];
    assert_eq!(input["kind"], "workout");
    let confidence = input["confidence"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&confidence));
    assert_eq!(
        input["entries"],
        json!([
            {"exercise": "pull_up", "sets": [{"reps": 8}, {"reps": 8}, {"reps": 8}]},
            {"exercise": "l_sit", "sets": [{"seconds": 20}, {"seconds": 20}, {"seconds": 20}, {"seconds": 20}]}
        ])
    );

    let chat = call(
        address,
        &Signer::default(),
        &converse_path(NOVA),
        &workout_tool_request("what should I train tomorrow?"),
    )
    .await;
    let input = tool_use(&chat).unwrap()["input"].clone();
    assert_eq!(input["kind"], "not_workout");
    assert_eq!(input["entries"], json!([]));
}

#[tokio::test]
async fn an_unknown_tool_gets_its_required_fields() {
    let address = start(accepted()).await;
    let request = json!({
        "messages": [{"role": "user", "content": [{"text": "I did some pull-ups"}]}],
        "toolConfig": {
            "tools": [{"toolSpec": {"name": "coach_reply", "inputSchema": {"json": {
                "type": "object", "required": ["reply", "tone", "score", "tags"],
                "properties": {
                    "reply": {"type": "string", "minLength": 1},
                    "tone": {"type": "string", "enum": ["warm", "direct"]},
                    "score": {"type": "integer", "minimum": 1, "maximum": 5},
                    "tags": {"type": "array", "minItems": 1, "items": {"type": "string"}}
                }}}}}],
            "toolChoice": {"any": {}}
        }
    });
    let answer = call(address, &Signer::default(), &converse_path(NOVA), &request).await;
    let input = tool_use(&answer).unwrap()["input"].clone();
    assert!(!input["reply"].as_str().unwrap().is_empty());
    assert_eq!(input["tone"], "warm");
    assert_eq!(input["score"], 1);
    assert_eq!(input["tags"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn faults_are_served_in_order_to_matching_requests_then_cleared() {
    let address = start(accepted()).await;
    let queued = control(
        address,
        "POST",
        "/__faults",
        &json!({"scope": "MARKER-1", "next": [
            {"kind": "throttle"},
            {"kind": "server_error"},
            {"kind": "unavailable"},
            {"kind": "model_timeout"},
            {"kind": "text_instead_of_tool"},
            {"kind": "schema_breaking_tool_call"},
            {"kind": "slow", "delay_ms": 300}
        ]}),
    )
    .await;
    assert_eq!(queued.body["queued"], 7);

    // A request without the marker is not affected.
    let other = call(
        address,
        &Signer::default(),
        &converse_path(NOVA),
        &workout_tool_request("3x8 pull-ups"),
    )
    .await;
    assert_eq!(other.status, 200);

    let request = workout_tool_request("3x8 pull-ups MARKER-1");
    let path = converse_path(NOVA);
    for (status, error_type) in [
        (429, "ThrottlingException"),
        (500, "InternalServerException"),
        (503, "ServiceUnavailableException"),
        (408, "ModelTimeoutException"),
    ] {
        let answer = call(address, &Signer::default(), &path, &request).await;
        assert_eq!(answer.status, status);
        assert_eq!(answer.error_type(), error_type);
        assert!(answer.body["message"].is_string());
    }
    let text = call(address, &Signer::default(), &path, &request).await;
    assert_eq!(text.status, 200);
    assert_eq!(text.body["stopReason"], "end_turn");
    assert!(tool_use(&text).is_none());

    let broken = call(address, &Signer::default(), &path, &request).await;
    let input = tool_use(&broken).unwrap()["input"].clone();
    assert!(input.get("kind").is_none(), "{input}");
    assert!(!input["entries"].is_array(), "{input}");

    let started = tokio::time::Instant::now();
    let slow = call(address, &Signer::default(), &path, &request).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(slow.status, 200);
    assert!(tool_use(&slow).is_some());

    let after = call(address, &Signer::default(), &path, &request).await;
    assert_eq!(after.status, 200);
    assert_eq!(after.body["stopReason"], "tool_use");
    let faults = control(address, "GET", "/__faults", &Value::Null)
        .await
        .body;
    assert_eq!(faults, json!([]));

    let calls = control(address, "GET", "/__calls", &Value::Null).await.body;
    let kinds: Vec<&Value> = calls
        .as_array()
        .unwrap()
        .iter()
        .map(|call| &call["fault"])
        .collect();
    assert_eq!(
        kinds,
        [
            &Value::Null,
            &json!("throttle"),
            &json!("server_error"),
            &json!("unavailable"),
            &json!("model_timeout"),
            &json!("text_instead_of_tool"),
            &json!("schema_breaking_tool_call"),
            &json!("slow"),
            &Value::Null
        ]
    );

    control(
        address,
        "POST",
        "/__faults",
        &json!({"next": [{"kind": "throttle"}]}),
    )
    .await;
    control(address, "DELETE", "/__faults", &Value::Null).await;
    let cleared = call(address, &Signer::default(), &path, &request).await;
    assert_eq!(cleared.status, 200);
    control(address, "DELETE", "/__calls", &Value::Null).await;
    let calls = control(address, "GET", "/__calls", &Value::Null).await.body;
    assert_eq!(calls, json!([]));
}

#[tokio::test]
async fn random_faults_hit_about_their_share_until_cleared_and_bad_specs_are_refused() {
    let address = start(accepted()).await;
    let refused = control(
        address,
        "POST",
        "/__faults",
        &json!({"random": {"share": 0.5, "kinds": []}}),
    )
    .await;
    assert_eq!(refused.status, 400);
    let on = control(
        address,
        "POST",
        "/__faults",
        &json!({"random": {"share": 0.5, "kinds": ["throttle", "unavailable"], "seed": 9}}),
    )
    .await;
    assert_eq!(on.status, 200);
    let path = converse_path(NOVA);
    let request = workout_tool_request("3x8 pull-ups");
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(
            call(address, &Signer::default(), &path, &request)
                .await
                .status,
        );
    }
    let failed = statuses.iter().filter(|status| **status != 200).count();
    assert!((8..=32).contains(&failed), "{statuses:?}");
    assert!(
        statuses.contains(&429) && statuses.contains(&503),
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|status| [200, 429, 503].contains(status))
    );
    control(address, "DELETE", "/__faults", &Value::Null).await;
    for _ in 0..10 {
        assert_eq!(
            call(address, &Signer::default(), &path, &request)
                .await
                .status,
            200
        );
    }
}

#[tokio::test]
async fn titan_embeddings_are_normalised_deterministic_and_near_for_similar_texts() {
    let address = start(accepted()).await;
    let path = invoke_path(TITAN);
    let embed = |text: &str, dimensions: u64| json!({"inputText": text, "dimensions": dimensions, "normalize": true});

    let first = call(
        address,
        &Signer::default(),
        &path,
        &embed("3x8 pull-ups", 256),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let vector: Vec<f64> = serde_json::from_value(first.body["embedding"].clone()).unwrap();
    assert_eq!(vector.len(), 256);
    let norm: f64 = vector.iter().map(|v| v * v).sum::<f64>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4, "{norm}");
    assert_eq!(
        first.body["embeddingsByType"]["float"],
        first.body["embedding"]
    );
    assert!(first.body["inputTextTokenCount"].as_u64().unwrap() > 0);
    assert_eq!(
        first.headers["x-amzn-bedrock-input-token-count"],
        first.body["inputTextTokenCount"].to_string()
    );

    let again = call(
        address,
        &Signer::default(),
        &path,
        &embed("3x8 pull-ups", 256),
    )
    .await;
    assert_eq!(again.body["embedding"], first.body["embedding"]);

    let cosine = |a: &Value, b: &Value| -> f64 {
        let a: Vec<f64> = serde_json::from_value(a.clone()).unwrap();
        let b: Vec<f64> = serde_json::from_value(b.clone()).unwrap();
        a.iter().zip(&b).map(|(x, y)| x * y).sum()
    };
    let near = call(
        address,
        &Signer::default(),
        &path,
        &embed("4x8 pull ups", 256),
    )
    .await;
    let far = call(
        address,
        &Signer::default(),
        &path,
        &embed("how do I cook rice", 256),
    )
    .await;
    assert!(
        cosine(&first.body["embedding"], &near.body["embedding"])
            > cosine(&first.body["embedding"], &far.body["embedding"]) + 0.2
    );

    let default = call(
        address,
        &Signer::default(),
        &path,
        &json!({"inputText": "dips"}),
    )
    .await;
    assert_eq!(default.body["embedding"].as_array().unwrap().len(), 1024);

    for bad in [
        json!({"inputText": "dips", "dimensions": 300}),
        json!({"dimensions": 256}),
        json!({"inputText": ""}),
    ] {
        let answer = call(address, &Signer::default(), &path, &bad).await;
        assert_eq!(answer.status, 400, "{bad}");
        assert_eq!(answer.error_type(), "ValidationException");
        assert!(
            answer.body["message"]
                .as_str()
                .unwrap()
                .starts_with("Malformed input request")
        );
    }
}

#[tokio::test]
async fn unknown_models_and_wrong_operations_are_validation_errors() {
    let address = start(accepted()).await;
    let body = json!({"messages": [{"role": "user", "content": [{"text": "hi"}]}]});
    let unknown = call(
        address,
        &Signer::default(),
        &converse_path("amazon.nova-giant-v9%3A0"),
        &body,
    )
    .await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.error_type(), "ValidationException");
    let embed_converse = call(address, &Signer::default(), &converse_path(TITAN), &body).await;
    assert_eq!(embed_converse.status, 400);
    assert_eq!(embed_converse.error_type(), "ValidationException");
}
