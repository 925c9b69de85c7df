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
use serde_json::{Value, json};

use super::workouts::{skill_refs, timestamp};
use super::{catalog, json, resolve};
use crate::app::chat::{self, ChatAnswer, ChatMessage};
use crate::auth::AuthenticatedSubject;
use crate::db::chat::MessageCursor;
use crate::domain::catalog::Catalog;
use crate::domain::coaching::Target;
use crate::domain::workout::ExerciseRef;
use crate::http::cursor;
use crate::http::json::{decode, field_errors};
use crate::http::query::{Query, invalid};
use crate::http::{ApiError, Platform, RequestContext};

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

fn target_view(target: &Target) -> Value {
    json!({
        "skill": target.skill_id,
        "name": target.name,
        "goal": target.goal,
        "progress": (target.progress * 100.0).round() / 100.0,
    })
}

/// The stored and returned form of an answer (without `credits`, which are the
/// caller's balance at the time of each response).
fn render(catalog: &Catalog, answer: &ChatAnswer<'_>) -> Value {
    match answer {
        ChatAnswer::Logged {
            message_id,
            workout_id,
            performed_at,
            workout,
            evaluation,
            targets,
            reply,
        } => {
            let entries: Vec<Value> = workout
                .entries()
                .iter()
                .map(|entry| {
                    let (id, name) = match &entry.exercise {
                        ExerciseRef::Catalog(id) => (
                            id.clone(),
                            catalog
                                .exercise(id)
                                .map_or_else(|| id.clone(), |e| e.name().to_owned()),
                        ),
                        ExerciseRef::Custom { name } => (name.clone(), name.clone()),
                    };
                    json!({"exercise": id, "name": name, "custom": false, "sets": entry.sets})
                })
                .collect();
            json!({
                "message_id": message_id.to_string(),
                "status": "logged",
                "reply": reply,
                "workout": {
                    "id": workout_id.to_string(),
                    "performed_at": timestamp(*performed_at),
                    "source": "chat",
                    "entries": entries,
                },
                "mastered": skill_refs(catalog, &evaluation.transitions.mastered),
                "unlocked": skill_refs(catalog, &evaluation.transitions.unlocked),
                "next_targets": targets.iter().map(target_view).collect::<Vec<_>>(),
                "credits_spent": 0,
            })
        }
        ChatAnswer::Answered { message_id, reply } | ChatAnswer::Pending { message_id, reply } => {
            let status = if matches!(answer, ChatAnswer::Pending { .. }) {
                "pending"
            } else {
                "answered"
            };
            json!({
                "message_id": message_id.to_string(),
                "status": status,
                "reply": reply,
                "workout": null,
                "mastered": [],
                "unlocked": [],
                "next_targets": [],
                "credits_spent": 0,
            })
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
    let catalog = catalog()?;
    let outcome = chat::post_message(
        &context.db,
        context.platform.ids(),
        catalog,
        caller,
        context.config.starter_credits,
        context.now(),
        &ChatMessage {
            client_message_id: &request.client_message_id,
            text: &request.message,
        },
        |answer| render(catalog, answer),
    )
    .await?;
    let mut body = outcome.result;
    let spent = body
        .as_object_mut()
        .and_then(|fields| fields.remove("credits_spent"))
        .unwrap_or(json!(0));
    body["credits"] = json!({"spent": spent, "balance": outcome.user.credit_balance});
    let status = if body["status"] == "pending" {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    json(status, &body)
}

#[derive(Debug, Serialize)]
struct ChatItem {
    id: String,
    client_message_id: String,
    message: String,
    status: &'static str,
    reply: Option<Value>,
    workout_id: Option<Value>,
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
    let after = query
        .get("cursor")
        .map(|raw| {
            cursor::decode(raw).map_err(|_| invalid("cursor", "is not a cursor this API gave out"))
        })
        .transpose()?
        .map(|(created_at, id)| MessageCursor { created_at, id });
    let user = resolve(context, caller).await?;
    let (messages, more) = chat::history(&context.db, user.id, after, limit).await?;
    let next_cursor = more
        .then(|| {
            messages
                .last()
                .map(|last| cursor::encode(last.created_at, last.id))
        })
        .flatten();
    let items = messages
        .into_iter()
        .map(|message| ChatItem {
            id: message.id.to_string(),
            reply: message
                .result
                .as_ref()
                .map(|result| result["reply"].clone())
                .filter(|reply| !reply.is_null()),
            workout_id: message
                .result
                .as_ref()
                .map(|result| result["workout"]["id"].clone())
                .filter(|id| !id.is_null()),
            client_message_id: message.client_message_id,
            message: message.body,
            status: message.status.as_str(),
            created_at: timestamp(message.created_at),
        })
        .collect();
    json(StatusCode::OK, &ChatPage { items, next_cursor })
}
