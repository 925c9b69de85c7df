//! Memories and `POST /v1/coach/ask`: a logged session is summarised and embedded
//! after the response, kept with pgvector, listed, deleted, erased and exported with
//! the account; the coach answers from the caller's nearest sessions, never another
//! person's, and every model call is paid for.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::Method;
use serde_json::{Value, json};
use tora_e2e::{Stack, TestUser, assert_problem, read};

const EMBEDDING_MODEL: &str = "amazon.titan-embed-text-v2:0";

async fn ask(
    stack: &Stack,
    user: &TestUser,
    question: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    stack
        .send_json(
            user,
            Method::POST,
            "/v1/coach/ask",
            &json!({"question": question}),
        )
        .await
}

/// The caller's ledger rows, newest first.
async fn ledger(stack: &Stack, user: &TestUser) -> (Value, Vec<Value>) {
    let (status, _, credits) = stack.get_json(user, "/v1/credits?limit=100").await;
    assert_eq!(status, 200, "{credits}");
    (
        credits["balance"].clone(),
        credits["ledger"]["items"].as_array().unwrap().clone(),
    )
}

async fn set_units(stack: &Stack, user: &TestUser, units: i64) {
    stack
        .sql(
            "update users set credit_units = $1::int8 where auth_subject = $2",
            &[&units.to_string(), &user.subject],
        )
        .await;
}

fn pull_ups(performed_at: &str) -> Value {
    json!({"performed_at": performed_at,
           "entries": [{"exercise": "pull_up", "sets": [{"reps": 8}, {"reps": 8}, {"reps": 8}]}]})
}

#[tokio::test]
async fn a_logged_workout_becomes_a_memory_paid_for_by_its_owner() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let workout = stack
        .log_workout(
            &user,
            &json!({"performed_at": "2026-11-20T18:30:00Z", "notes": "grip gave out",
            "entries": [
                {"exercise": "pull_up", "sets": [{"reps": 8}, {"reps": 8}, {"reps": 8}]},
                {"exercise": "dip", "sets": [{"reps": 10}, {"reps": 8}]}
            ]}),
        )
        .await;
    let memories = stack.memories(&user, 1).await;
    assert_eq!(memories.len(), 1, "{memories:?}");
    let memory = &memories[0];
    assert_eq!(memory["workout_id"], workout["id"]);
    assert_eq!(memory["performed_at"], workout["performed_at"]);
    assert_eq!(
        memory["summary"],
        "2026-11-20: Pull-up 3×8, Parallel bar dip 10/8 (notes: grip gave out)"
    );
    assert_eq!(memory["model"], EMBEDDING_MODEL);
    assert!(memory.get("embedding").is_none(), "the vector stays stored");

    // Stored with its vector at the configured size.
    let rows = stack
        .sql(
            "select dimensions, vector_dims(embedding) from memories where workout_id = $1::uuid",
            &[workout["id"].as_str().unwrap()],
        )
        .await;
    assert_eq!(rows[0][0], json!(1024));
    assert_eq!(rows[0][1], json!(1024));

    // The embedding was charged to the owner, in the ledger with what it was for.
    let (balance, entries) = ledger(&stack, &user).await;
    let charge = &entries[0];
    assert_eq!(charge["reason"], "model_call", "{entries:?}");
    assert_eq!(charge["purpose"], "memory");
    assert_eq!(charge["model"], EMBEDDING_MODEL);
    assert!(charge["delta_units"].as_i64().unwrap() < 0);
    assert!(charge["input_tokens"].as_i64().unwrap() > 0);
    assert_eq!(
        balance["units"].as_i64().unwrap(),
        stack.starter_credits * stack.tokens_per_credit + charge["delta_units"].as_i64().unwrap()
    );
}

#[tokio::test]
async fn a_workout_logged_by_chat_becomes_a_memory_too() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, _, body) = stack
        .send_json(
            &user,
            Method::POST,
            "/v1/chat",
            &json!({"message": "3x12 wall push-ups", "client_message_id": "mem-1"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "logged");
    let memories = stack.memories(&user, 1).await;
    assert_eq!(memories[0]["workout_id"], body["workout"]["id"]);
    assert!(
        memories[0]["summary"]
            .as_str()
            .unwrap()
            .ends_with(": Wall push-up 3×12"),
        "{memories:?}"
    );
}

#[tokio::test]
async fn an_edit_renews_the_memory_and_a_delete_removes_it() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let workout = stack
        .log_workout(&user, &pull_ups("2026-11-20T18:30:00Z"))
        .await;
    stack.memories(&user, 1).await;
    let path = format!("/v1/workouts/{}", workout["id"].as_str().unwrap());
    let (status, _, body) = stack
        .send_json(
            &user,
            Method::PATCH,
            &path,
            &json!({"entries": [{"exercise": "pull_up", "sets": [{"reps": 9}, {"reps": 9}, {"reps": 9}]}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut summary = Value::Null;
    for _ in 0..150 {
        summary = stack.memories(&user, 1).await[0]["summary"].clone();
        if summary == "2026-11-20: Pull-up 3×9" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(summary, "2026-11-20: Pull-up 3×9");
    assert_eq!(
        stack.memories(&user, 1).await.len(),
        1,
        "one memory per workout"
    );

    let response = stack
        .authed(Method::DELETE, &path, &user)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let (_, _, list) = stack.get_json(&user, "/v1/memories").await;
    assert_eq!(list["items"], json!([]), "{list}");
}

#[tokio::test]
async fn coach_ask_is_grounded_in_the_callers_own_sessions_and_never_anothers() {
    let stack = Stack::from_env();
    let ana = stack.new_user();
    let ben = stack.new_user();
    // Nearly the same sessions, so that only the owner filter tells them apart.
    let anas = stack
        .log_workout(&ana, &pull_ups("2026-11-20T18:30:00Z"))
        .await;
    let anas_dips = stack
        .log_workout(
            &ana,
            &json!({"performed_at": "2026-11-18T18:30:00Z",
                    "entries": [{"exercise": "dip", "sets": [{"reps": 10}, {"reps": 10}]}]}),
        )
        .await;
    let bens = stack
        .log_workout(&ben, &pull_ups("2026-11-21T18:30:00Z"))
        .await;
    stack.memories(&ana, 2).await;
    stack.memories(&ben, 1).await;

    let (status, headers, body) = ask(&stack, &ana, "How are my pull-ups going?").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["content-type"], "application/json");
    let sessions = body["sessions"].as_array().unwrap();
    let ids: Vec<&str> = sessions
        .iter()
        .map(|session| session["workout_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            anas["id"].as_str().unwrap(),
            anas_dips["id"].as_str().unwrap()
        ],
        "the caller's sessions, nearest first: {body}"
    );
    assert_eq!(sessions[0]["summary"], "2026-11-20: Pull-up 3×8");
    assert_eq!(sessions[0]["performed_at"], anas["performed_at"]);
    let answer = body["answer"].as_str().unwrap();
    assert!(answer.contains("2026-11-20"), "{answer}");
    let text = body.to_string();
    assert!(!text.contains(bens["id"].as_str().unwrap()), "{text}");
    assert!(!text.contains("2026-11-21"), "{text}");
    let skills: Vec<&str> = body["skills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|skill| skill["skill"].as_str().unwrap())
        .collect();
    assert_eq!(skills, ["pull_up", "dip"], "{body}");
    assert_eq!(body["skills"][0]["name"], "Pull-up");

    // And the other way round.
    let (status, _, body) = ask(&stack, &ben, "How are my pull-ups going?").await;
    assert_eq!(status, 200, "{body}");
    let sessions = body["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{body}");
    assert_eq!(sessions[0]["workout_id"], bens["id"]);
    assert!(body["answer"].as_str().unwrap().contains("2026-11-21"));
    assert!(!body.to_string().contains(anas["id"].as_str().unwrap()));

    // Someone with no sessions gets an answer grounded in nothing.
    let newcomer = stack.new_user();
    let (status, _, body) = ask(&stack, &newcomer, "What should I train first?").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sessions"], json!([]));
}

#[tokio::test]
async fn coach_ask_is_metered() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    stack
        .log_workout(&user, &pull_ups("2026-11-20T18:30:00Z"))
        .await;
    stack.memories(&user, 1).await;
    let (before, _) = ledger(&stack, &user).await;

    let (status, headers, body) = ask(&stack, &user, "Am I ready for muscle-ups?").await;
    assert_eq!(status, 200, "{body}");
    let (after, entries) = ledger(&stack, &user).await;
    let charge = &entries[0];
    assert_eq!(charge["reason"], "model_call", "{entries:?}");
    assert_eq!(charge["purpose"], "coach ask");
    assert_eq!(
        charge["request_id"].as_str().unwrap(),
        headers["x-request-id"].to_str().unwrap()
    );
    assert!(charge["input_tokens"].as_i64().unwrap() > 0);
    assert!(charge["output_tokens"].as_i64().unwrap() > 0);
    let spent = -charge["delta_units"].as_i64().unwrap();
    assert!(spent > 0);
    assert_eq!(
        after["units"].as_i64().unwrap(),
        before["units"].as_i64().unwrap() - spent,
        "the balance drops by exactly the charge"
    );
    assert_eq!(body["credits"]["balance"], after["credits"]);
    let shown = body["credits"]["spent"].as_f64().unwrap();
    let expected = spent as f64 / stack.tokens_per_credit as f64;
    assert!((shown - expected).abs() < 1e-9, "{shown} vs {expected}");
    // Nothing is left held.
    let open = stack
        .sql(
            "select count(*)::int4 from credit_reservations r join users u on u.id = r.user_id
             where u.auth_subject = $1 and r.settled_at is null and r.released_at is null",
            &[&user.subject],
        )
        .await;
    assert_eq!(open[0][0], json!(0));
}

#[tokio::test]
async fn coach_ask_is_402_when_the_balance_does_not_cover_it() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, _, _) = stack.get_json(&user, "/v1/me").await;
    assert_eq!(status, 200);
    set_units(&stack, &user, 10).await;
    let (status, headers, body) = ask(&stack, &user, "How do I start?").await;
    assert_problem(status, &headers, &body, 402, "insufficient-credits");
    assert!(body["price"].as_f64().unwrap() > body["balance"].as_f64().unwrap());
    let (balance, entries) = ledger(&stack, &user).await;
    assert_eq!(balance["units"], 10, "nothing was taken");
    assert!(
        entries.iter().all(|entry| entry["reason"] != "model_call"),
        "{entries:?}"
    );
}

#[tokio::test]
async fn a_workout_whose_owner_cannot_pay_is_not_remembered() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, _, _) = stack.get_json(&user, "/v1/me").await;
    assert_eq!(status, 200);
    set_units(&stack, &user, 0).await;
    let unpaid = stack
        .log_workout(&user, &pull_ups("2026-11-19T18:30:00Z"))
        .await;
    // Give its job time to run, then let the next one be paid for.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    set_units(&stack, &user, 1_000_000).await;
    let paid = stack
        .log_workout(&user, &pull_ups("2026-11-20T18:30:00Z"))
        .await;
    let memories = stack.memories(&user, 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let memories_now = stack.memories(&user, 1).await;
    assert_eq!(memories, memories_now);
    assert_eq!(memories.len(), 1, "{memories:?}");
    assert_eq!(memories[0]["workout_id"], paid["id"]);
    assert_ne!(memories[0]["workout_id"], unpaid["id"]);
}

#[tokio::test]
async fn memories_page_newest_first_and_only_their_owner_deletes_them() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let stranger = stack.new_user();
    stack
        .log_workout(&user, &pull_ups("2026-11-19T18:30:00Z"))
        .await;
    stack.memories(&user, 1).await;
    stack
        .log_workout(&user, &pull_ups("2026-11-20T18:30:00Z"))
        .await;
    let all = stack.memories(&user, 2).await;

    let (status, _, first) = stack.get_json(&user, "/v1/memories?limit=1").await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["items"], json!([all[0]]));
    assert!(
        all[0]["summary"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-20")
    );
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, _, second) = stack
        .get_json(&user, &format!("/v1/memories?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(second["items"], json!([all[1]]));
    assert_eq!(second["next_cursor"], Value::Null);

    // Another person neither sees nor deletes them.
    let (_, _, theirs) = stack.get_json(&stranger, "/v1/memories").await;
    assert_eq!(theirs["items"], json!([]));
    let path = format!("/v1/memories/{}", all[0]["id"].as_str().unwrap());
    let (status, headers, body) = read(
        stack
            .authed(Method::DELETE, &path, &stranger)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(status, &headers, &body, 404, "not-found");
    assert_eq!(stack.memories(&user, 2).await.len(), 2);

    let response = stack
        .authed(Method::DELETE, &path, &user)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let left = stack.memories(&user, 1).await;
    assert_eq!(left, vec![all[1].clone()]);
    let (status, _, _) = read(
        stack
            .authed(Method::DELETE, &path, &user)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404, "gone once deleted");
    let (status, _, _) = read(
        stack
            .authed(Method::DELETE, "/v1/memories/not-a-uuid", &user)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn erasing_the_account_removes_its_memories() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let workout = stack
        .log_workout(&user, &pull_ups("2026-11-20T18:30:00Z"))
        .await;
    stack.memories(&user, 1).await;
    let response = stack
        .authed(Method::DELETE, "/v1/me", &user)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let rows = stack
        .sql(
            "select count(*)::int4 from memories where workout_id = $1::uuid",
            &[workout["id"].as_str().unwrap()],
        )
        .await;
    assert_eq!(rows[0][0], json!(0));
}

#[tokio::test]
async fn the_export_includes_memories() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let workout = stack
        .log_workout(&user, &pull_ups("2026-11-20T18:30:00Z"))
        .await;
    let memories = stack.memories(&user, 1).await;

    let (status, _, body) = stack.get_json(&user, "/v1/me/export").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["memories"], json!(memories));
    assert_eq!(body["memories"][0]["workout_id"], workout["id"]);
    assert!(
        body["credit_ledger"]
            .as_array()
            .unwrap()
            .iter()
            .any(|entry| entry["purpose"] == "memory"),
        "{body}"
    );

    let text = stack.export_csv(&user).await;
    let rows = tora_test_support::csv::parse(&text).unwrap();
    let memory = rows.iter().find(|row| row[0] == "memory").unwrap();
    assert_eq!(memory[1], memories[0]["id"].as_str().unwrap());
    assert_eq!(memory[2], workout["id"].as_str().unwrap());
    assert_eq!(memory[5], EMBEDDING_MODEL);
    assert_eq!(memory[6], "2026-11-20: Pull-up 3×8");
}

#[tokio::test]
async fn questions_follow_the_text_rule() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    for question in ["   ", "\u{200B}", "why\u{1B}[2J", &"a".repeat(1001)] {
        let (status, headers, body) = ask(&stack, &user, question).await;
        assert_problem(status, &headers, &body, 422, "validation-failed");
        assert_eq!(body["errors"][0]["field"], "question", "{body}");
    }
    let (status, headers, body) = stack
        .send_json(
            &user,
            Method::POST,
            "/v1/coach/ask",
            &json!({"question": "ok?", "user_id": "someone-else"}),
        )
        .await;
    assert_problem(status, &headers, &body, 422, "validation-failed");
    let (status, headers, body) = stack
        .send_json(&user, Method::POST, "/v1/coach/ask", &json!({}))
        .await;
    assert_problem(status, &headers, &body, 422, "validation-failed");
    // A question of exactly 1000 characters is fine; nothing was charged for refusals.
    let (status, _, body) = ask(&stack, &user, &"é".repeat(1000)).await;
    assert_eq!(status, 200, "{body}");
    let (_, entries) = ledger(&stack, &user).await;
    let calls = entries
        .iter()
        .filter(|entry| entry["reason"] == "model_call")
        .count();
    assert_eq!(calls, 1, "{entries:?}");
}
