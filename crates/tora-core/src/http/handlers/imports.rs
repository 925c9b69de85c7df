//! `/v1/imports`: training history from Strong or Hevy.
//!
//! `POST /v1/imports {source, csv | upload_id, dry_run?, weight_unit?, include_warmups?,
//! create_custom?}` → what the file holds and where each name lands; with `dry_run`
//! nothing is stored (200), otherwise the new sessions are (201 when any was, 200 when
//! all were there already). `GET /v1/imports` lists imports with their counts, `GET
//! /v1/imports/{id}` shows one, `DELETE /v1/imports/{id}` removes what it created.

use http::{Response, StatusCode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::workouts::{SkillChangesView, timestamp, workout_id as path_id};
use super::{catalog, json, resolve};
use crate::app::imports::{self, ImportFailure, ImportOutcome, ImportRequest};
use crate::auth::AuthenticatedSubject;
use crate::domain::imports::plan::{CustomExercises, ImportOptions, Landing};
use crate::domain::imports::{ImportError, ImportSource};
use crate::domain::profile::Units;
use crate::domain::workout::ExerciseName;
use crate::http::error::FieldError;
use crate::http::json::decode;
use crate::http::query::invalid;
use crate::http::{ApiError, Platform, RequestContext};
use crate::ports::StoredImport;

/// Names a person can confirm at once; more than any export holds.
const MAX_CONFIRMED_NAMES: usize = 1000;
/// Lines shown per skip reason; the count says how many there were.
const LINES_SHOWN: usize = 50;

/// `true` keeps every unmapped name as the person's own exercise; a list keeps those.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum CreateCustom {
    All(bool),
    Names(Vec<String>),
}

/// Exactly one of `csv` (the export's text) and `upload_id` (a completed `import_csv`
/// upload, for large files).
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportRequestBody {
    #[cfg_attr(feature = "openapi", schema(pattern = "^(strong|hevy)$"))]
    pub source: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub csv: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = Uuid))]
    pub upload_id: Option<String>,
    /// Show what would be created, store nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// The unit of the file's weights when the file does not say (Strong's export).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^(kg|lb)$"))]
    pub weight_unit: Option<String>,
    /// Import warm-up sets too (left out by default: they would count as work).
    #[serde(default)]
    pub include_warmups: bool,
    /// Which names the catalog does not know become the person's own exercises.
    #[serde(default)]
    pub create_custom: Option<CreateCustom>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct ImportView {
    id: String,
    source: &'static str,
    weight_unit: &'static str,
    /// Workouts and sets of this import stored now.
    workouts: u32,
    sets: u32,
    skipped_rows: u32,
    /// The person's own exercises this import created.
    custom_exercises: Vec<String>,
    created_at: String,
    /// `null` while sessions of the file are still to be stored: post it again.
    finished_at: Option<String>,
}

impl From<&StoredImport> for ImportView {
    fn from(import: &StoredImport) -> Self {
        Self {
            id: import.id.to_string(),
            source: import.source.as_str(),
            weight_unit: import.weight_unit.as_str(),
            workouts: import.workouts,
            sets: import.sets,
            skipped_rows: import.skipped_rows,
            custom_exercises: import.custom_exercises.clone(),
            created_at: timestamp(import.created_at),
            finished_at: import.finished_at.map(timestamp),
        }
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct WorkoutCountsView {
    /// Sessions of the file that can be imported.
    in_file: usize,
    /// Of those, stored before this request.
    already_imported: usize,
    /// Not stored before this request.
    new: usize,
    /// Stored by this request (0 on a dry run).
    created: usize,
    /// New sessions left for the next post of the same file.
    remaining: usize,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct SetCountsView {
    new: usize,
    created: usize,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct ExerciseLandingView<'a> {
    /// As the file writes it.
    name: &'a str,
    sets: usize,
    /// `catalog`, `custom` (the person's own, already there), `new_custom` (created by
    /// the import) or `unmapped` (its sets are left out).
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(catalog|custom|new_custom|unmapped)$")
    )]
    status: &'static str,
    /// The catalog exercise, for `catalog`.
    exercise_id: Option<&'a str>,
    /// The name says the sets were assisted (band, machine).
    assisted: bool,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct SkippedView<'a> {
    reason: &'a str,
    rows: usize,
    /// The first lines of the file with this reason.
    lines: &'a [usize],
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct ImportResultView<'a> {
    dry_run: bool,
    source: &'static str,
    weight_unit: &'static str,
    workouts: WorkoutCountsView,
    sets: SetCountsView,
    /// The first and last session of the file that can be imported.
    first_workout_at: Option<String>,
    last_workout_at: Option<String>,
    exercises: Vec<ExerciseLandingView<'a>>,
    skipped: Vec<SkippedView<'a>>,
    /// The import the file belongs to; `null` on a dry run or when nothing of it was
    /// ever stored.
    import: Option<ImportView>,
    /// What the imported sessions did to the skill tree; `null` when nothing changed
    /// hands.
    skills: Option<SkillChangesView>,
}

impl<'a> ImportResultView<'a> {
    fn new(
        outcome: &'a ImportOutcome<'_>,
        source: ImportSource,
        dry_run: bool,
        catalog: &crate::domain::catalog::Catalog,
    ) -> Self {
        let plan = &outcome.plan;
        Self {
            dry_run,
            source: source.as_str(),
            weight_unit: outcome.unit.as_str(),
            workouts: WorkoutCountsView {
                in_file: plan.workouts.len(),
                already_imported: outcome.already_imported,
                new: outcome.new_workouts,
                created: outcome.created_workouts,
                remaining: outcome.remaining,
            },
            sets: SetCountsView {
                new: outcome.new_sets,
                created: outcome.created_sets,
            },
            first_workout_at: plan
                .workouts
                .first()
                .map(|workout| timestamp(workout.performed_at)),
            last_workout_at: plan
                .workouts
                .last()
                .map(|workout| timestamp(workout.performed_at)),
            exercises: plan
                .exercises
                .iter()
                .map(|exercise| {
                    let (status, exercise_id, assisted) = match exercise.landing {
                        Landing::Catalog { id, assisted } => ("catalog", Some(id), assisted),
                        Landing::Custom => ("custom", None, false),
                        Landing::NewCustom => ("new_custom", None, false),
                        Landing::Unmapped => ("unmapped", None, false),
                    };
                    ExerciseLandingView {
                        name: &exercise.name,
                        sets: exercise.sets,
                        status,
                        exercise_id,
                        assisted,
                    }
                })
                .collect(),
            skipped: plan
                .skipped
                .iter()
                .map(|group| SkippedView {
                    reason: &group.reason,
                    rows: group.lines.len(),
                    lines: &group.lines[..group.lines.len().min(LINES_SHOWN)],
                })
                .collect(),
            import: outcome.import.as_ref().map(ImportView::from),
            skills: outcome
                .evaluation
                .as_ref()
                .map(|evaluation| SkillChangesView::new(catalog, evaluation)),
        }
    }
}

/// Where the file comes from, checked.
pub(super) enum FileSource {
    Inline(String),
    Upload(Uuid),
}

/// Every failing field of the request at once.
pub(super) fn checked(
    body: ImportRequestBody,
) -> Result<(ImportSource, FileSource, Option<Units>, ImportOptions), ApiError> {
    let mut problems = Vec::new();
    let source = ImportSource::parse(&body.source);
    if source.is_none() {
        problems.push(FieldError::new("source", "must be strong or hevy"));
    }
    let file = match (body.csv, body.upload_id) {
        (Some(csv), None) if !csv.trim().is_empty() => Some(FileSource::Inline(csv)),
        (Some(_), None) => {
            problems.push(FieldError::new("csv", "is empty"));
            None
        }
        (None, Some(id)) => match Uuid::parse_str(&id) {
            Ok(id) => Some(FileSource::Upload(id)),
            Err(_) => {
                problems.push(FieldError::new("upload_id", "must be an upload id"));
                None
            }
        },
        _ => {
            problems.push(FieldError::new(
                "csv",
                "send either csv (the export's text) or upload_id (a completed import_csv upload)",
            ));
            None
        }
    };
    let unit = match body.weight_unit.as_deref().map(str::parse::<Units>) {
        None => None,
        Some(Ok(unit)) => Some(unit),
        Some(Err(_)) => {
            problems.push(FieldError::new("weight_unit", "must be kg or lb"));
            None
        }
    };
    let custom = match body.create_custom {
        None | Some(CreateCustom::All(false)) => CustomExercises::None,
        Some(CreateCustom::All(true)) => CustomExercises::All,
        Some(CreateCustom::Names(names)) => {
            if names.len() > MAX_CONFIRMED_NAMES {
                problems.push(FieldError::new(
                    "create_custom",
                    format!("at most {MAX_CONFIRMED_NAMES} names"),
                ));
            }
            if let Some(bad) = names
                .iter()
                .position(|name| ExerciseName::parse(name).is_err())
            {
                problems.push(FieldError::new(
                    format!("create_custom[{bad}]"),
                    "must be a name of 1 to 80 characters on one line",
                ));
            }
            CustomExercises::named(names.iter().map(String::as_str))
        }
    };
    match (source, file) {
        (Some(source), Some(file)) if problems.is_empty() => Ok((
            source,
            file,
            unit,
            ImportOptions {
                include_warmups: body.include_warmups,
                custom,
            },
        )),
        _ => Err(ApiError::Validation(problems)),
    }
}

fn unreadable(error: ImportError, field: &str) -> ApiError {
    match error {
        ImportError::UnitNeeded => invalid("weight_unit", error.to_string()),
        other => invalid(field, other.to_string()),
    }
}

pub(super) async fn post_import<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
    body: &[u8],
) -> Result<Response<Vec<u8>>, ApiError> {
    let catalog = catalog()?;
    let body = decode::<ImportRequestBody>(body)?;
    let dry_run = body.dry_run;
    let (source, file, unit, options) = checked(body)?;
    let user = resolve(context, caller).await?;
    let (text, field) = match file {
        FileSource::Inline(text) => (text, "csv"),
        FileSource::Upload(upload_id) => {
            let storage = context.storage().ok_or(ApiError::UploadsUnavailable)?;
            let text = imports::uploaded_text(&context.db, &storage, user.id, upload_id)
                .await
                .map_err(|error| failure(error, "upload_id"))?;
            (text, "upload_id")
        }
    };
    let outcome = imports::import(
        &context.db,
        context.platform.ids(),
        catalog,
        &user,
        context.now(),
        &ImportRequest {
            source,
            text: &text,
            weight_unit: unit,
            dry_run,
            options,
        },
    )
    .await
    .map_err(|error| failure(error, field))?;
    let status = if outcome.created_workouts > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    json(
        status,
        &ImportResultView::new(&outcome, source, dry_run, catalog),
    )
}

fn failure(error: ImportFailure, field: &str) -> ApiError {
    match error {
        ImportFailure::Unreadable(error) => unreadable(error, field),
        ImportFailure::Store(error) => ApiError::Database(error),
        ImportFailure::NoFile => invalid(
            "upload_id",
            "no completed import_csv upload of yours has this id",
        ),
        ImportFailure::NotText => invalid(field, "the file is not UTF-8 text"),
        ImportFailure::Storage(cause) => ApiError::Storage(cause),
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct ImportListView {
    imports: Vec<ImportView>,
}

pub(super) async fn list_imports<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
) -> Result<Response<Vec<u8>>, ApiError> {
    let user = resolve(context, caller).await?;
    let stored = imports::list(&context.db, user.id).await?;
    json(
        StatusCode::OK,
        &ImportListView {
            imports: stored.iter().map(ImportView::from).collect(),
        },
    )
}

pub(super) async fn get_import<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
    params: &[&str],
) -> Result<Response<Vec<u8>>, ApiError> {
    let import_id = path_id(params)?;
    let user = resolve(context, caller).await?;
    let import = imports::get(&context.db, user.id, import_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    json(StatusCode::OK, &ImportView::from(&import))
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct DeletedImportView {
    /// The import as it was, with the workouts and sets now removed.
    import: ImportView,
    skills: SkillChangesView,
}

pub(super) async fn delete_import<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
    params: &[&str],
) -> Result<Response<Vec<u8>>, ApiError> {
    let catalog = catalog()?;
    let import_id = path_id(params)?;
    let user = resolve(context, caller).await?;
    let deleted = imports::delete(&context.db, catalog, user.id, import_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    json(
        StatusCode::OK,
        &DeletedImportView {
            import: ImportView::from(&deleted.import),
            skills: SkillChangesView::new(catalog, &deleted.evaluation),
        },
    )
}
