//! The one place that sends requests: it adds the bearer token, builds the URL on the
//! instance's origin (and refuses any other), runs the [`Retrier`](mapping::retry::Retrier)
//! with the call's [`Idempotency`], refreshes an expired session once, records one `tracing`
//! span per operation, reads `Sforce-Limit-Info`, and turns Salesforce's error bodies into
//! [`Error`].

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::{Duration, SystemTime};

use mapping::retry::{CachedToken, Delivery, ErrorKind, Idempotency, parse_retry_after};
use mapping::transform::error::safe_excerpt;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::{Instrument, Span};
use url::Url;

use crate::auth::Session;
use crate::client::Client;
use crate::error::{Error, ErrorDetail, OAuthErrorCode, ResponseMeta, Result};
use crate::limits::LimitInfo;

/// Characters left as they are in a path segment or query component: RFC 3986's unreserved
/// set. Everything else is percent-encoded, so a space is `%20` (never `+`), and `/`, `?`,
/// `#`, `&` and `%` in a value cannot change the URL's structure.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment or query component.
pub(crate) fn encode(component: &str) -> String {
    utf8_percent_encode(component, COMPONENT).to_string()
}

/// A path under `/services/data/vNN.0/`, percent-encoded, with a copy for traces in which
/// record ids and external-ID values (which may be personal data) are placeholders.
#[derive(Debug, Clone, Default)]
pub(crate) struct DataPath {
    encoded: String,
    shown: String,
}

impl DataPath {
    pub(crate) fn new() -> Self {
        DataPath::default()
    }

    fn push(mut self, encoded: &str, shown: &str) -> Self {
        if !self.encoded.is_empty() {
            self.encoded.push('/');
            self.shown.push('/');
        }
        self.encoded.push_str(encoded);
        self.shown.push_str(shown);
        self
    }

    /// A segment shown in traces as it is: a resource, object or field name.
    pub(crate) fn seg(self, name: &str) -> Self {
        let encoded = encode(name);
        self.push(&encoded, &encoded)
    }

    /// A segment shown in traces as `placeholder`: a record id or an external-ID value.
    pub(crate) fn value(self, value: &str, placeholder: &str) -> Self {
        self.push(&encode(value), placeholder)
    }

    /// A trailing slash, as some resources are documented (`limits/`, `sobjects/`).
    pub(crate) fn slash(mut self) -> Self {
        self.encoded.push('/');
        self.shown.push('/');
        self
    }

    /// The encoded path, as used inside composite subrequests.
    pub(crate) fn encoded(&self) -> &str {
        &self.encoded
    }
}

/// Where a call goes.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// Under `/services/data/vNN.0/`.
    Data(DataPath),
    /// A link as Salesforce (or the caller) gave it: a path from the instance root
    /// (`/services/data/`, a `nextRecordsUrl`) or an absolute URL, which must be on the
    /// instance's origin.
    Link(String),
}

/// One API operation's name and span: `op!("salesforce.upsert")`.
pub(crate) struct Op {
    pub(crate) name: &'static str,
    pub(crate) span: Span,
}

/// `op!("salesforce.query")`: an [`Op`] whose span is named after the operation (span names
/// must be literals), with the fields the send path fills in.
macro_rules! op {
    ($name:literal) => {
        $crate::http::Op {
            name: $name,
            span: ::tracing::info_span!(
                $name,
                "http.request.method" = ::tracing::field::Empty,
                "url.path" = ::tracing::field::Empty,
                "salesforce.sobject" = ::tracing::field::Empty,
                "http.response.status_code" = ::tracing::field::Empty,
                "salesforce.error_code" = ::tracing::field::Empty,
                "salesforce.request_id" = ::tracing::field::Empty,
                attempts = ::tracing::field::Empty,
                "error.type" = ::tracing::field::Empty,
            ),
        }
    };
}
pub(crate) use op;

/// A request body produced while it is sent (a Bulk API CSV upload), so it is never whole in
/// memory. Each attempt asks for a fresh [`reqwest::Body`]; the producer refuses once an earlier
/// attempt has taken any of its bytes, since those cannot be produced again.
#[derive(Clone)]
pub(crate) struct StreamBody {
    pub(crate) content_type: &'static str,
    pub(crate) make: Arc<dyn Fn() -> Result<reqwest::Body> + Send + Sync>,
}

impl fmt::Debug for StreamBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamBody")
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

/// A request to send: method, target, query, extra headers, body, and whether it may be
/// resent.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    method: Method,
    target: Target,
    query: Vec<(&'static str, String)>,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
    content_type: &'static str,
    stream_body: Option<StreamBody>,
    timeout: Option<Duration>,
    stream_response: bool,
    idempotency: Idempotency,
    also_ok: &'static [u16],
    sobject: Option<String>,
}

impl Call {
    /// A call; `GET`, `PATCH`, `PUT` and `DELETE` are idempotent, `POST` is not.
    pub(crate) fn new(method: Method, target: Target) -> Self {
        let idempotency = if method == Method::POST {
            Idempotency::NonIdempotent
        } else {
            Idempotency::Idempotent
        };
        Call {
            method,
            target,
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: None,
            content_type: "application/json",
            stream_body: None,
            timeout: None,
            stream_response: false,
            idempotency,
            also_ok: &[],
            sobject: None,
        }
    }

    pub(crate) fn get(path: DataPath) -> Self {
        Call::new(Method::GET, Target::Data(path))
    }

    pub(crate) fn query(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.query.push((name, value.into()));
        self
    }

    pub(crate) fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// The JSON body.
    pub(crate) fn json(mut self, body: &(impl Serialize + ?Sized)) -> Result<Self> {
        let bytes =
            serde_json::to_vec(body).map_err(|e| Error::invalid("request body", e.to_string()))?;
        self.body = Some(bytes);
        Ok(self)
    }

    /// A body that is not JSON (a CSV file), with its content type.
    pub(crate) fn body(mut self, bytes: Vec<u8>, content_type: &'static str) -> Self {
        self.body = Some(bytes);
        self.content_type = content_type;
        self
    }

    /// A body produced while it is sent.
    pub(crate) fn stream_body(mut self, body: StreamBody) -> Self {
        self.stream_body = Some(body);
        self
    }

    /// A timeout for this call instead of the client's (a long poll).
    pub(crate) fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Leaves a successful answer's body unread, in [`Reply::response`], for the caller to
    /// stream. Retries cover the request up to the answer's status line; a failure while the
    /// body is read is the caller's.
    pub(crate) fn stream_response(mut self) -> Self {
        self.stream_response = true;
        self
    }

    pub(crate) fn idempotency(mut self, idempotency: Idempotency) -> Self {
        self.idempotency = idempotency;
        self
    }

    /// Non-2xx statuses whose body the caller reads itself (a tree's 400 with per-record
    /// results).
    pub(crate) fn also_ok(mut self, statuses: &'static [u16]) -> Self {
        self.also_ok = statuses;
        self
    }

    /// The sObject the call is about, for the span.
    pub(crate) fn sobject(mut self, name: &str) -> Self {
        self.sobject = Some(name.to_owned());
        self
    }
}

/// A successful answer (or one of the call's `also_ok` statuses), body read (or, for a
/// [`stream_response`](Call::stream_response) call, left in `response`).
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) meta: ResponseMeta,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
    pub(crate) response: Option<reqwest::Response>,
    /// The session the request was sent with, for an answer that rejects it inside a `200`
    /// (the Streaming API's `401::Authentication invalid`).
    pub(crate) session: CachedToken<Arc<Session>>,
    pub(crate) attempts: u32,
}

impl Reply {
    pub(crate) fn status(&self) -> u16 {
        self.meta.status
    }

    /// Decodes the body as `T`; an empty body (204) decodes as JSON `null`.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T> {
        let body: &[u8] = if self.body.iter().all(u8::is_ascii_whitespace) {
            b"null"
        } else {
            &self.body
        };
        let mut json = serde_json::Deserializer::from_slice(body);
        serde_path_to_error::deserialize(&mut json).map_err(|e| Error::Decode {
            path: e.path().to_string(),
            response: self.meta.clone(),
            attempts: self.attempts,
            source: e.into_inner(),
        })
    }

    /// The error this answer means, for a caller that accepted a non-2xx status and could
    /// not use it.
    pub(crate) fn into_error(self) -> Error {
        let mut error = error_from(self.meta, &self.body);
        error.set_attempts(self.attempts);
        error
    }
}

impl Client {
    /// Sends `call` under `op`'s span and returns the answer.
    ///
    /// A call that is not idempotent and may have reached Salesforce comes back as
    /// [`Error::OutcomeUnknown`] and is never resent.
    pub(crate) async fn send(&self, op: Op, call: Call) -> Result<Reply> {
        let Op { name, span } = op;
        span.record("http.request.method", call.method.as_str());
        span.record("url.path", self.shown_path(&call.target).as_str());
        if let Some(sobject) = &call.sobject {
            span.record("salesforce.sobject", sobject.as_str());
        }
        let attempts = AtomicU32::new(0);
        let (call_ref, span_ref, attempts_ref) = (&call, &span, &attempts);
        let result = self
            .inner
            .retrier
            .run(call.idempotency, move |attempt| {
                attempts_ref.store(attempt.number(), Ordering::Relaxed);
                self.attempt(call_ref, span_ref)
            })
            .instrument(span.clone())
            .await;
        let attempts = attempts.load(Ordering::Relaxed);
        span.record("attempts", attempts);
        match result {
            Ok(mut reply) => {
                reply.attempts = attempts;
                Ok(reply)
            }
            Err(error) => {
                span.record("error.type", error.kind().as_str());
                if let Some(code) = error.code() {
                    span.record("salesforce.error_code", code);
                }
                let unknown = call.idempotency == Idempotency::NonIdempotent
                    && error.delivery() == Delivery::MaybeSent
                    && error.kind() != ErrorKind::OutcomeUnknown;
                Err(if unknown {
                    Error::OutcomeUnknown {
                        operation: name,
                        source: Box::new(error),
                    }
                } else {
                    error
                })
            }
        }
    }

    /// One try: session, URL, request, answer. A session Salesforce rejected is invalidated
    /// so the Retrier's replay fetches a new one; when the credentials cannot renew it, the
    /// error becomes [`Error::Token`] and is not replayed.
    async fn attempt(&self, call: &Call, span: &Span) -> Result<Reply> {
        let auth = &self.inner.auth;
        let session = auth.session().await?;
        let url = self.url(&call.target, &call.query, &session.value().instance_url)?;
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), url)
            .header(AUTHORIZATION, session.value().authorization.clone())
            .header(ACCEPT, "application/json")
            .headers(call.headers.clone());
        if let Some(body) = &call.body {
            request = request
                .header(CONTENT_TYPE, call.content_type)
                .body(body.clone());
        } else if let Some(body) = &call.stream_body {
            request = request
                .header(CONTENT_TYPE, body.content_type)
                .body((body.make)()?);
        }
        if let Some(timeout) = call.timeout {
            request = request.timeout(timeout);
        }
        let response = request.send().await.map_err(Error::transport)?;
        let meta = response_meta(response.status().as_u16(), response.headers());
        let headers = response.headers().clone();
        span.record("http.response.status_code", meta.status);
        if let Some(id) = &meta.request_id {
            span.record("salesforce.request_id", id.as_str());
        }
        if let Some(info) = &meta.limit_info {
            *self
                .inner
                .last_limits
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(info.clone());
        }
        if call.stream_response && (200..300).contains(&meta.status) {
            return Ok(Reply {
                meta,
                headers,
                body: Vec::new(),
                response: Some(response),
                session,
                attempts: 1,
            });
        }
        let body = response.bytes().await.map_err(Error::transport)?;
        if (200..300).contains(&meta.status) || call.also_ok.contains(&meta.status) {
            return Ok(Reply {
                meta,
                headers,
                body: body.into(),
                response: None,
                session,
                attempts: 1,
            });
        }
        let error = error_from(meta, &body);
        if error.kind() == ErrorKind::AuthExpired {
            if !auth.can_refresh() {
                return Err(Error::Token {
                    source: Box::new(error),
                });
            }
            auth.invalidate(&session);
        }
        Err(error)
    }

    /// The URL of `target` on `instance`, refusing anything that would leave its origin: the
    /// bearer token is never sent elsewhere.
    fn url(
        &self,
        target: &Target,
        query: &[(&'static str, String)],
        instance: &Url,
    ) -> Result<Url> {
        let mut url = match target {
            Target::Data(path) => instance.join(&format!(
                "/services/data/{}/{}",
                self.api_version().path_segment(),
                path.encoded
            )),
            Target::Link(link) => instance.join(link.trim()),
        }
        .map_err(|e| Error::invalid("url", e.to_string()))?;
        if url.origin() != instance.origin() {
            return Err(Error::invalid(
                "url",
                format!(
                    "{} is not on the instance's origin {}; the access token is only sent there",
                    url.origin().ascii_serialization(),
                    instance.origin().ascii_serialization()
                ),
            ));
        }
        if !query.is_empty() {
            let mut text = url.query().map(str::to_owned).unwrap_or_default();
            for (name, value) in query {
                if !text.is_empty() {
                    text.push('&');
                }
                text.push_str(name);
                text.push('=');
                text.push_str(&encode(value));
            }
            url.set_query(Some(&text));
        }
        Ok(url)
    }

    /// The path shown in traces: ids and values as placeholders, never a query string.
    fn shown_path(&self, target: &Target) -> String {
        match target {
            Target::Data(path) => format!(
                "/services/data/{}/{}",
                self.api_version().path_segment(),
                path.shown
            ),
            Target::Link(link) => match Url::parse(link) {
                Ok(url) => url.path().to_owned(),
                Err(_) => link.split(['?', '#']).next().unwrap_or_default().to_owned(),
            },
        }
    }
}

pub(crate) fn response_meta(status: u16, headers: &HeaderMap) -> ResponseMeta {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    ResponseMeta {
        status,
        request_id: text("x-request-id").map(str::to_owned),
        retry_after: text(RETRY_AFTER.as_str())
            .and_then(|v| parse_retry_after(v, SystemTime::now())),
        limit_info: text("sforce-limit-info").and_then(LimitInfo::parse),
    }
}

/// Turns an error answer into an [`Error`] (reference §2.8, §1.6):
///
/// 1. 300 → [`Error::MultipleMatches`] with the records listed;
/// 2. Salesforce's error array (or a single error object) → [`Error::Api`];
/// 3. an OAuth error object (`error`, `error_description`) → [`Error::OAuth`];
/// 4. anything else → [`Error::UnexpectedResponse`] with a short, masked excerpt.
pub(crate) fn error_from(meta: ResponseMeta, body: &[u8]) -> Error {
    use serde_json::Value;
    let json: Option<Value> = serde_json::from_slice(body).ok();
    if meta.status == 300 {
        return Error::MultipleMatches {
            matches: json.as_ref().map(matches_of).unwrap_or_default(),
            response: meta,
            attempts: 1,
        };
    }
    let details = |items: &[Value]| -> Option<Vec<ErrorDetail>> {
        let details: Vec<ErrorDetail> = items
            .iter()
            .filter(|item| item.get("errorCode").is_some() || item.get("statusCode").is_some())
            .filter_map(|item| serde_json::from_value(item.clone()).ok())
            .collect();
        (!details.is_empty()).then_some(details)
    };
    match &json {
        Some(Value::Array(items)) => {
            if let Some(errors) = details(items) {
                return Error::Api {
                    errors,
                    response: meta,
                    attempts: 1,
                };
            }
        }
        Some(object @ Value::Object(map)) => {
            if let Some(Value::String(code)) = map.get("error") {
                return Error::OAuth {
                    error: OAuthErrorCode::parse(code),
                    description: map
                        .get("error_description")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    response: meta,
                    attempts: 1,
                };
            }
            if let Some(errors) = details(std::slice::from_ref(object)) {
                return Error::Api {
                    errors,
                    response: meta,
                    attempts: 1,
                };
            }
        }
        _ => {}
    }
    Error::UnexpectedResponse {
        excerpt: excerpt(body),
        response: meta,
        attempts: 1,
    }
}

/// The records a 300 lists: URLs as strings, or objects with a URL or id (the exact shape is
/// not documented, reference §2.3).
fn matches_of(body: &serde_json::Value) -> Vec<String> {
    use serde_json::Value;
    let one = |item: &Value| -> String {
        match item {
            Value::String(url) => url.clone(),
            Value::Object(map) => ["url", "Id", "id"]
                .iter()
                .find_map(|key| map.get(*key).and_then(Value::as_str))
                .or_else(|| item.pointer("/attributes/url").and_then(Value::as_str))
                .map_or_else(|| item.to_string(), str::to_owned),
            other => other.to_string(),
        }
    };
    match body {
        Value::Array(items) => items.iter().map(one).collect(),
        other => vec![one(other)],
    }
}

/// The start of a body that is not a Salesforce answer: whitespace collapsed, long digit runs
/// masked and cut short by `mapping`'s [`safe_excerpt`].
fn excerpt(body: &[u8]) -> String {
    let head = String::from_utf8_lossy(body.get(..1024).unwrap_or(body));
    safe_excerpt(&head.split_whitespace().collect::<Vec<_>>().join(" "))
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

    #[test]
    fn components_are_percent_encoded_with_spaces_as_20() {
        assert_eq!(
            encode("SELECT Id FROM Account"),
            "SELECT%20Id%20FROM%20Account"
        );
        assert_eq!(encode("a+b/c?d#e&f=g%"), "a%2Bb%2Fc%3Fd%23e%26f%3Dg%25");
        assert_eq!(encode("O'Brien"), "O%27Brien");
        assert_eq!(encode("é"), "%C3%A9");
        assert_eq!(encode("Pay-1_2.3~"), "Pay-1_2.3~");
    }

    #[test]
    fn data_paths_hide_values_in_traces() {
        let path = DataPath::new()
            .seg("sobjects")
            .seg("Payment__c")
            .seg("PaymentID__c")
            .value("jane@example.com/1", "{value}");
        assert_eq!(
            path.encoded,
            "sobjects/Payment__c/PaymentID__c/jane%40example.com%2F1"
        );
        assert_eq!(path.shown, "sobjects/Payment__c/PaymentID__c/{value}");
    }

    #[test]
    fn error_bodies_table() {
        let cases: &[(u16, &str, &str, ErrorKind)] = &[
            (
                401,
                r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#,
                "api",
                ErrorKind::AuthExpired,
            ),
            (
                404,
                r#"{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}"#,
                "api",
                ErrorKind::NotFound,
            ),
            (
                400,
                r#"{"error":"invalid_grant","error_description":"authentication failure"}"#,
                "oauth",
                ErrorKind::Unauthorized,
            ),
            (
                300,
                r#"["/services/data/v66.0/sobjects/Account/001A","/services/data/v66.0/sobjects/Account/001B"]"#,
                "matches",
                ErrorKind::Conflict,
            ),
            (
                502,
                "<html><body>Bad Gateway</body></html>",
                "unexpected",
                ErrorKind::Transient,
            ),
            (503, "", "unexpected", ErrorKind::Transient),
            (
                400,
                r#"[{"unexpected":true}]"#,
                "unexpected",
                ErrorKind::Validation,
            ),
        ];
        for (status, body, variant, kind) in cases {
            let error = error_from(meta(*status), body.as_bytes());
            let got = match &error {
                Error::Api { .. } => "api",
                Error::OAuth { .. } => "oauth",
                Error::MultipleMatches { .. } => "matches",
                Error::UnexpectedResponse { .. } => "unexpected",
                _ => "other",
            };
            assert_eq!((got, error.kind()), (*variant, *kind), "{status} {body}");
        }
    }

    #[test]
    fn multiple_matches_list_records_whatever_the_shape() {
        let strings = error_from(meta(300), br#"["/a/001A","/a/001B"]"#);
        assert_eq!(strings.matches(), ["/a/001A", "/a/001B"]);
        let objects = error_from(
            meta(300),
            br#"[{"attributes":{"type":"Account","url":"/a/001A"}},{"Id":"001B"}]"#,
        );
        assert_eq!(objects.matches(), ["/a/001A", "001B"]);
    }

    #[test]
    fn excerpts_are_short_and_masked() {
        let body = format!("<html>  card 4111111111111111 {}</html>", "x ".repeat(400));
        let error = error_from(meta(502), body.as_bytes());
        let text = error.to_string();
        assert!(!text.contains("41111111"), "{text}");
        assert!(text.len() < 200, "{text}");
    }
}
