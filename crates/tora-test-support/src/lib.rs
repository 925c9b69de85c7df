//! Test doubles that more than one crate needs. The core's own tests use this crate
//! as a dev-dependency: its integration tests share the core's types with it.

mod verifier;

pub use verifier::RustCryptoVerifier;
