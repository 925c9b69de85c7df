//! Accounts: who the caller is, their profile, and erasing them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::app::object_deletions;
use crate::auth::AuthenticatedSubject;
use crate::config::CreditsConfig;
use crate::domain::account::{Email, NewUser, SubjectHash, User};
use crate::domain::credits::Credits;
use crate::domain::profile::ProfileChange;
use crate::domain::skills::SkillRecord;
use crate::domain::uploads::{ObjectKey, OwnerPrefix};
use crate::ports::{
    AccountStore, DeletionStore, HealthCheck, Ids, ObjectStorage, ObjectsToErase, StoreError,
};

/// What to create if the caller is seen for the first time: `starter_credits` whole
/// credits, unless this subject had them before.
pub fn new_user<'a>(
    ids: &impl Ids,
    subject: &'a AuthenticatedSubject,
    starter_credits: i64,
    credits: &CreditsConfig,
) -> NewUser<'a> {
    NewUser {
        id: ids.new_uuid(),
        grant_id: ids.new_uuid(),
        auth_subject: &subject.subject,
        email: subject.email.as_ref().map(Email::as_str),
        // The configuration checked that the grant fits.
        starter_credits: Credits::whole(starter_credits, credits.tokens_per_credit)
            .unwrap_or(Credits::ZERO),
        subject_hash: subject_hash(credits, &subject.subject),
    }
}

/// The keyed hash that remembers a subject's starter grant.
pub fn subject_hash(credits: &CreditsConfig, subject: &str) -> SubjectHash {
    SubjectHash::of(credits.subject_hash_key.expose().as_bytes(), subject)
}

/// The stored user behind a verified token, created with the starter grant the first
/// time the subject is seen. Safe to call on every request and concurrently.
pub async fn resolve_user(
    store: &impl AccountStore,
    user: &NewUser<'_>,
) -> Result<User, StoreError> {
    store.resolve(user).await
}

/// The user and their stored skill rows, in one round trip.
pub async fn resolve_with_skills(
    store: &impl AccountStore,
    user: &NewUser<'_>,
) -> Result<(User, BTreeMap<String, SkillRecord>), StoreError> {
    store.resolve_with_skills(user).await
}

/// Applies a validated profile change. An empty change costs no round trip.
pub async fn update_profile(
    store: &impl AccountStore,
    user: &User,
    change: &ProfileChange,
) -> Result<User, StoreError> {
    if change.is_empty() {
        return Ok(user.clone());
    }
    store.update_profile(user.id, change).await
}

/// Erases every row of the user in one transaction, remembering only that their
/// subject had its starter grant and, when there is a bucket, that their objects must
/// go. Then tries deleting those objects at once; whatever fails stays pending for the
/// cron, so the answer does not depend on the bucket.
pub async fn erase_account(
    store: &(impl AccountStore + DeletionStore),
    storage: Option<&impl ObjectStorage>,
    ids: &impl Ids,
    user: &User,
    credits: &CreditsConfig,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let objects = storage.map(|_| ObjectsToErase {
        deletion_id: ids.new_uuid(),
        prefix: ObjectKey::owner_prefix(&OwnerPrefix::of(
            credits.subject_hash_key.expose().as_bytes(),
            user.id,
        )),
    });
    let pending = store
        .erase(
            user.id,
            &subject_hash(credits, &user.auth_subject),
            objects.as_ref(),
        )
        .await?;
    if let (Some(pending), Some(storage)) = (pending, storage) {
        // The rows are gone and the deletion is recorded: a failure here only leaves
        // it due for the cron.
        let _ = object_deletions::attempt(store, storage, &pending, now).await;
    }
    Ok(())
}

/// Whether the API can serve data: the store answers.
pub async fn database_healthy(store: &impl HealthCheck) -> bool {
    store.ping().await.is_ok()
}
