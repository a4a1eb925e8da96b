//! Bulk query jobs: create, wait, and read the results page by page by `Sforce-Locator`
//! (reference §3.2), each page decoded as it downloads.

use std::collections::HashSet;

use futures::future;
use futures::stream::{self, Stream, TryStreamExt};
use reqwest::Method;
use reqwest::header::{ACCEPT, HeaderValue};
use serde::de::DeserializeOwned;

use super::Bulk;
use super::decode::{self, Row};
use super::job::{self, JobInfo, JobKind, JobState, PollOptions, QueryJobSpec, job_path};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{Call, Target, op};

const WHAT: &str = "query results";

/// A Bulk query to run: `client.bulk().query(soql)`, read with [`stream`](Self::stream).
#[derive(Debug, Clone)]
#[must_use = "a query does nothing until its stream is read"]
pub struct BulkQuery {
    client: Client,
    spec: QueryJobSpec,
    poll: PollOptions,
    max_records: Option<u32>,
}

/// Reading a finished query job's results: `client.bulk().query_results(&job)`.
///
/// Each page is one `GET …/results?maxRecords=&locator=`; the next page's locator comes in
/// the `Sforce-Locator` header, and the literal `null` (or no header) ends the results. A
/// locator already seen also ends them, with a warning, instead of looping. The calls use
/// the API version the job was created with, as Salesforce requires.
#[derive(Debug, Clone)]
#[must_use = "results are read only when a stream is read"]
pub struct QueryResults {
    client: Client,
    job_id: String,
    delimiter: u8,
    max_records: Option<u32>,
    locator: Option<String>,
}

/// One page of query results, with the locators to checkpoint.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ResultPage<T> {
    /// The locator this page was read with (`None` for the first page).
    pub locator: Option<String>,
    /// The next page's locator; `None` on the last page. Store it once `records` are
    /// processed, and resume with [`QueryResults::from_locator`].
    pub next_locator: Option<String>,
    /// `Sforce-NumberOfRecords`.
    pub number_of_records: Option<u64>,
    /// The page's records.
    pub records: Vec<T>,
}

impl From<&str> for QueryJobSpec {
    fn from(soql: &str) -> Self {
        QueryJobSpec::new(soql)
    }
}

impl From<String> for QueryJobSpec {
    fn from(soql: String) -> Self {
        QueryJobSpec::new(soql)
    }
}

impl Bulk<'_> {
    /// A Bulk query: SOQL text, or a [`QueryJobSpec`] for `queryAll` or another CSV dialect.
    pub fn query(&self, spec: impl Into<QueryJobSpec>) -> BulkQuery {
        BulkQuery {
            client: self.client.clone(),
            spec: spec.into(),
            poll: PollOptions::default(),
            max_records: None,
        }
    }

    /// The results of a finished query job.
    pub fn query_results(&self, job: &JobInfo) -> QueryResults {
        let client = match job.api_version {
            Some(version) => self.client.with_api_version(version),
            None => self.client.clone(),
        };
        QueryResults {
            client,
            job_id: job.id.clone(),
            delimiter: job.delimiter(),
            max_records: None,
            locator: None,
        }
    }
}

impl BulkQuery {
    /// How to wait for the job (default [`PollOptions::default`]).
    pub fn poll(mut self, poll: PollOptions) -> Self {
        self.poll = poll;
        self
    }

    /// Rows per results page (`maxRecords`); Salesforce picks when unset.
    pub fn max_records(mut self, max_records: u32) -> Self {
        self.max_records = Some(max_records);
        self
    }

    /// Creates the job, waits for it, then streams its records as pages download.
    ///
    /// The stream fails with [`Error::BulkJob`] when the job ends `Failed` or `Aborted`,
    /// [`Error::PollTimeout`] when it does not end in time, [`Error::CsvDecode`] for a row
    /// that is not a `T`.
    pub fn stream<T>(self) -> impl Stream<Item = Result<T>> + Send + Unpin + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        let BulkQuery {
            client,
            spec,
            poll,
            max_records,
        } = self;
        let records = stream::once(async move {
            let created = client.bulk().create_query_job(&spec).await?;
            let job = job::wait_job(&client, JobKind::Query, &created.id, &poll).await?;
            if job.state != JobState::JobComplete {
                return Err(Error::BulkJob {
                    job_id: job.id,
                    state: job.state,
                    message: job.error_message,
                });
            }
            let mut results = client.bulk().query_results(&job);
            results.max_records = max_records;
            Ok(results.records::<T>())
        })
        .try_flatten();
        Box::pin(records)
    }
}

/// The head of a page whose rows are still to be read.
struct Page {
    locator: Option<String>,
    next_locator: Option<String>,
    number_of_records: Option<u64>,
}

impl QueryResults {
    /// Rows per page (`maxRecords`); Salesforce picks when unset.
    pub fn max_records(mut self, max_records: u32) -> Self {
        self.max_records = Some(max_records);
        self
    }

    /// Starts at a page's locator (a checkpoint) instead of the first page.
    pub fn from_locator(mut self, locator: impl Into<String>) -> Self {
        self.locator = Some(locator.into());
        self
    }

    /// The records of every page, in order, decoded as they download: memory holds one
    /// network chunk, whatever the page size.
    pub fn records<T>(self) -> impl Stream<Item = Result<T>> + Send + Unpin + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        Box::pin(
            self.page_rows()
                .map_ok(|(_, rows)| rows.and_then(|row| future::ready(row.decode(WHAT))))
                .try_flatten(),
        )
    }

    /// The pages, each read whole (memory grows with [`max_records`](Self::max_records)).
    pub fn pages<T>(self) -> impl Stream<Item = Result<ResultPage<T>>> + Send + Unpin + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        Box::pin(self.page_rows().and_then(|(page, rows)| async move {
            let records = rows
                .and_then(|row| future::ready(row.decode(WHAT)))
                .try_collect()
                .await?;
            Ok(ResultPage {
                locator: page.locator,
                next_locator: page.next_locator,
                number_of_records: page.number_of_records,
                records,
            })
        }))
    }

    fn page_rows(
        self,
    ) -> impl Stream<Item = Result<(Page, impl Stream<Item = Result<Row>> + Send + 'static)>>
    + Send
    + 'static {
        struct State {
            results: QueryResults,
            next: Option<Option<String>>,
            seen: HashSet<String>,
        }
        let next = Some(self.locator.clone());
        let state = State {
            results: self,
            next,
            seen: HashSet::new(),
        };
        stream::try_unfold(state, |mut state| async move {
            let Some(locator) = state.next.take() else {
                return Ok(None);
            };
            let results = &state.results;
            let path = job_path(JobKind::Query, Some(&results.job_id)).seg("results");
            let mut call = Call::new(Method::GET, Target::Data(path))
                .header(ACCEPT, HeaderValue::from_static("text/csv"))
                .stream_response();
            if let Some(max) = results.max_records {
                call = call.query("maxRecords", max.to_string());
            }
            if let Some(locator) = &locator {
                call = call.query("locator", locator.clone());
            }
            let reply = results
                .client
                .send(op!("salesforce.bulk.query_results"), call)
                .await?;
            let header = |name: &str| {
                reply
                    .headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
            };
            let next_locator = header("sforce-locator").filter(|l| l != "null");
            let number_of_records = header("sforce-numberofrecords").and_then(|n| n.parse().ok());
            if let Some(next) = &next_locator {
                if state.seen.insert(next.clone()) {
                    state.next = Some(Some(next.clone()));
                } else {
                    tracing::warn!(
                        "Salesforce repeated a Sforce-Locator it already gave; stopping the results"
                    );
                }
            }
            let response = reply
                .response
                .ok_or_else(|| Error::invalid("results", "the answer had no body to read"))?;
            let rows = decode::rows(response, results.delimiter, WHAT);
            let page = Page {
                locator,
                next_locator,
                number_of_records,
            };
            Ok(Some(((page, rows), state)))
        })
    }
}
