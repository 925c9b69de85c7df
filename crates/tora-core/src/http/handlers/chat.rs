//! `/v1/chat`: log training by writing it, and read the conversation back.
//!
//! `POST /v1/chat` `{message, client_message_id}` answers
//! `{message_id, status, reply, workout, proposal, mastered, unlocked, next_targets,
//! credits, failure_reason}`: 200 with status `logged` (a workout was stored),
//! `answered` (chat only) or `proposed` (the model's reading waits for
//! `POST /v1/chat/{id}/confirm`), 202 with status `pending` (still being read; see
//! `GET /v1/chat/{id}`), 402 when reading it with the model is not covered by the
//! balance. A retry with the same `client_message_id` gets the same answer and stores
//! nothing twice. `GET /v1/chat?unfinished=true` lists pending and failed messages;
//! `POST /v1/chat/{id}/retry` reads one again now.

use http::{Response, StatusCode};
use serde::{Deserialize, Serialize};

use super::skills::TargetView;
use super::workouts::{
    EntryRequest, WorkoutResponse, timestamp, to_workout, validated, workout_id,
};
use super::{catalog, json, page_cursor, resolve};
use crate::app::accounts;
use crate::app::chat::{self, ChatError, ChatMessage, ChatOutcome, ModelReader};
use crate::auth::AuthenticatedSubject;
use crate::domain::chat::{
    ChatAnswer, ClientMessageId, MessageStatus, MessageText, Proposal, SkillRef,
};
use crate::domain::credits::{Credits, TokensPerCredit};
use crate::domain::meals::meal_in_chat;
use crate::domain::workout::StoredWorkout;
use crate::http::json::decode;
use crate::http::query::Query;
use crate::http::{ApiError, FieldError, Platform, PlatformLlm, RequestContext};
use crate::jobs::Job;
use crate::ports::PageCursor;

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PostChatRequest {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 4000))]
    pub message: String,
    /// Chosen by the app, unique per message; makes retries safe.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9._:-]{1,100}$"))]
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

/// `credits`: what the answer cost and the balance as of this response, in credits
/// as `GET /v1/credits` shows them.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ChatCredits))]
pub(crate) struct CreditsView {
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    spent: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    balance: Option<serde_json::Value>,
}

/// A message's answer as the API shows it, wherever it is shown.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ChatAnswer))]
pub(crate) struct AnswerView<'a> {
    message_id: String,
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(logged|answered|proposed|pending|failed)$")
    )]
    status: &'static str,
    reply: &'a str,
    /// The logged workout, in the same shape as `GET /v1/workouts/{id}`.
    workout: Option<WorkoutResponse>,
    /// What a proposed message would log.
    proposal: Option<&'a Proposal>,
    mastered: &'a [SkillRef],
    unlocked: &'a [SkillRef],
    next_targets: Vec<TargetView>,
    credits: CreditsView,
    failure_reason: Option<&'a str>,
}

impl<'a> AnswerView<'a> {
    fn new(
        message_id: uuid::Uuid,
        status: MessageStatus,
        answer: &'a ChatAnswer,
        workout: Option<&StoredWorkout>,
        failure_reason: Option<&'a str>,
        balance: Option<Credits>,
        rate: TokensPerCredit,
    ) -> Self {
        Self {
            message_id: message_id.to_string(),
            status: status.as_str(),
            reply: &answer.reply,
            workout: workout.map(WorkoutResponse::from),
            proposal: answer.proposal.as_ref(),
            mastered: &answer.mastered,
            unlocked: &answer.unlocked,
            next_targets: answer.next_targets.iter().map(TargetView::from).collect(),
            credits: CreditsView {
                spent: super::credits::in_credits(Credits::from_units(answer.spent_units), rate),
                balance: balance.map(|balance| super::credits::in_credits(balance, rate)),
            },
            failure_reason,
        }
    }

    fn of_outcome(outcome: &'a ChatOutcome, rate: TokensPerCredit) -> Self {
        Self::new(
            outcome.message_id,
            outcome.status,
            &outcome.answer,
            outcome.workout.as_ref(),
            outcome.failure_reason.as_deref(),
            Some(outcome.user.credit_balance),
            rate,
        )
    }
}

/// An outcome as a response: 202 while the message is still pending, and the read
/// still under way promised to finish after the response.
fn respond<P: Platform>(
    context: &RequestContext<'_, P>,
    outcome: &ChatOutcome,
) -> Result<Response<Vec<u8>>, ApiError> {
    if let Some(attempt) = &outcome.finish_later {
        context.after_response(Job::FinishMessage(attempt.clone()));
    }
    // A logged or corrected workout becomes a memory, or renews its memory (a
    // replay's job finds it remembered already and does nothing).
    if let Some(workout) = &outcome.workout {
        context.after_response(Job::RememberWorkout {
            user_id: outcome.user.id,
            workout_id: workout.id,
        });
    }
    let status = if outcome.status == MessageStatus::Pending {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    json(
        status,
        &AnswerView::of_outcome(outcome, context.config.credits.tokens_per_credit),
    )
}

fn chat_error<P: Platform>(context: &RequestContext<'_, P>) -> impl Fn(ChatError) -> ApiError {
    let rate = context.config.credits.tokens_per_credit;
    move |error| ApiError::from((error, rate))
}

pub(super) async fn post_chat<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
    body: &[u8],
) -> Result<Response<Vec<u8>>, ApiError> {
    let (text, client_message_id) = decode::<PostChatRequest>(body)?.parse()?;
    let llm = context.llm();
    // A meal told in chat takes the meal path (it needs the model to read it).
    if let (Some(description), Some(llm)) = (meal_in_chat(text.as_str()), llm.as_ref()) {
        let outcome = crate::app::meals::post_meal_message(
            &context.db,
            llm,
            context.platform.ids(),
            context.request_id,
            &accounts::new_user(
                context.platform.ids(),
                caller,
                context.config.starter_credits,
                &context.config.credits,
            ),
            &ChatMessage {
                client_message_id: &client_message_id,
                text: &text,
            },
            description,
            context.now(),
        )
        .await
        .map_err(chat_error(context))?;
        return respond(context, &outcome);
    }
    let model = model_reader(context, llm.as_ref());
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
        model.as_ref(),
    )
    .await
    .map_err(chat_error(context))?;
    respond(context, &outcome)
}

/// `GET /v1/chat/{id}`: a message with its answer as it stands.
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ChatMessage))]
pub(crate) struct MessageView<'a> {
    client_message_id: &'a str,
    message: &'a str,
    attempts: u32,
    created_at: String,
    #[serde(flatten)]
    answer: AnswerView<'a>,
}

pub(super) async fn get_message<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
    params: &[&str],
) -> Result<Response<Vec<u8>>, ApiError> {
    let message_id = workout_id(params)?;
    let user = resolve(context, caller).await?;
    let (record, workout) = chat::message(&context.db, user.id, message_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut answer = record.answer.clone().unwrap_or_default();
    if record.status == MessageStatus::Logged && workout.is_none() {
        answer.reply = crate::domain::coaching::workout_deleted_reply();
    }
    json(
        StatusCode::OK,
        &MessageView {
            client_message_id: &record.client_message_id,
            message: &record.body,
            attempts: record.attempts,
            created_at: timestamp(record.created_at),
            answer: AnswerView::new(
                record.id,
                record.status,
                &answer,
                workout.as_ref(),
                record.failure_reason.as_deref(),
                None,
                context.config.credits.tokens_per_credit,
            ),
        },
    )
}

/// `POST /v1/chat/{id}/confirm`: `{}` logs the proposal as it is; `{entries}` (the
/// shape of `POST /v1/workouts`) logs the person's edit of it instead.
#[derive(Debug, Deserialize, garde::Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    #[serde(default)]
    #[garde(length(min = 1, max = 50), dive)]
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 50))]
    pub entries: Option<Vec<EntryRequest>>,
}

pub(super) async fn confirm_message<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
    params: &[&str],
    body: &[u8],
) -> Result<Response<Vec<u8>>, ApiError> {
    let message_id = workout_id(params)?;
    let catalog = catalog()?;
    let request = validated(decode::<ConfirmRequest>(body)?)?;
    let edited = request
        .entries
        .as_deref()
        .map(|entries| to_workout(catalog, entries, "entries"))
        .transpose()?;
    let user = resolve(context, caller).await?;
    let llm = context.llm();
    let outcome = chat::confirm(
        &context.db,
        context.platform.ids(),
        catalog,
        &caller.subject,
        user.id,
        message_id,
        edited.as_ref(),
        context.now(),
        model_reader(context, llm.as_ref()).as_ref(),
    )
    .await
    .map_err(chat_error(context))?;
    respond(context, &outcome)
}

pub(super) async fn retry_message<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
    params: &[&str],
) -> Result<Response<Vec<u8>>, ApiError> {
    let message_id = workout_id(params)?;
    let llm = context.llm().ok_or(ApiError::ModelUnavailable)?;
    let user = resolve(context, caller).await?;
    let outcome = chat::retry(
        &context.db,
        context.platform.ids(),
        catalog()?,
        &ModelReader {
            llm: &llm,
            sleep: context.platform.sleep(),
            settings: &context.config.chat_model,
            request_id: context.request_id,
        },
        &caller.subject,
        user.id,
        message_id,
        context.now(),
    )
    .await
    .map_err(chat_error(context))?;
    respond(context, &outcome)
}

/// The request's model with what a chat read needs beside it.
fn model_reader<'a, P: Platform>(
    context: &'a RequestContext<'_, P>,
    llm: Option<&'a PlatformLlm<'a, P>>,
) -> Option<ModelReader<'a, PlatformLlm<'a, P>, P::Sleep>> {
    llm.map(|llm| ModelReader {
        llm,
        sleep: context.platform.sleep(),
        settings: &context.config.chat_model,
        request_id: context.request_id,
    })
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct ChatItem {
    id: String,
    client_message_id: String,
    message: String,
    status: &'static str,
    reply: Option<String>,
    workout_id: Option<String>,
    created_at: String,
    failure_reason: Option<String>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ChatPage))]
pub(crate) struct ChatPage {
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
    let unfinished = query.flag("unfinished")?;
    let user = resolve(context, caller).await?;
    let page = chat::history(&context.db, user.id, after, limit, unfinished).await?;
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
            failure_reason: message.failure_reason,
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
