//! The end-to-end harness: where the running stack is, tokens for fresh users, and
//! direct reads of the database to check what the API stored.
//!
//! Every test makes its own user (a fresh `sub`), so tests run in parallel without
//! seeing each other's rows.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod openapi;

use std::env;

use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::Value;
use tora_dev::tokens::{TokenSpec, mint_hs256};

/// The stack scripts/test.sh started.
pub struct Stack {
    pub base_url: String,
    /// The local Neon endpoint (`/sql` is appended).
    pub neon_url: String,
    pub jwt_secret: String,
    pub issuer: String,
    pub audience: String,
    /// Base URL of the local JWKS issuer (serves `/.well-known/jwks.json`).
    pub jwks_url: String,
    pub starter_credits: i64,
    pub tokens_per_credit: i64,
    /// The bearer secret of `/admin/*`.
    pub admin_secret: String,
    pub cors_origin: String,
    /// The Bedrock double (`/__faults`, `/__calls`).
    pub bedrock_url: String,
    /// The S3 double's bucket URL (path-style) and the bucket's own key pair, for
    /// signing the tests' own requests to it (listing a prefix, crafted URLs).
    pub s3: tora_core::clients::s3::S3Config,
    client: Client,
}

fn var(name: &str) -> String {
    env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the end-to-end tests through scripts/test.sh")
    })
}

/// A client whose requests come from an address of their own (`cf-connecting-ip`,
/// which the worker keys its per-IP limit on), so tests running side by side do not
/// share one budget. A request that sets the header itself keeps its own.
fn client_from_own_address() -> Client {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let address = format!("10.{}.{}.{}", bytes[0], bytes[1], bytes[2]);
    let mut headers = reqwest::header::HeaderMap::new();
    if let Ok(value) = reqwest::header::HeaderValue::from_str(&address) {
        headers.insert("cf-connecting-ip", value);
    }
    Client::builder()
        .default_headers(headers)
        .build()
        .unwrap_or_default()
}

impl Stack {
    pub fn from_env() -> Self {
        Self {
            base_url: var("BASE_URL"),
            neon_url: var("TORA_NEON_URL"),
            jwt_secret: var("TORA_JWT_SECRET"),
            issuer: var("TORA_JWT_ISSUER"),
            audience: var("TORA_JWT_AUDIENCE"),
            jwks_url: var("TORA_JWKS_URL"),
            starter_credits: var("TORA_STARTER_CREDITS").parse().unwrap(),
            tokens_per_credit: var("TORA_TOKENS_PER_CREDIT").parse().unwrap(),
            admin_secret: var("TORA_ADMIN_SECRET"),
            cors_origin: var("TORA_CORS_ORIGIN"),
            bedrock_url: var("TORA_BEDROCK_URL"),
            s3: tora_core::clients::s3::S3Config {
                bucket: var("TORA_S3_URL").rsplit('/').next().unwrap().to_owned(),
                region: var("TORA_S3_REGION"),
                endpoint: var("TORA_S3_URL"),
                credentials: tora_core::clients::sigv4::AwsCredentials {
                    access_key_id: tora_core::secret::Secret::new(var("TORA_S3_ACCESS_KEY_ID")),
                    secret_access_key: tora_core::secret::Secret::new(var(
                        "TORA_S3_SECRET_ACCESS_KEY",
                    )),
                    session_token: None,
                },
            },
            client: client_from_own_address(),
        }
    }

    /// A token for a brand-new user.
    pub fn new_user(&self) -> TestUser {
        let subject = uuid::Uuid::new_v4().to_string();
        let token = self.hs256_token(&subject);
        TestUser { subject, token }
    }

    pub fn hs256_token(&self, subject: &str) -> String {
        mint_hs256(
            self.jwt_secret.as_bytes(),
            &TokenSpec::new(&self.issuer, &self.audience, subject, 600),
        )
        .unwrap()
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base_url))
    }

    pub fn authed(&self, method: Method, path: &str, user: &TestUser) -> RequestBuilder {
        self.request(method, path).bearer_auth(&user.token)
    }

    /// Sends a JSON body as the user; returns status, headers and the JSON answer.
    pub async fn send_json(
        &self,
        user: &TestUser,
        method: Method,
        path: &str,
        body: &Value,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        read_checked(
            Some(&method),
            self.authed(method.clone(), path, user)
                .json(body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// `GET path` as the user; returns status, headers and the JSON answer.
    pub async fn get_json(
        &self,
        user: &TestUser,
        path: &str,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        read_checked(
            Some(&Method::GET),
            self.authed(Method::GET, path, user).send().await.unwrap(),
        )
        .await
    }

    /// Any request, with a bearer token (a user's or the admin secret) or none and a
    /// JSON body or none; returns status, headers and the JSON answer, checked against
    /// the OpenAPI document for this method.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut request = self.request(method.clone(), path);
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        read_checked(Some(&method), request.send().await.unwrap()).await
    }

    /// Queues faults in the Bedrock double (`{"next": [...], "scope": ...}`).
    pub async fn bedrock_faults(&self, faults: &Value) {
        let response = self
            .client
            .post(format!("{}/__faults", self.bedrock_url))
            .json(faults)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "queueing {faults}");
    }

    /// Queues faults in the local Neon endpoint (`[{"kind", "scope", "param"}]`).
    pub async fn neon_faults(&self, faults: &Value) {
        let response = self
            .client
            .post(format!("{}/__faults", self.neon_url))
            .json(&serde_json::json!({ "next": faults }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "queueing {faults}");
    }

    /// Queues faults in the S3 double (`[{"code", "method", "prefix"}]`).
    pub async fn s3_faults(&self, faults: &Value) {
        let origin = self
            .s3
            .endpoint
            .rsplit_once('/')
            .map_or(self.s3.endpoint.as_str(), |(origin, _bucket)| origin);
        let response = self
            .client
            .post(format!("{origin}/__faults"))
            .json(&serde_json::json!({ "next": faults }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204, "queueing {faults}");
    }

    /// Every key in the bucket under `prefix`, by the worker's own signed
    /// ListObjectsV2, page after page.
    pub async fn bucket_keys(&self, prefix: &str) -> Vec<String> {
        let clock = tora_dev::tokens::SystemClock;
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let request = tora_core::clients::s3::list_request(
                &self.s3,
                prefix,
                token.as_deref(),
                tora_core::clients::sigv4::signing_time(&clock),
            )
            .unwrap();
            let mut builder = self.client.get(request.uri().to_string());
            for (name, value) in request.headers() {
                builder = builder.header(name.as_str(), value.to_str().unwrap());
            }
            let response = builder.send().await.unwrap();
            let status = response.status();
            let body = response.text().await.unwrap();
            assert_eq!(status, 200, "listing {prefix}: {body}");
            let page = tora_core::clients::s3::parse_list(&body).unwrap();
            keys.extend(page.keys);
            match page.next {
                Some(next) => token = Some(next),
                None => return keys,
            }
        }
    }

    /// Requests a meal-photo upload, PUTs `bytes` to the bucket and, when `finish`,
    /// completes it; the upload id.
    pub async fn uploaded_photo(&self, user: &TestUser, bytes: Vec<u8>, finish: bool) -> String {
        self.uploaded_file(user, "meal_photo", "image/jpeg", bytes, finish)
            .await
    }

    /// Requests an upload of `kind`, PUTs `bytes` to the bucket as `content_type` and,
    /// when `finish`, completes it; the upload id.
    pub async fn uploaded_file(
        &self,
        user: &TestUser,
        kind: &str,
        content_type: &str,
        bytes: Vec<u8>,
        finish: bool,
    ) -> String {
        let body = serde_json::json!({
            "kind": kind, "content_type": content_type, "bytes": bytes.len()
        });
        let (status, _, upload) = self
            .send_json(user, Method::POST, "/v1/uploads", &body)
            .await;
        assert_eq!(status, 201, "{upload}");
        let response = Client::new()
            .put(upload["url"].as_str().unwrap())
            .header("content-type", content_type)
            .body(bytes)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let id = upload["upload_id"].as_str().unwrap().to_owned();
        if finish {
            let path = format!("/v1/uploads/{id}/complete");
            let (status, _, done) = self
                .send_json(user, Method::POST, &path, &serde_json::json!({}))
                .await;
            assert_eq!(status, 200, "{done}");
        }
        id
    }

    /// The bucket key of an upload, from the database.
    pub async fn object_key(&self, upload_id: &str) -> String {
        let rows = self
            .sql(
                "select object_key from uploads where id = $1::uuid",
                &[upload_id],
            )
            .await;
        rows[0][0].as_str().unwrap().to_owned()
    }

    /// Fires the Cron Trigger once (wrangler's scheduled route).
    pub async fn run_cron(&self) {
        let response = self
            .request(Method::GET, "/__scheduled?cron=*/5+*+*+*+*")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    /// The user's CSV export (`GET /v1/me/export?format=csv`), which must succeed.
    pub async fn export_csv(&self, user: &TestUser) -> String {
        let response = self
            .authed(Method::GET, "/v1/me/export?format=csv", user)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.text().await.unwrap()
    }

    /// `POST /v1/workouts`, which must succeed; returns the stored workout.
    pub async fn log_workout(&self, user: &TestUser, body: &Value) -> Value {
        let (status, _, answer) = self
            .send_json(user, Method::POST, "/v1/workouts", body)
            .await;
        assert_eq!(status, 201, "{answer}");
        answer["workout"].clone()
    }

    /// The caller's memories (`GET /v1/memories` items, newest first) once there are
    /// at least `count`: they are made after the response that logged the workout, so
    /// this polls for a while before it fails.
    pub async fn memories(&self, user: &TestUser, count: usize) -> Vec<Value> {
        let mut items = Vec::new();
        for _ in 0..150 {
            let (status, _, body) = self.get_json(user, "/v1/memories?limit=100").await;
            assert_eq!(status, 200, "{body}");
            items = body["items"].as_array().cloned().unwrap_or_default();
            if items.len() >= count {
                return items;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!(
            "expected {count} memories, found {}: {items:?}",
            items.len()
        );
    }

    /// Runs one statement against the database behind the API and returns its rows
    /// (array mode). It goes through the local Neon endpoint rather than a second
    /// Postgres connection: the embedded database serves one session at a time, and
    /// the endpoint is what serialises access to it.
    pub async fn sql(&self, query: &str, params: &[&str]) -> Vec<Vec<Value>> {
        let response = self
            .client
            .post(format!("{}/sql", self.neon_url))
            .header(
                "neon-connection-string",
                "postgresql://tora:tora@localhost/tora",
            )
            .header("neon-array-mode", "true")
            .json(&serde_json::json!({"query": query, "params": params}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 200, "{query}: {body}");
        serde_json::from_value(body["rows"].clone()).unwrap()
    }

    /// How many rows reference the user with this subject, per table.
    pub async fn rows_of(&self, subject: &str) -> Vec<(String, i64)> {
        let mut counts = Vec::new();
        for table in [
            "credit_ledger",
            "chat_messages",
            "workouts",
            "workout_sets",
            "user_skill_states",
            "memories",
            "meals",
            "uploads",
            "imports",
            "exercises",
        ] {
            let owner = if table == "exercises" {
                "owner_user_id"
            } else {
                "user_id"
            };
            let sql = format!(
                "select count(*)::int4 from {table} t join users u on u.id = t.{owner} where u.auth_subject = $1"
            );
            let rows = self.sql(&sql, &[subject]).await;
            counts.push((table.to_owned(), rows[0][0].as_i64().unwrap()));
        }
        let rows = self
            .sql(
                "select count(*)::int4 from users where auth_subject = $1",
                &[subject],
            )
            .await;
        counts.push(("users".to_owned(), rows[0][0].as_i64().unwrap()));
        counts
    }
}

/// A tiny JPEG (the start of one: the Bedrock double reads no pixels).
pub fn jpeg_bytes() -> Vec<u8> {
    let mut bytes = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
    ];
    bytes.extend(std::iter::repeat_n(0x42, 500));
    bytes.extend([0xFF, 0xD9]);
    bytes
}

pub struct TestUser {
    pub subject: String,
    pub token: String,
}

/// Status, headers and the parsed JSON body (Null when empty). A response of the
/// worker must conform to the OpenAPI document (`openapi::check_response`).
pub async fn read(response: Response) -> (u16, reqwest::header::HeaderMap, Value) {
    read_checked(None, response).await
}

async fn read_checked(
    method: Option<&Method>,
    response: Response,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let url = response.url().clone();
    let bytes = response.bytes().await.unwrap();
    openapi::check_response(method, &url, status, &headers, &bytes);
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("body is not JSON: {}", String::from_utf8_lossy(&bytes)))
    };
    (status, headers, body)
}

/// Asserts the RFC 9457 problem shape and returns the body.
pub fn assert_problem(
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &Value,
    expected_status: u16,
    expected_type: &str,
) {
    assert_eq!(status, expected_status, "body: {body}");
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(body["status"], expected_status);
    assert_eq!(body["type"], format!("urn:tora:problem:{expected_type}"));
    assert!(body["title"].is_string());
    assert!(body["detail"].is_string());
    assert_eq!(
        body["request_id"].as_str().unwrap(),
        headers["x-request-id"].to_str().unwrap(),
        "the problem carries the request id"
    );
}

/// The core's stores over the local Neon endpoint, for tests of `db/` that no route
/// reaches yet: the same SQL the worker sends, through the same client.
pub mod store {
    use http::{Request, Response};
    use tora_core::clients::neon::{NeonClient, NeonConfig};
    use tora_core::ports::{Transport, TransportError};
    use tora_core::secret::Secret;
    use tora_dev::tokens::SystemClock;

    /// Sends the core's requests with reqwest.
    pub struct ReqwestTransport(reqwest::Client);

    impl Transport for ReqwestTransport {
        async fn send(
            &self,
            request: Request<Vec<u8>>,
        ) -> Result<Response<Vec<u8>>, TransportError> {
            let (parts, body) = request.into_parts();
            let host = parts.uri.host().unwrap_or_default().to_owned();
            let mut outgoing = self
                .0
                .request(parts.method, parts.uri.to_string())
                .body(body);
            for (name, value) in &parts.headers {
                outgoing = outgoing.header(name, value);
            }
            let response = outgoing
                .send()
                .await
                .map_err(|error| TransportError::Unreachable {
                    host: host.clone(),
                    reason: error.to_string(),
                })?;
            let mut built = Response::builder().status(response.status());
            for (name, value) in response.headers() {
                built = built.header(name, value);
            }
            let bytes = response
                .bytes()
                .await
                .map_err(|error| TransportError::Unreachable {
                    host,
                    reason: error.to_string(),
                })?;
            Ok(built.body(bytes.to_vec()).unwrap())
        }
    }

    /// What a `NeonClient` borrows, owned by the test.
    pub struct Db {
        pub config: NeonConfig,
        pub transport: ReqwestTransport,
        pub clock: SystemClock,
    }

    impl Db {
        pub fn new(stack: &super::Stack) -> Self {
            Self {
                config: NeonConfig {
                    sql_url: format!("{}/sql", stack.neon_url),
                    connection_string: Secret::new("postgresql://tora:tora@localhost/tora"),
                },
                transport: ReqwestTransport(reqwest::Client::new()),
                clock: SystemClock,
            }
        }

        pub fn client(&self) -> NeonClient<'_, ReqwestTransport, SystemClock> {
            NeonClient::new(&self.config, &self.transport, &self.clock)
        }
    }
}

/// Runs every future at once (all requests in flight together) and returns their
/// outputs in order.
pub async fn join_all<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let mut pending: Vec<_> = futures.into_iter().map(Box::pin).map(Some).collect();
    let mut done: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|context| {
        let mut all = true;
        for (slot, output) in pending.iter_mut().zip(done.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(context) {
                    std::task::Poll::Ready(value) => {
                        *output = Some(value);
                        *slot = None;
                    }
                    std::task::Poll::Pending => all = false,
                }
            }
        }
        if all {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    done.into_iter().map(Option::unwrap).collect()
}
