//! Building PayTrace-shaped HTTP responses.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, header};
use axum::response::IntoResponse;

use super::codes;
use super::json::J;

/// The text of the generic error status message.
pub(crate) const ERRORS_MESSAGE: &str = "One or more errors has occurred.";
/// The text of a completed export.
pub(crate) const COMPLETED_MESSAGE: &str = "Your request has been successfully completed.";

/// Accumulated validation errors: numeric key → messages.
#[derive(Debug, Default, Clone)]
pub(crate) struct Errors(BTreeMap<u16, Vec<String>>);

impl Errors {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn add(&mut self, code: u16, message: impl Into<String>) {
        let list = self.0.entry(code).or_default();
        let m = message.into();
        if !list.contains(&m) {
            list.push(m);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when empty, else the error reply.
    pub(crate) fn check(self) -> Result<(), Reply> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Reply::errors(self))
        }
    }

    fn to_json(&self) -> J {
        J::Obj(
            self.0
                .iter()
                .map(|(k, v)| (k.to_string(), J::Arr(v.iter().map(J::from).collect())))
                .collect(),
        )
    }
}

/// A response: status, JSON body, extra headers.
#[derive(Debug)]
pub(crate) struct Reply {
    status: StatusCode,
    body: J,
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl Reply {
    /// HTTP 200 with `body`.
    pub(crate) fn ok(body: J) -> Self {
        Self::with_status(StatusCode::OK, body)
    }

    pub(crate) fn with_status(status: StatusCode, body: J) -> Self {
        Self {
            status,
            body,
            headers: Vec::new(),
        }
    }

    pub(crate) fn header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// HTTP 400, `response_code: 1` and the `errors` map.
    pub(crate) fn errors(errors: Errors) -> Self {
        let body = J::obj()
            .with("success", false)
            .with("response_code", codes::RC_ERRORS_OR_COMPLETED)
            .with("status_message", ERRORS_MESSAGE)
            .with("errors", errors.to_json())
            .with("external_transaction_id", "");
        Self::with_status(StatusCode::BAD_REQUEST, body)
    }

    /// HTTP 400 with one error key.
    pub(crate) fn error(code: u16, message: impl Into<String>) -> Self {
        let mut e = Errors::new();
        e.add(code, message);
        Self::errors(e)
    }

    /// An OAuth error body (`{"error", "error_description"}`).
    pub(crate) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Self {
        let body = J::obj()
            .with("error", error)
            .with("error_description", description);
        Self::with_status(status, body)
    }

    /// The `response_code` of the body, if any (for tracing).
    pub(crate) fn response_code(&self) -> Option<u64> {
        if let J::Obj(fields) = &self.body {
            for (k, v) in fields {
                if k == "response_code"
                    && let J::UInt(c) = v
                {
                    return Some(*c);
                }
            }
        }
        None
    }

    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response<Body> {
        let mut res = Response::new(Body::from(self.body.to_bytes()));
        *res.status_mut() = self.status;
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        for (k, v) in self.headers {
            h.insert(k, v);
        }
        res
    }
}

/// `Param is missing or the value is empty: <name>` (970).
pub(crate) fn missing(errors: &mut Errors, name: &str) {
    errors.add(
        codes::E_PARAM_MISSING,
        format!("Param is missing or the value is empty: {name}"),
    );
}

/// Start a success body: `success`, `response_code`, `status_message`.
pub(crate) fn success(code: u16, message: impl Into<String>) -> J {
    J::obj()
        .with("success", true)
        .with("response_code", code)
        .with("status_message", message.into())
}
