//! [`TokenCache`]: a single-flight cache for one access token.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use super::{Clock, SystemClock};

#[cfg(test)]
mod tests;

/// What a token fetch returns: the token and how long the server says it lives.
pub struct FetchedToken<T> {
    /// The token.
    pub value: T,
    /// Its lifetime from now (`expires_in`), or `None` when the server gives none
    /// (Salesforce): the token is then used until a 401 invalidates it.
    pub lifetime: Option<Duration>,
}

impl<T> FetchedToken<T> {
    /// A token that lives `lifetime` from now.
    pub fn expiring_in(value: T, lifetime: Duration) -> Self {
        FetchedToken {
            value,
            lifetime: Some(lifetime),
        }
    }

    /// A token with no announced lifetime: valid until invalidated.
    pub fn without_expiry(value: T) -> Self {
        FetchedToken {
            value,
            lifetime: None,
        }
    }
}

impl<T> fmt::Debug for FetchedToken<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the token itself.
        f.debug_struct("FetchedToken")
            .field("value", &"<redacted>")
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

/// A token handed out by a [`TokenCache`], stamped with its generation.
///
/// Keep it for the duration of one request; if the server answers 401, give it back to
/// [`TokenCache::invalidate`]. Its `Debug` shows the generation and expiry, never the token.
#[derive(Clone)]
pub struct CachedToken<T> {
    value: T,
    generation: u64,
    expires_at: Option<Instant>,
}

impl<T> CachedToken<T> {
    /// The token.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The token, consuming the handle.
    pub fn into_value(self) -> T {
        self.value
    }

    /// Which fetch produced this token: 1 for the first, increasing by one per fetch.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// When the token expires (by the cache's clock), if its lifetime was known.
    pub fn expires_at(&self) -> Option<Instant> {
        self.expires_at
    }
}

impl<T> fmt::Debug for CachedToken<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedToken")
            .field("value", &"<redacted>")
            .field("generation", &self.generation)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The cached token and when to stop handing it out.
struct Slot<T> {
    token: CachedToken<T>,
    /// `None`: no known lifetime, fresh until invalidated.
    refresh_at: Option<Instant>,
}

/// Caches one access token and makes sure concurrent callers fetch it only once.
///
/// - **Fast path**: while the token is fresh, [`get_or_refresh`](Self::get_or_refresh)
///   returns it after a short read lock, without touching the async lock.
/// - **Slow path**: when it is absent or due for refresh, callers queue on an async mutex;
///   the first re-checks and fetches, the rest find the new token when they get the lock.
///   So however many requests notice an expired token at once, the token endpoint is called
///   once and they all get the same [generation](CachedToken::generation).
/// - **Refresh margin**: a token with a lifetime is refreshed `margin` before it expires
///   (default 60 s, but never more than half its lifetime, so a short-lived token is still
///   used).
/// - **Invalidation** compares generations, so a late 401 for an old token cannot throw
///   away the fresh one another request just fetched.
/// - A **failed fetch** leaves the cache as it was; the error goes to the caller that
///   fetched, and the next caller (including those already queued) tries again.
///
/// `T` needs only `Clone + Send + Sync`; it is never printed or logged.
///
/// ```
/// use std::time::Duration;
/// use mapping::retry::{FetchedToken, TokenCache};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let cache: TokenCache<String> = TokenCache::new();
/// let token = cache
///     .get_or_refresh(|| async {
///         // POST to the token endpoint here.
///         Ok::<_, std::io::Error>(FetchedToken::expiring_in("t0k3n".to_owned(), Duration::from_secs(3600)))
///     })
///     .await?;
/// assert_eq!(token.value(), "t0k3n");
/// assert_eq!(token.generation(), 1);
///
/// // The server said 401: drop exactly this token, then replay.
/// assert!(cache.invalidate(&token));
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct TokenCache<T> {
    slot: RwLock<Option<Slot<T>>>,
    /// Held while checking and fetching, so one caller fetches at a time. Guards the
    /// generation of the last fetch (0 before the first).
    refresh: tokio::sync::Mutex<u64>,
    clock: Arc<dyn Clock>,
    margin: Duration,
}

impl<T> fmt::Debug for TokenCache<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("margin", &self.margin)
            .finish_non_exhaustive()
    }
}

impl<T: Clone + Send + Sync> Default for TokenCache<T> {
    fn default() -> Self {
        TokenCache::new()
    }
}

impl<T: Clone + Send + Sync> TokenCache<T> {
    /// The default refresh margin: refresh a token this long before it expires.
    pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);

    /// An empty cache on the real clock, refreshing 60 s before expiry.
    pub fn new() -> Self {
        TokenCache {
            slot: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(0),
            clock: Arc::new(SystemClock),
            margin: Self::DEFAULT_REFRESH_MARGIN,
        }
    }

    /// Replaces the clock that decides expiry (a [`ManualClock`](super::ManualClock) in
    /// tests).
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Sets how long before expiry a token is refreshed. It is still capped at half the
    /// token's lifetime.
    #[must_use]
    pub fn with_refresh_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Returns the cached token if it is fresh, else calls `fetch` (once, however many
    /// callers are waiting) and caches its result.
    ///
    /// # Errors
    ///
    /// The error of `fetch`, when this caller was the one that fetched and the fetch failed.
    /// The cache is left unchanged, so the next call tries again.
    pub async fn get_or_refresh<F, Fut, E>(&self, fetch: F) -> Result<CachedToken<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<FetchedToken<T>, E>>,
    {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let mut last_generation = self.refresh.lock().await;
        // Someone else may have fetched while we waited for the lock.
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let fetched = fetch().await?;

        let fetched_at = self.clock.now();
        let generation = last_generation.wrapping_add(1);
        *last_generation = generation;
        // A lifetime too long to represent as an Instant is as good as none.
        let expires_at = fetched.lifetime.and_then(|l| fetched_at.checked_add(l));
        let refresh_at = fetched.lifetime.and_then(|lifetime| {
            let margin = self.margin.min(lifetime / 2);
            fetched_at.checked_add(lifetime.saturating_sub(margin))
        });
        let token = CachedToken {
            value: fetched.value,
            generation,
            expires_at,
        };
        *self.slot.write().unwrap_or_else(PoisonError::into_inner) = Some(Slot {
            token: token.clone(),
            refresh_at,
        });
        Ok(token)
    }

    /// Drops the cached token if it is still the one in `token` (same generation), so the
    /// next [`get_or_refresh`](Self::get_or_refresh) fetches a new one. Returns whether it
    /// did. Call it when the server rejects `token` (a 401).
    pub fn invalidate(&self, token: &CachedToken<T>) -> bool {
        let mut slot = self.slot.write().unwrap_or_else(PoisonError::into_inner);
        let current = slot.as_ref().map(|s| s.token.generation);
        if current == Some(token.generation) {
            *slot = None;
            true
        } else {
            false
        }
    }

    /// Drops whatever token is cached, e.g. after the credentials were rotated.
    pub fn clear(&self) {
        *self.slot.write().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// The cached token, if there is one and it is not yet due for refresh.
    fn fresh(&self) -> Option<CachedToken<T>> {
        // The slot holds plain data that is valid even if a writer panicked.
        let slot = self.slot.read().unwrap_or_else(PoisonError::into_inner);
        let slot = slot.as_ref()?;
        match slot.refresh_at {
            Some(refresh_at) if self.clock.now() >= refresh_at => None,
            _ => Some(slot.token.clone()),
        }
    }
}
