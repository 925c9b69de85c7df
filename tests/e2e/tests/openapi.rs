//! `GET /openapi.json`: public, JSON, and exactly the committed document the suite
//! validates every response against.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::Method;
use serde_json::{Value, json};
use tora_e2e::{Stack, read};

#[tokio::test]
async fn the_worker_serves_the_committed_openapi_document_without_a_token() {
    let stack = Stack::from_env();
    let (status, headers, body) = read(
        stack
            .request(Method::GET, "/openapi.json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/json");
    assert!(headers.contains_key("x-request-id"));
    let committed: Value = serde_json::from_str(tora_core::http::OPENAPI_JSON).unwrap();
    // Not assert_eq: a difference would print both documents whole.
    assert!(
        body == committed,
        "the worker serves another document than crates/tora-core/openapi.json: rebuild the worker"
    );
    assert_eq!(body["openapi"], "3.1.0");
}

#[tokio::test]
async fn an_undocumented_answer_fails_the_check() {
    // The validator itself: a body that breaks the documented schema is refused.
    let url =
        reqwest::Url::parse(&format!("{}/v1/me", std::env::var("BASE_URL").unwrap())).unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("content-type", "application/json".parse().unwrap());
    let checked = std::panic::catch_unwind(|| {
        tora_e2e::openapi::check_response(Some(&Method::GET), &url, 200, &headers, br#"{"id": 5}"#)
    });
    assert!(checked.is_err(), "a profile without its fields conforms");
    let undocumented = std::panic::catch_unwind(|| {
        tora_e2e::openapi::check_response(Some(&Method::GET), &url, 418, &headers, b"{}")
    });
    assert!(undocumented.is_err(), "an undocumented status conforms");
}

/// `(status, body)` of a call whose answer was checked against the document.
async fn call(
    stack: &Stack,
    method: Method,
    path: &str,
    bearer: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let (status, _, body) = stack.call(method, path, bearer, body).await;
    (status, body)
}

/// Every operation of the document, answering once with success and once with a
/// problem, each answer checked against the document by `Stack::call`. Operations
/// whose success needs the model's doubt (confirming a proposal, retrying a failed
/// read) succeed in `model_chat.rs`, whose answers are checked the same way.
#[tokio::test]
async fn every_operation_answers_success_and_problems_as_documented() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let token = Some(user.token.as_str());
    let admin = Some(stack.admin_secret.as_str());
    let nobody = uuid::Uuid::new_v4();
    let expect = |got: (u16, Value), status: u16, what: &str| {
        assert_eq!(got.0, status, "{what}: {}", got.1);
        got.1
    };

    expect(
        call(&stack, Method::GET, "/openapi.json", None, None).await,
        200,
        "document",
    );
    let (status, _, _) = tora_e2e::read(
        stack
            .request(Method::GET, "/openapi.json")
            .header("origin", "https://not-listed.test")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403, "an unlisted origin");
    expect(
        call(&stack, Method::GET, "/health", None, None).await,
        200,
        "health",
    );
    let (status, _, _) = tora_e2e::read(
        stack
            .request(Method::GET, "/health")
            .header("origin", "https://not-listed.test")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403);

    // The account.
    expect(
        call(&stack, Method::GET, "/v1/me", token, None).await,
        200,
        "me",
    );
    expect(
        call(&stack, Method::GET, "/v1/me", None, None).await,
        401,
        "me without a token",
    );
    expect(
        call(
            &stack,
            Method::PATCH,
            "/v1/me",
            token,
            Some(&json!({"units": "lb"})),
        )
        .await,
        200,
        "profile",
    );
    expect(
        call(
            &stack,
            Method::PATCH,
            "/v1/me",
            token,
            Some(&json!({"units": "stone"})),
        )
        .await,
        422,
        "bad units",
    );
    expect(
        call(&stack, Method::GET, "/v1/me/export", token, None).await,
        200,
        "export",
    );
    expect(
        call(&stack, Method::GET, "/v1/me/export?format=xml", token, None).await,
        422,
        "export format",
    );
    expect(
        call(&stack, Method::GET, "/v1/credits", token, None).await,
        200,
        "credits",
    );
    expect(
        call(&stack, Method::GET, "/v1/credits?limit=0", token, None).await,
        422,
        "credits limit",
    );
    let top_up = json!({"subject": user.subject, "credits": 5});
    expect(
        call(&stack, Method::POST, "/admin/credits", admin, Some(&top_up)).await,
        200,
        "top-up",
    );
    expect(
        call(&stack, Method::POST, "/admin/credits", token, Some(&top_up)).await,
        401,
        "top-up with a user's token",
    );

    // Workouts.
    let workout_body = json!({"entries": [{"exercise": "pull_up", "sets": [{"reps": 5}]}]});
    let logged = expect(
        call(
            &stack,
            Method::POST,
            "/v1/workouts",
            token,
            Some(&workout_body),
        )
        .await,
        201,
        "log",
    );
    let workout = format!("/v1/workouts/{}", logged["workout"]["id"].as_str().unwrap());
    expect(
        call(
            &stack,
            Method::POST,
            "/v1/workouts",
            token,
            Some(&json!({"entries": []})),
        )
        .await,
        422,
        "empty workout",
    );
    expect(
        call(&stack, Method::GET, "/v1/workouts", token, None).await,
        200,
        "list",
    );
    expect(
        call(
            &stack,
            Method::GET,
            "/v1/workouts?from=yesterday",
            token,
            None,
        )
        .await,
        422,
        "bad from",
    );
    expect(
        call(&stack, Method::GET, &workout, token, None).await,
        200,
        "get",
    );
    let missing_workout = format!("/v1/workouts/{nobody}");
    expect(
        call(&stack, Method::GET, &missing_workout, token, None).await,
        404,
        "get",
    );
    expect(
        call(
            &stack,
            Method::PATCH,
            &workout,
            token,
            Some(&json!({"notes": "easy"})),
        )
        .await,
        200,
        "edit",
    );
    expect(
        call(
            &stack,
            Method::PATCH,
            &missing_workout,
            token,
            Some(&json!({"notes": "x"})),
        )
        .await,
        404,
        "edit",
    );
    // The memory of the workout, made after the response that logged it.
    let memory = stack.memories(&user, 1).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    expect(
        call(&stack, Method::GET, "/v1/memories", token, None).await,
        200,
        "memories",
    );
    expect(
        call(&stack, Method::GET, "/v1/memories?cursor=nope", token, None).await,
        422,
        "memories cursor",
    );
    expect(
        call(
            &stack,
            Method::DELETE,
            &format!("/v1/memories/{memory}"),
            token,
            None,
        )
        .await,
        204,
        "forget",
    );
    expect(
        call(
            &stack,
            Method::DELETE,
            &format!("/v1/memories/{nobody}"),
            token,
            None,
        )
        .await,
        404,
        "forget",
    );
    expect(
        call(&stack, Method::DELETE, &workout, token, None).await,
        204,
        "delete",
    );
    expect(
        call(&stack, Method::DELETE, &workout, token, None).await,
        404,
        "delete again",
    );

    // Skills, the library and stats.
    expect(
        call(&stack, Method::GET, "/v1/skills", token, None).await,
        200,
        "skills",
    );
    expect(
        call(&stack, Method::GET, "/v1/skills", None, None).await,
        401,
        "skills",
    );
    expect(
        call(&stack, Method::GET, "/v1/skills/pull_up", token, None).await,
        200,
        "skill",
    );
    expect(
        call(&stack, Method::GET, "/v1/skills/nope", token, None).await,
        404,
        "skill",
    );
    expect(
        call(&stack, Method::GET, "/v1/exercises", token, None).await,
        200,
        "library",
    );
    expect(
        call(
            &stack,
            Method::GET,
            "/v1/exercises?category=arms",
            token,
            None,
        )
        .await,
        422,
        "library category",
    );
    expect(
        call(&stack, Method::GET, "/v1/exercises/pull_up", token, None).await,
        200,
        "exercise",
    );
    expect(
        call(&stack, Method::GET, "/v1/exercises/nope", token, None).await,
        404,
        "exercise",
    );
    expect(
        call(&stack, Method::GET, "/v1/stats/summary", token, None).await,
        200,
        "summary",
    );
    expect(
        call(
            &stack,
            Method::GET,
            "/v1/stats/summary?weeks=0",
            token,
            None,
        )
        .await,
        422,
        "summary weeks",
    );
    expect(
        call(
            &stack,
            Method::GET,
            "/v1/stats/exercises/pull_up",
            token,
            None,
        )
        .await,
        200,
        "exercise stats",
    );
    expect(
        call(
            &stack,
            Method::GET,
            "/v1/stats/exercises/pull_up?to=soon",
            token,
            None,
        )
        .await,
        422,
        "exercise stats to",
    );

    // Chat.
    let said = json!({"message": "3x8 pull-ups", "client_message_id": "openapi-1"});
    let answer = expect(
        call(&stack, Method::POST, "/v1/chat", token, Some(&said)).await,
        200,
        "chat",
    );
    let message = format!("/v1/chat/{}", answer["message_id"].as_str().unwrap());
    expect(
        call(
            &stack,
            Method::POST,
            "/v1/chat",
            token,
            Some(&json!({"message": "", "client_message_id": "openapi-2"})),
        )
        .await,
        422,
        "empty message",
    );
    expect(
        call(&stack, Method::GET, "/v1/chat", token, None).await,
        200,
        "history",
    );
    expect(
        call(
            &stack,
            Method::GET,
            "/v1/chat?unfinished=maybe",
            token,
            None,
        )
        .await,
        422,
        "history flag",
    );
    expect(
        call(&stack, Method::GET, &message, token, None).await,
        200,
        "message",
    );
    expect(
        call(
            &stack,
            Method::GET,
            &format!("/v1/chat/{nobody}"),
            token,
            None,
        )
        .await,
        404,
        "message",
    );
    expect(
        call(
            &stack,
            Method::POST,
            &format!("{message}/confirm"),
            token,
            Some(&json!({})),
        )
        .await,
        409,
        "confirming a logged message",
    );
    expect(
        call(
            &stack,
            Method::POST,
            &format!("{message}/retry"),
            token,
            None,
        )
        .await,
        409,
        "retrying a logged message",
    );

    // Meals and the coach (the model is the Bedrock double).
    let meal = expect(
        call(
            &stack,
            Method::POST,
            "/v1/meals",
            token,
            Some(&json!({"description": "two eggs and toast"})),
        )
        .await,
        201,
        "meal",
    );
    expect(
        call(
            &stack,
            Method::POST,
            "/v1/meals",
            token,
            Some(&json!({"description": ""})),
        )
        .await,
        422,
        "empty meal",
    );
    expect(
        call(&stack, Method::GET, "/v1/meals", token, None).await,
        200,
        "meals",
    );
    expect(
        call(&stack, Method::GET, "/v1/meals?date=today", token, None).await,
        422,
        "meals date",
    );
    let meal = format!("/v1/meals/{}", meal["meal"]["id"].as_str().unwrap());
    expect(
        call(&stack, Method::DELETE, &meal, token, None).await,
        204,
        "delete meal",
    );
    expect(
        call(&stack, Method::DELETE, &meal, token, None).await,
        404,
        "delete meal again",
    );
    expect(
        call(
            &stack,
            Method::POST,
            "/v1/coach/ask",
            token,
            Some(&json!({"question": "How are my pull-ups?"})),
        )
        .await,
        200,
        "ask",
    );
    expect(
        call(
            &stack,
            Method::POST,
            "/v1/coach/ask",
            token,
            Some(&json!({"question": ""})),
        )
        .await,
        422,
        "empty question",
    );

    // Uploads.
    let requested = expect(
        call(
            &stack,
            Method::POST,
            "/v1/uploads",
            token,
            Some(&json!({"kind": "meal_photo", "content_type": "image/jpeg", "bytes": 4})),
        )
        .await,
        201,
        "upload",
    );
    expect(
        call(
            &stack,
            Method::POST,
            "/v1/uploads",
            token,
            Some(&json!({"kind": "selfie", "content_type": "image/jpeg", "bytes": 4})),
        )
        .await,
        422,
        "upload kind",
    );
    let complete = format!(
        "/v1/uploads/{}/complete",
        requested["upload_id"].as_str().unwrap()
    );
    expect(
        call(&stack, Method::POST, &complete, token, None).await,
        404,
        "before the bytes",
    );
    let put = reqwest::Client::new()
        .put(requested["url"].as_str().unwrap())
        .header("content-type", "image/jpeg")
        .body(vec![0xff, 0xd8, 0xff, 0xd9])
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200, "{}", put.text().await.unwrap());
    expect(
        call(&stack, Method::POST, &complete, token, None).await,
        200,
        "complete",
    );

    // And the account goes.
    expect(
        call(&stack, Method::DELETE, "/v1/me", None, None).await,
        401,
        "erase without a token",
    );
    expect(
        call(&stack, Method::DELETE, "/v1/me", token, None).await,
        204,
        "erase",
    );
}
