//! Domain types and rules, free of I/O.

pub mod account;
pub mod catalog;
pub mod chat;
pub mod coaching;
pub mod corrections;
pub mod credits;
pub mod date_text;
pub mod exercises;
pub mod export;
pub mod extraction;
pub mod imports;
pub mod meals;
pub mod memory;
pub mod object_deletions;
pub mod parser;
pub mod profile;
pub mod skills;
pub mod stats;
pub mod text;
pub mod uploads;
pub mod workout;
pub mod zone;
pub mod zone_names;
