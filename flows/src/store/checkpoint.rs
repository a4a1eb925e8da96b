//! Checkpoints: named watermarks from which a sync resumes.
//!
//! A checkpoint is a name and a JSON value. The flows use these shapes:
//!
//! | what | name | value |
//! |---|---|---|
//! | Streaming API replay id, per channel | `streaming:<channel>` (`streaming:/event/Opportunity_Won__e`) | the replay id, a JSON number |
//! | SOQL poll watermark | `soql-poll:<what>` | a [`PollWatermark`] |
//! | export window | `export:<what>` | an [`ExportWindow`] |
//!
//! Move a watermark forward with [`compare_and_set`](CheckpointStore::compare_and_set), so
//! that two workers (or a late, slow one) cannot move it back.
//!
//! ```
//! use flows::store::{CheckpointStore, MemoryCheckpoints};
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), flows::Error> {
//! let checkpoints = MemoryCheckpoints::new();
//! let name = "streaming:/event/Opportunity_Won__e";
//! checkpoints.compare_and_set(name, None, json!(41)).await?;
//! checkpoints.compare_and_set(name, Some(&json!(41)), json!(42)).await?;
//! // A worker that still believes 41 is refused.
//! assert!(checkpoints.compare_and_set(name, Some(&json!(41)), json!(43)).await.is_err());
//! assert_eq!(checkpoints.get(name).await?.map(|c| c.value), Some(json!(42)));
//! # Ok(())
//! # }
//! ```

use std::path::Path;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Record, Table, require};
use crate::error::{Error, Result};

/// The checkpoint store.
#[async_trait]
pub trait CheckpointStore: Send + Sync {
    /// The checkpoint `name`, if set.
    ///
    /// # Errors
    /// The store's errors (none for the built-in stores).
    async fn get(&self, name: &str) -> Result<Option<Checkpoint>>;

    /// Sets `name` to `value`, whatever it held. Setting the value it already holds writes
    /// nothing.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty name; the store's I/O errors.
    async fn set(&self, name: &str, value: Value) -> Result<Checkpoint>;

    /// Sets `name` to `value` only if it holds `expected` now (`None`: not set).
    ///
    /// # Errors
    /// [`Error::CheckpointConflict`], with the value it holds, if that is not `expected`;
    /// [`Error::InvalidInput`] for an empty name; the store's I/O errors.
    async fn compare_and_set(
        &self,
        name: &str,
        expected: Option<&Value>,
        value: Value,
    ) -> Result<Checkpoint>;
}

/// A named watermark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: Value,
    /// When it was last set.
    pub updated_at: DateTime<Utc>,
}

impl Checkpoint {
    /// The value as a `T` (a [`PollWatermark`], an [`ExportWindow`], an `i64` replay id).
    ///
    /// # Errors
    /// [`Error::Json`] if the value does not have `T`'s shape.
    pub fn value_as<T: DeserializeOwned>(&self) -> Result<T> {
        T::deserialize(&self.value).map_err(|source| Error::Json {
            what: "a checkpoint value",
            source,
        })
    }
}

impl Record for Checkpoint {
    fn id(&self) -> &str {
        &self.name
    }
}

/// Where a SOQL poll got to: the `LastModifiedDate` (or `SystemModstamp`) of the last
/// record seen and its id, for `WHERE LastModifiedDate > :since OR (LastModifiedDate =
/// :since AND Id > :last_id) ORDER BY LastModifiedDate, Id`. Ordered the same way.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PollWatermark {
    /// The timestamp of the last record seen.
    pub since: DateTime<Utc>,
    /// Its id, to page within records sharing that timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_id: Option<String>,
}

/// A time window of an export (PayTrace transactions by date range): the last one done.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ExportWindow {
    /// Start, inclusive.
    pub start: DateTime<Utc>,
    /// End, exclusive.
    pub end: DateTime<Utc>,
}

/// A [`CheckpointStore`] in memory.
#[derive(Debug)]
pub struct MemoryCheckpoints {
    table: Table<Checkpoint>,
}

impl MemoryCheckpoints {
    /// An empty store.
    pub fn new() -> Self {
        MemoryCheckpoints {
            table: Table::memory(),
        }
    }
}

impl Default for MemoryCheckpoints {
    fn default() -> Self {
        Self::new()
    }
}

/// A durable [`CheckpointStore`]: `checkpoints.jsonl` in a directory, owned by one process
/// (see [the file stores](super#the-file-stores)).
#[derive(Debug)]
pub struct FileCheckpoints {
    table: Table<Checkpoint>,
}

impl FileCheckpoints {
    /// Opens (or creates) the store in `dir`, rebuilding its state from the log.
    ///
    /// # Errors
    /// [`Error::Locked`] if the store is open elsewhere; [`Error::Corrupt`] for a bad record
    /// before the last line; [`Error::Io`].
    pub async fn open(dir: impl AsRef<Path>) -> Result<Self> {
        Ok(FileCheckpoints {
            table: Table::open(dir.as_ref(), "checkpoints").await?,
        })
    }

    /// Rewrites the log with one line per checkpoint.
    ///
    /// # Errors
    /// [`Error::Io`]; [`Error::Poisoned`] after an earlier failed write.
    pub async fn compact(&self) -> Result<()> {
        self.table.compact().await
    }
}

macro_rules! impl_checkpoints {
    ($($store:ty),+) => {$(
        #[async_trait]
        impl CheckpointStore for $store {
            async fn get(&self, name: &str) -> Result<Option<Checkpoint>> {
                Ok(self.table.get(name).await)
            }
            async fn set(&self, name: &str, value: Value) -> Result<Checkpoint> {
                set(&self.table, name, None, value).await
            }
            async fn compare_and_set(
                &self,
                name: &str,
                expected: Option<&Value>,
                value: Value,
            ) -> Result<Checkpoint> {
                set(&self.table, name, Some(expected.cloned()), value).await
            }
        }
    )+};
}

impl_checkpoints!(MemoryCheckpoints, FileCheckpoints);

/// Sets `name` to `value`; with `expected`, only if it holds `expected.0` now.
async fn set(
    table: &Table<Checkpoint>,
    name: &str,
    expected: Option<Option<Value>>,
    value: Value,
) -> Result<Checkpoint> {
    require("checkpoint name", name)?;
    let name = name.to_owned();
    table
        .update(name.clone(), move |current| {
            let holds = current.map(|c| &c.value);
            if let Some(expected) = expected
                && expected.as_ref() != holds
            {
                return Err(Error::CheckpointConflict {
                    name,
                    current: holds.cloned(),
                });
            }
            if let Some(current) = current.filter(|c| c.value == value) {
                return Ok((None, current.clone()));
            }
            let checkpoint = Checkpoint {
                name,
                value,
                updated_at: Utc::now(),
            };
            Ok((Some(checkpoint.clone()), checkpoint))
        })
        .await
}
