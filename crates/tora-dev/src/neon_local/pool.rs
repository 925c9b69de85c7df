//! A few idle sessions kept for reuse, so a request does not pay for a login.

use std::sync::Mutex;

use super::wire::{PgConfig, Session};

/// Idle sessions kept at most. The embedded database serializes everything through one
/// backend anyway, so more would only hold sockets open.
const MAX_IDLE: usize = 4;

pub struct Pool {
    config: PgConfig,
    idle: Mutex<Vec<Session>>,
}

impl Pool {
    pub fn new(config: PgConfig) -> Self {
        Pool {
            config,
            idle: Mutex::new(Vec::new()),
        }
    }

    pub fn config(&self) -> &PgConfig {
        &self.config
    }

    /// An idle session that still looks alive, or a new one.
    pub async fn get(&self) -> Result<Session, String> {
        while let Some(session) = self.lock().pop() {
            if session.is_alive() {
                return Ok(session);
            }
        }
        Session::connect(&self.config).await
    }

    /// Takes a session back. One that is broken, or still inside a transaction (open or
    /// failed), is closed instead: handing it to the next request would leak state.
    pub fn put(&self, session: Session) {
        if !session.is_reusable() {
            return;
        }
        let mut idle = self.lock();
        if idle.len() < MAX_IDLE {
            idle.push(session);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Session>> {
        // A panic while holding the lock cannot leave the Vec inconsistent.
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
