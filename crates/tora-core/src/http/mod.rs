//! The HTTP surface: one request in, one response and one log line out.
//!
//! Order of the edge checks (cheap and anonymous first): request id → per-IP rate
//! limit → CORS → route and method → content type and declared size → authentication
//! → per-user rate limit → body → handler. Handlers validate the body before they
//! touch the database, so bad input never costs a round trip; the first thing a
//! handler with a caller does with the database is resolve (or provision) the user. Every response, errors included, leaves
//! through `finish`, which adds the request id, security and CORS headers. A HEAD
//! request runs the GET operation of its path and leaves without the body.
#![allow(async_fn_in_trait)]

mod cursor;
pub mod error;
mod handlers;
mod json;
pub mod log;
mod query;
pub mod routes;
mod waf;

use http::{Method, Request, Response, header};

use crate::auth::{JwksCache, SignatureVerifier};
use crate::clients::bedrock::BedrockLlm;
use crate::clients::neon::NeonClient;
use crate::config::{Config, ConfigError};
use crate::jobs::Job;
use crate::ports::{Clock, Ids, RateLimitScope, RateLimiter, Sleep, Transport};
pub use error::{ApiError, FieldError};
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use handlers::decode_every_body;
#[cfg(feature = "openapi")]
pub use handlers::openapi;
pub use handlers::{ExportStream, OPENAPI_JSON};
pub use log::RequestLog;
use routes::{Access, BodyRule, Lookup};

/// Everything the platform provides to handle a request.
pub trait Platform {
    type Transport: Transport;
    type Verifier: SignatureVerifier;
    type Clock: Clock;
    type Ids: Ids;
    type RateLimiter: RateLimiter;
    type Sleep: Sleep;

    fn transport(&self) -> &Self::Transport;
    fn verifier(&self) -> &Self::Verifier;
    fn clock(&self) -> &Self::Clock;
    fn ids(&self) -> &Self::Ids;
    fn rate_limiter(&self) -> &Self::RateLimiter;
    /// Timers: the waits between retries of a model call, and the time budget a chat
    /// message gives the model before it answers `pending`.
    fn sleep(&self) -> &Self::Sleep;

    /// A failure of the platform itself that spoils the request, such as randomness
    /// that could not be drawn (`Ids` has no error path to report it). `handle` checks
    /// it after drawing the request id and again after the handler: either way the
    /// answer is a 500 with the cause in the log, whatever the handler said.
    fn failure(&self) -> Option<String> {
        None
    }

    /// Told the request id as soon as it is drawn, so that whatever the platform logs
    /// outside the log line (a panic) can name the request.
    fn request_started(&self, _request_id: &str) {}
}

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    TooLarge,
    Unreadable(String),
}

/// A request body the platform reads only when, and only as far as, the route allows.
pub trait BodySource {
    async fn read(self, limit: usize) -> Result<Vec<u8>, BodyError>;
}

impl BodySource for Vec<u8> {
    async fn read(self, limit: usize) -> Result<Vec<u8>, BodyError> {
        if self.len() > limit {
            Err(BodyError::TooLarge)
        } else {
            Ok(self)
        }
    }
}

/// A handled request: the response to send and the line to log. When `stream` is
/// set, `response` is only the head: its body is the stream's chunks, in order.
/// `jobs` is work the response promised to finish after it is sent (the platform
/// keeps the request alive for them: `waitUntil` on Workers).
pub struct Handled {
    pub response: Response<Vec<u8>>,
    pub log: RequestLog,
    pub stream: Option<Box<ExportStream>>,
    pub jobs: Vec<Job>,
}

/// A handler's answer: a whole response, or the head of a download whose body is
/// written as it is read.
pub(crate) enum Reply {
    Full(Response<Vec<u8>>),
    Streamed(Response<Vec<u8>>, Box<ExportStream>),
}

impl From<Response<Vec<u8>>> for Reply {
    fn from(response: Response<Vec<u8>>) -> Self {
        Reply::Full(response)
    }
}

impl ExportStream {
    /// The next chunk, read from the database in `config`: what the platform calls to
    /// write a streamed body after `handle` returned (the request's own client is gone
    /// by then, so the stream gets one of its own).
    pub async fn next_chunk_from<T: Transport, C: Clock>(
        &mut self,
        config: &Config,
        transport: &T,
        clock: &C,
    ) -> Result<Option<Vec<u8>>, crate::ports::StoreError> {
        self.next_chunk(&NeonClient::new(&config.neon, transport, clock))
            .await
    }
}

/// The model client on a platform's I/O.
pub(crate) type PlatformLlm<'a, P> = BedrockLlm<
    'a,
    <P as Platform>::Transport,
    <P as Platform>::Clock,
    <P as Platform>::Sleep,
    <P as Platform>::Ids,
>;

/// The per-request view handlers work with.
pub(crate) struct RequestContext<'a, P: Platform> {
    pub config: &'a Config,
    pub platform: &'a P,
    pub db: NeonClient<'a, P::Transport, P::Clock>,
    pub query: Option<String>,
    /// This request's id, as in `x-request-id`; recorded with what it charges.
    pub request_id: &'a str,
    /// Work to run after the response (`Handled::jobs`).
    pub jobs: std::cell::RefCell<Vec<Job>>,
}

impl<P: Platform> RequestContext<'_, P> {
    /// The current time from the platform's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp_millis(self.platform.clock().now_millis())
            .unwrap_or_default()
    }

    /// The configured model, or `None` when the deployment has none (messages the
    /// parser cannot read then wait as `pending`).
    #[allow(dead_code)] // the chat and coach handlers call it as they land
    pub fn llm(&self) -> Option<PlatformLlm<'_, P>> {
        self.config.llm.as_ref().map(|llm| {
            BedrockLlm::new(
                llm,
                self.platform.transport(),
                self.platform.clock(),
                self.platform.sleep(),
                self.platform.ids(),
            )
        })
    }

    /// The uploads bucket, or `None` when the deployment has none.
    pub fn storage(&self) -> Option<crate::clients::s3::S3Client<'_, P::Transport, P::Clock>> {
        self.config
            .s3
            .as_ref()
            .map(|config| crate::clients::s3::S3Client {
                config,
                transport: self.platform.transport(),
                clock: self.platform.clock(),
            })
    }

    /// Promises `job` to run after the response.
    #[allow(dead_code)]
    pub fn after_response(&self, job: Job) {
        self.jobs.borrow_mut().push(job);
    }
}

/// Handles one request end to end. `config` is an error when the deployment is
/// misconfigured: every request then fails with 500 and the log names the setting.
pub async fn handle<P: Platform, B: BodySource>(
    request: Request<B>,
    config: Result<&Config, &ConfigError>,
    jwks: &JwksCache,
    platform: &P,
) -> Handled {
    let started = platform.clock().now_millis();
    let request_id = platform.ids().new_uuid().to_string();
    platform.request_started(&request_id);
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let mut log = RequestLog::new(&request_id, parts.method.as_str());

    let (outcome, jobs) = match (platform.failure(), config) {
        (Some(cause), _) => (
            Err(ApiError::Internal(format!("platform: {cause}"))),
            Vec::new(),
        ),
        (None, Ok(config)) => {
            let db = NeonClient::new(&config.neon, platform.transport(), platform.clock());
            let context = RequestContext {
                config,
                platform,
                db,
                query: parts.uri.query().map(str::to_owned),
                request_id: &request_id,
                jobs: std::cell::RefCell::default(),
            };
            let outcome = route(&context, &parts, body, jwks, &mut log).await;
            log.db_ms = context.db.elapsed_ms();
            log.db_round_trips = context.db.round_trips();
            (outcome, context.jobs.into_inner())
        }
        (None, Err(error)) => (
            Err(ApiError::Internal(format!("configuration: {error}"))),
            Vec::new(),
        ),
    };
    // Work promised after a spoiled request is not promised: the answer is a 500.
    let (outcome, jobs) = match platform.failure() {
        Some(cause) => (
            Err(ApiError::Internal(format!("platform: {cause}"))),
            Vec::new(),
        ),
        None => (outcome, jobs),
    };

    let streamed = matches!(outcome, Ok(Reply::Streamed(..)));
    let (response, stream) = match outcome {
        Ok(Reply::Full(response)) => (response, None),
        // HEAD gets the head alone.
        Ok(Reply::Streamed(head, stream)) => {
            (head, (parts.method != Method::HEAD).then_some(stream))
        }
        Err(error) => {
            if error.status().is_server_error() {
                log.error = Some(error.to_string());
            } else {
                log.problem = Some(error.slug());
            }
            (error.into_response(&request_id, &path), None)
        }
    };
    let allowed_origin = config
        .ok()
        .and_then(|config| waf::allowed_origin(&parts.headers, &config.cors_allowed_origins));
    let response = waf::finish(response, &request_id, allowed_origin.as_deref());
    // A streamed body's length is not known before it is written: its HEAD says none
    // rather than a wrong one.
    let response = if parts.method == Method::HEAD && !streamed {
        waf::without_body(response)
    } else {
        response
    };
    log.status = response.status().as_u16();
    log.duration_ms = (platform.clock().now_millis() - started).max(0);
    Handled {
        response,
        log,
        stream,
        jobs,
    }
}

async fn route<P: Platform, B: BodySource>(
    context: &RequestContext<'_, P>,
    parts: &http::request::Parts,
    body: B,
    jwks: &JwksCache,
    log: &mut RequestLog,
) -> Result<Reply, ApiError> {
    let config = context.config;
    let platform = context.platform;
    let headers = &parts.headers;

    let client_ip = waf::client_ip(headers);
    if !platform
        .rate_limiter()
        .allow(RateLimitScope::PerIp, &client_ip)
        .await
    {
        return Err(ApiError::RateLimited {
            retry_after_secs: config.rate_limit_period_secs,
        });
    }

    let origin_allowed = waf::check_origin(headers, &config.cors_allowed_origins)?;

    let path = parts.uri.path();
    let lookup = routes::lookup(&parts.method, path);
    if parts.method == Method::OPTIONS {
        return match lookup {
            Lookup::NotFound => Err(ApiError::NotFound),
            Lookup::Found { route, .. } | Lookup::WrongMethod { route } => {
                log.route = route.pattern;
                Ok(waf::preflight(route, origin_allowed).into())
            }
        };
    }
    let (route, operation, params) = match lookup {
        Lookup::Found {
            route,
            operation,
            params,
        } => (route, operation, params),
        Lookup::WrongMethod { route } => {
            log.route = route.pattern;
            return Err(ApiError::MethodNotAllowed { allow: route.allow });
        }
        Lookup::NotFound => return Err(ApiError::NotFound),
    };
    log.route = route.pattern;

    if let BodyRule::Json { limit } = operation.body {
        waf::require_json(headers)?;
        waf::check_declared_length(headers, limit)?;
    }

    let caller = match operation.access {
        Access::Public => None,
        Access::User => {
            let authorization = headers
                .get(header::AUTHORIZATION)
                .and_then(|value| value.to_str().ok());
            let subject = crate::auth::authenticate(
                authorization,
                &config.auth,
                jwks,
                platform.transport(),
                platform.verifier(),
                platform.clock(),
            )
            .await?;
            if !platform
                .rate_limiter()
                .allow(RateLimitScope::PerUser, &subject.subject)
                .await
            {
                return Err(ApiError::RateLimited {
                    retry_after_secs: config.rate_limit_period_secs,
                });
            }
            Some(subject)
        }
        Access::Admin => {
            let authorization = headers
                .get(header::AUTHORIZATION)
                .and_then(|value| value.to_str().ok());
            if !handlers::credits::is_admin(authorization, config.credits.admin_secret.as_ref()) {
                return Err(ApiError::AdminUnauthorized);
            }
            None
        }
    };

    let body = match operation.body {
        BodyRule::None => Vec::new(),
        BodyRule::Json { limit } => body.read(limit).await.map_err(|error| match error {
            BodyError::TooLarge => ApiError::PayloadTooLarge { limit },
            BodyError::Unreadable(reason) => ApiError::MalformedJson(reason),
        })?,
    };

    handlers::dispatch(context, operation.endpoint, caller.as_ref(), &params, &body).await
}
