//! AWS Signature Version 4 (header form) for outbound requests, with the `aws-sigv4`
//! crate doing the canonicalization and the HMAC chain.
//!
//! What this module adds around the crate:
//! - time comes from the `Clock` port: `SystemTime::now` panics on wasm32, so the
//!   signing time is `UNIX_EPOCH + millis` from the clock;
//! - credentials are `Secret`s, so a key never reaches a log line;
//! - the host signed is the host of the request's own URI (the crate derives it, with
//!   a non-default port kept), so whatever endpoint the request goes to is the one
//!   signed — a local double on 127.0.0.1 included;
//! - no request without a host reaches the crate, which would panic on it.
//!
//! Bedrock wants the defaults: double percent-encoding of the already-encoded path
//! (a model id `a:0` travels as `a%3A0` and is signed as `a%253A0`), dot segments
//! normalized, the session token sent as a signed `x-amz-security-token` header and no
//! `x-amz-content-sha256` header.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SessionTokenMode, SignableBody, SignableRequest,
    SigningSettings, UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use http::Request;

use crate::ports::Clock;
use crate::secret::Secret;

/// Long- or short-term AWS credentials. Every part prints as `***`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsCredentials {
    pub access_key_id: Secret,
    pub secret_access_key: Secret,
    /// Present with temporary (STS) credentials; sent as `x-amz-security-token`.
    pub session_token: Option<Secret>,
}

/// Who signs and for which service and region (`bedrock`, not `bedrock-runtime`).
#[derive(Clone, Debug)]
pub struct SigningScope<'a> {
    pub credentials: &'a AwsCredentials,
    pub region: &'a str,
    pub service: &'a str,
}

/// Departures from Bedrock's signing rules, which the defaults follow. The published
/// test suite needs the others; S3 has its own set (`SigningOptions::S3`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigningOptions {
    /// Remove `.`/`..` segments and repeated slashes before signing the path.
    pub normalize_path: bool,
    /// `false`: the session token is added to the request after signing, unsigned
    /// (a few services want that); `true`: it is a signed header.
    pub sign_session_token: bool,
    /// Send the payload's hash as `x-amz-content-sha256` (S3 requires it).
    pub payload_hash_header: bool,
    /// Encode the already-encoded wire path once more for the canonical request, as
    /// every service but S3 expects (`%3A` signs as `%253A`).
    pub double_encode_path: bool,
}

impl SigningOptions {
    /// S3's rules: the path signed as sent (no dot-segment or slash normalisation, a
    /// key like `a//b` is a different object), encoded once, the payload hash sent.
    pub const S3: Self = Self {
        normalize_path: false,
        sign_session_token: true,
        payload_hash_header: true,
        double_encode_path: false,
    };
}

impl Default for SigningOptions {
    fn default() -> Self {
        Self {
            normalize_path: true,
            sign_session_token: true,
            payload_hash_header: false,
            double_encode_path: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningError {
    #[error("the request URI has no host to sign")]
    NoHost,
    #[error("header {0} is not visible ASCII and cannot be signed")]
    UnsignableHeader(String),
    #[error("signing failed: {0}")]
    Failed(String),
}

/// The signing time the clock gives, as the `SystemTime` the crate wants. Times before
/// 1970 cannot come from a working clock; they sign as the epoch and fail upstream as
/// a skewed signature rather than panicking here.
pub fn signing_time(clock: &impl Clock) -> SystemTime {
    let millis = u64::try_from(clock.now_millis()).unwrap_or(0);
    UNIX_EPOCH + Duration::from_millis(millis)
}

/// Signs `request` in place: adds `x-amz-date`, `authorization` and, with session
/// credentials, `x-amz-security-token`. Every header already on the request is signed
/// (except those the crate never signs, like `user-agent`); `host` is taken from the URI
/// unless the request carries one.
pub fn sign_request(
    request: &mut Request<Vec<u8>>,
    scope: &SigningScope<'_>,
    options: SigningOptions,
    time: SystemTime,
) -> Result<(), SigningError> {
    if request.uri().host().is_none() {
        return Err(SigningError::NoHost);
    }
    let credentials = Credentials::new(
        scope.credentials.access_key_id.expose(),
        scope.credentials.secret_access_key.expose(),
        scope
            .credentials
            .session_token
            .as_ref()
            .map(|token| token.expose().to_owned()),
        None,
        "tora",
    );
    let identity = credentials.into();

    let mut settings = SigningSettings::default();
    settings.uri_path_normalization_mode = if options.normalize_path {
        UriPathNormalizationMode::Enabled
    } else {
        UriPathNormalizationMode::Disabled
    };
    settings.session_token_mode = if options.sign_session_token {
        SessionTokenMode::Include
    } else {
        SessionTokenMode::Exclude
    };
    settings.percent_encoding_mode = if options.double_encode_path {
        PercentEncodingMode::Double
    } else {
        PercentEncodingMode::Single
    };
    settings.payload_checksum_kind = if options.payload_hash_header {
        PayloadChecksumKind::XAmzSha256
    } else {
        PayloadChecksumKind::NoHeader
    };

    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(scope.region)
        .name(scope.service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|error| SigningError::Failed(error.to_string()))?
        .into();

    let mut headers = Vec::with_capacity(request.headers().len());
    for (name, value) in request.headers() {
        let value = value
            .to_str()
            .map_err(|_| SigningError::UnsignableHeader(name.as_str().to_owned()))?;
        headers.push((name.as_str(), value));
    }
    let uri = request.uri().to_string();
    let signable = SignableRequest::new(
        request.method().as_str(),
        uri,
        headers.into_iter(),
        SignableBody::Bytes(request.body()),
    )
    .map_err(|error| SigningError::Failed(error.to_string()))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|error| SigningError::Failed(error.to_string()))?
        .into_parts();
    instructions.apply_to_request_http1x(request);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct At(i64);
    impl Clock for At {
        fn now_millis(&self) -> i64 {
            self.0
        }
    }

    fn credentials(token: Option<&str>) -> AwsCredentials {
        AwsCredentials {
            access_key_id: Secret::new("AKIDEXAMPLE"),
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            session_token: token.map(Secret::new),
        }
    }

    fn post(uri: &str) -> Request<Vec<u8>> {
        Request::post(uri)
            .header("content-type", "application/json")
            .body(b"{}".to_vec())
            .unwrap()
    }

    #[test]
    fn the_signing_time_is_the_clock_time() {
        // 2015-08-30T12:36:00Z
        let time = signing_time(&At(1_440_938_160_000));
        let mut request = post("https://example.amazonaws.com/");
        let creds = credentials(None);
        let scope = SigningScope {
            credentials: &creds,
            region: "us-east-1",
            service: "service",
        };
        sign_request(&mut request, &scope, SigningOptions::default(), time).unwrap();
        assert_eq!(request.headers()["x-amz-date"], "20150830T123600Z");
    }

    #[test]
    fn a_session_token_is_sent_and_signed() {
        let creds = credentials(Some("session-token"));
        let scope = SigningScope {
            credentials: &creds,
            region: "us-east-1",
            service: "bedrock",
        };
        let mut request = post("https://bedrock-runtime.us-east-1.amazonaws.com/x");
        sign_request(&mut request, &scope, SigningOptions::default(), UNIX_EPOCH).unwrap();
        assert_eq!(request.headers()["x-amz-security-token"], "session-token");
        let authorization = request.headers()["authorization"].to_str().unwrap();
        assert!(
            authorization
                .contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token"),
            "{authorization}"
        );
    }

    #[test]
    fn the_host_signed_is_the_host_sent_port_included() {
        let creds = credentials(None);
        let scope = SigningScope {
            credentials: &creds,
            region: "us-east-1",
            service: "bedrock",
        };
        let mut derived = post("http://127.0.0.1:9911/model/a%3A0/converse");
        sign_request(&mut derived, &scope, SigningOptions::default(), UNIX_EPOCH).unwrap();
        let mut explicit = post("http://127.0.0.1:9911/model/a%3A0/converse");
        explicit
            .headers_mut()
            .insert("host", "127.0.0.1:9911".parse().unwrap());
        sign_request(&mut explicit, &scope, SigningOptions::default(), UNIX_EPOCH).unwrap();
        let mut other_port = post("http://127.0.0.1:9912/model/a%3A0/converse");
        sign_request(
            &mut other_port,
            &scope,
            SigningOptions::default(),
            UNIX_EPOCH,
        )
        .unwrap();

        assert_eq!(
            derived.headers()["authorization"],
            explicit.headers()["authorization"]
        );
        assert_ne!(
            derived.headers()["authorization"],
            other_port.headers()["authorization"]
        );
        assert!(
            !derived.headers().contains_key("host"),
            "the platform sets host from the URL"
        );
    }

    #[test]
    fn a_request_without_a_host_is_refused_instead_of_panicking() {
        let creds = credentials(None);
        let scope = SigningScope {
            credentials: &creds,
            region: "us-east-1",
            service: "bedrock",
        };
        let mut request = post("/model/x/converse");
        assert_eq!(
            sign_request(&mut request, &scope, SigningOptions::default(), UNIX_EPOCH),
            Err(SigningError::NoHost)
        );
    }
}
