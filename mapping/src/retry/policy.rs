//! [`RetryPolicy`]: the pure, synchronous decision whether and when to retry.

use std::time::Duration;

use super::{
    Delivery, ErrorKind, Idempotency, RandomSource, RetryClassify, RetryDecision, StopReason,
};

#[cfg(test)]
mod tests;

/// Everything the policy weighs about one failed attempt.
///
/// The [`Retrier`](super::Retrier) builds this for you; build it yourself when a scheduler
/// or a flow wants to ask the policy directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailedAttempt {
    /// Which attempt failed, 1-based: the first try is attempt 1.
    pub attempt: u32,
    /// Time since the first try started.
    pub elapsed: Duration,
    /// Whether the request may be sent twice.
    pub idempotency: Idempotency,
    /// The error's kind.
    pub kind: ErrorKind,
    /// The server's `Retry-After`, if it gave one.
    pub retry_after: Option<Duration>,
    /// Whether the request may have reached the server.
    pub delivery: Delivery,
}

impl FailedAttempt {
    /// Describes attempt `attempt` (1-based) of a call, `elapsed` after its first try, that
    /// failed with `error`.
    pub fn of<E: RetryClassify + ?Sized>(
        error: &E,
        attempt: u32,
        elapsed: Duration,
        idempotency: Idempotency,
    ) -> Self {
        FailedAttempt {
            attempt,
            elapsed,
            idempotency,
            kind: error.kind(),
            retry_after: error.retry_after(),
            delivery: error.delivery(),
        }
    }
}

/// How often and how long to retry: capped exponential backoff with full jitter, an
/// attempt limit, an overall time budget, and a limit on how long a server's `Retry-After`
/// may hold us.
///
/// Cheap to clone; the defaults suit an interactive API call:
///
/// | setting | default | method |
/// |---|---|---|
/// | attempts, counting the first try | 4 | [`with_max_attempts`](Self::with_max_attempts) |
/// | base delay | 200 ms | [`with_base_delay`](Self::with_base_delay) |
/// | backoff cap | 10 s | [`with_max_delay`](Self::with_max_delay) |
/// | overall budget | 60 s | [`with_budget`](Self::with_budget) |
/// | longest `Retry-After` we sleep through | 30 s | [`with_max_retry_after`](Self::with_max_retry_after) |
///
/// ```
/// use std::time::Duration;
/// use mapping::retry::RetryPolicy;
///
/// let bulk = RetryPolicy::default()
///     .with_max_attempts(6)
///     .with_max_delay(Duration::from_secs(30))
///     .with_budget(Duration::from_secs(300));
/// assert_eq!(bulk.max_attempts(), 6);
/// assert_eq!(bulk.backoff_ceiling(1), Duration::from_millis(200));
/// assert_eq!(bulk.backoff_ceiling(3), Duration::from_millis(800));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    budget: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            budget: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries (one attempt). A token-refresh replay still happens in
    /// the [`Retrier`](super::Retrier), since it does not count as an attempt.
    pub fn no_retry() -> Self {
        RetryPolicy::default().with_max_attempts(1)
    }

    /// Sets how many attempts a call gets, counting the first try. `0` is taken as `1`.
    #[must_use]
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// Sets the backoff ceiling of the first retry; each later retry doubles it.
    #[must_use]
    pub fn with_base_delay(mut self, base_delay: Duration) -> Self {
        self.base_delay = base_delay;
        self
    }

    /// Sets the cap on the backoff ceiling, however many attempts were made.
    #[must_use]
    pub fn with_max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// Sets the overall time budget: no retry is started whose wait would end more than
    /// `budget` after the first try began. `Duration::MAX` means no budget.
    #[must_use]
    pub fn with_budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// Sets the longest `Retry-After` we are willing to sleep through. A longer one stops
    /// with [`StopReason::RetryAfterTooLong`] so the caller can reschedule instead.
    #[must_use]
    pub fn with_max_retry_after(mut self, max_retry_after: Duration) -> Self {
        self.max_retry_after = max_retry_after;
        self
    }

    /// Attempts a call gets, counting the first try (at least 1).
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The backoff ceiling of the first retry.
    pub fn base_delay(&self) -> Duration {
        self.base_delay
    }

    /// The cap on the backoff ceiling.
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The overall time budget.
    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// The longest `Retry-After` we sleep through.
    pub fn max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// The upper bound of the backoff after attempt `attempt` (1-based) failed:
    /// `min(max_delay, base_delay · 2^(attempt-1))`, saturating instead of overflowing.
    pub fn backoff_ceiling(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1);
        // 2^doublings overflows u32 from 32 on, and base·2^n may overflow Duration before
        // that; either way the ceiling is the cap.
        2u32.checked_pow(doublings)
            .and_then(|factor| self.base_delay.checked_mul(factor))
            .map_or(self.max_delay, |delay| delay.min(self.max_delay))
    }

    /// A full-jitter backoff after attempt `attempt` failed: uniform in
    /// `[0, backoff_ceiling(attempt))`.
    pub fn backoff(&self, attempt: u32, random: &dyn RandomSource) -> Duration {
        let ceiling = self.backoff_ceiling(attempt);
        let fraction = random.next_f64();
        // Guard against a misbehaving source: NaN or out-of-range values must not panic or
        // exceed the ceiling.
        let fraction = if fraction.is_finite() {
            fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        // `as` from f64 saturates, so this cannot panic; the `min` absorbs rounding.
        let nanos = (ceiling.as_nanos() as f64 * fraction) as u64;
        Duration::from_nanos(nanos).min(ceiling)
    }

    /// Decides whether to retry after `failure`, and how long to wait first.
    ///
    /// The checks, in order:
    ///
    /// 1. the kind cannot be fixed by waiting ([`ErrorKind::is_retryable`] is false, or it is
    ///    `AuthExpired`, whose one replay the [`Retrier`](super::Retrier) already made):
    ///    [`StopReason::NotRetryable`];
    /// 2. a [`NonIdempotent`](Idempotency::NonIdempotent) call that
    ///    [`MaybeSent`](Delivery::MaybeSent): [`StopReason::OutcomeUnknown`];
    /// 3. `attempt >= max_attempts`: [`StopReason::AttemptsExhausted`];
    /// 4. the server's `Retry-After` is longer than `max_retry_after`:
    ///    [`StopReason::RetryAfterTooLong`];
    /// 5. otherwise the wait is the full-jitter [`backoff`](Self::backoff), or
    ///    `max(retry_after, backoff)` when the server gave a `Retry-After`; if `elapsed` plus
    ///    the wait exceeds the budget: [`StopReason::BudgetExhausted`];
    /// 6. else [`RetryDecision::RetryAfter`] the wait.
    pub fn decide(&self, failure: &FailedAttempt, random: &dyn RandomSource) -> RetryDecision {
        if !failure.kind.backs_off() {
            return RetryDecision::Stop(StopReason::NotRetryable { kind: failure.kind });
        }
        if failure.idempotency == Idempotency::NonIdempotent
            && failure.delivery == Delivery::MaybeSent
        {
            return RetryDecision::Stop(StopReason::OutcomeUnknown);
        }
        if failure.attempt >= self.max_attempts {
            return RetryDecision::Stop(StopReason::AttemptsExhausted {
                attempts: failure.attempt,
            });
        }
        if let Some(retry_after) = failure.retry_after
            && retry_after > self.max_retry_after
        {
            return RetryDecision::Stop(StopReason::RetryAfterTooLong { retry_after });
        }
        let backoff = self.backoff(failure.attempt, random);
        let wait = failure
            .retry_after
            .map_or(backoff, |retry_after| retry_after.max(backoff));
        let within_budget = failure
            .elapsed
            .checked_add(wait)
            .is_some_and(|resume_at| resume_at <= self.budget);
        if !within_budget {
            return RetryDecision::Stop(StopReason::BudgetExhausted {
                elapsed: failure.elapsed,
            });
        }
        RetryDecision::RetryAfter(wait)
    }
}
