//! Domain types and rules, free of I/O.

pub mod profile;
pub mod skills;
