//! Edge protections that need no user: CORS, content type and size checks, client
//! identification for rate limits, and the headers every response carries.

use http::{HeaderMap, HeaderValue, Response, StatusCode, header};

use super::error::ApiError;
use super::routes::Route;

/// The client address Cloudflare puts in front of the worker. Locally the header may
/// be absent; those requests share one bucket.
pub fn client_ip(headers: &HeaderMap) -> String {
    headers
        .get("cf-connecting-ip")
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|ip| !ip.is_empty() && ip.len() <= 64)
        .unwrap_or("unknown")
        .to_owned()
}

/// The request's `Origin` when it is on the allow-list.
pub fn allowed_origin(headers: &HeaderMap, allowed: &[String]) -> Option<String> {
    let origin = headers.get(header::ORIGIN)?.to_str().ok()?;
    allowed
        .iter()
        .any(|candidate| candidate == origin)
        .then(|| origin.to_owned())
}

/// Requests without an `Origin` (the mobile app, curl) pass; a browser origin must be
/// on the allow-list. Refusing outright, rather than only withholding CORS headers,
/// keeps unlisted sites from spending a user's rate limit or credits.
pub fn check_origin(headers: &HeaderMap, allowed: &[String]) -> Result<Option<String>, ApiError> {
    if headers.get(header::ORIGIN).is_none() {
        return Ok(None);
    }
    allowed_origin(headers, allowed)
        .map(Some)
        .ok_or(ApiError::OriginNotAllowed)
}

/// The answer to an `OPTIONS` request on a known path.
pub fn preflight(route: &Route, origin: Option<String>) -> Response<Vec<u8>> {
    let mut response = Response::new(Vec::new());
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    headers.insert(header::ALLOW, HeaderValue::from_static(route.allow));
    if origin.is_some() {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(route.allow),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization, content-type"),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
    }
    response
}

/// `content-type` must be JSON (`application/json`, any parameters).
pub fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
    if is_json {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType)
    }
}

/// Refuses a body whose declared length is over the route's limit before reading it.
/// Bodies without a declared length are counted while they are read.
pub fn check_declared_length(headers: &HeaderMap, limit: usize) -> Result<(), ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    match declared {
        Some(length) if length > limit as u64 => Err(ApiError::PayloadTooLarge { limit }),
        _ => Ok(()),
    }
}

/// Adds the headers every response carries: the request id, security headers, and
/// CORS headers for an allowed origin.
pub fn finish(
    mut response: Response<Vec<u8>>,
    request_id: &str,
    allowed_origin: Option<&str>,
) -> Response<Vec<u8>> {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-request-id", value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=63072000; includeSubDomains"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // Responses are per user; no shared cache may keep them.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-site"),
    );
    headers.insert(header::VARY, HeaderValue::from_static("origin"));
    if let Some(origin) = allowed_origin.and_then(|origin| HeaderValue::from_str(origin).ok()) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("x-request-id, retry-after, content-disposition, location"),
        );
    }
    response
}

/// The answer to a HEAD request: the GET answer's status and headers, no body, and a
/// `content-length` saying how long the body would have been, as GET's would.
pub fn without_body(mut response: Response<Vec<u8>>) -> Response<Vec<u8>> {
    let length = std::mem::take(response.body_mut()).len();
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    response
}
