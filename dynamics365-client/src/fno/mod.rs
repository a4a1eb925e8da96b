//! Dynamics 365 Finance & Operations: typed data entities under `/data/`.
//!
//! ```no_run
//! # async fn run(client: dynamics365_client::Client) -> dynamics365_client::Result<()> {
//! use dynamics365_client::odata::filter::prop;
//! use futures::TryStreamExt;
//!
//! let fno = client.fno(); // the configured company (D365_COMPANY), e.g. `usmf`
//! let group_10: Vec<_> = fno
//!     .customers()
//!     .query()
//!     .filter(prop("CustomerGroupId").eq("10").and(prop("OrganizationName").contains("Contoso")))
//!     .stream()
//!     .try_collect()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! ## Companies
//!
//! Every key includes `dataAreaId`. Reads default to the service user's default company; with
//! a company configured ([`ClientBuilder::company`](crate::ClientBuilder::company), or
//! [`Fno::company`]), every request carries `cross-company=true` and every query is narrowed
//! with `dataAreaId eq '<company>'`, so the configured company is the one you see whatever the
//! user's default. [`Fno::all_companies`] reads across all companies the user may access.
//!
//! ## Queries
//!
//! F&O has no `in`, no string functions and expands one level only: `contains`/`startswith`/
//! `endswith` become `eq '*text*'` wildcards, `in` an `or` chain, and deeper expands are
//! refused before sending. Enums compare with literals such as
//! [`NoYes::Yes.literal()`](types::NoYes::literal).
//!
//! ## Posting journals
//!
//! Standard F&O has no OData action to post a journal. [`Fno::post_journal`] follows the
//! client's [`PostingStrategy`]: a custom X++ service, or an action on a custom entity; by
//! default it refuses with [`Error::Unsupported`] saying so.

use std::fmt;

use serde_json::{Map, Value};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::Scope;
use crate::odata::filter::prop;
use crate::odata::{Batch, EntitySet, ReadOnly, Service};

pub mod entities;
pub mod types;

pub use entities::{
    CustomerPaymentJournalHeader, CustomerPaymentJournalLine, CustomerV3, FreeTextInvoiceHeader,
    FreeTextInvoiceLine, GeneralJournalAccountEntry, LedgerJournalHeader, LedgerJournalLine,
    SalesInvoiceHeaderV2, SalesInvoiceV2Line, SalesOrderHeaderV2, SalesOrderLine,
};
pub use types::{AccountType, NoYes, PartyType, SalesStatus};

/// How journals (general and customer payment) are posted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PostingStrategy {
    /// Posting is refused with [`Error::Unsupported`]: standard F&O cannot post a journal
    /// over OData. Journals stay unposted for a user or a batch job.
    #[default]
    NotSupported,
    /// A custom X++ JSON service: `POST {origin}{path}` with
    /// `{"<company_param>": "<dataAreaId>", "<journal_param>": "<JournalBatchNumber>"}`.
    CustomService {
        /// The service path, `/api/services/{Group}/{Service}/{Operation}`.
        path: String,
        /// The company parameter's name (e.g. `_dataAreaId`).
        company_param: String,
        /// The journal number parameter's name (e.g. `_journalBatchNumber`).
        journal_param: String,
    },
    /// An action on a custom data entity (actions cannot be added to standard entities by
    /// extension): `POST {entity_set}(dataAreaId='…',JournalBatchNumber='…')/Microsoft.Dynamics.DataEntities.{action}`.
    EntityAction {
        /// The custom entity's collection name.
        entity_set: String,
        /// The action name (e.g. `Post`).
        action: String,
    },
}

/// Finance & Operations entities, scoped to a company. Cheap to clone.
#[derive(Clone)]
pub struct Fno {
    client: Client,
    company: Option<String>,
    all_companies: bool,
}

impl fmt::Debug for Fno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fno")
            .field("company", &self.company)
            .field("all_companies", &self.all_companies)
            .finish()
    }
}

impl Fno {
    pub(crate) fn new(client: Client) -> Fno {
        let company = client.company().map(str::to_owned);
        Fno {
            client,
            company,
            all_companies: false,
        }
    }

    /// The same entities in another company (`dataAreaId`, e.g. `usrt`).
    #[must_use]
    pub fn company(mut self, data_area_id: impl Into<String>) -> Fno {
        self.company = Some(data_area_id.into());
        self.all_companies = false;
        self
    }

    /// Reads across every company the service user may access (`cross-company=true`, no
    /// `dataAreaId` filter).
    #[must_use]
    pub fn all_companies(mut self) -> Fno {
        self.all_companies = true;
        self
    }

    /// The company requests are scoped to, if any.
    pub fn data_area_id(&self) -> Option<&str> {
        self.company.as_deref().filter(|_| !self.all_companies)
    }

    /// The company, or an error saying one must be configured.
    pub(crate) fn require_company(&self) -> Result<&str> {
        self.data_area_id().ok_or_else(|| {
            Error::config("no F&O company: set D365_COMPANY (a dataAreaId) or call Fno::company")
        })
    }

    /// Any F&O entity set, with this handle's company scoping.
    pub fn entity_set<T>(&self, name: &str) -> EntitySet<T> {
        let set = Service::new(self.client.clone(), Scope::Fno).entity_set::<T>(name);
        if self.all_companies {
            return set.with_param("cross-company", "true");
        }
        match &self.company {
            Some(company) => set
                .with_param("cross-company", "true")
                .with_scope_filter(prop("dataAreaId").eq(company.as_str())),
            None => set,
        }
    }

    fn read_only<T>(&self, name: &str) -> EntitySet<T, ReadOnly> {
        self.entity_set::<T>(name).read_only()
    }

    /// `CustomersV3`.
    pub fn customers(&self) -> EntitySet<CustomerV3> {
        self.entity_set(CustomerV3::SET)
    }

    /// `SalesOrderHeadersV2`.
    pub fn sales_orders(&self) -> EntitySet<SalesOrderHeaderV2> {
        self.entity_set(SalesOrderHeaderV2::SET)
    }

    /// `SalesOrderLines`.
    pub fn sales_order_lines(&self) -> EntitySet<SalesOrderLine> {
        self.entity_set(SalesOrderLine::SET)
    }

    /// `SalesInvoiceHeadersV2` (read-only).
    pub fn sales_invoices(&self) -> EntitySet<SalesInvoiceHeaderV2, ReadOnly> {
        self.read_only(SalesInvoiceHeaderV2::SET)
    }

    /// `SalesInvoiceV2Lines` (read-only).
    pub fn sales_invoice_lines(&self) -> EntitySet<SalesInvoiceV2Line, ReadOnly> {
        self.read_only(SalesInvoiceV2Line::SET)
    }

    /// `FreeTextInvoiceHeaders`.
    pub fn free_text_invoices(&self) -> EntitySet<FreeTextInvoiceHeader> {
        self.entity_set(FreeTextInvoiceHeader::SET)
    }

    /// `FreeTextInvoiceLines`.
    pub fn free_text_invoice_lines(&self) -> EntitySet<FreeTextInvoiceLine> {
        self.entity_set(FreeTextInvoiceLine::SET)
    }

    /// `CustomerPaymentJournalHeaders`.
    pub fn customer_payment_journals(&self) -> EntitySet<CustomerPaymentJournalHeader> {
        self.entity_set(CustomerPaymentJournalHeader::SET)
    }

    /// `CustomerPaymentJournalLines`.
    pub fn customer_payment_journal_lines(&self) -> EntitySet<CustomerPaymentJournalLine> {
        self.entity_set(CustomerPaymentJournalLine::SET)
    }

    /// `LedgerJournalHeaders`.
    pub fn ledger_journals(&self) -> EntitySet<LedgerJournalHeader> {
        self.entity_set(LedgerJournalHeader::SET)
    }

    /// `LedgerJournalLines`.
    pub fn ledger_journal_lines(&self) -> EntitySet<LedgerJournalLine> {
        self.entity_set(LedgerJournalLine::SET)
    }

    /// `GeneralJournalAccountEntries` (read-only).
    pub fn general_journal_account_entries(
        &self,
    ) -> EntitySet<GeneralJournalAccountEntry, ReadOnly> {
        self.read_only(GeneralJournalAccountEntry::SET)
    }

    /// A `$batch` (multipart, changesets atomic).
    pub fn batch(&self) -> Batch {
        Service::new(self.client.clone(), Scope::Fno).batch()
    }

    /// Posts the journal `journal_batch_number` of this handle's company (a general journal
    /// or a customer payment journal: both are `LedgerJournalTable` batches) with the
    /// client's [`PostingStrategy`].
    ///
    /// # Errors
    /// [`Error::Unsupported`] with the default strategy; [`Error::Config`] without a company;
    /// the service's answer otherwise (a posting refused by F&O's validation, an unknown
    /// service). Never resent once it may have arrived: [`Error::OutcomeUnknown`].
    pub async fn post_journal(&self, journal_batch_number: &str) -> Result<()> {
        let company = self.require_company()?;
        match &self.client.inner.posting {
            PostingStrategy::NotSupported => Err(Error::Unsupported {
                operation: "posting a journal",
                reason: "standard Finance & Operations has no OData action to post a journal; \
                         configure a PostingStrategy (a custom X++ service or a custom entity \
                         action), or leave the journal for a user or a batch job to post"
                    .to_owned(),
            }),
            PostingStrategy::CustomService {
                path,
                company_param,
                journal_param,
            } => {
                let mut body = Map::new();
                body.insert(company_param.clone(), Value::from(company));
                body.insert(journal_param.clone(), Value::from(journal_batch_number));
                self.client.raw().post(path).json(&body).send().await?;
                Ok(())
            }
            PostingStrategy::EntityAction { entity_set, action } => {
                let key = entities::LedgerJournalHeader::key(company, journal_batch_number);
                self.entity_set::<Value>(entity_set)
                    .entity(key)
                    .action(&format!("{}.{action}", types::NAMESPACE))
                    .send()
                    .await?;
                Ok(())
            }
        }
    }
}
