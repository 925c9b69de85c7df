//! Statistics: the weekly summary with streaks and records, and one exercise's
//! history. Each is one read-only batch (one round trip).

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::clients::neon::{IsolationLevel, NeonError, QueryResult, TransactionOptions};
use crate::db::Sql;
use crate::db::stats::{
    self, ExerciseInfo, ExerciseSession, PersonalRecord, exercise_from, exercise_sessions_from,
    personal_records_from, workout_times_from, workout_volumes_from,
};
use crate::domain::profile::Timezone;
use crate::domain::stats::{
    Streak, WeekSummary, earliest_instant_of, local_date, streak, training_days, week_starts,
    weekly_volume,
};

/// One read-only snapshot, so the parts of an answer agree with each other.
fn read_only() -> TransactionOptions {
    TransactionOptions {
        read_only: true,
        isolation: IsolationLevel::RepeatableRead,
    }
}

fn nth(results: &[QueryResult], index: usize) -> Result<&QueryResult, NeonError> {
    results
        .get(index)
        .ok_or_else(|| NeonError::decode("a batch returned fewer results than statements"))
}

/// The dashboard: recent weeks, streaks and records.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Today in the person's timezone.
    pub today: NaiveDate,
    pub weeks: Vec<WeekSummary>,
    pub streak: Streak,
    pub personal_records: Vec<PersonalRecord>,
}

/// The last `weeks` weeks (this one included) in `timezone`, as of `now`.
pub async fn summary(
    db: &impl Sql,
    user_id: Uuid,
    timezone: Timezone,
    now: DateTime<Utc>,
    weeks: u32,
) -> Result<Summary, NeonError> {
    let today = local_date(now, timezone);
    let first_monday = week_starts(today, weeks).first().copied().unwrap_or(today);
    let results = db
        .transaction(
            vec![
                stats::select_workout_volumes_statement(user_id, earliest_instant_of(first_monday)),
                stats::select_workout_times_statement(user_id),
                stats::select_personal_records_statement(user_id),
            ],
            read_only(),
        )
        .await?;
    let volumes = workout_volumes_from(nth(&results, 0)?)?;
    let days = training_days(workout_times_from(nth(&results, 1)?)?, timezone);
    Ok(Summary {
        today,
        weeks: weekly_volume(&volumes, timezone, today, weeks),
        streak: streak(&days, today),
        personal_records: personal_records_from(nth(&results, 2)?)?,
    })
}

/// One exercise and the sessions that trained it, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct ExerciseHistory {
    pub exercise: ExerciseInfo,
    pub sessions: Vec<ExerciseSession>,
}

/// `None` when the exercise is neither in the catalog nor the person's own.
pub async fn exercise_history(
    db: &impl Sql,
    user_id: Uuid,
    exercise_id: &str,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Option<ExerciseHistory>, NeonError> {
    let results = db
        .transaction(
            vec![
                stats::select_exercise_statement(user_id, exercise_id),
                stats::select_exercise_sessions_statement(user_id, exercise_id, from, to),
            ],
            read_only(),
        )
        .await?;
    let Some(exercise) = exercise_from(nth(&results, 0)?)? else {
        return Ok(None);
    };
    Ok(Some(ExerciseHistory {
        exercise,
        sessions: exercise_sessions_from(nth(&results, 1)?)?,
    }))
}
