//! Reads what one clause says about sets: "3x8", "3 sets of 8-10", "8, 7, 6",
//! "4 x 20s", "1:30", "+10kg", "with band", "each side", "@ RPE 8", "2 RIR".

use crate::domain::profile::Units;
use crate::domain::workout::{LoggedSet, lb_to_kg, round_to_tenth};

use super::UnsureReason;
use super::items::{
    Amount, EachSide, Item, ItemKind, Load, Modifiers, PieceSets, reps_amount, seconds_amount,
    set_count, unclear,
};
use super::lexer::{Mark, Number};
use super::names::{Lexeme, Spanned};
use super::vocabulary::{self, Keyword};

/// What a piece of text holds for the reader: numbers, units and signs, and a `Gap`
/// where the exercise name was.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Spec {
    Number(Number),
    Clock(u32),
    Key(Keyword),
    Mark(Mark),
    Gap,
    Unreadable(UnsureReason),
}

/// A spec and whether whitespace is written next to it ("6 - 53 s" is spaced,
/// "2-3 min" is not).
pub(super) type SpacedSpec = (Spec, bool);

/// The reader's view of a clause: fillers dropped, the exercise replaced by `Gap`,
/// unknown words and signs kept as `Unreadable`.
pub(super) fn specs(lexemes: &[Spanned]) -> Vec<SpacedSpec> {
    let mut specs = Vec::with_capacity(lexemes.len());
    // "10 min of handstand practice": time spent practising, not a hold.
    let practice = lexemes.iter().any(|spanned| {
        spanned
            .lexeme
            .word()
            .is_some_and(vocabulary::is_practice_word)
    });
    let timed = lexemes.iter().any(|spanned| {
        matches!(spanned.lexeme, Lexeme::Clock(_))
            || matches!(spanned.lexeme.keyword(), Some(Keyword::Seconds(_)))
    });
    // "practiced handstands 5x30s" counts its holds.
    let counted = lexemes.iter().any(|spanned| {
        matches!(spanned.lexeme, Lexeme::Mark(Mark::Times))
            || matches!(
                spanned.lexeme.keyword(),
                Some(Keyword::Sets | Keyword::Times)
            )
    });
    if practice && timed && !counted {
        specs.push((Spec::Unreadable(UnsureReason::UnclearNumbers), false));
    }
    for (index, spanned) in lexemes.iter().enumerate() {
        let before = index
            .checked_sub(1)
            .and_then(|previous| lexemes.get(previous))
            .map(|spanned| &spanned.lexeme);
        let after = lexemes.get(index + 1).map(|spanned| &spanned.lexeme);
        // "100 push-ups in 5 sets": how were they split?
        let split_in_sets = spanned.lexeme.word() == Some("in")
            && after.is_some_and(|after| {
                after.is_number() || matches!(after.keyword(), Some(Keyword::Number(_)))
            })
            && matches!(
                lexemes
                    .get(index + 2)
                    .and_then(|spanned| spanned.lexeme.keyword()),
                Some(Keyword::Sets | Keyword::Rounds)
            );
        if split_in_sets {
            specs.push((Spec::Unreadable(UnsureReason::UnclearNumbers), false));
            continue;
        }
        let spaced = spanned.spaced || lexemes.get(index + 1).is_some_and(|next| next.spaced);
        if let Some(spec) = spec(before, &spanned.lexeme, after) {
            specs.push((spec, spaced));
        }
    }
    specs
}

fn spec(before: Option<&Lexeme>, lexeme: &Lexeme, after: Option<&Lexeme>) -> Option<Spec> {
    let spec = match lexeme {
        Lexeme::Exercise(_) => Spec::Gap,
        Lexeme::AmbiguousExercise => Spec::Unreadable(UnsureReason::AmbiguousExercise),
        Lexeme::Number(number) => Spec::Number(*number),
        Lexeme::Clock(seconds) => Spec::Clock(*seconds),
        // "rpe=8", "RIR = 2".
        Lexeme::Mark(Mark::Symbol('='))
            if matches!(
                before.and_then(Lexeme::keyword),
                Some(Keyword::Rpe | Keyword::Rir)
            ) =>
        {
            return None;
        }
        Lexeme::Mark(Mark::Symbol(_)) => Spec::Unreadable(UnsureReason::UnclearNumbers),
        Lexeme::Mark(mark) => Spec::Mark(*mark),
        Lexeme::Word { keyword: None, .. } => Spec::Unreadable(UnsureReason::UnknownWord),
        // "at 7am" is a time of day, not an effort.
        Lexeme::Word { text, .. }
            if matches!(text.as_str(), "am" | "pm") && before.is_some_and(Lexeme::is_number) =>
        {
            Spec::Unreadable(UnsureReason::UnclearNumbers)
        }
        Lexeme::Word {
            text,
            keyword: Some(keyword),
        } => return word_spec(text, *keyword, before, after),
    };
    Some(spec)
}

fn word_spec(
    text: &str,
    keyword: Keyword,
    before: Option<&Lexeme>,
    after: Option<&Lexeme>,
) -> Option<Spec> {
    let spec = match keyword {
        Keyword::Filler | Keyword::Separator | Keyword::Breaker => return None,
        Keyword::Number(value) => Spec::Number(Number::whole(value)),
        // "a set of 8", "a minute": one; elsewhere ("a band") nothing.
        Keyword::Article => match after.and_then(Lexeme::keyword) {
            Some(Keyword::Sets | Keyword::Rounds | Keyword::Seconds(_) | Keyword::Reps) => {
                Spec::Number(Number::whole(1))
            }
            // "5 a side" is per side; a bare "side" names a variant ("side plank").
            Some(Keyword::Side) => Spec::Key(Keyword::Per),
            _ => return None,
        },
        // "3 by 8"; "followed by" is not a times sign.
        Keyword::Times if text == "by" => {
            let between_numbers =
                before.is_some_and(Lexeme::is_number) && after.is_some_and(Lexeme::is_number);
            if !between_numbers {
                return None;
            }
            Spec::Mark(Mark::Times)
        }
        Keyword::Times => Spec::Mark(Mark::Times),
        // "8 to 10" is a range; in "forgot to log" the "to" carries nothing.
        Keyword::To
            if after
                .and_then(Lexeme::word)
                .is_some_and(|word| vocabulary::is_logging_verb(word) || is_log_place(word)) =>
        {
            return None;
        }
        // "at 6" is a time of day as likely as an effort; "@ 6" is an effort.
        Keyword::At => Spec::Key(Keyword::At),
        Keyword::Plus => Spec::Mark(Mark::Plus),
        other => Spec::Key(other),
    };
    Some(spec)
}

/// What "to" may lead to in a request to log: "forgot to mention", "add it to today".
fn is_log_place(word: &str) -> bool {
    matches!(
        word,
        "mention" | "today" | "today's" | "yesterday" | "yesterday's" | "my" | "the"
    )
}

pub(super) fn read_piece(specs: &[SpacedSpec]) -> Result<PieceSets, UnsureReason> {
    let mut reader = Reader {
        specs,
        at: 0,
        pending: Modifiers::default(),
        past_name: false,
        open_set: false,
        piece: PieceSets::default(),
    };
    while let Some(spec) = reader.peek(0) {
        reader.step(spec)?;
    }
    if !reader.pending.is_empty() {
        reader.piece.items.push(Item {
            kind: ItemKind::ModifiersOnly,
            modifiers: reader.pending,
            modifiers_first: false,
            list_may_follow: false,
            rounds: false,
        });
    }
    // "15 squats 30": which is it?
    if reader.piece.amounts_before_name && reader.piece.amounts_after_name {
        return Err(UnsureReason::UnclearNumbers);
    }
    Ok(reader.piece)
}

struct Reader<'s> {
    specs: &'s [SpacedSpec],
    at: usize,
    /// Modifiers written before the first set of the clause, for that set.
    pending: Modifiers,
    past_name: bool,
    /// The last set is one amount without a count, followed only by a side, an
    /// effort or a band: "x 3" may still count it ("pistols 5 each side x 3").
    open_set: bool,
    piece: PieceSets,
}

impl Reader<'_> {
    fn peek(&self, ahead: usize) -> Option<Spec> {
        self.specs.get(self.at + ahead).map(|(spec, _)| *spec)
    }

    /// Whitespace is written next to the spec at `ahead`.
    fn is_spaced(&self, ahead: usize) -> bool {
        self.specs
            .get(self.at + ahead)
            .is_some_and(|(_, spaced)| *spaced)
    }

    fn key(&self, ahead: usize) -> Option<Keyword> {
        match self.peek(ahead) {
            Some(Spec::Key(keyword)) => Some(keyword),
            _ => None,
        }
    }

    fn number(&self, ahead: usize) -> Option<Number> {
        match self.peek(ahead) {
            Some(Spec::Number(number)) => Some(number),
            _ => None,
        }
    }

    fn is_amount_start(&self, ahead: usize) -> bool {
        matches!(self.peek(ahead), Some(Spec::Number(_) | Spec::Clock(_)))
    }

    fn is_side(&self, ahead: usize) -> bool {
        matches!(self.key(ahead), Some(Keyword::Side | Keyword::Limb))
    }

    fn step(&mut self, spec: Spec) -> Result<(), UnsureReason> {
        match spec {
            Spec::Gap => {
                self.past_name = true;
                self.at += 1;
            }
            Spec::Unreadable(reason) => return Err(reason),
            _ if self.skip_rest_before_word()? => {}
            Spec::Number(number) => self.number_first(number)?,
            Spec::Clock(_) => {
                let amounts = self.amounts()?;
                self.finish_amounts(amounts)?;
            }
            // "5x5x20kg": sets x reps x load.
            Spec::Mark(Mark::Times) if self.is_load_at(1) => {
                self.at += 1;
                self.load()?;
            }
            Spec::Mark(Mark::Times) if self.counts_open_set() => self.count_open_set()?,
            Spec::Mark(Mark::Times) => self.leading_times()?,
            Spec::Mark(Mark::Plus) => {
                self.at += 1;
                self.signed_load()?;
            }
            Spec::Mark(Mark::At) => {
                self.at += 1;
                self.after_at()?;
            }
            // "-20kg": a load taken off, which is assistance; "3x5 - 20kg" is unclear.
            Spec::Mark(Mark::Dash) if self.is_load_at(1) => {
                if !(self.is_spaced(0) || self.at == 0) || self.is_spaced(1) {
                    return unclear();
                }
                self.at += 1;
                self.assistance_load()?;
            }
            Spec::Mark(Mark::Colon | Mark::Dash) => self.at += 1,
            Spec::Mark(Mark::Slash) => {
                self.at += 1;
                self.per()?;
            }
            Spec::Mark(_) => return unclear(),
            Spec::Key(keyword) => {
                self.at += 1;
                self.keyword(keyword)?;
            }
        }
        Ok(())
    }

    fn keyword(&mut self, keyword: Keyword) -> Result<(), UnsureReason> {
        match keyword {
            Keyword::With => self.after_with(),
            Keyword::At
                if matches!(self.peek(0), Some(Spec::Number(_) | Spec::Clock(_)))
                    && !matches!(
                        self.key(1),
                        Some(Keyword::Kilograms | Keyword::Pounds | Keyword::Rpe | Keyword::Rir)
                    ) =>
            {
                unclear()
            }
            Keyword::At => self.after_at(),
            Keyword::Rpe => {
                self.skip_colon();
                let value = self.expect_number()?;
                self.set_rpe(value.value)
            }
            Keyword::Rir => {
                self.skip_colon();
                let value = self.expect_number()?;
                self.set_rir(value.value)
            }
            Keyword::Assisted | Keyword::Assistance => {
                self.target().assisted = true;
                Ok(())
            }
            // "left", "left leg", "right side".
            Keyword::OneSide(side) => {
                if self.is_side(0) {
                    self.at += 1;
                }
                let target = self.target();
                if target.side.is_some_and(|written| written != side) {
                    return unclear();
                }
                target.side = Some(side);
                Ok(())
            }
            Keyword::Weighted => {
                self.target().weighted = true;
                Ok(())
            }
            // "bw + 10kg" is a load on top of bodyweight.
            Keyword::Bodyweight if self.peek(0) == Some(Spec::Mark(Mark::Plus)) => Ok(()),
            Keyword::Bodyweight => {
                self.target().bodyweight = true;
                Ok(())
            }
            Keyword::Each => {
                let each_side = if self.is_side(0) {
                    self.at += 1;
                    EachSide::Written
                } else {
                    EachSide::Bare
                };
                self.set_each_side(each_side);
                Ok(())
            }
            Keyword::Per => self.per(),
            Keyword::Both if self.is_side(0) => {
                self.at += 1;
                self.set_each_side(EachSide::Written);
                Ok(())
            }
            // "Set 1: 8 reps", "set 2 - 7", "round 1:".
            Keyword::Label { round } => {
                let label = self
                    .number(0)
                    .and_then(|number| number.whole)
                    .ok_or(UnsureReason::UnclearNumbers)?;
                if round {
                    self.piece.round_labels.push(label);
                } else {
                    self.piece.set_labels.push(label);
                }
                self.at += 2;
                Ok(())
            }
            Keyword::Reps if self.peek(0) == Some(Spec::Mark(Mark::Colon)) => {
                self.at += 1;
                Ok(())
            }
            Keyword::Rest => self.skip_rest_time(),
            // "between sets 2 min" leaves the time to read: a rest read as a hold
            // conflicts with the reps.
            Keyword::Between => {
                self.skip_rest_scope();
                Ok(())
            }
            // "circuit x3", "giant set x 4": the number of rounds.
            Keyword::Circuit => {
                if self.key(0) == Some(Keyword::Sets) {
                    self.at += 1;
                }
                match (self.peek(0), self.number(1)) {
                    (Some(Spec::Mark(Mark::Times)), Some(count)) => {
                        self.at += 2;
                        self.rounds(set_count(count)?)
                    }
                    _ => Ok(()),
                }
            }
            // "3 ladders of 1-2-3", "ladder x3": how many times is the ladder? In
            // "5, 4, 3, 2, 1 ladder" the number before is a set.
            Keyword::Ladder => {
                let number_before = self
                    .at
                    .checked_sub(2)
                    .and_then(|before| self.specs.get(before))
                    .is_some_and(|(before, _)| matches!(before, Spec::Number(_)));
                let counted = number_before && self.is_amount_start(0);
                if counted || self.peek(0) == Some(Spec::Mark(Mark::Times)) {
                    return unclear();
                }
                Ok(())
            }
            // "every set"; "every minute" made the message unsure before.
            Keyword::Every => {
                if matches!(self.key(0), Some(Keyword::Sets | Keyword::Rounds)) {
                    self.at += 1;
                }
                Ok(())
            }
            _ => unclear(),
        }
    }

    /// A number starts a load, an effort, a count of sets or an amount.
    fn number_first(&mut self, number: Number) -> Result<(), UnsureReason> {
        match self.peek(1) {
            Some(Spec::Key(Keyword::Kilograms | Keyword::Pounds)) => self.load(),
            Some(Spec::Key(Keyword::Rir)) => {
                self.at += 2;
                self.set_rir(number.value)
            }
            Some(Spec::Key(Keyword::Rpe)) => {
                self.at += 2;
                self.set_rpe(number.value)
            }
            Some(Spec::Key(Keyword::Reps)) if self.key(2) == Some(Keyword::Reserve) => {
                self.at += 3;
                self.set_rir(number.value)
            }
            Some(Spec::Mark(Mark::Times)) => {
                let count = set_count(number)?;
                self.at += 2;
                // "3x circuit", "3x giant set".
                if self.key(0) == Some(Keyword::Circuit) {
                    self.at += 1;
                    if self.key(0) == Some(Keyword::Sets) {
                        self.at += 1;
                    }
                    return self.rounds(count);
                }
                if self.is_amount_start(0) {
                    let amounts = self.amounts()?;
                    self.push_sets(count, true, amounts);
                } else {
                    self.push_count(count);
                }
                Ok(())
            }
            Some(Spec::Key(Keyword::Sets)) => {
                self.at += 2;
                self.counted(set_count(number)?)
            }
            // "3 rounds", "3 supersets", "2 giant sets".
            Some(Spec::Key(keyword @ (Keyword::Rounds | Keyword::Circuit))) => {
                self.at += 2;
                if keyword == Keyword::Circuit && self.key(0) == Some(Keyword::Sets) {
                    self.at += 1;
                }
                self.rounds(set_count(number)?)
            }
            _ => {
                let amounts = self.amounts()?;
                self.finish_amounts(amounts)
            }
        }
    }

    /// After "3 sets": "x 8", "of 8", or nothing when the amounts come elsewhere.
    fn counted(&mut self, count: u32) -> Result<(), UnsureReason> {
        if self.peek(0) == Some(Spec::Mark(Mark::Times)) {
            self.at += 1;
        }
        if self.is_amount_start(0) {
            let amounts = self.amounts()?;
            let single = amounts.len() == 1;
            self.push_sets(count, true, amounts);
            if let Some(item) = self.piece.items.last_mut() {
                item.list_may_follow = single;
            }
        } else {
            self.push_count(count);
        }
        Ok(())
    }

    /// A count of rounds: sets of the exercise it is written with, or, in a circuit,
    /// of every exercise.
    fn rounds(&mut self, count: u32) -> Result<(), UnsureReason> {
        self.piece.rounds = true;
        self.piece.late_rounds |= self.past_name;
        self.counted(count)?;
        if let Some(item) = self.piece.items.last_mut() {
            item.rounds = true;
        }
        Ok(())
    }

    /// How many specs from `ahead` make a time: "90s", "2 min", "1 min 30 s", "1:30",
    /// "2-3 min", "1:30-2:00". A spaced dash is no range: in "8, 6 - 53 s rest" the
    /// 6 is a set.
    fn time_length(&self, ahead: usize) -> Option<usize> {
        let range_mark = |at: usize| match self.peek(at) {
            Some(Spec::Mark(Mark::Dash)) => !self.is_spaced(at),
            Some(Spec::Key(Keyword::To)) => true,
            _ => false,
        };
        match self.peek(ahead)? {
            Spec::Clock(_) if range_mark(ahead + 1) => {
                matches!(self.peek(ahead + 2), Some(Spec::Clock(_))).then_some(3)
            }
            Spec::Clock(_) => Some(1),
            Spec::Number(_) => match self.key(ahead + 1) {
                Some(Keyword::Seconds(60))
                    if self.number(ahead + 2).is_some()
                        && self.key(ahead + 3) == Some(Keyword::Seconds(1)) =>
                {
                    Some(4)
                }
                Some(Keyword::Seconds(_)) => Some(2),
                _ if range_mark(ahead + 1)
                    && self.number(ahead + 2).is_some()
                    && matches!(self.key(ahead + 3), Some(Keyword::Seconds(_))) =>
                {
                    Some(4)
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// A time for a rest at `ahead`: "120s rest", "2 min between".
    fn is_rest_at(&self, ahead: usize) -> bool {
        self.time_length(ahead).is_some_and(|length| {
            matches!(
                self.key(ahead + length),
                Some(Keyword::Rest | Keyword::Between)
            )
        })
    }

    /// "90s rest", "2-3 min rest between sets", "3 min between": a rest period is no
    /// set. A time on both sides of the rest ("plank 60s rest 30s") is unclear.
    fn skip_rest_before_word(&mut self) -> Result<bool, UnsureReason> {
        let Some(length) = self.time_length(0) else {
            return Ok(false);
        };
        match self.key(length) {
            Some(Keyword::Rest) => self.at += length + 1,
            Some(Keyword::Between) => self.at += length,
            _ => return Ok(false),
        }
        self.skip_rest_scope();
        if self.time_length(0).is_some() {
            return unclear();
        }
        Ok(true)
    }

    /// What a rest is between: "between sets", "in between", "after each set",
    /// "between legs".
    fn skip_rest_scope(&mut self) {
        if self.key(0) == Some(Keyword::Between) {
            self.at += 1;
        }
        let scope = |keyword: Option<Keyword>| {
            matches!(
                keyword,
                Some(Keyword::Sets | Keyword::Rounds | Keyword::Side | Keyword::Limb)
            )
        };
        if matches!(self.key(0), Some(Keyword::Each | Keyword::Every)) && scope(self.key(1)) {
            self.at += 1;
        }
        if scope(self.key(0)) {
            self.at += 1;
        }
    }

    /// One amount, a range or a list, with its unit: "8", "8 reps", "8-10",
    /// "20s", "2 min", "1 min 30 s", "1:30", "8-7-6", "20-15-10s".
    fn amounts(&mut self) -> Result<Vec<Amount>, UnsureReason> {
        let first = match self.peek(0) {
            Some(Spec::Clock(seconds)) => {
                self.at += 1;
                // "1:00-1:30" is a range of time, which has no field.
                let range_follows = matches!(
                    self.peek(0),
                    Some(Spec::Mark(Mark::Dash) | Spec::Key(Keyword::To))
                ) && self.is_amount_start(1);
                if range_follows {
                    return unclear();
                }
                return Ok(vec![Amount::Seconds(seconds_amount(f64::from(seconds))?)]);
            }
            Some(Spec::Number(number)) => number,
            _ => return unclear(),
        };
        self.at += 1;
        match self.peek(0) {
            Some(Spec::Key(Keyword::Seconds(per_unit))) => {
                self.at += 1;
                let mut seconds = first.value * f64::from(per_unit);
                if per_unit == 60
                    && let (Some(extra), Some(Keyword::Seconds(1))) = (self.number(0), self.key(1))
                {
                    seconds += extra.value;
                    self.at += 2;
                } else if per_unit == 60
                    && let Some(extra) = self.number(0)
                    && extra.whole.is_some_and(|extra| extra < 60)
                    && matches!(
                        self.peek(1),
                        None | Some(Spec::Gap | Spec::Mark(Mark::Times))
                    )
                {
                    // "1 min 30": the seconds of the same time.
                    seconds += extra.value;
                    self.at += 1;
                }
                Ok(vec![Amount::Seconds(seconds_amount(seconds)?)])
            }
            // "3x8 - 120s rest" is a set, then a rest; "2 - 3 min rest" may be a rest
            // of 2 to 3 minutes as well as a set of 2.
            Some(Spec::Mark(Mark::Dash) | Spec::Key(Keyword::To)) if self.is_rest_at(1) => {
                let plausible_range = self.number(1).is_some_and(|high| {
                    first.value < high.value && high.value <= 3.0 * first.value
                });
                if plausible_range {
                    return unclear();
                }
                Ok(vec![reps_amount(first, None, false)?])
            }
            // "5 -20kg": assistance follows, not a range.
            Some(Spec::Mark(Mark::Dash))
                if self.is_spaced(0) && !self.is_spaced(1) && self.is_load_at(1) =>
            {
                Ok(vec![reps_amount(first, None, false)?])
            }
            Some(Spec::Mark(Mark::Dash) | Spec::Key(Keyword::To)) if self.number(1).is_some() => {
                self.series(first)
            }
            Some(Spec::Key(Keyword::Reps)) => {
                self.at += 1;
                Ok(vec![reps_amount(first, None, true)?])
            }
            _ => Ok(vec![reps_amount(first, None, false)?]),
        }
    }

    /// "8-10" (a range), "8 to 10", or a list "10-8-6" with an optional unit.
    fn series(&mut self, first: Number) -> Result<Vec<Amount>, UnsureReason> {
        let mut values = vec![first];
        let mut uses_to = false;
        while let (Some(Spec::Mark(Mark::Dash) | Spec::Key(Keyword::To)), Some(next)) =
            (self.peek(0), self.number(1))
        {
            uses_to |= self.key(0) == Some(Keyword::To);
            values.push(next);
            self.at += 2;
        }
        let unit = match self.key(0) {
            Some(keyword @ (Keyword::Reps | Keyword::Seconds(_))) => {
                self.at += 1;
                Some(keyword)
            }
            _ => None,
        };
        if let [low, high] = values[..]
            && low.value < high.value
        {
            return match unit {
                Some(Keyword::Seconds(_)) => unclear(),
                _ => Ok(vec![reps_amount(low, Some(high), unit.is_some())?]),
            };
        }
        if uses_to {
            return unclear();
        }
        values
            .into_iter()
            .map(|value| match unit {
                Some(Keyword::Seconds(per_unit)) => {
                    seconds_amount(value.value * f64::from(per_unit)).map(Amount::Seconds)
                }
                _ => reps_amount(value, None, unit.is_some()),
            })
            .collect()
    }

    /// After an amount: a rest period to drop, or "x 3" sets of it ("20s x 3",
    /// "8 reps x 3 sets", "8 pull-ups x3").
    fn finish_amounts(&mut self, amounts: Vec<Amount>) -> Result<(), UnsureReason> {
        let all_seconds = amounts
            .iter()
            .all(|amount| matches!(amount, Amount::Seconds(_)));
        // "20-15-10s rest": times before a rest are the rest. "90 rest", "3 between
        // sets": a rest without its unit. "8 rest 2 min 8" is a set, then a rest.
        let rest_time_follows = self.key(0) == Some(Keyword::Rest) && self.time_length(1).is_some();
        if matches!(self.key(0), Some(Keyword::Rest | Keyword::Between)) && !rest_time_follows {
            if !all_seconds {
                return unclear();
            }
            if self.key(0) == Some(Keyword::Rest) {
                self.at += 1;
            }
            self.skip_rest_scope();
            if self.time_length(0).is_some() {
                return unclear();
            }
            return Ok(());
        }
        let name_between = self.peek(0) == Some(Spec::Gap);
        let times_at = usize::from(name_between);
        let multiplier = match (self.peek(times_at), self.number(times_at + 1), &amounts[..]) {
            (Some(Spec::Mark(Mark::Times)), Some(count), [amount])
                if amount.unit_written() || name_between =>
            {
                Some(set_count(count)?)
            }
            _ => None,
        };
        match multiplier {
            Some(count) => {
                self.push_sets(count, true, amounts);
                self.at += times_at + 2;
                self.past_name |= name_between;
                self.skip_count_word();
            }
            None => {
                let single = amounts.len() == 1;
                self.push_sets(1, false, amounts);
                self.open_set = single;
            }
        }
        Ok(())
    }

    /// "x 3" after an open set and its modifiers: the number of sets, when nothing
    /// but the count follows ("20kg x 3 x 5" stays unclear).
    fn counts_open_set(&self) -> bool {
        let last_is_open = self.piece.items.last().is_some_and(|item| {
            matches!(&item.kind, ItemKind::Sets { count: 1, counted: false, amounts } if amounts.len() == 1)
        });
        self.open_set
            && last_is_open
            && self.number(1).is_some()
            && !matches!(
                self.peek(2),
                Some(
                    Spec::Mark(Mark::Times | Mark::Dash)
                        | Spec::Key(
                            Keyword::Seconds(_)
                                | Keyword::Reps
                                | Keyword::Kilograms
                                | Keyword::Pounds
                                | Keyword::To
                        )
                )
            )
    }

    fn count_open_set(&mut self) -> Result<(), UnsureReason> {
        let count = set_count(self.number(1).ok_or(UnsureReason::UnclearNumbers)?)?;
        self.at += 2;
        self.open_set = false;
        if let Some(Item {
            kind:
                ItemKind::Sets {
                    count: set_count,
                    counted,
                    ..
                },
            ..
        }) = self.piece.items.last_mut()
        {
            *set_count = count;
            *counted = true;
        }
        self.skip_count_word();
        Ok(())
    }

    /// "x 3 sets", "x 5 rounds" after an amount: the word of the count just read. Rounds
    /// counted last cannot cover the exercises before ("10 pull-ups, 15 dips x 3
    /// rounds").
    fn skip_count_word(&mut self) {
        match self.key(0) {
            Some(Keyword::Sets) => self.at += 1,
            Some(Keyword::Rounds) => {
                self.at += 1;
                self.piece.rounds = true;
                self.piece.late_rounds = true;
                if let Some(item) = self.piece.items.last_mut() {
                    item.rounds = true;
                }
            }
            _ => {}
        }
    }

    /// "x8" with no count before it: one set. Only before the clause's first set:
    /// in "20kg x 3 x 5" the second "x" makes the numbers unclear; after a count
    /// ("3 rounds of: pull-ups x8") it is the amount counted.
    fn leading_times(&mut self) -> Result<(), UnsureReason> {
        self.at += 1;
        let after_a_set = self
            .piece
            .items
            .iter()
            .any(|item| matches!(item.kind, ItemKind::Sets { .. }));
        if after_a_set || !self.is_amount_start(0) {
            return unclear();
        }
        // "x3 rounds: ...".
        if let (Some(count), Some(Keyword::Rounds | Keyword::Circuit)) =
            (self.number(0), self.key(1))
        {
            self.at += 2;
            return self.rounds(set_count(count)?);
        }
        let amounts = self.amounts()?;
        self.push_sets(1, false, amounts);
        Ok(())
    }

    fn push_sets(&mut self, count: u32, counted: bool, amounts: Vec<Amount>) {
        self.open_set = false;
        if self.past_name {
            self.piece.amounts_after_name = true;
        } else {
            self.piece.amounts_before_name = true;
        }
        let modifiers = std::mem::take(&mut self.pending);
        self.piece.items.push(Item {
            kind: ItemKind::Sets {
                count,
                counted,
                amounts,
            },
            modifiers_first: !modifiers.is_empty(),
            modifiers,
            list_may_follow: false,
            rounds: false,
        });
    }

    fn push_count(&mut self, count: u32) {
        self.open_set = false;
        let modifiers = std::mem::take(&mut self.pending);
        self.piece.items.push(Item {
            kind: ItemKind::CountOnly(count),
            modifiers_first: !modifiers.is_empty(),
            modifiers,
            list_may_follow: false,
            rounds: false,
        });
    }

    /// Where a modifier goes: the clause's last set, or the next one when none yet.
    fn target(&mut self) -> &mut Modifiers {
        match self.piece.items.last_mut() {
            Some(item) => &mut item.modifiers,
            None => &mut self.pending,
        }
    }

    fn is_load_at(&self, ahead: usize) -> bool {
        self.number(ahead).is_some()
            && matches!(
                self.key(ahead + 1),
                Some(Keyword::Kilograms | Keyword::Pounds)
            )
    }

    /// `number unit` at the cursor.
    fn load(&mut self) -> Result<(), UnsureReason> {
        let (Some(number), Some(unit)) = (self.number(0), self.key(1)) else {
            return unclear();
        };
        self.at += 2;
        self.open_set = false;
        let load = match unit {
            Keyword::Kilograms => Load {
                kg: round_to_tenth(number.value),
                unit: Units::Kg,
            },
            Keyword::Pounds => Load {
                kg: lb_to_kg(number.value),
                unit: Units::Lb,
            },
            _ => return unclear(),
        };
        if !(load.kg > 0.0 && load.kg <= LoggedSet::MAX_LOAD_KG) {
            return unclear();
        }
        // "20kg assistance", "20 kg assisted": help, not load.
        if self.key(0) == Some(Keyword::Assistance) {
            self.at += 1;
            self.target().assisted = true;
            return self.set_assistance(load);
        }
        let target = self.target();
        if target.load.is_some() {
            return unclear();
        }
        target.load = Some(load);
        Ok(())
    }

    /// `number unit` at the cursor, taken off bodyweight ("-20kg"). Help needs the word
    /// for it somewhere ("assisted", "band"): a bare "-10kg" may be a slip.
    fn assistance_load(&mut self) -> Result<(), UnsureReason> {
        self.load()?;
        // Unless "assisted" followed and took it as help already ("-20kg assisted").
        match self.target().load.take() {
            Some(load) => self.set_assistance(load),
            None => Ok(()),
        }
    }

    fn set_assistance(&mut self, load: Load) -> Result<(), UnsureReason> {
        let target = self.target();
        if target.assist.is_some() {
            return unclear();
        }
        target.assist = Some(load);
        Ok(())
    }

    /// After `+` or "plus": a load with its unit.
    fn signed_load(&mut self) -> Result<(), UnsureReason> {
        if self.is_load_at(0) {
            self.load()
        } else {
            unclear()
        }
    }

    /// After `@` or "at": a load ("@ 10kg"), an effort ("@8", "@ RPE 8", "@ 2 RIR"),
    /// bodyweight, or nothing we read ("at the park").
    fn after_at(&mut self) -> Result<(), UnsureReason> {
        match (self.peek(0), self.key(1)) {
            (Some(Spec::Number(_)), Some(Keyword::Kilograms | Keyword::Pounds)) => self.load(),
            (Some(Spec::Number(number)), Some(Keyword::Rir)) => {
                self.at += 2;
                self.set_rir(number.value)
            }
            (Some(Spec::Number(number)), Some(Keyword::Rpe)) => {
                self.at += 2;
                self.set_rpe(number.value)
            }
            (Some(Spec::Number(number)), _) if number.value <= 10.0 => {
                self.at += 1;
                self.set_rpe(number.value)
            }
            (Some(Spec::Number(_) | Spec::Clock(_)), _) => unclear(),
            (Some(Spec::Key(Keyword::Rpe)), _) => {
                self.at += 1;
                self.skip_colon();
                let value = self.expect_number()?;
                self.set_rpe(value.value)
            }
            (Some(Spec::Key(Keyword::Bodyweight)), _) => {
                self.at += 1;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// After "with": a load, a band, bodyweight (both read by the next step), or sets
    /// ("finished with 3x10 dips"). A number ending the clause ("dips 3x10 with 20")
    /// is a load without its unit.
    fn after_with(&mut self) -> Result<(), UnsureReason> {
        if self.is_load_at(0) {
            return self.load();
        }
        if self.number(0).is_some() && self.peek(1).is_none() {
            return unclear();
        }
        Ok(())
    }

    /// After "per" or `/`: a side ("per leg", "/side"), or "per set".
    fn per(&mut self) -> Result<(), UnsureReason> {
        if self.is_side(0) {
            self.at += 1;
            self.set_each_side(EachSide::Written);
            return Ok(());
        }
        if matches!(self.key(0), Some(Keyword::Sets)) {
            self.at += 1;
            return Ok(());
        }
        unclear()
    }

    /// "rest 90s", "rest: 1:30", "rest 2-3 min between sets": a rest period is not a
    /// set. "rest 2" has no unit: minutes or seconds?
    fn skip_rest_time(&mut self) -> Result<(), UnsureReason> {
        if matches!(self.peek(0), Some(Spec::Mark(Mark::Colon | Mark::Dash))) {
            self.at += 1;
        }
        match self.time_length(0) {
            Some(length) => self.at += length,
            None if self.number(0).is_some() => return unclear(),
            None => {}
        }
        self.skip_rest_scope();
        Ok(())
    }

    /// "RPE: 8".
    fn skip_colon(&mut self) {
        if self.peek(0) == Some(Spec::Mark(Mark::Colon)) {
            self.at += 1;
        }
    }

    fn expect_number(&mut self) -> Result<Number, UnsureReason> {
        let number = self.number(0).ok_or(UnsureReason::UnclearNumbers)?;
        self.at += 1;
        Ok(number)
    }

    fn set_rpe(&mut self, rpe: f64) -> Result<(), UnsureReason> {
        if !(1.0..=10.0).contains(&rpe) {
            return unclear();
        }
        // "rpe 8-9": a range of effort has no field.
        let range_follows = matches!(
            self.peek(0),
            Some(Spec::Mark(Mark::Dash | Mark::Slash) | Spec::Key(Keyword::To))
        ) && self.number(1).is_some();
        let target = self.target();
        if target.rpe.is_some() || range_follows {
            return unclear();
        }
        target.rpe = Some(rpe);
        Ok(())
    }

    /// Reps in reserve: RPE is 10 minus RIR.
    fn set_rir(&mut self, rir: f64) -> Result<(), UnsureReason> {
        if !(0.0..=9.0).contains(&rir) {
            return unclear();
        }
        self.set_rpe(10.0 - rir)
    }

    fn set_each_side(&mut self, each_side: EachSide) {
        let target = self.target();
        target.each_side = target.each_side.max_with(each_side);
    }
}
