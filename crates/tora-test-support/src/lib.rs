//! Test doubles that more than one crate needs. The core's own tests use this crate
//! as a dev-dependency: its integration tests share the core's types with it, and its
//! unit tests only use the parts that name no core type (`csv`, `at`).

pub mod csv;
mod verifier;

pub use verifier::RustCryptoVerifier;

/// An instant written in RFC 3339, for fixtures. Panics on bad text: a broken fixture
/// is a broken test.
#[allow(clippy::expect_used)]
pub fn at(rfc3339: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .expect("a fixture instant in RFC 3339")
        .with_timezone(&chrono::Utc)
}
