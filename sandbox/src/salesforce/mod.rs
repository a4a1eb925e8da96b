//! Stateful emulator of Salesforce's OAuth endpoints, REST API, composite resources and
//! event bus, written from `shared/reference/salesforce.md` only.
//!
//! # What it speaks
//!
//! * `POST /services/oauth2/token` with the JWT bearer grant (RS256 checked against the
//!   connected app's certificate; `iss`, `sub`, `aud`, `exp` ≤ 3 minutes ahead), client
//!   credentials (body or HTTP Basic), refresh token (optionally rotating) and
//!   username-password. Answers `access_token, instance_url, id, token_type, issued_at`
//!   (milliseconds, as a string), `signature, scope` — never `expires_in`. Errors are HTTP 400
//!   `{"error","error_description"}` (`invalid_grant`, `invalid_client_id`, …).
//! * `GET /services/oauth2/userinfo`, `POST /services/oauth2/revoke`, `GET /services/data/`
//!   (the versions list; no auth, no `Sforce-Limit-Info`).
//! * `/services/data/vNN.0/`: `sobjects` (describe global / one object, create, read with
//!   `fields`, update, delete, get/upsert/delete by external ID with 201/200/204/300 outcomes
//!   and `updateOnly`, parent record by relationship, updated/deleted since), `query` and
//!   `queryAll` (SOQL subset, see below, paged by `Sforce-Query-Options: batchSize`),
//!   `composite` (references, `allOrNone`), `composite/batch` (`haltOnError`),
//!   `composite/graph`, `composite/sobjects` (collections), `composite/tree/{Obj}` and
//!   `limits`.
//! * Every versioned REST reply carries `Sforce-Limit-Info: api-usage=N/M`; when the daily
//!   allocation is spent the answer is `403 REQUEST_LIMIT_EXCEEDED` "TotalRequests Limit
//!   exceeded.".
//! * Errors are Salesforce's array `[{"message","errorCode","fields"}]`; collections, batch
//!   and tree results use `statusCode`.
//! * Accepts what real clients send: `+` or `%20` in query strings, trailing slashes,
//!   chunked bodies, `Authorization: Bearer` or `OAuth`.
//!
//! # Records
//!
//! Objects have metadata ([`ObjectMeta`], [`FieldMeta`]): required fields, external IDs,
//! unique fields, lookups, and whether Change Data Capture is on. Ids are 18-character ids with
//! the object's key prefix (`001` Account, `003` Contact, `006` Opportunity, `801` Order,
//! `500` Case, `a00`, `a01`, … for custom objects, `e00`, … for platform events). Undeclared
//! custom objects and custom fields are created on first use (see [`schema`]).
//!
//! # SOQL
//!
//! `SELECT f1, Parent.Field, COUNT() FROM Object [WHERE …] [ORDER BY f [ASC|DESC]
//! [NULLS FIRST|LAST], …] [LIMIT n] [OFFSET n]` with `= != <> < > <= >= IN NOT IN LIKE
//! INCLUDES EXCLUDES AND OR NOT`, parentheses, strings with SOQL escapes, numbers, booleans,
//! `null`, dates, datetimes and relative dates (`TODAY`, `LAST_N_DAYS:n`, …). Malformed SOQL
//! answers `400 MALFORMED_QUERY` with Salesforce's caret message; unknown fields and objects
//! `INVALID_FIELD` / `INVALID_TYPE`. Child subqueries, aggregates other than `COUNT()`,
//! `GROUP BY` and semi-joins are not supported (`MALFORMED_QUERY` says so).
//!
//! # Sessions and faults
//!
//! Tokens expire after the [`SessionPolicy`] (idle time, age, number of calls) or on demand
//! ([`SalesforceEmulator::expire_sessions`]) → `401 INVALID_SESSION_ID`. On top of the shared
//! [`FaultPlan`](crate::fault::FaultPlan), [`SalesforceFaults`] injects Salesforce's own
//! failures: both kinds of `403 REQUEST_LIMIT_EXCEEDED`, `UNABLE_TO_LOCK_ROW`, 503
//! `SERVER_UNAVAILABLE`, deterministically or by seeded rate.
//!
//! # Events
//!
//! Published platform events and, for CDC-enabled objects, a change event per write go to
//! the [`EventBus`] with replay ids per channel. The Streaming API serves them over CometD
//! at `/cometd/NN.0` (handshake, subscribe with the replay extension, long-polling connect,
//! `403::Unknown client`, `401::Authentication invalid`, `503::Server is too busy`; see
//! [`StreamingConfig`] and the `cometd` module docs).
//!
//! # Bulk API 2.0
//!
//! `/services/data/vNN.0/jobs/ingest` and `/jobs/query`: the job state machines, CSV uploads
//! streamed into the job, asynchronous processing through the same record store (change
//! events included), result CSVs streamed out, query results paged by `Sforce-Locator`
//! (see [`BulkConfig`] and the `bulk` module docs). Bulk- and CometD-specific failures are
//! armed with [`SalesforceFaults::arm`] ([`AsyncFault`]).
//!
//! # Example
//!
//! Start the emulator, get a token with the JWT bearer grant, create an account and query it:
//!
//! ```
//! use sandbox::salesforce::{
//!     DEFAULT_CLIENT_ID, DEFAULT_USERNAME, JWT_BEARER_GRANT, SalesforceSandbox,
//!     TEST_PRIVATE_KEY_PEM,
//! };
//! use serde_json::{Value, json};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sf = SalesforceSandbox::start().await?;
//! let http = reqwest::Client::new();
//!
//! let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
//! let claims = json!({
//!     "iss": DEFAULT_CLIENT_ID,
//!     "sub": DEFAULT_USERNAME,
//!     "aud": "https://login.salesforce.com",
//!     "exp": now + 120,
//! });
//! let key = jsonwebtoken::EncodingKey::from_rsa_pem(TEST_PRIVATE_KEY_PEM.as_bytes())?;
//! let jwt = jsonwebtoken::encode(
//!     &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
//!     &claims,
//!     &key,
//! )?;
//! let form: String = form_urlencoded::Serializer::new(String::new())
//!     .append_pair("grant_type", JWT_BEARER_GRANT)
//!     .append_pair("assertion", &jwt)
//!     .finish();
//! let token: Value = http
//!     .post(sf.token_url())
//!     .header("content-type", "application/x-www-form-urlencoded")
//!     .body(form)
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! assert!(token.get("expires_in").is_none());
//! let bearer = token["access_token"].as_str().unwrap_or_default().to_owned();
//! let api = format!("{}/services/data/v67.0", token["instance_url"].as_str().unwrap_or_default());
//!
//! let created = http
//!     .post(format!("{api}/sobjects/Account"))
//!     .bearer_auth(&bearer)
//!     .json(&json!({"Name": "Acme"}))
//!     .send()
//!     .await?;
//! assert_eq!(created.status(), 201);
//! assert!(created.headers().contains_key("sforce-limit-info"));
//!
//! let page: Value = http
//!     .get(format!("{api}/query?q=SELECT+Id,+Name+FROM+Account+WHERE+Name+=+'Acme'"))
//!     .bearer_auth(&bearer)
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! assert_eq!(page["totalSize"], 1);
//! assert_eq!(page["records"][0]["attributes"]["type"], "Account");
//! assert_eq!(sf.emulator().records("Account").len(), 1);
//! # Ok(())
//! # }
//! ```

pub mod bulk;
pub mod cometd;
mod composite;
mod config;
mod describe;
mod emulator;
mod errors;
mod events;
mod faults;
mod ids;
mod jwt;
mod limits;
mod oauth;
mod query;
mod reply;
mod rest;
mod router;
pub mod schema;
mod sessions;
mod sobjects;
mod soql;
mod state;
mod store;
mod util;

pub use crate::clock::SandboxClock;
pub use bulk::{BulkConfig, BulkJobInfo, BulkJobKind, BulkJobState};
pub use cometd::{BROWSER_COOKIE, StreamingConfig};
pub use config::{
    ConnectedApp, DEFAULT_API_VERSION, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_ORG_ID,
    DEFAULT_PASSWORD, DEFAULT_SECURITY_TOKEN, DEFAULT_USERNAME, LOGIN_AUDIENCE, SalesforceConfig,
    SalesforceUser, SessionPolicy, TEST_AUDIENCE, TEST_CERTIFICATE_PEM, TEST_PRIVATE_KEY_PEM,
};
pub use emulator::{ApiUsage, SalesforceEmulator, SalesforceSandbox, WriteError};
pub use errors::{
    CONCURRENT_LIMIT_MESSAGE, NOT_VALID_FOR_REST_MESSAGE, SESSION_EXPIRED_MESSAGE,
    TOTAL_LIMIT_MESSAGE,
};
pub use events::{BusEvent, CHANGE_EVENTS_CHANNEL, EventBus, REPLAY_ALL, REPLAY_NEW};
pub use faults::{
    AsyncFault, SalesforceFault, SalesforceFaultPlan, SalesforceFaultRate, SalesforceFaultRule,
    SalesforceFaults,
};
pub use oauth::JWT_BEARER_GRANT;
pub use schema::{
    FieldMeta, FieldType, ObjectKind, ObjectMeta, change_event_channel, standard_objects,
};
pub use store::Record;
