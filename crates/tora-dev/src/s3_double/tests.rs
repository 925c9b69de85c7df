//! The double against requests signed by the worker's own S3 client.

use std::time::{Duration, UNIX_EPOCH};

use tora_core::clients::s3::{S3Config, presign_get, presign_put, signed_request};
use tora_core::clients::sigv4::AwsCredentials;
use tora_core::ports::Clock;
use tora_core::secret::Secret;

use super::*;

const NOW: i64 = 1_700_000_000;

struct At(i64);
impl Clock for At {
    fn now_millis(&self) -> i64 {
        self.0 * 1000
    }
}

fn double(dir: &Path) -> S3Double {
    S3Double {
        accepted: Accepted {
            access_key_id: "AKIDLOCAL".into(),
            secret_access_key: "local-secret".into(),
            session_token: None,
            region: "us-east-1".into(),
        },
        data_dir: dir.to_owned(),
        faults: Default::default(),
    }
}

fn config(secret: &str) -> S3Config {
    S3Config {
        bucket: "tora".into(),
        region: "us-east-1".into(),
        endpoint: "http://127.0.0.1:4447/tora".into(),
        credentials: AwsCredentials {
            access_key_id: Secret::new("AKIDLOCAL"),
            secret_access_key: Secret::new(secret),
            session_token: None,
        },
    }
}

fn data_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("s3-double-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// What a client sends for `url`: the host from the URL, the given headers, the body.
fn request(method: Method, url: &str, headers: &[(&str, String)], body: &[u8]) -> Request<Bytes> {
    let uri: http::Uri = url.parse().unwrap();
    let mut builder = Request::builder()
        .method(method)
        .uri(uri.path_and_query().unwrap().as_str())
        .header("host", uri.authority().unwrap().as_str());
    for (name, value) in headers {
        builder = builder.header(*name, value);
    }
    builder.body(Bytes::copy_from_slice(body)).unwrap()
}

fn signed(method: Method, key: &str, secret: &str) -> Request<Bytes> {
    let time = UNIX_EPOCH + Duration::from_secs(NOW as u64);
    let request = signed_request(&config(secret), method, key, time).unwrap();
    let headers: Vec<(&str, String)> = request
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str(), value.to_str().unwrap().to_owned()))
        .collect();
    self::request(
        request.method().clone(),
        &request.uri().to_string(),
        &headers,
        &[],
    )
}

fn code(response: &Response<Bytes>) -> String {
    let body = String::from_utf8_lossy(response.body()).into_owned();
    body.split("<Code>")
        .nth(1)
        .and_then(|rest| rest.split("</Code>").next())
        .unwrap_or_default()
        .to_owned()
}

fn put_url(
    key: &str,
    content_type: &str,
    length: u64,
    expires: u32,
) -> tora_core::clients::s3::PresignedRequest {
    presign_put(
        &config("local-secret"),
        key,
        content_type,
        length,
        expires,
        &At(NOW),
    )
    .unwrap()
}

#[test]
fn a_presigned_put_stores_what_a_presigned_get_and_a_signed_head_read() {
    let dir = data_dir("roundtrip");
    let double = double(&dir);
    let key = "users/abc/meal_photo/my photo ü.jpg";
    let put = put_url(key, "image/jpeg", 5, 60);
    let response = double.handle(
        &request(Method::PUT, &put.url, &put.headers, b"hello"),
        NOW + 1,
        "r",
    );
    assert_eq!(response.status(), StatusCode::OK, "{:?}", response.body());

    let get = presign_get(&config("local-secret"), Method::GET, key, 60, &At(NOW)).unwrap();
    let response = double.handle(&request(Method::GET, &get.url, &[], b""), NOW + 1, "r");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body().as_ref(), b"hello");
    assert_eq!(response.headers()[CONTENT_TYPE], "image/jpeg");

    let response = double.handle(&signed(Method::HEAD, key, "local-secret"), NOW, "r");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_LENGTH], "5");
    assert!(response.body().is_empty());

    let response = double.handle(&signed(Method::DELETE, key, "local-secret"), NOW, "r");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = double.handle(&signed(Method::HEAD, key, "local-secret"), NOW, "r");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(
        response.body().is_empty(),
        "HEAD answers 404 without a body"
    );
    let response = double.handle(&signed(Method::GET, key, "local-secret"), NOW, "r");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(code(&response), "NoSuchKey");
}

#[test]
fn a_put_with_another_type_or_length_than_signed_is_refused() {
    let dir = data_dir("swap");
    let double = double(&dir);
    let put = put_url("users/abc/k", "image/png", 5, 60);
    let other_type = vec![
        ("content-type", "text/html".to_owned()),
        ("content-length", "5".to_owned()),
    ];
    let response = double.handle(
        &request(Method::PUT, &put.url, &other_type, b"hello"),
        NOW,
        "r",
    );
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(code(&response), "SignatureDoesNotMatch");
    let longer = vec![
        ("content-type", "image/png".to_owned()),
        ("content-length", "11".to_owned()),
    ];
    let response = double.handle(
        &request(Method::PUT, &put.url, &longer, b"hello world"),
        NOW,
        "r",
    );
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(code(&response), "SignatureDoesNotMatch");
    // Using an upload URL to download is another method, so another signature.
    let response = double.handle(&request(Method::GET, &put.url, &put.headers, b""), NOW, "r");
    assert_eq!(code(&response), "SignatureDoesNotMatch");
    assert!(
        !dir.join("tora").exists() || std::fs::read_dir(dir.join("tora")).unwrap().count() == 0
    );
}

#[test]
fn an_expired_url_is_access_denied() {
    let dir = data_dir("expired");
    let double = double(&dir);
    let put = put_url("users/abc/k", "image/png", 5, 60);
    let sent = request(Method::PUT, &put.url, &put.headers, b"hello");
    let response = double.handle(&sent, NOW + 61, "req-1");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body = String::from_utf8_lossy(response.body()).into_owned();
    assert!(body.contains("<Code>AccessDenied</Code><Message>Request has expired</Message><RequestId>req-1</RequestId>"), "{body}");
    assert_eq!(double.handle(&sent, NOW + 60, "r").status(), StatusCode::OK);
}

#[test]
fn a_wrong_secret_or_a_tampered_url_does_not_verify() {
    let dir = data_dir("tamper");
    let double = double(&dir);
    let response = double.handle(&signed(Method::HEAD, "k", "other-secret"), NOW, "r");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let put = put_url("users/abc/k", "image/png", 5, 60);
    let tampered = put.url.replace("users/abc/k", "users/xyz/k");
    let response = double.handle(
        &request(Method::PUT, &tampered, &put.headers, b"hello"),
        NOW,
        "r",
    );
    assert_eq!(code(&response), "SignatureDoesNotMatch");
    let unsigned = request(Method::GET, "http://127.0.0.1:4447/tora/k", &[], b"");
    assert_eq!(code(&double.handle(&unsigned, NOW, "r")), "AccessDenied");
}

#[test]
fn listing_shows_the_keys_under_a_prefix() {
    let dir = data_dir("list");
    let double = double(&dir);
    put_keys(&double, &["users/a/x", "users/a/y", "users/b/z"]);
    let response = double.handle(
        &signed_get("http://127.0.0.1:4447/tora?list-type=2&prefix=users%2Fa%2F"),
        NOW,
        "r",
    );
    let body = String::from_utf8_lossy(response.body()).into_owned();
    assert_eq!(response.status(), StatusCode::OK, "{body}");
    assert!(body.contains("<KeyCount>2</KeyCount>"), "{body}");
    assert!(
        body.contains("<Key>users/a/x</Key>") && !body.contains("users/b/z"),
        "{body}"
    );
}

/// A header-signed GET of `url` (a listing), as the double receives it.
fn signed_get(url: &str) -> Request<Bytes> {
    let time = UNIX_EPOCH + Duration::from_secs(NOW as u64);
    let mut list = http::Request::get(url).body(Vec::new()).unwrap();
    let creds = config("local-secret").credentials;
    let scope = tora_core::clients::sigv4::SigningScope {
        credentials: &creds,
        region: "us-east-1",
        service: "s3",
    };
    tora_core::clients::sigv4::sign_request(
        &mut list,
        &scope,
        tora_core::clients::sigv4::SigningOptions::S3,
        time,
    )
    .unwrap();
    let headers: Vec<(&str, String)> = list
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str(), value.to_str().unwrap().to_owned()))
        .collect();
    request(Method::GET, &list.uri().to_string(), &headers, b"")
}

fn put_keys(double: &S3Double, keys: &[&str]) {
    for key in keys {
        let put = put_url(key, "image/png", 1, 60);
        let response = double.handle(
            &request(Method::PUT, &put.url, &put.headers, b"1"),
            NOW,
            "r",
        );
        assert_eq!(response.status(), StatusCode::OK);
    }
}

#[test]
fn a_long_listing_comes_in_pages_the_worker_can_follow() {
    let dir = data_dir("pages");
    let double = double(&dir);
    put_keys(
        &double,
        &["users/a/1", "users/a/2", "users/a/3", "users/b/1"],
    );
    let mut keys = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        // The worker's own listing request, with a page size of two.
        let time = UNIX_EPOCH + Duration::from_secs(NOW as u64);
        let core = tora_core::clients::s3::list_request(
            &config("local-secret"),
            "users/a/",
            token.as_deref(),
            time,
        )
        .unwrap();
        let url = format!("{}&max-keys=2", core.uri());
        let response = double.handle(&signed_get(&url), NOW, "r");
        let body = String::from_utf8_lossy(response.body()).into_owned();
        assert_eq!(response.status(), StatusCode::OK, "{body}");
        let page = tora_core::clients::s3::parse_list(&body).unwrap();
        keys.extend(page.keys);
        pages += 1;
        match page.next {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 2);
    assert_eq!(keys, ["users/a/1", "users/a/2", "users/a/3"]);
    let bad = double.handle(
        &signed_get("http://127.0.0.1:4447/tora?list-type=2&continuation-token=zz"),
        NOW,
        "r",
    );
    assert_eq!(code(&bad), "InvalidArgument");
}

#[test]
fn a_queued_fault_fails_the_next_matching_request_once() {
    let dir = data_dir("faults");
    let double = double(&dir);
    put_keys(&double, &["users/a/1", "users/b/1"]);
    let queue = request(
        Method::POST,
        "http://127.0.0.1:4447/__faults",
        &[],
        br#"{"next": [{"code": "SlowDown", "method": "DELETE", "prefix": "users/a/"}]}"#,
    );
    assert_eq!(
        double.handle(&queue, NOW, "r").status(),
        StatusCode::NO_CONTENT
    );

    let other = double.handle(
        &signed(Method::DELETE, "users/b/1", "local-secret"),
        NOW,
        "r",
    );
    assert_eq!(other.status(), StatusCode::NO_CONTENT, "another prefix");
    let get = double.handle(&signed(Method::GET, "users/a/1", "local-secret"), NOW, "r");
    assert_eq!(get.status(), StatusCode::OK, "another method");
    let failed = double.handle(
        &signed(Method::DELETE, "users/a/1", "local-secret"),
        NOW,
        "r",
    );
    assert_eq!(failed.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(code(&failed), "SlowDown");
    let retried = double.handle(
        &signed(Method::DELETE, "users/a/1", "local-secret"),
        NOW,
        "r",
    );
    assert_eq!(retried.status(), StatusCode::NO_CONTENT, "each fault once");
}

#[test]
fn what_the_double_holds_can_be_looked_at_without_signing() {
    let dir = data_dir("inspect");
    let double = double(&dir);
    put_keys(&double, &["users/a/1", "users/b/1"]);
    let look = request(
        Method::GET,
        "http://127.0.0.1:4447/__objects?prefix=users%2Fa%2F",
        &[],
        b"",
    );
    let response = double.handle(&look, NOW, "r");
    let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"objects": [{"bucket": "tora", "key": "users/a/1", "size": 1}]})
    );
}
