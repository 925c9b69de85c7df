//! Generated text, from a fixed-seed generator (no dependency needed): the parser
//! must return an outcome for anything, never panic, and serialize it.

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
