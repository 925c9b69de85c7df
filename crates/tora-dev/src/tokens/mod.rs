//! Dev and test tokens: `tora-dev dev-token` (HS256 with the legacy secret),
//! `tora-dev jwks-serve` (a local issuer publishing ES256/RS256 keys), and the
//! minting API the end-to-end tests use.
//!
//! Everything here is native tooling and uses the system clock; the verification
//! rules themselves live in `tora_core::auth` and are reused, not repeated.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use tora_dev::tokens::{JwsAlgorithm, SigningKey, TokenSpec, mint_hs256};
//! let spec = TokenSpec::new("http://127.0.0.1:4455", "authenticated", "user-1", 3600);
//! let legacy = mint_hs256(b"local-dev-secret", &spec)?;
//! let key = SigningKey::generate(JwsAlgorithm::Es256)?;
//! let modern = key.mint(&spec)?;
//! // A key the running issuer publishes from now on (rotation):
//! let rotated = tora_dev::tokens::rotate_key("http://127.0.0.1:4455", JwsAlgorithm::Rs256).await?;
//! # Ok(()) }
//! ```

mod jwks_server;
mod keys;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tora_core::ports::Clock;

pub use jwks_server::{rotate_key, serve_jwks, serve_jwks_on};
pub use keys::{SigningKey, ensure_key_file, load_keys, public_jwks, save_keys};
pub use tora_core::auth::JwsAlgorithm;

/// The claims of a user session token, Supabase style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSpec {
    pub issuer: String,
    pub audience: String,
    pub subject: String,
    /// Lifetime from now; negative values mint already-expired tokens.
    pub ttl_secs: i64,
    pub email: Option<String>,
    /// `authenticated` for users; `service_role`/`anon` mimic Supabase's API keys.
    pub role: String,
}

impl TokenSpec {
    pub fn new(issuer: &str, audience: &str, subject: &str, ttl_secs: i64) -> Self {
        Self {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            subject: subject.to_owned(),
            ttl_secs,
            email: None,
            role: "authenticated".to_owned(),
        }
    }

    pub fn with_email(mut self, email: &str) -> Self {
        self.email = Some(email.to_owned());
        self
    }

    pub fn with_role(mut self, role: &str) -> Self {
        self.role = role.to_owned();
        self
    }

    /// The claims as issued at `now_secs` (Unix seconds).
    pub fn claims_at(&self, now_secs: i64) -> Value {
        let mut claims = json!({
            "iss": self.issuer,
            "aud": self.audience,
            "sub": self.subject,
            "iat": now_secs,
            "exp": now_secs + self.ttl_secs,
            "role": self.role,
            "aal": "aal1",
            "is_anonymous": false,
        });
        if let (Some(email), Some(claims)) = (&self.email, claims.as_object_mut()) {
            claims.insert("email".to_owned(), json!(email));
        }
        claims
    }

    /// The claims as issued now.
    pub fn claims(&self) -> Value {
        self.claims_at(now_secs())
    }
}

/// The system clock, the one place tooling reads the time. Native only: the worker
/// reads `Date.now()`, and the core gets time through the `Clock` port.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[expect(
        clippy::disallowed_methods,
        reason = "the clock ban is for the wasm worker; this is native tooling"
    )]
    fn now_millis(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| {
                i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
            })
    }
}

/// Unix seconds from the system clock.
pub fn now_secs() -> i64 {
    SystemClock.now_secs()
}

/// An HS256 token signed with the legacy secret (its raw bytes, as Supabase does).
pub fn mint_hs256(secret: &[u8], spec: &TokenSpec) -> anyhow::Result<String> {
    mint_hs256_with_claims(
        secret,
        &json!({"alg": "HS256", "typ": "JWT"}),
        &spec.claims(),
    )
}

/// Signs `header.claims` with HMAC-SHA256 whatever the header says: the escape hatch
/// for crafting tokens a correct issuer would never produce.
pub fn mint_hs256_with_claims(
    secret: &[u8],
    header: &Value,
    claims: &Value,
) -> anyhow::Result<String> {
    let signing_input = signing_input(header, claims)?;
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(secret)
        .map_err(|error| anyhow::anyhow!("unusable HMAC key: {error}"))?;
    mac.update(signing_input.as_bytes());
    let tag = mac.finalize().into_bytes();
    Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(tag)))
}

/// A compact JWS with the given signature bytes, signed by nobody: for `alg: none`
/// and garbage-signature tokens.
pub fn encode_unsigned(header: &Value, claims: &Value, signature: &[u8]) -> anyhow::Result<String> {
    Ok(format!(
        "{}.{}",
        signing_input(header, claims)?,
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

/// `b64url(header).b64url(claims)`, the bytes a JWS signature covers.
pub fn signing_input(header: &Value, claims: &Value) -> anyhow::Result<String> {
    Ok(format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(header)?),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims)?)
    ))
}

#[cfg(test)]
mod tests;
