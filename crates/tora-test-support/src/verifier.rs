//! The core's `SignatureVerifier` over RustCrypto, so tests and tooling run
//! `tora_core::auth::authenticate` natively exactly as the worker does with WebCrypto.

use hmac::{KeyInit, Mac};
use p256::ecdsa::signature::Verifier as _;
use sha2::Sha256;
use tora_core::auth::{JwsAlgorithm, SignatureVerifier, VerifierError, VerifyingKey};

/// Verifies HS256, ES256 and RS256 signatures natively.
#[derive(Debug, Clone, Copy, Default)]
pub struct RustCryptoVerifier;

impl SignatureVerifier for RustCryptoVerifier {
    async fn verify(
        &self,
        alg: JwsAlgorithm,
        key: &VerifyingKey,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<bool, VerifierError> {
        let refused = |error: &dyn std::fmt::Display| VerifierError(error.to_string());
        match (alg, key) {
            (JwsAlgorithm::Hs256, VerifyingKey::Hmac(secret)) => {
                let mut mac = hmac::Hmac::<Sha256>::new_from_slice(secret.expose())
                    .map_err(|error| refused(&error))?;
                mac.update(signing_input);
                Ok(mac.verify_slice(signature).is_ok())
            }
            (JwsAlgorithm::Es256, VerifyingKey::EcP256(public)) => {
                let key =
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(&public.to_sec1_uncompressed())
                        .map_err(|error| refused(&error))?;
                let Ok(signature) = p256::ecdsa::Signature::from_slice(signature) else {
                    return Ok(false);
                };
                Ok(key.verify(signing_input, &signature).is_ok())
            }
            (JwsAlgorithm::Rs256, VerifyingKey::Rsa(public)) => {
                let key = rsa::PublicKey::new(
                    rsa::BoxedUint::from_be_slice_vartime(public.n()),
                    rsa::BoxedUint::from_be_slice_vartime(public.e()),
                )
                .map_err(|error| refused(&error))?;
                Ok(key
                    .pkcs1v15_verify::<Sha256>(signing_input, signature)
                    .is_ok())
            }
            _ => Err(VerifierError(format!(
                "{} cannot be verified with this kind of key",
                alg.name()
            ))),
        }
    }
}
