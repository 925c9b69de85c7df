//! The chat use case natively, against an in-memory `ChatStore` that keeps what the
//! real one keeps (users, messages with their answers, workouts by source message,
//! skill rows) and can be told to fail or to lose a race.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::*;
use crate::app::fakes::{FakeCredits, delegate_credit_store};
use crate::app::fakes::{SequentialIds, ids};
use crate::domain::credits::Usage;
use crate::domain::extraction::Confidence;
use crate::domain::profile::{CoachStyle, Timezone, Units};
use crate::domain::skills::SkillRecord;
use crate::domain::workout::StoredSet;
use crate::ports::{Completion, LlmError, PageCursor, StoreErrorKind, TokenBudget};

const SUBJECT: &str = "athlete-1";

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-01T18:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

#[derive(Default)]
struct FakeChatStore {
    user: RefCell<Option<User>>,
    messages: RefCell<Vec<MessageRecord>>,
    workouts: RefCell<BTreeMap<Uuid, StoredWorkout>>,
    skills: RefCell<BTreeMap<String, SkillRecord>>,
    /// The next workout write fails as if the connection dropped mid-request.
    fail_next_log: Cell<bool>,
    /// Before the next workout write, a concurrent attempt of the same message logs it.
    lose_next_race: Cell<bool>,
    round_trips: Cell<u32>,
    /// The one user's credits.
    credits: FakeCredits,
    /// The style a new user gets.
    coach_style: Cell<CoachStyle>,
    /// What `end_attempt` was told, per message.
    ended: RefCell<Vec<(Uuid, u32, String)>>,
}

impl FakeChatStore {
    fn message(&self, client_message_id: &str) -> Option<MessageRecord> {
        let mut found = self
            .messages
            .borrow()
            .iter()
            .find(|message| message.client_message_id == client_message_id)
            .cloned()?;
        found.workout_id = self.workout_of(found.id).map(|workout| workout.id);
        Some(found)
    }

    fn workout_of(&self, message_id: Uuid) -> Option<StoredWorkout> {
        self.workouts
            .borrow()
            .values()
            .find(|workout| workout.source_message_id == Some(message_id))
            .cloned()
    }

    fn store_workout(&self, log: &MessageWorkout<'_>) -> StoredWorkout {
        let catalog = Catalog::embedded().unwrap();
        let sets = log
            .workout
            .entries()
            .iter()
            .flat_map(|entry| {
                let (id, name) = match &entry.exercise {
                    ExerciseRef::Catalog(id) => {
                        (id.clone(), catalog.exercise(id).unwrap().name().to_owned())
                    }
                    ExerciseRef::Custom { name } => (format!("c_{name}"), name.to_string()),
                };
                let custom = matches!(entry.exercise, ExerciseRef::Custom { .. });
                entry.sets.iter().map(move |set| StoredSet {
                    exercise_id: id.clone(),
                    exercise_name: name.clone(),
                    custom,
                    set: *set,
                })
            })
            .collect();
        let stored = StoredWorkout {
            id: log.workout_id,
            performed_at: log.performed_at,
            notes: None,
            source_message_id: Some(log.message_id),
            import_id: None,
            sets,
            created_at: log.performed_at,
            updated_at: log.performed_at,
        };
        self.workouts.borrow_mut().insert(stored.id, stored.clone());
        self.complete(log.message_id, MessageStatus::Logged, log.answer);
        for (skill, row) in log.skill_writes {
            self.skills.borrow_mut().insert(skill.clone(), *row);
        }
        stored
    }

    fn complete(&self, message_id: Uuid, status: MessageStatus, answer: &ChatAnswer) {
        for message in self.messages.borrow_mut().iter_mut() {
            if message.id == message_id {
                message.status = status;
                message.answer = Some(answer.clone());
            }
        }
    }

    fn with_balance(units: i64) -> Self {
        Self {
            credits: FakeCredits::opening(units),
            ..Self::default()
        }
    }

    fn user_id(&self) -> Uuid {
        self.user
            .borrow()
            .as_ref()
            .map_or(Uuid::nil(), |user| user.id)
    }

    fn balance(&self) -> Credits {
        self.credits.balance(self.user_id())
    }

    fn held(&self) -> Credits {
        self.credits.held(self.user_id())
    }

    /// Settles in the answer's transaction, as the real store does.
    fn settle_all(&self, charges: &[ModelCharge<'_>]) {
        for charge in charges {
            self.credits.settle_now(charge);
        }
    }

    fn by_id(&self, message_id: Uuid) -> Option<MessageRecord> {
        let id = self
            .messages
            .borrow()
            .iter()
            .find(|message| message.id == message_id)?
            .client_message_id
            .clone();
        self.message(&id)
    }

    fn trip(&self) {
        self.round_trips.set(self.round_trips.get() + 1);
    }
}

impl ChatStore for FakeChatStore {
    async fn open_message(
        &self,
        user: &NewUser<'_>,
        message: &NewMessage<'_>,
    ) -> Result<OpenedMessage, StoreError> {
        self.trip();
        let mut stored_user = self
            .user
            .borrow_mut()
            .get_or_insert_with(|| User {
                id: user.id,
                auth_subject: user.auth_subject.to_owned(),
                email: None,
                display_name: None,
                units: Units::Kg,
                timezone: "UTC".parse::<Timezone>().unwrap(),
                coach_style: self.coach_style.get(),
                weekly_goal: None,
                rest_days: crate::domain::profile::RestDays::NONE,
                count_sides_separately: false,
                credit_balance: Credits::ZERO,
                created_at: now(),
                updated_at: now(),
            })
            .clone();
        stored_user.credit_balance = self.credits.balance(stored_user.id);
        if self.message(message.client_message_id).is_none() {
            self.messages.borrow_mut().push(MessageRecord {
                id: message.id,
                client_message_id: message.client_message_id.to_owned(),
                body: message.body.to_owned(),
                status: message.status,
                answer: message.answer.cloned(),
                workout_id: None,
                created_at: now(),
                attempts: u32::from(message.lease_secs.is_some()),
                failure_reason: None,
            });
        }
        let stored = self.message(message.client_message_id).unwrap();
        Ok(OpenedMessage {
            user: stored_user,
            workout: self.workout_of(stored.id),
            message: stored,
            skills: self.skills.borrow().clone(),
            recent: Vec::new(),
        })
    }

    async fn reopen_message(
        &self,
        _subject: &str,
        client_message_id: &str,
    ) -> Result<Option<OpenedMessage>, StoreError> {
        self.trip();
        let Some(message) = self.message(client_message_id) else {
            return Ok(None);
        };
        let mut user = self.user.borrow().clone().unwrap();
        user.credit_balance = self.balance();
        Ok(Some(OpenedMessage {
            user,
            workout: self.workout_of(message.id),
            message,
            skills: self.skills.borrow().clone(),
            recent: Vec::new(),
        }))
    }

    async fn answer_message(&self, answer: &MessageAnswer<'_>) -> Result<Credits, StoreError> {
        self.trip();
        let current = self.by_id(answer.message_id).unwrap();
        let allowed = current.status != MessageStatus::Logged
            && answer.attempt.is_none_or(|attempt| {
                current.status == MessageStatus::Pending && current.attempts == attempt
            });
        if allowed {
            self.complete(answer.message_id, answer.status, answer.answer);
        }
        self.settle_all(answer.charges);
        Ok(self.balance())
    }

    async fn end_attempt(
        &self,
        message_id: Uuid,
        attempt: u32,
        end: AttemptEnd<'_>,
    ) -> Result<(), StoreError> {
        self.trip();
        let reason = match end {
            AttemptEnd::RetryIn { reason, .. } | AttemptEnd::GiveUp { reason, .. } => reason,
        };
        self.ended
            .borrow_mut()
            .push((message_id, attempt, reason.to_owned()));
        for message in self.messages.borrow_mut().iter_mut() {
            if message.id == message_id
                && message.status == MessageStatus::Pending
                && message.attempts == attempt
            {
                message.failure_reason = Some(reason.to_owned());
                if let AttemptEnd::GiveUp { answer, .. } = end {
                    message.status = MessageStatus::Failed;
                    message.answer = Some(answer.clone());
                }
            }
        }
        Ok(())
    }

    async fn claim_due(&self, limit: u32, _lease_secs: u32) -> Result<Vec<Attempt>, StoreError> {
        self.trip();
        let mut claimed = Vec::new();
        for message in self.messages.borrow_mut().iter_mut() {
            // The fake has no clock: every pending message is due.
            if message.status == MessageStatus::Pending && claimed.len() < limit as usize {
                message.attempts += 1;
                message.failure_reason = None;
                claimed.push(Attempt {
                    message_id: message.id,
                    subject: SUBJECT.to_owned(),
                    client_message_id: message.client_message_id.clone(),
                    number: message.attempts,
                });
            }
        }
        Ok(claimed)
    }

    async fn retry_message(
        &self,
        _user_id: Uuid,
        message_id: Uuid,
        _lease_secs: u32,
    ) -> Result<Option<Attempt>, StoreError> {
        self.trip();
        for message in self.messages.borrow_mut().iter_mut() {
            if message.id == message_id
                && matches!(
                    message.status,
                    MessageStatus::Failed | MessageStatus::Pending
                )
            {
                message.attempts += 1;
                message.status = MessageStatus::Pending;
                message.failure_reason = None;
                return Ok(Some(Attempt {
                    message_id,
                    subject: SUBJECT.to_owned(),
                    client_message_id: message.client_message_id.clone(),
                    number: message.attempts,
                }));
            }
        }
        Ok(None)
    }

    async fn message_by_id(
        &self,
        _user_id: Uuid,
        message_id: Uuid,
    ) -> Result<Option<(MessageRecord, Option<StoredWorkout>)>, StoreError> {
        self.trip();
        Ok(self.by_id(message_id).map(|message| {
            let workout = self.workout_of(message.id);
            (message, workout)
        }))
    }

    async fn log_message_workout(
        &self,
        log: &MessageWorkout<'_>,
        _ids: &impl Ids,
    ) -> Result<Option<(StoredWorkout, Credits)>, StoreError> {
        self.trip();
        if self.fail_next_log.replace(false) {
            return Err(StoreError::new(
                StoreErrorKind::Unavailable,
                "connection reset",
            ));
        }
        if self.lose_next_race.replace(false) {
            // The winner stored the same workout under its own ids and answer.
            let winner_answer = ChatAnswer::words("the winner's answer".to_owned());
            self.store_workout(&MessageWorkout {
                workout_id: Uuid::from_u128(7),
                answer: &winner_answer,
                ..*log
            });
        }
        if self.workout_of(log.message_id).is_some() {
            return Ok(None);
        }
        let stored = self.store_workout(log);
        self.settle_all(log.charges);
        Ok(Some((stored, self.balance())))
    }

    async fn find_message(
        &self,
        _subject: &str,
        client_message_id: &str,
    ) -> Result<Option<(MessageRecord, Option<StoredWorkout>)>, StoreError> {
        self.trip();
        Ok(self.message(client_message_id).map(|message| {
            let workout = self.workout_of(message.id);
            (message, workout)
        }))
    }

    async fn history(
        &self,
        _user_id: Uuid,
        _after: Option<PageCursor>,
        limit: u32,
        unfinished: bool,
    ) -> Result<Vec<MessageRecord>, StoreError> {
        let mut messages = self.messages.borrow().clone();
        messages.retain(|message| {
            !unfinished
                || matches!(
                    message.status,
                    MessageStatus::Pending | MessageStatus::Failed
                )
        });
        messages.reverse();
        messages.truncate(limit as usize);
        Ok(messages)
    }
}

delegate_credit_store!(FakeChatStore, credits);

/// What the fake model does on its next calls, in order; after the script, it reads
/// every message as the parser's `3x8 pull-ups` with full confidence.
enum Script {
    Read(Extraction),
    Fail(LlmErrorKind),
    /// Never answers (the request's wait runs out first).
    Hang,
}

struct FakeLlm {
    script: RefCell<Vec<Script>>,
    calls: Cell<u32>,
    /// What `reply` answers; `None` fails it.
    phrasing: Option<&'static str>,
    /// The system prompts `reply` was given.
    prompts: RefCell<Vec<String>>,
}

impl FakeLlm {
    fn with(script: Vec<Script>) -> Self {
        Self {
            script: RefCell::new(script),
            calls: Cell::new(0),
            phrasing: None,
            prompts: RefCell::default(),
        }
    }
}

fn pull_ups(reps: u32, sets: usize) -> Workout {
    let set = LoggedSet::new(crate::domain::workout::SetFields {
        reps: Some(reps),
        ..Default::default()
    })
    .unwrap();
    Workout::new(vec![WorkoutEntry {
        exercise: ExerciseRef::Catalog("pull_up".into()),
        sets: vec![set; sets],
    }])
    .unwrap()
}

fn reading(confidence: f64) -> Extraction {
    Extraction::Workout {
        workout: pull_ups(8, 3),
        confidence: Confidence::new(confidence).unwrap(),
    }
}

/// 1,200 tokens in and 300 out: 1,500 units charged.
const USAGE: Usage = Usage {
    input_tokens: 1_200,
    output_tokens: 300,
};

impl Llm for FakeLlm {
    fn chat_model(&self) -> &str {
        "fake-model"
    }
    fn embedding_model(&self) -> &str {
        "fake-embedder"
    }
    fn extraction_budget(&self, _message: &str) -> TokenBudget {
        TokenBudget {
            prompt_tokens: 2_000,
            max_tokens: 1_000,
        }
    }
    fn reply_budget(&self, _system: &str, _message: &str) -> TokenBudget {
        TokenBudget {
            prompt_tokens: 500,
            max_tokens: 400,
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
    ) -> Result<Completion<crate::domain::meals::MealEstimate>, LlmError> {
        Err(LlmError::new(
            LlmErrorKind::Unavailable,
            "meals are not read here",
        ))
    }
    fn embedding_budget(&self, _text: &str) -> TokenBudget {
        TokenBudget {
            prompt_tokens: 100,
            max_tokens: 0,
        }
    }
    async fn extract_workout(&self, _message: &str) -> Result<Completion<Extraction>, LlmError> {
        self.calls.set(self.calls.get() + 1);
        let next = {
            let mut script = self.script.borrow_mut();
            (!script.is_empty()).then(|| script.remove(0))
        };
        match next.unwrap_or(Script::Read(reading(0.95))) {
            Script::Read(value) => Ok(Completion {
                value,
                usage: USAGE,
            }),
            Script::Fail(kind) => Err(LlmError::new(kind, "scripted")),
            Script::Hang => std::future::pending().await,
        }
    }
    async fn reply(&self, system: &str, _message: &str) -> Result<Completion<String>, LlmError> {
        self.prompts.borrow_mut().push(system.to_owned());
        match self.phrasing {
            Some(text) => Ok(Completion {
                value: text.to_owned(),
                usage: Usage {
                    input_tokens: 300,
                    output_tokens: 50,
                },
            }),
            None => Err(LlmError::new(LlmErrorKind::Unavailable, "not scripted")),
        }
    }
    async fn embed(&self, _text: &str) -> Result<Completion<Vec<f32>>, LlmError> {
        Err(LlmError::new(LlmErrorKind::Unavailable, "not scripted"))
    }
}

/// Waiting ends at once: the request's wait is over as soon as the model is slow.
struct NoWait;

impl Sleep for NoWait {
    async fn sleep(&self, _millis: u32) {}
}

fn subject() -> crate::auth::AuthenticatedSubject {
    crate::auth::AuthenticatedSubject {
        subject: SUBJECT.to_owned(),
        email: None,
        expires_at: 0,
    }
}

async fn send(
    store: &FakeChatStore,
    ids: &SequentialIds,
    client_message_id: &str,
    text: &str,
) -> Result<ChatOutcome, ChatError> {
    send_to(store, ids, client_message_id, text, None).await
}

const SETTINGS: ModelSettings = ModelSettings {
    wait_ms: 1_000,
    min_confidence: 0.6,
    max_attempts: 3,
    retry_base_secs: 60,
};

async fn send_to(
    store: &FakeChatStore,
    ids: &SequentialIds,
    client_message_id: &str,
    text: &str,
    llm: Option<&FakeLlm>,
) -> Result<ChatOutcome, ChatError> {
    let subject = subject();
    let model = llm.map(|llm| ModelReader {
        llm,
        sleep: &NoWait,
        settings: &SETTINGS,
        request_id: "request-1",
    });
    post_message(
        store,
        ids,
        Catalog::embedded().unwrap(),
        &crate::app::accounts::new_user(
            ids,
            &subject,
            100,
            &crate::config::CreditsConfig {
                tokens_per_credit: crate::domain::credits::TokensPerCredit::DEFAULT,
                admin_secret: None,
                subject_hash_key: crate::secret::Secret::new("key"),
            },
        ),
        now(),
        &ChatMessage {
            client_message_id: &ClientMessageId::parse(client_message_id).unwrap(),
            text: &MessageText::parse(text).unwrap(),
        },
        model.as_ref(),
    )
    .await
}

#[tokio::test]
async fn a_workout_is_logged_in_two_round_trips_and_a_retry_replays_it() {
    let store = FakeChatStore::default();
    let ids = ids();
    let first = send(&store, &ids, "m-1", "3x8 pull-ups").await.unwrap();
    assert_eq!(first.status, MessageStatus::Logged);
    assert_eq!(store.round_trips.get(), 2);
    let workout = first.workout.clone().unwrap();
    assert_eq!(workout.sets.len(), 3);
    assert_eq!(workout.sets[0].exercise_id, "pull_up");
    assert!(first.answer.reply.starts_with("Logged 3 sets of Pull-up."));

    let retry = send(&store, &ids, "m-1", "3x8 pull-ups").await.unwrap();
    assert_eq!(store.round_trips.get(), 3, "a replay is one round trip");
    assert_eq!(retry.message_id, first.message_id);
    assert_eq!(retry.answer, first.answer);
    assert_eq!(retry.workout, first.workout);
    assert_eq!(store.workouts.borrow().len(), 1);
    assert_eq!(store.messages.borrow().len(), 1);
}

#[tokio::test]
async fn greetings_are_answered_in_one_round_trip_and_unreadable_text_waits() {
    let store = FakeChatStore::default();
    let ids = ids();
    let hello = send(&store, &ids, "m-1", "hi coach!").await.unwrap();
    assert_eq!(hello.status, MessageStatus::Answered);
    assert!(hello.workout.is_none());
    assert_eq!(store.round_trips.get(), 1);

    let unsure = send(&store, &ids, "m-2", "3x10 farmer walks")
        .await
        .unwrap();
    assert_eq!(unsure.status, MessageStatus::Pending);
    assert_eq!(
        store.message("m-2").unwrap().status,
        MessageStatus::Pending,
        "kept for a closer read"
    );
    assert!(store.workouts.borrow().is_empty());
}

#[tokio::test]
async fn an_interrupted_message_that_is_not_a_workout_is_answered_on_retry() {
    let store = FakeChatStore::default();
    let ids = ids();
    // An earlier attempt stored the message and was cut off before answering.
    store.messages.borrow_mut().push(MessageRecord {
        id: Uuid::from_u128(1),
        client_message_id: "m-1".into(),
        body: "what should I train tomorrow?".into(),
        status: MessageStatus::Received,
        answer: None,
        workout_id: None,
        created_at: now(),
        attempts: 0,
        failure_reason: None,
    });
    let outcome = send(&store, &ids, "m-1", "what should I train tomorrow?")
        .await
        .unwrap();
    assert_eq!(outcome.message_id, Uuid::from_u128(1));
    assert_eq!(outcome.status, MessageStatus::Answered);
    let stored = store.message("m-1").unwrap();
    assert_eq!(stored.status, MessageStatus::Answered);
    assert_eq!(stored.answer.unwrap().reply, outcome.answer.reply);
    assert_eq!(store.messages.borrow().len(), 1);
}

#[tokio::test]
async fn a_workout_interrupted_before_it_was_logged_is_logged_once_on_retry() {
    let store = FakeChatStore::default();
    let ids = ids();
    store.fail_next_log.set(true);
    let error = send(&store, &ids, "m-1", "4 x 15 push ups")
        .await
        .unwrap_err();
    assert!(matches!(error, ChatError::Store(_)));
    assert_eq!(
        store.message("m-1").unwrap().status,
        MessageStatus::Received,
        "stored before anything else, not yet answered"
    );
    assert!(store.workouts.borrow().is_empty());

    let retry = send(&store, &ids, "m-1", "4 x 15 push ups").await.unwrap();
    assert_eq!(retry.status, MessageStatus::Logged);
    assert_eq!(retry.message_id, store.message("m-1").unwrap().id);
    assert_eq!(store.workouts.borrow().len(), 1);
    assert_eq!(retry.workout.unwrap().sets.len(), 4);
}

#[tokio::test]
async fn losing_a_race_answers_as_the_winner_did() {
    let store = FakeChatStore::default();
    let ids = ids();
    store.lose_next_race.set(true);
    let outcome = send(&store, &ids, "m-1", "3x8 pull-ups").await.unwrap();
    assert_eq!(outcome.answer.reply, "the winner's answer");
    assert_eq!(outcome.workout.unwrap().id, Uuid::from_u128(7));
    assert_eq!(store.workouts.borrow().len(), 1);
}

#[tokio::test]
async fn a_reused_client_id_with_other_text_is_refused_and_changes_nothing() {
    let store = FakeChatStore::default();
    let ids = ids();
    send(&store, &ids, "m-1", "3x8 pull-ups").await.unwrap();
    let error = send(&store, &ids, "m-1", "3x10 dips").await.unwrap_err();
    assert!(matches!(error, ChatError::ClientIdReused));
    assert_eq!(store.message("m-1").unwrap().body, "3x8 pull-ups");
    assert_eq!(store.workouts.borrow().len(), 1);
}

#[tokio::test]
async fn a_retry_after_the_workout_was_deleted_says_it_is_gone() {
    let store = FakeChatStore::default();
    let ids = ids();
    let first = send(&store, &ids, "m-1", "3x8 pull-ups").await.unwrap();
    store
        .workouts
        .borrow_mut()
        .remove(&first.workout.unwrap().id);
    let retry = send(&store, &ids, "m-1", "3x8 pull-ups").await.unwrap();
    assert_eq!(retry.status, MessageStatus::Logged);
    assert!(retry.workout.is_none());
    assert!(
        retry.answer.reply.contains("deleted"),
        "{}",
        retry.answer.reply
    );
}

#[tokio::test]
async fn history_pages_say_whether_more_follow() {
    let store = FakeChatStore::default();
    let ids = ids();
    for index in 0..3 {
        send(&store, &ids, &format!("m-{index}"), "hi")
            .await
            .unwrap();
    }
    let page = history(&store, Uuid::nil(), None, 2, false).await.unwrap();
    assert_eq!(page.items.len(), 2);
    assert!(page.more);
    let page = history(&store, Uuid::nil(), None, 3, false).await.unwrap();
    assert!(!page.more);
}

#[tokio::test]
async fn a_message_the_parser_cannot_read_is_logged_by_the_model_and_paid_exactly() {
    let store = FakeChatStore::with_balance(10_000);
    let ids = ids();
    let llm = FakeLlm::with(vec![Script::Read(reading(0.9))]);
    let outcome = send_to(&store, &ids, "m-1", "pull ups 8, 8, 6 i think", Some(&llm))
        .await
        .unwrap();
    assert_eq!(outcome.status, MessageStatus::Logged);
    assert_eq!(outcome.workout.as_ref().unwrap().sets.len(), 3);
    // Held 3,000 (prompt + max tokens), charged what was used, the rest given back.
    assert_eq!(outcome.answer.spent_units, 1_500);
    assert_eq!(
        *store.credits.charged.borrow(),
        [Credits::from_units(1_500)]
    );
    assert_eq!(store.balance(), Credits::from_units(8_500));
    assert_eq!(outcome.user.credit_balance, Credits::from_units(8_500));
    assert_eq!(store.held(), Credits::ZERO);

    // A retry replays: no second call, no second charge.
    let retry = send_to(&store, &ids, "m-1", "pull ups 8, 8, 6 i think", Some(&llm))
        .await
        .unwrap();
    assert_eq!(retry.answer, outcome.answer);
    assert_eq!(llm.calls.get(), 1);
    assert_eq!(store.credits.charged.borrow().len(), 1);
}

#[tokio::test]
async fn an_unsure_reading_is_proposed_and_logged_only_when_confirmed() {
    let store = FakeChatStore::with_balance(10_000);
    let ids = ids();
    let llm = FakeLlm::with(vec![Script::Read(reading(0.4))]);
    let proposed = send_to(&store, &ids, "m-1", "pull ups 8, 8, 6 i think", Some(&llm))
        .await
        .unwrap();
    assert_eq!(proposed.status, MessageStatus::Proposed);
    assert!(proposed.workout.is_none());
    assert!(store.workouts.borrow().is_empty(), "nothing logged yet");
    let proposal = proposed.answer.proposal.clone().unwrap();
    assert_eq!(proposal.entries[0].exercise, "pull_up");
    assert!(
        proposed
            .answer
            .reply
            .contains("Pull-up: 3 sets (8 reps, 8 reps, 8 reps)")
    );
    assert_eq!(
        store.credits.charged.borrow().len(),
        1,
        "the read is paid when proposed"
    );

    let catalog = Catalog::embedded().unwrap();
    let user_id = store.user.borrow().as_ref().unwrap().id;
    // An edit of the proposal is what gets logged.
    let edited = pull_ups(6, 2);
    let confirmed = confirm(
        &store,
        &ids,
        catalog,
        SUBJECT,
        user_id,
        proposed.message_id,
        Some(&edited),
        now(),
        None::<&ModelReader<FakeLlm, NoWait>>,
    )
    .await
    .unwrap();
    assert_eq!(confirmed.status, MessageStatus::Logged);
    assert_eq!(confirmed.workout.as_ref().unwrap().sets.len(), 2);
    assert_eq!(confirmed.answer.spent_units, proposed.answer.spent_units);
    assert_eq!(
        store.credits.charged.borrow().len(),
        1,
        "confirming costs nothing more"
    );

    // Confirming again shows it logged; nothing is logged twice.
    let again = confirm(
        &store,
        &ids,
        catalog,
        SUBJECT,
        user_id,
        proposed.message_id,
        None,
        now(),
        None::<&ModelReader<FakeLlm, NoWait>>,
    )
    .await
    .unwrap();
    assert_eq!(again.workout, confirmed.workout);
    assert_eq!(store.workouts.borrow().len(), 1);
}

#[tokio::test]
async fn a_slow_model_leaves_the_message_pending_and_the_attempt_is_finished_later() {
    let store = FakeChatStore::with_balance(10_000);
    let ids = ids();
    let llm = FakeLlm::with(vec![Script::Hang]);
    let pending = send_to(&store, &ids, "m-1", "pull ups 8, 8, 6 i think", Some(&llm))
        .await
        .unwrap();
    assert_eq!(pending.status, MessageStatus::Pending);
    let attempt = pending.finish_later.clone().expect("handed over");
    assert_eq!(attempt.number, 1);
    assert_eq!(store.held(), Credits::from_units(3_000));

    // After the response: the same attempt, its hold reused, no second hold.
    let model = ModelReader {
        llm: &llm,
        sleep: &NoWait,
        settings: &SETTINGS,
        request_id: "request-1",
    };
    let catalog = Catalog::embedded().unwrap();
    let finished = finish_attempt(&store, &ids, catalog, &model, &attempt, now(), false)
        .await
        .unwrap();
    assert_eq!(finished.status, MessageStatus::Logged);
    assert_eq!(store.credits.holds.borrow().len(), 1);
    assert_eq!(store.held(), Credits::ZERO);
    assert_eq!(store.balance(), Credits::from_units(8_500));

    // Running it again (the cron got there too) changes nothing.
    let again = finish_attempt(&store, &ids, catalog, &model, &attempt, now(), false)
        .await
        .unwrap();
    assert_eq!(again.status, MessageStatus::Logged);
    assert_eq!(store.workouts.borrow().len(), 1);
    assert_eq!(store.credits.charged.borrow().len(), 1);
}

#[tokio::test]
async fn failed_attempts_cost_nothing_back_off_and_give_up_after_the_last() {
    let store = FakeChatStore::with_balance(10_000);
    let ids = ids();
    let llm = FakeLlm::with(vec![
        Script::Fail(LlmErrorKind::Throttled),
        Script::Fail(LlmErrorKind::Malformed),
        Script::Fail(LlmErrorKind::Unavailable),
    ]);
    let first = send_to(&store, &ids, "m-1", "pull ups 8, 8, 6 i think", Some(&llm))
        .await
        .unwrap();
    assert_eq!(first.status, MessageStatus::Pending);
    assert_eq!(first.failure_reason.as_deref(), Some("model_throttled"));
    assert_eq!(
        store.balance(),
        Credits::from_units(10_000),
        "hold given back"
    );

    let model = ModelReader {
        llm: &llm,
        sleep: &NoWait,
        settings: &SETTINGS,
        request_id: "cron",
    };
    let catalog = Catalog::embedded().unwrap();
    let statuses = |results: Vec<Result<ChatOutcome, ChatError>>| {
        results
            .into_iter()
            .map(|result| result.unwrap().status)
            .collect::<Vec<_>>()
    };
    let second = retry_due(&store, &ids, catalog, &model, 5, now())
        .await
        .unwrap();
    assert_eq!(statuses(second), [MessageStatus::Pending]);
    let third = retry_due(&store, &ids, catalog, &model, 5, now())
        .await
        .unwrap();
    assert_eq!(statuses(third), [MessageStatus::Failed]);
    let stored = store.message("m-1").unwrap();
    assert_eq!(stored.status, MessageStatus::Failed);
    assert_eq!(stored.failure_reason.as_deref(), Some("model_unavailable"));
    assert_eq!(store.balance(), Credits::from_units(10_000));
    assert!(store.credits.charged.borrow().is_empty());
    assert!(
        retry_due(&store, &ids, catalog, &model, 5, now())
            .await
            .unwrap()
            .is_empty()
    );

    // The person retries it; the model reads it now.
    let user_id = store.user.borrow().as_ref().unwrap().id;
    let retried = retry(
        &store,
        &ids,
        catalog,
        &model,
        SUBJECT,
        user_id,
        stored.id,
        now(),
    )
    .await
    .unwrap();
    assert_eq!(retried.status, MessageStatus::Logged);
    assert_eq!(store.credits.charged.borrow().len(), 1);
    let error = retry(
        &store,
        &ids,
        catalog,
        &model,
        SUBJECT,
        user_id,
        stored.id,
        now(),
    )
    .await
    .unwrap_err();
    assert!(matches!(
        error,
        ChatError::NotRetryable(MessageStatus::Logged)
    ));
}

#[tokio::test]
async fn a_refused_call_or_a_short_balance_fails_the_message_and_keeps_it() {
    let store = FakeChatStore::with_balance(10_000);
    let ids = ids();
    let llm = FakeLlm::with(vec![Script::Fail(LlmErrorKind::Denied)]);
    let error = send_to(&store, &ids, "m-1", "pull ups 8, 8, 6 i think", Some(&llm))
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        ChatError::ModelRefused {
            kind: LlmErrorKind::Denied,
            ..
        }
    ));
    assert_eq!(store.message("m-1").unwrap().status, MessageStatus::Failed);
    assert_eq!(store.balance(), Credits::from_units(10_000));

    let poor = FakeChatStore::with_balance(2_999);
    let error = send_to(&poor, &ids, "m-2", "pull ups 8, 8, 6 i think", Some(&llm))
        .await
        .unwrap_err();
    let ChatError::Insufficient { refused, .. } = error else {
        panic!("expected a 402, got {error:?}");
    };
    assert_eq!(refused.price, Credits::from_units(3_000));
    assert_eq!(refused.balance, Credits::from_units(2_999));
    let kept = poor.message("m-2").unwrap();
    assert_eq!(kept.status, MessageStatus::Failed);
    assert_eq!(kept.failure_reason.as_deref(), Some("insufficient_credits"));
    assert_eq!(
        llm.calls.get(),
        1,
        "the poor account's message never reached the model"
    );
}

#[tokio::test]
async fn an_ai_coach_phrases_the_rules_decision_and_the_reply_shows_its_cost() {
    let store = FakeChatStore::with_balance(10_000);
    store.coach_style.set(CoachStyle::Ai);
    let ids = ids();
    let llm = FakeLlm {
        phrasing: Some("Strong work on those pull-ups! Chest-to-bar pull-ups are next."),
        ..FakeLlm::with(Vec::new())
    };
    let outcome = send_to(&store, &ids, "m-1", "3x8 pull-ups", Some(&llm))
        .await
        .unwrap();
    assert_eq!(outcome.status, MessageStatus::Logged);
    assert_eq!(
        outcome.answer.reply,
        "Strong work on those pull-ups! Chest-to-bar pull-ups are next."
    );
    assert_eq!(outcome.answer.spent_units, 350);
    assert_eq!(store.balance(), Credits::from_units(10_000 - 350));
    assert_eq!(llm.calls.get(), 0, "the parser read it: no extraction");
    // The model was given the rules' decision, not asked to decide.
    let prompt = llm.prompts.borrow()[0].clone();
    assert!(prompt.contains("Logged 3 sets of Pull-up."), "{prompt}");
    assert!(
        prompt.contains("Next target: Chest-to-bar pull-up 3x5."),
        "{prompt}"
    );

    // When the model fails, the templated reply goes out and costs nothing.
    let failing = FakeLlm::with(Vec::new());
    let outcome = send_to(&store, &ids, "m-2", "3x10 dips", Some(&failing))
        .await
        .unwrap();
    assert!(
        outcome.answer.reply.starts_with("Logged 3 sets of"),
        "{}",
        outcome.answer.reply
    );
    assert_eq!(outcome.answer.spent_units, 0);
    assert_eq!(store.balance(), Credits::from_units(10_000 - 350));

    // Templated users are never phrased by the model.
    let plain = FakeChatStore::with_balance(10_000);
    let outcome = send_to(&plain, &ids, "m-1", "3x8 pull-ups", Some(&llm))
        .await
        .unwrap();
    assert!(
        outcome
            .answer
            .reply
            .starts_with("Logged 3 sets of Pull-up.")
    );
    assert_eq!(plain.balance(), Credits::from_units(10_000));
}
#[path = "chat_corrections_tests.rs"]
mod corrections;
