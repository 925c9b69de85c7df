//! Checks that need the whole message: rounds that cover several exercises ("3
//! rounds of 10 push-ups and 5 pull-ups"), set and round labels ("set 1: 8"),
//! circuits and ladders. Each reads its structure exactly or makes the message
//! unsure: a wrong log is worse than a question.

use super::grouping::Group;
use super::items::{ItemKind, unclear};
use super::{ParsedEntry, ParsedSet, UnsureReason};

/// "3 rounds of 10 push-ups and 5 pull-ups" is 3 sets of each. The rounds must be
/// counted once, before the first exercise, and every exercise must then have one
/// amount, done each round, or one amount per round ("3 rounds: pull-ups 10, 8, 6
/// / dips 15, 12, 10"). Otherwise ("10 pull-ups, 15 dips, 3 rounds", "3 rounds of
/// 10 push-ups, then 20 squats", "3 rounds: 3x8 pull-ups, 10 dips") which sets the
/// rounds hold is unclear. One exercise with its rounds is read like sets.
pub(super) fn spread_rounds(groups: &mut [Group]) -> Result<(), UnsureReason> {
    let rounds_items = groups
        .iter()
        .flat_map(|group| &group.items)
        .filter(|item| item.rounds)
        .count();
    if groups.len() < 2 || rounds_items == 0 {
        return Ok(());
    }
    if rounds_items > 1
        || groups
            .iter()
            .any(|group| group.late_rounds || group.after_sequence)
    {
        return unclear();
    }
    let Some(first) = groups.first_mut() else {
        return Ok(());
    };
    let Some(position) = first
        .items
        .iter()
        .position(|item| item.kind != ItemKind::ModifiersOnly)
    else {
        return unclear();
    };
    let Some(item) = first.items.get_mut(position).filter(|item| item.rounds) else {
        return unclear();
    };
    let rounds = match &mut item.kind {
        ItemKind::CountOnly(count) if item.modifiers.is_empty() => {
            let count = *count;
            first.items.remove(position);
            count
        }
        ItemKind::Sets {
            count,
            counted,
            amounts,
        } if amounts.len() == 1 => {
            let rounds = *count;
            *count = 1;
            *counted = false;
            item.rounds = false;
            item.list_may_follow = false;
            rounds
        }
        _ => return unclear(),
    };
    groups
        .iter_mut()
        .try_for_each(|group| sets_per_round(group, rounds))
}

/// One exercise of a round: one amount becomes one set per round; a list must have
/// one amount per round.
fn sets_per_round(group: &mut Group, rounds: u32) -> Result<(), UnsureReason> {
    let mut written = 0;
    for item in &group.items {
        match &item.kind {
            ItemKind::ModifiersOnly => {}
            ItemKind::Sets {
                count: 1,
                counted: false,
                amounts,
            } => written += amounts.len(),
            _ => return unclear(),
        }
    }
    if written == rounds as usize {
        return Ok(());
    }
    if written != 1 {
        return unclear();
    }
    for item in &mut group.items {
        if let ItemKind::Sets { count, counted, .. } = &mut item.kind {
            *count = rounds;
            *counted = true;
        }
    }
    Ok(())
}

/// "set 1: 8, set 2: 7": labels count from 1 in order (another exercise may start
/// again at 1), and no set is counted besides them: "pull-ups 3x8, set 3: 6" says
/// the third set was 6, not that there was a fourth.
pub(super) fn check_labels(groups: &[Group]) -> Result<(), UnsureReason> {
    let in_order = |labels: Vec<u32>| {
        let mut previous = 0;
        labels.into_iter().all(|label| {
            let next = label == 1 || label == previous + 1;
            previous = label;
            next
        })
    };
    let set_labels: Vec<u32> = groups
        .iter()
        .flat_map(|group| group.set_labels.iter().copied())
        .collect();
    let round_labels: Vec<u32> = groups
        .iter()
        .flat_map(|group| group.round_labels.iter().copied())
        .collect();
    if set_labels.is_empty() && round_labels.is_empty() {
        return Ok(());
    }
    let counted = groups.iter().flat_map(|group| &group.items).any(|item| {
        matches!(
            item.kind,
            ItemKind::CountOnly(_) | ItemKind::Sets { counted: true, .. }
        )
    });
    if counted || !in_order(set_labels) || !in_order(round_labels) {
        return unclear();
    }
    Ok(())
}

/// An exercise with set labels has one set per label ("pull-ups 8, 8, 6, sets 1-2
/// with band" is not five sets).
pub(super) fn check_labelled_sets(labels: &[u32], sets: &[ParsedSet]) -> Result<(), UnsureReason> {
    if !labels.is_empty() && labels.len() != sets.len() {
        return unclear();
    }
    Ok(())
}

/// A circuit or superset without a count of rounds must give every exercise its
/// own sets ("superset pull-ups 3x8 with dips 3x10"): "superset: 10 pull-ups + 15
/// dips" does not say how many rounds.
pub(super) fn check_circuit(entries: &[ParsedEntry]) -> Result<(), UnsureReason> {
    if entries.iter().any(|entry| entry.sets.len() < 2) {
        return unclear();
    }
    Ok(())
}

/// A ladder or pyramid is read when its sets are written out, at least three, in
/// even steps ("1-2-3-4-5", "2, 4, 6, 4, 2"). A range ("ladder 1-5"), a top ("to
/// 10"), repeats or uneven steps ("pyramid 1-10-1", an abbreviation) are unclear.
pub(super) fn check_ladder(entries: &[ParsedEntry]) -> Result<(), UnsureReason> {
    for entry in entries {
        let reps: Option<Vec<u32>> = entry
            .sets
            .iter()
            .map(|set| match set {
                ParsedSet {
                    reps: Some(reps),
                    reps_max: None,
                    seconds: None,
                    ..
                } => Some(*reps),
                _ => None,
            })
            .collect();
        let Some(reps) = reps else {
            return unclear();
        };
        let steps: Vec<u32> = reps
            .windows(2)
            .map(|pair| match pair {
                [from, to] => from.abs_diff(*to),
                _ => 0,
            })
            .collect();
        let even = steps
            .first()
            .is_some_and(|&step| step > 0 && steps.iter().all(|&other| other == step));
        let abbreviated = matches!(reps[..], [first, _, last] if first == last);
        if reps.len() < 3 || !even || abbreviated {
            return unclear();
        }
    }
    Ok(())
}
