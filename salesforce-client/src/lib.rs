//! # salesforce-client
//!
//! A typed async client of Salesforce's REST API for Tributary: every OAuth flow, sObject
//! CRUD and upsert by external ID, SOQL queries as streams, the composite family, sObject
//! collections, Platform Event publishing and the org's limits, with retries classified the
//! way Salesforce really signals failure (a `403 REQUEST_LIMIT_EXCEEDED` is not always the
//! same thing), a single-flight session refresh, and conversions to Tributary's canonical
//! model; Bulk API 2.0 ingest and query jobs streamed in constant memory ([`bulk`]); and
//! Streaming API subscriptions (CometD) to platform events and Change Data Capture with
//! durable replay ([`streaming`]).
//!
//! Records are generic: any `serde` type, a `serde_json::Value`, or the [`SObject`] map.
//!
//! ## Quick start, per auth flow
//!
//! **JWT bearer** (server-to-server; the recommended flow):
//!
//! ```no_run
//! use salesforce_client::{Client, auth::JwtBearer};
//!
//! # async fn run() -> salesforce_client::Result<()> {
//! let client = Client::builder()
//!     .login_url("https://login.salesforce.com") // test.salesforce.com for sandboxes
//!     .credentials(JwtBearer::from_pem_file("3MVG9…consumer-key", "integration@acme.com", "server.key")?)
//!     .build()?;
//!
//! let record = serde_json::json!({"Amount__c": 125.0, "Status__c": "Settled"});
//! let outcome = client.sobjects("Payment__c").upsert("PaymentID__c", "PT-123456789", &record).await?;
//! println!("{outcome:?}; API usage {:?}", client.last_api_usage());
//! # Ok(()) }
//! ```
//!
//! **Client credentials** (My Domain hosts only):
//!
//! ```no_run
//! use salesforce_client::{Client, auth::ClientCredentials};
//!
//! # fn run() -> salesforce_client::Result<()> {
//! let client = Client::builder()
//!     .login_url("https://acme.my.salesforce.com")
//!     .credentials(ClientCredentials::new("3MVG9…consumer-key", "consumer-secret"))
//!     .build()?;
//! # Ok(()) }
//! ```
//!
//! **Refresh token** (rotated tokens are kept and handed to you):
//!
//! ```no_run
//! use salesforce_client::{Client, auth::RefreshToken};
//!
//! # fn run(stored_refresh_token: String) -> salesforce_client::Result<()> {
//! let client = Client::builder()
//!     .credentials(
//!         RefreshToken::new("3MVG9…consumer-key", stored_refresh_token)
//!             .client_secret("consumer-secret")
//!             .on_rotation(|new_token| { /* store it */ let _ = new_token; }),
//!     )
//!     .build()?;
//! # Ok(()) }
//! ```
//!
//! **Username-password** (deprecated by Salesforce; for migrations only):
//!
//! ```no_run
//! use salesforce_client::{Client, auth::UsernamePassword};
//!
//! # fn run() -> salesforce_client::Result<()> {
//! let client = Client::builder()
//!     .credentials(UsernamePassword::new("3MVG9…key", "secret", "user@acme.com", "password"))
//!     .build()?;
//! # Ok(()) }
//! ```
//!
//! **Static access token**, or everything from the environment (`SALESFORCE_*`, see
//! [`Client::from_env`]):
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use salesforce_client::{Client, auth::StaticToken, query::soql, sobjects::SObject};
//!
//! # async fn run() -> salesforce_client::Result<()> {
//! let client = Client::builder()
//!     .instance_url("https://acme.my.salesforce.com")
//!     .credentials(StaticToken::new("00Dxx0000001gEH!AQ4AQ…"))
//!     .build()?;
//! let client = Client::from_env()?; // the same, configured by SALESFORCE_* variables
//!
//! let soql = format!("SELECT Id, Name FROM Account WHERE Name = {}", soql::quote("O'Brien"));
//! let accounts: Vec<SObject> = client.query(soql).stream().try_collect().await?;
//! # Ok(()) }
//! ```
//!
//! ## Quick start: Bulk API 2.0
//!
//! Any stream of `serde` records, written as CSV while it uploads, split into jobs of at most
//! 100 MB; the result files come back as typed streams joined to the records
//! (see [`bulk`]):
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use salesforce_client::bulk::{IngestJobSpec, Operation};
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Payment {
//!     #[serde(rename = "PaymentID__c")]
//!     id: String,
//!     #[serde(rename = "Amount__c")]
//!     amount: f64,
//! }
//!
//! # async fn run(client: salesforce_client::Client, payments: Vec<Payment>) -> salesforce_client::Result<()> {
//! let spec = IngestJobSpec::new("Payment__c", Operation::Upsert).external_id_field("PaymentID__c");
//! let report = client.bulk().ingest(spec).run(futures::stream::iter(payments)).await?;
//! let failed: Vec<_> = report.failed_results::<Payment>().try_collect().await?;
//!
//! let ids: Vec<serde_json::Value> =
//!     client.bulk().query("SELECT Id FROM Payment__c").stream().try_collect().await?;
//! # Ok(()) }
//! ```
//!
//! ## Quick start: Streaming API
//!
//! A subscription is a stream of events; each is acked once processed, and the
//! [`ReplayStore`](streaming::ReplayStore) makes a restart resume after the last one (see
//! [`streaming`]):
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use salesforce_client::streaming::{ChangeEvent, FileReplayStore, channel};
//!
//! # async fn run(client: salesforce_client::Client) -> salesforce_client::Result<()> {
//! let mut changes = client
//!     .streaming()
//!     .subscribe(channel::change_events_of("Account"))
//!     .replay_store(FileReplayStore::open("replay.log").await?)
//!     .events::<ChangeEvent>();
//! while let Some(change) = changes.try_next().await? {
//!     println!("{:?} {:?}", change.payload.header.change_type, change.payload.header.record_ids);
//!     change.ack().await?;
//! }
//! # Ok(()) }
//! ```
//!
//! ## Retries
//!
//! Every call goes through one send path that applies `mapping`'s retry policy: capped
//! exponential backoff with full jitter, `Retry-After` honoured. What is retried:
//!
//! | Salesforce answer | [`ErrorKind`](mapping::retry::ErrorKind) | what happens |
//! |---|---|---|
//! | 401 `INVALID_SESSION_ID` | `AuthExpired` | session invalidated, one refresh shared by all callers, request replayed once (any method: a 401 was not executed) |
//! | 401 "This session is not valid for use with the REST API" | `Unauthorized` | returned; refreshing cannot help |
//! | 403 `REQUEST_LIMIT_EXCEEDED`, concurrent requests | `Throttled` | retried with backoff |
//! | 403 `REQUEST_LIMIT_EXCEEDED`, daily total | `QuotaExceeded` | returned; reschedule after the 24-hour window |
//! | `UNABLE_TO_LOCK_ROW` (also inside `CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY`) | `Transient` | retried |
//! | 502, 503, `SERVER_UNAVAILABLE`, `UNKNOWN_EXCEPTION`, dropped connections | `Transient` | retried if idempotent |
//! | timeouts | `Timeout` | retried if idempotent |
//! | `DUPLICATE_VALUE`, `DUPLICATES_DETECTED`, 300 several matches | `Conflict` | returned |
//! | validation (`REQUIRED_FIELD_MISSING`, `FIELD_CUSTOM_VALIDATION_EXCEPTION`, …) | `Validation` | returned |
//! | `NOT_FOUND`, `ENTITY_IS_DELETED` | `NotFound` | returned |
//!
//! Idempotent calls — reads, `PATCH` updates, upserts by external ID, deletes, and composite
//! requests without a create — are retried whenever the kind allows. A create (`POST`), an
//! event publish, or a composite request containing one is resent only when Salesforce
//! certainly did not act on it (a refused connection, or a 4xx, after which Salesforce has
//! rolled the transaction back); when its answer was lost it fails with
//! [`Error::OutcomeUnknown`] instead. When retries run out, the last error itself comes back,
//! with [`Error::attempts`].
//!
//! ## Modules
//!
//! | module | holds |
//! |---|---|
//! | [`client`] | [`Client`], [`ClientBuilder`], `from_env` |
//! | [`auth`] | [`TokenProvider`](auth::TokenProvider) and the grants: [`JwtBearer`](auth::JwtBearer), [`ClientCredentials`](auth::ClientCredentials), [`RefreshToken`](auth::RefreshToken), [`UsernamePassword`](auth::UsernamePassword), [`StaticToken`](auth::StaticToken) |
//! | [`sobjects`] | `client.sobjects("X")`: create, get, update, delete, by external ID, upsert, describe, updated/deleted; [`SObject`], [`SaveResult`](sobjects::SaveResult), [`UpsertOutcome`](sobjects::UpsertOutcome) |
//! | [`query`] | `client.query(soql)` / `query_all` / `query_resume` as streams; [`soql`](query::soql) literal escaping |
//! | [`composite`] | composite, batch, graph, tree (`client.composite()`), collections (`client.collections()`) |
//! | [`events`] | Platform Event publishing (`client.events()`) |
//! | [`bulk`] | Bulk API 2.0 (`client.bulk()`): streaming [`ingest`](bulk::Bulk::ingest) split into jobs, typed result streams, [`query`](bulk::Bulk::query) paged by `Sforce-Locator`, job create/upload/close/abort/delete/list/wait |
//! | [`streaming`] | Streaming API over CometD (`client.streaming()`): platform events, [`ChangeEvent`](streaming::ChangeEvent)s, replay with a [`ReplayStore`](streaming::ReplayStore), explicit [`Ack`](streaming::Ack)s |
//! | [`limits`] | `Sforce-Limit-Info` ([`LimitInfo`](limits::LimitInfo)) and the `limits` resource |
//! | [`versions`] | [`ApiVersion`], discovery |
//! | [`raw`] | `client.raw()`: any other endpoint through the same send path |
//! | [`canonical`] | `Account` ↔ [`Customer`](canonical_model::Customer), `Payment__c` ↔ [`Payment`](canonical_model::Payment) |
//! | [`error`] | [`Error`], [`ErrorDetail`](error::ErrorDetail) |
//!
//! ## Secrets
//!
//! Tokens, secrets, passwords and private keys are [`secrecy::SecretString`]s or opaque
//! keys; no `Debug`, `Display` or trace of this crate prints them, and the `Authorization`
//! header is marked sensitive. The token is only ever sent to the instance's origin: links
//! such as `nextRecordsUrl` pointing elsewhere are refused, and redirects are not followed.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
pub mod bulk;
pub mod canonical;
pub mod client;
pub mod composite;
mod de;
pub mod error;
pub mod events;
mod http;
pub mod limits;
pub mod query;
pub mod raw;
pub mod sobjects;
pub mod streaming;
pub mod versions;

pub use client::{Client, ClientBuilder};
pub use error::{Error, Result};
pub use sobjects::SObject;
pub use versions::ApiVersion;
