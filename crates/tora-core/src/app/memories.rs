//! Memories: remembering a logged session (after the response, as a job), answering a
//! question from the caller's nearest sessions, and listing and forgetting them.
//!
//! Every model call is paid: its worst case is held before it runs and settled after,
//! in the transaction of what it paid for (a memory) or alone (an answer stores
//! nothing). Recall is scoped to the caller by the store, so an answer can only ever
//! be grounded in the caller's own sessions.

use uuid::Uuid;

use crate::app::credits::{self, CreditError, PlannedCall};
use crate::domain::catalog::{Catalog, Skill};
use crate::domain::credits::{Credits, Insufficient};
use crate::domain::memory::{
    Embedding, Memory, Question, RECALL_LIMIT, ask_prompt, largest_ask_prompt, matching_skills,
    training_summary,
};
use crate::ports::{
    CreditStore, Ids, Llm, LlmError, LlmErrorKind, MemoryStore, ModelCharge, NewMemory, Page,
    PageCursor, StoreError, Usage,
};

/// The ledger's `purpose` of a memory's embedding.
pub const REMEMBER_PURPOSE: &str = "memory";
/// The ledger's `purpose` of an answer (its question's embedding and the reply).
pub const ASK_PURPOSE: &str = "coach ask";

/// Why remembering or answering failed.
#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    /// The balance does not cover the call's worst case; nothing was taken.
    #[error(transparent)]
    Insufficient(Insufficient),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Model(#[from] LlmError),
}

impl From<CreditError> for MemoryError {
    fn from(error: CreditError) -> Self {
        match error {
            CreditError::Insufficient(refused) => MemoryError::Insufficient(refused),
            CreditError::Store(error) => MemoryError::Store(error),
        }
    }
}

/// What remembering a workout did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remembered {
    /// The memory is stored; the embedding cost this much.
    Stored { charged: Credits },
    /// The workout's memory already says this (a retry, or an edit that changed
    /// nothing the summary shows); no model call was made.
    Unchanged,
    /// The workout (or its owner) is gone.
    WorkoutGone,
    /// The balance does not cover the embedding; no memory is kept.
    Unaffordable,
    /// This version of the workout was paid for before (its hold is closed).
    AlreadyPaid,
    /// Another attempt holds this version's credits and makes the call: two jobs
    /// remembering the same workout at once (a message and its simultaneous retry)
    /// embed it once. If that attempt fails, its hold expires and is given back.
    InProgress,
}

fn embedding(values: Vec<f32>) -> Result<Embedding, LlmError> {
    Embedding::new(values)
        .map_err(|error| LlmError::new(LlmErrorKind::Malformed, error.to_string()))
}

/// Embeds a summary of the workout and keeps it as a memory, charged to its owner.
/// Run after the response that logged (or edited) the workout; `request_id` is that
/// request's, recorded with the charge.
pub async fn remember<S: MemoryStore + CreditStore>(
    store: &S,
    llm: &impl Llm,
    ids: &impl Ids,
    request_id: &str,
    user_id: Uuid,
    workout_id: Uuid,
) -> Result<Remembered, MemoryError> {
    let Some(source) = store.memory_source(user_id, workout_id).await? else {
        return Ok(Remembered::WorkoutGone);
    };
    let summary = training_summary(&source.workout, source.timezone);
    if source.remembered.as_deref() == Some(summary.as_str()) {
        return Ok(Remembered::Unchanged);
    }
    let budget = llm.embedding_budget(&summary);
    // One hold per version of the workout: a retried job reuses it, an edit gets its own.
    let key = format!(
        "memory:{workout_id}:{}",
        source.workout.updated_at.timestamp_millis()
    );
    let held = match credits::reserve(
        store,
        ids,
        &PlannedCall {
            user_id,
            idempotency_key: &key,
            prompt_tokens: budget.prompt_tokens,
            max_tokens: budget.max_tokens,
            purpose: REMEMBER_PURPOSE,
        },
    )
    .await
    {
        Ok(held) => held,
        Err(CreditError::Insufficient(_)) => return Ok(Remembered::Unaffordable),
        Err(CreditError::Store(error)) => return Err(error.into()),
    };
    if !held.open {
        return Ok(Remembered::AlreadyPaid);
    }
    if !held.taken_now {
        return Ok(Remembered::InProgress);
    }
    // A failed call leaves its hold to expire and be given back whole.
    let completion = llm.embed(&summary).await?;
    let vector = embedding(completion.value)?;
    let settled = store
        .remember(
            &NewMemory {
                id: ids.new_uuid(),
                user_id,
                workout_id,
                summary: &summary,
                model: llm.embedding_model(),
                embedding: &vector,
            },
            &ModelCharge {
                user_id,
                hold_id: held.id,
                entry_id: ids.new_uuid(),
                model: llm.embedding_model(),
                usage: completion.usage,
                request_id,
            },
        )
        .await?;
    Ok(match settled {
        Some((charged, _)) => Remembered::Stored { charged },
        None => Remembered::AlreadyPaid,
    })
}

/// An answer and what grounded it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub text: String,
    /// The caller's sessions given to the model, nearest first.
    pub sessions: Vec<Memory>,
    pub skills: Vec<&'static Skill>,
    pub spent: Credits,
    /// The balance after the charge; `None` when the hold had expired (nothing was
    /// charged, and the balance was not read).
    pub balance: Option<Credits>,
}

fn sum(first: Usage, second: Usage) -> Usage {
    Usage {
        input_tokens: first.input_tokens.saturating_add(second.input_tokens),
        output_tokens: first.output_tokens.saturating_add(second.output_tokens),
    }
}

/// Answers a question from the caller's nearest sessions and the skills it is about.
/// One hold covers both model calls (the question's embedding and the reply, with its
/// prompt at its largest), so the caller is refused before anything runs or is never
/// refused halfway. It settles once with what both used, or with what was used before
/// a call failed.
pub async fn ask<S: MemoryStore + CreditStore>(
    store: &S,
    llm: &impl Llm,
    ids: &impl Ids,
    catalog: &'static Catalog,
    request_id: &str,
    user_id: Uuid,
    question: &Question,
) -> Result<Answer, MemoryError> {
    let embed_budget = llm.embedding_budget(question);
    let reply_budget = llm.reply_budget(&largest_ask_prompt(catalog), question);
    let key = format!("ask:{request_id}");
    let held = credits::reserve(
        store,
        ids,
        &PlannedCall {
            user_id,
            idempotency_key: &key,
            prompt_tokens: embed_budget
                .prompt_tokens
                .saturating_add(reply_budget.prompt_tokens),
            max_tokens: reply_budget.max_tokens,
            purpose: ASK_PURPOSE,
        },
    )
    .await?;
    let settle = |usage: Usage| {
        let entry_id = ids.new_uuid();
        async move {
            credits::settle(
                store,
                &ModelCharge {
                    user_id,
                    hold_id: held.id,
                    entry_id,
                    model: llm.chat_model(),
                    usage,
                    request_id,
                },
            )
            .await
        }
    };
    let embedded = match llm.embed(question).await {
        Ok(embedded) => embedded,
        Err(error) => {
            settle(Usage::default()).await?;
            return Err(error.into());
        }
    };
    let query = match embedding(embedded.value) {
        Ok(query) => query,
        Err(error) => {
            settle(embedded.usage).await?;
            return Err(error.into());
        }
    };
    let recalled = store
        .recall(user_id, &query, llm.embedding_model(), RECALL_LIMIT)
        .await?;
    let skills = matching_skills(catalog, question, &recalled);
    let system = ask_prompt(catalog, &recalled, &skills);
    let reply = match llm.reply(&system, question).await {
        Ok(reply) => reply,
        Err(error) => {
            settle(embedded.usage).await?;
            return Err(error.into());
        }
    };
    let settled = settle(sum(embedded.usage, reply.usage)).await?;
    Ok(Answer {
        text: reply.value,
        sessions: recalled
            .into_iter()
            .map(|recalled| recalled.memory)
            .collect(),
        skills,
        spent: settled.map_or(Credits::ZERO, |(charged, _)| charged),
        balance: settled.map(|(_, balance)| balance),
    })
}

/// A page of the caller's memories, newest first.
pub async fn page(
    store: &impl MemoryStore,
    user_id: Uuid,
    after: Option<PageCursor>,
    limit: u32,
) -> Result<Page<Memory>, StoreError> {
    let fetched = store.memories(user_id, after, limit + 1).await?;
    Ok(Page::of(fetched, limit))
}

/// Deletes one of the caller's memories; `false` when they have none with this id.
pub async fn forget(
    store: &impl MemoryStore,
    user_id: Uuid,
    memory_id: Uuid,
) -> Result<bool, StoreError> {
    store.forget(user_id, memory_id).await
}

#[cfg(test)]
#[path = "memories_tests.rs"]
mod tests;
