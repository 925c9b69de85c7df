//! Bearer JWT verification for Supabase-style access tokens.
//!
//! The rules live here, pure; the cryptography is a port ([`SignatureVerifier`]):
//! the worker verifies with WebCrypto, native tests with RustCrypto. The order of
//! checks is the point of this module:
//!
//! 1. take the token apart strictly (three segments, unpadded base64url, JSON header);
//! 2. allow-list `alg` and pick a key that fits it: HS256 only with the configured
//!    secret, ES256/RS256 only with a JWKS key of the matching type, so public-key
//!    material is never used as an HMAC secret (algorithm confusion);
//! 3. verify the signature over `header.payload`;
//! 4. only then read the claims (`exp`, `nbf`, `iss`, `aud`, `role`, `sub`).
#![allow(async_fn_in_trait)]

mod config;
mod error;
mod jwk;
mod jwks_cache;
mod token;

use std::rc::Rc;

pub use config::{AuthConfig, AuthConfigError, HmacSecret};
pub use error::{AuthError, JwksFetchError, VerifierError};
pub use jwk::{EcP256PublicKey, JwksError, JwsAlgorithm, RsaPublicKey, VerifyingKey, parse_jwks};
pub use jwks_cache::JwksCache;
pub use token::{AuthenticatedSubject, MAX_SUBJECT_CHARS, MAX_TOKEN_BYTES};

use crate::ports::{Clock, Transport};
use token::{JoseHeader, UnverifiedJws, bearer_token, check_claims};

/// Checks a signature with the platform's cryptography.
pub trait SignatureVerifier {
    /// `Ok(true)` when `signature` is valid for `signing_input` under `key` and
    /// `alg`; `Ok(false)` for any signature that does not verify, including one of
    /// the wrong length or encoding. `Err` only when verification could not run
    /// (the platform failed, or it refused the key material).
    ///
    /// `authenticate` only ever passes a key that [`VerifyingKey::fits`] `alg`, and
    /// ES256 signatures are the 64-byte JOSE form `r || s`.
    async fn verify(
        &self,
        alg: JwsAlgorithm,
        key: &VerifyingKey,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<bool, VerifierError>;
}

/// Verifies the bearer token in `authorization` (the raw header value, if any).
///
/// `jwks` is only consulted, and the network only used, for ES256/RS256 tokens.
pub async fn authenticate(
    authorization: Option<&str>,
    config: &AuthConfig,
    jwks: &JwksCache,
    transport: &impl Transport,
    verifier: &impl SignatureVerifier,
    clock: &impl Clock,
) -> Result<AuthenticatedSubject, AuthError> {
    let token = bearer_token(authorization)?;
    let jws = UnverifiedJws::parse(token)?;
    let key = select_key(&jws.header, config, jwks, transport, clock).await?;

    let alg = jws.header.alg;
    if alg == JwsAlgorithm::Es256 && jws.signature.len() != 64 {
        // A DER-encoded or truncated signature; JOSE ES256 is always raw r || s.
        return Err(AuthError::BadSignature);
    }
    let valid = verifier
        .verify(alg, &key, jws.signing_input.as_bytes(), &jws.signature)
        .await
        .map_err(AuthError::VerifierUnavailable)?;
    if !valid {
        return Err(AuthError::BadSignature);
    }

    check_claims(&jws.payload, config, clock.now_secs())
}

/// Everything `authenticate` does with a token before and after the signature: the
/// header, the segments and their encoding, and the claims against `config` at
/// `now_secs`. For the fuzzer: no token may panic.
#[cfg(any(test, feature = "fuzzing"))]
pub fn decode_unverified(
    authorization: &str,
    config: &AuthConfig,
    now_secs: i64,
) -> Result<AuthenticatedSubject, AuthError> {
    let token = bearer_token(Some(authorization))?;
    let jws = UnverifiedJws::parse(token)?;
    check_claims(&jws.payload, config, now_secs)
}

async fn select_key(
    header: &JoseHeader,
    config: &AuthConfig,
    jwks: &JwksCache,
    transport: &impl Transport,
    clock: &impl Clock,
) -> Result<VerifyingKey, AuthError> {
    if header.alg == JwsAlgorithm::Hs256 {
        // The `kid` of an HS256 token is irrelevant: there is one secret, and it
        // only ever comes from configuration.
        return config
            .hs256_secret()
            .map(|secret| VerifyingKey::Hmac(secret.clone()))
            .ok_or(AuthError::UnsupportedAlgorithm);
    }
    let url = config.jwks_url().ok_or(AuthError::UnsupportedAlgorithm)?;

    let current = jwks
        .current_keys(url, config.jwks_ttl_secs(), transport, clock)
        .await?;
    match pick(&current.keys, header) {
        Pick::NotFound if !current.fetched => {
            // Possibly a key the issuer published after our last fetch.
            let refetched = jwks
                .refetch_for_unknown_kid(url, config.unknown_kid_refetch_secs(), transport, clock)
                .await
                .ok_or(AuthError::UnknownKey)?;
            pick(&refetched, header).into_result()
        }
        picked => picked.into_result(),
    }
}

enum Pick {
    Found(VerifyingKey),
    /// The `kid` exists but is a different kind of key than `alg` demands.
    Mismatch,
    /// No `kid`, and more than one key could have signed.
    Ambiguous,
    NotFound,
}

impl Pick {
    fn into_result(self) -> Result<VerifyingKey, AuthError> {
        match self {
            Self::Found(key) => Ok(key),
            Self::Mismatch => Err(AuthError::KeyAlgorithmMismatch),
            Self::Ambiguous | Self::NotFound => Err(AuthError::UnknownKey),
        }
    }
}

fn pick(keys: &Rc<[VerifyingKey]>, header: &JoseHeader) -> Pick {
    match &header.kid {
        Some(kid) => {
            let mut named = keys.iter().filter(|key| key.kid() == Some(kid.as_str()));
            match named.next() {
                None => Pick::NotFound,
                Some(key) if key.fits(header.alg) => Pick::Found(key.clone()),
                // A kid shared by keys of different types: take the one that fits.
                Some(_) => named
                    .find(|key| key.fits(header.alg))
                    .map_or(Pick::Mismatch, |key| Pick::Found(key.clone())),
            }
        }
        None => {
            let mut fitting = keys.iter().filter(|key| key.fits(header.alg));
            match (fitting.next(), fitting.next()) {
                (Some(key), None) => Pick::Found(key.clone()),
                (Some(_), Some(_)) => Pick::Ambiguous,
                (None, _) => Pick::NotFound,
            }
        }
    }
}
