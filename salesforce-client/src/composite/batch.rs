//! `POST /composite/batch`: up to 25 independent subrequests, each committed on its own.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Composite, Subrequest, idempotency};
use crate::error::{Error, ErrorDetail, Result};
use crate::http::{Call, DataPath, Target, op};
use crate::versions::ApiVersion;

/// A batch of independent subrequests, executed in order, each committed when it succeeds
/// and counted against the API limits. With [`halt_on_error`](Self::halt_on_error), the
/// subrequests after a failure are not run and answer `412 BATCH_PROCESSING_HALTED`.
///
/// ```
/// use salesforce_client::ApiVersion;
/// use salesforce_client::composite::{BatchRequest, Subrequest};
/// use serde_json::json;
///
/// let batch = BatchRequest::new()
///     .halt_on_error(true)
///     .subrequest(Subrequest::update("Account", "001A", &json!({"Phone": "555-0100"})))
///     .subrequest(Subrequest::get("Account", "001A", &["Phone"]));
/// let body = batch.to_json(ApiVersion::new(66))?;
/// assert_eq!(body["batchRequests"][0]["url"], "v66.0/sobjects/Account/001A");
/// assert_eq!(body["batchRequests"][0]["richInput"]["Phone"], "555-0100");
/// # Ok::<(), salesforce_client::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct BatchRequest {
    halt_on_error: bool,
    subrequests: Vec<Subrequest>,
}

impl BatchRequest {
    /// Most subrequests in one batch.
    pub const MAX_SUBREQUESTS: usize = 25;

    /// An empty batch.
    pub fn new() -> Self {
        BatchRequest::default()
    }

    /// Stops at the first failure (`haltOnError`).
    pub fn halt_on_error(mut self, halt: bool) -> Self {
        self.halt_on_error = halt;
        self
    }

    /// Adds a subrequest.
    pub fn subrequest(mut self, subrequest: Subrequest) -> Self {
        self.subrequests.push(subrequest);
        self
    }

    /// The request body for API `version`, after checking the limits.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when there are no or more than 25 subrequests, or one is
    /// invalid.
    pub fn to_json(&self, version: ApiVersion) -> Result<Value> {
        if self.subrequests.is_empty() || self.subrequests.len() > Self::MAX_SUBREQUESTS {
            return Err(Error::invalid(
                "batch request",
                format!(
                    "has {} subrequests; 1 to 25 are allowed",
                    self.subrequests.len()
                ),
            ));
        }
        let items = self
            .subrequests
            .iter()
            .map(|sub| {
                sub.check()?;
                let mut item = json!({"method": sub.method.as_str(), "url": sub.url("", version)});
                if let (Some(body), Some(map)) = (&sub.body, item.as_object_mut()) {
                    map.insert("richInput".into(), body.clone());
                }
                Ok(item)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(json!({"batchRequests": items, "haltOnError": self.halt_on_error}))
    }
}

/// The answer of a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    /// Whether any subrequest failed.
    pub has_errors: bool,
    /// One result per subrequest, in order.
    pub results: Vec<BatchResult>,
}

/// The result of one batch subrequest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResult {
    /// Its HTTP status (204 for an update, 412 when halted).
    pub status_code: u16,
    /// Its body (`null` for 204, an error array on failure).
    #[serde(default)]
    pub result: Value,
}

impl BatchResult {
    /// Whether it succeeded (2xx).
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status_code)
    }

    /// Its errors (`BATCH_PROCESSING_HALTED`, a validation error, …); empty on success.
    pub fn errors(&self) -> Vec<ErrorDetail> {
        if self.is_success() {
            return Vec::new();
        }
        serde_json::from_value(self.result.clone()).unwrap_or_default()
    }
}

impl Composite<'_> {
    /// Sends a batch: `POST /composite/batch`. Not resent once it may have reached Salesforce
    /// if any subrequest is a create; otherwise retried like any idempotent call.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a batch over the limits; as any call otherwise.
    pub async fn batch(&self, request: &BatchRequest) -> Result<BatchResponse> {
        let body = request.to_json(self.client.api_version())?;
        let path = DataPath::new().seg("composite").seg("batch");
        let call = Call::new(Method::POST, Target::Data(path))
            .json(&body)?
            .idempotency(idempotency(&request.subrequests));
        self.client
            .send(op!("salesforce.composite_batch"), call)
            .await?
            .json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_results() {
        let response: BatchResponse = serde_json::from_value(json!({"hasErrors": true, "results": [
            {"statusCode": 204, "result": null},
            {"statusCode": 412, "result": [{"errorCode": "BATCH_PROCESSING_HALTED", "message": "halted"}]},
        ]}))
        .unwrap();
        assert!(response.results[0].is_success());
        assert_eq!(
            response.results[1].errors()[0].error_code,
            "BATCH_PROCESSING_HALTED"
        );
        assert!(BatchRequest::new().to_json(ApiVersion::new(66)).is_err());
    }
}
