//! Bulk API 2.0 (reference §3): ingest and query jobs for large volumes, CSV in both
//! directions, streamed so that memory stays flat however many records go through.
//!
//! # Ingest
//!
//! [`Bulk::ingest`] takes a [`Stream`](futures::Stream) of `serde` records, writes them as CSV
//! *while* the upload request is being sent (the request body is a stream: the file is never
//! whole in memory), and starts a new job whenever the next record would take an upload past
//! [`DEFAULT_MAX_UPLOAD_BYTES`] (100 MB of raw CSV, Salesforce's limit after base64 expansion
//! is 150 MB). Each job is closed (`UploadComplete`) as soon as its upload ends, so Salesforce
//! processes one job while the next is uploaded; then every job is polled to a final state.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use salesforce_client::bulk::{IngestJobSpec, Operation, Succeeded};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Payment {
//!     #[serde(rename = "PaymentID__c")]
//!     payment_id: String,
//!     #[serde(rename = "Amount__c")]
//!     amount: rust_decimal::Decimal,
//! }
//!
//! # async fn run(client: salesforce_client::Client, payments: Vec<Payment>) -> salesforce_client::Result<()> {
//! let spec = IngestJobSpec::new("Payment__c", Operation::Upsert).external_id_field("PaymentID__c");
//! let report = client.bulk().ingest(spec).run(futures::stream::iter(payments)).await?;
//! println!("{} jobs, {} records failed", report.jobs.len(), report.records_failed());
//!
//! // Results carry the record as it was sent (decoded from the columns Salesforce echoes).
//! let mut failed = report.failed_results::<Payment>();
//! while let Some(row) = failed.try_next().await? {
//!     eprintln!("{}: {}", row.record.payment_id, row.error);
//! }
//! # Ok(()) }
//! ```
//!
//! ## What the CSV says
//!
//! A record becomes its JSON form first (any `Serialize` type: a struct, an
//! [`SObject`](crate::SObject), a `serde_json::Value`), then one CSV row, following
//! reference §3.3 the way the REST API reads JSON:
//!
//! | JSON member | CSV cell | Salesforce does |
//! |---|---|---|
//! | absent | empty | leaves the field unchanged (nothing on insert) |
//! | `null` | `#N/A` | sets the field to null |
//! | string, number, boolean | the text, quoted when it holds the delimiter, a quote or a line break (quotes doubled) | sets it |
//! | nested object `{"Account": {"External_Id__c": "A-1"}}` | column `Account.External_Id__c` | sets the lookup through the parent's external ID (a relationship column) |
//! | `attributes` | – | dropped (REST metadata) |
//! | list | – | refused ([`Error::CsvEncode`](crate::Error::CsvEncode)) |
//!
//! So a field to leave alone is skipped (`#[serde(skip_serializing_if = "Option::is_none")]`)
//! and a field to clear is `None` serialized as `null`. Dates are `yyyy-MM-dd` (what
//! `chrono::NaiveDate` writes); datetimes need `yyyy-MM-ddTHH:mm:ss.SSSZ` with at most
//! milliseconds: write `DateTime<Utc>` fields through [`datetime`]
//! (`#[serde(with = "salesforce_client::bulk::datetime")]`), since chrono's own format can
//! carry nanoseconds. The first record's columns are the file's header; a later record with a
//! column the header lacks starts a new job whose header adds it.
//!
//! ## Joining results back to the input
//!
//! Salesforce returns the original columns with each result row, in an order that need not
//! match the upload (reference §3.1). The result streams ([`Succeeded`], [`Failed`],
//! unprocessed records) therefore decode those echoed columns into the caller's type `R`: the
//! record itself when it reads back from CSV, or a small struct of the columns that identify it
//! (an external ID, the `Id` of an update). The join costs no memory at all — nothing is kept
//! per row while uploading — and does not depend on row order. Rows with identical columns
//! cannot be told apart, and need not be. Each [`IngestedJob`] also says which input positions
//! (`first_row`, `rows`) went into it.
//!
//! # Query
//!
//! ```no_run
//! use futures::TryStreamExt;
//!
//! #[derive(serde::Deserialize)]
//! struct Account { #[serde(rename = "Id")] id: String, #[serde(rename = "Name")] name: String }
//!
//! # async fn run(client: salesforce_client::Client) -> salesforce_client::Result<()> {
//! let mut accounts = client.bulk().query("SELECT Id, Name FROM Account").stream::<Account>();
//! while let Some(account) = accounts.try_next().await? {
//!     println!("{} {}", account.id, account.name);
//! }
//! # Ok(()) }
//! ```
//!
//! Results are read page by page (`Sforce-Locator`, up to `maxRecords` rows each, until the
//! locator is the literal `null`), each page decoded as it downloads, with the API version the
//! job was created with (another version is refused with 409). [`QueryResults::pages`] hands
//! out each page's locator, so a long export can checkpoint and later resume with
//! [`QueryResults::from_locator`].
//!
//! # Which calls are retried
//!
//! | call | retried after it may have arrived | why |
//! |---|---|---|
//! | `GET` job info, polls, results, lists | yes | reads |
//! | `POST` create job | yes | a job nobody uploads to does nothing: an ingest job left `Open` is never processed; a repeated query job only runs the query twice (one of `DailyBulkV2QueryJobs`) |
//! | `PUT …/batches` (upload) | **no** | a second upload may add the rows again, and a streamed body cannot be produced twice: it is resent only when it certainly never left (connection refused) |
//! | `PATCH` close or abort | yes | setting the same state twice; a close whose answer was lost and that is refused on resend is checked by reading the job |
//! | `DELETE` job | yes | |
//!
//! A failed upload aborts its job (nothing of it is processed) and the ingest stops with
//! [`Error::BulkIncomplete`](crate::Error::BulkIncomplete), which lists the jobs already submitted and how many input
//! records they hold.

mod decode;
mod encode;
mod ingest;
mod job;
mod query;

use std::fmt;

pub use encode::datetime;
pub use ingest::{DEFAULT_MAX_UPLOAD_BYTES, Failed, Ingest, IngestReport, IngestedJob, Succeeded};
pub use job::{
    ColumnDelimiter, IngestJobSpec, JobInfo, JobKind, JobState, LineEnding, Operation, PollOptions,
    QueryJobSpec,
};
pub use query::{BulkQuery, QueryResults, ResultPage};

use crate::client::Client;

/// Bulk API 2.0: `client.bulk()`.
#[derive(Clone, Copy)]
pub struct Bulk<'a> {
    client: &'a Client,
}

impl fmt::Debug for Bulk<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bulk").finish_non_exhaustive()
    }
}

impl Client {
    /// Bulk API 2.0 ingest and query jobs.
    pub fn bulk(&self) -> Bulk<'_> {
        Bulk { client: self }
    }
}

/// An enum of Salesforce's names for something, `#[non_exhaustive]` with an `Other` arm that
/// keeps a value this version does not know; (de)serialised as the name.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)* }
    ) => {
        $(#[$meta])*
        #[non_exhaustive]
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this version does not know, kept as sent.
            Other(String),
        }

        impl $name {
            /// The value as Salesforce spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)*
                    Self::Other(text) => text,
                }
            }

            /// Salesforce's spelling; an unknown value is kept in `Other`.
            pub fn parse(text: &str) -> Self {
                match text {
                    $($text => Self::$variant,)*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                let text = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                Ok(Self::parse(&text))
            }
        }
    };
}
pub(crate) use string_enum;
