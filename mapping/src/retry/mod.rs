//! Retry machinery every Tributary client shares: error kinds, the retry policy, backoff,
//! `Retry-After` parsing, the send-retry executor and the single-flight token cache.
//!
//! # The model
//!
//! A client's one `send` path wraps each outbound call in [`Retrier::run`]:
//!
//! 1. The client's error type implements [`RetryClassify`]: it names its [`ErrorKind`]
//!    (the same vocabulary in every client: `Transient`, `Throttled`, `AuthExpired`, …),
//!    the server's `Retry-After` (parsed by [`parse_retry_after`]) and its [`Delivery`]:
//!    whether the request may have reached the server.
//! 2. The caller says whether the request is [`Idempotent`](Idempotency::Idempotent) or a
//!    [`NonIdempotent`](Idempotency::NonIdempotent) money-moving POST.
//! 3. After each failure, the [`RetryPolicy`] — a pure, synchronous function — returns
//!    [`RetryDecision::RetryAfter`] a delay or [`RetryDecision::Stop`] with a
//!    [`StopReason`]. Backoff is capped exponential with full jitter; a `Retry-After` is
//!    honoured up to a cap, beyond which the error goes back to the caller to reschedule.
//!    A non-idempotent request that may have been sent is never resent.
//! 4. An expired token ([`ErrorKind::AuthExpired`]) is refreshed through the [`TokenCache`]
//!    and the request replayed once, without using up an attempt.
//! 5. When the policy stops, the last error itself comes back, with the attempt count
//!    recorded on it.
//!
//! Time, sleeping and randomness go through [`Clock`], [`Sleeper`] and [`RandomSource`], so
//! tests use a [`ManualClock`], a [`RecordingSleeper`] and a [`FixedRandom`] and never
//! really sleep.
//!
//! # Example
//!
//! A client's send path in miniature: a 503, then a 401 (token refreshed, replayed for
//! free), then success.
//!
//! ```
//! use std::sync::atomic::{AtomicU32, Ordering};
//! use std::time::Duration;
//! use mapping::retry::{
//!     Delivery, ErrorKind, FetchedToken, FixedRandom, Idempotency, RecordingSleeper, Retrier,
//!     RetryClassify, RetryPolicy, StopReason, TokenCache,
//! };
//!
//! #[derive(Debug)]
//! struct ApiError { status: u16, attempts: u32 }
//!
//! impl RetryClassify for ApiError {
//!     fn kind(&self) -> ErrorKind {
//!         match self.status {
//!             401 => ErrorKind::AuthExpired,
//!             429 => ErrorKind::Throttled,
//!             500..=599 => ErrorKind::Transient,
//!             _ => ErrorKind::Other,
//!         }
//!     }
//!     fn delivery(&self) -> Delivery {
//!         if self.status == 401 { Delivery::NotSent } else { Delivery::MaybeSent }
//!     }
//!     fn record_attempts(&mut self, attempts: u32, _stop: StopReason) {
//!         self.attempts = attempts;
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let tokens: &TokenCache<String> = &TokenCache::new();
//! let token_fetches = &AtomicU32::new(0);
//! let calls = &AtomicU32::new(0);
//! let responses = [503, 401, 200];
//!
//! let sleeper = RecordingSleeper::new();
//! let retrier = Retrier::new(RetryPolicy::default())
//!     .with_sleeper(sleeper.clone())
//!     .with_random(FixedRandom::new(0.5));
//!
//! let result = retrier
//!     .run(Idempotency::Idempotent, |attempt| async move {
//!         let token = tokens
//!             .get_or_refresh(|| async {
//!                 let n = token_fetches.fetch_add(1, Ordering::SeqCst);
//!                 Ok::<_, ApiError>(FetchedToken::without_expiry(format!("token-{n}")))
//!             })
//!             .await?;
//!         // ... send the request with `token.value()` here ...
//!         let status = responses[calls.fetch_add(1, Ordering::SeqCst) as usize];
//!         match status {
//!             200 => Ok(format!("ok with {} on attempt {}", token.value(), attempt.number())),
//!             401 => {
//!                 tokens.invalidate(&token);
//!                 Err(ApiError { status, attempts: 0 })
//!             }
//!             _ => Err(ApiError { status, attempts: 0 }),
//!         }
//!     })
//!     .await;
//!
//! assert_eq!(result.unwrap(), "ok with token-1 on attempt 2");
//! assert_eq!(calls.load(Ordering::SeqCst), 3);
//! assert_eq!(token_fetches.load(Ordering::SeqCst), 2);
//! assert_eq!(sleeper.delays(), [Duration::from_millis(100)]); // only the 503 waited
//! # });
//! ```

mod classify;
mod clock;
mod decision;
mod executor;
mod kind;
mod policy;
mod random;
mod retry_after;
mod sleep;
mod token_cache;

pub use classify::{Delivery, Idempotency, RetryClassify};
pub use clock::{Clock, ManualClock, SystemClock};
pub use decision::{RetryDecision, StopReason};
pub use executor::{Attempt, Retrier};
pub use kind::ErrorKind;
pub use policy::{FailedAttempt, RetryPolicy};
pub use random::{DefaultRandom, FixedRandom, RandomSource, SeededRandom};
pub use retry_after::parse_retry_after;
pub use sleep::{RecordingSleeper, Sleeper, TokioSleeper};
pub use token_cache::{CachedToken, FetchedToken, TokenCache};
