//! The crate's one error type, classified with [`mapping::retry::ErrorKind`] the way
//! Salesforce really signals its failures (reference §2.8).
//!
//! Every variant says where the call failed: before anything was sent
//! ([`InvalidRequest`](Error::InvalidRequest), [`Config`](Error::Config)), while getting a
//! token ([`Token`](Error::Token) around an [`OAuth`](Error::OAuth) error), on the wire
//! ([`Transport`](Error::Transport), [`Timeout`](Error::Timeout)), or in Salesforce's answer
//! ([`Api`](Error::Api) with the whole `[{message, errorCode, fields}]` array,
//! [`MultipleMatches`](Error::MultipleMatches) for an upsert's 300,
//! [`UnexpectedResponse`](Error::UnexpectedResponse), [`Decode`](Error::Decode)). A create
//! whose answer was lost becomes [`OutcomeUnknown`](Error::OutcomeUnknown): it was not resent.
//!
//! No variant holds an access token, a secret, a password or a private key, so `Display` and
//! `Debug` are safe to log.

use std::fmt;
use std::time::Duration;

use mapping::retry::{Delivery, ErrorKind, RetryClassify, StopReason};
use serde::{Deserialize, Serialize};

use crate::bulk::{IngestedJob, JobState};
use crate::limits::LimitInfo;
use crate::sobjects::SaveResult;

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What the HTTP layer said about a response, apart from its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseMeta {
    /// The HTTP status code.
    pub status: u16,
    /// The `X-Request-Id` header, when the server or a proxy in front of it sent one.
    pub request_id: Option<String>,
    /// The `Retry-After` header, parsed (Salesforce rarely sends one; proxies do).
    pub retry_after: Option<Duration>,
    /// The `Sforce-Limit-Info` header, parsed.
    pub limit_info: Option<LimitInfo>,
}

/// One entry of Salesforce's error array: `{"message", "errorCode", "fields"}`.
///
/// sObject collections, composite batch and tree results spell the code `statusCode`; both
/// spellings decode into [`error_code`](Self::error_code). Anything else Salesforce adds
/// (`duplicateResult` on duplicate-rule errors) is kept in [`extra`](Self::extra).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Human-readable text, e.g. `Required fields are missing: [Name]`.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub message: String,
    /// The code, e.g. `REQUIRED_FIELD_MISSING`.
    #[serde(
        rename = "errorCode",
        alias = "statusCode",
        default,
        deserialize_with = "crate::de::null_default"
    )]
    pub error_code: String,
    /// The fields the error is about, when Salesforce names them.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub fields: Vec<String>,
    /// Any other member of the error object.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl ErrorDetail {
    /// An error with this code and message.
    pub fn new(error_code: impl Into<String>, message: impl Into<String>) -> Self {
        ErrorDetail {
            error_code: error_code.into(),
            message: message.into(),
            ..ErrorDetail::default()
        }
    }
}

impl fmt::Display for ErrorDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.error_code, self.message)?;
        if !self.fields.is_empty() {
            write!(f, " (fields: {})", self.fields.join(", "))?;
        }
        Ok(())
    }
}

/// The `error` code of a token-endpoint error (`{"error", "error_description"}`, reference §1.6).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OAuthErrorCode {
    /// `invalid_grant`: wrong or expired credentials, an unapproved user, a JWT with a bad
    /// audience or expiry, an expired refresh token.
    InvalidGrant,
    /// `invalid_client_id`: unknown consumer key.
    InvalidClientId,
    /// `invalid_client`: wrong consumer secret.
    InvalidClient,
    /// `invalid_request`: a malformed request, or a grant this host does not support.
    InvalidRequest,
    /// `unsupported_grant_type`.
    UnsupportedGrantType,
    /// `unsupported_response_type`.
    UnsupportedResponseType,
    /// `inactive_user`.
    InactiveUser,
    /// `inactive_org`.
    InactiveOrg,
    /// `rate_limit_exceeded`: too many token requests; retried with backoff.
    RateLimitExceeded,
    /// Any other code, kept as sent.
    Other(String),
}

impl OAuthErrorCode {
    /// The code as Salesforce spells it.
    pub fn parse(code: &str) -> Self {
        match code.trim() {
            "invalid_grant" => OAuthErrorCode::InvalidGrant,
            "invalid_client_id" => OAuthErrorCode::InvalidClientId,
            "invalid_client" => OAuthErrorCode::InvalidClient,
            "invalid_request" => OAuthErrorCode::InvalidRequest,
            "unsupported_grant_type" => OAuthErrorCode::UnsupportedGrantType,
            "unsupported_response_type" => OAuthErrorCode::UnsupportedResponseType,
            "inactive_user" => OAuthErrorCode::InactiveUser,
            "inactive_org" => OAuthErrorCode::InactiveOrg,
            "rate_limit_exceeded" => OAuthErrorCode::RateLimitExceeded,
            other => OAuthErrorCode::Other(other.to_owned()),
        }
    }

    /// The code as Salesforce spells it: `"invalid_grant"`, ….
    pub fn as_str(&self) -> &str {
        match self {
            OAuthErrorCode::InvalidGrant => "invalid_grant",
            OAuthErrorCode::InvalidClientId => "invalid_client_id",
            OAuthErrorCode::InvalidClient => "invalid_client",
            OAuthErrorCode::InvalidRequest => "invalid_request",
            OAuthErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthErrorCode::UnsupportedResponseType => "unsupported_response_type",
            OAuthErrorCode::InactiveUser => "inactive_user",
            OAuthErrorCode::InactiveOrg => "inactive_org",
            OAuthErrorCode::RateLimitExceeded => "rate_limit_exceeded",
            OAuthErrorCode::Other(code) => code,
        }
    }
}

impl fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The message of a `401 INVALID_SESSION_ID` that no new token can fix (reference §1.7).
const SESSION_NOT_VALID_FOR_REST: &str = "This session is not valid for use with the REST API";

/// Everything that can go wrong calling Salesforce.
///
/// Classify with [`kind`](Self::kind); the accessors ([`status`](Self::status),
/// [`code`](Self::code), [`message`](Self::message), …) see through
/// [`Token`](Self::Token) and [`OutcomeUnknown`](Self::OutcomeUnknown) to the failure inside.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request was refused before anything was sent: an invalid object or field name, a
    /// body that is not a JSON object, too many subrequests, a URL outside the instance's
    /// origin.
    #[error("invalid {what}: {reason} (nothing was sent)")]
    InvalidRequest {
        /// What was refused (`"sObject name"`, `"url"`).
        what: &'static str,
        /// Why.
        reason: String,
    },

    /// The client is misconfigured (login or instance URL, credentials, private key, a
    /// missing environment variable); nothing was sent.
    #[error("Salesforce client configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
        /// The underlying error, if any.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// No usable access token: the token endpoint refused or failed, or Salesforce rejected a
    /// token these credentials cannot renew (a static access token). The API request itself
    /// was not sent (or was refused), so trying again is safe whatever it was.
    #[error("no usable Salesforce access token")]
    Token {
        /// Why.
        #[source]
        source: Box<Error>,
    },

    /// The token endpoint's error body: `{"error": "invalid_grant", "error_description": …}`.
    #[error("Salesforce OAuth error `{error}`{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    OAuth {
        /// The OAuth error code.
        error: OAuthErrorCode,
        /// Its `error_description`.
        description: Option<String>,
        /// Status and headers.
        response: ResponseMeta,
        /// Attempts made.
        attempts: u32,
    },

    /// The connection failed. `delivery` says whether the request may have reached Salesforce.
    #[error("{}", match delivery { Delivery::NotSent => "could not connect to Salesforce; the request was not sent", Delivery::MaybeSent => "connection to Salesforce failed; the request may have been sent" })]
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
    /// Salesforce (a connect timeout did not).
    #[error("Salesforce did not answer in time ({})", match delivery { Delivery::NotSent => "the request was not sent", Delivery::MaybeSent => "the request may have been sent" })]
    Timeout {
        /// Whether the request may have been sent.
        delivery: Delivery,
        /// Attempts made.
        attempts: u32,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },

    /// Salesforce's error array (`[{"message", "errorCode", "fields"}]`), every entry kept.
    #[error("Salesforce answered HTTP {}: {}", response.status, summarize(errors))]
    Api {
        /// Every error Salesforce listed, in its order.
        errors: Vec<ErrorDetail>,
        /// Status and headers.
        response: ResponseMeta,
        /// Attempts made.
        attempts: u32,
    },

    /// An upsert or lookup by external ID matched several records (HTTP 300); nothing was
    /// written. [`matches`](Self::MultipleMatches::matches) lists them as Salesforce gave them
    /// (record URLs or ids).
    #[error("the external ID matched {} records; nothing was written", matches.len())]
    MultipleMatches {
        /// The matching records' URLs (or ids), as listed in the 300 body.
        matches: Vec<String>,
        /// Status and headers.
        response: ResponseMeta,
        /// Attempts made.
        attempts: u32,
    },

    /// A response that is not a Salesforce answer: a non-JSON body (an HTML page from a proxy),
    /// or an error status without Salesforce's error array.
    #[error("unexpected HTTP {} response from Salesforce: {excerpt:?}", response.status)]
    UnexpectedResponse {
        /// Status and headers.
        response: ResponseMeta,
        /// The start of the body, whitespace collapsed and long digit runs masked.
        excerpt: String,
        /// Attempts made.
        attempts: u32,
    },

    /// A Salesforce answer that does not have the expected shape.
    #[error("could not decode Salesforce's response at `{path}`")]
    Decode {
        /// The JSON path that failed (`records[3].Amount__c`).
        path: String,
        /// Status and headers.
        response: ResponseMeta,
        /// Attempts made.
        attempts: u32,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },

    /// A record could not be converted to or from Tributary's canonical model: a field the
    /// mapping needs is missing, or holds a value it cannot read. Nothing was sent.
    #[error("cannot convert {what}")]
    Mapping {
        /// What was being converted (`"Account to Customer"`).
        what: &'static str,
        /// Why: the field-mapping engine's or a transform's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// An sObject collection call, split into chunks of 200 records, failed part-way. The
    /// chunks before the failure were processed: their per-record results are in `results`,
    /// in input order. The records after them were not sent, except the failing chunk itself
    /// when `source` says its outcome is unknown.
    #[error("a chunked collection call failed after {} records were processed", results.len())]
    Incomplete {
        /// The results of the records processed, in input order.
        results: Vec<SaveResult>,
        /// The failure of the next chunk.
        #[source]
        source: Box<Error>,
    },

    /// A Bulk API 2.0 job ended without completing: `Failed` (Salesforce's `errorMessage` says
    /// why, such as a column the object does not have) or `Aborted`.
    #[error("Bulk API job {job_id} ended {state}{}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    BulkJob {
        /// The job.
        job_id: String,
        /// Its final state.
        state: JobState,
        /// The job's `errorMessage`.
        message: Option<String>,
    },

    /// A Bulk API 2.0 job had not reached a final state when polling gave up (the
    /// [`PollOptions`](crate::bulk::PollOptions) timeout). The job goes on: wait for it again
    /// later.
    #[error("Bulk API job {job_id} was still {state} after {waited:?}")]
    PollTimeout {
        /// The job.
        job_id: String,
        /// Its state at the last poll.
        state: JobState,
        /// How long polling went on.
        waited: Duration,
    },

    /// A record could not be written as Bulk API CSV (not a JSON object, a list value, a row
    /// larger than the upload limit by itself). Nothing of it was sent.
    #[error("record {row} cannot be written as Bulk API CSV: {reason}")]
    CsvEncode {
        /// The record's position in the input, from 0.
        row: u64,
        /// Why.
        reason: String,
        /// The serializer's error, if it failed.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// A CSV file from Salesforce (job results, query results) could not be read, or a row
    /// does not decode as the type asked for.
    #[error("could not read row {row} of the {what} CSV")]
    CsvDecode {
        /// Which file (`"successfulResults"`, `"query results"`).
        what: &'static str,
        /// The row, from 1 after the header.
        row: u64,
        /// The CSV reader's error.
        #[source]
        source: csv::Error,
    },

    /// A Bulk API ingest that splits its input into several jobs stopped part-way. The jobs in
    /// `jobs` were uploaded and closed (Salesforce processes them); the input records from
    /// `rows_submitted` on were not submitted (the one at `rows_submitted` is the one that
    /// failed, when `source` is a [`CsvEncode`](Self::CsvEncode)).
    #[error("Bulk API ingest stopped after {rows_submitted} records in {} jobs", jobs.len())]
    BulkIncomplete {
        /// The jobs submitted, in input order.
        jobs: Vec<IngestedJob>,
        /// How many input records those jobs hold.
        rows_submitted: u64,
        /// What stopped the ingest.
        #[source]
        source: Box<Error>,
    },

    /// The Streaming API (CometD) refused a message: `error` is the Bayeux error
    /// (`403::Unknown client`, `401::Authentication invalid`, `400::…invalid replayId…`), and
    /// `reason` Salesforce's `ext.sfdc.failureReason` when it gave one.
    #[error("Streaming API refused {channel}: {error}{}", reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default())]
    Bayeux {
        /// The meta channel (`/meta/handshake`, `/meta/subscribe`, `/meta/connect`).
        channel: String,
        /// The Bayeux `error`.
        error: String,
        /// `ext.sfdc.failureReason`.
        reason: Option<String>,
        /// The server's `advice.reconnect` (`retry`, `handshake`, `none`).
        reconnect: Option<String>,
    },

    /// A [`ReplayStore`](crate::streaming::ReplayStore) could not be read or written.
    #[error("replay store: {what}")]
    ReplayStore {
        /// What failed (`"append to /var/lib/app/replay.log"`).
        what: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A call that is not safe to repeat (a create, a composite request with a `POST`, an
    /// event publish) may have reached Salesforce and its answer was lost (a timeout, a
    /// dropped connection, a 5xx). It was **not** resent: look the record up (by an external
    /// ID you set) before trying again.
    #[error(
        "outcome of `{operation}` unknown: it may have reached Salesforce and was not resent; check before trying again"
    )]
    OutcomeUnknown {
        /// The operation (`salesforce.create`).
        operation: &'static str,
        /// The failure that left the outcome unknown.
        #[source]
        source: Box<Error>,
    },
}

fn summarize(errors: &[ErrorDetail]) -> String {
    if errors.is_empty() {
        return "no details given".to_owned();
    }
    errors
        .iter()
        .map(ErrorDetail::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The kind of Salesforce's error array (reference §2.8), most telling code first.
pub(crate) fn api_kind(status: u16, errors: &[ErrorDetail]) -> ErrorKind {
    let has = |code: &str| errors.iter().any(|e| e.error_code == code);
    if status == 401 || has("INVALID_SESSION_ID") {
        let never_valid = errors
            .iter()
            .any(|e| e.message.contains(SESSION_NOT_VALID_FOR_REST));
        return if never_valid {
            ErrorKind::Unauthorized
        } else {
            ErrorKind::AuthExpired
        };
    }
    if let Some(limit) = errors
        .iter()
        .find(|e| e.error_code == "REQUEST_LIMIT_EXCEEDED")
    {
        // "ConcurrentRequests (Concurrent API Requests) Limit exceeded." passes in seconds;
        // "TotalRequests Limit exceeded." (the rolling 24-hour allocation) takes hours.
        return if limit.message.to_ascii_lowercase().contains("concurrent") {
            ErrorKind::Throttled
        } else {
            ErrorKind::QuotaExceeded
        };
    }
    let lock = errors.iter().any(|e| {
        e.error_code == "UNABLE_TO_LOCK_ROW"
            || (e.error_code == "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY"
                && e.message.contains("UNABLE_TO_LOCK_ROW"))
    });
    if lock
        || has("SERVER_UNAVAILABLE")
        || has("PLATFORM_EVENT_PUBLISHING_UNAVAILABLE")
        || has("UNKNOWN_EXCEPTION")
    {
        return ErrorKind::Transient;
    }
    if has("NOT_FOUND") || has("ENTITY_IS_DELETED") {
        return ErrorKind::NotFound;
    }
    if has("DUPLICATE_VALUE") || has("DUPLICATES_DETECTED") || has("ENTITY_IS_LOCKED") {
        return ErrorKind::Conflict;
    }
    if has("STORAGE_LIMIT_EXCEEDED") {
        return ErrorKind::QuotaExceeded;
    }
    let access = [
        "INSUFFICIENT_ACCESS_OR_READONLY",
        "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY",
        "API_DISABLED_FOR_ORG",
        "API_CURRENTLY_DISABLED",
    ];
    if access.iter().any(|code| has(code)) {
        return ErrorKind::Unauthorized;
    }
    status_kind(status)
}

/// The kind of a Bayeux error (reference §4.2): `401::` means the session is gone (refresh
/// and handshake again), `403::Unknown client` / `402::` that the server forgot the client (a
/// new handshake fixes it), `503::` that the server is too busy (back off).
fn bayeux_kind(error: &str, reason: Option<&str>, reconnect: Option<&str>) -> ErrorKind {
    let code = |text: &str| {
        text.split("::")
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    let codes = [Some(code(error)), reason.map(code)];
    let has = |c: &str| codes.iter().flatten().any(|x| x == c);
    if has("401") {
        ErrorKind::AuthExpired
    } else if has("503") {
        ErrorKind::Throttled
    } else if error.contains("Unknown client") || has("402") {
        ErrorKind::Transient
    } else if has("403") {
        ErrorKind::Unauthorized
    } else if has("404") {
        ErrorKind::NotFound
    } else if has("400") {
        ErrorKind::Validation
    } else if matches!(reconnect, Some("retry" | "handshake")) {
        ErrorKind::Transient
    } else {
        ErrorKind::Other
    }
}

/// The kind of an error status when the body names no code we know.
fn status_kind(status: u16) -> ErrorKind {
    match status {
        200..=299 => ErrorKind::Decode,
        300 | 409 | 412 => ErrorKind::Conflict,
        401 => ErrorKind::AuthExpired,
        403 => ErrorKind::Unauthorized,
        404 => ErrorKind::NotFound,
        408 => ErrorKind::Timeout,
        // 420: Salesforce Edge; jsforce retries it.
        420 | 500..=599 => ErrorKind::Transient,
        429 => ErrorKind::Throttled,
        400..=499 => ErrorKind::Validation,
        _ => ErrorKind::Other,
    }
}

/// A 4xx means Salesforce refused the request or rolled its transaction back: nothing was
/// written. Anything else (a 5xx, a 2xx with an unreadable body) may have been acted on.
fn status_delivery(status: u16) -> Delivery {
    if (300..500).contains(&status) {
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
            Error::Token { source }
            | Error::OutcomeUnknown { source, .. }
            | Error::Incomplete { source, .. }
            | Error::BulkIncomplete { source, .. } => source.innermost(),
            other => other,
        }
    }

    fn response(&self) -> Option<&ResponseMeta> {
        match self.innermost() {
            Error::Api { response, .. }
            | Error::OAuth { response, .. }
            | Error::MultipleMatches { response, .. }
            | Error::UnexpectedResponse { response, .. }
            | Error::Decode { response, .. } => Some(response),
            _ => None,
        }
    }

    /// The kind of failure, in the vocabulary every Tributary client shares.
    ///
    /// | answer | kind |
    /// |---|---|
    /// | 401 `INVALID_SESSION_ID` | `AuthExpired` (refreshed once and replayed) |
    /// | 401 "…not valid for use with the REST API" | `Unauthorized` (never refreshed) |
    /// | 403 `REQUEST_LIMIT_EXCEEDED`, concurrent requests | `Throttled` |
    /// | 403 `REQUEST_LIMIT_EXCEEDED`, daily total | `QuotaExceeded` |
    /// | `UNABLE_TO_LOCK_ROW`, `SERVER_UNAVAILABLE`, `UNKNOWN_EXCEPTION`, 5xx | `Transient` |
    /// | `NOT_FOUND`, `ENTITY_IS_DELETED`, 404 | `NotFound` |
    /// | `DUPLICATE_VALUE`, `DUPLICATES_DETECTED`, `ENTITY_IS_LOCKED`, 300, 409, 412 | `Conflict` |
    /// | validation codes, other 400s | `Validation` |
    /// | token endpoint refusal | `Unauthorized` (`rate_limit_exceeded`: `Throttled`) |
    /// | Bulk job `Failed` / `Aborted` | `Validation` / `Conflict` |
    /// | Bulk job still running when polling gave up | `Timeout` |
    /// | a record that cannot be CSV / a CSV that cannot be read | `Validation` / `Decode` |
    /// | Bayeux `401::…` (also as `ext.sfdc.failureReason`) | `AuthExpired` |
    /// | Bayeux `403::Unknown client`, `402::…` | `Transient` (handshake again) |
    /// | Bayeux `503::Server is too busy` | `Throttled` |
    /// | Bayeux `403::…` otherwise, `404::…`, `400::…` | `Unauthorized`, `NotFound`, `Validation` |
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidRequest { .. } | Error::Mapping { .. } => ErrorKind::Validation,
            Error::Config { .. } => ErrorKind::Configuration,
            // A refused token cannot be fixed by asking for another one.
            Error::Token { source } => match source.kind() {
                ErrorKind::AuthExpired => ErrorKind::Unauthorized,
                kind => kind,
            },
            Error::OAuth {
                error, response, ..
            } => match error {
                OAuthErrorCode::RateLimitExceeded => ErrorKind::Throttled,
                _ if response.status >= 500 => ErrorKind::Transient,
                _ => ErrorKind::Unauthorized,
            },
            Error::Transport { .. } => ErrorKind::Transient,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Api {
                errors, response, ..
            } => api_kind(response.status, errors),
            Error::MultipleMatches { .. } => ErrorKind::Conflict,
            Error::UnexpectedResponse { response, .. } => status_kind(response.status),
            Error::Decode { .. } => ErrorKind::Decode,
            Error::OutcomeUnknown { .. } => ErrorKind::OutcomeUnknown,
            Error::Incomplete { source, .. } | Error::BulkIncomplete { source, .. } => {
                source.kind()
            }
            Error::BulkJob { state, .. } => match state {
                JobState::Failed => ErrorKind::Validation,
                JobState::Aborted => ErrorKind::Conflict,
                _ => ErrorKind::Other,
            },
            Error::PollTimeout { .. } => ErrorKind::Timeout,
            Error::CsvEncode { .. } => ErrorKind::Validation,
            Error::CsvDecode { .. } => ErrorKind::Decode,
            Error::Bayeux {
                error,
                reason,
                reconnect,
                ..
            } => bayeux_kind(error, reason.as_deref(), reconnect.as_deref()),
            Error::ReplayStore { .. } => ErrorKind::Other,
        }
    }

    /// Whether the request may have reached Salesforce and been acted on.
    pub(crate) fn delivery(&self) -> Delivery {
        match self {
            Error::InvalidRequest { .. }
            | Error::Config { .. }
            | Error::Mapping { .. }
            | Error::Token { .. }
            | Error::OAuth { .. }
            | Error::CsvEncode { .. }
            | Error::Bayeux { .. }
            | Error::ReplayStore { .. } => Delivery::NotSent,
            Error::Transport { delivery, .. } | Error::Timeout { delivery, .. } => *delivery,
            Error::Api { response, .. }
            | Error::MultipleMatches { response, .. }
            | Error::UnexpectedResponse { response, .. }
            | Error::Decode { response, .. } => status_delivery(response.status),
            Error::OutcomeUnknown { .. }
            | Error::BulkJob { .. }
            | Error::PollTimeout { .. }
            | Error::CsvDecode { .. } => Delivery::MaybeSent,
            Error::Incomplete { source, .. } | Error::BulkIncomplete { source, .. } => {
                source.delivery()
            }
        }
    }

    /// Whether trying again can succeed (a transient failure, throttling, a timeout, an
    /// expired token). Always `false` for [`OutcomeUnknown`](Self::OutcomeUnknown).
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }

    /// Whether Salesforce asked us to slow down (concurrent-request `REQUEST_LIMIT_EXCEEDED`,
    /// HTTP 429 from a proxy, `rate_limit_exceeded` from the token endpoint).
    pub fn is_throttled(&self) -> bool {
        self.kind() == ErrorKind::Throttled
    }

    /// Whether the record or resource does not exist (`NOT_FOUND`, `ENTITY_IS_DELETED`, 404).
    pub fn is_not_found(&self) -> bool {
        self.kind() == ErrorKind::NotFound
    }

    /// The HTTP status of Salesforce's answer, if there was one.
    pub fn status(&self) -> Option<u16> {
        self.response().map(|r| r.status)
    }

    /// Salesforce's code: the first `errorCode` of the error array
    /// (`"REQUIRED_FIELD_MISSING"`), or the OAuth `error` (`"invalid_grant"`). All codes are in
    /// [`errors`](Self::errors).
    pub fn code(&self) -> Option<&str> {
        match self.innermost() {
            Error::Api { errors, .. } => errors.first().map(|e| e.error_code.as_str()),
            Error::OAuth { error, .. } => Some(error.as_str()),
            _ => None,
        }
    }

    /// Salesforce's message: the first error's message, the OAuth description, or the start
    /// of an unexpected body.
    pub fn message(&self) -> Option<&str> {
        match self.innermost() {
            Error::Api { errors, .. } => errors.first().map(|e| e.message.as_str()),
            Error::OAuth {
                error, description, ..
            } => Some(description.as_deref().unwrap_or(error.as_str())),
            Error::UnexpectedResponse { excerpt, .. } => Some(excerpt),
            _ => None,
        }
    }

    /// Every entry of Salesforce's error array; empty for other failures.
    pub fn errors(&self) -> &[ErrorDetail] {
        match self.innermost() {
            Error::Api { errors, .. } => errors,
            _ => &[],
        }
    }

    /// The records an external ID matched, for [`MultipleMatches`](Self::MultipleMatches).
    pub fn matches(&self) -> &[String] {
        match self.innermost() {
            Error::MultipleMatches { matches, .. } => matches,
            _ => &[],
        }
    }

    /// The `X-Request-Id` of the answer, when one was sent.
    pub fn request_id(&self) -> Option<&str> {
        self.response().and_then(|r| r.request_id.as_deref())
    }

    /// How long the server asked us to wait (`Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        self.response().and_then(|r| r.retry_after)
    }

    /// The `Sforce-Limit-Info` of the failed answer (API usage at the time).
    pub fn limit_info(&self) -> Option<&LimitInfo> {
        self.response().and_then(|r| r.limit_info.as_ref())
    }

    /// How many attempts were made (0 when nothing was sent).
    pub fn attempts(&self) -> u32 {
        match self.innermost() {
            Error::Transport { attempts, .. }
            | Error::Timeout { attempts, .. }
            | Error::Api { attempts, .. }
            | Error::OAuth { attempts, .. }
            | Error::MultipleMatches { attempts, .. }
            | Error::UnexpectedResponse { attempts, .. }
            | Error::Decode { attempts, .. } => *attempts,
            Error::InvalidRequest { .. }
            | Error::Config { .. }
            | Error::Mapping { .. }
            | Error::Token { .. }
            | Error::OutcomeUnknown { .. }
            | Error::Incomplete { .. }
            | Error::BulkIncomplete { .. }
            | Error::BulkJob { .. }
            | Error::PollTimeout { .. }
            | Error::CsvEncode { .. }
            | Error::CsvDecode { .. }
            | Error::Bayeux { .. }
            | Error::ReplayStore { .. } => 0,
        }
    }

    pub(crate) fn set_attempts(&mut self, n: u32) {
        match self {
            Error::Token { source }
            | Error::OutcomeUnknown { source, .. }
            | Error::Incomplete { source, .. }
            | Error::BulkIncomplete { source, .. } => source.set_attempts(n),
            Error::Transport { attempts, .. }
            | Error::Timeout { attempts, .. }
            | Error::Api { attempts, .. }
            | Error::OAuth { attempts, .. }
            | Error::MultipleMatches { attempts, .. }
            | Error::UnexpectedResponse { attempts, .. }
            | Error::Decode { attempts, .. } => *attempts = n,
            Error::InvalidRequest { .. }
            | Error::Config { .. }
            | Error::Mapping { .. }
            | Error::BulkJob { .. }
            | Error::PollTimeout { .. }
            | Error::CsvEncode { .. }
            | Error::CsvDecode { .. }
            | Error::Bayeux { .. }
            | Error::ReplayStore { .. } => {}
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
        // The send path turns an unknown outcome into `OutcomeUnknown`, naming the operation.
        self.set_attempts(attempts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(status: u16) -> ResponseMeta {
        ResponseMeta {
            status,
            request_id: None,
            retry_after: None,
            limit_info: None,
        }
    }

    fn api(status: u16, code: &str, message: &str) -> Error {
        Error::Api {
            errors: vec![ErrorDetail::new(code, message)],
            response: meta(status),
            attempts: 1,
        }
    }

    #[test]
    fn classification_table() {
        use ErrorKind::*;
        let cases: &[(u16, &str, &str, ErrorKind, Delivery)] = &[
            (
                401,
                "INVALID_SESSION_ID",
                "Session expired or invalid",
                AuthExpired,
                Delivery::NotSent,
            ),
            (
                401,
                "INVALID_SESSION_ID",
                "This session is not valid for use with the REST API",
                Unauthorized,
                Delivery::NotSent,
            ),
            (
                403,
                "REQUEST_LIMIT_EXCEEDED",
                "ConcurrentRequests (Concurrent API Requests) Limit exceeded.",
                Throttled,
                Delivery::NotSent,
            ),
            (
                403,
                "REQUEST_LIMIT_EXCEEDED",
                "TotalRequests Limit exceeded.",
                QuotaExceeded,
                Delivery::NotSent,
            ),
            (
                400,
                "UNABLE_TO_LOCK_ROW",
                "unable to obtain exclusive access to this record",
                Transient,
                Delivery::NotSent,
            ),
            (
                400,
                "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
                "trigger: UNABLE_TO_LOCK_ROW, unable to obtain exclusive access",
                Transient,
                Delivery::NotSent,
            ),
            (
                400,
                "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
                "trigger failed: divide by zero",
                Validation,
                Delivery::NotSent,
            ),
            (
                503,
                "SERVER_UNAVAILABLE",
                "busy",
                Transient,
                Delivery::MaybeSent,
            ),
            (
                500,
                "UNKNOWN_EXCEPTION",
                "oops",
                Transient,
                Delivery::MaybeSent,
            ),
            (
                400,
                "DUPLICATE_VALUE",
                "duplicate value found",
                Conflict,
                Delivery::NotSent,
            ),
            (
                400,
                "DUPLICATES_DETECTED",
                "Use one of these records?",
                Conflict,
                Delivery::NotSent,
            ),
            (
                400,
                "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                "Amount must be positive",
                Validation,
                Delivery::NotSent,
            ),
            (
                400,
                "REQUIRED_FIELD_MISSING",
                "Required fields are missing: [Name]",
                Validation,
                Delivery::NotSent,
            ),
            (
                400,
                "QUERY_TIMEOUT",
                "Your query request was running for too long.",
                Validation,
                Delivery::NotSent,
            ),
            (
                404,
                "NOT_FOUND",
                "The requested resource does not exist",
                NotFound,
                Delivery::NotSent,
            ),
            (
                400,
                "ENTITY_IS_DELETED",
                "entity is deleted",
                NotFound,
                Delivery::NotSent,
            ),
            (
                403,
                "INSUFFICIENT_ACCESS_OR_READONLY",
                "no access",
                Unauthorized,
                Delivery::NotSent,
            ),
            (
                400,
                "STORAGE_LIMIT_EXCEEDED",
                "storage full",
                QuotaExceeded,
                Delivery::NotSent,
            ),
            (
                412,
                "BATCH_PROCESSING_HALTED",
                "halted",
                Conflict,
                Delivery::NotSent,
            ),
        ];
        for (status, code, message, kind, delivery) in cases {
            let e = api(*status, code, message);
            assert_eq!(
                (e.kind(), e.delivery()),
                (*kind, *delivery),
                "{status} {code} {message}"
            );
        }
    }

    #[test]
    fn statuses_without_codes() {
        let cases = [
            (200, ErrorKind::Decode, Delivery::MaybeSent),
            (401, ErrorKind::AuthExpired, Delivery::NotSent),
            (429, ErrorKind::Throttled, Delivery::NotSent),
            (502, ErrorKind::Transient, Delivery::MaybeSent),
            (503, ErrorKind::Transient, Delivery::MaybeSent),
            (405, ErrorKind::Validation, Delivery::NotSent),
        ];
        for (status, kind, delivery) in cases {
            let e = Error::UnexpectedResponse {
                response: meta(status),
                excerpt: String::new(),
                attempts: 1,
            };
            assert_eq!((e.kind(), e.delivery()), (kind, delivery), "{status}");
        }
    }

    #[test]
    fn token_failures_are_never_replayed_as_expired_sessions() {
        let refused = Error::Token {
            source: Box::new(api(401, "INVALID_SESSION_ID", "Session expired or invalid")),
        };
        assert_eq!(refused.kind(), ErrorKind::Unauthorized);
        assert_eq!(refused.delivery(), Delivery::NotSent);
        let oauth = |code: &str, status| Error::OAuth {
            error: OAuthErrorCode::parse(code),
            description: Some("authentication failure".into()),
            response: meta(status),
            attempts: 1,
        };
        assert_eq!(oauth("invalid_grant", 400).kind(), ErrorKind::Unauthorized);
        assert_eq!(
            oauth("rate_limit_exceeded", 400).kind(),
            ErrorKind::Throttled
        );
        assert_eq!(oauth("invalid_grant", 400).code(), Some("invalid_grant"));
        assert_eq!(
            OAuthErrorCode::parse("weird"),
            OAuthErrorCode::Other("weird".into())
        );
    }

    #[test]
    fn accessors_see_through_wrappers() {
        let mut e = Error::OutcomeUnknown {
            operation: "salesforce.create",
            source: Box::new(api(503, "SERVER_UNAVAILABLE", "busy")),
        };
        e.record_attempts(1, StopReason::OutcomeUnknown);
        assert_eq!(e.kind(), ErrorKind::OutcomeUnknown);
        assert!(!e.is_retryable());
        assert_eq!(e.status(), Some(503));
        assert_eq!(e.code(), Some("SERVER_UNAVAILABLE"));
        assert_eq!(e.message(), Some("busy"));
        assert_eq!(e.errors().len(), 1);
        assert_eq!(e.attempts(), 1);
        assert!(std::error::Error::source(&e).is_some());
    }

    #[test]
    fn bayeux_errors_table() {
        use ErrorKind::*;
        let cases: &[(&str, Option<&str>, Option<&str>, ErrorKind)] = &[
            (
                "401::Authentication invalid",
                None,
                Some("none"),
                AuthExpired,
            ),
            (
                "403::Handshake denied",
                Some("401::Authentication invalid"),
                Some("none"),
                AuthExpired,
            ),
            ("403::Unknown client", None, Some("handshake"), Transient),
            ("402::session_unknown", None, Some("handshake"), Transient),
            (
                "503::Server is too busy. Please try your request again later.",
                None,
                Some("retry"),
                Throttled,
            ),
            (
                "403::Handshake denied",
                Some("503::Server is too busy. Please try your request again later."),
                None,
                Throttled,
            ),
            ("403::Handshake denied", None, Some("none"), Unauthorized),
            (
                "400::The replayId {42} you provided was invalid.",
                None,
                None,
                Validation,
            ),
            ("404::Unknown channel", None, None, NotFound),
            ("something new", None, Some("retry"), Transient),
            ("something new", None, Some("none"), Other),
        ];
        for (error, reason, reconnect, kind) in cases {
            let e = Error::Bayeux {
                channel: "/meta/connect".into(),
                error: (*error).into(),
                reason: reason.map(str::to_owned),
                reconnect: reconnect.map(str::to_owned),
            };
            assert_eq!(e.kind(), *kind, "{error} {reason:?} {reconnect:?}");
            assert_eq!(e.delivery(), Delivery::NotSent);
        }
    }

    #[test]
    fn error_details_accept_both_code_spellings() {
        let rest: ErrorDetail = serde_json::from_str(
            r#"{"message":"Required fields are missing: [Name]","errorCode":"REQUIRED_FIELD_MISSING","fields":["Name"]}"#,
        )
        .unwrap();
        let collection: ErrorDetail = serde_json::from_str(
            r#"{"statusCode":"DUPLICATE_VALUE","message":"dup","fields":null,"duplicateResult":{"x":1}}"#,
        )
        .unwrap();
        assert_eq!(rest.error_code, "REQUIRED_FIELD_MISSING");
        assert_eq!(rest.fields, ["Name"]);
        assert_eq!(collection.error_code, "DUPLICATE_VALUE");
        assert!(collection.fields.is_empty());
        assert!(collection.extra.contains_key("duplicateResult"));
        assert_eq!(
            rest.to_string(),
            "[REQUIRED_FIELD_MISSING] Required fields are missing: [Name] (fields: Name)"
        );
    }
}
