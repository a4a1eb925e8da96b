//! Streaming ingest: records → CSV while the upload is sent, split into jobs under the upload
//! limit; and the result files as typed streams joined back to the records.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use csv::ByteRecord;
use futures::stream::{self, Stream, StreamExt, TryStreamExt};
use reqwest::Method;
use reqwest::header::{ACCEPT, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use super::Bulk;
use super::decode::{self, Row};
use super::encode::{NULL_CELL, cells};
use super::job::{self, IngestJobSpec, JobInfo, JobKind, JobState, PollOptions, job_path};
use crate::client::Client;
use crate::error::{Error, ErrorDetail, Result};
use crate::http::{Call, StreamBody, Target, op};

/// The default limit of raw CSV per upload (and so per job): 100 MB, which stays under
/// Salesforce's 150 MB once base64-expanded (reference §3.1).
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 100_000_000;

/// How much CSV the upload body hands to the connection at a time.
const CHUNK_BYTES: usize = 64 * 1024;

/// A streaming ingest: `client.bulk().ingest(spec)`, then [`run`](Self::run).
#[derive(Debug, Clone)]
#[must_use = "an ingest does nothing until it is run"]
pub struct Ingest {
    client: Client,
    spec: IngestJobSpec,
    max_upload_bytes: u64,
    poll: PollOptions,
}

/// One job of an ingest: its final info and which input records went into it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct IngestedJob {
    /// The job (its final state after [`Ingest::run`]; as closed inside
    /// [`Error::BulkIncomplete`]).
    pub job: JobInfo,
    /// The input position (from 0) of the job's first record.
    pub first_row: u64,
    /// How many records it holds.
    pub rows: u64,
    /// The size of its CSV upload, header included.
    pub bytes: u64,
}

/// What an ingest did: every job, in input order, in a final state. Read the result files
/// with [`successful_results`](Self::successful_results),
/// [`failed_results`](Self::failed_results) and
/// [`unprocessed_records`](Self::unprocessed_records).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IngestReport {
    client: Client,
    /// The jobs, in input order.
    pub jobs: Vec<IngestedJob>,
}

/// A row of `successfulResults`: the record's id, whether it was created (an upsert may
/// update), and the record as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Succeeded<R> {
    /// `sf__Id`.
    pub id: String,
    /// `sf__Created`.
    pub created: bool,
    /// The record, decoded from the columns Salesforce echoes.
    pub record: R,
}

/// A row of `failedResults`: why the record failed, and the record as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Failed<R> {
    /// `sf__Id`, when the record had one (an update, a delete).
    pub id: Option<String>,
    /// `sf__Error`, read as `STATUS_CODE:message:fields`.
    pub error: ErrorDetail,
    /// The record, decoded from the columns Salesforce echoes.
    pub record: R,
}

impl Bulk<'_> {
    /// A streaming ingest of `spec`'s object and operation; see the [module docs](super).
    pub fn ingest(&self, spec: IngestJobSpec) -> Ingest {
        Ingest {
            client: self.client.clone(),
            spec,
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            poll: PollOptions::default(),
        }
    }

    /// The `successfulResults` of an ingest job, as they download.
    pub fn successful_results<R>(
        &self,
        job: &JobInfo,
    ) -> impl Stream<Item = Result<Succeeded<R>>> + Send + Unpin + 'static + use<R>
    where
        R: DeserializeOwned + Send + 'static,
    {
        successful(self.client.clone(), job)
    }

    /// The `failedResults` of an ingest job, as they download.
    pub fn failed_results<R>(
        &self,
        job: &JobInfo,
    ) -> impl Stream<Item = Result<Failed<R>>> + Send + Unpin + 'static + use<R>
    where
        R: DeserializeOwned + Send + 'static,
    {
        failed(self.client.clone(), job)
    }

    /// The `unprocessedrecords` of an ingest job (records of an aborted or failed job that
    /// were never processed), as they download.
    pub fn unprocessed_records<R>(
        &self,
        job: &JobInfo,
    ) -> impl Stream<Item = Result<R>> + Send + Unpin + 'static + use<R>
    where
        R: DeserializeOwned + Send + 'static,
    {
        unprocessed(self.client.clone(), job)
    }
}

impl Ingest {
    /// The most raw CSV one upload (one job) may hold, header included (default
    /// [`DEFAULT_MAX_UPLOAD_BYTES`]). The input is split into as many jobs as needed.
    pub fn max_upload_bytes(mut self, bytes: u64) -> Self {
        self.max_upload_bytes = bytes;
        self
    }

    /// How to wait for the jobs (default [`PollOptions::default`]).
    pub fn poll(mut self, poll: PollOptions) -> Self {
        self.poll = poll;
        self
    }

    /// Uploads `records` — each job created, its CSV written as the upload request is sent,
    /// closed — then waits for every job to end. Memory does not grow with the number of
    /// records: at most one record and one 64 KiB chunk of CSV are held.
    ///
    /// A job that ends `Failed` or `Aborted` is reported, not an error: see
    /// [`IngestReport::check_complete`].
    ///
    /// # Errors
    /// Before anything is consumed: [`Error::InvalidRequest`] for an invalid spec. After:
    /// the failure itself when no job was created yet; otherwise [`Error::BulkIncomplete`]
    /// with the jobs submitted so far and the failure inside — a record that cannot be CSV
    /// ([`Error::CsvEncode`]), a failed create or upload (that job is aborted), or a wait that
    /// timed out ([`Error::PollTimeout`]).
    pub async fn run<S, T>(self, records: S) -> Result<IngestReport>
    where
        S: Stream<Item = T> + Send + 'static,
        T: Serialize + Send + 'static,
    {
        let span = tracing::info_span!(
            "salesforce.bulk.ingest",
            "salesforce.sobject" = self.spec.object(),
            "salesforce.bulk.jobs" = tracing::field::Empty,
            "salesforce.bulk.rows" = tracing::field::Empty,
        );
        self.run_inner(Box::pin(records)).instrument(span).await
    }

    async fn run_inner<T: Serialize + Send + 'static>(
        self,
        records: Input<T>,
    ) -> Result<IngestReport> {
        self.spec.check()?;
        let (delimiter, terminator) = self.spec.dialect()?;
        let rows = Arc::new(Mutex::new(Rows::new(
            records,
            self.max_upload_bytes,
            delimiter,
            terminator,
        )));
        let mut jobs = Vec::new();
        let stopped = loop {
            let Some(first) = std::future::poll_fn(|cx| lock(&rows).poll_pull(cx)).await else {
                break lock(&rows).failure.take();
            };
            if let Err(e) = lock(&rows).start_part(first) {
                break Some(e);
            }
            match self.submit_part(&rows).await {
                Ok(job) => jobs.push(job),
                Err(e) => break Some(e),
            }
        };
        let span = tracing::Span::current();
        span.record("salesforce.bulk.jobs", jobs.len());
        span.record(
            "salesforce.bulk.rows",
            jobs.iter().map(|j| j.rows).sum::<u64>(),
        );
        if let Some(source) = stopped {
            return Err(incomplete(jobs, source));
        }
        for index in 0..jobs.len() {
            let id = jobs[index].job.id.clone();
            match job::wait_job(&self.client, JobKind::Ingest, &id, &self.poll).await {
                Ok(info) => jobs[index].job = info,
                Err(source) => return Err(incomplete(jobs, source)),
            }
        }
        Ok(IngestReport {
            client: self.client,
            jobs,
        })
    }

    /// Creates a job, streams the current part into it, closes it.
    async fn submit_part<T: Serialize + Send + 'static>(
        &self,
        rows: &Arc<Mutex<Rows<T>>>,
    ) -> Result<IngestedJob> {
        let bulk = self.client.bulk();
        let job = bulk.create_ingest_job(&self.spec).await?;
        let source = Arc::clone(rows);
        let body = StreamBody {
            content_type: "text/csv",
            make: Arc::new(move || upload_body(&source)),
        };
        let uploaded = self
            .client
            .send(
                op!("salesforce.bulk.upload"),
                job::upload_call(&job.id).stream_body(body),
            )
            .await;
        let (first_row, count, bytes) = {
            let rows = lock(rows);
            (rows.first_row, rows.rows, rows.bytes)
        };
        if let Err(e) = uploaded {
            if let Err(abort) = bulk.abort_job(JobKind::Ingest, &job.id).await {
                tracing::warn!(
                    "salesforce.bulk.job_id" = job.id.as_str(),
                    "error.type" = abort.kind().as_str(),
                    "could not abort the job whose upload failed"
                );
            }
            return Err(e);
        }
        let closed = match bulk.close_job(&job.id).await {
            Ok(info) => info,
            // A close whose answer was lost and that was refused on resend went through.
            Err(e) => match bulk.job_info(JobKind::Ingest, &job.id).await {
                Ok(info) if info.state != JobState::Open => info,
                _ => return Err(e),
            },
        };
        Ok(IngestedJob {
            job: closed,
            first_row,
            rows: count,
            bytes,
        })
    }
}

fn incomplete(jobs: Vec<IngestedJob>, source: Error) -> Error {
    if jobs.is_empty() {
        return source;
    }
    Error::BulkIncomplete {
        rows_submitted: jobs.iter().map(|j| j.rows).sum(),
        jobs,
        source: Box::new(source),
    }
}

impl IngestReport {
    /// How many input records were submitted.
    pub fn rows(&self) -> u64 {
        self.jobs.iter().map(|j| j.rows).sum()
    }

    /// Records Salesforce processed (`numberRecordsProcessed`, failures included).
    pub fn records_processed(&self) -> u64 {
        self.jobs
            .iter()
            .filter_map(|j| j.job.number_records_processed)
            .sum()
    }

    /// Records that failed (`numberRecordsFailed`).
    pub fn records_failed(&self) -> u64 {
        self.jobs
            .iter()
            .filter_map(|j| j.job.number_records_failed)
            .sum()
    }

    /// Whether every job ended `JobComplete` (records may still have failed one by one).
    pub fn is_complete(&self) -> bool {
        self.jobs
            .iter()
            .all(|j| j.job.state == JobState::JobComplete)
    }

    /// `Ok` when every job ended `JobComplete`.
    ///
    /// # Errors
    /// [`Error::BulkJob`] for the first job that ended `Failed` or `Aborted`; its records are
    /// in [`unprocessed_records`](Self::unprocessed_records).
    pub fn check_complete(&self) -> Result<()> {
        match self
            .jobs
            .iter()
            .find(|j| j.job.state != JobState::JobComplete)
        {
            None => Ok(()),
            Some(j) => Err(Error::BulkJob {
                job_id: j.job.id.clone(),
                state: j.job.state.clone(),
                message: j.job.error_message.clone(),
            }),
        }
    }

    /// The successful rows of every job, job after job.
    pub fn successful_results<R>(
        &self,
    ) -> impl Stream<Item = Result<Succeeded<R>>> + Send + Unpin + 'static + use<R>
    where
        R: DeserializeOwned + Send + 'static,
    {
        self.each_job(successful)
    }

    /// The failed rows of every job, job after job.
    pub fn failed_results<R>(
        &self,
    ) -> impl Stream<Item = Result<Failed<R>>> + Send + Unpin + 'static + use<R>
    where
        R: DeserializeOwned + Send + 'static,
    {
        self.each_job(failed)
    }

    /// The unprocessed records of every job, job after job.
    pub fn unprocessed_records<R>(
        &self,
    ) -> impl Stream<Item = Result<R>> + Send + Unpin + 'static + use<R>
    where
        R: DeserializeOwned + Send + 'static,
    {
        self.each_job(unprocessed)
    }

    fn each_job<X, S>(
        &self,
        results: fn(Client, &JobInfo) -> S,
    ) -> impl Stream<Item = Result<X>> + Send + Unpin + 'static + use<X, S>
    where
        S: Stream<Item = Result<X>> + Send + Unpin + 'static,
    {
        let client = self.client.clone();
        let jobs: Vec<JobInfo> = self.jobs.iter().map(|j| j.job.clone()).collect();
        stream::iter(jobs).flat_map(move |job| results(client.clone(), &job))
    }
}

// ---------------------------------------------------------------------------------------
// Result files

/// The rows of `…/{resource}/`, downloaded as they are read.
fn result_rows(
    client: Client,
    job: &JobInfo,
    resource: &'static str,
) -> impl Stream<Item = Result<Row>> + Send + 'static + use<> {
    let path = job_path(JobKind::Ingest, Some(&job.id))
        .seg(resource)
        .slash();
    let delimiter = job.delimiter();
    stream::once(async move {
        let call = Call::new(Method::GET, Target::Data(path))
            .header(ACCEPT, HeaderValue::from_static("text/csv"))
            .stream_response();
        let reply = client.send(op!("salesforce.bulk.results"), call).await?;
        let response = reply
            .response
            .ok_or_else(|| Error::invalid("results", "the answer had no body to read"))?;
        Ok(decode::rows(response, delimiter, resource))
    })
    .try_flatten()
}

/// Where a result file's columns are: Salesforce's `sf__` ones and the original ones.
struct Columns {
    header: Arc<ByteRecord>,
    sf: HashMap<Vec<u8>, usize>,
    original: Vec<usize>,
    original_header: ByteRecord,
}

impl Columns {
    fn of(header: &Arc<ByteRecord>) -> Self {
        let mut sf = HashMap::new();
        let mut original = Vec::new();
        let mut original_header = ByteRecord::new();
        for (i, name) in header.iter().enumerate() {
            if name.starts_with(b"sf__") {
                sf.insert(name.to_vec(), i);
            } else {
                original.push(i);
                original_header.push_field(name);
            }
        }
        Columns {
            header: Arc::clone(header),
            sf,
            original,
            original_header,
        }
    }

    fn sf<'r>(&self, row: &'r Row, name: &str) -> &'r str {
        self.sf
            .get(name.as_bytes())
            .and_then(|&i| row.record.get(i))
            .and_then(|v| std::str::from_utf8(v).ok())
            .unwrap_or_default()
    }

    /// The record as the caller sent it: the original columns, `#N/A` read as empty (null).
    fn record<R: DeserializeOwned>(&self, row: &Row, what: &'static str) -> Result<R> {
        let mut record = ByteRecord::new();
        for &i in &self.original {
            let value = row.record.get(i).unwrap_or_default();
            record.push_field(if value == NULL_CELL.as_bytes() {
                b""
            } else {
                value
            });
        }
        record
            .deserialize(Some(&self.original_header))
            .map_err(|source| Error::CsvDecode {
                what,
                row: row.number,
                source,
            })
    }
}

/// Maps each row with the columns of its file (worked out once per file).
fn typed<X, F>(
    rows: impl Stream<Item = Result<Row>> + Send + 'static,
    mut f: F,
) -> impl Stream<Item = Result<X>> + Send + Unpin + 'static
where
    X: Send + 'static,
    F: FnMut(&Columns, Row) -> Result<X> + Send + 'static,
{
    let mut columns: Option<Columns> = None;
    Box::pin(rows.and_then(move |row| {
        let fresh = columns
            .as_ref()
            .is_none_or(|c| !Arc::ptr_eq(&c.header, &row.header));
        if fresh {
            columns = Some(Columns::of(&row.header));
        }
        let result = match &columns {
            Some(c) => f(c, row),
            None => Err(Error::invalid("results", "no header")),
        };
        futures::future::ready(result)
    }))
}

fn successful<R: DeserializeOwned + Send + 'static>(
    client: Client,
    job: &JobInfo,
) -> impl Stream<Item = Result<Succeeded<R>>> + Send + Unpin + 'static + use<R> {
    const WHAT: &str = "successfulResults";
    typed(result_rows(client, job, WHAT), |c, row| {
        Ok(Succeeded {
            id: c.sf(&row, "sf__Id").to_owned(),
            created: c.sf(&row, "sf__Created").eq_ignore_ascii_case("true"),
            record: c.record(&row, WHAT)?,
        })
    })
}

fn failed<R: DeserializeOwned + Send + 'static>(
    client: Client,
    job: &JobInfo,
) -> impl Stream<Item = Result<Failed<R>>> + Send + Unpin + 'static + use<R> {
    const WHAT: &str = "failedResults";
    typed(result_rows(client, job, WHAT), |c, row| {
        let id = c.sf(&row, "sf__Id");
        Ok(Failed {
            id: (!id.is_empty()).then(|| id.to_owned()),
            error: decode::row_error(c.sf(&row, "sf__Error")),
            record: c.record(&row, WHAT)?,
        })
    })
}

fn unprocessed<R: DeserializeOwned + Send + 'static>(
    client: Client,
    job: &JobInfo,
) -> impl Stream<Item = Result<R>> + Send + Unpin + 'static + use<R> {
    const WHAT: &str = "unprocessedrecords";
    typed(result_rows(client, job, WHAT), |c, row| {
        c.record(&row, WHAT)
    })
}

// ---------------------------------------------------------------------------------------
// The upload body

type Input<T> = Pin<Box<dyn Stream<Item = T> + Send>>;

/// A record pulled from the input: its position and cells.
type Record = (u64, Vec<(String, String)>);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The state stays consistent across a panic elsewhere: each field is set whole.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Where the CSV writer puts each record, to be taken out at once.
#[derive(Debug, Default)]
struct Sink(RefCell<Vec<u8>>);

impl std::io::Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.get_mut().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The input and the part (job) being uploaded, shared by the ingest loop and the upload body
/// that writes CSV while the connection asks for it.
struct Rows<T> {
    input: Input<T>,
    input_done: bool,
    /// How many records were pulled from the input.
    pulled: u64,
    /// A record pulled but not written: the next part's first.
    carry: Option<Record>,
    /// Why the input ended early (a record that is not CSV).
    failure: Option<Error>,
    limit: u64,
    writer: csv::Writer<Sink>,
    header: Vec<String>,
    columns: HashMap<String, usize>,
    // The current part.
    started: bool,
    ended: bool,
    first_row: u64,
    rows: u64,
    bytes: u64,
}

impl<T> fmt::Debug for Rows<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rows")
            .field("pulled", &self.pulled)
            .field("rows", &self.rows)
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

impl<T: Serialize> Rows<T> {
    fn new(input: Input<T>, limit: u64, delimiter: u8, terminator: csv::Terminator) -> Self {
        let writer = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(terminator)
            .has_headers(false)
            // Each part has its own header; a new column makes the next part wider.
            .flexible(true)
            .from_writer(Sink::default());
        Rows {
            input,
            input_done: false,
            pulled: 0,
            carry: None,
            failure: None,
            limit,
            writer,
            header: Vec::new(),
            columns: HashMap::new(),
            started: false,
            ended: false,
            first_row: 0,
            rows: 0,
            bytes: 0,
        }
    }

    /// The next record: the carried one, else the input's.
    fn poll_pull(&mut self, cx: &mut Context<'_>) -> Poll<Option<Record>> {
        if let Some(record) = self.carry.take() {
            return Poll::Ready(Some(record));
        }
        if self.input_done || self.failure.is_some() {
            return Poll::Ready(None);
        }
        match self.input.poll_next_unpin(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => {
                self.input_done = true;
                Poll::Ready(None)
            }
            Poll::Ready(Some(record)) => {
                let row = self.pulled;
                self.pulled += 1;
                match cells(&record, row) {
                    Ok(cells) => Poll::Ready(Some((row, cells))),
                    Err(e) => {
                        self.failure = Some(e);
                        Poll::Ready(None)
                    }
                }
            }
        }
    }

    /// Starts a part with `first` as its first record: the header is the previous one plus
    /// any column `first` adds (so a shape change splits jobs at most once per new column).
    fn start_part(&mut self, first: Record) -> Result<()> {
        for (column, _) in &first.1 {
            if !self.columns.contains_key(column) {
                self.columns.insert(column.clone(), self.header.len());
                self.header.push(column.clone());
            }
        }
        let size = self.header_csv()?.len() + self.encode(&first)?.map_or(0, |r| r.len());
        if size as u64 > self.limit {
            return Err(Error::CsvEncode {
                row: first.0,
                reason: format!(
                    "it takes {size} bytes of CSV with its header, more than the upload limit of {} bytes",
                    self.limit
                ),
                source: None,
            });
        }
        self.started = false;
        self.ended = false;
        self.first_row = first.0;
        self.rows = 0;
        self.bytes = 0;
        self.carry = Some(first);
        Ok(())
    }

    fn header_csv(&mut self) -> Result<Vec<u8>> {
        write_csv(&mut self.writer, self.header.iter().map(String::as_str), 0)
    }

    /// The record's CSV line, or `None` when it has a column the header lacks.
    fn encode(&mut self, (row, cells): &Record) -> Result<Option<Vec<u8>>> {
        let mut line = vec![""; self.header.len()];
        for (column, text) in cells {
            match self.columns.get(column) {
                Some(&i) => line[i] = text,
                None => return Ok(None),
            }
        }
        write_csv(&mut self.writer, line.into_iter(), *row).map(Some)
    }

    /// The next chunk of the part's CSV: the header first, then records until the chunk is
    /// full, the input waits, or the part ends (input done, upload limit, a new column, a
    /// record that is not CSV).
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Vec<u8>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let mut chunk = Vec::new();
        if !self.started {
            self.started = true;
            match self.header_csv() {
                Ok(header) => {
                    self.bytes += header.len() as u64;
                    chunk = header;
                }
                Err(e) => return self.end(Some(e), chunk),
            }
        }
        while chunk.len() < CHUNK_BYTES {
            let record = match self.poll_pull(cx) {
                Poll::Ready(Some(record)) => record,
                Poll::Ready(None) => return self.end(None, chunk),
                Poll::Pending if chunk.is_empty() => return Poll::Pending,
                Poll::Pending => break,
            };
            let line = match self.encode(&record) {
                Ok(Some(line)) if self.bytes + line.len() as u64 <= self.limit => line,
                Ok(_) => {
                    self.carry = Some(record);
                    return self.end(None, chunk);
                }
                Err(e) => return self.end(Some(e), chunk),
            };
            self.rows += 1;
            self.bytes += line.len() as u64;
            chunk.extend_from_slice(&line);
        }
        Poll::Ready(Some(chunk))
    }

    fn end(&mut self, failure: Option<Error>, chunk: Vec<u8>) -> Poll<Option<Vec<u8>>> {
        self.ended = true;
        if failure.is_some() {
            self.failure = failure;
        }
        Poll::Ready((!chunk.is_empty()).then_some(chunk))
    }
}

/// Writes one CSV record and takes its bytes out of the writer.
fn write_csv<'a>(
    writer: &mut csv::Writer<Sink>,
    fields: impl Iterator<Item = &'a str>,
    row: u64,
) -> Result<Vec<u8>> {
    let fail = |e: Box<dyn std::error::Error + Send + Sync>| Error::CsvEncode {
        row,
        reason: "the CSV writer failed".into(),
        source: Some(e),
    };
    writer.write_record(fields).map_err(|e| fail(Box::new(e)))?;
    writer.flush().map_err(|e| fail(Box::new(e)))?;
    Ok(writer.get_ref().0.take())
}

/// A body over the current part. Refused once an earlier attempt took any of it: those bytes
/// are gone, and the part cannot be produced again.
fn upload_body<T: Serialize + Send + 'static>(rows: &Arc<Mutex<Rows<T>>>) -> Result<reqwest::Body> {
    if lock(rows).started {
        return Err(Error::invalid(
            "upload body",
            "the CSV upload was interrupted after it began and its records cannot be produced again",
        ));
    }
    let rows = Arc::clone(rows);
    let chunks = stream::poll_fn(move |cx| {
        lock(&rows)
            .poll_chunk(cx)
            .map(|chunk| chunk.map(Ok::<_, std::io::Error>))
    });
    Ok(reqwest::Body::wrap_stream(chunks))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows_of(records: Vec<serde_json::Value>, limit: u64) -> Rows<serde_json::Value> {
        Rows::new(
            Box::pin(stream::iter(records)),
            limit,
            b',',
            csv::Terminator::Any(b'\n'),
        )
    }

    /// Drives the parts as the ingest loop does, returning each part's CSV.
    fn parts(rows: &mut Rows<serde_json::Value>) -> Vec<String> {
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut out = Vec::new();
        while let Poll::Ready(Some(first)) = rows.poll_pull(&mut cx) {
            rows.start_part(first).unwrap();
            let mut csv = Vec::new();
            while let Poll::Ready(Some(chunk)) = rows.poll_chunk(&mut cx) {
                csv.extend(chunk);
            }
            out.push(String::from_utf8(csv).unwrap());
        }
        out
    }

    #[test]
    fn parts_split_at_the_limit_and_on_new_columns() {
        let records = vec![
            json!({"Amount__c": 1, "Name": "A"}),
            json!({"Amount__c": null, "Name": "B, \"quoted\""}),
            json!({"Name": "C"}),
            json!({"Name": "D", "Note__c": "new column"}),
            json!({"Name": "E"}),
        ];
        let mut rows = rows_of(records, 41);
        let parts = parts(&mut rows);
        assert_eq!(
            parts,
            [
                "Amount__c,Name\n1,A\n#N/A,\"B, \"\"quoted\"\"\"\n",
                "Amount__c,Name\n,C\n",
                "Amount__c,Name,Note__c\n,D,new column\n,E,\n",
            ]
        );
        assert!(rows.failure.is_none());
    }

    #[test]
    fn an_ingest_can_run_on_any_task() {
        fn send<T: Send>(_: &T) {}
        let client = Client::builder()
            .instance_url("https://acme.my.salesforce.com")
            .credentials(crate::auth::StaticToken::new("t"))
            .build()
            .unwrap();
        let spec = IngestJobSpec::new("Account", super::super::Operation::Insert);
        send(
            &client
                .bulk()
                .ingest(spec)
                .run(stream::iter(vec![json!({"Name": "A"})])),
        );
    }

    #[test]
    fn a_record_too_large_or_not_csv_stops_the_input() {
        let mut rows = rows_of(vec![json!({"Name": "x".repeat(50)})], 40);
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let Poll::Ready(Some(first)) = rows.poll_pull(&mut cx) else {
            panic!("a record")
        };
        let err = rows.start_part(first).unwrap_err();
        assert!(matches!(err, Error::CsvEncode { row: 0, .. }), "{err}");

        let mut rows = rows_of(vec![json!({"Name": "A"}), json!({"Name": ["list"]})], 1000);
        assert_eq!(parts(&mut rows), ["Name\nA\n"]);
        assert!(matches!(
            rows.failure,
            Some(Error::CsvEncode { row: 1, .. })
        ));
    }
}
