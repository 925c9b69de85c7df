//! Typed query functions: the only Rust code that holds SQL. Every placeholder is cast
//! explicitly because Neon sends parameters untyped; every column is named.
#![allow(async_fn_in_trait)]

pub mod batch;
pub mod chat;
pub mod credits;
pub mod export;
pub mod health;
pub mod imports;
pub mod meals;
pub mod memories;
pub mod object_deletions;
pub mod skills;
pub mod stats;
pub mod uploads;
pub mod users;
pub mod workouts;

use crate::clients::neon::{
    NeonClient, NeonError, NeonErrorKind, QueryResult, Statement, TransactionOptions,
};
use crate::ports::{Clock, StoreError, StoreErrorKind, Transport};

/// Neon's failures, sorted into the kinds every store speaks. The message is Neon's
/// `Display`, which never holds parameter values.
impl From<NeonError> for StoreError {
    fn from(error: NeonError) -> Self {
        let kind = match error.kind() {
            NeonErrorKind::Unavailable => StoreErrorKind::Unavailable,
            NeonErrorKind::Timeout => StoreErrorKind::Timeout,
            NeonErrorKind::RetryableConflict => StoreErrorKind::RetryableConflict,
            NeonErrorKind::UniqueViolation | NeonErrorKind::Rejected => StoreErrorKind::Rejected,
            NeonErrorKind::Decode => StoreErrorKind::Corrupt,
        };
        StoreError::new(kind, error.to_string())
    }
}

/// What the query functions need from a database connection: one statement, or several
/// in one transaction. `NeonClient` is the production implementation.
pub trait Sql {
    async fn query(&self, statement: Statement) -> Result<QueryResult, NeonError>;
    async fn transaction(
        &self,
        statements: Vec<Statement>,
        options: TransactionOptions,
    ) -> Result<Vec<QueryResult>, NeonError>;
}

impl<T: Transport, C: Clock> Sql for NeonClient<'_, T, C> {
    async fn query(&self, statement: Statement) -> Result<QueryResult, NeonError> {
        NeonClient::query(self, statement).await
    }

    async fn transaction(
        &self,
        statements: Vec<Statement>,
        options: TransactionOptions,
    ) -> Result<Vec<QueryResult>, NeonError> {
        NeonClient::transaction(self, statements, options).await
    }
}

/// The parameters of a keyset page over one person's rows: `$1` the user, `$2`/`$3`
/// the position after which the page starts (both null for the first page), `$4` how
/// many rows. Every paged query of ours takes them in this order.
pub(crate) fn page_params(
    user_id: uuid::Uuid,
    after: Option<crate::ports::PageCursor>,
    limit: u32,
) -> Vec<crate::clients::neon::Param> {
    vec![
        user_id.into(),
        after.map(|cursor| cursor.at.to_rfc3339()).into(),
        after.map(|cursor| cursor.id).into(),
        i64::from(limit).into(),
    ]
}
