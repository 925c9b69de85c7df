//! Use cases: one async function per thing a user can do, generic over the ports.

pub mod accounts;
