//! Chat with the model, through the built worker against the Bedrock double and the
//! real database: messages the parser cannot read are read by the model and paid for
//! exactly, unsure readings wait for confirmation, and faults in the model or the
//! database lose no message and charge nothing twice.
//!
//! Faults are scoped (a marker word in the message for the model, the user's id for
//! the database), so these tests run beside the others without taking their faults.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use tokio::time::Instant;

use reqwest::Method;
use serde_json::{Value, json};
use tora_e2e::{Stack, TestUser, assert_problem, join_all, read};

async fn chat(stack: &Stack, user: &TestUser, message: &str, client_id: &str) -> (u16, Value) {
    let body = json!({"message": message, "client_message_id": client_id});
    let (status, _, answer) = stack.send_json(user, Method::POST, "/v1/chat", &body).await;
    (status, answer)
}

/// `POST /v1/chat/{id}/retry` (its path given whole): status, headers and body.
async fn retry_message(
    stack: &Stack,
    user: &TestUser,
    path: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    read(stack.authed(Method::POST, path, user).send().await.unwrap()).await
}

async fn user_id(stack: &Stack, user: &TestUser) -> String {
    let (status, _, me) = stack.get_json(user, "/v1/me").await;
    assert_eq!(status, 200, "{me}");
    me["id"].as_str().unwrap().to_owned()
}

async fn message(stack: &Stack, user: &TestUser, id: &Value) -> Value {
    let (status, _, body) = stack
        .get_json(user, &format!("/v1/chat/{}", id.as_str().unwrap()))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Fires the cron until the message leaves `pending` (other tests' cron runs may take
/// it first, which is as good); the message as it ends.
async fn cron_until_settled(stack: &Stack, user: &TestUser, id: &Value) -> Value {
    for _ in 0..60 {
        let current = message(stack, user, id).await;
        if current["status"] != "pending" {
            return current;
        }
        tokio::time::sleep(Duration::from_millis(700)).await;
        stack.run_cron().await;
    }
    message(stack, user, id).await
}

/// Polls the message until it leaves `pending`, without firing the cron: what
/// finishes it is the work the request left for after its response.
async fn poll_until_settled(stack: &Stack, user: &TestUser, id: &Value) -> Value {
    for _ in 0..100 {
        let current = message(stack, user, id).await;
        if current["status"] != "pending" {
            return current;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    message(stack, user, id).await
}

async fn ledger(stack: &Stack, user: &TestUser) -> Vec<Value> {
    let (status, _, body) = stack.get_json(user, "/v1/credits?limit=100").await;
    assert_eq!(status, 200, "{body}");
    body["ledger"]["items"].as_array().unwrap().clone()
}

/// The chat's model calls in a ledger (a logged workout's memory is paid for too, after
/// the response; that is `memories.rs`'s business).
fn model_calls(ledger: &[Value]) -> Vec<&Value> {
    ledger
        .iter()
        .filter(|entry| entry["reason"] == "model_call" && entry["purpose"] != "memory")
        .collect()
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

fn as_i64(value: &Value) -> i64 {
    match value {
        Value::String(text) => text.parse().unwrap(),
        Value::Null => 0,
        other => other.as_i64().unwrap(),
    }
}

/// Every debit matches a stored answer: the model calls in the ledger add up to the
/// cost the user's stored answers show, no chat hold is left open, and the balance plus
/// the holds still open (a logged workout's memory may be embedding right now) is the
/// sum of the ledger.
async fn assert_debits_match_answers(stack: &Stack, user: &TestUser) {
    assert_debits_match(stack, user).await;
    let balance = stack
        .sql(
            "select u.credit_units
                    + coalesce((select sum(r.units) from credit_reservations r
                                where r.user_id = u.id and r.settled_at is null
                                  and r.released_at is null), 0),
                    (select sum(delta_units) from credit_ledger l where l.user_id = u.id)
             from users u where u.auth_subject = $1",
            &[&user.subject],
        )
        .await;
    assert_eq!(as_i64(&balance[0][0]), as_i64(&balance[0][1]));
}

/// The same, for a user whose balance a test set by hand (outside the ledger).
async fn assert_debits_match(stack: &Stack, user: &TestUser) {
    let debits = stack
        .sql(
            "select count(*), coalesce(-sum(l.delta_units), 0) from credit_ledger l
             join users u on u.id = l.user_id
             where u.auth_subject = $1 and l.reason = 'model_call' and l.purpose <> 'memory'",
            &[&user.subject],
        )
        .await;
    let answers = stack
        .sql(
            "select count(*), coalesce(sum((m.result->>'spent_units')::int8), 0)
             from chat_messages m join users u on u.id = m.user_id
             where u.auth_subject = $1 and (m.result->>'spent_units')::int8 > 0",
            &[&user.subject],
        )
        .await;
    assert_eq!(
        (as_i64(&debits[0][0]), as_i64(&debits[0][1])),
        (as_i64(&answers[0][0]), as_i64(&answers[0][1])),
        "model debits (count, units) against answers that show a cost"
    );
    let open = stack
        .sql(
            "select count(*) from credit_reservations r join users u on u.id = r.user_id
             where u.auth_subject = $1 and r.settled_at is null and r.released_at is null
               and r.purpose <> 'memory'",
            &[&user.subject],
        )
        .await;
    assert_eq!(as_i64(&open[0][0]), 0, "no hold left open");
}

#[tokio::test]
async fn the_model_reads_what_the_parser_cannot_and_the_read_is_paid_exactly() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let text = "did pullups 8 8 6 heron";
    let response = stack
        .authed(Method::POST, "/v1/chat", &user)
        .json(&json!({"message": text, "client_message_id": "m-1"}))
        .send()
        .await
        .unwrap();
    let (status, headers, body) = read(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "logged");
    let sets = body["workout"]["entries"][0]["sets"].as_array().unwrap();
    assert_eq!(body["workout"]["entries"][0]["exercise"], "pull_up");
    let reps: Vec<_> = sets.iter().map(|set| set["reps"].clone()).collect();
    assert_eq!(reps, [json!(8), json!(8), json!(6)]);

    // The reply shows what it cost; the ledger has the call, tokens apart.
    let spent = body["credits"]["spent"].as_f64().unwrap();
    assert!(spent > 0.0, "{body}");
    let ledger = ledger(&stack, &user).await;
    let calls = model_calls(&ledger);
    assert_eq!(calls.len(), 1, "{ledger:?}");
    let call = calls[0];
    assert_eq!(call["purpose"], "read a chat message");
    assert_eq!(call["model"], "us.amazon.nova-lite-v1:0");
    assert_eq!(
        call["request_id"],
        headers["x-request-id"].to_str().unwrap(),
        "recorded with the request that made it"
    );
    let tokens = call["input_tokens"].as_i64().unwrap() + call["output_tokens"].as_i64().unwrap();
    assert!(call["input_tokens"].as_i64().unwrap() > 0);
    assert_eq!(call["delta_units"].as_i64().unwrap(), -tokens);
    let per_credit = stack.tokens_per_credit as f64;
    assert!((spent - tokens as f64 / per_credit).abs() < 1e-9, "{spent}");
    let starter_units = stack.starter_credits * stack.tokens_per_credit;
    assert_eq!(
        call["balance_after_units"].as_i64().unwrap(),
        starter_units - tokens
    );

    // The message as stored says the same; a retry replays it and charges nothing.
    let stored = message(&stack, &user, &body["message_id"]).await;
    assert_eq!(stored["status"], "logged");
    assert_eq!(stored["workout"], body["workout"]);
    assert_eq!(stored["credits"]["spent"], body["credits"]["spent"]);
    assert_eq!(stored["attempts"], 1);
    let (status, again) = chat(&stack, &user, text, "m-1").await;
    assert_eq!(status, 200);
    assert_eq!(again["workout"], body["workout"]);
    assert_eq!(model_calls(&ledger_again(&stack, &user).await).len(), 1);
    assert_eq!(count(&stack, &user, "workouts").await, 1);
    assert_debits_match_answers(&stack, &user).await;
}

async fn ledger_again(stack: &Stack, user: &TestUser) -> Vec<Value> {
    ledger(stack, user).await
}

#[tokio::test]
async fn an_unsure_reading_is_proposed_and_logged_only_once_confirmed() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, proposed) = chat(&stack, &user, "pull ups 8, 8, 6 i think", "p-1").await;
    assert_eq!(status, 200, "{proposed}");
    assert_eq!(proposed["status"], "proposed");
    assert_eq!(proposed["workout"], Value::Null);
    assert_eq!(proposed["proposal"]["entries"][0]["exercise"], "pull_up");
    assert_eq!(
        proposed["proposal"]["entries"][0]["sets"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let reply = proposed["reply"].as_str().unwrap();
    assert!(reply.contains("Confirm"), "{reply}");
    assert!(proposed["credits"]["spent"].as_f64().unwrap() > 0.0);
    assert_eq!(
        count(&stack, &user, "workouts").await,
        0,
        "nothing logged yet"
    );

    let id = proposed["message_id"].as_str().unwrap();
    let confirm = format!("/v1/chat/{id}/confirm");
    let (status, _, logged) = stack
        .send_json(&user, Method::POST, &confirm, &json!({}))
        .await;
    assert_eq!(status, 200, "{logged}");
    assert_eq!(logged["status"], "logged");
    assert_eq!(logged["message_id"], proposed["message_id"]);
    assert_eq!(
        logged["workout"]["entries"][0]["sets"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(logged["credits"]["spent"], proposed["credits"]["spent"]);
    assert!(
        !logged["next_targets"].as_array().unwrap().is_empty(),
        "{logged}"
    );

    // Confirming again shows it logged; nothing twice.
    let (status, _, again) = stack
        .send_json(&user, Method::POST, &confirm, &json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(again["workout"]["id"], logged["workout"]["id"]);
    assert_eq!(count(&stack, &user, "workouts").await, 1);

    // An edited proposal logs the edit; a bad edit names its field and keeps it.
    let (_, second) = chat(&stack, &user, "pull ups 5, 5 maybe", "p-2").await;
    assert_eq!(second["status"], "proposed", "{second}");
    let confirm = format!(
        "/v1/chat/{}/confirm",
        second["message_id"].as_str().unwrap()
    );
    let (status, headers, problem) = stack
        .send_json(
            &user,
            Method::POST,
            &confirm,
            &json!({"entries": [{"exercise": "no_such_move", "sets": [{"reps": 5}]}]}),
        )
        .await;
    assert_problem(status, &headers, &problem, 422, "validation-failed");
    assert_eq!(
        problem["errors"][0]["field"], "entries[0].exercise",
        "{problem}"
    );
    assert_eq!(
        message(&stack, &user, &second["message_id"]).await["status"],
        "proposed"
    );
    let (status, _, edited) = stack
        .send_json(
            &user,
            Method::POST,
            &confirm,
            &json!({"entries": [{"exercise": "pull_up", "sets": [{"reps": 6}, {"reps": 6}, {"reps": 5}, {"reps": 5}]}]}),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(
        edited["workout"]["entries"][0]["sets"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    // A message that is not a proposal cannot be confirmed.
    let (_, plain) = chat(&stack, &user, "3x8 push-ups", "p-3").await;
    let confirm = format!("/v1/chat/{}/confirm", plain["message_id"].as_str().unwrap());
    let (status, headers, problem) = stack
        .send_json(&user, Method::POST, &confirm, &json!({}))
        .await;
    assert_problem(status, &headers, &problem, 409, "not-proposed");
    // Nor someone else's.
    let other = stack.new_user();
    let (status, headers, problem) = stack
        .send_json(
            &other,
            Method::POST,
            &format!("/v1/chat/{id}/confirm"),
            &json!({}),
        )
        .await;
    assert_problem(status, &headers, &problem, 404, "not-found");
    assert_debits_match_answers(&stack, &user).await;
}

#[tokio::test]
async fn throttling_is_retried_within_the_request() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    stack
        .bedrock_faults(
            &json!({"next": [{"kind": "throttle"}, {"kind": "server_error"}], "scope": "osprey", "operation": "converse"}),
        )
        .await;
    let (status, body) = chat(&stack, &user, "did pullups 8 8 6 osprey", "t-1").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "logged");
    assert_eq!(model_calls(&ledger(&stack, &user).await).len(), 1);
    assert_debits_match_answers(&stack, &user).await;
}

#[tokio::test]
async fn malformed_model_output_is_never_stored_and_the_cron_retries_until_it_reads() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    stack
        .bedrock_faults(&json!({"next": [{"kind": "text_instead_of_tool"}, {"kind": "schema_breaking_tool_call"}], "scope": "plover", "operation": "converse"}))
        .await;
    let (status, body) = chat(&stack, &user, "did pullups 8 8 6 plover", "f-1").await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "pending");
    assert_eq!(body["failure_reason"], "model_output_invalid");
    assert_eq!(count(&stack, &user, "workouts").await, 0, "never stored");
    assert!(
        model_calls(&ledger(&stack, &user).await).is_empty(),
        "nothing charged"
    );

    // Listed as unfinished until the cron reads it.
    let (status, _, unfinished) = stack.get_json(&user, "/v1/chat?unfinished=true").await;
    assert_eq!(status, 200);
    assert_eq!(unfinished["items"][0]["id"], body["message_id"]);
    assert_eq!(
        unfinished["items"][0]["failure_reason"],
        "model_output_invalid"
    );

    let settled = cron_until_settled(&stack, &user, &body["message_id"]).await;
    assert_eq!(settled["status"], "logged", "{settled}");
    assert_eq!(settled["attempts"], 3, "two bad answers, then a good one");
    assert_eq!(count(&stack, &user, "workouts").await, 1);
    let (_, _, unfinished) = stack.get_json(&user, "/v1/chat?unfinished=true").await;
    assert_eq!(unfinished["items"], json!([]));
    assert_eq!(model_calls(&ledger(&stack, &user).await).len(), 1);
    assert_debits_match_answers(&stack, &user).await;
}

#[tokio::test]
async fn a_message_the_model_keeps_failing_is_failed_with_its_reason_and_can_be_retried() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let bad = json!({"kind": "text_instead_of_tool"});
    stack
        .bedrock_faults(
            &json!({"next": [bad, bad, bad], "scope": "grebe", "operation": "converse"}),
        )
        .await;
    let (status, body) = chat(&stack, &user, "did pullups 8 8 6 grebe", "g-1").await;
    assert_eq!(status, 202, "{body}");
    let failed = cron_until_settled(&stack, &user, &body["message_id"]).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["failure_reason"], "model_output_invalid");
    assert_eq!(failed["attempts"], 3);
    // The cron leaves it alone now.
    stack.run_cron().await;
    assert_eq!(
        message(&stack, &user, &body["message_id"]).await["status"],
        "failed"
    );

    let retry = format!("/v1/chat/{}/retry", body["message_id"].as_str().unwrap());
    let (status, _, retried) = retry_message(&stack, &user, &retry).await;
    assert_eq!(status, 200, "{retried}");
    assert_eq!(retried["status"], "logged");
    let (status, headers, problem) = retry_message(&stack, &user, &retry).await;
    assert_problem(status, &headers, &problem, 409, "not-retryable");
    assert_eq!(count(&stack, &user, "workouts").await, 1);
    assert_debits_match_answers(&stack, &user).await;
}

#[tokio::test]
async fn a_slow_model_answers_pending_and_the_read_finishes_after_the_response() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    stack
        .bedrock_faults(&json!({"next": [{"kind": "slow", "delay_ms": 8000}], "scope": "egret", "operation": "converse"}))
        .await;
    let started = Instant::now();
    let (status, body) = chat(&stack, &user, "did pullups 8 8 6 egret", "s-1").await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "pending");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "answered before the model"
    );
    let settled = poll_until_settled(&stack, &user, &body["message_id"]).await;
    assert_eq!(settled["status"], "logged", "{settled}");
    assert_eq!(
        settled["attempts"], 1,
        "the same attempt, finished after the response"
    );
    assert_eq!(model_calls(&ledger(&stack, &user).await).len(), 1);
    assert_debits_match_answers(&stack, &user).await;
}

#[tokio::test]
async fn a_balance_short_of_the_worst_case_is_402_and_the_message_waits_for_a_top_up() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let id = user_id(&stack, &user).await;
    stack
        .sql(
            "update users set credit_units = 10 where auth_subject = $1",
            &[&user.subject],
        )
        .await;
    let response = stack
        .authed(Method::POST, "/v1/chat", &user)
        .json(&json!({"message": "did pullups 8 8 6 curlew", "client_message_id": "c-1"}))
        .send()
        .await
        .unwrap();
    let (status, headers, problem) = read(response).await;
    assert_problem(status, &headers, &problem, 402, "insufficient-credits");
    let price = problem["price"].as_f64().unwrap();
    assert!(price * stack.tokens_per_credit as f64 > 10.0, "{problem}");
    assert!(problem["balance"].as_f64().unwrap() < price);

    // Kept, failed with its reason, listed, and retried after a top-up.
    let (_, _, unfinished) = stack.get_json(&user, "/v1/chat?unfinished=true").await;
    let item = &unfinished["items"][0];
    assert_eq!(item["status"], "failed", "{unfinished}");
    assert_eq!(item["failure_reason"], "insufficient_credits");
    let response = stack
        .request(Method::POST, "/admin/credits")
        .bearer_auth(&stack.admin_secret)
        .json(&json!({"user_id": id, "credits": 5, "idempotency_key": "top-up-c-1"}))
        .send()
        .await
        .unwrap();
    let (status, _, topped) = read(response).await;
    assert_eq!(status, 200, "{topped}");
    let retry = format!("/v1/chat/{}/retry", item["id"].as_str().unwrap());
    let (status, _, retried) = retry_message(&stack, &user, &retry).await;
    assert_eq!(status, 200, "{retried}");
    assert_eq!(retried["status"], "logged");
    assert_debits_match(&stack, &user).await;
}

#[tokio::test]
async fn a_database_answer_lost_after_commit_is_replayed_and_charged_once() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let id = user_id(&stack, &user).await;
    stack
        .neon_faults(
            &json!([{"kind": "lost_response", "scope": "insert into workout_sets", "param": id}]),
        )
        .await;
    let text = "did pullups 8 8 6 bittern";
    let (status, problem) = chat(&stack, &user, text, "n-1").await;
    assert_eq!(status, 503, "{problem}");
    assert_eq!(problem["type"], "urn:tora:problem:database-unavailable");
    // It did land: the retry replays it, and nothing is read or charged twice.
    let (status, body) = chat(&stack, &user, text, "n-1").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "logged");
    assert_eq!(count(&stack, &user, "workouts").await, 1);
    assert_eq!(model_calls(&ledger(&stack, &user).await).len(), 1);
    assert_debits_match_answers(&stack, &user).await;
}

#[tokio::test]
async fn a_database_outage_while_answering_leaves_the_message_for_the_cron() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let id = user_id(&stack, &user).await;
    stack
        .neon_faults(
            &json!([{"kind": "unavailable", "scope": "insert into workout_sets", "param": id}]),
        )
        .await;
    let text = "did pullups 8 8 6 avocet";
    let (status, problem) = chat(&stack, &user, text, "o-1").await;
    assert_eq!(status, 503, "{problem}");
    assert_eq!(count(&stack, &user, "workouts").await, 0);
    // Accepted and kept: the retry says it is pending, the cron reads it again.
    let (status, body) = chat(&stack, &user, text, "o-1").await;
    assert_eq!(status, 202, "{body}");
    let settled = cron_until_settled(&stack, &user, &body["message_id"]).await;
    assert_eq!(settled["status"], "logged", "{settled}");
    assert_eq!(count(&stack, &user, "workouts").await, 1);
    assert_eq!(model_calls(&ledger(&stack, &user).await).len(), 1);
    assert_debits_match_answers(&stack, &user).await;
}

#[tokio::test]
async fn an_ai_coach_style_has_the_model_phrase_replies_and_each_shows_its_cost() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, headers, problem) = stack
        .send_json(
            &user,
            Method::PATCH,
            "/v1/me",
            &json!({"coach_style": "poetic"}),
        )
        .await;
    assert_problem(status, &headers, &problem, 422, "validation-failed");
    assert_eq!(problem["errors"][0]["field"], "coach_style");

    // Templated by default: free.
    let (_, _, me) = stack.get_json(&user, "/v1/me").await;
    assert_eq!(me["coach_style"], "templated");
    let (status, plain) = chat(&stack, &user, "3x8 pull-ups", "a-1").await;
    assert_eq!(status, 200, "{plain}");
    assert!(
        plain["reply"]
            .as_str()
            .unwrap()
            .starts_with("Logged 3 sets")
    );
    assert_eq!(plain["credits"]["spent"], 0);

    let (status, _, me) = stack
        .send_json(
            &user,
            Method::PATCH,
            "/v1/me",
            &json!({"coach_style": "ai"}),
        )
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["coach_style"], "ai");
    let (status, phrased) = chat(&stack, &user, "3x10 dips", "a-2").await;
    assert_eq!(status, 200, "{phrased}");
    assert_eq!(phrased["status"], "logged");
    let reply = phrased["reply"].as_str().unwrap();
    assert!(
        !reply.starts_with("Logged 3 sets"),
        "phrased by the model: {reply}"
    );
    let spent = phrased["credits"]["spent"].as_f64().unwrap();
    assert!(spent > 0.0, "{phrased}");
    // The decision is still the rules': the same targets as the templated path gives.
    assert!(!phrased["next_targets"].as_array().unwrap().is_empty());
    let ledger = ledger(&stack, &user).await;
    let calls = model_calls(&ledger);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["purpose"], "phrase a coaching reply");
    assert_debits_match_answers(&stack, &user).await;
}

#[tokio::test]
async fn n_concurrent_model_reads_against_a_balance_covering_k_give_exactly_k_debits() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    user_id(&stack, &user).await;
    let set_units = |units: i64| {
        let stack = &stack;
        let subject = user.subject.clone();
        async move {
            stack
                .sql(
                    "update users set credit_units = $1::int8 where auth_subject = $2",
                    &[&units.to_string(), &subject],
                )
                .await;
        }
    };
    // Every message has the same length, so the same worst case: learn it from a 402.
    set_units(0).await;
    let (status, problem) = chat(&stack, &user, "did pullups 8 8 6 tern-0", "k-0").await;
    assert_eq!(status, 402, "{problem}");
    let price =
        (problem["price"].as_f64().unwrap() * stack.tokens_per_credit as f64).round() as i64;
    assert!(price > 2_048, "the prompt plus maxTokens: {price}");

    // Enough for 3 holds, not 4. Each read is slow, so every hold is taken before any
    // settles and gives back what it did not use.
    let (n, k) = (6, 3);
    set_units(k * price + price / 2).await;
    let slow: Vec<Value> = (0..n)
        .map(|_| json!({"kind": "slow", "delay_ms": 2500}))
        .collect();
    stack
        .bedrock_faults(&json!({"next": slow, "scope": "tern-", "operation": "converse"}))
        .await;
    let sends = (1..=n).map(|index| {
        let stack = &stack;
        let user = &user;
        async move {
            chat(
                stack,
                user,
                &format!("did pullups 8 8 6 tern-{index}"),
                &format!("k-{index}"),
            )
            .await
        }
    });
    let answers = join_all(sends).await;
    let logged = answers.iter().filter(|(status, _)| *status == 200).count();
    let refused = answers.iter().filter(|(status, _)| *status == 402).count();
    assert_eq!(
        (logged, refused),
        (k as usize, (n - k) as usize),
        "{answers:?}"
    );
    for (status, body) in &answers {
        if *status == 200 {
            assert_eq!(body["status"], "logged", "{body}");
        } else {
            assert_eq!(
                body["type"], "urn:tora:problem:insufficient-credits",
                "{body}"
            );
        }
    }
    assert_eq!(model_calls(&ledger(&stack, &user).await).len(), k as usize);
    let units = stack
        .sql(
            "select credit_units from users where auth_subject = $1",
            &[&user.subject],
        )
        .await;
    assert!(as_i64(&units[0][0]) >= 0, "never negative");
    assert_debits_match(&stack, &user).await;
    // The refused requests never reached the model: their slow faults stay queued,
    // scoped to this test's marker.
}
