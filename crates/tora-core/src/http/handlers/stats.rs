//! `/v1/stats`: weekly volume, streaks, personal records, per-exercise history.
//!
//! Days and weeks are the caller's: dates in their profile timezone, weeks starting on
//! Monday. Volume is `{reps, hold_seconds}` of work: by default a set done on each side
//! counts once ("5 each side" is 5 reps) and a left set pairs with a right set (the
//! larger side counts, an unpaired side in full); with `count_sides_separately` in
//! `/v1/me` every side counts ("5 each side" is 10 reps, left 5 + right 5 is 10). A
//! rep range counts its lower end; assisted sets count. Records and top sets prefer unassisted sets (not marked assisted, no
//! counterweight).
//!
//! `GET /v1/stats/summary?weeks=N` (1..=52, default 8), two round trips (the user,
//! then one read-only batch):
//! ```json
//! {"timezone": "Europe/Berlin", "today": "2026-11-25",
//!  "weeks": [{"week_start": "2026-11-23", "workouts": 2, "training_days": 2,
//!             "categories": {"push": {"reps": 36, "hold_seconds": 0.0}, "pull": {...},
//!                            "legs": {...}, "core": {...}, "skill": {...}, "other": {...}}}],
//!  "streak": {"current_days": 3, "longest_days": 9, "current_weeks": 4, "longest_weeks": 6},
//!  "this_week": {"week_start": "2026-11-23", "training_days": 2, "goal_days": 4,
//!                "goal_met": false},
//!  "personal_records": [{"exercise": "pull_up", "name": "Pull-up", "category": "pull",
//!     "custom": false, "sessions": 12, "last_performed_at": "...",
//!     "max_reps": {"reps": 12, "achieved_at": "...", "workout_id": "..."} | null,
//!     "max_seconds": {"seconds": 30.0, "achieved_at": "...", "workout_id": "..."} | null,
//!     "max_added_kg": {"added_kg": 20.0, "reps": 5, "seconds": null, "load_unit": "kg",
//!                      "achieved_at": "...", "workout_id": "..."} | null,
//!     "min_assist_kg": {"assist_kg": 15.0, "reps": 8, "seconds": null, "load_unit": "kg",
//!                       "achieved_at": "...", "workout_id": "..."} | null}]}
//! ```
//! `weeks` runs oldest first and ends with the current week; weeks without training
//! are there with zeros. The current streak counts today, or ends yesterday when
//! nothing is logged today yet; a planned rest day (`rest_days` in `/v1/me`) without
//! training neither counts nor breaks it. The weekly streak (null without
//! `weekly_goal_days`) counts weeks in a row with at least the goal's training days;
//! this week joins it once it reaches the goal and does not break it before it ends. Records are the first time the best value was reached,
//! one entry per exercise ever logged, sorted by name.
//!
//! `GET /v1/stats/exercises/{id}?from=&to=` (a catalog id or the caller's own exercise
//! id; `from` inclusive, `to` exclusive, each a date in the caller's timezone or an RFC
//! 3339 time), two round trips:
//! ```json
//! {"exercise": "pull_up", "name": "Pull-up", "category": "pull", "custom": false,
//!  "sessions": [{"workout_id": "...", "performed_at": "...",
//!                "best_set": {"reps": 5, "added_kg": 10.0, "load_unit": "kg"},
//!                "volume": {"reps": 21, "hold_seconds": 0.0}, "sets": 3}]}
//! ```
//! `sessions` runs oldest first; `best_set` is the top set (heaviest load, then most
//! reps, then longest hold), in the set shape of `/v1/workouts`; `sets` counts the
//! session's sets of this exercise.

use chrono::NaiveDate;
use http::{Response, StatusCode};
use serde::Serialize;

use super::workouts::timestamp;
use super::{json, resolve};
use crate::app::stats::{self, ExerciseHistory, Summary};
use crate::auth::AuthenticatedSubject;
use crate::db::stats::{Achieved, ExerciseSession, PersonalRecord};
use crate::domain::profile::{Timezone, WeeklyGoal};
use crate::domain::stats::{
    CategoryVolumes, SideCounting, Volume, VolumeCategory, WeekSummary, session_volume, top_set,
};
use crate::domain::workout::{LoggedSet, SetFields};
use crate::http::query::{Query, invalid};
use crate::http::{ApiError, Platform, RequestContext};

#[derive(Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct VolumeView {
    reps: u64,
    hold_seconds: f64,
}

impl From<Volume> for VolumeView {
    fn from(volume: Volume) -> Self {
        Self {
            reps: volume.reps,
            hold_seconds: volume.hold_seconds,
        }
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct CategoriesView {
    push: VolumeView,
    pull: VolumeView,
    legs: VolumeView,
    core: VolumeView,
    skill: VolumeView,
    other: VolumeView,
}

impl From<&CategoryVolumes> for CategoriesView {
    fn from(volumes: &CategoryVolumes) -> Self {
        let of = |category| VolumeView::from(volumes.get(category));
        Self {
            push: of(VolumeCategory::Push),
            pull: of(VolumeCategory::Pull),
            legs: of(VolumeCategory::Legs),
            core: of(VolumeCategory::Core),
            skill: of(VolumeCategory::Skill),
            other: of(VolumeCategory::Other),
        }
    }
}

fn date(day: NaiveDate) -> String {
    // NaiveDate's Display is `YYYY-MM-DD` for the supported years.
    day.to_string()
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct WeekView {
    week_start: String,
    workouts: u32,
    training_days: u32,
    categories: CategoriesView,
}

impl From<&WeekSummary> for WeekView {
    fn from(week: &WeekSummary) -> Self {
        Self {
            week_start: date(week.week_start),
            workouts: week.workouts,
            training_days: week.training_days,
            categories: CategoriesView::from(&week.categories),
        }
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct StreakView {
    current_days: u32,
    longest_days: u32,
    /// Null without a weekly goal.
    current_weeks: Option<u32>,
    longest_weeks: Option<u32>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct WeekProgressView {
    week_start: String,
    training_days: u32,
    goal_days: Option<u32>,
    /// Whether this week already reached the goal (null without one).
    goal_met: Option<bool>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct RepsRecordView {
    reps: u32,
    achieved_at: String,
    workout_id: String,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct HoldRecordView {
    seconds: f64,
    achieved_at: String,
    workout_id: String,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct LoadRecordView {
    added_kg: f64,
    reps: Option<u32>,
    seconds: Option<f64>,
    load_unit: Option<String>,
    achieved_at: String,
    workout_id: String,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct AssistRecordView {
    assist_kg: f64,
    reps: Option<u32>,
    seconds: Option<f64>,
    load_unit: Option<String>,
    achieved_at: String,
    workout_id: String,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct RecordView {
    exercise: String,
    name: String,
    category: &'static str,
    custom: bool,
    sessions: u32,
    last_performed_at: String,
    max_reps: Option<RepsRecordView>,
    max_seconds: Option<HoldRecordView>,
    max_added_kg: Option<LoadRecordView>,
    min_assist_kg: Option<AssistRecordView>,
}

fn when<T>(record: &Achieved<T>) -> (String, String) {
    (timestamp(record.achieved_at), record.workout_id.to_string())
}

impl From<&PersonalRecord> for RecordView {
    fn from(record: &PersonalRecord) -> Self {
        Self {
            exercise: record.exercise_id.clone(),
            name: record.name.clone(),
            category: record.category.as_str(),
            custom: record.custom,
            sessions: record.sessions,
            last_performed_at: timestamp(record.last_performed_at),
            max_reps: record.max_reps.as_ref().map(|best| {
                let (achieved_at, workout_id) = when(best);
                RepsRecordView {
                    reps: best.value,
                    achieved_at,
                    workout_id,
                }
            }),
            max_seconds: record.max_seconds.as_ref().map(|best| {
                let (achieved_at, workout_id) = when(best);
                HoldRecordView {
                    seconds: best.value,
                    achieved_at,
                    workout_id,
                }
            }),
            max_added_kg: record.max_added_kg.as_ref().map(|best| {
                let (achieved_at, workout_id) = when(best);
                LoadRecordView {
                    added_kg: best.value.kg,
                    reps: best.value.reps,
                    seconds: best.value.seconds,
                    load_unit: best.value.load_unit.clone(),
                    achieved_at,
                    workout_id,
                }
            }),
            min_assist_kg: record.min_assist_kg.as_ref().map(|best| {
                let (achieved_at, workout_id) = when(best);
                AssistRecordView {
                    assist_kg: best.value.kg,
                    reps: best.value.reps,
                    seconds: best.value.seconds,
                    load_unit: best.value.load_unit.clone(),
                    achieved_at,
                    workout_id,
                }
            }),
        }
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct SummaryResponse {
    timezone: &'static str,
    today: String,
    weeks: Vec<WeekView>,
    streak: StreakView,
    this_week: WeekProgressView,
    personal_records: Vec<RecordView>,
}

impl SummaryResponse {
    fn new(summary: &Summary, timezone: Timezone) -> Self {
        Self {
            timezone: timezone.name(),
            today: date(summary.today),
            weeks: summary.weeks.iter().map(WeekView::from).collect(),
            streak: StreakView {
                current_days: summary.streak.current_days,
                longest_days: summary.streak.longest_days,
                current_weeks: summary.streak.current_weeks,
                longest_weeks: summary.streak.longest_weeks,
            },
            this_week: WeekProgressView {
                week_start: date(summary.this_week.week_start),
                training_days: summary.this_week.training_days,
                goal_days: summary.this_week.goal.map(WeeklyGoal::days),
                goal_met: summary
                    .this_week
                    .goal
                    .map(|goal| summary.this_week.training_days >= goal.days()),
            },
            personal_records: summary
                .personal_records
                .iter()
                .map(RecordView::from)
                .collect(),
        }
    }
}

pub(super) async fn summary<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
) -> Result<Response<Vec<u8>>, ApiError> {
    let weeks = Query::parse(context.query.as_deref()).bounded("weeks", 1, 52, 8)?;
    let user = resolve(context, caller).await?;
    let plan = stats::TrainingPlan {
        weekly_goal: user.weekly_goal,
        rest_days: user.rest_days,
        side_counting: SideCounting::from_count_sides_separately(user.count_sides_separately),
    };
    let summary = stats::summary(
        &context.db,
        user.id,
        user.timezone,
        plan,
        context.now(),
        weeks,
    )
    .await?;
    json(
        StatusCode::OK,
        &SummaryResponse::new(&summary, user.timezone),
    )
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ExerciseSession))]
pub(crate) struct SessionView {
    workout_id: String,
    performed_at: String,
    best_set: Option<LoggedSet>,
    volume: VolumeView,
    sets: usize,
}

impl SessionView {
    fn new(session: &ExerciseSession, counting: SideCounting) -> Self {
        let facts: Vec<SetFields> = session.sets.iter().map(|set| **set).collect();
        Self {
            workout_id: session.workout_id.to_string(),
            performed_at: timestamp(session.performed_at),
            best_set: top_set(&facts)
                .and_then(|index| session.sets.get(index))
                .copied(),
            volume: session_volume(&facts, counting).into(),
            sets: session.sets.len(),
        }
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct ExerciseHistoryResponse {
    exercise: String,
    name: String,
    category: &'static str,
    custom: bool,
    sessions: Vec<SessionView>,
}

impl ExerciseHistoryResponse {
    fn new(history: &ExerciseHistory, counting: SideCounting) -> Self {
        Self {
            exercise: history.exercise.id.clone(),
            name: history.exercise.name.clone(),
            category: history.exercise.category.as_str(),
            custom: history.exercise.custom,
            sessions: history
                .sessions
                .iter()
                .map(|session| SessionView::new(session, counting))
                .collect(),
        }
    }
}

/// Longer than any exercise id (catalog ids, `c_` + a uuid): cannot exist.
const MAX_EXERCISE_ID: usize = 64;

pub(super) async fn exercise_history<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
    params: &[&str],
) -> Result<Response<Vec<u8>>, ApiError> {
    let exercise_id = params
        .first()
        .copied()
        .filter(|id| !id.is_empty() && id.len() <= MAX_EXERCISE_ID)
        .ok_or(ApiError::NotFound)?;
    let query = Query::parse(context.query.as_deref());
    let user = resolve(context, caller).await?;
    let from = query.instant("from", user.timezone)?;
    let to = query.instant("to", user.timezone)?;
    if let (Some(from), Some(to)) = (from, to)
        && to <= from
    {
        return Err(invalid("to", "must be after from"));
    }
    let history = stats::exercise_history(&context.db, user.id, exercise_id, from, to)
        .await?
        .ok_or(ApiError::NotFound)?;
    let counting = SideCounting::from_count_sides_separately(user.count_sides_separately);
    json(
        StatusCode::OK,
        &ExerciseHistoryResponse::new(&history, counting),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use uuid::Uuid;

    use super::*;
    use crate::db::stats::LoadRecord;
    use crate::domain::profile::Units;

    use tora_test_support::at;

    fn set(reps: Option<u32>, added_kg: Option<f64>, each_side: bool) -> LoggedSet {
        LoggedSet::new(SetFields {
            reps,
            added_kg,
            load_unit: added_kg.map(|_| Units::Kg),
            each_side,
            ..SetFields::default()
        })
        .unwrap()
    }

    #[test]
    fn a_session_shows_its_top_set_and_its_work() {
        let session = ExerciseSession {
            workout_id: Uuid::from_u128(7),
            performed_at: at("2026-11-25T18:00:00Z"),
            sets: vec![
                set(Some(8), None, false),
                set(Some(5), Some(10.0), false),
                set(Some(4), None, true),
            ],
        };
        let view =
            serde_json::to_value(SessionView::new(&session, SideCounting::PairOnce)).unwrap();
        assert_eq!(
            view,
            json!({
                "workout_id": Uuid::from_u128(7).to_string(),
                "performed_at": "2026-11-25T18:00:00.000Z",
                "best_set": {"reps": 5, "added_kg": 10.0, "load_unit": "kg"},
                "volume": {"reps": 17, "hold_seconds": 0.0},
                "sets": 3,
            })
        );
        // Counting each side, the set of 4 each side is 8 reps.
        let each =
            serde_json::to_value(SessionView::new(&session, SideCounting::EachSide)).unwrap();
        assert_eq!(each["volume"]["reps"], 21);
    }

    #[test]
    fn records_show_null_when_never_set() {
        let record = PersonalRecord {
            exercise_id: "pull_up".into(),
            name: "Pull-up".into(),
            category: VolumeCategory::Pull,
            custom: false,
            sessions: 2,
            last_performed_at: at("2026-11-25T18:00:00Z"),
            max_reps: Some(Achieved {
                value: 12,
                achieved_at: at("2026-11-20T18:00:00Z"),
                workout_id: Uuid::from_u128(1),
            }),
            max_seconds: None,
            max_added_kg: Some(Achieved {
                value: LoadRecord {
                    kg: 20.0,
                    reps: Some(3),
                    seconds: None,
                    load_unit: Some("lb".into()),
                },
                achieved_at: at("2026-11-25T18:00:00Z"),
                workout_id: Uuid::from_u128(2),
            }),
            min_assist_kg: Some(Achieved {
                value: LoadRecord {
                    kg: 15.0,
                    reps: Some(6),
                    seconds: None,
                    load_unit: Some("kg".into()),
                },
                achieved_at: at("2026-11-24T18:00:00Z"),
                workout_id: Uuid::from_u128(3),
            }),
        };
        let view = serde_json::to_value(RecordView::from(&record)).unwrap();
        assert_eq!(view["max_reps"]["reps"], 12);
        assert_eq!(view["max_reps"]["achieved_at"], "2026-11-20T18:00:00.000Z");
        assert_eq!(view["max_seconds"], serde_json::Value::Null);
        assert_eq!(view["max_added_kg"]["added_kg"], 20.0);
        assert_eq!(view["max_added_kg"]["reps"], 3);
        assert_eq!(view["max_added_kg"]["load_unit"], "lb");
        assert_eq!(view["min_assist_kg"]["assist_kg"], 15.0);
        assert_eq!(view["min_assist_kg"]["reps"], 6);
        assert_eq!(view["category"], "pull");
    }
}
