//! [`ErrorKind`]: the failure vocabulary shared by every Tributary client.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What kind of failure an API call ended in, independent of which API failed.
///
/// Every client's `Error::kind()` returns one of these, so a flow can decide what to do
/// (retry, refresh, reschedule, reconcile, report) without knowing whether PayTrace,
/// Salesforce or Dynamics 365 answered. The retry machinery in this module decides on the
/// kind alone; the client decides which kind an HTTP status or API error code maps to.
///
/// Serialises as its `snake_case` name (`"auth_expired"`), the same string
/// [`as_str`](Self::as_str) and [`Display`](fmt::Display) give.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// A passing failure on the server or the network: a 5xx, a dropped connection,
    /// Salesforce `UNABLE_TO_LOCK_ROW`.
    ///
    /// Retry with backoff (the [`Retrier`](super::Retrier) does this for idempotent calls).
    Transient,
    /// The server asked us to slow down: HTTP 429, Salesforce `403 REQUEST_LIMIT_EXCEEDED`
    /// for *concurrent* requests.
    ///
    /// Retry after the server's `Retry-After` (or backoff when it gives none). When the wait
    /// is longer than the policy accepts, the error comes back to the caller carrying the
    /// `Retry-After`, so a scheduler can reschedule the work instead of holding a worker.
    Throttled,
    /// The access token expired or was revoked: HTTP 401, `INVALID_SESSION_ID`,
    /// `invalid_token`.
    ///
    /// Invalidate the token, fetch a new one and replay once. The [`Retrier`](super::Retrier)
    /// replays without using up an attempt; a second `AuthExpired` in a row is final and
    /// means the credentials themselves no longer work.
    AuthExpired,
    /// The credentials are wrong or lack a permission: a failed token request, HTTP 403 for
    /// a missing permission.
    ///
    /// Never retried. Fix the configuration or the integration user's permissions.
    Unauthorized,
    /// A daily or monthly quota is spent (Salesforce daily API request limit).
    ///
    /// Not retryable now; schedule the work after the quota resets.
    QuotaExceeded,
    /// The request conflicts with the record's current state: HTTP 409, 412 (an `If-Match`
    /// ETag no longer matches), a duplicate.
    ///
    /// Not retried blindly: re-read the record and decide again.
    Conflict,
    /// The record or endpoint does not exist (HTTP 404).
    ///
    /// Not retried. Often expected (an existence check before a create).
    NotFound,
    /// The server rejected the request as invalid: HTTP 400/422, a PayTrace
    /// `response_code: 1` with field errors.
    ///
    /// Not retried: resending the same request gives the same answer. Fix the data.
    Validation,
    /// A payment was declined by the issuer or the gateway's rules.
    ///
    /// Not retried automatically. A deliberate new attempt (dunning) uses a new
    /// [`IdempotencyKey`](crate::idempotency::IdempotencyKey) from
    /// [`derive_attempt`](crate::idempotency::IdempotencyKey::derive_attempt).
    Declined,
    /// A non-idempotent request (a money-moving POST) may have reached the server and the
    /// answer was lost, so nobody knows whether it took effect.
    ///
    /// Never resend. Reconcile first (for PayTrace: export transactions by invoice id), then
    /// decide.
    OutcomeUnknown,
    /// The call took longer than its timeout.
    ///
    /// Retried for idempotent calls, and for any call that certainly was not sent (a
    /// connect timeout). A non-idempotent call that may have been sent becomes
    /// [`OutcomeUnknown`](Self::OutcomeUnknown) in effect: see
    /// [`StopReason::OutcomeUnknown`](super::StopReason::OutcomeUnknown).
    Timeout,
    /// The response could not be decoded into the expected type.
    ///
    /// Not retried: the same response would fail the same way. Usually a client bug or an
    /// API change; report it with the failing JSON path.
    Decode,
    /// The client is misconfigured (bad base URL, missing credentials, invalid header) and
    /// nothing was sent.
    ///
    /// Not retried. Fix the configuration.
    Configuration,
    /// Anything else. Not retried.
    Other,
}

impl ErrorKind {
    /// Every kind, in declaration order. Handy for table tests and metrics labels.
    ///
    /// A slice rather than an array, so adding a kind later is not a breaking change.
    pub const ALL: &'static [ErrorKind] = &[
        ErrorKind::Transient,
        ErrorKind::Throttled,
        ErrorKind::AuthExpired,
        ErrorKind::Unauthorized,
        ErrorKind::QuotaExceeded,
        ErrorKind::Conflict,
        ErrorKind::NotFound,
        ErrorKind::Validation,
        ErrorKind::Declined,
        ErrorKind::OutcomeUnknown,
        ErrorKind::Timeout,
        ErrorKind::Decode,
        ErrorKind::Configuration,
        ErrorKind::Other,
    ];

    /// Whether trying again can succeed: `Transient`, `Throttled`, `Timeout`, and
    /// `AuthExpired` (by refreshing the token and replaying).
    ///
    /// This says nothing about *whether it is safe* to try again: a non-idempotent call
    /// that may have been sent must not be resent whatever its kind. The
    /// [`RetryPolicy`](super::RetryPolicy) weighs both.
    pub const fn is_retryable(self) -> bool {
        self.backs_off() || matches!(self, ErrorKind::AuthExpired)
    }

    /// Whether waiting (backoff or `Retry-After`) and trying again can help. `AuthExpired`
    /// is excluded: it is retried at once, through the token refresh, not by waiting.
    pub(crate) const fn backs_off(self) -> bool {
        matches!(
            self,
            ErrorKind::Transient | ErrorKind::Throttled | ErrorKind::Timeout
        )
    }

    /// The `snake_case` name, as serialised: `"transient"`, `"auth_expired"`, …
    ///
    /// Safe to log and to use as a metrics label (it never carries request data).
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Transient => "transient",
            ErrorKind::Throttled => "throttled",
            ErrorKind::AuthExpired => "auth_expired",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::QuotaExceeded => "quota_exceeded",
            ErrorKind::Conflict => "conflict",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Validation => "validation",
            ErrorKind::Declined => "declined",
            ErrorKind::OutcomeUnknown => "outcome_unknown",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Decode => "decode",
            ErrorKind::Configuration => "configuration",
            ErrorKind::Other => "other",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorKind;

    #[test]
    fn retryable_kinds_are_exactly_the_documented_ones() {
        let retryable: Vec<ErrorKind> = ErrorKind::ALL
            .iter()
            .copied()
            .filter(|k| k.is_retryable())
            .collect();
        assert_eq!(
            retryable,
            [
                ErrorKind::Transient,
                ErrorKind::Throttled,
                ErrorKind::AuthExpired,
                ErrorKind::Timeout
            ]
        );
    }

    #[test]
    fn auth_expired_is_retryable_but_does_not_back_off() {
        assert!(ErrorKind::AuthExpired.is_retryable());
        assert!(!ErrorKind::AuthExpired.backs_off());
    }

    #[test]
    fn serde_display_and_as_str_agree_on_snake_case() {
        for &kind in ErrorKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(kind.to_string(), kind.as_str());
            let back: ErrorKind = serde_json::from_str(&json).unwrap();
            assert_eq!(back, kind);
        }
        assert_eq!(
            serde_json::to_string(&ErrorKind::QuotaExceeded).unwrap(),
            "\"quota_exceeded\""
        );
    }
}
