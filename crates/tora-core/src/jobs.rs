//! Work done away from a request's answer, each run returning one log line like a
//! request does:
//! - what the Cron Trigger runs (`#[event(scheduled)]`): giving back credit holds whose
//!   call never settled (a crash between hold and settle);
//! - `Job`s a response promised to finish after it was sent (`waitUntil`): answering a
//!   pending message, remembering a logged workout.

use crate::app::credits;
use crate::app::memories::{self, Remembered};
use crate::clients::bedrock::BedrockLlm;
use crate::clients::neon::NeonClient;
use crate::config::Config;
use crate::ports::{Clock, Ids, Sleep, Transport};

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

/// Work a response promised to finish after it was sent. Each job re-reads what it
/// works on, so running one twice, or after the cron got there first, does nothing
/// more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// Read a `pending` message with the model and answer it.
    FinishMessage {
        user_id: uuid::Uuid,
        message_id: uuid::Uuid,
    },
    /// Embed a summary of a logged (or edited) workout and keep it as a memory,
    /// charged to its owner; skipped when their balance does not cover it.
    RememberWorkout {
        user_id: uuid::Uuid,
        workout_id: uuid::Uuid,
    },
}

impl Job {
    fn name(&self) -> &'static str {
        match self {
            Job::FinishMessage { .. } => "finish_message",
            Job::RememberWorkout { .. } => "remember_workout",
        }
    }
}

/// The I/O a job runs with: the platform's, owned, since the request is gone.
pub struct JobIo<'a, T, C, S, I> {
    pub transport: &'a T,
    pub clock: &'a C,
    pub sleep: &'a S,
    pub ids: &'a I,
}

/// Runs one job; the line to log. `request_id` is the request that promised it.
pub async fn run_job<T: Transport, C: Clock, S: Sleep, I: Ids>(
    config: &Config,
    io: &JobIo<'_, T, C, S, I>,
    request_id: &str,
    job: &Job,
) -> String {
    let db = NeonClient::new(&config.neon, io.transport, io.clock);
    let outcome: Result<String, String> = match job {
        Job::FinishMessage {
            user_id,
            message_id,
        } => match config.llm.as_ref() {
            Some(llm) => {
                let _llm = BedrockLlm::new(llm, io.transport, io.clock, io.sleep, io.ids);
                let _ = (user_id, message_id, now(io.clock));
                Err("finishing pending messages is not wired yet".to_owned())
            }
            None => Ok("no model configured".to_owned()),
        },
        Job::RememberWorkout {
            user_id,
            workout_id,
        } => match config.llm.as_ref() {
            Some(llm) => {
                let llm = BedrockLlm::new(llm, io.transport, io.clock, io.sleep, io.ids);
                memories::remember(&db, &llm, io.ids, request_id, *user_id, *workout_id)
                    .await
                    .map(|remembered| match remembered {
                        Remembered::Stored { charged } => {
                            format!("remembered for {} units", charged.units())
                        }
                        Remembered::Unchanged => "already remembered".to_owned(),
                        Remembered::WorkoutGone => "workout gone".to_owned(),
                        Remembered::Unaffordable => {
                            "skipped: the balance does not cover the embedding".to_owned()
                        }
                        Remembered::AlreadyPaid => "already paid for".to_owned(),
                    })
                    .map_err(|error| error.to_string())
            }
            None => Ok("no model configured".to_owned()),
        },
    };
    let mut line = serde_json::json!({
        "level": "info",
        "event": "job",
        "job": job.name(),
        "request_id": request_id,
        "db_round_trips": db.round_trips(),
    });
    match outcome {
        Ok(result) => line["result"] = result.into(),
        Err(error) => {
            line["level"] = "error".into();
            line["error"] = error.into();
        }
    }
    line.to_string()
}

fn now(clock: &impl Clock) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(clock.now_millis()).unwrap_or_default()
}
