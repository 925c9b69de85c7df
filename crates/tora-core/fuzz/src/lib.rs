//! What every fuzz target shares: an input must not only not panic, it must finish
//! within a budget (`TORA_FUZZ_SLOW_MS`, default 10 ms of CPU time), or it is reported
//! as a crash the fuzzer keeps. The budget counts the thread's CPU time, not wall time:
//! on a busy machine a scheduler pause is not the input's cost. A slow run is repeated
//! once before it counts.

use std::sync::Once;
use std::time::Duration;

fn budget() -> Duration {
    let millis = std::env::var("TORA_FUZZ_SLOW_MS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(10);
    Duration::from_millis(millis)
}

/// CPU time this thread has used so far.
fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec for the call to write; the clock id is a
    // constant the platform defines.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0, "the thread CPU clock is unavailable");
    Duration::new(
        u64::try_from(now.tv_sec).unwrap_or(0),
        u32::try_from(now.tv_nsec).unwrap_or(0),
    )
}

/// CPU time `target` takes on `data`.
fn cpu_time_of(data: &[u8], target: fn(&[u8])) -> Duration {
    let started = thread_cpu_time();
    target(data);
    thread_cpu_time().saturating_sub(started)
}

/// Runs `target` on `data`, panicking when it is over budget twice in a row.
pub fn within_budget(data: &[u8], target: fn(&[u8])) {
    static WARM: Once = Once::new();
    // The first call builds the catalog and other lazy tables: not the input's cost.
    WARM.call_once(|| target(b""));
    let budget = budget();
    if cpu_time_of(data, target) <= budget {
        return;
    }
    let took = cpu_time_of(data, target);
    assert!(
        took <= budget,
        "an input of {} bytes took {took:?} of CPU, over the {budget:?} budget",
        data.len()
    );
}
