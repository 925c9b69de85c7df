//! `tora-dev openapi`: the API's OpenAPI document, generated from the route table and
//! the handlers' types (`tora_core::http::openapi`), written to the file the worker
//! embeds and serves at `GET /openapi.json`. The tests below fail when the committed
//! file differs from what the types generate, or when a route and the document
//! disagree.

use std::path::{Path, PathBuf};

/// Where the worker reads the document from (`include_str!`), from the repo root.
pub const DOCUMENT_PATH: &str = "crates/tora-core/openapi.json";

/// The document as it should be committed.
pub fn generate() -> anyhow::Result<String> {
    Ok(tora_core::http::openapi::document_json()?)
}

/// Writes the document to `path` (default: `DOCUMENT_PATH` under the repo root).
pub fn write(path: Option<&Path>) -> anyhow::Result<PathBuf> {
    let repo_root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| anyhow::anyhow!("tora-dev is not inside the repository"))?;
    let path = path.map_or_else(|| repo_root.join(DOCUMENT_PATH), Path::to_path_buf);
    std::fs::write(&path, generate()?)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;
    use tora_core::http::routes::ROUTES;

    use super::*;

    fn committed() -> Value {
        serde_json::from_str(tora_core::http::OPENAPI_JSON).expect("the committed document is JSON")
    }

    #[test]
    fn the_committed_document_is_what_the_types_generate() {
        let generated = generate().unwrap();
        assert!(
            generated == tora_core::http::OPENAPI_JSON,
            "{DOCUMENT_PATH} is out of date with the route table or the handlers' types; \
             regenerate it with `cargo run -p tora-dev -- openapi` and commit it"
        );
    }

    #[test]
    fn the_document_has_exactly_the_routes_of_the_table() {
        let document = committed();
        let mut documented = BTreeSet::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, _) in item.as_object().unwrap() {
                documented.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
        let routed: BTreeSet<String> = ROUTES
            .iter()
            .flat_map(|route| {
                route
                    .operations
                    .iter()
                    .map(move |operation| format!("{} {}", operation.method, route.pattern))
            })
            .collect();
        let undocumented: Vec<_> = routed.difference(&documented).collect();
        let unrouted: Vec<_> = documented.difference(&routed).collect();
        assert!(
            undocumented.is_empty() && unrouted.is_empty(),
            "routes missing from the document: {undocumented:?}; documented but not routed: {unrouted:?}"
        );
    }

    #[test]
    fn the_document_is_openapi_3_1_with_both_bearer_schemes() {
        let document = committed();
        assert_eq!(document["openapi"], "3.1.0");
        let schemes = &document["components"]["securitySchemes"];
        assert_eq!(schemes["bearer"]["scheme"], "bearer");
        assert_eq!(schemes["bearer"]["bearerFormat"], "JWT");
        assert_eq!(schemes["admin"]["scheme"], "bearer");
        assert_eq!(
            document["paths"]["/admin/credits"]["post"]["security"],
            serde_json::json!([{"admin": []}])
        );
        assert_eq!(
            document["paths"]["/v1/me"]["get"]["security"],
            serde_json::json!([{"bearer": []}])
        );
        assert!(document["paths"]["/openapi.json"]["get"]["security"].is_null());
    }

    #[test]
    fn every_operation_documents_its_problems_as_problem_json() {
        let document = committed();
        let problem = &document["components"]["schemas"]["Problem"];
        for member in [
            "type", "title", "status", "detail", "errors", "balance", "price",
        ] {
            assert!(
                problem["properties"][member].is_object(),
                "Problem lacks {member}"
            );
        }
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let responses = operation["responses"].as_object().unwrap();
                let problems: Vec<_> = responses
                    .iter()
                    .filter(|(status, _)| status.starts_with('4') || status.starts_with('5'))
                    .collect();
                assert!(!problems.is_empty(), "{method} {path} documents no problem");
                for (status, response) in problems {
                    let response = match response["$ref"].as_str() {
                        Some(name) => {
                            let name = name.trim_start_matches("#/components/responses/");
                            &document["components"]["responses"][name]
                        }
                        None => response,
                    };
                    assert_eq!(
                        response["content"]["application/problem+json"]["schema"]["$ref"],
                        "#/components/schemas/Problem",
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
}
