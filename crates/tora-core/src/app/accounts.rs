//! Accounts: who the caller is, their profile, and erasing them.

use std::collections::BTreeMap;

use crate::auth::AuthenticatedSubject;
use crate::domain::account::{Email, NewUser, User};
use crate::domain::profile::ProfileChange;
use crate::domain::skills::SkillRecord;
use crate::ports::{AccountStore, HealthCheck, Ids, StoreError};

/// What to create if the caller is seen for the first time.
pub fn new_user<'a>(
    ids: &impl Ids,
    subject: &'a AuthenticatedSubject,
    starter_credits: i64,
) -> NewUser<'a> {
    NewUser {
        id: ids.new_uuid(),
        grant_id: ids.new_uuid(),
        auth_subject: &subject.subject,
        email: subject.email.as_ref().map(Email::as_str),
        starter_credits,
    }
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

/// Erases every row of the user in one transaction.
pub async fn erase_account(store: &impl AccountStore, user: &User) -> Result<(), StoreError> {
    store.erase(user.id).await.map(|_| ())
}

/// Whether the API can serve data: the store answers.
pub async fn database_healthy(store: &impl HealthCheck) -> bool {
    store.ping().await.is_ok()
}
