//! Pending deletions of bucket objects on Postgres (`object_deletions`). They are
//! written by the transactions that remove the owning rows (an account's erasure, a
//! meal's deletion) and worked off by the request that wrote them and by the cron.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::clients::neon::{NeonClient, NeonError, QueryResult, Row, Statement};
use crate::domain::object_deletions::{DeletionStep, DeletionTarget, PendingDeletion};
use crate::ports::{Clock, DeletionStore, StoreError, Transport};

/// The columns every statement returning a pending deletion names.
macro_rules! deletion_columns {
    () => {
        "id, scope, object_key, settle_after, attempts"
    };
}
pub(crate) use deletion_columns;

/// When a deletion queued by a request is first due for the cron: the request tries it
/// at once, and a cron run in the meantime would work the same keys beside it (and
/// take the bucket's answers meant for the request's attempt). Longer than any attempt
/// takes; if the request dies before recording its outcome, the cron is next.
macro_rules! after_request_attempt {
    () => {
        "now() + interval '2 minutes'"
    };
}
pub(crate) use after_request_attempt;

/// Queues the erasure of a user's whole prefix, only if they ever asked for an
/// upload: without one nothing of theirs can be in the bucket. It settles after the
/// last upload URL handed to them is dead. Runs before their uploads are deleted.
pub const QUEUE_OWNER_PREFIX: &str = concat!(
    "insert into object_deletions (id, scope, object_key, settle_after, next_attempt_at)
select $1::uuid, 'prefix', $2::text, coalesce(max(expires_at), 'epoch'::timestamptz), ",
    after_request_attempt!(),
    "
from uploads where user_id = $3::uuid
having count(*) > 0
returning ",
    deletion_columns!()
);

/// Never-completed uploads whose URL is long dead: their rows go and their objects
/// (if the bytes were sent after all) are queued, in one statement. A single object
/// has nothing to wait for (`epoch`), and is due at once: the same run deletes it.
const ABANDON_UPLOADS: &str = "\
with abandoned as (
    delete from uploads
    where id in (
        select id from uploads
        where completed_at is null and expires_at < $1::timestamptz
        order by expires_at
        limit $2::int4)
    returning object_key)
insert into object_deletions (id, scope, object_key, settle_after, next_attempt_at)
select gen_random_uuid(), 'object', object_key, 'epoch', 'epoch' from abandoned";

const DUE: &str = concat!(
    "select ",
    deletion_columns!(),
    " from object_deletions where next_attempt_at <= $1::timestamptz
order by next_attempt_at, id limit $2::int4"
);

const FORGET: &str = "delete from object_deletions where id = $1::uuid";

const LOOK_AGAIN: &str =
    "update object_deletions set next_attempt_at = $2::timestamptz where id = $1::uuid";

const FAILED: &str = "\
update object_deletions
set next_attempt_at = $2::timestamptz, attempts = $3::int4, last_error = $4::text
where id = $1::uuid";

pub fn pending_from_row(row: &Row) -> Result<PendingDeletion, NeonError> {
    let scope: String = row.get("scope")?;
    let key: String = row.get("object_key")?;
    let attempts: i32 = row.get("attempts")?;
    Ok(PendingDeletion {
        id: row.get("id")?,
        target: DeletionTarget::from_stored(&scope, key)
            .ok_or_else(|| NeonError::decode(format!("unknown deletion scope {scope}")))?,
        settle_after: row.get("settle_after")?,
        attempts: u32::try_from(attempts).unwrap_or(0),
    })
}

/// The pending deletion a statement returned, if it returned one.
pub fn optional_pending(result: QueryResult) -> Result<Option<PendingDeletion>, NeonError> {
    result.first().as_ref().map(pending_from_row).transpose()
}

impl<T: Transport, C: Clock> DeletionStore for NeonClient<'_, T, C> {
    async fn due_deletions(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PendingDeletion>, StoreError> {
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        let result = self
            .query(Statement::new(
                DUE,
                vec![now.to_rfc3339().into(), limit.into()],
            ))
            .await?;
        Ok(result
            .rows
            .iter()
            .map(pending_from_row)
            .collect::<Result<_, _>>()?)
    }

    async fn abandon_uploads(
        &self,
        expired_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError> {
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        let result = self
            .query(Statement::new(
                ABANDON_UPLOADS,
                vec![expired_before.to_rfc3339().into(), limit.into()],
            ))
            .await?;
        Ok(result.row_count.unwrap_or(0))
    }

    async fn record_deletion_step(&self, id: Uuid, step: &DeletionStep) -> Result<(), StoreError> {
        let statement = match step {
            DeletionStep::Done => Statement::new(FORGET, vec![id.into()]),
            DeletionStep::LookAgain { at } => {
                Statement::new(LOOK_AGAIN, vec![id.into(), at.to_rfc3339().into()])
            }
            DeletionStep::Failed {
                at,
                attempts,
                error,
            } => Statement::new(
                FAILED,
                vec![
                    id.into(),
                    at.to_rfc3339().into(),
                    i32::try_from(*attempts).unwrap_or(i32::MAX).into(),
                    error.as_str().into(),
                ],
            ),
        };
        self.query(statement).await?;
        Ok(())
    }
}
