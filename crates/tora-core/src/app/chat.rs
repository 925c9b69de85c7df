//! A chat message: stored first, read by the deterministic parser, and — when it is a
//! workout — logged with the skill states it moves, all in two round trips:
//!
//! 1. `ChatStore::open_message`: provision the user, store the message (unless its
//!    client id was used before), read back whatever is stored under that id, the
//!    skill rows and the volume of recent sessions;
//! 2. for a workout, `ChatStore::log_message_workout`: the workout and its sets, the
//!    skill rows, and the message marked logged with the answer to replay.
//!
//! Greetings and questions are answered within the first round trip. A message the
//! parser cannot read goes to the model (`ModelReader`) when one is configured: it is
//! stored `pending` as its first attempt, the call's worst case is held from the
//! balance (402 when it is not covered), and the model gets a bounded wait. An answer
//! in time is stored with the charge settled in the same transaction; otherwise the
//! response is `pending` and the attempt finishes after it (`finish_later`). A failed
//! attempt stays pending with a backoff for the scheduled retries (`jobs`), and is
//! `failed` after `max_attempts`. A reading the model is not sure of is `proposed`
//! until the person confirms it.
//!
//! A retry with the same client id replays the stored answer and stores nothing twice;
//! two concurrent attempts are settled by the store (one workout per message), and the
//! loser answers as the winner did.

use std::pin::pin;

use chrono::{DateTime, Utc};
use futures_util::future::{Either, select};
use uuid::Uuid;

use crate::app::credits::{self, CreditError, PlannedCall};
use crate::domain::account::{NewUser, User};
use crate::domain::catalog::Catalog;
use crate::domain::chat::{
    ChatAnswer, ClientMessageId, MessageRecord, MessageStatus, MessageText, Proposal, SkillRef,
};
use crate::domain::coaching::{self, Decision};
use crate::domain::credits::{Credits, Insufficient, Settlement};
use crate::domain::extraction::Extraction;
use crate::domain::parser::{self, ParseOutcome, ParsedWorkout};
use crate::domain::profile::CoachStyle;
use crate::domain::skills::{self, Evaluation};
use crate::domain::workout::{ExerciseRef, LoggedSet, StoredWorkout, Workout, WorkoutEntry};
use crate::ports::{
    Attempt, AttemptEnd, ChatStore, CreditStore, Ids, Llm, LlmErrorKind, MessageAnswer,
    MessageWorkout, ModelCharge, NewMessage, OpenedMessage, Sleep, StoreError, WorkoutStore,
};

/// A message as the API took it: both parts already passed their rules.
pub struct ChatMessage<'a> {
    pub client_message_id: &'a ClientMessageId,
    pub text: &'a MessageText,
}

/// How the model is used for messages the parser cannot read.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSettings {
    /// How long a request waits for the model before it answers `pending` and lets the
    /// read finish after the response.
    pub wait_ms: u32,
    /// Readings the model is less sure of than this are proposed, not logged.
    pub min_confidence: f64,
    /// Attempts before a message is `failed`.
    pub max_attempts: u32,
    /// The wait after the first failed attempt; each further one doubles it.
    pub retry_base_secs: u32,
}

impl Default for ModelSettings {
    fn default() -> Self {
        Self {
            wait_ms: 5_000,
            min_confidence: 0.6,
            max_attempts: 5,
            retry_base_secs: 60,
        }
    }
}

/// How long an attempt leases its message: longer than any attempt can take (the
/// model's retry budget plus two round trips), so no two attempts overlap.
pub const ATTEMPT_LEASE_SECS: u32 = 5 * 60;

/// The longest wait between attempts.
const MAX_RETRY_SECS: u32 = 6 * 60 * 60;

/// The model and what a call needs besides: a timer for the request's wait and the id
/// its ledger rows are recorded with.
pub struct ModelReader<'a, L, S> {
    pub llm: &'a L,
    pub sleep: &'a S,
    pub settings: &'a ModelSettings,
    pub request_id: &'a str,
}

/// What a message came to, for the response.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatOutcome {
    pub message_id: Uuid,
    pub status: MessageStatus,
    pub answer: ChatAnswer,
    /// The workout the message logged, as it is stored now.
    pub workout: Option<StoredWorkout>,
    /// The caller, with their balance as of this request.
    pub user: User,
    /// Why a failed message was given up on.
    pub failure_reason: Option<String>,
    /// A model read still running when the request's wait ran out: to be finished
    /// after the response.
    pub finish_later: Option<Attempt>,
}

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// A retry must repeat its message: the same client id with other text would
    /// silently lose the new text.
    #[error("the client_message_id was already used for a different message")]
    ClientIdReused,
    /// The balance does not cover reading the message with the model. The message is
    /// kept (`failed`), so it can be retried after a top-up.
    #[error("the balance does not cover reading this message")]
    Insufficient {
        message_id: Uuid,
        refused: Insufficient,
    },
    /// The model refused the call for good (bad request, no access, no such model).
    #[error("the model refused the call: {kind:?}")]
    ModelRefused {
        message_id: Uuid,
        kind: LlmErrorKind,
    },
    #[error("no such message")]
    NotFound,
    /// Confirming a message that is not a proposal.
    #[error("the message is {0:?}, not a proposal")]
    NotProposed(MessageStatus),
    /// Retrying a message that is neither pending nor failed.
    #[error("the message is {0:?}: only pending and failed messages can be retried")]
    NotRetryable(MessageStatus),
    /// The proposal names an exercise the catalog no longer has.
    #[error("the proposal no longer matches the exercise catalog")]
    StaleProposal,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<CreditError> for ChatError {
    fn from(error: CreditError) -> Self {
        match error {
            CreditError::Store(error) => ChatError::Store(error),
            // Callers that know the message map this themselves.
            CreditError::Insufficient(refused) => ChatError::Insufficient {
                message_id: Uuid::nil(),
                refused,
            },
        }
    }
}

/// Turns what the parser read into a storable workout. A set the domain refuses
/// (absurd numbers) makes the whole message unreadable rather than silently dropped.
fn to_workout(parsed: &ParsedWorkout) -> Option<Workout> {
    let entries = parsed
        .entries
        .iter()
        .map(|entry| {
            let sets = entry
                .sets
                .iter()
                .map(|set| LoggedSet::new(*set).ok())
                .collect::<Option<Vec<_>>>()?;
            Some(WorkoutEntry {
                exercise: ExerciseRef::Catalog(entry.exercise.clone()),
                sets,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Workout::new(entries).ok()
}

/// What the parser made of a message, with the workout already validated.
enum Reading {
    Workout(Workout),
    /// Answered in words alone: not a workout.
    Words(ChatAnswer),
    /// Not readable with confidence: for the model, or to wait for it.
    Unsure,
}

fn read(text: &str, catalog: &Catalog) -> Reading {
    match parser::parse(text, catalog) {
        ParseOutcome::Workout(parsed) => match to_workout(&parsed) {
            Some(workout) => Reading::Workout(workout),
            None => Reading::Unsure,
        },
        ParseOutcome::NotWorkout => {
            Reading::Words(ChatAnswer::words(coaching::not_workout_reply(text)))
        }
        ParseOutcome::Unsure { .. } => Reading::Unsure,
    }
}

/// The answer stored for `record`, as it stands now: a logged workout that has since
/// been deleted is said to be gone rather than replayed as logged.
pub(super) fn replay(
    record: MessageRecord,
    workout: Option<StoredWorkout>,
    user: User,
) -> ChatOutcome {
    let mut answer = record.answer.unwrap_or_default();
    if record.status == MessageStatus::Logged && workout.is_none() {
        answer = ChatAnswer {
            reply: coaching::workout_deleted_reply(),
            ..answer
        };
    }
    ChatOutcome {
        message_id: record.id,
        status: record.status,
        answer,
        workout,
        user,
        failure_reason: record.failure_reason,
        finish_later: None,
    }
}

/// Handles one message.
pub async fn post_message<S, L, Z>(
    store: &S,
    ids: &impl Ids,
    catalog: &Catalog,
    new_user: &NewUser<'_>,
    now: DateTime<Utc>,
    message: &ChatMessage<'_>,
    model: Option<&ModelReader<'_, L, Z>>,
) -> Result<ChatOutcome, ChatError>
where
    S: ChatStore + CreditStore + WorkoutStore,
    L: Llm,
    Z: Sleep,
{
    // Corrections of the latest workout ("it was 8 not 6") take their own path.
    if let Some(correction) = super::corrections::read(message.text.as_str(), catalog) {
        return super::corrections::post_correction(
            store, ids, catalog, new_user, message, correction,
        )
        .await;
    }
    let message_id = ids.new_uuid();
    let reading = read(message.text, catalog);
    let unsure_answer = ChatAnswer::words(if model.is_some() {
        coaching::reading_reply()
    } else {
        coaching::unsure_reply()
    });
    // Answers that need no second round trip are stored with the message itself.
    let (status, early_answer) = match &reading {
        Reading::Workout(_) => (MessageStatus::Received, None),
        Reading::Words(answer) => (MessageStatus::Answered, Some(answer)),
        Reading::Unsure => (MessageStatus::Pending, Some(&unsure_answer)),
    };
    let read_by_model = matches!(reading, Reading::Unsure) && model.is_some();
    let opened = store
        .open_message(
            new_user,
            &NewMessage {
                id: message_id,
                client_message_id: message.client_message_id.as_str(),
                body: message.text.as_str(),
                status,
                answer: early_answer,
                lease_secs: read_by_model.then_some(ATTEMPT_LEASE_SECS),
            },
        )
        .await?;
    let fresh = opened.message.id == message_id;
    if !fresh {
        if opened.message.body != message.text.as_str() {
            return Err(ChatError::ClientIdReused);
        }
        // An earlier attempt answered (or left the message to the model): replay it.
        if opened.message.status != MessageStatus::Received && opened.message.answer.is_some() {
            return Ok(replay(opened.message, opened.workout, opened.user));
        }
        // Otherwise an earlier attempt was interrupted before answering: finish it
        // (the text is the same, so this reading is its reading).
    }
    match reading {
        Reading::Words(answer) => {
            answer_without_model(store, opened, MessageStatus::Answered, answer, fresh).await
        }
        Reading::Unsure => match model {
            Some(model) => {
                let attempt = Attempt {
                    message_id: opened.message.id,
                    subject: new_user.auth_subject.to_owned(),
                    client_message_id: opened.message.client_message_id.clone(),
                    number: 1,
                };
                read_with_model(store, ids, catalog, model, opened, &attempt, now, true).await
            }
            None => {
                answer_without_model(store, opened, MessageStatus::Pending, unsure_answer, fresh)
                    .await
            }
        },
        Reading::Workout(workout) => {
            log_workout(
                store,
                ids,
                catalog,
                new_user.auth_subject,
                now,
                opened,
                &workout,
                Charged::nothing(),
                model,
            )
            .await
        }
    }
}

/// What storing a message that is answered in one go found: the message (and whether
/// this request stored it, or an earlier attempt left it unanswered), or the answer an
/// earlier attempt already gave, to replay.
pub(super) enum Opened {
    Open { opened: OpenedMessage, fresh: bool },
    Answered(ChatOutcome),
}

/// Stores a message as `received` (unless its client id was used before) for a path
/// that answers it after one more step (a correction, a meal).
pub(super) async fn open_received(
    store: &impl ChatStore,
    ids: &impl Ids,
    new_user: &NewUser<'_>,
    message: &ChatMessage<'_>,
) -> Result<Opened, ChatError> {
    let message_id = ids.new_uuid();
    let opened = store
        .open_message(
            new_user,
            &NewMessage {
                id: message_id,
                client_message_id: message.client_message_id.as_str(),
                body: message.text.as_str(),
                status: MessageStatus::Received,
                answer: None,
                lease_secs: None,
            },
        )
        .await?;
    let fresh = opened.message.id == message_id;
    if !fresh {
        if opened.message.body != message.text.as_str() {
            return Err(ChatError::ClientIdReused);
        }
        if opened.message.status != MessageStatus::Received && opened.message.answer.is_some() {
            return Ok(Opened::Answered(replay(
                opened.message,
                opened.workout,
                opened.user,
            )));
        }
    }
    Ok(Opened::Open { opened, fresh })
}

/// Answers a message in words; a fresh message already carries the answer.
async fn answer_without_model(
    store: &impl ChatStore,
    opened: OpenedMessage,
    status: MessageStatus,
    answer: ChatAnswer,
    fresh: bool,
) -> Result<ChatOutcome, ChatError> {
    if !fresh {
        store
            .answer_message(&MessageAnswer {
                user_id: opened.user.id,
                message_id: opened.message.id,
                status,
                answer: &answer,
                charges: &[],
                attempt: None,
            })
            .await?;
    }
    Ok(ChatOutcome {
        message_id: opened.message.id,
        status,
        answer,
        workout: None,
        user: opened.user,
        failure_reason: None,
        finish_later: None,
    })
}

/// Model calls that paid for an answer: settled in the answer's transaction.
struct Charged<'a> {
    charges: Vec<ModelCharge<'a>>,
    spent: Credits,
    /// The attempt whose answer this is.
    attempt: Option<u32>,
    /// The proposal a confirmed message logs, kept in its answer.
    proposal: Option<Proposal>,
}

impl Charged<'_> {
    fn nothing() -> Self {
        Self {
            charges: Vec::new(),
            spent: Credits::ZERO,
            attempt: None,
            proposal: None,
        }
    }
}

/// Why an attempt failed, as kept with the message and shown to its author.
fn failure_reason(kind: LlmErrorKind) -> &'static str {
    match kind {
        LlmErrorKind::Throttled => "model_throttled",
        LlmErrorKind::Timeout => "model_timeout",
        LlmErrorKind::Unavailable => "model_unavailable",
        LlmErrorKind::Rejected => "model_rejected",
        LlmErrorKind::Denied => "model_access_denied",
        LlmErrorKind::NotFound => "model_not_found",
        LlmErrorKind::Malformed => "model_output_invalid",
    }
}

/// Errors no retry can fix: the request, the credentials or the model id is wrong.
fn refused(kind: LlmErrorKind) -> bool {
    matches!(
        kind,
        LlmErrorKind::Rejected | LlmErrorKind::Denied | LlmErrorKind::NotFound
    )
}

/// The wait before attempt `failed + 1`: the base, doubled per failure, capped.
pub fn retry_delay_secs(settings: &ModelSettings, failed: u32) -> u32 {
    settings
        .retry_base_secs
        .saturating_mul(1 << failed.saturating_sub(1).min(16))
        .min(MAX_RETRY_SECS)
}

/// One attempt at reading a pending message with the model. With `wait`, the request
/// waits at most `settings.wait_ms` and otherwise hands the attempt over
/// (`finish_later`); the hold and the lease stay with the attempt.
#[allow(clippy::too_many_arguments)]
async fn read_with_model<S, L, Z>(
    store: &S,
    ids: &impl Ids,
    catalog: &Catalog,
    model: &ModelReader<'_, L, Z>,
    opened: OpenedMessage,
    attempt: &Attempt,
    now: DateTime<Utc>,
    wait: bool,
) -> Result<ChatOutcome, ChatError>
where
    S: ChatStore + CreditStore,
    L: Llm,
    Z: Sleep,
{
    let user_id = opened.user.id;
    let message_id = opened.message.id;
    let budget = model.llm.extraction_budget(&opened.message.body);
    let key = format!("{message_id}:read:{}", attempt.number);
    let held = match credits::reserve(
        store,
        ids,
        &PlannedCall {
            user_id,
            idempotency_key: &key,
            prompt_tokens: budget.prompt_tokens,
            max_tokens: budget.max_tokens,
            purpose: "read a chat message",
        },
    )
    .await
    {
        Ok(held) => held,
        Err(CreditError::Insufficient(refused)) => {
            store
                .end_attempt(
                    message_id,
                    attempt.number,
                    AttemptEnd::GiveUp {
                        reason: "insufficient_credits",
                        answer: &ChatAnswer::words(coaching::gave_up_reply()),
                    },
                )
                .await?;
            return Err(ChatError::Insufficient {
                message_id,
                refused,
            });
        }
        Err(CreditError::Store(error)) => return Err(error.into()),
    };
    if !held.open {
        // This attempt's hold was settled or released already: whoever did that
        // answered or ended the attempt. Show the message as it is.
        return current(store, &attempt.subject, &attempt.client_message_id).await;
    }
    let call = model.llm.extract_workout(&opened.message.body);
    let result = if wait {
        match select(pin!(call), pin!(model.sleep.sleep(model.settings.wait_ms))).await {
            Either::Left((result, _)) => Some(result),
            Either::Right(_) => None,
        }
    } else {
        Some(call.await)
    };
    let Some(result) = result else {
        // Still reading: the response says pending and the attempt goes on after it.
        let mut outcome = replay(opened.message, None, opened.user);
        outcome.finish_later = Some(attempt.clone());
        return Ok(outcome);
    };
    let completion = match result {
        Ok(completion) => completion,
        Err(error) => {
            // Nothing usable came back: the person pays nothing for it.
            store.release(user_id, held.id).await?;
            let kind = error.kind();
            let reason = failure_reason(kind);
            let give_up = refused(kind) || attempt.number >= model.settings.max_attempts;
            let gave_up = ChatAnswer::words(coaching::gave_up_reply());
            let end = if give_up {
                AttemptEnd::GiveUp {
                    reason,
                    answer: &gave_up,
                }
            } else {
                AttemptEnd::RetryIn {
                    secs: retry_delay_secs(model.settings, attempt.number),
                    reason,
                }
            };
            store.end_attempt(message_id, attempt.number, end).await?;
            if refused(kind) {
                return Err(ChatError::ModelRefused { message_id, kind });
            }
            // As a replay will show it: still pending with its answer so far, or
            // given up on.
            let mut outcome = replay(opened.message, None, opened.user);
            outcome.failure_reason = Some(reason.to_owned());
            if give_up {
                outcome.status = MessageStatus::Failed;
                outcome.answer = gave_up;
            }
            return Ok(outcome);
        }
    };
    let charged = Charged {
        charges: vec![ModelCharge {
            user_id,
            hold_id: held.id,
            entry_id: ids.new_uuid(),
            model: model.llm.chat_model(),
            usage: completion.usage,
            request_id: model.request_id,
        }],
        spent: Settlement::of(held.units, completion.usage).charged,
        attempt: Some(attempt.number),
        proposal: None,
    };
    let hold_id = held.id;
    let answered = match completion.value {
        Extraction::Workout {
            workout,
            confidence,
        } if confidence.value() >= model.settings.min_confidence => {
            log_workout(
                store,
                ids,
                catalog,
                &attempt.subject,
                now,
                opened,
                &workout,
                charged,
                Some(model),
            )
            .await
        }
        Extraction::Workout { workout, .. } => {
            let proposal = Proposal::of(&workout, catalog);
            let answer = ChatAnswer {
                reply: coaching::proposal_reply(&proposal),
                spent_units: charged.spent.units(),
                proposal: Some(proposal),
                ..ChatAnswer::default()
            };
            answer_charged(store, opened, MessageStatus::Proposed, answer, &charged).await
        }
        Extraction::NotWorkout { .. } => {
            let answer = ChatAnswer {
                spent_units: charged.spent.units(),
                ..ChatAnswer::words(coaching::not_workout_reply(&opened.message.body))
            };
            answer_charged(store, opened, MessageStatus::Answered, answer, &charged).await
        }
    };
    if let Err(ChatError::Store(_)) = &answered {
        // The answer may not have landed. Then the message must not stay leased for
        // minutes with its hold open: it is due again after the usual wait, and the
        // hold goes back. Both are no-ops if the answer did land (the message is no
        // longer pending at this attempt; the hold is settled). Best effort: the store
        // is failing right now, and the lease and hold expire on their own.
        let _ = store
            .end_attempt(
                message_id,
                attempt.number,
                AttemptEnd::RetryIn {
                    secs: retry_delay_secs(model.settings, attempt.number),
                    reason: "store_unavailable",
                },
            )
            .await;
        let _ = store.release(user_id, hold_id).await;
    }
    answered
}

/// Stores an attempt's answer with its charges; if another attempt got there first,
/// shows the message as it is.
async fn answer_charged(
    store: &impl ChatStore,
    opened: OpenedMessage,
    status: MessageStatus,
    answer: ChatAnswer,
    charged: &Charged<'_>,
) -> Result<ChatOutcome, ChatError> {
    let balance = store
        .answer_message(&MessageAnswer {
            user_id: opened.user.id,
            message_id: opened.message.id,
            status,
            answer: &answer,
            charges: &charged.charges,
            attempt: charged.attempt,
        })
        .await?;
    let mut user = opened.user;
    user.credit_balance = balance;
    Ok(ChatOutcome {
        message_id: opened.message.id,
        status,
        answer,
        workout: None,
        user,
        failure_reason: None,
        finish_later: None,
    })
}

/// The message under a client id as it is stored now.
async fn current(
    store: &impl ChatStore,
    subject: &str,
    client_message_id: &str,
) -> Result<ChatOutcome, ChatError> {
    let opened = store
        .reopen_message(subject, client_message_id)
        .await?
        .ok_or(ChatError::NotFound)?;
    Ok(replay(opened.message, opened.workout, opened.user))
}

/// Continues or takes up an attempt away from the request that stored the message:
/// after its response, in a scheduled retry, or at the person's request (`wait`).
/// An attempt overtaken by another, or a message no longer pending, is shown as it is.
pub async fn finish_attempt<S, L, Z>(
    store: &S,
    ids: &impl Ids,
    catalog: &Catalog,
    model: &ModelReader<'_, L, Z>,
    attempt: &Attempt,
    now: DateTime<Utc>,
    wait: bool,
) -> Result<ChatOutcome, ChatError>
where
    S: ChatStore + CreditStore,
    L: Llm,
    Z: Sleep,
{
    let opened = store
        .reopen_message(&attempt.subject, &attempt.client_message_id)
        .await?
        .ok_or(ChatError::NotFound)?;
    if opened.message.status != MessageStatus::Pending || opened.message.attempts != attempt.number
    {
        return Ok(replay(opened.message, opened.workout, opened.user));
    }
    read_with_model(store, ids, catalog, model, opened, attempt, now, wait).await
}

/// Takes the next attempt of due pending messages, up to `limit`, one after another;
/// what each came to (errors included, so one bad message does not stop the rest).
pub async fn retry_due<S, L, Z>(
    store: &S,
    ids: &impl Ids,
    catalog: &Catalog,
    model: &ModelReader<'_, L, Z>,
    limit: u32,
    now: DateTime<Utc>,
) -> Result<Vec<Result<ChatOutcome, ChatError>>, StoreError>
where
    S: ChatStore + CreditStore,
    L: Llm,
    Z: Sleep,
{
    let due = store.claim_due(limit, ATTEMPT_LEASE_SECS).await?;
    let mut results = Vec::with_capacity(due.len());
    for attempt in &due {
        results.push(finish_attempt(store, ids, catalog, model, attempt, now, false).await);
    }
    Ok(results)
}

/// One of the person's messages as it stands.
pub async fn message(
    store: &impl ChatStore,
    user_id: Uuid,
    message_id: Uuid,
) -> Result<Option<(MessageRecord, Option<StoredWorkout>)>, StoreError> {
    store.message_by_id(user_id, message_id).await
}

/// Retries a pending or failed message now, at the person's request.
#[allow(clippy::too_many_arguments)]
pub async fn retry<S, L, Z>(
    store: &S,
    ids: &impl Ids,
    catalog: &Catalog,
    model: &ModelReader<'_, L, Z>,
    subject: &str,
    user_id: Uuid,
    message_id: Uuid,
    now: DateTime<Utc>,
) -> Result<ChatOutcome, ChatError>
where
    S: ChatStore + CreditStore,
    L: Llm,
    Z: Sleep,
{
    match store
        .retry_message(user_id, message_id, ATTEMPT_LEASE_SECS)
        .await?
    {
        Some(attempt) => finish_attempt(store, ids, catalog, model, &attempt, now, true).await,
        None => match store.message_by_id(user_id, message_id).await? {
            None => Err(ChatError::NotFound),
            // Pending and being read right now: the read under way will answer it.
            Some((record, _)) if record.status == MessageStatus::Pending => {
                current(store, subject, &record.client_message_id).await
            }
            Some((record, _)) => Err(ChatError::NotRetryable(record.status)),
        },
    }
}

/// Logs a proposed message's workout: the proposal as it is, or as the person edited
/// it. Confirming a message already logged shows it as logged.
#[allow(clippy::too_many_arguments)]
pub async fn confirm<S, L, Z>(
    store: &S,
    ids: &impl Ids,
    catalog: &Catalog,
    subject: &str,
    user_id: Uuid,
    message_id: Uuid,
    edited: Option<&Workout>,
    now: DateTime<Utc>,
    model: Option<&ModelReader<'_, L, Z>>,
) -> Result<ChatOutcome, ChatError>
where
    S: ChatStore + CreditStore,
    L: Llm,
    Z: Sleep,
{
    let (record, _) = store
        .message_by_id(user_id, message_id)
        .await?
        .ok_or(ChatError::NotFound)?;
    let opened = store
        .reopen_message(subject, &record.client_message_id)
        .await?
        .ok_or(ChatError::NotFound)?;
    let was_proposed = opened
        .message
        .answer
        .as_ref()
        .is_some_and(|answer| answer.proposal.is_some());
    match opened.message.status {
        MessageStatus::Proposed => {}
        // Confirmed before (the answer keeps the proposal): show it as logged.
        MessageStatus::Logged if was_proposed => {
            return Ok(replay(opened.message, opened.workout, opened.user));
        }
        other => return Err(ChatError::NotProposed(other)),
    }
    let proposed = opened.message.answer.clone().unwrap_or_default();
    let workout = match edited {
        Some(workout) => workout.clone(),
        None => proposed
            .proposal
            .as_ref()
            .and_then(|proposal| proposal.workout(catalog))
            .ok_or(ChatError::StaleProposal)?,
    };
    // The read was paid for when it was proposed; the answer keeps showing its cost
    // and what was proposed.
    let charged = Charged {
        spent: Credits::from_units(proposed.spent_units),
        proposal: proposed.proposal,
        ..Charged::nothing()
    };
    log_workout(
        store, ids, catalog, subject, now, opened, &workout, charged, model,
    )
    .await
}

/// The coach's answer to a logged workout, decided by the rules.
fn workout_answer(
    catalog: &Catalog,
    workout: &Workout,
    evaluation: &Evaluation,
    recent: &[(f64, f64)],
) -> (ChatAnswer, Decision) {
    let name_of = |id: &str| {
        catalog
            .exercise(id)
            .map_or_else(|| id.to_owned(), |exercise| exercise.name().to_owned())
    };
    let skill_refs = |ids: &[String]| -> Vec<SkillRef> {
        ids.iter()
            .map(|id| SkillRef {
                skill: id.clone(),
                name: name_of(id),
            })
            .collect()
    };
    let trained = workout.catalog_exercises();
    let targets = skills::next_targets(catalog, &evaluation.standing, &trained);
    let mastered = skill_refs(&evaluation.transitions.mastered);
    let unlocked = skill_refs(&evaluation.transitions.unlocked);
    let decision = Decision {
        logged: workout
            .entries()
            .iter()
            .map(|entry| {
                let name = match &entry.exercise {
                    ExerciseRef::Catalog(id) => name_of(id),
                    ExerciseRef::Custom { name } => name.to_string(),
                };
                (name, entry.sets.len())
            })
            .collect(),
        mastered: mastered.iter().map(|skill| skill.name.clone()).collect(),
        inferred: evaluation
            .transitions
            .inferred
            .iter()
            .map(|id| name_of(id))
            .collect(),
        unlocked: unlocked.iter().map(|skill| skill.name.clone()).collect(),
        next_target: targets.first().cloned(),
        volume_note: coaching::volume_note(workout.volume(), recent),
    };
    let answer = ChatAnswer {
        reply: coaching::workout_reply(&decision),
        mastered,
        unlocked,
        next_targets: targets,
        ..ChatAnswer::default()
    };
    (answer, decision)
}

/// The model's phrasing of the rules' decision, for a person who asked for it, with
/// its charge to settle beside the workout. Any failure (a short balance, a model
/// error) keeps the templated reply, at no cost.
async fn phrase_with_model<'m, S, L, Z>(
    store: &S,
    ids: &impl Ids,
    model: &ModelReader<'m, L, Z>,
    opened: &OpenedMessage,
    decision: &Decision,
    call: &str,
) -> Result<Option<(String, ModelCharge<'m>, Credits)>, StoreError>
where
    S: ChatStore + CreditStore,
    L: Llm,
    Z: Sleep,
{
    let system = coaching::phrasing_prompt(decision);
    let budget = model.llm.reply_budget(&system, &opened.message.body);
    let key = format!("{}:reply:{call}", opened.message.id);
    let held = match credits::reserve(
        store,
        ids,
        &PlannedCall {
            user_id: opened.user.id,
            idempotency_key: &key,
            prompt_tokens: budget.prompt_tokens,
            max_tokens: budget.max_tokens,
            purpose: "phrase a coaching reply",
        },
    )
    .await
    {
        Ok(held) if held.open => held,
        Ok(_) | Err(CreditError::Insufficient(_)) => return Ok(None),
        Err(CreditError::Store(error)) => return Err(error),
    };
    match model.llm.reply(&system, &opened.message.body).await {
        Ok(completion) if !completion.value.trim().is_empty() => Ok(Some((
            completion.value.trim().to_owned(),
            ModelCharge {
                user_id: opened.user.id,
                hold_id: held.id,
                entry_id: ids.new_uuid(),
                model: model.llm.chat_model(),
                usage: completion.usage,
                request_id: model.request_id,
            },
            Settlement::of(held.units, completion.usage).charged,
        ))),
        _ => {
            store.release(opened.user.id, held.id).await?;
            Ok(None)
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn log_workout<S, L, Z>(
    store: &S,
    ids: &impl Ids,
    catalog: &Catalog,
    subject: &str,
    now: DateTime<Utc>,
    opened: OpenedMessage,
    workout: &Workout,
    mut charged: Charged<'_>,
    model: Option<&ModelReader<'_, L, Z>>,
) -> Result<ChatOutcome, ChatError>
where
    S: ChatStore + CreditStore,
    L: Llm,
    Z: Sleep,
{
    let evaluation = skills::log_session(catalog, &opened.skills, &workout.session());
    let (mut answer, decision) = workout_answer(catalog, workout, &evaluation, &opened.recent);
    if let Some(model) = model
        && opened.user.coach_style == CoachStyle::Ai
    {
        let call = charged
            .attempt
            .map_or_else(|| "0".to_owned(), |number| number.to_string());
        if let Some((reply, charge, cost)) =
            phrase_with_model(store, ids, model, &opened, &decision, &call).await?
        {
            answer.reply = reply;
            charged.spent = Credits::from_units(charged.spent.units() + cost.units());
            charged.charges.push(charge);
        }
    }
    answer.spent_units = charged.spent.units();
    answer.proposal = charged.proposal.take();
    let logged = store
        .log_message_workout(
            &MessageWorkout {
                user_id: opened.user.id,
                message_id: opened.message.id,
                workout_id: ids.new_uuid(),
                performed_at: now,
                workout,
                skill_writes: &evaluation.writes,
                answer: &answer,
                charges: &charged.charges,
                attempt: charged.attempt,
            },
            ids,
        )
        .await?;
    match logged {
        Some((stored, balance)) => {
            let mut user = opened.user;
            user.credit_balance = balance;
            Ok(ChatOutcome {
                message_id: opened.message.id,
                status: MessageStatus::Logged,
                answer,
                workout: Some(stored),
                user,
                failure_reason: None,
                finish_later: None,
            })
        }
        // A concurrent attempt of the same message logged it first: answer as it did,
        // and give back what this one held.
        None => {
            for charge in &charged.charges {
                store.release(charge.user_id, charge.hold_id).await?;
            }
            let (record, workout) = store
                .find_message(subject, &opened.message.client_message_id)
                .await?
                .ok_or_else(|| StoreError::corrupt("a logged chat message vanished"))?;
            Ok(replay(record, workout, opened.user))
        }
    }
}

/// One page of the conversation, newest first, and whether more follow.
pub async fn history(
    store: &impl ChatStore,
    user_id: Uuid,
    after: Option<crate::ports::PageCursor>,
    limit: u32,
    unfinished: bool,
) -> Result<crate::ports::Page<MessageRecord>, StoreError> {
    let fetched = store.history(user_id, after, limit + 1, unfinished).await?;
    Ok(crate::ports::Page::of(fetched, limit))
}

#[cfg(test)]
#[path = "chat_tests.rs"]
mod tests;
