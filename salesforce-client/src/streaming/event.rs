//! What a subscription delivers: [`Event`]s with an [`Ack`], Change Data Capture payloads
//! ([`ChangeEvent`], [`ChangeEventHeader`]), and where to start ([`ReplayFrom`]).

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::replay::Acks;
use crate::bulk::string_enum;
use crate::error::Result;

/// Where a subscription starts on a channel for which the [`ReplayStore`](super::ReplayStore)
/// has no position yet (reference §4.2: replay `-1`, `-2`, or an id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplayFrom {
    /// Only events published from now on (`-1`).
    #[default]
    New,
    /// Every event still retained (`-2`): 72 hours for platform events and CDC.
    AllRetained,
    /// The events after this replay id.
    After(i64),
}

impl ReplayFrom {
    /// The value of the replay extension: `-1`, `-2`, or the id.
    pub fn value(self) -> i64 {
        match self {
            ReplayFrom::New => -1,
            ReplayFrom::AllRetained => -2,
            ReplayFrom::After(id) => id,
        }
    }
}

/// One event of a subscription: where it came from, its replay id, and the payload as `T`.
///
/// Call [`ack`](Self::ack) once it is processed: the subscription's
/// [`ReplayStore`](super::ReplayStore) then moves past it, so a restart does not deliver it
/// again. Events not acked are delivered again after a restart.
pub struct Event<T> {
    /// The channel (`/event/Payment_Settled__e`, `/data/AccountChangeEvent`).
    pub channel: String,
    /// `data.event.replayId`: increases per channel.
    pub replay_id: i64,
    /// The event's UUID (`EventUuid`, in `data.event` or the payload), when sent.
    pub event_uuid: Option<String>,
    /// `data.schema`: changes when the event's definition does.
    pub schema: Option<String>,
    /// `data.payload`.
    pub payload: T,
    pub(crate) ack: Ack,
}

impl<T: fmt::Debug> fmt::Debug for Event<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("channel", &self.channel)
            .field("replay_id", &self.replay_id)
            .field("event_uuid", &self.event_uuid)
            .field("schema", &self.schema)
            .field("payload", &self.payload)
            .finish()
    }
}

impl<T> Event<T> {
    /// Marks the event processed (see [`Ack::ack`]).
    ///
    /// # Errors
    /// [`Error::ReplayStore`](crate::Error::ReplayStore) when the position cannot be stored.
    pub async fn ack(&self) -> Result<()> {
        self.ack.ack().await
    }

    /// A handle that acks this event later, from anywhere (another task).
    pub fn acker(&self) -> Ack {
        self.ack.clone()
    }
}

/// Acknowledges one event. Acks may come in any order: the stored position is the highest
/// replay id below which every delivered event of the channel was acked.
#[derive(Clone)]
pub struct Ack {
    pub(crate) acks: Arc<Acks>,
    pub(crate) channel: Arc<str>,
    pub(crate) replay_id: i64,
}

impl fmt::Debug for Ack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ack")
            .field("channel", &self.channel)
            .field("replay_id", &self.replay_id)
            .finish()
    }
}

impl Ack {
    /// Marks the event processed; when that moves the channel's position, stores it (the
    /// file store syncs it to disk before returning). Acking twice does nothing.
    ///
    /// # Errors
    /// [`Error::ReplayStore`](crate::Error::ReplayStore) when the position cannot be stored;
    /// the next ack stores it again.
    pub async fn ack(&self) -> Result<()> {
        self.acks.ack(&self.channel, self.replay_id).await
    }
}

string_enum! {
    /// `ChangeEventHeader.changeType`.
    ChangeType {
        /// A record was created.
        Create = "CREATE",
        /// A record was updated.
        Update = "UPDATE",
        /// A record was deleted.
        Delete = "DELETE",
        /// A record was restored from the recycle bin.
        Undelete = "UNDELETE",
        /// A creation whose details were lost: read the record.
        GapCreate = "GAP_CREATE",
        /// An update whose details were lost: read the record.
        GapUpdate = "GAP_UPDATE",
        /// A deletion whose details were lost.
        GapDelete = "GAP_DELETE",
        /// An undeletion whose details were lost: read the record.
        GapUndelete = "GAP_UNDELETE",
        /// Too many changes in one transaction: resynchronise the object.
        GapOverflow = "GAP_OVERFLOW",
    }
}

/// The header of a Change Data Capture event (reference §4.3). Fields this version does not
/// name (`isTransactionEnd` on some versions) are kept in [`extra`](Self::extra).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChangeEventHeader {
    /// The object: `Account`, `Payment__c`.
    pub entity_name: String,
    /// The records changed (several when one transaction changed many the same way; may be a
    /// wildcard such as `001*`).
    #[serde(default)]
    pub record_ids: Vec<String>,
    /// What happened.
    pub change_type: ChangeType,
    /// `com/salesforce/api/rest/66.0;client=…`; empty for most UI changes.
    #[serde(default)]
    pub change_origin: Option<String>,
    /// The transaction.
    #[serde(default)]
    pub transaction_key: Option<String>,
    /// The order of this change within its transaction.
    #[serde(default)]
    pub sequence_number: Option<i64>,
    /// When the transaction committed, in epoch milliseconds.
    #[serde(default)]
    pub commit_timestamp: Option<i64>,
    /// The system change number of the commit.
    #[serde(default)]
    pub commit_number: Option<i64>,
    /// The user who committed it.
    #[serde(default)]
    pub commit_user: Option<String>,
    /// The fields an update changed (with `LastModifiedDate`).
    #[serde(default)]
    pub changed_fields: Vec<String>,
    /// The fields set to null (Pub/Sub API; absent on CometD).
    #[serde(default)]
    pub nulled_fields: Vec<String>,
    /// Fields sent as diffs (Pub/Sub API; absent on CometD).
    #[serde(default)]
    pub diff_fields: Vec<String>,
    /// Every other header field.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl ChangeEventHeader {
    /// [`commit_timestamp`](Self::commit_timestamp) as a time.
    pub fn commit_time(&self) -> Option<DateTime<Utc>> {
        self.commit_timestamp
            .and_then(DateTime::<Utc>::from_timestamp_millis)
    }
}

/// A Change Data Capture payload: the header and the changed fields, as `F` (by default every
/// field as JSON). Only changed (or, on create, non-null) fields are sent; dates are ISO
/// strings.
///
/// ```
/// use salesforce_client::streaming::{ChangeEvent, ChangeType};
///
/// let payload = serde_json::json!({
///     "ChangeEventHeader": {
///         "entityName": "Account", "recordIds": ["001xx000003DGb2AAG"], "changeType": "UPDATE",
///         "changeOrigin": "com/salesforce/api/rest/66.0", "transactionKey": "0002343d-9d90",
///         "sequenceNumber": 1, "commitTimestamp": 1763700000000_i64, "commitNumber": 10588479614563_i64,
///         "commitUser": "005xx000001X8UzAAK", "changedFields": ["Name", "LastModifiedDate"]
///     },
///     "Name": "Acme Corporation",
///     "LastModifiedDate": "2026-11-21T10:15:30.000Z"
/// });
/// let event: ChangeEvent = serde_json::from_value(payload).unwrap();
/// assert_eq!(event.header.change_type, ChangeType::Update);
/// assert_eq!(event.fields["Name"], "Acme Corporation");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeEvent<F = serde_json::Map<String, serde_json::Value>> {
    /// `ChangeEventHeader`.
    #[serde(rename = "ChangeEventHeader")]
    pub header: ChangeEventHeader,
    /// The changed fields.
    #[serde(flatten)]
    pub fields: F,
}
