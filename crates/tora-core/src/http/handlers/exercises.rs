//! `/v1/exercises`: the exercise library, from the catalog compiled into the worker.
//! No database round trip: the library is the same for everyone, so the caller is
//! authenticated by the pipeline and never looked up.
//!
//! `GET /v1/exercises?q=&category=&limit=` (`q`: 1 to 60 characters of a name or alias;
//! `category`: `push`, `pull`, `legs`, `core` or `skill`; `limit`: 1 to 100, default 50):
//! ```json
//! {"items": [<exercise>], "total": 2}
//! ```
//! `items` are sorted by name; `total` counts every match, also those past `limit`.
//!
//! `GET /v1/exercises/{id}` (a catalog id) answers one exercise:
//! ```json
//! {"id": "pull_up", "name": "Pull-up", "aliases": ["pull-ups", ...], "category": "pull",
//!  "skill": "pull_up", "description": "...", "cues": ["...", "..."],
//!  "easier": [{"id": "negative_pull_up", "name": "Negative pull-up"}],
//!  "harder": [{"id": "chest_to_bar_pull_up", "name": "Chest-to-bar pull-up"}, ...],
//!  "video_url": "https://videos.tora.app/exercises/pull_up.mp4"}
//! ```
//! `category` and `skill` are null for exercises outside the skill tree (burpees), and
//! their `easier` and `harder` are empty. `video_url` is null when the deployment has
//! neither a CDN domain nor media storage to presign for.

use http::{Response, StatusCode};
use serde::Serialize;

use super::{catalog, json};
use crate::app::exercises::{self, LibraryEntry, VideoLinks};
use crate::domain::catalog::{Category, Skill};
use crate::domain::exercises::{ExerciseFilter, SearchText};
use crate::http::query::{Query, invalid};
use crate::http::{ApiError, Platform, RequestContext};

const CATEGORIES: &str = "push, pull, legs, core or skill";

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct NeighbourView {
    id: String,
    name: String,
}

impl From<&Skill> for NeighbourView {
    fn from(skill: &Skill) -> Self {
        Self {
            id: skill.id().to_owned(),
            name: skill.name().to_owned(),
        }
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct ExerciseView {
    id: String,
    name: String,
    aliases: Vec<String>,
    category: Option<&'static str>,
    /// The id of the skill in `/v1/skills` this exercise is, when it is one.
    skill: Option<String>,
    description: String,
    cues: Vec<String>,
    easier: Vec<NeighbourView>,
    harder: Vec<NeighbourView>,
    video_url: Option<String>,
}

impl From<LibraryEntry<'_>> for ExerciseView {
    fn from(entry: LibraryEntry<'_>) -> Self {
        let exercise = entry.exercise;
        let guide = exercise.guide();
        Self {
            id: exercise.id().to_owned(),
            name: exercise.name().to_owned(),
            aliases: exercise.aliases().to_vec(),
            category: exercise.category().map(Category::as_str),
            skill: entry.skill.map(|skill| skill.id().to_owned()),
            description: guide.description().to_owned(),
            cues: guide.cues().to_vec(),
            easier: entry.easier.into_iter().map(NeighbourView::from).collect(),
            harder: entry.harder.into_iter().map(NeighbourView::from).collect(),
            video_url: entry.video_url,
        }
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ExerciseList))]
pub(crate) struct ListResponse {
    items: Vec<ExerciseView>,
    total: usize,
}

fn filter(query: &Query) -> Result<ExerciseFilter, ApiError> {
    let text = query
        .get("q")
        .map(|raw| SearchText::parse(raw).map_err(|error| invalid("q", error.to_string())))
        .transpose()?;
    let category = query
        .get("category")
        .map(|raw| {
            Category::parse(raw).ok_or_else(|| invalid("category", format!("must be {CATEGORIES}")))
        })
        .transpose()?;
    Ok(ExerciseFilter { text, category })
}

pub(super) fn list_exercises<P: Platform>(
    context: &RequestContext<'_, P>,
) -> Result<Response<Vec<u8>>, ApiError> {
    let query = Query::parse(context.query.as_deref());
    let filter = filter(&query)?;
    let limit = query.bounded("limit", 1, 100, 50)?;
    let catalog = catalog()?;
    // A u32 always fits a usize on the targets the worker builds for.
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let page = exercises::list(
        catalog,
        &filter,
        limit,
        &VideoLinks {
            cdn: context.config.video_cdn_domain.as_ref(),
            // Without a CDN domain, the bucket presigns (if there is one).
            storage: &context.storage(),
        },
    );
    json(
        StatusCode::OK,
        &ListResponse {
            items: page.items.into_iter().map(ExerciseView::from).collect(),
            total: page.total,
        },
    )
}

pub(super) fn get_exercise<P: Platform>(
    context: &RequestContext<'_, P>,
    params: &[&str],
) -> Result<Response<Vec<u8>>, ApiError> {
    let catalog = catalog()?;
    let entry = params
        .first()
        .and_then(|id| {
            exercises::get(
                catalog,
                id,
                &VideoLinks {
                    cdn: context.config.video_cdn_domain.as_ref(),
                    // Without a CDN domain, the bucket presigns (if there is one).
                    storage: &context.storage(),
                },
            )
        })
        .ok_or(ApiError::NotFound)?;
    json(StatusCode::OK, &ExerciseView::from(entry))
}
