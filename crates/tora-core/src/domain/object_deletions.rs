//! Objects the bucket must lose because the rows that owned them are gone. Each is
//! recorded in the transaction that removed those rows and retried until the bucket
//! confirms, with a growing pause between failed attempts.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// What one deletion removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeletionTarget {
    /// One key: a deleted meal's photo.
    Object(String),
    /// Every key under a prefix: an erased account's `users/{owner}/`.
    Prefix(String),
}

impl DeletionTarget {
    pub fn scope(&self) -> &'static str {
        match self {
            DeletionTarget::Object(_) => "object",
            DeletionTarget::Prefix(_) => "prefix",
        }
    }

    pub fn key(&self) -> &str {
        match self {
            DeletionTarget::Object(key) | DeletionTarget::Prefix(key) => key,
        }
    }

    /// Rebuilds a target from its stored `scope` and key; `None` for an unknown scope.
    pub fn from_stored(scope: &str, key: String) -> Option<Self> {
        match scope {
            "object" => Some(DeletionTarget::Object(key)),
            "prefix" => Some(DeletionTarget::Prefix(key)),
            _ => None,
        }
    }
}

/// A deletion still owed to the bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingDeletion {
    pub id: Uuid,
    pub target: DeletionTarget,
    /// Before this instant a prefix may still receive an upload through a URL handed
    /// out earlier, so an empty listing does not end it yet.
    pub settle_after: DateTime<Utc>,
    /// Failed attempts so far.
    pub attempts: u32,
}

/// What to record after one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeletionStep {
    /// Everything is gone and nothing can arrive any more: forget the deletion.
    Done,
    /// Nothing failed, but look again at `at` (more keys than one attempt deletes, or
    /// upload URLs still alive).
    LookAgain { at: DateTime<Utc> },
    /// The bucket refused or could not be reached: try again at `at`.
    Failed {
        at: DateTime<Utc>,
        attempts: u32,
        error: String,
    },
}

/// The first retry waits a minute; each further one twice as long, up to six hours,
/// so a bucket outage costs a few requests an hour and a deletion is never dropped.
pub fn retry_delay(attempts: u32) -> Duration {
    const FIRST_SECONDS: i64 = 60;
    const LONGEST_SECONDS: i64 = 6 * 60 * 60;
    let doublings = attempts.saturating_sub(1).min(20);
    Duration::seconds((FIRST_SECONDS << doublings).min(LONGEST_SECONDS))
}

impl PendingDeletion {
    /// The step after an attempt at `now` that deleted everything it found
    /// (`exhausted`: the listing ended; false when keys are left for another pass).
    pub fn after_success(&self, now: DateTime<Utc>, exhausted: bool) -> DeletionStep {
        if !exhausted {
            DeletionStep::LookAgain { at: now }
        } else if now < self.settle_after {
            DeletionStep::LookAgain {
                at: self.settle_after,
            }
        } else {
            DeletionStep::Done
        }
    }

    /// The step after an attempt at `now` that failed with `error` (a kind, not a
    /// message).
    pub fn after_failure(&self, now: DateTime<Utc>, error: &str) -> DeletionStep {
        let attempts = self.attempts.saturating_add(1);
        DeletionStep::Failed {
            at: now + retry_delay(attempts),
            attempts,
            error: error.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap_or_default()
    }

    fn pending(target: DeletionTarget, settle_after: DateTime<Utc>) -> PendingDeletion {
        PendingDeletion {
            id: Uuid::from_u128(1),
            target,
            settle_after,
            attempts: 0,
        }
    }

    #[test]
    fn retries_back_off_to_six_hours_and_never_stop() {
        assert_eq!(retry_delay(1), Duration::minutes(1));
        assert_eq!(retry_delay(2), Duration::minutes(2));
        assert_eq!(retry_delay(5), Duration::minutes(16));
        assert_eq!(retry_delay(20), Duration::hours(6));
        assert_eq!(retry_delay(u32::MAX), Duration::hours(6));
    }

    #[test]
    fn a_prefix_is_looked_at_again_until_its_upload_urls_are_dead() {
        let deletion = pending(DeletionTarget::Prefix("users/a/".into()), at(900));
        assert_eq!(
            deletion.after_success(at(0), true),
            DeletionStep::LookAgain { at: at(900) }
        );
        assert_eq!(deletion.after_success(at(900), true), DeletionStep::Done);
        assert_eq!(
            deletion.after_success(at(901), false),
            DeletionStep::LookAgain { at: at(901) }
        );
    }

    #[test]
    fn a_failure_counts_and_waits_longer_each_time() {
        let mut deletion = pending(DeletionTarget::Object("users/a/meal_photo/x".into()), at(0));
        let first = deletion.after_failure(at(10), "503");
        assert_eq!(
            first,
            DeletionStep::Failed {
                at: at(70),
                attempts: 1,
                error: "503".into()
            }
        );
        deletion.attempts = 3;
        let DeletionStep::Failed { at: next, .. } = deletion.after_failure(at(10), "transport")
        else {
            panic!("a failure is a failure");
        };
        assert_eq!(next, at(10 + 8 * 60));
    }

    #[test]
    fn targets_round_trip_through_their_stored_scope() {
        for target in [
            DeletionTarget::Object("users/a/meal_photo/x".into()),
            DeletionTarget::Prefix("users/a/".into()),
        ] {
            assert_eq!(
                DeletionTarget::from_stored(target.scope(), target.key().to_owned()),
                Some(target)
            );
        }
        assert_eq!(DeletionTarget::from_stored("bucket", "x".into()), None);
    }
}
