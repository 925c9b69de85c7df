//! The auth boundary through the running worker: HS256 with the shared secret,
//! ES256/RS256 through the local JWKS issuer (WebCrypto in workerd), key rotation, and
//! every rejection answering 401 problem+json.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use reqwest::Method;
use serde_json::{Value, json};
use tora_dev::tokens::{
    JwsAlgorithm, SigningKey, TokenSpec, encode_unsigned, load_keys, mint_hs256,
    mint_hs256_with_claims, now_secs, rotate_key,
};
use tora_e2e::{Stack, assert_problem, read};

fn spec(stack: &Stack) -> TokenSpec {
    TokenSpec::new(
        &stack.issuer,
        &stack.audience,
        &uuid::Uuid::new_v4().to_string(),
        600,
    )
}

/// The keys the local issuer publishes (written by `tora-dev jwks-serve`).
fn published_keys() -> Vec<SigningKey> {
    let path = PathBuf::from(std::env::var("TORA_JWKS_KEYS").unwrap());
    load_keys(&path).unwrap()
}

fn published(alg: JwsAlgorithm) -> SigningKey {
    published_keys()
        .into_iter()
        .find(|key| key.alg() == alg)
        .unwrap()
}

async fn me_with(stack: &Stack, token: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    read(
        stack
            .request(Method::GET, "/v1/me")
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn assert_rejected(stack: &Stack, token: &str, reason: &str) {
    let (status, headers, body) = me_with(stack, token).await;
    assert_problem(status, &headers, &body, 401, "unauthenticated");
    assert_eq!(body["reason"], reason, "{body}");
    assert_eq!(
        headers["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );
}

#[tokio::test]
async fn hs256_es256_and_rs256_tokens_are_accepted() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, _, body) = me_with(&stack, &user.token).await;
    assert_eq!(status, 200, "HS256: {body}");

    for alg in [JwsAlgorithm::Es256, JwsAlgorithm::Rs256] {
        let spec = spec(&stack).with_email("ana@example.com");
        let token = published(alg).mint(&spec).unwrap();
        let (status, _, body) = me_with(&stack, &token).await;
        assert_eq!(status, 200, "{alg:?}: {body}");
        assert_eq!(body["email"], "ana@example.com");
    }
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_on_its_first_unknown_kid() {
    let stack = Stack::from_env();
    // Warm the worker's JWKS cache with the current key set.
    let warm = published(JwsAlgorithm::Es256).mint(&spec(&stack)).unwrap();
    assert_eq!(me_with(&stack, &warm).await.0, 200);

    let rotated = rotate_key(&stack.jwks_url, JwsAlgorithm::Es256)
        .await
        .unwrap();
    let token = rotated.mint(&spec(&stack)).unwrap();
    let (status, _, body) = me_with(&stack, &token).await;
    assert_eq!(status, 200, "rotated key refused: {body}");
}

#[tokio::test]
async fn a_key_the_issuer_never_published_is_refused() {
    let stack = Stack::from_env();
    let stranger = SigningKey::generate(JwsAlgorithm::Es256).unwrap();
    let token = stranger.mint(&spec(&stack)).unwrap();
    assert_rejected(&stack, &token, "unknown_key").await;

    // Same kid as a published key, but a different private key: the signature fails.
    let impostor = SigningKey::generate(JwsAlgorithm::Es256)
        .unwrap()
        .with_kid(published(JwsAlgorithm::Es256).kid());
    let token = impostor.mint(&spec(&stack)).unwrap();
    assert_rejected(&stack, &token, "bad_signature").await;
}

#[tokio::test]
async fn alg_none_and_algorithm_confusion_are_refused() {
    let stack = Stack::from_env();
    let claims = spec(&stack).claims();
    let none = encode_unsigned(&json!({"alg": "none", "typ": "JWT"}), &claims, b"").unwrap();
    assert_rejected(&stack, &none, "unsupported_algorithm").await;

    // HS256 "signed" with the RSA public key as the HMAC secret, pointing at the RSA kid.
    let rsa = published(JwsAlgorithm::Rs256);
    let public_key_bytes = rsa.public_jwk().to_string();
    let confused = mint_hs256_with_claims(
        public_key_bytes.as_bytes(),
        &json!({"alg": "HS256", "typ": "JWT", "kid": rsa.kid()}),
        &claims,
    )
    .unwrap();
    let (status, headers, body) = me_with(&stack, &confused).await;
    assert_problem(status, &headers, &body, 401, "unauthenticated");

    // An RS256 header on a token whose kid names the EC key.
    let ec = published(JwsAlgorithm::Es256);
    let mismatched = rsa
        .mint_with_claims(
            &json!({"alg": "RS256", "typ": "JWT", "kid": ec.kid()}),
            &claims,
        )
        .unwrap();
    let (status, headers, body) = me_with(&stack, &mismatched).await;
    assert_problem(status, &headers, &body, 401, "unauthenticated");
}

#[tokio::test]
async fn tampered_and_malformed_tokens_are_refused() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let mut parts: Vec<String> = user.token.split('.').map(str::to_owned).collect();
    // Swap the payload for one claiming another subject, keep the signature.
    let forged_claims = spec(&stack).claims();
    let forged_payload = encode_unsigned(&json!({"alg": "HS256"}), &forged_claims, b"")
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap()
        .to_owned();
    parts[1] = forged_payload;
    assert_rejected(&stack, &parts.join("."), "bad_signature").await;

    for garbage in ["abc", "a.b", "a.b.c.d", "!!!.???.###", ""] {
        let (status, headers, body) = read(
            stack
                .request(Method::GET, "/v1/me")
                .header("authorization", format!("Bearer {garbage}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_problem(status, &headers, &body, 401, "unauthenticated");
    }
    let (status, headers, body) = read(
        stack
            .request(Method::GET, "/v1/me")
            .header("authorization", format!("Basic {}", user.token))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(status, &headers, &body, 401, "unauthenticated");
}

#[tokio::test]
async fn expiry_not_before_issuer_and_audience_are_enforced() {
    let stack = Stack::from_env();
    let secret = stack.jwt_secret.as_bytes();
    let header = json!({"alg": "HS256", "typ": "JWT"});
    let now = now_secs();
    let with = |changes: Value| {
        let mut claims = spec(&stack).claims();
        for (key, value) in changes.as_object().unwrap() {
            claims[key] = value.clone();
        }
        mint_hs256_with_claims(secret, &header, &claims).unwrap()
    };

    assert_rejected(&stack, &with(json!({"exp": now - 3600})), "token_expired").await;
    assert_rejected(
        &stack,
        &with(json!({"nbf": now + 3600})),
        "token_not_yet_valid",
    )
    .await;
    assert_rejected(
        &stack,
        &with(json!({"iss": "https://evil.example/auth/v1"})),
        "wrong_issuer",
    )
    .await;
    assert_rejected(&stack, &with(json!({"aud": "anon"})), "wrong_audience").await;

    // Small clock skew is tolerated; an audience list containing ours is accepted.
    let (status, _, body) = me_with(&stack, &with(json!({"exp": now - 5}))).await;
    assert_eq!(status, 200, "within leeway: {body}");
    let (status, _, body) = me_with(
        &stack,
        &with(json!({"aud": ["other", stack.audience.clone()]})),
    )
    .await;
    assert_eq!(status, 200, "audience list: {body}");
}

#[tokio::test]
async fn a_token_without_a_subject_is_refused() {
    let stack = Stack::from_env();
    let mut claims = spec(&stack).claims();
    claims.as_object_mut().unwrap().remove("sub");
    let token = mint_hs256_with_claims(
        stack.jwt_secret.as_bytes(),
        &json!({"alg": "HS256", "typ": "JWT"}),
        &claims,
    )
    .unwrap();
    assert_rejected(&stack, &token, "missing_subject").await;
}

#[tokio::test]
async fn a_token_email_that_cannot_be_stored_is_dropped_and_the_user_gets_in() {
    let stack = Stack::from_env();
    for email in [
        "ana\u{0}@example.com",
        "ana@example.com\nBcc: eve@example.com",
        "\u{1b}[2Jana@example.com",
        "\u{200b}",
    ] {
        let subject = uuid::Uuid::new_v4().to_string();
        let token = hs256_with_email(&stack, &subject, email);
        let (status, _, body) = me_with(&stack, &token).await;
        assert_eq!(status, 200, "{email:?}: {body}");
        assert_eq!(body["email"], Value::Null, "{email:?}: {body}");
        // The account works past its first request.
        let (status, headers, answer) = read(
            stack
                .request(Method::POST, "/v1/chat")
                .bearer_auth(&token)
                .json(&json!({"message": "3x8 pull-ups", "client_message_id": "m-1"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{email:?}: {answer}");
        assert!(headers.contains_key("x-request-id"));
        let rows = stack
            .sql(
                "select email from users where auth_subject = $1",
                &[&subject],
            )
            .await;
        assert_eq!(rows, vec![vec![Value::Null]], "{email:?}");
    }

    // A clean email is still kept, trimmed.
    let subject = uuid::Uuid::new_v4().to_string();
    let token = hs256_with_email(&stack, &subject, " ana@example.com ");
    let (status, _, body) = me_with(&stack, &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["email"], "ana@example.com");
}

/// An HS256 token for `subject` whose `email` claim is `email`, as given.
fn hs256_with_email(stack: &Stack, subject: &str, email: &str) -> String {
    mint_hs256(
        stack.jwt_secret.as_bytes(),
        &TokenSpec::new(&stack.issuer, &stack.audience, subject, 600).with_email(email),
    )
    .unwrap()
}
