//! The chat use case natively, against an in-memory `ChatStore` that keeps what the
//! real one keeps (users, messages with their answers, workouts by source message,
//! skill rows) and can be told to fail or to lose a race.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::*;
use crate::domain::profile::{Timezone, Units};
use crate::domain::skills::SkillRecord;
use crate::domain::workout::StoredSet;
use crate::ports::{PageCursor, StoreErrorKind};

const SUBJECT: &str = "athlete-1";

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-01T18:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

struct SequentialIds(Cell<u128>);

impl Ids for SequentialIds {
    fn new_uuid(&self) -> Uuid {
        self.0.set(self.0.get() + 1);
        Uuid::from_u128(self.0.get())
    }
}

fn ids() -> SequentialIds {
    SequentialIds(Cell::new(1_000))
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
        let stored_user = self
            .user
            .borrow_mut()
            .get_or_insert_with(|| User {
                id: user.id,
                auth_subject: user.auth_subject.to_owned(),
                email: None,
                display_name: None,
                units: Units::Kg,
                timezone: "UTC".parse::<Timezone>().unwrap(),
                credit_balance: user.starter_credits,
                created_at: now(),
                updated_at: now(),
            })
            .clone();
        if self.message(message.client_message_id).is_none() {
            self.messages.borrow_mut().push(MessageRecord {
                id: message.id,
                client_message_id: message.client_message_id.to_owned(),
                body: message.body.to_owned(),
                status: message.status,
                answer: message.answer.cloned(),
                workout_id: None,
                created_at: now(),
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

    async fn answer_message(
        &self,
        message_id: Uuid,
        status: MessageStatus,
        answer: &ChatAnswer,
    ) -> Result<(), StoreError> {
        self.trip();
        self.complete(message_id, status, answer);
        Ok(())
    }

    async fn log_message_workout(
        &self,
        log: &MessageWorkout<'_>,
        _ids: &impl Ids,
    ) -> Result<Option<StoredWorkout>, StoreError> {
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
        Ok(Some(self.store_workout(log)))
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
    ) -> Result<Vec<MessageRecord>, StoreError> {
        let mut messages = self.messages.borrow().clone();
        messages.reverse();
        messages.truncate(limit as usize);
        Ok(messages)
    }
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
    let subject = subject();
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
    let page = history(&store, Uuid::nil(), None, 2).await.unwrap();
    assert_eq!(page.items.len(), 2);
    assert!(page.more);
    let page = history(&store, Uuid::nil(), None, 3).await.unwrap();
    assert!(!page.more);
}

#[path = "chat_corrections_tests.rs"]
mod corrections;
