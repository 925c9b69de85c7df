//! `tora-dev jwks-serve`: a local stand-in for Supabase Auth's key endpoint.
//!
//! - `GET /.well-known/jwks.json`: the public keys in the key file, re-read on every
//!   request so edits and rotations show up at once.
//! - `POST /keys?alg=ES256|RS256`: generates a key, appends it to the file (published
//!   from then on) and answers `201` with the key file entry, private key included,
//!   so a test can sign with a key the worker has not seen yet.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tora_core::auth::JwsAlgorithm;

use super::keys::{SigningKey, ensure_key_file, load_keys, public_jwks, save_keys};

const JWKS_PATH: &str = "/.well-known/jwks.json";
const KEYS_PATH: &str = "/keys";

/// Serves the JWKS on `listen` until the process is stopped, creating `keys` (one
/// ES256 and one RS256 key) when it does not exist.
pub async fn serve_jwks(listen: SocketAddr, keys: &Path) -> anyhow::Result<()> {
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("could not listen on {listen}"))?;
    serve_jwks_on(listener, keys.to_path_buf()).await
}

/// [`serve_jwks`] on a listener the caller bound (port 0 in tests).
pub async fn serve_jwks_on(listener: TcpListener, keys: PathBuf) -> anyhow::Result<()> {
    let path = keys.clone();
    let initial = tokio::task::spawn_blocking(move || ensure_key_file(&path)).await??;
    let address = listener.local_addr()?;
    eprintln!(
        "jwks-serve: serving http://{address}{JWKS_PATH} ({} keys from {})",
        initial.len(),
        keys.display()
    );
    let state = Arc::new(State {
        keys,
        rotation: Mutex::new(()),
    });
    loop {
        let (stream, _peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                eprintln!("jwks-serve: accept failed: {error}");
                continue;
            }
        };
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(handle(&state, &request).await) }
            });
            if let Err(error) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("jwks-serve: connection error: {error}");
            }
        });
    }
}

struct State {
    keys: PathBuf,
    /// Rotations read, extend and rewrite the file; one at a time.
    rotation: Mutex<()>,
}

async fn handle<B>(state: &State, request: &Request<B>) -> Response<Full<Bytes>> {
    let result = match (request.method(), request.uri().path()) {
        (&Method::GET | &Method::HEAD, JWKS_PATH) => jwks(state).await,
        (&Method::POST, KEYS_PATH) => rotate(state, request.uri().query()).await,
        (_, JWKS_PATH | KEYS_PATH) => Ok((
            StatusCode::METHOD_NOT_ALLOWED,
            json!({"error": "method not allowed"}),
        )),
        _ => Ok((StatusCode::NOT_FOUND, json!({"error": "not found"}))),
    };
    let (status, body) = result.unwrap_or_else(|error| {
        eprintln!("jwks-serve: {error:#}");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": format!("{error:#}")}),
        )
    });
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    // Key rotation must be visible to the next fetch.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn jwks(state: &State) -> anyhow::Result<(StatusCode, Value)> {
    let path = state.keys.clone();
    let keys = tokio::task::spawn_blocking(move || load_keys(&path)).await??;
    Ok((StatusCode::OK, public_jwks(&keys)))
}

async fn rotate(state: &State, query: Option<&str>) -> anyhow::Result<(StatusCode, Value)> {
    let requested = query
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("alg="));
    let alg = match requested.and_then(JwsAlgorithm::from_name) {
        Some(alg @ (JwsAlgorithm::Es256 | JwsAlgorithm::Rs256)) => alg,
        _ => {
            return Ok((
                StatusCode::BAD_REQUEST,
                json!({"error": "expected ?alg=ES256 or ?alg=RS256"}),
            ));
        }
    };
    let _one_rotation_at_a_time = state.rotation.lock().await;
    let path = state.keys.clone();
    let key = tokio::task::spawn_blocking(move || -> anyhow::Result<SigningKey> {
        let key = SigningKey::generate(alg)?;
        let mut keys = load_keys(&path)?;
        keys.push(key.clone());
        save_keys(&path, &keys)?;
        Ok(key)
    })
    .await??;
    Ok((StatusCode::CREATED, key.to_json()?))
}

/// Asks the `jwks-serve` at `issuer_url` for a new key of type `alg` and returns it,
/// ready to sign. Any URL of the server will do (its base, or the JWKS URL itself):
/// only the host and port are used.
pub async fn rotate_key(issuer_url: &str, alg: JwsAlgorithm) -> anyhow::Result<SigningKey> {
    let (status, body) = exchange(
        issuer_url,
        Method::POST,
        &format!("{KEYS_PATH}?alg={}", alg.name()),
    )
    .await?;
    if status != StatusCode::CREATED {
        bail!(
            "jwks-serve answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    SigningKey::from_json(&serde_json::from_slice(&body)?)
}

/// One HTTP/1.1 exchange with our own server over plain TCP. Deliberately minimal:
/// `Connection: close` and a `Content-Length` body, which is all hyper sends here.
pub(crate) async fn exchange(
    url: &str,
    method: Method,
    path_and_query: &str,
) -> anyhow::Result<(StatusCode, Vec<u8>)> {
    let uri: http::Uri = url.parse().with_context(|| format!("invalid URL {url}"))?;
    if uri.scheme_str() != Some("http") {
        bail!("{url}: jwks-serve speaks plain http only");
    }
    let host = uri.host().with_context(|| format!("{url} has no host"))?;
    let port = uri.port_u16().unwrap_or(80);
    let exchange = async {
        let mut stream = TcpStream::connect((host, port)).await?;
        let request = format!(
            "{method} {path_and_query} HTTP/1.1\r\nhost: {host}:{port}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        anyhow::Ok(response)
    };
    let response = tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .with_context(|| format!("{url} did not answer within 30 s"))??;

    let split = response
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .context("response has no header end")?;
    let head = std::str::from_utf8(&response[..split]).context("response head is not UTF-8")?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .context("response has no status")?;
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        bail!("chunked responses are not supported");
    }
    Ok((status, response[split + 4..].to_vec()))
}
