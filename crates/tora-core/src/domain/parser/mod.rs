//! The deterministic workout parser: reads the common ways people write training
//! ("3x8 pull-ups", "pull-ups: 8, 7, 6", "4 x 20s L-sit", "+10kg", "with band",
//! "each side", "@ RPE 8", several exercises in one message) into catalog exercises
//! and sets. Pure and total: no I/O, no panics, the same answer for the same text.
//!
//! Three outcomes:
//! - `Workout`: every number and exercise name of the logged part was read;
//! - `NotWorkout`: greetings, thanks, questions ("should I do 5x5?") and plans
//!   ("tomorrow I'll do 3x8 pull-ups"), or text without numbers or exercise names;
//! - `Unsure`: training-like text it cannot read with confidence. Then the whole
//!   message is unsure — a set is never invented nor dropped — and a later model step
//!   reads it. That includes exercises outside the catalog ("3x10 farmer walks"):
//!   the parser never creates custom exercises (`POST /v1/workouts` does), an exercise
//!   named without numbers ("did pull-ups today"), a typo equally close to two
//!   exercises, and negated training ("didn't do dips").
//!
//! The JSON form ([`ParseOutcome`]'s `Serialize`) is a public contract:
//! `{"kind":"workout","entries":[{"exercise":"pull_up","sets":[{"reps":8}]}]}`,
//! `{"kind":"not_workout"}`, `{"kind":"unsure"}`. A set's fields come in the order
//! reps, reps_max, seconds, added_kg, assisted, each_side, rpe; absent and false
//! fields are left out; integral numbers are written without a fraction (`20`, not
//! `20.0`). The unit a load was written in is kept (`load_unit`) but not serialized.
//!
//! Reading rules worth knowing:
//! - "NxM" is N sets of M; a range "8-10" is reps 8, reps_max 10; "8-7-6" and "8/7/6"
//!   are lists of sets; a bare number for a hold (a skill whose goal is in seconds,
//!   like the plank or the L-sit) is seconds.
//! - A modifier (load, band, side, effort) written once for an exercise applies to
//!   all its sets; written for several of its sets, each keeps its own.
//! - "each" alone means each side only for one-sided skills (pistols, archer work);
//!   "3 sets of 8 reps each" is per set.
//! - lb are converted to kg (0.45359237, one decimal); RIR becomes RPE 10 - RIR;
//!   rest periods ("90s rest") are not sets.
//! - The same exercise written in consecutive clauses is one entry; named again after
//!   another exercise, it is a new entry, in the order written.
//! - "4 sets 20, 18, 15, 12" lists the four sets; "3 sets 8, 8, 7, 6" is unclear.
//! - "1 min 30" and `1'30"` are 90 s; "pistols 5 each side x 3" is three sets.
//! - "@ 8" is an effort but "at 6" may be a time of day (unclear); a time written with
//!   "practice" and no count of sets is time spent, not a hold; "100 push-ups in 5 sets" does not say how
//!   they were split. All three are unsure.
//! - Besides the catalog's aliases, the parser reads a few names of its own
//!   (`names::EXTRA_NAMES`: "front lever tuck", "aussie rows"...).
//! - Structure is read exactly or the message is unsure (`structure`): "3 rounds of
//!   10 push-ups and 5 pull-ups" (or "circuit x3:", "3 supersets of") is 3 sets of
//!   each, when the rounds are counted once before every exercise and each has one
//!   amount or one per round; rounds counted last or followed by "then" are unsure.
//!   A superset or circuit without rounds needs every exercise's own sets; "A1"/"B2"
//!   labels are layout. A ladder or pyramid is read when its sets are written out in
//!   even steps ("1-2-3-4-5", "2,4,6,4,2"), not "ladder 1-5" or "pyramid 1-10-1".
//!   "set 1: 8, set 2: 7" labels count from 1 and stand alone.
//! - A remark about particular sets ("last set only 6", "first two with 10kg", "8 on
//!   the third", "failed the last rep") makes the message unsure, and so do sets on
//!   a clock ("emom", "every minute", "amrap 12 min", "20s on 10s off") and a tempo
//!   written with numbers ("3-1-1 tempo").
//! - A rest is never a set: "90s rest", "rest 2-3 min", "3 min between", "pull-ups 8,
//!   rest 2 min, 8" are skipped; a rest without its unit ("90 rest") or between two
//!   times ("plank 60s rest 30s") is unsure.

mod clauses;
mod grouping;
mod items;
mod lexer;
mod names;
mod reader;
mod sets;
mod structure;
mod vocabulary;

use serde::Serialize;
use serde::ser::Serializer;

use crate::domain::catalog::Catalog;
use crate::domain::workout::SetFields;

/// Longer messages are not gym notes; reading them is left to the model.
const MAX_MESSAGE_CHARS: usize = 4_000;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ParseOutcome {
    Workout(ParsedWorkout),
    NotWorkout,
    Unsure {
        /// Why, for logs and tests; not part of the JSON contract.
        #[serde(skip)]
        reason: UnsureReason,
    },
}

/// Why a message could not be read with confidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsureReason {
    /// A word that is neither an exercise nor known vocabulary, next to numbers.
    UnknownWord,
    /// A typo as close to one exercise as to another.
    AmbiguousExercise,
    /// An exercise named without sets ("did pull-ups today").
    ExerciseWithoutSets,
    /// Sets that belong to no exercise ("did 3x8 today").
    SetsWithoutExercise,
    /// Numbers without a clear structure.
    UnclearNumbers,
    /// Training mentioned in a negation ("didn't", "skipped", "without").
    Negation,
    /// Training mixed with a plan, not clearly done.
    PlanOrLog,
    /// Longer than any training note.
    TooLong,
}

impl UnsureReason {
    pub fn as_str(self) -> &'static str {
        match self {
            UnsureReason::UnknownWord => "unknown_word",
            UnsureReason::AmbiguousExercise => "ambiguous_exercise",
            UnsureReason::ExerciseWithoutSets => "exercise_without_sets",
            UnsureReason::SetsWithoutExercise => "sets_without_exercise",
            UnsureReason::UnclearNumbers => "unclear_numbers",
            UnsureReason::Negation => "negation",
            UnsureReason::PlanOrLog => "plan_or_log",
            UnsureReason::TooLong => "too_long",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedWorkout {
    pub entries: Vec<ParsedEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedEntry {
    /// A catalog exercise id.
    pub exercise: String,
    #[serde(serialize_with = "contract_sets")]
    pub sets: Vec<ParsedSet>,
}

/// One set as read: the one set type, serialised in the parse contract's form.
pub type ParsedSet = SetFields;

fn contract_sets<S: Serializer>(sets: &[ParsedSet], serializer: S) -> Result<S::Ok, S::Error> {
    struct Contract<'a>(&'a ParsedSet);
    impl Serialize for Contract<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            self.0.serialize_contract(serializer)
        }
    }
    serializer.collect_seq(sets.iter().map(Contract))
}

/// Reads one chat message. See the module documentation for what it understands.
pub fn parse(message: &str, catalog: &Catalog) -> ParseOutcome {
    match read(message, catalog) {
        Ok(entries) if entries.is_empty() => ParseOutcome::NotWorkout,
        Ok(entries) => ParseOutcome::Workout(ParsedWorkout { entries }),
        Err(reason) => ParseOutcome::Unsure { reason },
    }
}

fn read(message: &str, catalog: &Catalog) -> Result<Vec<ParsedEntry>, UnsureReason> {
    if message.chars().count() > MAX_MESSAGE_CHARS {
        return Err(UnsureReason::TooLong);
    }
    let tokens = lexer::lex(message);
    let lexemes = names::read_names(&tokens, catalog);
    let log = clauses::log_runs(clauses::sentences(lexemes))?;
    let mut groups = Vec::new();
    for run in log.runs {
        groups.extend(grouping::groups(run)?);
    }
    structure::check_labels(&groups)?;
    structure::spread_rounds(&mut groups)?;
    let rounds = groups.iter().any(|group| group.rounds);
    let mut entries: Vec<ParsedEntry> = Vec::with_capacity(groups.len());
    for group in groups {
        let next = entry(group, catalog)?;
        // "Set 1: 10 push-ups, set 2: 8 push-ups" is one exercise.
        match entries.last_mut() {
            Some(last) if last.exercise == next.exercise => last.sets.extend(next.sets),
            _ => entries.push(next),
        }
    }
    if log.structure.circuit && !rounds {
        structure::check_circuit(&entries)?;
    }
    if log.structure.ladder {
        structure::check_ladder(&entries)?;
    }
    Ok(entries)
}

/// Exercises outside the skill tree trained one side at a time.
const ONE_SIDED_EXERCISES: &[&str] = &["lunge"];

fn entry(group: grouping::Group<'_>, catalog: &Catalog) -> Result<ParsedEntry, UnsureReason> {
    let skill = catalog.skill(group.exercise);
    let traits = sets::ExerciseTraits {
        hold: skill.is_some_and(|skill| skill.is_hold()),
        one_sided: skill.is_some_and(|skill| skill.goal().each_side)
            || ONE_SIDED_EXERCISES.contains(&group.exercise),
    };
    // "pistols 5/5" is more likely left/right than two sets.
    if group.slash_list && traits.one_sided {
        return Err(UnsureReason::UnclearNumbers);
    }
    let sets = sets::resolve_sets(group.items, traits)?;
    structure::check_labelled_sets(&group.set_labels, &sets)?;
    Ok(ParsedEntry {
        exercise: group.exercise.to_owned(),
        sets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::profile::Units;
    use serde_json::json;

    fn json_of(message: &str) -> serde_json::Value {
        let catalog = Catalog::embedded().unwrap();
        serde_json::to_value(parse(message, catalog)).unwrap()
    }

    #[test]
    fn the_json_contract_has_three_kinds() {
        assert_eq!(
            json_of("3x8 pull-ups, 2 x 20s l-sit"),
            json!({"kind": "workout", "entries": [
                {"exercise": "pull_up", "sets": [{"reps": 8}, {"reps": 8}, {"reps": 8}]},
                {"exercise": "l_sit", "sets": [{"seconds": 20}, {"seconds": 20}]},
            ]})
        );
        assert_eq!(json_of("hi coach!"), json!({"kind": "not_workout"}));
        assert_eq!(json_of("3x10 farmer walks"), json!({"kind": "unsure"}));
    }

    #[test]
    fn set_fields_keep_their_order_and_integral_numbers_have_no_fraction() {
        let set = ParsedSet {
            reps: Some(8),
            reps_max: Some(10),
            seconds: Some(20.0),
            added_kg: Some(9.1),
            assist_kg: None,
            load_unit: Some(Units::Lb),
            assisted: true,
            each_side: true,
            side: None,
            rpe: Some(8.5),
        };
        let contract = |set: &ParsedSet| {
            let mut out = Vec::new();
            set.serialize_contract(&mut serde_json::Serializer::new(&mut out))
                .unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(
            contract(&set),
            r#"{"reps":8,"reps_max":10,"seconds":20,"added_kg":9.1,"assisted":true,"each_side":true,"rpe":8.5}"#
        );
        assert_eq!(contract(&ParsedSet::default()), "{}");
        // The API's form of the same set names the unit the load was written in.
        assert_eq!(
            serde_json::to_string(&set).unwrap(),
            r#"{"reps":8,"reps_max":10,"seconds":20.0,"added_kg":9.1,"load_unit":"lb","assisted":true,"each_side":true,"rpe":8.5}"#
        );
    }

    #[test]
    fn parsed_sets_convert_to_storable_sets() {
        let catalog = Catalog::embedded().unwrap();
        let ParseOutcome::Workout(workout) = parse("pull-ups 3x5 +20 lb @ rpe 8", catalog) else {
            panic!("not read");
        };
        let set = crate::domain::workout::LoggedSet::new(workout.entries[0].sets[0]).unwrap();
        assert_eq!(set.added_kg, Some(9.1));
        assert_eq!(set.load_unit, Some(Units::Lb));
        assert_eq!(set.rpe, Some(8.0));
    }

    #[test]
    fn overlong_messages_are_unsure() {
        let catalog = Catalog::embedded().unwrap();
        let message = "3x8 pull-ups, ".repeat(400);
        assert_eq!(
            parse(&message, catalog),
            ParseOutcome::Unsure {
                reason: UnsureReason::TooLong
            }
        );
    }
}
