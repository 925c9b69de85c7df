//! The Tora worker: adapts the Workers runtime to the core's ports and hands every
//! request to `tora_core::http::handle`. Nothing here decides anything about the API;
//! it converts types, sends bytes, reads the clock and draws randomness.

mod panics;
mod platform;
mod webcrypto;
mod zones;

use std::cell::RefCell;
use std::rc::Rc;

use tora_core::auth::JwksCache;
use tora_core::config::{Config, ConfigError};
use tora_core::http::Platform;
use tora_core::ports::Ids;
use worker::{
    Context, Env, Request, Response, ScheduleContext, ScheduledEvent, console_error, console_log,
    event,
};

use platform::{WorkerBody, WorkerPlatform};

thread_local! {
    /// The identity provider's keys, shared by every request this isolate serves.
    static JWKS: Rc<JwksCache> = Rc::new(JwksCache::new());
    /// The settings, read on the isolate's first request: a deployment's vars and
    /// secrets cannot change while an isolate runs (a new version gets new isolates),
    /// and reading them is some forty calls into JavaScript, which the bench found
    /// was a share of every request's CPU time.
    static CONFIG: RefCell<Option<Rc<Result<Config, ConfigError>>>> = const { RefCell::new(None) };
}

/// This isolate's settings (a broken configuration stays broken, and every request
/// answers 500 naming it, as before).
fn config(env: &Env) -> Rc<Result<Config, ConfigError>> {
    CONFIG.with(|cached| {
        if let Some(config) = cached.borrow().as_ref() {
            return Rc::clone(config);
        }
        let config = Rc::new(Config::from_lookup(|name| setting(env, name)));
        *cached.borrow_mut() = Some(Rc::clone(&config));
        config
    })
}

/// Reads a setting: secrets (`wrangler secret put`, `.dev.vars`) first, then plain vars.
fn setting(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|secret| secret.to_string())
        .or_else(|_| env.var(name).map(|var| var.to_string()))
        .ok()
}

#[event(fetch)]
async fn fetch(request: Request, env: Env, context: Context) -> worker::Result<Response> {
    panics::install_once();
    zones::install_once();
    let config = config(&env);
    let platform = WorkerPlatform::new(&env);
    let jwks = JWKS.with(Rc::clone);

    let converted = match platform::to_http_request(request) {
        Ok(converted) => converted,
        Err(error) => {
            // Not even a method and path to route: answer without the core, but still
            // with a request id the log line can be matched to.
            let request_id = Ids::new_uuid(Platform::ids(&platform)).to_string();
            console_error!(
                "{}",
                serde_json::json!({"level": "error", "request_id": request_id, "status": 400, "error": format!("unreadable request: {error}")})
            );
            let mut response = Response::error("Bad request", 400)?;
            response.headers_mut().set("x-request-id", &request_id)?;
            return Ok(response);
        }
    };
    let handled =
        tora_core::http::handle::<_, WorkerBody>(converted, (*config).as_ref(), &jwks, &platform)
            .await;
    console_log!("{}", handled.log.to_line());
    if let Ok(config) = config.as_ref() {
        // Promised work runs after the response, kept alive by `waitUntil`.
        for job in handled.jobs {
            let config = config.clone();
            let (transport, clock) = platform.owned_io();
            let ids = platform.owned_ids();
            let request_id = handled.log.request_id.clone();
            context.wait_until(async move {
                let io = tora_core::jobs::JobIo {
                    transport: &transport,
                    clock: &clock,
                    sleep: &clock,
                    ids: &ids,
                };
                let line = tora_core::jobs::run_job(&config, &io, &request_id, &job).await;
                console_log!("{line}");
            });
        }
    }
    match (handled.stream, config.as_ref()) {
        (Some(stream), Ok(config)) => platform::to_streaming_response(
            handled.response,
            stream,
            config.clone(),
            platform.owned_io(),
            handled.log.request_id.clone(),
        ),
        _ => platform::to_worker_response(handled.response),
    }
}

/// The Cron Trigger (`[triggers]` in `wrangler.toml`): the core's scheduled jobs, one
/// log line. A broken configuration is logged and the run skipped.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _context: ScheduleContext) {
    panics::install_once();
    zones::install_once();
    match config(&env).as_ref() {
        Ok(config) => {
            let platform = WorkerPlatform::new(&env);
            let (transport, clock) = platform.owned_io();
            let ids = platform.owned_ids();
            let io = tora_core::jobs::JobIo {
                transport: &transport,
                clock: &clock,
                sleep: &clock,
                ids: &ids,
            };
            let line = tora_core::jobs::run_scheduled(config, &io, &event.cron()).await;
            console_log!("{line}");
        }
        Err(error) => console_error!(
            "{}",
            serde_json::json!({"level": "error", "event": "scheduled", "error": format!("configuration: {error}")})
        ),
    }
}
