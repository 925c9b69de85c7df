//! Loads as calisthenics has them: band or machine assistance (`assist_kg`, less is
//! progress, never mastery), sets done on one side, and volume that counts a left+right
//! pair once unless the person counts each side.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::Method;
use serde_json::{Value, json};
use tora_e2e::{Stack, TestUser, assert_problem};

async fn chat(stack: &Stack, user: &TestUser, message: &str, client_id: &str) -> Value {
    let body = json!({"message": message, "client_message_id": client_id});
    let (status, _, answer) = stack.send_json(user, Method::POST, "/v1/chat", &body).await;
    assert_eq!(status, 200, "{message}: {answer}");
    assert_eq!(answer["status"], "logged", "{message}: {answer}");
    answer
}

fn sets_of<'a>(answer: &'a Value, exercise: &str) -> &'a Vec<Value> {
    answer["workout"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["exercise"] == exercise)
        .unwrap_or_else(|| panic!("no {exercise} in {answer}"))["sets"]
        .as_array()
        .unwrap()
}

/// `(assist_kg, added_kg, assisted, side)` of the user's stored sets of an exercise,
/// oldest first, as the database holds them.
async fn stored_sets(stack: &Stack, user: &TestUser, exercise: &str) -> Vec<Vec<Value>> {
    stack
        .sql(
            "select s.assist_kg::float8, s.added_kg::float8, s.assisted, s.side
             from workout_sets s join workouts w on w.id = s.workout_id
             join users u on u.id = s.user_id
             where u.auth_subject = $1 and s.exercise_id = $2
             order by w.performed_at, s.position",
            &[&user.subject, exercise],
        )
        .await
}

fn record<'a>(summary: &'a Value, exercise: &str) -> &'a Value {
    summary["personal_records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|record| record["exercise"] == exercise)
        .unwrap_or_else(|| panic!("no record for {exercise} in {summary}"))
}

fn legs_reps(summary: &Value) -> i64 {
    let weeks = summary["weeks"].as_array().unwrap();
    weeks.last().unwrap()["categories"]["legs"]["reps"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn assisted_sets_logged_by_chat_record_less_help_as_progress_and_never_master() {
    let stack = Stack::from_env();
    let user = stack.new_user();

    let heavy_help = chat(&stack, &user, "pull ups 3x8 -20kg assisted", "assist-1").await;
    assert_eq!(
        sets_of(&heavy_help, "pull_up")[0],
        json!({"reps": 8, "assist_kg": 20.0, "load_unit": "kg", "assisted": true})
    );
    let less_help = chat(
        &stack,
        &user,
        "pull ups 3x8 with 30 lbs assistance",
        "assist-2",
    )
    .await;
    // 30 lb is 13.6 kg, shown in the unit it was written in.
    assert_eq!(sets_of(&less_help, "pull_up")[2]["assist_kg"], 13.6);
    assert_eq!(sets_of(&less_help, "pull_up")[2]["load_unit"], "lb");
    let band = chat(
        &stack,
        &user,
        "pull ups 3x8 band assisted with the red band",
        "assist-3",
    )
    .await;
    assert_eq!(
        sets_of(&band, "pull_up")[1],
        json!({"reps": 8, "assisted": true}),
        "assisted without an amount"
    );

    // Nine sets of eight, every one helped: the pull-up is not mastered.
    for answer in [&heavy_help, &less_help, &band] {
        let mastered = answer["mastered"].as_array().unwrap();
        assert!(
            mastered.iter().all(|skill| skill["skill"] != "pull_up"),
            "{answer}"
        );
    }
    let (status, _, skill) = stack.get_json(&user, "/v1/skills/pull_up").await;
    assert_eq!(status, 200, "{skill}");
    assert_ne!(skill["state"], "mastered", "{skill}");
    assert_eq!(skill["mastery"], Value::Null);

    let stored = stored_sets(&stack, &user, "pull_up").await;
    assert_eq!(stored.len(), 9);
    assert_eq!(
        stored[0],
        [json!(20.0), Value::Null, json!(true), Value::Null]
    );
    assert_eq!(
        stored[3],
        [json!(13.6), Value::Null, json!(true), Value::Null]
    );
    assert_eq!(
        stored[8],
        [Value::Null, Value::Null, json!(true), Value::Null]
    );

    // The record is the least help, from the second session; no unassisted record.
    let (status, _, summary) = stack.get_json(&user, "/v1/stats/summary").await;
    assert_eq!(status, 200, "{summary}");
    let pull_up = record(&summary, "pull_up");
    assert_eq!(pull_up["min_assist_kg"]["assist_kg"], 13.6);
    assert_eq!(pull_up["min_assist_kg"]["reps"], 8);
    assert_eq!(pull_up["min_assist_kg"]["load_unit"], "lb");
    assert_eq!(
        pull_up["min_assist_kg"]["workout_id"],
        less_help["workout"]["id"]
    );
    assert_eq!(pull_up["max_reps"], Value::Null);
    assert_eq!(pull_up["max_added_kg"], Value::Null);

    // Eight unassisted reps three times do master it.
    let own = chat(&stack, &user, "pull ups 3x8", "assist-4").await;
    let mastered: Vec<&Value> = own["mastered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|skill| &skill["skill"])
        .collect();
    assert!(mastered.contains(&&json!("pull_up")), "{own}");
}

#[tokio::test]
async fn one_sided_sets_pair_once_in_volume_unless_each_side_is_counted() {
    let stack = Stack::from_env();
    let user = stack.new_user();

    let answer = chat(&stack, &user, "pistols 5 left leg, 4 right leg", "sides-1").await;
    assert_eq!(
        sets_of(&answer, "pistol_squat"),
        &vec![
            json!({"reps": 5, "side": "left"}),
            json!({"reps": 4, "side": "right"})
        ]
    );
    let stored = stored_sets(&stack, &user, "pistol_squat").await;
    assert_eq!(stored[0][3], "left");
    assert_eq!(stored[1][3], "right");

    // Split squats done on each side, three sets of six.
    stack
        .log_workout(
            &user,
            &json!({"entries": [{"exercise": "split_squat", "sets": [
                {"reps": 6, "each_side": true}, {"reps": 6, "each_side": true},
                {"reps": 6, "each_side": true}
            ]}]}),
        )
        .await;

    // By default the pair counts as its larger side (5) and each-side sets once (18).
    let (status, _, summary) = stack.get_json(&user, "/v1/stats/summary?weeks=1").await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(legs_reps(&summary), 23);
    let (_, _, history) = stack
        .get_json(&user, "/v1/stats/exercises/pistol_squat")
        .await;
    assert_eq!(history["sessions"][0]["volume"]["reps"], 5);

    let (status, _, me) = stack
        .send_json(
            &user,
            Method::PATCH,
            "/v1/me",
            &json!({"count_sides_separately": true}),
        )
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["count_sides_separately"], true);
    let (_, _, me) = stack.get_json(&user, "/v1/me").await;
    assert_eq!(me["count_sides_separately"], true);

    // Counting each side: 5 + 4, and 6 twice per set.
    let (_, _, summary) = stack.get_json(&user, "/v1/stats/summary?weeks=1").await;
    assert_eq!(legs_reps(&summary), 9 + 36);
    let (_, _, history) = stack
        .get_json(&user, "/v1/stats/exercises/pistol_squat")
        .await;
    assert_eq!(history["sessions"][0]["volume"]["reps"], 9);

    let (status, headers, body) = stack
        .send_json(
            &user,
            Method::PATCH,
            "/v1/me",
            &json!({"count_sides_separately": null}),
        )
        .await;
    assert_problem(status, &headers, &body, 422, "validation-failed");
}

#[tokio::test]
async fn loads_are_checked_and_a_refused_set_stores_nothing() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let post = |sets: Value| {
        let body = json!({"entries": [{"exercise": "pistol_squat", "sets": sets}]});
        let stack = &stack;
        let user = &user;
        async move {
            stack
                .send_json(user, Method::POST, "/v1/workouts", &body)
                .await
        }
    };

    for (sets, field) in [
        (
            json!([{"reps": 5, "side": "left", "each_side": true}]),
            "entries[0].sets[0]",
        ),
        (json!([{"reps": 5, "assist_kg": 0}]), "entries[0].sets[0]"),
        (json!([{"reps": 5, "assist_kg": -10}]), "entries[0].sets[0]"),
        (
            json!([{"reps": 5, "assist_kg": 1500}]),
            "entries[0].sets[0]",
        ),
        (
            json!([{"reps": 5, "added_kg": -10, "assist_kg": 10}]),
            "entries[0].sets[0]",
        ),
    ] {
        let (status, headers, body) = post(sets.clone()).await;
        assert_problem(status, &headers, &body, 422, "validation-failed");
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|error| error["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, [field], "{sets}: {body}");
    }
    let (status, headers, body) = post(json!([{"reps": 5, "side": "middle"}])).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(headers["content-type"], "application/problem+json");
    assert!(body.to_string().contains("side"), "{body}");
    assert!(stored_sets(&stack, &user, "pistol_squat").await.is_empty());

    // A negative added_kg, as assistance was written before, is stored as assist_kg.
    let workout = stack
        .log_workout(
            &user,
            &json!({"entries": [{"exercise": "dip", "sets": [
                {"reps": 6, "added_kg": -22.5, "load_unit": "kg"}
            ]}]}),
        )
        .await;
    assert_eq!(
        workout["entries"][0]["sets"][0],
        json!({"reps": 6, "assist_kg": 22.5, "load_unit": "kg", "assisted": true})
    );
    let stored = stored_sets(&stack, &user, "dip").await;
    assert_eq!(
        stored,
        [[json!(22.5), Value::Null, json!(true), Value::Null]]
    );

    // The export carries both in its set columns.
    let (status, _, export) = stack.get_json(&user, "/v1/me/export").await;
    assert_eq!(status, 200, "{export}");
    assert_eq!(
        export["workouts"][0]["entries"][0]["sets"][0]["assist_kg"],
        22.5
    );
    let text = stack.export_csv(&user).await;
    let rows = tora_test_support::csv::parse(&text).unwrap();
    let header = &rows[0];
    let column = |name: &str| header.iter().position(|cell| cell == name).unwrap();
    let set_row = rows.iter().find(|row| row[0] == "workout_set").unwrap();
    assert_eq!(set_row[column("assist_kg")], "22.5");
    assert_eq!(set_row[column("added_kg")], "");
    assert_eq!(set_row[column("side")], "");
    assert_eq!(set_row[column("assisted")], "true");
}

#[tokio::test]
async fn sets_logged_one_side_at_a_time_meet_a_per_side_goal() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    // The pistol squat's goal is 3x5 each side; two sets on the right are not three.
    let short = chat(&stack, &user, "pistol squats 3x5 left, 2x5 right", "pair-1").await;
    assert!(
        short["mastered"]
            .as_array()
            .unwrap()
            .iter()
            .all(|skill| skill["skill"] != "pistol_squat"),
        "{short}"
    );
    let (_, _, skill) = stack.get_json(&user, "/v1/skills/pistol_squat").await;
    assert_ne!(skill["state"], "mastered", "{skill}");

    let paired = chat(&stack, &user, "pistol squats 3x5 left, 3x5 right", "pair-2").await;
    assert!(
        paired["mastered"]
            .as_array()
            .unwrap()
            .iter()
            .any(|skill| skill["skill"] == "pistol_squat"),
        "{paired}"
    );
    let (_, _, skill) = stack.get_json(&user, "/v1/skills/pistol_squat").await;
    assert_eq!(skill["state"], "mastered", "{skill}");
}
