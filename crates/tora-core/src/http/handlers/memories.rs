//! `GET /v1/memories`, `DELETE /v1/memories/{id}`: what the coach remembers of the
//! caller's sessions, newest first, and forgetting one.
//! `POST /v1/coach/ask`: an answer grounded in the caller's nearest sessions and the
//! skills the question is about, metered in credits.

use http::{Response, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::credits::in_credits;
use super::workouts::timestamp;
use super::{catalog, json, no_content, page_cursor, resolve};
use crate::app::memories::{self, MemoryError};
use crate::auth::AuthenticatedSubject;
use crate::domain::memory::{Memory, Question};
use crate::http::json::decode;
use crate::http::query::{Query, invalid};
use crate::http::{ApiError, Platform, RequestContext};
use crate::ports::PageCursor;

/// A memory as the API shows it; the vector stays in the database.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct MemoryView<'a> {
    id: String,
    workout_id: String,
    performed_at: String,
    summary: &'a str,
    model: &'a str,
    created_at: String,
}

impl<'a> From<&'a Memory> for MemoryView<'a> {
    fn from(memory: &'a Memory) -> Self {
        Self {
            id: memory.id.to_string(),
            workout_id: memory.workout_id.to_string(),
            performed_at: timestamp(memory.performed_at),
            summary: &memory.summary,
            model: &memory.model,
            created_at: timestamp(memory.created_at),
        }
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct MemoryPage<'a> {
    items: Vec<MemoryView<'a>>,
    next_cursor: Option<String>,
}

pub(super) async fn list_memories<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
) -> Result<Response<Vec<u8>>, ApiError> {
    let query = Query::parse(context.query.as_deref());
    let limit = query.bounded("limit", 1, 100, 20)?;
    let after = query.cursor()?;
    let user = resolve(context, caller).await?;
    let page = memories::page(&context.db, user.id, after, limit).await?;
    let next_cursor = page_cursor(&page, |memory| PageCursor {
        at: memory.created_at,
        id: memory.id,
    });
    json(
        StatusCode::OK,
        &MemoryPage {
            items: page.items.iter().map(MemoryView::from).collect(),
            next_cursor,
        },
    )
}

pub(super) async fn delete_memory<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
    params: &[&str],
) -> Result<Response<Vec<u8>>, ApiError> {
    // An id that cannot exist is simply not found.
    let id = params
        .first()
        .and_then(|raw| Uuid::parse_str(raw).ok())
        .ok_or(ApiError::NotFound)?;
    let user = resolve(context, caller).await?;
    if memories::forget(&context.db, user.id, id).await? {
        Ok(no_content())
    } else {
        Err(ApiError::NotFound)
    }
}

/// `POST /v1/coach/ask`. The text rule is applied in `parse`.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AskRequest {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 1000))]
    pub question: String,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AskSession))]
pub(crate) struct SessionView<'a> {
    workout_id: String,
    performed_at: String,
    summary: &'a str,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AskSkill))]
pub(crate) struct SkillView<'a> {
    skill: &'a str,
    name: &'a str,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AskCredits))]
pub(crate) struct CreditsView {
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    spent: Value,
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    balance: Value,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct AskResponse<'a> {
    answer: &'a str,
    sessions: Vec<SessionView<'a>>,
    skills: Vec<SkillView<'a>>,
    credits: CreditsView,
}

pub(super) async fn ask<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
    body: &[u8],
) -> Result<Response<Vec<u8>>, ApiError> {
    let request = decode::<AskRequest>(body)?;
    let question = Question::parse(&request.question)
        .map_err(|error| invalid("question", error.to_string()))?;
    let catalog = catalog()?;
    let llm = context.llm().ok_or(ApiError::ModelUnavailable)?;
    let user = resolve(context, caller).await?;
    let rate = context.config.credits.tokens_per_credit;
    let answer = memories::ask(
        &context.db,
        &llm,
        context.platform.ids(),
        catalog,
        context.request_id,
        user.id,
        &question,
    )
    .await
    .map_err(|error| match error {
        MemoryError::Insufficient(refused) => ApiError::insufficient(refused, rate),
        MemoryError::Store(error) => ApiError::Database(error),
        MemoryError::Model(error) => ApiError::Model(error),
    })?;
    let balance = answer.balance.unwrap_or(user.credit_balance);
    json(
        StatusCode::OK,
        &AskResponse {
            answer: &answer.text,
            sessions: answer
                .sessions
                .iter()
                .map(|memory| SessionView {
                    workout_id: memory.workout_id.to_string(),
                    performed_at: timestamp(memory.performed_at),
                    summary: &memory.summary,
                })
                .collect(),
            skills: answer
                .skills
                .iter()
                .map(|skill| SkillView {
                    skill: skill.id(),
                    name: skill.name(),
                })
                .collect(),
            credits: CreditsView {
                spent: in_credits(answer.spent, rate),
                balance: in_credits(balance, rate),
            },
        },
    )
}
