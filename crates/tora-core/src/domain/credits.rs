//! Credits, exact. Amounts are kept in units of one token: a model call of `i` input
//! and `o` output tokens costs exactly `i + o` units, and a credit is
//! `TOKENS_PER_CREDIT` units, applied only when an amount is shown. So no call is
//! rounded, and the ledger sums to the balance to the token.
//!
//! A model call first holds its worst case (the prompt plus the most it may answer),
//! then settles: it is charged what it used, never more than it held, and the rest goes
//! back. `Account` is that rule as a pure state machine; the in-memory store of the
//! tests runs on it and the property tests check its invariants. The database does the
//! same with one conditional statement per step (`db/credits.rs`).

use std::collections::BTreeMap;

/// An amount of credit, in token units. Balances are never negative; a ledger delta
/// may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Credits(i64);

impl Credits {
    pub const ZERO: Credits = Credits(0);

    pub const fn from_units(units: i64) -> Self {
        Self(units)
    }

    pub const fn units(self) -> i64 {
        self.0
    }

    /// `credits` whole credits at `rate`; `None` if it does not fit.
    pub fn whole(credits: i64, rate: TokensPerCredit) -> Option<Self> {
        credits.checked_mul(i64::from(rate.get())).map(Self)
    }
}

/// How many tokens one credit buys. Never 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokensPerCredit(u32);

impl TokensPerCredit {
    pub const DEFAULT: TokensPerCredit = TokensPerCredit(3000);

    pub fn new(tokens: u32) -> Option<Self> {
        (tokens > 0).then_some(Self(tokens))
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// `amount` in credits: whole credits and the units left over (the remainder has
    /// the sign of the amount). Exact; showing it as a decimal is the caller's choice.
    pub fn split(self, amount: Credits) -> (i64, i64) {
        let rate = i64::from(self.0);
        (amount.0 / rate, amount.0 % rate)
    }

    /// `amount` in credits as a float, for display beside the exact units only.
    pub fn as_f64(self, amount: Credits) -> f64 {
        amount.0 as f64 / f64::from(self.0)
    }
}

/// Tokens a model call used, input and output apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    pub input_tokens: u32,
    pub output_tokens: u32,
}

impl Usage {
    /// What the call costs: one unit per token, nothing rounded.
    pub fn cost(self) -> Credits {
        Credits(i64::from(self.input_tokens) + i64::from(self.output_tokens))
    }
}

/// The most a call can cost: every prompt token and `max_tokens` of answer. Held
/// before the call, so the call is covered whatever it answers.
pub fn worst_case(prompt_tokens: u32, max_tokens: u32) -> Credits {
    Usage {
        input_tokens: prompt_tokens,
        output_tokens: max_tokens,
    }
    .cost()
}

/// How a settled hold splits: what is charged and what goes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settlement {
    pub charged: Credits,
    pub refund: Credits,
}

impl Settlement {
    /// Charges what the call used, capped at what was held: the hold is the price the
    /// caller agreed to, so a prompt estimate that fell short is our loss, not theirs.
    pub fn of(held: Credits, usage: Usage) -> Self {
        let charged = usage.cost().min(held).max(Credits::ZERO);
        Self {
            charged,
            refund: Credits(held.0 - charged.0),
        }
    }
}

/// Why a hold could not be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("balance {balance:?} does not cover {price:?}")]
pub struct Insufficient {
    pub balance: Credits,
    pub price: Credits,
}

/// What happened to a hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldState {
    Open,
    Settled,
    Released,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hold {
    pub units: Credits,
    pub state: HoldState,
}

/// One account's credits as a state machine: the balance, the holds by key and the
/// ledger deltas. Invariants (checked by the property tests): the balance is never
/// negative, and the balance plus every open hold is the sum of the ledger.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Account {
    balance: Credits,
    holds: BTreeMap<String, Hold>,
    ledger: Vec<(String, Credits)>,
}

impl Account {
    pub fn balance(&self) -> Credits {
        self.balance
    }

    pub fn ledger(&self) -> &[(String, Credits)] {
        &self.ledger
    }

    pub fn hold(&self, key: &str) -> Option<Hold> {
        self.holds.get(key).copied()
    }

    /// Everything held and not yet settled or released.
    pub fn held(&self) -> Credits {
        Credits(
            self.holds
                .values()
                .filter(|hold| hold.state == HoldState::Open)
                .map(|hold| hold.units.0)
                .sum(),
        )
    }

    /// Adds credit under a key; a key seen before adds nothing. Negative amounts are
    /// refused (a top-up only adds).
    pub fn credit(&mut self, key: &str, amount: Credits) -> bool {
        if amount.0 <= 0 || self.ledger.iter().any(|(seen, _)| seen == key) {
            return false;
        }
        self.balance.0 += amount.0;
        self.ledger.push((key.to_owned(), amount));
        true
    }

    /// Holds `price` under `key` when the balance covers it; a key held before returns
    /// that hold and takes nothing more.
    pub fn reserve(&mut self, key: &str, price: Credits) -> Result<Hold, Insufficient> {
        if let Some(hold) = self.holds.get(key) {
            return Ok(*hold);
        }
        if price.0 <= 0 || self.balance < price {
            return Err(Insufficient {
                balance: self.balance,
                price,
            });
        }
        self.balance.0 -= price.0;
        let hold = Hold {
            units: price,
            state: HoldState::Open,
        };
        self.holds.insert(key.to_owned(), hold);
        Ok(hold)
    }

    /// Settles an open hold: charges the usage (capped at the hold), refunds the rest
    /// and writes the ledger row. `None` when the hold is unknown, already settled or
    /// released: then nothing moves.
    pub fn settle(&mut self, key: &str, usage: Usage) -> Option<Settlement> {
        let hold = self.holds.get_mut(key)?;
        if hold.state != HoldState::Open {
            return None;
        }
        let settlement = Settlement::of(hold.units, usage);
        hold.state = HoldState::Settled;
        self.balance.0 += settlement.refund.0;
        self.ledger
            .push((key.to_owned(), Credits(-settlement.charged.0)));
        Some(settlement)
    }

    /// Gives an open hold back whole (it expired unsettled). `false` if not open.
    pub fn release(&mut self, key: &str) -> bool {
        match self.holds.get_mut(key) {
            Some(hold) if hold.state == HoldState::Open => {
                hold.state = HoldState::Released;
                self.balance.0 += hold.units.0;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_call_costs_its_tokens_exactly() {
        let usage = Usage {
            input_tokens: 1234,
            output_tokens: 1,
        };
        assert_eq!(usage.cost(), Credits::from_units(1235));
        let (whole, rest) = TokensPerCredit::DEFAULT.split(Credits::from_units(301_235));
        assert_eq!((whole, rest), (100, 1235));
    }

    #[test]
    fn a_settlement_never_charges_more_than_was_held() {
        let held = worst_case(100, 200);
        let over = Settlement::of(
            held,
            Usage {
                input_tokens: 250,
                output_tokens: 200,
            },
        );
        assert_eq!(over.charged, held);
        assert_eq!(over.refund, Credits::ZERO);
        let under = Settlement::of(
            held,
            Usage {
                input_tokens: 90,
                output_tokens: 10,
            },
        );
        assert_eq!(under.charged, Credits::from_units(100));
        assert_eq!(under.refund, Credits::from_units(200));
    }

    #[test]
    fn overspending_is_refused_and_leaves_the_balance_unchanged() {
        let mut account = Account::default();
        account.credit("grant", Credits::from_units(500));
        assert_eq!(
            account.reserve("call", Credits::from_units(501)),
            Err(Insufficient {
                balance: Credits::from_units(500),
                price: Credits::from_units(501),
            })
        );
        assert_eq!(account.balance(), Credits::from_units(500));
        assert!(account.ledger().len() == 1);
    }

    #[test]
    fn a_released_hold_cannot_be_settled_and_a_settled_one_cannot_be_released() {
        let mut account = Account::default();
        account.credit("grant", Credits::from_units(1000));
        account.reserve("a", Credits::from_units(400)).unwrap();
        assert!(account.release("a"));
        assert_eq!(account.settle("a", Usage::default()), None);
        assert_eq!(account.balance(), Credits::from_units(1000));
        account.reserve("b", Credits::from_units(400)).unwrap();
        assert!(account.settle("b", Usage::default()).is_some());
        assert!(!account.release("b"));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Credit(u8, i64),
        Reserve(u8, i64),
        Settle(u8, u32, u32),
        Release(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..6, -50i64..5_000).prop_map(|(k, n)| Op::Credit(k, n)),
            (0u8..6, -10i64..8_000).prop_map(|(k, n)| Op::Reserve(k, n)),
            (0u8..6, 0u32..6_000, 0u32..6_000).prop_map(|(k, i, o)| Op::Settle(k, i, o)),
            (0u8..6).prop_map(Op::Release),
        ]
    }

    proptest! {
        #[test]
        fn the_ledger_sums_to_the_balance_plus_what_is_held(ops in prop::collection::vec(op(), 0..60)) {
            let mut account = Account::default();
            for op in ops {
                let before = account.clone();
                match op {
                    Op::Credit(key, amount) => {
                        account.credit(&format!("top-up-{key}"), Credits::from_units(amount));
                    }
                    Op::Reserve(key, price) => {
                        let key = format!("call-{key}");
                        let seen = before.hold(&key);
                        match account.reserve(&key, Credits::from_units(price)) {
                            Ok(hold) => match seen {
                                Some(earlier) => {
                                    prop_assert_eq!(hold, earlier);
                                    prop_assert_eq!(account.balance(), before.balance());
                                }
                                None => prop_assert_eq!(
                                    account.balance().units(),
                                    before.balance().units() - price
                                ),
                            },
                            Err(refused) => {
                                prop_assert!(price <= 0 || refused.balance.units() < price);
                                prop_assert_eq!(&account, &before);
                            }
                        }
                    }
                    Op::Settle(key, input_tokens, output_tokens) => {
                        let key = format!("call-{key}");
                        let usage = Usage { input_tokens, output_tokens };
                        if let Some(settled) = account.settle(&key, usage) {
                            let held = before.hold(&key).map(|hold| hold.units).unwrap_or_default();
                            prop_assert!(settled.charged <= held);
                            prop_assert!(settled.charged <= usage.cost());
                            prop_assert_eq!(settled.charged.units() + settled.refund.units(), held.units());
                        } else {
                            prop_assert_eq!(&account, &before);
                        }
                    }
                    Op::Release(key) => {
                        account.release(&format!("call-{key}"));
                    }
                }
                prop_assert!(account.balance() >= Credits::ZERO);
                let ledger: i64 = account.ledger().iter().map(|(_, delta)| delta.units()).sum();
                prop_assert_eq!(ledger, account.balance().units() + account.held().units());
            }
        }

        #[test]
        fn k_of_n_reservations_fit_a_balance_covering_k(n in 1usize..40, k in 0usize..40, price in 1i64..10_000) {
            let mut account = Account::default();
            if k > 0 {
                account.credit("grant", Credits::from_units(price * k as i64 + price - 1));
            }
            let granted = (0..n)
                .filter(|call| account.reserve(&format!("call-{call}"), Credits::from_units(price)).is_ok())
                .count();
            prop_assert_eq!(granted, k.min(n));
            prop_assert!(account.balance() >= Credits::ZERO);
        }
    }
}
