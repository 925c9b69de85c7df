//! Reads behind the statistics: volume per workout and category, workout times,
//! personal records and one exercise's sessions. Local days and weeks are decided in
//! Rust (`domain::stats`), so these queries return instants, never local dates.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::batch::{self, Typed};
use super::workouts::side_from;
use crate::clients::neon::{
    IsolationLevel, NeonClient, NeonError, QueryResult, Row, Statement, TransactionOptions,
};
pub use crate::domain::stats::{
    Achieved, ExerciseInfo, ExerciseSession, LoadRecord, PersonalRecord,
};
use crate::domain::stats::{ExerciseWork, SidedWork, Sidedness, Volume, VolumeCategory};
use crate::ports::{Clock, StatsStore, StoreError, SummaryFacts, Transport};

fn category_from(row: &Row) -> Result<VolumeCategory, NeonError> {
    let raw: String = row.get("category")?;
    VolumeCategory::parse(&raw)
        .ok_or_else(|| NeonError::decode("exercises.category holds an unknown category"))
}

fn count(row: &Row, name: &str) -> Result<Option<u32>, NeonError> {
    Ok(row
        .get::<Option<i64>>(name)?
        .and_then(|value| u32::try_from(value).ok()))
}

/// Reps and seconds of each exercise in each workout since `$2`, per sidedness, so the
/// side rule is applied in Rust (`SidedWork::volume`) with the person's setting.
const SELECT_WORKOUT_VOLUMES: &str = "\
select w.id as workout_id, w.performed_at, s.exercise_id, e.category, s.each_side, s.side,
       coalesce(sum(s.reps), 0)::int8 as reps,
       coalesce(sum(s.seconds), 0)::float8 as seconds
from workouts w
join workout_sets s on s.workout_id = w.id
join exercises e on e.id = s.exercise_id
where w.user_id = $1::uuid and w.performed_at >= $2::timestamptz
group by w.id, w.performed_at, s.exercise_id, e.category, s.each_side, s.side
order by w.performed_at, w.id, s.exercise_id";

pub fn select_workout_volumes_statement(user_id: Uuid, since: DateTime<Utc>) -> Statement {
    Statement::new(
        SELECT_WORKOUT_VOLUMES,
        vec![user_id.into(), since.to_rfc3339().into()],
    )
}

pub fn exercise_work_from(result: &QueryResult) -> Result<Vec<ExerciseWork>, NeonError> {
    let mut works: Vec<ExerciseWork> = Vec::new();
    for row in &result.rows {
        let workout_id: Uuid = row.get("workout_id")?;
        let exercise_id: String = row.get("exercise_id")?;
        let sidedness = Sidedness::new(row.get("each_side")?, side_from(row)?);
        let reps: i64 = row.get("reps")?;
        let volume = Volume::new(u64::try_from(reps).unwrap_or(0), row.get("seconds")?);
        // Rows come ordered by workout and exercise: one entry per pair.
        match works.last_mut() {
            Some(last) if last.workout_id == workout_id && last.exercise_id == exercise_id => {
                last.work.add(sidedness, volume);
            }
            _ => {
                let mut work = SidedWork::default();
                work.add(sidedness, volume);
                works.push(ExerciseWork {
                    workout_id,
                    performed_at: row.get("performed_at")?,
                    exercise_id,
                    category: category_from(row)?,
                    work,
                });
            }
        }
    }
    Ok(works)
}

/// When every workout happened: the streaks need them all.
const SELECT_WORKOUT_TIMES: &str = "\
select performed_at from workouts where user_id = $1::uuid order by performed_at";

pub fn select_workout_times_statement(user_id: Uuid) -> Statement {
    Statement::new(SELECT_WORKOUT_TIMES, vec![user_id.into()])
}

pub fn workout_times_from(result: &QueryResult) -> Result<Vec<DateTime<Utc>>, NeonError> {
    result
        .rows
        .iter()
        .map(|row| row.get("performed_at"))
        .collect()
}

/// Per exercise the person logged: how often, and the first time each record was set.
/// Records count unassisted sets only, as `SetFields::unassisted` does (`assisted` is
/// enough here: the table's checks make `assist_kg` imply it and keep `added_kg` from
/// being negative): best reps in one set, longest hold, heaviest added load (with the
/// reps or seconds done with it). Assisted sets have their own record:
/// the least assistance, then the most reps or longest hold with it.
const SELECT_PERSONAL_RECORDS: &str = "\
with sets as (
    select s.exercise_id, s.reps, s.seconds, s.added_kg, s.assist_kg, s.load_unit,
           not s.assisted as unassisted,
           w.id as workout_id, w.performed_at
    from workout_sets s join workouts w on w.id = s.workout_id
    where s.user_id = $1::uuid
),
totals as (
    select exercise_id, count(distinct workout_id)::int8 as sessions,
           max(performed_at) as last_performed_at
    from sets group by exercise_id
),
best_reps as (
    select distinct on (exercise_id) exercise_id, reps, performed_at, workout_id
    from sets where unassisted and reps is not null
    order by exercise_id, reps desc, performed_at, workout_id
),
best_hold as (
    select distinct on (exercise_id) exercise_id, seconds, performed_at, workout_id
    from sets where unassisted and seconds is not null
    order by exercise_id, seconds desc, performed_at, workout_id
),
best_load as (
    select distinct on (exercise_id) exercise_id, added_kg, reps, seconds, load_unit,
           performed_at, workout_id
    from sets where unassisted and added_kg > 0
    order by exercise_id, added_kg desc, reps desc nulls last, seconds desc nulls last,
             performed_at, workout_id
),
least_assist as (
    select distinct on (exercise_id) exercise_id, assist_kg, reps, seconds, load_unit,
           performed_at, workout_id
    from sets where assist_kg is not null
    order by exercise_id, assist_kg, reps desc nulls last, seconds desc nulls last,
             performed_at, workout_id
)
select t.exercise_id, e.name, e.category, e.owner_user_id is not null as custom,
       t.sessions, t.last_performed_at,
       r.reps as max_reps, r.performed_at as max_reps_at, r.workout_id as max_reps_workout_id,
       h.seconds::float8 as max_seconds, h.performed_at as max_seconds_at,
       h.workout_id as max_seconds_workout_id,
       l.added_kg::float8 as max_added_kg, l.reps as max_added_kg_reps,
       l.seconds::float8 as max_added_kg_seconds, l.load_unit as max_added_kg_unit,
       l.performed_at as max_added_kg_at, l.workout_id as max_added_kg_workout_id,
       a.assist_kg::float8 as min_assist_kg, a.reps as min_assist_kg_reps,
       a.seconds::float8 as min_assist_kg_seconds, a.load_unit as min_assist_kg_unit,
       a.performed_at as min_assist_kg_at, a.workout_id as min_assist_kg_workout_id
from totals t
join exercises e on e.id = t.exercise_id
left join best_reps r on r.exercise_id = t.exercise_id
left join best_hold h on h.exercise_id = t.exercise_id
left join best_load l on l.exercise_id = t.exercise_id
left join least_assist a on a.exercise_id = t.exercise_id
order by lower(e.name), t.exercise_id";

pub fn select_personal_records_statement(user_id: Uuid) -> Statement {
    Statement::new(SELECT_PERSONAL_RECORDS, vec![user_id.into()])
}

fn achieved<T>(
    row: &Row,
    prefix: &str,
    value: Option<T>,
) -> Result<Option<Achieved<T>>, NeonError> {
    let Some(value) = value else {
        return Ok(None);
    };
    Ok(Some(Achieved {
        value,
        achieved_at: row.get(&format!("{prefix}_at"))?,
        workout_id: row.get(&format!("{prefix}_workout_id"))?,
    }))
}

pub fn personal_records_from(result: &QueryResult) -> Result<Vec<PersonalRecord>, NeonError> {
    result
        .rows
        .iter()
        .map(|row| {
            let load = |prefix: &str| -> Result<Option<LoadRecord>, NeonError> {
                row.get::<Option<f64>>(prefix)?
                    .map(|kg| {
                        Ok(LoadRecord {
                            kg,
                            reps: count(row, &format!("{prefix}_reps"))?,
                            seconds: row.get(&format!("{prefix}_seconds"))?,
                            load_unit: row.get(&format!("{prefix}_unit"))?,
                        })
                    })
                    .transpose()
            };
            Ok(PersonalRecord {
                exercise_id: row.get("exercise_id")?,
                name: row.get("name")?,
                category: category_from(row)?,
                custom: row.get("custom")?,
                sessions: count(row, "sessions")?.unwrap_or(0),
                last_performed_at: row.get("last_performed_at")?,
                max_reps: achieved(row, "max_reps", count(row, "max_reps")?)?,
                max_seconds: achieved(row, "max_seconds", row.get("max_seconds")?)?,
                max_added_kg: achieved(row, "max_added_kg", load("max_added_kg")?)?,
                min_assist_kg: achieved(row, "min_assist_kg", load("min_assist_kg")?)?,
            })
        })
        .collect()
}

/// A catalog exercise, or one of the person's own; another person's is not found.
const SELECT_EXERCISE: &str = "\
select e.id, e.name, e.category, e.owner_user_id is not null as custom
from exercises e
where e.id = $1::text and (e.owner_user_id is null or e.owner_user_id = $2::uuid)";

pub fn select_exercise_statement(user_id: Uuid, exercise_id: &str) -> Statement {
    Statement::new(SELECT_EXERCISE, vec![exercise_id.into(), user_id.into()])
}

pub fn exercise_from(result: &QueryResult) -> Result<Option<ExerciseInfo>, NeonError> {
    result
        .rows
        .first()
        .map(|row| {
            Ok(ExerciseInfo {
                id: row.get("id")?,
                name: row.get("name")?,
                category: category_from(row)?,
                custom: row.get("custom")?,
            })
        })
        .transpose()
}

/// Each workout with this exercise in `[$3, $4)`, oldest first, with its sets of it.
const SELECT_EXERCISE_SESSIONS: &str = "\
select w.id as workout_id, w.performed_at,
       jsonb_agg(jsonb_build_object(
                 'reps', s.reps, 'reps_max', s.reps_max, 'seconds', s.seconds,
                 'added_kg', s.added_kg, 'assist_kg', s.assist_kg,
                 'load_unit', s.load_unit, 'assisted', s.assisted,
                 'each_side', s.each_side, 'side', s.side, 'rpe', s.rpe)
             order by s.position) as sets
from workout_sets s join workouts w on w.id = s.workout_id
where s.user_id = $1::uuid and s.exercise_id = $2::text
  and ($3::timestamptz is null or w.performed_at >= $3::timestamptz)
  and ($4::timestamptz is null or w.performed_at < $4::timestamptz)
group by w.id, w.performed_at
order by w.performed_at, w.id";

pub fn select_exercise_sessions_statement(
    user_id: Uuid,
    exercise_id: &str,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Statement {
    Statement::new(
        SELECT_EXERCISE_SESSIONS,
        vec![
            user_id.into(),
            exercise_id.into(),
            from.map(|at| at.to_rfc3339()).into(),
            to.map(|at| at.to_rfc3339()).into(),
        ],
    )
}

pub fn exercise_sessions_from(result: &QueryResult) -> Result<Vec<ExerciseSession>, NeonError> {
    result
        .rows
        .iter()
        .map(|row| {
            let sets: Value = row.get("sets")?;
            Ok(ExerciseSession {
                workout_id: row.get("workout_id")?,
                performed_at: row.get("performed_at")?,
                sets: serde_json::from_value(sets)
                    .map_err(|error| NeonError::decode(format!("exercise sets: {error}")))?,
            })
        })
        .collect()
}

/// One read-only snapshot, so the parts of an answer agree with each other.
fn read_only() -> TransactionOptions {
    TransactionOptions {
        read_only: true,
        isolation: IsolationLevel::RepeatableRead,
    }
}

impl<T: Transport, C: Clock> StatsStore for NeonClient<'_, T, C> {
    async fn summary_facts(
        &self,
        user_id: Uuid,
        since: DateTime<Utc>,
    ) -> Result<SummaryFacts, StoreError> {
        let (volumes, workout_times, personal_records) = batch::run(
            self,
            (
                Typed::new(select_workout_volumes_statement(user_id, since), |result| {
                    exercise_work_from(&result)
                }),
                Typed::new(select_workout_times_statement(user_id), |result| {
                    workout_times_from(&result)
                }),
                Typed::new(select_personal_records_statement(user_id), |result| {
                    personal_records_from(&result)
                }),
            ),
            read_only(),
        )
        .await?;
        Ok(SummaryFacts {
            volumes,
            workout_times,
            personal_records,
        })
    }

    async fn exercise_sessions(
        &self,
        user_id: Uuid,
        exercise_id: &str,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Option<(ExerciseInfo, Vec<ExerciseSession>)>, StoreError> {
        let (exercise, sessions) = batch::run(
            self,
            (
                Typed::new(select_exercise_statement(user_id, exercise_id), |result| {
                    exercise_from(&result)
                }),
                Typed::new(
                    select_exercise_sessions_statement(user_id, exercise_id, from, to),
                    |result| exercise_sessions_from(&result),
                ),
            ),
            read_only(),
        )
        .await?;
        Ok(exercise.map(|exercise| (exercise, sessions)))
    }
}
