//! `POST /v1/chat` and `GET /v1/chat`: a person chats their training, the API stores
//! it, moves them along the skill tree and answers; retries are safe.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::Method;
use serde_json::{Value, json};
use tora_e2e::{Stack, TestUser, assert_problem, read};

async fn chat(stack: &Stack, user: &TestUser, message: &str, client_id: &str) -> (u16, Value) {
    let body = json!({"message": message, "client_message_id": client_id});
    let (status, _, answer) = stack.send_json(user, Method::POST, "/v1/chat", &body).await;
    (status, answer)
}

async fn count(stack: &Stack, user: &TestUser, table: &str) -> i64 {
    stack
        .rows_of(&user.subject)
        .await
        .into_iter()
        .find(|(name, _)| name == table)
        .unwrap()
        .1
}

#[tokio::test]
async fn a_workout_message_is_logged_and_answered() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, body) = chat(
        &stack,
        &user,
        "3x12 wall push-ups, then 3 x 30s dead hang",
        "m-1",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "logged");
    let entries = body["workout"]["entries"].as_array().unwrap();
    assert_eq!(entries[0]["exercise"], "wall_push_up");
    assert_eq!(
        entries[0]["sets"],
        json!([{"reps": 12}, {"reps": 12}, {"reps": 12}])
    );
    assert_eq!(entries[1]["exercise"], "dead_hang");
    assert_eq!(entries[1]["sets"][0]["seconds"], 30.0);
    let mut mastered: Vec<&str> = body["mastered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|skill| skill["skill"].as_str().unwrap())
        .collect();
    mastered.sort_unstable();
    assert_eq!(mastered, ["dead_hang", "wall_push_up"]);
    let unlocked: Vec<&str> = body["unlocked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|skill| skill["skill"].as_str().unwrap())
        .collect();
    assert!(unlocked.contains(&"incline_push_up"), "{body}");
    assert!(unlocked.contains(&"scapular_pull_up"), "{body}");
    assert!(!body["next_targets"].as_array().unwrap().is_empty());
    assert_eq!(
        body["credits"],
        json!({"spent": 0, "balance": stack.starter_credits})
    );
    let reply = body["reply"].as_str().unwrap();
    assert!(
        reply.contains("Wall push-up") && reply.contains("mastered"),
        "{reply}"
    );

    // Stored: the workout with its sets, linked to the message, and the skill states.
    let id = body["workout"]["id"].as_str().unwrap();
    let (status, _, workout) = stack.get_json(&user, &format!("/v1/workouts/{id}")).await;
    assert_eq!(status, 200, "{workout}");
    assert_eq!(workout["source"], "chat");
    assert_eq!(workout["entries"][1]["sets"].as_array().unwrap().len(), 3);
    let (_, _, skill) = stack.get_json(&user, "/v1/skills/incline_push_up").await;
    assert_eq!(skill["state"], "available");
}

#[tokio::test]
async fn a_retried_message_returns_the_same_answer_and_stores_nothing_twice() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, first) = chat(&stack, &user, "pull-ups 3x5", "retry-1").await;
    assert_eq!(status, 200, "{first}");
    // Sequential retry, and a burst of concurrent ones.
    let (status, again) = chat(&stack, &user, "pull-ups 3x5", "retry-1").await;
    assert_eq!(status, 200);
    // The balance is the one as of each response: remembering the workout after
    // the first answer may have spent a little in between. Everything else repeats.
    assert_eq!(without_balance(&again), without_balance(&first));
    assert!(
        again["credits"]["balance"].as_f64() <= first["credits"]["balance"].as_f64(),
        "a replay never adds credits: {again}"
    );
    let burst: Vec<_> = (0..4)
        .map(|_| {
            tokio::spawn(
                stack
                    .authed(Method::POST, "/v1/chat", &user)
                    .json(&json!({"message": "pull-ups 3x5", "client_message_id": "retry-1"}))
                    .send(),
            )
        })
        .collect();
    for request in burst {
        let (status, _, body) = read(request.await.unwrap().unwrap()).await;
        assert_eq!(status, 200);
        assert_eq!(body["workout"]["id"], first["workout"]["id"]);
    }
    assert_eq!(count(&stack, &user, "chat_messages").await, 1);
    assert_eq!(count(&stack, &user, "workouts").await, 1);
    assert_eq!(count(&stack, &user, "workout_sets").await, 3);
}

fn without_balance(answer: &Value) -> Value {
    let mut answer = answer.clone();
    if let Some(credits) = answer["credits"].as_object_mut() {
        credits.remove("balance");
    }
    answer
}

#[tokio::test]
async fn concurrent_first_attempts_of_one_message_log_one_workout() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let attempts: Vec<_> = (0..5)
        .map(|_| {
            tokio::spawn(
                stack
                    .authed(Method::POST, "/v1/chat", &user)
                    .json(&json!({"message": "5 x 10 squats", "client_message_id": "race-1"}))
                    .send(),
            )
        })
        .collect();
    let mut workout_ids = Vec::new();
    for attempt in attempts {
        let (status, _, body) = read(attempt.await.unwrap().unwrap()).await;
        assert_eq!(status, 200, "{body}");
        workout_ids.push(body["workout"]["id"].clone());
    }
    workout_ids.dedup();
    assert_eq!(workout_ids.len(), 1, "{workout_ids:?}");
    assert_eq!(count(&stack, &user, "workouts").await, 1);
    assert_eq!(count(&stack, &user, "workout_sets").await, 5);
}

#[tokio::test]
async fn chit_chat_is_answered_and_stored_as_chat_only() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, body) = chat(&stack, &user, "what should I train tomorrow?", "q-1").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "answered");
    assert_eq!(body["workout"], Value::Null);
    assert!(!body["reply"].as_str().unwrap().is_empty());
    assert_eq!(count(&stack, &user, "chat_messages").await, 1);
    assert_eq!(count(&stack, &user, "workouts").await, 0);
}

#[tokio::test]
async fn training_the_parser_cannot_read_goes_to_the_model_and_is_paid_for() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    // Nothing here is in the catalog: the model says it is no workout it can log.
    let (status, body) = chat(
        &stack,
        &user,
        "3x10 zercher carries with the sandbag",
        "u-1",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "answered");
    assert!(body["credits"]["spent"].as_f64().unwrap() > 0.0, "{body}");
    assert_eq!(count(&stack, &user, "workouts").await, 0);
    let rows = stack
        .sql(
            "select m.status from chat_messages m join users u on u.id = m.user_id where u.auth_subject = $1",
            &[&user.subject],
        )
        .await;
    assert_eq!(rows, vec![vec![json!("answered")]]);
    // A retry is answered the same way, and not read (or paid for) again.
    let (status, again) = chat(
        &stack,
        &user,
        "3x10 zercher carries with the sandbag",
        "u-1",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(again["reply"], body["reply"]);
    assert_eq!(again["credits"]["spent"], body["credits"]["spent"]);
    let ledger = stack
        .sql(
            "select count(*) from credit_ledger l join users u on u.id = l.user_id
             where u.auth_subject = $1 and l.reason = 'model_call'",
            &[&user.subject],
        )
        .await;
    assert_eq!(ledger, vec![vec![json!("1")]]);
}

#[tokio::test]
async fn history_lists_messages_with_replies_newest_first() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    for (index, message) in ["hello", "3x8 push-ups", "how am I doing?"]
        .iter()
        .enumerate()
    {
        let (status, _) = chat(&stack, &user, message, &format!("h-{index}")).await;
        assert!(status == 200 || status == 202);
    }
    let (status, _, page) = stack.get_json(&user, "/v1/chat?limit=2").await;
    assert_eq!(status, 200, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["message"], "how am I doing?");
    assert_eq!(items[1]["message"], "3x8 push-ups");
    assert_eq!(items[1]["status"], "logged");
    assert!(items[1]["workout_id"].is_string());
    assert!(items[1]["reply"].is_string());
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, _, rest) = read(
        stack
            .authed(
                Method::GET,
                &format!("/v1/chat?limit=2&cursor={cursor}"),
                &user,
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(rest["items"][0]["message"], "hello");
    assert_eq!(rest["next_cursor"], Value::Null);
}

#[tokio::test]
async fn bad_chat_input_is_422_and_stores_nothing() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, _, body) = read(
        stack
            .authed(Method::POST, "/v1/chat", &user)
            .json(&json!({"message": "   ", "client_message_id": "has spaces"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let mut fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["client_message_id", "message"]);
    let (status, headers, body) = read(
        stack
            .authed(Method::POST, "/v1/chat", &user)
            .json(&json!({"message": "3x8 pull-ups"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(status, &headers, &body, 422, "validation-failed");
    assert_eq!(count(&stack, &user, "chat_messages").await, 0);
}

#[tokio::test]
async fn the_chat_workout_has_the_shape_of_get_workout() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, body) = chat(&stack, &user, "3x8 pull-ups @ +10kg", "shape-1").await;
    assert_eq!(status, 200, "{body}");
    let id = body["workout"]["id"].as_str().unwrap();
    let (status, _, stored) = stack.get_json(&user, &format!("/v1/workouts/{id}")).await;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(body["workout"], stored);
    assert_eq!(stored["entries"][0]["custom"], false);
    assert_eq!(stored["entries"][0]["sets"][0]["load_unit"], "kg");
}

#[tokio::test]
async fn a_client_id_reused_for_other_text_is_a_conflict_and_keeps_the_first() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, first) = chat(&stack, &user, "3x8 pull-ups", "same-id").await;
    assert_eq!(status, 200, "{first}");
    let body = json!({"message": "3x10 dips", "client_message_id": "same-id"});
    let (status, headers, problem) = stack
        .send_json(&user, Method::POST, "/v1/chat", &body)
        .await;
    assert_problem(status, &headers, &problem, 409, "client-message-id-reused");
    let rows = stack
        .sql(
            "select m.body from chat_messages m join users u on u.id = m.user_id where u.auth_subject = $1",
            &[&user.subject],
        )
        .await;
    assert_eq!(rows, vec![vec![json!("3x8 pull-ups")]]);
    assert_eq!(count(&stack, &user, "workout_sets").await, 3);
}

#[tokio::test]
async fn a_retry_after_the_workout_was_deleted_says_it_is_gone() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (_, first) = chat(&stack, &user, "4x15 push-ups", "gone-1").await;
    let id = first["workout"]["id"].as_str().unwrap();
    let (status, _, _) = read(
        stack
            .authed(Method::DELETE, &format!("/v1/workouts/{id}"), &user)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 204);
    let (status, retry) = chat(&stack, &user, "4x15 push-ups", "gone-1").await;
    assert_eq!(status, 200, "{retry}");
    assert_eq!(retry["workout"], Value::Null);
    assert!(
        retry["reply"].as_str().unwrap().contains("deleted"),
        "{retry}"
    );
    let (_, _, page) = stack.get_json(&user, "/v1/chat").await;
    assert_eq!(page["items"][0]["workout_id"], Value::Null);
}

#[tokio::test]
async fn text_that_cannot_be_stored_or_shown_is_422_naming_the_field_and_stores_nothing() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let cases = [
        ("3x8 pull-ups\u{0}", "m-1", "message"),
        ("\u{0}", "m-1", "message"),
        ("\u{1b}[2J3x8 pull-ups", "m-1", "message"),
        ("3x8 pull-ups\u{7}", "m-1", "message"),
        ("3x8 pull-ups\u{9b}", "m-1", "message"),
        ("3x8\rpull-ups", "m-1", "message"),
        ("\u{200b}\u{200b}", "m-1", "message"),
        ("\u{2060}", "m-1", "message"),
        ("\u{feff}", "m-1", "message"),
        (" \n\t ", "m-1", "message"),
        ("3x8 pull-ups", "m\u{0}1", "client_message_id"),
        ("3x8 pull-ups", "m-1\u{1b}", "client_message_id"),
    ];
    for (message, client_id, field) in cases {
        let body = json!({"message": message, "client_message_id": client_id});
        let (status, headers, problem) = stack
            .send_json(&user, Method::POST, "/v1/chat", &body)
            .await;
        assert_problem(status, &headers, &problem, 422, "validation-failed");
        assert_eq!(problem["errors"][0]["field"], field, "{body}: {problem}");
        assert_eq!(problem["errors"].as_array().unwrap().len(), 1, "{problem}");
    }
    let too_long = "é".repeat(4001);
    let (status, headers, problem) = stack
        .send_json(
            &user,
            Method::POST,
            "/v1/chat",
            &json!({"message": too_long, "client_message_id": "long-1"}),
        )
        .await;
    assert_problem(status, &headers, &problem, 422, "validation-failed");
    assert_eq!(problem["errors"][0]["field"], "message", "{problem}");
    for table in ["chat_messages", "workouts", "workout_sets"] {
        assert_eq!(count(&stack, &user, table).await, 0, "{table}");
    }

    // Writing keeps its line breaks and tabs, and the limit counts characters.
    let written = "3x8 pull-ups\r\n\t3x10 dips";
    let (status, body) = chat(&stack, &user, written, "lines-1").await;
    assert_eq!(status, 200, "{body}");
    let longest = "é".repeat(4000);
    let (status, body) = chat(&stack, &user, &longest, "long-2").await;
    assert!(status == 200 || status == 202, "{status}: {body}");
    let rows = stack
        .sql(
            "select m.body from chat_messages m join users u on u.id = m.user_id
             where u.auth_subject = $1 order by m.client_message_id",
            &[&user.subject],
        )
        .await;
    assert_eq!(rows, vec![vec![json!(written)], vec![json!(longest)]]);
}
