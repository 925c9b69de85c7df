//! Signature algorithms, verification keys, and reading them from a JWKS document.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::config::HmacSecret;

/// The only algorithms a token may name. `none`, the PS/HS384/… family and
/// anything unknown are rejected before any key is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JwsAlgorithm {
    Hs256,
    Es256,
    Rs256,
}

impl JwsAlgorithm {
    /// Exact, case-sensitive match on the JOSE name (RFC 7518 names are case-sensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "HS256" => Some(Self::Hs256),
            "ES256" => Some(Self::Es256),
            "RS256" => Some(Self::Rs256),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Hs256 => "HS256",
            Self::Es256 => "ES256",
            Self::Rs256 => "RS256",
        }
    }
}

/// Key material a signature is checked against. The symmetric variant only ever
/// comes from configuration; a JWKS only yields the public-key variants.
#[derive(Debug, Clone)]
pub enum VerifyingKey {
    Hmac(HmacSecret),
    EcP256(EcP256PublicKey),
    Rsa(RsaPublicKey),
}

impl VerifyingKey {
    /// `true` when `alg` is the one algorithm this key may verify. Tying each key
    /// kind to a single algorithm is what rules out algorithm confusion.
    pub fn fits(&self, alg: JwsAlgorithm) -> bool {
        matches!(
            (self, alg),
            (Self::Hmac(_), JwsAlgorithm::Hs256)
                | (Self::EcP256(_), JwsAlgorithm::Es256)
                | (Self::Rsa(_), JwsAlgorithm::Rs256)
        )
    }

    pub fn kid(&self) -> Option<&str> {
        match self {
            Self::Hmac(_) => None,
            Self::EcP256(key) => key.kid(),
            Self::Rsa(key) => key.kid(),
        }
    }
}

/// A P-256 public key as published in a JWK (`x`, `y`: 32-byte big-endian coordinates).
/// Whether the point is on the curve is left to the verifier's key import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcP256PublicKey {
    kid: Option<String>,
    x: [u8; 32],
    y: [u8; 32],
}

impl EcP256PublicKey {
    pub fn new(kid: Option<String>, x: [u8; 32], y: [u8; 32]) -> Self {
        Self { kid, x, y }
    }

    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    pub fn x(&self) -> &[u8; 32] {
        &self.x
    }

    pub fn y(&self) -> &[u8; 32] {
        &self.y
    }

    /// SEC1 uncompressed form `04 || x || y`, what most native libraries import.
    pub fn to_sec1_uncompressed(&self) -> [u8; 65] {
        let mut point = [0x04; 65];
        point[1..33].copy_from_slice(&self.x);
        point[33..].copy_from_slice(&self.y);
        point
    }

    /// The public JWK (without `kid`), what WebCrypto's `importKey("jwk", …)` takes.
    pub fn to_jwk(&self) -> Value {
        json!({
            "kty": "EC",
            "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(self.x),
            "y": URL_SAFE_NO_PAD.encode(self.y),
        })
    }
}

/// An RSA public key (big-endian `n` without leading zeros, and `e`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    kid: Option<String>,
    n: Vec<u8>,
    e: Vec<u8>,
}

impl RsaPublicKey {
    /// Keys shorter than this are refused: Supabase issues 2048-bit keys and
    /// anything weaker is not worth trusting.
    pub const MIN_MODULUS_BITS: usize = 2048;
    pub const MAX_MODULUS_BITS: usize = 8192;

    /// `None` when the modulus is outside 2048–8192 bits or the exponent is not a
    /// plausible odd public exponent.
    pub fn new(kid: Option<String>, n: &[u8], e: &[u8]) -> Option<Self> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        let modulus_bits = n.first().map_or(0, |top| {
            (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize)
        });
        let exponent_is_plausible =
            !e.is_empty() && e.len() <= 8 && e.last().is_some_and(|low| low & 1 == 1) && e != [1];
        if !(Self::MIN_MODULUS_BITS..=Self::MAX_MODULUS_BITS).contains(&modulus_bits)
            || !exponent_is_plausible
        {
            return None;
        }
        Some(Self {
            kid,
            n: n.to_vec(),
            e: e.to_vec(),
        })
    }

    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    pub fn n(&self) -> &[u8] {
        &self.n
    }

    pub fn e(&self) -> &[u8] {
        &self.e
    }

    /// The public JWK (without `kid`), what WebCrypto's `importKey("jwk", …)` takes.
    pub fn to_jwk(&self) -> Value {
        json!({
            "kty": "RSA",
            "n": URL_SAFE_NO_PAD.encode(&self.n),
            "e": URL_SAFE_NO_PAD.encode(&self.e),
        })
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first_nonzero = bytes
        .iter()
        .position(|byte| *byte != 0)
        .unwrap_or(bytes.len());
    &bytes[first_nonzero..]
}

/// Why a JWKS document was unusable as a whole. Individual unusable keys are
/// skipped, not errors: issuers publish key types we do not support.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwksError {
    #[error("JWKS is not valid JSON")]
    NotJson,
    #[error("JWKS has no \"keys\" array")]
    NoKeysArray,
}

/// Reads the signature keys out of a `{"keys": [...]}` document.
///
/// Kept: EC P-256 and RSA keys whose `use` is `sig` or absent, whose `key_ops`
/// (if any) include `verify`, and whose `alg` (if any) is ES256 resp. RS256.
/// Skipped: everything else, in particular `kty: "oct"`: a symmetric key that
/// arrives over the network is never a verification key.
pub fn parse_jwks(document: &[u8]) -> Result<Vec<VerifyingKey>, JwksError> {
    let document: Value = serde_json::from_slice(document).map_err(|_| JwksError::NotJson)?;
    let keys = document
        .get("keys")
        .and_then(Value::as_array)
        .ok_or(JwksError::NoKeysArray)?;
    Ok(keys
        .iter()
        .filter_map(Value::as_object)
        .filter_map(parse_jwk)
        .collect())
}

fn parse_jwk(jwk: &Map<String, Value>) -> Option<VerifyingKey> {
    if let Some(key_use) = jwk.get("use")
        && key_use != "sig"
    {
        return None;
    }
    if let Some(key_ops) = jwk.get("key_ops")
        && !key_ops
            .as_array()
            .is_some_and(|ops| ops.iter().any(|op| op == "verify"))
    {
        return None;
    }
    let kid = match jwk.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return None,
    };
    let alg = match jwk.get("alg") {
        None => None,
        Some(Value::String(alg)) => Some(alg.as_str()),
        Some(_) => return None,
    };
    match jwk.get("kty").and_then(Value::as_str)? {
        "EC" => {
            if jwk.get("crv").and_then(Value::as_str) != Some("P-256")
                || alg.is_some_and(|alg| alg != "ES256")
            {
                return None;
            }
            let x = b64url_field(jwk, "x")?.try_into().ok()?;
            let y = b64url_field(jwk, "y")?.try_into().ok()?;
            Some(VerifyingKey::EcP256(EcP256PublicKey::new(kid, x, y)))
        }
        "RSA" => {
            if alg.is_some_and(|alg| alg != "RS256") {
                return None;
            }
            let n = b64url_field(jwk, "n")?;
            let e = b64url_field(jwk, "e")?;
            RsaPublicKey::new(kid, &n, &e).map(VerifyingKey::Rsa)
        }
        _ => None,
    }
}

fn b64url_field(jwk: &Map<String, Value>, name: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(jwk.get(name)?.as_str()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    const Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

    fn ec(extra: Value) -> Value {
        let mut jwk = json!({"kty": "EC", "crv": "P-256", "x": X, "y": Y, "kid": "ec-1"});
        if let (Some(jwk), Value::Object(extra)) = (jwk.as_object_mut(), extra) {
            jwk.extend(extra);
        }
        jwk
    }

    fn rsa_n(bits: usize) -> String {
        URL_SAFE_NO_PAD.encode(vec![0xff_u8; bits / 8])
    }

    fn rsa(extra: Value) -> Value {
        let mut jwk = json!({"kty": "RSA", "n": rsa_n(2048), "e": "AQAB", "kid": "rsa-1"});
        if let (Some(jwk), Value::Object(extra)) = (jwk.as_object_mut(), extra) {
            jwk.extend(extra);
        }
        jwk
    }

    fn kids(keys: &[Value]) -> Vec<Option<String>> {
        let document = serde_json::to_vec(&json!({ "keys": keys })).unwrap();
        parse_jwks(&document)
            .unwrap()
            .iter()
            .map(|key| key.kid().map(str::to_owned))
            .collect()
    }

    #[test]
    fn algorithm_allow_list_is_exact() {
        assert_eq!(JwsAlgorithm::from_name("HS256"), Some(JwsAlgorithm::Hs256));
        assert_eq!(JwsAlgorithm::from_name("ES256"), Some(JwsAlgorithm::Es256));
        assert_eq!(JwsAlgorithm::from_name("RS256"), Some(JwsAlgorithm::Rs256));
        for rejected in ["none", "None", "hs256", "HS384", "PS256", "EdDSA", ""] {
            assert_eq!(JwsAlgorithm::from_name(rejected), None, "{rejected}");
        }
    }

    #[test]
    fn usable_keys_are_kept() {
        let cases = [
            ("EC, no use/alg", ec(json!({}))),
            ("EC, use sig", ec(json!({"use": "sig", "alg": "ES256"}))),
            (
                "EC, key_ops verify",
                ec(json!({"key_ops": ["verify"], "ext": true})),
            ),
            ("RSA, no use/alg", rsa(json!({}))),
            (
                "RSA, use sig alg RS256",
                rsa(json!({"use": "sig", "alg": "RS256"})),
            ),
        ];
        for (name, jwk) in cases {
            assert_eq!(kids(&[jwk]).len(), 1, "{name}");
        }
    }

    #[test]
    fn unusable_keys_are_skipped() {
        let cases = [
            (
                "symmetric key",
                json!({"kty": "oct", "k": "c2VjcmV0", "kid": "hs"}),
            ),
            ("OKP key", json!({"kty": "OKP", "crv": "Ed25519", "x": X})),
            ("no kty", json!({"x": X, "y": Y})),
            ("encryption key", ec(json!({"use": "enc"}))),
            ("sign-only ops", ec(json!({"key_ops": ["sign"]}))),
            ("other curve", ec(json!({"crv": "P-384"}))),
            ("EC with RS256 alg", ec(json!({"alg": "RS256"}))),
            ("EC with HS256 alg", ec(json!({"alg": "HS256"}))),
            ("short x", ec(json!({"x": "AAAA"}))),
            ("padded x", ec(json!({"x": format!("{X}=")}))),
            ("missing y", json!({"kty": "EC", "crv": "P-256", "x": X})),
            ("numeric kid", ec(json!({"kid": 7}))),
            ("RSA with ES256 alg", rsa(json!({"alg": "ES256"}))),
            ("RSA with PS256 alg", rsa(json!({"alg": "PS256"}))),
            ("RSA 1024", rsa(json!({"n": rsa_n(1024)}))),
            ("RSA even exponent", rsa(json!({"e": "AQAA"}))),
            ("RSA missing e", json!({"kty": "RSA", "n": rsa_n(2048)})),
            ("not an object", json!("EC")),
        ];
        for (name, jwk) in cases {
            assert!(kids(&[jwk]).is_empty(), "{name}");
        }
    }

    #[test]
    fn mixed_sets_keep_only_the_usable_keys_in_order() {
        let keys = [
            json!({"kty": "oct", "k": "c2VjcmV0", "kid": "hs"}),
            rsa(json!({"kid": "r"})),
            ec(json!({"kid": "e"})),
            ec(json!({"kid": "bad", "crv": "secp256k1"})),
        ];
        assert_eq!(
            kids(&keys),
            vec![Some("r".to_owned()), Some("e".to_owned())]
        );
    }

    #[test]
    fn documents_without_a_keys_array_are_errors() {
        assert!(matches!(parse_jwks(b"not json"), Err(JwksError::NotJson)));
        for document in [&b"{}"[..], b"[]", b"{\"keys\": {}}", b"null"] {
            assert!(matches!(parse_jwks(document), Err(JwksError::NoKeysArray)));
        }
        assert!(parse_jwks(b"{\"keys\": []}").unwrap().is_empty());
    }

    #[test]
    fn published_jwk_round_trips() {
        let document = serde_json::to_vec(&json!({ "keys": [ec(json!({}))] })).unwrap();
        let keys = parse_jwks(&document).unwrap();
        let VerifyingKey::EcP256(key) = &keys[0] else {
            panic!("expected an EC key");
        };
        assert_eq!(key.to_jwk()["x"], X);
        assert_eq!(key.to_jwk()["y"], Y);
        assert_eq!(key.to_sec1_uncompressed()[0], 4);
        assert!(keys[0].fits(JwsAlgorithm::Es256));
        assert!(!keys[0].fits(JwsAlgorithm::Rs256));
        assert!(!keys[0].fits(JwsAlgorithm::Hs256));
    }

    #[test]
    fn rsa_leading_zeros_are_not_counted() {
        let mut n = vec![0_u8; 3];
        n.extend(vec![0xff_u8; 256]);
        let key = RsaPublicKey::new(None, &n, &[0, 1, 0, 1]).unwrap();
        assert_eq!(key.n().len(), 256);
        assert_eq!(key.e(), &[1, 0, 1]);
        assert!(RsaPublicKey::new(None, &[0xff; 255], &[1, 0, 1]).is_none());
    }
}
