//! `GET /openapi.json`: public, JSON, and exactly the committed document the suite
//! validates every response against.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::Method;
use serde_json::Value;
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
    assert_eq!(body, committed, "the served document is the committed one");
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
