//! Asymmetric signing keys (ES256, RS256) and the JSON key file `jwks-serve` keeps
//! them in: `{"keys": [{"kid", "alg", "private_key_pem"}, ...]}` with PKCS#8 PEM.

use std::fmt;
use std::path::Path;

use anyhow::{Context as _, bail};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer as _;
use p256::elliptic_curve::Generate as _;
// The PKCS#8 traits are shared by `p256` and `rsa` (one `pkcs8` crate).
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, LineEnding};
use rsa::traits::PublicKeyParts as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use tora_core::auth::{JwsAlgorithm, VerifyingKey, parse_jwks};

use super::{TokenSpec, signing_input};

/// Supabase's RS256 signing keys are 2048-bit.
const RSA_BITS: usize = 2048;

/// A private key that signs tokens, as the issuer (Supabase Auth) would.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    material: Material,
}

#[derive(Clone)]
enum Material {
    Es256(p256::ecdsa::SigningKey),
    Rs256(Box<rsa::PrivateKey>),
}

/// One entry of the key file, and what `POST /keys` answers (plus `public_jwk`).
#[derive(Debug, Serialize, Deserialize)]
struct KeyEntry {
    kid: String,
    alg: String,
    private_key_pem: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct KeyFile {
    keys: Vec<KeyEntry>,
}

impl SigningKey {
    /// A fresh key; its `kid` is the RFC 7638 thumbprint of the public key.
    pub fn generate(alg: JwsAlgorithm) -> anyhow::Result<Self> {
        let material = match alg {
            JwsAlgorithm::Es256 => Material::Es256(p256::ecdsa::SigningKey::generate()),
            JwsAlgorithm::Rs256 => Material::Rs256(Box::new(
                rsa::PrivateKey::new(&mut getrandom::SysRng, RSA_BITS)
                    .context("generating an RSA key")?,
            )),
            JwsAlgorithm::Hs256 => bail!("HS256 uses the shared secret, not a signing key"),
        };
        let kid = thumbprint(&public_params(&material));
        Ok(Self { kid, material })
    }

    /// The same key under another `kid` (to test kid collisions and look-alikes).
    pub fn with_kid(mut self, kid: &str) -> Self {
        self.kid = kid.to_owned();
        self
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> JwsAlgorithm {
        match self.material {
            Material::Es256(_) => JwsAlgorithm::Es256,
            Material::Rs256(_) => JwsAlgorithm::Rs256,
        }
    }

    /// The public JWK as Supabase publishes it.
    pub fn public_jwk(&self) -> Value {
        let mut jwk = public_params(&self.material);
        if let Some(jwk) = jwk.as_object_mut() {
            jwk.insert("kid".to_owned(), json!(self.kid));
            jwk.insert("alg".to_owned(), json!(self.alg().name()));
            jwk.insert("use".to_owned(), json!("sig"));
            jwk.insert("key_ops".to_owned(), json!(["verify"]));
            jwk.insert("ext".to_owned(), json!(true));
        }
        jwk
    }

    /// The public key as the core reads it from a JWKS.
    pub fn verifying_key(&self) -> anyhow::Result<VerifyingKey> {
        let document = serde_json::to_vec(&json!({ "keys": [self.public_jwk()] }))?;
        parse_jwks(&document)?
            .into_iter()
            .next()
            .context("the core refused the public key")
    }

    /// The header this key's tokens carry.
    pub fn header(&self) -> Value {
        json!({"alg": self.alg().name(), "kid": self.kid, "typ": "JWT"})
    }

    /// A user session token for `spec`, issued now.
    pub fn mint(&self, spec: &TokenSpec) -> anyhow::Result<String> {
        self.mint_with_claims(&self.header(), &spec.claims())
    }

    /// Signs `header.claims` with this key, whatever the header says (any `alg`,
    /// any `kid`): the escape hatch for crafting bad tokens.
    pub fn mint_with_claims(&self, header: &Value, claims: &Value) -> anyhow::Result<String> {
        let signing_input = signing_input(header, claims)?;
        let signature = self.sign(signing_input.as_bytes())?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }

    /// The JWS signature of `message`: raw `r || s` for ES256, PKCS#1 v1.5 for RS256.
    pub fn sign(&self, message: &[u8]) -> anyhow::Result<Vec<u8>> {
        match &self.material {
            Material::Es256(key) => {
                let signature: p256::ecdsa::Signature = key.sign(message);
                Ok(signature.to_bytes().to_vec())
            }
            Material::Rs256(key) => key
                .pkcs1v15_sign::<Sha256>(message)
                .context("RSA signing failed"),
        }
    }

    /// The key file entry, private key included, plus the public JWK.
    pub fn to_json(&self) -> anyhow::Result<Value> {
        let mut entry = serde_json::to_value(self.to_entry()?)?;
        if let Some(entry) = entry.as_object_mut() {
            entry.insert("public_jwk".to_owned(), self.public_jwk());
        }
        Ok(entry)
    }

    /// Reads what [`SigningKey::to_json`] (or `POST /keys`) produced.
    pub fn from_json(value: &Value) -> anyhow::Result<Self> {
        Self::from_entry(&KeyEntry::deserialize(value)?)
    }

    fn to_entry(&self) -> anyhow::Result<KeyEntry> {
        let private_key_pem = match &self.material {
            Material::Es256(key) => key.to_pkcs8_pem(LineEnding::LF)?.to_string(),
            Material::Rs256(key) => key.to_pkcs8_pem(LineEnding::LF)?.to_string(),
        };
        Ok(KeyEntry {
            kid: self.kid.clone(),
            alg: self.alg().name().to_owned(),
            private_key_pem,
        })
    }

    fn from_entry(entry: &KeyEntry) -> anyhow::Result<Self> {
        let material = match JwsAlgorithm::from_name(&entry.alg) {
            Some(JwsAlgorithm::Es256) => Material::Es256(
                p256::ecdsa::SigningKey::from_pkcs8_pem(&entry.private_key_pem)
                    .with_context(|| format!("key {}: not a P-256 PKCS#8 key", entry.kid))?,
            ),
            Some(JwsAlgorithm::Rs256) => Material::Rs256(Box::new(
                rsa::PrivateKey::from_pkcs8_pem(&entry.private_key_pem)
                    .with_context(|| format!("key {}: not an RSA PKCS#8 key", entry.kid))?,
            )),
            _ => bail!("key {}: unsupported alg {:?}", entry.kid, entry.alg),
        };
        Ok(Self {
            kid: entry.kid.clone(),
            material,
        })
    }
}

/// Never prints key material.
impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg().name())
            .finish_non_exhaustive()
    }
}

/// The required public members only, in the lexicographic order RFC 7638 hashes.
fn public_params(material: &Material) -> Value {
    match material {
        Material::Es256(key) => {
            let point = key.verifying_key().to_sec1_point(false);
            let (x, y) = point.as_bytes()[1..].split_at(32);
            json!({
                "crv": "P-256",
                "kty": "EC",
                "x": URL_SAFE_NO_PAD.encode(x),
                "y": URL_SAFE_NO_PAD.encode(y),
            })
        }
        Material::Rs256(key) => json!({
            "e": URL_SAFE_NO_PAD.encode(key.e_bytes()),
            "kty": "RSA",
            "n": URL_SAFE_NO_PAD.encode(key.n_bytes()),
        }),
    }
}

/// RFC 7638 JWK thumbprint of the required public members: stable, unique per key,
/// and what many issuers use as `kid`.
pub(crate) fn thumbprint(public_params: &Value) -> String {
    // The members are plain strings written in lexicographic order (and serde_json
    // sorts map keys anyway), so compact serialization is the canonical form.
    let canonical = public_params.to_string();
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// The keys in a key file, in file order.
pub fn load_keys(path: &Path) -> anyhow::Result<Vec<SigningKey>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading key file {}", path.display()))?;
    let file: KeyFile = serde_json::from_str(&text)
        .with_context(|| format!("parsing key file {}", path.display()))?;
    file.keys.iter().map(SigningKey::from_entry).collect()
}

/// Writes the key file in one step (write, then rename), so a concurrent reader
/// never sees half a file.
pub fn save_keys(path: &Path, keys: &[SigningKey]) -> anyhow::Result<()> {
    let file = KeyFile {
        keys: keys
            .iter()
            .map(SigningKey::to_entry)
            .collect::<anyhow::Result<_>>()?,
    };
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    std::fs::write(&temporary, serde_json::to_vec_pretty(&file)?)
        .with_context(|| format!("writing key file {}", path.display()))?;
    std::fs::rename(&temporary, path)
        .with_context(|| format!("replacing key file {}", path.display()))
}

/// The keys in `path`, creating the file with one ES256 and one RS256 key when it
/// does not exist yet.
pub fn ensure_key_file(path: &Path) -> anyhow::Result<Vec<SigningKey>> {
    if path.exists() {
        return load_keys(path);
    }
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let keys = vec![
        SigningKey::generate(JwsAlgorithm::Es256)?,
        SigningKey::generate(JwsAlgorithm::Rs256)?,
    ];
    save_keys(path, &keys)?;
    Ok(keys)
}

/// The JWKS document publishing the public halves of `keys`.
pub fn public_jwks(keys: &[SigningKey]) -> Value {
    json!({ "keys": keys.iter().map(SigningKey::public_jwk).collect::<Vec<_>>() })
}
