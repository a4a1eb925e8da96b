//! [`Retrier`]: the async send-retry loop every client's `send` path runs in.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use tracing::Instrument;

use super::{
    Clock, DefaultRandom, Delivery, ErrorKind, FailedAttempt, Idempotency, RandomSource,
    RetryClassify, RetryDecision, RetryPolicy, Sleeper, StopReason, SystemClock, TokioSleeper,
};

#[cfg(test)]
mod tests;

/// Which try of a call is being made; given to the operation on every call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    number: u32,
    auth_replay: bool,
}

impl Attempt {
    /// The attempt number, 1-based. A token-refresh replay keeps the number of the attempt
    /// it replays.
    pub fn number(self) -> u32 {
        self.number
    }

    /// Whether this call replays the previous attempt after an
    /// [`AuthExpired`](ErrorKind::AuthExpired) error, with a freshly fetched token.
    pub fn is_auth_replay(self) -> bool {
        self.auth_replay
    }

    /// Whether this is the very first call.
    pub fn is_first(self) -> bool {
        self.number == 1 && !self.auth_replay
    }
}

/// Runs an operation under a [`RetryPolicy`]: retries what the policy allows, sleeps the
/// delays it decides, replays once after a token expiry, and gives back the last error
/// itself when it stops.
///
/// Cheap to clone (the clock, sleeper and random source are shared). Defaults: the real
/// clock, `tokio::time::sleep`, and `rand`'s thread-local generator; tests swap in a
/// [`ManualClock`](super::ManualClock), a [`RecordingSleeper`](super::RecordingSleeper) and
/// a [`FixedRandom`](super::FixedRandom) or [`SeededRandom`](super::SeededRandom).
///
/// # Rules
///
/// - Each call of the operation gets an [`Attempt`]; the first is attempt 1.
/// - On [`ErrorKind::AuthExpired`] the operation is called again at once, without sleeping
///   and without using up an attempt. The operation must invalidate its token (see
///   [`TokenCache::invalidate`](super::TokenCache::invalidate)) before returning that error,
///   so the replay fetches a new one. A second `AuthExpired` in a row is final.
///   A non-idempotent call is replayed only if the error says
///   [`Delivery::NotSent`](super::Delivery::NotSent) (a 401 proves the request was refused).
/// - Any other error goes to [`RetryPolicy::decide`]: sleep and retry, or stop.
/// - On stop, [`RetryClassify::record_attempts`] is called on the last error, which is then
///   returned unchanged otherwise.
///
/// # Tracing
///
/// Each call of the operation runs in an `attempt` span (fields `attempt`, `auth_replay`,
/// and `error.type` set to the [`ErrorKind`] on failure), a child of the caller's span.
/// Retry decisions are logged at `debug`, the final failure at `warn` (at `debug` when the
/// first try failed with an error that is simply not retryable, such as `not_found`: the
/// caller decides whether that is a problem). Only kinds, numbers and reasons are logged,
/// never the error itself, which may carry request data or secrets.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use mapping::retry::{
///     Delivery, ErrorKind, FixedRandom, Idempotency, RecordingSleeper, Retrier, RetryClassify,
///     RetryPolicy, StopReason,
/// };
///
/// #[derive(Debug)]
/// struct Unavailable;
/// impl RetryClassify for Unavailable {
///     fn kind(&self) -> ErrorKind { ErrorKind::Transient }
///     fn record_attempts(&mut self, _attempts: u32, _stop: StopReason) {}
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let sleeper = RecordingSleeper::new();
/// let retrier = Retrier::new(RetryPolicy::default())
///     .with_sleeper(sleeper.clone())
///     .with_random(FixedRandom::new(0.5));
///
/// let answer = retrier
///     .run(Idempotency::Idempotent, |attempt| async move {
///         if attempt.number() < 3 { Err(Unavailable) } else { Ok("done") }
///     })
///     .await;
///
/// assert_eq!(answer.unwrap(), "done");
/// // Half of 200 ms, then half of 400 ms.
/// assert_eq!(sleeper.delays(), [Duration::from_millis(100), Duration::from_millis(200)]);
/// # });
/// ```
#[derive(Clone)]
pub struct Retrier {
    policy: RetryPolicy,
    clock: Arc<dyn Clock>,
    sleeper: Arc<dyn Sleeper>,
    random: Arc<dyn RandomSource>,
}

impl fmt::Debug for Retrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retrier")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Default for Retrier {
    fn default() -> Self {
        Retrier::new(RetryPolicy::default())
    }
}

impl Retrier {
    /// A retrier for `policy` with the real clock, tokio's sleep and `rand`'s generator.
    pub fn new(policy: RetryPolicy) -> Self {
        Retrier {
            policy,
            clock: Arc::new(SystemClock),
            sleeper: Arc::new(TokioSleeper),
            random: Arc::new(DefaultRandom),
        }
    }

    /// Replaces the clock that measures elapsed time against the policy's budget.
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Replaces the sleeper that waits between attempts.
    #[must_use]
    pub fn with_sleeper(mut self, sleeper: impl Sleeper + 'static) -> Self {
        self.sleeper = Arc::new(sleeper);
        self
    }

    /// Replaces the random source of the backoff jitter.
    #[must_use]
    pub fn with_random(mut self, random: impl RandomSource + 'static) -> Self {
        self.random = Arc::new(random);
        self
    }

    /// Replaces the policy, keeping the clock, sleeper and random source.
    #[must_use]
    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The policy this retrier follows.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Calls `op` until it succeeds or the policy stops, following the [rules](Self#rules).
    ///
    /// `op` builds and sends the request afresh each time (re-reading the current token),
    /// given which [`Attempt`] this is.
    ///
    /// # Errors
    ///
    /// The last error `op` returned, after
    /// [`record_attempts`](RetryClassify::record_attempts) was called on it.
    pub async fn run<T, E, F, Fut>(&self, idempotency: Idempotency, mut op: F) -> Result<T, E>
    where
        F: FnMut(Attempt) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: RetryClassify,
    {
        let started = self.clock.now();
        let mut attempt = Attempt {
            number: 1,
            auth_replay: false,
        };
        loop {
            let span = tracing::info_span!(
                "attempt",
                attempt = attempt.number,
                auth_replay = attempt.auth_replay,
                "error.type" = tracing::field::Empty,
            );
            let outcome = {
                let call = span.in_scope(|| op(attempt));
                call.instrument(span.clone()).await
            };
            let mut error = match outcome {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            let kind = error.kind();
            span.record("error.type", kind.as_str());

            if kind == ErrorKind::AuthExpired
                && !attempt.auth_replay
                && may_replay(&error, idempotency)
            {
                tracing::debug!(
                    attempt = attempt.number,
                    "access token expired; replaying once with a fresh token"
                );
                attempt.auth_replay = true;
                continue;
            }

            let elapsed = self.clock.now().saturating_duration_since(started);
            let failure = FailedAttempt::of(&error, attempt.number, elapsed, idempotency);
            match self.policy.decide(&failure, self.random.as_ref()) {
                RetryDecision::RetryAfter(delay) => {
                    tracing::debug!(
                        attempt = attempt.number,
                        error.kind = kind.as_str(),
                        delay_ms = duration_ms(delay),
                        server_retry_after_ms = failure.retry_after.map(duration_ms),
                        "retrying"
                    );
                    self.sleeper.sleep(delay).await;
                    attempt = Attempt {
                        number: attempt.number.saturating_add(1),
                        auth_replay: false,
                    };
                }
                RetryDecision::Stop(reason) => {
                    log_give_up(attempt, kind, reason);
                    error.record_attempts(attempt.number, reason);
                    return Err(error);
                }
            }
        }
    }
}

/// A token-refresh replay resends the request, so it too must be safe to resend.
fn may_replay<E: RetryClassify>(error: &E, idempotency: Idempotency) -> bool {
    idempotency == Idempotency::Idempotent || error.delivery() == Delivery::NotSent
}

fn log_give_up(attempt: Attempt, kind: ErrorKind, reason: StopReason) {
    // A first-try 404 or validation error is the caller's business, not a retry failure:
    // keep it out of warn-level logs.
    let routine = attempt.is_first() && matches!(reason, StopReason::NotRetryable { .. });
    if routine {
        tracing::debug!(
            attempts = attempt.number,
            error.kind = kind.as_str(),
            reason = reason.as_str(),
            "request failed; not retryable"
        );
    } else {
        tracing::warn!(
            attempts = attempt.number,
            error.kind = kind.as_str(),
            reason = reason.as_str(),
            "request failed; giving up: {reason}"
        );
    }
}

fn duration_ms(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
