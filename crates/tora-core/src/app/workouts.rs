//! Logging, reading, editing and deleting workouts. Every write stores the workout and
//! the skill states it moves in one transaction.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::clients::neon::{NeonError, TransactionOptions};
use crate::db::Sql;
use crate::db::skills::{StateWrite, select_states_statement, states_from, upsert_statement};
use crate::db::workouts::{
    self, NewWorkout, StoredWorkout, WorkoutFilter, historical_sets_from,
    select_sets_of_exercises_statement, workouts_from,
};
use crate::domain::catalog::Catalog;
use crate::domain::skills::{self, Evaluation, HistoricalSet, SkillRecord};
use crate::domain::workout::Workout;
use crate::ports::{Ids, Page};

/// A workout to log, validated.
pub struct LogWorkout<'a> {
    pub performed_at: DateTime<Utc>,
    pub notes: Option<&'a str>,
    pub workout: &'a Workout,
}

/// A stored workout and what it did to the skill tree.
pub struct Logged {
    pub workout: StoredWorkout,
    pub evaluation: Evaluation,
}

/// Runs a workout write with its skill-state writes in one transaction and reads the
/// workout back at its end.
async fn write_and_read_back(
    db: &impl Sql,
    user_id: Uuid,
    workout_id: Uuid,
    mut statements: Vec<crate::clients::neon::Statement>,
    evaluation: &Evaluation,
    mode: StateWrite,
) -> Result<Option<StoredWorkout>, NeonError> {
    statements.extend(upsert_statement(user_id, &evaluation.writes, mode));
    statements.push(workouts::select_one_statement(user_id, workout_id));
    let mut results = db
        .transaction(statements, TransactionOptions::default())
        .await?;
    Ok(results
        .pop()
        .map(workouts_from)
        .transpose()?
        .and_then(|mut found| found.pop()))
}

/// Stores a workout logged without chat, given the caller's stored skill rows (read
/// with the user, so logging takes two round trips in all).
pub async fn log(
    db: &impl Sql,
    ids: &impl Ids,
    catalog: &Catalog,
    user_id: Uuid,
    stored: &BTreeMap<String, SkillRecord>,
    request: &LogWorkout<'_>,
) -> Result<Logged, NeonError> {
    let evaluation = skills::log_session(catalog, stored, &request.workout.session());
    let workout_id = ids.new_uuid();
    let new = NewWorkout {
        id: workout_id,
        user_id,
        performed_at: request.performed_at,
        notes: request.notes,
        source_message_id: None,
        workout: request.workout,
    };
    let statements = workouts::insert_statements(&new, || ids.new_uuid());
    let workout = write_and_read_back(
        db,
        user_id,
        workout_id,
        statements,
        &evaluation,
        StateWrite::Raise,
    )
    .await?
    .ok_or_else(|| NeonError::decode("the stored workout could not be read back"))?;
    Ok(Logged {
        workout,
        evaluation,
    })
}

pub async fn get(
    db: &impl Sql,
    user_id: Uuid,
    workout_id: Uuid,
) -> Result<Option<StoredWorkout>, NeonError> {
    let result = db
        .query(workouts::select_one_statement(user_id, workout_id))
        .await?;
    Ok(workouts_from(result)?.pop())
}

/// One page, newest first, and whether more follow.
pub async fn page(
    db: &impl Sql,
    user_id: Uuid,
    filter: &WorkoutFilter,
    limit: u32,
) -> Result<Page<StoredWorkout>, NeonError> {
    let fetched = workouts::page(db, user_id, filter, limit + 1).await?;
    Ok(Page::of(fetched, limit))
}

/// A change to a stored workout; `None` keeps the current value.
pub struct EditWorkout<'a> {
    pub performed_at: Option<DateTime<Utc>>,
    pub notes: Option<Option<&'a str>>,
    pub workout: Option<&'a Workout>,
}

/// What editing or deleting decided.
pub struct Changed {
    /// The workout after an edit; `None` after a delete.
    pub workout: Option<StoredWorkout>,
    pub evaluation: Evaluation,
}

/// Reads the workout, the stored states and the history of every skill the change can
/// affect, and re-decides those skills with `replacement` standing in for the workout.
async fn reevaluate_around(
    db: &impl Sql,
    catalog: &Catalog,
    user_id: Uuid,
    existing: &StoredWorkout,
    replacement: Option<&Workout>,
) -> Result<Evaluation, NeonError> {
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
    let results = db
        .transaction(
            vec![
                select_states_statement(user_id),
                select_sets_of_exercises_statement(user_id, &affected_ids, Some(existing.id)),
            ],
            TransactionOptions {
                read_only: true,
                ..TransactionOptions::default()
            },
        )
        .await?;
    let stored = results
        .first()
        .map(states_from)
        .transpose()?
        .unwrap_or_default();
    let mut history = results
        .into_iter()
        .nth(1)
        .map(historical_sets_from)
        .transpose()?
        .unwrap_or_default();
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
    db: &impl Sql,
    ids: &impl Ids,
    catalog: &Catalog,
    user_id: Uuid,
    workout_id: Uuid,
    change: &EditWorkout<'_>,
) -> Result<Option<Changed>, NeonError> {
    let Some(existing) = get(db, user_id, workout_id).await? else {
        return Ok(None);
    };
    let evaluation = reevaluate_around(db, catalog, user_id, &existing, change.workout).await?;
    let notes = match change.notes {
        Some(notes) => notes.map(str::to_owned),
        None => existing.notes.clone(),
    };
    let performed_at = change.performed_at.unwrap_or(existing.performed_at);
    let statements = match change.workout {
        Some(workout) => workouts::replace_statements(
            &NewWorkout {
                id: workout_id,
                user_id,
                performed_at,
                notes: notes.as_deref(),
                source_message_id: existing.source_message_id,
                workout,
            },
            || ids.new_uuid(),
        ),
        None => vec![workouts::update_fields_statement(
            user_id,
            workout_id,
            performed_at,
            notes.as_deref(),
        )],
    };
    let workout = write_and_read_back(
        db,
        user_id,
        workout_id,
        statements,
        &evaluation,
        StateWrite::Exact,
    )
    .await?;
    Ok(Some(Changed {
        workout,
        evaluation,
    }))
}

/// Deletes a workout and re-decides the skills it touched.
pub async fn delete(
    db: &impl Sql,
    catalog: &Catalog,
    user_id: Uuid,
    workout_id: Uuid,
) -> Result<Option<Changed>, NeonError> {
    let Some(existing) = get(db, user_id, workout_id).await? else {
        return Ok(None);
    };
    let evaluation = reevaluate_around(db, catalog, user_id, &existing, None).await?;
    let mut statements = vec![workouts::delete_statement(user_id, workout_id)];
    statements.extend(upsert_statement(
        user_id,
        &evaluation.writes,
        StateWrite::Exact,
    ));
    db.transaction(statements, TransactionOptions::default())
        .await?;
    Ok(Some(Changed {
        workout: None,
        evaluation,
    }))
}
