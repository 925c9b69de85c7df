//! Domain types and rules, free of I/O.

pub mod coaching;
pub mod profile;
pub mod skills;
pub mod workout;
