//! Accounts: who the caller is, their profile, and erasing them.

use crate::auth::AuthenticatedSubject;
use crate::clients::neon::{NeonError, QueryResult, Statement, TransactionOptions};
use crate::db::Sql;
use crate::db::users::{self, NewUser, User};
use crate::domain::profile::ProfileChange;
use crate::ports::Ids;

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
        email: subject.email.as_deref(),
        starter_credits,
    }
}

/// The stored user behind a verified token, created with the starter grant the first
/// time the subject is seen. Safe to call on every request and concurrently.
pub async fn resolve_user(
    db: &impl Sql,
    ids: &impl Ids,
    subject: &AuthenticatedSubject,
    starter_credits: i64,
) -> Result<User, NeonError> {
    users::find_or_provision(
        db,
        &NewUser {
            id: ids.new_uuid(),
            grant_id: ids.new_uuid(),
            auth_subject: &subject.subject,
            email: subject.email.as_deref(),
            starter_credits,
        },
    )
    .await
}

/// Resolves the user and runs `reads` in the same round trip (one batch). The reads
/// only know the caller's subject, so they select by `auth_subject`. Returns the user
/// and the reads' results in order.
pub async fn resolve_user_with(
    db: &impl Sql,
    ids: &impl Ids,
    subject: &AuthenticatedSubject,
    starter_credits: i64,
    reads: Vec<Statement>,
) -> Result<(User, Vec<QueryResult>), NeonError> {
    let new_user = NewUser {
        id: ids.new_uuid(),
        grant_id: ids.new_uuid(),
        auth_subject: &subject.subject,
        email: subject.email.as_deref(),
        starter_credits,
    };
    let mut statements = users::provision_statements(&new_user).to_vec();
    statements.extend(reads);
    let mut results = db
        .transaction(statements, TransactionOptions::default())
        .await?;
    let user = users::user_from_results(&results)?;
    let reads = results.split_off(2.min(results.len()));
    Ok((user, reads))
}

/// Applies a validated profile change. An empty change costs no round trip.
pub async fn update_profile(
    db: &impl Sql,
    user: &User,
    change: &ProfileChange,
) -> Result<User, NeonError> {
    if change.is_empty() {
        return Ok(user.clone());
    }
    users::update_profile(db, user.id, change).await
}

/// Erases every row of the user in one transaction.
pub async fn erase_account(db: &impl Sql, user: &User) -> Result<(), NeonError> {
    users::erase(db, user.id).await.map(|_| ())
}
