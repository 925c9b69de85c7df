//! `GET /v1/me/export`: everything the caller stored, as a JSON or CSV download, and
//! nothing anyone else stored.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::Method;
use serde_json::{Value, json};
use tora_e2e::{Stack, TestUser, assert_problem, read};

/// A chat body with everything CSV has to escape: a comma, quotes and a newline.
const CHAT_BODY: &str = "3x8 pull-ups, then \"L-sit\"\n20s";

async fn log(stack: &Stack, user: &TestUser, body: Value) -> Value {
    stack.log_workout(user, &body).await
}

/// A user with a profile, two workouts (one with a custom exercise) and their
/// memories, and an answered chat message; returns the workouts, oldest first.
async fn user_with_data(stack: &Stack, user: &TestUser) -> (Value, Value) {
    let (status, _, body) = read(
        stack
            .authed(Method::PATCH, "/v1/me", user)
            .json(&json!({"display_name": "Ana", "timezone": "Europe/Berlin"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let newer = log(
        stack,
        user,
        json!({"performed_at": "2026-11-20T18:30:00Z", "notes": "grip gave out, then \"rested\"",
               "entries": [
                   {"exercise": "pull_up", "sets": [{"reps": 8}, {"reps": 8, "added_kg": 10, "load_unit": "kg"}]},
                   {"custom_exercise": "Farmer walk", "sets": [{"seconds": 60}]}
               ]}),
    )
    .await;
    let older = log(
        stack,
        user,
        json!({"performed_at": "2026-11-10T07:00:00Z",
               "entries": [{"exercise": "l_sit", "sets": [{"seconds": 12.5}]}]}),
    )
    .await;
    // Both are remembered after their responses; wait, so the export is the same
    // whenever it runs.
    stack.memories(user, 2).await;
    let (status, _, meal) = stack
        .send_json(
            user,
            Method::POST,
            "/v1/meals",
            &json!({"description": "200 g chicken and 150 g rice", "eaten_at": "2026-11-20T11:30:00Z"}),
        )
        .await;
    assert_eq!(status, 201, "{meal}");
    stack
        .uploaded_photo(user, tora_e2e::jpeg_bytes(), true)
        .await;
    stack
        .sql(
            "insert into chat_messages (id, user_id, client_message_id, role, body, status, result)
             select $1::uuid, id, 'export-1', 'user', $2::text, 'answered', $3::jsonb
             from users where auth_subject = $4::text",
            &[
                &uuid::Uuid::new_v4().to_string(),
                CHAT_BODY,
                r#"{"reply": "Logged, \"nice\" work", "status": "answered"}"#,
                &user.subject,
            ],
        )
        .await;
    (older, newer)
}

#[tokio::test]
async fn the_json_export_holds_everything_the_user_stored_and_nothing_else() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (older, newer) = user_with_data(&stack, &user).await;
    let other = stack.new_user();
    let theirs = log(
        &stack,
        &other,
        json!({"entries": [{"exercise": "dip", "sets": [{"reps": 10}]}]}),
    )
    .await;

    let (status, headers, body) = stack.get_json(&user, "/v1/me/export").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"tora-export.json\""
    );
    assert_eq!(headers["cache-control"], "no-store");
    assert!(body["exported_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(body["user"]["display_name"], "Ana");
    assert_eq!(body["user"]["timezone"], "Europe/Berlin");

    // Workouts in the API's shape, oldest first.
    assert_eq!(body["workouts"], json!([older, newer]));
    assert!(!body.to_string().contains(theirs["id"].as_str().unwrap()));

    let messages = body["chat_messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["body"], CHAT_BODY);
    assert_eq!(messages[0]["client_message_id"], "export-1");
    assert_eq!(messages[0]["status"], "answered");
    assert_eq!(messages[0]["result"]["reply"], "Logged, \"nice\" work");

    let skills: Vec<&str> = body["skill_states"]
        .as_array()
        .unwrap()
        .iter()
        .map(|state| state["skill"].as_str().unwrap())
        .collect();
    assert!(
        skills.contains(&"pull_up") && skills.contains(&"l_sit"),
        "{skills:?}"
    );
    let custom = body["custom_exercises"].as_array().unwrap();
    assert_eq!(custom.len(), 1);
    assert_eq!(custom[0]["name"], "Farmer walk");
    assert_eq!(custom[0]["id"], newer["entries"][1]["exercise"]);

    // Meals as `GET /v1/meals` shows them, and the uploads' metadata (not the bytes,
    // not the bucket key).
    let (status, _, day) = stack.get_json(&user, "/v1/meals?date=2026-11-20").await;
    assert_eq!(status, 200, "{day}");
    assert_eq!(body["meals"], day["meals"]);
    assert_eq!(
        body["meals"][0]["description"],
        "200 g chicken and 150 g rice"
    );
    let uploads = body["uploads"].as_array().unwrap();
    assert_eq!(uploads.len(), 1, "{uploads:?}");
    assert_eq!(uploads[0]["kind"], "meal_photo");
    assert_eq!(uploads[0]["content_type"], "image/jpeg");
    assert_eq!(uploads[0]["bytes"], tora_e2e::jpeg_bytes().len());
    assert!(uploads[0]["completed_at"].is_string());
    assert!(!body.to_string().contains("users/"), "no bucket keys");
}

#[tokio::test]
async fn the_csv_export_has_a_row_per_set_and_escapes_chat_text() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (older, newer) = user_with_data(&stack, &user).await;

    let response = stack
        .authed(Method::GET, "/v1/me/export?format=csv", &user)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"tora-export.csv\""
    );
    let text = response.text().await.unwrap();

    // The chat body is quoted, its quotes doubled, its newline kept inside the quotes.
    assert!(
        text.contains("\"3x8 pull-ups, then \"\"L-sit\"\"\n20s\""),
        "{text}"
    );

    let rows = tora_test_support::csv::parse(&text).unwrap();
    let sections: Vec<&[Vec<String>]> = rows.split(|row| row == &[""]).collect();
    let kinds: Vec<&str> = sections
        .iter()
        .map(|section| section[1..].first().map_or("", |row| row[0].as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            "workout",
            "chat_message",
            "credit_entry",
            "memory",
            "meal",
            "upload",
            "skill_state",
            "custom_exercise",
            // This user imported nothing: the section is its header alone.
            "",
            "profile"
        ]
    );

    let workouts = sections[0];
    assert_eq!(
        workouts[0][..6],
        [
            "record_type",
            "workout_id",
            "performed_at",
            "performed_at_local",
            "notes",
            "source"
        ]
    );
    let column = |name: &str| {
        workouts[0]
            .iter()
            .position(|header| header == name)
            .unwrap()
    };
    let kinds: Vec<&str> = workouts[1..].iter().map(|row| row[0].as_str()).collect();
    assert_eq!(
        kinds,
        [
            "workout",
            "workout_set",
            "workout",
            "workout_set",
            "workout_set",
            "workout_set"
        ],
        "each workout's row, then its sets, oldest first"
    );
    // Oldest first, local time in the profile's timezone.
    assert_eq!(
        workouts[1][column("workout_id")],
        older["id"].as_str().unwrap()
    );
    assert_eq!(
        workouts[1][column("performed_at_local")],
        "2026-11-10 08:00:00"
    );
    assert_eq!(workouts[2][column("seconds")], "12.5");
    assert_eq!(workouts[2][column("reps")], "");
    assert_eq!(
        workouts[3][column("notes")],
        "grip gave out, then \"rested\""
    );
    let weighted = &workouts[5];
    assert_eq!(
        weighted[column("workout_id")],
        newer["id"].as_str().unwrap()
    );
    assert_eq!(weighted[column("exercise")], "pull_up");
    assert_eq!(weighted[column("set_number")], "2");
    assert_eq!(weighted[column("added_kg")], "10");
    assert_eq!(weighted[column("load_unit")], "kg");
    assert_eq!(
        weighted[column("notes")],
        "",
        "notes are on the workout's row only"
    );
    assert_eq!(workouts[6][column("exercise_name")], "Farmer walk");
    assert_eq!(workouts[6][column("custom")], "true");

    let message = &sections[1][1];
    assert_eq!(message[6], CHAT_BODY);
    assert_eq!(message[7], "Logged, \"nice\" work");
    assert_eq!(message[5], "answered");
    assert_eq!(
        serde_json::from_str::<Value>(&message[8]).unwrap()["reply"],
        "Logged, \"nice\" work"
    );
    let memories = sections[3];
    assert_eq!(memories.len(), 3, "a header and two memories, oldest first");
    assert_eq!(memories[0][6], "summary");
    let meals = sections[4];
    assert_eq!(meals.len(), 2, "a header and the meal");
    assert_eq!(meals[1][0], "meal");
    assert_eq!(meals[1][3], "2026-11-20 12:30:00", "eaten at, in Berlin");
    assert_eq!(meals[1][4], "200 g chicken and 150 g rice");
    let uploads = sections[5];
    assert_eq!(uploads.len(), 2, "a header and the photo");
    assert_eq!(&uploads[1][2..4], ["meal_photo", "image/jpeg"]);
    assert_eq!(sections[8][0][0..2], ["record_type", "import_id"]);
    let profile = &sections[9][1];
    assert_eq!(profile[3], "Ana");
    assert_eq!(profile[5], "Europe/Berlin");
}

#[tokio::test]
async fn a_new_user_exports_empty_sections_and_unknown_formats_are_refused() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    for query in ["format=xml", "format=", "format=CSV"] {
        let (status, headers, body) = stack
            .get_json(&user, &format!("/v1/me/export?{query}"))
            .await;
        assert_problem(status, &headers, &body, 422, "validation-failed");
        assert_eq!(body["errors"][0]["field"], "format", "{query}");
    }

    let (status, _, body) = stack.get_json(&user, "/v1/me/export?format=json").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["timezone"], "UTC");
    for section in [
        "workouts",
        "chat_messages",
        "memories",
        "meals",
        "uploads",
        "skill_states",
        "custom_exercises",
        "imports",
    ] {
        assert_eq!(body[section], json!([]), "{section}");
    }
    assert_eq!(body["credit_ledger"][0]["reason"], "starter_grant");
    assert_eq!(body["credit_ledger"][0]["delta"], stack.starter_credits);

    let text = stack.export_csv(&user).await;
    let rows = tora_test_support::csv::parse(&text).unwrap();
    // Ten headers, nine gaps, the starter grant and the profile row.
    assert_eq!(rows.len(), 21, "{text}");
    assert!(
        rows.iter()
            .any(|row| row[0] == "credit_entry" && row[3] == "starter_grant")
    );
    assert_eq!(rows.last().unwrap()[0], "profile");
}

#[tokio::test]
async fn twenty_thousand_sets_export_whole_and_formulas_stay_inert() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    // 100 workouts of 200 sets, each with a 1,000-character note that a spreadsheet
    // would run as a formula.
    let notes = format!("=HYPERLINK(\"x\"){}", "n".repeat(984));
    // An entry holds at most 100 sets: two entries make a workout's 200.
    let sets: Vec<Value> = (0..100).map(|_| json!({"reps": 10})).collect();
    for day in 0..100 {
        let performed_at = format!("2026-0{}-{:02}T07:00:00Z", 1 + day / 28, 1 + day % 28);
        log(
            &stack,
            &user,
            json!({"performed_at": performed_at, "notes": notes,
                   "entries": [{"exercise": "push_up", "sets": sets},
                               {"exercise": "squat", "sets": sets}]}),
        )
        .await;
    }

    let (status, _, body) = stack.get_json(&user, "/v1/me/export").await;
    assert_eq!(status, 200, "{body}");
    let workouts = body["workouts"].as_array().unwrap();
    assert_eq!(workouts.len(), 100);
    let total: usize = workouts
        .iter()
        .flat_map(|workout| workout["entries"].as_array().unwrap())
        .map(|entry| entry["sets"].as_array().unwrap().len())
        .sum();
    assert_eq!(total, 20_000);
    let times: Vec<&str> = workouts
        .iter()
        .map(|workout| workout["performed_at"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_unstable();
    assert_eq!(times, sorted, "oldest first across pages");

    let text = stack.export_csv(&user).await;
    let rows = tora_test_support::csv::parse(&text).unwrap();
    assert_eq!(
        rows.iter().filter(|row| row[0] == "workout_set").count(),
        20_000
    );
    let notes_rows: Vec<&Vec<String>> = rows.iter().filter(|row| row[0] == "workout").collect();
    assert_eq!(notes_rows.len(), 100);
    assert!(
        notes_rows
            .iter()
            .all(|row| row[4].starts_with("'=HYPERLINK"))
    );
    // Each note once: the 20,000 set rows carry none (that alone would be 20 MB).
    assert!(text.len() < 4_000_000, "{} bytes", text.len());
}
