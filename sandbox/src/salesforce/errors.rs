//! Salesforce-shaped errors.
//!
//! * REST: an array, usually of one element, `[{"message":…,"errorCode":…,"fields":[…]}]`
//!   (`fields` only where Salesforce sends it).
//! * sObject Collections, composite batch and tree results: `{"statusCode":…,"message":…,
//!   "fields":[…]}`.
//! * OAuth: `{"error":…,"error_description":…}` (see `oauth.rs`).

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

/// The message of `REQUEST_LIMIT_EXCEEDED` for the concurrent long-running request cap
/// (retryable with backoff).
pub const CONCURRENT_LIMIT_MESSAGE: &str =
    "ConcurrentRequests (Concurrent API Requests) Limit exceeded.";
/// The message of `REQUEST_LIMIT_EXCEEDED` for the rolling 24-hour allocation (not
/// retryable for hours).
pub const TOTAL_LIMIT_MESSAGE: &str = "TotalRequests Limit exceeded.";
/// The message of `INVALID_SESSION_ID` for an expired or unknown token (refresh and replay).
pub const SESSION_EXPIRED_MESSAGE: &str = "Session expired or invalid";
/// The message of `INVALID_SESSION_ID` for a token that can never be used for REST (a
/// client must not refresh on it).
pub const NOT_VALID_FOR_REST_MESSAGE: &str = "This session is not valid for use with the REST API";

/// One Salesforce error with its HTTP status.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SfError {
    pub(crate) status: StatusCode,
    pub(crate) code: String,
    pub(crate) message: String,
    pub(crate) fields: Option<Vec<String>>,
}

impl SfError {
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
            fields: None,
        }
    }

    /// A 400 with this code.
    pub(crate) fn bad(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// Add the `fields` array.
    pub(crate) fn with_fields<S: Into<String>>(
        mut self,
        fields: impl IntoIterator<Item = S>,
    ) -> Self {
        self.fields = Some(fields.into_iter().map(Into::into).collect());
        self
    }

    /// `{"message","errorCode"[,"fields"]}`.
    pub(crate) fn item(&self) -> Value {
        let mut m = Map::new();
        m.insert("message".into(), Value::String(self.message.clone()));
        m.insert("errorCode".into(), Value::String(self.code.clone()));
        if let Some(f) = &self.fields {
            m.insert("fields".into(), json!(f));
        }
        Value::Object(m)
    }

    /// The REST body: `[item]`.
    pub(crate) fn body(&self) -> Value {
        Value::Array(vec![self.item()])
    }

    /// The collection/batch/tree form: `{"statusCode","message","fields"}`.
    pub(crate) fn status_item(&self) -> Value {
        json!({
            "statusCode": self.code,
            "message": self.message,
            "fields": self.fields.clone().unwrap_or_default(),
        })
    }

    // ---- common errors -------------------------------------------------------------

    pub(crate) fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        )
    }

    pub(crate) fn session_expired() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_SESSION_ID",
            SESSION_EXPIRED_MESSAGE,
        )
    }

    pub(crate) fn not_valid_for_rest() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_SESSION_ID",
            NOT_VALID_FOR_REST_MESSAGE,
        )
    }

    pub(crate) fn concurrent_limit() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "REQUEST_LIMIT_EXCEEDED",
            CONCURRENT_LIMIT_MESSAGE,
        )
    }

    pub(crate) fn total_limit() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "REQUEST_LIMIT_EXCEEDED",
            TOTAL_LIMIT_MESSAGE,
        )
    }

    pub(crate) fn unable_to_lock_row(id: Option<&str>) -> Self {
        let message = match id {
            Some(id) => {
                format!("unable to obtain exclusive access to this record or 1 records: {id}")
            }
            None => "unable to obtain exclusive access to this record".to_owned(),
        };
        Self::bad("UNABLE_TO_LOCK_ROW", message).with_fields(Vec::<String>::new())
    }

    pub(crate) fn server_unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVER_UNAVAILABLE",
            "Server is temporarily unavailable. Please try again later.",
        )
    }

    pub(crate) fn unknown_exception() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UNKNOWN_EXCEPTION",
            "An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-1234567890)",
        )
    }

    pub(crate) fn json_parser(detail: &str) -> Self {
        Self::bad("JSON_PARSER_ERROR", detail.to_owned())
    }

    pub(crate) fn method_not_allowed(method: &str, allowed: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            format!("HTTP Method '{method}' not allowed. Allowed are {allowed}"),
        )
    }

    pub(crate) fn external_id_field_missing(field: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("Provided external ID field does not exist or is not accessible: {field}"),
        )
    }

    pub(crate) fn entity_is_deleted() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "ENTITY_IS_DELETED",
            "entity is deleted",
        )
        .with_fields(Vec::<String>::new())
    }

    pub(crate) fn no_such_column(field: &str, object: &str) -> Self {
        Self::bad(
            "INVALID_FIELD",
            format!("No such column '{field}' on sobject of type {object}"),
        )
        .with_fields(Vec::<String>::new())
    }

    pub(crate) fn not_writable(fields: &[String]) -> Self {
        Self::bad(
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            format!(
                "Unable to create/update fields: {}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
                fields.join(", ")
            ),
        )
        .with_fields(fields.to_vec())
    }

    pub(crate) fn required_missing(fields: &[String]) -> Self {
        Self::bad(
            "REQUIRED_FIELD_MISSING",
            format!("Required fields are missing: [{}]", fields.join(", ")),
        )
        .with_fields(fields.to_vec())
    }

    pub(crate) fn duplicate_value(field: &str, id: &str) -> Self {
        Self::bad(
            "DUPLICATE_VALUE",
            format!("duplicate value found: {field} duplicates value on record with id: {id}"),
        )
        .with_fields(Vec::<String>::new())
    }

    pub(crate) fn invalid_type(object: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!(
                "The requested resource does not exist: sObject type '{object}' is not supported."
            ),
        )
    }

    pub(crate) fn invalid_query_locator() -> Self {
        Self::bad("INVALID_QUERY_LOCATOR", "invalid query locator")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(
            SfError::session_expired().body(),
            json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
        );
        let e = SfError::required_missing(&["Name".into()]);
        assert_eq!(e.item()["fields"], json!(["Name"]));
        assert_eq!(e.status_item()["statusCode"], "REQUIRED_FIELD_MISSING");
        assert!(e.status_item().get("errorCode").is_none());
    }
}
