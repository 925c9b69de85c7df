//! Uploads: the worker hands out a presigned PUT, the client sends the bytes straight
//! to S3 (the local double, which checks signatures as S3 does), and completing the
//! upload checks the object is there. What the URL was signed for is all it accepts.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tora_core::clients::s3::presign_at;
use tora_core::clients::sigv4::signing_time;
use tora_dev::tokens::SystemClock;
use tora_e2e::{Stack, TestUser, assert_problem, read};

type Answer = (u16, reqwest::header::HeaderMap, Value);

/// The whole suite shares one loopback address and its per-IP budget; each user here
/// comes from its own address (as in `rate_limits.rs`), so these tests do not spend it.
fn client_ip(user: &TestUser) -> String {
    let bytes = uuid::Uuid::parse_str(&user.subject).unwrap().into_bytes();
    format!("10.{}.{}.{}", bytes[0], bytes[1], bytes[2])
}

async fn request_upload(stack: &Stack, user: &TestUser, body: &Value) -> Answer {
    let request = stack
        .authed(Method::POST, "/v1/uploads", user)
        .header("cf-connecting-ip", client_ip(user))
        .json(body);
    read(request.send().await.unwrap()).await
}

async fn photo_url(stack: &Stack, user: &TestUser, bytes: usize) -> Value {
    let (status, _, answer) = request_upload(
        stack,
        user,
        &json!({"kind": "meal_photo", "content_type": "image/jpeg", "bytes": bytes}),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    answer
}

/// PUTs `body` to the URL with the given content type (reqwest sets the length).
async fn put(url: &str, content_type: &str, body: Vec<u8>) -> (u16, String) {
    let response = reqwest::Client::new()
        .put(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn complete(stack: &Stack, user: &TestUser, upload_id: &str) -> Answer {
    let path = format!("/v1/uploads/{upload_id}/complete");
    read(
        stack
            .authed(Method::POST, &path, user)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_photo_is_uploaded_straight_to_the_bucket_and_completed() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let photo = vec![0xFF_u8; 2048];
    let answer = photo_url(&stack, &user, photo.len()).await;
    assert_eq!(answer["method"], "PUT");
    assert_eq!(answer["headers"]["content-type"], "image/jpeg");
    assert_eq!(answer["headers"]["content-length"], "2048");
    let url = answer["url"].as_str().unwrap();
    assert!(
        url.contains("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost"),
        "{url}"
    );
    let upload_id = answer["upload_id"].as_str().unwrap();

    // Completing before the bytes arrive is refused.
    let (status, headers, problem) = complete(&stack, &user, upload_id).await;
    assert_problem(status, &headers, &problem, 404, "upload-missing");

    let (status, body) = put(url, "image/jpeg", photo).await;
    assert_eq!(status, 200, "{body}");
    let (status, _, done) = complete(&stack, &user, upload_id).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["upload_id"], upload_id);
    assert_eq!(done["kind"], "meal_photo");
    assert_eq!(done["bytes"], 2048);
    assert!(done["completed_at"].is_string(), "{done}");

    // The object sits under the owner's prefix, which holds nothing else.
    let key = stack.object_key(upload_id).await;
    assert!(key.ends_with(&format!("/meal_photo/{upload_id}")), "{key}");
    assert!(!key.contains(&user.subject));
    let prefix = key.rsplitn(3, '/').nth(2).unwrap().to_owned() + "/";
    assert_eq!(stack.bucket_keys(&prefix).await, [key]);
}

#[tokio::test]
async fn the_url_accepts_only_the_declared_type_and_size() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let answer = photo_url(&stack, &user, 100).await;
    let url = answer["url"].as_str().unwrap();

    let (status, body) = put(url, "image/png", vec![1; 100]).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("<Code>SignatureDoesNotMatch</Code>"),
        "{body}"
    );
    let (status, body) = put(url, "image/jpeg", vec![1; 101]).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("<Code>SignatureDoesNotMatch</Code>"),
        "{body}"
    );

    let upload_id = answer["upload_id"].as_str().unwrap();
    let (status, headers, problem) = complete(&stack, &user, upload_id).await;
    assert_problem(status, &headers, &problem, 404, "upload-missing");
}

#[tokio::test]
async fn an_expired_url_is_refused_by_the_bucket() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let answer = photo_url(&stack, &user, 10).await;
    let key = stack
        .object_key(answer["upload_id"].as_str().unwrap())
        .await;
    // The same upload signed an hour ago for a minute: what a client holding a stale
    // URL has. (The worker's own expiry is checked natively.)
    let an_hour_ago = signing_time(&SystemClock) - Duration::from_secs(3600);
    let headers = [
        ("content-type", "image/jpeg".to_owned()),
        ("content-length", "10".to_owned()),
    ];
    let stale = presign_at(
        &stack.s3,
        &http::Method::PUT,
        &key,
        &headers,
        60,
        an_hour_ago,
    )
    .unwrap();
    let (status, body) = put(&stale, "image/jpeg", vec![1; 10]).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("<Code>AccessDenied</Code><Message>Request has expired</Message>"),
        "{body}"
    );
}

#[tokio::test]
async fn another_persons_upload_is_not_found() {
    let stack = Stack::from_env();
    let (owner, other) = (stack.new_user(), stack.new_user());
    let answer = photo_url(&stack, &owner, 10).await;
    let url = answer["url"].as_str().unwrap();
    let (status, body) = put(url, "image/jpeg", vec![1; 10]).await;
    assert_eq!(status, 200, "{body}");
    let upload_id = answer["upload_id"].as_str().unwrap();
    let (status, headers, problem) = complete(&stack, &other, upload_id).await;
    assert_problem(status, &headers, &problem, 404, "not-found");
    let (status, headers, problem) = complete(&stack, &other, "not-a-uuid").await;
    assert_problem(status, &headers, &problem, 404, "not-found");
}

#[tokio::test]
async fn bad_requests_name_every_failing_field() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, headers, problem) = request_upload(
        &stack,
        &user,
        &json!({"kind": "meal_photo", "content_type": "video/mp4", "bytes": 10_485_761}),
    )
    .await;
    assert_problem(status, &headers, &problem, 422, "validation-failed");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["content_type", "bytes"], "{problem}");
    let (status, headers, problem) = request_upload(
        &stack,
        &user,
        &json!({"kind": "selfie", "content_type": "image/png", "bytes": 1}),
    )
    .await;
    assert_problem(status, &headers, &problem, 422, "validation-failed");
    let (status, _, answer) = request_upload(
        &stack,
        &user,
        &json!({"kind": "form_video", "content_type": "video/quicktime", "bytes": 209_715_200}),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
}
