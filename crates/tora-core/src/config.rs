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

/// What kind of thing a setting is, and where a deployment declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKind {
    /// A plain-text var (`[vars]` in `wrangler.toml`, a `plain_text` binding).
    Var,
    /// A secret (`wrangler secret put`, `.dev.vars`, a `secret_text` binding).
    Secret,
    /// A Workers Rate Limiting binding, called by `src/platform.rs`; `limit` requests
    /// per `period` seconds (10 or 60).
    RateLimit { limit: u32, period: u32 },
    /// A Cron Trigger schedule; `name` is the cron expression that runs
    /// `#[event(scheduled)]`.
    Cron,
}

impl SettingKind {
    /// The name of the kind in the README's configuration table.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Var => "var",
            Self::Secret => "secret",
            Self::RateLimit { .. } => "rate limit",
            Self::Cron => "cron",
        }
    }
}

/// One thing the worker reads from its deployment, declared once, here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub name: &'static str,
    pub kind: SettingKind,
    /// The worker does not start without it.
    pub required: bool,
    /// What it means, as the README's configuration table says it.
    pub meaning: &'static str,
}

impl Setting {
    const fn new(
        name: &'static str,
        kind: SettingKind,
        required: bool,
        meaning: &'static str,
    ) -> Self {
        Self {
            name,
            kind,
            required,
            meaning,
        }
    }
    const fn required_var(name: &'static str, meaning: &'static str) -> Self {
        Self::new(name, SettingKind::Var, true, meaning)
    }
    const fn optional_var(name: &'static str, meaning: &'static str) -> Self {
        Self::new(name, SettingKind::Var, false, meaning)
    }
    const fn required_secret(name: &'static str, meaning: &'static str) -> Self {
        Self::new(name, SettingKind::Secret, true, meaning)
    }
    const fn optional_secret(name: &'static str, meaning: &'static str) -> Self {
        Self::new(name, SettingKind::Secret, false, meaning)
    }

    /// Whether `Config::from_lookup` reads it (vars and secrets; bindings and the
    /// schedule are the runtime's).
    pub const fn is_read_by_config(&self) -> bool {
        matches!(self.kind, SettingKind::Var | SettingKind::Secret)
    }
}

/// The binding of the per-IP rate limit (`RateLimitScope::PerIp`).
pub const PER_IP_LIMITER: &str = "PER_IP_LIMITER";
/// The binding of the per-user rate limit (`RateLimitScope::PerUser`).
pub const PER_USER_LIMITER: &str = "PER_USER_LIMITER";

/// Every var, secret, binding and schedule the worker reads, with its meaning: the one
/// source of truth. `Config::from_lookup` reads only these names (a test records what it
/// reads), and a test in `crates/tora-dev` keeps `wrangler.toml`, the Terraform worker and
/// the README's configuration table equal to it.
pub const SETTINGS: &[Setting] = &[
    Setting::required_var(
        "NEON_SQL_URL",
        "Neon's SQL-over-HTTP endpoint, `https://<endpoint-host>/sql`",
    ),
    Setting::required_secret(
        "DATABASE_URL",
        "the Neon connection string (`postgresql://user:pass@host/db`)",
    ),
    Setting::required_var("JWT_ISSUER", "required `iss` of tokens"),
    Setting::required_var("JWT_AUDIENCE", "required `aud` of tokens"),
    Setting::optional_secret(
        "JWT_HS256_SECRET",
        "shared secret for HS256 tokens (raw bytes, e.g. Supabase legacy)",
    ),
    Setting::optional_var(
        "JWKS_URL",
        "JWKS for ES256/RS256 tokens; keys cached 10 min, refetched on an unknown `kid`",
    ),
    Setting::optional_var(
        "JWKS_UNKNOWN_KID_REFETCH_SECONDS",
        "least time between refetches caused by unknown `kid`s (default 30)",
    ),
    Setting::optional_var(
        "STARTER_CREDITS",
        "credits granted on a subject's first request, once ever (default 100)",
    ),
    Setting::optional_var(
        "TOKENS_PER_CREDIT",
        "tokens one credit buys (default 3000); balances are kept in tokens, so changing it reprices what is shown, not what is held",
    ),
    Setting::optional_secret(
        "ADMIN_API_SECRET",
        "bearer secret of `POST /admin/credits`, compared in constant time; unset, admin routes refuse everyone",
    ),
    Setting::required_secret(
        "SUBJECT_HASH_KEY",
        "HMAC key of the subject hashes that remember a starter grant after erasure (required; changing it forgets who had one)",
    ),
    Setting::optional_var(
        "CORS_ALLOWED_ORIGINS",
        "comma-separated exact origins allowed from browsers",
    ),
    Setting::optional_var(
        "RATE_LIMIT_PERIOD_SECONDS",
        "the rate limit window, sent as `retry-after` (default 60)",
    ),
    Setting::optional_secret(
        "BEDROCK_API_KEY",
        "a Bedrock API key, sent as `Authorization: Bearer`; used instead of the AWS keys when set",
    ),
    Setting::optional_secret(
        "AWS_ACCESS_KEY_ID",
        "IAM access key for Bedrock (SigV4); needs `bedrock:InvokeModel` on the model and, for a `us.` profile, on the model in every destination region",
    ),
    Setting::optional_secret("AWS_SECRET_ACCESS_KEY", "its secret key"),
    Setting::optional_secret("AWS_SESSION_TOKEN", "optional, with temporary credentials"),
    Setting::optional_var(
        "BEDROCK_MODEL_ID",
        "Converse model or inference profile id or ARN (default `us.amazon.nova-lite-v1:0`)",
    ),
    Setting::optional_var(
        "BEDROCK_REGION",
        "signing region and default endpoint's region (default `us-east-1`)",
    ),
    Setting::optional_var(
        "BEDROCK_ENDPOINT",
        "override of `https://bedrock-runtime.<region>.amazonaws.com`, e.g. a local double on `http://127.0.0.1:<port>`",
    ),
    Setting::optional_var(
        "EMBEDDING_DIMENSIONS",
        "Titan Text Embeddings V2 size: 256, 512 or 1024 (default 1024)",
    ),
    Setting::optional_var(
        "BEDROCK_RETRY_BUDGET_MS",
        "most time one model call may spend across retries, 0–25000 (default 8000)",
    ),
    Setting::optional_var(
        "CHAT_MODEL_WAIT_MS",
        "how long a chat request waits for the model before answering 202 `pending`, 0–25000 (default 5000)",
    ),
    Setting::optional_var(
        "MODEL_MIN_CONFIDENCE",
        "below this confidence (0–1, default 0.6) the model's reading is `proposed`, not logged",
    ),
    Setting::optional_var(
        "PENDING_MAX_ATTEMPTS",
        "model reads of a pending message before it is `failed`, 1–20 (default 5)",
    ),
    Setting::optional_var(
        "PENDING_RETRY_BASE_SECONDS",
        "wait after a message's first failed read; doubles per failure (default 60)",
    ),
    Setting::optional_var(
        "S3_BUCKET",
        "the uploads bucket; unset, there are no uploads and the other `S3_*` settings are not read",
    ),
    Setting::optional_var(
        "S3_REGION",
        "the bucket's region, signed into every URL (default `us-east-1`)",
    ),
    Setting::optional_var(
        "S3_ENDPOINT",
        "override of the virtual-hosted `https://<bucket>.s3.<region>.amazonaws.com`; a path-style URL with the bucket in it, e.g. `http://127.0.0.1:4447/<bucket>` for the local double",
    ),
    Setting::optional_secret(
        "S3_ACCESS_KEY_ID",
        "the bucket's own IAM key (`s3:PutObject`, `s3:GetObject`, `s3:DeleteObject` on `users/*`); unset, `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN` are reused",
    ),
    Setting::optional_secret(
        "S3_SECRET_ACCESS_KEY",
        "its secret key (required with `S3_ACCESS_KEY_ID`)",
    ),
    Setting::optional_secret(
        "S3_SESSION_TOKEN",
        "optional, with temporary credentials; a presigned URL dies with them",
    ),
    Setting::optional_var(
        "UPLOAD_URL_EXPIRES_SECONDS",
        "how long a presigned upload URL works, 1–604800 (default 900)",
    ),
    Setting::optional_var(
        "VIDEO_CDN_DOMAIN",
        "host of the CloudFront distribution serving exercise videos (`videos.tora.app`, no scheme); unset, `video_url` falls back to presigned storage links",
    ),
    Setting::new(
        PER_IP_LIMITER,
        SettingKind::RateLimit {
            limit: 600,
            period: 60,
        },
        false,
        "every request, keyed by client IP, before authentication; unbound, requests are not limited",
    ),
    Setting::new(
        PER_USER_LIMITER,
        SettingKind::RateLimit {
            limit: 120,
            period: 60,
        },
        false,
        "authenticated requests, keyed by the token's subject; unbound, requests are not limited",
    ),
    Setting::new(
        "*/5 * * * *",
        SettingKind::Cron,
        false,
        "the scheduled jobs: expired credit holds given back, due pending messages retried",
    ),
];

/// The setting called `name`, if the worker reads one.
pub fn setting(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|setting| setting.name == name)
}

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
mod settings_tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::{BTreeSet, HashMap};

    /// A valid value for every var and secret, so that every branch of the parsing runs.
    const EVERYTHING: &[(&str, &str)] = &[
        ("NEON_SQL_URL", "http://127.0.0.1:4444/sql"),
        ("DATABASE_URL", "postgresql://tora:tora@localhost/tora"),
        ("JWT_ISSUER", "https://auth.example/auth/v1"),
        ("JWT_AUDIENCE", "authenticated"),
        ("JWT_HS256_SECRET", "dev-secret-with-enough-length-000"),
        (
            "JWKS_URL",
            "https://auth.example/auth/v1/.well-known/jwks.json",
        ),
        ("JWKS_UNKNOWN_KID_REFETCH_SECONDS", "30"),
        ("STARTER_CREDITS", "100"),
        ("TOKENS_PER_CREDIT", "3000"),
        ("ADMIN_API_SECRET", "admin-secret"),
        ("SUBJECT_HASH_KEY", "subject-hash-key"),
        ("CORS_ALLOWED_ORIGINS", "https://app.tora.app"),
        ("RATE_LIMIT_PERIOD_SECONDS", "60"),
        ("BEDROCK_API_KEY", "bedrock-key"),
        ("AWS_ACCESS_KEY_ID", "AKIAMODEL"),
        ("AWS_SECRET_ACCESS_KEY", "model-secret"),
        ("AWS_SESSION_TOKEN", "model-session"),
        ("BEDROCK_MODEL_ID", "us.amazon.nova-lite-v1:0"),
        ("BEDROCK_REGION", "us-east-1"),
        ("BEDROCK_ENDPOINT", "http://127.0.0.1:4446"),
        ("EMBEDDING_DIMENSIONS", "1024"),
        ("BEDROCK_RETRY_BUDGET_MS", "8000"),
        ("CHAT_MODEL_WAIT_MS", "5000"),
        ("MODEL_MIN_CONFIDENCE", "0.6"),
        ("PENDING_MAX_ATTEMPTS", "5"),
        ("PENDING_RETRY_BASE_SECONDS", "60"),
        ("S3_BUCKET", "tora-uploads"),
        ("S3_REGION", "us-east-1"),
        ("S3_ENDPOINT", "http://127.0.0.1:4447/tora-uploads"),
        ("S3_ACCESS_KEY_ID", "AKIABUCKET"),
        ("S3_SECRET_ACCESS_KEY", "bucket-secret"),
        ("S3_SESSION_TOKEN", "bucket-session"),
        ("UPLOAD_URL_EXPIRES_SECONDS", "900"),
        ("VIDEO_CDN_DOMAIN", "videos.tora.app"),
    ];

    /// The names `from_lookup` asks for when given `values` (it must accept them).
    fn names_read(values: &[(&str, &str)]) -> BTreeSet<String> {
        let values: HashMap<&str, &str> = values.iter().copied().collect();
        let read = RefCell::new(BTreeSet::new());
        let config = Config::from_lookup(|name| {
            read.borrow_mut().insert(name.to_owned());
            values.get(name).map(|value| (*value).to_owned())
        });
        assert!(config.is_ok(), "the example values are valid: {config:?}");
        read.into_inner()
    }

    #[test]
    fn from_lookup_reads_exactly_the_declared_vars_and_secrets() {
        // Some names are read only on some paths: the model's session token when its
        // access keys are used, the AWS keys again when the bucket has none of its own.
        let without = |names: &[&str]| -> Vec<(&str, &str)> {
            EVERYTHING
                .iter()
                .copied()
                .filter(|(name, _)| !names.contains(name))
                .collect()
        };
        let mut read = names_read(EVERYTHING);
        read.extend(names_read(&without(&[
            "BEDROCK_API_KEY",
            "S3_ACCESS_KEY_ID",
            "S3_SECRET_ACCESS_KEY",
            "S3_SESSION_TOKEN",
        ])));
        let declared: BTreeSet<String> = SETTINGS
            .iter()
            .filter(|setting| setting.is_read_by_config())
            .map(|setting| setting.name.to_owned())
            .collect();
        let undeclared: Vec<_> = read.difference(&declared).collect();
        assert!(
            undeclared.is_empty(),
            "Config::from_lookup reads {undeclared:?}, which config::SETTINGS does not \
             declare: add each to the table with its kind and meaning"
        );
        let unread: Vec<_> = declared.difference(&read).collect();
        assert!(
            unread.is_empty(),
            "config::SETTINGS declares {unread:?} as vars or secrets, but \
             Config::from_lookup never reads them (or this test gives them no value)"
        );
    }

    #[test]
    fn every_setting_is_declared_once_with_a_meaning() {
        let mut names = BTreeSet::new();
        for setting in SETTINGS {
            assert!(names.insert(setting.name), "{} twice", setting.name);
            assert!(!setting.meaning.trim().is_empty(), "{}", setting.name);
            assert!(
                !setting.meaning.contains('|'),
                "{}: breaks the table",
                setting.name
            );
        }
        assert_eq!(
            setting(PER_IP_LIMITER).map(|setting| setting.kind.label()),
            Some("rate limit")
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
