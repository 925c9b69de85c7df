//! SigV4 as S3 checks it, for both forms: the double signs the received request again
//! with the secret it knows, using `aws-sigv4` with S3's rules (path as sent, encoded
//! once, not normalised; signing name `s3`), and compares in constant time.
//!
//! - Presigned (query) form: the signature covers the method, the path, the query
//!   without `X-Amz-Signature`, the headers named in `X-Amz-SignedHeaders` (a PUT's
//!   `content-type` and `content-length`) and `UNSIGNED-PAYLOAD`. Expiry is
//!   `X-Amz-Date + X-Amz-Expires`.
//! - Header form: `Authorization`, `x-amz-date` within 15 minutes, and
//!   `x-amz-content-sha256`, which must be the body's hash (or `UNSIGNED-PAYLOAD`).

use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SessionTokenMode, SignableBody, SignableRequest,
    SignatureLocation, SigningSettings, UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use http::{HeaderMap, StatusCode};
use percent_encoding::percent_decode_str;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::bedrock_double::sigv4::{format_amz_date, parse_amz_date, system_time};

pub const SERVICE: &str = "s3";

/// S3 refuses header-signed requests further than this from its clock.
pub const MAX_SKEW_SECS: i64 = 15 * 60;

/// The one key pair the double accepts, and its region.
#[derive(Clone)]
pub struct Accepted {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub region: String,
}

/// An error in S3's shape: status, `Code`, `Message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Error {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl S3Error {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }
    pub fn signature_does_not_match() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        )
    }
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "AccessDenied", message)
    }
    fn invalid_access_key() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        )
    }
    fn invalid_token() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidToken",
            "The provided token is malformed or otherwise invalid.",
        )
    }
    fn query_error(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "AuthorizationQueryParametersError",
            message,
        )
    }
    fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidRequest", message)
    }
}

/// The request as received: raw (still encoded) path and query, headers, body.
pub struct Received<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// `(name, decoded value)` pairs of a raw query, in order.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |text: &str| percent_decode_str(text).decode_utf8_lossy().into_owned();
            (decode(name), decode(value))
        })
        .collect()
}

/// Checks the request's signature at `now_secs` (Unix seconds), in whichever form it
/// carries one.
pub fn verify(expected: &Accepted, request: &Received<'_>, now_secs: i64) -> Result<(), S3Error> {
    let pairs = query_pairs(request.query);
    if pairs.iter().any(|(name, _)| name == "X-Amz-Algorithm") {
        verify_presigned(expected, request, &pairs, now_secs)
    } else if request.headers.contains_key("authorization") {
        verify_header(expected, request, now_secs)
    } else {
        Err(S3Error::access_denied("Access Denied"))
    }
}

fn verify_presigned(
    expected: &Accepted,
    request: &Received<'_>,
    pairs: &[(String, String)],
    now_secs: i64,
) -> Result<(), S3Error> {
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let (
        Some(algorithm),
        Some(credential),
        Some(amz_date),
        Some(expires),
        Some(signed),
        Some(signature),
    ) = (
        param("X-Amz-Algorithm"),
        param("X-Amz-Credential"),
        param("X-Amz-Date"),
        param("X-Amz-Expires"),
        param("X-Amz-SignedHeaders"),
        param("X-Amz-Signature"),
    )
    else {
        return Err(S3Error::query_error(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        ));
    };
    if algorithm != "AWS4-HMAC-SHA256" {
        return Err(S3Error::query_error(
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"",
        ));
    }
    let Some(signed_at) = parse_amz_date(amz_date) else {
        return Err(S3Error::query_error(
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
        ));
    };
    let Some(expires) = expires
        .parse::<u32>()
        .ok()
        .filter(|secs| (1..=604_800).contains(secs))
    else {
        return Err(S3Error::query_error(
            "X-Amz-Expires must be a number of seconds from 1 to 604800",
        ));
    };
    if credential.split('/').next() != Some(expected.access_key_id.as_str()) {
        return Err(S3Error::invalid_access_key());
    }
    check_token(expected, param("X-Amz-Security-Token"))?;
    if now_secs > signed_at + i64::from(expires) {
        return Err(S3Error::access_denied("Request has expired"));
    }
    let signed_headers: Vec<String> = signed.split(';').map(str::to_ascii_lowercase).collect();
    // The crate adds the X-Amz-* parameters itself; anything else is signed as sent.
    let rest: Vec<&str> = request
        .query
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with("X-Amz-"))
        .collect();
    let mut settings = s3_settings();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(u64::from(expires)));
    let recomputed = recompute(
        expected,
        request,
        &rest.join("&"),
        &signed_headers,
        signed_at,
        settings,
        SignableBody::UnsignedPayload,
    )?;
    compare(&recomputed, signature)
}

fn verify_header(
    expected: &Accepted,
    request: &Received<'_>,
    now_secs: i64,
) -> Result<(), S3Error> {
    let authorization = header(request.headers, "authorization").unwrap_or_default();
    let Some(parts) = authorization.strip_prefix("AWS4-HMAC-SHA256 ") else {
        return Err(S3Error::invalid_request(
            "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
        ));
    };
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in parts.split(',') {
        let part = part.trim();
        if let Some(value) = part.strip_prefix("Credential=") {
            credential = Some(value);
        } else if let Some(value) = part.strip_prefix("SignedHeaders=") {
            signed = Some(value);
        } else if let Some(value) = part.strip_prefix("Signature=") {
            signature = Some(value);
        }
    }
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        return Err(S3Error::new(
            StatusCode::BAD_REQUEST,
            "AuthorizationHeaderMalformed",
            "The authorization header is malformed; it needs Credential, SignedHeaders and Signature.",
        ));
    };
    if credential.split('/').next() != Some(expected.access_key_id.as_str()) {
        return Err(S3Error::invalid_access_key());
    }
    let Some(signed_at) = header(request.headers, "x-amz-date").and_then(parse_amz_date) else {
        return Err(S3Error::access_denied(
            "AWS authentication requires a valid Date or x-amz-date header",
        ));
    };
    if (signed_at - now_secs).abs() > MAX_SKEW_SECS {
        return Err(S3Error::new(
            StatusCode::FORBIDDEN,
            "RequestTimeTooSkewed",
            format!(
                "The difference between the request time ({}) and the current time ({}) is too large.",
                format_amz_date(signed_at),
                format_amz_date(now_secs)
            ),
        ));
    }
    check_token(expected, header(request.headers, "x-amz-security-token"))?;
    let Some(content_sha256) = header(request.headers, "x-amz-content-sha256") else {
        return Err(S3Error::invalid_request(
            "Missing required header for this request: x-amz-content-sha256",
        ));
    };
    if content_sha256 != "UNSIGNED-PAYLOAD" && content_sha256 != hex(&Sha256::digest(request.body))
    {
        return Err(S3Error::new(
            StatusCode::BAD_REQUEST,
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ));
    }
    let signed_headers: Vec<String> = signed.split(';').map(str::to_ascii_lowercase).collect();
    if !signed_headers.iter().any(|name| name == "host") {
        return Err(S3Error::signature_does_not_match());
    }
    let recomputed = recompute(
        expected,
        request,
        request.query,
        &signed_headers,
        signed_at,
        s3_settings(),
        SignableBody::Precomputed(content_sha256.to_owned()),
    )?;
    compare(&recomputed, signature)
}

fn check_token(expected: &Accepted, sent: Option<&str>) -> Result<(), S3Error> {
    match (&expected.session_token, sent) {
        (None, None) => Ok(()),
        (Some(token), Some(sent)) if token == sent => Ok(()),
        _ => Err(S3Error::invalid_token()),
    }
}

fn s3_settings() -> SigningSettings {
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.session_token_mode = SessionTokenMode::Include;
    // The payload hash, when signed, arrives among the signed headers.
    settings.payload_checksum_kind = PayloadChecksumKind::NoHeader;
    // Only the headers the client listed are passed in, so none must be dropped.
    settings.excluded_headers = None;
    settings
}

fn recompute(
    expected: &Accepted,
    request: &Received<'_>,
    query: &str,
    signed_headers: &[String],
    signed_at: i64,
    settings: SigningSettings,
    body: SignableBody<'_>,
) -> Result<String, S3Error> {
    let mut headers = Vec::new();
    for name in signed_headers {
        // aws-sigv4 adds these itself, from the time and the identity.
        if name == "x-amz-date" || name == "x-amz-security-token" {
            continue;
        }
        let values: Vec<&str> = request
            .headers
            .get_all(name.as_str())
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect();
        if values.is_empty() {
            return Err(S3Error::signature_does_not_match());
        }
        for value in values {
            headers.push((name.as_str(), value));
        }
    }
    let host = header(request.headers, "host").unwrap_or("localhost");
    let uri = if query.is_empty() {
        format!("http://{host}{}", request.path)
    } else {
        format!("http://{host}{}?{query}", request.path)
    };
    let identity = Credentials::new(
        &expected.access_key_id,
        &expected.secret_access_key,
        expected.session_token.clone(),
        None,
        "s3-double",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&expected.region)
        .name(SERVICE)
        .time(system_time(signed_at))
        .settings(settings)
        .build()
        .map_err(|error| {
            S3Error::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                error.to_string(),
            )
        })?
        .into();
    let signable = SignableRequest::new(request.method, &uri, headers.into_iter(), body)
        .map_err(|_| S3Error::signature_does_not_match())?;
    let (_instructions, signature) = sign(signable, &params)
        .map_err(|error| {
            S3Error::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                error.to_string(),
            )
        })?
        .into_parts();
    Ok(signature)
}

fn compare(recomputed: &str, sent: &str) -> Result<(), S3Error> {
    if bool::from(recomputed.as_bytes().ct_eq(sent.as_bytes())) {
        Ok(())
    } else {
        Err(S3Error::signature_does_not_match())
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
