//! `/v1/meals` through the built worker, the real database and the Bedrock double: a
//! described meal is read into foods and macros, paid for, totalled by the person's
//! local day, and deleted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::Method;
use serde_json::{Value, json};
use tora_e2e::{Stack, TestUser, assert_problem, jpeg_bytes};

async fn log_meal(
    stack: &Stack,
    user: &TestUser,
    body: &Value,
) -> (u16, reqwest::header::HeaderMap, Value) {
    stack.send_json(user, Method::POST, "/v1/meals", body).await
}

#[tokio::test]
async fn a_described_meal_is_read_paid_for_and_totalled_by_the_local_day() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, _, me) = stack
        .send_json(
            &user,
            Method::PATCH,
            "/v1/me",
            &json!({"timezone": "Europe/Berlin"}),
        )
        .await;
    assert_eq!(status, 200, "{me}");

    let (status, _, lunch) = log_meal(
        &stack,
        &user,
        &json!({"description": "200 g chicken and 150 g rice", "eaten_at": "2026-11-20T11:30:00Z"}),
    )
    .await;
    assert_eq!(status, 201, "{lunch}");
    let meal = &lunch["meal"];
    assert_eq!(meal["description"], "200 g chicken and 150 g rice");
    assert_eq!(
        meal["items"],
        json!([{"name": "chicken", "grams": 200.0}, {"name": "rice", "grams": 150.0}])
    );
    let (kcal, protein, carbs, fat) = (
        meal["kcal"].as_f64().unwrap(),
        meal["protein_g"].as_f64().unwrap(),
        meal["carbs_g"].as_f64().unwrap(),
        meal["fat_g"].as_f64().unwrap(),
    );
    assert!(protein > 60.0, "{meal}");
    assert!(
        (kcal - (4.0 * protein + 4.0 * carbs + 9.0 * fat)).abs() < 1.0,
        "{meal}"
    );
    let spent = lunch["credits"]["spent"].as_f64().unwrap();
    assert!(spent > 0.0, "{lunch}");

    // The call is in the ledger, paid exactly.
    let (_, _, credits) = stack.get_json(&user, "/v1/credits").await;
    let call = credits["ledger"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["purpose"] == "read a meal")
        .unwrap()
        .clone();
    let tokens = call["input_tokens"].as_i64().unwrap() + call["output_tokens"].as_i64().unwrap();
    assert_eq!(call["delta_units"].as_i64().unwrap(), -tokens);

    // A second meal late on the 20th in Berlin is 23:30 UTC: still the 20th there. A
    // third, at 23:30 UTC on the 20th, is the 21st in Berlin.
    let (status, _, _) = log_meal(
        &stack,
        &user,
        &json!({"description": "2 egg and 100 g bread", "eaten_at": "2026-11-20T21:30:00Z"}),
    )
    .await;
    assert_eq!(status, 201);
    let (status, _, _) = log_meal(
        &stack,
        &user,
        &json!({"description": "banana", "eaten_at": "2026-11-20T23:30:00Z"}),
    )
    .await;
    assert_eq!(status, 201);

    let (status, _, day) = stack.get_json(&user, "/v1/meals?date=2026-11-20").await;
    assert_eq!(status, 200, "{day}");
    assert_eq!(day["timezone"], "Europe/Berlin");
    let meals = day["meals"].as_array().unwrap();
    assert_eq!(meals.len(), 2, "{day}");
    let summed: f64 = meals
        .iter()
        .map(|meal| meal["kcal"].as_f64().unwrap())
        .sum();
    assert!((day["totals"]["kcal"].as_f64().unwrap() - summed).abs() < 0.2);
    let (_, _, next) = stack.get_json(&user, "/v1/meals?date=2026-11-21").await;
    assert_eq!(next["meals"].as_array().unwrap().len(), 1);

    // Nobody else sees them or deletes them.
    let other = stack.new_user();
    let (_, _, theirs) = stack.get_json(&other, "/v1/meals?date=2026-11-20").await;
    assert_eq!(theirs["meals"], json!([]));
    let path = format!("/v1/meals/{}", meals[0]["id"].as_str().unwrap());
    let response = stack
        .authed(Method::DELETE, &path, &other)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let response = stack
        .authed(Method::DELETE, &path, &user)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let (_, _, day) = stack.get_json(&user, "/v1/meals?date=2026-11-20").await;
    assert_eq!(day["meals"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn bad_meals_are_clear_problems_and_a_short_balance_is_402() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    // Provisioned first: bad input is refused before the user is looked up.
    let (status, _, _) = stack.get_json(&user, "/v1/me").await;
    assert_eq!(status, 200);
    for (body, field) in [
        (json!({"description": "   "}), "description"),
        (json!({"description": "x".repeat(501)}), "description"),
        (
            json!({"description": "rice", "eaten_at": "2999-01-01T00:00:00Z"}),
            "eaten_at",
        ),
    ] {
        let (status, headers, problem) = log_meal(&stack, &user, &body).await;
        assert_problem(status, &headers, &problem, 422, "validation-failed");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let (status, headers, problem) = log_meal(&stack, &user, &json!({"photo": "x"})).await;
    assert!(status == 400 || status == 422, "{status}: {problem}");
    assert_eq!(headers["content-type"], "application/problem+json");
    let (status, headers, problem) = stack.get_json(&user, "/v1/meals?date=20-11-2026").await;
    assert_problem(status, &headers, &problem, 422, "validation-failed");
    assert_eq!(problem["errors"][0]["field"], "date");

    stack
        .sql(
            "update users set credit_units = 10 where auth_subject = $1",
            &[&user.subject],
        )
        .await;
    let (status, headers, problem) =
        log_meal(&stack, &user, &json!({"description": "200 g chicken"})).await;
    assert_problem(status, &headers, &problem, 402, "insufficient-credits");
    assert!(problem["price"].as_f64().unwrap() > problem["balance"].as_f64().unwrap());
    let (_, _, day) = stack.get_json(&user, "/v1/meals").await;
    assert_eq!(day["meals"], json!([]), "nothing stored");
}

#[tokio::test]
async fn a_meal_the_model_cannot_read_costs_nothing() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    stack
        .bedrock_faults(&json!({"next": [{"kind": "schema_breaking_tool_call"}], "scope": "quokka", "operation": "converse"}))
        .await;
    let (status, headers, problem) =
        log_meal(&stack, &user, &json!({"description": "quokka stew, 300 g"})).await;
    assert_problem(status, &headers, &problem, 502, "model-failed");
    let (_, _, credits) = stack.get_json(&user, "/v1/credits").await;
    assert!(
        credits["ledger"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|entry| entry["reason"] != "model_call"),
        "{credits}"
    );
    assert_eq!(
        credits["balance"]["units"],
        stack.starter_credits * stack.tokens_per_credit
    );
}

#[tokio::test]
async fn a_meal_told_in_chat_is_logged_the_same_way_and_a_retry_logs_it_once() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let body = json!({"message": "log my lunch: 200 g chicken and 150 g rice", "client_message_id": "meal-1"});
    let (status, _, answer) = stack
        .send_json(&user, Method::POST, "/v1/chat", &body)
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "answered");
    let reply = answer["reply"].as_str().unwrap();
    assert!(reply.starts_with("Logged your meal: about"), "{reply}");
    assert!(reply.contains("chicken 200 g"), "{reply}");
    assert!(answer["credits"]["spent"].as_f64().unwrap() > 0.0);

    let (_, _, again) = stack
        .send_json(&user, Method::POST, "/v1/chat", &body)
        .await;
    assert_eq!(again["reply"], answer["reply"]);
    let (status, _, today) = stack.get_json(&user, "/v1/meals").await;
    assert_eq!(status, 200, "{today}");
    let meals = today["meals"].as_array().unwrap();
    assert_eq!(meals.len(), 1, "{today}");
    assert_eq!(meals[0]["description"], "200 g chicken and 150 g rice");
}

#[tokio::test]
async fn a_meal_photo_is_read_from_the_bucket_only_once_completed_and_only_by_its_owner() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let pending = stack.uploaded_photo(&user, jpeg_bytes(), false).await;
    let (status, headers, problem) = log_meal(&stack, &user, &json!({"upload_id": pending})).await;
    assert_problem(status, &headers, &problem, 422, "validation-failed");
    assert_eq!(problem["errors"][0]["field"], "upload_id");

    let photo = stack.uploaded_photo(&user, jpeg_bytes(), true).await;
    let other = stack.new_user();
    let (status, headers, problem) = log_meal(&stack, &other, &json!({"upload_id": photo})).await;
    assert_problem(status, &headers, &problem, 422, "validation-failed");

    let (status, _, logged) = log_meal(&stack, &user, &json!({"upload_id": photo})).await;
    assert_eq!(status, 201, "{logged}");
    let meal = &logged["meal"];
    assert_eq!(meal["upload_id"], photo.as_str());
    assert_eq!(meal["description"], Value::Null);
    assert!(!meal["items"].as_array().unwrap().is_empty(), "{meal}");
    assert!(logged["credits"]["spent"].as_f64().unwrap() > 0.0);

    let (status, headers, problem) = log_meal(
        &stack,
        &user,
        &json!({"upload_id": photo, "description": "and a coffee"}),
    )
    .await;
    assert_problem(status, &headers, &problem, 422, "validation-failed");
}
