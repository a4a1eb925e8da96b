//! The answer of the retry policy: wait and retry, or stop and why.

use std::fmt;
use std::time::Duration;

use super::ErrorKind;

/// What [`RetryPolicy::decide`](super::RetryPolicy::decide) tells the send loop to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Sleep this long, then try again.
    RetryAfter(Duration),
    /// Do not try again; give the caller the last error.
    Stop(StopReason),
}

/// Why the retry policy gave up. Passed to
/// [`RetryClassify::record_attempts`](super::RetryClassify::record_attempts) and logged.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The error is of a kind that trying again cannot fix (or a second `AuthExpired` in a
    /// row, after the token was already refreshed once).
    NotRetryable {
        /// The error's kind.
        kind: ErrorKind,
    },
    /// A non-idempotent request may have reached the server; resending could repeat its
    /// effect (charge a card twice). The caller must reconcile before deciding.
    OutcomeUnknown,
    /// `max_attempts` tries were made.
    AttemptsExhausted {
        /// Attempts made, counting the first try.
        attempts: u32,
    },
    /// Waiting for the next try would go past the policy's overall time budget.
    BudgetExhausted {
        /// Time spent so far, from the first try.
        elapsed: Duration,
    },
    /// The server asked us to wait longer than the policy is willing to sleep. A scheduler
    /// should reschedule the work after `retry_after`.
    RetryAfterTooLong {
        /// The wait the server asked for.
        retry_after: Duration,
    },
}

impl StopReason {
    /// A short `snake_case` label, safe to log and to use as a metrics label.
    pub const fn as_str(self) -> &'static str {
        match self {
            StopReason::NotRetryable { .. } => "not_retryable",
            StopReason::OutcomeUnknown => "outcome_unknown",
            StopReason::AttemptsExhausted { .. } => "attempts_exhausted",
            StopReason::BudgetExhausted { .. } => "budget_exhausted",
            StopReason::RetryAfterTooLong { .. } => "retry_after_too_long",
        }
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::NotRetryable { kind } => write!(f, "{kind} errors are not retried"),
            StopReason::OutcomeUnknown => {
                f.write_str("a non-idempotent request may have reached the server; not resent")
            }
            StopReason::AttemptsExhausted { attempts } => {
                write!(f, "gave up after {attempts} attempts")
            }
            StopReason::BudgetExhausted { elapsed } => {
                write!(f, "retry time budget exhausted after {elapsed:?}")
            }
            StopReason::RetryAfterTooLong { retry_after } => {
                write!(
                    f,
                    "server asked to retry after {retry_after:?}, beyond the cap"
                )
            }
        }
    }
}
