//! The Bulk API 2.0 job model: states, the CSV dialect, uploaded data, per-row outcomes,
//! query results, and the job-info JSON.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::salesforce::ids;
use crate::salesforce::sessions::Actor;
use crate::salesforce::util::sf_datetime;

/// The state of a Bulk API 2.0 job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BulkJobState {
    /// An ingest job open for uploads.
    Open,
    /// Uploads are complete (ingest) or the query is queued; processing has not started.
    UploadComplete,
    /// Being processed.
    InProgress,
    /// Processed (rows may still have failed: see the failed results).
    JobComplete,
    /// Could not be processed (`errorMessage` says why).
    Failed,
    /// Aborted by the client.
    Aborted,
}

impl BulkJobState {
    /// The API spelling (`Open`, `UploadComplete`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "Open",
            Self::UploadComplete => "UploadComplete",
            Self::InProgress => "InProgress",
            Self::JobComplete => "JobComplete",
            Self::Failed => "Failed",
            Self::Aborted => "Aborted",
        }
    }

    /// `JobComplete`, `Failed` or `Aborted`.
    #[must_use]
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::JobComplete | Self::Failed | Self::Aborted)
    }
}

/// Ingest or query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BulkJobKind {
    /// `/jobs/ingest` (`jobType` `V2Ingest`).
    Ingest,
    /// `/jobs/query` (`jobType` `V2Query`).
    Query,
}

/// A snapshot of a job, for tests and tools.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BulkJobInfo {
    /// The `750…` id.
    pub id: String,
    /// Ingest or query.
    pub kind: BulkJobKind,
    /// Current state.
    pub state: BulkJobState,
    /// sObject name.
    pub object: String,
    /// `insert`, `upsert`, …, `query`, `queryAll`.
    pub operation: String,
    /// `numberRecordsProcessed` (failed rows included).
    pub records_processed: u64,
    /// `numberRecordsFailed`.
    pub records_failed: u64,
    /// `errorMessage` of a failed job.
    pub error_message: Option<String>,
    /// API version the job was created with.
    pub api_version: u32,
    /// Raw CSV bytes uploaded so far.
    pub uploaded_bytes: u64,
}

/// `columnDelimiter`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delimiter {
    Comma,
    Backquote,
    Caret,
    Pipe,
    Semicolon,
    Tab,
}

impl Delimiter {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "COMMA" => Self::Comma,
            "BACKQUOTE" => Self::Backquote,
            "CARET" => Self::Caret,
            "PIPE" => Self::Pipe,
            "SEMICOLON" => Self::Semicolon,
            "TAB" => Self::Tab,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Comma => "COMMA",
            Self::Backquote => "BACKQUOTE",
            Self::Caret => "CARET",
            Self::Pipe => "PIPE",
            Self::Semicolon => "SEMICOLON",
            Self::Tab => "TAB",
        }
    }

    pub(crate) fn byte(self) -> u8 {
        match self {
            Self::Comma => b',',
            Self::Backquote => b'`',
            Self::Caret => b'^',
            Self::Pipe => b'|',
            Self::Semicolon => b';',
            Self::Tab => b'\t',
        }
    }
}

/// `lineEnding`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LineEnding {
    Lf,
    Crlf,
}

impl LineEnding {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "LF" => Some(Self::Lf),
            "CRLF" => Some(Self::Crlf),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Lf => "LF",
            Self::Crlf => "CRLF",
        }
    }

    pub(crate) fn bytes(self) -> &'static [u8] {
        match self {
            Self::Lf => b"\n",
            Self::Crlf => b"\r\n",
        }
    }
}

/// One `PUT …/batches` body, kept as received (zero-copy chunks).
#[derive(Debug, Default)]
pub(crate) struct Upload {
    pub(crate) chunks: Vec<Bytes>,
    pub(crate) bytes: u64,
    /// Record terminators seen outside quotes: `\r\n` and bare `\n`.
    pub(crate) crlf: bool,
    pub(crate) bare_lf: bool,
}

/// What happened to one input row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RowKind {
    Unprocessed,
    Created,
    Succeeded,
    Failed,
}

/// One row's outcome in 19 bytes: the record id (zeros when none) and the kind.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RowOutcome {
    id: [u8; 18],
    kind: RowKind,
}

impl RowOutcome {
    pub(crate) fn new(kind: RowKind, id: Option<&str>) -> Self {
        let mut out = [0u8; 18];
        if let Some(id) = id
            && id.len() == 18
        {
            out.copy_from_slice(id.as_bytes());
        }
        Self { id: out, kind }
    }

    pub(crate) fn kind(&self) -> RowKind {
        self.kind
    }

    /// The record id, or `""`.
    pub(crate) fn id(&self) -> &str {
        if self.id[0] == 0 {
            return "";
        }
        std::str::from_utf8(&self.id).unwrap_or("")
    }
}

/// The CSV of a finished query: header, rows, and where each row starts.
#[derive(Debug)]
pub(crate) struct QueryResult {
    pub(crate) header: Bytes,
    pub(crate) body: Bytes,
    /// Start offset of each row in `body`, plus the end: `rows + 1` entries.
    pub(crate) offsets: Vec<u64>,
}

impl QueryResult {
    pub(crate) fn rows(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Rows `start..end` as one zero-copy slice.
    pub(crate) fn slice(&self, start: usize, end: usize) -> Bytes {
        let (Some(a), Some(b)) = (self.offsets.get(start), self.offsets.get(end)) else {
            return Bytes::new();
        };
        let (a, b) = (
            usize::try_from(*a).unwrap_or(0),
            usize::try_from(*b).unwrap_or(0),
        );
        if a <= b && b <= self.body.len() {
            self.body.slice(a..b)
        } else {
            Bytes::new()
        }
    }
}

/// One job.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) id: String,
    pub(crate) kind: BulkJobKind,
    pub(crate) operation: String,
    pub(crate) object: String,
    pub(crate) actor: Actor,
    /// `changeOrigin` of the change events the job causes.
    pub(crate) origin: String,
    pub(crate) created: DateTime<Utc>,
    pub(crate) modstamp: DateTime<Utc>,
    pub(crate) state: BulkJobState,
    pub(crate) api_version: u32,
    pub(crate) delimiter: Delimiter,
    pub(crate) line_ending: LineEnding,
    pub(crate) ext_id: Option<String>,
    pub(crate) assignment_rule_id: Option<String>,
    pub(crate) error_message: Option<String>,
    pub(crate) processed: u64,
    pub(crate) failed: u64,
    pub(crate) processing_ms: u64,
    pub(crate) uploads: Vec<Arc<Upload>>,
    pub(crate) outcomes: Vec<RowOutcome>,
    pub(crate) errors: HashMap<u32, Box<str>>,
    /// Query jobs: the SOQL and whether deleted rows are included.
    pub(crate) soql: String,
    pub(crate) all_rows: bool,
    pub(crate) result: Option<Arc<QueryResult>>,
}

impl Job {
    pub(crate) fn uploaded_bytes(&self) -> u64 {
        self.uploads.iter().map(|u| u.bytes).sum()
    }

    pub(crate) fn snapshot(&self) -> BulkJobInfo {
        BulkJobInfo {
            id: self.id.clone(),
            kind: self.kind,
            state: self.state,
            object: self.object.clone(),
            operation: self.operation.clone(),
            records_processed: self.processed,
            records_failed: self.failed,
            error_message: self.error_message.clone(),
            api_version: self.api_version,
            uploaded_bytes: self.uploaded_bytes(),
        }
    }

    /// `services/data/vNN.0/jobs/ingest/{id}/batches`.
    pub(crate) fn content_url(&self) -> String {
        format!(
            "services/data/v{}.0/jobs/ingest/{}/batches",
            self.api_version, self.id
        )
    }

    /// The job info JSON. `full` adds the counters of `GET …/{jobId}`.
    pub(crate) fn info(&self, full: bool) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("operation".into(), json!(self.operation));
        m.insert("object".into(), json!(self.object));
        m.insert("createdById".into(), json!(self.actor.user_id));
        m.insert("createdDate".into(), json!(sf_datetime(self.created)));
        m.insert("systemModstamp".into(), json!(sf_datetime(self.modstamp)));
        m.insert("state".into(), json!(self.state.as_str()));
        if let Some(ext) = &self.ext_id {
            m.insert("externalIdFieldName".into(), json!(ext));
        }
        if let Some(rule) = &self.assignment_rule_id {
            m.insert("assignmentRuleId".into(), json!(rule));
        }
        m.insert("concurrencyMode".into(), json!("Parallel"));
        m.insert("contentType".into(), json!("CSV"));
        m.insert("apiVersion".into(), json!(f64::from(self.api_version)));
        match self.kind {
            BulkJobKind::Ingest => {
                if self.state == BulkJobState::Open {
                    m.insert("contentUrl".into(), json!(self.content_url()));
                }
                m.insert("jobType".into(), json!("V2Ingest"));
            }
            BulkJobKind::Query => {
                m.insert("jobType".into(), json!("V2Query"));
            }
        }
        m.insert("lineEnding".into(), json!(self.line_ending.name()));
        m.insert("columnDelimiter".into(), json!(self.delimiter.name()));
        if full {
            m.insert("numberRecordsProcessed".into(), json!(self.processed));
            m.insert("retries".into(), json!(0));
            m.insert("totalProcessingTime".into(), json!(self.processing_ms));
            match self.kind {
                BulkJobKind::Ingest => {
                    m.insert("numberRecordsFailed".into(), json!(self.failed));
                    m.insert("apiActiveProcessingTime".into(), json!(self.processing_ms));
                    m.insert("apexProcessingTime".into(), json!(0));
                }
                BulkJobKind::Query => {
                    m.insert("isPkChunkingSupported".into(), json!(false));
                }
            }
            if let Some(e) = &self.error_message {
                m.insert("errorMessage".into(), json!(e));
            }
        }
        Value::Object(m)
    }
}

#[derive(Debug, Default)]
pub(crate) struct JobsInner {
    pub(crate) jobs: BTreeMap<String, Job>,
    seq: u64,
}

impl JobsInner {
    /// A new job id (`750…`, increasing).
    pub(crate) fn next_id(&mut self) -> String {
        self.seq += 1;
        ids::make_id("750", self.seq)
    }
}

/// Every Bulk API 2.0 job of the org. Cheap to clone (shared).
#[derive(Clone, Debug, Default)]
pub(crate) struct Jobs {
    inner: Arc<Mutex<JobsInner>>,
}

impl Jobs {
    pub(crate) fn lock(&self) -> MutexGuard<'_, JobsInner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Run `f` on job `id`, if it exists.
    pub(crate) fn with<R>(&self, id: &str, f: impl FnOnce(&mut Job) -> R) -> Option<R> {
        self.lock().jobs.get_mut(id).map(f)
    }

    /// Forget terminal jobs last changed before `cutoff`.
    pub(crate) fn purge(&self, cutoff: DateTime<Utc>) {
        self.lock()
            .jobs
            .retain(|_, j| !(j.state.is_terminal() && j.modstamp < cutoff));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_compact() {
        assert!(std::mem::size_of::<RowOutcome>() <= 20);
        let id = ids::make_id("001", 7);
        let o = RowOutcome::new(RowKind::Created, Some(&id));
        assert_eq!(o.id(), id);
        assert_eq!(RowOutcome::new(RowKind::Failed, None).id(), "");
        assert_eq!(RowOutcome::new(RowKind::Failed, Some("short")).id(), "");
        assert_eq!(Delimiter::parse("TAB").map(Delimiter::byte), Some(b'\t'));
        assert_eq!(Delimiter::parse("comma"), None);
        assert_eq!(
            LineEnding::parse("CRLF").map(LineEnding::name),
            Some("CRLF")
        );
        assert!(BulkJobState::Aborted.is_terminal());
        assert!(!BulkJobState::InProgress.is_terminal());
    }

    #[test]
    fn query_result_slices() {
        let r = QueryResult {
            header: Bytes::from_static(b"\"Id\"\n"),
            body: Bytes::from_static(b"\"a\"\n\"b\"\n\"c\"\n"),
            offsets: vec![0, 4, 8, 12],
        };
        assert_eq!(r.rows(), 3);
        assert_eq!(&r.slice(1, 3)[..], b"\"b\"\n\"c\"\n");
        assert!(r.slice(2, 9).is_empty());
    }
}
