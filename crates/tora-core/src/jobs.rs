//! Work done away from a request's answer, each run returning one log line like a
//! request does:
//! - what the Cron Trigger runs (`#[event(scheduled)]`): giving back credit holds whose
//!   call never settled (a crash between hold and settle), deleting bucket objects
//!   whose deletion failed or is not finished, retrying pending messages;
//! - `Job`s a response promised to finish after it was sent (`waitUntil`): answering a
//!   pending message, remembering a logged workout.

use crate::app::chat::{self, ModelReader};
use crate::app::credits;
use crate::app::memories::{self, Remembered};
use crate::app::object_deletions;
use crate::clients::bedrock::BedrockLlm;
use crate::clients::neon::NeonClient;
use crate::clients::s3::S3Client;
use crate::config::Config;
use crate::domain::catalog::Catalog;
use crate::ports::{Attempt, Clock, Ids, Sleep, Transport};

/// Pending messages one scheduled run retries at most. The cron fires every few
/// minutes and each read may take seconds, so a run stays short; a backlog drains over
/// several runs, oldest due first.
pub const RETRY_BATCH: u32 = 5;

/// Runs the scheduled jobs against the configured database; the line to log. Every
/// job runs even if an earlier one failed.
pub async fn run_scheduled<T: Transport, C: Clock, S: Sleep, I: Ids>(
    config: &Config,
    io: &JobIo<'_, T, C, S, I>,
    cron: &str,
) -> String {
    let db = NeonClient::new(&config.neon, io.transport, io.clock);
    let mut line = serde_json::json!({
        "level": "info",
        "event": "scheduled",
        "cron": cron,
    });
    let mut errors = Vec::new();
    match credits::release_expired(&db).await {
        Ok(released) => line["holds_released"] = released.into(),
        Err(error) => errors.push(format!("releasing holds: {error}")),
    }
    if let Some(s3) = config.s3.as_ref() {
        let storage = S3Client {
            config: s3,
            transport: io.transport,
            clock: io.clock,
        };
        match object_deletions::drain_due(&db, &storage, now(io.clock)).await {
            Ok(summary) => {
                line["objects_deleted"] = serde_json::json!({
                    "abandoned_uploads": summary.abandoned,
                    "done": summary.done,
                    "again": summary.again,
                    "failed": summary.failed,
                });
            }
            Err(error) => errors.push(format!("deleting objects: {error}")),
        }
    }
    if let (Some(llm), Ok(catalog)) = (config.llm.as_ref(), Catalog::embedded()) {
        let llm = BedrockLlm::new(llm, io.transport, io.clock, io.sleep, io.ids);
        let model = ModelReader {
            llm: &llm,
            sleep: io.sleep,
            settings: &config.chat_model,
            request_id: "scheduled",
        };
        match chat::retry_due(&db, io.ids, catalog, &model, RETRY_BATCH, now(io.clock)).await {
            Ok(results) => {
                // How many retried messages ended in each state; errors by kind only
                // (their text may hold the model's words).
                let mut counts = serde_json::Map::new();
                for result in &results {
                    if let Ok(outcome) = result {
                        remember_logged(&db, &llm, io.ids, "scheduled", outcome).await;
                    }
                    let key = match result {
                        Ok(outcome) => outcome.status.as_str(),
                        Err(_) => "error",
                    };
                    let count = counts
                        .get(key)
                        .and_then(serde_json::Value::as_u64)
                        .unwrap_or(0);
                    counts.insert(key.to_owned(), (count + 1).into());
                }
                line["messages_retried"] = counts.into();
            }
            Err(error) => errors.push(format!("retrying messages: {error}")),
        }
    }
    line["db_round_trips"] = db.round_trips().into();
    if !errors.is_empty() {
        line["level"] = "error".into();
        line["error"] = errors.join("; ").into();
    }
    line.to_string()
}

/// Work a response promised to finish after it was sent. Each job re-reads what it
/// works on, so running one twice, or after the cron got there first, does nothing
/// more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// Finish an attempt at reading a `pending` message with the model.
    FinishMessage(Attempt),
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
            Job::FinishMessage(_) => "finish_message",
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
        Job::FinishMessage(attempt) => match (config.llm.as_ref(), Catalog::embedded()) {
            (Some(llm), Ok(catalog)) => {
                let llm = BedrockLlm::new(llm, io.transport, io.clock, io.sleep, io.ids);
                let model = ModelReader {
                    llm: &llm,
                    sleep: io.sleep,
                    settings: &config.chat_model,
                    request_id,
                };
                match chat::finish_attempt(
                    &db,
                    io.ids,
                    catalog,
                    &model,
                    attempt,
                    now(io.clock),
                    false,
                )
                .await
                {
                    Ok(outcome) => {
                        remember_logged(&db, &llm, io.ids, request_id, &outcome).await;
                        Ok(outcome.status.as_str().to_owned())
                    }
                    Err(error) => Err(error.to_string()),
                }
            }
            (None, _) => Ok("no model configured".to_owned()),
            (_, Err(error)) => Err(format!("catalog: {error}")),
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
                        Remembered::InProgress => {
                            "skipped: another attempt is remembering it".to_owned()
                        }
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

/// A workout a finished message logged becomes a memory, as one logged in a request
/// does (best effort: a memory that fails is not worth failing the message for).
async fn remember_logged<T: Transport, C: Clock>(
    db: &NeonClient<'_, T, C>,
    llm: &impl crate::ports::Llm,
    ids: &impl Ids,
    request_id: &str,
    outcome: &chat::ChatOutcome,
) {
    if let (Some(workout), crate::domain::chat::MessageStatus::Logged) =
        (&outcome.workout, outcome.status)
    {
        let _ = memories::remember(db, llm, ids, request_id, outcome.user.id, workout.id).await;
    }
}

fn now(clock: &impl Clock) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(clock.now_millis()).unwrap_or_default()
}
