//! Credits on Postgres. Every move is one conditional statement, so the database's row
//! lock on the user is what serialises concurrent calls: a hold is taken only `where
//! credit_units >= price`, re-checked against the committed balance by whichever
//! statement waited, so N concurrent holds against a balance covering K give exactly
//! K holds and never a negative balance (the column's check would refuse one anyway).

use uuid::Uuid;

use super::Sql;
use super::batch::{self, Typed};
use crate::clients::neon::{
    NeonClient, NeonError, NeonErrorKind, Row, Statement, TransactionOptions,
};
use crate::domain::credits::{Credits, Insufficient};
use crate::ports::{
    Account, Clock, CreditHold, CreditStore, HeldCredits, LedgerEntry, LedgerReason, ModelCharge,
    PageCursor, Reserved, Settled, StoreError, TopUp, ToppedUp, Transport,
};

/// Gives the user's own expired holds back before a new one is taken, so a worker
/// that died mid-call costs the person nothing once its hold expires, even before the
/// scheduled release runs.
const RELEASE_OWN_EXPIRED: &str = "\
with released as (
    update credit_reservations set released_at = now()
    where user_id = $1::uuid and settled_at is null and released_at is null
      and expires_at <= now()
    returning units
)
update users set credit_units = credit_units + (select coalesce(sum(units), 0) from released)
where id = $1::uuid and exists (select 1 from released)";

/// The hold: one conditional debit and the hold row, in one statement. It takes
/// nothing when the balance does not cover the price or the key was held before. Two
/// concurrent holds with one key both pass the `not exists` (same snapshot); the
/// second then fails on the key's unique constraint and its debit is undone with it.
const RESERVE: &str = "\
with debited as (
    update users set credit_units = credit_units - $4::int8
    where id = $1::uuid and credit_units >= $4::int8
      and not exists (
          select 1 from credit_reservations
          where user_id = $1::uuid and idempotency_key = $3::text)
    returning id
)
insert into credit_reservations (id, user_id, idempotency_key, units, purpose, expires_at)
select $2::uuid, id, $3::text, $4::int8, $5::text, now() + make_interval(secs => $6::int4)
from debited";

/// The balance and the hold stored under the key, if any.
const READ_HOLD: &str = "\
select u.credit_units, r.id as hold_id, r.units,
       (r.settled_at is null and r.released_at is null) as open
from users u
left join credit_reservations r on r.user_id = u.id and r.idempotency_key = $2::text
where u.id = $1::uuid";

/// Settles an open hold: closes it, gives back what the call did not use (it is
/// charged its tokens, at most what was held) and writes the ledger row, in one
/// statement. A hold already settled or released matches nothing: nothing moves.
const SETTLE: &str = "\
with closed as (
    update credit_reservations set settled_at = now()
    where id = $1::uuid and user_id = $2::uuid and settled_at is null and released_at is null
    returning user_id, units, purpose, least(units, $3::int8) as charged
), refunded as (
    update users u set credit_units = u.credit_units + (c.units - c.charged)
    from closed c
    where u.id = c.user_id
    returning u.id, u.credit_units, c.charged, c.purpose
)
insert into credit_ledger (id, user_id, delta_units, balance_after_units, reason, idempotency_key,
                           model, input_tokens, output_tokens, request_id, purpose)
select $4::uuid, id, -charged, credit_units, 'model_call', 'hold:' || $1::text,
       $5::text, $6::int8, $7::int8, $8::text, purpose
from refunded
returning delta_units, balance_after_units";

/// One open hold given back whole.
const RELEASE: &str = "\
with released as (
    update credit_reservations set released_at = now()
    where id = $2::uuid and user_id = $1::uuid and settled_at is null and released_at is null
    returning units
)
update users set credit_units = credit_units + (select coalesce(sum(units), 0) from released)
where id = $1::uuid and exists (select 1 from released)";

/// Everyone's expired holds, given back; what a scheduled job runs.
const RELEASE_EXPIRED: &str = "\
with released as (
    update credit_reservations set released_at = now()
    where settled_at is null and released_at is null and expires_at <= now()
    returning user_id, units
), per_user as (
    select user_id, sum(units) as units, count(*) as holds from released group by user_id
)
update users u set credit_units = u.credit_units + p.units
from per_user p
where u.id = p.user_id
returning p.holds::int8 as holds";

const BALANCE: &str = "select credit_units from users where id = $1::uuid";

const LEDGER_PAGE: &str = "\
select id, delta_units, balance_after_units, reason, purpose, model,
       input_tokens::int8 as input_tokens, output_tokens::int8 as output_tokens,
       request_id, created_at
from credit_ledger
where user_id = $1::uuid
  and ($2::timestamptz is null or (created_at, id) < ($2::timestamptz, $3::uuid))
order by created_at desc, id desc
limit $4::int4";

/// A top-up: a conditional credit (nothing when the key was used before) and its
/// ledger row, in one statement.
const TOP_UP: &str = "\
with target as (
    select id from users
    where (id = $1::uuid or auth_subject = $2::text)
      and not exists (
          select 1 from credit_ledger l
          where l.user_id = users.id and l.idempotency_key = $5::text)
), credited as (
    update users u set credit_units = u.credit_units + $3::int8
    from target t
    where u.id = t.id
    returning u.id, u.credit_units
)
insert into credit_ledger (id, user_id, delta_units, balance_after_units, reason, idempotency_key,
                           request_id, purpose)
select $4::uuid, id, $3::int8, credit_units, 'admin_top_up', $5::text, $6::text, $7::text
from credited";

const READ_TOP_UP: &str = "\
select u.id as user_id, u.credit_units, l.id, l.delta_units, l.balance_after_units, l.reason,
       l.purpose, l.model, l.input_tokens::int8 as input_tokens,
       l.output_tokens::int8 as output_tokens, l.request_id, l.created_at
from users u
join credit_ledger l on l.user_id = u.id and l.idempotency_key = $3::text
where u.id = $1::uuid or u.auth_subject = $2::text";

/// The ledger oldest first, for the export.
const LEDGER_AFTER: &str = "\
select id, delta_units, balance_after_units, reason, purpose, model,
       input_tokens::int8 as input_tokens, output_tokens::int8 as output_tokens,
       request_id, created_at
from credit_ledger
where user_id = $1::uuid
  and ($2::timestamptz is null or (created_at, id) > ($2::timestamptz, $3::uuid))
order by created_at, id
limit $4::int4";

/// Up to `limit` ledger rows after `after`, oldest first.
pub fn ledger_oldest_first(
    user_id: Uuid,
    after: Option<PageCursor>,
    limit: u32,
) -> Typed<Vec<LedgerEntry>> {
    Typed::new(
        Statement::new(LEDGER_AFTER, super::page_params(user_id, after, limit)),
        |result| result.rows.iter().map(entry).collect(),
    )
}

fn reason(text: &str) -> Result<LedgerReason, NeonError> {
    Ok(match text {
        "starter_grant" => LedgerReason::StarterGrant,
        "model_call" => LedgerReason::ModelCall,
        "admin_top_up" => LedgerReason::AdminTopUp,
        "refund" => LedgerReason::Refund,
        _ => {
            return Err(NeonError::decode(
                "credit_ledger.reason holds an unknown reason",
            ));
        }
    })
}

fn entry(row: &Row) -> Result<LedgerEntry, NeonError> {
    let reason_text: String = row.get("reason")?;
    Ok(LedgerEntry {
        id: row.get("id")?,
        delta: Credits::from_units(row.get("delta_units")?),
        balance_after: Credits::from_units(row.get("balance_after_units")?),
        reason: reason(&reason_text)?,
        purpose: row.get("purpose")?,
        model: row.get("model")?,
        input_tokens: row.get("input_tokens")?,
        output_tokens: row.get("output_tokens")?,
        request_id: row.get("request_id")?,
        created_at: row.get("created_at")?,
    })
}

fn read_hold(hold: &CreditHold<'_>) -> Typed<Reserved> {
    Typed::new(
        Statement::new(
            READ_HOLD,
            vec![hold.user_id.into(), hold.idempotency_key.into()],
        ),
        |result| {
            let row = result.one()?;
            let balance = Credits::from_units(row.get("credit_units")?);
            let id: Option<Uuid> = row.get("hold_id")?;
            Ok(match id {
                Some(id) => Reserved::Held(HeldCredits {
                    id,
                    units: Credits::from_units(row.get("units")?),
                    open: row.get("open")?,
                    // Filled in by the caller, who knows the id it tried to take.
                    taken_now: false,
                }),
                // The price is filled in by the caller, who knows it.
                None => Reserved::Insufficient(Insufficient {
                    balance,
                    price: Credits::ZERO,
                }),
            })
        },
    )
}

/// Completes what `read_hold` read with what only the caller knows: the price, and
/// whether the stored hold is the one this reserve tried to take.
fn with_price(reserved: Reserved, hold: &CreditHold<'_>) -> Reserved {
    match reserved {
        Reserved::Insufficient(refused) => Reserved::Insufficient(Insufficient {
            price: hold.price,
            ..refused
        }),
        Reserved::Held(held) => Reserved::Held(HeldCredits {
            taken_now: held.id == hold.id,
            ..held
        }),
    }
}

async fn reserve(db: &impl Sql, hold: &CreditHold<'_>) -> Result<Reserved, NeonError> {
    let release = batch::write(Statement::new(
        RELEASE_OWN_EXPIRED,
        vec![hold.user_id.into()],
    ));
    let take = batch::write(Statement::new(
        RESERVE,
        vec![
            hold.user_id.into(),
            hold.id.into(),
            hold.idempotency_key.into(),
            hold.price.units().into(),
            hold.purpose.into(),
            i64::from(hold.expires_in_secs).into(),
        ],
    ));
    match batch::run(
        db,
        (release, take, read_hold(hold)),
        TransactionOptions::default(),
    )
    .await
    {
        Ok((_, _, reserved)) => Ok(with_price(reserved, hold)),
        // A concurrent attempt with the same key won; its hold is the answer.
        Err(error) if error.kind() == NeonErrorKind::UniqueViolation => {
            Ok(with_price(read_hold(hold).run(db).await?, hold))
        }
        Err(error) => Err(error),
    }
}

/// Settling a hold as a write among others: its ledger row is not read back.
pub fn settle_statement(charge: &ModelCharge<'_>) -> Statement {
    settle(charge).into_statement()
}

/// Settling a hold as one part of a batch: put it in the transaction of the work the
/// call paid for, so the charge lands if and only if the work does.
pub fn settle(charge: &ModelCharge<'_>) -> Typed<Settled> {
    Typed::new(
        Statement::new(
            SETTLE,
            vec![
                charge.hold_id.into(),
                charge.user_id.into(),
                charge.usage.cost().units().into(),
                charge.entry_id.into(),
                charge.model.into(),
                i64::from(charge.usage.input_tokens).into(),
                i64::from(charge.usage.output_tokens).into(),
                charge.request_id.into(),
            ],
        ),
        |result| {
            result
                .first()
                .map(|row| {
                    let delta: i64 = row.get("delta_units")?;
                    Ok((
                        Credits::from_units(-delta),
                        Credits::from_units(row.get("balance_after_units")?),
                    ))
                })
                .transpose()
        },
    )
}

async fn ledger(
    db: &impl Sql,
    user_id: Uuid,
    after: Option<PageCursor>,
    limit: u32,
) -> Result<(Credits, Vec<LedgerEntry>), NeonError> {
    let balance = Typed::new(Statement::new(BALANCE, vec![user_id.into()]), |result| {
        Ok(Credits::from_units(result.one()?.get("credit_units")?))
    });
    let entries = Typed::new(
        Statement::new(LEDGER_PAGE, super::page_params(user_id, after, limit)),
        |result| result.rows.iter().map(entry).collect(),
    );
    batch::run(
        db,
        (balance, entries),
        TransactionOptions {
            read_only: true,
            ..TransactionOptions::default()
        },
    )
    .await
}

/// The top-up stored under `key` and the balance now; `None` without such an account.
fn read_top_up(user_id: Option<Uuid>, subject: Option<&str>, key: &str) -> Typed<Option<ToppedUp>> {
    Typed::new(
        Statement::new(
            READ_TOP_UP,
            vec![user_id.into(), subject.into(), key.into()],
        ),
        |result| {
            result
                .first()
                .map(|row| {
                    Ok(ToppedUp {
                        user_id: row.get("user_id")?,
                        balance: Credits::from_units(row.get("credit_units")?),
                        entry: entry(&row)?,
                    })
                })
                .transpose()
        },
    )
}

async fn top_up(db: &impl Sql, top_up: &TopUp<'_>) -> Result<Option<ToppedUp>, NeonError> {
    let (user_id, subject) = match top_up.account {
        Account::Id(id) => (Some(id), None),
        Account::Subject(subject) => (None, Some(subject)),
    };
    let key = format!("top_up:{}", top_up.idempotency_key);
    let read = read_top_up(user_id, subject, &key);
    let credit = batch::write(Statement::new(
        TOP_UP,
        vec![
            user_id.into(),
            subject.into(),
            top_up.amount.units().into(),
            top_up.entry_id.into(),
            key.as_str().into(),
            top_up.request_id.into(),
            top_up.note.into(),
        ],
    ));
    match batch::run(db, (credit, read), TransactionOptions::default()).await {
        Ok((_, topped_up)) => Ok(topped_up),
        Err(error) if error.kind() == NeonErrorKind::UniqueViolation => {
            read_top_up(user_id, subject, &key).run(db).await
        }
        Err(error) => Err(error),
    }
}

impl<T: Transport, C: Clock> CreditStore for NeonClient<'_, T, C> {
    async fn reserve(&self, hold: &CreditHold<'_>) -> Result<Reserved, StoreError> {
        Ok(reserve(self, hold).await?)
    }

    async fn settle(&self, charge: &ModelCharge<'_>) -> Result<Settled, StoreError> {
        let (settled,) = batch::run(self, (settle(charge),), TransactionOptions::default()).await?;
        Ok(settled)
    }

    async fn release(&self, user_id: Uuid, hold_id: Uuid) -> Result<(), StoreError> {
        self.query(Statement::new(
            RELEASE,
            vec![user_id.into(), hold_id.into()],
        ))
        .await?;
        Ok(())
    }

    async fn release_expired(&self) -> Result<u64, StoreError> {
        let result = self
            .query(Statement::new(RELEASE_EXPIRED, Vec::new()))
            .await?;
        let mut released = 0u64;
        for row in &result.rows {
            let holds: i64 = row.get("holds")?;
            released += u64::try_from(holds).unwrap_or(0);
        }
        Ok(released)
    }

    async fn ledger(
        &self,
        user_id: Uuid,
        after: Option<PageCursor>,
        limit: u32,
    ) -> Result<(Credits, Vec<LedgerEntry>), StoreError> {
        Ok(ledger(self, user_id, after, limit).await?)
    }

    async fn top_up(&self, top_up: &TopUp<'_>) -> Result<Option<ToppedUp>, StoreError> {
        Ok(self::top_up(self, top_up).await?)
    }
}
