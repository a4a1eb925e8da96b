//! The emulator's own request/response values, independent of axum so that `$batch` parts
//! run through exactly the same handlers as top-level requests.

use axum::body::{Body as AxumBody, Bytes};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode, header};
use serde_json::Value;

/// Content type of OData JSON payloads.
pub(crate) const ODATA_JSON: &str =
    "application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8";
/// Content type of plain JSON payloads (Entra ID, ASP.NET routing errors).
pub(crate) const PLAIN_JSON: &str = "application/json; charset=utf-8";

/// One request (top level or a `$batch` part).
#[derive(Clone, Debug)]
pub(crate) struct Req {
    pub(crate) method: Method,
    /// Percent-encoded path, e.g. `/data/CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')`.
    pub(crate) path: String,
    /// Raw query string without `?`.
    pub(crate) query: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Req {
    /// A header value as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Path and query as sent.
    pub(crate) fn path_and_query(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }
}

/// A response body.
#[derive(Clone, Debug)]
pub(crate) enum Body {
    Empty,
    Json(Value, &'static str),
    Text(String, String),
}

/// One response (top level or a `$batch` part).
#[derive(Clone, Debug)]
pub(crate) struct Resp {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Body,
}

impl Resp {
    /// OData JSON with `OData-Version: 4.0`.
    pub(crate) fn odata(status: StatusCode, v: Value) -> Self {
        Self {
            status,
            headers: HeaderMap::new(),
            body: Body::Json(v, ODATA_JSON),
        }
        .header("OData-Version", "4.0")
    }

    /// Plain JSON (no OData headers).
    pub(crate) fn plain(status: StatusCode, v: Value) -> Self {
        Self {
            status,
            headers: HeaderMap::new(),
            body: Body::Json(v, PLAIN_JSON),
        }
    }

    /// No body.
    pub(crate) fn empty(status: StatusCode) -> Self {
        Self {
            status,
            headers: HeaderMap::new(),
            body: Body::Empty,
        }
    }

    /// A text body with its content type.
    pub(crate) fn text(status: StatusCode, content_type: &str, text: String) -> Self {
        Self {
            status,
            headers: HeaderMap::new(),
            body: Body::Text(text, content_type.to_owned()),
        }
    }

    /// Add a header (a value that is not a valid header value is dropped).
    #[must_use]
    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            self.headers.append(n, v);
        }
        self
    }

    /// A header value as text.
    pub(crate) fn header_value(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Content type and bytes of the body, if any.
    pub(crate) fn body_bytes(&self) -> Option<(String, Vec<u8>)> {
        match &self.body {
            Body::Empty => None,
            Body::Json(v, ct) => Some(((*ct).to_owned(), v.to_string().into_bytes())),
            Body::Text(t, ct) => Some((ct.clone(), t.clone().into_bytes())),
        }
    }

    /// The JSON body, if it is one.
    pub(crate) fn json(&self) -> Option<&Value> {
        match &self.body {
            Body::Json(v, _) => Some(v),
            _ => None,
        }
    }

    /// Whether the status is 2xx.
    pub(crate) fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// Into an HTTP response.
    pub(crate) fn into_http(self) -> Response<AxumBody> {
        let bytes = self.body_bytes();
        let mut res = match bytes {
            Some((ct, data)) => {
                let mut r = Response::new(AxumBody::from(data));
                if let Ok(v) = HeaderValue::try_from(ct) {
                    r.headers_mut().insert(header::CONTENT_TYPE, v);
                }
                r
            }
            None => Response::new(AxumBody::empty()),
        };
        *res.status_mut() = self.status;
        for (name, value) in &self.headers {
            res.headers_mut().append(name.clone(), value.clone());
        }
        res
    }
}
