//! A few sessions shared by all requests, so a request does not pay for a login and the
//! endpoint never opens more connections than the database accepts.

use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::wire::{PgConfig, Session};

/// Sessions open at once, busy or idle, for a real Postgres. Few, because the endpoint
/// serves tests, not load.
pub const MAX_OPEN: usize = 4;

pub struct Pool {
    config: PgConfig,
    idle: Mutex<Vec<Session>>,
    /// One permit per busy session. A session is only opened while holding a permit and
    /// with no idle session left, so busy plus idle sessions never exceed `MAX_OPEN`.
    permits: Arc<Semaphore>,
}

/// A session in use by one request; give it back with `Pool::put`.
pub struct Lease {
    pub session: Session,
    permit: OwnedSemaphorePermit,
}

impl Pool {
    pub fn new(config: PgConfig, max_open: usize) -> Self {
        Pool {
            config,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(max_open)),
        }
    }

    /// Waits for a free slot, then hands out an idle session that still looks alive, or a
    /// new one.
    pub async fn get(&self) -> Result<Lease, String> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| "the connection pool is closed".to_string())?;
        while let Some(session) = self.lock().pop() {
            if session.is_alive() {
                return Ok(Lease { session, permit });
            }
        }
        let session = Session::connect(&self.config).await?;
        Ok(Lease { session, permit })
    }

    /// Takes a session back. One that is broken, or still inside a transaction (open or
    /// failed), is closed instead: handing it to the next request would leak state.
    pub fn put(&self, lease: Lease) {
        let Lease { session, permit } = lease;
        if session.is_reusable() {
            self.lock().push(session);
        }
        // Only now may a waiting request go on, and it will find the idle session.
        drop(permit);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Session>> {
        // A panic while holding the lock cannot leave the Vec inconsistent.
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
