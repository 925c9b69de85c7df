//! Stable sorting whose bulk is compiled once.
//!
//! The standard library's sorts are generic over the element and the comparison, so
//! every call site gets its own copy of a large algorithm (several kilobytes of Wasm
//! each; they were the largest single item after the route dispatch). Here the
//! algorithm works on positions through a `dyn` comparison: one copy serves every call,
//! and only a few lines per call site remain generic. The lists sorted on a request
//! are small (a workout's sets, a skill tree, an import's sessions), so the extra
//! indirection costs nothing that shows.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Sorts `items` by `compare`, keeping equal items in their order (like
/// `slice::sort_by`).
pub fn sort_by<T>(items: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    let order = sorted_positions(items.len(), &mut |a, b| compare(&items[a], &items[b]));
    apply_order(items, order);
}

/// Sorts `items` by the key `key_of` gives each, keeping items with equal keys in
/// their order (like `slice::sort_by_key`).
pub fn sort_by_key<T, K: Ord>(items: &mut [T], mut key_of: impl FnMut(&T) -> K) {
    sort_by(items, |a, b| key_of(a).cmp(&key_of(b)));
}

/// The positions `0..len` in sorted order: a stable, top-down merge sort over
/// positions, with insertion sort for short runs.
fn sorted_positions(len: usize, compare: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    let mut scratch = order.clone();
    merge_sort(&mut order, &mut scratch, compare);
    order
}

/// Runs this short are sorted by insertion.
const INSERTION_RUN: usize = 12;

fn merge_sort(
    order: &mut [usize],
    scratch: &mut [usize],
    compare: &mut dyn FnMut(usize, usize) -> Ordering,
) {
    let len = order.len();
    if len <= INSERTION_RUN {
        for end in 1..len {
            let mut at = end;
            // Strictly greater only: equal items never pass each other.
            while at > 0 && compare(order[at - 1], order[at]) == Ordering::Greater {
                order.swap(at - 1, at);
                at -= 1;
            }
        }
        return;
    }
    let middle = len / 2;
    {
        let (left, right) = order.split_at_mut(middle);
        let (left_scratch, right_scratch) = scratch.split_at_mut(middle);
        merge_sort(left, left_scratch, compare);
        merge_sort(right, right_scratch, compare);
    }
    scratch[..len].copy_from_slice(order);
    let (left, right) = scratch[..len].split_at(middle);
    let (mut l, mut r) = (0, 0);
    for slot in order.iter_mut() {
        // Left wins ties: that keeps the sort stable.
        let take_left =
            r == right.len() || (l < left.len() && compare(left[l], right[r]) != Ordering::Greater);
        if take_left {
            *slot = left[l];
            l += 1;
        } else {
            *slot = right[r];
            r += 1;
        }
    }
}

/// Moves the items so that position `i` holds what was at `order[i]`, by following
/// the permutation's cycles with swaps.
fn apply_order<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..order.len() {
        let mut current = start;
        while order[current] != start {
            let next = order[current];
            items.swap(current, next);
            order[current] = current;
            current = next;
        }
        order[current] = current;
    }
}

/// Building a `BTreeMap` or `BTreeSet` with `collect()` sorts the items first, with
/// another copy of the standard sort for each item type; inserting them one by one
/// needs none. A later item with an equal key wins, as with `collect()`.
pub trait CollectTree: Iterator + Sized {
    fn collect_map<K: Ord, V>(self) -> BTreeMap<K, V>
    where
        Self: Iterator<Item = (K, V)>,
    {
        let mut map = BTreeMap::new();
        for (key, value) in self {
            map.insert(key, value);
        }
        map
    }

    fn collect_set<T: Ord>(self) -> BTreeSet<T>
    where
        Self: Iterator<Item = T>,
    {
        let mut set = BTreeSet::new();
        for item in self {
            set.insert(item);
        }
        set
    }

    /// The map of the pairs, or the first error among them.
    fn try_collect_map<K: Ord, V, E>(self) -> Result<BTreeMap<K, V>, E>
    where
        Self: Iterator<Item = Result<(K, V), E>>,
    {
        let mut map = BTreeMap::new();
        for pair in self {
            let (key, value) = pair?;
            map.insert(key, value);
        }
        Ok(map)
    }
}

impl<I: Iterator> CollectTree for I {}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn sorts_like_the_standard_stable_sort(items in proptest::collection::vec((0u8..6, any::<u16>()), 0..200)) {
            let mut ours = items.clone();
            let mut standard = items;
            // Only the first field is compared: the second shows whether equal keys
            // kept their order.
            sort_by_key(&mut ours, |item| item.0);
            standard.sort_by_key(|item| item.0);
            prop_assert_eq!(ours, standard);
        }

        #[test]
        fn sorts_by_a_comparison_like_the_standard_sort(items in proptest::collection::vec(any::<i32>(), 0..100)) {
            let mut ours = items.clone();
            let mut standard = items;
            sort_by(&mut ours, |a, b| b.cmp(a));
            standard.sort_by(|a, b| b.cmp(a));
            prop_assert_eq!(ours, standard);
        }
    }

    #[test]
    fn trees_keep_the_last_of_equal_keys_like_collect() {
        let pairs = [("dip", 1), ("pull-up", 2), ("dip", 3)];
        let collected: BTreeMap<_, _> = pairs.into_iter().collect();
        assert_eq!(pairs.into_iter().collect_map(), collected);
        let set: BTreeSet<_> = pairs.iter().map(|pair| pair.0).collect();
        assert_eq!(pairs.iter().map(|pair| pair.0).collect_set(), set);
        let failed: Result<BTreeMap<&str, i32>, &str> =
            [Ok(("dip", 1)), Err("broken"), Err("later")]
                .into_iter()
                .try_collect_map();
        assert_eq!(failed, Err("broken"));
    }

    #[test]
    fn strings_move_whole() {
        let mut names = vec!["pull-up".to_owned(), "dip".to_owned(), "L-sit".to_owned()];
        sort_by_key(&mut names, String::len);
        assert_eq!(names, ["dip", "L-sit", "pull-up"]);
    }
}
