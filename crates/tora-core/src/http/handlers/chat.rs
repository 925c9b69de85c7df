//! `/v1/chat`: log training by writing it, and read the conversation back.
//!
//! `POST /v1/chat` `{message, client_message_id}` answers
//! `{message_id, status, reply, workout, mastered, unlocked, next_targets, credits}`:
//! 200 with status `logged` (a workout was stored) or `answered` (chat only), 202 with
//! status `pending` (kept for a closer read). A retry with the same `client_message_id`
//! gets the same answer and stores nothing twice.

use garde::Validate;
use http::{Response, StatusCode};
use serde::{Deserialize, Serialize};

use super::skills::TargetView;
use super::workouts::{WorkoutResponse, timestamp};
use super::{catalog, json, page_cursor, resolve};
use crate::app::accounts;
use crate::app::chat::{self, ChatMessage, ChatOutcome};
use crate::auth::AuthenticatedSubject;
use crate::domain::chat::{MessageStatus, SkillRef};
use crate::domain::credits::TokensPerCredit;
use crate::http::json::{decode, field_errors};
use crate::http::query::Query;
use crate::http::{ApiError, Platform, RequestContext};
use crate::ports::PageCursor;

/// Longest message the API accepts, in characters.
const MAX_MESSAGE_CHARS: usize = 4_000;

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct PostChatRequest {
    #[garde(length(chars, min = 1, max = MAX_MESSAGE_CHARS), custom(not_blank))]
    pub message: String,
    /// Chosen by the app, unique per message; makes retries safe.
    #[garde(length(min = 1, max = 100), custom(client_id_characters))]
    pub client_message_id: String,
}

fn not_blank(value: &str, _context: &()) -> garde::Result {
    if value.trim().is_empty() {
        Err(garde::Error::new("must not be blank"))
    } else {
        Ok(())
    }
}

fn client_id_characters(value: &str, _context: &()) -> garde::Result {
    if value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
    {
        Ok(())
    } else {
        Err(garde::Error::new(
            "may only contain letters, digits and - _ . :",
        ))
    }
}

/// `credits`: what the answer cost and the balance as of this response.
#[derive(Debug, Serialize)]
struct CreditsView {
    spent: i64,
    /// In credits, as `GET /v1/credits` shows it.
    balance: serde_json::Value,
}

#[derive(Debug, Serialize)]
struct ChatResponse<'a> {
    message_id: String,
    status: &'static str,
    reply: &'a str,
    /// The logged workout, in the same shape as `GET /v1/workouts/{id}`.
    workout: Option<WorkoutResponse>,
    mastered: &'a [SkillRef],
    unlocked: &'a [SkillRef],
    next_targets: Vec<TargetView>,
    credits: CreditsView,
}

impl<'a> ChatResponse<'a> {
    fn new(outcome: &'a ChatOutcome, rate: TokensPerCredit) -> Self {
        Self {
            message_id: outcome.message_id.to_string(),
            status: outcome.status.as_str(),
            reply: &outcome.answer.reply,
            workout: outcome.workout.as_ref().map(WorkoutResponse::from),
            mastered: &outcome.answer.mastered,
            unlocked: &outcome.answer.unlocked,
            next_targets: outcome
                .answer
                .next_targets
                .iter()
                .map(TargetView::from)
                .collect(),
            credits: CreditsView {
                spent: outcome.answer.credits_spent,
                balance: super::credits::in_credits(outcome.user.credit_balance, rate),
            },
        }
    }
}

pub(super) async fn post_chat<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
    body: &[u8],
) -> Result<Response<Vec<u8>>, ApiError> {
    let request = decode::<PostChatRequest>(body)?;
    request
        .validate()
        .map_err(|report| ApiError::Validation(field_errors(&report)))?;
    let outcome = chat::post_message(
        &context.db,
        context.platform.ids(),
        catalog()?,
        &accounts::new_user(
            context.platform.ids(),
            caller,
            context.config.starter_credits,
            &context.config.credits,
        ),
        context.now(),
        &ChatMessage {
            client_message_id: &request.client_message_id,
            text: &request.message,
        },
    )
    .await?;
    // Kept for a closer read: accepted, not yet done.
    let status = if outcome.status == MessageStatus::Pending {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    json(
        status,
        &ChatResponse::new(&outcome, context.config.credits.tokens_per_credit),
    )
}

#[derive(Debug, Serialize)]
struct ChatItem {
    id: String,
    client_message_id: String,
    message: String,
    status: &'static str,
    reply: Option<String>,
    workout_id: Option<String>,
    created_at: String,
}

#[derive(Debug, Serialize)]
struct ChatPage {
    items: Vec<ChatItem>,
    next_cursor: Option<String>,
}

pub(super) async fn chat_history<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
) -> Result<Response<Vec<u8>>, ApiError> {
    let query = Query::parse(context.query.as_deref());
    let limit = query.bounded("limit", 1, 100, 30)?;
    let after = query.cursor()?;
    let user = resolve(context, caller).await?;
    let page = chat::history(&context.db, user.id, after, limit).await?;
    let next_cursor = page_cursor(&page, |message| PageCursor {
        at: message.created_at,
        id: message.id,
    });
    let items = page
        .items
        .into_iter()
        .map(|message| ChatItem {
            id: message.id.to_string(),
            reply: message.answer.map(|answer| answer.reply),
            workout_id: message.workout_id.map(|id| id.to_string()),
            client_message_id: message.client_message_id,
            message: message.body,
            status: message.status.as_str(),
            created_at: timestamp(message.created_at),
        })
        .collect();
    json(StatusCode::OK, &ChatPage { items, next_cursor })
}
