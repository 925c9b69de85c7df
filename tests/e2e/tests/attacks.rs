//! The attack suite: what someone hostile would try, each case checking that nothing
//! of anyone else's changed in the database. One user reaching for another's
//! workout, message, meal, upload, memory or import gets the 404 an unknown id gets;
//! hostile strings in every string field (NUL, lone surrogates, SQL metacharacters,
//! megabyte strings) get a clear 4xx or are stored exactly as sent. Token attacks,
//! CORS and rate limits have their own suites (`auth.rs`, `waf.rs`, `rate_limits.rs`).
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::Method;
use serde_json::{Value, json};
use tora_e2e::{Stack, TestUser, assert_problem};

/// A digest of every row the user owns, in every table that holds a user's rows.
async fn fingerprint(stack: &Stack, user: &TestUser) -> String {
    let rows = stack
        .sql(
            "with me as (select id from users where auth_subject = $1)
             select md5(coalesce(string_agg(line, '|' order by line), '')) from (
                 select 'user' || row_to_json(u)::text as line from users u where u.id in (select id from me)
                 union all select 'workout' || row_to_json(t)::text from workouts t where t.user_id in (select id from me)
                 union all select 'set' || row_to_json(t)::text from workout_sets t where t.user_id in (select id from me)
                 union all select 'message' || row_to_json(t)::text from chat_messages t where t.user_id in (select id from me)
                 union all select 'meal' || row_to_json(t)::text from meals t where t.user_id in (select id from me)
                 union all select 'upload' || row_to_json(t)::text from uploads t where t.user_id in (select id from me)
                 union all select 'memory' || t.id::text || t.summary || t.embedding::text from memories t where t.user_id in (select id from me)
                 union all select 'skill' || row_to_json(t)::text from user_skill_states t where t.user_id in (select id from me)
                 union all select 'ledger' || row_to_json(t)::text from credit_ledger t where t.user_id in (select id from me)
                 union all select 'import' || row_to_json(t)::text from imports t where t.user_id in (select id from me)
                 union all select 'exercise' || row_to_json(t)::text from exercises t where t.owner_user_id in (select id from me)
             ) everything",
            &[&user.subject],
        )
        .await;
    rows[0][0].as_str().unwrap().to_owned()
}

/// A victim with one of everything that has an id, and those ids.
struct Victim {
    user: TestUser,
    workout: String,
    message: String,
    meal: String,
    upload: String,
    memory: String,
    import: String,
}

async fn victim(stack: &Stack) -> Victim {
    let user = stack.new_user();
    let workout = stack
        .log_workout(
            &user,
            &json!({"entries": [{"exercise": "pull_up", "sets": [{"reps": 5}]}], "notes": "mine"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _, answer) = stack
        .send_json(
            &user,
            Method::POST,
            "/v1/chat",
            &json!({"message": "3x10 push-ups", "client_message_id": "victim-1"}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let message = answer["message_id"].as_str().unwrap().to_owned();
    let upload = stack
        .uploaded_photo(&user, tora_e2e::jpeg_bytes(), true)
        .await;
    let (status, _, meal) = stack
        .send_json(
            &user,
            Method::POST,
            "/v1/meals",
            &json!({"upload_id": upload}),
        )
        .await;
    assert_eq!(status, 201, "{meal}");
    let meal = meal["meal"]["id"].as_str().unwrap().to_owned();
    let (status, _, imported) = stack
        .send_json(
            &user,
            Method::POST,
            "/v1/imports",
            &json!({"source": "strong", "weight_unit": "kg",
                    "csv": "Date,Workout Name,Exercise Name,Set Order,Weight,Reps\n2024-01-01 10:00:00,Old,Dip,1,,8\n"}),
        )
        .await;
    assert_eq!(status, 201, "{imported}");
    let import = imported["import"]["id"].as_str().unwrap().to_owned();
    // Memories are made after the responses: wait for all three workouts'.
    let memory = stack.memories(&user, 2).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Victim {
        user,
        workout,
        message,
        meal,
        upload,
        memory,
        import,
    }
}

#[tokio::test]
async fn nobody_reads_edits_or_deletes_what_another_person_owns() {
    let stack = Stack::from_env();
    let victim = victim(&stack).await;
    let attacker = stack.new_user();
    let before = fingerprint(&stack, &victim.user).await;
    let attacks: Vec<(Method, String, Value)> = vec![
        (
            Method::GET,
            format!("/v1/workouts/{}", victim.workout),
            json!({}),
        ),
        (
            Method::PATCH,
            format!("/v1/workouts/{}", victim.workout),
            json!({"notes": "yours now"}),
        ),
        (
            Method::DELETE,
            format!("/v1/workouts/{}", victim.workout),
            json!({}),
        ),
        (
            Method::GET,
            format!("/v1/chat/{}", victim.message),
            json!({}),
        ),
        (
            Method::POST,
            format!("/v1/chat/{}/confirm", victim.message),
            json!({}),
        ),
        (
            Method::POST,
            format!("/v1/chat/{}/retry", victim.message),
            json!({}),
        ),
        (
            Method::DELETE,
            format!("/v1/meals/{}", victim.meal),
            json!({}),
        ),
        (
            Method::POST,
            format!("/v1/uploads/{}/complete", victim.upload),
            json!({}),
        ),
        (
            Method::DELETE,
            format!("/v1/memories/{}", victim.memory),
            json!({}),
        ),
        (
            Method::GET,
            format!("/v1/imports/{}", victim.import),
            json!({}),
        ),
        (
            Method::DELETE,
            format!("/v1/imports/{}", victim.import),
            json!({}),
        ),
    ];
    for (method, path, body) in attacks {
        let (status, headers, answer) = stack
            .send_json(&attacker, method.clone(), &path, &body)
            .await;
        assert_problem(status, &headers, &answer, 404, "not-found");
        // The same answer as for an id that never existed: nothing leaks.
        let unknown = path
            .replace(&victim.workout, "00000000-0000-4000-8000-000000000000")
            .replace(&victim.message, "00000000-0000-4000-8000-000000000000")
            .replace(&victim.meal, "00000000-0000-4000-8000-000000000000")
            .replace(&victim.upload, "00000000-0000-4000-8000-000000000000")
            .replace(&victim.memory, "00000000-0000-4000-8000-000000000000")
            .replace(&victim.import, "00000000-0000-4000-8000-000000000000");
        let (status, _, other) = stack.send_json(&attacker, method, &unknown, &body).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(other["detail"], answer["detail"], "{path}");
    }
    // Bodies that name the victim's objects are refused like unknown ones.
    let (status, _, answer) = stack
        .send_json(
            &attacker,
            Method::POST,
            "/v1/meals",
            &json!({"upload_id": victim.upload}),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["errors"][0]["field"], "upload_id");
    let (status, _, answer) = stack
        .send_json(
            &attacker,
            Method::POST,
            "/v1/imports",
            &json!({"source": "hevy", "upload_id": victim.upload}),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    // Lists show only the caller's own.
    for path in [
        "/v1/workouts",
        "/v1/chat",
        "/v1/memories",
        "/v1/imports",
        "/v1/meals",
    ] {
        let (status, _, listed) = stack.get_json(&attacker, path).await;
        assert_eq!(status, 200, "{path}");
        let text = listed.to_string();
        for id in [
            &victim.workout,
            &victim.message,
            &victim.meal,
            &victim.memory,
            &victim.import,
        ] {
            assert!(!text.contains(id.as_str()), "{path} shows {id}");
        }
    }
    assert_eq!(fingerprint(&stack, &victim.user).await, before);
}

const SQL: &str = "x'); drop table users; -- \" \\ %_ $1";

/// `(method, path, a valid body, its string fields)`: every string a client sends.
fn string_fields() -> Vec<(Method, &'static str, Value, Vec<&'static str>)> {
    vec![
        (
            Method::PATCH,
            "/v1/me",
            json!({"display_name": "Ana", "timezone": "UTC"}),
            vec!["display_name", "timezone", "units", "coach_style"],
        ),
        (
            Method::POST,
            "/v1/workouts",
            json!({"notes": "ok", "performed_at": "2026-01-01T10:00:00Z",
                   "entries": [{"custom_exercise": "Sled", "sets": [{"reps": 5}]}]}),
            vec!["notes", "performed_at", "entries.0.custom_exercise"],
        ),
        (
            Method::POST,
            "/v1/chat",
            json!({"message": "3x5 dips", "client_message_id": "hostile-1"}),
            vec!["message", "client_message_id"],
        ),
        (
            Method::POST,
            "/v1/coach/ask",
            json!({"question": "how am I doing?"}),
            vec!["question"],
        ),
        (
            Method::POST,
            "/v1/uploads",
            json!({"kind": "meal_photo", "content_type": "image/jpeg", "bytes": 100}),
            vec!["kind", "content_type"],
        ),
        (
            Method::POST,
            "/v1/imports",
            json!({"source": "strong", "weight_unit": "kg", "dry_run": true,
                   "csv": "Date,Workout Name,Exercise Name,Set Order,Weight,Reps\n2024-01-01 10:00:00,A,Dip,1,,8\n"}),
            vec!["source", "csv", "weight_unit"],
        ),
    ]
}

fn with_field(body: &Value, field: &str, value: &str) -> Value {
    let mut body = body.clone();
    let mut target = &mut body;
    let parts: Vec<&str> = field.split('.').collect();
    for part in &parts[..parts.len() - 1] {
        target = match part.parse::<usize>() {
            Ok(index) => &mut target[index],
            Err(_) => &mut target[*part],
        };
    }
    target[*parts.last().unwrap()] = json!(value);
    body
}

#[tokio::test]
async fn hostile_strings_in_every_field_are_refused_clearly_or_stored_exactly() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let bystander = victim(&stack).await;
    let bystander_before = fingerprint(&stack, &bystander.user).await;
    let megabyte = "a".repeat(1_000_000);
    let mut client_ids = 0;
    for (method, path, valid, fields) in string_fields() {
        for field in fields {
            for (label, value) in [
                ("NUL", "a\u{0}b"),
                ("SQL", SQL),
                ("1 MB", megabyte.as_str()),
            ] {
                let mut body = with_field(&valid, field, value);
                if path == "/v1/chat" && field != "client_message_id" {
                    client_ids += 1;
                    body["client_message_id"] = json!(format!("hostile-{client_ids}"));
                }
                let (status, headers, answer) =
                    stack.send_json(&user, method.clone(), path, &body).await;
                assert!(
                    [200, 201, 202, 400, 402, 413, 422].contains(&status),
                    "{label} in {path} {field}: {status} {answer}"
                );
                if status >= 400 {
                    assert_eq!(
                        headers["content-type"], "application/problem+json",
                        "{label} in {path} {field}"
                    );
                }
                if status == 422 {
                    let named = answer["errors"][0]["field"].as_str().unwrap();
                    let expected = field.replace(".0.", "[0].");
                    assert!(
                        named == expected || named == "body" || expected.starts_with(named),
                        "{label} in {path} {field}: named {named}"
                    );
                }
            }
        }
    }
    // Text with SQL in it, where text is free, is kept exactly as sent.
    let (status, _, me) = stack
        .send_json(
            &user,
            Method::PATCH,
            "/v1/me",
            &json!({"display_name": SQL}),
        )
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["display_name"], SQL);
    let workout = stack
        .log_workout(
            &user,
            &json!({"notes": SQL, "entries": [{"custom_exercise": SQL, "sets": [{"reps": 5}]}]}),
        )
        .await;
    let (_, _, read_back) = stack
        .get_json(
            &user,
            &format!("/v1/workouts/{}", workout["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(read_back["notes"], SQL);
    assert_eq!(read_back["entries"][0]["name"], SQL);

    // Lone surrogates cannot be text at all: the JSON is refused before anything runs.
    for (path, method, raw) in [
        ("/v1/me", Method::PATCH, r#"{"display_name": "a\ud800b"}"#),
        (
            "/v1/chat",
            Method::POST,
            r#"{"message": "\udfff", "client_message_id": "surrogate"}"#,
        ),
        (
            "/v1/workouts",
            Method::POST,
            r#"{"notes": "\ud800", "entries": [{"exercise": "dip", "sets": [{"reps": 1}]}]}"#,
        ),
    ] {
        let response = stack
            .authed(method, path, &user)
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{path}");
    }

    // The tables are all still there, and the bystander's rows untouched.
    let users = stack.sql("select count(*)::int4 from users", &[]).await;
    assert!(users[0][0].as_i64().unwrap() >= 2);
    assert_eq!(fingerprint(&stack, &bystander.user).await, bystander_before);
}
