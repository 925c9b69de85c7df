//! Per-IP and per-user limits through the Workers Rate Limiting bindings declared in
//! wrangler.toml (600 per minute per IP, 120 per minute per user). Each test uses its
//! own client address so it does not eat into the other tests' budget.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::Method;
use tora_e2e::{Stack, assert_problem, read};

fn fake_ip() -> String {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    format!("10.{}.{}.{}", bytes[0], bytes[1], bytes[2])
}

#[tokio::test]
async fn a_client_over_its_ip_budget_gets_429_with_retry_after() {
    let stack = Stack::from_env();
    let ip = fake_ip();
    let mut first_limited = None;
    // A window boundary may fall inside the loop, so allow up to two windows' worth.
    for attempt in 1..=1300 {
        let response = stack
            .request(Method::GET, "/v1/not-a-route")
            .header("cf-connecting-ip", &ip)
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            first_limited = Some((attempt, response));
            break;
        }
        assert_eq!(response.status(), 404);
    }
    let (attempt, response) = first_limited.expect("never limited after 1300 requests");
    assert!(attempt > 600, "limited too early, at request {attempt}");
    let (status, headers, body) = read(response).await;
    assert_problem(status, &headers, &body, 429, "rate-limited");
    assert_eq!(headers["retry-after"], "60");

    // Another address is unaffected.
    let other = stack
        .request(Method::GET, "/v1/not-a-route")
        .header("cf-connecting-ip", fake_ip())
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
}

#[tokio::test]
async fn a_user_over_their_budget_gets_429_while_others_are_served() {
    let stack = Stack::from_env();
    let ip = fake_ip();
    let user = stack.new_user();
    let mut limited_at = None;
    for attempt in 1..=300 {
        let response = stack
            .authed(Method::GET, "/v1/me", &user)
            .header("cf-connecting-ip", &ip)
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            let (status, headers, body) = read(response).await;
            assert_problem(status, &headers, &body, 429, "rate-limited");
            assert_eq!(headers["retry-after"], "60");
            limited_at = Some(attempt);
            break;
        }
        assert_eq!(response.status(), 200);
    }
    let attempt = limited_at.expect("never limited after 300 requests");
    assert!(attempt > 120, "limited too early, at request {attempt}");

    // Same address, different user: served.
    let other = stack.new_user();
    let response = stack
        .authed(Method::GET, "/v1/me", &other)
        .header("cf-connecting-ip", &ip)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}
