//! Parser throughput: every corpus message parsed repeatedly, natively. Run with
//! `cargo bench -p tora-core --bench parser`. The worker parses one message per chat
//! request, so what matters is the per-message time staying in microseconds (the
//! Workers CPU budget is milliseconds); this prints it rather than asserting it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// A benchmark measures wall time; the clock port is for request paths.
#![allow(clippy::disallowed_methods)]

use std::hint::black_box;
use std::time::Instant;

use tora_core::domain::catalog::Catalog;
use tora_core::domain::parser::parse;

fn main() {
    let catalog = Catalog::embedded().unwrap();
    let corpus = include_str!("../tests/parser_corpus/corpus.jsonl");
    let messages: Vec<String> = corpus
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let case: serde_json::Value = serde_json::from_str(line).unwrap();
            case["message"].as_str().unwrap().to_owned()
        })
        .collect();
    let longest = "3x8 pull-ups, then 4 x 20s L-sit, ".repeat(110);

    for (name, inputs) in [
        ("corpus messages", messages.clone()),
        ("4 KB message", vec![longest]),
    ] {
        let rounds = if inputs.len() > 1 { 200 } else { 2_000 };
        let started = Instant::now();
        for _ in 0..rounds {
            for message in &inputs {
                black_box(parse(black_box(message), catalog));
            }
        }
        let per_message = started.elapsed() / (rounds * inputs.len() as u32);
        println!(
            "{name}: {per_message:?} per message ({} messages x {rounds})",
            inputs.len()
        );
    }
}
