//! S3: presigned URLs that let a client upload or download one object directly, and
//! header-signed requests for the worker's own `HEAD`/`DELETE` of an object.
//!
//! S3 is the exception to SigV4's path rules: the path is signed exactly as sent
//! (no dot-segment or slash normalisation, since `a//b` is another key) and its
//! percent-encoding is not encoded a second time. Keys are encoded once here, segment
//! by segment, and the crate is told to take the path as it is.
//!
//! A presigned URL carries its signature in the query (`X-Amz-Algorithm`,
//! `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`,
//! `X-Amz-Signature`, and `X-Amz-Security-Token` with session credentials) and signs
//! `UNSIGNED-PAYLOAD` instead of the body. For uploads `content-type` and
//! `content-length` are signed headers: a client that sends another type or another
//! size breaks the signature, so what the API allowed is what S3 stores.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PercentEncodingMode, SessionTokenMode, SignableBody, SignableRequest, SignatureLocation,
    SigningSettings, UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use http::{Method, Request, StatusCode};

use crate::clients::sigv4::{
    AwsCredentials, SigningError, SigningOptions, SigningScope, sign_request, signing_time,
};
use crate::ports::{Clock, Transport, TransportError};

/// S3's signing name.
pub const SERVICE: &str = "s3";

/// The longest a presigned URL may live (S3's own limit: seven days).
pub const MAX_EXPIRES_SECS: u32 = 604_800;

/// Where objects are kept and who signs for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    pub bucket: String,
    pub region: String,
    /// The URL an object's encoded key is appended to (after a `/`), without a
    /// trailing slash: the bucket's virtual host, or a path-style `{origin}/{bucket}`.
    pub endpoint: String,
    pub credentials: AwsCredentials,
}

impl S3Config {
    /// The bucket's virtual-hosted endpoint on AWS.
    pub fn default_endpoint(bucket: &str, region: &str) -> String {
        format!("https://{bucket}.s3.{region}.amazonaws.com")
    }

    /// The URL of `key`, the key encoded once.
    pub fn object_url(&self, key: &str) -> String {
        format!("{}/{}", self.endpoint, encode_key(key))
    }

    fn scope(&self) -> SigningScope<'_> {
        SigningScope {
            credentials: &self.credentials,
            region: &self.region,
            service: SERVICE,
        }
    }
}

/// Encodes an object key for the URL and the canonical request alike: every byte
/// outside `A-Z a-z 0-9 - _ . ~` and `/` becomes `%XY` (uppercase hex); a space is
/// `%20`, never `+`.
pub fn encode_key(key: &str) -> String {
    let mut encoded = String::with_capacity(key.len());
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'/') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// A URL a client can use once for `method`, until it expires, sending exactly the
/// signed `headers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedRequest {
    pub method: Method,
    pub url: String,
    /// Headers the client must send as given (they are signed).
    pub headers: Vec<(&'static str, String)>,
    /// When the URL stops working, in Unix milliseconds.
    pub expires_at_millis: i64,
}

/// A presigned `PUT` of `key` that only accepts a body of exactly `content_length`
/// bytes declared as `content_type`.
pub fn presign_put(
    config: &S3Config,
    key: &str,
    content_type: &str,
    content_length: u64,
    expires_secs: u32,
    clock: &impl Clock,
) -> Result<PresignedRequest, SigningError> {
    let headers = vec![
        ("content-type", content_type.to_owned()),
        ("content-length", content_length.to_string()),
    ];
    presign(config, Method::PUT, key, headers, expires_secs, clock)
}

/// A presigned `GET` (or `HEAD`) of `key`: only `host` is signed.
pub fn presign_get(
    config: &S3Config,
    method: Method,
    key: &str,
    expires_secs: u32,
    clock: &impl Clock,
) -> Result<PresignedRequest, SigningError> {
    presign(config, method, key, Vec::new(), expires_secs, clock)
}

fn presign(
    config: &S3Config,
    method: Method,
    key: &str,
    headers: Vec<(&'static str, String)>,
    expires_secs: u32,
    clock: &impl Clock,
) -> Result<PresignedRequest, SigningError> {
    if !(1..=MAX_EXPIRES_SECS).contains(&expires_secs) {
        return Err(SigningError::Failed(format!(
            "a presigned URL lives 1 to {MAX_EXPIRES_SECS} seconds, not {expires_secs}"
        )));
    }
    let time = signing_time(clock);
    let url = presign_at(config, &method, key, &headers, expires_secs, time)?;
    Ok(PresignedRequest {
        method,
        url,
        headers,
        expires_at_millis: clock
            .now_millis()
            .saturating_add(i64::from(expires_secs) * 1000),
    })
}

/// The presigned URL itself, at an explicit signing time (the published vectors).
pub fn presign_at(
    config: &S3Config,
    method: &Method,
    key: &str,
    headers: &[(&'static str, String)],
    expires_secs: u32,
    time: SystemTime,
) -> Result<String, SigningError> {
    let url = config.object_url(key);
    let mut request = Request::builder()
        .method(method.clone())
        .uri(&url)
        .body(())
        .map_err(|_| SigningError::NoHost)?;
    if request.uri().host().is_none() {
        return Err(SigningError::NoHost);
    }
    let credentials = &config.credentials;
    let identity = Credentials::new(
        credentials.access_key_id.expose(),
        credentials.secret_access_key.expose(),
        credentials
            .session_token
            .as_ref()
            .map(|token| token.expose().to_owned()),
        None,
        "tora",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(u64::from(expires_secs)));
    // S3 puts the session token in the canonical query, signed.
    settings.session_token_mode = SessionTokenMode::Include;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&config.region)
        .name(SERVICE)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|error| SigningError::Failed(error.to_string()))?
        .into();
    let signable = SignableRequest::new(
        method.as_str(),
        &url,
        headers.iter().map(|(name, value)| (*name, value.as_str())),
        SignableBody::UnsignedPayload,
    )
    .map_err(|error| SigningError::Failed(error.to_string()))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|error| SigningError::Failed(error.to_string()))?
        .into_parts();
    instructions.apply_to_request_http1x(&mut request);
    Ok(request.uri().to_string())
}

/// A header-signed request for `key` with an empty body (`HEAD`, `DELETE`, `GET`),
/// with `x-amz-content-sha256` as S3 requires.
pub fn signed_request(
    config: &S3Config,
    method: Method,
    key: &str,
    time: SystemTime,
) -> Result<Request<Vec<u8>>, SigningError> {
    let mut request = Request::builder()
        .method(method)
        .uri(config.object_url(key))
        .body(Vec::new())
        .map_err(|_| SigningError::NoHost)?;
    sign_request(&mut request, &config.scope(), SigningOptions::S3, time)?;
    Ok(request)
}

/// A header-signed ListObjectsV2 of the keys under `prefix`, from `continuation`.
pub fn list_request(
    config: &S3Config,
    prefix: &str,
    continuation: Option<&str>,
    time: SystemTime,
) -> Result<Request<Vec<u8>>, SigningError> {
    let mut query = format!("list-type=2&prefix={}", encode_query_value(prefix));
    if let Some(token) = continuation {
        query.push_str("&continuation-token=");
        query.push_str(&encode_query_value(token));
    }
    // A path-style endpoint (`{origin}/{bucket}`) lists at its own path; a virtual
    // host lists at `/`.
    let has_path = config
        .endpoint
        .split_once("://")
        .is_some_and(|(_, rest)| rest.contains('/'));
    let separator = if has_path { "" } else { "/" };
    let mut request = Request::builder()
        .method(Method::GET)
        .uri(format!("{}{separator}?{query}", config.endpoint))
        .body(Vec::new())
        .map_err(|_| SigningError::NoHost)?;
    sign_request(&mut request, &config.scope(), SigningOptions::S3, time)?;
    Ok(request)
}

/// A query value encoded as SigV4 canonicalises it: everything but the unreserved
/// characters, `/` included.
fn encode_query_value(value: &str) -> String {
    encode_key(value).replace('/', "%2F")
}

/// One page of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectPage {
    pub keys: Vec<String>,
    /// The token of the next page; `None` on the last.
    pub next: Option<String>,
}

/// Reads a `ListBucketResult`: the `<Key>` of every `<Contents>`, and
/// `<NextContinuationToken>` when `<IsTruncated>` is true.
pub fn parse_list(xml: &str) -> Result<ObjectPage, S3Error> {
    if !xml.contains("<ListBucketResult") {
        return Err(S3Error::Malformed("not a ListBucketResult"));
    }
    let mut keys = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find("<Contents>") {
        let after = &rest[start + "<Contents>".len()..];
        let end = after
            .find("</Contents>")
            .ok_or(S3Error::Malformed("unterminated Contents"))?;
        let contents = &after[..end];
        let key = element(contents, "Key").ok_or(S3Error::Malformed("Contents without Key"))?;
        keys.push(unescape_xml(key));
        rest = &after[end..];
    }
    let truncated = element(xml, "IsTruncated").is_some_and(|value| value.trim() == "true");
    let next = if truncated {
        Some(
            element(xml, "NextContinuationToken")
                .map(unescape_xml)
                .ok_or(S3Error::Malformed(
                    "truncated without NextContinuationToken",
                ))?,
        )
    } else {
        None
    };
    Ok(ObjectPage { keys, next })
}

/// The text of the first `<name>…</name>` in `xml`.
fn element<'x>(xml: &'x str, name: &str) -> Option<&'x str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&close)? + start;
    Some(&xml[start..end])
}

/// XML's five entities and numeric character references.
fn unescape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let entity_end = rest[amp..].find(';').map(|end| amp + end);
        let decoded = entity_end.and_then(|end| {
            let entity = &rest[amp + 1..end];
            let ch = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((ch, end))
        });
        match decoded {
            Some((ch, end)) => {
                out.push(ch);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[amp + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// What `HEAD` tells about an object that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectHead {
    pub size: Option<u64>,
    pub content_type: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    #[error("could not sign the S3 request: {0}")]
    Signing(#[from] SigningError),
    #[error("S3 unreachable: {0}")]
    Unavailable(#[from] TransportError),
    /// S3 answered with a status the worker does not expect (403: the credentials or
    /// the signature; 5xx: S3 itself).
    #[error("S3 answered {0}")]
    Rejected(StatusCode),
    #[error("S3's answer could not be read: {0}")]
    Malformed(&'static str),
}

impl S3Error {
    /// What went wrong, without any message text: fit to store and log.
    pub fn kind(&self) -> String {
        match self {
            S3Error::Signing(_) => "signing".to_owned(),
            S3Error::Unavailable(_) => "transport".to_owned(),
            S3Error::Rejected(status) => status.as_str().to_owned(),
            S3Error::Malformed(_) => "malformed".to_owned(),
        }
    }
}

/// The worker's own requests to the bucket, over the `Transport` port.
pub struct S3Client<'a, T, C> {
    pub config: &'a S3Config,
    pub transport: &'a T,
    pub clock: &'a C,
}

impl<T: Transport, C: Clock> S3Client<'_, T, C> {
    /// `None` when there is no such object.
    pub async fn head_object(&self, key: &str) -> Result<Option<ObjectHead>, S3Error> {
        let request = signed_request(self.config, Method::HEAD, key, signing_time(self.clock))?;
        let response = self.transport.send(request).await?;
        match response.status() {
            StatusCode::OK => {
                let header = |name: &str| {
                    response
                        .headers()
                        .get(name)
                        .and_then(|value| value.to_str().ok())
                        .map(str::to_owned)
                };
                Ok(Some(ObjectHead {
                    size: header("content-length").and_then(|size| size.parse().ok()),
                    content_type: header("content-type"),
                }))
            }
            StatusCode::NOT_FOUND => Ok(None),
            status => Err(S3Error::Rejected(status)),
        }
    }

    /// The object's bytes; `None` when there is no such object.
    pub async fn get_object(&self, key: &str) -> Result<Option<Vec<u8>>, S3Error> {
        let request = signed_request(self.config, Method::GET, key, signing_time(self.clock))?;
        let response = self.transport.send(request).await?;
        match response.status() {
            StatusCode::OK => Ok(Some(response.into_body())),
            StatusCode::NOT_FOUND => Ok(None),
            status => Err(S3Error::Rejected(status)),
        }
    }

    /// One page of the keys under `prefix`.
    pub async fn list_objects(
        &self,
        prefix: &str,
        continuation: Option<&str>,
    ) -> Result<ObjectPage, S3Error> {
        let request = list_request(self.config, prefix, continuation, signing_time(self.clock))?;
        let response = self.transport.send(request).await?;
        if response.status() != StatusCode::OK {
            return Err(S3Error::Rejected(response.status()));
        }
        let body = String::from_utf8(response.into_body())
            .map_err(|_| S3Error::Malformed("listing is not UTF-8"))?;
        parse_list(&body)
    }

    /// Deleting a key that does not exist succeeds, as in S3.
    pub async fn delete_object(&self, key: &str) -> Result<(), S3Error> {
        let request = signed_request(self.config, Method::DELETE, key, signing_time(self.clock))?;
        let response = self.transport.send(request).await?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(S3Error::Rejected(response.status()))
        }
    }
}

/// How long a presigned link to a library video works: long enough to watch it, short
/// enough that a shared link dies the same day.
pub const VIDEO_URL_EXPIRES_SECS: u32 = 60 * 60;

/// Library videos linked by presigned `GET`s, when there is a bucket and no CDN.
impl<T: Transport, C: Clock> crate::ports::MediaUrls for S3Client<'_, T, C> {
    fn presigned_get(&self, key: &str) -> Option<String> {
        presign_get(
            self.config,
            Method::GET,
            key,
            VIDEO_URL_EXPIRES_SECS,
            self.clock,
        )
        .ok()
        .map(|presigned| presigned.url)
    }
}

impl<T: Transport, C: Clock> crate::ports::ObjectStorage for S3Client<'_, T, C> {
    fn presign_put(
        &self,
        key: &crate::domain::uploads::ObjectKey,
        content_type: &str,
        bytes: u64,
        expires_secs: u32,
    ) -> Result<PresignedRequest, S3Error> {
        Ok(presign_put(
            self.config,
            key.as_str(),
            content_type,
            bytes,
            expires_secs,
            self.clock,
        )?)
    }

    async fn head(
        &self,
        key: &crate::domain::uploads::ObjectKey,
    ) -> Result<Option<ObjectHead>, S3Error> {
        self.head_object(key.as_str()).await
    }

    async fn get(
        &self,
        key: &crate::domain::uploads::ObjectKey,
    ) -> Result<Option<Vec<u8>>, S3Error> {
        self.get_object(key.as_str()).await
    }

    async fn delete(&self, key: &str) -> Result<(), S3Error> {
        self.delete_object(key).await
    }

    async fn list(&self, prefix: &str, continuation: Option<&str>) -> Result<ObjectPage, S3Error> {
        self.list_objects(prefix, continuation).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    struct At(i64);
    impl Clock for At {
        fn now_millis(&self) -> i64 {
            self.0
        }
    }

    // 2013-05-24T00:00:00Z, the time of the S3 documentation's examples.
    const DOC_TIME_MILLIS: i64 = 1_369_353_600_000;

    fn doc_config(endpoint: &str) -> S3Config {
        S3Config {
            bucket: "examplebucket".into(),
            region: "us-east-1".into(),
            endpoint: endpoint.into(),
            credentials: AwsCredentials {
                access_key_id: Secret::new("AKIAIOSFODNN7EXAMPLE"),
                secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                session_token: None,
            },
        }
    }

    fn query(url: &str) -> Vec<(String, String)> {
        let (_, query) = url.split_once('?').unwrap();
        query
            .split('&')
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap();
                (name.to_owned(), value.to_owned())
            })
            .collect()
    }

    fn param(url: &str, name: &str) -> String {
        query(url)
            .into_iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
            .unwrap_or_else(|| panic!("{name} missing from {url}"))
    }

    #[test]
    fn library_videos_get_presigned_links_for_an_hour() {
        use crate::ports::MediaUrls;
        struct NoTransport;
        impl Transport for NoTransport {
            async fn send(
                &self,
                _request: http::Request<Vec<u8>>,
            ) -> Result<http::Response<Vec<u8>>, TransportError> {
                unreachable!("presigning sends nothing")
            }
        }
        let config = doc_config("https://examplebucket.s3.amazonaws.com");
        let client = S3Client {
            config: &config,
            transport: &NoTransport,
            clock: &At(DOC_TIME_MILLIS),
        };
        let url = client.presigned_get("exercises/pull_up.mp4").unwrap();
        assert!(url.starts_with("https://examplebucket.s3.amazonaws.com/exercises/pull_up.mp4?"));
        assert_eq!(param(&url, "X-Amz-Expires"), "3600");
        assert_eq!(param(&url, "X-Amz-SignedHeaders"), "host");
        assert_eq!(param(&url, "X-Amz-Signature").len(), 64);
        let none: Option<S3Client<'_, NoTransport, At>> = None;
        assert_eq!(none.presigned_get("exercises/pull_up.mp4"), None);
    }

    #[test]
    fn the_documented_presigned_get_is_reproduced() {
        let config = doc_config("https://examplebucket.s3.amazonaws.com");
        let url = presign_get(
            &config,
            Method::GET,
            "test.txt",
            86_400,
            &At(DOC_TIME_MILLIS),
        )
        .unwrap()
        .url;
        assert!(url.starts_with("https://examplebucket.s3.amazonaws.com/test.txt?"));
        assert_eq!(param(&url, "X-Amz-Algorithm"), "AWS4-HMAC-SHA256");
        assert_eq!(
            param(&url, "X-Amz-Credential"),
            "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        );
        assert_eq!(param(&url, "X-Amz-Date"), "20130524T000000Z");
        assert_eq!(param(&url, "X-Amz-Expires"), "86400");
        assert_eq!(param(&url, "X-Amz-SignedHeaders"), "host");
        assert_eq!(
            param(&url, "X-Amz-Signature"),
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
    }

    #[test]
    fn a_presigned_put_signs_the_declared_type_and_length() {
        let config = doc_config("http://127.0.0.1:4447/examplebucket");
        let clock = At(DOC_TIME_MILLIS);
        let put = presign_put(&config, "users/a/b", "image/png", 1234, 900, &clock).unwrap();
        assert_eq!(put.method, Method::PUT);
        assert!(
            put.url
                .starts_with("http://127.0.0.1:4447/examplebucket/users/a/b?")
        );
        assert_eq!(
            param(&put.url, "X-Amz-SignedHeaders"),
            "content-length%3Bcontent-type%3Bhost"
        );
        assert_eq!(param(&put.url, "X-Amz-Expires"), "900");
        assert_eq!(put.expires_at_millis, DOC_TIME_MILLIS + 900_000);
        assert_eq!(
            put.headers,
            vec![
                ("content-type", "image/png".to_owned()),
                ("content-length", "1234".to_owned())
            ]
        );
        // Another type or length is another signature.
        let other_type = presign_put(&config, "users/a/b", "image/jpeg", 1234, 900, &clock);
        let other_length = presign_put(&config, "users/a/b", "image/png", 1235, 900, &clock);
        let signature = param(&put.url, "X-Amz-Signature");
        assert_ne!(
            param(&other_type.unwrap().url, "X-Amz-Signature"),
            signature
        );
        assert_ne!(
            param(&other_length.unwrap().url, "X-Amz-Signature"),
            signature
        );
    }

    #[test]
    fn expiry_is_bounded_by_s3s_limit() {
        let config = doc_config("https://examplebucket.s3.amazonaws.com");
        let clock = At(DOC_TIME_MILLIS);
        for bad in [0, MAX_EXPIRES_SECS + 1] {
            assert!(presign_get(&config, Method::GET, "k", bad, &clock).is_err());
        }
        assert!(presign_get(&config, Method::GET, "k", MAX_EXPIRES_SECS, &clock).is_ok());
    }

    #[test]
    fn a_session_token_travels_in_the_signed_query() {
        let mut config = doc_config("https://examplebucket.s3.amazonaws.com");
        config.credentials.session_token = Some(Secret::new("token/with+chars"));
        let url = presign_get(&config, Method::GET, "k", 60, &At(DOC_TIME_MILLIS))
            .unwrap()
            .url;
        assert_eq!(param(&url, "X-Amz-Security-Token"), "token%2Fwith%2Bchars");
    }

    #[test]
    fn keys_with_spaces_and_unicode_are_encoded_once() {
        assert_eq!(encode_key("a b/ü+x//y~.txt"), "a%20b/%C3%BC%2Bx//y~.txt");
        let config = doc_config("https://examplebucket.s3.amazonaws.com");
        let url = presign_get(
            &config,
            Method::GET,
            "my photo/ü.jpg",
            60,
            &At(DOC_TIME_MILLIS),
        )
        .unwrap()
        .url;
        assert!(
            url.starts_with("https://examplebucket.s3.amazonaws.com/my%20photo/%C3%BC.jpg?"),
            "{url}"
        );
        assert!(!url.contains("%25"), "double-encoded: {url}");
    }

    #[test]
    fn the_documented_header_signed_get_is_reproduced() {
        // The S3 documentation's GET with `Range: bytes=0-9`, header-signed: proves
        // single encoding, no normalisation and `x-amz-content-sha256`.
        let config = doc_config("https://examplebucket.s3.amazonaws.com");
        let mut request = Request::get("https://examplebucket.s3.amazonaws.com/test.txt")
            .header("range", "bytes=0-9")
            .body(Vec::new())
            .unwrap();
        let time = signing_time(&At(DOC_TIME_MILLIS));
        sign_request(&mut request, &config.scope(), SigningOptions::S3, time).unwrap();
        let authorization = request.headers()["authorization"].to_str().unwrap();
        assert!(
            authorization.ends_with(
                "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
            ),
            "{authorization}"
        );
        assert_eq!(
            request.headers()["x-amz-content-sha256"],
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn a_signed_head_keeps_double_slashes_and_encodes_once() {
        let config = doc_config("http://127.0.0.1:4447/examplebucket");
        let request = signed_request(
            &config,
            Method::HEAD,
            "a//b c",
            signing_time(&At(DOC_TIME_MILLIS)),
        )
        .unwrap();
        assert_eq!(
            request.uri().to_string(),
            "http://127.0.0.1:4447/examplebucket/a//b%20c"
        );
        let authorization = request.headers()["authorization"].to_str().unwrap();
        assert!(
            authorization.contains("/s3/aws4_request"),
            "{authorization}"
        );
        assert!(
            authorization.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date"),
            "{authorization}"
        );
    }

    #[test]
    fn a_listing_gives_its_keys_decoded_and_the_next_page() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>users/a/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated><Contents><Key>users/a/meal_photo/1</Key><Size>3</Size></Contents><Contents><Key>users/a/x &amp; y&#x2F;z</Key><Size>1</Size></Contents><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken></ListBucketResult>"#;
        let page = parse_list(xml).unwrap();
        assert_eq!(page.keys, ["users/a/meal_photo/1", "users/a/x & y/z"]);
        assert_eq!(
            page.next.as_deref(),
            Some("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        );

        let last = parse_list(
            "<ListBucketResult><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>",
        )
        .unwrap();
        assert_eq!(last, ObjectPage::default());
        assert!(parse_list("<Error><Code>AccessDenied</Code></Error>").is_err());
        assert!(
            parse_list("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>")
                .is_err()
        );
    }

    #[test]
    fn a_listing_is_signed_at_the_bucket_with_its_query_encoded() {
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_369_353_600);
        let path_style = doc_config("http://127.0.0.1:4447/tora");
        let request = list_request(&path_style, "users/a b/", Some("t/+="), time).unwrap();
        assert_eq!(
            request.uri().to_string(),
            "http://127.0.0.1:4447/tora?list-type=2&prefix=users%2Fa%20b%2F&continuation-token=t%2F%2B%3D"
        );
        let authorization = request.headers()["authorization"].to_str().unwrap();
        assert!(authorization.starts_with("AWS4-HMAC-SHA256 Credential="));
        assert!(request.headers().contains_key("x-amz-content-sha256"));

        let virtual_host = doc_config("https://examplebucket.s3.amazonaws.com");
        let request = list_request(&virtual_host, "users/a/", None, time).unwrap();
        assert_eq!(
            request.uri().to_string(),
            "https://examplebucket.s3.amazonaws.com/?list-type=2&prefix=users%2Fa%2F"
        );
    }
}
