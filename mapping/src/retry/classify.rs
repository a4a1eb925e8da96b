//! What the retry machinery needs to know about a call and its error.

use std::time::Duration;

use super::{ErrorKind, StopReason};

/// Whether resending a request can repeat its effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Idempotency {
    /// Sending the request twice has the same effect as sending it once: GET, PUT, DELETE,
    /// PATCH with `If-Match`, an upsert by external id, a POST carrying an idempotency key
    /// the server honours. Safe to retry even after it may have reached the server.
    Idempotent,
    /// Sending it twice may do it twice: a money-moving POST (PayTrace sale, authorization,
    /// refund), a plain create. Retried only when it certainly was not sent.
    NonIdempotent,
}

/// Whether a failed request may have reached the server and been acted on.
///
/// This is what makes retrying a non-idempotent call safe or not, whatever the error kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Delivery {
    /// The server certainly did not act on the request: the connection was never
    /// established (DNS, connect refused, connect timeout, TLS handshake), nothing was
    /// written, or the server refused the request before processing it and documents so
    /// (a 401 for an expired token, a 429).
    ///
    /// Safe to retry for any call.
    NotSent,
    /// The request may have been acted on: it was written and the answer was lost (read
    /// timeout, connection reset), or the server answered with an error that does not prove
    /// the opposite (a 5xx). The conservative default.
    MaybeSent,
}

/// Implemented by each client's error type so the [`Retrier`](super::Retrier) and
/// [`RetryPolicy`](super::RetryPolicy) can decide what to do with it.
///
/// Only [`kind`](Self::kind) and [`record_attempts`](Self::record_attempts) are required;
/// the others default to the cautious answer (no `Retry-After`, maybe sent).
///
/// ```
/// use std::time::Duration;
/// use mapping::retry::{Delivery, ErrorKind, RetryClassify, StopReason};
///
/// #[derive(Debug)]
/// enum MyError {
///     Connect,
///     Api { status: u16, retry_after: Option<Duration>, attempts: u32 },
/// }
///
/// impl RetryClassify for MyError {
///     fn kind(&self) -> ErrorKind {
///         match self {
///             MyError::Connect => ErrorKind::Transient,
///             MyError::Api { status: 429, .. } => ErrorKind::Throttled,
///             MyError::Api { status: 401, .. } => ErrorKind::AuthExpired,
///             MyError::Api { status: 500..=599, .. } => ErrorKind::Transient,
///             MyError::Api { .. } => ErrorKind::Other,
///         }
///     }
///     fn retry_after(&self) -> Option<Duration> {
///         match self {
///             MyError::Api { retry_after, .. } => *retry_after,
///             MyError::Connect => None,
///         }
///     }
///     fn delivery(&self) -> Delivery {
///         match self {
///             MyError::Connect | MyError::Api { status: 401 | 429, .. } => Delivery::NotSent,
///             MyError::Api { .. } => Delivery::MaybeSent,
///         }
///     }
///     fn record_attempts(&mut self, attempts: u32, _stop: StopReason) {
///         if let MyError::Api { attempts: a, .. } = self {
///             *a = attempts;
///         }
///     }
/// }
/// # let mut e = MyError::Api { status: 503, retry_after: None, attempts: 0 };
/// # e.record_attempts(3, StopReason::AttemptsExhausted { attempts: 3 });
/// # assert!(matches!(e, MyError::Api { attempts: 3, .. }));
/// ```
pub trait RetryClassify {
    /// The kind of failure, which decides whether trying again can help.
    fn kind(&self) -> ErrorKind;

    /// How long the server asked us to wait (its `Retry-After` header, already parsed with
    /// [`parse_retry_after`](super::parse_retry_after)), if it said.
    fn retry_after(&self) -> Option<Duration> {
        None
    }

    /// Whether the failed request may have reached the server. Defaults to
    /// [`Delivery::MaybeSent`], which never makes a non-idempotent call unsafe.
    fn delivery(&self) -> Delivery {
        Delivery::MaybeSent
    }

    /// Called once on the error the [`Retrier`](super::Retrier) gives back, with the number
    /// of attempts made (the first try counts; a token-refresh replay does not) and why it
    /// stopped.
    ///
    /// Store `attempts` for the error's `attempts()` accessor. When `stop` is
    /// [`StopReason::OutcomeUnknown`], the request may have taken effect: from now on
    /// `kind()` should report [`ErrorKind::OutcomeUnknown`], so a flow reconciles instead of
    /// resending.
    fn record_attempts(&mut self, attempts: u32, stop: StopReason);
}
