//! SigV4 verification as Bedrock's auth layer does it: the double recomputes the
//! signature of the request it received with the secret it knows, using `aws-sigv4`
//! (AWS's own canonicalisation for non-S3 services: normalised, double-encoded path,
//! signing name `bedrock`), and compares in constant time. Everything that can be
//! checked before the signature (header shape, key id, scope, clock skew, session token)
//! is checked first, in the order AWS reports it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use http::HeaderMap;
use subtle::ConstantTimeEq as _;

use super::AwsError;

/// The signing name Bedrock Runtime uses (not `bedrock-runtime`).
pub const SERVICE: &str = "bedrock";

/// How far `x-amz-date` may be from the double's clock, either way.
pub const MAX_SKEW_SECS: i64 = 5 * 60;

/// What the double accepts: one key pair, optionally a session token and an API key.
#[derive(Clone)]
pub struct Accepted {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub api_key: Option<String>,
    pub region: String,
}

/// How a request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    SigV4,
    ApiKey,
}

/// The request as received: raw path and query (still percent-encoded), headers, body.
pub struct Received<'a> {
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Checks the request's credentials at `now_secs` (Unix seconds).
pub fn verify(
    expected: &Accepted,
    request: &Received<'_>,
    now_secs: i64,
) -> Result<Verified, AwsError> {
    let Some(authorization) = header(request.headers, "authorization") else {
        return Err(AwsError::missing_authentication());
    };
    if let Some(key) = authorization.strip_prefix("Bearer ") {
        return match &expected.api_key {
            Some(api_key) if bool::from(key.trim().as_bytes().ct_eq(api_key.as_bytes())) => {
                Ok(Verified::ApiKey)
            }
            _ => Err(AwsError::unrecognized_client()),
        };
    }
    let Some(parts) = authorization.strip_prefix("AWS4-HMAC-SHA256 ") else {
        return Err(AwsError::incomplete_signature(format!(
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature= is not a valid authorization header: {}",
            authorization.split(' ').next().unwrap_or_default()
        )));
    };
    let authorization = Authorization::parse(parts)?;

    let Some(amz_date) = header(request.headers, "x-amz-date") else {
        return Err(AwsError::incomplete_signature(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        ));
    };
    let Some(signed_at) = parse_amz_date(amz_date) else {
        return Err(AwsError::incomplete_signature(format!(
            "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )));
    };
    if !authorization
        .signed_headers
        .iter()
        .any(|name| name == "host")
    {
        return Err(AwsError::incomplete_signature(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }

    // The key id before anything that needs the secret: an unknown key is not a
    // signature problem.
    if authorization.access_key_id != expected.access_key_id {
        return Err(AwsError::unrecognized_client());
    }
    let [date, region, service, terminator] = authorization.scope.as_slice() else {
        return Err(AwsError::incomplete_signature(format!(
            "Credential should be scoped to a valid region. Credential={}",
            authorization.credential
        )));
    };
    if *terminator != "aws4_request" {
        return Err(AwsError::invalid_signature(
            "Credential should be scoped with a valid terminator: 'aws4_request'.",
        ));
    }
    if *region != expected.region {
        return Err(AwsError::invalid_signature(format!(
            "Credential should be scoped to a valid region, not '{region}'."
        )));
    }
    if *service != SERVICE {
        return Err(AwsError::invalid_signature(format!(
            "Credential should be scoped to correct service: '{SERVICE}'."
        )));
    }
    if !amz_date.starts_with(date.as_str()) {
        return Err(AwsError::invalid_signature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{date}' != '{}', from '{amz_date}'.",
            amz_date.get(..8).unwrap_or(amz_date)
        )));
    }
    if signed_at < now_secs - MAX_SKEW_SECS {
        return Err(AwsError::invalid_signature(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 5 min.)",
            format_amz_date(now_secs - MAX_SKEW_SECS),
            format_amz_date(now_secs)
        )));
    }
    if signed_at > now_secs + MAX_SKEW_SECS {
        return Err(AwsError::invalid_signature(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 5 min.)",
            format_amz_date(now_secs + MAX_SKEW_SECS),
            format_amz_date(now_secs)
        )));
    }
    let sent_token = header(request.headers, "x-amz-security-token");
    match (&expected.session_token, sent_token) {
        (None, None) => {}
        (Some(token), Some(sent)) if token == sent => {}
        _ => return Err(AwsError::unrecognized_client()),
    }

    let recomputed = recompute(expected, request, &authorization.signed_headers, signed_at)?;
    if bool::from(
        recomputed
            .as_bytes()
            .ct_eq(authorization.signature.as_bytes()),
    ) {
        Ok(Verified::SigV4)
    } else {
        Err(AwsError::invalid_signature(
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        ))
    }
}

/// Signs the received request again, with only the headers it says it signed.
fn recompute(
    expected: &Accepted,
    request: &Received<'_>,
    signed_headers: &[String],
    signed_at: i64,
) -> Result<String, AwsError> {
    let mut headers = Vec::new();
    for name in signed_headers {
        // aws-sigv4 adds these two itself, from the time and the identity.
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
            return Err(AwsError::invalid_signature(
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
            ));
        }
        for value in values {
            headers.push((name.as_str(), value));
        }
    }
    let host = header(request.headers, "host").unwrap_or("localhost");
    let uri = format!("http://{host}{}", request.path_and_query);
    let identity = Credentials::new(
        &expected.access_key_id,
        &expected.secret_access_key,
        expected.session_token.clone(),
        None,
        "bedrock-double",
    )
    .into();
    let mut settings = SigningSettings::default();
    // Only the headers the client listed are passed in, so none must be dropped
    // (a client may sign `user-agent`).
    settings.excluded_headers = None;
    let time = UNIX_EPOCH + Duration::from_secs(u64::try_from(signed_at).unwrap_or_default());
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&expected.region)
        .name(SERVICE)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|error| AwsError::internal(format!("signing params: {error}")))?
        .into();
    let signable = SignableRequest::new(
        request.method,
        &uri,
        headers.into_iter(),
        SignableBody::Bytes(request.body),
    )
    .map_err(|_| {
        AwsError::invalid_signature(
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        )
    })?;
    let (_instructions, signature) = sign(signable, &params)
        .map_err(|error| AwsError::internal(format!("signing: {error}")))?
        .into_parts();
    Ok(signature)
}

/// `Credential=AKID/20231114/us-east-1/bedrock/aws4_request, SignedHeaders=a;b, Signature=hex`.
struct Authorization {
    credential: String,
    access_key_id: String,
    scope: Vec<String>,
    signed_headers: Vec<String>,
    signature: String,
}

impl Authorization {
    fn parse(parts: &str) -> Result<Self, AwsError> {
        let mut credential = None;
        let mut signed_headers = None;
        let mut signature = None;
        for part in parts.split(',') {
            let part = part.trim();
            if let Some(value) = part.strip_prefix("Credential=") {
                credential = Some(value.to_owned());
            } else if let Some(value) = part.strip_prefix("SignedHeaders=") {
                signed_headers = Some(value.to_owned());
            } else if let Some(value) = part.strip_prefix("Signature=") {
                signature = Some(value.to_owned());
            }
        }
        let mut missing = String::new();
        for (present, name) in [
            (credential.is_some(), "Credential"),
            (signature.is_some(), "Signature"),
            (signed_headers.is_some(), "SignedHeaders"),
        ] {
            if !present {
                missing.push_str(&format!(
                    "Authorization header requires '{name}' parameter. "
                ));
            }
        }
        let (Some(credential), Some(signed_headers), Some(signature)) =
            (credential, signed_headers, signature)
        else {
            return Err(AwsError::incomplete_signature(format!(
                "{missing}Authorization=AWS4-HMAC-SHA256 {parts}"
            )));
        };
        let mut pieces = credential.split('/');
        let access_key_id = pieces.next().unwrap_or_default().to_owned();
        let scope = pieces.map(str::to_owned).collect();
        Ok(Self {
            access_key_id,
            scope,
            signed_headers: signed_headers
                .split(';')
                .map(str::to_ascii_lowercase)
                .collect(),
            signature,
            credential,
        })
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// `YYYYMMDDTHHMMSSZ` → Unix seconds.
pub fn parse_amz_date(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = text.get(range)?;
        if !digits.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    };
    let (year, month, day) = (number(0..4)?, number(4..6)?, number(6..8)?);
    let (hour, minute, second) = (number(9..11)?, number(11..13)?, number(13..15)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Unix seconds → `YYYYMMDDTHHMMSSZ`.
pub fn format_amz_date(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// `SystemTime` for tests and callers that sign at a given instant.
pub fn system_time(secs: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or_default())
}

// Howard Hinnant's civil calendar algorithms (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_dates_round_trip() {
        let secs = parse_amz_date("20231114T221320Z").unwrap();
        assert_eq!(secs, 1_700_000_000);
        assert_eq!(format_amz_date(secs), "20231114T221320Z");
        assert_eq!(
            parse_amz_date("20240229T000000Z")
                .map(format_amz_date)
                .unwrap(),
            "20240229T000000Z"
        );
        assert_eq!(parse_amz_date("2023-11-14T22:13:20Z"), None);
    }
}
