//! The idempotency ledger: business key → outcome, so that a rerun or a replayed event does
//! nothing twice.
//!
//! # The life of an entry
//!
//! ```text
//!            begin                complete
//!   (none) ────────► in progress ─────────► completed ◄───┐
//!                     │  ▲    │ mark_unknown              │ resolve
//!                fail │  │    └────────────► unknown ─────┘
//!                     ▼  │ begin (retryable)    │
//!                    failed ◄──────── fail ─────┘
//! ```
//!
//! - [`begin`](Ledger::begin) claims a key atomically: exactly one caller gets
//!   [`Claim::Claimed`] and does the work; everyone else gets the [`Entry`] as it stands.
//! - The claimer ends with [`complete`](Ledger::complete) (the outcome: PayTrace transaction
//!   id, Salesforce record id, … — ids, never card data), [`fail`](Ledger::fail), or
//!   [`mark_unknown`](Ledger::mark_unknown) when the work may or may not have happened (a
//!   charge whose response was lost).
//! - A `fail` with `retryable: true` says the work certainly did not happen and may be tried
//!   again: the next `begin` claims the key anew, as attempt 2. A permanent failure (a
//!   decline, a validation error) stays: a deliberate new attempt uses a new key
//!   ([`IdempotencyKey::derive_attempt`](mapping::idempotency::IdempotencyKey::derive_attempt)).
//!
//! # What a rerun does with what it finds
//!
//! | `begin` returns | meaning | do |
//! |---|---|---|
//! | `Claimed` | first time (or retry after a retryable failure) | the work, then `complete` / `fail` / `mark_unknown` |
//! | `Completed` | done before | nothing (use the outcome) |
//! | `Failed` | failed for good | nothing (it is in the dead letters) |
//! | `InProgress`, not orphaned | another task of this process is on it (or was, and was dropped: see `claimed_at`) | nothing now |
//! | `InProgress`, orphaned, or `Unknown` | [`needs_reconcile`](Entry::needs_reconcile): the claimer is gone, or the outcome was lost | reconcile |
//!
//! **Reconciling** (before anything else, e.g. for every entry of
//! [`unresolved`](Ledger::unresolved) at start-up): ask the system of record what happened
//! (PayTrace: export transactions by invoice id), then
//! - it happened → [`resolve`](Ledger::resolve) with the outcome found;
//! - it was refused → [`fail`](Ledger::fail);
//! - it did not happen → [`reclaim`](Ledger::reclaim) with the attempt you saw; only one
//!   reconciler gets `Claimed` and does the work again.
//!
//! ```
//! use flows::store::{Claim, EntryState, Ledger, MemoryLedger};
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), flows::Error> {
//! let ledger = MemoryLedger::new();
//! let key = "pt-sale-bac5b8ebd062fc9fc7815f3dc80e3de0";
//!
//! // The charge was sent and the answer lost.
//! let claim = ledger.begin(key, json!({"invoice_id": "OPP-42"})).await?;
//! assert_eq!(claim, Claim::Claimed { attempt: 1 });
//! ledger.mark_unknown(key, "connection reset after sending the sale").await?;
//!
//! // Later, or after a restart: reconcile before doing anything else.
//! for entry in ledger.unresolved().await? {
//!     assert!(entry.needs_reconcile());
//!     // ... PayTrace's export by invoice id found transaction 123456789:
//!     ledger.resolve(&entry.key, json!({"transaction_id": "123456789"})).await?;
//! }
//!
//! // A replayed event finds the work done.
//! let claim = ledger.begin(key, json!({"invoice_id": "OPP-42"})).await?;
//! assert!(matches!(claim, Claim::Existing(e) if matches!(e.state, EntryState::Completed { .. })));
//! # Ok(())
//! # }
//! ```

use std::path::Path;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::card_guard::{redact_json, redact_text};
use super::{Record, Table, require};
use crate::error::{Error, Result};

/// The idempotency ledger. See the [module docs](self) for the protocol.
///
/// Every method is atomic for its key: concurrent callers see one order of changes.
#[async_trait]
pub trait Ledger: Send + Sync {
    /// Claims `key` for the work described by `intent` (what is about to be done, for the
    /// reconciler: invoice id, amount, … — never card data).
    ///
    /// Returns [`Claim::Claimed`] if the key was free (or its last attempt failed
    /// retryably), to exactly one of any number of concurrent callers; otherwise
    /// [`Claim::Existing`] with the entry as it stands, unchanged.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty key; the store's I/O errors.
    async fn begin(&self, key: &str, intent: Value) -> Result<Claim>;

    /// Records the outcome of claimed work (in progress → completed).
    ///
    /// # Errors
    /// [`Error::NotFound`] if the key was never claimed; [`Error::InvalidState`] unless it is
    /// in progress; the store's I/O errors.
    async fn complete(&self, key: &str, outcome: Value) -> Result<Entry>;

    /// Records that the work failed (in progress or unknown → failed). `retryable: true`
    /// means it certainly did not take effect and may be tried again by the next
    /// [`begin`](Self::begin); `false` means it failed for good.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::InvalidState`] if completed or failed already; the
    /// store's I/O errors.
    async fn fail(&self, key: &str, reason: &str, retryable: bool) -> Result<Entry>;

    /// Records that the outcome is unknown and must be reconciled before anything else is
    /// done for this key (in progress → unknown; on an unknown entry, replaces the note).
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::InvalidState`] if completed or failed; the store's I/O
    /// errors.
    async fn mark_unknown(&self, key: &str, note: &str) -> Result<Entry>;

    /// Settles an entry that needed reconciling with the outcome found (in progress or
    /// unknown → completed). On an entry completed already it changes nothing and returns
    /// it, so two reconcilers may both resolve.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::InvalidState`] if failed; the store's I/O errors.
    async fn resolve(&self, key: &str, outcome: Value) -> Result<Entry>;

    /// Claims again an entry whose work was found not to have happened. `attempt` is the
    /// [`Entry::attempt`] the reconciler looked at: if the entry is still in that attempt and
    /// in progress or unknown, it becomes attempt `attempt + 1` and the caller gets
    /// [`Claim::Claimed`]; otherwise (someone else reclaimed or settled it) the entry as it
    /// stands.
    ///
    /// # Errors
    /// [`Error::NotFound`]; the store's I/O errors.
    async fn reclaim(&self, key: &str, attempt: u32) -> Result<Claim>;

    /// The entry for `key`, if any.
    ///
    /// # Errors
    /// The store's errors (none for the built-in stores).
    async fn get(&self, key: &str) -> Result<Option<Entry>>;

    /// Every entry in progress or unknown, oldest claim first: what a flow reconciles at
    /// start-up.
    ///
    /// # Errors
    /// The store's errors (none for the built-in stores).
    async fn unresolved(&self) -> Result<Vec<Entry>>;
}

/// What [`Ledger::begin`] and [`Ledger::reclaim`] found.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// The caller owns the key now and does the work: `attempt` 1 the first time.
    Claimed {
        /// Which attempt at the work this is.
        attempt: u32,
    },
    /// Someone claimed the key before; here is its entry, unchanged.
    Existing(Entry),
}

/// One business key's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The business key (an [`IdempotencyKey`](mapping::idempotency::IdempotencyKey) or
    /// another stable id).
    pub key: String,
    /// Which attempt the entry is in: 1, then one more for each re-claim.
    pub attempt: u32,
    /// What the claimer was about to do, as given to `begin`.
    pub intent: Value,
    /// When the current attempt was claimed.
    pub claimed_at: DateTime<Utc>,
    /// When the entry last changed.
    pub updated_at: DateTime<Utc>,
    /// Where it stands.
    #[serde(flatten)]
    pub state: EntryState,
}

/// Where a ledger entry stands. Serialised inside the entry, tagged by `"state"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum EntryState {
    /// Claimed; the work is under way, or was when its claimer stopped.
    InProgress {
        /// Claimed before this store was opened: the claimer was an earlier run of the
        /// process, which is gone, so the entry must be reconciled. Never stored.
        ///
        /// A claim whose task was dropped in this process without finishing is orphaned
        /// only once the store is reopened; a flow that knows its claimer is gone (its
        /// `claimed_at` is older than the step can take) may reconcile it as orphaned.
        #[serde(skip)]
        orphaned: bool,
    },
    /// Done.
    Completed {
        /// What the work produced (ids).
        outcome: Value,
    },
    /// Failed.
    Failed {
        /// Why (card data redacted).
        reason: String,
        /// Whether the work certainly did not happen and may be tried again.
        retryable: bool,
    },
    /// May or may not have happened: reconcile before anything else.
    Unknown {
        /// What happened (card data redacted).
        note: String,
    },
}

impl EntryState {
    /// The state's name: `"in progress"`, `"completed"`, `"failed"` or `"unknown"`.
    pub fn name(&self) -> &'static str {
        match self {
            EntryState::InProgress { .. } => "in progress",
            EntryState::Completed { .. } => "completed",
            EntryState::Failed { .. } => "failed",
            EntryState::Unknown { .. } => "unknown",
        }
    }
}

impl Entry {
    /// Whether the entry must be reconciled before anything else is done for its key: its
    /// outcome is unknown, or it is in progress and orphaned.
    pub fn needs_reconcile(&self) -> bool {
        matches!(
            self.state,
            EntryState::Unknown { .. } | EntryState::InProgress { orphaned: true }
        )
    }

    /// The outcome, if completed.
    pub fn outcome(&self) -> Option<&Value> {
        match &self.state {
            EntryState::Completed { outcome } => Some(outcome),
            _ => None,
        }
    }
}

impl Record for Entry {
    fn id(&self) -> &str {
        &self.key
    }

    fn reopened(&mut self) {
        if let EntryState::InProgress { orphaned } = &mut self.state {
            *orphaned = true;
        }
    }
}

/// A [`Ledger`] in memory: for tests, and for runs that need no durability.
#[derive(Debug)]
pub struct MemoryLedger {
    table: Table<Entry>,
}

impl MemoryLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        MemoryLedger {
            table: Table::memory(),
        }
    }
}

impl Default for MemoryLedger {
    fn default() -> Self {
        Self::new()
    }
}

/// A durable [`Ledger`]: `ledger.jsonl` in a directory, owned by one process (see
/// [the file stores](super#the-file-stores)).
#[derive(Debug)]
pub struct FileLedger {
    table: Table<Entry>,
}

impl FileLedger {
    /// Opens (or creates) the ledger in `dir`, rebuilding its state from the log. Entries
    /// found in progress are orphaned: their claimer was an earlier run.
    ///
    /// # Errors
    /// [`Error::Locked`] if the ledger is open elsewhere; [`Error::Corrupt`] for a bad record
    /// before the last line; [`Error::Io`].
    pub async fn open(dir: impl AsRef<Path>) -> Result<Self> {
        Ok(FileLedger {
            table: Table::open(dir.as_ref(), "ledger").await?,
        })
    }

    /// Rewrites the log with one line per entry.
    ///
    /// # Errors
    /// [`Error::Io`]; [`Error::Poisoned`] after an earlier failed write.
    pub async fn compact(&self) -> Result<()> {
        self.table.compact().await
    }
}

macro_rules! impl_ledger {
    ($($store:ty),+) => {$(
        #[async_trait]
        impl Ledger for $store {
            async fn begin(&self, key: &str, intent: Value) -> Result<Claim> {
                begin(&self.table, key, intent).await
            }
            async fn complete(&self, key: &str, outcome: Value) -> Result<Entry> {
                let outcome = guarded(key, outcome);
                settle(&self.table, key, Settle::Complete, EntryState::Completed { outcome }).await
            }
            async fn fail(&self, key: &str, reason: &str, retryable: bool) -> Result<Entry> {
                let reason = redact_text(reason).into_owned();
                settle(&self.table, key, Settle::Fail, EntryState::Failed { reason, retryable }).await
            }
            async fn mark_unknown(&self, key: &str, note: &str) -> Result<Entry> {
                let note = redact_text(note).into_owned();
                settle(&self.table, key, Settle::MarkUnknown, EntryState::Unknown { note }).await
            }
            async fn resolve(&self, key: &str, outcome: Value) -> Result<Entry> {
                let outcome = guarded(key, outcome);
                settle(&self.table, key, Settle::Resolve, EntryState::Completed { outcome }).await
            }
            async fn reclaim(&self, key: &str, attempt: u32) -> Result<Claim> {
                reclaim(&self.table, key, attempt).await
            }
            async fn get(&self, key: &str) -> Result<Option<Entry>> {
                Ok(self.table.get(key).await)
            }
            async fn unresolved(&self) -> Result<Vec<Entry>> {
                Ok(unresolved(&self.table).await)
            }
        }
    )+};
}

impl_ledger!(MemoryLedger, FileLedger);

async fn begin(table: &Table<Entry>, key: &str, intent: Value) -> Result<Claim> {
    require("ledger key", key)?;
    let intent = guarded(key, intent);
    let owned = key.to_owned();
    let claim = table
        .update(key.to_owned(), move |current| match current {
            None => Ok(claimed(owned, 1, intent)),
            Some(
                entry @ Entry {
                    state:
                        EntryState::Failed {
                            retryable: true, ..
                        },
                    ..
                },
            ) => Ok(claimed(owned, entry.attempt + 1, intent)),
            Some(entry) => Ok((None, Claim::Existing(entry.clone()))),
        })
        .await?;
    tracing::debug!(
        key,
        claimed = matches!(claim, Claim::Claimed { .. }),
        "ledger begin"
    );
    Ok(claim)
}

async fn reclaim(table: &Table<Entry>, key: &str, attempt: u32) -> Result<Claim> {
    let owned = key.to_owned();
    table
        .update(key.to_owned(), move |current| match current {
            None => Err(not_found(owned)),
            Some(entry)
                if entry.attempt == attempt
                    && matches!(
                        entry.state,
                        EntryState::InProgress { .. } | EntryState::Unknown { .. }
                    ) =>
            {
                Ok(claimed(owned, attempt + 1, entry.intent.clone()))
            }
            Some(entry) => Ok((None, Claim::Existing(entry.clone()))),
        })
        .await
}

/// The changes [`settle`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settle {
    Complete,
    Fail,
    MarkUnknown,
    Resolve,
}

impl Settle {
    fn name(self) -> &'static str {
        match self {
            Settle::Complete => "complete",
            Settle::Fail => "fail",
            Settle::MarkUnknown => "mark unknown",
            Settle::Resolve => "resolve",
        }
    }
}

/// Moves an existing entry to `next` if `action` allows it from where it stands (see the
/// module docs).
async fn settle(
    table: &Table<Entry>,
    key: &str,
    action: Settle,
    next: EntryState,
) -> Result<Entry> {
    let owned = key.to_owned();
    table
        .update(key.to_owned(), move |current| {
            let Some(entry) = current else {
                return Err(not_found(owned));
            };
            match (&entry.state, action) {
                (EntryState::Completed { .. }, Settle::Resolve) => {
                    return Ok((None, entry.clone()));
                }
                (EntryState::InProgress { .. }, _)
                | (
                    EntryState::Unknown { .. },
                    Settle::Fail | Settle::MarkUnknown | Settle::Resolve,
                ) => {}
                _ => {
                    return Err(Error::InvalidState {
                        what: "ledger entry",
                        id: owned,
                        state: entry.state.name(),
                        action: action.name(),
                    });
                }
            }
            let entry = Entry {
                state: next,
                updated_at: Utc::now(),
                ..entry.clone()
            };
            Ok((Some(entry.clone()), entry))
        })
        .await
}

async fn unresolved(table: &Table<Entry>) -> Vec<Entry> {
    let mut entries: Vec<Entry> = table
        .read(|entries| {
            entries
                .values()
                .filter(|e| {
                    matches!(
                        e.state,
                        EntryState::InProgress { .. } | EntryState::Unknown { .. }
                    )
                })
                .cloned()
                .collect()
        })
        .await;
    entries.sort_by(|a, b| {
        a.claimed_at
            .cmp(&b.claimed_at)
            .then_with(|| a.key.cmp(&b.key))
    });
    entries
}

fn claimed(key: String, attempt: u32, intent: Value) -> (Option<Entry>, Claim) {
    let now = Utc::now();
    let entry = Entry {
        key,
        attempt,
        intent,
        claimed_at: now,
        updated_at: now,
        state: EntryState::InProgress { orphaned: false },
    };
    (Some(entry), Claim::Claimed { attempt })
}

/// `value` with card data redacted (and a warning naming where).
fn guarded(key: &str, mut value: Value) -> Value {
    let redacted = redact_json(&mut value);
    if !redacted.is_empty() {
        tracing::warn!(key, ?redacted, "card data redacted from a ledger entry");
    }
    value
}

fn not_found(key: String) -> Error {
    Error::NotFound {
        what: "ledger entry",
        id: key,
    }
}
