//! Native developer tooling for Tora. Each module backs one `tora-dev` subcommand;
//! the end-to-end tests reuse `tokens` to mint the JWTs they send.

pub mod bedrock_double;
pub mod catalog_sql;
pub mod migrate;
pub mod neon_local;
pub mod openapi;
pub mod parse;
pub mod random_faults;
pub mod s3_double;
pub mod tokens;
