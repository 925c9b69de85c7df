//! Corrections in chat ("it was 8 not 6", "make that 3 sets", "delete the last one"):
//! the person's most recent workout is edited or deleted through the same
//! re-evaluation as `PATCH` and `DELETE /v1/workouts/{id}` (`app::workouts::edit` and
//! `delete`), and the answer says what changed.
//!
//! A correction message is stored first like any message (`ChatStore::open_message`),
//! then the edit is made, then the answer is recorded (`answer_message`); a retry
//! with the same client id replays that answer and changes nothing again.
//!
//! The edit and the answer are two writes, not one transaction: an attempt cut off
//! between them leaves the message `received` with its edit made. A retry of such a
//! message cannot tell whether the edit happened, so it never repeats what would do
//! harm twice: a delete is not made again (it would take the workout before), and
//! "X not Y" finding no set at Y is not reported as a mistake; both answer that the
//! correction was interrupted. Set counts are safe to make again (the same count
//! twice changes nothing). Concurrent attempts of one message are settled the same
//! way: the one that stored the message makes the correction, and the others
//! replay its answer when it is there before theirs (otherwise the last answer
//! written is the one replayed later; the data is right either way).
//!
//! Round trips: storing the message, the latest workout, the three of an edit or
//! delete (the workout, the skill history, the write), and the answer.

use uuid::Uuid;

use super::chat::{self, ChatError, ChatMessage, ChatOutcome, Opened};
use super::workouts::{self, EditWorkout};
use crate::domain::account::NewUser;
use crate::domain::catalog::Catalog;
use crate::domain::chat::{ChatAnswer, MessageStatus, SkillRef};
use crate::domain::coaching::{self, Decision};
use crate::domain::corrections::{self, ChangeSummary, Correction, CorrectionError, editable};
use crate::domain::parser::{self, ParseOutcome};
use crate::domain::skills::Evaluation;
use crate::domain::workout::{ExerciseRef, StoredWorkout};
use crate::ports::{ChatStore, Ids, MessageAnswer, StoreError, WorkoutFilter, WorkoutStore};

/// What a correction did.
#[derive(Debug)]
pub enum CorrectionOutcome {
    /// The latest workout, edited, and what re-deciding its skills did.
    Edited {
        workout: StoredWorkout,
        change: ChangeSummary,
        evaluation: Evaluation,
    },
    /// The latest workout, as it was before it was deleted.
    Deleted {
        workout: StoredWorkout,
        evaluation: Evaluation,
    },
    /// Nothing was changed.
    Unchanged(Unchanged),
}

/// Why a correction changed nothing.
#[derive(Debug, PartialEq)]
pub enum Unchanged {
    /// No workout logged yet.
    NoWorkouts,
    /// The edit cannot be made as asked (no set had that number, a set count out of
    /// range, a set the rules refuse).
    Refused(CorrectionError),
    /// The latest workout went away meanwhile, or holds an exercise name today's
    /// rules refuse (an edit writes every set again).
    NotEditable,
}

/// Reads a message as a correction: one of the correction shapes, and not something
/// the workout parser reads as a workout (that stays a workout).
pub fn read(text: &str, catalog: &Catalog) -> Option<Correction> {
    let correction = corrections::parse(text)?;
    match parser::parse(text, catalog) {
        ParseOutcome::Workout(_) => None,
        ParseOutcome::NotWorkout | ParseOutcome::Unsure { .. } => Some(correction),
    }
}

/// Applies a correction to the user's most recent workout (by `performed_at`).
pub async fn apply_correction(
    store: &impl WorkoutStore,
    ids: &impl Ids,
    catalog: &Catalog,
    user_id: Uuid,
    correction: &Correction,
) -> Result<CorrectionOutcome, StoreError> {
    let latest = store
        .workouts(user_id, &WorkoutFilter::default(), 1)
        .await?
        .into_iter()
        .next();
    let Some(latest) = latest else {
        return Ok(CorrectionOutcome::Unchanged(Unchanged::NoWorkouts));
    };
    let edit = match correction {
        Correction::DeleteLast => {
            return Ok(
                match workouts::delete(store, catalog, user_id, latest.id).await? {
                    Some(changed) => CorrectionOutcome::Deleted {
                        workout: latest,
                        evaluation: changed.evaluation,
                    },
                    None => CorrectionOutcome::Unchanged(Unchanged::NotEditable),
                },
            );
        }
        Correction::Edit(edit) => edit,
    };
    let Some(current) = editable(&latest) else {
        return Ok(CorrectionOutcome::Unchanged(Unchanged::NotEditable));
    };
    let (edited, change) = match corrections::apply(&current, edit) {
        Ok(applied) => applied,
        Err(error) => return Ok(CorrectionOutcome::Unchanged(Unchanged::Refused(error))),
    };
    let change_request = EditWorkout {
        performed_at: None,
        notes: None,
        workout: Some(&edited),
    };
    let changed = workouts::edit(store, ids, catalog, user_id, latest.id, &change_request).await?;
    Ok(match changed {
        Some(workouts::Changed {
            workout: Some(workout),
            evaluation,
        }) => CorrectionOutcome::Edited {
            workout,
            change,
            evaluation,
        },
        _ => CorrectionOutcome::Unchanged(Unchanged::NotEditable),
    })
}

/// Handles a message read as a correction: stores it, corrects, answers (status
/// `answered`) with the workout as it is after the edit, or none.
pub async fn post_correction(
    store: &(impl ChatStore + WorkoutStore),
    ids: &impl Ids,
    catalog: &Catalog,
    new_user: &NewUser<'_>,
    message: &ChatMessage<'_>,
    correction: Correction,
) -> Result<ChatOutcome, ChatError> {
    let (opened, fresh) = match chat::open_received(store, ids, new_user, message).await? {
        Opened::Answered(outcome) => return Ok(outcome),
        Opened::Open { opened, fresh } => (opened, fresh),
    };
    // Another attempt stored this message: it may have made the correction already.
    let interrupted = !fresh;
    let (answer, workout) = if interrupted && correction == Correction::DeleteLast {
        (
            ChatAnswer::words(coaching::correction_interrupted_reply()),
            None,
        )
    } else {
        let outcome = apply_correction(store, ids, catalog, opened.user.id, &correction).await?;
        answer(catalog, outcome, interrupted)
    };
    if interrupted {
        // A concurrent first attempt may have answered meanwhile: its answer says
        // what was done, where ours could only say it may have been.
        if let Some((record, workout)) = store
            .find_message(new_user.auth_subject, message.client_message_id.as_str())
            .await?
            && record.status != MessageStatus::Received
            && record.answer.is_some()
        {
            return Ok(chat::replay(record, workout, opened.user));
        }
    }
    store
        .answer_message(&MessageAnswer {
            user_id: opened.user.id,
            message_id: opened.message.id,
            status: MessageStatus::Answered,
            answer: &answer,
            charges: &[],
            attempt: None,
        })
        .await?;
    Ok(ChatOutcome {
        message_id: opened.message.id,
        status: MessageStatus::Answered,
        answer,
        workout,
        user: opened.user,
        failure_reason: None,
        finish_later: None,
    })
}

fn exercise_name(catalog: &Catalog, id: &str) -> String {
    catalog
        .exercise(id)
        .map_or_else(|| id.to_owned(), |exercise| exercise.name().to_owned())
}

/// The answer to a correction and the workout to show with it.
fn answer(
    catalog: &Catalog,
    outcome: CorrectionOutcome,
    interrupted: bool,
) -> (ChatAnswer, Option<StoredWorkout>) {
    let name_of = |exercise: &ExerciseRef| match exercise {
        ExerciseRef::Catalog(id) => exercise_name(catalog, id),
        ExerciseRef::Custom { name } => name.to_string(),
    };
    match outcome {
        CorrectionOutcome::Edited {
            workout,
            change,
            evaluation,
        } => {
            let skill_refs = |ids: &[String]| -> Vec<SkillRef> {
                ids.iter()
                    .map(|id| SkillRef {
                        skill: id.clone(),
                        name: exercise_name(catalog, id),
                    })
                    .collect()
            };
            let mastered = skill_refs(&evaluation.transitions.mastered);
            let unlocked = skill_refs(&evaluation.transitions.unlocked);
            let decision = Decision {
                mastered: mastered.iter().map(|skill| skill.name.clone()).collect(),
                inferred: evaluation
                    .transitions
                    .inferred
                    .iter()
                    .map(|id| exercise_name(catalog, id))
                    .collect(),
                unlocked: unlocked.iter().map(|skill| skill.name.clone()).collect(),
                ..Decision::default()
            };
            let reply = coaching::corrected_reply(
                &coaching::change_description(&change, name_of),
                &decision,
            );
            (
                ChatAnswer {
                    reply,
                    mastered,
                    unlocked,
                    ..ChatAnswer::default()
                },
                Some(workout),
            )
        }
        CorrectionOutcome::Deleted { workout, .. } => (
            ChatAnswer::words(coaching::correction_deleted_reply(&logged(&workout))),
            None,
        ),
        CorrectionOutcome::Unchanged(Unchanged::NoWorkouts) => (
            ChatAnswer::words(coaching::nothing_to_correct_reply()),
            None,
        ),
        // After an interruption the edit may be what took the sets away from Y.
        CorrectionOutcome::Unchanged(Unchanged::Refused(CorrectionError::NoSetHad { .. }))
            if interrupted =>
        {
            (
                ChatAnswer::words(coaching::correction_interrupted_reply()),
                None,
            )
        }
        CorrectionOutcome::Unchanged(Unchanged::Refused(error)) => (
            ChatAnswer::words(coaching::correction_refused_reply(&error, name_of)),
            None,
        ),
        CorrectionOutcome::Unchanged(Unchanged::NotEditable) => {
            (ChatAnswer::words(coaching::correction_failed_reply()), None)
        }
    }
}

/// Set counts per exercise, in the order the workout first names them.
fn logged(workout: &StoredWorkout) -> Vec<(String, usize)> {
    let mut logged: Vec<(String, usize)> = Vec::new();
    for set in &workout.sets {
        match logged
            .iter_mut()
            .find(|(name, _)| *name == set.exercise_name)
        {
            Some((_, sets)) => *sets += 1,
            None => logged.push((set.exercise_name.clone(), 1)),
        }
    }
    logged
}

#[cfg(test)]
#[path = "corrections_tests.rs"]
mod tests;
