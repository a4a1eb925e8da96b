//! The crate's one error type, classified with [`mapping::retry::ErrorKind`], and the parser of
//! every error body Dynamics 365 and other OData services send.
//!
//! Every variant says where the call failed: before anything was sent
//! ([`InvalidRequest`](Error::InvalidRequest), [`Unsupported`](Error::Unsupported),
//! [`Config`](Error::Config)), while getting a token ([`Token`](Error::Token)), on the wire
//! ([`Transport`](Error::Transport), [`Timeout`](Error::Timeout)), or in the service's answer
//! ([`Api`](Error::Api), the typed conflicts [`PreconditionFailed`](Error::PreconditionFailed)
//! and [`Conflict`](Error::Conflict), [`Decode`](Error::Decode)). A create or an action whose
//! answer was lost becomes [`OutcomeUnknown`](Error::OutcomeUnknown): it was not resent.
//!
//! ## Error bodies ([`ServiceError::parse`])
//!
//! | service | body | what is kept |
//! |---|---|---|
//! | OData (all) | `{"error":{"code","message","target","details":[…]}}` | all of it |
//! | F&O | … plus `"innererror":{"message","type","stacktrace"}`, often `"code":""` | inner message and type; [`message`](ServiceError::message) prefers the inner message, the useful one |
//! | Business Central | `"message":"… CorrelationId:  <guid>."`, codes like `BadRequest_NotFound` | the message without the suffix, and [`correlation_id`](ServiceError::correlation_id) |
//! | Dataverse | hex codes (`0x80044331`) and `@Microsoft.PowerApps.CDS.*` annotations | code and annotations |
//! | ASP.NET routing | `{"Message":"No HTTP resource was found …"}` | the message |
//! | anything else (HTML, text) | — | a short excerpt, tags stripped, digit runs masked |
//!
//! No variant holds a token, a secret or a request body, so `Display` and `Debug` are safe to
//! log.

use std::fmt;
use std::time::Duration;

use mapping::retry::{Delivery, ErrorKind, RetryClassify, StopReason};
use mapping::transform::error::safe_excerpt;
use serde_json::{Map, Value};

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What the HTTP layer said about an answer, apart from its body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResponseMeta {
    /// The HTTP status code.
    pub status: u16,
    /// The request id the service gave (`request-id`, `x-ms-request-id`, `ms-request-id`).
    pub request_id: Option<String>,
    /// The `Retry-After` header, parsed (seconds or an HTTP date).
    pub retry_after: Option<Duration>,
}

/// How an error body was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum BodyFormat {
    /// OData's `{"error":{…}}`.
    OData,
    /// ASP.NET Web API's `{"Message":…}` (F&O routing errors).
    AspNet,
    /// JSON of another shape.
    OtherJson,
    /// Not JSON (an HTML gateway page, plain text).
    NotJson,
    /// No body.
    #[default]
    Empty,
}

/// One entry of an OData error's `details`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorDetail {
    /// The detail's code.
    pub code: Option<String>,
    /// The detail's message.
    pub message: Option<String>,
    /// What it is about.
    pub target: Option<String>,
}

/// An error body, parsed whatever its shape (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ServiceError {
    /// How the body was written.
    pub format: BodyFormat,
    /// The error code (`BadRequest_NotFound`, `0x80044331`); `None` when absent or empty
    /// (F&O sends `""`).
    pub code: Option<String>,
    /// The top-level message, without BC's `CorrelationId` suffix.
    pub outer_message: Option<String>,
    /// F&O's `innererror.message` (the Infolog text).
    pub inner_message: Option<String>,
    /// F&O's `innererror.type` (`…AxODataWriteException`).
    pub inner_type: Option<String>,
    /// The error's `target`.
    pub target: Option<String>,
    /// The error's `details`.
    pub details: Vec<ErrorDetail>,
    /// Business Central's `CorrelationId`, parsed out of the message.
    pub correlation_id: Option<String>,
    /// Instance annotations of the error object (Dataverse `@Microsoft.PowerApps.CDS.*`).
    pub annotations: Map<String, Value>,
    /// For bodies that are not OData errors: the start of the body, tags stripped,
    /// whitespace collapsed, long digit runs masked.
    pub excerpt: Option<String>,
}

impl ServiceError {
    /// Parses an error body. Never fails: an unreadable body is kept as an excerpt.
    pub fn parse(body: &[u8]) -> ServiceError {
        if body.iter().all(u8::is_ascii_whitespace) {
            return ServiceError::default();
        }
        let json: Value = match serde_json::from_slice(body) {
            Ok(json) => json,
            Err(_) => {
                return ServiceError {
                    format: BodyFormat::NotJson,
                    excerpt: Some(excerpt(body)),
                    ..ServiceError::default()
                };
            }
        };
        if let Some(error) = json.get("error").and_then(Value::as_object) {
            return parse_odata(error);
        }
        if let Some(message) = json
            .get("Message")
            .or_else(|| json.get("message"))
            .and_then(Value::as_str)
        {
            let detail = json.get("MessageDetail").and_then(Value::as_str);
            return ServiceError {
                format: BodyFormat::AspNet,
                outer_message: Some(message.to_owned()),
                inner_message: detail.map(str::to_owned),
                ..ServiceError::default()
            };
        }
        ServiceError {
            format: BodyFormat::OtherJson,
            excerpt: Some(excerpt(body)),
            ..ServiceError::default()
        }
    }

    /// The most useful message: F&O's inner message when there is one, else the message,
    /// else the excerpt of a body that was not an OData error.
    pub fn message(&self) -> Option<&str> {
        self.inner_message
            .as_deref()
            .or(self.outer_message.as_deref())
            .or(self.excerpt.as_deref())
    }

    /// The error code, when the service gave a non-empty one.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// Business Central's correlation id.
    pub fn correlation_id(&self) -> Option<&str> {
        self.correlation_id.as_deref()
    }
}

fn text(object: &Map<String, Value>, key: &str) -> Option<String> {
    match object.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn parse_odata(error: &Map<String, Value>) -> ServiceError {
    let (outer_message, correlation_id) = match text(error, "message") {
        Some(message) => split_correlation_id(&message),
        None => (None, None),
    };
    let inner = error.get("innererror").and_then(Value::as_object);
    let details = error
        .get("details")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_object)
                .map(|d| ErrorDetail {
                    code: text(d, "code"),
                    message: text(d, "message"),
                    target: text(d, "target"),
                })
                .collect()
        })
        .unwrap_or_default();
    let annotations = error
        .iter()
        .filter(|(k, _)| k.starts_with('@'))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    ServiceError {
        format: BodyFormat::OData,
        code: text(error, "code"),
        outer_message,
        inner_message: inner.and_then(|i| text(i, "message")),
        inner_type: inner.and_then(|i| text(i, "type")),
        target: text(error, "target"),
        details,
        correlation_id,
        annotations,
        excerpt: None,
    }
}

/// Splits Business Central's `"…  CorrelationId:  <guid>."` suffix off a message.
fn split_correlation_id(message: &str) -> (Option<String>, Option<String>) {
    let Some(at) = message.find("CorrelationId:") else {
        return (Some(message.to_owned()), None);
    };
    let id: String = message[at + "CorrelationId:".len()..]
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_hexdigit() || *c == '-')
        .collect();
    let rest = message[..at].trim_end();
    let rest = (!rest.is_empty()).then(|| rest.to_owned());
    (rest, (!id.is_empty()).then_some(id))
}

/// The start of a body that is not an OData error: tags dropped, whitespace collapsed, long
/// digit runs masked and cut short by `mapping`'s [`safe_excerpt`].
fn excerpt(body: &[u8]) -> String {
    let head = String::from_utf8_lossy(body.get(..2048).unwrap_or(body));
    let mut text = String::with_capacity(head.len());
    let mut in_tag = false;
    for c in head.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    safe_excerpt(&text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// An error answer of the service: status, headers and the parsed body.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// Status and headers.
    pub response: ResponseMeta,
    /// The parsed body.
    pub error: ServiceError,
    /// Attempts made.
    pub attempts: u32,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.response.status)?;
        if let Some(code) = self.error.code() {
            write!(f, " [{code}]")?;
        }
        if let Some(message) = self.error.message() {
            write!(f, ": {message}")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong calling Dynamics 365 (or another OData service).
///
/// Classify with [`kind`](Self::kind); the accessors ([`status`](Self::status),
/// [`code`](Self::code), [`message`](Self::message), …) see through
/// [`Token`](Self::Token) and [`OutcomeUnknown`](Self::OutcomeUnknown) to the failure inside.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request was refused before anything was sent: a filter the service cannot express,
    /// a body that does not serialise, a write without the `If-Match` the service requires.
    #[error("invalid {what}: {reason} (nothing was sent)")]
    InvalidRequest {
        /// What was refused (`"$filter"`, `"request body"`).
        what: &'static str,
        /// Why.
        reason: String,
        /// The transform or model error that refused a value, when one did.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// The service (or this flavour of Dynamics) has no way to do what was asked, e.g. posting
    /// a journal on standard Finance & Operations. Nothing was sent.
    #[error("{operation} is not supported: {reason}")]
    Unsupported {
        /// What was asked (`"posting a journal"`).
        operation: &'static str,
        /// Why, and what to do instead.
        reason: String,
    },

    /// The client is misconfigured (base URL, credentials, a missing environment variable);
    /// nothing was sent.
    #[error("Dynamics 365 client configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
        /// The underlying error, if any.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// No access token could be had; the request itself was not sent.
    #[error("could not get a Microsoft Entra ID access token")]
    Token {
        /// Why the token request failed.
        #[source]
        source: Box<Error>,
    },

    /// Microsoft Entra ID refused the token request
    /// (`{"error":"invalid_client","error_description":"AADSTS7000215: …"}`).
    #[error("Entra ID error `{error}`{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    OAuth {
        /// The OAuth error code (`invalid_client`, `unauthorized_client`).
        error: String,
        /// Its description (starts with the `AADSTS` code).
        description: Option<String>,
        /// Entra's `correlation_id`, to quote to Microsoft support.
        correlation_id: Option<String>,
        /// Status and headers.
        response: ResponseMeta,
        /// Attempts made.
        attempts: u32,
    },

    /// The connection failed. `delivery` says whether the request may have reached the service.
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

    /// No answer within the timeout.
    #[error("Dynamics 365 did not answer in time ({})", delivery_text(*delivery))]
    Timeout {
        /// Whether the request may have been sent.
        delivery: Delivery,
        /// Attempts made.
        attempts: u32,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },

    /// The service answered with an error status.
    #[error("Dynamics 365 refused the request: {0}")]
    Api(Box<ApiError>),

    /// HTTP 412: an `If-Match` ETag no longer matches (the record changed since it was read),
    /// or `If-None-Match: *` found an existing record. Re-read and decide again.
    #[error("precondition failed: {0}")]
    PreconditionFailed(Box<ApiError>),

    /// HTTP 409, or Business Central's `Request_EntityChanged`: the request conflicts with the
    /// record's current state.
    #[error("conflict: {0}")]
    Conflict(Box<ApiError>),

    /// An answer that does not have the expected shape.
    #[error("could not decode the service's answer at `{path}`")]
    Decode {
        /// The JSON path that failed (`value[3].CreditAmount`).
        path: String,
        /// Status and headers.
        response: ResponseMeta,
        /// Attempts made.
        attempts: u32,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },

    /// A next link pointed to another origin than the configured service; it was not
    /// followed, so the bearer token did not leave.
    #[error("refused to follow a link to another origin: {link}")]
    ForeignLink {
        /// The link, as the server gave it.
        link: String,
    },

    /// A part of a `$batch` got no answer (the service stopped at an earlier failure).
    #[error("batch part {id} was not executed")]
    NotExecuted {
        /// The part's id (its `Content-ID`).
        id: String,
    },

    /// A create or an action may have reached the service and its answer was lost (a
    /// timeout, a dropped connection, a 5xx, an unreadable answer). It was **not** resent:
    /// look for the record (by the reference it carries) before trying again.
    #[error(
        "outcome of `{operation}` unknown: it may have taken effect and was not resent; look it up before trying again"
    )]
    OutcomeUnknown {
        /// The operation (`dynamics365.fno.create`).
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
        Delivery::NotSent => "could not connect to Dynamics 365; the request was not sent",
        Delivery::MaybeSent => "connection to Dynamics 365 failed; the request may have been sent",
    }
}

/// The kind of an error answer: by status, refined by codes that say more.
fn api_kind(status: u16, error: &ServiceError) -> ErrorKind {
    match error.code() {
        Some("Request_EntityChanged" | "Internal_EntityWithSameKeyExists") => {
            return ErrorKind::Conflict;
        }
        Some("Internal_TenantUnavailable") => return ErrorKind::Transient,
        // Business Central: `BadRequest_NotFound`, `Internal_RecordNotFound`,
        // `Internal_CompanyNotFound`, … sometimes with a 400.
        Some(code) if code.ends_with("NotFound") && !code.starts_with("0x") => {
            return ErrorKind::NotFound;
        }
        // Dataverse service-protection codes (requests, execution time, concurrency).
        Some("0x80072322" | "0x80072321" | "0x80072326") => return ErrorKind::Throttled,
        _ => {}
    }
    // F&O reports a refused write as a 500 whose inner error is the Infolog: the data is
    // wrong, and resending it will fail the same way.
    if status == 500
        && error
            .inner_type
            .as_deref()
            .is_some_and(|t| t.ends_with("WriteException") || t.ends_with("ValidationException"))
    {
        return ErrorKind::Validation;
    }
    match status {
        400 | 413 | 414 | 422 | 428 => ErrorKind::Validation,
        401 => ErrorKind::AuthExpired,
        403 => ErrorKind::Unauthorized,
        404 | 410 => ErrorKind::NotFound,
        408 => ErrorKind::Timeout,
        409 | 412 => ErrorKind::Conflict,
        429 => ErrorKind::Throttled,
        500..=599 => ErrorKind::Transient,
        _ => ErrorKind::Other,
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

    /// A value refused by a transform or the canonical model.
    pub(crate) fn refused(
        what: &'static str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::InvalidRequest {
            what,
            reason: source.to_string(),
            source: Some(Box::new(source)),
        }
    }

    pub(crate) fn config(reason: impl Into<String>) -> Self {
        Error::Config {
            reason: reason.into(),
            source: None,
        }
    }

    /// The typed error for an error answer: 412 → [`PreconditionFailed`](Self::PreconditionFailed),
    /// 409 or `Request_EntityChanged` → [`Conflict`](Self::Conflict), else [`Api`](Self::Api).
    pub(crate) fn from_answer(response: ResponseMeta, body: &[u8]) -> Self {
        let error = ServiceError::parse(body);
        let status = response.status;
        let conflict = status == 409 || error.code() == Some("Request_EntityChanged");
        let api = Box::new(ApiError {
            response,
            error,
            attempts: 1,
        });
        if status == 412 {
            Error::PreconditionFailed(api)
        } else if conflict {
            Error::Conflict(api)
        } else {
            Error::Api(api)
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

    /// The error answer, for [`Api`](Self::Api), [`PreconditionFailed`](Self::PreconditionFailed)
    /// and [`Conflict`](Self::Conflict).
    pub fn api_error(&self) -> Option<&ApiError> {
        match self.innermost() {
            Error::Api(e) | Error::PreconditionFailed(e) | Error::Conflict(e) => Some(e),
            _ => None,
        }
    }

    /// The parsed error body, when the service answered with one.
    pub fn service_error(&self) -> Option<&ServiceError> {
        self.api_error().map(|e| &e.error)
    }

    fn response(&self) -> Option<&ResponseMeta> {
        match self.innermost() {
            Error::Api(e) | Error::PreconditionFailed(e) | Error::Conflict(e) => Some(&e.response),
            Error::OAuth { response, .. } | Error::Decode { response, .. } => Some(response),
            _ => None,
        }
    }

    /// The kind of failure, in the vocabulary every Tributary client shares.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidRequest { .. } => ErrorKind::Validation,
            Error::Unsupported { .. } | Error::Config { .. } => ErrorKind::Configuration,
            // A refused token request cannot be fixed by fetching another token.
            Error::Token { source } => match source.kind() {
                ErrorKind::AuthExpired => ErrorKind::Unauthorized,
                kind => kind,
            },
            Error::OAuth {
                error, response, ..
            } => match (error.as_str(), response.status) {
                (_, 429) => ErrorKind::Throttled,
                ("temporarily_unavailable" | "server_error", _) | (_, 500..=599) => {
                    ErrorKind::Transient
                }
                _ => ErrorKind::Unauthorized,
            },
            Error::Transport { .. } => ErrorKind::Transient,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Api(e) | Error::PreconditionFailed(e) | Error::Conflict(e) => {
                api_kind(e.response.status, &e.error)
            }
            Error::Decode { .. } => ErrorKind::Decode,
            Error::ForeignLink { .. } | Error::NotExecuted { .. } => ErrorKind::Other,
            Error::OutcomeUnknown { .. } => ErrorKind::OutcomeUnknown,
        }
    }

    /// Whether the request may have reached the service and been acted on.
    pub(crate) fn delivery(&self) -> Delivery {
        match self {
            Error::Transport { delivery, .. } | Error::Timeout { delivery, .. } => *delivery,
            // A 4xx was refused before it was acted on, except a request timeout.
            Error::Api(e) | Error::PreconditionFailed(e) | Error::Conflict(e) => {
                match e.response.status {
                    408 => Delivery::MaybeSent,
                    400..=499 => Delivery::NotSent,
                    // F&O's refused write: definitely not applied.
                    _ if api_kind(e.response.status, &e.error) == ErrorKind::Validation => {
                        Delivery::NotSent
                    }
                    _ => Delivery::MaybeSent,
                }
            }
            Error::Decode { response, .. } if (400..500).contains(&response.status) => {
                Delivery::NotSent
            }
            Error::Decode { .. } | Error::OutcomeUnknown { .. } | Error::NotExecuted { .. } => {
                Delivery::MaybeSent
            }
            Error::InvalidRequest { .. }
            | Error::Unsupported { .. }
            | Error::Config { .. }
            | Error::Token { .. }
            | Error::OAuth { .. }
            | Error::ForeignLink { .. } => Delivery::NotSent,
        }
    }

    /// Whether trying again can succeed (a transient failure, throttling, a timeout, an
    /// expired token). Always `false` for [`OutcomeUnknown`](Self::OutcomeUnknown): look the
    /// record up first.
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }

    /// Whether the service asked us to slow down (HTTP 429, Dataverse's limit codes).
    pub fn is_throttled(&self) -> bool {
        self.kind() == ErrorKind::Throttled
    }

    /// Whether the record or endpoint does not exist (HTTP 404).
    pub fn is_not_found(&self) -> bool {
        self.kind() == ErrorKind::NotFound
    }

    /// Whether this is a typed conflict: [`PreconditionFailed`](Self::PreconditionFailed) or
    /// [`Conflict`](Self::Conflict).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self.innermost(),
            Error::PreconditionFailed(_) | Error::Conflict(_)
        )
    }

    /// The HTTP status of the service's answer, if there was one.
    pub fn status(&self) -> Option<u16> {
        self.response().map(|r| r.status)
    }

    /// The service's error code (`BadRequest_NotFound`, `0x80044331`), or Entra's OAuth error.
    pub fn code(&self) -> Option<&str> {
        match self.innermost() {
            Error::OAuth { error, .. } => Some(error),
            other => other.service_error().and_then(ServiceError::code),
        }
    }

    /// The most useful message: F&O's inner message, the OData message, ASP.NET's `Message`,
    /// an excerpt of a non-JSON body, or Entra's error description.
    pub fn message(&self) -> Option<&str> {
        match self.innermost() {
            Error::OAuth {
                error, description, ..
            } => Some(description.as_deref().unwrap_or(error)),
            other => other.service_error().and_then(ServiceError::message),
        }
    }

    /// The request id to quote to Microsoft: the answer's request id header, else Business
    /// Central's `CorrelationId`, else Entra's correlation id.
    pub fn request_id(&self) -> Option<&str> {
        let inner = self.innermost();
        inner
            .response()
            .and_then(|r| r.request_id.as_deref())
            .or_else(|| inner.service_error().and_then(ServiceError::correlation_id))
            .or(match inner {
                Error::OAuth { correlation_id, .. } => correlation_id.as_deref(),
                _ => None,
            })
    }

    /// How long the service asked us to wait (`Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        self.response().and_then(|r| r.retry_after)
    }

    /// How many attempts were made (0 when nothing was sent).
    pub fn attempts(&self) -> u32 {
        match self.innermost() {
            Error::Transport { attempts, .. }
            | Error::Timeout { attempts, .. }
            | Error::OAuth { attempts, .. }
            | Error::Decode { attempts, .. } => *attempts,
            Error::Api(e) | Error::PreconditionFailed(e) | Error::Conflict(e) => e.attempts,
            _ => 0,
        }
    }

    pub(crate) fn set_attempts(&mut self, n: u32) {
        match self {
            Error::Token { source } | Error::OutcomeUnknown { source, .. } => {
                source.set_attempts(n);
            }
            Error::Transport { attempts, .. }
            | Error::Timeout { attempts, .. }
            | Error::OAuth { attempts, .. }
            | Error::Decode { attempts, .. } => *attempts = n,
            Error::Api(e) | Error::PreconditionFailed(e) | Error::Conflict(e) => e.attempts = n,
            Error::InvalidRequest { .. }
            | Error::Unsupported { .. }
            | Error::Config { .. }
            | Error::ForeignLink { .. }
            | Error::NotExecuted { .. } => {}
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
        // An unknown outcome is turned into `OutcomeUnknown` by the send path, which also
        // catches unreadable answers to creates and actions.
        self.set_attempts(attempts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Error {
        Error::from_answer(
            ResponseMeta {
                status,
                ..ResponseMeta::default()
            },
            body.as_bytes(),
        )
    }

    #[test]
    fn error_body_table() {
        struct Case {
            status: u16,
            body: &'static str,
            format: BodyFormat,
            code: Option<&'static str>,
            message: Option<&'static str>,
            kind: ErrorKind,
        }
        let cases = [
            // F&O: a write refused inside a batch part; the inner message is the useful one.
            Case {
                status: 500,
                body: r#"{"error":{"code":"","message":"An error has occurred.","innererror":{"message":"Write failed for table row of type 'CustCustomerGroupEntity'. Infolog: Error: Customer group 99 does not exist.","type":"Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException","stacktrace":"   at Microsoft.Dynamics..."}}}"#,
                format: BodyFormat::OData,
                code: None,
                message: Some(
                    "Write failed for table row of type 'CustCustomerGroupEntity'. Infolog: Error: Customer group 99 does not exist.",
                ),
                kind: ErrorKind::Validation,
            },
            // F&O routing error from ASP.NET Web API.
            Case {
                status: 404,
                body: r#"{"Message":"No HTTP resource was found that matches the request URI 'https://x.operations.dynamics.com/data/Customerz'."}"#,
                format: BodyFormat::AspNet,
                code: None,
                message: Some(
                    "No HTTP resource was found that matches the request URI 'https://x.operations.dynamics.com/data/Customerz'.",
                ),
                kind: ErrorKind::NotFound,
            },
            // Business Central, with the correlation id in the message.
            Case {
                status: 404,
                body: r#"{"error":{"code":"BadRequest_NotFound","message":"Bad Request - Error in query syntax.  CorrelationId:  6e5e3ec2-0b13-4d7c-8d3a-3f1b1e2f6a77."}}"#,
                format: BodyFormat::OData,
                code: Some("BadRequest_NotFound"),
                message: Some("Bad Request - Error in query syntax."),
                kind: ErrorKind::NotFound,
            },
            Case {
                status: 400,
                body: r#"{"error":{"code":"BadRequest_InvalidToken","message":"Could not validate the client concurrency token required by the service. Please provide a valid token in the client request.  CorrelationId:  0f9a2f6c-1111-2222-3333-444455556666."}}"#,
                format: BodyFormat::OData,
                code: Some("BadRequest_InvalidToken"),
                message: Some(
                    "Could not validate the client concurrency token required by the service. Please provide a valid token in the client request.",
                ),
                kind: ErrorKind::Validation,
            },
            Case {
                status: 400,
                body: r#"{"error":{"code":"Request_EntityChanged","message":"Another user has already changed the record.  CorrelationId:  0f9a2f6c-1111-2222-3333-444455556666."}}"#,
                format: BodyFormat::OData,
                code: Some("Request_EntityChanged"),
                message: Some("Another user has already changed the record."),
                kind: ErrorKind::Conflict,
            },
            // Dataverse hex code with annotations.
            Case {
                status: 400,
                body: r#"{"error":{"code":"0x80044331","message":"A validation error occurred. The length of the 'name' attribute exceeded the maximum.","@Microsoft.PowerApps.CDS.ErrorDetails.OperationStatus":"0","@Microsoft.PowerApps.CDS.TraceText":"trace"}}"#,
                format: BodyFormat::OData,
                code: Some("0x80044331"),
                message: Some(
                    "A validation error occurred. The length of the 'name' attribute exceeded the maximum.",
                ),
                kind: ErrorKind::Validation,
            },
            Case {
                status: 429,
                body: r#"{"error":{"code":"0x80072322","message":"Number of requests exceeded the limit of 6000 over time window of 300 seconds."}}"#,
                format: BodyFormat::OData,
                code: Some("0x80072322"),
                message: Some(
                    "Number of requests exceeded the limit of 6000 over time window of 300 seconds.",
                ),
                kind: ErrorKind::Throttled,
            },
            // An HTML gateway page.
            Case {
                status: 502,
                body: "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>",
                format: BodyFormat::NotJson,
                code: None,
                message: Some("502 Bad Gateway Bad Gateway"),
                kind: ErrorKind::Transient,
            },
            Case {
                status: 503,
                body: "",
                format: BodyFormat::Empty,
                code: None,
                message: None,
                kind: ErrorKind::Transient,
            },
            Case {
                status: 412,
                body: r#"{"error":{"code":"","message":"The version of the record does not match."}}"#,
                format: BodyFormat::OData,
                code: None,
                message: Some("The version of the record does not match."),
                kind: ErrorKind::Conflict,
            },
            Case {
                status: 428,
                body: r#"{"error":{"code":"428","message":"Precondition required"}}"#,
                format: BodyFormat::OData,
                code: Some("428"),
                message: Some("Precondition required"),
                kind: ErrorKind::Validation,
            },
        ];
        for case in cases {
            let err = answer(case.status, case.body);
            let parsed = err.service_error().unwrap();
            assert_eq!(parsed.format, case.format, "{}", case.body);
            assert_eq!(err.code(), case.code, "{}", case.body);
            assert_eq!(err.message(), case.message, "{}", case.body);
            assert_eq!(err.kind(), case.kind, "{}", case.body);
            assert_eq!(err.status(), Some(case.status));
        }
    }

    #[test]
    fn typed_conflicts() {
        assert!(matches!(answer(412, ""), Error::PreconditionFailed(_)));
        assert!(matches!(answer(409, "{}"), Error::Conflict(_)));
        assert!(matches!(
            answer(
                400,
                r#"{"error":{"code":"Request_EntityChanged","message":"x"}}"#
            ),
            Error::Conflict(_)
        ));
        assert!(matches!(answer(400, "{}"), Error::Api(_)));
        assert!(answer(412, "").is_conflict());
    }

    #[test]
    fn correlation_ids_and_request_ids() {
        let err = answer(
            400,
            r#"{"error":{"code":"Application_DialogException","message":"There is nothing to post.  CorrelationId:  ABCDEF01-0000-0000-0000-000000000000."}}"#,
        );
        assert_eq!(
            err.request_id(),
            Some("ABCDEF01-0000-0000-0000-000000000000")
        );
        assert_eq!(err.message(), Some("There is nothing to post."));
        let with_header = Error::from_answer(
            ResponseMeta {
                status: 500,
                request_id: Some("req-1".into()),
                retry_after: None,
            },
            b"{}",
        );
        assert_eq!(with_header.request_id(), Some("req-1"));
    }

    #[test]
    fn delivery_follows_the_status() {
        assert_eq!(answer(400, "").delivery(), Delivery::NotSent);
        assert_eq!(answer(401, "").delivery(), Delivery::NotSent);
        assert_eq!(answer(429, "").delivery(), Delivery::NotSent);
        assert_eq!(answer(408, "").delivery(), Delivery::MaybeSent);
        assert_eq!(answer(503, "").delivery(), Delivery::MaybeSent);
        assert_eq!(answer(401, "").kind(), ErrorKind::AuthExpired);
    }

    #[test]
    fn excerpts_mask_digit_runs_and_stay_short() {
        let body = format!("<p>card 4111111111111111</p>{}", " word".repeat(400));
        let err = answer(502, &body);
        let message = err.message().unwrap();
        assert!(!message.contains("41111111"), "{message}");
        assert!(message.len() < 200);
    }
}
