//! `authenticate` end to end over real signatures: HS256, ES256 and RS256 tokens
//! against a fake JWKS endpoint and a settable clock.

// Test helpers outside `#[test]` functions are not covered by clippy.toml's
// allow-*-in-tests; a failed unwrap here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::cell::Cell;

use serde_json::{Value, json};
use support::*;
use tora_core::auth::{AuthConfig, AuthError, HmacSecret, JwksFetchError, authenticate};

// ------------------------------------------------------------ valid tokens

#[tokio::test]
async fn valid_tokens_of_every_algorithm_authenticate() {
    let h = Harness::new(KeySources::Both);
    let ec_without_kid = signed(&json!({"alg": "ES256"}), &claims(), |input| {
        h.ec.sign(input)
    });
    let hs256_with_kid = signed(
        &json!({"alg": "HS256", "kid": "legacy"}),
        &claims(),
        |input| hmac_sha256(SECRET.as_bytes(), input),
    );
    let cases = [
        ("HS256", hs256_token(&claims())),
        ("HS256 with a kid", hs256_with_kid),
        ("ES256", h.ec.token(&claims())),
        ("RS256", h.rsa.token(&claims())),
        ("ES256 without kid, one EC key published", ec_without_kid),
    ];
    for (name, token) in cases {
        let subject = h
            .auth(&token)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(subject.subject, SUBJECT, "{name}");
        assert_eq!(subject.email.as_deref(), Some("ada@example.com"), "{name}");
        assert_eq!(subject.expires_at, NOW + 3600, "{name}");
    }
}

#[tokio::test]
async fn hs256_tokens_never_touch_the_network() {
    let h = Harness::new(KeySources::Both);
    h.auth(&hs256_token(&claims())).await.unwrap();
    assert_eq!(h.endpoint.fetches(), 0);
}

#[tokio::test]
async fn the_secret_is_used_as_raw_utf8_bytes_not_base64() {
    let base64_looking_secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQ"; // base64 of "secret-secret-secret"
    let mut h = Harness::new(KeySources::SecretOnly);
    h.config = AuthConfig::new(
        Some(HmacSecret::new(base64_looking_secret)),
        None,
        ISSUER.to_owned(),
        AUDIENCE.to_owned(),
    )
    .unwrap();
    let sign_with = |key: &'static [u8]| {
        signed(&json!({"alg": "HS256"}), &claims(), move |input| {
            hmac_sha256(key, input)
        })
    };
    assert!(
        h.auth(&sign_with(b"c2VjcmV0LXNlY3JldC1zZWNyZXQ"))
            .await
            .is_ok()
    );
    assert_eq!(
        h.auth(&sign_with(b"secret-secret-secret")).await,
        Err(AuthError::BadSignature)
    );
}

#[tokio::test]
async fn optional_claims_are_optional() {
    let h = Harness::new(KeySources::SecretOnly);
    let cases = [
        ("no email", json!({"email": null}), None),
        ("empty email (phone sign-in)", json!({"email": ""}), None),
        // An email that could not be stored or shown is dropped, never a refusal:
        // it is profile data, and the person must still get in.
        (
            "NUL in the email",
            json!({"email": "ada\u{0}@example.com"}),
            None,
        ),
        (
            "escape in the email",
            json!({"email": "\u{1b}[2Jada@example.com"}),
            None,
        ),
        (
            "two lines",
            json!({"email": "ada@example.com\nBcc: eve@example.com"}),
            None,
        ),
        ("invisible only", json!({"email": "\u{200b}"}), None),
        (
            "far too long",
            json!({"email": format!("{}@example.com", "a".repeat(320))}),
            None,
        ),
        ("not a string", json!({"email": 42}), None),
        (
            "spaces around",
            json!({"email": " ada@example.com "}),
            Some("ada@example.com"),
        ),
        (
            "non-ASCII",
            json!({"email": "zoë@exämple.com"}),
            Some("zoë@exämple.com"),
        ),
        ("no role", json!({"role": null}), Some("ada@example.com")),
        (
            "fractional exp",
            json!({"exp": (NOW + 60) as f64 + 0.5}),
            Some("ada@example.com"),
        ),
    ];
    for (name, changes, email) in cases {
        let subject = h
            .auth(&hs256_token(&claims_with(changes)))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(subject.email.as_deref(), email, "{name}");
    }
}

// ------------------------------------------------------------ algorithms

#[tokio::test]
async fn disallowed_algorithms_are_rejected_before_any_key_lookup() {
    let h = Harness::new(KeySources::Both);
    let body = json_b64(&claims());
    let cases = [
        (
            "alg none, empty signature",
            format!("{}.{body}.", json_b64(&json!({"alg": "none"}))),
        ),
        (
            "alg none, some signature",
            format!("{}.{body}.AAAA", json_b64(&json!({"alg": "none"}))),
        ),
        (
            "alg None",
            format!("{}.{body}.AAAA", json_b64(&json!({"alg": "None"}))),
        ),
        (
            "alg hs256 lowercase",
            format!("{}.{body}.AAAA", json_b64(&json!({"alg": "hs256"}))),
        ),
        (
            "alg HS512",
            format!("{}.{body}.AAAA", json_b64(&json!({"alg": "HS512"}))),
        ),
        (
            "alg PS256",
            format!(
                "{}.{body}.AAAA",
                json_b64(&json!({"alg": "PS256", "kid": h.rsa.kid}))
            ),
        ),
        (
            "alg EdDSA",
            format!("{}.{body}.AAAA", json_b64(&json!({"alg": "EdDSA"}))),
        ),
    ];
    for (name, token) in cases {
        let error = h.auth(&token).await.unwrap_err();
        // "alg none, empty signature" has an empty third segment: either answer rejects it.
        assert!(
            matches!(
                error,
                AuthError::UnsupportedAlgorithm | AuthError::Malformed(_)
            ),
            "{name}: {error:?}"
        );
    }
    assert_eq!(h.endpoint.fetches(), 0);
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_is_rejected_when_only_jwks_is_configured() {
    let h = Harness::new(KeySources::JwksOnly);
    let pem = h.rsa.public_pem();
    let jwk_json = serde_json::to_string(&h.rsa.jwk()).unwrap();
    for (name, secret) in [("PEM", pem.as_bytes()), ("JWK JSON", jwk_json.as_bytes())] {
        for kid in [Value::Null, json!(h.rsa.kid)] {
            let header = if kid.is_null() {
                json!({"alg": "HS256"})
            } else {
                json!({"alg": "HS256", "kid": kid})
            };
            let token = signed(&header, &claims(), |input| hmac_sha256(secret, input));
            assert_eq!(
                h.auth(&token).await,
                Err(AuthError::UnsupportedAlgorithm),
                "{name}, kid {kid}"
            );
        }
    }
}

#[tokio::test]
async fn hs256_naming_a_jwks_kid_is_checked_against_the_configured_secret_only() {
    let h = Harness::new(KeySources::Both);
    let pem = h.rsa.public_pem();
    let token = signed(
        &json!({"alg": "HS256", "kid": h.rsa.kid}),
        &claims(),
        |input| hmac_sha256(pem.as_bytes(), input),
    );
    assert_eq!(h.auth(&token).await, Err(AuthError::BadSignature));
}

#[tokio::test]
async fn symmetric_keys_published_in_the_jwks_are_never_used() {
    let h = Harness::new(KeySources::JwksOnly);
    let leaked = b"published-by-mistake";
    h.publish(vec![
        json!({"kty": "oct", "kid": "hs", "alg": "HS256", "k": b64(leaked)}),
        h.ec.jwk(),
    ]);
    let token = signed(&json!({"alg": "HS256", "kid": "hs"}), &claims(), |input| {
        hmac_sha256(leaked, input)
    });
    assert_eq!(h.auth(&token).await, Err(AuthError::UnsupportedAlgorithm));
}

#[tokio::test]
async fn header_algorithm_must_match_the_kind_of_key_its_kid_names() {
    let h = Harness::new(KeySources::JwksOnly);
    let rs256_with_ec_kid = signed(
        &json!({"alg": "RS256", "kid": h.ec.kid}),
        &claims(),
        |input| h.rsa.sign(input),
    );
    let es256_with_rsa_kid = signed(
        &json!({"alg": "ES256", "kid": h.rsa.kid}),
        &claims(),
        |input| h.ec.sign(input),
    );
    for (name, token) in [
        ("RS256 naming the EC key", rs256_with_ec_kid),
        ("ES256 naming the RSA key", es256_with_rsa_kid),
    ] {
        assert_eq!(
            h.auth(&token).await,
            Err(AuthError::KeyAlgorithmMismatch),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_kid_shared_by_two_key_types_selects_the_one_that_fits() {
    let h = Harness::new(KeySources::JwksOnly);
    let mut ec = h.ec.jwk();
    let mut rsa = h.rsa.jwk();
    ec["kid"] = json!("shared");
    rsa["kid"] = json!("shared");
    h.publish(vec![ec, rsa]);
    let token = signed(
        &json!({"alg": "RS256", "kid": "shared"}),
        &claims(),
        |input| h.rsa.sign(input),
    );
    assert!(h.auth(&token).await.is_ok());
}

#[tokio::test]
async fn asymmetric_tokens_need_a_jwks_url() {
    let h = Harness::new(KeySources::SecretOnly);
    for token in [h.ec.token(&claims()), h.rsa.token(&claims())] {
        assert_eq!(h.auth(&token).await, Err(AuthError::UnsupportedAlgorithm));
    }
    assert_eq!(h.endpoint.fetches(), 0);
}

#[tokio::test]
async fn without_a_kid_the_key_must_be_unambiguous() {
    let h = Harness::new(KeySources::JwksOnly);
    let other = EcKey::generate("ec-other");
    h.publish(vec![h.ec.jwk(), other.jwk()]);
    let token = signed(&json!({"alg": "ES256"}), &claims(), |input| {
        h.ec.sign(input)
    });
    assert_eq!(h.auth(&token).await, Err(AuthError::UnknownKey));
}

// ------------------------------------------------------------ signatures

/// Swaps the payload of `token` for `claims`, keeping header and signature.
fn with_payload(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!("{}.{}.{}", parts[0], json_b64(claims), parts[2])
}

/// Re-encodes the token with `change` applied to its decoded signature.
fn with_signature(token: &str, change: impl Fn(&mut Vec<u8>)) -> String {
    use base64::Engine as _;
    let (signing_input, signature) = token.rsplit_once('.').unwrap();
    let mut signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature)
        .unwrap();
    change(&mut signature);
    format!("{signing_input}.{}", b64(signature))
}

/// Flips one bit in the middle of the signature.
fn with_flipped_signature_bit(token: &str) -> String {
    with_signature(token, |signature| {
        let middle = signature.len() / 2;
        signature[middle] ^= 0x01;
    })
}

#[tokio::test]
async fn tampered_tokens_fail_the_signature_check() {
    let h = Harness::new(KeySources::Both);
    let promoted = claims_with(json!({"sub": "00000000-0000-4000-8000-000000000000"}));
    let stranger = EcKey::generate(&h.ec.kid);
    let originals = [
        ("HS256", hs256_token(&claims())),
        ("ES256", h.ec.token(&claims())),
        ("RS256", h.rsa.token(&claims())),
    ];
    for (alg, token) in &originals {
        assert_eq!(
            h.auth(&with_payload(token, &promoted)).await,
            Err(AuthError::BadSignature),
            "{alg} payload"
        );
        assert_eq!(
            h.auth(&with_flipped_signature_bit(token)).await,
            Err(AuthError::BadSignature),
            "{alg} signature"
        );
        let truncated = with_signature(token, |signature| signature.truncate(signature.len() - 3));
        assert_eq!(
            h.auth(&truncated).await,
            Err(AuthError::BadSignature),
            "{alg} truncated signature"
        );
    }
    let cases = [
        (
            "ES256 by a key claiming a known kid",
            stranger.token(&claims()),
        ),
        (
            "HS256 with another secret",
            signed(&json!({"alg": "HS256"}), &claims(), |input| {
                hmac_sha256(b"guess", input)
            }),
        ),
    ];
    for (name, token) in cases {
        assert_eq!(h.auth(&token).await, Err(AuthError::BadSignature), "{name}");
    }
}

#[tokio::test]
async fn es256_signatures_must_be_raw_r_and_s() {
    let h = Harness::new(KeySources::JwksOnly);
    let token = h.ec.token(&claims());
    let (signing_input, signature) = token.rsplit_once('.').unwrap();
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature)
        .unwrap();
    let der = p256::ecdsa::Signature::from_slice(&raw).unwrap().to_der();
    let der_token = format!("{signing_input}.{}", b64(der.as_bytes()));
    assert_eq!(h.auth(&der_token).await, Err(AuthError::BadSignature));
}

#[tokio::test]
async fn claims_are_not_judged_before_the_signature_holds() {
    let h = Harness::new(KeySources::Both);
    let bad_claims = [
        claims_with(json!({"exp": NOW - 3600})),
        claims_with(json!({"iss": "https://evil.example/auth/v1"})),
        claims_with(json!({"aud": "someone-else"})),
        claims_with(json!({"sub": null})),
        json!(["not", "an", "object"]),
    ];
    for claims in bad_claims {
        let forged = with_flipped_signature_bit(&h.ec.token(&claims));
        assert_eq!(
            h.auth(&forged).await,
            Err(AuthError::BadSignature),
            "{claims}"
        );
    }
}

#[tokio::test]
async fn a_broken_platform_verifier_is_an_outage_not_a_bad_token() {
    let h = Harness::new(KeySources::SecretOnly);
    let error = h
        .auth_with(&hs256_token(&claims()), &FailingVerifier)
        .await
        .unwrap_err();
    assert!(matches!(error, AuthError::VerifierUnavailable(_)));
    assert!(error.is_unavailable());
}

// ------------------------------------------------------------ malformed

#[tokio::test]
async fn malformed_tokens_are_rejected_without_verifying() {
    let h = Harness::new(KeySources::Both);
    let verifier = CountingVerifier {
        calls: Cell::new(0),
    };
    let good = hs256_token(&claims());
    let (header, rest) = good.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();
    let hs = json_b64(&json!({"alg": "HS256"}));
    let cases = [
        ("two segments", format!("{header}.{payload}")),
        ("four segments", format!("{good}.{signature}")),
        ("one segment", header.to_owned()),
        ("empty header", format!(".{payload}.{signature}")),
        ("empty payload", format!("{header}..{signature}")),
        ("empty signature", format!("{header}.{payload}.")),
        (
            "standard base64 alphabet",
            format!(
                "{header}.{payload}.{}",
                signature.replacen(|c: char| c.is_ascii_alphanumeric(), "+", 1)
            ),
        ),
        ("padding", format!("{header}.{payload}=.{signature}")),
        // "e30" is `{}`; "e31" decodes to the same bytes with a non-zero trailing bit.
        (
            "non-canonical trailing bits",
            format!("{hs}.e31.{signature}"),
        ),
        (
            "header is not JSON",
            format!("{}.{payload}.{signature}", b64("alg=HS256")),
        ),
        (
            "header is a JSON array",
            format!("{}.{payload}.{signature}", json_b64(&json!(["HS256"]))),
        ),
        (
            "header is a JSON string",
            format!("{}.{payload}.{signature}", json_b64(&json!("HS256"))),
        ),
        (
            "header without alg",
            format!("{}.{payload}.{signature}", json_b64(&json!({"typ": "JWT"}))),
        ),
        (
            "crit header",
            format!(
                "{}.{payload}.{signature}",
                json_b64(&json!({"alg": "HS256", "crit": ["exp"], "exp": 1}))
            ),
        ),
        (
            "numeric kid",
            format!(
                "{}.{payload}.{signature}",
                json_b64(&json!({"alg": "HS256", "kid": 5}))
            ),
        ),
        ("space inside", format!("{hs}.{payload} .{signature}")),
        (
            "oversized",
            format!("{header}.{}.{signature}", "A".repeat(20_000)),
        ),
    ];
    for (name, token) in cases {
        let error = h.auth_with(&token, &verifier).await.unwrap_err();
        assert!(
            matches!(error, AuthError::Malformed(_)),
            "{name}: {error:?}"
        );
    }
    assert_eq!(verifier.calls.get(), 0);
}

#[tokio::test]
async fn signed_payloads_that_are_not_claim_objects_are_malformed() {
    let h = Harness::new(KeySources::SecretOnly);
    let hs = json_b64(&json!({"alg": "HS256"}));
    let sign = |input: &[u8]| hmac_sha256(SECRET.as_bytes(), input);
    let cases = [
        ("not JSON", signed_raw(&hs, &b64("sub=me"), sign)),
        (
            "JSON array",
            signed_raw(&hs, &json_b64(&json!([claims()])), sign),
        ),
        ("JSON number", signed_raw(&hs, &json_b64(&json!(42)), sign)),
    ];
    for (name, token) in cases {
        assert!(
            matches!(h.auth(&token).await, Err(AuthError::Malformed(_))),
            "{name}"
        );
    }
}

#[tokio::test]
async fn authorization_header_shapes() {
    let h = Harness::new(KeySources::SecretOnly);
    let token = hs256_token(&claims());
    let run = |header: Option<String>| {
        let h = &h;
        async move {
            authenticate(
                header.as_deref(),
                &h.config,
                &h.jwks,
                &h.endpoint,
                &RustCryptoVerifier,
                &h.clock,
            )
            .await
        }
    };
    assert!(run(Some(format!("bearer {token}"))).await.is_ok());
    assert!(run(Some(format!("BEARER {token}"))).await.is_ok());
    assert_eq!(run(None).await, Err(AuthError::Missing));
    assert_eq!(run(Some(String::new())).await, Err(AuthError::Missing));
    assert_eq!(
        run(Some("Bearer ".to_owned())).await,
        Err(AuthError::Missing)
    );
    assert_eq!(
        run(Some(format!("Token {token}"))).await,
        Err(AuthError::Malformed("expected a Bearer token"))
    );
    assert_eq!(
        run(Some(token.clone())).await,
        Err(AuthError::Malformed("expected a Bearer token"))
    );
}

// ------------------------------------------------------------ claims

#[tokio::test]
async fn time_claims_respect_the_leeway() {
    let h = Harness::new(KeySources::SecretOnly);
    let leeway = 30;
    let cases = [
        ("exp in the future", json!({"exp": NOW + 1}), Ok(())),
        (
            "exp just passed, within leeway",
            json!({"exp": NOW - leeway + 1}),
            Ok(()),
        ),
        (
            "exp exactly at the leeway edge",
            json!({"exp": NOW - leeway}),
            Err(AuthError::Expired),
        ),
        (
            "exp beyond leeway",
            json!({"exp": NOW - leeway - 1}),
            Err(AuthError::Expired),
        ),
        ("exp long ago", json!({"exp": 0}), Err(AuthError::Expired)),
        (
            "exp missing",
            json!({"exp": null}),
            Err(AuthError::Malformed("exp is missing")),
        ),
        (
            "exp as a string",
            json!({"exp": (NOW + 60).to_string()}),
            Err(AuthError::Malformed("exp is not a number")),
        ),
        ("nbf now", json!({"nbf": NOW}), Ok(())),
        ("nbf within leeway", json!({"nbf": NOW + leeway}), Ok(())),
        (
            "nbf beyond leeway",
            json!({"nbf": NOW + leeway + 1}),
            Err(AuthError::NotYetValid),
        ),
        (
            "nbf as a string",
            json!({"nbf": NOW.to_string()}),
            Err(AuthError::Malformed("nbf is not a number")),
        ),
    ];
    for (name, changes, expected) in cases {
        let result = h
            .auth(&hs256_token(&claims_with(changes)))
            .await
            .map(|_| ());
        assert_eq!(result, expected, "{name}");
    }
}

#[tokio::test]
async fn issuer_must_match_exactly() {
    let h = Harness::new(KeySources::SecretOnly);
    let cases = [
        (
            "other project",
            json!({"iss": "https://zzzzzzzz.supabase.co/auth/v1"}),
        ),
        ("trailing slash", json!({"iss": format!("{ISSUER}/")})),
        ("different case", json!({"iss": ISSUER.to_uppercase()})),
        ("legacy key issuer", json!({"iss": "supabase"})),
        ("missing", json!({"iss": null})),
        ("array", json!({"iss": [ISSUER]})),
    ];
    for (name, changes) in cases {
        assert_eq!(
            h.auth(&hs256_token(&claims_with(changes))).await,
            Err(AuthError::WrongIssuer),
            "{name}"
        );
    }
}

#[tokio::test]
async fn audience_may_be_a_string_or_an_array_containing_ours() {
    let h = Harness::new(KeySources::SecretOnly);
    let cases = [
        ("string", json!({"aud": AUDIENCE}), Ok(())),
        (
            "array with ours",
            json!({"aud": ["other-api", AUDIENCE]}),
            Ok(()),
        ),
        ("array of ours only", json!({"aud": [AUDIENCE]}), Ok(())),
        (
            "other string",
            json!({"aud": "anon"}),
            Err(AuthError::WrongAudience),
        ),
        (
            "array without ours",
            json!({"aud": ["other-api"]}),
            Err(AuthError::WrongAudience),
        ),
        (
            "empty array",
            json!({"aud": []}),
            Err(AuthError::WrongAudience),
        ),
        (
            "different case",
            json!({"aud": "Authenticated"}),
            Err(AuthError::WrongAudience),
        ),
        (
            "missing",
            json!({"aud": null}),
            Err(AuthError::WrongAudience),
        ),
        ("number", json!({"aud": 1}), Err(AuthError::WrongAudience)),
    ];
    for (name, changes, expected) in cases {
        let result = h
            .auth(&hs256_token(&claims_with(changes)))
            .await
            .map(|_| ());
        assert_eq!(result, expected, "{name}");
    }
}

#[tokio::test]
async fn subject_must_be_a_short_non_empty_string() {
    let h = Harness::new(KeySources::SecretOnly);
    let longest = "x".repeat(255);
    let subject = h
        .auth(&hs256_token(&claims_with(json!({"sub": longest}))))
        .await
        .unwrap();
    assert_eq!(subject.subject.len(), 255);
    let cases = [
        ("missing", json!({"sub": null})),
        ("empty", json!({"sub": ""})),
        ("too long", json!({"sub": "x".repeat(256)})),
        ("number", json!({"sub": 42})),
        ("object", json!({"sub": {"id": SUBJECT}})),
        ("control character", json!({"sub": "abc\ndef"})),
    ];
    for (name, changes) in cases {
        assert_eq!(
            h.auth(&hs256_token(&claims_with(changes))).await,
            Err(AuthError::MissingSubject),
            "{name}"
        );
    }
}

#[tokio::test]
async fn service_and_anon_roles_are_not_user_sessions() {
    let h = Harness::new(KeySources::SecretOnly);
    for role in ["service_role", "anon", "supabase_admin"] {
        let token = hs256_token(&claims_with(json!({"role": role})));
        assert_eq!(h.auth(&token).await, Err(AuthError::WrongRole), "{role}");
    }
    // The shape of a legacy anon key: same secret, but no sub/aud and `iss: supabase`.
    let legacy_anon = hs256_token(
        &json!({"iss": "supabase", "ref": "abcdefgh", "role": "anon", "iat": NOW, "exp": NOW + 3600}),
    );
    assert!(h.auth(&legacy_anon).await.is_err());
}

// ------------------------------------------------------------ JWKS cache

#[tokio::test]
async fn keys_are_fetched_once_and_reused_within_the_ttl() {
    let h = Harness::new(KeySources::JwksOnly);
    h.auth(&h.ec.token(&claims())).await.unwrap();
    assert_eq!(h.endpoint.fetches(), 1);
    let (method, url, accept) = h.endpoint.last_request().unwrap();
    assert_eq!(method, http::Method::GET);
    assert_eq!(url, JWKS_URL);
    assert_eq!(accept.as_deref(), Some("application/json"));

    h.clock.advance_secs(599);
    h.auth(&h.rsa.token(&claims())).await.unwrap();
    assert_eq!(h.endpoint.fetches(), 1);

    h.clock.advance_secs(1);
    h.auth(&h.ec.token(&claims())).await.unwrap();
    assert_eq!(h.endpoint.fetches(), 2, "the TTL expired");
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_by_one_refetch() {
    let h = Harness::new(KeySources::JwksOnly);
    h.auth(&h.ec.token(&claims())).await.unwrap();
    let rotated = EcKey::generate("ec-2025-11");
    h.publish(vec![h.ec.jwk(), rotated.jwk(), h.rsa.jwk()]);

    h.clock.advance_secs(1);
    h.auth(&rotated.token(&claims())).await.unwrap();
    assert_eq!(h.endpoint.fetches(), 2);
    h.auth(&rotated.token(&claims())).await.unwrap();
    assert_eq!(h.endpoint.fetches(), 2, "now cached");
}

#[tokio::test]
async fn unknown_kids_refetch_at_most_once_per_interval() {
    let h = Harness::new(KeySources::JwksOnly);
    h.auth(&h.ec.token(&claims())).await.unwrap();
    let garbage = |kid: &str| {
        signed(&json!({"alg": "ES256", "kid": kid}), &claims(), |input| {
            h.ec.sign(input)
        })
    };

    assert_eq!(h.auth(&garbage("nope-1")).await, Err(AuthError::UnknownKey));
    assert_eq!(h.endpoint.fetches(), 2, "first unknown kid refetches");

    h.clock.advance_secs(10);
    assert_eq!(h.auth(&garbage("nope-2")).await, Err(AuthError::UnknownKey));
    assert_eq!(h.endpoint.fetches(), 2, "second one within 30 s does not");

    // A genuinely rotated key also waits out the interval...
    let rotated = EcKey::generate("ec-2025-11");
    h.publish(vec![h.ec.jwk(), rotated.jwk()]);
    assert_eq!(
        h.auth(&rotated.token(&claims())).await,
        Err(AuthError::UnknownKey)
    );
    assert_eq!(h.endpoint.fetches(), 2);

    // ...and is accepted once it is over.
    h.clock.advance_secs(20);
    h.auth(&rotated.token(&claims())).await.unwrap();
    assert_eq!(h.endpoint.fetches(), 3);
}

#[tokio::test]
async fn the_unknown_kid_interval_is_configurable() {
    let mut h = Harness::new(KeySources::JwksOnly);
    h.config = h.config.clone().with_unknown_kid_refetch_secs(0);
    h.auth(&h.ec.token(&claims())).await.unwrap();
    let garbage = signed(
        &json!({"alg": "ES256", "kid": "nope"}),
        &claims(),
        |input| h.ec.sign(input),
    );
    for expected_fetches in 2..5 {
        assert_eq!(h.auth(&garbage).await, Err(AuthError::UnknownKey));
        assert_eq!(h.endpoint.fetches(), expected_fetches);
    }
}

#[tokio::test]
async fn an_unknown_kid_right_after_a_ttl_refresh_does_not_fetch_twice() {
    let h = Harness::new(KeySources::JwksOnly);
    h.auth(&h.ec.token(&claims())).await.unwrap();
    h.clock.advance_secs(600);
    let garbage = signed(
        &json!({"alg": "ES256", "kid": "nope"}),
        &claims(),
        |input| h.ec.sign(input),
    );
    assert_eq!(h.auth(&garbage).await, Err(AuthError::UnknownKey));
    assert_eq!(h.endpoint.fetches(), 2);
}

#[tokio::test]
async fn stale_keys_keep_working_while_the_issuer_is_down() {
    let h = Harness::new(KeySources::JwksOnly);
    h.auth(&h.ec.token(&claims())).await.unwrap();
    h.endpoint.answer_with(JwksAnswer::Unreachable);

    h.clock.advance_secs(601);
    h.auth(&h.ec.token(&claims())).await.unwrap();
    assert_eq!(h.endpoint.fetches(), 2, "the refresh was attempted");
    assert!(matches!(
        h.jwks.last_fetch_error(),
        Some(JwksFetchError::Transport(_))
    ));

    h.auth(&h.rsa.token(&claims())).await.unwrap();
    assert_eq!(h.endpoint.fetches(), 2, "failed fetches back off");

    h.clock.advance_secs(5);
    h.publish(vec![h.ec.jwk(), h.rsa.jwk()]);
    h.auth(&h.ec.token(&claims())).await.unwrap();
    assert_eq!(h.endpoint.fetches(), 3, "retried after the back-off");
    assert_eq!(h.jwks.last_fetch_error(), None);
}

#[tokio::test]
async fn no_keys_at_all_is_keys_unavailable() {
    let cases = [
        ("unreachable", JwksAnswer::Unreachable),
        ("HTTP 500", JwksAnswer::Status(500)),
        ("HTTP 404", JwksAnswer::Status(404)),
        ("not JSON", JwksAnswer::Body(b"<html>".to_vec())),
        (
            "no keys array",
            JwksAnswer::Body(b"{\"error\":\"x\"}".to_vec()),
        ),
        ("too large", JwksAnswer::Body(vec![b' '; 64 * 1024 + 1])),
    ];
    for (name, answer) in cases {
        let h = Harness::new(KeySources::JwksOnly);
        h.endpoint.answer_with(answer);
        let error = h.auth(&h.ec.token(&claims())).await.unwrap_err();
        assert_eq!(error, AuthError::KeysUnavailable, "{name}");
        assert!(error.is_unavailable(), "{name}");
        assert!(h.jwks.last_fetch_error().is_some(), "{name}");
    }
}

#[tokio::test]
async fn keys_unavailable_recovers_after_the_back_off() {
    let h = Harness::new(KeySources::JwksOnly);
    h.endpoint.answer_with(JwksAnswer::Status(503));
    assert_eq!(
        h.auth(&h.ec.token(&claims())).await,
        Err(AuthError::KeysUnavailable)
    );
    assert_eq!(h.jwks.last_fetch_error(), Some(JwksFetchError::Status(503)));

    h.publish(vec![h.ec.jwk()]);
    h.clock.advance_secs(1);
    assert_eq!(
        h.auth(&h.ec.token(&claims())).await,
        Err(AuthError::KeysUnavailable)
    );
    assert_eq!(h.endpoint.fetches(), 1, "no retry within the back-off");

    h.clock.advance_secs(4);
    h.auth(&h.ec.token(&claims())).await.unwrap();
    assert_eq!(h.endpoint.fetches(), 2);
}

#[tokio::test]
async fn an_empty_key_set_is_a_valid_answer() {
    // A legacy-only Supabase project publishes `{"keys": []}`.
    let h = Harness::new(KeySources::JwksOnly);
    h.publish(vec![]);
    assert_eq!(
        h.auth(&h.ec.token(&claims())).await,
        Err(AuthError::UnknownKey)
    );
    assert_eq!(h.jwks.last_fetch_error(), None);
}

// ------------------------------------------------------------ errors

#[tokio::test]
async fn errors_never_echo_the_token() {
    let h = Harness::new(KeySources::Both);
    let tokens = [
        hs256_token(&claims_with(json!({"exp": 1}))),
        with_flipped_signature_bit(&h.ec.token(&claims())),
        format!("{}.", hs256_token(&claims())),
        signed(
            &json!({"alg": "ES256", "kid": "nope"}),
            &claims(),
            |input| h.ec.sign(input),
        ),
    ];
    for token in tokens {
        let error = h.auth(&token).await.unwrap_err();
        let segments: Vec<&str> = token.split('.').filter(|s| s.len() > 8).collect();
        for text in [error.to_string(), format!("{error:?}")] {
            for segment in &segments {
                assert!(!text.contains(segment), "{text}");
            }
        }
    }
}

#[test]
fn reasons_are_distinct_stable_codes() {
    use tora_core::auth::VerifierError;
    let errors = [
        AuthError::Missing,
        AuthError::Malformed("x"),
        AuthError::UnsupportedAlgorithm,
        AuthError::KeyAlgorithmMismatch,
        AuthError::UnknownKey,
        AuthError::BadSignature,
        AuthError::Expired,
        AuthError::NotYetValid,
        AuthError::WrongIssuer,
        AuthError::WrongAudience,
        AuthError::WrongRole,
        AuthError::MissingSubject,
        AuthError::KeysUnavailable,
        AuthError::VerifierUnavailable(VerifierError("x".to_owned())),
    ];
    let reasons: std::collections::BTreeSet<&str> = errors.iter().map(AuthError::reason).collect();
    assert_eq!(reasons.len(), errors.len());
    assert!(
        reasons
            .iter()
            .all(|reason| reason.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
    );
    assert_eq!(AuthError::Expired.reason(), "token_expired");
    let unavailable: Vec<_> = errors.iter().filter(|e| e.is_unavailable()).collect();
    assert_eq!(unavailable.len(), 2);
}
