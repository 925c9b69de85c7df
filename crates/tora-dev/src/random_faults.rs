//! Faults drawn at random, for the load and fault runs: a share of a double's requests
//! each get one fault picked from a list, from a seeded generator so a run can be
//! repeated. The doubles' queued faults (one named request each) are for the
//! end-to-end tests; these are for traffic too large to name request by request.

use serde::Deserialize;

/// What a test asks for: `{"share": 0.1, "kinds": [...], "seed": 7, "delay_ms": 300}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomFaultsSpec<K> {
    /// The share of requests that get a fault, 0 to 1.
    pub share: f64,
    /// The kinds to pick from, each as likely as the others.
    pub kinds: Vec<K>,
    #[serde(default)]
    pub seed: u64,
    /// How long a slow fault waits before the request goes on normally.
    #[serde(default)]
    pub delay_ms: Option<u64>,
}

/// A running draw: each request asks once.
#[derive(Debug, Clone)]
pub struct RandomFaults<K> {
    share: f64,
    kinds: Vec<K>,
    delay_ms: Option<u64>,
    state: u64,
}

impl<K: Copy> RandomFaults<K> {
    /// Refuses a share outside 0..=1 and an empty list, which would silently inject
    /// nothing (or everything).
    pub fn new(spec: RandomFaultsSpec<K>) -> Result<Self, String> {
        if !(0.0..=1.0).contains(&spec.share) {
            return Err(format!("share must be within 0 and 1, not {}", spec.share));
        }
        if spec.kinds.is_empty() {
            return Err("kinds must name at least one fault".into());
        }
        Ok(Self {
            share: spec.share,
            kinds: spec.kinds,
            delay_ms: spec.delay_ms,
            state: spec.seed,
        })
    }

    /// The fault for the next request, if it gets one.
    pub fn draw(&mut self) -> Option<K> {
        if self.unit() >= self.share {
            return None;
        }
        let pick = (self.unit() * self.kinds.len() as f64) as usize;
        self.kinds.get(pick.min(self.kinds.len() - 1)).copied()
    }

    pub fn delay_ms(&self) -> Option<u64> {
        self.delay_ms
    }

    /// The next number in [0, 1), by splitmix64: small, seedable and good enough to
    /// spread faults evenly; nothing here needs to be unpredictable.
    fn unit(&mut self) -> f64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut mixed = self.state;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        mixed ^= mixed >> 31;
        (mixed >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(share: f64, seed: u64, count: usize) -> Vec<Option<char>> {
        let mut faults = RandomFaults::new(RandomFaultsSpec {
            share,
            kinds: vec!['a', 'b'],
            seed,
            delay_ms: None,
        })
        .unwrap();
        (0..count).map(|_| faults.draw()).collect()
    }

    #[test]
    fn about_the_share_asked_for_gets_a_fault_spread_over_the_kinds() {
        let drawn = draws(0.2, 7, 10_000);
        let hit = drawn.iter().flatten().count();
        assert!((1_800..=2_200).contains(&hit), "{hit}");
        let first_kind = drawn.iter().flatten().filter(|kind| **kind == 'a').count();
        assert!(
            (hit * 4 / 10..=hit * 6 / 10).contains(&first_kind),
            "{first_kind}"
        );
    }

    #[test]
    fn the_same_seed_repeats_the_run_and_the_edges_hold() {
        assert_eq!(draws(0.3, 11, 500), draws(0.3, 11, 500));
        assert_ne!(draws(0.3, 11, 500), draws(0.3, 12, 500));
        assert!(draws(0.0, 1, 1_000).iter().all(Option::is_none));
        assert!(draws(1.0, 1, 1_000).iter().all(Option::is_some));
    }

    #[test]
    fn a_share_out_of_range_or_no_kinds_is_refused() {
        let spec = |share: f64, kinds: Vec<char>| RandomFaultsSpec {
            share,
            kinds,
            seed: 0,
            delay_ms: None,
        };
        assert!(RandomFaults::new(spec(1.5, vec!['a'])).is_err());
        assert!(RandomFaults::new(spec(-0.1, vec!['a'])).is_err());
        assert!(RandomFaults::new(spec(f64::NAN, vec!['a'])).is_err());
        assert!(RandomFaults::new(spec(0.5, vec![])).is_err());
    }
}
