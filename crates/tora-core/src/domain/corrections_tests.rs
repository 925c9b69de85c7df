//! Which messages are corrections (checked against the workout parser: a workout
//! stays a workout), and what applying them does to a workout.

use super::*;
use crate::domain::catalog::Catalog;
use crate::domain::parser::{self, ParseOutcome};

fn replace(now: u32, was: u32, unit: Option<Unit>) -> Option<Correction> {
    Some(Correction::Edit(Edit::Replace(
        Replacement::new(now, was, unit).unwrap(),
    )))
}

fn sets(count: u32) -> Option<Correction> {
    Some(Correction::Edit(Edit::SetCount(count)))
}

#[test]
fn short_corrections_are_read_in_their_usual_wordings() {
    let cases = [
        ("it was 8 not 6", replace(8, 6, None)),
        ("actually 8, not 6", replace(8, 6, None)),
        ("8 not 6", replace(8, 6, None)),
        ("It was 8 reps not 6", replace(8, 6, Some(Unit::Reps))),
        ("it was 8 not 6 reps.", replace(8, 6, Some(Unit::Reps))),
        ("oops, it was eight not six", replace(8, 6, None)),
        ("sorry, 10 instead of 12", replace(10, 12, None)),
        ("it's 8 not 6!", replace(8, 6, None)),
        ("I did 8 not 6", replace(8, 6, None)),
        ("it was 30s not 20s", replace(30, 20, Some(Unit::Seconds))),
        (
            "it was 30 seconds, not 20",
            replace(30, 20, Some(Unit::Seconds)),
        ),
        ("make that 3 sets", sets(3)),
        ("Make it 4 sets", sets(4)),
        ("change that to 3 sets", sets(3)),
        ("only 2 sets", sets(2)),
        ("it was only 2 sets", sets(2)),
        ("3 sets not 4", sets(3)),
        ("make that five sets please", sets(5)),
        ("make that 50 sets", sets(50)),
        ("delete the last one", Some(Correction::DeleteLast)),
        ("delete that", Some(Correction::DeleteLast)),
        ("remove the last workout", Some(Correction::DeleteLast)),
        ("Scratch that.", Some(Correction::DeleteLast)),
        ("undo that", Some(Correction::DeleteLast)),
        ("undo", Some(Correction::DeleteLast)),
        ("oops, delete my last workout", Some(Correction::DeleteLast)),
        (
            "delete the workout I just logged",
            Some(Correction::DeleteLast),
        ),
        (
            "please remove the most recent session",
            Some(Correction::DeleteLast),
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(parse(text), expected, "{text:?}");
    }
}

#[test]
fn workouts_questions_and_chatter_are_not_corrections() {
    for text in [
        "3x8 pull-ups",
        "did 8 pull-ups, not bad",
        "8 pull-ups",
        "it was 8",
        "3 sets",
        "8 not 8",
        "it was 8 reps not 6 seconds",
        "can you delete the last one?",
        "it was 8 not 6?",
        "delete",
        "delete one",
        "delete the last set",
        "delete my account",
        "remove the pull-ups",
        "not bad, 8 today",
        "hi coach!",
        "what should I train tomorrow?",
        "I did 3 sets of 8 pull-ups and it was hard, not 6 like last week but still a big day for me",
        "it was 8 not 6\nand 3x5 dips",
    ] {
        assert_eq!(parse(text), None, "{text:?}");
    }
}

/// What the chat path relies on: no message is both a workout and a correction, so
/// asking the parser first never loses one.
#[test]
fn the_parser_and_the_correction_reader_never_both_claim_a_message() {
    let catalog = Catalog::embedded().unwrap();
    let corrections = [
        "it was 8 not 6",
        "actually 8, not 6",
        "8 not 6",
        "it was 8 reps not 6",
        "it was 30s not 20s",
        "make that 3 sets",
        "make it 4 sets",
        "change that to 3 sets",
        "only 2 sets",
        "delete the last one",
        "delete that",
        "remove the last workout",
        "scratch that",
        "undo that",
    ];
    for text in corrections {
        assert!(parse(text).is_some(), "{text:?}");
        assert!(
            !matches!(parser::parse(text, catalog), ParseOutcome::Workout(_)),
            "{text:?} is read as a workout"
        );
    }
    let workouts = [
        "3x8 pull-ups",
        "did 8 pull-ups, not bad",
        "4 x 15 push ups",
        "3x12 wall push-ups, then 3 x 30s dead hang",
        "pull-ups 3x5",
    ];
    for text in workouts {
        assert!(
            matches!(parser::parse(text, catalog), ParseOutcome::Workout(_)),
            "{text:?}"
        );
        assert_eq!(parse(text), None, "{text:?}");
    }
}

fn set(reps: Option<u32>, seconds: Option<f64>) -> LoggedSet {
    LoggedSet::new(SetFields {
        reps,
        seconds,
        ..SetFields::default()
    })
    .unwrap()
}

fn catalog_entry(id: &str, sets: Vec<LoggedSet>) -> WorkoutEntry {
    WorkoutEntry {
        exercise: ExerciseRef::Catalog(id.to_owned()),
        sets,
    }
}

fn edit_of(text: &str) -> Edit {
    match parse(text) {
        Some(Correction::Edit(edit)) => edit,
        other => panic!("{text:?} read as {other:?}"),
    }
}

#[test]
fn x_not_y_changes_every_set_at_y_and_says_so() {
    let workout = Workout::new(vec![
        catalog_entry("pull_up", vec![set(Some(6), None); 3]),
        catalog_entry("dip", vec![set(Some(6), None), set(Some(10), None)]),
        catalog_entry("l_sit", vec![set(None, Some(6.0))]),
    ])
    .unwrap();
    let (edited, change) = apply(&workout, &edit_of("it was 8 not 6")).unwrap();
    assert_eq!(edited.sets_of("pull_up"), vec![*set(Some(8), None); 3]);
    assert_eq!(
        edited.sets_of("dip"),
        vec![*set(Some(8), None), *set(Some(10), None)]
    );
    assert_eq!(
        edited.sets_of("l_sit"),
        vec![*set(None, Some(6.0))],
        "reps first"
    );
    assert_eq!(
        change,
        ChangeSummary::Amounts {
            exercises: vec![
                ExerciseRef::Catalog("pull_up".into()),
                ExerciseRef::Catalog("dip".into())
            ],
            unit: Unit::Reps,
            was: 6,
            now: 8,
            sets: 4,
        }
    );

    // Seconds when no reps match, or when said.
    let holds = Workout::new(vec![catalog_entry("l_sit", vec![set(None, Some(20.0)); 2])]).unwrap();
    let (edited, change) = apply(&holds, &edit_of("30 not 20")).unwrap();
    assert_eq!(edited.sets_of("l_sit"), vec![*set(None, Some(30.0)); 2]);
    assert!(matches!(
        change,
        ChangeSummary::Amounts {
            unit: Unit::Seconds,
            sets: 2,
            ..
        }
    ));
    let (edited, _) = apply(&workout, &edit_of("it was 10s not 6s")).unwrap();
    assert_eq!(edited.sets_of("l_sit"), vec![*set(None, Some(10.0))]);
    assert_eq!(edited.sets_of("pull_up"), workout.sets_of("pull_up"));
}

#[test]
fn x_not_y_without_a_set_at_y_changes_nothing() {
    let workout =
        Workout::new(vec![catalog_entry("pull_up", vec![set(Some(8), None); 3])]).unwrap();
    assert_eq!(
        apply(&workout, &edit_of("it was 10 not 6")),
        Err(CorrectionError::NoSetHad {
            value: 6,
            unit: None
        })
    );
    assert_eq!(
        apply(&workout, &edit_of("it was 10 seconds not 8")),
        Err(CorrectionError::NoSetHad {
            value: 8,
            unit: Some(Unit::Seconds)
        })
    );
    // Past the set rules: refused, not stored.
    assert_eq!(
        apply(&workout, &edit_of("it was 20000 not 8")),
        Err(CorrectionError::Invalid(WorkoutError::RepsOutOfRange))
    );
}

#[test]
fn a_range_corrected_becomes_the_number_said() {
    let range = LoggedSet::new(SetFields {
        reps: Some(6),
        reps_max: Some(8),
        ..SetFields::default()
    })
    .unwrap();
    let workout = Workout::new(vec![catalog_entry("pull_up", vec![range])]).unwrap();
    let (edited, _) = apply(&workout, &edit_of("it was 10 not 6")).unwrap();
    assert_eq!(edited.sets_of("pull_up"), vec![*set(Some(10), None)]);
}

#[test]
fn set_counts_change_the_last_entry() {
    let loaded = LoggedSet::new(SetFields {
        reps: Some(5),
        added_kg: Some(10.0),
        ..SetFields::default()
    })
    .unwrap();
    let workout = Workout::new(vec![
        catalog_entry("dip", vec![set(Some(10), None)]),
        catalog_entry("pull_up", vec![set(Some(6), None), loaded]),
    ])
    .unwrap();
    let (more, change) = apply(&workout, &edit_of("make that 4 sets")).unwrap();
    assert_eq!(
        more.sets_of("pull_up"),
        vec![*set(Some(6), None), *loaded, *loaded, *loaded],
        "copies of the last set"
    );
    assert_eq!(more.sets_of("dip").len(), 1);
    assert_eq!(
        change,
        ChangeSummary::SetCount {
            exercise: ExerciseRef::Catalog("pull_up".into()),
            was: 2,
            now: 4
        }
    );
    let (fewer, _) = apply(&workout, &edit_of("only 1 set")).unwrap();
    assert_eq!(fewer.sets_of("pull_up"), vec![*set(Some(6), None)]);

    assert_eq!(
        apply(&workout, &edit_of("make that 2 sets")),
        Err(CorrectionError::AlreadySetCount {
            exercise: ExerciseRef::Catalog("pull_up".into()),
            sets: 2
        })
    );
    for asked in [0, 21, 50] {
        assert_eq!(
            apply(&workout, &Edit::SetCount(asked)),
            Err(CorrectionError::SetCountOutOfRange { asked })
        );
    }
}

#[test]
fn stored_workouts_become_entries_again() {
    use crate::domain::workout::StoredSet;
    let stored_set = |id: &str, name: &str, custom: bool, reps: u32| StoredSet {
        exercise_id: id.to_owned(),
        exercise_name: name.to_owned(),
        custom,
        set: set(Some(reps), None),
    };
    let at = chrono::DateTime::UNIX_EPOCH;
    let stored = StoredWorkout {
        id: uuid::Uuid::nil(),
        performed_at: at,
        notes: None,
        source_message_id: None,
        import_id: None,
        sets: vec![
            stored_set("pull_up", "Pull-up", false, 8),
            stored_set("pull_up", "Pull-up", false, 8),
            stored_set("c1", "Rope climb", true, 2),
            stored_set("pull_up", "Pull-up", false, 5),
        ],
        created_at: at,
        updated_at: at,
    };
    let workout = editable(&stored).unwrap();
    let shape: Vec<(ExerciseRef, usize)> = workout
        .entries()
        .iter()
        .map(|entry| (entry.exercise.clone(), entry.sets.len()))
        .collect();
    assert_eq!(
        shape,
        [
            (ExerciseRef::Catalog("pull_up".into()), 2),
            (
                ExerciseRef::Custom {
                    name: ExerciseName::parse("Rope climb").unwrap()
                },
                1
            ),
            (ExerciseRef::Catalog("pull_up".into()), 1),
        ]
    );
}
