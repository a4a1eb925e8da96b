//! The escape hatch: any REST endpoint this crate does not cover yet, through the same send
//! path (auth, origin check, retries, tracing, error decoding).

use mapping::retry::Idempotency;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::client::Client;
use crate::error::Result;
use crate::http::{Call, Target, op};

/// Raw access: `client.raw()`.
///
/// Paths are relative to the instance: `/services/data/v66.0/sobjects/Account/describe`,
/// `/services/apexrest/orders`, or an absolute URL on the instance's origin (anything else is
/// refused, so the token never leaves it). Write the query string yourself, encoded.
/// Answers decode as `T` (`serde_json::Value` for anything; an empty 204 body as `null`, so
/// `()` or `Option<T>` work).
///
/// ```no_run
/// # async fn run(client: salesforce_client::Client) -> salesforce_client::Result<()> {
/// let path = format!("/services/data/{}/sobjects/Account/listviews", client.api_version().path_segment());
/// let views: serde_json::Value = client.raw().get(&path).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Raw<'a> {
    pub(crate) client: &'a Client,
}

impl Raw<'_> {
    /// `GET path`, retried on transient failures.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`](crate::Error::InvalidRequest) for a URL off the instance's
    /// origin; as any call otherwise.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.request(Method::GET, path, None::<&()>, Idempotency::Idempotent)
            .await
    }

    /// `POST path` with a JSON body. Treated as not idempotent: never resent once it may have
    /// reached Salesforce (use [`request`](Self::request) to say otherwise).
    ///
    /// # Errors
    /// As [`get`](Self::get); [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown) when the
    /// answer was lost.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &(impl Serialize + ?Sized),
    ) -> Result<T> {
        self.request(Method::POST, path, Some(body), Idempotency::NonIdempotent)
            .await
    }

    /// `PATCH path` with a JSON body, retried on transient failures.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn patch<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &(impl Serialize + ?Sized),
    ) -> Result<T> {
        self.request(Method::PATCH, path, Some(body), Idempotency::Idempotent)
            .await
    }

    /// `DELETE path`, retried on transient failures.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.request(Method::DELETE, path, None::<&()>, Idempotency::Idempotent)
            .await
    }

    /// Any method, with an optional JSON body, saying whether it may be resent.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn request<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        idempotency: Idempotency,
    ) -> Result<T> {
        let mut call = Call::new(method, Target::Link(path.to_owned())).idempotency(idempotency);
        if let Some(body) = body {
            call = call.json(body)?;
        }
        self.client.send(op!("salesforce.raw"), call).await?.json()
    }
}
