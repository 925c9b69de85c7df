//! `tora-dev neon-local`: a local endpoint that speaks Neon's HTTP SQL protocol (what
//! `neon()` / `sql.transaction()` and the worker's Neon client send to `POST /sql`) over a
//! real Postgres, so the worker and the official driver can run against a database on
//! this machine.
//!
//! Behaviour follows the proxy: the request checks, the untyped text params, the result
//! and error JSON, batches as one transaction, the 10 MiB limits, and the CORS and
//! `Neon-Request-Id` headers. Differences that follow from being local:
//! - `Neon-Connection-String` is validated like the proxy does (user, password, database,
//!   a DNS host name, so `localhost` but not `127.0.0.1`), but its credentials are not used:
//!   every request runs on the database given by `--database-url`.
//! - The backing database is reached over plain TCP only (`sslmode=disable`).
//! - Non-raw value conversion knows the built-in types; arrays of user-defined types
//!   (an enum array, say) come back as their Postgres text, where the proxy would return
//!   a JSON array. The official driver always asks for raw text, so it is unaffected.
//! - `COPY ... FROM STDIN` is refused up front (the proxy fails it too), and a client that
//!   hangs up does not cancel its statements: they run to the end, then any open
//!   transaction is rolled back.
//! - On PGlite, requests run one at a time (see `session_limit`); on a real Postgres up
//!   to four run at once.
//!
//! For tests, `POST /__faults` `{"next": [{"kind": k, "scope": "sql text", "param": "v"}]}`
//! queues faults, each used once by the next `/sql` request one of whose statements
//! contains its `scope` and, when `param` is given, one of whose params is exactly
//! `param` (a user's id, say, so tests running at once do not take each other's): `unavailable` answers 500 without running anything (the database is
//! unreachable), `lost_response` runs the request (a batch commits) and then answers
//! 500 as if the connection broke before the answer arrived, `slow` waits `delay_ms`
//! (default 200) and then runs the request normally. For load runs, `POST /__faults`
//! `{"random": {"share": 0.1, "kinds": [k...], "seed": n, "delay_ms": ms}}` gives that
//! share of all later `/sql` requests a fault of a kind picked from the list (queued
//! faults go first). `DELETE /__faults` empties the queue and stops random faults.
//! `GET /__stats` counts the `/sql` requests served and the faults injected, by kind
//! (the bench's round trips per route). `POST /__record` starts keeping every `/sql`
//! request body with the answer it got; `GET /__record` returns them in order
//! (`[{"request": {...}, "status": 200, "response": {...}}]`), forgets them and stops:
//! the bench replays them to time the worker's own code without a database. Like the
//! rest, it listens on loopback only.
//!
//! Code map: `request` (headers, connection string, body), `encode` (params), `wire` (the
//! Postgres session), `pool`, `sql` (single statement and batch), `decode` (result JSON),
//! `errors` (error JSON and status), `json` (string escaping).

mod decode;
mod encode;
mod errors;
mod json;
mod pool;
mod request;
mod sql;
mod wire;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Body;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::random_faults::{RandomFaults, RandomFaultsSpec};
use errors::NeonError;
use pool::Pool;
use request::{Options, Payload};

/// The limit on a request body, like the proxy's default.
const MAX_REQUEST_BYTES: usize = 10 * 1024 * 1024;

const NEON_REQUEST_ID: HeaderName = HeaderName::from_static("neon-request-id");

/// Serves `POST /sql` on exactly `listen` until the process is stopped, running every
/// statement on the Postgres at `database_url` (plain TCP; trust, password, md5 or
/// SCRAM-SHA-256 login).
pub async fn serve(listen: SocketAddr, database_url: &str) -> anyhow::Result<()> {
    let config = wire::PgConfig::parse(database_url)?;
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("could not listen on {listen}: {e}"))?;
    let max_open = session_limit(&config).await;
    eprintln!(
        "neon-local: serving http://{listen}/sql on {} ({max_open} session{})",
        config.describe(),
        if max_open == 1 { "" } else { "s" }
    );
    let state = Arc::new(State::new(Pool::new(config, max_open)));
    loop {
        let (stream, _peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Running out of file descriptors and the like: keep serving.
                eprintln!("neon-local: accept failed: {error}");
                continue;
            }
        };
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(handle(state, request).await) }
            });
            if let Err(error) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("neon-local: connection error: {error}");
            }
        });
    }
}

/// How many sessions may be open at once. PGlite (the embedded database) runs a single
/// Postgres backend behind all its connections and interleaves their messages outside
/// explicit transactions, so two requests in flight at once can destroy each other's
/// unnamed statement ("unnamed prepared statement does not exist"). There, and when the
/// database cannot be asked at start-up, requests run one at a time. Requests never wait
/// on each other inside the database (a batch is one request), so this cannot deadlock.
async fn session_limit(config: &wire::PgConfig) -> usize {
    let version = match wire::Session::connect(config).await {
        Ok(mut session) => session
            .execute("select version()", &[], 64 * 1024)
            .await
            .map_err(|error| format!("{error:?}")),
        Err(error) => Err(error),
    };
    match version {
        Ok(output) if !is_pglite(&output) => pool::MAX_OPEN,
        Ok(_) => 1,
        Err(error) => {
            eprintln!("neon-local: warning: {error}; running one request at a time");
            1
        }
    }
}

fn is_pglite(version: &wire::QueryOutput) -> bool {
    version
        .rows
        .iter()
        .flatten()
        .flatten()
        .any(|text| text.contains("PGlite"))
}

struct State {
    pool: Pool,
    faults: std::sync::Mutex<Vec<Fault>>,
    random: std::sync::Mutex<Option<RandomFaults<FaultKind>>>,
    stats: std::sync::Mutex<Stats>,
    /// `Some` while recording.
    recorded: std::sync::Mutex<Option<Vec<serde_json::Value>>>,
}

/// What `GET /__stats` reports.
#[derive(Debug, Default, Clone, serde::Serialize)]
struct Stats {
    sql_requests: u64,
    injected: std::collections::BTreeMap<&'static str, u64>,
}

/// A failure injected into one future request.
#[derive(Debug, Clone, serde::Deserialize)]
struct Fault {
    kind: FaultKind,
    /// Text one of the request's statements must contain.
    scope: String,
    /// A value one of the request's params must be.
    #[serde(default)]
    param: Option<String>,
    /// How long a `slow` fault waits.
    #[serde(default)]
    delay_ms: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum FaultKind {
    Unavailable,
    LostResponse,
    Slow,
}

impl FaultKind {
    fn name(self) -> &'static str {
        match self {
            FaultKind::Unavailable => "unavailable",
            FaultKind::LostResponse => "lost_response",
            FaultKind::Slow => "slow",
        }
    }
}

/// The wait of a `slow` fault that names none.
const DEFAULT_SLOW_MS: u64 = 200;

impl State {
    fn new(pool: Pool) -> Self {
        Self {
            pool,
            faults: std::sync::Mutex::default(),
            random: std::sync::Mutex::default(),
            stats: std::sync::Mutex::default(),
            recorded: std::sync::Mutex::default(),
        }
    }

    /// The fault for this request, and a slow one's wait: a queued fault first, else a
    /// random one when they are on. Counts the request and the fault.
    fn fault_for(&self, payload: &Payload) -> Option<(FaultKind, u64)> {
        let fault = self.take_fault(payload).or_else(|| {
            let mut random = self.random.lock().ok()?;
            let random = random.as_mut()?;
            let kind = random.draw()?;
            Some((kind, random.delay_ms().unwrap_or(DEFAULT_SLOW_MS)))
        });
        if let Ok(mut stats) = self.stats.lock() {
            stats.sql_requests += 1;
            if let Some((kind, _)) = fault {
                *stats.injected.entry(kind.name()).or_default() += 1;
            }
        }
        fault
    }

    /// Takes the first queued fault whose scope one of `payload`'s statements contains.
    fn take_fault(&self, payload: &Payload) -> Option<(FaultKind, u64)> {
        let queries: Vec<&request::QueryData> = match payload {
            Payload::Single(query) => vec![query],
            Payload::Batch(batch) => batch.queries.iter().collect(),
        };
        let mut faults = self.faults.lock().ok()?;
        let index = faults.iter().position(|fault| {
            queries
                .iter()
                .any(|query| query.query.contains(&fault.scope))
                && fault.param.as_ref().is_none_or(|param| {
                    queries
                        .iter()
                        .flat_map(|query| &query.params)
                        .any(|value| value.as_deref() == Some(param.as_str()))
                })
        })?;
        let fault = faults.remove(index);
        Some((fault.kind, fault.delay_ms.unwrap_or(DEFAULT_SLOW_MS)))
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultRequest {
    #[serde(default)]
    next: Vec<Fault>,
    #[serde(default)]
    random: Option<RandomFaultsSpec<FaultKind>>,
}

async fn faults_response<B>(state: Arc<State>, request: Request<B>) -> Response<Full<Bytes>>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let Ok(mut faults) = state.faults.lock().map(|faults| faults.clone()) else {
        return plain_response(StatusCode::INTERNAL_SERVER_ERROR, "\"poisoned\"".into());
    };
    if request.method() == Method::DELETE {
        faults.clear();
        if let Ok(mut random) = state.random.lock() {
            *random = None;
        }
    } else {
        let body = match read_body(request.into_body()).await {
            Ok(body) => body,
            Err(error) => return plain_response(error.status(), error.to_json()),
        };
        let queued = serde_json::from_slice::<FaultRequest>(&body)
            .map_err(|error| error.to_string())
            .and_then(|queued| {
                let random = queued.random.map(RandomFaults::new).transpose()?;
                Ok((queued.next, random))
            });
        match queued {
            Ok((next, random)) => {
                faults.extend(next);
                if let (Some(random), Ok(mut shared)) = (random, state.random.lock()) {
                    *shared = Some(random);
                }
            }
            Err(error) => {
                return plain_response(
                    StatusCode::BAD_REQUEST,
                    serde_json::json!({"message": error}).to_string(),
                );
            }
        }
    }
    let queued = faults.len();
    if let Ok(mut shared) = state.faults.lock() {
        *shared = faults;
    }
    plain_response(
        StatusCode::OK,
        serde_json::json!({"queued": queued}).to_string(),
    )
}

fn record_response(state: &State, method: &Method) -> Response<Full<Bytes>> {
    let Ok(mut recorded) = state.recorded.lock() else {
        return plain_response(StatusCode::INTERNAL_SERVER_ERROR, "\"poisoned\"".into());
    };
    if *method == Method::POST {
        *recorded = Some(Vec::new());
        return plain_response(StatusCode::OK, "{\"recording\": true}".into());
    }
    let pairs = recorded.take().unwrap_or_default();
    plain_response(StatusCode::OK, serde_json::Value::Array(pairs).to_string())
}

/// Keeps one request and its answer while recording.
fn record(state: &State, request: &Bytes, status: StatusCode, response: &str) {
    let Ok(mut recorded) = state.recorded.lock() else {
        return;
    };
    if let Some(pairs) = recorded.as_mut() {
        let parse = |bytes: &[u8]| serde_json::from_slice(bytes).unwrap_or(serde_json::Value::Null);
        pairs.push(serde_json::json!({
            "request": parse(request),
            "status": status.as_u16(),
            "response": parse(response.as_bytes()),
        }));
    }
}

fn stats_response(state: &State) -> Response<Full<Bytes>> {
    let stats = state
        .stats
        .lock()
        .map(|stats| stats.clone())
        .unwrap_or_default();
    plain_response(
        StatusCode::OK,
        serde_json::to_string(&stats).unwrap_or_default(),
    )
}

/// Extra text for the request's log line; never SQL, params or values.
#[derive(Clone)]
struct LogNote(String);

/// Answers one HTTP request: routing, then the headers every response carries, then one
/// log line.
async fn handle<B>(state: Arc<State>, request: Request<B>) -> Response<Full<Bytes>>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let started = now();
    // The proxy keeps a request id the client sent, and makes one up otherwise.
    let request_id = request
        .headers()
        .get(&NEON_REQUEST_ID)
        .and_then(|value| uuid::Uuid::try_parse_ascii(value.as_bytes()).ok())
        .unwrap_or_else(uuid::Uuid::new_v4);
    let method = request.method().clone();
    let path = request.uri().path().to_string();

    let mut response = match (&method, path.as_str()) {
        (&Method::POST, "/sql") => sql_response(state, request).await,
        (&Method::OPTIONS, "/sql") => preflight_response(),
        (&Method::POST | &Method::DELETE, "/__faults") => faults_response(state, request).await,
        (&Method::GET, "/__stats") => stats_response(&state),
        (&Method::POST | &Method::GET, "/__record") => record_response(&state, &method),
        _ => plain_response(StatusCode::BAD_REQUEST, "\"query is not supported\"".into()),
    };

    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    if let Ok(value) = HeaderValue::from_str(&request_id.to_string()) {
        headers.insert(NEON_REQUEST_ID, value);
    }
    let note = response
        .extensions()
        .get::<LogNote>()
        .map(|note| format!(" {}", note.0))
        .unwrap_or_default();
    eprintln!(
        "neon-local: {method} {path} {} {}ms{note}",
        response.status().as_u16(),
        started.elapsed().as_millis()
    );
    response
}

#[expect(
    clippy::disallowed_methods,
    reason = "the clock ban is for the wasm worker; this native tool only times requests"
)]
fn now() -> Instant {
    Instant::now()
}

fn preflight_response() -> Response<Full<Bytes>> {
    let mut response = plain_response(StatusCode::OK, String::new());
    let headers = response.headers_mut();
    headers.insert(
        http::header::ALLOW,
        HeaderValue::from_static("OPTIONS, POST"),
    );
    headers.insert(
        http::header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(
            "Authorization, Neon-Connection-String, Neon-Raw-Text-Output, Neon-Array-Mode, Neon-Pool-Opt-In, Neon-Batch-Read-Only, Neon-Batch-Isolation-Level",
        ),
    );
    headers.insert(
        http::header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    response
}

fn plain_response(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
}

async fn sql_response<B>(state: Arc<State>, request: Request<B>) -> Response<Full<Bytes>>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match handle_sql(state, request).await {
        Ok((body, echoed)) => {
            let mut response = plain_response(StatusCode::OK, body);
            response.headers_mut().extend(echoed);
            response
        }
        Err(error) => {
            let mut response = plain_response(error.status(), error.to_json());
            // A Postgres error's message can quote values, so only its code is logged.
            let note = match &error {
                NeonError::Postgres(pg) => pg.code.clone().unwrap_or_default(),
                other => other.message(),
            };
            response.extensions_mut().insert(LogNote(note));
            response
        }
    }
}

/// Checks the request in the proxy's order (connection string, headers, body), then runs
/// it. Returns the body and, for a batch, the `Neon-Batch-*` headers to echo.
async fn handle_sql<B>(
    state: Arc<State>,
    request: Request<B>,
) -> Result<(String, Vec<(HeaderName, HeaderValue)>), NeonError>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (parts, body) = request.into_parts();
    request::connection_info(&parts.headers)?;
    let options = Options::from_headers(&parts.headers)?;
    let body = read_body(body).await?;
    let result = run_sql(Arc::clone(&state), options, &body).await;
    match &result {
        Ok((answer, _)) => record(&state, &body, StatusCode::OK, answer),
        Err(error) => record(&state, &body, error.status(), &error.to_json()),
    }
    result
}

/// Runs a read request body: parse, faults, then the statements.
async fn run_sql(
    state: Arc<State>,
    options: Options,
    body: &Bytes,
) -> Result<(String, Vec<(HeaderName, HeaderValue)>), NeonError> {
    let payload = Payload::parse(body)?;
    let echoed = match &payload {
        Payload::Batch(_) => batch_headers(&options),
        Payload::Single(_) => Vec::new(),
    };
    let fault = state.fault_for(&payload);
    if let Some((FaultKind::Slow, delay_ms)) = fault {
        tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
    }
    let fault = fault.map(|(kind, _)| kind);
    if fault == Some(FaultKind::Unavailable) {
        return Err(NeonError::Internal(
            "injected fault: the database is unreachable".into(),
        ));
    }
    // The statements run in their own task, so a client that hangs up mid-batch cannot
    // cancel them halfway: the transaction still ends (COMMIT or ROLLBACK) and the session
    // goes back to the pool. An open transaction would block the embedded database.
    let task = tokio::spawn(async move {
        let mut lease = state.pool.get().await.map_err(|error| {
            NeonError::Internal(format!(
                "neon-local could not connect to its database: {error}"
            ))
        })?;
        let result = sql::run(&mut lease.session, &payload, &options).await;
        state.pool.put(lease);
        result
    });
    let body = task
        .await
        .map_err(|error| NeonError::Internal(format!("the query task failed: {error}")))??;
    if fault == Some(FaultKind::LostResponse) {
        return Err(NeonError::Internal(
            "injected fault: the connection broke after the request ran".into(),
        ));
    }
    Ok((body, echoed))
}

async fn read_body<B>(body: B) -> Result<Bytes, NeonError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => {
            Err(NeonError::RequestTooLarge(MAX_REQUEST_BYTES))
        }
        Err(error) => Err(NeonError::BadRequest(format!(
            "could not read the HTTP request body: {error}"
        ))),
    }
}

/// The batch options a successful batch echoes, spelled like the request headers.
fn batch_headers(options: &Options) -> Vec<(HeaderName, HeaderValue)> {
    let mut headers = Vec::new();
    if options.read_only {
        headers.push((
            HeaderName::from_static(request::BATCH_READ_ONLY),
            HeaderValue::from_static("true"),
        ));
    }
    if options.deferrable {
        headers.push((
            HeaderName::from_static(request::BATCH_DEFERRABLE),
            HeaderValue::from_static("true"),
        ));
    }
    if let Some(level) = options.isolation_level {
        headers.push((
            HeaderName::from_static(request::BATCH_ISOLATION_LEVEL),
            HeaderValue::from_static(level.header_value()),
        ));
    }
    headers
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// A state whose database is a port nobody listens on: every check that happens
    /// before connecting can be tested without Postgres.
    fn state_without_database() -> Arc<State> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let config = wire::PgConfig::parse(&format!(
            "postgres://u:p@127.0.0.1:{port}/db?sslmode=disable"
        ))
        .unwrap();
        Arc::new(State::new(Pool::new(config, 1)))
    }

    #[tokio::test]
    async fn a_queued_fault_is_taken_once_by_the_request_it_names() {
        let state = state_without_database();
        let queue = Request::post("/__faults")
            .body(Full::new(Bytes::from(
                r#"{"next": [{"kind": "unavailable", "scope": "insert into t", "param": "u-1"}]}"#,
            )))
            .unwrap();
        let response = handle(Arc::clone(&state), queue).await;
        assert_eq!(response.status(), StatusCode::OK);
        let payload = |query: &str, param: &str| {
            Payload::parse(format!(r#"{{"query": "{query}", "params": ["{param}"]}}"#).as_bytes())
                .unwrap()
        };
        assert_eq!(
            state.take_fault(&payload("insert into t values ($1)", "u-2")),
            None
        );
        assert_eq!(state.take_fault(&payload("select $1", "u-1")), None);
        assert_eq!(
            state.take_fault(&payload("insert into t values ($1)", "u-1")),
            Some((FaultKind::Unavailable, DEFAULT_SLOW_MS))
        );
        assert_eq!(
            state.take_fault(&payload("insert into t values ($1)", "u-1")),
            None
        );
    }

    #[tokio::test]
    async fn random_faults_take_their_share_are_counted_and_stop_when_cleared() {
        let state = state_without_database();
        let control = |method: Method, path: &str, body: &str| {
            Request::builder()
                .method(method)
                .uri(path)
                .body(Full::new(Bytes::from(body.to_owned())))
                .unwrap()
        };
        let refused = handle(
            Arc::clone(&state),
            control(
                Method::POST,
                "/__faults",
                r#"{"random": {"share": 2, "kinds": ["slow"]}}"#,
            ),
        )
        .await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        let on = handle(
            Arc::clone(&state),
            control(
                Method::POST,
                "/__faults",
                r#"{"random": {"share": 1, "kinds": ["unavailable"], "seed": 3}}"#,
            ),
        )
        .await;
        assert_eq!(on.status(), StatusCode::OK);
        let message = |response: Response<Full<Bytes>>| async move {
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            let body: Value = serde_json::from_slice(&bytes).unwrap();
            body["message"].as_str().unwrap().to_owned()
        };
        for _ in 0..3 {
            let answer = handle(
                Arc::clone(&state),
                sql_request(&[], r#"{"query": "select 1", "params": []}"#),
            )
            .await;
            assert_eq!(answer.status(), StatusCode::INTERNAL_SERVER_ERROR);
            assert!(message(answer).await.contains("injected fault"));
        }
        let stats = handle(Arc::clone(&state), control(Method::GET, "/__stats", "")).await;
        let bytes = stats.into_body().collect().await.unwrap().to_bytes();
        let stats: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(stats["sql_requests"], 3);
        assert_eq!(stats["injected"]["unavailable"], 3);
        handle(Arc::clone(&state), control(Method::DELETE, "/__faults", "")).await;
        // No fault now: the request gets as far as the (absent) database.
        let answer = handle(
            Arc::clone(&state),
            sql_request(&[], r#"{"query": "select 1", "params": []}"#),
        )
        .await;
        assert!(!message(answer).await.contains("injected fault"));
    }

    fn sql_request(headers: &[(&str, &str)], body: impl Into<Bytes>) -> Request<Full<Bytes>> {
        let mut builder = Request::post("/sql").header(
            "Neon-Connection-String",
            "postgresql://tora:tora@localhost/tora",
        );
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Full::new(body.into())).unwrap()
    }

    async fn send(request: Request<Full<Bytes>>) -> (StatusCode, http::HeaderMap, Value) {
        let response = handle(state_without_database(), request).await;
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (parts.status, parts.headers, value)
    }

    fn assert_common_headers(headers: &http::HeaderMap) {
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(headers["access-control-allow-origin"], "*");
        let id = headers["neon-request-id"].to_str().unwrap();
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    }

    #[tokio::test]
    async fn options_preflight_allows_the_neon_headers() {
        let request = Request::options("/sql")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let (status, headers, _) = send(request).await;
        assert_eq!(status, StatusCode::OK);
        assert_common_headers(&headers);
        assert_eq!(headers["allow"], "OPTIONS, POST");
        assert_eq!(headers["access-control-max-age"], "86400");
        assert!(
            headers["access-control-allow-headers"]
                .to_str()
                .unwrap()
                .contains("Neon-Batch-Isolation-Level")
        );
    }

    #[tokio::test]
    async fn other_paths_and_methods_get_a_json_string_400() {
        for request in [
            Request::get("/sql").body(Full::new(Bytes::new())).unwrap(),
            Request::post("/other")
                .body(Full::new(Bytes::new()))
                .unwrap(),
        ] {
            let (status, headers, body) = send(request).await;
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert_common_headers(&headers);
            assert_eq!(body, Value::String("query is not supported".into()));
        }
    }

    #[tokio::test]
    async fn a_client_request_id_is_kept() {
        let id = "5f0c8a5e-3b1d-4c55-9b8e-2d7f8f5a9a01";
        let request = Request::get("/")
            .header("Neon-Request-Id", id)
            .body(Full::new(Bytes::new()))
            .unwrap();
        let (_, headers, _) = send(request).await;
        assert_eq!(headers["neon-request-id"], id);
    }

    #[tokio::test]
    async fn a_missing_connection_string_is_a_400_with_the_full_error_shape() {
        let request = Request::post("/sql")
            .body(Full::new(Bytes::from_static(b"{\"query\":\"select 1\"}")))
            .unwrap();
        let (status, headers, body) = send(request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_common_headers(&headers);
        assert_eq!(body["message"], "invalid header: neon-connection-string");
        assert_eq!(body["code"], "");
        assert_eq!(body.as_object().unwrap().len(), 17);
    }

    #[tokio::test]
    async fn an_ip_host_in_the_connection_string_is_missing_hostname() {
        let request = Request::post("/sql")
            .header(
                "Neon-Connection-String",
                "postgresql://tora:tora@127.0.0.1/tora",
            )
            .body(Full::new(Bytes::from_static(b"{\"query\":\"select 1\"}")))
            .unwrap();
        let (status, _, body) = send(request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["message"], "missing hostname");
    }

    #[tokio::test]
    async fn an_unknown_isolation_level_is_rejected_before_anything_runs() {
        let (status, _, body) = send(sql_request(
            &[("Neon-Batch-Isolation-Level", "serializable")],
            r#"{"queries":[]}"#,
        ))
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["message"], "invalid isolation level");
    }

    #[tokio::test]
    async fn an_unparseable_body_is_a_400() {
        let (status, _, body) = send(sql_request(&[], r#"{"sql":"select 1"}"#)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body["message"],
            "could not parse the HTTP request body: data did not match any variant of untagged enum Payload"
        );
    }

    #[tokio::test]
    async fn a_body_over_ten_mebibytes_is_a_413() {
        let body = format!(
            r#"{{"query":"select $1","params":["{}"]}}"#,
            "x".repeat(MAX_REQUEST_BYTES)
        );
        let (status, _, body) = send(sql_request(&[], body)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            body["message"],
            "request is too large (max is 10485760 bytes)"
        );
    }

    #[tokio::test]
    async fn an_unreachable_database_is_a_500_that_says_so() {
        let (status, headers, body) = send(sql_request(&[], r#"{"query":"select 1"}"#)).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_common_headers(&headers);
        let message = body["message"].as_str().unwrap();
        assert!(
            message.starts_with("neon-local could not connect to its database: "),
            "{message}"
        );
        assert_eq!(body["code"], "");
        assert_eq!(body["severity"], "");
    }

    #[test]
    fn a_batch_echoes_exactly_the_options_it_was_given() {
        let options = Options {
            isolation_level: Some(request::IsolationLevel::Serializable),
            read_only: true,
            ..Options::default()
        };
        let echoed: Vec<(String, String)> = batch_headers(&options)
            .into_iter()
            .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_string()))
            .collect();
        assert_eq!(
            echoed,
            [
                ("neon-batch-read-only".to_string(), "true".to_string()),
                (
                    "neon-batch-isolation-level".to_string(),
                    "Serializable".to_string()
                ),
            ]
        );
    }
}
