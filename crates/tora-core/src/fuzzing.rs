//! The entry points of the fuzz targets (`crates/tora-core/fuzz/`): each takes any
//! bytes and runs one decoder the way a request or a response reaches it. None may
//! panic; the targets also flag an input that takes too long. Inputs the fuzzer found
//! are kept in `fuzz/regressions/<target>/` and replayed by the tests below.

use crate::auth::{AuthConfig, HmacSecret};
use crate::domain::catalog::Catalog;
use crate::domain::imports::{ImportSource, parse as parse_export};
use crate::domain::profile::Units;

/// A chat message through the deterministic parser and the correction reader.
pub fn chat_message(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(catalog) = Catalog::embedded() else {
        return;
    };
    let _ = crate::domain::parser::parse(text, catalog);
    let _ = crate::domain::corrections::parse(text);
}

/// An `authorization` header value: the token's segments, header and claims.
pub fn bearer_token(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = AuthConfig::new(
        Some(HmacSecret::new(b"fuzzing".to_vec())),
        None,
        "https://issuer.test".to_owned(),
        "authenticated".to_owned(),
    ) else {
        return;
    };
    let _ = crate::auth::decode_unverified(text, &config, 1_800_000_000);
    let _ = crate::auth::decode_unverified(&format!("Bearer {text}"), &config, 1_800_000_000);
    let _ = crate::auth::parse_jwks(data);
}

/// A response of the Neon SQL endpoint; the first byte picks a success or an error.
pub fn neon_response(data: &[u8]) {
    let Some((first, body)) = data.split_first() else {
        return;
    };
    let status = if first % 4 == 0 { 400 } else { 200 };
    crate::clients::neon::decode_response(status, body);
}

/// A request body, as every route that takes one decodes and checks it.
pub fn json_body(data: &[u8]) {
    crate::http::decode_every_body(data);
}

/// A Strong or Hevy export; the first byte picks the source and the unit.
pub fn export_file(data: &[u8]) {
    let Some((first, body)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(body) else {
        return;
    };
    let source = if first % 2 == 0 {
        ImportSource::Strong
    } else {
        ImportSource::Hevy
    };
    let unit = match first % 3 {
        0 => None,
        1 => Some(Units::Kg),
        _ => Some(Units::Lb),
    };
    if let (Ok(parsed), Ok(catalog)) = (parse_export(source, text, unit), Catalog::embedded()) {
        let _ = crate::domain::imports::plan::plan(
            catalog,
            &parsed,
            crate::domain::profile::Timezone::utc(),
            &[],
            &crate::domain::imports::plan::ImportOptions {
                include_warmups: true,
                custom: crate::domain::imports::plan::CustomExercises::All,
            },
            chrono::DateTime::<chrono::Utc>::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
        );
    }
}

/// A fuzz target's entry point: any bytes in, nothing out, never a panic.
pub type Target = fn(&[u8]);

/// The targets by name, as `fuzz/fuzz_targets/` names them.
pub const TARGETS: [(&str, Target); 5] = [
    ("chat_message", chat_message),
    ("bearer_token", bearer_token),
    ("neon_response", neon_response),
    ("json_body", json_body),
    ("export_file", export_file),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every input kept under `fuzz/regressions/<target>/` runs without a panic.
    #[test]
    fn found_inputs_stay_fixed() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
        let mut replayed = 0;
        for (name, target) in TARGETS {
            let Ok(entries) = std::fs::read_dir(root.join(name)) else {
                continue;
            };
            for entry in entries.flatten() {
                let data = std::fs::read(entry.path()).unwrap();
                target(&data);
                replayed += 1;
            }
        }
        assert!(
            replayed > 0,
            "no regression inputs under {}",
            root.display()
        );
    }

    #[test]
    fn each_target_takes_arbitrary_bytes() {
        let inputs: [&[u8]; 6] = [
            b"",
            b"\xff\xfe",
            b"{\"fields\":[{\"name\":\"a\"}],\"rows\":[[1]],\"command\":\"SELECT\"}",
            b"Bearer a.b.c",
            b"Date,Workout Name,Exercise Name,Set Order\n2024-01-01 10:00:00,A,Dip,1\n",
            b"3x8 pull-ups, then 20s l-sit",
        ];
        for (_, target) in TARGETS {
            for input in inputs {
                target(input);
            }
        }
    }
}
