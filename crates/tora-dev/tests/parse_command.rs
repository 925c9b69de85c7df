//! `tora-dev parse` as a process: lines in on stdin, one JSON outcome per line out.

// Test helpers outside `#[test]` functions are not covered by clippy.toml's
// allow-*-in-tests; a failed unwrap here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

fn run_parse(input: &str) -> Vec<String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tora-dev"))
        .arg("parse")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("tora-dev starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "exit status {}", output.status);
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn prints_one_outcome_per_line_in_contract_form() {
    let lines = run_parse(concat!(
        "3x8 pull-ups\n",
        "\"Pull-ups:\\n8\\n7\\n6\\nL-sit 3 x 20s\"\n",
        "\n",
        "should I do 5x5?\n",
        "3x10 farmer walks\n",
        "\"not a valid literal\n",
        "dips 3x10 +20 lb @ rpe 8",
    ));
    assert_eq!(
        lines,
        [
            r#"{"kind":"workout","entries":[{"exercise":"pull_up","sets":[{"reps":8},{"reps":8},{"reps":8}]}]}"#,
            r#"{"kind":"workout","entries":[{"exercise":"pull_up","sets":[{"reps":8},{"reps":7},{"reps":6}]},{"exercise":"l_sit","sets":[{"seconds":20},{"seconds":20},{"seconds":20}]}]}"#,
            r#"{"kind":"not_workout"}"#,
            r#"{"kind":"not_workout"}"#,
            r#"{"kind":"unsure"}"#,
            r#"{"kind":"unsure"}"#,
            r#"{"kind":"workout","entries":[{"exercise":"dip","sets":[{"reps":10,"added_kg":9.1,"rpe":8},{"reps":10,"added_kg":9.1,"rpe":8},{"reps":10,"added_kg":9.1,"rpe":8}]}]}"#,
        ]
    );
}

#[test]
fn answers_each_line_before_the_next_arrives() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tora-dev"))
        .arg("parse")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("tora-dev starts");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    for (message, expected) in [
        ("hi", r#"{"kind":"not_workout"}"#),
        (
            "8 dips",
            r#"{"kind":"workout","entries":[{"exercise":"dip","sets":[{"reps":8}]}]}"#,
        ),
    ] {
        writeln!(stdin, "{message}").unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert_eq!(line.trim_end(), expected);
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}
