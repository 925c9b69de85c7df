//! Logging, reading, editing and deleting workouts. Every write stores the workout and
//! the skill states it moves in one transaction.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::catalog::Catalog;
use crate::domain::skills::{self, Evaluation, HistoricalSet, SkillRecord};
use crate::domain::workout::{NewWorkout, Notes, StoredWorkout, Workout};
use crate::ports::{Ids, Page, StoreError, WorkoutChange, WorkoutFilter, WorkoutStore};

/// A workout to log, validated.
pub struct LogWorkout<'a> {
    pub performed_at: DateTime<Utc>,
    pub notes: Option<&'a Notes>,
    pub workout: &'a Workout,
}

/// A stored workout and what it did to the skill tree.
pub struct Logged {
    pub workout: StoredWorkout,
    pub evaluation: Evaluation,
}

/// Stores a workout logged without chat, given the caller's stored skill rows (read
/// with the user, so logging takes two round trips in all).
pub async fn log(
    store: &impl WorkoutStore,
    ids: &impl Ids,
    catalog: &Catalog,
    user_id: Uuid,
    stored: &BTreeMap<String, SkillRecord>,
    request: &LogWorkout<'_>,
) -> Result<Logged, StoreError> {
    let evaluation = skills::log_session(catalog, stored, &request.workout.session());
    let new = NewWorkout {
        id: ids.new_uuid(),
        user_id,
        performed_at: request.performed_at,
        notes: request.notes.map(Notes::as_str),
        source_message_id: None,
        workout: request.workout,
    };
    let workout = store.insert_workout(&new, &evaluation.writes, ids).await?;
    Ok(Logged {
        workout,
        evaluation,
    })
}

pub async fn get(
    store: &impl WorkoutStore,
    user_id: Uuid,
    workout_id: Uuid,
) -> Result<Option<StoredWorkout>, StoreError> {
    store.workout(user_id, workout_id).await
}

/// One page, newest first, and whether more follow.
pub async fn page(
    store: &impl WorkoutStore,
    user_id: Uuid,
    filter: &WorkoutFilter,
    limit: u32,
) -> Result<Page<StoredWorkout>, StoreError> {
    let fetched = store.workouts(user_id, filter, limit + 1).await?;
    Ok(Page::of(fetched, limit))
}

/// A change to a stored workout; `None` keeps the current value.
pub struct EditWorkout<'a> {
    pub performed_at: Option<DateTime<Utc>>,
    /// `Some(None)` clears the notes.
    pub notes: Option<Option<&'a Notes>>,
    pub workout: Option<&'a Workout>,
}

/// What editing or deleting decided.
pub struct Changed {
    /// The workout after an edit; `None` after a delete.
    pub workout: Option<StoredWorkout>,
    pub evaluation: Evaluation,
}

/// Re-decides every skill the change can affect (those the workout touched before or
/// touches now) from the remaining history, with `replacement` standing in for the
/// workout.
async fn reevaluate_around(
    store: &impl WorkoutStore,
    catalog: &Catalog,
    user_id: Uuid,
    existing: &StoredWorkout,
    replacement: Option<&Workout>,
) -> Result<Evaluation, StoreError> {
    let mut affected: BTreeSet<String> = existing
        .catalog_exercises()
        .into_iter()
        .map(str::to_owned)
        .collect();
    if let Some(workout) = replacement {
        affected.extend(workout.catalog_exercises().into_iter().map(str::to_owned));
    }
    affected.retain(|id| catalog.skill(id).is_some());
    let affected_ids: Vec<&str> = affected.iter().map(String::as_str).collect();
    let (stored, mut history) = store
        .skill_history(user_id, &affected_ids, existing.id)
        .await?;
    if let Some(workout) = replacement {
        for (exercise_id, sets) in workout.session() {
            history.extend(sets.into_iter().map(|set| HistoricalSet {
                workout_id: existing.id,
                exercise_id: exercise_id.clone(),
                set,
            }));
        }
    }
    Ok(skills::reevaluate(catalog, &stored, &affected, &history))
}

/// Edits a workout and re-decides the skills it touched before or touches now.
pub async fn edit(
    store: &impl WorkoutStore,
    ids: &impl Ids,
    catalog: &Catalog,
    user_id: Uuid,
    workout_id: Uuid,
    change: &EditWorkout<'_>,
) -> Result<Option<Changed>, StoreError> {
    let Some(existing) = store.workout(user_id, workout_id).await? else {
        return Ok(None);
    };
    let evaluation = reevaluate_around(store, catalog, user_id, &existing, change.workout).await?;
    let notes = match change.notes {
        Some(notes) => notes.map(Notes::as_str),
        // Kept as stored, even if written before today's text rule.
        None => existing.notes.as_deref(),
    };
    let performed_at = change.performed_at.unwrap_or(existing.performed_at);
    let write = match change.workout {
        Some(workout) => WorkoutChange::Replace(NewWorkout {
            id: workout_id,
            user_id,
            performed_at,
            notes,
            source_message_id: existing.source_message_id,
            workout,
        }),
        None => WorkoutChange::Fields {
            user_id,
            workout_id,
            performed_at,
            notes,
        },
    };
    let workout = store
        .update_workout(&write, &evaluation.writes, ids)
        .await?;
    Ok(Some(Changed {
        workout,
        evaluation,
    }))
}

/// Deletes a workout and re-decides the skills it touched.
pub async fn delete(
    store: &impl WorkoutStore,
    catalog: &Catalog,
    user_id: Uuid,
    workout_id: Uuid,
) -> Result<Option<Changed>, StoreError> {
    let Some(existing) = store.workout(user_id, workout_id).await? else {
        return Ok(None);
    };
    let evaluation = reevaluate_around(store, catalog, user_id, &existing, None).await?;
    store
        .delete_workout(user_id, workout_id, &evaluation.writes)
        .await?;
    Ok(Some(Changed {
        workout: None,
        evaluation,
    }))
}
