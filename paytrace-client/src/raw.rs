//! The escape hatch: any v1 endpoint this crate does not cover yet, through the same send
//! path (auth, `integrator_id`, retries, tracing, error decoding).

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::operation;

/// Raw access: `client.raw()`.
#[derive(Debug, Clone, Copy)]
pub struct Raw<'a> {
    pub(crate) client: &'a Client,
}

impl Raw<'_> {
    /// POSTs `body` (a JSON object; `integrator_id` is added, replacing any given) to `path`
    /// under the base URL and decodes the answer as `T` (`serde_json::Value` for anything).
    ///
    /// Treated as money-moving: never resent once it may have reached PayTrace. Use
    /// [`post_idempotent`](Self::post_idempotent) for reads.
    ///
    /// ```no_run
    /// # async fn run(client: paytrace_client::Client) -> paytrace_client::Result<()> {
    /// let answer: serde_json::Value = client
    ///     .raw()
    ///     .post("/v1/customer/export_inactive", &serde_json::json!({"days_inactive": 90}))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when `body` is not a JSON object or `path` would leave the
    /// base URL; otherwise as any call ([`Error::OutcomeUnknown`] when the answer was lost).
    pub async fn post<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> Result<T> {
        let body = object(body)?;
        self.client
            .send(operation!("paytrace.raw", path, NonIdempotent), &body)
            .await
    }

    /// As [`post`](Self::post), for calls that are safe to repeat (exports and other reads):
    /// retried per the client's policy.
    ///
    /// # Errors
    /// As [`post`](Self::post), without `OutcomeUnknown`.
    pub async fn post_idempotent<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T> {
        let body = object(body)?;
        self.client
            .send(operation!("paytrace.raw", path, Idempotent), &body)
            .await
    }
}

fn object(body: &impl Serialize) -> Result<serde_json::Map<String, serde_json::Value>> {
    match serde_json::to_value(body) {
        Ok(serde_json::Value::Object(mut map)) => {
            map.remove("integrator_id");
            Ok(map)
        }
        Ok(_) => Err(Error::invalid("request body", "must be a JSON object")),
        Err(e) => Err(Error::invalid("request body", e.to_string())),
    }
}
