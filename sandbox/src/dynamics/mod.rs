//! Stateful emulator of Microsoft Dynamics 365 — Finance & Operations and Business Central —
//! and of the Entra ID token endpoint, written from `shared/reference/dynamics365.md` only.
//!
//! # What it speaks
//!
//! * **Entra ID**: `POST /{tenant}/oauth2/v2.0/token` (client credentials, `scope=<resource>/.default`)
//!   and v1 `POST /{tenant}/oauth2/token` (`resource=`); AADSTS error bodies. See [`auth`].
//!   A missing, unknown or expired bearer token on a data endpoint answers 401 with
//!   `WWW-Authenticate`.
//! * **F&O** under `/data/`: `CustomersV3`, `SalesOrderHeadersV2` + `SalesOrderLines`,
//!   `CustomerPaymentJournalHeaders` + `CustomerPaymentJournalLines`, `LedgerJournalHeaders` +
//!   `LedgerJournalLines`, `SalesInvoiceHeadersV2` + `SalesInvoiceV2Lines` (read-only,
//!   seedable), `FreeTextInvoiceHeaders` + `FreeTextInvoiceLines`,
//!   `GeneralJournalAccountEntries` (read-only, written by journal posting). Composite keys
//!   with `dataAreaId`, default company vs `cross-company=true`, number sequences, noon-UTC
//!   dates and the 1900 sentinel, enums as strings, weak ETags (412 on a stale `If-Match`),
//!   `$skip` next links with a 10,000 page cap, `innererror` and ASP.NET error bodies, and an
//!   optional journal-posting extension ([`FnoPosting`]) since standard F&O has none.
//! * **BC** under `/v2.0/{tenant}/{environment}/api/v2.0/` (and `/v2.0/{environment}/api/v2.0/`):
//!   `companies`, and per company `customers`, `salesOrders` (+ `salesOrderLines`,
//!   `Microsoft.NAV.shipAndInvoice`), `salesInvoices` (+ lines, `Microsoft.NAV.post`, …),
//!   `customerPaymentJournals` + `customerPayments`, `journals` + `journalLines` +
//!   `Microsoft.NAV.post`, `generalLedgerEntries` (read-only). `If-Match` required on PATCH and
//!   DELETE (`BadRequest_InvalidToken`; stale → 409 `Request_EntityChanged`), `$skiptoken`
//!   next links with a 20,000 cap, `Prefer: odata.maxpagesize`, `$top` suppressing the next
//!   link (the `$top` rows are then returned in one page, whatever the cap), the optional
//!   negative-payment rule, `CorrelationId` error texts.
//! * **Both**: `$filter` (comparison, logic, arithmetic, literals of every kind, functions),
//!   `$select`, `$expand` with nested options, `$orderby`, `$top`, `$skip`, `$count`; POST
//!   (201 or 204 with `Prefer: return=minimal`), PATCH, PUT, DELETE, deep insert; `$batch` as
//!   `multipart/mixed` (changesets, `Content-ID`, `$1`) and JSON (`atomicityGroup`,
//!   `dependsOn`) with atomic rollback; 429 with `Retry-After` from per-client concurrency and
//!   rate limits ([`ThrottleConfig`]); and the shared [`FaultPlan`](crate::fault::FaultPlan)
//!   through [`DynamicsSandbox`].
//!
//! Every choice the reference leaves UNCONFIRMED is named in the docs of the module that
//! makes it.
//!
//! # Example
//!
//! ```
//! use sandbox::dynamics::{
//!     DEFAULT_BC_COMPANY_ID, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID,
//!     DynamicsSandbox,
//! };
//! use serde_json::{Value, json};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sb = DynamicsSandbox::start().await?;
//! let http = reqwest::Client::new();
//!
//! // Client credentials against the emulated Entra ID.
//! let form = format!(
//!     "grant_type=client_credentials&client_id={DEFAULT_CLIENT_ID}\
//!      &client_secret={DEFAULT_CLIENT_SECRET}&scope={}/.default",
//!     sb.fno_url()
//! );
//! let token: Value = http
//!     .post(sb.token_url(DEFAULT_TENANT_ID))
//!     .header("content-type", "application/x-www-form-urlencoded")
//!     .body(form)
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! let bearer = token["access_token"].as_str().unwrap_or_default().to_owned();
//!
//! // F&O: create a customer; the server answers 201 with a weak ETag.
//! let res = http
//!     .post(format!("{}/CustomersV3", sb.fno_data_url()))
//!     .bearer_auth(&bearer)
//!     .json(&json!({"CustomerAccount": "US-100", "OrganizationName": "Contoso",
//!                   "CustomerGroupId": "10", "SalesCurrencyCode": "USD"}))
//!     .send()
//!     .await?;
//! assert_eq!(res.status(), 201);
//! let created: Value = res.json().await?;
//! assert_eq!(created["dataAreaId"], "usmf");
//! assert!(created["@odata.etag"].as_str().unwrap_or("").starts_with("W/\""));
//!
//! // BC: customers of the default company.
//! let list: Value = http
//!     .get(format!(
//!         "{}/companies({DEFAULT_BC_COMPANY_ID})/customers",
//!         sb.bc_api_url(DEFAULT_TENANT_ID)
//!     ))
//!     .bearer_auth(&bearer)
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! assert_eq!(list["value"], json!([]));
//!
//! // In-process inspection.
//! assert_eq!(sb.emulator().fno_rows("CustomersV3").len(), 1);
//! sb.shutdown().await;
//! # Ok(())
//! # }
//! ```

pub mod auth;
mod batch;
mod bc;
pub mod config;
mod dispatch;
mod emulator;
mod engine;
mod error;
mod fno;
mod http;
mod keys;
mod metadata;
mod odata;
mod schema;
mod state;
mod store;
mod throttle;

pub use config::{
    AppRegistration, BcConfig, DEFAULT_BC_COMPANY_ID, DEFAULT_BC_COMPANY_NAME,
    DEFAULT_BC_ENVIRONMENT, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_FNO_COMPANY,
    DEFAULT_TENANT_ID, DynamicsConfig, FnoConfig, FnoPosting, ThrottleConfig,
};
pub use emulator::{DynamicsEmulator, DynamicsSandbox, SeedError};
pub use odata::paging::NextLinkStyle;
pub use state::{Api, RecordedRequest};
