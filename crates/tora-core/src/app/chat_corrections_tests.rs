//! Corrections through the chat path: the fake chat store is also the workout store
//! (as `NeonClient` is), over the same workouts and skill rows.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::*;
use crate::app::memory_workouts::{changed, history, stored};
use crate::domain::skills::{HistoricalSet, SkillRecord};
use crate::domain::workout::NewWorkout;
use crate::ports::{WorkoutChange, WorkoutFilter, WorkoutStore};

/// One person's workouts: the fake chat store holds a single user.
impl WorkoutStore for FakeChatStore {
    async fn insert_workout(
        &self,
        new: &NewWorkout<'_>,
        skill_writes: &BTreeMap<String, SkillRecord>,
        _ids: &impl Ids,
    ) -> Result<StoredWorkout, StoreError> {
        self.trip();
        let workout = stored(new, now());
        self.workouts
            .borrow_mut()
            .insert(workout.id, workout.clone());
        self.skills.borrow_mut().extend(skill_writes.clone());
        Ok(workout)
    }

    async fn workout(
        &self,
        _user_id: Uuid,
        workout_id: Uuid,
    ) -> Result<Option<StoredWorkout>, StoreError> {
        self.trip();
        Ok(self.workouts.borrow().get(&workout_id).cloned())
    }

    async fn workouts(
        &self,
        _user_id: Uuid,
        _filter: &WorkoutFilter,
        limit: u32,
    ) -> Result<Vec<StoredWorkout>, StoreError> {
        self.trip();
        let mut workouts: Vec<StoredWorkout> = self.workouts.borrow().values().cloned().collect();
        workouts.sort_by_key(|workout| std::cmp::Reverse((workout.performed_at, workout.id)));
        workouts.truncate(limit as usize);
        Ok(workouts)
    }

    async fn skill_history(
        &self,
        _user_id: Uuid,
        exercise_ids: &[&str],
        except: Uuid,
    ) -> Result<(BTreeMap<String, SkillRecord>, Vec<HistoricalSet>), StoreError> {
        self.trip();
        let workouts = self.workouts.borrow();
        Ok((
            self.skills.borrow().clone(),
            history(workouts.values(), exercise_ids, except),
        ))
    }

    async fn update_workout(
        &self,
        change: &WorkoutChange<'_>,
        skill_writes: &BTreeMap<String, SkillRecord>,
        _ids: &impl Ids,
    ) -> Result<Option<StoredWorkout>, StoreError> {
        self.trip();
        let workout_id = match change {
            WorkoutChange::Fields { workout_id, .. } => *workout_id,
            WorkoutChange::Replace(new) => new.id,
        };
        let mut workouts = self.workouts.borrow_mut();
        let Some(existing) = workouts.get_mut(&workout_id) else {
            return Ok(None);
        };
        *existing = changed(existing, change);
        let after = existing.clone();
        self.skills.borrow_mut().extend(skill_writes.clone());
        Ok(Some(after))
    }

    async fn delete_workout(
        &self,
        _user_id: Uuid,
        workout_id: Uuid,
        skill_writes: &BTreeMap<String, SkillRecord>,
    ) -> Result<(), StoreError> {
        self.trip();
        self.workouts.borrow_mut().remove(&workout_id);
        self.skills.borrow_mut().extend(skill_writes.clone());
        Ok(())
    }
}

fn pull_up_mastered(store: &FakeChatStore) -> bool {
    store
        .skills
        .borrow()
        .get("pull_up")
        .is_some_and(|row| row.state.is_mastered())
}

fn reps(workout: &StoredWorkout) -> Vec<Option<u32>> {
    workout.sets.iter().map(|set| set.set.reps).collect()
}

#[tokio::test]
async fn a_correction_edits_the_latest_workout_and_the_answer_says_what_changed() {
    let store = FakeChatStore::default();
    let ids = ids();
    let logged = send(&store, &ids, "m-1", "3x6 pull-ups").await.unwrap();
    assert!(!pull_up_mastered(&store));

    let corrected = send(&store, &ids, "m-2", "it was 8 not 6").await.unwrap();
    assert_eq!(corrected.status, MessageStatus::Answered);
    let workout = corrected.workout.clone().unwrap();
    assert_eq!(workout.id, logged.workout.unwrap().id);
    assert_eq!(reps(&workout), [Some(8); 3]);
    assert!(
        corrected
            .answer
            .reply
            .starts_with("Fixed your last workout: Pull-up: 6 → 8 reps in 3 sets."),
        "{}",
        corrected.answer.reply
    );
    assert_eq!(corrected.answer.mastered[0].skill, "pull_up");
    assert!(pull_up_mastered(&store), "skills re-decided as PATCH does");
    let stored = store.message("m-2").unwrap();
    assert_eq!(stored.status, MessageStatus::Answered);
    assert_eq!(stored.answer.unwrap(), corrected.answer);

    // A retry replays the answer and changes nothing again.
    let trips = store.round_trips.get();
    let retry = send(&store, &ids, "m-2", "it was 8 not 6").await.unwrap();
    assert_eq!(
        store.round_trips.get(),
        trips + 1,
        "a replay is one round trip"
    );
    assert_eq!(retry.answer, corrected.answer);
    assert_eq!(retry.message_id, corrected.message_id);
    assert_eq!(reps(&store.workouts.borrow()[&workout.id]), [Some(8); 3]);
}

#[tokio::test]
async fn a_retried_set_count_or_delete_is_made_once() {
    let store = FakeChatStore::default();
    let ids = ids();
    send(&store, &ids, "m-1", "3x8 pull-ups").await.unwrap();
    send(&store, &ids, "m-2", "3x10 push-ups").await.unwrap();

    let more = send(&store, &ids, "m-3", "make that 4 sets").await.unwrap();
    assert_eq!(more.workout.unwrap().sets.len(), 4);
    assert!(
        more.answer.reply.contains("Push-up: 3 → 4 sets"),
        "{}",
        more.answer.reply
    );

    let deleted = send(&store, &ids, "m-4", "delete the last one")
        .await
        .unwrap();
    assert_eq!(deleted.status, MessageStatus::Answered);
    assert!(deleted.workout.is_none());
    assert!(
        deleted.answer.reply.contains("4 sets of Push-up"),
        "{}",
        deleted.answer.reply
    );
    assert_eq!(store.workouts.borrow().len(), 1);

    let again = send(&store, &ids, "m-4", "delete the last one")
        .await
        .unwrap();
    assert_eq!(again.answer, deleted.answer);
    assert_eq!(
        store.workouts.borrow().len(),
        1,
        "the pull-ups are still there"
    );
    assert!(pull_up_mastered(&store));
}

#[tokio::test]
async fn an_interrupted_delete_is_not_made_again_on_retry() {
    let store = FakeChatStore::default();
    let ids = ids();
    send(&store, &ids, "m-1", "3x8 pull-ups").await.unwrap();
    // An earlier attempt stored the message and stopped before answering: it may
    // have deleted a workout already.
    store.messages.borrow_mut().push(MessageRecord {
        id: Uuid::from_u128(1),
        client_message_id: "m-2".into(),
        body: "delete the last one".into(),
        status: MessageStatus::Received,
        answer: None,
        workout_id: None,
        created_at: now(),
        attempts: 0,
        failure_reason: None,
    });
    let retry = send(&store, &ids, "m-2", "delete the last one")
        .await
        .unwrap();
    assert_eq!(retry.message_id, Uuid::from_u128(1));
    assert_eq!(retry.status, MessageStatus::Answered);
    assert!(
        retry.answer.reply.contains("interrupted"),
        "{}",
        retry.answer.reply
    );
    assert_eq!(store.workouts.borrow().len(), 1);
    assert_eq!(
        store.message("m-2").unwrap().status,
        MessageStatus::Answered
    );
}

#[tokio::test]
async fn a_correction_before_any_workout_changes_nothing_and_says_so() {
    let store = FakeChatStore::default();
    let ids = ids();
    let outcome = send(&store, &ids, "m-1", "make that 3 sets").await.unwrap();
    assert_eq!(outcome.status, MessageStatus::Answered);
    assert!(outcome.workout.is_none());
    assert!(
        outcome
            .answer
            .reply
            .starts_with("There's no workout to correct yet")
    );
    assert!(store.workouts.borrow().is_empty());

    let error = send(&store, &ids, "m-1", "delete that").await.unwrap_err();
    assert!(matches!(error, ChatError::ClientIdReused));
}

#[tokio::test]
async fn a_workout_message_that_looks_like_a_correction_is_logged() {
    let store = FakeChatStore::default();
    let ids = ids();
    send(&store, &ids, "m-1", "3x6 pull-ups").await.unwrap();
    let logged = send(&store, &ids, "m-2", "did 8 pull-ups, not bad")
        .await
        .unwrap();
    assert_eq!(logged.status, MessageStatus::Logged);
    assert_eq!(store.workouts.borrow().len(), 2);
}
