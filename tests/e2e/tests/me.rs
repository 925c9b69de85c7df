//! `/v1/me`: provisioning on first sight, profile edits, erasure.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::Method;
use serde_json::json;
use tora_e2e::{Stack, assert_problem, read};

#[tokio::test]
async fn first_requests_provision_the_user_with_the_starter_grant_once() {
    let stack = Stack::from_env();
    let user = stack.new_user();

    // Several first requests at once: one user, one grant, the same answer for all.
    let requests: Vec<_> = (0..5)
        .map(|_| tokio::spawn(stack.authed(Method::GET, "/v1/me", &user).send()))
        .collect();
    let mut ids = Vec::new();
    for request in requests {
        let (status, headers, body) = read(request.await.unwrap().unwrap()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(body["credits"]["balance"], stack.starter_credits);
        assert_eq!(body["units"], "kg");
        assert_eq!(body["timezone"], "UTC");
        assert_eq!(body["display_name"], serde_json::Value::Null);
        ids.push(body["id"].clone());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one user id for one subject: {ids:?}");

    let (_, _, again) = read(
        stack
            .authed(Method::GET, "/v1/me", &user)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        again["credits"]["balance"], stack.starter_credits,
        "no second grant"
    );
    let rows = stack.rows_of(&user.subject).await;
    assert!(rows.contains(&("users".to_owned(), 1)), "{rows:?}");
    assert!(rows.contains(&("credit_ledger".to_owned(), 1)), "{rows:?}");
}

#[tokio::test]
async fn profile_changes_are_stored_and_returned() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, _, body) = read(
        stack
            .authed(Method::PATCH, "/v1/me", &user)
            .json(&json!({"display_name": "  Ana  ", "units": "lb", "timezone": "America/Argentina/Buenos_Aires"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["display_name"], "Ana");
    assert_eq!(body["units"], "lb");
    assert_eq!(body["timezone"], "America/Argentina/Buenos_Aires");

    // A partial patch keeps the other fields; null clears the name.
    let (status, _, body) = read(
        stack
            .authed(Method::PATCH, "/v1/me", &user)
            .json(&json!({"display_name": null}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["display_name"], serde_json::Value::Null);
    assert_eq!(body["units"], "lb");

    let (_, _, fetched) = read(
        stack
            .authed(Method::GET, "/v1/me", &user)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(fetched["units"], "lb");
    assert_eq!(fetched["timezone"], "America/Argentina/Buenos_Aires");
}

#[tokio::test]
async fn bad_profile_input_lists_every_failing_field_and_changes_nothing() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let patch = |body: serde_json::Value| {
        stack
            .authed(Method::PATCH, "/v1/me", &user)
            .json(&body)
            .send()
    };
    let (status, _, _) = read(patch(json!({"units": "lb"})).await.unwrap()).await;
    assert_eq!(status, 200);

    let (status, headers, body) = read(
        patch(json!({"display_name": "", "units": "stone", "timezone": "Mars/Olympus_Mons"}))
            .await
            .unwrap(),
    )
    .await;
    assert_problem(status, &headers, &body, 422, "validation-failed");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["display_name", "units", "timezone"]);

    let (status, headers, body) = read(
        patch(json!({"units": "kg", "email": "x@y.z"}))
            .await
            .unwrap(),
    )
    .await;
    assert_problem(status, &headers, &body, 422, "validation-failed");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("email"),
        "{body}"
    );

    let (status, headers, body) = read(
        stack
            .authed(Method::PATCH, "/v1/me", &user)
            .header("content-type", "application/json")
            .body("{\"units\": ")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(status, &headers, &body, 400, "malformed-json");

    let (_, _, me) = read(
        stack
            .authed(Method::GET, "/v1/me", &user)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(me["units"], "lb", "rejected patches change nothing");
}

#[tokio::test]
async fn a_patch_with_fields_by_position_is_refused_and_changes_nothing() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, headers, body) = stack
        .send_json(&user, Method::PATCH, "/v1/me", &json!(["Ana", "lb", "UTC"]))
        .await;
    assert_problem(status, &headers, &body, 422, "validation-failed");
    assert_eq!(body["errors"][0]["field"], "body", "{body}");

    let (_, _, me) = stack.get_json(&user, "/v1/me").await;
    assert_eq!(me["units"], "kg", "{me}");
    assert_eq!(me["display_name"], serde_json::Value::Null, "{me}");
}

#[tokio::test]
async fn delete_erases_every_row_of_the_user_and_only_theirs() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let bystander = stack.new_user();
    for someone in [&user, &bystander] {
        let (status, _, _) = read(
            stack
                .authed(Method::GET, "/v1/me", someone)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200);
    }
    // Give the user rows in other tables, as later features will.
    stack
        .sql(
            "insert into chat_messages (id, user_id, client_message_id, role, body, status)
             select gen_random_uuid(), id, 'c-1', 'user', 'hello', 'received' from users where auth_subject = $1",
            &[&user.subject],
        )
        .await;
    stack
        .sql(
            "insert into workouts (id, user_id, performed_at) select gen_random_uuid(), id, now() from users where auth_subject = $1",
            &[&user.subject],
        )
        .await;
    // An import, with a custom exercise it created.
    let csv = "Date,Workout Name,Exercise Name,Set Order,Weight,Reps\n\
               2024-05-01 09:00:00,Old app,Pull Up,1,,8\n\
               2024-05-01 09:00:00,Old app,Sled Push,1,80,10\n";
    let (status, _, imported) = stack
        .send_json(
            &user,
            Method::POST,
            "/v1/imports",
            &json!({"source": "strong", "csv": csv, "weight_unit": "kg", "create_custom": true}),
        )
        .await;
    assert_eq!(status, 201, "{imported}");

    let response = stack
        .authed(Method::DELETE, "/v1/me", &user)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert!(response.headers().contains_key("x-request-id"));

    for (table, count) in stack.rows_of(&user.subject).await {
        assert_eq!(count, 0, "{table} still holds rows of the erased user");
    }
    let bystander_rows = stack.rows_of(&bystander.subject).await;
    assert!(bystander_rows.contains(&("users".to_owned(), 1)));
    assert!(bystander_rows.contains(&("credit_ledger".to_owned(), 1)));
}

#[tokio::test]
async fn display_names_that_cannot_be_stored_or_shown_are_422_and_change_nothing() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, _, body) = stack
        .send_json(
            &user,
            Method::PATCH,
            "/v1/me",
            &json!({"display_name": "Ana"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for name in [
        "Ana\u{0}",
        "\u{0}",
        "\u{1b}[31mAna",
        "Ana\u{7}",
        "Ana\u{85}",
        "Ana\tBob",
        "Ana\nBob",
        "\u{200b}\u{200b}",
        "\u{2060}",
        "\u{feff}",
    ] {
        let (status, headers, body) = stack
            .send_json(
                &user,
                Method::PATCH,
                "/v1/me",
                &json!({"display_name": name, "units": "lb"}),
            )
            .await;
        assert_problem(status, &headers, &body, 422, "validation-failed");
        assert_eq!(
            body["errors"][0]["field"], "display_name",
            "{name:?}: {body}"
        );
        assert_eq!(body["errors"].as_array().unwrap().len(), 1, "{body}");
    }
    let rows = stack
        .sql(
            "select display_name, units from users where auth_subject = $1",
            &[&user.subject],
        )
        .await;
    assert_eq!(rows, vec![vec![json!("Ana"), json!("kg")]]);

    // Sixty characters of two bytes each are sixty characters.
    let sixty = "ß".repeat(60);
    let (status, _, body) = stack
        .send_json(
            &user,
            Method::PATCH,
            "/v1/me",
            &json!({"display_name": sixty}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["display_name"], sixty.as_str());
}
