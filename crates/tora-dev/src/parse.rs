//! `tora-dev parse`: runs the deterministic workout parser over stdin, one message
//! per line, and prints one JSON outcome per line (the parser's public contract,
//! `{"kind":"workout",...}`, `{"kind":"not_workout"}` or `{"kind":"unsure"}`),
//! flushed after every line so it can be driven line by line.
//!
//! Input lines:
//! - a line starting with `"` is a JSON string literal, so a message can hold
//!   newlines: `"pull-ups 3x8\ndips 3x10"`;
//! - any other line is the message text as is;
//! - a blank line is an empty message, which is `not_workout`;
//! - a line starting with `"` that is not a valid JSON string is `unsure`: what the
//!   message says cannot be known;
//! - a trailing `\r` is dropped, and invalid UTF-8 is replaced, never fatal.

use std::io::{BufRead, Write};

use tora_core::domain::catalog::Catalog;
use tora_core::domain::parser::parse;

/// Reads messages from `input` until it ends, writing one outcome per line.
pub fn run(mut input: impl BufRead, mut output: impl Write) -> anyhow::Result<()> {
    let catalog = Catalog::embedded().map_err(|error| anyhow::anyhow!("catalog: {error}"))?;
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        writeln!(output, "{}", outcome_json(&text, catalog))?;
        output.flush()?;
    }
}

const UNSURE: &str = r#"{"kind":"unsure"}"#;

/// The JSON outcome for one input line (with or without its line ending), fields in
/// contract order.
pub fn outcome_json(line: &str, catalog: &Catalog) -> String {
    let line = line.trim_end_matches(['\n', '\r']);
    let message = if line.trim_start().starts_with('"') {
        match serde_json::from_str::<String>(line.trim()) {
            Ok(message) => message,
            Err(_) => return UNSURE.to_owned(),
        }
    } else {
        line.to_owned()
    };
    serde_json::to_string(&parse(&message, catalog)).unwrap_or_else(|_| UNSURE.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn outcomes(input: &str) -> Vec<serde_json::Value> {
        let mut output = Vec::new();
        run(input.as_bytes(), &mut output).unwrap();
        String::from_utf8(output)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    #[test]
    fn each_line_is_one_message_and_json_literals_may_hold_newlines() {
        let outcomes =
            outcomes("3x8 pull-ups\r\n\"pull-ups 3x8\\ndips 3x10\"\n\nhi\n\"unterminated\n");
        assert_eq!(
            outcomes,
            [
                json!({"kind": "workout", "entries": [
                    {"exercise": "pull_up", "sets": [{"reps": 8}, {"reps": 8}, {"reps": 8}]}
                ]}),
                json!({"kind": "workout", "entries": [
                    {"exercise": "pull_up", "sets": [{"reps": 8}, {"reps": 8}, {"reps": 8}]},
                    {"exercise": "dip", "sets": [{"reps": 10}, {"reps": 10}, {"reps": 10}]}
                ]}),
                json!({"kind": "not_workout"}),
                json!({"kind": "not_workout"}),
                json!({"kind": "unsure"}),
            ]
        );
    }

    #[test]
    fn a_last_line_without_newline_is_read_and_invalid_utf8_is_not_fatal() {
        let mut output = Vec::new();
        run(&b"hello \xff\n8 pull ups"[..], &mut output).unwrap();
        assert_eq!(
            String::from_utf8(output).unwrap(),
            "{\"kind\":\"not_workout\"}\n{\"kind\":\"workout\",\"entries\":[{\"exercise\":\"pull_up\",\"sets\":[{\"reps\":8}]}]}\n"
        );
    }
}
