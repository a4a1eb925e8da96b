//! The one place that sends requests: it adds the bearer token and `integrator_id`, runs the
//! [`Retrier`](mapping::retry::Retrier) with the call's [`Idempotency`], records one `tracing`
//! span per operation and turns PayTrace's answer into a typed value or an [`Error`].

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::SystemTime;

use mapping::retry::{Delivery, ErrorKind, Idempotency, parse_retry_after};
use mapping::transform::error::safe_excerpt;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tracing::{Instrument, Span};
use url::Url;

use crate::client::Client;
use crate::error::{ApiErrorDetail, Error, ResponseMeta, Result};
use crate::response::{ResponseCode, de};

/// One API operation: its span name, path and whether it may be resent.
pub(crate) struct Operation<'a> {
    pub(crate) name: &'static str,
    pub(crate) path: &'a str,
    pub(crate) idempotency: Idempotency,
    pub(crate) span: Span,
}

/// `operation!("paytrace.sale_keyed", "/v1/transactions/sale/keyed", NonIdempotent)`: an
/// [`Operation`] whose span is named after the operation (span names must be literals).
macro_rules! operation {
    ($name:literal, $path:expr, $idempotency:ident) => {
        $crate::http::Operation {
            name: $name,
            path: $path,
            idempotency: ::mapping::retry::Idempotency::$idempotency,
            span: ::tracing::info_span!(
                $name,
                "http.request.method" = "POST",
                "url.path" = $path,
                "http.response.status_code" = ::tracing::field::Empty,
                "paytrace.response_code" = ::tracing::field::Empty,
                "paytrace.request_id" = ::tracing::field::Empty,
                attempts = ::tracing::field::Empty,
                "error.type" = ::tracing::field::Empty,
            ),
        }
    };
}
pub(crate) use operation;

/// The request body with `integrator_id` added (PayTrace requires it in every v1 body).
#[derive(Serialize)]
struct WithIntegrator<'a, B: ?Sized> {
    #[serde(flatten)]
    body: &'a B,
    integrator_id: &'a str,
}

impl Client {
    /// Sends `body` to `operation.path` and decodes the answer as `T`, in the operation's
    /// span.
    pub(crate) async fn send<B, T>(&self, operation: Operation<'_>, body: &B) -> Result<T>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let span = operation.span.clone();
        let result = self
            .send_in_span(operation, body)
            .instrument(span.clone())
            .await;
        if let Err(error) = &result {
            span.record("error.type", error.kind().as_str());
        }
        result
    }

    async fn send_in_span<B, T>(&self, operation: Operation<'_>, body: &B) -> Result<T>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let Operation {
            name,
            path,
            idempotency,
            span,
        } = operation;
        let url = self.endpoint(path)?;
        let body = serde_json::to_vec(&WithIntegrator {
            body,
            integrator_id: self.integrator_id(),
        })
        .map_err(|e| Error::invalid("request body", e.to_string()))?;
        let attempts = AtomicU32::new(0);
        let (url, body, span_ref, attempts_ref) = (&url, &body, &span, &attempts);
        let result = self
            .inner
            .retrier
            .run(idempotency, move |attempt| {
                attempts_ref.store(attempt.number(), Ordering::Relaxed);
                self.attempt::<T>(url, body.clone(), span_ref)
            })
            .await;
        span.record("attempts", attempts.load(Ordering::Relaxed));
        result.map_err(|error| outcome_unknown(error, name, idempotency))
    }

    /// One try: token, POST, decode. A rejected token is invalidated so the Retrier's
    /// replay fetches a new one.
    async fn attempt<T: DeserializeOwned>(
        &self,
        url: &Url,
        body: Vec<u8>,
        span: &Span,
    ) -> Result<T> {
        let auth = &self.inner.auth;
        let token = auth.header(&self.inner.http).await?;
        let response = self
            .inner
            .http
            .post(url.clone())
            .header(AUTHORIZATION, token.value().clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(Error::transport)?;
        let result = read_response(response, span).await;
        if let Err(error) = &result
            && error.kind() == ErrorKind::AuthExpired
        {
            auth.invalidate(&token);
        }
        result
    }

    /// `path` under the base URL, refusing anything that would leave its origin (the bearer
    /// token must never go elsewhere).
    pub(crate) fn endpoint(&self, path: &str) -> Result<Url> {
        let base = &self.inner.base_url;
        let url = base
            .join(path.trim_start_matches('/'))
            .map_err(|e| Error::invalid("path", format!("{path:?}: {e}")))?;
        if url.origin() != base.origin() || !url.path().starts_with(base.path()) {
            return Err(Error::invalid(
                "path",
                format!("{path:?} leaves the configured base URL"),
            ));
        }
        Ok(url)
    }
}

/// A money-moving call that failed after it may have reached PayTrace (a timeout, a dropped
/// connection, a 5xx, an unreadable answer) becomes [`Error::OutcomeUnknown`]: it was not
/// resent, and must be reconciled.
fn outcome_unknown(error: Error, operation: &'static str, idempotency: Idempotency) -> Error {
    if idempotency == Idempotency::Idempotent || error.delivery() == Delivery::NotSent {
        return error;
    }
    // The Retrier already reported retryable kinds as an unknown outcome; not the others.
    if !error.is_retryable() {
        tracing::warn!(
            error.kind = error.kind().as_str(),
            "unreadable answer: the request may have taken effect; not resent"
        );
    }
    Error::OutcomeUnknown {
        operation,
        source: Box::new(error),
    }
}

/// Reads an answer and decodes it, recording status, request id and response code on `span`.
pub(crate) async fn read_response<T: DeserializeOwned>(
    response: reqwest::Response,
    span: &Span,
) -> Result<T> {
    let meta = response_meta(response.status().as_u16(), response.headers());
    span.record("http.response.status_code", meta.status);
    if let Some(id) = &meta.request_id {
        span.record("paytrace.request_id", id.as_str());
    }
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.bytes().await.map_err(Error::transport)?;
    let (code, result) = decode(meta, content_type, &body);
    if let Some(code) = code {
        span.record("paytrace.response_code", code.as_u32());
    }
    result
}

fn response_meta(status: u16, headers: &HeaderMap) -> ResponseMeta {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    ResponseMeta {
        status,
        request_id: text("x-request-id").map(str::to_owned),
        retry_after: text(RETRY_AFTER.as_str())
            .and_then(|v| parse_retry_after(v, SystemTime::now())),
    }
}

/// The fields that tell an error body from an answer, read before decoding the answer itself.
#[derive(Deserialize, Default)]
struct Probe {
    #[serde(default)]
    success: Option<bool>,
    #[serde(default)]
    response_code: Option<ResponseCode>,
    #[serde(default, deserialize_with = "de::opt_text")]
    status_message: Option<String>,
    #[serde(default)]
    errors: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "de::opt_text")]
    error: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    error_description: Option<String>,
}

/// Turns a body into `T` or an [`Error`], whatever the HTTP status (reference §4.4):
///
/// 1. not JSON (an HTML gateway page) → [`Error::UnexpectedResponse`] with an excerpt;
/// 2. an OAuth error object (`error`) → [`Error::OAuth`];
/// 3. `errors`, or `success: false` with `response_code: 1` → [`Error::Api`];
/// 4. an error status without PayTrace's fields → [`Error::UnexpectedResponse`];
/// 5. otherwise `T`, decline or not; a shape mismatch → [`Error::Decode`] naming the path.
///
/// Also returns the `response_code`, when there was one, for tracing.
pub(crate) fn decode<T: DeserializeOwned>(
    response: ResponseMeta,
    content_type: Option<String>,
    body: &[u8],
) -> (Option<ResponseCode>, Result<T>) {
    let unexpected =
        |response: ResponseMeta, content_type: Option<String>| Error::UnexpectedResponse {
            excerpt: excerpt(body),
            response,
            content_type,
            attempts: 1,
        };
    let probe = match serde_json::from_slice::<Probe>(body) {
        Ok(probe) => probe,
        // Valid JSON of another shape: decoding `T` below says where it differs.
        Err(e) if e.is_data() => Probe::default(),
        Err(_) => return (None, Err(unexpected(response, content_type))),
    };
    let code = probe.response_code;
    if probe.response_code.is_none()
        && let Some(error) = probe.error
    {
        let error = Error::OAuth {
            error,
            error_description: probe.error_description,
            response,
            attempts: 1,
        };
        return (code, Err(error));
    }
    let errors = probe.errors.as_ref().map(error_details).unwrap_or_default();
    let failed = probe.success == Some(false) && code == Some(ResponseCode::Completed);
    if !errors.is_empty() || failed {
        let error = Error::Api {
            response_code: code.unwrap_or(ResponseCode::Completed),
            status_message: probe.status_message,
            errors,
            response,
            attempts: 1,
        };
        return (code, Err(error));
    }
    if !(200..300).contains(&response.status) && code.is_none() {
        return (code, Err(unexpected(response, content_type)));
    }
    let mut json = serde_json::Deserializer::from_slice(body);
    let result = serde_path_to_error::deserialize(&mut json).map_err(|e| Error::Decode {
        path: e.path().to_string(),
        response,
        attempts: 1,
        source: e.into_inner(),
    });
    (code, result)
}

/// PayTrace's `errors` object (`{"35": ["…"], "43": ["…"]}`) as a list sorted by code. Other
/// shapes (a list, a string) are kept with an empty code.
fn error_details(errors: &serde_json::Value) -> Vec<ApiErrorDetail> {
    use serde_json::Value;
    fn messages(value: &Value) -> Vec<String> {
        match value {
            Value::Array(items) => items.iter().flat_map(messages).collect(),
            Value::String(text) => vec![text.trim().to_owned()],
            Value::Null => Vec::new(),
            other => vec![other.to_string()],
        }
    }
    let mut details: Vec<ApiErrorDetail> = match errors {
        Value::Object(map) => map
            .iter()
            .map(|(code, value)| ApiErrorDetail {
                code: code.trim().to_owned(),
                messages: messages(value),
            })
            .collect(),
        Value::Null => Vec::new(),
        other => vec![ApiErrorDetail {
            code: String::new(),
            messages: messages(other),
        }],
    };
    details.retain(|d| !d.code.is_empty() || !d.messages.is_empty());
    details.sort_by_key(|d| (d.code_number().unwrap_or(u32::MAX), d.code.clone()));
    details
}

/// The start of a body that is not a PayTrace answer: tags dropped, whitespace collapsed,
/// long digit runs masked and cut short by `mapping`'s [`safe_excerpt`].
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn meta(status: u16) -> ResponseMeta {
        ResponseMeta {
            status,
            request_id: None,
            retry_after: None,
        }
    }

    fn run(status: u16, body: &str) -> Result<Value> {
        decode::<Value>(meta(status), None, body.as_bytes()).1
    }

    #[test]
    fn error_bodies_table() {
        let validation = r#"{"success":false,"response_code":1,"status_message":"One or more errors has occurred.","errors":{"43":["Please provide a valid Expiration Month."],"35":["Please provide a valid Credit Card Number."]},"external_transaction_id":""}"#;
        let cases: &[(u16, &str, &str, ErrorKind)] = &[
            (400, validation, "api", ErrorKind::Validation),
            (200, validation, "api", ErrorKind::Validation),
            (
                401,
                r#"{"error":"invalid_token","error_description":"The access token is invalid"}"#,
                "oauth",
                ErrorKind::AuthExpired,
            ),
            (
                400,
                r#"{"error":"invalid_grant","error_description":"The provided authorization grant is invalid"}"#,
                "oauth",
                ErrorKind::Unauthorized,
            ),
            (
                502,
                "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
                "unexpected",
                ErrorKind::Transient,
            ),
            (
                200,
                "<html>maintenance</html>",
                "unexpected",
                ErrorKind::Decode,
            ),
            (503, "", "unexpected", ErrorKind::Transient),
            (
                429,
                r#"{"message":"slow down"}"#,
                "unexpected",
                ErrorKind::Throttled,
            ),
            (
                400,
                r#"{"success":false,"response_code":1,"errors":{"998":["Log in failed."]}}"#,
                "api",
                ErrorKind::Unauthorized,
            ),
        ];
        for (status, body, variant, kind) in cases {
            let err = run(*status, body).unwrap_err();
            let got = match &err {
                Error::Api { .. } => "api",
                Error::OAuth { .. } => "oauth",
                Error::UnexpectedResponse { .. } => "unexpected",
                Error::Decode { .. } => "decode",
                _ => "other",
            };
            assert_eq!((got, err.kind()), (*variant, *kind), "{status} {body}");
        }
    }

    #[test]
    fn validation_errors_keep_every_code_sorted() {
        let err = run(
            400,
            r#"{"success":false,"response_code":1,"errors":{"43":["bad month"],"35":["bad number","really"],"100":["x"]}}"#,
        )
        .unwrap_err();
        let codes: Vec<&str> = err.api_errors().iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, ["35", "43", "100"]);
        assert_eq!(err.api_errors()[0].messages, ["bad number", "really"]);
        assert_eq!(err.code(), Some("35"));
    }

    #[test]
    fn answers_decode_whatever_the_status() {
        let decline = r#"{"success":false,"response_code":102,"status_message":"Your transaction was not approved.","transaction_id":1}"#;
        assert_eq!(run(200, decline).unwrap()["response_code"], 102);
        assert_eq!(run(402, decline).unwrap()["transaction_id"], 1);
        let (code, _) = decode::<Value>(meta(200), None, decline.as_bytes());
        assert_eq!(code, Some(ResponseCode::Declined));
        assert_eq!(
            run(200, r#"{"clientKey":"k"}"#).unwrap(),
            json!({"clientKey": "k"})
        );
    }

    #[test]
    fn decode_errors_name_the_path() {
        #[derive(Debug, Deserialize)]
        struct Export {
            #[allow(dead_code)]
            transactions: Vec<Record>,
        }
        #[derive(Debug, Deserialize)]
        struct Record {
            #[allow(dead_code)]
            transaction_id: u64,
        }
        let body = r#"{"success":true,"response_code":1,"transactions":[{"transaction_id":1},{"transaction_id":"x"}]}"#;
        let err = decode::<Export>(meta(200), None, body.as_bytes())
            .1
            .unwrap_err();
        match err {
            Error::Decode { path, .. } => assert_eq!(path, "transactions[1].transaction_id"),
            other => panic!("{other:?}"),
        }
        let bad_code = r#"{"success":true,"response_code":"abc"}"#;
        let err = decode::<crate::TransactionResponse>(meta(200), None, bad_code.as_bytes())
            .1
            .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "response_code"),
            "{err:?}"
        );
    }

    #[test]
    fn excerpts_are_short_and_mask_card_numbers() {
        let html = format!(
            "<html><body><h1>Bad Gateway</h1><p>{}</p>{}</body></html>",
            "4111111111111111",
            " x".repeat(500)
        );
        let err = run(502, &html).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("Bad Gateway"), "{text}");
        assert!(!text.contains("41111111"), "{text}");
        assert!(text.len() < 200, "{text}");
    }
}
