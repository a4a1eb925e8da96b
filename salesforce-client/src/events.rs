//! Publishing Platform Events (reference §4.1). Subscribing (CometD, Pub/Sub) comes with the
//! `streaming` module.

use serde::Serialize;

use crate::client::Client;
use crate::error::{ErrorDetail, Result};
use crate::sobjects::SaveResult;

/// The informational entry recent API versions put in a publish's `errors`: publishing is
/// asynchronous, and its message is the event's UUID.
pub const OPERATION_ENQUEUED: &str = "OPERATION_ENQUEUED";

/// Platform Event publishing: `client.events()`.
#[derive(Debug, Clone, Copy)]
pub struct Events<'a> {
    client: &'a Client,
}

/// What publishing one event returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Whether Salesforce accepted the event for publishing.
    pub success: bool,
    /// The id Salesforce returned. It is not delivered to subscribers; correlate with
    /// [`event_uuid`](Self::event_uuid) or the replay id.
    pub id: Option<String>,
    /// The event's UUID, from the `OPERATION_ENQUEUED` entry, when Salesforce gave one.
    pub event_uuid: Option<String>,
    /// Real errors (anything but `OPERATION_ENQUEUED`).
    pub errors: Vec<ErrorDetail>,
}

impl From<SaveResult> for Published {
    fn from(result: SaveResult) -> Self {
        let (enqueued, errors): (Vec<ErrorDetail>, Vec<ErrorDetail>) = result
            .errors
            .into_iter()
            .partition(|e| e.error_code == OPERATION_ENQUEUED);
        Published {
            success: result.success,
            id: result.id,
            event_uuid: enqueued.into_iter().next().map(|e| e.message),
            errors,
        }
    }
}

impl Client {
    /// Platform Event publishing.
    pub fn events(&self) -> Events<'_> {
        Events { client: self }
    }
}

impl Events<'_> {
    /// Publishes one event: `POST /sobjects/{event}/` (`Order_Paid__e`) → 201. An
    /// `OPERATION_ENQUEUED` entry in the answer is information (the event UUID), not a
    /// failure. Not idempotent: never resent once it may have reached Salesforce.
    ///
    /// ```no_run
    /// # async fn run(client: salesforce_client::Client) -> salesforce_client::Result<()> {
    /// let published = client
    ///     .events()
    ///     .publish("Payment_Settled__e", &serde_json::json!({"PaymentID__c": "PT-1"}))
    ///     .await?;
    /// assert!(published.success);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`SObjects::create`](crate::sobjects::SObjects::create).
    pub async fn publish<B: Serialize + ?Sized>(
        &self,
        event: &str,
        payload: &B,
    ) -> Result<Published> {
        let result = self.client.sobjects(event).create(payload).await?;
        Ok(result.into())
    }

    /// Publishes many events through sObject collections (200 per call, in order), one
    /// result per event.
    ///
    /// # Errors
    /// As [`Collections::create`](crate::composite::Collections::create).
    pub async fn publish_many<B: Serialize>(
        &self,
        event: &str,
        payloads: &[B],
    ) -> Result<Vec<Published>> {
        let results = self.client.collections().create(event, payloads).await?;
        Ok(results.into_iter().map(Published::from).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_enqueued_is_information() {
        let result: SaveResult = serde_json::from_str(
            r#"{"id":"e00xx000000000B","success":true,"errors":[{"statusCode":"OPERATION_ENQUEUED","message":"08a1f2c3-0000-4000-8000-000000000001","fields":[]}]}"#,
        )
        .unwrap();
        let published = Published::from(result);
        assert!(published.success);
        assert!(published.errors.is_empty());
        assert_eq!(
            published.event_uuid.as_deref(),
            Some("08a1f2c3-0000-4000-8000-000000000001")
        );
    }
}
