//! The HTTP pipeline through `tora_core::http::handle`, natively: edge checks, auth,
//! problem documents and what reaches the database. The database is a fake Neon
//! endpoint that answers the statements these routes send and records them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../auth/support.rs"]
#[allow(dead_code)]
mod support;

mod exercises;

use std::cell::{Cell, RefCell};

use http::{Request, Response};
use serde_json::{Value, json};
use tora_core::auth::JwksCache;
use tora_core::config::{Config, ConfigError};
use tora_core::http::{Handled, Platform, handle};
use tora_core::ports::{Ids, RateLimitScope, RateLimiter, Transport, TransportError};

use support::{FakeClock, NOW, RustCryptoVerifier};

const USER_ID: &str = "0b7e4c2a-1111-4222-8333-444455556666";

/// A Neon endpoint double: answers by the statement's shape and keeps every body.
#[derive(Default)]
struct FakeNeon {
    bodies: RefCell<Vec<Value>>,
    down: Cell<bool>,
    /// The account is gone by the time a profile update runs (erased by a concurrent
    /// `DELETE /v1/me`): the update matches no row.
    erased_before_update: Cell<bool>,
}

fn user_row(units: &str, display_name: Value) -> Value {
    json!([
        USER_ID,
        support::SUBJECT,
        null,
        display_name,
        units,
        "UTC",
        "templated",
        null,
        "0",
        false,
        "300000",
        "2026-11-25 10:00:00.123+00",
        "2026-11-25 10:00:00.123+00"
    ])
}

fn result(columns: &[&str], rows: Vec<Value>) -> Value {
    json!({
        "fields": columns.iter().map(|name| json!({"name": name, "dataTypeID": 25, "tableID": 0, "columnID": 0, "dataTypeSize": -1, "dataTypeModifier": -1, "format": "text"})).collect::<Vec<_>>(),
        "rows": rows,
        "command": "SELECT",
        "rowCount": 1,
        "rowAsArray": true,
    })
}

const USER_COLUMNS: [&str; 13] = [
    "id",
    "auth_subject",
    "email",
    "display_name",
    "units",
    "timezone",
    "coach_style",
    "weekly_goal_days",
    "rest_days",
    "count_sides_separately",
    "credit_units",
    "created_at",
    "updated_at",
];

impl FakeNeon {
    /// Every statement sent, batches flattened, in order.
    fn statements(&self) -> Vec<String> {
        self.bodies
            .borrow()
            .iter()
            .flat_map(|body| match body["queries"].as_array() {
                Some(queries) => queries.iter().map(|query| query["query"].clone()).collect(),
                None => vec![body["query"].clone()],
            })
            .map(|sql| sql.as_str().unwrap_or_default().to_owned())
            .collect()
    }

    fn answer(query: &Value) -> Option<Value> {
        let sql = query["query"].as_str().unwrap_or_default();
        let params = &query["params"];
        if sql.starts_with("select 1") {
            Some(result(&["ok"], vec![json!([1])]))
        } else if sql.starts_with("with granted") {
            Some(result(&[], vec![]))
        } else if sql.starts_with("select id, auth_subject") {
            Some(result(&USER_COLUMNS, vec![user_row("kg", Value::Null)]))
        } else if sql.starts_with("update users") {
            Some(result(
                &USER_COLUMNS,
                vec![user_row(
                    params[3].as_str().unwrap_or("kg"),
                    params[2].clone(),
                )],
            ))
        } else {
            None
        }
    }
}

impl Transport for FakeNeon {
    async fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        if self.down.get() {
            return Err(TransportError::Unreachable {
                host: "neon".into(),
                reason: "refused".into(),
            });
        }
        assert_eq!(
            request.uri(),
            "http://neon.test/sql",
            "only the database is called"
        );
        let body: Value = serde_json::from_slice(request.body()).unwrap();
        self.bodies.borrow_mut().push(body.clone());
        let sql = body["query"].as_str().unwrap_or_default();
        if self.erased_before_update.get() && sql.starts_with("update users") {
            return Ok(Response::new(
                result(&USER_COLUMNS, vec![]).to_string().into_bytes(),
            ));
        }
        let answer = match body["queries"].as_array() {
            Some(queries) => queries
                .iter()
                .map(FakeNeon::answer)
                .collect::<Option<Vec<_>>>()
                .map(|results| json!({"results": results})),
            None => FakeNeon::answer(&body),
        };
        Ok(match answer {
            Some(answer) => Response::new(answer.to_string().into_bytes()),
            None => Response::builder()
                .status(400)
                .body(br#"{"message":"unexpected statement","code":"42601"}"#.to_vec())
                .unwrap(),
        })
    }
}

/// Counts up from 1. After `fail_after` draws it behaves like a runtime whose
/// randomness broke: it answers the nil uuid and the platform reports the failure.
#[derive(Default)]
struct SequentialIds {
    drawn: Cell<u128>,
    fail_after: Cell<Option<u128>>,
    failed: Cell<bool>,
}

impl Ids for SequentialIds {
    fn new_uuid(&self) -> uuid::Uuid {
        if self
            .fail_after
            .get()
            .is_some_and(|limit| self.drawn.get() >= limit)
        {
            self.failed.set(true);
            return uuid::Uuid::nil();
        }
        self.drawn.set(self.drawn.get() + 1);
        uuid::Uuid::from_u128(self.drawn.get())
    }
}

/// Denies the scopes listed in `deny`; records every key it was asked about.
#[derive(Default)]
struct FakeLimiter {
    deny: RefCell<Vec<RateLimitScope>>,
    keys: RefCell<Vec<(RateLimitScope, String)>>,
}

impl RateLimiter for FakeLimiter {
    async fn allow(&self, scope: RateLimitScope, key: &str) -> bool {
        self.keys.borrow_mut().push((scope, key.to_owned()));
        !self.deny.borrow().contains(&scope)
    }
}

struct FakePlatform {
    neon: FakeNeon,
    verifier: RustCryptoVerifier,
    clock: FakeClock,
    ids: SequentialIds,
    limiter: FakeLimiter,
}

impl Platform for FakePlatform {
    type Transport = FakeNeon;
    type Verifier = RustCryptoVerifier;
    type Clock = FakeClock;
    type Ids = SequentialIds;
    type RateLimiter = FakeLimiter;
    type Sleep = FakeClock;

    fn transport(&self) -> &FakeNeon {
        &self.neon
    }
    fn verifier(&self) -> &RustCryptoVerifier {
        &self.verifier
    }
    fn clock(&self) -> &FakeClock {
        &self.clock
    }
    fn ids(&self) -> &SequentialIds {
        &self.ids
    }
    fn rate_limiter(&self) -> &FakeLimiter {
        &self.limiter
    }
    fn sleep(&self) -> &FakeClock {
        &self.clock
    }
    fn failure(&self) -> Option<String> {
        self.ids
            .failed
            .get()
            .then(|| "randomness unavailable".to_owned())
    }
}

struct App {
    config: Config,
    platform: FakePlatform,
    jwks: JwksCache,
}

impl App {
    fn new() -> Self {
        let config = Config::from_lookup(|name| {
            match name {
                "JWT_HS256_SECRET" => Some(support::SECRET),
                "JWT_ISSUER" => Some(support::ISSUER),
                "JWT_AUDIENCE" => Some(support::AUDIENCE),
                "NEON_SQL_URL" => Some("http://neon.test/sql"),
                "DATABASE_URL" => Some("postgresql://tora:pw@neon.test/tora"),
                "CORS_ALLOWED_ORIGINS" => Some("https://app.tora.test"),
                "SUBJECT_HASH_KEY" => Some("subject-hash-key"),
                "ADMIN_API_SECRET" => Some("admin-secret"),
                _ => None,
            }
            .map(str::to_owned)
        })
        .unwrap();
        Self {
            config,
            platform: FakePlatform {
                neon: FakeNeon::default(),
                verifier: RustCryptoVerifier,
                clock: FakeClock::at(NOW),
                ids: SequentialIds::default(),
                limiter: FakeLimiter::default(),
            },
            jwks: JwksCache::new(),
        }
    }

    async fn send(&self, request: Request<Vec<u8>>) -> Handled {
        handle(request, Ok(&self.config), &self.jwks, &self.platform).await
    }
}

fn token() -> String {
    support::hs256_token(&support::claims())
}

fn get(path: &str) -> http::request::Builder {
    Request::builder().method("GET").uri(path)
}

fn authed(method: &str, path: &str) -> http::request::Builder {
    Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {}", token()))
}

fn body(handled: &Handled) -> Value {
    serde_json::from_slice(handled.response.body()).unwrap()
}

/// The cause a 5xx logged, or "" when none was.
fn logged_error(handled: &Handled) -> &str {
    handled.log.error.as_deref().unwrap_or_default()
}

fn assert_problem(handled: &Handled, status: u16, slug: &str) -> Value {
    let response = &handled.response;
    assert_eq!(
        response.status(),
        status,
        "{}",
        String::from_utf8_lossy(response.body())
    );
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body = body(handled);
    assert_eq!(body["type"], format!("urn:tora:problem:{slug}"));
    assert_eq!(body["status"], status);
    assert_eq!(
        body["request_id"],
        response.headers()["x-request-id"].to_str().unwrap()
    );
    assert_eq!(handled.log.status, status);
    body
}

#[tokio::test]
async fn unknown_paths_are_404_problems_with_request_id_and_security_headers() {
    let app = App::new();
    let handled = app.send(get("/v2/nothing").body(Vec::new()).unwrap()).await;
    let body = assert_problem(&handled, 404, "not-found");
    assert_eq!(body["instance"], "/v2/nothing");
    let headers = handled.response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(headers.contains_key("strict-transport-security"));
    assert!(headers.contains_key("content-security-policy"));
    assert_eq!(handled.log.route, "unmatched");
}

#[tokio::test]
async fn wrong_methods_are_405_and_list_the_allowed_ones() {
    let app = App::new();
    let handled = app
        .send(authed("PUT", "/v1/me").body(Vec::new()).unwrap())
        .await;
    assert_problem(&handled, 405, "method-not-allowed");
    assert_eq!(
        handled.response.headers()["allow"],
        "GET, HEAD, PATCH, DELETE"
    );
    let handled = app
        .send(authed("PUT", "/health").body(Vec::new()).unwrap())
        .await;
    assert_eq!(handled.response.headers()["allow"], "GET, HEAD");
    assert!(app.platform.neon.statements().is_empty());
}

/// Every header of `response` except the request id, which is fresh per request.
fn headers_but_request_id(response: &Response<Vec<u8>>) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| name.as_str() != "x-request-id")
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
        .collect();
    headers.sort();
    headers
}

#[tokio::test]
async fn head_answers_what_get_would_without_the_body() {
    let app = App::new();
    let requests = [
        ("/health", false),
        ("/v1/me", true),
        ("/v1/me", false),
        ("/v1/nothing", false),
    ];
    for (path, with_token) in requests {
        let request = |method: &str| {
            let builder = if with_token {
                authed(method, path)
            } else {
                Request::builder().method(method).uri(path)
            };
            builder.body(Vec::new()).unwrap()
        };
        let got = app.send(request("GET")).await;
        let head = app.send(request("HEAD")).await;
        assert_eq!(head.response.status(), got.response.status(), "{path}");
        assert!(head.response.body().is_empty(), "{path}: HEAD has no body");
        assert!(!got.response.body().is_empty(), "{path}");
        assert_eq!(
            head.response.headers()["content-length"],
            got.response.body().len().to_string().as_str(),
            "{path}: the length GET's body has"
        );
        let mut expected = headers_but_request_id(&got.response);
        expected.push((
            "content-length".to_owned(),
            got.response.body().len().to_string(),
        ));
        expected.sort();
        assert_eq!(headers_but_request_id(&head.response), expected, "{path}");
        assert_eq!(head.log.method, "HEAD");
    }
}

#[tokio::test]
async fn non_json_bodies_are_415_before_authentication() {
    let app = App::new();
    let request = Request::builder()
        .method("PATCH")
        .uri("/v1/me")
        .header("content-type", "text/plain")
        .body(b"units=lb".to_vec())
        .unwrap();
    assert_problem(&app.send(request).await, 415, "unsupported-media-type");
    assert!(app.platform.neon.statements().is_empty());
}

#[tokio::test]
async fn bodies_over_the_route_limit_are_413_declared_or_not() {
    let app = App::new();
    let big = format!(r#"{{"display_name":"{}"}}"#, "a".repeat(5000));
    let declared = authed("PATCH", "/v1/me")
        .header("content-type", "application/json")
        .header("content-length", big.len().to_string())
        .body(big.clone().into_bytes())
        .unwrap();
    let handled = app.send(declared).await;
    assert_problem(&handled, 413, "payload-too-large");
    assert!(
        app.platform.neon.statements().is_empty(),
        "refused before touching the database"
    );

    let undeclared = authed("PATCH", "/v1/me")
        .header("content-type", "application/json")
        .body(big.into_bytes())
        .unwrap();
    assert_problem(&app.send(undeclared).await, 413, "payload-too-large");
    assert!(
        !app.platform
            .neon
            .statements()
            .iter()
            .any(|sql| sql.starts_with("update")),
        "nothing was updated"
    );
}

#[tokio::test]
async fn a_profile_change_racing_the_accounts_erasure_is_a_retryable_409_not_a_500() {
    let app = App::new();
    app.platform.neon.erased_before_update.set(true);
    let request = authed("PATCH", "/v1/me")
        .header("content-type", "application/json")
        .body(br#"{"units": "lb", "count_sides_separately": true}"#.to_vec())
        .unwrap();
    let handled = app.send(request).await;
    assert_problem(&handled, 409, "conflict-retry");
    assert!(
        app.platform
            .neon
            .statements()
            .iter()
            .any(|sql| sql.starts_with("update users")),
        "the update ran and matched nothing"
    );
}

#[tokio::test]
async fn missing_or_bad_tokens_are_401_with_a_bearer_challenge() {
    let app = App::new();
    let handled = app.send(get("/v1/me").body(Vec::new()).unwrap()).await;
    let body = assert_problem(&handled, 401, "unauthenticated");
    assert_eq!(body["reason"], "missing_token");
    assert_eq!(
        handled.response.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );

    let tampered = format!("{}x", token());
    let handled = app
        .send(
            get("/v1/me")
                .header("authorization", format!("Bearer {tampered}"))
                .body(Vec::new())
                .unwrap(),
        )
        .await;
    assert_problem(&handled, 401, "unauthenticated");
    assert!(
        !handled.log.to_line().contains(&tampered),
        "tokens never reach the log"
    );
    assert!(app.platform.neon.statements().is_empty());
}

#[tokio::test]
async fn per_ip_limits_answer_429_with_retry_after() {
    let app = App::new();
    app.platform
        .limiter
        .deny
        .borrow_mut()
        .push(RateLimitScope::PerIp);
    let handled = app
        .send(
            get("/health")
                .header("cf-connecting-ip", "203.0.113.9")
                .body(Vec::new())
                .unwrap(),
        )
        .await;
    assert_problem(&handled, 429, "rate-limited");
    assert_eq!(handled.response.headers()["retry-after"], "60");
    assert_eq!(
        app.platform.limiter.keys.borrow()[0],
        (RateLimitScope::PerIp, "203.0.113.9".to_owned())
    );
}

#[tokio::test]
async fn per_user_limits_are_keyed_by_subject_after_authentication() {
    let app = App::new();
    app.platform
        .limiter
        .deny
        .borrow_mut()
        .push(RateLimitScope::PerUser);
    let handled = app
        .send(authed("GET", "/v1/me").body(Vec::new()).unwrap())
        .await;
    assert_problem(&handled, 429, "rate-limited");
    assert!(
        app.platform
            .limiter
            .keys
            .borrow()
            .contains(&(RateLimitScope::PerUser, support::SUBJECT.to_owned()))
    );
    assert!(
        app.platform.neon.statements().is_empty(),
        "no user provisioned while limited"
    );
}

#[tokio::test]
async fn cors_serves_listed_origins_and_refuses_others() {
    let app = App::new();
    let handled = app
        .send(
            get("/health")
                .header("origin", "https://app.tora.test")
                .body(Vec::new())
                .unwrap(),
        )
        .await;
    assert_eq!(handled.response.status(), 200);
    assert_eq!(
        handled.response.headers()["access-control-allow-origin"],
        "https://app.tora.test"
    );

    let handled = app
        .send(
            get("/health")
                .header("origin", "https://evil.test")
                .body(Vec::new())
                .unwrap(),
        )
        .await;
    assert_problem(&handled, 403, "origin-not-allowed");
    assert!(
        !handled
            .response
            .headers()
            .contains_key("access-control-allow-origin")
    );

    let preflight = Request::builder()
        .method("OPTIONS")
        .uri("/v1/me")
        .header("origin", "https://app.tora.test")
        .header("access-control-request-method", "PATCH")
        .body(Vec::new())
        .unwrap();
    let handled = app.send(preflight).await;
    assert_eq!(handled.response.status(), 204);
    let headers = handled.response.headers();
    assert_eq!(
        headers["access-control-allow-methods"],
        "GET, HEAD, PATCH, DELETE"
    );
    assert!(
        headers["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("authorization")
    );
}

#[tokio::test]
async fn health_reports_a_database_outage_as_503() {
    let app = App::new();
    let handled = app.send(get("/health").body(Vec::new()).unwrap()).await;
    assert_eq!(handled.response.status(), 200);
    assert_eq!(body(&handled), json!({"status": "ok", "database": "ok"}));
    assert_eq!(handled.log.db_round_trips, 1);

    app.platform.neon.down.set(true);
    let handled = app.send(get("/health").body(Vec::new()).unwrap()).await;
    assert_eq!(handled.response.status(), 503);
    assert_eq!(body(&handled)["database"], "unavailable");
}

#[tokio::test]
async fn database_outages_on_user_routes_are_503_problems() {
    let app = App::new();
    app.platform.neon.down.set(true);
    let handled = app
        .send(authed("GET", "/v1/me").body(Vec::new()).unwrap())
        .await;
    assert_problem(&handled, 503, "database-unavailable");
    assert_eq!(handled.response.headers()["retry-after"], "5");
    assert!(handled.log.error.is_some(), "the cause is logged");
}

#[tokio::test]
async fn invalid_profile_patches_are_422_and_never_reach_the_database() {
    let app = App::new();
    let request = authed("PATCH", "/v1/me")
        .header("content-type", "application/json; charset=utf-8")
        .body(br#"{"units":"stone","timezone":"Nowhere/Special"}"#.to_vec())
        .unwrap();
    let handled = app.send(request).await;
    let body = assert_problem(&handled, 422, "validation-failed");
    assert_eq!(body["errors"][0]["field"], "units");
    assert_eq!(body["errors"][1]["field"], "timezone");
    assert!(
        app.platform.neon.statements().is_empty(),
        "bad input never reaches the database"
    );
}

#[tokio::test]
async fn text_that_breaks_the_text_rule_is_422_naming_the_field_before_the_database() {
    let app = App::new();
    let workout = format!("/v1/workouts/{USER_ID}");
    let pull_ups = json!([{"exercise": "pull_up", "sets": [{"reps": 5}]}]);
    let cases = [
        (
            "POST",
            "/v1/chat",
            json!({"message": "3x8 pull-ups\u{0}", "client_message_id": "m-1"}),
            "message",
        ),
        (
            "POST",
            "/v1/chat",
            json!({"message": "\u{200b}\u{200b}", "client_message_id": "m-1"}),
            "message",
        ),
        (
            "POST",
            "/v1/chat",
            json!({"message": "\u{1b}[2J3x8 pull-ups", "client_message_id": "m-1"}),
            "message",
        ),
        (
            "POST",
            "/v1/chat",
            json!({"message": "3x8 pull-ups", "client_message_id": "m\u{0}1"}),
            "client_message_id",
        ),
        (
            "POST",
            "/v1/workouts",
            json!({"notes": "good\u{0}", "entries": pull_ups}),
            "notes",
        ),
        (
            "POST",
            "/v1/workouts",
            json!({"notes": "\u{feff}", "entries": pull_ups}),
            "notes",
        ),
        (
            "POST",
            "/v1/workouts",
            json!({"notes": "ž".repeat(2001), "entries": pull_ups}),
            "notes",
        ),
        (
            "POST",
            "/v1/workouts",
            json!({"entries": [{"custom_exercise": "Farmer\u{0}walk", "sets": [{"reps": 5}]}]}),
            "entries[0].custom_exercise",
        ),
        (
            "POST",
            "/v1/workouts",
            json!({"entries": [{"custom_exercise": "Farmer\twalk", "sets": [{"reps": 5}]}]}),
            "entries[0].custom_exercise",
        ),
        ("PATCH", &workout, json!({"notes": "good\u{7}"}), "notes"),
        (
            "PATCH",
            &workout,
            json!({"notes": "ž".repeat(2001)}),
            "notes",
        ),
        (
            "PATCH",
            &workout,
            json!({"entries": [{"custom_exercise": "\u{2060}", "sets": [{"reps": 5}]}]}),
            "entries[0].custom_exercise",
        ),
        (
            "PATCH",
            "/v1/me",
            json!({"display_name": "Ana\u{0}"}),
            "display_name",
        ),
        (
            "PATCH",
            "/v1/me",
            json!({"display_name": "Ana\nBob"}),
            "display_name",
        ),
        (
            "PATCH",
            "/v1/me",
            json!({"display_name": "\u{200b}"}),
            "display_name",
        ),
    ];
    for (method, path, body, field) in cases {
        let request = authed(method, path)
            .header("content-type", "application/json")
            .body(body.to_string().into_bytes())
            .unwrap();
        let handled = app.send(request).await;
        let problem = assert_problem(&handled, 422, "validation-failed");
        assert_eq!(
            problem["errors"][0]["field"], field,
            "{method} {path} {body}"
        );
    }
    assert!(
        app.platform.neon.statements().is_empty(),
        "refused before the database"
    );
}

#[tokio::test]
async fn a_token_email_that_cannot_be_stored_is_dropped_and_the_user_gets_in() {
    let app = App::new();
    let claims = support::claims_with(json!({"email": "ada\u{0}@example.com"}));
    let request = get("/v1/me")
        .header(
            "authorization",
            format!("Bearer {}", support::hs256_token(&claims)),
        )
        .body(Vec::new())
        .unwrap();
    let handled = app.send(request).await;
    assert_eq!(handled.response.status(), 200, "{}", body(&handled));
    let provision = app.platform.neon.bodies.borrow()[0]["queries"][0].clone();
    assert!(
        provision["query"]
            .as_str()
            .unwrap()
            .contains("insert into users (id, auth_subject, email"),
        "{provision}"
    );
    assert_eq!(provision["params"][2], Value::Null, "no email is stored");
}

#[tokio::test]
async fn a_patch_with_fields_by_position_is_422_and_changes_nothing() {
    let app = App::new();
    let request = authed("PATCH", "/v1/me")
        .header("content-type", "application/json")
        .body(br#"["Ana","lb","UTC"]"#.to_vec())
        .unwrap();
    let handled = app.send(request).await;
    let body = assert_problem(&handled, 422, "validation-failed");
    assert_eq!(body["errors"][0]["field"], "body");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expected a JSON object"),
        "{body}"
    );
    assert!(
        app.platform.neon.statements().is_empty(),
        "nothing reaches the database"
    );
}

#[tokio::test]
async fn dates_outside_the_supported_years_are_422_naming_the_field() {
    let app = App::new();
    let year_zero = "0000-01-01T00:00:00Z";
    let bodies = [
        (
            "POST",
            "/v1/workouts".to_owned(),
            json!({"performed_at": year_zero, "entries": [{"exercise": "pull_up", "sets": [{"reps": 5}]}]}),
        ),
        (
            "PATCH",
            format!("/v1/workouts/{USER_ID}"),
            json!({"performed_at": "1899-12-31T23:59:59Z"}),
        ),
    ];
    for (method, path, body) in bodies {
        let request = authed(method, &path)
            .header("content-type", "application/json")
            .body(body.to_string().into_bytes())
            .unwrap();
        let handled = app.send(request).await;
        let problem = assert_problem(&handled, 422, "validation-failed");
        assert_eq!(
            problem["errors"][0]["field"], "performed_at",
            "{method} {path}"
        );
        assert_eq!(
            problem["errors"][0]["message"],
            "must be in the years 1900 to 2200"
        );
    }
    assert!(
        app.platform.neon.statements().is_empty(),
        "refused before the database"
    );

    for (query, field) in [
        ("/v1/workouts?from=0000-01-01", "from"),
        ("/v1/workouts?to=0000-01-01", "to"),
        ("/v1/workouts?from=2201-01-01T00:00:00Z", "from"),
        ("/v1/stats/exercises/pull_up?from=0000-01-01", "from"),
        ("/v1/stats/exercises/pull_up?to=0000-01-01", "to"),
    ] {
        let handled = app
            .send(authed("GET", query).body(Vec::new()).unwrap())
            .await;
        let problem = assert_problem(&handled, 422, "validation-failed");
        assert_eq!(problem["errors"][0]["field"], field, "{query}");
    }
}

#[tokio::test]
async fn a_valid_patch_is_one_update_with_cast_parameters() {
    let app = App::new();
    let request = authed("PATCH", "/v1/me")
        .header("content-type", "application/json")
        .body(br#"{"units":"lb","display_name":"  Ana "}"#.to_vec())
        .unwrap();
    let handled = app.send(request).await;
    assert_eq!(handled.response.status(), 200, "{}", logged_error(&handled));
    let me = body(&handled);
    assert_eq!(me["units"], "lb");
    assert_eq!(me["display_name"], "Ana");
    assert_eq!(me["credits"]["balance"], 100);
    let bodies = app.platform.neon.bodies.borrow();
    let update = &bodies[1];
    assert!(
        update["query"]
            .as_str()
            .unwrap()
            .starts_with("update users")
    );
    assert_eq!(
        update["params"],
        json!([
            USER_ID, "true", "Ana", "lb", null, null, "false", null, null, null
        ]),
        "absent fields are kept: no goal change, no rest-day change, no side counting change"
    );
    assert_eq!(handled.log.db_round_trips, 2);
}

#[tokio::test]
async fn a_misconfigured_deployment_answers_500_without_details() {
    let app = App::new();
    let error = ConfigError::Missing("DATABASE_URL");
    let handled = handle(
        get("/health").body(Vec::new()).unwrap(),
        Err(&error),
        &app.jwks,
        &app.platform,
    )
    .await;
    let body = assert_problem(&handled, 500, "internal");
    assert!(!body.to_string().contains("DATABASE_URL"));
    assert!(logged_error(&handled).contains("DATABASE_URL"));
}

#[tokio::test]
async fn without_randomness_every_request_is_a_500_that_does_no_work() {
    let app = App::new();
    app.platform.ids.fail_after.set(Some(0));
    let handled = app
        .send(authed("GET", "/v1/me").body(Vec::new()).unwrap())
        .await;
    let body = assert_problem(&handled, 500, "internal");
    assert!(
        !body.to_string().contains("randomness"),
        "causes stay in the log"
    );
    assert!(logged_error(&handled).contains("randomness unavailable"));
    assert!(
        app.platform.neon.statements().is_empty(),
        "no user is provisioned under an id that is not random"
    );
}

#[tokio::test]
async fn randomness_failing_mid_request_spoils_the_answer() {
    let app = App::new();
    // The request id is drawn; the new user's ids are not.
    app.platform.ids.fail_after.set(Some(1));
    let handled = app
        .send(authed("GET", "/v1/me").body(Vec::new()).unwrap())
        .await;
    assert_problem(&handled, 500, "internal");
    assert!(logged_error(&handled).contains("randomness unavailable"));
}

#[tokio::test]
async fn the_openapi_document_is_public_json_through_the_same_edge_rules() {
    let app = App::new();
    let handled = app
        .send(
            get("/openapi.json")
                .header("origin", "https://app.tora.test")
                .body(Vec::new())
                .unwrap(),
        )
        .await;
    let response = &handled.response;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.tora.test"
    );
    assert!(response.headers().contains_key("x-request-id"));
    let document: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    assert!(document["paths"]["/openapi.json"]["get"].is_object());
    assert!(app.platform.neon.statements().is_empty(), "no database");

    let handled = app
        .send(
            Request::builder()
                .method("POST")
                .uri("/openapi.json")
                .body(Vec::new())
                .unwrap(),
        )
        .await;
    assert_problem(&handled, 405, "method-not-allowed");
    assert_eq!(handled.response.headers()["allow"], "GET, HEAD");
}
