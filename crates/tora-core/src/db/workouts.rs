//! Workouts and their sets.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::batch::{self, Typed, Writes};
use super::skills::{StateWrite, select_states_statement, states_from, upsert_statement};
use crate::clients::neon::{
    NeonClient, NeonError, Param, QueryResult, Row, Statement, TransactionOptions,
};
use crate::domain::profile::Units;
use crate::domain::skills::{HistoricalSet, SkillRecord};
use crate::domain::workout::{ExerciseRef, SetFields, Side, Workout};
pub use crate::domain::workout::{NewWorkout, StoredSet, StoredWorkout};
pub use crate::ports::WorkoutFilter;
use crate::ports::{Clock, Ids, StoreError, Transport, WorkoutChange, WorkoutStore};

impl StoredWorkout {
    fn from_row(row: &Row) -> Result<Self, NeonError> {
        let sets: Value = row.get("sets")?;
        Ok(Self {
            id: row.get("id")?,
            performed_at: row.get("performed_at")?,
            notes: row.get("notes")?,
            source_message_id: row.get("source_message_id")?,
            import_id: row.get("import_id")?,
            sets: serde_json::from_value(sets)
                .map_err(|error| NeonError::decode(format!("workout sets: {error}")))?,
            created_at: row.get("created_at")?,
            updated_at: row.get("updated_at")?,
        })
    }
}

const INSERT_CUSTOM_EXERCISE: &str = "\
insert into exercises (id, name, category, owner_user_id)
values ($1::text, $2::text, 'other', $3::uuid)
on conflict do nothing";

const INSERT_WORKOUT: &str = "\
insert into workouts (id, user_id, source_message_id, performed_at, notes)
values ($1::uuid, $2::uuid, $3::uuid, $4::timestamptz, $5::text)";

/// All sets in one statement. A custom exercise is found by the owner and name, so a
/// name the person used before maps to the exercise created then.
const INSERT_SETS: &str = "\
insert into workout_sets (id, workout_id, user_id, exercise_id, position, reps, reps_max, seconds,
                          added_kg, assist_kg, load_unit, assisted, each_side, side, rpe)
select s.id, $1::uuid, $2::uuid,
       coalesce(s.exercise_id,
                (select e.id from exercises e
                 where e.owner_user_id = $2::uuid and lower(e.name) = lower(s.custom_name))),
       s.position, s.reps, s.reps_max, s.seconds, s.added_kg, s.assist_kg, s.load_unit,
       s.assisted, s.each_side, s.side, s.rpe
from jsonb_to_recordset($3::jsonb) as s(id uuid, exercise_id text, custom_name text, position int,
     reps int, reps_max int, seconds numeric, added_kg numeric, assist_kg numeric, load_unit text,
     assisted bool, each_side bool, side text, rpe numeric)";

/// The statements that store a workout, for use inside a caller's transaction.
/// `new_id` supplies row ids.
pub fn insert_statements(new: &NewWorkout<'_>, mut new_id: impl FnMut() -> Uuid) -> Vec<Statement> {
    let mut statements = Vec::new();
    let mut custom_names: Vec<&str> = Vec::new();
    for entry in new.workout.entries() {
        if let ExerciseRef::Custom { name } = &entry.exercise
            && !custom_names
                .iter()
                .any(|seen| seen.to_lowercase() == name.to_lowercase())
        {
            custom_names.push(name);
            statements.push(Statement::new(
                INSERT_CUSTOM_EXERCISE,
                vec![
                    format!("c_{}", new_id().simple()).into(),
                    name.as_str().into(),
                    new.user_id.into(),
                ],
            ));
        }
    }
    statements.push(Statement::new(
        INSERT_WORKOUT,
        vec![
            new.id.into(),
            new.user_id.into(),
            new.source_message_id.into(),
            new.performed_at.to_rfc3339().into(),
            new.notes.into(),
        ],
    ));
    statements.push(Statement::new(
        INSERT_SETS,
        vec![
            new.id.into(),
            new.user_id.into(),
            Param::Json(sets_json(new.workout, &mut new_id)),
        ],
    ));
    statements
}

fn sets_json(workout: &Workout, new_id: &mut impl FnMut() -> Uuid) -> Value {
    let mut position = 0;
    let mut rows = Vec::new();
    for entry in workout.entries() {
        let (exercise_id, custom_name) = match &entry.exercise {
            ExerciseRef::Catalog(id) => (Some(id.as_str()), None),
            ExerciseRef::Custom { name } => (None, Some(name.as_str())),
        };
        for set in &entry.sets {
            rows.push(json!({
                "id": new_id().to_string(),
                "exercise_id": exercise_id,
                "custom_name": custom_name,
                "position": position,
                "reps": set.reps,
                "reps_max": set.reps_max,
                "seconds": set.seconds,
                "added_kg": set.added_kg,
                "assist_kg": set.assist_kg,
                "load_unit": set.load_unit.map(Units::as_str),
                "assisted": set.assisted,
                "each_side": set.each_side,
                "side": set.side.map(Side::as_str),
                "rpe": set.rpe,
            }));
            position += 1;
        }
    }
    Value::Array(rows)
}

/// Replaces a workout's fields and sets (used inside a caller's transaction).
const UPDATE_WORKOUT: &str = "\
update workouts set performed_at = $3::timestamptz, notes = $4::text, updated_at = now()
where id = $1::uuid and user_id = $2::uuid";

/// Changes when and notes without touching the sets.
pub fn update_fields_statement(
    user_id: Uuid,
    workout_id: Uuid,
    performed_at: DateTime<Utc>,
    notes: Option<&str>,
) -> Statement {
    Statement::new(
        UPDATE_WORKOUT,
        vec![
            workout_id.into(),
            user_id.into(),
            performed_at.to_rfc3339().into(),
            notes.into(),
        ],
    )
}

const DELETE_SETS: &str =
    "delete from workout_sets where workout_id = $1::uuid and user_id = $2::uuid";

pub fn replace_statements(new: &NewWorkout<'_>, new_id: impl FnMut() -> Uuid) -> Vec<Statement> {
    let mut statements = vec![
        Statement::new(
            UPDATE_WORKOUT,
            vec![
                new.id.into(),
                new.user_id.into(),
                new.performed_at.to_rfc3339().into(),
                new.notes.into(),
            ],
        ),
        Statement::new(DELETE_SETS, vec![new.id.into(), new.user_id.into()]),
    ];
    statements.extend(
        insert_statements(new, new_id)
            .into_iter()
            .filter(|statement| statement.sql != INSERT_WORKOUT),
    );
    statements
}

const DELETE_WORKOUT: &str = "delete from workouts where id = $1::uuid and user_id = $2::uuid";

pub fn delete_statement(user_id: Uuid, workout_id: Uuid) -> Statement {
    Statement::new(DELETE_WORKOUT, vec![workout_id.into(), user_id.into()])
}

/// A workout with its sets as one jsonb array, in position order, followed by the
/// `from`/`where` of the caller.
macro_rules! select_workouts {
    ($rest:literal) => {
        concat!(
            "select w.id, w.performed_at, w.notes, w.source_message_id, w.import_id, w.created_at,
       w.updated_at,
       coalesce((
           select jsonb_agg(jsonb_build_object(
                      'exercise_id', s.exercise_id, 'exercise_name', e.name,
                      'custom', e.owner_user_id is not null,
                      'reps', s.reps, 'reps_max', s.reps_max, 'seconds', s.seconds,
                      'added_kg', s.added_kg, 'assist_kg', s.assist_kg,
                      'load_unit', s.load_unit, 'assisted', s.assisted,
                      'each_side', s.each_side, 'side', s.side, 'rpe', s.rpe)
                  order by s.position)
           from workout_sets s join exercises e on e.id = s.exercise_id
           where s.workout_id = w.id), '[]'::jsonb) as sets
",
            $rest
        )
    };
}
pub(crate) use select_workouts;

const SELECT_WORKOUTS: &str = select_workouts!(
    "from workouts w
where w.user_id = $1::uuid
  and ($2::uuid is null or w.id = $2::uuid)
  and ($3::timestamptz is null or w.performed_at >= $3::timestamptz)
  and ($4::timestamptz is null or w.performed_at < $4::timestamptz)
  and ($5::timestamptz is null or (w.performed_at, w.id) < ($5::timestamptz, $6::uuid))
order by w.performed_at desc, w.id desc
limit $7::int4"
);

/// The workout a chat message logged, found by the caller's subject and the message's
/// client id (for batches that run before the user id is known).
const SELECT_WORKOUT_OF_MESSAGE: &str = select_workouts!(
    "from workouts w
join chat_messages m on m.id = w.source_message_id
join users u on u.id = m.user_id
where u.auth_subject = $1::text and m.client_message_id = $2::text"
);

pub fn select_of_message_statement(subject: &str, client_message_id: &str) -> Statement {
    Statement::new(
        SELECT_WORKOUT_OF_MESSAGE,
        vec![subject.into(), client_message_id.into()],
    )
}

const SELECT_WORKOUT_OF_MESSAGE_ID: &str = select_workouts!(
    "from workouts w
where w.user_id = $1::uuid and w.source_message_id = $2::uuid"
);

pub fn select_by_message_id_statement(user_id: Uuid, message_id: Uuid) -> Statement {
    Statement::new(
        SELECT_WORKOUT_OF_MESSAGE_ID,
        vec![user_id.into(), message_id.into()],
    )
}

/// The first workout of a result, if any.
pub fn workout_from(result: QueryResult) -> Result<Option<StoredWorkout>, NeonError> {
    Ok(workouts_from(result)?.pop())
}

pub fn select_page_statement(user_id: Uuid, filter: &WorkoutFilter, limit: u32) -> Statement {
    Statement::new(
        SELECT_WORKOUTS,
        vec![
            user_id.into(),
            Param::Null,
            filter.from.map(|at| at.to_rfc3339()).into(),
            filter.to.map(|at| at.to_rfc3339()).into(),
            filter.after.map(|cursor| cursor.at.to_rfc3339()).into(),
            filter.after.map(|cursor| cursor.id).into(),
            i64::from(limit).into(),
        ],
    )
}

pub fn select_one_statement(user_id: Uuid, workout_id: Uuid) -> Statement {
    Statement::new(
        SELECT_WORKOUTS,
        vec![
            user_id.into(),
            workout_id.into(),
            Param::Null,
            Param::Null,
            Param::Null,
            Param::Null,
            1_i64.into(),
        ],
    )
}

pub fn workouts_from(result: QueryResult) -> Result<Vec<StoredWorkout>, NeonError> {
    result.rows.iter().map(StoredWorkout::from_row).collect()
}

/// Every set of these exercises the user ever logged, with its workout, for
/// re-deciding mastery. `$3` leaves out one workout (the one being replaced), `$4` the
/// workouts of one import (the one being deleted).
const SELECT_SETS_OF_EXERCISES: &str = "\
select s.workout_id, s.exercise_id, s.reps, s.seconds::float8 as seconds,
       s.added_kg::float8 as added_kg, s.assist_kg::float8 as assist_kg, s.assisted,
       s.each_side, s.side
from workout_sets s
where s.user_id = $1::uuid
  and s.exercise_id = any($2::text[])
  and ($3::uuid is null or s.workout_id <> $3::uuid)
  and ($4::uuid is null or not exists (
      select 1 from workouts w where w.id = s.workout_id and w.import_id = $4::uuid))
order by s.workout_id, s.position";

pub fn select_sets_of_exercises_statement(
    user_id: Uuid,
    exercise_ids: &[&str],
    except: Option<Uuid>,
    except_import: Option<Uuid>,
) -> Statement {
    // A Postgres array literal: the ids are catalog ids (letters, digits, `_`), but
    // quote them anyway so the literal is right for any text.
    let literal = format!(
        "{{{}}}",
        exercise_ids
            .iter()
            .map(|id| format!("\"{}\"", id.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect::<Vec<_>>()
            .join(",")
    );
    Statement::new(
        SELECT_SETS_OF_EXERCISES,
        vec![
            user_id.into(),
            literal.into(),
            except.into(),
            except_import.into(),
        ],
    )
}

/// A set's `side` column.
pub(crate) fn side_from(row: &Row) -> Result<Option<Side>, NeonError> {
    row.get::<Option<String>>("side")?
        .map(|raw| {
            Side::parse(&raw)
                .ok_or_else(|| NeonError::decode("workout_sets.side holds an unknown side"))
        })
        .transpose()
}

pub fn historical_sets_from(result: QueryResult) -> Result<Vec<HistoricalSet>, NeonError> {
    result
        .rows
        .iter()
        .map(|row| {
            Ok(HistoricalSet {
                workout_id: row.get("workout_id")?,
                exercise_id: row.get("exercise_id")?,
                set: SetFields {
                    reps: row
                        .get::<Option<i64>>("reps")?
                        .and_then(|reps| u32::try_from(reps).ok()),
                    seconds: row.get("seconds")?,
                    added_kg: row.get("added_kg")?,
                    assist_kg: row.get("assist_kg")?,
                    assisted: row.get("assisted")?,
                    each_side: row.get("each_side")?,
                    side: side_from(row)?,
                    ..SetFields::default()
                },
            })
        })
        .collect()
}

/// The skill rows and every set of `exercise_ids`, leaving out one workout and the
/// workouts of one import, from one read-only snapshot.
pub(crate) async fn skill_history_without(
    db: &impl super::Sql,
    user_id: Uuid,
    exercise_ids: &[&str],
    except: Option<Uuid>,
    except_import: Option<Uuid>,
) -> Result<(BTreeMap<String, SkillRecord>, Vec<HistoricalSet>), StoreError> {
    Ok(batch::run(
        db,
        (
            Typed::new(select_states_statement(user_id), |result| {
                states_from(&result)
            }),
            Typed::new(
                select_sets_of_exercises_statement(user_id, exercise_ids, except, except_import),
                historical_sets_from,
            ),
        ),
        TransactionOptions {
            read_only: true,
            ..TransactionOptions::default()
        },
    )
    .await?)
}

fn one_workout(user_id: Uuid, workout_id: Uuid) -> Typed<Option<StoredWorkout>> {
    Typed::new(select_one_statement(user_id, workout_id), workout_from)
}

impl<T: Transport, C: Clock> WorkoutStore for NeonClient<'_, T, C> {
    async fn insert_workout(
        &self,
        new: &NewWorkout<'_>,
        skill_writes: &BTreeMap<String, SkillRecord>,
        ids: &impl Ids,
    ) -> Result<StoredWorkout, StoreError> {
        let mut writes = insert_statements(new, || ids.new_uuid());
        writes.extend(upsert_statement(
            new.user_id,
            skill_writes,
            StateWrite::Raise,
        ));
        let ((), stored) = batch::run(
            self,
            (Writes(writes), one_workout(new.user_id, new.id)),
            TransactionOptions::default(),
        )
        .await?;
        stored.ok_or_else(|| StoreError::corrupt("the stored workout could not be read back"))
    }

    async fn workout(
        &self,
        user_id: Uuid,
        workout_id: Uuid,
    ) -> Result<Option<StoredWorkout>, StoreError> {
        Ok(one_workout(user_id, workout_id).run(self).await?)
    }

    async fn workouts(
        &self,
        user_id: Uuid,
        filter: &WorkoutFilter,
        limit: u32,
    ) -> Result<Vec<StoredWorkout>, StoreError> {
        Ok(
            Typed::new(select_page_statement(user_id, filter, limit), workouts_from)
                .run(self)
                .await?,
        )
    }

    async fn skill_history(
        &self,
        user_id: Uuid,
        exercise_ids: &[&str],
        except: Uuid,
    ) -> Result<(BTreeMap<String, SkillRecord>, Vec<HistoricalSet>), StoreError> {
        skill_history_without(self, user_id, exercise_ids, Some(except), None).await
    }

    async fn update_workout(
        &self,
        change: &WorkoutChange<'_>,
        skill_writes: &BTreeMap<String, SkillRecord>,
        ids: &impl Ids,
    ) -> Result<Option<StoredWorkout>, StoreError> {
        let (user_id, workout_id, mut writes) = match change {
            WorkoutChange::Fields {
                user_id,
                workout_id,
                performed_at,
                notes,
            } => (
                *user_id,
                *workout_id,
                vec![update_fields_statement(
                    *user_id,
                    *workout_id,
                    *performed_at,
                    *notes,
                )],
            ),
            WorkoutChange::Replace(new) => (
                new.user_id,
                new.id,
                replace_statements(new, || ids.new_uuid()),
            ),
        };
        writes.extend(upsert_statement(user_id, skill_writes, StateWrite::Exact));
        let ((), stored) = batch::run(
            self,
            (Writes(writes), one_workout(user_id, workout_id)),
            TransactionOptions::default(),
        )
        .await?;
        Ok(stored)
    }

    async fn delete_workout(
        &self,
        user_id: Uuid,
        workout_id: Uuid,
        skill_writes: &BTreeMap<String, SkillRecord>,
    ) -> Result<(), StoreError> {
        let mut writes = vec![delete_statement(user_id, workout_id)];
        writes.extend(upsert_statement(user_id, skill_writes, StateWrite::Exact));
        batch::run(self, (Writes(writes),), TransactionOptions::default()).await?;
        Ok(())
    }
}
