//! Generated text, from a fixed-seed generator (no dependency needed): the parser
//! must return an outcome for anything, never panic, and serialize it. Readings
//! mixed with structure must be read exactly or be unsure: remarks about particular
//! sets and intervals never log, rests never become sets, rounds give each exercise
//! one set per round.

use tora_core::domain::catalog::Catalog;
use tora_core::domain::parser::{ParseOutcome, parse};

/// xorshift64*: deterministic, so a failure reproduces.
struct Generator(u64);

impl Generator {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Pieces that exercise every path: numbers, units, signs, names, markers, unicode.
const PIECES: &[&str] = &[
    "3",
    "8",
    "10",
    "0",
    "1.5",
    "99999999999999999999",
    "1:30",
    "0:00",
    "12:",
    ":",
    "x",
    "×",
    "*",
    "-",
    "–",
    "+",
    "@",
    "/",
    ",",
    ";",
    "&",
    "|",
    ".",
    "!",
    "?",
    "\n",
    "\r\n",
    " ",
    "  ",
    "(",
    ")",
    "\"",
    "'",
    "%",
    "#",
    "kg",
    "lb",
    "lbs",
    "s",
    "sec",
    "min",
    "reps",
    "sets",
    "rounds",
    "rpe",
    "rir",
    "each",
    "side",
    "per",
    "leg",
    "band",
    "with",
    "at",
    "and",
    "then",
    "but",
    "felt",
    "tomorrow",
    "did",
    "didn't",
    "what",
    "should",
    "a",
    "an",
    "three",
    "bw",
    "weighted",
    "rest",
    "between",
    "to",
    "failure",
    "day",
    "pull-ups",
    "pullups",
    "pul ups",
    "dips",
    "l-sit",
    "plank",
    "pistols",
    "c2b",
    "hs",
    "tuck gl",
    "oapu",
    "farmer",
    "💪",
    "🔥",
    "é",
    "ß",
    "日本",
    "\u{0}",
    "\u{200b}",
    "İ",
    "ﬁ",
    "1.",
    "2)",
    "- ",
    "• ",
];

fn message(generator: &mut Generator) -> String {
    let pieces = 1 + generator.below(14);
    (0..pieces)
        .map(|_| {
            let piece = generator.pick(PIECES);
            if generator.below(3) == 0 {
                format!("{piece} ")
            } else {
                piece.to_owned()
            }
        })
        .collect()
}

fn random_text(generator: &mut Generator) -> String {
    let length = generator.below(40);
    (0..length)
        .filter_map(|_| char::from_u32(generator.below(0x3000) as u32))
        .collect()
}

#[test]
fn generated_messages_never_panic() {
    let catalog = Catalog::embedded().unwrap();
    let mut generator = Generator(0x9e37_79b9_7f4a_7c15);
    let mut kinds = [0usize; 3];
    for round in 0..20_000 {
        let text = if round % 4 == 0 {
            random_text(&mut generator)
        } else {
            message(&mut generator)
        };
        let outcome = parse(&text, catalog);
        serde_json::to_string(&outcome).unwrap();
        let kind = match outcome {
            ParseOutcome::Workout(workout) => {
                assert!(!workout.entries.is_empty(), "{text:?}");
                for entry in &workout.entries {
                    assert!(!entry.sets.is_empty(), "{text:?}");
                    assert!(catalog.exercise(&entry.exercise).is_some(), "{text:?}");
                    for set in &entry.sets {
                        assert!(set.reps.is_some() || set.seconds.is_some(), "{text:?}");
                    }
                }
                0
            }
            ParseOutcome::NotWorkout => 1,
            ParseOutcome::Unsure { .. } => 2,
        };
        kinds[kind] += 1;
    }
    // The generator reaches every outcome, so the paths above are really exercised.
    assert!(kinds.iter().all(|&count| count > 0), "{kinds:?}");
}

#[test]
fn huge_and_degenerate_inputs_are_handled() {
    let catalog = Catalog::embedded().unwrap();
    for text in [
        "3".repeat(5_000),
        "x".repeat(3_000),
        "pull-ups ".repeat(400),
        "1:".repeat(1_000),
        ",".repeat(3_000),
        "\n".repeat(3_000),
        "9".repeat(300) + "x" + &"9".repeat(300),
    ] {
        let _ = parse(&text, catalog);
    }
}

/// A reading whose sets are known: the message part, the exercise and its sets as
/// (reps, seconds).
type Base = (&'static str, &'static str, &'static [(u32, u32)]);

/// No value is one of [`REST_SECONDS`].
const BASES: &[Base] = &[
    ("3x8 pull-ups", "pull_up", &[(8, 0), (8, 0), (8, 0)]),
    ("pull ups 8, 8, 6", "pull_up", &[(8, 0), (8, 0), (6, 0)]),
    ("dips 3 sets of 10", "dip", &[(10, 0), (10, 0), (10, 0)]),
    (
        "4 x 20s l-sit",
        "l_sit",
        &[(0, 20), (0, 20), (0, 20), (0, 20)],
    ),
    ("push ups 20/15/12", "push_up", &[(20, 0), (15, 0), (12, 0)]),
    ("plank 3x45s", "plank", &[(0, 45), (0, 45), (0, 45)]),
    ("5 sets of 5 chin ups", "chin_up", &[(5, 0); 5]),
];

/// Rest periods are drawn from numbers no base uses as reps or seconds.
const REST_SECONDS: &[u32] = &[37, 41, 43, 47, 53, 59, 67, 71, 73, 79, 83, 89, 97];

/// Ways to write a rest; `{}` is the number.
const RESTS: &[&str] = &[
    "{}s rest",
    "rest {}s",
    "rest {} sec",
    "{} sec between sets",
    "rest: {}s",
    "with {}s rest",
    "({}s rest)",
    "{} seconds rest between rounds",
    "rest {}",
    "{} rest",
    "{} between sets",
    "{} secs recovery",
    "resting {}s in between",
];

/// Remarks about particular sets, intervals and tempos: no count of sets holds them.
/// `{}` is a small number.
const QUALIFIERS: &[&str] = &[
    "last set only {}",
    "first two sets with {}kg",
    "the last one to failure at {}",
    "dropped to {} on set 3",
    "{} on the third",
    "failed the last rep",
    "couldn't finish the last set",
    "set 3: {}",
    "set 2 - {}",
    "emom {} min",
    "every minute for {} min",
    "amrap {} min",
    "{}s on 10s off",
    "tempo 3-1-{}",
    "{}-1-1 tempo",
    "twice",
    "every other set with band",
    "last two with band",
    "second set was {}",
    "band on the final one",
];

const SEPARATORS: &[&str] = &[", ", " - ", "\n", " ", " but ", ". ", " (", "; "];

fn fill(template: &str, value: u32) -> String {
    template.replace("{}", &value.to_string())
}

#[test]
fn remarks_about_particular_sets_are_never_logged() {
    let catalog = Catalog::embedded().unwrap();
    let mut generator = Generator(0x2545_f491_4f6c_dd1d);
    for _ in 0..3_000 {
        let (base, _, _) = BASES[generator.below(BASES.len())];
        let remark = fill(generator.pick(QUALIFIERS), 2 + generator.below(9) as u32);
        let separator = generator.pick(SEPARATORS);
        let text = if generator.below(4) == 0 {
            format!("{remark}{separator}{base}")
        } else {
            format!("{base}{separator}{remark}")
        };
        let outcome = parse(&text, catalog);
        assert!(
            !matches!(outcome, ParseOutcome::Workout(_)),
            "{text:?} was logged: {}",
            serde_json::to_string(&outcome).unwrap()
        );
    }
}

#[test]
fn rest_periods_never_become_sets() {
    let catalog = Catalog::embedded().unwrap();
    let mut generator = Generator(0xd1b5_4a32_d192_ed03);
    let mut read = 0;
    for _ in 0..3_000 {
        let (base, exercise, expected) = BASES[generator.below(BASES.len())];
        let rest_seconds = REST_SECONDS[generator.below(REST_SECONDS.len())];
        let rest = fill(generator.pick(RESTS), rest_seconds);
        let separator = generator.pick(SEPARATORS);
        let text = if generator.below(3) == 0 {
            format!("{rest}{separator}{base}")
        } else {
            format!("{base}{separator}{rest}")
        };
        let ParseOutcome::Workout(workout) = parse(&text, catalog) else {
            continue;
        };
        read += 1;
        let [entry] = &workout.entries[..] else {
            panic!("{text:?}: {:?}", workout.entries);
        };
        let sets: Vec<(u32, u32)> = entry
            .sets
            .iter()
            .map(|set| (set.reps.unwrap_or(0), set.seconds.unwrap_or(0.0) as u32))
            .collect();
        assert_eq!(entry.exercise, exercise, "{text:?}");
        assert_eq!(sets, expected, "{text:?}");
    }
    // Rests are skipped, not refused: most of these are read.
    assert!(read > 1_500, "only {read} of 3000 read");
}

#[test]
fn rounds_give_every_exercise_one_set_per_round_or_are_unsure() {
    let catalog = Catalog::embedded().unwrap();
    let mut generator = Generator(0x9e37_79b9_7f4a_7c15);
    let forms = [
        "{n} rounds of {a} pull ups and {b} dips",
        "{n} rounds: {a} pull ups, {b} dips",
        "{n} rounds\n{a} pull ups\n{b} dips",
        "circuit x{n}: {a} pull ups / {b} dips",
        "{n} supersets of {a} pull ups and {b} dips",
        "{a} pull ups, {b} dips, {n} rounds",
        "{a} pull ups and {b} dips x {n} rounds",
        "{n} rounds of {a} pull ups, then {b} dips",
        "{a} pull ups then {n} rounds of {b} dips",
        "{n} rounds of {a} pull ups and {b} dips, last round {a} dips",
        "{n} rounds of {a} pull ups and {b} dips, rest 90s between rounds",
        "{n} x ({a} pull ups + {b} dips)",
    ];
    let mut read = 0;
    for _ in 0..2_000 {
        let rounds = 2 + generator.below(5) as u32;
        let first = 5 + generator.below(6) as u32;
        let second = 12 + generator.below(6) as u32;
        let text = generator
            .pick(&forms)
            .replace("{n}", &rounds.to_string())
            .replace("{a}", &first.to_string())
            .replace("{b}", &second.to_string());
        let ParseOutcome::Workout(workout) = parse(&text, catalog) else {
            continue;
        };
        read += 1;
        let reps = |exercise: &str| -> Vec<Option<u32>> {
            workout
                .entries
                .iter()
                .filter(|entry| entry.exercise == exercise)
                .flat_map(|entry| entry.sets.iter().map(|set| set.reps))
                .collect()
        };
        assert_eq!(
            reps("pull_up"),
            vec![Some(first); rounds as usize],
            "{text:?}"
        );
        assert_eq!(reps("dip"), vec![Some(second); rounds as usize], "{text:?}");
    }
    assert!(read > 500, "only {read} of 2000 read");
}
