//! Why a request could not be authenticated. These errors know nothing about HTTP;
//! `http/` decides the status (`is_unavailable` → 503, everything else → 401).
//!
//! No variant carries token text: a token is a credential, and errors end up in logs.

use super::jwk::JwksError;

/// Why a bearer token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    #[error("token algorithm is not accepted")]
    UnsupportedAlgorithm,
    /// The header's `alg` does not match the kind of key its `kid` names: the
    /// algorithm-confusion shape (for example RS256 against an EC key).
    #[error("token algorithm does not match its key")]
    KeyAlgorithmMismatch,
    #[error("token was signed by an unknown key")]
    UnknownKey,
    #[error("token signature is invalid")]
    BadSignature,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet")]
    NotYetValid,
    #[error("token was issued by someone else")]
    WrongIssuer,
    #[error("token is meant for another audience")]
    WrongAudience,
    /// A Supabase `service_role`/`anon` token: valid, but not a user session.
    #[error("token role is not a user role")]
    WrongRole,
    /// `sub` is missing, not a string, empty, longer than 255 characters or
    /// contains control characters.
    #[error("token has no usable subject")]
    MissingSubject,
    /// The issuer's public keys could not be fetched and none are cached. The
    /// cause is in [`JwksCache::last_fetch_error`](super::JwksCache::last_fetch_error).
    #[error("signing keys are unavailable")]
    KeysUnavailable,
    /// The platform's crypto failed (or refused the issuer's key material).
    #[error("signature verification is unavailable: {0}")]
    VerifierUnavailable(VerifierError),
}

impl AuthError {
    /// A short, stable code for the problem+json body and for logs.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Missing => "missing_token",
            Self::Malformed(_) => "malformed_token",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::KeyAlgorithmMismatch => "key_algorithm_mismatch",
            Self::UnknownKey => "unknown_key",
            Self::BadSignature => "bad_signature",
            Self::Expired => "token_expired",
            Self::NotYetValid => "token_not_yet_valid",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::WrongRole => "wrong_role",
            Self::MissingSubject => "missing_subject",
            Self::KeysUnavailable => "keys_unavailable",
            Self::VerifierUnavailable(_) => "verifier_unavailable",
        }
    }

    /// `true` when the failure is ours (the issuer or the platform), not the
    /// client's: the caller should answer 503, not 401, so clients retry instead of
    /// signing the user out.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::KeysUnavailable | Self::VerifierUnavailable(_))
    }
}

/// Why the JWKS could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwksFetchError {
    #[error("request failed: {0}")]
    Transport(String),
    #[error("issuer answered HTTP {0}")]
    Status(u16),
    #[error("response is larger than {max} bytes")]
    TooLarge { max: usize },
    #[error(transparent)]
    Document(#[from] JwksError),
}

/// A `SignatureVerifier` could not run. A signature that simply does not verify is
/// `Ok(false)`, never this.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct VerifierError(pub String);
