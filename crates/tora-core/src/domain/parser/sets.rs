//! Resolves the items written for one exercise into its sets: counts meet their
//! amounts, modifiers spread where they read that way, a bare number is seconds for a
//! hold, and each set becomes one [`ParsedSet`].

use super::items::{Amount, EachSide, Item, ItemKind, MAX_SETS, Modifiers, unclear};
use super::{ParsedSet, UnsureReason};

/// What the catalog says about an exercise that changes how sets read.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(super) struct ExerciseTraits {
    /// Trained by holding a position: a bare number is seconds.
    pub hold: bool,
    /// Trained one side at a time: a bare "each" means each side.
    pub one_sided: bool,
}

/// Turns the items written for one exercise into its sets.
pub(super) fn resolve_sets(
    items: Vec<Item>,
    traits: ExerciseTraits,
) -> Result<Vec<ParsedSet>, UnsureReason> {
    let items = combine_counts(items)?;
    if !items
        .iter()
        .any(|item| matches!(item.kind, ItemKind::Sets { .. }))
    {
        return Err(UnsureReason::ExerciseWithoutSets);
    }
    let items = spread_modifiers(items)?;
    let mut sets = Vec::new();
    for item in items {
        let ItemKind::Sets {
            count,
            counted,
            amounts,
        } = item.kind
        else {
            continue;
        };
        let repeated: Vec<Amount> = match amounts[..] {
            [amount] => vec![amount; count as usize],
            _ if !counted || count as usize == amounts.len() => amounts,
            _ => return unclear(),
        };
        for amount in repeated {
            sets.push(parsed_set(amount, item.modifiers, traits)?);
        }
    }
    // "3x5 (5s each)", "3x8 with 3s pause": the seconds describe the reps.
    let has_reps = sets.iter().any(|set| set.reps.is_some());
    let has_seconds = sets.iter().any(|set| set.seconds.is_some());
    if sets.len() > MAX_SETS as usize || (has_reps && has_seconds) {
        return unclear();
    }
    Ok(sets)
}

/// "3 sets" takes the amount that follows ("3 sets: 8" is 3x8) or, when several
/// follow, must match their number ("3 sets: 8, 8, 6"); "8 reps, 3 sets" counts back.
fn combine_counts(items: Vec<Item>) -> Result<Vec<Item>, UnsureReason> {
    let mut combined: Vec<Item> = Vec::with_capacity(items.len());
    let mut items = items.into_iter().peekable();
    while let Some(mut item) = items.next() {
        // "4 sets 20, 18, 15, 12": the count announces a list.
        if item.list_may_follow
            && let ItemKind::Sets { count, amounts, .. } = &item.kind
            && *count > 1
        {
            let mut following = Vec::new();
            while let Some(next) = items.next_if(is_single_uncounted) {
                following.push(next);
            }
            let listed = following.len() + 1;
            if listed == *count as usize {
                item.kind = ItemKind::Sets {
                    count: 1,
                    counted: false,
                    amounts: amounts.clone(),
                };
            } else if listed > *count as usize {
                return unclear();
            }
            combined.push(item);
            combined.extend(following);
            continue;
        }
        let ItemKind::CountOnly(count) = item.kind else {
            combined.push(item);
            continue;
        };
        let mut following = Vec::new();
        while let Some(next) = items.next_if(is_single_uncounted) {
            following.push(next);
        }
        match following.len() {
            0 => count_back(&mut combined, count, item.modifiers)?,
            1 => {
                for mut next in following {
                    next.kind = counted(next.kind, count);
                    next.modifiers = item.modifiers.merge(next.modifiers)?;
                    combined.push(next);
                }
            }
            length if length == count as usize => {
                combined.push(Item {
                    kind: ItemKind::ModifiersOnly,
                    ..item
                });
                combined.extend(following);
            }
            _ => return unclear(),
        }
    }
    Ok(combined)
}

fn is_single_uncounted(item: &Item) -> bool {
    matches!(&item.kind, ItemKind::Sets { counted: false, amounts, .. } if amounts.len() == 1)
}

fn counted(kind: ItemKind, count: u32) -> ItemKind {
    match kind {
        ItemKind::Sets { amounts, .. } => ItemKind::Sets {
            count,
            counted: true,
            amounts,
        },
        other => other,
    }
}

fn count_back(combined: &mut [Item], count: u32, modifiers: Modifiers) -> Result<(), UnsureReason> {
    let Some(previous) = combined.last_mut().filter(|item| is_single_uncounted(item)) else {
        return unclear();
    };
    previous.kind = counted(previous.kind.clone(), count);
    previous.modifiers = previous.modifiers.merge(modifiers)?;
    Ok(())
}

/// A modifier written once for an exercise applies to all its sets when it reads
/// that way: written apart from any set ("pull-ups 3x8, 2x5, +10kg"), before the
/// amounts ("pull-ups +10kg: 5, 5, 4") or for a per-set list ("dips 10, 8, 6 with
/// band"). Otherwise ("3x5 +10kg, 2x5") each set keeps what was written for it, and
/// a modifier written apart from the sets is then unclear if several sets have one.
fn spread_modifiers(mut items: Vec<Item>) -> Result<Vec<Item>, UnsureReason> {
    let per_set_list = items.iter().all(|item| match &item.kind {
        ItemKind::Sets { counted, .. } => !counted,
        _ => true,
    });
    let spread = Spread { per_set_list };
    spread.apply(
        &mut items,
        |m| m.load.is_some(),
        |from, to| {
            if !to.bodyweight {
                to.load = from.load;
            }
        },
    )?;
    spread.apply(
        &mut items,
        |m| m.rpe.is_some(),
        |from, to| to.rpe = from.rpe,
    )?;
    spread.apply(
        &mut items,
        |m| m.assist.is_some(),
        |from, to| to.assist = from.assist,
    )?;
    spread.apply(&mut items, |m| m.assisted, |_, to| to.assisted = true)?;
    spread.apply(
        &mut items,
        |m| m.side.is_some(),
        |from, to| to.side = from.side,
    )?;
    spread.apply(
        &mut items,
        |m| m.each_side != EachSide::No,
        |from, to| to.each_side = from.each_side,
    )?;
    let weighted = items.iter().any(|item| item.modifiers.weighted);
    let loaded = items.iter().any(|item| item.modifiers.load.is_some());
    if weighted && !loaded {
        return unclear();
    }
    Ok(items)
}

struct Spread {
    per_set_list: bool,
}

impl Spread {
    fn apply(
        &self,
        items: &mut [Item],
        has: impl Fn(&Modifiers) -> bool,
        copy: impl Fn(&Modifiers, &mut Modifiers),
    ) -> Result<(), UnsureReason> {
        let holders: Vec<&Item> = items.iter().filter(|item| has(&item.modifiers)).collect();
        let written_apart = |item: &&Item| item.kind == ItemKind::ModifiersOnly;
        let source = match holders[..] {
            [] => return Ok(()),
            [holder] if written_apart(&holder) || holder.modifiers_first || self.per_set_list => {
                holder.modifiers
            }
            _ if holders.iter().any(written_apart) => return unclear(),
            _ => return Ok(()),
        };
        for item in items.iter_mut() {
            copy(&source, &mut item.modifiers);
        }
        Ok(())
    }
}

fn parsed_set(
    amount: Amount,
    modifiers: Modifiers,
    traits: ExerciseTraits,
) -> Result<ParsedSet, UnsureReason> {
    // A set "assisted" and "with 20 kg" at once: the 20 kg is probably assistance;
    // "70kg bodyweight" is the person's weight, not a load.
    if modifiers.load.is_some() && (modifiers.assisted || modifiers.bodyweight) {
        return unclear();
    }
    // "left" and "each side" at once; a side for an exercise done with both sides at
    // once ("dips 3x10 right" says something else); "-10kg" without a word saying it
    // is help.
    if (modifiers.side.is_some() && (modifiers.each_side != EachSide::No || !traits.one_sided))
        || (modifiers.assist.is_some() && !modifiers.assisted)
    {
        return unclear();
    }
    let mut set = ParsedSet {
        assisted: modifiers.assisted,
        each_side: match modifiers.each_side {
            EachSide::Written => true,
            EachSide::Bare => traits.one_sided,
            EachSide::No => false,
        },
        rpe: modifiers.rpe,
        added_kg: modifiers.load.map(|load| load.kg),
        assist_kg: modifiers.assist.map(|assist| assist.kg),
        load_unit: modifiers.load.or(modifiers.assist).map(|load| load.unit),
        side: modifiers.side,
        ..ParsedSet::default()
    };
    match amount {
        Amount::Seconds(seconds) => set.seconds = Some(seconds),
        Amount::Reps {
            low,
            high: None,
            unit_written: false,
        } if traits.hold => set.seconds = Some(f64::from(low)),
        Amount::Reps {
            high: Some(_),
            unit_written: false,
            ..
        } if traits.hold => return unclear(),
        Amount::Reps { low, high, .. } => {
            set.reps = Some(low);
            set.reps_max = high;
        }
    }
    Ok(set)
}
