//! `/v1/workouts`: structured logging, paging, edits and deletes, and the skill states
//! they move.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::Method;
use serde_json::{Value, json};
use tora_e2e::{Stack, TestUser, assert_problem, read};

async fn log(stack: &Stack, user: &TestUser, body: Value) -> (u16, Value) {
    let (status, _, body) = stack
        .send_json(user, Method::POST, "/v1/workouts", &body)
        .await;
    (status, body)
}

async fn skill_state(stack: &Stack, user: &TestUser, skill: &str) -> Value {
    let (status, _, body) = read(
        stack
            .authed(Method::GET, &format!("/v1/skills/{skill}"), user)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn a_structured_workout_is_stored_with_custom_exercises_and_read_back() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, body) = log(
        &stack,
        &user,
        json!({
            "performed_at": "2026-11-20T18:30:00Z",
            "notes": "felt strong",
            "entries": [
                {"exercise": "pull_up", "sets": [{"reps": 8}, {"reps": 7, "added_kg": 10, "load_unit": "kg"}, {"reps": 6, "reps_max": 8}]},
                {"custom_exercise": "Farmer walk", "sets": [{"seconds": 60}]}
            ]
        }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let workout = &body["workout"];
    assert_eq!(workout["performed_at"], "2026-11-20T18:30:00.000Z");
    assert_eq!(workout["notes"], "felt strong");
    assert_eq!(workout["source"], "manual");
    assert_eq!(workout["entries"][0]["exercise"], "pull_up");
    assert_eq!(
        workout["entries"][0]["sets"],
        json!([{"reps": 8}, {"reps": 7, "added_kg": 10.0, "load_unit": "kg"}, {"reps": 6, "reps_max": 8}])
    );
    assert_eq!(workout["entries"][1]["name"], "Farmer walk");
    assert_eq!(workout["entries"][1]["custom"], true);

    let id = workout["id"].as_str().unwrap();
    let (status, _, fetched) = read(
        stack
            .authed(Method::GET, &format!("/v1/workouts/{id}"), &user)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(fetched["entries"], workout["entries"]);

    // The same custom name (any case) reuses the exercise.
    let (status, second) = log(
        &stack,
        &user,
        json!({"entries": [{"custom_exercise": "farmer WALK", "sets": [{"seconds": 45}]}]}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(
        second["workout"]["entries"][0]["exercise"],
        workout["entries"][1]["exercise"]
    );
    let rows = stack.rows_of(&user.subject).await;
    assert!(rows.contains(&("exercises".to_owned(), 1)), "{rows:?}");

    // Another user cannot see it.
    let stranger = stack.new_user();
    let (status, headers, body) = read(
        stack
            .authed(Method::GET, &format!("/v1/workouts/{id}"), &stranger)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(status, &headers, &body, 404, "not-found");
}

#[tokio::test]
async fn bad_workouts_are_422_with_paths_and_store_nothing() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, body) = log(
        &stack,
        &user,
        json!({"entries": [
            {"exercise": "flying_kick", "sets": [{"reps": 5}]},
            {"exercise": "pull_up", "sets": [{}, {"reps": 5, "rpe": 14}]}
        ]}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "entries[0].exercise",
            "entries[1].sets[0]",
            "entries[1].sets[1]"
        ]
    );
    let (status, body) = log(&stack, &user, json!({"entries": []})).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = log(
        &stack,
        &user,
        json!({"performed_at": "2099-01-01T00:00:00Z", "entries": [{"exercise": "pull_up", "sets": [{"reps": 5}]}]}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "performed_at");
    let rows = stack.rows_of(&user.subject).await;
    assert!(rows.contains(&("workouts".to_owned(), 0)), "{rows:?}");
}

#[tokio::test]
async fn dates_outside_the_supported_years_are_422_and_change_nothing() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let pull_ups = json!([{"exercise": "pull_up", "sets": [{"reps": 5}]}]);
    let (status, body) = log(
        &stack,
        &user,
        json!({"performed_at": "0000-01-01T00:00:00Z", "entries": pull_ups}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "performed_at", "{body}");
    assert_eq!(
        body["errors"][0]["message"],
        "must be in the years 1900 to 2200"
    );

    let stored = stack
        .log_workout(
            &user,
            &json!({"performed_at": "2026-11-02T10:00:00Z", "entries": pull_ups}),
        )
        .await;
    let path = format!("/v1/workouts/{}", stored["id"].as_str().unwrap());
    let (status, headers, body) = stack
        .send_json(
            &user,
            Method::PATCH,
            &path,
            &json!({"performed_at": "0000-01-01T00:00:00Z"}),
        )
        .await;
    assert_problem(status, &headers, &body, 422, "validation-failed");
    assert_eq!(body["errors"][0]["field"], "performed_at", "{body}");
    let (_, _, read_back) = stack.get_json(&user, &path).await;
    assert_eq!(read_back["performed_at"], "2026-11-02T10:00:00.000Z");

    for (query, field) in [
        ("/v1/workouts?from=0000-01-01", "from"),
        ("/v1/workouts?to=0000-01-01", "to"),
        ("/v1/stats/exercises/pull_up?from=0000-01-01", "from"),
        ("/v1/stats/exercises/pull_up?to=0000-01-01T00:00:00Z", "to"),
    ] {
        let (status, headers, body) = stack.get_json(&user, query).await;
        assert_problem(status, &headers, &body, 422, "validation-failed");
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }

    let (status, _, widest) = stack
        .get_json(&user, "/v1/workouts?from=1900-01-01&to=2200-12-31")
        .await;
    assert_eq!(status, 200, "{widest}");
    assert_eq!(widest["items"].as_array().unwrap().len(), 1, "{widest}");
}

#[tokio::test]
async fn entries_by_position_are_422_and_store_nothing() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, body) = log(
        &stack,
        &user,
        json!({"entries": [["pull_up", null, [{"reps": 5}]]]}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "entries[0]", "{body}");
    let rows = stack.rows_of(&user.subject).await;
    assert!(rows.contains(&("workouts".to_owned(), 0)), "{rows:?}");
}

#[tokio::test]
async fn history_pages_newest_first_within_a_date_range() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    for day in 1..=5 {
        let (status, body) = log(
            &stack,
            &user,
            json!({"performed_at": format!("2026-11-{day:02}T10:00:00Z"), "entries": [{"exercise": "push_up", "sets": [{"reps": day}]}]}),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let page = |query: String| {
        let request = stack.authed(Method::GET, &format!("/v1/workouts{query}"), &user);
        async move { read(request.send().await.unwrap()).await }
    };
    let (status, _, first) = page("?limit=2".into()).await;
    assert_eq!(status, 200);
    let days: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| &item["performed_at"].as_str().unwrap()[..10])
        .collect();
    assert_eq!(days, ["2026-11-05", "2026-11-04"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, _, second) = page(format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(
        second["items"][0]["performed_at"],
        "2026-11-03T10:00:00.000Z"
    );

    let (_, _, ranged) = page("?from=2026-11-02&to=2026-11-04".into()).await;
    assert_eq!(ranged["items"].as_array().unwrap().len(), 2);
    assert_eq!(ranged["next_cursor"], Value::Null);

    let (status, headers, body) = page("?cursor=garbage".into()).await;
    assert_problem(status, &headers, &body, 422, "validation-failed");
    assert_eq!(body["errors"][0]["field"], "cursor");
}

#[tokio::test]
async fn mastering_editing_and_deleting_re_decide_skill_states() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    // wall_push_up: a root skill, goal 3x12.
    let (status, body) = log(
        &stack,
        &user,
        json!({"entries": [{"exercise": "wall_push_up", "sets": [{"reps": 12}, {"reps": 12}, {"reps": 12}]}]}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["skills"]["mastered"][0]["skill"], "wall_push_up");
    assert!(
        body["skills"]["unlocked"]
            .as_array()
            .unwrap()
            .iter()
            .any(|skill| skill["skill"] == "incline_push_up"),
        "{body}"
    );
    assert_eq!(
        skill_state(&stack, &user, "wall_push_up").await["state"],
        "mastered"
    );
    assert_eq!(
        skill_state(&stack, &user, "incline_push_up").await["state"],
        "available"
    );

    // Editing the session below the goal takes the mastery back and closes the dependant.
    let id = body["workout"]["id"].as_str().unwrap();
    let (status, _, edited) = read(
        stack
            .authed(Method::PATCH, &format!("/v1/workouts/{id}"), &user)
            .json(&json!({"entries": [{"exercise": "wall_push_up", "sets": [{"reps": 12}, {"reps": 10}]}]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(
        edited["workout"]["entries"][0]["sets"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(edited["skills"]["states"]["wall_push_up"], "unlocked");
    let wall = skill_state(&stack, &user, "wall_push_up").await;
    assert_eq!(wall["state"], "unlocked");
    assert!(wall["progress"].as_f64().unwrap() < 1.0);
    assert_eq!(
        skill_state(&stack, &user, "incline_push_up").await["state"],
        "locked"
    );

    // Deleting it leaves the skill as if never trained.
    let response = stack
        .authed(Method::DELETE, &format!("/v1/workouts/{id}"), &user)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let wall = skill_state(&stack, &user, "wall_push_up").await;
    assert_eq!(wall["state"], "available");
    assert_eq!(wall["progress"], 0.0);
    let response = stack
        .authed(Method::DELETE, &format!("/v1/workouts/{id}"), &user)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn the_skill_tree_shows_every_skill_with_state_and_targets() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, _, tree) = read(
        stack
            .authed(Method::GET, "/v1/skills", &user)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{tree}");
    let skills = tree["skills"].as_array().unwrap();
    assert_eq!(skills.len(), 70);
    assert_eq!(tree["total"], 70);
    assert_eq!(tree["mastered"], 0);
    let pull_up = skills
        .iter()
        .find(|skill| skill["id"] == "pull_up")
        .unwrap();
    assert_eq!(pull_up["state"], "locked");
    assert!(pull_up["goal"]["text"].as_str().unwrap().starts_with('3'));
    assert!(!tree["next_targets"].as_array().unwrap().is_empty());

    let (status, headers, body) = read(
        stack
            .authed(Method::GET, "/v1/skills/moonwalk", &user)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(status, &headers, &body, 404, "not-found");
}

/// The field each 422 names, in order.
fn fields(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["field"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn notes_and_names_that_cannot_be_stored_or_shown_are_422_and_change_nothing() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let sets = json!([{"reps": 5}]);
    let pull_ups = json!([{"exercise": "pull_up", "sets": sets}]);
    let bad_notes = [
        "felt strong\u{0}",
        "\u{1b}[31mred\u{1b}[0m",
        "ding\u{7}",
        "over\rwrite",
        "\u{200b}\u{200b}",
        "\u{feff}",
        "  \n ",
    ];
    let bad_names = [
        "Farmer\u{0}walk",
        "Farmer\twalk",
        "Farmer\nwalk",
        "\u{1b}[2JFarmer walk",
        "\u{2060}",
        "\u{200b}\u{200b}",
    ];
    for notes in bad_notes {
        let (status, body) = log(&stack, &user, json!({"notes": notes, "entries": pull_ups})).await;
        assert_eq!(status, 422, "{notes:?}: {body}");
        assert_eq!(fields(&body), ["notes"], "{notes:?}: {body}");
    }
    for name in bad_names {
        let (status, body) = log(
            &stack,
            &user,
            json!({"entries": [{"custom_exercise": name, "sets": sets}]}),
        )
        .await;
        assert_eq!(status, 422, "{name:?}: {body}");
        assert_eq!(
            fields(&body),
            ["entries[0].custom_exercise"],
            "{name:?}: {body}"
        );
    }
    let rows = stack.rows_of(&user.subject).await;
    for table in ["workouts", "workout_sets", "exercises"] {
        assert!(rows.contains(&(table.to_owned(), 0)), "{rows:?}");
    }

    // The same on edit: the stored workout keeps its notes and its sets.
    let stored = stack
        .log_workout(&user, &json!({"notes": "kept", "entries": pull_ups}))
        .await;
    let path = format!("/v1/workouts/{}", stored["id"].as_str().unwrap());
    for notes in bad_notes {
        let (status, headers, body) = stack
            .send_json(&user, Method::PATCH, &path, &json!({"notes": notes}))
            .await;
        assert_problem(status, &headers, &body, 422, "validation-failed");
        assert_eq!(fields(&body), ["notes"], "{notes:?}: {body}");
    }
    for name in bad_names {
        let (status, headers, body) = stack
            .send_json(
                &user,
                Method::PATCH,
                &path,
                &json!({"entries": [{"custom_exercise": name, "sets": sets}]}),
            )
            .await;
        assert_problem(status, &headers, &body, 422, "validation-failed");
        assert_eq!(
            fields(&body),
            ["entries[0].custom_exercise"],
            "{name:?}: {body}"
        );
    }
    let (_, _, read_back) = stack.get_json(&user, &path).await;
    assert_eq!(read_back["notes"], "kept");
    assert_eq!(read_back["entries"], stored["entries"]);
    let rows = stack.rows_of(&user.subject).await;
    assert!(rows.contains(&("exercises".to_owned(), 0)), "{rows:?}");
    assert!(rows.contains(&("workout_sets".to_owned(), 1)), "{rows:?}");
}

#[tokio::test]
async fn text_limits_count_characters_alike_on_create_and_edit() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let pull_ups = json!([{"exercise": "pull_up", "sets": [{"reps": 5}]}]);
    // Two bytes each: the longest note is 4000 bytes, the longest name 160.
    let longest_notes = "ž".repeat(2000);
    let longest_name = "ž".repeat(80);

    let stored = stack
        .log_workout(
            &user,
            &json!({"notes": longest_notes, "entries": [{"custom_exercise": longest_name, "sets": [{"reps": 5}]}]}),
        )
        .await;
    assert_eq!(stored["notes"], longest_notes.as_str());
    assert_eq!(stored["entries"][0]["name"], longest_name.as_str());
    let path = format!("/v1/workouts/{}", stored["id"].as_str().unwrap());
    let (status, _, edited) = stack
        .send_json(
            &user,
            Method::PATCH,
            &path,
            &json!({"notes": format!("\t{}\r\n", "ž".repeat(1997))}),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(
        edited["workout"]["notes"],
        format!("\t{}\r\n", "ž".repeat(1997)),
        "notes are kept as written"
    );

    let too_long = format!("{longest_notes}ž");
    let (status, body) = log(
        &stack,
        &user,
        json!({"notes": too_long, "entries": pull_ups}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(fields(&body), ["notes"]);
    assert_eq!(
        body["errors"][0]["message"], "must be at most 2000 characters",
        "{body}"
    );
    let (status, headers, body) = stack
        .send_json(&user, Method::PATCH, &path, &json!({"notes": too_long}))
        .await;
    assert_problem(status, &headers, &body, 422, "validation-failed");
    assert_eq!(fields(&body), ["notes"]);
    assert_eq!(
        body["errors"][0]["message"],
        "must be at most 2000 characters"
    );

    let long_name = format!("{longest_name}ž");
    let (status, body) = log(
        &stack,
        &user,
        json!({"entries": [{"custom_exercise": long_name, "sets": [{"reps": 5}]}]}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(fields(&body), ["entries[0].custom_exercise"]);
    let (status, headers, body) = stack
        .send_json(
            &user,
            Method::PATCH,
            &path,
            &json!({"entries": [{"custom_exercise": long_name, "sets": [{"reps": 5}]}]}),
        )
        .await;
    assert_problem(status, &headers, &body, 422, "validation-failed");
    assert_eq!(fields(&body), ["entries[0].custom_exercise"]);

    let rows = stack.rows_of(&user.subject).await;
    assert!(rows.contains(&("workouts".to_owned(), 1)), "{rows:?}");
    assert!(rows.contains(&("exercises".to_owned(), 1)), "{rows:?}");
}
