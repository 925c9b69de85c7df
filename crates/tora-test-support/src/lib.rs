//! Test doubles that more than one crate needs. The core's own tests use this crate
//! as a dev-dependency: its integration tests share the core's types with it, and its
//! unit tests only use the parts that name no core type (`csv`).

pub mod csv;
mod verifier;

pub use verifier::RustCryptoVerifier;
