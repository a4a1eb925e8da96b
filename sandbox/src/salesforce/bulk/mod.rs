//! Bulk API 2.0: ingest and query jobs under `/services/data/vNN.0/jobs/`, with the real
//! state machines, CSV dialects and result files.
//!
//! # Ingest (`/jobs/ingest`, v41.0+)
//!
//! * `POST /jobs/ingest` `{"object","operation","externalIdFieldName","columnDelimiter",
//!   "lineEnding","contentType":"CSV"}` → `200` job info, state `Open`, with `contentUrl`.
//!   `operation` is `insert`, `update`, `upsert` (needs an external ID, `Id` or ID-lookup
//!   field), `delete` or `hardDelete`; platform events (`X__e`) take `insert` and publish.
//! * `PUT …/{jobId}/batches` (`Content-Type: text/csv`) → `201`. The body is read chunk by
//!   chunk and kept as received; an upload over [`BulkConfig::max_upload_bytes`] (100 MB of
//!   raw CSV, the 150 MB base64 limit) is refused with `413 EXCEEDED_MAX_SIZE_REQUEST`. A
//!   second `PUT` on the same job is refused with `400 INVALIDJOBSTATE` "Found multiple
//!   contents for job …", as real orgs do, unless [`BulkConfig::multiple_uploads`] is set.
//! * `PATCH …/{jobId}` `{"state":"UploadComplete"}` → `UploadComplete`; after
//!   [`BulkConfig::queue_delay`] a tokio task moves it to `InProgress`, applies the rows
//!   through the same record store as REST ([`BulkConfig::rows_per_step`] rows per lock,
//!   [`BulkConfig::step_delay`] between steps), and ends `JobComplete` — or `Failed` with an
//!   `errorMessage` (unknown header column: `InvalidBatch : Field name not found : X`; line
//!   endings that do not match `lineEnding`: `ClientInputError : LineEnding is invalid on user
//!   data. Current LineEnding setting is LF`). `{"state":"Aborted"}` aborts (rows not yet
//!   applied stay unprocessed); `DELETE` removes a job that is not `Open`/`InProgress`.
//! * Row rules (reference §3.3): header = field API names (case-insensitive), `Id`, or a
//!   relationship column `Account.Ext__c` (the parent found by that external ID); an empty
//!   cell leaves the field unchanged, `#N/A` sets it null; numbers, `true`/`false`/`1`/`0`,
//!   dates `yyyy-MM-dd`, datetimes `yyyy-MM-ddTHH:mm:ss[.SSS](Z|±HH:MM)`. Required fields,
//!   unique values, lookups and upsert matching are the store's; rows repeating an external
//!   ID within one step fail with `DUPLICATE_EXTERNAL_ID`. Change Data Capture events are
//!   committed every 200 rows with `changeOrigin` `com/salesforce/api/bulkapi/NN.0`.
//! * `GET …/successfulResults/` → `"sf__Id","sf__Created",<input columns>`;
//!   `…/failedResults/` → `"sf__Id","sf__Error",<input columns>` (`sf__Error` =
//!   `CODE:message:fields --`); `…/unprocessedrecords/` → the input columns. Results are
//!   written on a blocking thread and streamed to the client in 64 KB chunks; available
//!   once the job is `JobComplete`, `Failed` or `Aborted`.
//! * `GET /jobs/ingest` → `{"done","records","nextRecordsUrl"}`, 1,000 jobs a page,
//!   `jobType` and `isPkChunkingEnabled` filters.
//!
//! # Query (`/jobs/query`, v47.0+)
//!
//! `POST /jobs/query` `{"operation":"query"|"queryAll","query":"SELECT …"}` → `200` state
//! `UploadComplete` (malformed SOQL, unknown fields, aggregates, `GROUP BY`, `OFFSET`,
//! `TYPEOF` refused at once) → `InProgress` → `JobComplete`. `GET …/results?maxRecords=N&
//! locator=L` → CSV in SELECT order with `Sforce-NumberOfRecords` and `Sforce-Locator` (the
//! literal `null` on the last page); the result is kept as one CSV buffer with row offsets,
//! so a page is a zero-copy slice. Results asked with another API version than the job's
//! answer `409`.
//!
//! # Memory
//!
//! Uploads are kept as the chunks received; each row's outcome takes 19 bytes (record id and
//! kind), error texts are kept only for failed rows; nothing else per row is held by a job.
//!
//! Errors have the Bulk API shape `[{"errorCode","message"}]`: `NOT_FOUND` (404),
//! `INVALIDJOBSTATE`, `INVALIDJOB`, `INVALIDENTITY`, `JSON_PARSER_ERROR` (400), and
//! whatever the gate answers (`INVALID_SESSION_ID`, `REQUEST_LIMIT_EXCEEDED`, injected
//! faults). Which error codes and texts the real service uses for these cases is
//! UNCONFIRMED in the reference; the ones chosen are documented on each handler.
//!
//! # Example
//!
//! ```
//! use sandbox::salesforce::{BulkConfig, SalesforceConfig, SalesforceSandbox};
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = SalesforceConfig::default()
//!     .bulk(BulkConfig::default().queue_delay(Duration::from_millis(10)));
//! let sf = SalesforceSandbox::start_with(config).await?;
//! let http = reqwest::Client::new();
//! let api = sf.rest_url();
//! let token = sf.token();
//!
//! let job: serde_json::Value = http
//!     .post(format!("{api}/jobs/ingest"))
//!     .bearer_auth(&token)
//!     .json(&serde_json::json!({"object": "Account", "operation": "insert"}))
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! let id = job["id"].as_str().unwrap_or_default().to_owned();
//! let put = http
//!     .put(format!("{api}/jobs/ingest/{id}/batches"))
//!     .bearer_auth(&token)
//!     .header("content-type", "text/csv")
//!     .body("Name,Phone\nAcme,555-0100\n\"Globex, Inc.\",#N/A\n")
//!     .send()
//!     .await?;
//! assert_eq!(put.status(), 201);
//! http.patch(format!("{api}/jobs/ingest/{id}"))
//!     .bearer_auth(&token)
//!     .json(&serde_json::json!({"state": "UploadComplete"}))
//!     .send()
//!     .await?;
//! loop {
//!     let info: serde_json::Value = http
//!         .get(format!("{api}/jobs/ingest/{id}"))
//!         .bearer_auth(&token)
//!         .send()
//!         .await?
//!         .json()
//!         .await?;
//!     if info["state"] == "JobComplete" {
//!         assert_eq!(info["numberRecordsProcessed"], 2);
//!         break;
//!     }
//!     tokio::time::sleep(Duration::from_millis(20)).await;
//! }
//! let ok = http
//!     .get(format!("{api}/jobs/ingest/{id}/successfulResults/"))
//!     .bearer_auth(&token)
//!     .send()
//!     .await?
//!     .text()
//!     .await?;
//! assert!(ok.starts_with("\"sf__Id\",\"sf__Created\",Name,Phone\n"));
//! assert_eq!(sf.emulator().count("Account"), 2);
//! # Ok(())
//! # }
//! ```

mod common;
mod csvio;
mod http;
mod ingest;
mod job;
mod process;
mod query;

use std::time::Duration;

pub(crate) use http::serve;
pub(crate) use job::Jobs;
pub use job::{BulkJobInfo, BulkJobKind, BulkJobState};

/// Bulk API 2.0 settings of the emulator.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BulkConfig {
    /// How long a closed job stays `UploadComplete` before processing starts (default
    /// 100 ms), so a client's polling sees the queued state.
    pub queue_delay: Duration,
    /// Ingest rows applied per step under the state lock (default 2,000).
    pub rows_per_step: usize,
    /// Pause between steps (default none): makes `InProgress` observable and slows large
    /// jobs down to a chosen pace.
    pub step_delay: Duration,
    /// Largest upload, in bytes of raw CSV (default 100 MB: the 150 MB base64 limit).
    pub max_upload_bytes: u64,
    /// Accept several `PUT …/batches` on one job (default `false`: real orgs refuse the
    /// second with "Found multiple contents for job").
    pub multiple_uploads: bool,
    /// Query result rows per page when `maxRecords` is not given (default 50,000).
    pub default_max_records: usize,
    /// Jobs per page of `GET /jobs/ingest` and `/jobs/query` (default 1,000).
    pub list_page_size: usize,
    /// How long finished jobs are kept (default 7 days).
    pub job_retention: Duration,
}

impl Default for BulkConfig {
    fn default() -> Self {
        Self {
            queue_delay: Duration::from_millis(100),
            rows_per_step: 2000,
            step_delay: Duration::ZERO,
            max_upload_bytes: 100 * 1024 * 1024,
            multiple_uploads: false,
            default_max_records: 50_000,
            list_page_size: 1000,
            job_retention: Duration::from_secs(7 * 24 * 60 * 60),
        }
    }
}

impl BulkConfig {
    /// Time a closed job waits before `InProgress`.
    #[must_use]
    pub fn queue_delay(mut self, delay: Duration) -> Self {
        self.queue_delay = delay;
        self
    }

    /// Rows applied per step.
    #[must_use]
    pub fn rows_per_step(mut self, rows: usize) -> Self {
        self.rows_per_step = rows.max(1);
        self
    }

    /// Pause between steps.
    #[must_use]
    pub fn step_delay(mut self, delay: Duration) -> Self {
        self.step_delay = delay;
        self
    }

    /// Largest upload in bytes.
    #[must_use]
    pub fn max_upload_bytes(mut self, bytes: u64) -> Self {
        self.max_upload_bytes = bytes;
        self
    }

    /// Accept several uploads per job.
    #[must_use]
    pub fn multiple_uploads(mut self, allow: bool) -> Self {
        self.multiple_uploads = allow;
        self
    }

    /// Default query result page size.
    #[must_use]
    pub fn default_max_records(mut self, rows: usize) -> Self {
        self.default_max_records = rows.max(1);
        self
    }

    /// Jobs per list page.
    #[must_use]
    pub fn list_page_size(mut self, jobs: usize) -> Self {
        self.list_page_size = jobs.max(1);
        self
    }

    /// How long finished jobs are kept.
    #[must_use]
    pub fn job_retention(mut self, retention: Duration) -> Self {
        self.job_retention = retention;
        self
    }
}
