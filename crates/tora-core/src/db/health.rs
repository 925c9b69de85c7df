//! The health check's round trip.

use crate::clients::neon::{NeonClient, NeonError, Statement};
use crate::ports::{Clock, HealthCheck, StoreError, Transport};

impl<T: Transport, C: Clock> HealthCheck for NeonClient<'_, T, C> {
    /// One trivial statement: proves the endpoint, the credentials and Postgres answer.
    async fn ping(&self) -> Result<(), StoreError> {
        let row = self
            .query(Statement::new("select 1::int4 as ok", vec![]))
            .await?
            .one()?;
        match row.get::<i32>("ok")? {
            1 => Ok(()),
            _ => Err(NeonError::decode("select 1 did not return 1").into()),
        }
    }
}
