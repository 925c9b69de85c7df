//! Statistics: the weekly summary with streaks and records, and one exercise's
//! history. Each is one read-only snapshot (one round trip).

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::domain::profile::{RestDays, Timezone, WeeklyGoal};
use crate::domain::stats::{
    ExerciseInfo, ExerciseSession, PersonalRecord, SideCounting, Streak, WeekProgress, WeekSummary,
    earliest_instant_of, local_date, streak, this_week, training_days, week_starts, weekly_volume,
};
use crate::ports::{StatsStore, StoreError};

/// The dashboard: recent weeks, streaks and records.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Today in the person's timezone.
    pub today: NaiveDate,
    pub weeks: Vec<WeekSummary>,
    pub streak: Streak,
    pub this_week: WeekProgress,
    pub personal_records: Vec<PersonalRecord>,
}

/// What the person aims for: the weekly goal and the planned rest days.
#[derive(Debug, Clone, Copy, Default)]
pub struct TrainingPlan {
    pub weekly_goal: Option<WeeklyGoal>,
    pub rest_days: RestDays,
    /// How one-sided work counts in volume.
    pub side_counting: SideCounting,
}

/// The last `weeks` weeks (this one included) in `timezone`, as of `now`.
pub async fn summary(
    store: &impl StatsStore,
    user_id: Uuid,
    timezone: Timezone,
    plan: TrainingPlan,
    now: DateTime<Utc>,
    weeks: u32,
) -> Result<Summary, StoreError> {
    let today = local_date(now, timezone);
    let first_monday = week_starts(today, weeks).first().copied().unwrap_or(today);
    let facts = store
        .summary_facts(user_id, earliest_instant_of(first_monday))
        .await?;
    let days = training_days(facts.workout_times, timezone);
    let volumes: Vec<_> = facts
        .volumes
        .iter()
        .map(|work| work.counted(plan.side_counting))
        .collect();
    Ok(Summary {
        today,
        weeks: weekly_volume(&volumes, timezone, today, weeks),
        streak: streak(&days, today, plan.rest_days, plan.weekly_goal),
        this_week: this_week(&days, today, plan.weekly_goal),
        personal_records: facts.personal_records,
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
    store: &impl StatsStore,
    user_id: Uuid,
    exercise_id: &str,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Option<ExerciseHistory>, StoreError> {
    Ok(store
        .exercise_sessions(user_id, exercise_id, from, to)
        .await?
        .map(|(exercise, sessions)| ExerciseHistory { exercise, sessions }))
}
