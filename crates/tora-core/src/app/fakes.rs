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
        let taken_now = id == hold.id;
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
                    taken_now,
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

/// An in-memory bucket: keys and their bytes, listed in pages of `page_size` (S3's
/// order, by key), with the next `failing_deletes` deletions answered 503.
pub(crate) struct FakeBucket {
    pub objects: RefCell<BTreeMap<String, Vec<u8>>>,
    pub failing_deletes: Cell<u32>,
    pub page_size: usize,
}

impl Default for FakeBucket {
    fn default() -> Self {
        Self {
            objects: RefCell::default(),
            failing_deletes: Cell::new(0),
            page_size: 1000,
        }
    }
}

impl FakeBucket {
    pub fn put(&self, key: &str) {
        self.objects
            .borrow_mut()
            .insert(key.to_owned(), vec![0xFF, 0xD8]);
    }

    pub fn keys_under(&self, prefix: &str) -> Vec<String> {
        self.objects
            .borrow()
            .keys()
            .filter(|key| key.starts_with(prefix))
            .cloned()
            .collect()
    }
}

impl crate::ports::ObjectStorage for FakeBucket {
    fn presign_put(
        &self,
        key: &crate::domain::uploads::ObjectKey,
        content_type: &str,
        bytes: u64,
        expires_secs: u32,
    ) -> Result<crate::clients::s3::PresignedRequest, crate::clients::s3::S3Error> {
        Ok(crate::clients::s3::PresignedRequest {
            method: http::Method::PUT,
            url: format!("https://bucket.test/{}", key.as_str()),
            headers: vec![
                ("content-type", content_type.to_owned()),
                ("content-length", bytes.to_string()),
            ],
            expires_at_millis: i64::from(expires_secs) * 1000,
        })
    }

    async fn head(
        &self,
        key: &crate::domain::uploads::ObjectKey,
    ) -> Result<Option<crate::clients::s3::ObjectHead>, crate::clients::s3::S3Error> {
        Ok(self
            .objects
            .borrow()
            .get(key.as_str())
            .map(|bytes| crate::clients::s3::ObjectHead {
                size: u64::try_from(bytes.len()).ok(),
                content_type: None,
            }))
    }

    async fn get(
        &self,
        key: &crate::domain::uploads::ObjectKey,
    ) -> Result<Option<Vec<u8>>, crate::clients::s3::S3Error> {
        Ok(self.objects.borrow().get(key.as_str()).cloned())
    }

    async fn delete(&self, key: &str) -> Result<(), crate::clients::s3::S3Error> {
        if self.failing_deletes.get() > 0 {
            self.failing_deletes.set(self.failing_deletes.get() - 1);
            return Err(crate::clients::s3::S3Error::Rejected(
                http::StatusCode::SERVICE_UNAVAILABLE,
            ));
        }
        self.objects.borrow_mut().remove(key);
        Ok(())
    }

    async fn list(
        &self,
        prefix: &str,
        continuation: Option<&str>,
    ) -> Result<crate::clients::s3::ObjectPage, crate::clients::s3::S3Error> {
        let keys: Vec<String> = self
            .keys_under(prefix)
            .into_iter()
            .filter(|key| continuation.is_none_or(|after| key.as_str() > after))
            .collect();
        let truncated = keys.len() > self.page_size;
        let keys: Vec<String> = keys.into_iter().take(self.page_size).collect();
        Ok(crate::clients::s3::ObjectPage {
            next: truncated.then(|| keys.last().cloned()).flatten(),
            keys,
        })
    }
}

/// `object_deletions` in memory: each pending deletion and when it is next due.
#[derive(Default)]
pub(crate) struct FakeDeletions {
    pub pending: RefCell<
        Vec<(
            crate::domain::object_deletions::PendingDeletion,
            chrono::DateTime<chrono::Utc>,
        )>,
    >,
}

impl FakeDeletions {
    pub fn queue(&self, deletion: crate::domain::object_deletions::PendingDeletion) {
        self.pending
            .borrow_mut()
            .push((deletion, chrono::DateTime::<chrono::Utc>::MIN_UTC));
    }
}

impl crate::ports::DeletionStore for FakeDeletions {
    async fn due_deletions(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<crate::domain::object_deletions::PendingDeletion>, StoreError> {
        let mut due: Vec<_> = self
            .pending
            .borrow()
            .iter()
            .filter(|(_, at)| *at <= now)
            .cloned()
            .collect();
        due.sort_by_key(|(_, at)| *at);
        Ok(due
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|(deletion, _)| deletion)
            .collect())
    }

    /// The fake keeps no uploads: nothing to abandon.
    async fn abandon_uploads(
        &self,
        _expired_before: chrono::DateTime<chrono::Utc>,
        _limit: u32,
    ) -> Result<u64, StoreError> {
        Ok(0)
    }

    async fn record_deletion_step(
        &self,
        id: Uuid,
        step: &crate::domain::object_deletions::DeletionStep,
    ) -> Result<(), StoreError> {
        use crate::domain::object_deletions::DeletionStep;
        let mut pending = self.pending.borrow_mut();
        let Some(index) = pending.iter().position(|(deletion, _)| deletion.id == id) else {
            return Ok(());
        };
        match step {
            DeletionStep::Done => {
                pending.remove(index);
            }
            DeletionStep::LookAgain { at } => pending[index].1 = *at,
            DeletionStep::Failed { at, attempts, .. } => {
                pending[index].0.attempts = *attempts;
                pending[index].1 = *at;
            }
        }
        Ok(())
    }
}

/// A person in UTC with no goals, for use cases that only need who and where.
pub(crate) fn user(id: Uuid) -> crate::domain::account::User {
    let at = chrono::DateTime::<chrono::Utc>::from_timestamp(1_764_000_000, 0).unwrap_or_default();
    crate::domain::account::User {
        id,
        auth_subject: format!("subject-{id}"),
        email: None,
        display_name: None,
        units: crate::domain::profile::Units::Kg,
        timezone: crate::domain::profile::Timezone::utc(),
        coach_style: crate::domain::profile::CoachStyle::Templated,
        weekly_goal: None,
        rest_days: crate::domain::profile::RestDays::NONE,
        count_sides_separately: false,
        credit_balance: crate::domain::credits::Credits::from_units(0),
        created_at: at,
        updated_at: at,
    }
}
