//! Configuration, read once from the worker's vars and secrets (or any other lookup)
//! and validated as a whole: a missing or malformed setting names itself.

use crate::app::chat::ModelSettings;
use crate::auth::{AuthConfig, HmacSecret};
use crate::clients::bedrock::{
    BedrockAuth, BedrockConfig, DEFAULT_MODEL_ID, DEFAULT_REGION, DEFAULT_RETRY_BUDGET_MS,
    EmbeddingDimensions,
};
use crate::clients::neon::NeonConfig;
use crate::clients::s3::{MAX_EXPIRES_SECS, S3Config};
use crate::clients::sigv4::AwsCredentials;
use crate::domain::credits::{Credits, TokensPerCredit};
use crate::domain::exercises::CdnDomain;
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
    /// The language model, when credentials for it are configured; without them the
    /// model is simply unavailable.
    pub llm: Option<BedrockConfig>,
    pub credits: CreditsConfig,
    /// How chat messages the parser cannot read are given to the model.
    pub chat_model: ModelSettings,
    /// The bucket uploads go to, when `S3_BUCKET` is set; without it, uploads are
    /// unavailable.
    pub s3: Option<S3Config>,
    /// `UPLOAD_URL_EXPIRES_SECONDS`: how long a presigned upload URL works (default 900).
    pub upload_url_expires_secs: u32,
    /// `VIDEO_CDN_DOMAIN`: the CloudFront distribution serving exercise videos
    /// (`videos.tora.app`). Unset, videos are linked by presigned storage URLs.
    pub video_cdn_domain: Option<CdnDomain>,
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

        let video_cdn_domain = get("VIDEO_CDN_DOMAIN")
            .map(|raw| {
                CdnDomain::parse(&raw).ok_or(ConfigError::Invalid {
                    name: "VIDEO_CDN_DOMAIN",
                    reason: "must be a host name like videos.tora.app, without https://".into(),
                })
            })
            .transpose()?;

        let llm = llm_config(&get)?;
        let s3 = s3_config(&get)?;
        let upload_url_expires_secs = match get("UPLOAD_URL_EXPIRES_SECONDS") {
            None => 900,
            Some(raw) => raw
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|secs| (1..=MAX_EXPIRES_SECS).contains(secs))
                .ok_or(ConfigError::Invalid {
                    name: "UPLOAD_URL_EXPIRES_SECONDS",
                    reason: format!("must be seconds, 1 to {MAX_EXPIRES_SECS}"),
                })?,
        };
        let chat_model = chat_model_settings(&get)?;
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
            llm,
            credits,
            chat_model,
            s3,
            upload_url_expires_secs,
            video_cdn_domain,
        })
    }
}

/// A whole number setting within `range`, or `default` when unset.
fn bounded_setting(
    get: &impl Fn(&'static str) -> Option<String>,
    name: &'static str,
    range: std::ops::RangeInclusive<u32>,
    default: u32,
) -> Result<u32, ConfigError> {
    match get(name) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|value| range.contains(value))
            .ok_or_else(|| ConfigError::Invalid {
                name,
                reason: format!(
                    "must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            }),
    }
}

// How chat uses the model: `CHAT_MODEL_WAIT_MS` (how long a request waits for it),
// `MODEL_MIN_CONFIDENCE` (below it a reading is proposed, not logged),
// `PENDING_MAX_ATTEMPTS` and `PENDING_RETRY_BASE_SECONDS` (the scheduled retries).
fn chat_model_settings(
    get: &impl Fn(&'static str) -> Option<String>,
) -> Result<ModelSettings, ConfigError> {
    let defaults = ModelSettings::default();
    let min_confidence = match get("MODEL_MIN_CONFIDENCE") {
        None => defaults.min_confidence,
        Some(raw) => raw
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|value| (0.0..=1.0).contains(value))
            .ok_or(ConfigError::Invalid {
                name: "MODEL_MIN_CONFIDENCE",
                reason: "must be a number from 0 to 1".into(),
            })?,
    };
    Ok(ModelSettings {
        // A Worker request should answer within seconds; the model's own retries
        // go on after the response when this runs out.
        wait_ms: bounded_setting(get, "CHAT_MODEL_WAIT_MS", 0..=25_000, defaults.wait_ms)?,
        min_confidence,
        max_attempts: bounded_setting(get, "PENDING_MAX_ATTEMPTS", 1..=20, defaults.max_attempts)?,
        retry_base_secs: bounded_setting(
            get,
            "PENDING_RETRY_BASE_SECONDS",
            0..=86_400,
            defaults.retry_base_secs,
        )?,
    })
}

// The model (Bedrock). A Bedrock API key wins over access keys; with neither, there
// is no model and the rest of the settings are not read.
fn llm_config(
    get: &impl Fn(&'static str) -> Option<String>,
) -> Result<Option<BedrockConfig>, ConfigError> {
    let auth = match (
        get("BEDROCK_API_KEY"),
        get("AWS_ACCESS_KEY_ID"),
        get("AWS_SECRET_ACCESS_KEY"),
    ) {
        (Some(key), _, _) => BedrockAuth::ApiKey(Secret::new(key.trim())),
        (None, Some(access_key_id), Some(secret_access_key)) => {
            BedrockAuth::AccessKeys(AwsCredentials {
                access_key_id: Secret::new(access_key_id.trim()),
                secret_access_key: Secret::new(secret_access_key.trim()),
                session_token: get("AWS_SESSION_TOKEN").map(|token| Secret::new(token.trim())),
            })
        }
        (None, Some(_), None) => return Err(ConfigError::Missing("AWS_SECRET_ACCESS_KEY")),
        (None, None, Some(_)) => return Err(ConfigError::Missing("AWS_ACCESS_KEY_ID")),
        (None, None, None) => return Ok(None),
    };
    let region = get("BEDROCK_REGION")
        .map(|region| region.trim().to_owned())
        .unwrap_or_else(|| DEFAULT_REGION.to_owned());
    if !region
        .bytes()
        .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
    {
        return Err(ConfigError::Invalid {
            name: "BEDROCK_REGION",
            reason: "must be a region name like us-east-1".into(),
        });
    }
    let endpoint = match get("BEDROCK_ENDPOINT") {
        None => BedrockConfig::default_endpoint(&region),
        Some(raw) => {
            let endpoint = raw.trim().trim_end_matches('/').to_owned();
            // The host of this URL is the one signed, so it must have one.
            let valid = endpoint.parse::<http::Uri>().is_ok_and(|uri| {
                matches!(uri.scheme_str(), Some("http" | "https"))
                    && uri.host().is_some()
                    && uri.path().trim_end_matches('/').is_empty()
            });
            if !valid {
                return Err(ConfigError::Invalid {
                    name: "BEDROCK_ENDPOINT",
                    reason: "must be an http(s) origin like http://127.0.0.1:4545".into(),
                });
            }
            endpoint
        }
    };
    let model_id = get("BEDROCK_MODEL_ID")
        .map(|id| id.trim().to_owned())
        .unwrap_or_else(|| DEFAULT_MODEL_ID.to_owned());
    let embedding_dimensions = match get("EMBEDDING_DIMENSIONS") {
        None => EmbeddingDimensions::D1024,
        Some(raw) => EmbeddingDimensions::parse(&raw).ok_or(ConfigError::Invalid {
            name: "EMBEDDING_DIMENSIONS",
            reason: "must be 256, 512 or 1024".into(),
        })?,
    };
    let retry_budget_ms = match get("BEDROCK_RETRY_BUDGET_MS") {
        None => DEFAULT_RETRY_BUDGET_MS,
        Some(raw) => raw
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|budget| *budget <= 25_000)
            .ok_or(ConfigError::Invalid {
                name: "BEDROCK_RETRY_BUDGET_MS",
                reason: "must be milliseconds, 0 to 25000".into(),
            })?,
    };
    Ok(Some(BedrockConfig {
        auth,
        region,
        endpoint,
        model_id,
        embedding_dimensions,
        retry_budget_ms,
    }))
}

// The bucket (S3). Set as a group by `S3_BUCKET`. Its own keys
// (`S3_ACCESS_KEY_ID`/`S3_SECRET_ACCESS_KEY`/`S3_SESSION_TOKEN`) win, so a deployment can
// give uploads an IAM identity limited to the bucket; without them the AWS keys the
// model uses are reused.
fn s3_config(
    get: &impl Fn(&'static str) -> Option<String>,
) -> Result<Option<S3Config>, ConfigError> {
    let Some(bucket) = get("S3_BUCKET").map(|bucket| bucket.trim().to_owned()) else {
        return Ok(None);
    };
    // S3's bucket naming rules, so the name is safe in a host and a path.
    let valid_bucket = (3..=63).contains(&bucket.len())
        && bucket.bytes().all(|byte| {
            byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-' || byte == b'.'
        })
        && !bucket.starts_with(['-', '.'])
        && !bucket.ends_with(['-', '.']);
    if !valid_bucket {
        return Err(ConfigError::Invalid {
            name: "S3_BUCKET",
            reason: "must be an S3 bucket name (3-63 of a-z 0-9 . -)".into(),
        });
    }
    let credentials = match (get("S3_ACCESS_KEY_ID"), get("S3_SECRET_ACCESS_KEY")) {
        (Some(id), Some(secret)) => AwsCredentials {
            access_key_id: Secret::new(id.trim()),
            secret_access_key: Secret::new(secret.trim()),
            session_token: get("S3_SESSION_TOKEN").map(|token| Secret::new(token.trim())),
        },
        (Some(_), None) => return Err(ConfigError::Missing("S3_SECRET_ACCESS_KEY")),
        (None, Some(_)) => return Err(ConfigError::Missing("S3_ACCESS_KEY_ID")),
        (None, None) => match (get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")) {
            (Some(id), Some(secret)) => AwsCredentials {
                access_key_id: Secret::new(id.trim()),
                secret_access_key: Secret::new(secret.trim()),
                session_token: get("AWS_SESSION_TOKEN").map(|token| Secret::new(token.trim())),
            },
            _ => return Err(ConfigError::Missing("S3_ACCESS_KEY_ID")),
        },
    };
    let region = get("S3_REGION")
        .map(|region| region.trim().to_owned())
        .unwrap_or_else(|| DEFAULT_REGION.to_owned());
    if region.is_empty()
        || !region
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
    {
        return Err(ConfigError::Invalid {
            name: "S3_REGION",
            reason: "must be a region name like us-east-1".into(),
        });
    }
    let endpoint = match get("S3_ENDPOINT") {
        None => S3Config::default_endpoint(&bucket, &region),
        Some(raw) => {
            let endpoint = raw.trim().trim_end_matches('/').to_owned();
            // Keys are appended to it and its host is signed: it needs both a host
            // and no query.
            let valid = endpoint.parse::<http::Uri>().is_ok_and(|uri| {
                matches!(uri.scheme_str(), Some("http" | "https"))
                    && uri.host().is_some()
                    && uri.query().is_none()
            });
            if !valid {
                return Err(ConfigError::Invalid {
                    name: "S3_ENDPOINT",
                    reason: "must be an http(s) URL like http://127.0.0.1:4447/bucket".into(),
                });
            }
            endpoint
        }
    };
    Ok(Some(S3Config {
        bucket,
        region,
        endpoint,
        credentials,
    }))
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

    pub(super) fn with(extra: &[(&'static str, &'static str)]) -> Result<Config, ConfigError> {
        let mut pairs = BASE.to_vec();
        pairs.extend_from_slice(extra);
        Config::from_lookup(lookup(&pairs))
    }

    #[test]
    fn a_video_cdn_domain_is_optional_and_must_be_a_host() {
        assert!(with(&[]).unwrap().video_cdn_domain.is_none());
        assert_eq!(
            with(&[("VIDEO_CDN_DOMAIN", "videos.tora.app")])
                .unwrap()
                .video_cdn_domain
                .unwrap()
                .as_str(),
            "videos.tora.app"
        );
        assert!(matches!(
            with(&[("VIDEO_CDN_DOMAIN", "https://videos.tora.app")]),
            Err(ConfigError::Invalid {
                name: "VIDEO_CDN_DOMAIN",
                ..
            })
        ));
    }

    #[test]
    fn without_model_credentials_there_is_no_model() {
        assert!(with(&[("BEDROCK_MODEL_ID", "x")]).unwrap().llm.is_none());
    }

    #[test]
    fn access_keys_configure_the_model_with_defaults() {
        let config = with(&[
            ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "very-secret"),
            ("AWS_SESSION_TOKEN", "session-secret"),
        ])
        .unwrap();
        let llm = config.llm.clone().unwrap();
        assert_eq!(llm.region, "us-east-1");
        assert_eq!(
            llm.endpoint,
            "https://bedrock-runtime.us-east-1.amazonaws.com"
        );
        assert_eq!(llm.model_id, "us.amazon.nova-lite-v1:0");
        assert_eq!(llm.embedding_dimensions, EmbeddingDimensions::D1024);
        assert_eq!(llm.retry_budget_ms, 8_000);
        let BedrockAuth::AccessKeys(credentials) = &llm.auth else {
            panic!("expected access keys");
        };
        assert_eq!(
            credentials.session_token.as_ref().unwrap().expose(),
            "session-secret"
        );
        let printed = format!("{config:?}");
        assert!(!printed.contains("very-secret") && !printed.contains("session-secret"));
    }

    #[test]
    fn an_api_key_is_preferred_to_access_keys() {
        let config = with(&[
            ("BEDROCK_API_KEY", "bedrock-key"),
            ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "very-secret"),
            ("BEDROCK_REGION", "eu-central-1"),
            ("BEDROCK_ENDPOINT", "http://127.0.0.1:4545/"),
            ("BEDROCK_MODEL_ID", "eu.amazon.nova-lite-v1:0"),
            ("EMBEDDING_DIMENSIONS", "256"),
        ])
        .unwrap();
        assert!(!format!("{config:?}").contains("bedrock-key"));
        let llm = config.llm.unwrap();
        assert_eq!(llm.auth, BedrockAuth::ApiKey(Secret::new("bedrock-key")));
        assert_eq!(llm.endpoint, "http://127.0.0.1:4545");
        assert_eq!(llm.region, "eu-central-1");
        assert_eq!(llm.model_id, "eu.amazon.nova-lite-v1:0");
        assert_eq!(llm.embedding_dimensions, EmbeddingDimensions::D256);
    }

    #[test]
    fn broken_model_settings_are_named() {
        let keys = [
            ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "very-secret"),
        ];
        assert_eq!(
            with(&keys[..1]).unwrap_err(),
            ConfigError::Missing("AWS_SECRET_ACCESS_KEY")
        );
        for (name, value) in [
            ("EMBEDDING_DIMENSIONS", "768"),
            ("BEDROCK_ENDPOINT", "bedrock.local"),
            ("BEDROCK_REGION", "us east"),
            ("BEDROCK_RETRY_BUDGET_MS", "60000"),
        ] {
            let mut pairs = keys.to_vec();
            pairs.push((name, value));
            assert!(
                matches!(with(&pairs), Err(ConfigError::Invalid { name: named, .. }) if named == name),
                "{name}={value}"
            );
        }
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

#[cfg(test)]
mod s3_tests {
    use super::tests::with;

    #[test]
    fn without_a_bucket_there_are_no_uploads() {
        let config = with(&[("AWS_ACCESS_KEY_ID", "a"), ("AWS_SECRET_ACCESS_KEY", "b")]).unwrap();
        assert!(config.s3.is_none());
        assert_eq!(config.upload_url_expires_secs, 900);
    }

    #[test]
    fn a_bucket_reuses_the_aws_keys_unless_it_has_its_own() {
        let shared = with(&[
            ("S3_BUCKET", "tora-uploads"),
            ("AWS_ACCESS_KEY_ID", "AKIAMODEL"),
            ("AWS_SECRET_ACCESS_KEY", "model-secret"),
        ])
        .unwrap()
        .s3
        .unwrap();
        assert_eq!(shared.credentials.access_key_id.expose(), "AKIAMODEL");
        assert_eq!(
            shared.endpoint,
            "https://tora-uploads.s3.us-east-1.amazonaws.com"
        );
        let own = with(&[
            ("S3_BUCKET", "tora-uploads"),
            ("S3_REGION", "eu-central-1"),
            ("S3_ENDPOINT", "http://127.0.0.1:4447/tora-uploads/"),
            ("S3_ACCESS_KEY_ID", "AKIABUCKET"),
            ("S3_SECRET_ACCESS_KEY", "bucket-secret"),
            ("AWS_ACCESS_KEY_ID", "AKIAMODEL"),
            ("AWS_SECRET_ACCESS_KEY", "model-secret"),
            ("UPLOAD_URL_EXPIRES_SECONDS", "5"),
        ])
        .unwrap();
        let s3 = own.s3.unwrap();
        assert_eq!(s3.credentials.access_key_id.expose(), "AKIABUCKET");
        assert_eq!(s3.region, "eu-central-1");
        assert_eq!(s3.endpoint, "http://127.0.0.1:4447/tora-uploads");
        assert_eq!(own.upload_url_expires_secs, 5);
    }

    #[test]
    fn broken_bucket_settings_are_named() {
        let named = |pairs: &[(&'static str, &'static str)]| match with(pairs) {
            Err(super::ConfigError::Invalid { name, .. } | super::ConfigError::Missing(name)) => {
                name
            }
            Ok(_) => "accepted",
        };
        assert_eq!(named(&[("S3_BUCKET", "tora-uploads")]), "S3_ACCESS_KEY_ID");
        assert_eq!(
            named(&[
                ("S3_BUCKET", "Tora_Uploads"),
                ("S3_ACCESS_KEY_ID", "a"),
                ("S3_SECRET_ACCESS_KEY", "b")
            ]),
            "S3_BUCKET"
        );
        assert_eq!(
            named(&[
                ("S3_BUCKET", "tora"),
                ("S3_ACCESS_KEY_ID", "a"),
                ("S3_SECRET_ACCESS_KEY", "b"),
                ("S3_ENDPOINT", "127.0.0.1:4447")
            ]),
            "S3_ENDPOINT"
        );
        assert_eq!(
            named(&[("UPLOAD_URL_EXPIRES_SECONDS", "0")]),
            "UPLOAD_URL_EXPIRES_SECONDS"
        );
    }
}
