//! The small capabilities the core needs from its platform. The worker implements
//! them on top of the Workers runtime; native tests and tooling implement them with
//! plain Rust. Nothing in the core reaches the network, the clock or randomness
//! except through these traits.
//!
//! The traits use `async fn` without `Send` bounds on purpose: on wasm32 every
//! future is single-threaded and JS-backed futures are not `Send`.
#![allow(async_fn_in_trait)]

use http::{Request, Response};

/// Wall-clock time. On wasm32 `SystemTime::now` panics, so time always comes from here.
pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_millis(&self) -> i64;

    fn now_secs(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }
}

/// Fresh identifiers (request ids, row ids).
pub trait Ids {
    fn new_uuid(&self) -> uuid::Uuid;
}

/// Why an outbound request produced no response at all.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("could not reach {host}: {reason}")]
    Unreachable { host: String, reason: String },
    #[error("request to {host} timed out")]
    Timeout { host: String },
    #[error("invalid outbound request: {0}")]
    InvalidRequest(String),
}

/// One HTTP exchange with an outside service. Request building, signing and response
/// decoding live in the core; only the send itself is the platform's.
pub trait Transport {
    async fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError>;
}

/// Which rate limit a request is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitScope {
    /// Every request, keyed by the client IP, before authentication.
    PerIp,
    /// Authenticated requests, keyed by the user.
    PerUser,
}

/// A counter shared across the edge (the Workers Rate Limiting binding in production).
pub trait RateLimiter {
    /// `true` when the request identified by `key` is still within the limit.
    /// A limiter that cannot be reached must fail open: an outage of the counter
    /// should not take the API down.
    async fn allow(&self, scope: RateLimitScope, key: &str) -> bool;
}
