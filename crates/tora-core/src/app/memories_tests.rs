//! Remembering and answering natively: an in-memory store that keeps memories per
//! owner and credits on the domain's state machine, and a model that records what it
//! was asked.

use std::cell::RefCell;

use chrono::{DateTime, Utc};

use super::*;
use crate::app::fakes::ids;
use crate::app::fakes::{FakeCredits, delegate_credit_store};
use crate::domain::memory::Recalled;
use crate::domain::profile::Timezone;
use crate::domain::workout::{LoggedSet, SetFields, StoredSet, StoredWorkout};
use crate::ports::{MemorySource, Settled, TokenBudget};

const OWNER: Uuid = Uuid::from_u128(1);
const STRANGER: Uuid = Uuid::from_u128(2);
const WORKOUT: Uuid = Uuid::from_u128(10);

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn workout() -> StoredWorkout {
    let set = LoggedSet::new(SetFields {
        reps: Some(8),
        ..SetFields::default()
    })
    .unwrap();
    StoredWorkout {
        id: WORKOUT,
        performed_at: at("2026-12-01T18:00:00Z"),
        notes: None,
        source_message_id: None,
        import_id: None,
        sets: vec![
            StoredSet {
                exercise_id: "pull_up".into(),
                exercise_name: "Pull-up".into(),
                custom: false,
                set,
            };
            3
        ],
        created_at: at("2026-12-01T18:00:00Z"),
        updated_at: at("2026-12-01T18:00:00Z"),
    }
}

/// Memories by owner, one workout of the owner's, and everyone's credits.
#[derive(Default)]
struct FakeStore {
    credits: FakeCredits,
    workout: Option<StoredWorkout>,
    memories: RefCell<Vec<(Uuid, Memory)>>,
}

impl FakeStore {
    fn with_balances(balances: &[(Uuid, i64)]) -> Self {
        Self {
            credits: FakeCredits::with_balances(balances),
            workout: Some(workout()),
            ..Self::default()
        }
    }

    fn balance(&self, user: Uuid) -> Credits {
        self.credits.balance(user)
    }

    fn charges(&self, user: Uuid) -> Vec<Credits> {
        self.credits.charges(user)
    }

    fn held(&self, user: Uuid) -> Credits {
        self.credits.held(user)
    }

    fn remember_as(&self, owner: Uuid, summary: &str) {
        let id = Uuid::from_u128(500 + self.memories.borrow().len() as u128);
        self.memories.borrow_mut().push((
            owner,
            Memory {
                id,
                workout_id: Uuid::from_u128(600 + owner.as_u128()),
                performed_at: at("2026-11-30T18:00:00Z"),
                summary: summary.into(),
                model: "embedder".into(),
                created_at: at("2026-11-30T18:00:00Z"),
            },
        ));
    }
}

delegate_credit_store!(FakeStore, credits);

impl MemoryStore for FakeStore {
    async fn memory_source(
        &self,
        user_id: Uuid,
        workout_id: Uuid,
    ) -> Result<Option<MemorySource>, StoreError> {
        Ok(self
            .workout
            .clone()
            .filter(|workout| user_id == OWNER && workout.id == workout_id)
            .map(|workout| MemorySource {
                workout,
                timezone: "UTC".parse::<Timezone>().unwrap(),
                remembered: self
                    .memories
                    .borrow()
                    .iter()
                    .find(|(owner, memory)| *owner == user_id && memory.workout_id == workout_id)
                    .map(|(_, memory)| memory.summary.clone()),
            }))
    }

    async fn remember(
        &self,
        memory: &NewMemory<'_>,
        charge: &ModelCharge<'_>,
    ) -> Result<Settled, StoreError> {
        let settled = CreditStore::settle(self, charge).await?;
        let mut memories = self.memories.borrow_mut();
        memories.retain(|(_, kept)| kept.workout_id != memory.workout_id);
        memories.push((
            memory.user_id,
            Memory {
                id: memory.id,
                workout_id: memory.workout_id,
                performed_at: at("2026-12-01T18:00:00Z"),
                summary: memory.summary.to_owned(),
                model: memory.model.to_owned(),
                created_at: at("2026-12-01T18:05:00Z"),
            },
        ));
        Ok(settled)
    }

    async fn recall(
        &self,
        user_id: Uuid,
        _query: &Embedding,
        _model: &str,
        limit: u32,
    ) -> Result<Vec<Recalled>, StoreError> {
        Ok(self
            .memories
            .borrow()
            .iter()
            .filter(|(owner, _)| *owner == user_id)
            .take(limit as usize)
            .map(|(_, memory)| Recalled {
                memory: memory.clone(),
                exercise_ids: vec!["pull_up".into()],
            })
            .collect())
    }

    async fn memories(
        &self,
        user_id: Uuid,
        _after: Option<PageCursor>,
        limit: u32,
    ) -> Result<Vec<Memory>, StoreError> {
        Ok(self
            .memories
            .borrow()
            .iter()
            .filter(|(owner, _)| *owner == user_id)
            .take(limit as usize)
            .map(|(_, memory)| memory.clone())
            .collect())
    }

    async fn forget(&self, user_id: Uuid, memory_id: Uuid) -> Result<bool, StoreError> {
        let mut memories = self.memories.borrow_mut();
        let before = memories.len();
        memories.retain(|(owner, memory)| !(*owner == user_id && memory.id == memory_id));
        Ok(memories.len() < before)
    }
}

/// A model that answers at once and records every call.
#[derive(Default)]
struct FakeLlm {
    embedded: RefCell<Vec<String>>,
    systems: RefCell<Vec<String>>,
    fail_reply: bool,
}

const EMBED_USAGE: Usage = Usage {
    input_tokens: 12,
    output_tokens: 0,
};
const REPLY_USAGE: Usage = Usage {
    input_tokens: 300,
    output_tokens: 40,
};

impl Llm for FakeLlm {
    fn chat_model(&self) -> &str {
        "chatter"
    }

    fn embedding_model(&self) -> &str {
        "embedder"
    }

    fn extraction_budget(&self, _message: &str) -> TokenBudget {
        TokenBudget {
            prompt_tokens: 1,
            max_tokens: 1,
        }
    }

    fn reply_budget(&self, system: &str, message: &str) -> TokenBudget {
        TokenBudget {
            prompt_tokens: u32::try_from((system.len() + message.len()) / 3).unwrap(),
            max_tokens: 100,
        }
    }

    fn meal_budget(&self, _meal: &crate::ports::MealSource<'_>) -> TokenBudget {
        TokenBudget {
            prompt_tokens: 0,
            max_tokens: 0,
        }
    }
    async fn estimate_meal(
        &self,
        _meal: &crate::ports::MealSource<'_>,
    ) -> Result<crate::ports::Completion<crate::domain::meals::MealEstimate>, LlmError> {
        Err(LlmError::new(
            LlmErrorKind::Unavailable,
            "meals are not read here",
        ))
    }
    fn embedding_budget(&self, text: &str) -> TokenBudget {
        TokenBudget {
            prompt_tokens: u32::try_from(text.len() / 3 + 20).unwrap(),
            max_tokens: 0,
        }
    }

    async fn extract_workout(
        &self,
        _message: &str,
    ) -> Result<crate::ports::Completion<crate::domain::extraction::Extraction>, LlmError> {
        Err(LlmError::new(LlmErrorKind::Rejected, "not used"))
    }

    async fn reply(
        &self,
        system: &str,
        _message: &str,
    ) -> Result<crate::ports::Completion<String>, LlmError> {
        self.systems.borrow_mut().push(system.to_owned());
        if self.fail_reply {
            return Err(LlmError::new(
                LlmErrorKind::Throttled,
                "ThrottlingException",
            ));
        }
        Ok(crate::ports::Completion {
            value: "Keep going.".into(),
            usage: REPLY_USAGE,
        })
    }

    async fn embed(&self, text: &str) -> Result<crate::ports::Completion<Vec<f32>>, LlmError> {
        self.embedded.borrow_mut().push(text.to_owned());
        // A real call takes a while: another job can run in the meantime.
        tokio::task::yield_now().await;
        Ok(crate::ports::Completion {
            value: vec![0.1; 256],
            usage: EMBED_USAGE,
        })
    }
}

fn catalog() -> &'static Catalog {
    Catalog::embedded().unwrap()
}

#[tokio::test]
async fn a_workout_is_remembered_once_and_its_embedding_charged_to_its_owner() {
    let store = FakeStore::with_balances(&[(OWNER, 100_000)]);
    let llm = FakeLlm::default();
    let remembered = remember(&store, &llm, &ids(), "req-1", OWNER, WORKOUT)
        .await
        .unwrap();
    assert_eq!(
        remembered,
        Remembered::Stored {
            charged: EMBED_USAGE.cost()
        }
    );
    assert_eq!(*llm.embedded.borrow(), ["2026-12-01: Pull-up 3×8"]);
    assert_eq!(store.charges(OWNER), [Credits::from_units(-12)]);
    assert_eq!(store.held(OWNER), Credits::ZERO);

    // A retried job (or a chat retry) finds the same summary: no call, no charge.
    let again = remember(&store, &llm, &ids(), "req-2", OWNER, WORKOUT)
        .await
        .unwrap();
    assert_eq!(again, Remembered::Unchanged);
    assert_eq!(llm.embedded.borrow().len(), 1);
    assert_eq!(store.charges(OWNER).len(), 1);
}

#[tokio::test]
async fn two_jobs_remembering_the_same_workout_at_once_embed_it_once() {
    let store = FakeStore::with_balances(&[(OWNER, 100_000)]);
    let llm = FakeLlm::default();
    let ids = ids();
    let (first, second) = tokio::join!(
        remember(&store, &llm, &ids, "req-1", OWNER, WORKOUT),
        remember(&store, &llm, &ids, "req-2", OWNER, WORKOUT),
    );
    assert_eq!(
        first.unwrap(),
        Remembered::Stored {
            charged: EMBED_USAGE.cost()
        }
    );
    assert_eq!(second.unwrap(), Remembered::InProgress);
    assert_eq!(llm.embedded.borrow().len(), 1);
    assert_eq!(store.charges(OWNER), [Credits::from_units(-12)]);
    assert_eq!(store.held(OWNER), Credits::ZERO);
    assert_eq!(store.memories.borrow().len(), 1);
}

#[tokio::test]
async fn a_workout_whose_owner_cannot_pay_is_not_embedded() {
    let store = FakeStore::with_balances(&[(OWNER, 5)]);
    let llm = FakeLlm::default();
    let remembered = remember(&store, &llm, &ids(), "req-1", OWNER, WORKOUT)
        .await
        .unwrap();
    assert_eq!(remembered, Remembered::Unaffordable);
    assert!(llm.embedded.borrow().is_empty());
    assert!(store.memories.borrow().is_empty());
    assert_eq!(store.balance(OWNER), Credits::from_units(5));
}

#[tokio::test]
async fn another_persons_workout_is_never_remembered_for_them() {
    let store = FakeStore::with_balances(&[(OWNER, 100_000), (STRANGER, 100_000)]);
    let llm = FakeLlm::default();
    let remembered = remember(&store, &llm, &ids(), "req-1", STRANGER, WORKOUT)
        .await
        .unwrap();
    assert_eq!(remembered, Remembered::WorkoutGone);
    assert!(llm.embedded.borrow().is_empty());
}

#[tokio::test]
async fn an_answer_is_grounded_in_the_callers_memories_and_paid_once() {
    let store = FakeStore::with_balances(&[(OWNER, 100_000), (STRANGER, 100_000)]);
    store.remember_as(OWNER, "2026-11-30: Pull-up 3×8");
    store.remember_as(STRANGER, "2026-11-29: Pull-up 5×5");
    let llm = FakeLlm::default();
    let question = Question::parse("How are my pull-ups?").unwrap();
    let answer = ask(&store, &llm, &ids(), catalog(), "req-9", OWNER, &question)
        .await
        .unwrap();
    assert_eq!(answer.text, "Keep going.");
    let summaries: Vec<&str> = answer
        .sessions
        .iter()
        .map(|memory| memory.summary.as_str())
        .collect();
    assert_eq!(summaries, ["2026-11-30: Pull-up 3×8"]);
    let system = &llm.systems.borrow()[0];
    assert!(system.contains("- 2026-11-30: Pull-up 3×8\n"), "{system}");
    assert!(!system.contains("2026-11-29"), "{system}");
    assert!(system.contains("Pull-up (pull): mastered with 3 sets of 8 reps"));
    assert_eq!(answer.skills.len(), 1);
    // One charge for both calls, their tokens exactly.
    let both = Usage {
        input_tokens: 312,
        output_tokens: 40,
    }
    .cost();
    assert_eq!(answer.spent, both);
    assert_eq!(store.charges(OWNER), [Credits::from_units(-both.units())]);
    assert_eq!(answer.balance, Some(store.balance(OWNER)));
    assert_eq!(store.held(OWNER), Credits::ZERO);
    assert_eq!(store.charges(STRANGER), []);
}

#[tokio::test]
async fn an_unaffordable_question_is_refused_before_any_model_call() {
    let store = FakeStore::with_balances(&[(OWNER, 50)]);
    let llm = FakeLlm::default();
    let question = Question::parse("What next?").unwrap();
    let error = ask(&store, &llm, &ids(), catalog(), "req-9", OWNER, &question)
        .await
        .unwrap_err();
    let MemoryError::Insufficient(refused) = error else {
        panic!("{error}");
    };
    assert_eq!(refused.balance, Credits::from_units(50));
    assert!(refused.price > refused.balance);
    assert!(llm.embedded.borrow().is_empty());
    assert!(llm.systems.borrow().is_empty());
    assert_eq!(store.balance(OWNER), Credits::from_units(50));
}

#[tokio::test]
async fn a_failed_reply_is_charged_only_what_was_used_and_holds_nothing() {
    let store = FakeStore::with_balances(&[(OWNER, 100_000)]);
    let llm = FakeLlm {
        fail_reply: true,
        ..FakeLlm::default()
    };
    let question = Question::parse("What next?").unwrap();
    let error = ask(&store, &llm, &ids(), catalog(), "req-9", OWNER, &question)
        .await
        .unwrap_err();
    assert!(matches!(error, MemoryError::Model(_)), "{error}");
    assert_eq!(store.charges(OWNER), [Credits::from_units(-12)]);
    assert_eq!(store.held(OWNER), Credits::ZERO);
}

#[tokio::test]
async fn only_the_owner_forgets_a_memory() {
    let store = FakeStore::with_balances(&[(OWNER, 1)]);
    store.remember_as(OWNER, "2026-11-30: Pull-up 3×8");
    let id = store.memories.borrow()[0].1.id;
    assert!(!forget(&store, STRANGER, id).await.unwrap());
    assert_eq!(page(&store, OWNER, None, 10).await.unwrap().items.len(), 1);
    assert!(forget(&store, OWNER, id).await.unwrap());
    assert!(
        page(&store, OWNER, None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}
