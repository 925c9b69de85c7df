//! `tora-dev s3-double`: a local stand-in for one S3 endpoint, path-style
//! (`/{bucket}/{key}`), that refuses what S3 would refuse.
//!
//! - `PUT`, `GET`, `HEAD`, `DELETE /{bucket}/{key}`, presigned (query) or header-signed;
//!   every request must carry a signature that verifies (`verify.rs`), a presigned URL
//!   must not have expired (`X-Amz-Date + X-Amz-Expires`), and the headers it signed must
//!   be the ones sent: a PUT with another `content-type` or another `content-length`
//!   than its URL was signed for is `SignatureDoesNotMatch`.
//! - `GET /{bucket}?list-type=2&prefix=P` (ListObjectsV2, with `max-keys` (at most
//!   1000, S3's page) and `continuation-token`), so the worker can erase a user's
//!   prefix and tests can see what it holds.
//! - For tests, `POST /__faults` `{"next": [{"code": "InternalError"|"SlowDown"|
//!   "ServiceUnavailable", "method": "DELETE"?, "prefix": "users/…/"?}]}` queues
//!   failures: the next request matching a fault's method and key prefix (any when
//!   absent) gets that error instead of its answer, each fault once. `DELETE /__faults`
//!   empties the queue. The control path needs no signature (it is not S3's).
//! - For people trying the API, `GET /__objects?prefix=users/…/` lists what the double
//!   holds as JSON (`{"objects": [{"bucket", "key", "size"}]}`), unsigned, so `curl`
//!   can show that an erased account left nothing behind.
//!
//! Objects live on disk under `--data-dir`, one file per key (the key hex-encoded, so
//! no key can climb out of the directory) and one beside it holding its content type.
//! Errors are S3's XML (`<Error><Code>…</Code><Message>…</Message><RequestId>…`), with
//! no body for `HEAD`. Any bucket name is accepted: a bucket is a directory.

pub mod verify;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use percent_encoding::percent_decode_str;
use sha2::{Digest as _, Sha256};
use tokio::net::TcpListener;
use tora_core::ports::Clock as _;

use crate::tokens::SystemClock;
pub use verify::{Accepted, S3Error};

/// The largest object the double stores (S3's single PUT limit is 5 GB; the product's
/// largest upload is 200 MB).
pub const MAX_OBJECT_BYTES: usize = 256 * 1024 * 1024;

pub struct S3Double {
    pub accepted: Accepted,
    pub data_dir: PathBuf,
    pub faults: std::sync::Mutex<Vec<Fault>>,
}

/// A failure queued for the next matching request.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub code: FaultCode,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub prefix: Option<String>,
}

/// The S3 errors a fault answers with, as S3 sends them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub enum FaultCode {
    InternalError,
    SlowDown,
    ServiceUnavailable,
}

impl FaultCode {
    fn error(self) -> S3Error {
        match self {
            FaultCode::InternalError => S3Error::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "We encountered an internal error. Please try again.",
            ),
            FaultCode::SlowDown => S3Error::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "SlowDown",
                "Please reduce your request rate.",
            ),
            FaultCode::ServiceUnavailable => S3Error::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "Service is unable to handle request.",
            ),
        }
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueFaults {
    next: Vec<Fault>,
}

/// Serves the double on exactly `listen` until the process is stopped.
pub async fn serve(
    listen: SocketAddr,
    accepted: Accepted,
    data_dir: PathBuf,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("could not create {}", data_dir.display()))?;
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("could not listen on {listen}"))?;
    eprintln!(
        "s3-double: serving http://{listen} (region {}, key id {})",
        accepted.region, accepted.access_key_id
    );
    let double = Arc::new(S3Double::new(accepted, data_dir));
    loop {
        let (stream, _peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                eprintln!("s3-double: accept failed: {error}");
                continue;
            }
        };
        let double = Arc::clone(&double);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let double = Arc::clone(&double);
                async move { Ok::<_, Infallible>(receive(&double, request).await) }
            });
            if let Err(error) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("s3-double: connection error: {error}");
            }
        });
    }
}

async fn receive(double: &S3Double, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let request_id = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
    let (parts, body) = request.into_parts();
    let response = match Limited::new(body, MAX_OBJECT_BYTES).collect().await {
        Ok(collected) => {
            let request = Request::from_parts(parts.clone(), collected.to_bytes());
            double.handle(&request, SystemClock.now_secs(), &request_id)
        }
        Err(_) => error_response(
            &parts.method,
            &S3Error::new(
                StatusCode::BAD_REQUEST,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed object size.",
            ),
            &request_id,
        ),
    };
    eprintln!(
        "s3-double: {} {} {}",
        parts.method,
        parts.uri.path(),
        response.status().as_u16()
    );
    response.map(Full::new)
}

impl S3Double {
    pub fn new(accepted: Accepted, data_dir: PathBuf) -> Self {
        Self {
            accepted,
            data_dir,
            faults: std::sync::Mutex::default(),
        }
    }

    /// `POST /__faults` queues faults, `DELETE /__faults` drops them all.
    fn control_faults(&self, request: &Request<Bytes>) -> Response<Bytes> {
        let Ok(mut faults) = self.faults.lock() else {
            return empty(StatusCode::INTERNAL_SERVER_ERROR);
        };
        match *request.method() {
            Method::DELETE => {
                faults.clear();
                empty(StatusCode::NO_CONTENT)
            }
            Method::POST => match serde_json::from_slice::<QueueFaults>(request.body()) {
                Ok(queue) => {
                    faults.extend(queue.next);
                    empty(StatusCode::NO_CONTENT)
                }
                Err(error) => {
                    let mut response = Response::new(Bytes::from(error.to_string()));
                    *response.status_mut() = StatusCode::BAD_REQUEST;
                    response
                }
            },
            _ => empty(StatusCode::METHOD_NOT_ALLOWED),
        }
    }

    /// Every object under `prefix` in every bucket, as JSON.
    fn inspect_objects(&self, query: &str) -> Response<Bytes> {
        let prefix = verify::query_pairs(query)
            .into_iter()
            .find(|(name, _)| name == "prefix")
            .map(|(_, prefix)| prefix)
            .unwrap_or_default();
        let mut objects = Vec::new();
        for bucket in std::fs::read_dir(&self.data_dir)
            .into_iter()
            .flatten()
            .flatten()
        {
            let bucket_name = bucket.file_name().to_string_lossy().into_owned();
            for (key, size) in stored_objects(&bucket.path(), &prefix) {
                objects.push(serde_json::json!({"bucket": bucket_name, "key": key, "size": size}));
            }
        }
        let mut response = Response::new(Bytes::from(
            serde_json::json!({ "objects": objects }).to_string(),
        ));
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }

    /// The first queued fault matching this request, taken off the queue.
    fn take_fault(&self, method: &Method, key: Option<&str>) -> Option<S3Error> {
        let mut faults = self.faults.lock().ok()?;
        let index = faults.iter().position(|fault| {
            fault
                .method
                .as_deref()
                .is_none_or(|wanted| wanted.eq_ignore_ascii_case(method.as_str()))
                && fault
                    .prefix
                    .as_deref()
                    .is_none_or(|prefix| key.is_some_and(|key| key.starts_with(prefix)))
        })?;
        Some(faults.remove(index).code.error())
    }

    /// Answers one request received at `now_secs`.
    pub fn handle(
        &self,
        request: &Request<Bytes>,
        now_secs: i64,
        request_id: &str,
    ) -> Response<Bytes> {
        let method = request.method();
        if request.uri().path() == "/__faults" {
            return self.control_faults(request);
        }
        if request.uri().path() == "/__objects" && *method == Method::GET {
            return self.inspect_objects(request.uri().query().unwrap_or_default());
        }
        match self.answer(request, now_secs) {
            Ok(response) => response,
            Err(error) => error_response(method, &error, request_id),
        }
        .map(|body| {
            if *method == Method::HEAD {
                Bytes::new()
            } else {
                body
            }
        })
    }

    fn answer(&self, request: &Request<Bytes>, now_secs: i64) -> Result<Response<Bytes>, S3Error> {
        let path = request.uri().path();
        let query = request.uri().query().unwrap_or_default();
        let received = verify::Received {
            method: request.method().as_str(),
            path,
            query,
            headers: request.headers(),
            body: request.body(),
        };
        verify::verify(&self.accepted, &received, now_secs)?;

        let (bucket, key) = split_path(path)?;
        // A listing's key is its prefix, for faults scoped to one user.
        let fault_key = key.clone().or_else(|| {
            verify::query_pairs(query)
                .into_iter()
                .find(|(name, _)| name == "prefix")
                .map(|(_, prefix)| prefix)
        });
        if let Some(error) = self.take_fault(request.method(), fault_key.as_deref()) {
            return Err(error);
        }
        let bucket_dir = self.data_dir.join(bucket);
        match (request.method().clone(), key) {
            (Method::GET, None) => list(&bucket_dir, bucket, query),
            (Method::PUT, Some(key)) => put(&bucket_dir, &key, request.headers(), request.body()),
            (Method::GET | Method::HEAD, Some(key)) => get(&bucket_dir, &key, request.method()),
            (Method::DELETE, Some(key)) => {
                let file = object_file(&bucket_dir, &key);
                // Deleting a missing key succeeds in S3.
                let _ = std::fs::remove_file(&file);
                let _ = std::fs::remove_file(file.with_extension("type"));
                Ok(empty(StatusCode::NO_CONTENT))
            }
            _ => Err(S3Error::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
            )),
        }
    }
}

/// `/{bucket}` or `/{bucket}/` → (bucket, None); `/{bucket}/{key}` → the key decoded.
fn split_path(path: &str) -> Result<(&str, Option<String>), S3Error> {
    let rest = path.strip_prefix('/').unwrap_or(path);
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    let valid_bucket = !bucket.is_empty()
        && bucket.bytes().all(|byte| {
            byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-' || byte == b'.'
        })
        && !bucket.starts_with('.');
    if !valid_bucket {
        return Err(S3Error::new(
            StatusCode::BAD_REQUEST,
            "InvalidBucketName",
            "The specified bucket is not valid.",
        ));
    }
    if key.is_empty() {
        return Ok((bucket, None));
    }
    let key = percent_decode_str(key).decode_utf8().map_err(|_| {
        S3Error::new(
            StatusCode::BAD_REQUEST,
            "InvalidURI",
            "Couldn't parse the specified URI.",
        )
    })?;
    if key.len() > 1024 {
        return Err(S3Error::new(
            StatusCode::BAD_REQUEST,
            "KeyTooLongError",
            "Your key is too long",
        ));
    }
    Ok((bucket, Some(key.into_owned())))
}

fn object_file(bucket_dir: &Path, key: &str) -> PathBuf {
    bucket_dir.join(format!("{}.object", verify::hex(key.as_bytes())))
}

fn internal(error: std::io::Error) -> S3Error {
    S3Error::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalError",
        error.to_string(),
    )
}

fn put(
    bucket_dir: &Path,
    key: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response<Bytes>, S3Error> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|declared| declared != body.len()) {
        return Err(S3Error::new(
            StatusCode::BAD_REQUEST,
            "IncompleteBody",
            "You did not provide the number of bytes specified by the Content-Length HTTP header.",
        ));
    }
    std::fs::create_dir_all(bucket_dir).map_err(internal)?;
    let file = object_file(bucket_dir, key);
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("binary/octet-stream");
    std::fs::write(&file, body).map_err(internal)?;
    std::fs::write(file.with_extension("type"), content_type).map_err(internal)?;
    let mut response = empty(StatusCode::OK);
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", etag(body))) {
        response.headers_mut().insert("etag", etag);
    }
    Ok(response)
}

fn etag(body: &[u8]) -> String {
    verify::hex(&Sha256::digest(body)[..16])
}

fn get(bucket_dir: &Path, key: &str, method: &Method) -> Result<Response<Bytes>, S3Error> {
    let file = object_file(bucket_dir, key);
    let Ok(body) = std::fs::read(&file) else {
        return Err(S3Error::new(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        ));
    };
    let content_type = std::fs::read_to_string(file.with_extension("type"))
        .unwrap_or_else(|_| "binary/octet-stream".to_owned());
    let mut response = Response::new(if *method == Method::HEAD {
        Bytes::new()
    } else {
        Bytes::from(body.clone())
    });
    let headers = response.headers_mut();
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        headers.insert(CONTENT_TYPE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&format!("\"{}\"", etag(&body))) {
        headers.insert("etag", value);
    }
    Ok(response)
}

fn list(bucket_dir: &Path, bucket: &str, query: &str) -> Result<Response<Bytes>, S3Error> {
    let pairs = verify::query_pairs(query);
    if !pairs
        .iter()
        .any(|(name, value)| name == "list-type" && value == "2")
    {
        return Err(S3Error::new(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            "Only ListObjectsV2 (list-type=2) is implemented by the double.",
        ));
    }
    let prefix = pairs
        .iter()
        .find(|(name, _)| name == "prefix")
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    let objects = stored_objects(bucket_dir, &prefix);
    let param = |wanted: &str| {
        pairs
            .iter()
            .find(|(name, _)| name == wanted)
            .map(|(_, value)| value.as_str())
    };
    let max_keys = match param("max-keys") {
        None => 1000,
        Some(raw) => raw.parse::<usize>().map_err(|_| {
            S3Error::new(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                "Provided max-keys not an integer or within integer range",
            )
        })?,
    }
    .min(1000);
    // The token is the hex of the last key of the previous page (opaque to clients).
    let after = match param("continuation-token") {
        None => None,
        Some(token) => Some(unhex(token).ok_or_else(|| {
            S3Error::new(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                "The continuation token provided is incorrect",
            )
        })?),
    };
    let mut objects: Vec<(String, u64)> = objects
        .into_iter()
        .filter(|(key, _)| after.as_deref().is_none_or(|after| key.as_str() > after))
        .collect();
    let truncated = objects.len() > max_keys;
    objects.truncate(max_keys);
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>{}</Name><Prefix>{}</Prefix><KeyCount>{}</KeyCount><MaxKeys>{max_keys}</MaxKeys><IsTruncated>{truncated}</IsTruncated>",
        escape(bucket),
        escape(&prefix),
        objects.len()
    );
    if let (true, Some((last, _))) = (truncated, objects.last()) {
        xml.push_str(&format!(
            "<NextContinuationToken>{}</NextContinuationToken>",
            verify::hex(last.as_bytes())
        ));
    }
    for (key, size) in &objects {
        xml.push_str(&format!(
            "<Contents><Key>{}</Key><Size>{size}</Size><StorageClass>STANDARD</StorageClass></Contents>",
            escape(key)
        ));
    }
    xml.push_str("</ListBucketResult>");
    Ok(xml_response(StatusCode::OK, xml))
}

/// The keys (and sizes) stored in `bucket_dir` under `prefix`, in key order.
fn stored_objects(bucket_dir: &Path, prefix: &str) -> Vec<(String, u64)> {
    let mut objects = Vec::new();
    if let Ok(entries) = std::fs::read_dir(bucket_dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(hex_key) = name.strip_suffix(".object") else {
                continue;
            };
            let Some(key) = unhex(hex_key) else { continue };
            if key.starts_with(prefix) {
                let size = entry.metadata().map(|meta| meta.len()).unwrap_or(0);
                objects.push((key, size));
            }
        }
    }
    objects.sort();
    objects
}

fn unhex(text: &str) -> Option<String> {
    let bytes = (0..text.len())
        .step_by(2)
        .map(|index| u8::from_str_radix(text.get(index..index + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn empty(status: StatusCode) -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = status;
    response
}

fn xml_response(status: StatusCode, xml: String) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(xml));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    response
}

/// S3's error document; a `HEAD` gets the status alone.
fn error_response(method: &Method, error: &S3Error, request_id: &str) -> Response<Bytes> {
    let mut response = if *method == Method::HEAD {
        empty(error.status)
    } else {
        xml_response(
            error.status,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message><RequestId>{}</RequestId></Error>",
                error.code,
                escape(&error.message),
                escape(request_id)
            ),
        )
    };
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amz-request-id", value);
    }
    response
}

#[cfg(test)]
mod tests;
