//! The reliability stores: idempotency ledger, dead letters, checkpoints.
//!
//! Each store is a trait (so a service can bring its own database) with two implementations
//! that behave the same:
//!
//! | store | trait | in memory | durable file |
//! |---|---|---|---|
//! | [ledger] | [`Ledger`] | [`MemoryLedger`] | [`FileLedger`] (`ledger.jsonl`) |
//! | [dead letters](dead_letter) | [`DeadLetterStore`] | [`MemoryDeadLetters`] | [`FileDeadLetters`] (`dead_letters.jsonl`) |
//! | [checkpoints](checkpoint) | [`CheckpointStore`] | [`MemoryCheckpoints`] | [`FileCheckpoints`] (`checkpoints.jsonl`) |
//!
//! The traits use [`async_trait`] so that flows can hold `Arc<dyn Ledger>` and the like.
//!
//! # The file stores
//! - **Durable when acknowledged**: every change is one JSON line appended to the store's
//!   log and `fsync`'d before the call returns. A write that returned `Ok` survives a crash;
//!   one that did not return may or may not be there.
//! - **Safe to reopen after a crash**: opening replays the log to rebuild the state. A torn
//!   last line (a write cut short) is dropped and the file truncated; a bad line anywhere
//!   else is reported as [`Error::Corrupt`] with file and line.
//! - **One process per store**: opening creates `<name>.lock` beside the log with
//!   `create_new`; a second opener, in this process or another, gets
//!   [`Error::Locked`]. The lock is released when the store is dropped
//!   (after a write still in flight has finished). A lock left by a crashed process is taken
//!   over when that process is gone. The three stores may share one directory.
//! - **Compaction**: `compact()` rewrites the log with one line per record, atomically.
//! - **Cancellation-safe**: a write runs to its end on tokio's blocking pool even if the
//!   calling future is dropped, so the log and the state in memory never disagree.
//! - After a failed write the store refuses further writes
//!   ([`Error::Poisoned`]) until reopened.
//!
//! # Log format
//! One JSON object per line: the whole new state of one record (a ledger [`Entry`], a
//! [`DeadLetter`], a [`Checkpoint`]), in the same JSON shape the types serialise to. On open
//! the last line for each id wins. The types only gain optional fields, so older logs keep
//! opening.
//!
//! # Card data
//! Ledger intents, outcomes and reasons and dead-letter payloads and reasons pass through
//! [`card_guard`] before they are stored: PAN-like numbers and CSC fields are redacted.
//! Checkpoints hold positions (replay ids, timestamps), not records, and are stored as given.

pub mod card_guard;
pub mod checkpoint;
pub mod dead_letter;
mod file_log;
pub mod ledger;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;

pub use checkpoint::{
    Checkpoint, CheckpointStore, ExportWindow, FileCheckpoints, MemoryCheckpoints, PollWatermark,
};
pub use dead_letter::{
    DeadLetter, DeadLetterFilter, DeadLetterStatus, DeadLetterStore, FileDeadLetters,
    MemoryDeadLetters, NewDeadLetter, ReplayOutcome, replay,
};
pub use ledger::{Claim, Entry, EntryState, FileLedger, Ledger, MemoryLedger};

use crate::error::{Error, Result};
use file_log::FileLog;

/// A record kept by a [`Table`]: one line of a store log.
pub(crate) trait Record:
    Serialize + DeserializeOwned + Clone + Send + Sync + 'static
{
    /// Its id (the ledger key, the dead letter id, the checkpoint name).
    fn id(&self) -> &str;

    /// Adjusts a record read back from the log when a store is reopened.
    fn reopened(&mut self) {}
}

/// The engine of every store: records by id, and for the file stores the log that makes
/// each change durable before it is applied. Both implementations of a store are a `Table`,
/// so they share one code path and differ only in having a log.
#[derive(Debug)]
pub(crate) struct Table<R> {
    inner: Arc<Mutex<Inner<R>>>,
}

#[derive(Debug)]
struct Inner<R> {
    records: BTreeMap<String, R>,
    log: Option<FileLog>,
}

impl<R: Record> Table<R> {
    /// A table in memory only.
    pub(crate) fn memory() -> Self {
        Self::with(BTreeMap::new(), None)
    }

    /// A table backed by `<dir>/<name>.jsonl`, its state rebuilt from the log.
    pub(crate) async fn open(dir: &Path, name: &'static str) -> Result<Self> {
        let dir = dir.to_owned();
        let (log, lines) = tokio::task::spawn_blocking(move || FileLog::open::<R>(&dir, name))
            .await
            .map_err(Error::Task)??;
        let mut records = BTreeMap::new();
        for mut record in lines {
            record.reopened();
            records.insert(record.id().to_owned(), record);
        }
        Ok(Self::with(records, Some(log)))
    }

    fn with(records: BTreeMap<String, R>, log: Option<FileLog>) -> Self {
        Table {
            inner: Arc::new(Mutex::new(Inner { records, log })),
        }
    }

    /// Reads the records.
    pub(crate) async fn read<T>(&self, f: impl FnOnce(&BTreeMap<String, R>) -> T) -> T {
        f(&self.inner.lock().await.records)
    }

    /// A copy of one record.
    pub(crate) async fn get(&self, id: &str) -> Option<R> {
        self.read(|records| records.get(id).cloned()).await
    }

    /// Changes the record `id` atomically: `change` sees the current record and returns the
    /// new one (or `None` to write nothing) and the answer. The new record is logged and
    /// synced before it is applied; the whole step runs to its end even if the caller's
    /// future is dropped.
    pub(crate) async fn update<T, F>(&self, id: String, change: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(Option<&R>) -> Result<(Option<R>, T)> + Send + 'static,
    {
        let mut inner = Arc::clone(&self.inner).lock_owned().await;
        if inner.log.is_none() {
            return inner.update(id, change);
        }
        tokio::task::spawn_blocking(move || inner.update(id, change))
            .await
            .map_err(Error::Task)?
    }

    /// Rewrites the log with one line per record (nothing to do in memory).
    pub(crate) async fn compact(&self) -> Result<()> {
        let mut inner = Arc::clone(&self.inner).lock_owned().await;
        tokio::task::spawn_blocking(move || {
            let Inner { records, log } = &mut *inner;
            match log {
                Some(log) => log.rewrite(records.values()),
                None => Ok(()),
            }
        })
        .await
        .map_err(Error::Task)?
    }
}

impl<R: Record> Inner<R> {
    fn update<T>(
        &mut self,
        id: String,
        change: impl FnOnce(Option<&R>) -> Result<(Option<R>, T)>,
    ) -> Result<T> {
        let (new, answer) = change(self.records.get(&id))?;
        if let Some(new) = new {
            debug_assert_eq!(new.id(), id);
            if let Some(log) = &mut self.log {
                log.append(&new)?;
            }
            self.records.insert(id, new);
        }
        Ok(answer)
    }
}

/// Refuses an empty (or blank) key, name or id: two records that lack one would otherwise
/// be taken for the same.
pub(crate) fn require(what: &'static str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::InvalidInput {
            what,
            reason: "must not be empty",
        });
    }
    Ok(())
}
