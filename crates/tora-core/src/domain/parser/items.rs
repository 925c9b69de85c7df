//! What is written about sets, before it is resolved for an exercise: amounts (reps,
//! ranges, seconds), modifiers (load, band, side, effort) and the items that group
//! them ("3x8", "3 sets", "+10kg").

use crate::domain::profile::Units;
use crate::domain::workout::{LoggedSet, Side};

use super::UnsureReason;
use super::lexer::Number;

/// More sets than this for one exercise in one message is not a training note.
pub(super) const MAX_SETS: u32 = 50;
const MAX_REPS: u32 = 1_000;

pub(super) fn unclear<T>() -> Result<T, UnsureReason> {
    Err(UnsureReason::UnclearNumbers)
}

/// A load as written: kilograms (lb converted, one decimal) and the unit used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Load {
    pub kg: f64,
    pub unit: Units,
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(super) enum EachSide {
    #[default]
    No,
    /// "each" alone: per side for one-sided exercises, per set otherwise.
    Bare,
    /// "each side", "per leg", "/arm".
    Written,
}

impl EachSide {
    /// A written side wins over a bare "each".
    pub fn max_with(self, other: EachSide) -> EachSide {
        match (self, other) {
            (EachSide::Written, _) | (_, EachSide::Written) => EachSide::Written,
            (EachSide::Bare, _) | (_, EachSide::Bare) => EachSide::Bare,
            _ => EachSide::No,
        }
    }
}

/// What is written about sets besides their reps or time.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(super) struct Modifiers {
    pub load: Option<Load>,
    /// Help taken off bodyweight ("-20kg", "20kg assistance").
    pub assist: Option<Load>,
    /// "assisted", "band" was written.
    pub assisted: bool,
    pub each_side: EachSide,
    /// "left", "right".
    pub side: Option<Side>,
    pub rpe: Option<f64>,
    /// "weighted" was written: a load must be given somewhere.
    pub weighted: bool,
    /// "bw", "bodyweight": no load, even one written for other sets.
    pub bodyweight: bool,
}

impl Modifiers {
    pub fn is_empty(&self) -> bool {
        *self == Modifiers::default()
    }

    /// Two modifier sets written for the same sets; a conflict is unclear.
    pub fn merge(self, other: Modifiers) -> Result<Modifiers, UnsureReason> {
        if (self.load.is_some() && other.load.is_some())
            || (self.assist.is_some() && other.assist.is_some())
            || (self.rpe.is_some() && other.rpe.is_some())
            || (self.side.is_some() && other.side.is_some() && self.side != other.side)
        {
            return unclear();
        }
        Ok(Modifiers {
            load: self.load.or(other.load),
            assist: self.assist.or(other.assist),
            assisted: self.assisted || other.assisted,
            each_side: self.each_side.max_with(other.each_side),
            side: self.side.or(other.side),
            rpe: self.rpe.or(other.rpe),
            weighted: self.weighted || other.weighted,
            bodyweight: self.bodyweight || other.bodyweight,
        })
    }
}

/// The amount of one set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Amount {
    /// Reps, or a range; `unit_written` is false for a bare number, which means
    /// seconds for a hold.
    Reps {
        low: u32,
        high: Option<u32>,
        unit_written: bool,
    },
    Seconds(f64),
}

impl Amount {
    pub fn unit_written(&self) -> bool {
        match self {
            Amount::Reps { unit_written, .. } => *unit_written,
            Amount::Seconds(_) => true,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum ItemKind {
    /// `count` sets of one amount, or one set per amount of a list ("8-7-6").
    Sets {
        count: u32,
        counted: bool,
        amounts: Vec<Amount>,
    },
    /// "3 sets", "3 rounds": the amounts come elsewhere.
    CountOnly(u32),
    /// Only modifiers: "+10kg", "each side".
    ModifiersOnly,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Item {
    pub kind: ItemKind,
    pub modifiers: Modifiers,
    /// The modifiers were written before the amounts ("+10kg: 5, 5, 4").
    pub modifiers_first: bool,
    /// "4 sets 20": the first amount of a list may follow ("4 sets (20, 18, 15, 12)").
    pub list_may_follow: bool,
    /// The count is of rounds ("3 rounds", "circuit x3"), which may cover several
    /// exercises.
    pub rounds: bool,
}

/// What one clause says about sets.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct PieceSets {
    pub items: Vec<Item>,
    /// Amounts are written before / after the exercise name.
    pub amounts_before_name: bool,
    pub amounts_after_name: bool,
    /// "rounds" was written: a circuit, which may cover several exercises.
    pub rounds: bool,
    /// The rounds were counted after the exercise name ("pull-ups 3 rounds of 8").
    pub late_rounds: bool,
    /// Labels in order: "set 1:", "set 2 -" and "round 1:".
    pub set_labels: Vec<u32>,
    pub round_labels: Vec<u32>,
}

impl PieceSets {
    pub fn only_modifiers(&self) -> bool {
        self.items
            .iter()
            .all(|item| item.kind == ItemKind::ModifiersOnly)
    }
}

pub(super) fn set_count(number: Number) -> Result<u32, UnsureReason> {
    number
        .whole
        .filter(|count| (1..=MAX_SETS).contains(count))
        .ok_or(UnsureReason::UnclearNumbers)
}

pub(super) fn reps_amount(
    low: Number,
    high: Option<Number>,
    unit_written: bool,
) -> Result<Amount, UnsureReason> {
    let reps = |number: Number| {
        number
            .whole
            .filter(|reps| (1..=MAX_REPS).contains(reps))
            .ok_or(UnsureReason::UnclearNumbers)
    };
    Ok(Amount::Reps {
        low: reps(low)?,
        high: high.map(reps).transpose()?,
        unit_written,
    })
}

pub(super) fn seconds_amount(seconds: f64) -> Result<f64, UnsureReason> {
    if seconds > 0.0 && seconds <= LoggedSet::MAX_SECONDS {
        Ok(seconds)
    } else {
        unclear()
    }
}
