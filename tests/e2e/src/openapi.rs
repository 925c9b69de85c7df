//! Every response the suite reads from the worker, checked against the OpenAPI
//! document: the status must be documented for the operation, the content type must be
//! one the document lists for it (no body when it lists none), and a JSON body must
//! match the documented schema. The document is the committed one the worker embeds;
//! `tests/openapi.rs` checks the running worker serves exactly it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;
use tora_core::http::routes::{Lookup, lookup};

fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        serde_json::from_str(tora_core::http::OPENAPI_JSON).expect("the OpenAPI document is JSON")
    })
}

/// A compiled validator per schema: compiling resolves every `$ref` once.
fn validator(schema: &Value) -> Arc<jsonschema::Validator> {
    static VALIDATORS: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> =
        OnceLock::new();
    let key = schema.to_string();
    let validators = VALIDATORS.get_or_init(Mutex::default);
    if let Some(found) = validators.lock().unwrap().get(&key) {
        return found.clone();
    }
    // The schema sits at the root of a document holding the components, so the
    // document's `#/components/schemas/...` references resolve.
    let mut root = match schema {
        Value::Object(object) => object.clone(),
        other => panic!("a schema that is not an object: {other}"),
    };
    root.insert(
        "$schema".into(),
        "https://json-schema.org/draft/2020-12/schema".into(),
    );
    root.insert("components".into(), document()["components"].clone());
    let compiled = Arc::new(
        jsonschema::validator_for(&Value::Object(root))
            .unwrap_or_else(|error| panic!("schema {key} does not compile: {error}")),
    );
    validators.lock().unwrap().insert(key, compiled.clone());
    compiled
}

/// The documented response for `status`, its shared component resolved.
fn documented_response(operation: &Value, status: u16) -> Option<&Value> {
    let response = operation["responses"].get(status.to_string())?;
    match response["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/responses/");
            document()["components"]["responses"].get(name)
        }
        None => Some(response),
    }
}

/// Why a response does not conform to one operation, or `None` when it does.
fn mismatch(
    operation: &Value,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Option<String> {
    let Some(response) = documented_response(operation, status) else {
        return Some(format!("status {status} is not documented"));
    };
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        return (!body.is_empty()).then(|| format!("status {status} is documented without a body"));
    };
    let Some(content_type) = content_type else {
        return Some("no content-type".into());
    };
    let Some(media) = content.get(content_type) else {
        return Some(format!(
            "content-type {content_type} is not one of {:?}",
            content.keys().collect::<Vec<_>>()
        ));
    };
    if !content_type.ends_with("json") {
        return None;
    }
    let instance: Value = match serde_json::from_slice(body) {
        Ok(instance) => instance,
        Err(error) => return Some(format!("the body is not JSON: {error}")),
    };
    let validator = validator(&media["schema"]);
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|error| format!("at `{}`: {error}", error.instance_path()))
        .collect();
    (!errors.is_empty()).then(|| errors.join("; "))
}

/// Appends `METHOD /pattern status` to the file `TORA_OPENAPI_CHECKED` names, when it
/// does: scripts/test.sh reads it to see that every operation was checked answering
/// both a success and a problem.
fn record_checked(method: &str, pattern: &str, status: u16) {
    use std::io::Write as _;
    let Ok(path) = std::env::var("TORA_OPENAPI_CHECKED") else {
        return;
    };
    let line = format!("{} {pattern} {status}\n", method.to_uppercase());
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        // One short write per line: lines of parallel tests do not interleave.
        let _ = file.write_all(line.as_bytes());
    }
}

/// Checks one response of the worker against the document; panics saying what does not
/// conform. `method` is `None` when the caller does not know it (`read` of a response):
/// then the response must conform to at least one operation of its path. Responses of
/// other servers (the doubles), of unknown paths and of the edge's method rules (405,
/// preflights, HEAD) are not operations of the document and are not checked.
pub fn check_response(
    method: Option<&Method>,
    url: &reqwest::Url,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) {
    let Ok(base_url) = std::env::var("BASE_URL") else {
        return;
    };
    if !url.as_str().starts_with(&base_url) {
        return;
    }
    if status == 405 || headers.contains_key("access-control-allow-methods") {
        return;
    }
    if matches!(method, Some(&Method::HEAD) | Some(&Method::OPTIONS)) {
        return;
    }
    let path = url.path();
    let route = match lookup(method.unwrap_or(&Method::GET), path) {
        Lookup::Found { route, .. } | Lookup::WrongMethod { route } => route,
        Lookup::NotFound => return,
    };
    // Without the method, an empty body where one is documented is a HEAD's answer.
    if method.is_none() && body.is_empty() && status != 204 {
        return;
    }
    let content_type = headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .map(|value| value.split(';').next().unwrap_or_default().trim());
    let path_item = &document()["paths"][route.pattern];
    let methods: Vec<String> = match method {
        Some(method) => vec![method.as_str().to_lowercase()],
        None => route
            .operations
            .iter()
            .map(|operation| operation.method.as_str().to_lowercase())
            .collect(),
    };
    let mut reasons = Vec::new();
    for method in &methods {
        let Some(operation) = path_item.get(method) else {
            reasons.push(format!("{method}: not in the document"));
            continue;
        };
        match mismatch(operation, status, content_type, body) {
            None => {
                record_checked(method, route.pattern, status);
                return;
            }
            Some(reason) => reasons.push(format!("{}: {reason}", method.to_uppercase())),
        }
    }
    panic!(
        "the response to {} {} ({status}) does not conform to the OpenAPI document: {}\nbody: {}",
        methods.join("|").to_uppercase(),
        url.path(),
        reasons.join(" / "),
        String::from_utf8_lossy(body)
    );
}
