//! Minted tokens are checked by the core's real `authenticate`, over the native
//! verifier, so tooling and worker agree on what a valid token is.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use http::{Method, StatusCode};
use serde_json::{Value, json};
use tora_core::auth::{
    AuthConfig, AuthError, AuthenticatedSubject, HmacSecret, JwksCache, authenticate,
};
use tora_core::ports::{Transport, TransportError};
use tora_test_support::RustCryptoVerifier;

use super::jwks_server::exchange;
use super::keys::thumbprint;
use super::*;

const ISSUER: &str = "http://127.0.0.1:4455";
const AUDIENCE: &str = "authenticated";
const SUBJECT: &str = "00000000-0000-4000-8000-00000000d3b0";
const SECRET: &[u8] = b"local-dev-secret-at-least-32-bytes-long";
const JWKS_URL: &str = "http://127.0.0.1:4455/.well-known/jwks.json";

fn spec() -> TokenSpec {
    TokenSpec::new(ISSUER, AUDIENCE, SUBJECT, 3600).with_email("dev@tora.local")
}

/// Serves a fixed JWKS document from memory.
struct StaticJwks(Value);

impl Transport for StaticJwks {
    async fn send(
        &self,
        _request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        Ok(http::Response::new(self.0.to_string().into_bytes()))
    }
}

/// Sends the core's JWKS request to a real `jwks-serve` over loopback.
struct Loopback;

impl Transport for Loopback {
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let path = request
            .uri()
            .path_and_query()
            .map_or("/", |path| path.as_str());
        let (status, body) = exchange(&request.uri().to_string(), request.method().clone(), path)
            .await
            .map_err(|error| TransportError::Unreachable {
                host: "127.0.0.1".to_owned(),
                reason: error.to_string(),
            })?;
        let mut response = http::Response::new(body);
        *response.status_mut() = status;
        Ok(response)
    }
}

fn config(secret: Option<&[u8]>, jwks_url: Option<&str>) -> AuthConfig {
    AuthConfig::new(
        secret.map(HmacSecret::new),
        jwks_url.map(str::to_owned),
        ISSUER.to_owned(),
        AUDIENCE.to_owned(),
    )
    .unwrap()
}

async fn check(
    token: &str,
    config: &AuthConfig,
    jwks: &JwksCache,
    transport: &impl Transport,
) -> Result<AuthenticatedSubject, AuthError> {
    authenticate(
        Some(&format!("Bearer {token}")),
        config,
        jwks,
        transport,
        &RustCryptoVerifier,
        &SystemClock,
    )
    .await
}

async fn check_against(
    token: &str,
    keys: &[&SigningKey],
) -> Result<AuthenticatedSubject, AuthError> {
    let owned: Vec<SigningKey> = keys.iter().map(|key| (*key).clone()).collect();
    let transport = StaticJwks(public_jwks(&owned));
    check(
        token,
        &config(None, Some(JWKS_URL)),
        &JwksCache::new(),
        &transport,
    )
    .await
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "tora-dev-tokens-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn dev_token_is_accepted_by_the_core() {
    let token = mint_hs256(SECRET, &spec()).unwrap();
    let subject = check(
        &token,
        &config(Some(SECRET), None),
        &JwksCache::new(),
        &StaticJwks(json!({})),
    )
    .await
    .unwrap();
    assert_eq!(subject.subject, SUBJECT);
    assert_eq!(subject.email.as_deref(), Some("dev@tora.local"));
    let lifetime = subject.expires_at - now_secs();
    assert!((3590..=3600).contains(&lifetime), "{lifetime}");
}

#[tokio::test]
async fn generated_keys_mint_tokens_the_core_accepts() {
    let es256 = SigningKey::generate(JwsAlgorithm::Es256).unwrap();
    let rs256 = SigningKey::generate(JwsAlgorithm::Rs256).unwrap();
    assert_eq!(es256.alg(), JwsAlgorithm::Es256);
    assert_eq!(rs256.alg(), JwsAlgorithm::Rs256);
    for key in [&es256, &rs256] {
        let subject = check_against(&key.mint(&spec()).unwrap(), &[&es256, &rs256])
            .await
            .unwrap_or_else(|error| panic!("{key:?}: {error:?}"));
        assert_eq!(subject.subject, SUBJECT);
    }
    assert!(SigningKey::generate(JwsAlgorithm::Hs256).is_err());
}

#[tokio::test]
async fn crafted_tokens_fail_for_the_reason_they_were_crafted() {
    let key = SigningKey::generate(JwsAlgorithm::Es256).unwrap();
    let unpublished = SigningKey::generate(JwsAlgorithm::Es256).unwrap();
    let claims = spec().claims();
    let mut future = claims.clone();
    future["nbf"] = json!(now_secs() + 3600);
    let mut foreign = claims.clone();
    foreign["aud"] = json!(["someone-else"]);
    let cases = [
        (
            "alg none",
            encode_unsigned(&json!({"alg": "none"}), &claims, b"").unwrap(),
            AuthError::UnsupportedAlgorithm,
        ),
        (
            "unknown kid",
            unpublished.mint(&spec()).unwrap(),
            AuthError::UnknownKey,
        ),
        (
            "published kid, other key",
            unpublished
                .clone()
                .with_kid(key.kid())
                .mint(&spec())
                .unwrap(),
            AuthError::BadSignature,
        ),
        (
            "RS256 header on an EC key",
            key.mint_with_claims(&json!({"alg": "RS256", "kid": key.kid()}), &claims)
                .unwrap(),
            AuthError::KeyAlgorithmMismatch,
        ),
        (
            "expired",
            key.mint(&TokenSpec::new(ISSUER, AUDIENCE, SUBJECT, -3600))
                .unwrap(),
            AuthError::Expired,
        ),
        (
            "not yet valid",
            key.mint_with_claims(&key.header(), &future).unwrap(),
            AuthError::NotYetValid,
        ),
        (
            "audience array without ours",
            key.mint_with_claims(&key.header(), &foreign).unwrap(),
            AuthError::WrongAudience,
        ),
        (
            "service role",
            key.mint(&spec().with_role("service_role")).unwrap(),
            AuthError::WrongRole,
        ),
    ];
    for (name, token, expected) in cases {
        assert_eq!(
            check_against(&token, &[&key]).await,
            Err(expected),
            "{name}"
        );
    }
}

#[tokio::test]
async fn hs256_escape_hatch_signs_whatever_header_it_is_given() {
    let claims = spec().claims();
    let with_kid =
        mint_hs256_with_claims(SECRET, &json!({"alg": "HS256", "kid": "legacy"}), &claims).unwrap();
    let config = config(Some(SECRET), None);
    assert!(
        check(
            &with_kid,
            &config,
            &JwksCache::new(),
            &StaticJwks(json!({}))
        )
        .await
        .is_ok()
    );
    let lying = mint_hs256_with_claims(SECRET, &json!({"alg": "HS384"}), &claims).unwrap();
    assert_eq!(
        check(&lying, &config, &JwksCache::new(), &StaticJwks(json!({}))).await,
        Err(AuthError::UnsupportedAlgorithm)
    );
}

#[test]
fn token_spec_claims_look_like_supabase_sessions() {
    let claims = spec().claims_at(1_000);
    assert_eq!(
        claims,
        json!({
            "iss": ISSUER, "aud": AUDIENCE, "sub": SUBJECT, "iat": 1_000, "exp": 4_600,
            "role": "authenticated", "aal": "aal1", "is_anonymous": false,
            "email": "dev@tora.local",
        })
    );
    assert!(
        TokenSpec::new(ISSUER, AUDIENCE, SUBJECT, 60)
            .claims_at(0)
            .get("email")
            .is_none()
    );
}

#[test]
fn kid_is_the_rfc_7638_thumbprint() {
    // RFC 7638 §3.1.
    let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    let public = json!({"e": "AQAB", "kty": "RSA", "n": n});
    assert_eq!(
        thumbprint(&public),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );

    let key = SigningKey::generate(JwsAlgorithm::Es256).unwrap();
    let jwk = key.public_jwk();
    let required = json!({"crv": jwk["crv"], "kty": "EC", "x": jwk["x"], "y": jwk["y"]});
    assert_eq!(key.kid(), thumbprint(&required));
}

#[test]
fn public_jwk_is_what_supabase_publishes() {
    let key = SigningKey::generate(JwsAlgorithm::Es256).unwrap();
    let jwk = key.public_jwk();
    for member in [
        "kty", "crv", "x", "y", "kid", "alg", "use", "key_ops", "ext",
    ] {
        assert!(jwk.get(member).is_some(), "{member}");
    }
    assert!(jwk.get("d").is_none(), "never the private scalar");
    assert_eq!(jwk["alg"], "ES256");
    assert!(key.verifying_key().is_ok());
}

#[tokio::test]
async fn key_files_round_trip() {
    let dir = TempDir::new();
    let path = dir.0.join("keys.json");
    let created = ensure_key_file(&path).unwrap();
    let algs: Vec<_> = created.iter().map(SigningKey::alg).collect();
    assert_eq!(algs, [JwsAlgorithm::Es256, JwsAlgorithm::Rs256]);

    let loaded = load_keys(&path).unwrap();
    assert_eq!(
        ensure_key_file(&path).unwrap().len(),
        2,
        "an existing file is kept"
    );
    for (original, loaded) in created.iter().zip(&loaded) {
        assert_eq!(original.kid(), loaded.kid());
        assert_eq!(original.public_jwk(), loaded.public_jwk());
        // A token from the reloaded private key verifies against the original public key.
        assert!(
            check_against(&loaded.mint(&spec()).unwrap(), &[original])
                .await
                .is_ok()
        );
    }
    let entry = created[0].to_json().unwrap();
    assert_eq!(
        SigningKey::from_json(&entry).unwrap().kid(),
        created[0].kid()
    );
}

#[test]
fn debug_output_never_contains_key_material() {
    let key = SigningKey::generate(JwsAlgorithm::Es256).unwrap();
    let printed = format!("{key:?}");
    assert!(printed.contains(key.kid()));
    assert!(!printed.contains("PRIVATE"));
}

#[tokio::test]
async fn jwks_server_publishes_rotates_and_rereads_its_key_file() {
    let dir = TempDir::new();
    let path = dir.0.join("nested").join("keys.json");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let jwks_url = format!("{base}/.well-known/jwks.json");
    let server = tokio::spawn(serve_jwks_on(listener, path.clone()));

    let published_kids = || async {
        let (status, body) = exchange(&base, Method::GET, "/.well-known/jwks.json")
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK);
        let jwks: Value = serde_json::from_slice(&body).unwrap();
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|key| key["kid"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };

    // The file is created (while the server starts) with one key of each kind.
    let initial = published_kids().await;
    let on_disk: Vec<String> = load_keys(&path)
        .unwrap()
        .iter()
        .map(|k| k.kid().to_owned())
        .collect();
    assert_eq!(initial, on_disk);
    assert_eq!(initial.len(), 2);

    // The core fetches the JWKS over HTTP and accepts a token from a published key.
    let config = config(None, Some(&jwks_url));
    let cache = JwksCache::new();
    let first = load_keys(&path).unwrap().remove(0);
    assert!(
        check(&first.mint(&spec()).unwrap(), &config, &cache, &Loopback)
            .await
            .is_ok()
    );

    // Rotation: the new key is returned with its private half and published at once,
    // and the core picks it up through its unknown-kid refetch.
    let rotated = rotate_key(&jwks_url, JwsAlgorithm::Es256).await.unwrap();
    assert!(published_kids().await.contains(&rotated.kid().to_owned()));
    let subject = check(&rotated.mint(&spec()).unwrap(), &config, &cache, &Loopback).await;
    assert_eq!(subject.map(|s| s.subject), Ok(SUBJECT.to_owned()));

    // Edits to the file show up on the next request.
    save_keys(&path, std::slice::from_ref(&rotated)).unwrap();
    assert_eq!(published_kids().await, vec![rotated.kid().to_owned()]);

    // Wrong requests.
    let (status, _) = exchange(&base, Method::POST, "/keys?alg=HS256")
        .await
        .unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = exchange(&base, Method::POST, "/keys").await.unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = exchange(&base, Method::DELETE, "/.well-known/jwks.json")
        .await
        .unwrap();
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let (status, _) = exchange(&base, Method::GET, "/").await.unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND);

    server.abort();
}
