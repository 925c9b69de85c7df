//! Use cases: one async function per thing a user can do, generic over the ports.

pub mod accounts;
pub mod chat;
pub mod corrections;
pub mod credits;
pub mod exercises;
pub mod export;
#[cfg(test)]
pub(crate) mod fakes;
pub mod imports;
pub mod meals;
pub mod memories;
#[cfg(test)]
pub(crate) mod memory_workouts;
pub mod object_deletions;
pub mod stats;
pub mod uploads;
pub mod workouts;
