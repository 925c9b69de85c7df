//! Dev and test tokens. (Being written.)
use std::net::SocketAddr;
use std::path::Path;

pub struct TokenSpec {
    pub issuer: String,
    pub audience: String,
    pub subject: String,
    pub ttl_secs: i64,
}

impl TokenSpec {
    pub fn new(issuer: &str, audience: &str, subject: &str, ttl_secs: i64) -> Self {
        Self {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            subject: subject.to_owned(),
            ttl_secs,
        }
    }
}

pub fn mint_hs256(_secret: &[u8], _spec: &TokenSpec) -> anyhow::Result<String> {
    anyhow::bail!("not written yet")
}

pub async fn serve_jwks(_listen: SocketAddr, _keys: &Path) -> anyhow::Result<()> {
    anyhow::bail!("not written yet")
}
