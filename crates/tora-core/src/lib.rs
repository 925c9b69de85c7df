//! Tora's platform-free core: domain rules, protocol codecs, typed queries and the
//! HTTP surface. It never names `worker`, never reads the clock and never draws
//! randomness itself; the platform hands those in through `ports`.

pub mod app;
pub mod auth;
pub mod clients;
pub mod config;
pub mod db;
pub mod domain;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod http;
pub mod jobs;
pub mod ports;
pub mod secret;
pub mod sorting;
