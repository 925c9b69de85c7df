//! The compact JWS: pulling it out of the `Authorization` header, taking it apart
//! strictly, and checking its claims once the signature holds.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::config::AuthConfig;
use super::error::AuthError;
use super::jwk::JwsAlgorithm;
use crate::domain::account::Email;

/// Tokens longer than this are refused before any decoding. Supabase access tokens
/// are well under 2 KiB even with metadata.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The longest `sub` we store as a user id.
pub const MAX_SUBJECT_CHARS: usize = 255;

/// The token from `Bearer <token>`; the scheme is case-insensitive (RFC 7235).
pub(crate) fn bearer_token(authorization: Option<&str>) -> Result<&str, AuthError> {
    let value = authorization.map(str::trim).unwrap_or_default();
    if value.is_empty() {
        return Err(AuthError::Missing);
    }
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::Malformed("expected a Bearer token"));
    }
    // `Bearer` with nothing after it is what a client without a session sends.
    let token = token.trim_start_matches(' ');
    if token.is_empty() {
        return Err(AuthError::Missing);
    }
    Ok(token)
}

/// What the header says about how to verify the token.
#[derive(Debug)]
pub(crate) struct JoseHeader {
    pub alg: JwsAlgorithm,
    pub kid: Option<String>,
}

/// A token taken apart but not yet trusted.
#[derive(Debug)]
pub(crate) struct UnverifiedJws<'a> {
    pub header: JoseHeader,
    /// `b64url(header).b64url(payload)`, exactly the bytes that were signed.
    pub signing_input: &'a str,
    pub payload: Vec<u8>,
    pub signature: Vec<u8>,
}

impl<'a> UnverifiedJws<'a> {
    pub fn parse(token: &'a str) -> Result<Self, AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::Malformed("token is too long"));
        }
        let mut segments = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) = (
            segments.next(),
            segments.next(),
            segments.next(),
            segments.next(),
        ) else {
            return Err(AuthError::Malformed(
                "expected three dot-separated segments",
            ));
        };
        let signing_input = &token[..header.len() + 1 + payload.len()];
        let header = parse_header(&decode_segment(header, "header is not base64url")?)?;
        let payload = decode_segment(payload, "payload is not base64url")?;
        let signature = decode_segment(signature, "signature is not base64url")?;
        Ok(Self {
            header,
            signing_input,
            payload,
            signature,
        })
    }
}

/// Strict: the URL-safe alphabet, no padding, no non-zero trailing bits.
fn decode_segment(segment: &str, error: &'static str) -> Result<Vec<u8>, AuthError> {
    if segment.is_empty() {
        return Err(AuthError::Malformed(error));
    }
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| AuthError::Malformed(error))
}

fn parse_header(bytes: &[u8]) -> Result<JoseHeader, AuthError> {
    let header: Map<String, Value> = serde_json::from_slice(bytes)
        .map_err(|_| AuthError::Malformed("header is not a JSON object"))?;
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(AuthError::Malformed("header has no alg"))?;
    let alg = JwsAlgorithm::from_name(alg).ok_or(AuthError::UnsupportedAlgorithm)?;
    // `crit` lists extensions the verifier must understand; we understand none,
    // so RFC 7515 §4.1.11 requires rejecting the token.
    if header.contains_key("crit") {
        return Err(AuthError::Malformed(
            "crit header extensions are not supported",
        ));
    }
    // `jwk`, `jku`, `x5u` and `x5c` are deliberately ignored: keys come from our
    // configuration only, never from the token that is being checked.
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err(AuthError::Malformed("kid is not a string")),
    };
    Ok(JoseHeader { alg, kid })
}

/// Who a verified token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedSubject {
    /// `sub`: the user id (a UUID for Supabase).
    pub subject: String,
    /// `email`, when it is a clean line of text (see `check_claims`).
    pub email: Option<Email>,
    /// `exp`, in Unix seconds.
    pub expires_at: i64,
}

/// Checks the claims of a token whose signature has already been verified.
pub(crate) fn check_claims(
    payload: &[u8],
    config: &AuthConfig,
    now_secs: i64,
) -> Result<AuthenticatedSubject, AuthError> {
    let claims: Map<String, Value> = serde_json::from_slice(payload)
        .map_err(|_| AuthError::Malformed("payload is not a JSON object"))?;
    let leeway = i64::from(config.leeway_secs());

    let expires_at = numeric_date(claims.get("exp"), "exp is not a number")?
        .ok_or(AuthError::Malformed("exp is missing"))?;
    if expires_at <= (now_secs - leeway) as f64 {
        return Err(AuthError::Expired);
    }
    if let Some(not_before) = numeric_date(claims.get("nbf"), "nbf is not a number")?
        && not_before > (now_secs + leeway) as f64
    {
        return Err(AuthError::NotYetValid);
    }
    if claims.get("iss").and_then(Value::as_str) != Some(config.issuer()) {
        return Err(AuthError::WrongIssuer);
    }
    if !audience_includes(claims.get("aud"), config.audience()) {
        return Err(AuthError::WrongAudience);
    }
    // Supabase's service_role and anon keys are valid tokens of the same issuer;
    // they must not pass as a user session.
    if let Some(role) = claims.get("role")
        && role != "authenticated"
    {
        return Err(AuthError::WrongRole);
    }
    let subject = claims
        .get("sub")
        .and_then(Value::as_str)
        .filter(|sub| is_usable_subject(sub))
        .ok_or(AuthError::MissingSubject)?;
    // The email is optional profile data, not identity: one that breaks the text
    // rule (a NUL cannot even be stored) is dropped rather than locking the person
    // out, and so is an empty one (phone sign-in).
    let email = claims
        .get("email")
        .and_then(Value::as_str)
        .and_then(|email| Email::parse(email).ok());

    Ok(AuthenticatedSubject {
        subject: subject.to_owned(),
        email,
        // Float-to-int `as` saturates, and a NumericDate may carry a fraction.
        expires_at: expires_at.floor() as i64,
    })
}

/// RFC 7519 NumericDate: a JSON number of seconds, possibly fractional.
fn numeric_date(
    claim: Option<&Value>,
    not_a_number: &'static str,
) -> Result<Option<f64>, AuthError> {
    claim
        .map(|value| value.as_f64().ok_or(AuthError::Malformed(not_a_number)))
        .transpose()
}

fn audience_includes(aud: Option<&Value>, audience: &str) -> bool {
    match aud {
        Some(Value::String(aud)) => aud == audience,
        Some(Value::Array(auds)) => auds.iter().any(|aud| aud == audience),
        _ => false,
    }
}

fn is_usable_subject(sub: &str) -> bool {
    !sub.is_empty()
        && sub.chars().count() <= MAX_SUBJECT_CHARS
        && !sub.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        for header in [
            "Bearer a.b.c",
            "bearer a.b.c",
            "BEARER a.b.c",
            "Bearer   a.b.c",
            " Bearer a.b.c ",
        ] {
            assert_eq!(bearer_token(Some(header)), Ok("a.b.c"), "{header}");
        }
    }

    #[test]
    fn missing_or_foreign_credentials_are_rejected() {
        assert_eq!(bearer_token(None), Err(AuthError::Missing));
        assert_eq!(bearer_token(Some("")), Err(AuthError::Missing));
        assert_eq!(bearer_token(Some("Bearer ")), Err(AuthError::Missing));
        assert_eq!(bearer_token(Some("Bearer")), Err(AuthError::Missing));
        for header in [
            "Basic dXNlcjpwYXNz",
            "a.b.c",
            "Bearerx a.b.c",
            "Token a.b.c",
        ] {
            assert!(
                matches!(bearer_token(Some(header)), Err(AuthError::Malformed(_))),
                "{header}"
            );
        }
    }

    #[test]
    fn signing_input_is_the_first_two_segments() {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","kid":"k"}"#);
        let token = format!("{header}.e30.AAAA");
        let jws = UnverifiedJws::parse(&token).unwrap();
        assert_eq!(jws.signing_input, format!("{header}.e30"));
        assert_eq!(jws.header.alg, JwsAlgorithm::Hs256);
        assert_eq!(jws.header.kid.as_deref(), Some("k"));
        assert_eq!(jws.payload, b"{}");
        assert_eq!(jws.signature, vec![0, 0, 0]);
    }

    #[test]
    fn header_rules() {
        let cases: [(&str, AuthError); 7] = [
            (r#"{"alg":"none"}"#, AuthError::UnsupportedAlgorithm),
            (r#"{"alg":"HS512"}"#, AuthError::UnsupportedAlgorithm),
            (
                r#"{"typ":"JWT"}"#,
                AuthError::Malformed("header has no alg"),
            ),
            (r#"{"alg":256}"#, AuthError::Malformed("header has no alg")),
            (
                r#"["HS256"]"#,
                AuthError::Malformed("header is not a JSON object"),
            ),
            (
                r#"{"alg":"HS256","crit":["b64"],"b64":false}"#,
                AuthError::Malformed("crit header extensions are not supported"),
            ),
            (
                r#"{"alg":"ES256","kid":1}"#,
                AuthError::Malformed("kid is not a string"),
            ),
        ];
        for (header, expected) in cases {
            let token = format!("{}.e30.AAAA", URL_SAFE_NO_PAD.encode(header));
            assert_eq!(
                UnverifiedJws::parse(&token).unwrap_err(),
                expected,
                "{header}"
            );
        }
    }
}
