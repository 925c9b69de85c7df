//! The edge contract: request ids, security headers, CORS, methods, media types, sizes.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::Method;
use serde_json::json;
use tora_e2e::{Stack, assert_problem, read};

#[tokio::test]
async fn health_checks_the_database_and_needs_no_token() {
    let stack = Stack::from_env();
    let (status, headers, body) =
        read(stack.request(Method::GET, "/health").send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"status": "ok", "database": "ok"}));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(
        headers["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
}

#[tokio::test]
async fn every_response_has_a_fresh_request_id() {
    let stack = Stack::from_env();
    let first = stack.request(Method::GET, "/health").send().await.unwrap();
    let second = stack.request(Method::GET, "/nope").send().await.unwrap();
    let first_id = first.headers()["x-request-id"].to_str().unwrap().to_owned();
    let second_id = second.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(first_id.len(), 36);
    assert_ne!(first_id, second_id);
}

#[tokio::test]
async fn unknown_paths_are_404_problems() {
    let stack = Stack::from_env();
    let (status, headers, body) = read(
        stack
            .request(Method::GET, "/v1/nothing-here")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(status, &headers, &body, 404, "not-found");
    assert_eq!(body["instance"], "/v1/nothing-here");
}

#[tokio::test]
async fn wrong_methods_are_405_with_allow() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, headers, body) = read(
        stack
            .authed(Method::POST, "/v1/me", &user)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(status, &headers, &body, 405, "method-not-allowed");
    assert_eq!(headers["allow"], "GET, HEAD, PATCH, DELETE");
    let (status, headers, _) = read(
        stack
            .request(Method::DELETE, "/health")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 405);
    assert_eq!(headers["allow"], "GET, HEAD");
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    // The export is streamed: its HEAD must not claim a length it cannot know.
    for (path, authed) in [
        ("/health", false),
        ("/v1/me", true),
        ("/v1/me", false),
        ("/v1/me/export?format=csv", true),
    ] {
        let request = |method: Method| {
            if authed {
                stack.authed(method, path, &user)
            } else {
                stack.request(method, path)
            }
        };
        let get = request(Method::GET).send().await.unwrap();
        let (get_status, get_headers) = (get.status(), get.headers().clone());
        let get_body = get.bytes().await.unwrap();
        let head = request(Method::HEAD).send().await.unwrap();
        let (head_status, head_headers) = (head.status(), head.headers().clone());
        let head_body = head.bytes().await.unwrap();

        assert_eq!(head_status, get_status, "{path}");
        assert!(head_body.is_empty(), "{path}: HEAD has no body");
        assert!(!get_body.is_empty(), "{path}");
        for name in ["content-type", "cache-control", "x-content-type-options"] {
            assert_eq!(
                head_headers.get(name),
                get_headers.get(name),
                "{path} {name}"
            );
        }
        assert!(head_headers.contains_key("x-request-id"), "{path}");
        if let Some(length) = head_headers.get("content-length") {
            assert_eq!(
                length.to_str().unwrap(),
                get_body.len().to_string(),
                "{path}: a length, if any, is GET's"
            );
        }
    }
}

#[tokio::test]
async fn bodies_must_be_json() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, headers, body) = read(
        stack
            .authed(Method::PATCH, "/v1/me", &user)
            .header("content-type", "text/plain")
            .body(r#"{"units":"lb"}"#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(status, &headers, &body, 415, "unsupported-media-type");
}

#[tokio::test]
async fn oversized_bodies_are_413_and_change_nothing() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let name = "a".repeat(5_000);
    let (status, headers, body) = read(
        stack
            .authed(Method::PATCH, "/v1/me", &user)
            .json(&json!({"display_name": name}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(status, &headers, &body, 413, "payload-too-large");
    let (_, _, me) = read(
        stack
            .authed(Method::GET, "/v1/me", &user)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(me["display_name"], serde_json::Value::Null);
}

#[tokio::test]
async fn cors_allows_listed_origins_and_refuses_others() {
    let stack = Stack::from_env();
    let preflight = stack
        .request(Method::OPTIONS, "/v1/me")
        .header("origin", &stack.cors_origin)
        .header("access-control-request-method", "PATCH")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    let headers = preflight.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        stack.cors_origin.as_str()
    );
    assert!(
        headers["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("PATCH")
    );
    assert!(
        headers["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("authorization")
    );

    let (status, headers, _) = read(
        stack
            .request(Method::GET, "/health")
            .header("origin", &stack.cors_origin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        headers["access-control-allow-origin"],
        stack.cors_origin.as_str()
    );

    let (status, headers, body) = read(
        stack
            .request(Method::GET, "/health")
            .header("origin", "https://evil.example")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(status, &headers, &body, 403, "origin-not-allowed");
    assert!(!headers.contains_key("access-control-allow-origin"));
}
