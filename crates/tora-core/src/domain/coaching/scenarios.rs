//! Athletes' first weeks, message by message: what the coach answers and which targets
//! they are given. Each message goes the way the chat path takes it (parser, workout,
//! skill rules, targets, decision, reply) with the stored skill rows kept in between,
//! so these read as the conversations people have with Tora.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use crate::domain::catalog::Catalog;
use crate::domain::coaching::{self, Decision, Target};
use crate::domain::parser::{self, ParseOutcome};
use crate::domain::skills::{self, Mastery, SkillRecord, SkillState};
use crate::domain::workout::{ExerciseRef, LoggedSet, Workout, WorkoutEntry};

/// One person's stored skill rows and recent session volumes, as the database would
/// hold them between messages.
#[derive(Default)]
struct Athlete {
    stored: BTreeMap<String, SkillRecord>,
    /// Reps and seconds of the last three sessions, newest first.
    recent: Vec<(f64, f64)>,
}

/// What a logged message is answered with.
struct Answer {
    reply: String,
    /// Skill ids of the next targets, best first.
    targets: Vec<String>,
    mastered: Vec<String>,
    unlocked: Vec<String>,
}

fn catalog() -> &'static Catalog {
    Catalog::embedded().unwrap()
}

impl Athlete {
    /// Sends one chat message that must read as a workout.
    fn logs(&mut self, message: &str) -> Answer {
        let catalog = catalog();
        let ParseOutcome::Workout(parsed) = parser::parse(message, catalog) else {
            panic!("not read as a workout: {message}");
        };
        let entries = parsed
            .entries
            .iter()
            .map(|entry| WorkoutEntry {
                exercise: ExerciseRef::Catalog(entry.exercise.clone()),
                sets: entry
                    .sets
                    .iter()
                    .map(|set| LoggedSet::new(*set).unwrap())
                    .collect(),
            })
            .collect();
        let workout = Workout::new(entries).unwrap();

        // As the chat path decides and phrases it.
        let evaluation = skills::log_session(catalog, &self.stored, &workout.session());
        let trained = workout.catalog_exercises();
        let targets: Vec<Target> = skills::next_targets(catalog, &evaluation.standing, &trained);
        let name_of = |id: &str| catalog.exercise(id).unwrap().name().to_owned();
        let names = |ids: &[String]| ids.iter().map(|id| name_of(id)).collect::<Vec<_>>();
        let decision = Decision {
            logged: workout
                .entries()
                .iter()
                .map(|entry| match &entry.exercise {
                    ExerciseRef::Catalog(id) => (name_of(id), entry.sets.len()),
                    ExerciseRef::Custom { name } => (name.as_str().to_owned(), entry.sets.len()),
                })
                .collect(),
            mastered: names(&evaluation.transitions.mastered),
            inferred: names(&evaluation.transitions.inferred),
            unlocked: names(&evaluation.transitions.unlocked),
            next_target: targets.first().cloned(),
            volume_note: coaching::volume_note(workout.volume(), &self.recent),
        };
        let reply = coaching::workout_reply(&decision);

        // Stored, as the write transaction leaves it.
        self.stored.extend(evaluation.writes.clone());
        let volume = workout.volume();
        self.recent.insert(0, (volume.reps, volume.seconds));
        self.recent.truncate(3);
        Answer {
            reply,
            targets: targets.into_iter().map(|target| target.skill_id).collect(),
            mastered: evaluation.transitions.mastered,
            unlocked: evaluation.transitions.unlocked,
        }
    }

    fn state(&self, skill: &str) -> SkillState {
        skills::standing(catalog(), &self.stored).states[skill]
    }

    /// The targets the skill tree view shows between sessions.
    fn tree_targets(&self) -> Vec<String> {
        let standing = skills::standing(catalog(), &self.stored);
        skills::next_targets(catalog(), &standing, &[])
            .into_iter()
            .map(|target| target.skill_id)
            .collect()
    }
}

/// No target is a skill that anything the person trains, has logged or mastered
/// requires: the promise of every reply.
fn assert_no_regression(athlete: &Athlete, targets: &[String]) {
    let standing = skills::standing(catalog(), &athlete.stored);
    let worked = standing.practised.iter().map(String::as_str).chain(
        standing
            .states
            .iter()
            .filter(|(_, state)| state.is_mastered())
            .map(|(id, _)| id.as_str()),
    );
    let below = skills::requirements(
        |id| catalog().skill(id).map(|skill| skill.prerequisites()),
        worked,
    );
    for target in targets {
        assert!(
            !below.contains(target.as_str()),
            "{target} is below what is trained: {targets:?}"
        );
        assert!(
            !standing.states[target].is_mastered(),
            "{target} is mastered"
        );
    }
}

#[test]
fn after_4x15_push_ups_the_next_target_is_a_step_up_not_a_wall_push_up() {
    let mut athlete = Athlete::default();
    let answer = athlete.logs("4x15 push-ups");
    assert_eq!(
        answer.reply,
        "Logged 4 sets of Push-up. You mastered Push-up (and the 2 steps before it)! \
         Now open: Diamond push-up, Decline push-up, Pike push-up and Elbow lever. \
         Next target: Diamond push-up 3x8."
    );
    assert_eq!(
        answer.targets,
        ["diamond_push_up", "decline_push_up", "pike_push_up"]
    );
    for below in ["wall_push_up", "incline_push_up"] {
        assert_eq!(
            athlete.state(below),
            SkillState::Mastered(Mastery::Inferred)
        );
    }
    assert_no_regression(&athlete, &answer.targets);
}

#[test]
fn after_3x8_pull_ups_the_next_target_is_not_a_dead_hang() {
    let mut athlete = Athlete::default();
    let answer = athlete.logs("3x8 pull-ups");
    assert_eq!(
        answer.reply,
        "Logged 3 sets of Pull-up. You mastered Pull-up (and the 3 steps before it)! \
         Now open: Chest-to-bar pull-up, Archer pull-up, Tuck front lever and 3 more. \
         Next target: Chest-to-bar pull-up 3x5."
    );
    assert_eq!(
        answer.targets,
        ["chest_to_bar_pull_up", "archer_pull_up", "tuck_front_lever"]
    );
    assert_eq!(answer.mastered, ["pull_up"], "the dead hang is not news");
    assert_eq!(
        athlete.state("dead_hang"),
        SkillState::Mastered(Mastery::Inferred)
    );
    assert_eq!(athlete.tree_targets(), answer.targets);
    assert_no_regression(&athlete, &answer.targets);
}

/// Maya can't do a pull-up yet: dead hangs, scapular pulls and negatives, and incline
/// push-ups against a bench.
#[test]
fn a_beginner_who_cannot_do_a_pull_up_yet() {
    let mut maya = Athlete::default();

    // Monday: nothing mastered; the incline push-ups are closest to their goal. The
    // dead hang is not a target: she already trains what it leads to.
    let monday = maya.logs("3x20s dead hang, 3x5 scapular pulls, 3x8 incline push-ups");
    assert_eq!(
        monday.reply,
        "Logged 3 sets of Dead hang, 3 sets of Scapular pull-up and 3 sets of Incline push-up. \
         Next target: Incline push-up 3x12 (you're at 67% of it)."
    );
    assert_eq!(
        monday.targets,
        ["incline_push_up", "scapular_pull_up", "support_hold"]
    );
    assert_no_regression(&maya, &monday.targets);

    // Wednesday: negatives join in; neither the scapular pulls nor the dead hang are
    // targets any more.
    let wednesday = maya
        .logs("dead hang 3x25s, scap pull-ups 3x8, 3x3 negative pull-ups, incline push-ups 3x10");
    assert_eq!(
        wednesday.reply,
        "Logged 3 sets of Dead hang, 3 sets of Scapular pull-up, 3 sets of Negative pull-up \
         and 3 sets of Incline push-up. \
         Next target: Incline push-up 3x12 (you're at 83% of it)."
    );
    assert_eq!(
        wednesday.targets,
        ["incline_push_up", "negative_pull_up", "support_hold"]
    );
    assert_no_regression(&maya, &wednesday.targets);

    // Friday: three goals met; the wall push-up below the incline ones comes with them.
    let friday =
        maya.logs("3x30s dead hang, 3x10 scap pulls, negatives 3x4, 3x12 incline push-ups");
    assert_eq!(
        friday.reply,
        "Logged 3 sets of Dead hang, 3 sets of Scapular pull-up, 3 sets of Negative pull-up \
         and 3 sets of Incline push-up. \
         You mastered Incline push-up, Dead hang and Scapular pull-up (and the step before them)! \
         Now open: Push-up, Hanging knee raise, Negative pull-up and Skin the cat. \
         Next target: Negative pull-up 3x5 (you're at 80% of it)."
    );
    assert_eq!(
        friday.mastered,
        ["incline_push_up", "dead_hang", "scapular_pull_up"]
    );
    assert_eq!(
        friday.targets,
        ["negative_pull_up", "hanging_knee_raise", "push_up"]
    );
    assert_eq!(
        maya.state("wall_push_up"),
        SkillState::Mastered(Mastery::Inferred)
    );
    assert_no_regression(&maya, &friday.targets);

    // The next Monday: the negatives are mastered and the pull-up opens; her first
    // real push-ups are the nearest goal.
    let monday =
        maya.logs("3x5 negative pull-ups, 3x6 push-ups, 3x12 scapular pulls, 3x30s dead hang");
    assert_eq!(
        monday.reply,
        "Logged 3 sets of Negative pull-up, 3 sets of Push-up, 3 sets of Scapular pull-up \
         and 3 sets of Dead hang. You mastered Negative pull-up! \
         Now open: Pull-up and Chin-up. \
         Next target: Push-up 3x12 (you're at 50% of it)."
    );
    // A step up from each thing trained before a second step of any.
    assert_eq!(monday.targets, ["push_up", "pull_up", "hanging_knee_raise"]);
    assert_eq!(monday.unlocked, ["pull_up", "chin_up"]);
    assert_no_regression(&maya, &monday.targets);
    assert_eq!(maya.tree_targets(), ["push_up", "pull_up", "chin_up"]);
}

/// Leo already does 10 pull-ups, 20 dips and plenty of push-ups.
#[test]
fn an_intermediate_with_10_pull_ups_and_20_dips() {
    let mut leo = Athlete::default();

    // First session: three proven skills, seven inferred below them; the reply counts
    // the inferred ones and names a step up from each thing trained.
    let first = leo.logs("3x10 pull-ups, 3x20 dips, 3x25 push-ups");
    assert_eq!(
        first.reply,
        "Logged 3 sets of Pull-up, 3 sets of Parallel bar dip and 3 sets of Push-up. \
         You mastered Push-up, Parallel bar dip and Pull-up (and the 7 steps before them)! \
         Now open: Diamond push-up, Chest-to-bar pull-up, Decline push-up and 10 more. \
         Next target: Chest-to-bar pull-up 3x5."
    );
    assert_eq!(first.mastered, ["push_up", "dip", "pull_up"]);
    assert_eq!(
        first.targets,
        ["chest_to_bar_pull_up", "diamond_push_up", "archer_pull_up"]
    );
    for inferred in [
        "dead_hang",
        "negative_pull_up",
        "support_hold",
        "negative_dip",
        "wall_push_up",
    ] {
        assert_eq!(
            leo.state(inferred),
            SkillState::Mastered(Mastery::Inferred),
            "{inferred}"
        );
    }
    assert_no_regression(&leo, &first.targets);

    // Wednesday: working on the next steps.
    let wednesday =
        leo.logs("5x4 chest-to-bar pull-ups, 3x20s ring support hold, 3x8 diamond push-ups");
    assert_eq!(
        wednesday.reply,
        "Logged 5 sets of Chest-to-bar pull-up, 3 sets of Ring support hold and 3 sets of \
         Diamond push-up. You mastered Diamond push-up! \
         Now open: Pseudo planche push-up and Archer push-up. \
         Next target: Chest-to-bar pull-up 3x5 (you're at 80% of it)."
    );
    assert_eq!(
        wednesday.targets,
        [
            "chest_to_bar_pull_up",
            "ring_support_hold",
            "pseudo_planche_push_up"
        ]
    );
    assert_no_regression(&leo, &wednesday.targets);

    // Friday: chest-to-bar and ring support done; muscle-up and ring dip open.
    let friday = leo.logs("3x5 chest-to-bar pull-ups, 3x30s ring support hold, 4x12 dips");
    assert_eq!(
        friday.reply,
        "Logged 3 sets of Chest-to-bar pull-up, 3 sets of Ring support hold and 4 sets of \
         Parallel bar dip. You mastered Ring support hold and Chest-to-bar pull-up! \
         Now open: Ring dip and Bar muscle-up. \
         Next target: Bar muscle-up 3x3."
    );
    assert_eq!(friday.targets, ["muscle_up", "ring_dip", "decline_push_up"]);
    assert_no_regression(&leo, &friday.targets);
}

/// Sam trains the front lever, with pull-ups and dips around it.
#[test]
fn an_advanced_athlete_training_the_front_lever() {
    let mut sam = Athlete::default();

    let first = sam
        .logs("3x12 pull-ups, 3x15 dips, 3x12s tuck front lever, 3x5s advanced tuck front lever");
    assert_eq!(
        first.reply,
        "Logged 3 sets of Pull-up, 3 sets of Parallel bar dip, 3 sets of Tuck front lever and \
         3 sets of Advanced tuck front lever. \
         You mastered Parallel bar dip, Pull-up and Tuck front lever (and the 5 steps before them)! \
         Now open: Chest-to-bar pull-up, Advanced tuck front lever, Archer pull-up and 5 more. \
         Next target: Advanced tuck front lever 3x10s (you're at 50% of it)."
    );
    assert_eq!(
        first.targets,
        [
            "advanced_tuck_front_lever",
            "chest_to_bar_pull_up",
            "archer_pull_up"
        ]
    );
    assert_no_regression(&sam, &first.targets);

    // Closer: the lever stays the target, nothing below it appears.
    let wednesday = sam.logs("advanced tuck front lever 5x8s, 4x10 pull-ups, 3x12 dips");
    assert_eq!(
        wednesday.reply,
        "Logged 5 sets of Advanced tuck front lever, 4 sets of Pull-up and 3 sets of \
         Parallel bar dip. Next target: Advanced tuck front lever 3x10s (you're at 80% of it)."
    );
    assert_eq!(wednesday.targets[0], "advanced_tuck_front_lever");
    assert_no_regression(&sam, &wednesday.targets);

    // Mastered, and a first try at the straddle the same day: the straddle is next.
    let friday = sam.logs(
        "3x10s advanced tuck front lever, 3x3s straddle front lever, 3x12 dips, 3x10 pull-ups",
    );
    assert_eq!(
        friday.reply,
        "Logged 3 sets of Advanced tuck front lever, 3 sets of Straddle front lever, \
         3 sets of Parallel bar dip and 3 sets of Pull-up. \
         You mastered Advanced tuck front lever! Now open: Straddle front lever. \
         Next target: Straddle front lever 3x5s (you're at 60% of it)."
    );
    assert_eq!(friday.targets[0], "straddle_front_lever");
    assert_eq!(sam.state("straddle_front_lever"), SkillState::Unlocked);
    assert_no_regression(&sam, &friday.targets);
}
