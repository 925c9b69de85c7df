//! `SignatureVerifier` on the runtime's WebCrypto (`crypto.subtle`): native-speed
//! verification and no cryptography compiled into the Wasm binary. Which key may
//! verify which algorithm is decided in the core; this file only translates.

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::{Array, JSON, Object, Reflect, Uint8Array};
use serde_json::{Value, json};
use tora_core::auth::{JwsAlgorithm, SignatureVerifier, VerifierError, VerifyingKey};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Crypto, CryptoKey, SubtleCrypto};

/// Verifies HS256, ES256 and RS256 signatures with `crypto.subtle.verify`.
pub struct WebCryptoVerifier;

thread_local! {
    /// Imported public keys, by algorithm and public JWK. Keyed by the key material
    /// rather than the `kid`, so a reused `kid` can never reach a stale key.
    static IMPORTED_KEYS: RefCell<HashMap<String, CryptoKey>> = RefCell::new(HashMap::new());
}

/// An issuer publishes a handful of keys; past this the cache is simply emptied.
const MAX_IMPORTED_KEYS: usize = 32;

/// HMAC-SHA256 tags are 32 bytes.
const HS256_TAG_LEN: usize = 32;

impl SignatureVerifier for WebCryptoVerifier {
    async fn verify(
        &self,
        alg: JwsAlgorithm,
        key: &VerifyingKey,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<bool, VerifierError> {
        if !plausible_signature_length(key, signature) {
            // Answered here because some engines throw, rather than return false,
            // for a signature of the wrong size; a garbage token is not an outage.
            return Ok(false);
        }
        let subtle = subtle()?;
        let crypto_key = crypto_key(&subtle, alg, key).await?;
        let params = js_object(&verify_params(alg))?;
        let promise = subtle
            .verify_with_object_and_u8_array_and_u8_array(
                &params,
                &crypto_key,
                signature,
                signing_input,
            )
            .map_err(|error| js_error("verify", &error))?;
        let verdict = JsFuture::from(promise)
            .await
            .map_err(|error| js_error("verify", &error))?;
        verdict
            .as_bool()
            .ok_or_else(|| VerifierError("verify did not resolve to a boolean".to_owned()))
    }
}

fn plausible_signature_length(key: &VerifyingKey, signature: &[u8]) -> bool {
    match key {
        VerifyingKey::Hmac(_) => signature.len() == HS256_TAG_LEN,
        // JOSE ES256 is raw r || s; the core rejects other lengths already.
        VerifyingKey::EcP256(_) => signature.len() == 64,
        // RSASSA signatures are exactly as long as the modulus (stored without
        // leading zeros, so its length is the key size in bytes).
        VerifyingKey::Rsa(public) => signature.len() == public.n().len(),
    }
}

/// `globalThis.crypto.subtle`. Read structurally rather than with an `instanceof`
/// check, which depends on how the runtime names its classes.
fn subtle() -> Result<SubtleCrypto, VerifierError> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))
        .map_err(|error| js_error("globalThis.crypto", &error))?;
    if !crypto.is_object() {
        return Err(VerifierError("globalThis.crypto is missing".to_owned()));
    }
    Ok(crypto.unchecked_into::<Crypto>().subtle())
}

async fn crypto_key(
    subtle: &SubtleCrypto,
    alg: JwsAlgorithm,
    key: &VerifyingKey,
) -> Result<CryptoKey, VerifierError> {
    let public_jwk = match key {
        // The secret is not cached: importing raw HMAC key bytes is cheap, and a
        // cache key made of the secret is one more copy of it to worry about.
        VerifyingKey::Hmac(secret) => return import_hmac(subtle, secret.expose()).await,
        VerifyingKey::EcP256(public) => public.to_jwk(),
        VerifyingKey::Rsa(public) => public.to_jwk(),
    };
    let cache_key = format!("{}:{public_jwk}", alg.name());
    if let Some(cached) = IMPORTED_KEYS.with(|keys| keys.borrow().get(&cache_key).cloned()) {
        return Ok(cached);
    }
    let imported = import(subtle, "jwk", &js_object(&public_jwk)?, &import_params(alg)).await?;
    IMPORTED_KEYS.with(|keys| {
        let mut keys = keys.borrow_mut();
        if keys.len() >= MAX_IMPORTED_KEYS {
            keys.clear();
        }
        keys.insert(cache_key, imported.clone());
    });
    Ok(imported)
}

async fn import_hmac(subtle: &SubtleCrypto, secret: &[u8]) -> Result<CryptoKey, VerifierError> {
    let raw = Uint8Array::from(secret);
    import(subtle, "raw", &raw, &import_params(JwsAlgorithm::Hs256)).await
}

async fn import(
    subtle: &SubtleCrypto,
    format: &str,
    key_data: &Object,
    params: &Value,
) -> Result<CryptoKey, VerifierError> {
    let usages = Array::of1(&JsValue::from_str("verify"));
    let promise = subtle
        .import_key_with_object(format, key_data, &js_object(params)?, false, &usages)
        .map_err(|error| js_error("importKey", &error))?;
    let key = JsFuture::from(promise)
        .await
        .map_err(|error| js_error("importKey", &error))?;
    if !key.is_object() {
        return Err(VerifierError("importKey did not return a key".to_owned()));
    }
    Ok(key.unchecked_into::<CryptoKey>())
}

fn import_params(alg: JwsAlgorithm) -> Value {
    match alg {
        JwsAlgorithm::Hs256 => json!({"name": "HMAC", "hash": "SHA-256"}),
        JwsAlgorithm::Es256 => json!({"name": "ECDSA", "namedCurve": "P-256"}),
        JwsAlgorithm::Rs256 => json!({"name": "RSASSA-PKCS1-v1_5", "hash": "SHA-256"}),
    }
}

fn verify_params(alg: JwsAlgorithm) -> Value {
    match alg {
        JwsAlgorithm::Hs256 => json!({"name": "HMAC"}),
        // WebCrypto's ECDSA takes the raw r || s form, which is exactly JOSE's.
        JwsAlgorithm::Es256 => json!({"name": "ECDSA", "hash": "SHA-256"}),
        JwsAlgorithm::Rs256 => json!({"name": "RSASSA-PKCS1-v1_5"}),
    }
}

/// A plain JS object with the same content as `value` (which must be an object).
fn js_object(value: &Value) -> Result<Object, VerifierError> {
    let parsed = JSON::parse(&value.to_string()).map_err(|error| js_error("JSON.parse", &error))?;
    parsed
        .dyn_into::<Object>()
        .map_err(|_| VerifierError("expected a JSON object".to_owned()))
}

/// What went wrong, from a thrown JS value. WebCrypto messages name the operation
/// and the problem, never the data.
fn js_error(operation: &str, error: &JsValue) -> VerifierError {
    let detail = error
        .dyn_ref::<js_sys::Error>()
        .map(|error| String::from(error.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "unknown error".to_owned());
    VerifierError(format!("crypto.subtle {operation} failed: {detail}"))
}
