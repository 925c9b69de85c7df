//! The health check's round trip.

use super::Sql;
use crate::clients::neon::{NeonError, Statement};

/// One trivial statement: proves the endpoint, the credentials and Postgres answer.
pub async fn ping(db: &impl Sql) -> Result<(), NeonError> {
    let row = db
        .query(Statement::new("select 1::int4 as ok", vec![]))
        .await?
        .one()?;
    match row.get::<i32>("ok")? {
        1 => Ok(()),
        _ => Err(NeonError::decode("select 1 did not return 1")),
    }
}
