//! Credits: holding a model call's worst case before it runs, settling it after,
//! reading the ledger, and operators' top-ups.
//!
//! The chat path calls `reserve` before a model call (a 402 when it is refused) and
//! settles the hold with `db::credits::settle` inside the transaction of the work the
//! call paid for, or with `settle` when the call paid for no other write.

use uuid::Uuid;

use crate::domain::credits::{Credits, Insufficient, worst_case};
use crate::ports::{
    CreditHold, CreditStore, HeldCredits, Ids, LedgerEntry, ModelCharge, Page, PageCursor,
    Reserved, Settled, StoreError, TopUp, ToppedUp,
};

/// How long a hold lasts unsettled. A Worker request lives minutes at most, so a hold
/// this old belongs to a call whose worker died; it is then released whole.
pub const HOLD_EXPIRES_IN_SECS: u32 = 15 * 60;

#[derive(Debug, thiserror::Error)]
pub enum CreditError {
    /// The balance does not cover the call's worst case; nothing was taken.
    #[error(transparent)]
    Insufficient(Insufficient),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A model call about to be made.
#[derive(Debug, Clone, Copy)]
pub struct PlannedCall<'a> {
    pub user_id: Uuid,
    /// One per call: a retry of the same call (same key) reuses its hold.
    pub idempotency_key: &'a str,
    /// The prompt's size in tokens, estimated from above.
    pub prompt_tokens: u32,
    /// The most the model may answer (`maxTokens`).
    pub max_tokens: u32,
    pub purpose: &'a str,
}

/// Holds the call's worst case (prompt plus `max_tokens`). The hold is taken by one
/// conditional statement, so concurrent calls can never together spend more than the
/// balance.
pub async fn reserve(
    store: &impl CreditStore,
    ids: &impl Ids,
    call: &PlannedCall<'_>,
) -> Result<HeldCredits, CreditError> {
    let price = worst_case(call.prompt_tokens, call.max_tokens);
    if price <= Credits::ZERO {
        return Err(CreditError::Insufficient(Insufficient {
            balance: Credits::ZERO,
            price,
        }));
    }
    let hold = CreditHold {
        user_id: call.user_id,
        id: ids.new_uuid(),
        idempotency_key: call.idempotency_key,
        price,
        purpose: call.purpose,
        expires_in_secs: HOLD_EXPIRES_IN_SECS,
    };
    match store.reserve(&hold).await? {
        Reserved::Held(held) => Ok(held),
        Reserved::Insufficient(refused) => Err(CreditError::Insufficient(refused)),
    }
}

/// Settles a hold whose call paid for no other write (one round trip).
pub async fn settle(
    store: &impl CreditStore,
    charge: &ModelCharge<'_>,
) -> Result<Settled, StoreError> {
    store.settle(charge).await
}

/// Gives back every hold that expired unsettled; for the scheduled job.
pub async fn release_expired(store: &impl CreditStore) -> Result<u64, StoreError> {
    store.release_expired().await
}

/// The balance and a page of the ledger, newest first.
pub async fn ledger(
    store: &impl CreditStore,
    user_id: Uuid,
    after: Option<PageCursor>,
    limit: u32,
) -> Result<(Credits, Page<LedgerEntry>), StoreError> {
    let (balance, entries) = store.ledger(user_id, after, limit + 1).await?;
    Ok((balance, Page::of(entries, limit)))
}

/// Adds credit to an account; `None` when there is no such account.
pub async fn top_up(
    store: &impl CreditStore,
    top_up: &TopUp<'_>,
) -> Result<Option<ToppedUp>, StoreError> {
    store.top_up(top_up).await
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::domain::credits::Usage;
    use crate::ports::Account as Target;

    type FakeCreditStore = crate::app::fakes::FakeCredits;

    fn with_balance(user_id: Uuid, units: i64) -> FakeCreditStore {
        FakeCreditStore::with_balances(&[(user_id, units)])
    }

    struct Counter(RefCell<u128>);

    impl Ids for Counter {
        fn new_uuid(&self) -> Uuid {
            let mut next = self.0.borrow_mut();
            *next += 1;
            Uuid::from_u128(*next)
        }
    }

    fn call(user_id: Uuid, key: &str) -> PlannedCall<'_> {
        PlannedCall {
            user_id,
            idempotency_key: key,
            prompt_tokens: 1_000,
            max_tokens: 500,
            purpose: "coach reply",
        }
    }

    #[tokio::test]
    async fn a_call_is_charged_its_tokens_and_the_rest_of_the_hold_goes_back() {
        let user = Uuid::from_u128(7);
        let store = with_balance(user, 3_000);
        let ids = Counter(RefCell::new(100));
        let held = reserve(&store, &ids, &call(user, "m1")).await.unwrap();
        assert_eq!(held.units, Credits::from_units(1_500));
        assert_eq!(store.balance(user), Credits::from_units(1_500));
        let settled = settle(
            &store,
            &ModelCharge {
                user_id: user,
                hold_id: held.id,
                entry_id: Uuid::from_u128(1),
                model: "model",
                usage: Usage {
                    input_tokens: 900,
                    output_tokens: 101,
                },
                request_id: "req",
            },
        )
        .await
        .unwrap();
        assert_eq!(
            settled,
            Some((Credits::from_units(1_001), Credits::from_units(1_999)))
        );
        assert_eq!(store.balance(user), Credits::from_units(1_999));
    }

    #[tokio::test]
    async fn overspending_is_refused_with_the_balance_and_price_and_leaves_the_balance_unchanged() {
        let user = Uuid::from_u128(7);
        let store = with_balance(user, 1_499);
        let ids = Counter(RefCell::new(100));
        let error = reserve(&store, &ids, &call(user, "m1")).await.unwrap_err();
        match error {
            CreditError::Insufficient(refused) => {
                assert_eq!(refused.balance, Credits::from_units(1_499));
                assert_eq!(refused.price, Credits::from_units(1_500));
            }
            CreditError::Store(error) => panic!("{error}"),
        }
        assert_eq!(store.balance(user), Credits::from_units(1_499));
    }

    #[tokio::test]
    async fn a_retried_reserve_reuses_its_hold_and_takes_nothing_more() {
        let user = Uuid::from_u128(7);
        let store = with_balance(user, 3_000);
        let ids = Counter(RefCell::new(100));
        let first = reserve(&store, &ids, &call(user, "m1")).await.unwrap();
        let again = reserve(&store, &ids, &call(user, "m1")).await.unwrap();
        assert!(first.taken_now && !again.taken_now);
        assert_eq!(
            (first.id, first.units, first.open),
            (again.id, again.units, again.open)
        );
        assert_eq!(store.balance(user), Credits::from_units(1_500));
    }

    #[tokio::test]
    async fn a_top_up_with_a_used_key_adds_nothing_more() {
        let user = Uuid::from_u128(7);
        let store = with_balance(user, 0);
        let top_up_once = TopUp {
            account: Target::Id(user),
            entry_id: Uuid::from_u128(1),
            amount: Credits::from_units(6_000),
            note: Some("support"),
            idempotency_key: "ticket-1",
            request_id: "req",
        };
        top_up(&store, &top_up_once).await.unwrap();
        let again = top_up(&store, &top_up_once).await.unwrap().unwrap();
        assert_eq!(again.balance, Credits::from_units(6_000));
    }
}
