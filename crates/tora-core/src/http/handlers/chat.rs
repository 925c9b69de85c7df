//! `/v1/chat`: log training by writing it, and read the conversation back.
//!
//! `POST /v1/chat` `{message, client_message_id}` answers
//! `{message_id, status, reply, workout, mastered, unlocked, next_targets, credits}`:
//! 200 with status `logged` (a workout was stored) or `answered` (chat only), 202 with
//! status `pending` (kept for a closer read). A retry with the same `client_message_id`
//! gets the same answer and stores nothing twice.

use http::{Response, StatusCode};
use serde::{Deserialize, Serialize};

use super::skills::TargetView;
use super::workouts::{WorkoutResponse, timestamp};
use super::{catalog, json, page_cursor, resolve};
use crate::app::accounts;
use crate::app::chat::{self, ChatMessage, ChatOutcome};
use crate::auth::AuthenticatedSubject;
use crate::domain::chat::{ClientMessageId, MessageStatus, MessageText, SkillRef};
use crate::domain::credits::TokensPerCredit;
use crate::http::json::decode;
use crate::http::query::Query;
use crate::http::{ApiError, FieldError, Platform, RequestContext};
use crate::ports::PageCursor;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostChatRequest {
    pub message: String,
    /// Chosen by the app, unique per message; makes retries safe.
    pub client_message_id: String,
}

impl PostChatRequest {
    /// Both fields through their domain rules, every failure reported together.
    fn parse(&self) -> Result<(MessageText, ClientMessageId), ApiError> {
        let message = MessageText::parse(&self.message);
        let client_message_id = ClientMessageId::parse(&self.client_message_id);
        match (message, client_message_id) {
            (Ok(message), Ok(client_message_id)) => Ok((message, client_message_id)),
            (message, client_message_id) => {
                let mut errors = Vec::new();
                if let Err(error) = message {
                    errors.push(FieldError::new("message", error.to_string()));
                }
                if let Err(error) = client_message_id {
                    errors.push(FieldError::new("client_message_id", error.to_string()));
                }
                Err(ApiError::Validation(errors))
            }
        }
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
    let (text, client_message_id) = decode::<PostChatRequest>(body)?.parse()?;
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
            client_message_id: &client_message_id,
            text: &text,
        },
    )
    .await?;
    if let (Some(workout), MessageStatus::Logged) = (&outcome.workout, outcome.status) {
        context.after_response(crate::jobs::Job::RememberWorkout {
            user_id: outcome.user.id,
            workout_id: workout.id,
        });
    }
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn errors(body: serde_json::Value) -> Vec<(String, String)> {
        match decode::<PostChatRequest>(body.to_string().as_bytes()).and_then(|r| r.parse()) {
            Err(ApiError::Validation(errors)) => errors
                .into_iter()
                .map(|error| (error.field, error.message))
                .collect(),
            other => panic!("expected validation errors, got {other:?}"),
        }
    }

    #[test]
    fn messages_are_multi_line_text_of_at_most_4000_characters() {
        let longest = "😀".repeat(4000);
        let (text, id) = decode::<PostChatRequest>(
            json!({"message": longest, "client_message_id": "m-1"})
                .to_string()
                .as_bytes(),
        )
        .and_then(|request| request.parse())
        .unwrap();
        assert_eq!((text.as_str(), id.as_str()), (longest.as_str(), "m-1"));
        let (text, _) = decode::<PostChatRequest>(
            json!({"message": "3x8 pull-ups\r\n\t3x10 dips", "client_message_id": "m-1"})
                .to_string()
                .as_bytes(),
        )
        .and_then(|request| request.parse())
        .unwrap();
        assert_eq!(text.as_str(), "3x8 pull-ups\r\n\t3x10 dips");

        assert_eq!(
            errors(json!({"message": format!("{longest}😀"), "client_message_id": "m-1"})),
            [(
                "message".to_owned(),
                "must be at most 4000 characters".to_owned()
            )]
        );
    }

    #[test]
    fn both_fields_are_checked_and_reported_together() {
        assert_eq!(
            errors(json!({"message": "pull-ups\u{0}", "client_message_id": "m\u{0}1"})),
            [
                (
                    "message".to_owned(),
                    "must not contain control characters (found U+0000)".to_owned()
                ),
                (
                    "client_message_id".to_owned(),
                    "must not contain control characters (found U+0000)".to_owned()
                ),
            ]
        );
        assert_eq!(
            errors(json!({"message": "\u{200b}\u{feff}", "client_message_id": "has spaces"})),
            [
                ("message".to_owned(), "must not be blank".to_owned()),
                (
                    "client_message_id".to_owned(),
                    "may only contain letters, digits and - _ . :".to_owned()
                ),
            ]
        );
    }
}
