//! The one place that sends requests: it adds the bearer token and the OData headers, holds a
//! permit of the client's concurrency limit while a request is in flight, runs the
//! [`Retrier`](mapping::retry::Retrier) with the call's [`Idempotency`], records one `tracing`
//! span per operation and turns error answers into [`Error`]s.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::SystemTime;

use mapping::retry::{Delivery, ErrorKind, Idempotency, parse_retry_after};
use reqwest::Method;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER,
};
use serde::de::DeserializeOwned;
use tracing::field::Empty;
use tracing::{Instrument, Span};
use url::Url;

use crate::client::Client;
use crate::error::{Error, ResponseMeta, Result};

/// `application/json`.
pub(crate) const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// Which handle an operation came through: the span's middle name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The generic OData core.
    OData,
    /// Finance & Operations entities.
    Fno,
    /// Business Central entities.
    Bc,
}

/// What an operation does: the span's last name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    Query,
    Get,
    Count,
    Create,
    Update,
    Upsert,
    Replace,
    Delete,
    Action,
    Batch,
    Raw,
}

/// An operation, named `dynamics365.<scope>.<verb>` in spans and errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Op {
    pub(crate) scope: Scope,
    pub(crate) verb: Verb,
}

/// One `info_span!` per operation name (span names must be constants).
macro_rules! op_span {
    ($name:expr, $method:expr, $set:expr) => {
        tracing::info_span!(
            $name,
            "http.request.method" = $method,
            "odata.entity_set" = $set,
            "http.response.status_code" = Empty,
            "dynamics365.request_id" = Empty,
            attempts = Empty,
            "error.type" = Empty,
        )
    };
}

macro_rules! op_table {
    ($($verb:ident => $v:literal),* $(,)?) => {
        impl Op {
            /// `dynamics365.fno.create` and the like.
            pub(crate) fn name(self) -> &'static str {
                match self.scope {
                    Scope::OData => match self.verb { $(Verb::$verb => concat!("dynamics365.odata.", $v),)* },
                    Scope::Fno => match self.verb { $(Verb::$verb => concat!("dynamics365.fno.", $v),)* },
                    Scope::Bc => match self.verb { $(Verb::$verb => concat!("dynamics365.bc.", $v),)* },
                }
            }

            /// The operation's span: method and entity set now, status, request id, attempts and
            /// error type when known. Never a body, a URL query or a secret.
            fn span(self, method: &str, entity_set: &str) -> Span {
                match self.scope {
                    Scope::OData => match self.verb { $(Verb::$verb => op_span!(concat!("dynamics365.odata.", $v), method, entity_set),)* },
                    Scope::Fno => match self.verb { $(Verb::$verb => op_span!(concat!("dynamics365.fno.", $v), method, entity_set),)* },
                    Scope::Bc => match self.verb { $(Verb::$verb => op_span!(concat!("dynamics365.bc.", $v), method, entity_set),)* },
                }
            }
        }
    };
}

op_table! {
    Query => "query",
    Get => "get",
    Count => "count",
    Create => "create",
    Update => "update",
    Upsert => "upsert",
    Replace => "replace",
    Delete => "delete",
    Action => "action",
    Batch => "batch",
    Raw => "raw",
}

/// A request body and its content type.
#[derive(Debug, Clone)]
pub(crate) struct Body {
    pub(crate) bytes: Vec<u8>,
    pub(crate) content_type: HeaderValue,
}

/// One request, ready to send (and resend).
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) op: Op,
    /// The entity set (or `$batch`, an action name) for the span.
    pub(crate) entity_set: String,
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Body>,
    pub(crate) idempotency: Idempotency,
}

impl Call {
    /// A call accepting JSON, idempotent unless it is a POST.
    pub(crate) fn new(op: Op, entity_set: impl Into<String>, method: Method, url: Url) -> Call {
        let idempotency = if method == Method::POST {
            Idempotency::NonIdempotent
        } else {
            Idempotency::Idempotent
        };
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, JSON);
        Call {
            op,
            entity_set: entity_set.into(),
            method,
            url,
            headers,
            body: None,
            idempotency,
        }
    }

    /// Sets a JSON body.
    pub(crate) fn json_body(mut self, bytes: Vec<u8>) -> Call {
        self.body = Some(Body {
            bytes,
            content_type: JSON,
        });
        self
    }

    pub(crate) fn header(mut self, name: HeaderName, value: HeaderValue) -> Call {
        self.headers.insert(name, value);
        self
    }

    pub(crate) fn idempotency(mut self, idempotency: Idempotency) -> Call {
        self.idempotency = idempotency;
        self
    }
}

/// A successful answer (2xx, or 304 Not Modified).
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
    /// The URL the request went to (relative next links resolve against it).
    pub(crate) url: Url,
    /// Attempts it took.
    pub(crate) attempts: u32,
}

impl Reply {
    pub(crate) fn meta(&self) -> ResponseMeta {
        response_meta(self.status, &self.headers)
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub(crate) fn has_body(&self) -> bool {
        !self.body.iter().all(u8::is_ascii_whitespace)
    }

    /// Decodes the body, naming the JSON path that failed.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T> {
        decode_json(&self.body, self.meta(), self.attempts)
    }
}

/// Decodes `body` as `T`, naming the JSON path that failed.
pub(crate) fn decode_json<T: DeserializeOwned>(
    body: &[u8],
    response: ResponseMeta,
    attempts: u32,
) -> Result<T> {
    let mut json = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut json).map_err(|e| Error::Decode {
        path: e.path().to_string(),
        response,
        attempts,
        source: e.into_inner(),
    })
}

/// The request id a Microsoft service put on its answer.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    [
        "request-id",
        "x-ms-request-id",
        "ms-request-id",
        "x-request-id",
    ]
    .iter()
    .find_map(|name| headers.get(*name))
    .and_then(|v| v.to_str().ok())
    .map(str::to_owned)
}

pub(crate) fn response_meta(status: u16, headers: &HeaderMap) -> ResponseMeta {
    ResponseMeta {
        status,
        request_id: request_id(headers),
        retry_after: headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now())),
    }
}

/// A failure of a call that must not be resent, and may have reached the service, becomes
/// [`Error::OutcomeUnknown`].
pub(crate) fn outcome(op: Op, idempotency: Idempotency, error: Error) -> Error {
    let unknown = idempotency == Idempotency::NonIdempotent
        && error.delivery() == Delivery::MaybeSent
        && error.kind() != ErrorKind::OutcomeUnknown;
    if unknown {
        tracing::warn!(
            operation = op.name(),
            error.kind = error.kind().as_str(),
            "the request may have taken effect and is not resent"
        );
        Error::OutcomeUnknown {
            operation: op.name(),
            source: Box::new(error),
        }
    } else {
        error
    }
}

impl Client {
    /// Sends `call` under the retry policy, in the operation's span.
    pub(crate) async fn execute(&self, call: Call) -> Result<Reply> {
        let span = call.op.span(call.method.as_str(), &call.entity_set);
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
                let error = outcome(call.op, call.idempotency, error);
                span.record("error.type", error.kind().as_str());
                Err(error)
            }
        }
    }

    /// One try: token, permit, request, answer. A rejected token is invalidated so the
    /// Retrier's replay fetches a new one.
    async fn attempt(&self, call: &Call, span: &Span) -> Result<Reply> {
        if call.url.origin() != self.inner.service_root.origin() {
            return Err(Error::ForeignLink {
                link: call.url.to_string(),
            });
        }
        let token = self.inner.auth.header().await?;
        let permit = self
            .inner
            .limit
            .acquire()
            .await
            .map_err(|_| Error::config("the client's concurrency limiter was closed"))?;
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), call.url.clone())
            .headers(self.inner.default_headers.clone())
            .headers(call.headers.clone())
            .header(AUTHORIZATION, token.value().clone());
        if let Some(body) = &call.body {
            request = request
                .header(CONTENT_TYPE, body.content_type.clone())
                .body(body.bytes.clone());
        }
        let response = request.send().await.map_err(Error::transport)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(Error::transport)?.to_vec();
        drop(permit);
        span.record("http.response.status_code", status);
        if let Some(id) = request_id(&headers) {
            span.record("dynamics365.request_id", id.as_str());
        }
        if (200..300).contains(&status) || status == 304 {
            return Ok(Reply {
                status,
                headers,
                body,
                url: call.url.clone(),
                attempts: 1,
            });
        }
        let error = Error::from_answer(response_meta(status, &headers), &body);
        if error.kind() == ErrorKind::AuthExpired {
            self.inner.auth.invalidate(&token);
        }
        Err(error)
    }
}
