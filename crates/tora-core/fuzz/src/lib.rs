//! What every fuzz target shares: an input must not only not panic, it must finish
//! within a budget (`TORA_FUZZ_SLOW_MS`, default 10 ms), or it is reported as a crash
//! the fuzzer keeps. A slow run is repeated once before it counts, so a scheduler
//! pause on a busy machine is not mistaken for a slow input.

use std::sync::Once;
use std::time::{Duration, Instant};

fn budget() -> Duration {
    let millis = std::env::var("TORA_FUZZ_SLOW_MS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(10);
    Duration::from_millis(millis)
}

/// Runs `target` on `data`, panicking when it is over budget twice in a row.
pub fn within_budget(data: &[u8], target: fn(&[u8])) {
    static WARM: Once = Once::new();
    // The first call builds the catalog and other lazy tables: not the input's cost.
    WARM.call_once(|| target(b""));
    let budget = budget();
    let started = Instant::now();
    target(data);
    if started.elapsed() <= budget {
        return;
    }
    let again = Instant::now();
    target(data);
    let took = again.elapsed();
    assert!(
        took <= budget,
        "an input of {} bytes took {took:?}, over the {budget:?} budget",
        data.len()
    );
}
