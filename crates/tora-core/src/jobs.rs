//! Work the Cron Trigger runs (`#[event(scheduled)]`), away from any request: today,
//! giving back credit holds whose call never settled (a crash between hold and
//! settle). It returns one log line, like a request does.

use crate::app::credits;
use crate::clients::neon::NeonClient;
use crate::config::Config;
use crate::ports::{Clock, Transport};

/// Runs the scheduled jobs against the configured database; the line to log.
pub async fn run_scheduled<T: Transport, C: Clock>(
    config: &Config,
    transport: &T,
    clock: &C,
    cron: &str,
) -> String {
    let db = NeonClient::new(&config.neon, transport, clock);
    let outcome = credits::release_expired(&db).await;
    let mut line = serde_json::json!({
        "level": "info",
        "event": "scheduled",
        "cron": cron,
        "db_round_trips": db.round_trips(),
    });
    match outcome {
        Ok(released) => line["holds_released"] = released.into(),
        Err(error) => {
            line["level"] = "error".into();
            line["error"] = error.to_string().into();
        }
    }
    line.to_string()
}
