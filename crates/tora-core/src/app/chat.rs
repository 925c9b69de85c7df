//! A chat message: stored first, read by the deterministic parser, and — when it is a
//! workout — logged with the skill states it moves, all in two round trips:
//!
//! 1. one batch: provision the user, store the message (unless its client id was used
//!    before), read back whatever is stored under that id, the skill states and the
//!    volume of recent sessions;
//! 2. for a workout, one transaction: the workout and its sets, the skill states, and
//!    the message marked parsed with the answer to replay.
//!
//! Greetings, questions and messages the parser cannot read are answered within the
//! first round trip. A retry with the same client id replays the stored answer and
//! stores nothing twice; two concurrent attempts are settled by the unique
//! `source_message_id` of workouts.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::accounts;
use crate::auth::AuthenticatedSubject;
use crate::clients::neon::{NeonError, NeonErrorKind, TransactionOptions};
use crate::db::Sql;
use crate::db::chat::{
    self, MessageStatus, NewMessage, StoredMessage, message_from, recent_volume_from,
};
use crate::db::skills::{
    StateWrite, select_states_by_subject_statement, states_from, upsert_statement,
};
use crate::db::users::User;
use crate::db::workouts::{self, NewWorkout};
use crate::domain::catalog::Catalog;
use crate::domain::coaching::{self, Decision, Target};
use crate::domain::parser::{self, ParseOutcome, ParsedWorkout};
use crate::domain::skills::{self, Evaluation, SkillRecord};
use crate::domain::workout::{ExerciseRef, LoggedSet, Workout, WorkoutEntry};
use crate::ports::Ids;

/// The answer to a message, before it is rendered.
pub enum ChatAnswer<'a> {
    /// The message was a workout and is logged.
    Logged {
        message_id: Uuid,
        workout_id: Uuid,
        performed_at: DateTime<Utc>,
        workout: &'a Workout,
        evaluation: &'a Evaluation,
        targets: &'a [Target],
        reply: String,
    },
    /// Not a workout: answered, stored as chat only.
    Answered { message_id: Uuid, reply: String },
    /// Could not be read with confidence: kept for the model.
    Pending { message_id: Uuid, reply: String },
}

/// The rendered answer, as stored and replayed, and the user it was given to.
pub struct ChatOutcome {
    pub result: Value,
    pub user: User,
}

pub struct ChatMessage<'a> {
    pub client_message_id: &'a str,
    pub text: &'a str,
}

/// Turns what the parser read into a storable workout. A set the domain refuses
/// (absurd numbers) makes the whole message unreadable rather than silently dropped.
fn to_workout(parsed: &ParsedWorkout) -> Option<Workout> {
    let entries = parsed
        .entries
        .iter()
        .map(|entry| {
            let sets = entry
                .sets
                .iter()
                .map(|set| LoggedSet::new(*set).ok())
                .collect::<Option<Vec<_>>>()?;
            Some(WorkoutEntry {
                exercise: ExerciseRef::Catalog(entry.exercise.clone()),
                sets,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Workout::new(entries).ok()
}

/// What the parser made of a message, with the workout already validated.
enum Reading {
    Workout(Workout),
    NotWorkout,
    Unsure,
}

fn read(text: &str, catalog: &Catalog) -> Reading {
    match parser::parse(text, catalog) {
        ParseOutcome::Workout(parsed) => match to_workout(&parsed) {
            Some(workout) => Reading::Workout(workout),
            None => Reading::Unsure,
        },
        ParseOutcome::NotWorkout => Reading::NotWorkout,
        ParseOutcome::Unsure { .. } => Reading::Unsure,
    }
}

/// Handles one message. `render` turns an answer into the JSON that is stored and
/// returned (the HTTP layer owns the response shape).
#[allow(clippy::too_many_arguments)]
pub async fn post_message(
    db: &impl Sql,
    ids: &impl Ids,
    catalog: &Catalog,
    subject: &AuthenticatedSubject,
    starter_credits: i64,
    now: DateTime<Utc>,
    message: &ChatMessage<'_>,
    render: impl Fn(&ChatAnswer<'_>) -> Value,
) -> Result<ChatOutcome, NeonError> {
    let message_id = ids.new_uuid();
    let reading = read(message.text, catalog);
    // Answers that need no second round trip are stored with the message itself.
    let (status, early_result) = match &reading {
        Reading::Workout(_) => (MessageStatus::Received, None),
        Reading::NotWorkout => (
            MessageStatus::Answered,
            Some(render(&ChatAnswer::Answered {
                message_id,
                reply: coaching::not_workout_reply(message.text),
            })),
        ),
        Reading::Unsure => (
            MessageStatus::Pending,
            Some(render(&ChatAnswer::Pending {
                message_id,
                reply: coaching::unsure_reply(),
            })),
        ),
    };
    let (user, reads) = accounts::resolve_user_with(
        db,
        ids,
        subject,
        starter_credits,
        vec![
            chat::insert_statement(&NewMessage {
                id: message_id,
                subject: &subject.subject,
                client_message_id: message.client_message_id,
                body: message.text,
                status,
                result: early_result.as_ref(),
            }),
            chat::select_by_client_id_statement(&subject.subject, message.client_message_id),
            select_states_by_subject_statement(&subject.subject),
            chat::select_recent_volume_statement(&subject.subject),
        ],
    )
    .await?;
    let stored = reads
        .get(1)
        .map(message_from)
        .transpose()?
        .flatten()
        .ok_or_else(|| NeonError::decode("the chat message could not be read back"))?;

    // A retry: replay what was answered, or finish what an interrupted attempt began.
    let (message_id, reading, replayed) = if stored.id == message_id {
        (message_id, reading, false)
    } else if let Some(result) = stored.result.clone()
        && stored.status != MessageStatus::Received
    {
        return Ok(ChatOutcome { result, user });
    } else {
        (stored.id, read(&stored.body, catalog), true)
    };

    let workout = match reading {
        Reading::Workout(workout) => workout,
        Reading::NotWorkout | Reading::Unsure => {
            if let (false, Some(result)) = (replayed, early_result) {
                return Ok(ChatOutcome { result, user });
            }
            // An interrupted attempt of a message that is not a workout: answer now.
            return finish_without_workout(db, &stored, user, catalog, &render).await;
        }
    };

    let stored_states = reads
        .get(2)
        .map(states_from)
        .transpose()?
        .unwrap_or_default();
    let recent = reads
        .get(3)
        .map(recent_volume_from)
        .transpose()?
        .unwrap_or_default();
    log_workout(
        db,
        ids,
        catalog,
        LogContext {
            user,
            message_id,
            client_message_id: message.client_message_id,
            subject,
            now,
            stored_states: &stored_states,
            recent: &recent,
        },
        &workout,
        &render,
    )
    .await
}

async fn finish_without_workout(
    db: &impl Sql,
    stored: &StoredMessage,
    user: User,
    catalog: &Catalog,
    render: &impl Fn(&ChatAnswer<'_>) -> Value,
) -> Result<ChatOutcome, NeonError> {
    let (status, answer) = match read(&stored.body, catalog) {
        Reading::NotWorkout => (
            MessageStatus::Answered,
            ChatAnswer::Answered {
                message_id: stored.id,
                reply: coaching::not_workout_reply(&stored.body),
            },
        ),
        _ => (
            MessageStatus::Pending,
            ChatAnswer::Pending {
                message_id: stored.id,
                reply: coaching::unsure_reply(),
            },
        ),
    };
    let result = render(&answer);
    db.query(chat::complete_statement(stored.id, status, &result))
        .await?;
    Ok(ChatOutcome { result, user })
}

struct LogContext<'a> {
    user: User,
    message_id: Uuid,
    client_message_id: &'a str,
    subject: &'a AuthenticatedSubject,
    now: DateTime<Utc>,
    stored_states: &'a BTreeMap<String, SkillRecord>,
    recent: &'a [(f64, f64)],
}

async fn log_workout(
    db: &impl Sql,
    ids: &impl Ids,
    catalog: &Catalog,
    context: LogContext<'_>,
    workout: &Workout,
    render: &impl Fn(&ChatAnswer<'_>) -> Value,
) -> Result<ChatOutcome, NeonError> {
    let session = workout.session();
    let evaluation = skills::log_session(catalog, context.stored_states, &session);
    let trained: Vec<&str> = workout.catalog_exercises();
    let targets = skills::next_targets(catalog, &evaluation.standing, &trained);
    let name_of = |id: &str| {
        catalog
            .exercise(id)
            .map_or_else(|| id.to_owned(), |exercise| exercise.name().to_owned())
    };
    let decision = Decision {
        logged: workout
            .entries()
            .iter()
            .map(|entry| {
                let name = match &entry.exercise {
                    ExerciseRef::Catalog(id) => name_of(id),
                    ExerciseRef::Custom { name } => name.clone(),
                };
                (name, entry.sets.len())
            })
            .collect(),
        mastered: evaluation
            .transitions
            .mastered
            .iter()
            .map(|id| name_of(id))
            .collect(),
        inferred: evaluation
            .transitions
            .inferred
            .iter()
            .map(|id| name_of(id))
            .collect(),
        unlocked: evaluation
            .transitions
            .unlocked
            .iter()
            .map(|id| name_of(id))
            .collect(),
        next_target: targets.first().cloned(),
        volume_note: coaching::volume_note(workout.volume(), context.recent),
    };
    let workout_id = ids.new_uuid();
    let result = render(&ChatAnswer::Logged {
        message_id: context.message_id,
        workout_id,
        performed_at: context.now,
        workout,
        evaluation: &evaluation,
        targets: &targets,
        reply: coaching::workout_reply(&decision),
    });

    let user_id = context.user.id;
    let mut statements = workouts::insert_statements(
        &NewWorkout {
            id: workout_id,
            user_id,
            performed_at: context.now,
            notes: None,
            source_message_id: Some(context.message_id),
            workout,
        },
        || ids.new_uuid(),
    );
    statements.extend(upsert_statement(
        user_id,
        &evaluation.writes,
        StateWrite::Raise,
    ));
    statements.push(chat::complete_statement(
        context.message_id,
        MessageStatus::Parsed,
        &result,
    ));
    match db
        .transaction(statements, TransactionOptions::default())
        .await
    {
        Ok(_) => Ok(ChatOutcome {
            result,
            user: context.user,
        }),
        // A concurrent attempt of the same message logged it first: answer as it did.
        Err(error)
            if error.kind() == NeonErrorKind::UniqueViolation
                && error.constraint.as_deref() == Some("workouts_source_message_key") =>
        {
            let winner = db
                .query(chat::select_by_client_id_statement(
                    &context.subject.subject,
                    context.client_message_id,
                ))
                .await?;
            let result = message_from(&winner)?
                .and_then(|message| message.result)
                .ok_or(error)?;
            Ok(ChatOutcome {
                result,
                user: context.user,
            })
        }
        Err(error) => Err(error),
    }
}

/// One page of the conversation, newest first, and whether more follow.
pub async fn history(
    db: &impl Sql,
    user_id: Uuid,
    after: Option<chat::MessageCursor>,
    limit: u32,
) -> Result<(Vec<StoredMessage>, bool), NeonError> {
    let result = db
        .query(chat::select_history_statement(user_id, after, limit + 1))
        .await?;
    let mut messages = chat::messages_from(&result)?;
    let more = messages.len() > limit as usize;
    messages.truncate(limit as usize);
    Ok((messages, more))
}
