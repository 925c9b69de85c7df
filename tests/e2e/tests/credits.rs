//! Credits against the real database: concurrent holds through the store the worker
//! runs, and the ledger, top-ups and the starter grant over HTTP. What chat charges
//! for model calls is tested in `model_chat.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::Method;
use serde_json::{Value, json};
use tora_core::domain::credits::{Credits, Usage};
use tora_core::ports::{CreditHold, CreditStore, ModelCharge, Reserved};
use tora_e2e::store::Db;
use tora_e2e::{Stack, TestUser, assert_problem, join_all, read};
use uuid::Uuid;

/// Provisions the user over HTTP and sets their balance to `units` exactly.
async fn user_with_units(stack: &Stack, units: i64) -> (TestUser, Uuid) {
    let user = stack.new_user();
    let (status, _, me) = stack.get_json(&user, "/v1/me").await;
    assert_eq!(status, 200, "{me}");
    stack
        .sql(
            "update users set credit_units = $1::int8 where auth_subject = $2",
            &[&units.to_string(), &user.subject],
        )
        .await;
    let id = Uuid::parse_str(me["id"].as_str().unwrap()).unwrap();
    (user, id)
}

async fn units_of(stack: &Stack, subject: &str) -> i64 {
    let rows = stack
        .sql(
            "select credit_units from users where auth_subject = $1",
            &[subject],
        )
        .await;
    // Neon sends int8 as text.
    match &rows[0][0] {
        Value::String(text) => text.parse().unwrap(),
        other => other.as_i64().unwrap(),
    }
}

fn hold<'a>(user_id: Uuid, key: &'a str, price: i64) -> CreditHold<'a> {
    CreditHold {
        user_id,
        id: Uuid::new_v4(),
        idempotency_key: key,
        price: Credits::from_units(price),
        purpose: "coach reply",
        expires_in_secs: 900,
    }
}

/// Runs every hold at once (all requests in flight together) and returns the answers.
async fn reserve_all(db: &Db, holds: &[CreditHold<'_>]) -> Vec<Reserved> {
    let client = db.client();
    let attempts = holds.iter().map(|hold| client.reserve(hold));
    let mut answers = Vec::new();
    for answer in join_all(attempts).await {
        answers.push(answer.unwrap());
    }
    answers
}

#[tokio::test]
async fn n_concurrent_holds_against_a_balance_covering_k_give_exactly_k() {
    let stack = Stack::from_env();
    let db = Db::new(&stack);
    let price = 1_000;
    // Covers 5 holds and not a sixth.
    let (user, user_id) = user_with_units(&stack, 5 * price + 999).await;
    let keys: Vec<String> = (0..12).map(|call| format!("call-{call}")).collect();
    let holds: Vec<_> = keys.iter().map(|key| hold(user_id, key, price)).collect();

    let answers = reserve_all(&db, &holds).await;

    let held = answers
        .iter()
        .filter(|answer| matches!(answer, Reserved::Held(_)))
        .count();
    assert_eq!(held, 5, "{answers:?}");
    for answer in &answers {
        if let Reserved::Insufficient(refused) = answer {
            assert!(refused.balance.units() < price, "{refused:?}");
            assert_eq!(refused.price, Credits::from_units(price));
        }
    }
    assert_eq!(units_of(&stack, &user.subject).await, 999);
    let rows = stack
        .sql(
            "select count(*)::int4 from credit_reservations where user_id = $1::uuid",
            &[&user_id.to_string()],
        )
        .await;
    assert_eq!(rows[0][0], 5);
}

#[tokio::test]
async fn concurrent_holds_with_one_key_take_the_price_once() {
    let stack = Stack::from_env();
    let db = Db::new(&stack);
    let (user, user_id) = user_with_units(&stack, 10_000).await;
    let holds: Vec<_> = (0..6).map(|_| hold(user_id, "same-call", 2_500)).collect();

    let answers = reserve_all(&db, &holds).await;

    let ids: Vec<Uuid> = answers
        .iter()
        .map(|answer| match answer {
            Reserved::Held(held) => held.id,
            Reserved::Insufficient(refused) => panic!("refused: {refused:?}"),
        })
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "one hold: {ids:?}");
    assert_eq!(units_of(&stack, &user.subject).await, 7_500);
}

#[tokio::test]
async fn settling_charges_the_tokens_refunds_the_rest_and_records_the_call_once() {
    let stack = Stack::from_env();
    let db = Db::new(&stack);
    let (user, user_id) = user_with_units(&stack, 10_000).await;
    let Reserved::Held(held) = db
        .client()
        .reserve(&hold(user_id, "call-1", 4_000))
        .await
        .unwrap()
    else {
        panic!("refused")
    };
    assert_eq!(units_of(&stack, &user.subject).await, 6_000);
    let charge = ModelCharge {
        user_id,
        hold_id: held.id,
        entry_id: Uuid::new_v4(),
        model: "anthropic.claude-test",
        usage: Usage {
            input_tokens: 1_234,
            output_tokens: 567,
        },
        request_id: "req-settle",
    };

    let settled = db.client().settle(&charge).await.unwrap();
    assert_eq!(
        settled,
        Some((Credits::from_units(1_801), Credits::from_units(8_199)))
    );
    assert_eq!(units_of(&stack, &user.subject).await, 8_199);
    let again = ModelCharge {
        entry_id: Uuid::new_v4(),
        ..charge.clone()
    };
    assert_eq!(db.client().settle(&again).await.unwrap(), None);
    assert_eq!(units_of(&stack, &user.subject).await, 8_199);

    let (status, _, credits) = stack.get_json(&user, "/v1/credits").await;
    assert_eq!(status, 200, "{credits}");
    let call = &credits["ledger"]["items"][0];
    assert_eq!(call["reason"], "model_call");
    assert_eq!(call["delta_units"], -1_801);
    assert_eq!(call["balance_after_units"], 8_199);
    assert_eq!(call["model"], "anthropic.claude-test");
    assert_eq!(call["input_tokens"], 1_234);
    assert_eq!(call["output_tokens"], 567);
    assert_eq!(call["request_id"], "req-settle");
    assert_eq!(call["purpose"], "coach reply");
    assert_eq!(credits["balance"]["units"], 8_199);
}

/// Every way an expired hold is given back, in one test: the cron and the scheduled
/// release give back everyone's, so run beside another test of expired holds they
/// would take that test's holds too.
#[tokio::test]
async fn expired_holds_are_given_back_whole_and_can_no_longer_be_charged() {
    let stack = Stack::from_env();
    let db = Db::new(&stack);

    // By the same person's next hold; a late settle then charges nothing.
    let (user, user_id) = user_with_units(&stack, 5_000).await;
    let expired = CreditHold {
        expires_in_secs: 0,
        ..hold(user_id, "crashed-call", 3_000)
    };
    let Reserved::Held(held) = db.client().reserve(&expired).await.unwrap() else {
        panic!("refused")
    };
    assert_eq!(units_of(&stack, &user.subject).await, 2_000);

    // The next hold of the same person gives the expired one back first.
    let Reserved::Held(_) = db
        .client()
        .reserve(&hold(user_id, "next-call", 4_500))
        .await
        .unwrap()
    else {
        panic!("the expired hold was not given back")
    };
    assert_eq!(units_of(&stack, &user.subject).await, 500);
    let late = ModelCharge {
        user_id,
        hold_id: held.id,
        entry_id: Uuid::new_v4(),
        model: "m",
        usage: Usage {
            input_tokens: 10,
            output_tokens: 10,
        },
        request_id: "late",
    };
    assert_eq!(db.client().settle(&late).await.unwrap(), None);
    assert_eq!(units_of(&stack, &user.subject).await, 500);

    // The Cron Trigger: `wrangler dev --test-scheduled` runs the worker's scheduled
    // handler on this route, as Cloudflare does on the schedule in production.
    let (user, user_id) = user_with_units(&stack, 5_000).await;
    let expired = CreditHold {
        expires_in_secs: 0,
        ..hold(user_id, "crashed-before-cron", 3_000)
    };
    db.client().reserve(&expired).await.unwrap();
    assert_eq!(units_of(&stack, &user.subject).await, 2_000);
    let response = stack
        .request(Method::GET, "/__scheduled?cron=*/5+*+*+*+*")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(units_of(&stack, &user.subject).await, 5_000);

    // The release the cron runs, called directly.
    let (user, user_id) = user_with_units(&stack, 5_000).await;
    let expired = CreditHold {
        expires_in_secs: 0,
        ..hold(user_id, "crashed", 3_000)
    };
    db.client().reserve(&expired).await.unwrap();
    assert!(db.client().release_expired().await.unwrap() >= 1);
    assert_eq!(units_of(&stack, &user.subject).await, 5_000);
}

async fn top_up(
    stack: &Stack,
    secret: &str,
    body: &Value,
) -> (u16, reqwest::header::HeaderMap, Value) {
    read(
        stack
            .request(Method::POST, "/admin/credits")
            .bearer_auth(secret)
            .json(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn the_ledger_starts_with_the_starter_grant_in_pages() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, _, credits) = stack.get_json(&user, "/v1/credits?limit=1").await;
    assert_eq!(status, 200, "{credits}");
    let units = stack.starter_credits * stack.tokens_per_credit;
    assert_eq!(
        credits["balance"],
        json!({"credits": stack.starter_credits, "units": units})
    );
    assert_eq!(credits["tokens_per_credit"], stack.tokens_per_credit);
    let items = credits["ledger"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["reason"], "starter_grant");
    assert_eq!(items[0]["delta"], stack.starter_credits);
    assert_eq!(credits["ledger"]["next_cursor"], Value::Null);

    for key in ["a", "b"] {
        let (status, _, body) = top_up(
            &stack,
            &stack.admin_secret,
            &json!({"subject": user.subject, "credits": 1, "idempotency_key": key}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let (_, _, first) = stack.get_json(&user, "/v1/credits?limit=2").await;
    let cursor = first["ledger"]["next_cursor"].as_str().unwrap().to_owned();
    let (_, _, second) = stack
        .get_json(&user, &format!("/v1/credits?limit=2&cursor={cursor}"))
        .await;
    let reasons: Vec<&Value> = first["ledger"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["ledger"]["items"].as_array().unwrap())
        .map(|item| &item["reason"])
        .collect();
    assert_eq!(
        reasons,
        vec!["admin_top_up", "admin_top_up", "starter_grant"]
    );
    assert_eq!(second["ledger"]["next_cursor"], Value::Null);
}

#[tokio::test]
async fn a_top_up_needs_the_admin_secret_and_lands_once_per_key() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    stack.get_json(&user, "/v1/me").await;
    let body = json!({"subject": user.subject, "credits": 5, "note": "support ticket", "idempotency_key": "t-1"});

    let (status, headers, problem) = top_up(&stack, "not-the-secret", &body).await;
    assert_problem(status, &headers, &problem, 401, "unauthenticated");
    let (status, headers, problem) = top_up(&stack, &user.token, &body).await;
    assert_problem(status, &headers, &problem, 401, "unauthenticated");

    let (status, _, first) = top_up(&stack, &stack.admin_secret, &body).await;
    assert_eq!(status, 200, "{first}");
    let (status, _, again) = top_up(&stack, &stack.admin_secret, &body).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(first["entry"]["id"], again["entry"]["id"]);
    assert_eq!(again["balance"]["credits"], stack.starter_credits + 5);
    assert_eq!(first["entry"]["purpose"], "support ticket");
    assert_eq!(first["entry"]["reason"], "admin_top_up");

    let (_, _, me) = stack.get_json(&user, "/v1/me").await;
    assert_eq!(me["credits"]["balance"], stack.starter_credits + 5);

    let (status, headers, problem) = top_up(
        &stack,
        &stack.admin_secret,
        &json!({"subject": "nobody-ever", "credits": 5}),
    )
    .await;
    assert_problem(status, &headers, &problem, 404, "account-not-found");
    let (status, headers, problem) = top_up(
        &stack,
        &stack.admin_secret,
        &json!({"subject": user.subject, "credits": 0}),
    )
    .await;
    assert_problem(status, &headers, &problem, 422, "validation-failed");
}

#[tokio::test]
async fn an_erased_account_that_comes_back_gets_no_second_starter_grant() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (_, _, me) = stack.get_json(&user, "/v1/me").await;
    assert_eq!(me["credits"]["balance"], stack.starter_credits);

    let response = stack
        .authed(Method::DELETE, "/v1/me", &user)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    let (status, _, again) = stack.get_json(&user, "/v1/me").await;
    assert_eq!(status, 200, "{again}");
    assert_ne!(again["id"], me["id"], "a new account");
    assert_eq!(again["credits"]["balance"], 0);
    let (_, _, credits) = stack.get_json(&user, "/v1/credits").await;
    assert_eq!(credits["ledger"]["items"], json!([]));
    assert_eq!(credits["balance"]["units"], 0);
}
