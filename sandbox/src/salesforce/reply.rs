//! A response under construction: status, extra headers and a JSON, text or empty body.
//! Composite resources read it back as `{body, httpHeaders, httpStatusCode}`.

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value};

use super::errors::SfError;

/// The body of a [`Reply`].
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ReplyBody {
    Empty,
    Json(Value),
    Text(String),
}

/// One response.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: ReplyBody,
}

/// What handlers return.
pub(crate) type Res = Result<Reply, SfError>;

impl Reply {
    pub(crate) fn json(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: ReplyBody::Json(body),
        }
    }

    pub(crate) fn ok(body: Value) -> Self {
        Self::json(StatusCode::OK, body)
    }

    pub(crate) fn created(body: Value) -> Self {
        Self::json(StatusCode::CREATED, body)
    }

    pub(crate) fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            headers: Vec::new(),
            body: ReplyBody::Empty,
        }
    }

    pub(crate) fn text(status: StatusCode, text: impl Into<String>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: ReplyBody::Text(text.into()),
        }
    }

    pub(crate) fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub(crate) fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// The body as JSON (`null` when empty) for composite results.
    pub(crate) fn body_value(&self) -> Value {
        match &self.body {
            ReplyBody::Empty => Value::Null,
            ReplyBody::Json(v) => v.clone(),
            ReplyBody::Text(t) => Value::String(t.clone()),
        }
    }

    /// The headers for a composite result's `httpHeaders`.
    pub(crate) fn headers_value(&self) -> Value {
        let m: Map<String, Value> = self
            .headers
            .iter()
            .filter(|(k, _)| k != "Sforce-Limit-Info")
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        Value::Object(m)
    }

    pub(crate) fn into_response(self) -> Response {
        let (body, ctype) = match self.body {
            ReplyBody::Empty => (Body::empty(), None),
            ReplyBody::Json(v) => (
                Body::from(serde_json::to_vec(&v).unwrap_or_default()),
                Some("application/json;charset=UTF-8"),
            ),
            ReplyBody::Text(t) => (Body::from(t), Some("text/plain;charset=UTF-8")),
        };
        let mut res = Response::new(body);
        *res.status_mut() = self.status;
        if let Some(c) = ctype {
            res.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(c));
        }
        for (k, v) in self.headers {
            if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
                res.headers_mut().append(k, v);
            }
        }
        res
    }
}

impl From<SfError> for Reply {
    fn from(e: SfError) -> Self {
        let mut r = Self::json(e.status, e.body());
        if e.code == "INVALID_SESSION_ID" {
            r = r.header("WWW-Authenticate", "Token");
        }
        r
    }
}
