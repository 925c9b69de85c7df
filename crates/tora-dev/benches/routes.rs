//! The CPU time of the worker's own code per route: `tora_core::http::handle`, natively,
//! with in-memory ports and the database's answers recorded from a real request, so
//! what is timed is routing, the edge checks, JWT verification, validation, the domain
//! rules, building the SQL and reading its results, and writing the response — the
//! part the Workers CPU limit counts (waiting on the network is not CPU time).
//!
//! scripts/bench.sh records the answers (the local Neon endpoint's `/__record`) and runs
//! this with `TORA_BENCH_RECORDED` naming the folder: one `<route>.json` per route,
//! `{"method", "path", "body", "neon": [{"request", "status", "response"}]}`, the token
//! in `TORA_BENCH_TOKEN` and the worker's JWT settings in `JWT_HS256_SECRET`,
//! `JWT_ISSUER` and `JWT_AUDIENCE`. Each route's result is checked (2xx, and every
//! statement the same as recorded) before it is timed, so a stale recording fails
//! instead of timing an error page.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::Cell;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use http::{Request, Response};
use serde_json::Value;
use tora_core::auth::JwksCache;
use tora_core::config::Config;
use tora_core::http::{Platform, handle};
use tora_core::ports::{Ids, RateLimitScope, RateLimiter, Sleep, Transport, TransportError};
use tora_dev::tokens::SystemClock;
use tora_test_support::RustCryptoVerifier;

/// Answers the worker's database requests with the recorded ones, in order. The
/// answers are serialised once, up front, so the timing holds our code only.
struct Replay {
    recorded: Vec<Recorded>,
    next: Cell<usize>,
    /// Compare each request's statements with the recording (the first run, before
    /// timing; not while timing, where it would be the bench's own cost).
    check: Cell<bool>,
}

struct Recorded {
    statements: Vec<String>,
    status: u16,
    body: Vec<u8>,
}

impl Replay {
    fn new(pairs: &[Value]) -> Self {
        Self {
            recorded: pairs
                .iter()
                .map(|pair| Recorded {
                    statements: statements(&pair["request"]),
                    status: pair["status"].as_u64().unwrap_or(200) as u16,
                    body: pair["response"].to_string().into_bytes(),
                })
                .collect(),
            next: Cell::new(0),
            check: Cell::new(true),
        }
    }
}

impl Transport for Replay {
    async fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        let index = self.next.get();
        self.next.set(index + 1);
        let Some(recorded) = self.recorded.get(index) else {
            return Err(TransportError::Unreachable {
                host: "replay".into(),
                reason: format!("request {index} was not recorded"),
            });
        };
        if self.check.get() {
            let sent: Value = serde_json::from_slice(request.body()).unwrap_or(Value::Null);
            if statements(&sent) != recorded.statements {
                return Err(TransportError::InvalidRequest(format!(
                    "request {index} differs from the recording: re-run scripts/bench.sh"
                )));
            }
        }
        Ok(Response::builder()
            .status(recorded.status)
            .body(recorded.body.clone())
            .unwrap())
    }
}

/// The SQL text of a request, batches flattened.
fn statements(body: &Value) -> Vec<String> {
    match body["queries"].as_array() {
        Some(queries) => queries
            .iter()
            .map(|query| query["query"].as_str().unwrap_or_default().to_owned())
            .collect(),
        None => vec![body["query"].as_str().unwrap_or_default().to_owned()],
    }
}

struct CountingIds(Cell<u128>);

impl Ids for CountingIds {
    fn new_uuid(&self) -> uuid::Uuid {
        self.0.set(self.0.get() + 1);
        uuid::Builder::from_random_bytes(self.0.get().to_le_bytes()).into_uuid()
    }
}

struct Allow;

impl RateLimiter for Allow {
    async fn allow(&self, _scope: RateLimitScope, _key: &str) -> bool {
        true
    }
}

struct NoWait;

impl Sleep for NoWait {
    async fn sleep(&self, _millis: u32) {}
}

struct BenchPlatform {
    transport: Replay,
    verifier: RustCryptoVerifier,
    clock: SystemClock,
    ids: CountingIds,
    limiter: Allow,
    sleep: NoWait,
}

impl Platform for BenchPlatform {
    type Transport = Replay;
    type Verifier = RustCryptoVerifier;
    type Clock = SystemClock;
    type Ids = CountingIds;
    type RateLimiter = Allow;
    type Sleep = NoWait;

    fn transport(&self) -> &Replay {
        &self.transport
    }
    fn verifier(&self) -> &RustCryptoVerifier {
        &self.verifier
    }
    fn clock(&self) -> &SystemClock {
        &self.clock
    }
    fn ids(&self) -> &CountingIds {
        &self.ids
    }
    fn rate_limiter(&self) -> &Allow {
        &self.limiter
    }
    fn sleep(&self) -> &NoWait {
        &self.sleep
    }
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run scripts/bench.sh"))
}

fn config() -> Config {
    Config::from_lookup(|name| match name {
        "JWT_HS256_SECRET" | "JWT_ISSUER" | "JWT_AUDIENCE" => std::env::var(name).ok(),
        "NEON_SQL_URL" => Some("http://127.0.0.1:4444/sql".into()),
        "DATABASE_URL" => Some("postgresql://tora:tora@localhost/tora".into()),
        "SUBJECT_HASH_KEY" => Some("bench-subject-hash-key".into()),
        "STARTER_CREDITS" => Some("100".into()),
        _ => None,
    })
    .expect("the bench's worker settings")
}

/// One request of a recording (rebuilt each run: `handle` takes it by value).
fn request(recording: &Value, token: &str) -> Request<Vec<u8>> {
    let mut builder = Request::builder()
        .method(recording["method"].as_str().unwrap())
        .uri(recording["path"].as_str().unwrap())
        .header("authorization", format!("Bearer {token}"));
    let body = match &recording["body"] {
        Value::Null => Vec::new(),
        body => {
            builder = builder.header("content-type", "application/json");
            body.to_string().into_bytes()
        }
    };
    builder.body(body).unwrap()
}

fn routes(criterion: &mut Criterion) {
    let folder = PathBuf::from(env("TORA_BENCH_RECORDED"));
    let token = env("TORA_BENCH_TOKEN");
    let config = config();
    let jwks = JwksCache::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    names.sort();
    let mut group = criterion.benchmark_group("route");
    for path in names {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let recording: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let platform = BenchPlatform {
            transport: Replay::new(recording["neon"].as_array().map_or(&[], Vec::as_slice)),
            verifier: RustCryptoVerifier,
            clock: SystemClock,
            ids: CountingIds(Cell::new(0)),
            limiter: Allow,
            sleep: NoWait,
        };
        let run = || {
            platform.transport.next.set(0);
            runtime.block_on(handle(
                request(&recording, &token),
                Ok(&config),
                &jwks,
                &platform,
            ))
        };
        let handled = run();
        let status = handled.response.status();
        assert!(
            status.is_success(),
            "{name}: {status} {}",
            String::from_utf8_lossy(handled.response.body())
        );
        assert_eq!(
            platform.transport.next.get(),
            platform.transport.recorded.len(),
            "{name}: the route sent another number of database requests than recorded"
        );
        platform.transport.check.set(false);
        group.bench_function(&name, |bencher| bencher.iter(run));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Bounded: the bench command has a time budget.
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2))
        .sample_size(30);
    targets = routes
}
criterion_main!(benches);
