//! Corrections against an in-memory `WorkoutStore`: the latest workout of the right
//! person is edited or deleted, its skills re-decided, and nothing else changes.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::*;
use crate::app::fakes::{SequentialIds, ids};
use crate::app::memory_workouts::MemoryWorkouts;
use crate::app::workouts::LogWorkout;
use crate::domain::skills::SkillState;
use crate::domain::workout::{LoggedSet, SetFields, Workout, WorkoutEntry};

const ANA: Uuid = Uuid::from_u128(1);
const BEN: Uuid = Uuid::from_u128(2);

fn catalog() -> &'static Catalog {
    Catalog::embedded().unwrap()
}

fn at(minutes: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-01T18:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
        + Duration::minutes(minutes)
}

fn workout(exercise: &str, sets: usize, reps: u32) -> Workout {
    let set = LoggedSet::new(SetFields {
        reps: Some(reps),
        ..SetFields::default()
    })
    .unwrap();
    Workout::new(vec![WorkoutEntry {
        exercise: ExerciseRef::Catalog(exercise.to_owned()),
        sets: vec![set; sets],
    }])
    .unwrap()
}

async fn log(
    store: &MemoryWorkouts,
    ids: &SequentialIds,
    user: Uuid,
    performed_at: DateTime<Utc>,
    logged: &Workout,
) -> StoredWorkout {
    let skills = store
        .skills
        .borrow()
        .get(&user)
        .cloned()
        .unwrap_or_else(BTreeMap::new);
    workouts::log(
        store,
        ids,
        catalog(),
        user,
        &skills,
        &LogWorkout {
            performed_at,
            notes: None,
            workout: logged,
        },
    )
    .await
    .unwrap()
    .workout
}

async fn correct(
    store: &MemoryWorkouts,
    ids: &SequentialIds,
    user: Uuid,
    text: &str,
) -> CorrectionOutcome {
    let correction = read(text, catalog()).unwrap();
    apply_correction(store, ids, catalog(), user, &correction)
        .await
        .unwrap()
}

fn reps(workout: &StoredWorkout) -> Vec<Option<u32>> {
    workout.sets.iter().map(|set| set.set.reps).collect()
}

fn pull_up_mastered(store: &MemoryWorkouts, user: Uuid) -> bool {
    store
        .skill(user, "pull_up")
        .is_some_and(|row| row.state.is_mastered())
}

#[tokio::test]
async fn it_was_8_not_6_edits_the_latest_workout_and_re_decides_its_skills() {
    let store = MemoryWorkouts::default();
    let ids = ids();
    let logged = log(&store, &ids, ANA, at(0), &workout("pull_up", 3, 6)).await;
    assert!(
        !pull_up_mastered(&store, ANA),
        "3x6 is short of the 3x8 goal"
    );

    let CorrectionOutcome::Edited {
        workout,
        change,
        evaluation,
    } = correct(&store, &ids, ANA, "it was 8 not 6").await
    else {
        panic!("not edited");
    };
    assert_eq!(workout.id, logged.id, "the same workout, edited in place");
    assert_eq!(reps(&workout), [Some(8); 3]);
    assert!(matches!(
        change,
        ChangeSummary::Amounts {
            was: 6,
            now: 8,
            sets: 3,
            ..
        }
    ));
    assert!(
        evaluation
            .transitions
            .mastered
            .contains(&"pull_up".to_owned())
    );
    assert!(pull_up_mastered(&store, ANA));
    assert_eq!(reps(&store.of(ANA)[0]), [Some(8); 3]);

    let (answer, shown) = answer(
        catalog(),
        correct(&store, &ids, ANA, "make that 4 sets").await,
        false,
    );
    assert_eq!(reps(&shown.unwrap()), [Some(8); 4]);
    assert_eq!(
        answer.reply,
        "Fixed your last workout: Pull-up: 3 → 4 sets."
    );
    assert_eq!(store.of(ANA)[0].sets.len(), 4);
}

#[tokio::test]
async fn delete_the_last_one_deletes_the_latest_workout_and_takes_its_mastery_back() {
    let store = MemoryWorkouts::default();
    let ids = ids();
    let earlier = log(&store, &ids, ANA, at(0), &workout("push_up", 3, 10)).await;
    log(&store, &ids, ANA, at(60), &workout("pull_up", 3, 8)).await;
    assert!(pull_up_mastered(&store, ANA));

    let outcome = correct(&store, &ids, ANA, "delete the last one").await;
    let (answer, shown) = answer(catalog(), outcome, false);
    assert!(shown.is_none());
    assert_eq!(
        answer.reply,
        "Deleted your last workout (3 sets of Pull-up). Your skills are re-checked without it."
    );
    let left = store.of(ANA);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, earlier.id);
    assert!(!pull_up_mastered(&store, ANA));
    assert_ne!(
        store.skill(ANA, "pull_up").map(|row| row.state),
        Some(SkillState::Mastered(crate::domain::skills::Mastery::Proven))
    );
}

#[tokio::test]
async fn the_latest_workout_is_the_latest_performed() {
    let store = MemoryWorkouts::default();
    let ids = ids();
    let later = log(&store, &ids, ANA, at(60), &workout("pull_up", 3, 6)).await;
    // Logged afterwards, but performed earlier (a workout entered after the fact).
    let back_dated = log(&store, &ids, ANA, at(0), &workout("dip", 3, 6)).await;
    let CorrectionOutcome::Edited { workout, .. } = correct(&store, &ids, ANA, "8 not 6").await
    else {
        panic!("not edited");
    };
    assert_eq!(workout.id, later.id);
    let untouched = store
        .of(ANA)
        .into_iter()
        .find(|workout| workout.id == back_dated.id)
        .unwrap();
    assert_eq!(reps(&untouched), [Some(6); 3]);
}

#[tokio::test]
async fn a_correction_never_touches_another_persons_workouts() {
    let store = MemoryWorkouts::default();
    let ids = ids();
    let bens = log(&store, &ids, BEN, at(0), &workout("pull_up", 3, 6)).await;
    for text in ["it was 8 not 6", "make that 4 sets", "delete the last one"] {
        assert!(matches!(
            correct(&store, &ids, ANA, text).await,
            CorrectionOutcome::Unchanged(Unchanged::NoWorkouts)
        ));
    }
    assert_eq!(store.of(BEN), [bens]);
    let writes = store.writes.get();

    // Ana's own workout is the one corrected, even when Ben's is newer.
    let anas = log(&store, &ids, ANA, at(-60), &workout("pull_up", 3, 6)).await;
    let CorrectionOutcome::Deleted { workout, .. } =
        correct(&store, &ids, ANA, "scratch that").await
    else {
        panic!("not deleted");
    };
    assert_eq!(workout.id, anas.id);
    assert_eq!(store.of(BEN).len(), 1);
    assert_eq!(store.writes.get(), writes + 2, "Ana's log and delete");
}

#[tokio::test]
async fn an_edit_that_cannot_be_made_changes_nothing_and_says_why() {
    let store = MemoryWorkouts::default();
    let ids = ids();
    log(&store, &ids, ANA, at(0), &workout("pull_up", 3, 8)).await;
    let writes = store.writes.get();
    for (text, expected) in [
        ("it was 10 not 6", "No set in your last workout had 6,"),
        (
            "make that 3 sets",
            "Your last workout already has 3 sets of Pull-up",
        ),
        ("make that 30 sets", "A correction can make it 1 to 20 sets"),
    ] {
        let outcome = correct(&store, &ids, ANA, text).await;
        assert!(matches!(
            outcome,
            CorrectionOutcome::Unchanged(Unchanged::Refused(_))
        ));
        let (answer, shown) = answer(catalog(), outcome, false);
        assert!(
            answer.reply.starts_with(expected),
            "{text:?}: {}",
            answer.reply
        );
        assert!(shown.is_none());
    }
    assert_eq!(store.writes.get(), writes);
    assert_eq!(reps(&store.of(ANA)[0]), [Some(8); 3]);
}

#[test]
fn workouts_stay_workouts_and_questions_stay_questions() {
    assert_eq!(read("3x8 pull-ups", catalog()), None);
    assert_eq!(read("did 8 pull-ups, not bad", catalog()), None);
    assert_eq!(read("can you delete the last one?", catalog()), None);
    assert!(read("it was 8 not 6", catalog()).is_some());
}
