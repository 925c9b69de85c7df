//! Doubles for the auth tests: an issuer that signs with real keys, a JWKS endpoint
//! that counts fetches and can fail, a settable clock, and verifiers that count or fail
//! around the shared RustCrypto one.

use std::cell::{Cell, RefCell};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use p256::ecdsa::signature::Signer;
use p256::elliptic_curve::Generate;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use sha2::Sha256;
use tora_core::auth::{
    AuthConfig, AuthError, AuthenticatedSubject, HmacSecret, JwksCache, JwsAlgorithm,
    SignatureVerifier, VerifierError, VerifyingKey, authenticate,
};
use tora_core::ports::{Clock, Transport, TransportError};
pub use tora_test_support::RustCryptoVerifier;

pub const ISSUER: &str = "https://abcdefgh.supabase.co/auth/v1";
pub const AUDIENCE: &str = "authenticated";
pub const JWKS_URL: &str = "https://abcdefgh.supabase.co/auth/v1/.well-known/jwks.json";
pub const SECRET: &str = "super-secret-jwt-token-with-at-least-32-characters-long";
pub const SUBJECT: &str = "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f";
/// 2025-10-09T08:53:20Z; any fixed instant works.
pub const NOW: i64 = 1_760_000_000;

const RSA_TEST_KEY: &str = include_str!("../fixtures/rsa2048-test-key.pem");

// ---------------------------------------------------------------- signing

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn json_b64(value: &Value) -> String {
    b64(serde_json::to_vec(value).unwrap())
}

pub fn hmac_sha256(key: &[u8], input: &[u8]) -> Vec<u8> {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(input);
    mac.finalize().into_bytes().to_vec()
}

/// Signs `header.claims` with `sign`, over exactly the encoded segments.
pub fn signed(header: &Value, claims: &Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    signed_raw(&json_b64(header), &json_b64(claims), sign)
}

pub fn signed_raw(header: &str, payload: &str, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let signing_input = format!("{header}.{payload}");
    let signature = sign(signing_input.as_bytes());
    format!("{signing_input}.{}", b64(signature))
}

pub struct EcKey {
    pub kid: String,
    pub key: p256::ecdsa::SigningKey,
}

impl EcKey {
    pub fn generate(kid: &str) -> Self {
        Self {
            kid: kid.to_owned(),
            key: p256::ecdsa::SigningKey::generate(),
        }
    }

    pub fn sign(&self, input: &[u8]) -> Vec<u8> {
        let signature: p256::ecdsa::Signature = self.key.sign(input);
        signature.to_bytes().to_vec()
    }

    pub fn jwk(&self) -> Value {
        let point = self.key.verifying_key().to_sec1_point(false);
        let bytes = point.as_bytes();
        json!({
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig",
            "key_ops": ["verify"], "ext": true, "kid": self.kid,
            "x": b64(&bytes[1..33]), "y": b64(&bytes[33..65]),
        })
    }

    pub fn token(&self, claims: &Value) -> String {
        signed(
            &json!({"alg": "ES256", "typ": "JWT", "kid": self.kid}),
            claims,
            |input| self.sign(input),
        )
    }
}

pub struct RsaKey {
    pub kid: String,
    pub key: rsa::PrivateKey,
}

impl RsaKey {
    /// A fixed key: generating 2048-bit RSA in a debug build takes far too long.
    pub fn fixture(kid: &str) -> Self {
        Self {
            kid: kid.to_owned(),
            key: rsa::PrivateKey::from_pkcs8_pem(RSA_TEST_KEY).unwrap(),
        }
    }

    pub fn sign(&self, input: &[u8]) -> Vec<u8> {
        self.key.pkcs1v15_sign::<Sha256>(input).unwrap()
    }

    pub fn jwk(&self) -> Value {
        let public = self.key.to_public_key();
        json!({
            "kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid,
            "n": b64(public.n_bytes()), "e": b64(public.e_bytes()),
        })
    }

    /// The public key as PEM: what an attacker would use as an HMAC secret.
    pub fn public_pem(&self) -> String {
        self.key
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap()
    }

    pub fn token(&self, claims: &Value) -> String {
        signed(
            &json!({"alg": "RS256", "typ": "JWT", "kid": self.kid}),
            claims,
            |input| self.sign(input),
        )
    }
}

pub fn hs256_token(claims: &Value) -> String {
    signed(&json!({"alg": "HS256", "typ": "JWT"}), claims, |input| {
        hmac_sha256(SECRET.as_bytes(), input)
    })
}

/// The claims of a Supabase user session at `NOW`.
pub fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": SUBJECT,
        "exp": NOW + 3600,
        "iat": NOW,
        "role": "authenticated",
        "aal": "aal1",
        "email": "ada@example.com",
        "session_id": "0b7c6e9e-0000-4000-8000-000000000001",
        "is_anonymous": false,
    })
}

/// `claims()` with `changes` merged in; a `null` removes the claim.
pub fn claims_with(changes: Value) -> Value {
    let mut claims = claims();
    let (Some(map), Value::Object(changes)) = (claims.as_object_mut(), changes) else {
        unreachable!("claims are objects");
    };
    for (name, value) in changes {
        if value.is_null() {
            map.remove(&name);
        } else {
            map.insert(name, value);
        }
    }
    claims
}

// ---------------------------------------------------------------- doubles

pub struct FakeClock {
    millis: Cell<i64>,
}

impl FakeClock {
    pub fn at(secs: i64) -> Self {
        Self {
            millis: Cell::new(secs * 1000),
        }
    }

    pub fn advance_secs(&self, secs: i64) {
        self.millis.set(self.millis.get() + secs * 1000);
    }
}

impl Clock for FakeClock {
    fn now_millis(&self) -> i64 {
        self.millis.get()
    }
}

/// Waiting moves the fake time on at once.
impl tora_core::ports::Sleep for FakeClock {
    async fn sleep(&self, millis: u32) {
        self.millis.set(self.millis.get() + i64::from(millis));
    }
}

/// What the fake JWKS endpoint answers.
#[derive(Clone)]
pub enum JwksAnswer {
    Keys(Vec<Value>),
    Status(u16),
    Body(Vec<u8>),
    Unreachable,
}

/// A JWKS endpoint that counts every request it sees.
pub struct FakeJwksEndpoint {
    answer: RefCell<JwksAnswer>,
    fetches: Cell<usize>,
    last_request: RefCell<Option<(http::Method, String, Option<String>)>>,
}

impl FakeJwksEndpoint {
    pub fn serving(keys: Vec<Value>) -> Self {
        Self {
            answer: RefCell::new(JwksAnswer::Keys(keys)),
            fetches: Cell::new(0),
            last_request: RefCell::new(None),
        }
    }

    pub fn answer_with(&self, answer: JwksAnswer) {
        *self.answer.borrow_mut() = answer;
    }

    pub fn fetches(&self) -> usize {
        self.fetches.get()
    }

    /// Method, URL and `accept` header of the most recent request.
    pub fn last_request(&self) -> Option<(http::Method, String, Option<String>)> {
        self.last_request.borrow().clone()
    }
}

impl Transport for FakeJwksEndpoint {
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        self.fetches.set(self.fetches.get() + 1);
        *self.last_request.borrow_mut() = Some((
            request.method().clone(),
            request.uri().to_string(),
            request
                .headers()
                .get(http::header::ACCEPT)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
        ));
        let answer = self.answer.borrow().clone();
        let (status, body) = match answer {
            JwksAnswer::Keys(keys) => (200, serde_json::to_vec(&json!({ "keys": keys })).unwrap()),
            JwksAnswer::Status(status) => (status, b"{\"message\":\"unavailable\"}".to_vec()),
            JwksAnswer::Body(body) => (200, body),
            JwksAnswer::Unreachable => {
                return Err(TransportError::Unreachable {
                    host: "abcdefgh.supabase.co".to_owned(),
                    reason: "connection refused".to_owned(),
                });
            }
        };
        Ok(http::Response::builder().status(status).body(body).unwrap())
    }
}

/// Counts verifications, to prove which checks ran.
pub struct CountingVerifier {
    pub calls: Cell<usize>,
}

impl SignatureVerifier for CountingVerifier {
    async fn verify(
        &self,
        alg: JwsAlgorithm,
        key: &VerifyingKey,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<bool, VerifierError> {
        self.calls.set(self.calls.get() + 1);
        RustCryptoVerifier
            .verify(alg, key, signing_input, signature)
            .await
    }
}

/// A platform whose crypto is broken.
pub struct FailingVerifier;

impl SignatureVerifier for FailingVerifier {
    async fn verify(
        &self,
        _: JwsAlgorithm,
        _: &VerifyingKey,
        _: &[u8],
        _: &[u8],
    ) -> Result<bool, VerifierError> {
        Err(VerifierError("crypto.subtle is not available".to_owned()))
    }
}

// ---------------------------------------------------------------- harness

pub enum KeySources {
    SecretOnly,
    JwksOnly,
    Both,
}

/// One isolate's worth of auth state plus the issuer it trusts.
pub struct Harness {
    pub config: AuthConfig,
    pub jwks: JwksCache,
    pub endpoint: FakeJwksEndpoint,
    pub clock: FakeClock,
    pub ec: EcKey,
    pub rsa: RsaKey,
}

impl Harness {
    pub fn new(sources: KeySources) -> Self {
        let (secret, url) = match sources {
            KeySources::SecretOnly => (Some(HmacSecret::new(SECRET)), None),
            KeySources::JwksOnly => (None, Some(JWKS_URL.to_owned())),
            KeySources::Both => (Some(HmacSecret::new(SECRET)), Some(JWKS_URL.to_owned())),
        };
        let config = AuthConfig::new(secret, url, ISSUER.to_owned(), AUDIENCE.to_owned()).unwrap();
        let ec = EcKey::generate("ec-2025-10");
        let rsa = RsaKey::fixture("rsa-2025-10");
        let endpoint = FakeJwksEndpoint::serving(vec![ec.jwk(), rsa.jwk()]);
        Self {
            config,
            jwks: JwksCache::new(),
            endpoint,
            clock: FakeClock::at(NOW),
            ec,
            rsa,
        }
    }

    pub fn publish(&self, keys: Vec<Value>) {
        self.endpoint.answer_with(JwksAnswer::Keys(keys));
    }

    pub async fn auth(&self, token: &str) -> Result<AuthenticatedSubject, AuthError> {
        self.auth_with(token, &RustCryptoVerifier).await
    }

    pub async fn auth_with(
        &self,
        token: &str,
        verifier: &impl SignatureVerifier,
    ) -> Result<AuthenticatedSubject, AuthError> {
        let header = format!("Bearer {token}");
        authenticate(
            Some(&header),
            &self.config,
            &self.jwks,
            &self.endpoint,
            verifier,
            &self.clock,
        )
        .await
    }
}
