//! `/v1/workouts`: structured logging, history, edits and deletes.

use crate::sorting::CollectTree;
use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use garde::Validate;
use http::{HeaderValue, Response, StatusCode, header};
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

use super::{catalog, json, no_content, page_cursor, resolve, resolve_with_skills};
use crate::app::workouts::{self, EditWorkout, LogWorkout};
use crate::auth::AuthenticatedSubject;
use crate::db::workouts::{StoredWorkout, WorkoutFilter};
use crate::domain::catalog::Catalog;
use crate::domain::profile::Units;
use crate::domain::skills::Evaluation;
use crate::domain::workout::{
    ExerciseName, ExerciseRef, LoggedSet, Notes, SetFields, Side, Workout, WorkoutEntry,
};
use crate::http::json::{decode, field_errors};
use crate::http::query::{Query, invalid, within_supported_years};
use crate::http::{ApiError, FieldError, Platform, RequestContext};
use crate::jobs::Job;
use crate::ports::PageCursor;

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryView {
    pub exercise: String,
    pub name: String,
    pub custom: bool,
    pub sets: Vec<LoggedSet>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkoutResponse {
    pub id: String,
    pub performed_at: String,
    pub notes: Option<String>,
    /// `chat` when logged by a chat message, `import` when brought in from another
    /// logger's export, `manual` otherwise.
    pub source: &'static str,
    /// The import that created it (`DELETE /v1/imports/{id}` removes it).
    pub import_id: Option<String>,
    pub entries: Vec<EntryView>,
    pub created_at: String,
    pub updated_at: String,
}

/// How a workout came in: `chat`, `import` or `manual`.
pub fn source(workout: &StoredWorkout) -> &'static str {
    match (workout.source_message_id, workout.import_id) {
        (Some(_), _) => "chat",
        (None, Some(_)) => "import",
        (None, None) => "manual",
    }
}

pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl From<&StoredWorkout> for WorkoutResponse {
    fn from(workout: &StoredWorkout) -> Self {
        // Consecutive sets of one exercise form an entry, as they were logged.
        let mut entries: Vec<EntryView> = Vec::new();
        for set in &workout.sets {
            match entries.last_mut() {
                Some(entry) if entry.exercise == set.exercise_id => entry.sets.push(set.set),
                _ => entries.push(EntryView {
                    exercise: set.exercise_id.clone(),
                    name: set.exercise_name.clone(),
                    custom: set.custom,
                    sets: vec![set.set],
                }),
            }
        }
        Self {
            id: workout.id.to_string(),
            performed_at: timestamp(workout.performed_at),
            notes: workout.notes.clone(),
            source: source(workout),
            import_id: workout.import_id.map(|id| id.to_string()),
            entries,
            created_at: timestamp(workout.created_at),
            updated_at: timestamp(workout.updated_at),
        }
    }
}

/// How the skill tree moved.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SkillRefView {
    pub skill: String,
    pub name: String,
}

pub(super) fn skill_refs(catalog: &Catalog, ids: &[String]) -> Vec<SkillRefView> {
    ids.iter()
        .map(|id| SkillRefView {
            skill: id.clone(),
            name: catalog
                .skill(id)
                .map_or_else(|| id.clone(), |skill| skill.name().to_owned()),
        })
        .collect()
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SkillChangesView {
    pub mastered: Vec<SkillRefView>,
    pub unlocked: Vec<SkillRefView>,
    /// Every skill whose stored state changed, with its new state.
    pub states: BTreeMap<String, &'static str>,
}

impl SkillChangesView {
    pub(crate) fn new(catalog: &Catalog, evaluation: &Evaluation) -> Self {
        Self {
            mastered: skill_refs(catalog, &evaluation.transitions.mastered),
            unlocked: skill_refs(catalog, &evaluation.transitions.unlocked),
            states: evaluation
                .writes
                .iter()
                .map(|(id, row)| (id.clone(), row.state.as_str()))
                .collect_map(),
        }
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct LoggedResponse {
    workout: WorkoutResponse,
    skills: SkillChangesView,
}

#[derive(Debug, Deserialize, Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetRequest {
    #[garde(skip)]
    #[cfg_attr(feature = "openapi", schema(maximum = 10000))]
    pub reps: Option<u32>,
    #[garde(skip)]
    #[cfg_attr(feature = "openapi", schema(maximum = 10000))]
    pub reps_max: Option<u32>,
    #[garde(skip)]
    pub seconds: Option<f64>,
    /// Load added. A negative value is read as `assist_kg`, as it was written before.
    #[garde(skip)]
    pub added_kg: Option<f64>,
    /// Band or machine help taken off bodyweight; marks the set assisted.
    #[garde(skip)]
    #[cfg_attr(feature = "openapi", schema(exclusive_minimum = 0, maximum = 1000))]
    pub assist_kg: Option<f64>,
    #[garde(inner(length(max = 8)))]
    #[cfg_attr(feature = "openapi", schema(pattern = "^(kg|lb)$"))]
    pub load_unit: Option<String>,
    #[serde(default)]
    #[garde(skip)]
    pub assisted: bool,
    #[serde(default)]
    #[garde(skip)]
    pub each_side: bool,
    /// The side a one-sided set was done on; not with `each_side`.
    #[garde(skip)]
    pub side: Option<Side>,
    #[garde(skip)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10))]
    pub rpe: Option<f64>,
}

#[derive(Debug, Deserialize, Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EntryRequest {
    /// A catalog exercise id.
    #[garde(inner(length(min = 1, max = 64)))]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64))]
    pub exercise: Option<String>,
    /// The name of the person's own exercise (created on first use); checked by the
    /// text rule in `to_workout`.
    #[garde(skip)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 80))]
    pub custom_exercise: Option<String>,
    #[garde(length(min = 1, max = 100), dive)]
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 100))]
    pub sets: Vec<SetRequest>,
}

#[derive(Debug, Deserialize, Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LogWorkoutRequest {
    #[garde(skip)]
    pub performed_at: Option<DateTime<Utc>>,
    /// Checked by the text rule in `to_notes`.
    #[garde(skip)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub notes: Option<String>,
    #[garde(length(min = 1, max = 50), dive)]
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 50))]
    pub entries: Vec<EntryRequest>,
}

#[derive(Debug, Deserialize, Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EditWorkoutRequest {
    #[serde(default, deserialize_with = "not_null")]
    #[garde(skip)]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub performed_at: Option<DateTime<Utc>>,
    /// `null` clears the notes; text is checked by the text rule in `to_notes`.
    #[serde(default, deserialize_with = "present_or_null")]
    #[garde(skip)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub notes: Option<Option<String>>,
    #[serde(default, deserialize_with = "not_null")]
    #[garde(length(min = 1, max = 50), dive)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_items = 1, max_items = 50, nullable = false)
    )]
    pub entries: Option<Vec<EntryRequest>>,
}

/// A field that is either given or absent; `null` is refused rather than ignored.
pub(super) fn not_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// Distinguishes a field sent as `null` (`Some(None)`: clear it) from an absent one
/// (`None`: keep it).
pub(super) fn present_or_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Notes through the text rule; absent notes stay absent.
fn to_notes(raw: Option<&str>) -> Result<Option<Notes>, ApiError> {
    raw.map(Notes::parse)
        .transpose()
        .map_err(|error| invalid("notes", error.to_string()))
}

/// Two conversions, with the field errors of both when both fail.
fn together<A, B>(
    first: Result<A, ApiError>,
    second: Result<B, ApiError>,
) -> Result<(A, B), ApiError> {
    match (first, second) {
        (Ok(first), Ok(second)) => Ok((first, second)),
        (Err(ApiError::Validation(mut errors)), Err(ApiError::Validation(more))) => {
            errors.extend(more);
            Err(ApiError::Validation(errors))
        }
        (Err(error), _) | (_, Err(error)) => Err(error),
    }
}

/// Turns request entries into a domain workout, collecting every failing field.
pub(super) fn to_workout(
    catalog: &Catalog,
    entries: &[EntryRequest],
    field_prefix: &str,
) -> Result<Workout, ApiError> {
    let mut errors = Vec::new();
    let mut converted = Vec::new();
    for (entry_index, entry) in entries.iter().enumerate() {
        let at = format!("{field_prefix}[{entry_index}]");
        let exercise = match (&entry.exercise, &entry.custom_exercise) {
            (Some(id), None) if catalog.exercise(id).is_some() => {
                Some(ExerciseRef::Catalog(id.clone()))
            }
            (Some(_), None) => {
                errors.push(FieldError::new(
                    format!("{at}.exercise"),
                    "is not a catalog exercise id; use custom_exercise for your own",
                ));
                None
            }
            (None, Some(name)) => match ExerciseName::parse(name) {
                Ok(name) => Some(ExerciseRef::Custom { name }),
                Err(error) => {
                    errors.push(FieldError::new(
                        format!("{at}.custom_exercise"),
                        error.to_string(),
                    ));
                    None
                }
            },
            _ => {
                errors.push(FieldError::new(
                    format!("{at}.exercise"),
                    "give exactly one of exercise or custom_exercise",
                ));
                None
            }
        };
        let mut sets = Vec::new();
        for (set_index, set) in entry.sets.iter().enumerate() {
            let load_unit = match set.load_unit.as_deref() {
                None => None,
                Some(raw) => match raw.parse::<Units>() {
                    Ok(unit) => Some(unit),
                    Err(error) => {
                        errors.push(FieldError::new(
                            format!("{at}.sets[{set_index}].load_unit"),
                            error.to_string(),
                        ));
                        None
                    }
                },
            };
            match LoggedSet::new(SetFields {
                reps: set.reps,
                reps_max: set.reps_max,
                seconds: set.seconds,
                added_kg: set.added_kg,
                assist_kg: set.assist_kg,
                load_unit,
                assisted: set.assisted,
                each_side: set.each_side,
                side: set.side,
                rpe: set.rpe,
            }) {
                Ok(logged) => sets.push(logged),
                Err(error) => errors.push(FieldError::new(
                    format!("{at}.sets[{set_index}]"),
                    error.to_string(),
                )),
            }
        }
        if let Some(exercise) = exercise {
            converted.push(WorkoutEntry { exercise, sets });
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Workout::new(converted).map_err(|error| {
        ApiError::Validation(vec![FieldError::new(field_prefix, error.to_string())])
    })
}

impl LogWorkoutRequest {
    /// The notes and the workout as domain values, every failing field reported.
    pub(super) fn parts(&self, catalog: &Catalog) -> Result<(Option<Notes>, Workout), ApiError> {
        together(
            to_notes(self.notes.as_deref()),
            to_workout(catalog, &self.entries, "entries"),
        )
    }
}

impl EditWorkoutRequest {
    /// The changed notes (`Some(None)` clears them) and the replacement workout as
    /// domain values, every failing field reported.
    pub(super) fn parts(
        &self,
        catalog: &Catalog,
    ) -> Result<(Option<Option<Notes>>, Option<Workout>), ApiError> {
        together(
            self.notes
                .as_ref()
                .map(|notes| to_notes(notes.as_deref()))
                .transpose(),
            self.entries
                .as_deref()
                .map(|entries| to_workout(catalog, entries, "entries"))
                .transpose(),
        )
    }
}

pub(super) fn validated<T: Validate<Context = ()>>(request: T) -> Result<T, ApiError> {
    request
        .validate()
        .map_err(|report| ApiError::Validation(field_errors(&report)))?;
    Ok(request)
}

pub(super) fn workout_id(params: &[&str]) -> Result<Uuid, ApiError> {
    params
        .first()
        .and_then(|raw| Uuid::parse_str(raw).ok())
        // An id that cannot exist is simply not found.
        .ok_or(ApiError::NotFound)
}

pub(super) async fn log_workout<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
    body: &[u8],
) -> Result<Response<Vec<u8>>, ApiError> {
    let catalog = catalog()?;
    let request = validated(decode::<LogWorkoutRequest>(body)?)?;
    let (notes, workout) = request.parts(catalog)?;
    let now = context.now();
    if request
        .performed_at
        .is_some_and(|at| at > now + chrono::Duration::days(1))
    {
        return Err(invalid("performed_at", "must not be in the future"));
    }
    within_supported_years("performed_at", request.performed_at)?;
    let (user, stored) = resolve_with_skills(context, caller).await?;
    let logged = workouts::log(
        &context.db,
        context.platform.ids(),
        catalog,
        user.id,
        &stored,
        &LogWorkout {
            performed_at: request.performed_at.unwrap_or(now),
            notes: notes.as_ref(),
            workout: &workout,
        },
    )
    .await?;
    context.after_response(Job::RememberWorkout {
        user_id: user.id,
        workout_id: logged.workout.id,
    });
    let mut response = json(
        StatusCode::CREATED,
        &LoggedResponse {
            workout: WorkoutResponse::from(&logged.workout),
            skills: SkillChangesView::new(catalog, &logged.evaluation),
        },
    )?;
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/workouts/{}", logged.workout.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct WorkoutPage {
    items: Vec<WorkoutResponse>,
    next_cursor: Option<String>,
}

pub(super) async fn list_workouts<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
) -> Result<Response<Vec<u8>>, ApiError> {
    let query = Query::parse(context.query.as_deref());
    let limit = query.bounded("limit", 1, 100, 20)?;
    let after = query.cursor()?;
    let user = resolve(context, caller).await?;
    let filter = WorkoutFilter {
        from: query.instant("from", user.timezone)?,
        to: query.instant("to", user.timezone)?,
        after,
    };
    let page = workouts::page(&context.db, user.id, &filter, limit).await?;
    let next_cursor = page_cursor(&page, |workout| PageCursor {
        at: workout.performed_at,
        id: workout.id,
    });
    json(
        StatusCode::OK,
        &WorkoutPage {
            items: page.items.iter().map(WorkoutResponse::from).collect(),
            next_cursor,
        },
    )
}

pub(super) async fn get_workout<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
    params: &[&str],
) -> Result<Response<Vec<u8>>, ApiError> {
    let id = workout_id(params)?;
    let user = resolve(context, caller).await?;
    let workout = workouts::get(&context.db, user.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    json(StatusCode::OK, &WorkoutResponse::from(&workout))
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct EditedResponse {
    workout: Option<WorkoutResponse>,
    skills: SkillChangesView,
}

pub(super) async fn edit_workout<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
    params: &[&str],
    body: &[u8],
) -> Result<Response<Vec<u8>>, ApiError> {
    let id = workout_id(params)?;
    let catalog = catalog()?;
    let request = validated(decode::<EditWorkoutRequest>(body)?)?;
    let (notes, workout) = request.parts(catalog)?;
    if request
        .performed_at
        .is_some_and(|at| at > context.now() + chrono::Duration::days(1))
    {
        return Err(invalid("performed_at", "must not be in the future"));
    }
    within_supported_years("performed_at", request.performed_at)?;
    let user = resolve(context, caller).await?;
    let changed = workouts::edit(
        &context.db,
        context.platform.ids(),
        catalog,
        user.id,
        id,
        &EditWorkout {
            performed_at: request.performed_at,
            notes: notes.as_ref().map(Option::as_ref),
            workout: workout.as_ref(),
        },
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    // The memory follows the edit (the job does nothing when its summary is unchanged).
    if changed.workout.is_some() {
        context.after_response(Job::RememberWorkout {
            user_id: user.id,
            workout_id: id,
        });
    }
    json(
        StatusCode::OK,
        &EditedResponse {
            workout: changed.workout.as_ref().map(WorkoutResponse::from),
            skills: SkillChangesView::new(catalog, &changed.evaluation),
        },
    )
}

pub(super) async fn delete_workout<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
    params: &[&str],
) -> Result<Response<Vec<u8>>, ApiError> {
    let id = workout_id(params)?;
    let catalog = catalog()?;
    let user = resolve(context, caller).await?;
    workouts::delete(&context.db, catalog, user.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(no_content())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn catalog() -> &'static Catalog {
        Catalog::embedded().unwrap()
    }

    fn convert(body: &str) -> Result<Workout, ApiError> {
        let request = validated(decode::<LogWorkoutRequest>(body.as_bytes())?)?;
        to_workout(catalog(), &request.entries, "entries")
    }

    fn log_parts(body: &Value) -> Result<(Option<Notes>, Workout), ApiError> {
        validated(decode::<LogWorkoutRequest>(body.to_string().as_bytes())?)?.parts(catalog())
    }

    fn edit_parts(body: &Value) -> Result<(Option<Option<Notes>>, Option<Workout>), ApiError> {
        validated(decode::<EditWorkoutRequest>(body.to_string().as_bytes())?)?.parts(catalog())
    }

    fn fields(result: Result<impl std::fmt::Debug, ApiError>) -> Vec<String> {
        match result {
            Err(ApiError::Validation(errors)) => {
                errors.into_iter().map(|error| error.field).collect()
            }
            other => panic!("expected validation errors, got {other:?}"),
        }
    }

    #[test]
    fn notes_count_characters_alike_on_create_and_edit() {
        let pull_ups = json!([{"exercise": "pull_up", "sets": [{"reps": 5}]}]);
        // Two bytes each: 2000 of them are 4000 bytes.
        let longest = "ž".repeat(2000);
        let (notes, _) = log_parts(&json!({"notes": longest, "entries": pull_ups})).unwrap();
        assert_eq!(notes.unwrap().as_str(), longest);
        let (notes, _) = edit_parts(&json!({"notes": longest})).unwrap();
        assert_eq!(notes.unwrap().unwrap().as_str(), longest);

        let too_long = format!("{longest}ž");
        assert_eq!(
            fields(log_parts(&json!({"notes": too_long, "entries": pull_ups}))),
            ["notes"]
        );
        assert_eq!(fields(edit_parts(&json!({"notes": too_long}))), ["notes"]);
    }

    #[test]
    fn notes_may_be_cleared_on_edit_and_run_over_lines() {
        assert_eq!(edit_parts(&json!({"notes": null})).unwrap().0, Some(None));
        assert_eq!(edit_parts(&json!({})).unwrap().0, None);
        let (notes, _) = log_parts(&json!({
            "notes": "felt strong\r\n\tlast set slow",
            "entries": [{"exercise": "pull_up", "sets": [{"reps": 5}]}]
        }))
        .unwrap();
        assert_eq!(notes.unwrap().as_str(), "felt strong\r\n\tlast set slow");
    }

    #[test]
    fn bad_notes_and_bad_names_are_reported_together() {
        let body = json!({
            "notes": "\u{0}",
            "entries": [
                {"custom_exercise": "Farmer\u{1b}walk", "sets": [{"reps": 5}]},
                {"custom_exercise": "  ", "sets": [{"reps": 5}]},
                {"custom_exercise": "x".repeat(81), "sets": [{"reps": 5}]}
            ]
        });
        assert_eq!(
            fields(log_parts(&body)),
            [
                "notes",
                "entries[0].custom_exercise",
                "entries[1].custom_exercise",
                "entries[2].custom_exercise"
            ]
        );
        let body = json!({
            "notes": "   ",
            "entries": [{"custom_exercise": "Ana\nBob", "sets": [{"reps": 5}]}]
        });
        assert_eq!(
            fields(edit_parts(&body)),
            ["notes", "entries[0].custom_exercise"]
        );
        let eighty = "é".repeat(80);
        let workout = convert(
            &json!({"entries": [{"custom_exercise": eighty, "sets": [{"reps": 5}]}]}).to_string(),
        )
        .unwrap();
        assert_eq!(
            workout.entries()[0].exercise,
            ExerciseRef::Custom {
                name: ExerciseName::parse(&eighty).unwrap()
            }
        );
    }

    #[test]
    fn catalog_and_custom_exercises_convert() {
        let workout = convert(
            r#"{"entries":[{"exercise":"pull_up","sets":[{"reps":8},{"reps":8,"added_kg":10,"load_unit":"kg"}]},
                           {"custom_exercise":" Farmer walk ","sets":[{"seconds":60}]}]}"#,
        )
        .unwrap();
        assert_eq!(workout.entries().len(), 2);
        assert_eq!(
            workout.entries()[1].exercise,
            ExerciseRef::Custom {
                name: ExerciseName::parse("Farmer walk").unwrap()
            }
        );
    }

    #[test]
    fn every_bad_field_is_named_with_its_path() {
        let Err(ApiError::Validation(errors)) = convert(
            r#"{"entries":[{"exercise":"flying_kick","sets":[{"reps":8}]},
                           {"exercise":"pull_up","sets":[{},{"reps":5,"rpe":12},{"reps":5,"load_unit":"stone"}]}]}"#,
        ) else {
            panic!("expected validation errors");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "entries[0].exercise",
                "entries[1].sets[0]",
                "entries[1].sets[1]",
                "entries[1].sets[2].load_unit"
            ]
        );
    }

    #[test]
    fn empty_workouts_and_negative_reps_are_refused() {
        let Err(ApiError::Validation(errors)) = convert(r#"{"entries":[]}"#) else {
            panic!("expected validation errors");
        };
        assert_eq!(errors[0].field, "entries");
        let Err(ApiError::Validation(errors)) =
            convert(r#"{"entries":[{"exercise":"pull_up","sets":[{"reps":-3}]}]}"#)
        else {
            panic!("expected validation errors");
        };
        assert_eq!(errors[0].field, "entries[0].sets[0].reps");
    }
}
