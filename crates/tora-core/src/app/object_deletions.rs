//! Working off the deletions the bucket owes: the request that queued one tries it at
//! once, the cron retries whatever is left. Every attempt is recorded, so a failure
//! half-way (some keys gone, the bucket down for the rest) leaves the deletion
//! pending, never forgotten.

use chrono::{DateTime, Utc};

use crate::domain::object_deletions::{DeletionStep, DeletionTarget, PendingDeletion};
use crate::ports::{DeletionStore, ObjectStorage, StoreError};

/// Keys one attempt deletes at most, so a request or a cron run stays short; a larger
/// prefix is finished by the next attempts.
pub const KEYS_PER_ATTEMPT: usize = 200;

/// Deletions one scheduled run works off at most.
pub const DELETIONS_PER_RUN: u32 = 20;

/// Tries `deletion` once at `now` and records the outcome. Returns the step
/// recorded; an error only when the outcome could not be recorded (the deletion then
/// stays due and is tried again).
pub async fn attempt(
    store: &impl DeletionStore,
    storage: &impl ObjectStorage,
    deletion: &PendingDeletion,
    now: DateTime<Utc>,
) -> Result<DeletionStep, StoreError> {
    let step = match delete_target(storage, &deletion.target).await {
        Ok(exhausted) => deletion.after_success(now, exhausted),
        Err(error) => deletion.after_failure(now, &error.kind()),
    };
    store.record_deletion_step(deletion.id, &step).await?;
    Ok(step)
}

/// Deletes what `target` names; `Ok(true)` when nothing is left of it, `Ok(false)`
/// when this attempt stopped at its key budget.
async fn delete_target(
    storage: &impl ObjectStorage,
    target: &DeletionTarget,
) -> Result<bool, crate::clients::s3::S3Error> {
    match target {
        DeletionTarget::Object(key) => {
            storage.delete(key).await?;
            Ok(true)
        }
        DeletionTarget::Prefix(prefix) => {
            let mut deleted = 0;
            // Deleting while listing moves later keys forward, so each pass starts
            // from the beginning: what is left is always the first page.
            loop {
                let page = storage.list(prefix, None).await?;
                // Only keys under the prefix, whatever the listing says.
                let mut keys = page
                    .keys
                    .iter()
                    .filter(|key| key.starts_with(prefix.as_str()))
                    .peekable();
                if keys.peek().is_none() {
                    return Ok(true);
                }
                for key in keys {
                    if deleted == KEYS_PER_ATTEMPT {
                        return Ok(false);
                    }
                    storage.delete(key).await?;
                    deleted += 1;
                }
            }
        }
    }
}

/// How long after its URL expired a never-completed upload is forgotten (and its
/// object deleted, if the bytes came after all): long enough that a client retrying a
/// completion after a bad network day still finds it.
pub const ABANDONED_AFTER_HOURS: i64 = 24;

/// Uploads one scheduled run forgets at most.
pub const ABANDONED_PER_RUN: u32 = 100;

/// What one scheduled run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DrainSummary {
    /// Never-completed uploads forgotten (their objects queued).
    pub abandoned: u64,
    pub done: u32,
    pub again: u32,
    pub failed: u32,
}

/// Forgets long-abandoned uploads, then works off the deletions due at `now` (at most
/// [`DELETIONS_PER_RUN`]).
pub async fn drain_due(
    store: &impl DeletionStore,
    storage: &impl ObjectStorage,
    now: DateTime<Utc>,
) -> Result<DrainSummary, StoreError> {
    let mut summary = DrainSummary {
        abandoned: store
            .abandon_uploads(
                now - chrono::Duration::hours(ABANDONED_AFTER_HOURS),
                ABANDONED_PER_RUN,
            )
            .await?,
        ..DrainSummary::default()
    };
    for deletion in store.due_deletions(now, DELETIONS_PER_RUN).await? {
        match attempt(store, storage, &deletion, now).await? {
            DeletionStep::Done => summary.done += 1,
            DeletionStep::LookAgain { .. } => summary.again += 1,
            DeletionStep::Failed { .. } => summary.failed += 1,
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::app::fakes::{FakeBucket, FakeDeletions};

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + minutes * 60, 0).unwrap_or_default()
    }

    fn prefix_deletion(prefix: &str, settle_after: DateTime<Utc>) -> PendingDeletion {
        PendingDeletion {
            id: Uuid::from_u128(1),
            target: DeletionTarget::Prefix(prefix.into()),
            settle_after,
            attempts: 0,
        }
    }

    fn bucket_with(keys: usize, page_size: usize) -> FakeBucket {
        let bucket = FakeBucket {
            page_size,
            ..FakeBucket::default()
        };
        for n in 0..keys {
            bucket.put(&format!("users/gone/meal_photo/{n:04}"));
        }
        bucket.put("users/gone-too/meal_photo/1");
        bucket.put("users/kept/meal_photo/1");
        bucket
    }

    #[tokio::test]
    async fn a_prefix_goes_page_after_page_and_nothing_beside_it() {
        let bucket = bucket_with(25, 10);
        let store = FakeDeletions::default();
        let deletion = prefix_deletion("users/gone/", at(0));
        store.queue(deletion.clone());
        let step = attempt(&store, &bucket, &deletion, at(0)).await.unwrap();
        assert_eq!(step, DeletionStep::Done);
        assert!(bucket.keys_under("users/gone/").is_empty());
        assert_eq!(bucket.keys_under("users/gone-too/").len(), 1);
        assert_eq!(bucket.keys_under("users/kept/").len(), 1);
        assert!(store.pending.borrow().is_empty());
    }

    #[tokio::test]
    async fn a_large_prefix_is_finished_by_the_next_runs() {
        let bucket = bucket_with(KEYS_PER_ATTEMPT + 5, 1000);
        let store = FakeDeletions::default();
        store.queue(prefix_deletion("users/gone/", at(0)));
        let first = drain_due(&store, &bucket, at(0)).await.unwrap();
        assert_eq!(first.again, 1);
        assert_eq!(bucket.keys_under("users/gone/").len(), 5);
        let second = drain_due(&store, &bucket, at(0)).await.unwrap();
        assert_eq!(second.done, 1);
        assert!(bucket.keys_under("users/gone/").is_empty());
    }

    #[tokio::test]
    async fn a_failure_half_way_keeps_the_rest_owed_and_the_cron_finishes_it() {
        let bucket = bucket_with(3, 1000);
        let store = FakeDeletions::default();
        let deletion = prefix_deletion("users/gone/", at(0));
        store.queue(deletion.clone());
        // The first key goes, then the bucket fails.
        let step = {
            let first = bucket.keys_under("users/gone/")[0].clone();
            crate::ports::ObjectStorage::delete(&bucket, &first)
                .await
                .unwrap();
            bucket.failing_deletes.set(1);
            attempt(&store, &bucket, &deletion, at(0)).await.unwrap()
        };
        assert!(matches!(step, DeletionStep::Failed { attempts: 1, .. }));
        assert_eq!(bucket.keys_under("users/gone/").len(), 2);
        assert_eq!(store.pending.borrow().len(), 1, "still owed");

        assert_eq!(
            drain_due(&store, &bucket, at(0)).await.unwrap(),
            DrainSummary::default()
        );
        let later = drain_due(&store, &bucket, at(1)).await.unwrap();
        assert_eq!(later.done, 1);
        assert!(bucket.keys_under("users/gone/").is_empty());
        assert!(store.pending.borrow().is_empty());
    }

    #[tokio::test]
    async fn an_erased_prefix_is_listed_again_once_its_upload_urls_are_dead() {
        let bucket = bucket_with(1, 1000);
        let store = FakeDeletions::default();
        store.queue(prefix_deletion("users/gone/", at(15)));
        assert_eq!(drain_due(&store, &bucket, at(0)).await.unwrap().again, 1);
        // A URL handed out before the erasure is used.
        bucket.put("users/gone/meal_photo/late");
        assert_eq!(
            drain_due(&store, &bucket, at(10)).await.unwrap(),
            DrainSummary::default()
        );
        assert_eq!(drain_due(&store, &bucket, at(15)).await.unwrap().done, 1);
        assert!(bucket.keys_under("users/gone/").is_empty());
    }
}
