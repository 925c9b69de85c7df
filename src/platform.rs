//! The core's ports on top of the Workers runtime: outbound `fetch`, the clock,
//! randomness, the Rate Limiting bindings, and conversions between `worker` and `http`
//! types.

use std::cell::Cell;
use std::pin::pin;
use std::rc::Rc;
use std::time::Duration;

use futures_util::future::{Either, select};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use tora_core::config::Config;
use tora_core::http::{BodyError, BodySource, ExportStream, Platform};
use tora_core::ports::{Clock, Ids, RateLimitScope, RateLimiter, Sleep, Transport, TransportError};
use worker::{AbortController, Delay, Env, Fetch, Headers, Request, RequestInit, Response};

use crate::webcrypto::WebCryptoVerifier;

/// Longest wait for an outbound request (database, identity provider) before giving up.
const OUTBOUND_TIMEOUT: Duration = Duration::from_secs(15);

pub struct WorkerPlatform<'a> {
    transport: FetchTransport,
    verifier: WebCryptoVerifier,
    clock: WorkerClock,
    ids: RandomIds,
    rate_limiter: BindingRateLimiter<'a>,
}

impl<'a> WorkerPlatform<'a> {
    pub fn new(env: &'a Env) -> Self {
        let randomness = RandomnessFailure::default();
        Self {
            transport: FetchTransport {
                randomness: randomness.clone(),
            },
            verifier: WebCryptoVerifier,
            clock: WorkerClock,
            ids: RandomIds { randomness },
            rate_limiter: BindingRateLimiter { env },
        }
    }
}

impl<'a> Platform for WorkerPlatform<'a> {
    type Transport = FetchTransport;
    type Verifier = WebCryptoVerifier;
    type Clock = WorkerClock;
    type Ids = RandomIds;
    type RateLimiter = BindingRateLimiter<'a>;
    type Sleep = WorkerClock;

    fn transport(&self) -> &FetchTransport {
        &self.transport
    }
    fn verifier(&self) -> &WebCryptoVerifier {
        &self.verifier
    }
    fn clock(&self) -> &WorkerClock {
        &self.clock
    }
    fn ids(&self) -> &RandomIds {
        &self.ids
    }
    fn request_started(&self, request_id: &str) {
        crate::panics::serving(request_id);
    }
    fn rate_limiter(&self) -> &BindingRateLimiter<'a> {
        &self.rate_limiter
    }
    fn sleep(&self) -> &WorkerClock {
        &self.clock
    }
    fn failure(&self) -> Option<String> {
        self.ids
            .randomness
            .get()
            .map(|error| format!("crypto.getRandomValues failed: {error}"))
    }
}

/// `Date.now()`: on Workers it advances only across I/O, which is what request
/// timings need.
pub struct WorkerClock;

impl Clock for WorkerClock {
    fn now_millis(&self) -> i64 {
        js_sys::Date::now() as i64
    }
}

/// A timer (`setTimeout` through `worker::Delay`): the wait between retries of a model
/// call. Waiting is I/O to the runtime, so `Date.now()` has moved on afterwards.
impl Sleep for WorkerClock {
    async fn sleep(&self, millis: u32) {
        Delay::from(Duration::from_millis(u64::from(millis))).await;
    }
}

/// The first failed draw of randomness in this request, shared by the ids, which
/// record it, and the transport, which then refuses to send.
#[derive(Clone, Default)]
struct RandomnessFailure(Rc<Cell<Option<getrandom::Error>>>);

impl RandomnessFailure {
    fn record(&self, error: getrandom::Error) {
        if self.0.get().is_none() {
            self.0.set(Some(error));
        }
    }

    fn get(&self) -> Option<getrandom::Error> {
        self.0.get()
    }
}

/// Version 4 uuids from `crypto.getRandomValues` (getrandom's `wasm_js` backend) and
/// nothing else: they are primary keys as well as request ids, and `Date.now()` does
/// not advance inside a request, so anything clock-based would collide.
///
/// `Ids` has no error path, so a failed draw is recorded and answered the nil uuid;
/// from then on the transport refuses to send, so no row is ever written under it,
/// and the core answers 500 with the cause in the log (`Platform::failure`).
#[derive(Clone)]
pub struct RandomIds {
    randomness: RandomnessFailure,
}

impl Ids for RandomIds {
    fn new_uuid(&self) -> uuid::Uuid {
        let mut bytes = [0_u8; 16];
        match getrandom::fill(&mut bytes) {
            Ok(()) => uuid::Builder::from_random_bytes(bytes).into_uuid(),
            Err(error) => {
                self.randomness.record(error);
                uuid::Uuid::nil()
            }
        }
    }
}

/// The Workers Rate Limiting bindings declared in `wrangler.toml`.
pub struct BindingRateLimiter<'a> {
    env: &'a Env,
}

impl RateLimiter for BindingRateLimiter<'_> {
    async fn allow(&self, scope: RateLimitScope, key: &str) -> bool {
        let binding = match scope {
            RateLimitScope::PerIp => tora_core::config::PER_IP_LIMITER,
            RateLimitScope::PerUser => tora_core::config::PER_USER_LIMITER,
        };
        // Fail open: a missing binding or a limiter error must not take the API down.
        match self.env.rate_limiter(binding) {
            Ok(limiter) => limiter
                .limit(key.to_owned())
                .await
                .map(|outcome| outcome.success)
                .unwrap_or(true),
            Err(_) => true,
        }
    }
}

/// Outbound HTTP through the runtime's `fetch`.
#[derive(Clone)]
pub struct FetchTransport {
    randomness: RandomnessFailure,
}

impl Transport for FetchTransport {
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        if let Some(error) = self.randomness.get() {
            // The request may hold an id that is not random; it must not be stored.
            return Err(TransportError::InvalidRequest(format!(
                "not sent: randomness failed ({error})"
            )));
        }
        let host = request.uri().host().unwrap_or("unknown").to_owned();
        let unreachable = |reason: String| TransportError::Unreachable {
            host: host.clone(),
            reason,
        };

        let headers = Headers::new();
        for (name, value) in request.headers() {
            let value = value
                .to_str()
                .map_err(|_| TransportError::InvalidRequest(format!("header {name}")))?;
            headers
                .set(name.as_str(), value)
                .map_err(|error| TransportError::InvalidRequest(error.to_string()))?;
        }
        let method = to_worker_method(request.method())?;
        let mut init = RequestInit::new();
        init.with_method(method).with_headers(headers);
        if !request.body().is_empty() {
            let body = js_sys::Uint8Array::from(request.body().as_slice());
            init.with_body(Some(body.into()));
        }
        let outbound = Request::new_with_init(&request.uri().to_string(), &init)
            .map_err(|error| TransportError::InvalidRequest(error.to_string()))?;

        let controller = AbortController::default();
        let signal = controller.signal();
        let fetch = Fetch::Request(outbound);
        let sending = pin!(fetch.send_with_signal(&signal));
        let deadline = pin!(Delay::from(OUTBOUND_TIMEOUT));
        let mut response = match select(sending, deadline).await {
            Either::Left((result, _)) => result.map_err(|error| unreachable(error.to_string()))?,
            Either::Right(_) => {
                controller.abort();
                return Err(TransportError::Timeout { host });
            }
        };

        let status = response.status_code();
        let mut converted = http::Response::builder().status(status);
        for (name, value) in response.headers().entries() {
            converted = converted.header(name, value);
        }
        let body = response
            .bytes()
            .await
            .map_err(|error| unreachable(error.to_string()))?;
        converted
            .body(body)
            .map_err(|error| unreachable(error.to_string()))
    }
}

fn to_worker_method(method: &Method) -> Result<worker::Method, TransportError> {
    Ok(match *method {
        Method::GET => worker::Method::Get,
        Method::POST => worker::Method::Post,
        Method::PUT => worker::Method::Put,
        Method::PATCH => worker::Method::Patch,
        Method::DELETE => worker::Method::Delete,
        Method::HEAD => worker::Method::Head,
        Method::OPTIONS => worker::Method::Options,
        _ => {
            return Err(TransportError::InvalidRequest(format!(
                "unsupported method {method}"
            )));
        }
    })
}

/// The incoming body, read only when the core asks for it.
pub struct WorkerBody(Request);

impl BodySource for WorkerBody {
    async fn read(mut self, limit: usize) -> Result<Vec<u8>, BodyError> {
        // A missing or lying content-length is caught here: the bytes are counted.
        let bytes = self
            .0
            .bytes()
            .await
            .map_err(|error| BodyError::Unreadable(error.to_string()))?;
        if bytes.len() > limit {
            Err(BodyError::TooLarge)
        } else {
            Ok(bytes)
        }
    }
}

/// Converts the incoming request; the body stays unread.
pub fn to_http_request(request: Request) -> Result<http::Request<WorkerBody>, String> {
    let url = request.url().map_err(|error| error.to_string())?;
    let path_and_query = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let method = Method::from_bytes(request.method().to_string().as_bytes())
        .map_err(|error| error.to_string())?;
    let mut headers = HeaderMap::new();
    for (name, value) in request.headers().entries() {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.append(name, value);
        }
    }
    let mut converted = http::Request::builder()
        .method(method)
        .uri(path_and_query)
        .body(WorkerBody(request))
        .map_err(|error| error.to_string())?;
    *converted.headers_mut() = headers;
    Ok(converted)
}

impl WorkerPlatform<'_> {
    /// The transport and clock a streamed body reads with after the handler returned.
    pub fn owned_io(&self) -> (FetchTransport, WorkerClock) {
        (self.transport.clone(), WorkerClock)
    }

    /// The ids of this request, for work that outlives it (a failed draw still
    /// stops its transport from sending).
    pub fn owned_ids(&self) -> RandomIds {
        self.ids.clone()
    }
}

/// A response whose body is `stream`'s chunks, written as they are read.
pub fn to_streaming_response(
    head: http::Response<Vec<u8>>,
    stream: Box<ExportStream>,
    config: Config,
    (transport, clock): (FetchTransport, WorkerClock),
    request_id: String,
) -> worker::Result<Response> {
    let chunks = futures_util::stream::try_unfold(
        (stream, config, transport, clock),
        move |(mut stream, config, transport, clock)| {
            let request_id = request_id.clone();
            async move {
                match stream.next_chunk_from(&config, &transport, &clock).await {
                    Ok(Some(chunk)) => Ok(Some((chunk, (stream, config, transport, clock)))),
                    Ok(None) => Ok(None),
                    Err(error) => {
                        // The head is sent: all that is left is to cut the download
                        // short, which the client sees as an incomplete body.
                        worker::console_error!(
                            "{}",
                            serde_json::json!({"level": "error", "request_id": request_id, "error": format!("export stream: {error}")})
                        );
                        Err(worker::Error::RustError(error.to_string()))
                    }
                }
            }
        },
    );
    let (parts, _) = head.into_parts();
    Ok(Response::from_stream(chunks)?
        .with_status(parts.status.as_u16())
        .with_headers(headers_of(&parts.headers)?))
}

fn headers_of(headers: &HeaderMap) -> worker::Result<Headers> {
    let converted = Headers::new();
    for (name, value) in headers {
        if let Ok(value) = value.to_str() {
            converted.append(name.as_str(), value)?;
        }
    }
    Ok(converted)
}

pub fn to_worker_response(response: http::Response<Vec<u8>>) -> worker::Result<Response> {
    let (parts, body) = response.into_parts();
    let headers = headers_of(&parts.headers)?;
    // A 204 or an answer to HEAD must not have a body, not even an empty one; a HEAD
    // answer keeps the `content-length` the core set.
    let response = if body.is_empty() {
        Response::empty()?
    } else {
        Response::from_bytes(body)?
    };
    Ok(response
        .with_status(parts.status.as_u16())
        .with_headers(headers))
}
