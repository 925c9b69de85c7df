//! `/v1/skills`: the whole tree with the caller's standing, and one skill in detail.
//! One round trip: the user and their stored skill rows are read in one batch.

use std::collections::BTreeMap;

use http::{Response, StatusCode};
use serde::Serialize;

use super::{catalog, json, resolve_with_skills};
use crate::auth::AuthenticatedSubject;
use crate::domain::catalog::{Catalog, Skill};
use crate::domain::coaching::Target;
use crate::domain::skills::{
    self, GoalTarget, SkillRecord, SkillState, Standing, goal_text, next_targets,
};
use crate::http::{ApiError, Platform, RequestContext};

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GoalView {
    pub sets: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reps: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<u32>,
    pub each_side: bool,
    /// `3x8`, `3x20s each side`.
    pub text: String,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SkillView {
    pub id: String,
    pub name: String,
    pub category: &'static str,
    pub prerequisites: Vec<String>,
    pub goal: GoalView,
    /// `locked`, `available`, `unlocked` (practised, goal not met) or `mastered`.
    pub state: &'static str,
    /// For a mastered skill, `proven` (a logged session met the goal) or `inferred`
    /// (a proven skill requires it, directly or not); `null` otherwise.
    pub mastery: Option<&'static str>,
    /// Best single logged session toward the goal, 0 to 1 (an inferred mastery may
    /// have less, or none).
    pub progress: f64,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TargetView {
    pub skill: String,
    pub name: String,
    pub goal: String,
    pub progress: f64,
}

impl From<&Target> for TargetView {
    fn from(target: &Target) -> Self {
        Self {
            skill: target.skill_id.clone(),
            name: target.name.clone(),
            goal: target.goal.clone(),
            progress: round_progress(target.progress),
        }
    }
}

/// Two decimals are plenty for a progress bar.
fn round_progress(progress: f64) -> f64 {
    (progress * 100.0).round() / 100.0
}

fn skill_view(
    skill: &Skill,
    states: &BTreeMap<String, SkillState>,
    stored: &BTreeMap<String, SkillRecord>,
) -> SkillView {
    let goal = skill.goal();
    let state = states
        .get(skill.id())
        .copied()
        .unwrap_or(SkillState::Locked);
    let (reps, seconds) = match goal.target {
        GoalTarget::Reps(reps) => (Some(reps), None),
        GoalTarget::Seconds(seconds) => (None, Some(seconds)),
    };
    SkillView {
        id: skill.id().to_owned(),
        name: skill.name().to_owned(),
        category: skill.category().as_str(),
        prerequisites: skill.prerequisites().to_vec(),
        goal: GoalView {
            sets: goal.sets,
            reps,
            seconds,
            each_side: goal.each_side,
            text: goal_text(&goal),
        },
        state: state.as_str(),
        mastery: state.mastery().map(|mastery| mastery.as_str()),
        progress: round_progress(stored.get(skill.id()).map_or(0.0, |row| row.best_progress)),
    }
}

async fn standing<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
    catalog: &Catalog,
) -> Result<(BTreeMap<String, SkillRecord>, Standing), ApiError> {
    let (_, stored) = resolve_with_skills(context, caller).await?;
    let standing = skills::standing(catalog, &stored);
    Ok((stored, standing))
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct TreeResponse {
    skills: Vec<SkillView>,
    next_targets: Vec<TargetView>,
    mastered: usize,
    total: usize,
}

pub(super) async fn list_skills<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
) -> Result<Response<Vec<u8>>, ApiError> {
    let catalog = catalog()?;
    let (stored, standing) = standing(context, caller, catalog).await?;
    let states = &standing.states;
    let targets = next_targets(catalog, &standing, &[]);
    json(
        StatusCode::OK,
        &TreeResponse {
            skills: catalog
                .skills()
                .iter()
                .map(|skill| skill_view(skill, states, &stored))
                .collect(),
            next_targets: targets.iter().map(TargetView::from).collect(),
            mastered: states.values().filter(|state| state.is_mastered()).count(),
            total: catalog.skills().len(),
        },
    )
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct SkillDetailResponse {
    #[serde(flatten)]
    skill: SkillView,
    /// Prerequisites not mastered yet.
    missing_prerequisites: Vec<String>,
    /// Skills that list this one as a prerequisite.
    dependants: Vec<String>,
}

pub(super) async fn get_skill<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
    params: &[&str],
) -> Result<Response<Vec<u8>>, ApiError> {
    let catalog = catalog()?;
    let skill = params
        .first()
        .and_then(|id| catalog.skill(id))
        .ok_or(ApiError::NotFound)?;
    let (stored, Standing { states, .. }) = standing(context, caller, catalog).await?;
    json(
        StatusCode::OK,
        &SkillDetailResponse {
            skill: skill_view(skill, &states, &stored),
            missing_prerequisites: skill
                .prerequisites()
                .iter()
                .filter(|id| {
                    !states
                        .get(id.as_str())
                        .is_some_and(|state| state.is_mastered())
                })
                .cloned()
                .collect(),
            dependants: catalog
                .skills()
                .iter()
                .filter(|other| other.prerequisites().iter().any(|id| id == skill.id()))
                .map(|other| other.id().to_owned())
                .collect(),
        },
    )
}
