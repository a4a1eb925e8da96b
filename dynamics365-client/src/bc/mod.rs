//! Dynamics 365 Business Central, API v2.0: company-scoped entities under
//! `…/api/v2.0/companies({id})/`.
//!
//! ```no_run
//! # async fn run(client: dynamics365_client::Client) -> dynamics365_client::Result<()> {
//! use dynamics365_client::odata::filter::prop;
//!
//! let company = client.bc().default_company().await?; // D365_COMPANY: an id or a name
//! let customer = company
//!     .customers()
//!     .query()
//!     .filter(prop("number").eq("10000"))
//!     .first()
//!     .await?
//!     .expect("exists");
//! // Business Central requires If-Match on every PATCH and DELETE: send the ETag you read.
//! let etag = customer.etag.clone().expect("BC sends ETags");
//! company
//!     .customers()
//!     .update(customer.id.clone().expect("id"), &serde_json::json!({"phoneNumber": "555-0100"}))
//!     .if_match(&etag)
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! - `If-Match` is required on PATCH, PUT and DELETE: a write without one is refused before it
//!   is sent. Use the entity's ETag, or `if_match_any()` when you mean "overwrite".
//! - There is no upsert: read by number, then create or update.
//! - `$batch` is JSON, at most 100 operations per batch (bigger ones are split between
//!   independent parts).
//! - At most 5 requests in flight per client by default (BC's per-user limit).
//! - `$top` suppresses the next link: page with [`Query::max_page_size`](crate::odata::Query::max_page_size).

use std::fmt;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::Scope;
use crate::odata::filter::prop;
use crate::odata::{Batch, EntitySet, Guid, Key, ReadOnly, Service};

pub mod entities;
pub mod types;

pub use entities::{
    Company, Customer, CustomerPayment, CustomerPaymentJournal, GeneralLedgerEntry, Journal,
    JournalLine, SalesInvoice, SalesLine, SalesOrder,
};
pub use types::{AccountType, ContactType, CustomerBlocked, SalesInvoiceStatus, SalesOrderStatus};

/// The sign of a customer payment's `amount` in a payment journal (reference §2.3).
///
/// In a general journal line a positive amount debits the account, so a payment *received*
/// from a customer (a credit to the customer) is negative: that is the default. BC's own docs
/// show a positive example, and whether the API flips the sign is unconfirmed, so it is
/// configurable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AmountSign {
    /// A payment received is written as a negative amount (a credit to the customer).
    #[default]
    Negative,
    /// A payment received is written as a positive amount.
    Positive,
}

/// Business Central: companies, then everything else per company. Cheap to clone.
#[derive(Clone)]
pub struct Bc {
    client: Client,
}

impl fmt::Debug for Bc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bc").finish_non_exhaustive()
    }
}

impl Bc {
    pub(crate) fn new(client: Client) -> Bc {
        Bc { client }
    }

    fn service(&self) -> Service {
        Service::new(self.client.clone(), Scope::Bc)
    }

    /// `companies` (read-only).
    pub fn companies(&self) -> EntitySet<Company, ReadOnly> {
        self.service().read_only_set("companies")
    }

    /// The company with `id`.
    pub fn company(&self, id: Guid) -> BcCompany {
        BcCompany {
            client: self.client.clone(),
            id,
        }
    }

    /// The company whose id, `name` or `displayName` is `name_or_id`.
    ///
    /// # Errors
    /// [`Error::Config`] when there is no such company; the service's errors.
    pub async fn find_company(&self, name_or_id: &str) -> Result<BcCompany> {
        if let Ok(id) = Guid::parse(name_or_id) {
            return Ok(self.company(id));
        }
        let found = self
            .companies()
            .query()
            .filter(
                prop("name")
                    .eq(name_or_id)
                    .or(prop("displayName").eq(name_or_id)),
            )
            .first()
            .await?;
        match found.and_then(|c| c.id) {
            Some(id) => Ok(self.company(id)),
            None => Err(Error::config(format!(
                "Business Central has no company named {name_or_id:?}"
            ))),
        }
    }

    /// The configured company (`D365_COMPANY`: an id, or a name looked up once and cached).
    ///
    /// # Errors
    /// [`Error::Config`] when no company is configured or it does not exist.
    pub async fn default_company(&self) -> Result<BcCompany> {
        let configured = self.client.company().ok_or_else(|| {
            Error::config("no Business Central company: set D365_COMPANY (an id or a name)")
        })?;
        let id = self
            .client
            .inner
            .bc_company
            .get_or_try_init(|| async { self.find_company(configured).await.map(|c| c.id) })
            .await?;
        Ok(self.company(id.clone()))
    }

    /// A `$batch` (JSON; `Isolation: snapshot` makes it one transaction).
    pub fn batch(&self) -> Batch {
        self.service().batch()
    }
}

/// One Business Central company's entities. Cheap to clone.
#[derive(Clone)]
pub struct BcCompany {
    client: Client,
    id: Guid,
}

impl fmt::Debug for BcCompany {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BcCompany").field("id", &self.id).finish()
    }
}

impl BcCompany {
    /// The company's id.
    pub fn id(&self) -> &Guid {
        &self.id
    }

    /// Any entity set of the company: `companies({id})/{name}`.
    pub fn entity_set<T>(&self, name: &str) -> EntitySet<T> {
        let path = format!("companies{}/{name}", Key::from(&self.id).to_path());
        Service::new(self.client.clone(), Scope::Bc).entity_set(&path)
    }

    /// `customers`.
    pub fn customers(&self) -> EntitySet<Customer> {
        self.entity_set("customers")
    }

    /// `salesOrders`.
    pub fn sales_orders(&self) -> EntitySet<SalesOrder> {
        self.entity_set("salesOrders")
    }

    /// `salesOrders({order})/salesOrderLines`.
    pub fn sales_order_lines(&self, order: &Guid) -> EntitySet<SalesLine> {
        self.sales_orders()
            .entity(order)
            .navigation("salesOrderLines")
    }

    /// `salesInvoices`.
    pub fn sales_invoices(&self) -> EntitySet<SalesInvoice> {
        self.entity_set("salesInvoices")
    }

    /// `salesInvoices({invoice})/salesInvoiceLines`.
    pub fn sales_invoice_lines(&self, invoice: &Guid) -> EntitySet<SalesLine> {
        self.sales_invoices()
            .entity(invoice)
            .navigation("salesInvoiceLines")
    }

    /// `customerPaymentJournals`.
    pub fn customer_payment_journals(&self) -> EntitySet<CustomerPaymentJournal> {
        self.entity_set("customerPaymentJournals")
    }

    /// `customerPaymentJournals({journal})/customerPayments`.
    pub fn customer_payments(&self, journal: &Guid) -> EntitySet<CustomerPayment> {
        self.customer_payment_journals()
            .entity(journal)
            .navigation("customerPayments")
    }

    /// `journals`.
    pub fn journals(&self) -> EntitySet<Journal> {
        self.entity_set("journals")
    }

    /// `journals({journal})/journalLines`.
    pub fn journal_lines(&self, journal: &Guid) -> EntitySet<JournalLine> {
        self.journals().entity(journal).navigation("journalLines")
    }

    /// `generalLedgerEntries` (read-only).
    pub fn general_ledger_entries(&self) -> EntitySet<GeneralLedgerEntry, ReadOnly> {
        self.entity_set::<GeneralLedgerEntry>("generalLedgerEntries")
            .read_only()
    }

    /// Ships and invoices a sales order: `salesOrders({id})/Microsoft.NAV.shipAndInvoice`.
    ///
    /// # Errors
    /// The service's refusal; [`Error::OutcomeUnknown`] when the answer was lost.
    pub async fn ship_and_invoice(&self, order: &Guid) -> Result<()> {
        self.sales_orders()
            .entity(order)
            .action("Microsoft.NAV.shipAndInvoice")
            .send()
            .await
            .map(drop)
    }

    /// Posts a draft sales invoice: `salesInvoices({id})/Microsoft.NAV.post`.
    ///
    /// # Errors
    /// As [`ship_and_invoice`](Self::ship_and_invoice).
    pub async fn post_invoice(&self, invoice: &Guid) -> Result<()> {
        self.sales_invoices()
            .entity(invoice)
            .action("Microsoft.NAV.post")
            .send()
            .await
            .map(drop)
    }

    /// Posts a whole journal batch: `journals({id})/Microsoft.NAV.post`. A customer payment
    /// journal is posted the same way, with its id (BC resolves the batch by id whatever its
    /// template).
    ///
    /// # Errors
    /// As [`ship_and_invoice`](Self::ship_and_invoice); "There is nothing to post." for an
    /// empty journal.
    pub async fn post_journal(&self, journal: &Guid) -> Result<()> {
        self.journals()
            .entity(journal)
            .action("Microsoft.NAV.post")
            .send()
            .await
            .map(drop)
    }

    /// A `$batch` (JSON).
    pub fn batch(&self) -> Batch {
        Service::new(self.client.clone(), Scope::Bc).batch()
    }
}
