//! Bulk API 2.0 jobs: what they are ([`JobInfo`]), how to ask for one ([`IngestJobSpec`],
//! [`QueryJobSpec`]), and the calls on a job: create, upload, close, abort, delete, info,
//! list, and [`wait`](Bulk::wait_job) with a [`PollOptions`] backoff.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::stream::{self, Stream, TryStreamExt};
use mapping::retry::{Clock, Idempotency, Sleeper, SystemClock, TokioSleeper};
use reqwest::Method;
use serde::{Deserialize, Deserializer, Serialize};
use tracing::Instrument;

use super::{Bulk, string_enum};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{Call, DataPath, Op, Target, op};
use crate::sobjects::check_name;
use crate::versions::ApiVersion;

string_enum! {
    /// What a job does (`operation`).
    Operation {
        /// Create records.
        Insert = "insert",
        /// Update records by `Id`.
        Update = "update",
        /// Create or update by the external ID field named in the job.
        Upsert = "upsert",
        /// Move records (by `Id`) to the recycle bin.
        Delete = "delete",
        /// Delete records for good (needs the "Bulk API Hard Delete" permission).
        HardDelete = "hardDelete",
        /// A query job.
        Query = "query",
        /// A query job that also returns deleted and archived records.
        QueryAll = "queryAll",
    }
}

string_enum! {
    /// Where a job is (`state`): `Open` → `UploadComplete` → `InProgress` → `JobComplete` |
    /// `Failed` | `Aborted`.
    JobState {
        /// An ingest job waiting for its data.
        Open = "Open",
        /// The data is in; processing has not started.
        UploadComplete = "UploadComplete",
        /// Salesforce is processing the job.
        InProgress = "InProgress",
        /// Processed; results are ready (some records may have failed).
        JobComplete = "JobComplete",
        /// The job failed as a whole (see its `errorMessage`).
        Failed = "Failed",
        /// Someone aborted the job.
        Aborted = "Aborted",
    }
}

impl JobState {
    /// Whether the job will not change any more: `JobComplete`, `Failed` or `Aborted`.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            JobState::JobComplete | JobState::Failed | JobState::Aborted
        )
    }
}

string_enum! {
    /// The CSV column delimiter (`columnDelimiter`).
    ColumnDelimiter {
        /// `,` (the default).
        Comma = "COMMA",
        /// `` ` ``
        Backquote = "BACKQUOTE",
        /// `^`
        Caret = "CARET",
        /// `|`
        Pipe = "PIPE",
        /// `;`
        Semicolon = "SEMICOLON",
        /// a tab
        Tab = "TAB",
    }
}

impl ColumnDelimiter {
    /// The delimiter byte, or `None` for a value this version does not know.
    pub fn byte(&self) -> Option<u8> {
        match self {
            ColumnDelimiter::Comma => Some(b','),
            ColumnDelimiter::Backquote => Some(b'`'),
            ColumnDelimiter::Caret => Some(b'^'),
            ColumnDelimiter::Pipe => Some(b'|'),
            ColumnDelimiter::Semicolon => Some(b';'),
            ColumnDelimiter::Tab => Some(b'\t'),
            ColumnDelimiter::Other(_) => None,
        }
    }
}

string_enum! {
    /// The CSV line ending (`lineEnding`); it must match the file.
    LineEnding {
        /// `\n` (the default).
        Lf = "LF",
        /// `\r\n`
        Crlf = "CRLF",
    }
}

/// Ingest or query: the two job families live under different paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// `jobs/ingest`.
    Ingest,
    /// `jobs/query`.
    Query,
}

impl JobKind {
    fn segment(self) -> &'static str {
        match self {
            JobKind::Ingest => "ingest",
            JobKind::Query => "query",
        }
    }
}

/// A job as Salesforce describes it (reference §3.1 "Job info fields"). Fields this version
/// does not name are kept in [`extra`](Self::extra).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JobInfo {
    /// The job id (`750…`).
    pub id: String,
    /// What the job does.
    pub operation: Operation,
    /// The sObject (ingest jobs; query jobs may name it too).
    #[serde(default)]
    pub object: Option<String>,
    /// Where the job is.
    pub state: JobState,
    /// The external ID field of an upsert.
    #[serde(default)]
    pub external_id_field_name: Option<String>,
    /// The SOQL of a query job.
    #[serde(default)]
    pub query: Option<String>,
    /// The API version the job was created with; query results must be read with it.
    #[serde(default, deserialize_with = "version_opt")]
    pub api_version: Option<ApiVersion>,
    /// `V2Ingest`, `V2Query`, `Classic`, `BigObjectIngest`.
    #[serde(default)]
    pub job_type: Option<String>,
    /// The CSV column delimiter.
    #[serde(default)]
    pub column_delimiter: Option<ColumnDelimiter>,
    /// The CSV line ending.
    #[serde(default)]
    pub line_ending: Option<LineEnding>,
    /// Where to upload the data (`services/data/vNN.0/jobs/ingest/{id}/batches`).
    #[serde(default)]
    pub content_url: Option<String>,
    /// Records processed so far.
    #[serde(default)]
    pub number_records_processed: Option<u64>,
    /// Records that failed.
    #[serde(default)]
    pub number_records_failed: Option<u64>,
    /// Why a `Failed` job failed.
    #[serde(default)]
    pub error_message: Option<String>,
    /// When the job was created.
    #[serde(default, deserialize_with = "crate::de::datetime_opt")]
    pub created_date: Option<DateTime<Utc>>,
    /// Every other member (`createdById`, `systemModstamp`, `concurrencyMode`, `retries`,
    /// processing times, …).
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl JobInfo {
    /// The delimiter byte of the job's CSV (`,` when the job does not say).
    pub(crate) fn delimiter(&self) -> u8 {
        self.column_delimiter
            .as_ref()
            .and_then(ColumnDelimiter::byte)
            .unwrap_or(b',')
    }
}

/// `apiVersion` is a number (`66.0`); a string is accepted too.
fn version_opt<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<ApiVersion>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    let text = match value {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::String(text)) => text,
        Some(other) => other.to_string(),
    };
    text.parse().map(Some).map_err(serde::de::Error::custom)
}

/// What to create an ingest job with (`POST /jobs/ingest`).
///
/// ```
/// use salesforce_client::bulk::{ColumnDelimiter, IngestJobSpec, Operation};
///
/// let spec = IngestJobSpec::new("Payment__c", Operation::Upsert)
///     .external_id_field("PaymentID__c")
///     .column_delimiter(ColumnDelimiter::Semicolon);
/// assert_eq!(
///     serde_json::to_value(&spec).unwrap(),
///     serde_json::json!({"object": "Payment__c", "operation": "upsert",
///         "externalIdFieldName": "PaymentID__c", "contentType": "CSV", "columnDelimiter": "SEMICOLON"}),
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngestJobSpec {
    object: String,
    operation: Operation,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id_field_name: Option<String>,
    content_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    column_delimiter: Option<ColumnDelimiter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line_ending: Option<LineEnding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assignment_rule_id: Option<String>,
}

impl IngestJobSpec {
    /// A job of `operation` on `object` (`insert`, `update`, `upsert`, `delete`,
    /// `hardDelete`).
    pub fn new(object: impl Into<String>, operation: Operation) -> Self {
        IngestJobSpec {
            object: object.into(),
            operation,
            external_id_field_name: None,
            content_type: "CSV",
            column_delimiter: None,
            line_ending: None,
            assignment_rule_id: None,
        }
    }

    /// The external ID field an upsert matches on (required for upserts).
    #[must_use]
    pub fn external_id_field(mut self, field: impl Into<String>) -> Self {
        self.external_id_field_name = Some(field.into());
        self
    }

    /// The column delimiter (default `COMMA`).
    #[must_use]
    pub fn column_delimiter(mut self, delimiter: ColumnDelimiter) -> Self {
        self.column_delimiter = Some(delimiter);
        self
    }

    /// The line ending (default `LF`).
    #[must_use]
    pub fn line_ending(mut self, line_ending: LineEnding) -> Self {
        self.line_ending = Some(line_ending);
        self
    }

    /// The assignment rule for Case and Lead jobs (v49+).
    #[must_use]
    pub fn assignment_rule_id(mut self, id: impl Into<String>) -> Self {
        self.assignment_rule_id = Some(id.into());
        self
    }

    /// The sObject.
    pub fn object(&self) -> &str {
        &self.object
    }

    /// The CSV dialect: delimiter byte and line terminator.
    pub(crate) fn dialect(&self) -> Result<(u8, csv::Terminator)> {
        dialect(self.column_delimiter.as_ref(), self.line_ending.as_ref())
    }

    pub(crate) fn check(&self) -> Result<()> {
        check_name("sObject name", &self.object)?;
        if let Some(field) = &self.external_id_field_name {
            check_name("external ID field", field)?;
        }
        match (&self.operation, &self.external_id_field_name) {
            (Operation::Upsert, None) => Err(Error::invalid(
                "ingest job",
                "an upsert needs externalIdFieldName",
            )),
            (Operation::Query | Operation::QueryAll, _) => Err(Error::invalid(
                "ingest job",
                "query operations belong in a QueryJobSpec",
            )),
            _ => self.dialect().map(|_| ()),
        }
    }
}

/// What to create a query job with (`POST /jobs/query`).
///
/// ```
/// use salesforce_client::bulk::QueryJobSpec;
///
/// let spec = QueryJobSpec::new("SELECT Id FROM Account").all(true);
/// assert_eq!(
///     serde_json::to_value(&spec).unwrap(),
///     serde_json::json!({"operation": "queryAll", "query": "SELECT Id FROM Account", "contentType": "CSV"}),
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryJobSpec {
    operation: Operation,
    query: String,
    content_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    column_delimiter: Option<ColumnDelimiter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line_ending: Option<LineEnding>,
}

impl QueryJobSpec {
    /// A `query` job for `soql` (build it with [`soql`](crate::query::soql) so values cannot
    /// inject). Bulk queries do not support `GROUP BY`, `OFFSET`, `TYPEOF`, aggregates or
    /// parent-to-child subqueries (reference §3.2).
    pub fn new(soql: impl Into<String>) -> Self {
        QueryJobSpec {
            operation: Operation::Query,
            query: soql.into(),
            content_type: "CSV",
            column_delimiter: None,
            line_ending: None,
        }
    }

    /// `queryAll` instead of `query`: deleted and archived records too.
    #[must_use]
    pub fn all(mut self, all: bool) -> Self {
        self.operation = if all {
            Operation::QueryAll
        } else {
            Operation::Query
        };
        self
    }

    /// The result files' column delimiter (default `COMMA`).
    #[must_use]
    pub fn column_delimiter(mut self, delimiter: ColumnDelimiter) -> Self {
        self.column_delimiter = Some(delimiter);
        self
    }

    /// The result files' line ending (default `LF`).
    #[must_use]
    pub fn line_ending(mut self, line_ending: LineEnding) -> Self {
        self.line_ending = Some(line_ending);
        self
    }
}

fn dialect(
    delimiter: Option<&ColumnDelimiter>,
    line_ending: Option<&LineEnding>,
) -> Result<(u8, csv::Terminator)> {
    let byte = match delimiter {
        None => b',',
        Some(d) => d.byte().ok_or_else(|| {
            Error::invalid(
                "column delimiter",
                format!("{d} is not one this client can write"),
            )
        })?,
    };
    let terminator = match line_ending {
        None | Some(LineEnding::Lf) => csv::Terminator::Any(b'\n'),
        Some(LineEnding::Crlf) => csv::Terminator::CRLF,
        Some(other) => {
            return Err(Error::invalid(
                "line ending",
                format!("{other} is not one this client can write"),
            ));
        }
    };
    Ok((byte, terminator))
}

/// How to wait for a job: the interval between polls starts at
/// [`first_interval`](Self::first_interval) and doubles up to
/// [`max_interval`](Self::max_interval); after [`timeout`](Self::timeout) the wait ends with
/// [`Error::PollTimeout`] (the job goes on). Each poll is a `GET` retried like any read.
///
/// The clock and sleeper are injectable (a [`RecordingSleeper`](mapping::retry::RecordingSleeper)
/// in tests, so nothing really sleeps).
///
/// ```
/// use std::time::Duration;
/// use mapping::retry::RecordingSleeper;
/// use salesforce_client::bulk::PollOptions;
///
/// let poll = PollOptions::default()
///     .first_interval(Duration::from_millis(500))
///     .timeout(Duration::from_secs(600))
///     .sleeper(RecordingSleeper::new());
/// assert_eq!(poll.interval_after(3), Duration::from_secs(2));
/// ```
#[derive(Clone)]
pub struct PollOptions {
    first_interval: Duration,
    max_interval: Duration,
    timeout: Duration,
    sleeper: Arc<dyn Sleeper>,
    clock: Arc<dyn Clock>,
}

impl Default for PollOptions {
    /// First interval 1 s, at most 30 s, timeout 1 hour; tokio's sleep and the system clock.
    fn default() -> Self {
        PollOptions {
            first_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(30),
            timeout: Duration::from_secs(3600),
            sleeper: Arc::new(TokioSleeper),
            clock: Arc::new(SystemClock),
        }
    }
}

impl fmt::Debug for PollOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PollOptions")
            .field("first_interval", &self.first_interval)
            .field("max_interval", &self.max_interval)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl PollOptions {
    /// The wait after the first poll.
    #[must_use]
    pub fn first_interval(mut self, interval: Duration) -> Self {
        self.first_interval = interval;
        self
    }

    /// The longest wait between two polls.
    #[must_use]
    pub fn max_interval(mut self, interval: Duration) -> Self {
        self.max_interval = interval;
        self
    }

    /// How long to poll before giving up with [`Error::PollTimeout`].
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How to sleep between polls.
    #[must_use]
    pub fn sleeper(mut self, sleeper: impl Sleeper + 'static) -> Self {
        self.sleeper = Arc::new(sleeper);
        self
    }

    /// The clock the timeout is measured with.
    #[must_use]
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The wait after poll number `poll` (1-based):
    /// `min(max_interval, first_interval · 2^(poll-1))`.
    pub fn interval_after(&self, poll: u32) -> Duration {
        2u32.checked_pow(poll.saturating_sub(1))
            .and_then(|factor| self.first_interval.checked_mul(factor))
            .map_or(self.max_interval, |d| d.min(self.max_interval))
    }
}

/// `jobs/{ingest|query}[/{id}]`.
pub(crate) fn job_path(kind: JobKind, id: Option<&str>) -> DataPath {
    let path = DataPath::new().seg("jobs").seg(kind.segment());
    match id {
        Some(id) => path.value(id, "{jobId}"),
        None => path,
    }
}

#[derive(Serialize)]
struct StateChange {
    state: JobState,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobList {
    #[serde(default)]
    done: bool,
    #[serde(default)]
    records: Vec<JobInfo>,
    #[serde(default)]
    next_records_url: Option<String>,
}

impl Bulk<'_> {
    /// Creates an ingest job (`POST /jobs/ingest`); it starts `Open`, waiting for data.
    /// Retried like a read: a job nobody uploads to is never processed.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a bad object or field name, an upsert without an
    /// external ID field, or a delimiter this client cannot write (nothing sent); as any call
    /// otherwise.
    pub async fn create_ingest_job(&self, spec: &IngestJobSpec) -> Result<JobInfo> {
        spec.check()?;
        let call = Call::new(Method::POST, Target::Data(job_path(JobKind::Ingest, None)))
            .json(spec)?
            .sobject(&spec.object)
            .idempotency(Idempotency::Idempotent);
        self.client
            .send(op!("salesforce.bulk.create_job"), call)
            .await?
            .json()
    }

    /// Creates a query job (`POST /jobs/query`); Salesforce starts running it at once. Retried
    /// like a read: a repeated create only runs the query twice.
    ///
    /// # Errors
    /// As any call; a malformed query is Salesforce's `400`.
    pub async fn create_query_job(&self, spec: &QueryJobSpec) -> Result<JobInfo> {
        dialect(spec.column_delimiter.as_ref(), spec.line_ending.as_ref())?;
        let call = Call::new(Method::POST, Target::Data(job_path(JobKind::Query, None)))
            .json(spec)?
            .idempotency(Idempotency::Idempotent);
        self.client
            .send(op!("salesforce.bulk.create_job"), call)
            .await?
            .json()
    }

    /// Uploads a whole CSV file to an open ingest job (`PUT …/batches`,
    /// `Content-Type: text/csv`). For large or generated data use [`ingest`](Self::ingest),
    /// which streams. Never resent once it may have reached Salesforce.
    ///
    /// # Errors
    /// [`Error::OutcomeUnknown`] when the answer was lost; as any call otherwise.
    pub async fn upload_csv(&self, job_id: &str, csv: Vec<u8>) -> Result<()> {
        let call = upload_call(job_id).body(csv, "text/csv");
        self.client
            .send(op!("salesforce.bulk.upload"), call)
            .await?;
        Ok(())
    }

    /// Closes an ingest job's upload (`PATCH {"state":"UploadComplete"}`): Salesforce starts
    /// processing it.
    ///
    /// # Errors
    /// As any call; a job that is not `Open` is refused by Salesforce.
    pub async fn close_job(&self, job_id: &str) -> Result<JobInfo> {
        self.set_state(
            JobKind::Ingest,
            job_id,
            JobState::UploadComplete,
            op!("salesforce.bulk.close_job"),
        )
        .await
    }

    /// Aborts a job (`PATCH {"state":"Aborted"}`); nothing more of it is processed.
    ///
    /// # Errors
    /// As any call; a job already finished is refused by Salesforce.
    pub async fn abort_job(&self, kind: JobKind, job_id: &str) -> Result<JobInfo> {
        self.set_state(
            kind,
            job_id,
            JobState::Aborted,
            op!("salesforce.bulk.abort_job"),
        )
        .await
    }

    async fn set_state(
        &self,
        kind: JobKind,
        job_id: &str,
        state: JobState,
        op: Op,
    ) -> Result<JobInfo> {
        let call = Call::new(Method::PATCH, Target::Data(job_path(kind, Some(job_id))))
            .json(&StateChange { state })?;
        self.client.send(op, call).await?.json()
    }

    /// Deletes a finished job and its data (`DELETE`).
    ///
    /// # Errors
    /// As any call.
    pub async fn delete_job(&self, kind: JobKind, job_id: &str) -> Result<()> {
        let call = Call::new(Method::DELETE, Target::Data(job_path(kind, Some(job_id))));
        self.client
            .send(op!("salesforce.bulk.delete_job"), call)
            .await?;
        Ok(())
    }

    /// A job's current info (`GET`).
    ///
    /// # Errors
    /// As any call; an unknown job is [`is_not_found`](Error::is_not_found).
    pub async fn job_info(&self, kind: JobKind, job_id: &str) -> Result<JobInfo> {
        job_info(self.client, kind, job_id).await
    }

    /// Polls a job until it is `JobComplete`, `Failed` or `Aborted`, and returns its final
    /// info (whatever the state: check [`JobInfo::state`]).
    ///
    /// # Errors
    /// [`Error::PollTimeout`] when `poll`'s timeout passes first; as any call otherwise.
    pub async fn wait_job(
        &self,
        kind: JobKind,
        job_id: &str,
        poll: &PollOptions,
    ) -> Result<JobInfo> {
        wait_job(self.client, kind, job_id, poll).await
    }

    /// Every job of `kind` the user can see (`GET /jobs/ingest`, following `nextRecordsUrl`).
    pub fn list_jobs(
        &self,
        kind: JobKind,
    ) -> impl Stream<Item = Result<JobInfo>> + Send + Unpin + 'static + use<> {
        struct Pages {
            client: Client,
            next: Option<Target>,
            seen: HashSet<String>,
        }
        let pages = Pages {
            client: self.client.clone(),
            next: Some(Target::Data(job_path(kind, None))),
            seen: HashSet::new(),
        };
        let jobs = stream::try_unfold(pages, |mut pages| async move {
            let Some(target) = pages.next.take() else {
                return Ok(None);
            };
            let call = Call::new(Method::GET, target);
            let list: JobList = pages
                .client
                .send(op!("salesforce.bulk.list_jobs"), call)
                .await?
                .json()?;
            if let Some(link) = list.next_records_url.filter(|_| !list.done)
                && pages.seen.insert(link.clone())
            {
                pages.next = Some(Target::Link(link));
            }
            Ok(Some((
                stream::iter(list.records.into_iter().map(Ok)),
                pages,
            )))
        });
        Box::pin(jobs.try_flatten())
    }
}

/// `PUT jobs/ingest/{id}/batches`: never resent once it may have arrived.
pub(crate) fn upload_call(job_id: &str) -> Call {
    let path = job_path(JobKind::Ingest, Some(job_id)).seg("batches");
    Call::new(Method::PUT, Target::Data(path)).idempotency(Idempotency::NonIdempotent)
}

pub(crate) async fn job_info(client: &Client, kind: JobKind, job_id: &str) -> Result<JobInfo> {
    let call = Call::new(Method::GET, Target::Data(job_path(kind, Some(job_id))));
    client
        .send(op!("salesforce.bulk.job_info"), call)
        .await?
        .json()
}

pub(crate) async fn wait_job(
    client: &Client,
    kind: JobKind,
    job_id: &str,
    poll: &PollOptions,
) -> Result<JobInfo> {
    let span = tracing::info_span!(
        "salesforce.bulk.wait",
        "salesforce.bulk.job_id" = job_id,
        polls = tracing::field::Empty,
        "salesforce.bulk.state" = tracing::field::Empty,
    );
    async {
        let started = poll.clock.now();
        let mut polls = 0u32;
        loop {
            polls = polls.saturating_add(1);
            let info = job_info(client, kind, job_id).await?;
            tracing::Span::current().record("polls", polls);
            tracing::Span::current().record("salesforce.bulk.state", info.state.as_str());
            if info.state.is_terminal() {
                return Ok(info);
            }
            let waited = poll.clock.now().saturating_duration_since(started);
            let Some(left) = poll.timeout.checked_sub(waited).filter(|d| !d.is_zero()) else {
                return Err(Error::PollTimeout {
                    job_id: job_id.to_owned(),
                    state: info.state,
                    waited,
                });
            };
            poll.sleeper
                .sleep(poll.interval_after(polls).min(left))
                .await;
        }
    }
    .instrument(span)
    .await
}
