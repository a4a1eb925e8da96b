//! The dead-letter store: what failed, why, and enough to replay it.
//!
//! A flow that cannot finish a record (a mapping failure, a validation error, retries run
//! out) pushes a [`NewDeadLetter`] and goes on with the next record. An operator lists the
//! letters, fixes the cause, and [`replay`]s them or discards them.
//!
//! - A letter is identified by its flow, step and business key
//!   ([`DeadLetter::id_for`]): the same record failing again at the same step is the same
//!   letter, with one more attempt (and back to pending if it had been replayed or
//!   discarded).
//! - The payload is the canonical JSON of the record (a [`Payment`](canonical_model::Payment),
//!   an [`Order`](canonical_model::Order), …). Card data is redacted before it is stored
//!   (see [`card_guard`](super::card_guard)); [`DeadLetter::redacted`] says where.
//!
//! ```
//! use flows::store::{DeadLetterFilter, DeadLetterStatus, DeadLetterStore, MemoryDeadLetters, NewDeadLetter, ReplayOutcome, replay};
//! use mapping::retry::ErrorKind;
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), flows::Error> {
//! let letters = MemoryDeadLetters::new();
//! let letter = letters
//!     .push(NewDeadLetter {
//!         flow: "order-to-cash".into(),
//!         step: "dynamics365.sales_order".into(),
//!         key: "ORD-1001".into(),
//!         reason: "customer group is required".into(),
//!         error_kind: ErrorKind::Validation,
//!         payload: json!({"id": "ORD-1001", "note": "card 4111 1111 1111 1111"}),
//!     })
//!     .await?;
//! assert_eq!(letter.payload["note"], "card [REDACTED]");
//!
//! let pending = letters.list(&DeadLetterFilter::pending()).await?;
//! assert_eq!(pending.len(), 1);
//!
//! // After fixing the customer group:
//! let outcome = replay(&letters, &letter.id, |letter| async move {
//!     // ... run the step again with letter.payload ...
//!     Ok::<_, flows::Error>(letter.key)
//! })
//! .await?;
//! assert!(matches!(outcome, ReplayOutcome::Replayed(key) if key == "ORD-1001"));
//! assert_eq!(letters.get(&letter.id).await?.map(|l| l.status), Some(DeadLetterStatus::Replayed));
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::path::Path;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mapping::idempotency::IdempotencyKey;
use mapping::retry::{ErrorKind, RetryClassify};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::card_guard::{redact_json, redact_text};
use super::{Record, Table, require};
use crate::error::{Error, Result};

/// The dead-letter store.
#[async_trait]
pub trait DeadLetterStore: Send + Sync {
    /// Records a failure and returns the stored letter. A letter with the same flow, step
    /// and key ([`DeadLetter::id_for`]) is updated instead: one more attempt, the new
    /// reason, kind and payload, `last_failed_at` now, status back to pending. Card data is
    /// redacted from the payload and the reason first.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty flow, step or key; the store's I/O errors.
    async fn push(&self, failure: NewDeadLetter) -> Result<DeadLetter>;

    /// The letter with this id, if any.
    ///
    /// # Errors
    /// The store's errors (none for the built-in stores).
    async fn get(&self, id: &str) -> Result<Option<DeadLetter>>;

    /// The letters that match `filter`, oldest first failure first.
    ///
    /// # Errors
    /// The store's errors (none for the built-in stores).
    async fn list(&self, filter: &DeadLetterFilter) -> Result<Vec<DeadLetter>>;

    /// Marks a pending letter replayed: its work has been done since.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::InvalidState`] unless pending; the store's I/O errors.
    async fn mark_replayed(&self, id: &str) -> Result<DeadLetter>;

    /// Marks a pending letter discarded: nobody will replay it.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::InvalidState`] unless pending; the store's I/O errors.
    async fn discard(&self, id: &str) -> Result<DeadLetter>;
}

/// A failure to record: what [`DeadLetterStore::push`] takes.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDeadLetter {
    /// The use case (`"opportunity-to-payment"`).
    pub flow: String,
    /// The step that failed (`"paytrace.sale"`, `"salesforce.upsert_payment"`).
    pub step: String,
    /// The business key of the record (its idempotency key, order id, …).
    pub key: String,
    /// Why it failed: the error's message.
    pub reason: String,
    /// The error's kind.
    pub error_kind: ErrorKind,
    /// The record's canonical JSON: what a replay needs.
    pub payload: Value,
}

/// A failure recorded in the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// [`DeadLetter::id_for`] its flow, step and key.
    pub id: String,
    /// The use case.
    pub flow: String,
    /// The step that failed.
    pub step: String,
    /// The business key of the record.
    pub key: String,
    /// Why it failed last (card data redacted).
    pub reason: String,
    /// The kind of the last failure.
    pub error_kind: ErrorKind,
    /// The record's canonical JSON (card data redacted).
    pub payload: Value,
    /// JSON pointers into `payload` where card data was redacted; empty when none was.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redacted: Vec<String>,
    /// How many times it has failed: 1 on the first push.
    pub attempts: u32,
    /// When it first failed.
    pub first_failed_at: DateTime<Utc>,
    /// When it last failed.
    pub last_failed_at: DateTime<Utc>,
    /// Pending, replayed or discarded.
    pub status: DeadLetterStatus,
}

impl DeadLetter {
    /// The id of the letter for `key` failing at `step` of `flow`:
    /// `dead-letter-<32 hex digits>`, a hash of the three.
    pub fn id_for(flow: &str, step: &str, key: &str) -> String {
        IdempotencyKey::derive("dead-letter", &[flow, step, key]).into_string()
    }
}

/// Where a dead letter stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadLetterStatus {
    /// Waiting for someone to replay or discard it.
    Pending,
    /// Its work has been done since.
    Replayed,
    /// Nobody will replay it.
    Discarded,
}

impl DeadLetterStatus {
    /// The `snake_case` name, as serialised: `"pending"`, `"replayed"`, `"discarded"`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeadLetterStatus::Pending => "pending",
            DeadLetterStatus::Replayed => "replayed",
            DeadLetterStatus::Discarded => "discarded",
        }
    }
}

impl fmt::Display for DeadLetterStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which letters [`DeadLetterStore::list`] returns: those matching every field that is set.
/// The default matches all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeadLetterFilter {
    /// Only this flow.
    pub flow: Option<String>,
    /// Only this step.
    pub step: Option<String>,
    /// Only this business key.
    pub key: Option<String>,
    /// Only this status.
    pub status: Option<DeadLetterStatus>,
    /// Only this kind of failure.
    pub error_kind: Option<ErrorKind>,
}

impl DeadLetterFilter {
    /// Every pending letter.
    pub fn pending() -> Self {
        DeadLetterFilter {
            status: Some(DeadLetterStatus::Pending),
            ..Self::default()
        }
    }

    /// Whether `letter` matches.
    pub fn matches(&self, letter: &DeadLetter) -> bool {
        fn ok<T: PartialEq + ?Sized>(wanted: Option<&T>, actual: &T) -> bool {
            wanted.is_none_or(|w| w == actual)
        }
        ok(self.flow.as_deref(), letter.flow.as_str())
            && ok(self.step.as_deref(), letter.step.as_str())
            && ok(self.key.as_deref(), letter.key.as_str())
            && ok(self.status.as_ref(), &letter.status)
            && ok(self.error_kind.as_ref(), &letter.error_kind)
    }
}

impl Record for DeadLetter {
    fn id(&self) -> &str {
        &self.id
    }
}

/// What [`replay`] did.
#[derive(Debug)]
pub enum ReplayOutcome<T, E> {
    /// The work succeeded and the letter is marked replayed.
    Replayed(T),
    /// The work failed again; the letter, still pending, counts one more attempt.
    Failed {
        /// The work's error.
        error: E,
        /// The letter as updated.
        letter: Box<DeadLetter>,
    },
}

/// Replays the pending letter `id`: runs `work` on it, then marks it replayed if `work`
/// succeeds, or records the new failure (one more attempt, its reason and kind) if it fails.
///
/// `work` must itself be idempotent (go through the [ledger](super::ledger)): if marking
/// the letter fails after the work succeeded, the letter stays pending and may be replayed
/// again; two operators replaying the same letter at once both run `work`.
///
/// # Errors
/// [`Error::NotFound`]; [`Error::InvalidState`] if the letter is not pending; the store's
/// errors while reading or updating it. The work's own error is not an `Err` here but
/// [`ReplayOutcome::Failed`].
pub async fn replay<S, F, Fut, T, E>(store: &S, id: &str, work: F) -> Result<ReplayOutcome<T, E>>
where
    S: DeadLetterStore + ?Sized,
    F: FnOnce(DeadLetter) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: RetryClassify + fmt::Display,
{
    let letter = store.get(id).await?.ok_or_else(|| not_found(id))?;
    if letter.status != DeadLetterStatus::Pending {
        return Err(invalid_state(&letter, "replay"));
    }
    let DeadLetter {
        flow,
        step,
        key,
        payload,
        ..
    } = letter.clone();
    match work(letter).await {
        Ok(value) => {
            store.mark_replayed(id).await?;
            Ok(ReplayOutcome::Replayed(value))
        }
        Err(error) => {
            let failure = NewDeadLetter {
                flow,
                step,
                key,
                reason: error.to_string(),
                error_kind: error.kind(),
                payload,
            };
            let letter = store.push(failure).await?;
            Ok(ReplayOutcome::Failed {
                error,
                letter: Box::new(letter),
            })
        }
    }
}

/// A [`DeadLetterStore`] in memory.
#[derive(Debug)]
pub struct MemoryDeadLetters {
    table: Table<DeadLetter>,
}

impl MemoryDeadLetters {
    /// An empty store.
    pub fn new() -> Self {
        MemoryDeadLetters {
            table: Table::memory(),
        }
    }
}

impl Default for MemoryDeadLetters {
    fn default() -> Self {
        Self::new()
    }
}

/// A durable [`DeadLetterStore`]: `dead_letters.jsonl` in a directory, owned by one process
/// (see [the file stores](super#the-file-stores)).
#[derive(Debug)]
pub struct FileDeadLetters {
    table: Table<DeadLetter>,
}

impl FileDeadLetters {
    /// Opens (or creates) the store in `dir`, rebuilding its state from the log.
    ///
    /// # Errors
    /// [`Error::Locked`] if the store is open elsewhere; [`Error::Corrupt`] for a bad record
    /// before the last line; [`Error::Io`].
    pub async fn open(dir: impl AsRef<Path>) -> Result<Self> {
        Ok(FileDeadLetters {
            table: Table::open(dir.as_ref(), "dead_letters").await?,
        })
    }

    /// Rewrites the log with one line per letter.
    ///
    /// # Errors
    /// [`Error::Io`]; [`Error::Poisoned`] after an earlier failed write.
    pub async fn compact(&self) -> Result<()> {
        self.table.compact().await
    }
}

macro_rules! impl_dead_letters {
    ($($store:ty),+) => {$(
        #[async_trait]
        impl DeadLetterStore for $store {
            async fn push(&self, failure: NewDeadLetter) -> Result<DeadLetter> {
                push(&self.table, failure).await
            }
            async fn get(&self, id: &str) -> Result<Option<DeadLetter>> {
                Ok(self.table.get(id).await)
            }
            async fn list(&self, filter: &DeadLetterFilter) -> Result<Vec<DeadLetter>> {
                Ok(list(&self.table, filter).await)
            }
            async fn mark_replayed(&self, id: &str) -> Result<DeadLetter> {
                close(&self.table, id, DeadLetterStatus::Replayed).await
            }
            async fn discard(&self, id: &str) -> Result<DeadLetter> {
                close(&self.table, id, DeadLetterStatus::Discarded).await
            }
        }
    )+};
}

impl_dead_letters!(MemoryDeadLetters, FileDeadLetters);

async fn push(table: &Table<DeadLetter>, failure: NewDeadLetter) -> Result<DeadLetter> {
    require("dead letter flow", &failure.flow)?;
    require("dead letter step", &failure.step)?;
    require("dead letter key", &failure.key)?;
    let id = DeadLetter::id_for(&failure.flow, &failure.step, &failure.key);
    let NewDeadLetter {
        flow,
        step,
        key,
        reason,
        error_kind,
        mut payload,
    } = failure;
    let reason = redact_text(&reason).into_owned();
    let redacted = redact_json(&mut payload);
    if !redacted.is_empty() {
        tracing::warn!(%flow, %step, %key, ?redacted, "card data redacted from a dead letter");
    }
    let letter = table
        .update(id.clone(), move |current| {
            let now = Utc::now();
            let letter = match current {
                None => DeadLetter {
                    id,
                    flow,
                    step,
                    key,
                    reason,
                    error_kind,
                    payload,
                    redacted,
                    attempts: 1,
                    first_failed_at: now,
                    last_failed_at: now,
                    status: DeadLetterStatus::Pending,
                },
                Some(old) => {
                    let mut all_redacted = old.redacted.clone();
                    all_redacted.extend(redacted);
                    all_redacted.sort();
                    all_redacted.dedup();
                    DeadLetter {
                        reason,
                        error_kind,
                        payload,
                        redacted: all_redacted,
                        attempts: old.attempts.saturating_add(1),
                        last_failed_at: now,
                        status: DeadLetterStatus::Pending,
                        ..old.clone()
                    }
                }
            };
            Ok((Some(letter.clone()), letter))
        })
        .await?;
    tracing::info!(
        id = %letter.id,
        flow = %letter.flow,
        step = %letter.step,
        key = %letter.key,
        error_kind = %letter.error_kind,
        attempts = letter.attempts,
        "dead letter recorded"
    );
    Ok(letter)
}

async fn list(table: &Table<DeadLetter>, filter: &DeadLetterFilter) -> Vec<DeadLetter> {
    let mut letters: Vec<DeadLetter> = table
        .read(|letters| {
            letters
                .values()
                .filter(|l| filter.matches(l))
                .cloned()
                .collect()
        })
        .await;
    letters.sort_by(|a, b| {
        a.first_failed_at
            .cmp(&b.first_failed_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    letters
}

/// Moves a pending letter to `status`.
async fn close(
    table: &Table<DeadLetter>,
    id: &str,
    status: DeadLetterStatus,
) -> Result<DeadLetter> {
    let action = match status {
        DeadLetterStatus::Replayed => "mark replayed",
        _ => "discard",
    };
    let id = id.to_owned();
    table
        .update(id.clone(), move |current| {
            let letter = current.ok_or_else(|| not_found(&id))?;
            if letter.status != DeadLetterStatus::Pending {
                return Err(invalid_state(letter, action));
            }
            let letter = DeadLetter {
                status,
                ..letter.clone()
            };
            Ok((Some(letter.clone()), letter))
        })
        .await
}

fn not_found(id: &str) -> Error {
    Error::NotFound {
        what: "dead letter",
        id: id.to_owned(),
    }
}

fn invalid_state(letter: &DeadLetter, action: &'static str) -> Error {
    Error::InvalidState {
        what: "dead letter",
        id: letter.id.clone(),
        state: letter.status.as_str(),
        action,
    }
}
