//! Doubles the use cases' native tests share: ids counted up from a start, an
//! in-memory `CreditStore` on the domain's own state machine
//! (`domain::credits::Account`, one account per user), and the macro that lets a fake
//! store of another port hand its credit calls to one.

use std::cell::{Cell, RefCell, RefMut};
use std::collections::BTreeMap;

use uuid::Uuid;

use crate::domain::credits::{Account, Credits, HoldState};
use crate::ports::{
    Account as Target, CreditHold, CreditStore, HeldCredits, Ids, LedgerEntry, LedgerReason,
    ModelCharge, PageCursor, Reserved, Settled, StoreError, TopUp, ToppedUp,
};

/// Ids 1001, 1002, …: predictable, and never the same twice.
pub(crate) struct SequentialIds(Cell<u128>);

impl Ids for SequentialIds {
    fn new_uuid(&self) -> Uuid {
        self.0.set(self.0.get() + 1);
        Uuid::from_u128(self.0.get())
    }
}

impl From<u128> for SequentialIds {
    /// Ids counted up from `start`.
    fn from(start: u128) -> Self {
        Self(Cell::new(start))
    }
}

pub(crate) fn ids() -> SequentialIds {
    SequentialIds(Cell::new(1_000))
}

#[derive(Default)]
pub(crate) struct FakeCredits {
    pub accounts: RefCell<BTreeMap<Uuid, Account>>,
    /// Hold ids to their owner and idempotency key.
    pub holds: RefCell<BTreeMap<Uuid, (Uuid, String)>>,
    /// Every charge a settle made, in order.
    pub charged: RefCell<Vec<Credits>>,
    /// What an account the store has not seen before starts with.
    opening: Credits,
}

impl FakeCredits {
    /// Every account, whenever it is first seen, opens with `units`.
    pub fn opening(units: i64) -> Self {
        Self {
            opening: Credits::from_units(units),
            ..Self::default()
        }
    }

    /// One account with `units`; any other user starts at 0.
    pub fn with_balances(balances: &[(Uuid, i64)]) -> Self {
        let credits = Self::default();
        for (user_id, units) in balances {
            let mut account = Account::default();
            account.credit("grant", Credits::from_units(*units));
            credits.accounts.borrow_mut().insert(*user_id, account);
        }
        credits
    }

    pub fn account(&self, user_id: Uuid) -> RefMut<'_, Account> {
        RefMut::map(self.accounts.borrow_mut(), |accounts| {
            accounts.entry(user_id).or_insert_with(|| {
                let mut account = Account::default();
                if self.opening > Credits::ZERO {
                    account.credit("grant", self.opening);
                }
                account
            })
        })
    }

    pub fn balance(&self, user_id: Uuid) -> Credits {
        self.account(user_id).balance()
    }

    pub fn held(&self, user_id: Uuid) -> Credits {
        self.account(user_id).held()
    }

    /// The ledger of `user_id` after its opening grant, oldest first: a charge is a
    /// negative amount.
    pub fn charges(&self, user_id: Uuid) -> Vec<Credits> {
        self.account(user_id)
            .ledger()
            .iter()
            .filter(|(key, _)| key != "grant")
            .map(|(_, delta)| *delta)
            .collect()
    }

    /// Settles as the real store does: at most what was held, once.
    pub fn settle_now(&self, charge: &ModelCharge<'_>) -> Settled {
        let (user_id, key) = self.holds.borrow().get(&charge.hold_id).cloned()?;
        assert_eq!(user_id, charge.user_id, "a hold is settled for its owner");
        let mut account = self.account(user_id);
        let settled = account.settle(&key, charge.usage)?;
        self.charged.borrow_mut().push(settled.charged);
        Some((settled.charged, account.balance()))
    }
}

impl CreditStore for FakeCredits {
    async fn reserve(&self, hold: &CreditHold<'_>) -> Result<Reserved, StoreError> {
        let id = self
            .holds
            .borrow()
            .iter()
            .find(|(_, (user, key))| *user == hold.user_id && key == hold.idempotency_key)
            .map_or(hold.id, |(id, _)| *id);
        let reserved = self
            .account(hold.user_id)
            .reserve(hold.idempotency_key, hold.price);
        Ok(match reserved {
            Ok(held) => {
                self.holds
                    .borrow_mut()
                    .insert(id, (hold.user_id, hold.idempotency_key.to_owned()));
                Reserved::Held(HeldCredits {
                    id,
                    units: held.units,
                    open: held.state == HoldState::Open,
                })
            }
            Err(refused) => Reserved::Insufficient(refused),
        })
    }

    async fn settle(&self, charge: &ModelCharge<'_>) -> Result<Settled, StoreError> {
        Ok(self.settle_now(charge))
    }

    async fn release(&self, user_id: Uuid, hold_id: Uuid) -> Result<(), StoreError> {
        let key = self
            .holds
            .borrow()
            .get(&hold_id)
            .map(|(_, key)| key.clone());
        if let Some(key) = key {
            self.account(user_id).release(&key);
        }
        Ok(())
    }

    async fn release_expired(&self) -> Result<u64, StoreError> {
        Ok(0)
    }

    async fn ledger(
        &self,
        user_id: Uuid,
        _after: Option<PageCursor>,
        _limit: u32,
    ) -> Result<(Credits, Vec<LedgerEntry>), StoreError> {
        Ok((self.balance(user_id), Vec::new()))
    }

    async fn top_up(&self, top_up: &TopUp<'_>) -> Result<Option<ToppedUp>, StoreError> {
        let Target::Id(user_id) = top_up.account else {
            return Ok(None);
        };
        if !self.accounts.borrow().contains_key(&user_id) {
            return Ok(None);
        }
        let mut account = self.account(user_id);
        account.credit(top_up.idempotency_key, top_up.amount);
        Ok(Some(ToppedUp {
            user_id,
            entry: LedgerEntry {
                id: top_up.entry_id,
                delta: top_up.amount,
                balance_after: account.balance(),
                reason: LedgerReason::AdminTopUp,
                purpose: top_up.note.map(str::to_owned),
                model: None,
                input_tokens: None,
                output_tokens: None,
                request_id: Some(top_up.request_id.to_owned()),
                created_at: chrono::DateTime::UNIX_EPOCH,
            },
            balance: account.balance(),
        }))
    }
}

/// `CreditStore` for a fake store that keeps its credits in a `FakeCredits` field.
macro_rules! delegate_credit_store {
    ($store:ty, $field:ident) => {
        impl $crate::ports::CreditStore for $store {
            async fn reserve(
                &self,
                hold: &$crate::ports::CreditHold<'_>,
            ) -> Result<$crate::ports::Reserved, $crate::ports::StoreError> {
                self.$field.reserve(hold).await
            }
            async fn settle(
                &self,
                charge: &$crate::ports::ModelCharge<'_>,
            ) -> Result<$crate::ports::Settled, $crate::ports::StoreError> {
                self.$field.settle(charge).await
            }
            async fn release(
                &self,
                user_id: uuid::Uuid,
                hold_id: uuid::Uuid,
            ) -> Result<(), $crate::ports::StoreError> {
                self.$field.release(user_id, hold_id).await
            }
            async fn release_expired(&self) -> Result<u64, $crate::ports::StoreError> {
                self.$field.release_expired().await
            }
            async fn ledger(
                &self,
                user_id: uuid::Uuid,
                after: Option<$crate::ports::PageCursor>,
                limit: u32,
            ) -> Result<
                (
                    $crate::domain::credits::Credits,
                    Vec<$crate::ports::LedgerEntry>,
                ),
                $crate::ports::StoreError,
            > {
                self.$field.ledger(user_id, after, limit).await
            }
            async fn top_up(
                &self,
                top_up: &$crate::ports::TopUp<'_>,
            ) -> Result<Option<$crate::ports::ToppedUp>, $crate::ports::StoreError> {
                self.$field.top_up(top_up).await
            }
        }
    };
}
pub(crate) use delegate_credit_store;
