//! The parser against its corpus: `corpus.jsonl` holds one case per line,
//! `{"message": ..., "expected": <the JSON contract>}`, written by hand in many styles
//! (gym notes, chatty sentences, typos, slang, units, holds, supersets, multiline,
//! chit-chat, questions, plans, unreadable text). Every failing case is reported with
//! its message, the expected and the actual outcome. Outcomes are compared as JSON
//! values, so `20` and `20.0` would differ: the contract writes integral numbers
//! without a fraction.
//!
//! `robustness.rs` feeds the parser generated text: it must never panic, never log
//! a remark about particular sets or sets on a clock, and never turn a rest or a
//! count of rounds into reps or seconds.

// Test helpers outside `#[test]` functions are not covered by clippy.toml's
// allow-*-in-tests; a failed unwrap here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod robustness;

use serde_json::Value;
use tora_core::domain::catalog::Catalog;
use tora_core::domain::parser::parse;

const CORPUS: &str = include_str!("corpus.jsonl");

struct Case {
    line: usize,
    message: String,
    expected: Value,
}

fn cases() -> Vec<Case> {
    CORPUS
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            let mut case: Value = serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("corpus.jsonl line {}: {error}", index + 1));
            let message = case["message"]
                .as_str()
                .unwrap_or_else(|| panic!("corpus.jsonl line {}: no message", index + 1))
                .to_owned();
            Case {
                line: index + 1,
                message,
                expected: case["expected"].take(),
            }
        })
        .collect()
}

#[test]
fn every_corpus_message_parses_as_expected() {
    let catalog = Catalog::embedded().unwrap();
    let cases = cases();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let actual = serde_json::to_value(parse(&case.message, catalog)).unwrap();
            (actual != case.expected).then(|| {
                format!(
                    "line {}: {:?}\n  expected: {}\n  actual:   {}",
                    case.line, case.message, case.expected, actual
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} corpus cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn the_corpus_is_large_and_covers_every_kind() {
    let cases = cases();
    assert!(cases.len() >= 150, "only {} cases", cases.len());
    for kind in ["workout", "not_workout", "unsure"] {
        let count = cases
            .iter()
            .filter(|case| case.expected["kind"] == kind)
            .count();
        assert!(count >= 20, "only {count} `{kind}` cases");
    }
    let mut messages: Vec<&str> = cases.iter().map(|case| case.message.as_str()).collect();
    messages.sort_unstable();
    let before = messages.len();
    messages.dedup();
    assert_eq!(messages.len(), before, "duplicate messages in the corpus");
}

#[test]
fn the_parser_is_deterministic() {
    let catalog = Catalog::embedded().unwrap();
    for case in cases() {
        assert_eq!(
            parse(&case.message, catalog),
            parse(&case.message, catalog),
            "{:?}",
            case.message
        );
    }
}
