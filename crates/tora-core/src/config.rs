//! Configuration, read once from the worker's vars and secrets (or any other lookup)
//! and validated as a whole: a missing or malformed setting names itself.

use crate::auth::{AuthConfig, HmacSecret};
use crate::clients::neon::NeonConfig;
use crate::domain::credits::{Credits, TokensPerCredit};
use crate::secret::Secret;

/// Everything the API needs to know about its deployment.
#[derive(Debug, Clone)]
pub struct Config {
    pub auth: AuthConfig,
    pub neon: NeonConfig,
    /// Credits granted to a new user on their first request.
    pub starter_credits: i64,
    /// Exact origins allowed to call the API from a browser. Empty: no browser access.
    pub cors_allowed_origins: Vec<String>,
    /// The window of the rate limit bindings, sent as `retry-after` on 429.
    pub rate_limit_period_secs: u32,
    pub credits: CreditsConfig,
}

/// How credits are priced, granted and topped up.
#[derive(Debug, Clone)]
pub struct CreditsConfig {
    /// `TOKENS_PER_CREDIT`: tokens one credit buys (default 3000).
    pub tokens_per_credit: TokensPerCredit,
    /// `ADMIN_API_SECRET`: the bearer secret of `/admin/*`; unset, those routes
    /// refuse everyone.
    pub admin_secret: Option<Secret>,
    /// `SUBJECT_HASH_KEY`: the HMAC key of the subject hashes that remember a starter
    /// grant after erasure. Changing it forgets who had one.
    pub subject_hash_key: Secret,
}

impl CreditsConfig {
    fn from_lookup(get: impl Fn(&'static str) -> Option<String>) -> Result<Self, ConfigError> {
        let tokens_per_credit = match get("TOKENS_PER_CREDIT") {
            None => TokensPerCredit::DEFAULT,
            Some(raw) => raw
                .trim()
                .parse::<u32>()
                .ok()
                .and_then(TokensPerCredit::new)
                .ok_or(ConfigError::Invalid {
                    name: "TOKENS_PER_CREDIT",
                    reason: "must be a positive whole number of tokens".into(),
                })?,
        };
        let subject_hash_key = get("SUBJECT_HASH_KEY")
            .map(Secret::new)
            .ok_or(ConfigError::Missing("SUBJECT_HASH_KEY"))?;
        Ok(Self {
            tokens_per_credit,
            admin_secret: get("ADMIN_API_SECRET").map(Secret::new),
            subject_hash_key,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("setting {0} is missing")]
    Missing(&'static str),
    #[error("setting {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

impl Config {
    /// Builds the configuration from a name → value lookup (the worker's `Env`).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &'static str| lookup(name).filter(|value| !value.trim().is_empty());
        let required = |name: &'static str| get(name).ok_or(ConfigError::Missing(name));

        let hs256_secret =
            get("JWT_HS256_SECRET").map(|secret| HmacSecret::new(secret.into_bytes()));
        let jwks_url = get("JWKS_URL");
        let auth = AuthConfig::new(
            hs256_secret,
            jwks_url,
            required("JWT_ISSUER")?,
            required("JWT_AUDIENCE")?,
        )
        .map_err(|error| ConfigError::Invalid {
            name: "JWT_HS256_SECRET/JWKS_URL",
            reason: error.to_string(),
        })?;
        // How often an unknown `kid` may trigger a JWKS refetch. The default keeps
        // garbage kids from hammering the issuer; tests that rotate keys set 0.
        let auth = match get("JWKS_UNKNOWN_KID_REFETCH_SECONDS") {
            None => auth,
            Some(raw) => {
                auth.with_unknown_kid_refetch_secs(raw.trim().parse::<u32>().map_err(|_| {
                    ConfigError::Invalid {
                        name: "JWKS_UNKNOWN_KID_REFETCH_SECONDS",
                        reason: "must be a whole number of seconds".into(),
                    }
                })?)
            }
        };

        let neon = NeonConfig {
            sql_url: required("NEON_SQL_URL")?,
            connection_string: Secret::new(required("DATABASE_URL")?),
        };

        let starter_credits = match get("STARTER_CREDITS") {
            None => 100,
            Some(raw) => raw
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|credits| *credits >= 0)
                .ok_or(ConfigError::Invalid {
                    name: "STARTER_CREDITS",
                    reason: "must be a whole number of credits, 0 or more".into(),
                })?,
        };

        let cors_allowed_origins = get("CORS_ALLOWED_ORIGINS")
            .map(|raw| {
                raw.split(',')
                    .map(|origin| origin.trim().trim_end_matches('/').to_owned())
                    .filter(|origin| !origin.is_empty())
                    .collect()
            })
            .unwrap_or_default();

        let rate_limit_period_secs = match get("RATE_LIMIT_PERIOD_SECONDS") {
            None => 60,
            Some(raw) => raw
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|period| *period > 0)
                .ok_or(ConfigError::Invalid {
                    name: "RATE_LIMIT_PERIOD_SECONDS",
                    reason: "must be a positive number of seconds".into(),
                })?,
        };

        let credits = CreditsConfig::from_lookup(get)?;
        // The grant is stored in token units; it must fit them.
        if Credits::whole(starter_credits, credits.tokens_per_credit).is_none() {
            return Err(ConfigError::Invalid {
                name: "STARTER_CREDITS",
                reason: "is too large at this TOKENS_PER_CREDIT".into(),
            });
        }

        Ok(Self {
            auth,
            neon,
            starter_credits,
            cors_allowed_origins,
            rate_limit_period_secs,
            credits,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const BASE: [(&str, &str); 6] = [
        ("SUBJECT_HASH_KEY", "subject-hash-key"),
        ("JWT_HS256_SECRET", "dev-secret-with-enough-length-000"),
        ("JWT_ISSUER", "https://auth.example/auth/v1"),
        ("JWT_AUDIENCE", "authenticated"),
        ("NEON_SQL_URL", "http://127.0.0.1:4444/sql"),
        ("DATABASE_URL", "postgresql://tora:tora@localhost/tora"),
    ];

    #[test]
    fn a_complete_configuration_parses_with_defaults() {
        let config = Config::from_lookup(lookup(&BASE)).unwrap();
        assert_eq!(config.starter_credits, 100);
        assert!(config.cors_allowed_origins.is_empty());
        assert_eq!(config.rate_limit_period_secs, 60);
        assert_eq!(config.credits.tokens_per_credit, TokensPerCredit::DEFAULT);
        assert!(config.credits.admin_secret.is_none());
        assert_eq!(config.neon.sql_url, "http://127.0.0.1:4444/sql");
        assert!(
            !format!("{config:?}").contains("tora:tora"),
            "secrets never print"
        );
    }

    #[test]
    fn missing_settings_are_named() {
        let pairs: Vec<_> = BASE
            .iter()
            .copied()
            .filter(|(key, _)| *key != "DATABASE_URL")
            .collect();
        assert_eq!(
            Config::from_lookup(lookup(&pairs)).unwrap_err(),
            ConfigError::Missing("DATABASE_URL")
        );
    }

    #[test]
    fn origins_and_credits_are_parsed() {
        let mut pairs = BASE.to_vec();
        pairs.push((
            "CORS_ALLOWED_ORIGINS",
            " https://app.tora.example/, http://localhost:8081 ,",
        ));
        pairs.push(("STARTER_CREDITS", "25"));
        let config = Config::from_lookup(lookup(&pairs)).unwrap();
        assert_eq!(
            config.cors_allowed_origins,
            vec!["https://app.tora.example", "http://localhost:8081"]
        );
        assert_eq!(config.starter_credits, 25);

        let mut pairs = BASE.to_vec();
        pairs.push(("STARTER_CREDITS", "-5"));
        assert!(matches!(
            Config::from_lookup(lookup(&pairs)),
            Err(ConfigError::Invalid {
                name: "STARTER_CREDITS",
                ..
            })
        ));
    }

    #[test]
    fn credit_settings_are_parsed_and_checked() {
        let mut pairs = BASE.to_vec();
        pairs.push(("TOKENS_PER_CREDIT", "1000"));
        pairs.push(("ADMIN_API_SECRET", "admin-secret"));
        let config = Config::from_lookup(lookup(&pairs)).unwrap();
        assert_eq!(config.credits.tokens_per_credit.get(), 1000);
        assert!(!format!("{config:?}").contains("admin-secret"));

        let mut pairs = BASE.to_vec();
        pairs.push(("TOKENS_PER_CREDIT", "0"));
        assert!(matches!(
            Config::from_lookup(lookup(&pairs)),
            Err(ConfigError::Invalid {
                name: "TOKENS_PER_CREDIT",
                ..
            })
        ));

        let pairs: Vec<_> = BASE
            .iter()
            .copied()
            .filter(|(key, _)| *key != "SUBJECT_HASH_KEY")
            .collect();
        assert_eq!(
            Config::from_lookup(lookup(&pairs)).unwrap_err(),
            ConfigError::Missing("SUBJECT_HASH_KEY")
        );
    }
}
