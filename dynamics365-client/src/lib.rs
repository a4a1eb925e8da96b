//! # dynamics365-client
//!
//! A typed async client of Microsoft Dynamics 365 over OData v4: **Finance & Operations**
//! (`https://{env}.operations.dynamics.com/data/`) and **Business Central** API v2.0
//! (`https://api.businesscentral.dynamics.com/v2.0/{tenant}/{env}/api/v2.0/`), with Microsoft
//! Entra ID client-credentials auth, a generic OData v4 core any OData service can use, and an
//! [ERP facade](erp) in `canonical-model` types that the flows call without caring which
//! product is behind it.
//!
//! ## Quick start: Finance & Operations
//!
//! ```no_run
//! use dynamics365_client::fno::CustomerV3;
//! use dynamics365_client::odata::filter::prop;
//! use dynamics365_client::{Client, auth::ClientSecret, Flavor};
//! use futures::TryStreamExt;
//!
//! # async fn run() -> dynamics365_client::Result<()> {
//! let client = Client::builder()
//!     .flavor(Flavor::FinanceOperations)
//!     .base_url("https://contoso.operations.dynamics.com") // `/data/` is added
//!     .credentials(ClientSecret::new("contoso.onmicrosoft.com", "app-id", "app-secret"))
//!     .company("usmf") // dataAreaId
//!     .build()?;
//!
//! let fno = client.fno();
//! let customers: Vec<CustomerV3> = fno
//!     .customers()
//!     .query()
//!     .filter(prop("CustomerGroupId").eq("10"))
//!     .select(["CustomerAccount", "OrganizationName"])
//!     .stream() // follows @odata.nextLink
//!     .try_collect()
//!     .await?;
//!
//! let created = fno
//!     .customers()
//!     .create(&CustomerV3 {
//!         customer_account: Some("US-900".into()),
//!         organization_name: Some("Contoso Retail".into()),
//!         customer_group_id: Some("10".into()),
//!         sales_currency_code: Some("USD".into()),
//!         ..Default::default()
//!     })
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! ## Quick start: Business Central
//!
//! ```no_run
//! use dynamics365_client::Client;
//! use dynamics365_client::odata::filter::prop;
//!
//! # async fn run() -> dynamics365_client::Result<()> {
//! // D365_FLAVOR=bc, D365_BASE_URL=https://api.businesscentral.dynamics.com/v2.0/<tenant>/Production,
//! // D365_TENANT_ID, D365_CLIENT_ID, D365_CLIENT_SECRET, D365_COMPANY="CRONUS USA, Inc."
//! let client = Client::from_env()?;
//! let company = client.bc().default_company().await?;
//! if let Some(customer) = company.customers().query().filter(prop("number").eq("10000")).first().await? {
//!     let etag = customer.etag.clone().expect("BC sends ETags");
//!     company
//!         .customers()
//!         .update(customer.id.clone().expect("id"), &serde_json::json!({"phoneNumber": "555-0100"}))
//!         .if_match(&etag) // required by BC on every PATCH and DELETE
//!         .await?;
//! }
//! # Ok(()) }
//! ```
//!
//! ## The ERP facade
//!
//! ```no_run
//! use dynamics365_client::erp::{AnyErp, Erp};
//!
//! # async fn run(customer: canonical_model::Customer, payment: canonical_model::Payment) -> dynamics365_client::Result<()> {
//! let erp = AnyErp::from_env()?; // F&O or BC by D365_FLAVOR
//! erp.upsert_customer(&customer).await?;
//! let batch = erp.open_payment_batch("settlement-571").await?;
//! erp.record_customer_payment(&batch, "US-001", &payment, Some("CIV-000123")).await?; // idempotent
//! erp.post_payment_batch(&batch).await?;
//! # Ok(()) }
//! ```
//!
//! ## Retries, throttling and concurrency
//!
//! Every request goes through one send path ([`mapping::retry::Retrier`]):
//!
//! - **What is retried.** Only calls that are safe to send twice, once they may have reached
//!   the service: GET, PUT, DELETE, PATCH with `If-Match`, an upsert, a batch of only such
//!   operations. A create (POST), an action, or a PATCH without `If-Match` is not resent
//!   after a timeout or a 5xx: the error is [`Error::OutcomeUnknown`], and the caller looks the
//!   record up by the reference it carries (the [`erp`] facade does this itself). A request the
//!   service provably refused unread (connection refused, 401, 429) is retried whatever it is.
//! - **Throttling.** A 429 waits its `Retry-After` (seconds or an HTTP date), or a full-jitter
//!   backoff without one (Business Central may omit it); a wait longer than the policy's cap
//!   comes back as a [throttled](Error::is_throttled) error carrying
//!   [`retry_after`](Error::retry_after), so a scheduler can reschedule.
//! - **Tokens.** Fetched once however many requests need one, cached by `expires_in` and
//!   refreshed a minute early; a 401 drops that token and replays the request once.
//! - **Concurrency.** At most [`Flavor::default_concurrency`] requests in flight per client
//!   (F&O 52, Business Central 5: the services' per-user limits), shared by clones;
//!   [`ClientBuilder::max_concurrency`] changes it.
//! - **Tracing.** One span per operation, named `dynamics365.<fno|bc|odata>.<verb>`
//!   (`dynamics365.fno.create`), with method, entity set, status, request id and attempts;
//!   never a body, a query string, a token or a secret.
//!
//! ## Modules
//!
//! | module | holds |
//! |---|---|
//! | [`odata`] | the generic OData v4 core: query builder and `$filter` tree, keys and literals, paging streams, writes with ETags, actions, `$batch` (multipart and JSON) |
//! | [`fno`] | Finance & Operations entities, company scoping, journal posting strategies |
//! | [`bc`] | Business Central companies and entities, bound actions |
//! | [`erp`] | the [`Erp`](erp::Erp) facade, for F&O and BC |
//! | [`auth`] | Entra ID client credentials (v2 scope, v1 resource), static tokens, your own [`TokenProvider`](auth::TokenProvider) |
//! | [`error`] | [`Error`] and the parser of every error body Dynamics sends |
//! | [`raw`] | the escape hatch: any endpoint, with auth, retries and error parsing |

#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// A record type whose fields are all optional (so one type serves reads, creates and
/// partial updates: unset fields are not written), with its `@odata.etag` and the unknown
/// fields it was read with.
macro_rules! entity {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $field:ident : $ty:ty => $wire:literal $(, with $with:literal)?
            );* $(;)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[serde(rename = $wire, default, skip_serializing_if = "Option::is_none" $(, with = $with)?)]
                pub $field: Option<$ty>,
            )*
            /// The record's ETag (`@odata.etag`), for `If-Match`. Never written.
            #[serde(rename = "@odata.etag", default, skip_serializing)]
            pub etag: Option<$crate::odata::ETag>,
            /// Fields this type does not name (custom fields), kept for the round trip.
            #[serde(flatten)]
            pub extra: $crate::odata::edm::Extra,
        }
    };
}

/// An enum mirroring a service's enum type: the known members, and `Other` keeping any value
/// this version does not know. Serialises as the member name.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident : $type_name:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal $(| $alias:literal)* ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version does not know, as the service wrote it.
            Other(String),
        }

        impl $name {
            /// The qualified OData enum type, for `$filter` literals.
            pub const TYPE_NAME: &'static str = $type_name;

            /// The member name as the service writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Other(value) => value,
                }
            }

            /// The value as an enum literal for `$filter`: `Type'Member'`.
            pub fn literal(&self) -> $crate::odata::Literal {
                $crate::odata::Literal::enumeration(Self::TYPE_NAME, self.as_str())
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $wire $(| $alias)* => Self::$variant, )*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <String as serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self::from(value.as_str()))
            }
        }
    };
}

pub mod auth;
pub mod bc;
mod client;
pub mod erp;
pub mod error;
pub mod fno;
mod http;
pub mod odata;
pub mod raw;

pub use client::{Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, Flavor};
pub use error::{ApiError, Error, Result, ServiceError};
