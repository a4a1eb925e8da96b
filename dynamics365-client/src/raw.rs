//! The escape hatch: any endpoint of the environment, with auth, the concurrency limit,
//! retries, tracing and error parsing, for what the typed areas do not cover yet (F&O custom
//! services under `/api/services/…`, `$metadata`, functions).
//!
//! A path without a leading `/` is relative to the service root (`CustomersV3?$top=1`); one
//! with a leading `/` is relative to the environment's origin (`/api/services/MyGroup/MySvc/op`).
//! Nothing leaves the configured origin.
//!
//! ```no_run
//! # async fn run(client: dynamics365_client::Client) -> dynamics365_client::Result<()> {
//! let answer = client
//!     .raw()
//!     .post("/api/services/TSLedgerJournalServiceGroup/TSLedgerJournalService/post")
//!     .json(&serde_json::json!({"_journalBatchNumber": "000123", "_dataAreaId": "usmf"}))
//!     .await?;
//! let result: serde_json::Value = answer.json()?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::future::IntoFuture;

use futures::future::BoxFuture;
use mapping::retry::Idempotency;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::client::Client;
use crate::error::{Error, ResponseMeta, Result};
use crate::http::{Call, Op, Scope, Verb, decode_json};

/// Raw requests; see the [module docs](self).
#[derive(Clone)]
pub struct Raw {
    client: Client,
}

impl fmt::Debug for Raw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Raw").finish_non_exhaustive()
    }
}

impl Raw {
    pub(crate) fn new(client: Client) -> Raw {
        Raw { client }
    }

    /// A request with any method. GET, PUT, DELETE, HEAD are retried; POST and PATCH only if
    /// you say [`idempotent`](RawRequest::idempotent).
    pub fn request(&self, method: Method, path: &str) -> RawRequest {
        let idempotency = if matches!(
            method,
            Method::GET | Method::PUT | Method::DELETE | Method::HEAD
        ) {
            Idempotency::Idempotent
        } else {
            Idempotency::NonIdempotent
        };
        RawRequest {
            client: self.client.clone(),
            method,
            path: path.to_owned(),
            body: None,
            headers: HeaderMap::new(),
            idempotency,
        }
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> RawRequest {
        self.request(Method::GET, path)
    }

    /// `POST path`.
    pub fn post(&self, path: &str) -> RawRequest {
        self.request(Method::POST, path)
    }

    /// `PATCH path`.
    pub fn patch(&self, path: &str) -> RawRequest {
        self.request(Method::PATCH, path)
    }

    /// `PUT path`.
    pub fn put(&self, path: &str) -> RawRequest {
        self.request(Method::PUT, path)
    }

    /// `DELETE path`.
    pub fn delete(&self, path: &str) -> RawRequest {
        self.request(Method::DELETE, path)
    }
}

/// A raw request being built; await it.
#[must_use = "a RawRequest does nothing until awaited"]
pub struct RawRequest {
    client: Client,
    method: Method,
    path: String,
    body: Option<Result<Vec<u8>>>,
    headers: HeaderMap,
    idempotency: Idempotency,
}

impl fmt::Debug for RawRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl RawRequest {
    /// A JSON body.
    pub fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Self {
        self.body = Some(crate::odata::write::serialize(body));
        self
    }

    /// A request header (`If-Match`, `Prefer`).
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Declares the request safe to resend.
    pub fn idempotent(mut self) -> Self {
        self.idempotency = Idempotency::Idempotent;
        self
    }

    fn url(&self) -> Result<Url> {
        let root = &self.client.inner.service_root;
        let url = if self.path.starts_with('/') {
            root.join(&self.path)
        } else {
            Url::parse(&format!("{root}{}", self.path))
        }
        .map_err(|e| Error::invalid("path", format!("{:?}: {e}", self.path)))?;
        if url.origin() != root.origin() {
            return Err(Error::invalid(
                "path",
                format!("{:?} leaves the configured environment", self.path),
            ));
        }
        Ok(url)
    }

    /// Sends the request.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a path that leaves the environment or a body that does not
    /// serialise; the service's errors.
    pub async fn send(self) -> Result<RawResponse> {
        let url = self.url()?;
        let name = url.path().rsplit('/').next().unwrap_or_default().to_owned();
        let op = Op {
            scope: Scope::OData,
            verb: Verb::Raw,
        };
        let mut call = Call::new(op, name, self.method, url).idempotency(self.idempotency);
        if let Some(body) = self.body {
            call = call.json_body(body?);
        }
        for (name, value) in &self.headers {
            call = call.header(name.clone(), value.clone());
        }
        let reply = self.client.execute(call).await?;
        Ok(RawResponse {
            response: reply.meta(),
            attempts: reply.attempts,
            headers: reply.headers,
            body: reply.body,
        })
    }
}

impl IntoFuture for RawRequest {
    type Output = Result<RawResponse>;
    type IntoFuture = BoxFuture<'static, Result<RawResponse>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A raw answer (2xx or 304).
#[derive(Debug, Clone)]
pub struct RawResponse {
    response: ResponseMeta,
    attempts: u32,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl RawResponse {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.response.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Decodes the body as JSON.
    ///
    /// # Errors
    /// [`Error::Decode`] naming the JSON path that failed.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        decode_json(&self.body, self.response.clone(), self.attempts)
    }
}
