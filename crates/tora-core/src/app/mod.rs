//! Use cases: one async function per thing a user can do, generic over the ports.

pub mod accounts;
pub mod chat;
pub mod credits;
pub mod export;
pub mod memories;
pub mod stats;
pub mod workouts;
