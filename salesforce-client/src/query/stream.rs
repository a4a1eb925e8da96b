//! SOQL queries as streams that follow `nextRecordsUrl` (reference §2.5).

use std::collections::HashSet;

use futures::stream::{self, Stream, TryStreamExt};
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::Result;
use crate::http::{Call, DataPath, Op, Target, op};
use crate::limits::LimitInfo;

/// The header that asks for a page size.
const QUERY_OPTIONS: HeaderName = HeaderName::from_static("sforce-query-options");

/// A SOQL query to run: `client.query(soql)` or `client.query_all(soql)`, read as a stream
/// of records or of pages.
///
/// Salesforce returns up to 2,000 records per page and a `nextRecordsUrl` while there are
/// more; the streams follow it as given (only on the instance's origin), and stop when a page
/// has no link. A server that repeats a link it already gave ends the stream after that page,
/// with a warning, instead of looping; that last page then says `done: false`.
///
/// A long sync can checkpoint: read [`pages`](Self::pages), store each page's
/// [`next_records_url`](QueryPage::next_records_url) once its records are processed, and
/// after a restart continue with [`Client::query_resume`] (Salesforce keeps a query's
/// cursor for 2 days since API v56.0).
///
/// ```no_run
/// use futures::TryStreamExt;
/// use salesforce_client::{query::soql, sobjects::SObject};
///
/// # async fn run(client: salesforce_client::Client) -> salesforce_client::Result<()> {
/// let soql = format!(
///     "SELECT Id, Name FROM Account WHERE BillingCountry = {}",
///     soql::quote("United States"),
/// );
/// let accounts: Vec<SObject> = client.query(soql).batch_size(500).stream().try_collect().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a query does nothing until its stream is read"]
pub struct Query {
    client: Client,
    start: Start,
    all: bool,
    batch_size: Option<u16>,
}

#[derive(Debug, Clone)]
enum Start {
    Soql(String),
    Link(String),
}

/// One page of query results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryPage<T> {
    /// How many records the whole query matches.
    pub total_size: u64,
    /// Whether this is the last page.
    pub done: bool,
    /// The link to the next page: the continuation to checkpoint.
    #[serde(default)]
    pub next_records_url: Option<String>,
    /// This page's records.
    #[serde(default = "Vec::new")]
    pub records: Vec<T>,
    /// The page's `Sforce-Limit-Info`.
    #[serde(skip)]
    pub limit_info: Option<LimitInfo>,
}

impl Client {
    /// Runs `soql` (`GET /query?q=`). Build the text with [`soql`](crate::query::soql) so
    /// values cannot inject.
    pub fn query(&self, soql: impl Into<String>) -> Query {
        Query::new(self, Start::Soql(soql.into()), false)
    }

    /// Runs `soql` including deleted and archived records (`GET /queryAll?q=`).
    pub fn query_all(&self, soql: impl Into<String>) -> Query {
        Query::new(self, Start::Soql(soql.into()), true)
    }

    /// Continues a query from a page's
    /// [`next_records_url`](QueryPage::next_records_url) (a checkpoint).
    pub fn query_resume(&self, next_records_url: impl Into<String>) -> Query {
        Query::new(self, Start::Link(next_records_url.into()), false)
    }
}

/// The unfold state: what to fetch next, and every link seen so far.
struct Pages {
    client: Client,
    next: Option<Call>,
    all: bool,
    batch_size: Option<u16>,
    sobject: Option<String>,
    seen: HashSet<String>,
}

impl Query {
    fn new(client: &Client, start: Start, all: bool) -> Self {
        Query {
            client: client.clone(),
            start,
            all,
            batch_size: None,
        }
    }

    /// Asks for pages of `size` records (`Sforce-Query-Options: batchSize=N`), clamped to
    /// Salesforce's 200–2,000. A hint: Salesforce may return fewer.
    pub fn batch_size(mut self, size: u16) -> Self {
        self.batch_size = Some(size.clamp(200, 2000));
        self
    }

    /// The pages, fetched one at a time as the stream is read.
    pub fn pages<T>(self) -> impl Stream<Item = Result<QueryPage<T>>> + Send + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        let (target, sobject, query) = match self.start {
            Start::Soql(soql) => {
                let resource = if self.all { "queryAll" } else { "query" };
                let sobject = super::soql::sobject_of(&soql).map(str::to_owned);
                (
                    Target::Data(DataPath::new().seg(resource)),
                    sobject,
                    Some(soql),
                )
            }
            Start::Link(link) => (Target::Link(link), None, None),
        };
        let mut state = Pages {
            client: self.client,
            next: None,
            all: self.all,
            batch_size: self.batch_size,
            sobject,
            seen: HashSet::new(),
        };
        let mut first = state.call(target);
        if let Some(soql) = query {
            first = first.query("q", soql);
        }
        state.next = Some(first);
        stream::try_unfold(state, |mut state| async move {
            let Some(call) = state.next.take() else {
                return Ok(None);
            };
            let op: Op = if state.all {
                op!("salesforce.query_all")
            } else {
                op!("salesforce.query")
            };
            let reply = state.client.send(op, call).await?;
            let mut page: QueryPage<T> = reply.json()?;
            page.limit_info = reply.meta.limit_info.clone();
            if let Some(link) = page.next_records_url.as_ref().filter(|_| !page.done) {
                if state.seen.insert(link.clone()) {
                    state.next = Some(state.call(Target::Link(link.clone())));
                } else {
                    tracing::warn!(
                        "Salesforce repeated a nextRecordsUrl it already gave; stopping the query"
                    );
                }
            }
            Ok(Some((page, state)))
        })
    }

    /// The records of every page, in order.
    pub fn stream<T>(self) -> impl Stream<Item = Result<T>> + Send + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.pages::<T>()
            .map_ok(|page| stream::iter(page.records.into_iter().map(Ok)))
            .try_flatten()
    }
}

impl Pages {
    fn call(&self, target: Target) -> Call {
        let mut call = Call::new(Method::GET, target);
        if let Some(sobject) = &self.sobject {
            call = call.sobject(sobject);
        }
        if let Some(size) = self.batch_size
            && let Ok(value) = HeaderValue::from_str(&format!("batchSize={size}"))
        {
            call = call.header(QUERY_OPTIONS, value);
        }
        call
    }
}
