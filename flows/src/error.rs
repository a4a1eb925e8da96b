//! The crate's one error type, classified with [`mapping::retry::ErrorKind`].
//!
//! Messages never repeat a stored payload, so `Display` and `Debug` are safe to log; the
//! underlying I/O or JSON error is kept as the [`source`](std::error::Error::source).

use std::io;
use std::path::PathBuf;

use mapping::retry::{ErrorKind, RetryClassify, StopReason};

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `flows`.
///
/// Classify with [`kind`](Self::kind), the vocabulary every Tributary crate shares.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading, writing, syncing or renaming a store file failed.
    #[error("could not {action} {}", path.display())]
    Io {
        /// What was being done (`"append to"`, `"sync"`, `"rename"`, …).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },

    /// A record in the middle of a store log is not valid. (A torn *last* record is the
    /// trace of an interrupted write and is dropped on open instead.)
    #[error("{} line {line} is not a valid record", path.display())]
    Corrupt {
        /// The log file.
        path: PathBuf,
        /// The 1-based line number.
        line: u64,
        /// Why it does not parse.
        #[source]
        source: serde_json::Error,
    },

    /// Another store object, in this process or another, has the store open. One process
    /// owns a store directory at a time.
    #[error(
        "store lock {} is held{}: one process owns a store at a time; if that process is no \
         longer running, delete the lock file",
        path.display(),
        holder.map(|pid| format!(" by process {pid}")).unwrap_or_default()
    )]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// The process id written in the lock file, when it could be read.
        holder: Option<u32>,
    },

    /// A write to this store failed earlier, so whether it reached the disk is unknown; the
    /// store refuses further writes until it is reopened (which rebuilds the state from the
    /// log, the truth).
    #[error("store {} refuses writes after a failed write; reopen it", path.display())]
    Poisoned {
        /// The log file.
        path: PathBuf,
    },

    /// No record with this id.
    #[error("no {what} {id:?}")]
    NotFound {
        /// What was looked for (`"ledger entry"`, `"dead letter"`).
        what: &'static str,
        /// Its key or id.
        id: String,
    },

    /// The record is in a state the operation does not apply to (completing an entry that
    /// is already completed, discarding a replayed dead letter).
    #[error("cannot {action} {what} {id:?}: it is {state}")]
    InvalidState {
        /// What was changed (`"ledger entry"`, `"dead letter"`).
        what: &'static str,
        /// Its key or id.
        id: String,
        /// Its current state.
        state: &'static str,
        /// The refused operation.
        action: &'static str,
    },

    /// A checkpoint's [`compare_and_set`](crate::store::CheckpointStore::compare_and_set)
    /// found another value than the expected one: someone else moved it.
    #[error("checkpoint {name:?} holds another value than expected")]
    CheckpointConflict {
        /// The checkpoint.
        name: String,
        /// The value it holds now (`None`: not set).
        current: Option<serde_json::Value>,
    },

    /// An argument was refused (an empty key or name).
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// The argument.
        what: &'static str,
        /// Why.
        reason: &'static str,
    },

    /// A value could not be converted to or from JSON.
    #[error("could not convert {what} to or from JSON")]
    Json {
        /// What was converted.
        what: &'static str,
        /// serde's error.
        #[source]
        source: serde_json::Error,
    },

    /// A background task doing store I/O panicked or was cancelled.
    #[error("a store I/O task failed")]
    Task(#[source] tokio::task::JoinError),

    /// A PayTrace call failed (after the client's retries).
    #[error(transparent)]
    PayTrace(Box<paytrace_client::Error>),

    /// A Salesforce call failed (after the client's retries).
    #[error(transparent)]
    Salesforce(Box<salesforce_client::Error>),

    /// A Dynamics 365 call failed (after the client's retries).
    #[error(transparent)]
    Dynamics(Box<dynamics365_client::Error>),

    /// A record could not be mapped or read: a field-mapping spec, a transform or a
    /// canonical-model rule refused it.
    #[error("could not map {what}")]
    Mapping {
        /// What was mapped (`"Opportunity Amount"`, `"batch journal entry"`).
        what: &'static str,
        /// The refusal.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The flows are misconfigured: a system's environment variables are incomplete, a
    /// sandbox emulator could not start, an input file is unreadable.
    #[error("configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
        /// The underlying error, if any.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl Error {
    /// The kind of failure, in the vocabulary every Tributary crate shares.
    ///
    /// | variant | kind |
    /// |---|---|
    /// | `Io` | `Transient` for interrupted or timed-out I/O, `Configuration` for a missing path or a permission, otherwise `Other` |
    /// | `Corrupt`, `Json` | `Decode` |
    /// | `Locked` | `Configuration` |
    /// | `NotFound` | `NotFound` |
    /// | `InvalidState`, `CheckpointConflict` | `Conflict` |
    /// | `InvalidInput` | `Validation` |
    /// | `Poisoned`, `Task` | `Other` |
    /// | `PayTrace`, `Salesforce`, `Dynamics` | the client error's own kind |
    /// | `Mapping` | `Validation` |
    /// | `Config` | `Configuration` |
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Io { source, .. } => match source.kind() {
                io::ErrorKind::Interrupted
                | io::ErrorKind::TimedOut
                | io::ErrorKind::WouldBlock => ErrorKind::Transient,
                io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied => {
                    ErrorKind::Configuration
                }
                _ => ErrorKind::Other,
            },
            Error::Corrupt { .. } | Error::Json { .. } => ErrorKind::Decode,
            Error::Locked { .. } => ErrorKind::Configuration,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::InvalidState { .. } | Error::CheckpointConflict { .. } => ErrorKind::Conflict,
            Error::InvalidInput { .. } => ErrorKind::Validation,
            Error::Poisoned { .. } | Error::Task(_) => ErrorKind::Other,
            Error::PayTrace(e) => e.kind(),
            Error::Salesforce(e) => e.kind(),
            Error::Dynamics(e) => e.kind(),
            Error::Mapping { .. } => ErrorKind::Validation,
            Error::Config { .. } => ErrorKind::Configuration,
        }
    }

    /// Whether trying again can succeed ([`ErrorKind::is_retryable`] of [`kind`](Self::kind)).
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }

    pub(crate) fn mapping(
        what: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::Mapping {
            what,
            source: source.into(),
        }
    }

    pub(crate) fn config(reason: impl Into<String>) -> Self {
        Error::Config {
            reason: reason.into(),
            source: None,
        }
    }

    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

impl From<paytrace_client::Error> for Error {
    fn from(error: paytrace_client::Error) -> Self {
        Error::PayTrace(Box::new(error))
    }
}

impl From<salesforce_client::Error> for Error {
    fn from(error: salesforce_client::Error) -> Self {
        Error::Salesforce(Box::new(error))
    }
}

impl From<dynamics365_client::Error> for Error {
    fn from(error: dynamics365_client::Error) -> Self {
        Error::Dynamics(Box::new(error))
    }
}

/// Lets a `flows` error be the error of a [`replay`](crate::store::replay) closure, beside
/// the clients' errors.
impl RetryClassify for Error {
    fn kind(&self) -> ErrorKind {
        Error::kind(self)
    }

    fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Error::PayTrace(e) => RetryClassify::retry_after(e.as_ref()),
            Error::Salesforce(e) => RetryClassify::retry_after(e.as_ref()),
            Error::Dynamics(e) => RetryClassify::retry_after(e.as_ref()),
            _ => None,
        }
    }

    fn record_attempts(&mut self, _attempts: u32, _stop: StopReason) {}
}
