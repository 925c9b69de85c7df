//! A chat message: stored first, read by the deterministic parser, and — when it is a
//! workout — logged with the skill states it moves, all in two round trips:
//!
//! 1. `ChatStore::open_message`: provision the user, store the message (unless its
//!    client id was used before), read back whatever is stored under that id, the
//!    skill rows and the volume of recent sessions;
//! 2. for a workout, `ChatStore::log_message_workout`: the workout and its sets, the
//!    skill rows, and the message marked logged with the answer to replay.
//!
//! Greetings, questions and messages the parser cannot read are answered within the
//! first round trip. A retry with the same client id replays the stored answer and
//! stores nothing twice; two concurrent attempts are settled by the store (one workout
//! per message), and the loser answers as the winner did.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::account::{NewUser, User};
use crate::domain::catalog::Catalog;
use crate::domain::chat::{
    ChatAnswer, ClientMessageId, MessageRecord, MessageStatus, MessageText, SkillRef,
};
use crate::domain::coaching::{self, Decision};
use crate::domain::parser::{self, ParseOutcome, ParsedWorkout};
use crate::domain::skills::{self, Evaluation};
use crate::domain::workout::{ExerciseRef, LoggedSet, StoredWorkout, Workout, WorkoutEntry};
use crate::ports::WorkoutStore;
use crate::ports::{ChatStore, Ids, MessageWorkout, NewMessage, OpenedMessage, StoreError};

/// A message as the API took it: both parts already passed their rules.
pub struct ChatMessage<'a> {
    pub client_message_id: &'a ClientMessageId,
    pub text: &'a MessageText,
}

/// What a message came to, for the response.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatOutcome {
    pub message_id: Uuid,
    pub status: MessageStatus,
    pub answer: ChatAnswer,
    /// The workout the message logged, as it is stored now.
    pub workout: Option<StoredWorkout>,
    /// The caller, with their balance as of this request.
    pub user: User,
}

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// A retry must repeat its message: the same client id with other text would
    /// silently lose the new text.
    #[error("the client_message_id was already used for a different message")]
    ClientIdReused,
    #[error(transparent)]
    Store(#[from] StoreError),
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
    /// Answered in words alone: not a workout, or not readable with confidence.
    Words(MessageStatus, ChatAnswer),
}

fn read(text: &str, catalog: &Catalog) -> Reading {
    match parser::parse(text, catalog) {
        ParseOutcome::Workout(parsed) => match to_workout(&parsed) {
            Some(workout) => Reading::Workout(workout),
            None => unsure(),
        },
        ParseOutcome::NotWorkout => Reading::Words(
            MessageStatus::Answered,
            ChatAnswer::words(coaching::not_workout_reply(text)),
        ),
        ParseOutcome::Unsure { .. } => unsure(),
    }
}

fn unsure() -> Reading {
    Reading::Words(
        MessageStatus::Pending,
        ChatAnswer::words(coaching::unsure_reply()),
    )
}

/// The answer stored for `record`, as it stands now: a logged workout that has since
/// been deleted is said to be gone rather than replayed as logged.
pub(super) fn replay(
    record: MessageRecord,
    workout: Option<StoredWorkout>,
    user: User,
) -> ChatOutcome {
    let mut answer = record.answer.unwrap_or_default();
    if record.status == MessageStatus::Logged && workout.is_none() {
        answer = ChatAnswer {
            reply: coaching::workout_deleted_reply(),
            ..answer
        };
    }
    ChatOutcome {
        message_id: record.id,
        status: record.status,
        answer,
        workout,
        user,
    }
}

/// Handles one message.
pub async fn post_message(
    store: &(impl ChatStore + WorkoutStore),
    ids: &impl Ids,
    catalog: &Catalog,
    new_user: &NewUser<'_>,
    now: DateTime<Utc>,
    message: &ChatMessage<'_>,
) -> Result<ChatOutcome, ChatError> {
    // Corrections of the latest workout ("it was 8 not 6") take their own path.
    if let Some(correction) = super::corrections::read(message.text.as_str(), catalog) {
        return super::corrections::post_correction(
            store, ids, catalog, new_user, message, correction,
        )
        .await;
    }
    let message_id = ids.new_uuid();
    let reading = read(message.text, catalog);
    // Answers that need no second round trip are stored with the message itself.
    let (status, early_answer) = match &reading {
        Reading::Workout(_) => (MessageStatus::Received, None),
        Reading::Words(status, answer) => (*status, Some(answer)),
    };
    let opened = store
        .open_message(
            new_user,
            &NewMessage {
                id: message_id,
                client_message_id: message.client_message_id.as_str(),
                body: message.text.as_str(),
                status,
                answer: early_answer,
            },
        )
        .await?;
    let fresh = opened.message.id == message_id;
    if !fresh {
        if opened.message.body != message.text.as_str() {
            return Err(ChatError::ClientIdReused);
        }
        // An earlier attempt answered: replay it.
        if opened.message.status != MessageStatus::Received && opened.message.answer.is_some() {
            return Ok(replay(opened.message, opened.workout, opened.user));
        }
        // Otherwise an earlier attempt was interrupted before answering: finish it
        // (the text is the same, so this reading is its reading).
    }
    match reading {
        Reading::Words(status, answer) => {
            if !fresh {
                store
                    .answer_message(opened.message.id, status, &answer)
                    .await?;
            }
            Ok(ChatOutcome {
                message_id: opened.message.id,
                status,
                answer,
                workout: None,
                user: opened.user,
            })
        }
        Reading::Workout(workout) => {
            log_workout(
                store,
                ids,
                catalog,
                new_user.auth_subject,
                now,
                opened,
                &workout,
            )
            .await
        }
    }
}

/// The coach's answer to a logged workout, decided by the rules.
fn workout_answer(
    catalog: &Catalog,
    workout: &Workout,
    evaluation: &Evaluation,
    recent: &[(f64, f64)],
) -> ChatAnswer {
    let name_of = |id: &str| {
        catalog
            .exercise(id)
            .map_or_else(|| id.to_owned(), |exercise| exercise.name().to_owned())
    };
    let skill_refs = |ids: &[String]| -> Vec<SkillRef> {
        ids.iter()
            .map(|id| SkillRef {
                skill: id.clone(),
                name: name_of(id),
            })
            .collect()
    };
    let trained = workout.catalog_exercises();
    let targets = skills::next_targets(catalog, &evaluation.standing, &trained);
    let mastered = skill_refs(&evaluation.transitions.mastered);
    let unlocked = skill_refs(&evaluation.transitions.unlocked);
    let decision = Decision {
        logged: workout
            .entries()
            .iter()
            .map(|entry| {
                let name = match &entry.exercise {
                    ExerciseRef::Catalog(id) => name_of(id),
                    ExerciseRef::Custom { name } => name.to_string(),
                };
                (name, entry.sets.len())
            })
            .collect(),
        mastered: mastered.iter().map(|skill| skill.name.clone()).collect(),
        inferred: evaluation
            .transitions
            .inferred
            .iter()
            .map(|id| name_of(id))
            .collect(),
        unlocked: unlocked.iter().map(|skill| skill.name.clone()).collect(),
        next_target: targets.first().cloned(),
        volume_note: coaching::volume_note(workout.volume(), recent),
    };
    ChatAnswer {
        reply: coaching::workout_reply(&decision),
        mastered,
        unlocked,
        next_targets: targets,
        credits_spent: 0,
    }
}

async fn log_workout(
    store: &impl ChatStore,
    ids: &impl Ids,
    catalog: &Catalog,
    subject: &str,
    now: DateTime<Utc>,
    opened: OpenedMessage,
    workout: &Workout,
) -> Result<ChatOutcome, ChatError> {
    let evaluation = skills::log_session(catalog, &opened.skills, &workout.session());
    let answer = workout_answer(catalog, workout, &evaluation, &opened.recent);
    let logged = store
        .log_message_workout(
            &MessageWorkout {
                user_id: opened.user.id,
                message_id: opened.message.id,
                workout_id: ids.new_uuid(),
                performed_at: now,
                workout,
                skill_writes: &evaluation.writes,
                answer: &answer,
            },
            ids,
        )
        .await?;
    match logged {
        Some(stored) => Ok(ChatOutcome {
            message_id: opened.message.id,
            status: MessageStatus::Logged,
            answer,
            workout: Some(stored),
            user: opened.user,
        }),
        // A concurrent attempt of the same message logged it first: answer as it did.
        None => {
            let (record, workout) = store
                .find_message(subject, &opened.message.client_message_id)
                .await?
                .ok_or_else(|| StoreError::corrupt("a logged chat message vanished"))?;
            Ok(replay(record, workout, opened.user))
        }
    }
}

/// One page of the conversation, newest first, and whether more follow.
pub async fn history(
    store: &impl ChatStore,
    user_id: Uuid,
    after: Option<crate::ports::PageCursor>,
    limit: u32,
) -> Result<crate::ports::Page<MessageRecord>, StoreError> {
    let fetched = store.history(user_id, after, limit + 1).await?;
    Ok(crate::ports::Page::of(fetched, limit))
}

#[cfg(test)]
#[path = "chat_tests.rs"]
mod tests;
