//! The crate's one error type, classified with [`mapping::retry::ErrorKind`].
//!
//! Every variant says where the call failed: before anything was sent
//! ([`InvalidRequest`](Error::InvalidRequest), [`Config`](Error::Config)), on the wire
//! ([`Transport`](Error::Transport), [`Timeout`](Error::Timeout)), or in PayTrace's answer
//! ([`Api`](Error::Api), [`OAuth`](Error::OAuth), [`UnexpectedResponse`](Error::UnexpectedResponse),
//! [`Decode`](Error::Decode)). A money-moving call whose answer was lost becomes
//! [`OutcomeUnknown`](Error::OutcomeUnknown), which must be reconciled, never resent.
//!
//! A declined card is **not** an error: it is a normal response whose status says declined.
//!
//! No variant holds a card number, a CSC, an account number, a password or a token, so
//! `Display` and `Debug` are safe to log.

use std::time::Duration;

use mapping::retry::{Delivery, ErrorKind, RetryClassify, StopReason};

use crate::response::ResponseCode;

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What the HTTP layer said about a response, apart from its body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseMeta {
    /// The HTTP status code.
    pub status: u16,
    /// The `X-Request-Id` header, to quote to PayTrace support.
    pub request_id: Option<String>,
    /// The `Retry-After` header, parsed.
    pub retry_after: Option<Duration>,
}

/// One entry of PayTrace's `errors` object: a numeric code (sent as a string key) and its
/// messages.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiErrorDetail {
    /// The error code as PayTrace sends it, e.g. `"35"` (invalid card number).
    pub code: String,
    /// The messages PayTrace gave for this code.
    pub messages: Vec<String>,
}

impl ApiErrorDetail {
    /// The code as a number, when it is one.
    pub fn code_number(&self) -> Option<u32> {
        self.code.trim().parse().ok()
    }
}

/// Everything that can go wrong calling PayTrace.
///
/// Classify with [`kind`](Self::kind) (the workspace-wide [`ErrorKind`]); the accessors
/// ([`status`](Self::status), [`code`](Self::code), [`message`](Self::message), …) see through
/// [`Token`](Self::Token) and [`OutcomeUnknown`](Self::OutcomeUnknown) to the failure inside.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request was refused before anything was sent: an invalid card number, expiry, CSC
    /// or account number, an amount PayTrace cannot take, a body that does not serialise.
    /// The reason never repeats card data.
    #[error("invalid {what}: {reason} (nothing was sent)")]
    InvalidRequest {
        /// What was refused (`"card number"`, `"amount"`).
        what: &'static str,
        /// Why.
        reason: String,
        /// The transform that refused the value, when one did.
        #[source]
        source: Option<mapping::transform::TransformError>,
    },

    /// The client is misconfigured (base URL, credentials, integrator id, timeouts, a missing
    /// environment variable); nothing was sent.
    #[error("PayTrace client configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
        /// The underlying error, if any.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// No access token could be had from `/oauth/token`; the request itself was not sent,
    /// so it is safe to try again whatever it was.
    #[error("could not get a PayTrace access token")]
    Token {
        /// Why the token request failed.
        #[source]
        source: Box<Error>,
    },

    /// The connection failed. `delivery` says whether the request may have reached PayTrace.
    #[error("{}", transport_text(*delivery))]
    Transport {
        /// Whether the request may have been sent.
        delivery: Delivery,
        /// Attempts made.
        attempts: u32,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },

    /// No answer within the timeout. `delivery` says whether the request may have reached
    /// PayTrace (a connect timeout did not).
    #[error("PayTrace did not answer in time ({})", delivery_text(*delivery))]
    Timeout {
        /// Whether the request may have been sent.
        delivery: Delivery,
        /// Attempts made.
        attempts: u32,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },

    /// PayTrace refused the request: `response_code: 1` with an `errors` object. Every code
    /// and message is kept.
    #[error("PayTrace refused the request: {}", summarize(errors, status_message.as_deref()))]
    Api {
        /// The response code (1).
        response_code: ResponseCode,
        /// PayTrace's `status_message` ("One or more errors has occurred.").
        status_message: Option<String>,
        /// Every code with its messages, in PayTrace's order.
        errors: Vec<ApiErrorDetail>,
        /// Status and headers.
        response: ResponseMeta,
        /// Attempts made.
        attempts: u32,
    },

    /// An OAuth error body (`{"error": "invalid_grant", "error_description": …}`): bad
    /// credentials from `/oauth/token`, or `invalid_token` on an API call.
    #[error("PayTrace OAuth error `{error}`{}", error_description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    OAuth {
        /// The OAuth error code (`invalid_grant`, `invalid_token`).
        error: String,
        /// Its description.
        error_description: Option<String>,
        /// Status and headers.
        response: ResponseMeta,
        /// Attempts made.
        attempts: u32,
    },

    /// A response that is not a PayTrace answer: a non-JSON body (an HTML error page from a
    /// gateway), or an error status without PayTrace's fields.
    #[error("unexpected HTTP {} response from PayTrace{}: {excerpt:?}", response.status, content_type.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    UnexpectedResponse {
        /// Status and headers.
        response: ResponseMeta,
        /// The `Content-Type` header.
        content_type: Option<String>,
        /// The start of the body, whitespace collapsed and long digit runs masked.
        excerpt: String,
        /// Attempts made.
        attempts: u32,
    },

    /// A PayTrace answer that does not have the expected shape.
    #[error("could not decode PayTrace's response at `{path}`")]
    Decode {
        /// The JSON path that failed (`transactions[3].amount`).
        path: String,
        /// Status and headers.
        response: ResponseMeta,
        /// Attempts made.
        attempts: u32,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },

    /// A money-moving call (sale, authorization, capture, refund, void, ACH) may have reached
    /// PayTrace, and its answer was lost (a timeout, a dropped connection, a 5xx, an unreadable
    /// body). It was **not** resent. Find out whether it took effect before trying again, e.g.
    /// with [`Exports::find_by_invoice`](crate::exports::Exports::find_by_invoice).
    #[error(
        "outcome of `{operation}` unknown: it may have reached PayTrace and was not resent; reconcile (e.g. find the transaction by invoice id) before trying again"
    )]
    OutcomeUnknown {
        /// The operation (`paytrace.sale_keyed`).
        operation: &'static str,
        /// The failure that left the outcome unknown.
        #[source]
        source: Box<Error>,
    },
}

fn delivery_text(delivery: Delivery) -> &'static str {
    match delivery {
        Delivery::NotSent => "the request was not sent",
        Delivery::MaybeSent => "the request may have been sent",
    }
}

fn transport_text(delivery: Delivery) -> &'static str {
    match delivery {
        Delivery::NotSent => "could not connect to PayTrace; the request was not sent",
        Delivery::MaybeSent => "connection to PayTrace failed; the request may have been sent",
    }
}

fn summarize(errors: &[ApiErrorDetail], status_message: Option<&str>) -> String {
    if errors.is_empty() {
        return status_message.unwrap_or("no details given").to_owned();
    }
    errors
        .iter()
        .map(|e| format!("[{}] {}", e.code, e.messages.join(" ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The kind of PayTrace `errors` codes, most telling first: login and permission failures,
/// integrator id problems, unknown ids, state conflicts, then plain validation.
fn api_kind(errors: &[ApiErrorDetail]) -> ErrorKind {
    let codes: Vec<u32> = errors
        .iter()
        .filter_map(ApiErrorDetail::code_number)
        .collect();
    let any = |set: &[u32]| codes.iter().any(|c| set.contains(c));
    if any(&[981, 998, 999]) {
        ErrorKind::Unauthorized
    } else if errors.iter().any(|e| {
        // 970 is "a required parameter is missing": configuration only when the parameter
        // is our integrator id.
        e.code == "971"
            || (e.code == "970" && e.messages.iter().any(|m| m.contains("integrator_id")))
    }) {
        ErrorKind::Configuration
    } else if any(&[30, 80, 811]) {
        ErrorKind::NotFound
    } else if any(&[171, 816, 817, 818]) {
        ErrorKind::Conflict
    } else {
        ErrorKind::Validation
    }
}

fn status_kind(status: u16) -> ErrorKind {
    match status {
        200..=299 => ErrorKind::Decode,
        400 | 422 => ErrorKind::Validation,
        401 => ErrorKind::AuthExpired,
        403 => ErrorKind::Unauthorized,
        404 => ErrorKind::NotFound,
        408 => ErrorKind::Timeout,
        409 => ErrorKind::Conflict,
        429 => ErrorKind::Throttled,
        500..=599 => ErrorKind::Transient,
        _ => ErrorKind::Other,
    }
}

/// A 4xx means the server refused the request before acting on it; anything else (2xx with
/// an unreadable body, 5xx) may have been acted on.
fn status_delivery(status: u16) -> Delivery {
    if (400..500).contains(&status) {
        Delivery::NotSent
    } else {
        Delivery::MaybeSent
    }
}

impl Error {
    pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidRequest {
            what,
            reason: reason.into(),
            source: None,
        }
    }

    pub(crate) fn refused(
        what: &'static str,
        reason: impl Into<String>,
        source: mapping::transform::TransformError,
    ) -> Self {
        Error::InvalidRequest {
            what,
            reason: reason.into(),
            source: Some(source),
        }
    }

    pub(crate) fn config(reason: impl Into<String>) -> Self {
        Error::Config {
            reason: reason.into(),
            source: None,
        }
    }

    /// Classifies a reqwest error: only a connect failure proves nothing was sent.
    pub(crate) fn transport(source: reqwest::Error) -> Self {
        let delivery = if source.is_connect() {
            Delivery::NotSent
        } else {
            Delivery::MaybeSent
        };
        if source.is_timeout() {
            Error::Timeout {
                delivery,
                attempts: 1,
                source,
            }
        } else {
            Error::Transport {
                delivery,
                attempts: 1,
                source,
            }
        }
    }

    /// The failure inside [`Token`](Self::Token) and [`OutcomeUnknown`](Self::OutcomeUnknown),
    /// or `self`.
    fn innermost(&self) -> &Error {
        match self {
            Error::Token { source } | Error::OutcomeUnknown { source, .. } => source.innermost(),
            other => other,
        }
    }

    fn response(&self) -> Option<&ResponseMeta> {
        match self.innermost() {
            Error::Api { response, .. }
            | Error::OAuth { response, .. }
            | Error::UnexpectedResponse { response, .. }
            | Error::Decode { response, .. } => Some(response),
            _ => None,
        }
    }

    /// The kind of failure, in the vocabulary every Tributary client shares.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidRequest { .. } => ErrorKind::Validation,
            Error::Config { .. } => ErrorKind::Configuration,
            // A refused token request cannot be fixed by fetching another token.
            Error::Token { source } => match source.kind() {
                ErrorKind::AuthExpired => ErrorKind::Unauthorized,
                kind => kind,
            },
            Error::Transport { .. } => ErrorKind::Transient,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Api { errors, .. } => api_kind(errors),
            Error::OAuth {
                error, response, ..
            } => match error.as_str() {
                "invalid_token" => ErrorKind::AuthExpired,
                "temporarily_unavailable" | "server_error" => ErrorKind::Transient,
                _ if response.status == 429 => ErrorKind::Throttled,
                _ => ErrorKind::Unauthorized,
            },
            Error::UnexpectedResponse { response, .. } => status_kind(response.status),
            Error::Decode { .. } => ErrorKind::Decode,
            Error::OutcomeUnknown { .. } => ErrorKind::OutcomeUnknown,
        }
    }

    /// Whether the request may have reached PayTrace and been acted on.
    pub(crate) fn delivery(&self) -> Delivery {
        match self {
            Error::InvalidRequest { .. }
            | Error::Config { .. }
            | Error::Token { .. }
            // PayTrace refused it: nothing was done.
            | Error::Api { .. }
            | Error::OAuth { .. } => Delivery::NotSent,
            Error::Transport { delivery, .. } | Error::Timeout { delivery, .. } => *delivery,
            Error::UnexpectedResponse { response, .. } | Error::Decode { response, .. } => {
                status_delivery(response.status)
            }
            Error::OutcomeUnknown { .. } => Delivery::MaybeSent,
        }
    }

    /// Whether trying again can succeed (a transient failure, throttling, a timeout, an
    /// expired token). Always `false` for [`OutcomeUnknown`](Self::OutcomeUnknown): reconcile
    /// first.
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }

    /// Whether PayTrace asked us to slow down (HTTP 429).
    pub fn is_throttled(&self) -> bool {
        self.kind() == ErrorKind::Throttled
    }

    /// Whether the transaction, check or customer does not exist (codes 30, 80, 811; HTTP 404).
    pub fn is_not_found(&self) -> bool {
        self.kind() == ErrorKind::NotFound
    }

    /// The HTTP status of PayTrace's answer, if there was one.
    pub fn status(&self) -> Option<u16> {
        self.response().map(|r| r.status)
    }

    /// PayTrace's code: the first key of the `errors` object (`"35"`), or the OAuth `error`
    /// (`"invalid_grant"`). All codes are in [`api_errors`](Self::api_errors).
    pub fn code(&self) -> Option<&str> {
        match self.innermost() {
            Error::Api { errors, .. } => errors.first().map(|e| e.code.as_str()),
            Error::OAuth { error, .. } => Some(error),
            _ => None,
        }
    }

    /// PayTrace's message: the first error message, the OAuth description, or the start of an
    /// unexpected body.
    pub fn message(&self) -> Option<&str> {
        match self.innermost() {
            Error::Api {
                errors,
                status_message,
                ..
            } => errors
                .iter()
                .flat_map(|e| e.messages.first())
                .next()
                .or(status_message.as_ref())
                .map(String::as_str),
            Error::OAuth {
                error,
                error_description,
                ..
            } => Some(error_description.as_deref().unwrap_or(error)),
            Error::UnexpectedResponse { excerpt, .. } => Some(excerpt),
            _ => None,
        }
    }

    /// Every code and message of a [`Api`](Self::Api) error; empty otherwise.
    pub fn api_errors(&self) -> &[ApiErrorDetail] {
        match self.innermost() {
            Error::Api { errors, .. } => errors,
            _ => &[],
        }
    }

    /// The `X-Request-Id` of PayTrace's answer.
    pub fn request_id(&self) -> Option<&str> {
        self.response().and_then(|r| r.request_id.as_deref())
    }

    /// How long PayTrace asked us to wait (`Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        self.response().and_then(|r| r.retry_after)
    }

    /// How many attempts were made (0 when nothing was sent).
    pub fn attempts(&self) -> u32 {
        match self.innermost() {
            Error::Transport { attempts, .. }
            | Error::Timeout { attempts, .. }
            | Error::Api { attempts, .. }
            | Error::OAuth { attempts, .. }
            | Error::UnexpectedResponse { attempts, .. }
            | Error::Decode { attempts, .. } => *attempts,
            _ => 0,
        }
    }

    fn set_attempts(&mut self, n: u32) {
        match self {
            Error::Token { source } | Error::OutcomeUnknown { source, .. } => {
                source.set_attempts(n);
            }
            Error::Transport { attempts, .. }
            | Error::Timeout { attempts, .. }
            | Error::Api { attempts, .. }
            | Error::OAuth { attempts, .. }
            | Error::UnexpectedResponse { attempts, .. }
            | Error::Decode { attempts, .. } => *attempts = n,
            Error::InvalidRequest { .. } | Error::Config { .. } => {}
        }
    }
}

impl RetryClassify for Error {
    fn kind(&self) -> ErrorKind {
        Error::kind(self)
    }

    fn retry_after(&self) -> Option<Duration> {
        Error::retry_after(self)
    }

    fn delivery(&self) -> Delivery {
        Error::delivery(self)
    }

    fn record_attempts(&mut self, attempts: u32, _stop: StopReason) {
        // A stop for an unknown outcome is turned into `OutcomeUnknown` by the send path,
        // which also catches unreadable answers to money-moving calls.
        self.set_attempts(attempts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(status: u16) -> ResponseMeta {
        ResponseMeta {
            status,
            request_id: Some("req-1".into()),
            retry_after: None,
        }
    }

    fn api(codes: &[(&str, &str)]) -> Error {
        Error::Api {
            response_code: ResponseCode::Completed,
            status_message: Some("One or more errors has occurred.".into()),
            errors: codes
                .iter()
                .map(|(c, m)| ApiErrorDetail {
                    code: (*c).into(),
                    messages: vec![(*m).into()],
                })
                .collect(),
            response: meta(400),
            attempts: 1,
        }
    }

    #[test]
    fn api_codes_choose_the_kind() {
        let cases = [
            (vec![("35", "bad card")], ErrorKind::Validation),
            (vec![("811", "no such transaction")], ErrorKind::NotFound),
            (vec![("30", "no such customer")], ErrorKind::NotFound),
            (vec![("80", "no such check")], ErrorKind::NotFound),
            (vec![("171", "unique id")], ErrorKind::Conflict),
            (vec![("817", "void instead")], ErrorKind::Conflict),
            (vec![("998", "Log in failed.")], ErrorKind::Unauthorized),
            (
                vec![(
                    "970",
                    "Param is missing or the value is empty: integrator_id",
                )],
                ErrorKind::Configuration,
            ),
            (
                vec![("970", "Param is missing or the value is empty: amount")],
                ErrorKind::Validation,
            ),
            (
                vec![("971", "valid integrator_id")],
                ErrorKind::Configuration,
            ),
            (
                vec![("35", "bad card"), ("998", "Log in failed.")],
                ErrorKind::Unauthorized,
            ),
        ];
        for (codes, kind) in cases {
            assert_eq!(api(&codes).kind(), kind, "{codes:?}");
        }
    }

    #[test]
    fn statuses_choose_the_kind_and_delivery() {
        let cases = [
            (200, ErrorKind::Decode, Delivery::MaybeSent),
            (401, ErrorKind::AuthExpired, Delivery::NotSent),
            (404, ErrorKind::NotFound, Delivery::NotSent),
            (429, ErrorKind::Throttled, Delivery::NotSent),
            (502, ErrorKind::Transient, Delivery::MaybeSent),
            (503, ErrorKind::Transient, Delivery::MaybeSent),
        ];
        for (status, kind, delivery) in cases {
            let e = Error::UnexpectedResponse {
                response: meta(status),
                content_type: None,
                excerpt: String::new(),
                attempts: 1,
            };
            assert_eq!((e.kind(), e.delivery()), (kind, delivery), "{status}");
        }
    }

    #[test]
    fn accessors_see_through_wrappers() {
        let mut e = Error::OutcomeUnknown {
            operation: "paytrace.sale_keyed",
            source: Box::new(api(&[("35", "Please provide a valid Credit Card Number.")])),
        };
        e.record_attempts(3, StopReason::OutcomeUnknown);
        assert_eq!(e.kind(), ErrorKind::OutcomeUnknown);
        assert!(!e.is_retryable());
        assert_eq!(e.attempts(), 3);
        assert_eq!(e.status(), Some(400));
        assert_eq!(e.code(), Some("35"));
        assert_eq!(
            e.message(),
            Some("Please provide a valid Credit Card Number.")
        );
        assert_eq!(e.request_id(), Some("req-1"));
        assert_eq!(e.api_errors().len(), 1);
        assert!(std::error::Error::source(&e).is_some());
    }

    #[test]
    fn token_errors_are_never_replayed_as_expired_tokens() {
        let refused = Error::Token {
            source: Box::new(Error::UnexpectedResponse {
                response: meta(401),
                content_type: None,
                excerpt: String::new(),
                attempts: 1,
            }),
        };
        assert_eq!(refused.kind(), ErrorKind::Unauthorized);
        assert_eq!(refused.delivery(), Delivery::NotSent);
    }

    #[test]
    fn display_lists_every_code() {
        let e = api(&[("35", "bad card"), ("43", "bad month")]);
        assert_eq!(
            e.to_string(),
            "PayTrace refused the request: [35] bad card; [43] bad month"
        );
    }
}
