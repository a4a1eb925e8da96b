//! The HTTP side of Bulk API 2.0: routing under `/services/data/vNN.0/jobs/`, the shared
//! checks, error replies, and response bodies that stream.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use hyper::body::Frame;
use serde_json::Value;
use tokio::sync::mpsc;

use super::{ingest, query};
use crate::salesforce::emulator::SalesforceEmulator;
use crate::salesforce::errors::SfError;
use crate::salesforce::reply::Reply;
use crate::salesforce::rest::{CallBody, parse_version};
use crate::salesforce::sessions::Actor;
use crate::salesforce::state::change_origin;
use crate::salesforce::util::{parse_query, percent_decode};

/// Largest JSON body accepted by the job resources (job creation, state changes).
const MAX_JSON_BODY: usize = 1024 * 1024;

/// What a handler knows about its request.
pub(crate) struct Ctx {
    pub(crate) emu: SalesforceEmulator,
    pub(crate) actor: Actor,
    pub(crate) version: u32,
    pub(crate) method: Method,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: HeaderMap,
}

impl Ctx {
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `changeOrigin` for writes of a job created by this request.
    pub(crate) fn origin(&self) -> String {
        change_origin(self.version, self.header("sforce-call-options")).replacen(
            "/api/rest/",
            "/api/bulkapi/",
            1,
        )
    }

    pub(crate) fn not_allowed(&self, allowed: &str) -> SfError {
        SfError::method_not_allowed(self.method.as_str(), allowed)
    }
}

/// The result of a handler.
pub(crate) type Handled = Result<Response, SfError>;

/// A JSON response.
pub(crate) fn json(status: StatusCode, body: Value) -> Response {
    Reply::json(status, body).into_response()
}

/// `400` with a Bulk API error code.
pub(crate) fn bad(code: &str, message: impl Into<String>) -> SfError {
    SfError::bad(code, message)
}

/// `400 INVALIDJOBSTATE`.
pub(crate) fn invalid_state(message: impl Into<String>) -> SfError {
    SfError::bad("INVALIDJOBSTATE", message)
}

/// The JSON body of a job request, or Salesforce's parser error.
pub(crate) async fn json_body(body: Body) -> Result<Value, SfError> {
    let bytes = to_bytes(body, MAX_JSON_BODY).await.map_err(|_| {
        SfError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "EXCEEDED_MAX_SIZE_REQUEST",
            "The request body is too large",
        )
    })?;
    match CallBody::from_bytes(&bytes) {
        CallBody::Json(v) => Ok(v),
        CallBody::Empty => Err(SfError::json_parser(
            "No content to map due to end-of-input at [line:1, column:0]",
        )),
        CallBody::Invalid(e) => Err(SfError::json_parser(&e)),
    }
}

/// Serve a request below `/services/data/vNN.0/jobs/`.
pub(crate) async fn serve(emu: SalesforceEmulator, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let segs: Vec<String> = parts
        .uri
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let Some(version) = segs.get(2).and_then(|v| parse_version(v)) else {
        return Reply::from(SfError::not_found()).into_response();
    };
    let rest: Vec<&str> = segs.iter().skip(3).map(String::as_str).collect();
    let (actor, limit) = {
        let mut st = emu.lock();
        match emu.gate(
            &mut st,
            version,
            &rest,
            &parts.method,
            &parts.uri,
            &parts.headers,
        ) {
            Ok(a) => (a, SalesforceEmulator::limit_info(&mut st)),
            Err(reply) => return reply.into_response(),
        }
    };
    let retention = emu.config().bulk.job_retention;
    if let Ok(r) = chrono::TimeDelta::from_std(retention)
        && let Some(cutoff) = emu.clock().now().checked_sub_signed(r)
    {
        emu.bulk_store().purge(cutoff);
    }
    let method = if parts.method == Method::HEAD {
        Method::GET
    } else {
        parts.method.clone()
    };
    let ctx = Ctx {
        emu,
        actor,
        version,
        method,
        query: parse_query(parts.uri.query()),
        headers: parts.headers,
    };
    let handled = match rest.as_slice() {
        ["jobs", "ingest", tail @ ..] if version >= 41 => ingest::route(&ctx, tail, body).await,
        ["jobs", "query", tail @ ..] if version >= 47 => query::route(&ctx, tail, body).await,
        _ => Err(SfError::not_found()),
    };
    let mut res = handled.unwrap_or_else(|e| Reply::from(e).into_response());
    if let Ok(v) = HeaderValue::try_from(limit) {
        res.headers_mut().insert("sforce-limit-info", v);
    }
    tracing::debug!(
        target: "sandbox::salesforce",
        method = %ctx.method,
        version,
        status = res.status().as_u16(),
        "salesforce sandbox bulk request"
    );
    res
}

/// A CSV response whose body is the given chunks.
pub(crate) fn csv_response(chunks: VecDeque<Bytes>, extra: &[(&str, String)]) -> Response {
    let mut res = Response::new(Body::new(ChunksBody { chunks }));
    csv_headers(&mut res, extra);
    res
}

/// A CSV response produced on a blocking thread, chunk by chunk, as the client reads it.
pub(crate) fn csv_stream(
    produce: impl FnOnce(&mut dyn FnMut(Bytes) -> bool) + Send + 'static,
) -> Response {
    let (tx, rx) = mpsc::channel::<Bytes>(4);
    tokio::task::spawn_blocking(move || {
        let mut send = |b: Bytes| tx.blocking_send(b).is_ok();
        produce(&mut send);
    });
    let mut res = Response::new(Body::new(ChannelBody { rx }));
    csv_headers(&mut res, &[]);
    res
}

fn csv_headers(res: &mut Response, extra: &[(&str, String)]) {
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv;charset=UTF-8"),
    );
    for (k, v) in extra {
        if let (Ok(k), Ok(v)) = (
            axum::http::HeaderName::try_from(*k),
            HeaderValue::try_from(v.as_str()),
        ) {
            res.headers_mut().insert(k, v);
        }
    }
}

/// A body of ready chunks.
struct ChunksBody {
    chunks: VecDeque<Bytes>,
}

impl hyper::body::Body for ChunksBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.chunks.pop_front().map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        let n: usize = self.chunks.iter().map(Bytes::len).sum();
        hyper::body::SizeHint::with_exact(n as u64)
    }
}

/// A body fed by a producer through a bounded channel (backpressure: the producer waits
/// while the client is slow).
struct ChannelBody {
    rx: mpsc::Receiver<Bytes>,
}

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.rx.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b))))
    }
}
