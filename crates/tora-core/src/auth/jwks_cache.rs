//! The issuer's public keys, kept for the life of the isolate.
//!
//! Single-threaded by design (wasm isolates are): state sits in a `RefCell`, and no
//! borrow is ever held across an `.await`, so concurrent requests in the same
//! isolate can interleave freely. Two of them may both refetch an expired set;
//! that costs one extra request and is not worth a lock.

use std::cell::RefCell;
use std::rc::Rc;

use http::header::ACCEPT;

use super::error::{AuthError, JwksFetchError};
use super::jwk::{VerifyingKey, parse_jwks};
use crate::ports::{Clock, Transport};

/// Public keys fetched from the JWKS URL, with the bookkeeping that decides when
/// to fetch them again. Create one per isolate and share it between requests.
#[derive(Debug, Default)]
pub struct JwksCache {
    state: RefCell<CacheState>,
}

#[derive(Debug, Default)]
struct CacheState {
    /// The URL the state belongs to; a different URL starts from scratch.
    url: String,
    keys: Option<Rc<[VerifyingKey]>>,
    fetched_at_ms: i64,
    last_failure: Option<(i64, JwksFetchError)>,
    last_unknown_kid_refetch_ms: Option<i64>,
}

impl CacheState {
    fn for_url(&mut self, url: &str) -> &mut Self {
        if self.url != url {
            *self = Self {
                url: url.to_owned(),
                ..Self::default()
            };
        }
        self
    }

    /// A failed fetch is not retried for a few seconds, so an issuer outage does
    /// not turn every request into another doomed fetch.
    fn failure_to_back_off_from(&self, now_ms: i64) -> Option<&JwksFetchError> {
        self.last_failure
            .as_ref()
            .filter(|(at, _)| within(now_ms, *at, JwksCache::FAILED_FETCH_RETRY_SECS))
            .map(|(_, error)| error)
    }
}

/// `true` when `now_ms` is less than `secs` after `then_ms`. A clock that went
/// backwards counts as "long ago", so a skewed clock cannot freeze the cache.
fn within(now_ms: i64, then_ms: i64, secs: u32) -> bool {
    (0..i64::from(secs) * 1000).contains(&now_ms.saturating_sub(then_ms))
}

/// The keys to select from, and whether getting them already cost a fetch.
pub(crate) struct CurrentKeys {
    pub keys: Rc<[VerifyingKey]>,
    pub fetched: bool,
}

impl JwksCache {
    /// Larger answers are refused: a JWKS holds a handful of keys.
    pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
    /// How long a failed fetch is not retried.
    pub const FAILED_FETCH_RETRY_SECS: u32 = 5;

    pub fn new() -> Self {
        Self::default()
    }

    /// Why the most recent fetch failed, while no later fetch has succeeded. For the
    /// log line of a `KeysUnavailable` (or of serving stale keys).
    pub fn last_fetch_error(&self) -> Option<JwksFetchError> {
        let state = self.state.borrow();
        state.last_failure.as_ref().map(|(_, error)| error.clone())
    }

    /// The cached keys while they are younger than `ttl_secs`, otherwise freshly
    /// fetched ones. When the fetch fails, stale keys are still served: a brief
    /// issuer outage should not sign everyone out. Only with nothing cached at all
    /// is the result `KeysUnavailable`.
    pub(crate) async fn current_keys(
        &self,
        url: &str,
        ttl_secs: u32,
        transport: &impl Transport,
        clock: &impl Clock,
    ) -> Result<CurrentKeys, AuthError> {
        let now_ms = clock.now_millis();
        let stale = {
            let mut state = self.state.borrow_mut();
            let state = state.for_url(url);
            match &state.keys {
                Some(keys) if within(now_ms, state.fetched_at_ms, ttl_secs) => {
                    return Ok(CurrentKeys {
                        keys: Rc::clone(keys),
                        fetched: false,
                    });
                }
                keys => {
                    if state.failure_to_back_off_from(now_ms).is_some() {
                        return match keys {
                            Some(keys) => Ok(CurrentKeys {
                                keys: Rc::clone(keys),
                                fetched: false,
                            }),
                            None => Err(AuthError::KeysUnavailable),
                        };
                    }
                    keys.clone()
                }
            }
        };
        match self.refresh(url, transport, now_ms).await {
            Ok(keys) => Ok(CurrentKeys {
                keys,
                fetched: true,
            }),
            Err(_) => stale
                .map(|keys| CurrentKeys {
                    keys,
                    fetched: true,
                })
                .ok_or(AuthError::KeysUnavailable),
        }
    }

    /// Fetches again because a token named a `kid` we do not know (the issuer may
    /// have rotated), unless that already happened less than `min_interval_secs`
    /// ago or the issuer is failing. `None` when no new keys were obtained.
    pub(crate) async fn refetch_for_unknown_kid(
        &self,
        url: &str,
        min_interval_secs: u32,
        transport: &impl Transport,
        clock: &impl Clock,
    ) -> Option<Rc<[VerifyingKey]>> {
        let now_ms = clock.now_millis();
        {
            let mut state = self.state.borrow_mut();
            let state = state.for_url(url);
            let refetched_recently = state
                .last_unknown_kid_refetch_ms
                .is_some_and(|at| within(now_ms, at, min_interval_secs));
            if refetched_recently || state.failure_to_back_off_from(now_ms).is_some() {
                return None;
            }
            state.last_unknown_kid_refetch_ms = Some(now_ms);
        }
        self.refresh(url, transport, now_ms).await.ok()
    }

    async fn refresh(
        &self,
        url: &str,
        transport: &impl Transport,
        started_ms: i64,
    ) -> Result<Rc<[VerifyingKey]>, JwksFetchError> {
        let fetched = fetch_jwks(url, transport).await;
        let mut state = self.state.borrow_mut();
        let state = state.for_url(url);
        match fetched {
            Ok(keys) => {
                let keys: Rc<[VerifyingKey]> = keys.into();
                state.keys = Some(Rc::clone(&keys));
                state.fetched_at_ms = started_ms;
                state.last_failure = None;
                Ok(keys)
            }
            Err(error) => {
                state.last_failure = Some((started_ms, error.clone()));
                Err(error)
            }
        }
    }
}

async fn fetch_jwks(
    url: &str,
    transport: &impl Transport,
) -> Result<Vec<VerifyingKey>, JwksFetchError> {
    let request = http::Request::get(url)
        .header(ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|error| JwksFetchError::Transport(error.to_string()))?;
    let response = transport
        .send(request)
        .await
        .map_err(|error| JwksFetchError::Transport(error.to_string()))?;
    if !response.status().is_success() {
        return Err(JwksFetchError::Status(response.status().as_u16()));
    }
    if response.body().len() > JwksCache::MAX_DOCUMENT_BYTES {
        return Err(JwksFetchError::TooLarge {
            max: JwksCache::MAX_DOCUMENT_BYTES,
        });
    }
    Ok(parse_jwks(response.body())?)
}
