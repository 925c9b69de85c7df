//! Which tokens the API accepts: who issues them, for whom, and where the keys are.

use std::fmt;

/// The legacy HS256 secret, as the raw bytes of the configured string. Supabase's
/// GoTrue signs with `[]byte(secret)`, so the value is deliberately not
/// base64-decoded. It never prints.
#[derive(Clone)]
pub struct HmacSecret(Vec<u8>);

impl HmacSecret {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// The key bytes, for the one place that computes a MAC with them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for HmacSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacSecret(***)")
    }
}

/// Why an [`AuthConfig`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthConfigError {
    #[error("neither an HS256 secret nor a JWKS URL is configured")]
    NoKeySource,
    #[error("the HS256 secret is empty")]
    EmptySecret,
    #[error("the JWKS URL must be an absolute http(s) URL")]
    InvalidJwksUrl,
    #[error("the issuer is empty")]
    EmptyIssuer,
    #[error("the audience is empty")]
    EmptyAudience,
    #[error("a clock leeway above {max} seconds would accept long-expired tokens")]
    LeewayTooLarge { max: u32 },
}

/// Validated token-acceptance settings. Build with [`AuthConfig::new`] and adjust
/// the timing knobs with the `with_*` methods.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    hs256_secret: Option<HmacSecret>,
    jwks_url: Option<String>,
    issuer: String,
    audience: String,
    leeway_secs: u32,
    jwks_ttl_secs: u32,
    unknown_kid_refetch_secs: u32,
}

impl AuthConfig {
    pub const DEFAULT_LEEWAY_SECS: u32 = 30;
    /// The checklist's ceiling on clock skew tolerance.
    pub const MAX_LEEWAY_SECS: u32 = 60;
    /// Supabase caches its JWKS for about ten minutes at its edge; refreshing more
    /// often gains nothing.
    pub const DEFAULT_JWKS_TTL_SECS: u32 = 600;
    /// A token naming an unknown `kid` triggers at most one refetch per this many
    /// seconds, so garbage kids cannot make us hammer the issuer.
    pub const DEFAULT_UNKNOWN_KID_REFETCH_SECS: u32 = 30;

    /// At least one key source is required: the HS256 secret (legacy Supabase
    /// projects) or the JWKS URL (asymmetric signing keys), or both during a
    /// migration between them.
    pub fn new(
        hs256_secret: Option<HmacSecret>,
        jwks_url: Option<String>,
        issuer: String,
        audience: String,
    ) -> Result<Self, AuthConfigError> {
        if hs256_secret.is_none() && jwks_url.is_none() {
            return Err(AuthConfigError::NoKeySource);
        }
        if hs256_secret
            .as_ref()
            .is_some_and(|secret| secret.expose().is_empty())
        {
            return Err(AuthConfigError::EmptySecret);
        }
        if let Some(url) = &jwks_url
            && !is_absolute_http_url(url)
        {
            return Err(AuthConfigError::InvalidJwksUrl);
        }
        if issuer.is_empty() {
            return Err(AuthConfigError::EmptyIssuer);
        }
        if audience.is_empty() {
            return Err(AuthConfigError::EmptyAudience);
        }
        Ok(Self {
            hs256_secret,
            jwks_url,
            issuer,
            audience,
            leeway_secs: Self::DEFAULT_LEEWAY_SECS,
            jwks_ttl_secs: Self::DEFAULT_JWKS_TTL_SECS,
            unknown_kid_refetch_secs: Self::DEFAULT_UNKNOWN_KID_REFETCH_SECS,
        })
    }

    /// Tolerance for clock skew between the issuer and us, applied to `exp` and `nbf`.
    pub fn with_leeway_secs(mut self, leeway_secs: u32) -> Result<Self, AuthConfigError> {
        if leeway_secs > Self::MAX_LEEWAY_SECS {
            return Err(AuthConfigError::LeewayTooLarge {
                max: Self::MAX_LEEWAY_SECS,
            });
        }
        self.leeway_secs = leeway_secs;
        Ok(self)
    }

    /// How long fetched public keys are used before they are fetched again.
    pub fn with_jwks_ttl_secs(mut self, jwks_ttl_secs: u32) -> Self {
        self.jwks_ttl_secs = jwks_ttl_secs;
        self
    }

    /// The minimum spacing of refetches caused by unknown `kid`s. Test stacks that
    /// rotate keys on purpose set this to 0.
    pub fn with_unknown_kid_refetch_secs(mut self, secs: u32) -> Self {
        self.unknown_kid_refetch_secs = secs;
        self
    }

    pub fn hs256_secret(&self) -> Option<&HmacSecret> {
        self.hs256_secret.as_ref()
    }

    pub fn jwks_url(&self) -> Option<&str> {
        self.jwks_url.as_deref()
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn audience(&self) -> &str {
        &self.audience
    }

    pub fn leeway_secs(&self) -> u32 {
        self.leeway_secs
    }

    pub fn jwks_ttl_secs(&self) -> u32 {
        self.jwks_ttl_secs
    }

    pub fn unknown_kid_refetch_secs(&self) -> u32 {
        self.unknown_kid_refetch_secs
    }
}

/// Checked here so a typo fails at startup rather than as 503s on the first
/// ES256/RS256 request.
fn is_absolute_http_url(url: &str) -> bool {
    url.parse::<http::Uri>().is_ok_and(|uri| {
        matches!(uri.scheme_str(), Some("http" | "https")) && uri.authority().is_some()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(secret: Option<&str>, jwks_url: Option<&str>) -> Result<AuthConfig, AuthConfigError> {
        AuthConfig::new(
            secret.map(HmacSecret::new),
            jwks_url.map(str::to_owned),
            "https://ref.supabase.co/auth/v1".to_owned(),
            "authenticated".to_owned(),
        )
    }

    #[test]
    fn secret_never_prints() {
        let secret = HmacSecret::new("super-secret-jwt-token");
        assert_eq!(format!("{secret:?}"), "HmacSecret(***)");
        let config = config(Some("super-secret-jwt-token"), None).unwrap();
        assert!(!format!("{config:?}").contains("super-secret"));
    }

    #[test]
    fn a_key_source_is_required() {
        assert_eq!(
            config(None, None).unwrap_err(),
            AuthConfigError::NoKeySource
        );
        assert!(config(Some("s"), None).is_ok());
        assert!(
            config(
                None,
                Some("https://x.supabase.co/auth/v1/.well-known/jwks.json")
            )
            .is_ok()
        );
        assert!(
            config(
                Some("s"),
                Some("http://127.0.0.1:4455/.well-known/jwks.json")
            )
            .is_ok()
        );
    }

    #[test]
    fn bad_values_are_rejected() {
        assert_eq!(
            config(Some(""), None).unwrap_err(),
            AuthConfigError::EmptySecret
        );
        for url in ["", "jwks.json", "/.well-known/jwks.json", "ftp://x/jwks"] {
            assert_eq!(
                config(None, Some(url)).unwrap_err(),
                AuthConfigError::InvalidJwksUrl,
                "{url}"
            );
        }
        let no_issuer = AuthConfig::new(
            Some(HmacSecret::new("s")),
            None,
            String::new(),
            "authenticated".to_owned(),
        );
        assert_eq!(no_issuer.unwrap_err(), AuthConfigError::EmptyIssuer);
        let no_audience = AuthConfig::new(
            Some(HmacSecret::new("s")),
            None,
            "iss".to_owned(),
            String::new(),
        );
        assert_eq!(no_audience.unwrap_err(), AuthConfigError::EmptyAudience);
    }

    #[test]
    fn timing_defaults_and_limits() {
        let config = config(Some("s"), None).unwrap();
        assert_eq!(config.leeway_secs(), 30);
        assert_eq!(config.jwks_ttl_secs(), 600);
        assert_eq!(config.unknown_kid_refetch_secs(), 30);
        assert_eq!(
            config.clone().with_leeway_secs(60).unwrap().leeway_secs(),
            60
        );
        assert_eq!(
            config.with_leeway_secs(61).unwrap_err(),
            AuthConfigError::LeewayTooLarge { max: 60 }
        );
    }
}
