//! The ERP facade: what the flows need from an ERP, in canonical-model types, whichever
//! Dynamics product is behind it.
//!
//! | operation | Finance & Operations | Business Central |
//! |---|---|---|
//! | [`upsert_customer`](Erp::upsert_customer) | `CustomersV3` by `(dataAreaId, CustomerAccount)` | `customers` by `number` |
//! | [`create_sales_order`](Erp::create_sales_order) | `SalesOrderHeadersV2` + `SalesOrderLines`, found again by `CustomersOrderReference` | `salesOrders` + lines, by `externalDocumentNumber` |
//! | [`find_invoice`](Erp::find_invoice) | `SalesInvoiceHeadersV2` by `InvoiceNumber` | `salesInvoices` by `number` |
//! | [`open_payment_batch`](Erp::open_payment_batch) | a `CustomerPaymentJournalHeaders` journal, by `Description` | the configured `customerPaymentJournals` batch, by `code` |
//! | [`record_customer_payment`](Erp::record_customer_payment) | a `CustomerPaymentJournalLines` line, `PaymentReference` = gateway id, `MarkedInvoice` settles | a `customerPayments` line, `externalDocumentNumber` = gateway id, `appliesToInvoiceNumber` settles |
//! | [`post_payment_batch`](Erp::post_payment_batch) | the [`PostingStrategy`](crate::fno::PostingStrategy) (default: unsupported) | `journals({id})/Microsoft.NAV.post` |
//! | [`create_journal_entry`](Erp::create_journal_entry) | `LedgerJournalHeaders` (`Description` = reference) + lines in one changeset | `journalLines` with `documentNumber` = reference, in one atomic batch |
//! | [`post_journal_entry`](Erp::post_journal_entry) | the posting strategy | `journals({id})/Microsoft.NAV.post` → `generalLedgerEntries` |
//!
//! ## Idempotent by design
//!
//! Every write is found again by a natural key before it is made, so a replayed call (after a
//! crash, a timeout, an [`Error::OutcomeUnknown`]) finds what the
//! first call did instead of doing it twice:
//!
//! - a customer by its account number: the customer's [`ExternalRef`](canonical_model::ExternalRef) for this system
//!   (`System::DynamicsFinanceOperations` / `System::DynamicsBusinessCentral`); a customer
//!   without one is refused, because a create without a key cannot be made idempotent;
//! - a sales order by the source order's id, written to `CustomersOrderReference` /
//!   `externalDocumentNumber`; its lines are created in one atomic changeset, so an order has
//!   all its lines or none, and a replay adds them if none are there;
//! - a payment by the gateway's transaction id (`Payment::references.processor_transaction_id`,
//!   else `Payment::id`), written to the payment line's `PaymentReference` (F&O) or
//!   `externalDocumentNumber` and `documentNumber` (BC). Before adding a line the facade
//!   looks for a line with that reference (F&O: in every payment journal of the company,
//!   posted or not; BC: in the batch, then among posted `generalLedgerEntries` by document
//!   number), and returns it with `created: false` if there is one;
//! - a journal entry by its [`JournalEntry::reference`]: F&O's header `Description`, BC's
//!   `documentNumber`; lines are written in one changeset.
//!
//! What remains is the window between looking and writing: two *concurrent* calls for the
//! same payment can both miss and both write. Run one writer per key (the flows' idempotency
//! ledger does), and treat this as the second line of defence.

use std::future::Future;

use canonical_model::{Customer, Invoice, JournalEntry, Order, Payment};
use chrono::NaiveDate;

use crate::client::{Client, Flavor};
use crate::error::{Error, Result};

pub mod bc;
pub mod fno;

pub use bc::{BcErp, BcErpConfig};
pub use fno::{FnoErp, FnoErpConfig};

/// A customer in the ERP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRef {
    /// The account number.
    pub account: String,
    /// Whether this call created it (`false`: it existed and was updated).
    pub created: bool,
}

/// A sales order in the ERP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRef {
    /// The ERP's order number.
    pub number: String,
    /// The ERP's id, where it has one apart from the number (BC's GUID).
    pub id: Option<String>,
    /// Whether this call created it.
    pub created: bool,
}

/// A payment batch (journal) open in the ERP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentBatch {
    /// Our reference for the batch (a settlement batch number, a date).
    pub reference: String,
    /// The ERP's journal: F&O `JournalBatchNumber`, BC journal id.
    pub journal: String,
}

/// A payment line in the ERP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedPayment {
    /// The reference the line carries (the gateway's transaction id).
    pub reference: String,
    /// The journal it is in (empty when it was found already posted in the ledger).
    pub journal: String,
    /// The line: F&O `LineNumber`, BC line id.
    pub line: String,
    /// Whether this call created it (`false`: a replay found the existing line).
    pub created: bool,
}

/// A general-journal entry in the ERP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalRef {
    /// The entry's reference.
    pub reference: String,
    /// The ERP's journal: F&O `JournalBatchNumber`, BC journal id.
    pub journal: String,
    /// Whether this call created its lines.
    pub created: bool,
    /// Whether it is already posted.
    pub posted: bool,
}

/// What the flows need from an ERP. Implemented by [`FnoErp`], [`BcErp`] and [`AnyErp`] (chosen
/// by `D365_FLAVOR`). Every method is idempotent: see the [module docs](self).
pub trait Erp: Send + Sync {
    /// Creates the customer, or updates it if its account exists.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a customer without an account number for this system, or
    /// data the ERP's fields cannot take; the service's errors.
    fn upsert_customer(
        &self,
        customer: &Customer,
    ) -> impl Future<Output = Result<CustomerRef>> + Send;

    /// Creates a sales order with its lines, unless one with the order's id exists.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an order without a customer account or a line without an
    /// item (sku); the service's errors.
    fn create_sales_order(&self, order: &Order) -> impl Future<Output = Result<OrderRef>> + Send;

    /// The posted invoice with this number, if any.
    ///
    /// # Errors
    /// The service's errors; [`Error::Decode`] for an invoice without a date or currency.
    fn find_invoice(&self, number: &str) -> impl Future<Output = Result<Option<Invoice>>> + Send;

    /// Finds or creates the payment journal for `reference`.
    ///
    /// # Errors
    /// The service's errors.
    fn open_payment_batch(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<PaymentBatch>> + Send;

    /// Adds a customer payment to `batch`, settling `settle_invoice` when given, unless a line
    /// with the payment's gateway reference exists.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an amount the ERP cannot take; the service's errors.
    fn record_customer_payment(
        &self,
        batch: &PaymentBatch,
        customer_account: &str,
        payment: &Payment,
        settle_invoice: Option<&str>,
    ) -> impl Future<Output = Result<RecordedPayment>> + Send;

    /// Posts the payment journal.
    ///
    /// # Errors
    /// F&O: [`Error::Unsupported`] unless a [`PostingStrategy`](crate::fno::PostingStrategy) is
    /// configured; the service's errors.
    fn post_payment_batch(&self, batch: &PaymentBatch) -> impl Future<Output = Result<()>> + Send;

    /// Writes a balanced journal entry (validated first), unless one with its reference exists.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an unbalanced entry; the service's errors.
    fn create_journal_entry(
        &self,
        entry: &JournalEntry,
    ) -> impl Future<Output = Result<JournalRef>> + Send;

    /// Posts a journal written by [`create_journal_entry`](Self::create_journal_entry).
    /// Business Central posts the whole (shared) general journal batch, so entries written
    /// by others at the same time are posted along; an entry found posted already is not an
    /// error, so concurrent writers need no coordination.
    ///
    /// # Errors
    /// As [`post_payment_batch`](Self::post_payment_batch).
    fn post_journal_entry(&self, journal: &JournalRef) -> impl Future<Output = Result<()>> + Send;

    /// [`create_journal_entry`](Self::create_journal_entry), then
    /// [`post_journal_entry`](Self::post_journal_entry) unless it is posted already.
    ///
    /// # Errors
    /// As both.
    fn create_and_post_journal_entry(
        &self,
        entry: &JournalEntry,
    ) -> impl Future<Output = Result<JournalRef>> + Send {
        async move {
            let mut journal = self.create_journal_entry(entry).await?;
            if !journal.posted {
                self.post_journal_entry(&journal).await?;
                journal.posted = true;
            }
            Ok(journal)
        }
    }
}

/// The ERP behind `D365_FLAVOR`, with each flavour's default configuration.
#[derive(Debug, Clone)]
pub enum AnyErp {
    /// Finance & Operations.
    Fno(FnoErp),
    /// Business Central.
    Bc(BcErp),
}

impl AnyErp {
    /// The ERP for `client`'s flavour.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for [`Flavor::Generic`].
    pub fn for_client(client: Client) -> Result<AnyErp> {
        match client.flavor() {
            Flavor::FinanceOperations => {
                Ok(AnyErp::Fno(FnoErp::new(client, FnoErpConfig::default())))
            }
            Flavor::BusinessCentral => Ok(AnyErp::Bc(BcErp::new(client, BcErpConfig::default()))),
            Flavor::Generic => Err(Error::Unsupported {
                operation: "the ERP facade",
                reason: "a generic OData service is not an ERP; set D365_FLAVOR to fno or bc"
                    .to_owned(),
            }),
        }
    }

    /// The ERP configured by the environment ([`Client::from_env`]).
    ///
    /// # Errors
    /// As [`Client::from_env`] and [`for_client`](Self::for_client).
    pub fn from_env() -> Result<AnyErp> {
        AnyErp::for_client(Client::from_env()?)
    }
}

macro_rules! dispatch {
    ($self:ident, $erp:ident => $call:expr) => {
        match $self {
            AnyErp::Fno($erp) => $call.await,
            AnyErp::Bc($erp) => $call.await,
        }
    };
}

impl Erp for AnyErp {
    async fn upsert_customer(&self, customer: &Customer) -> Result<CustomerRef> {
        dispatch!(self, erp => erp.upsert_customer(customer))
    }

    async fn create_sales_order(&self, order: &Order) -> Result<OrderRef> {
        dispatch!(self, erp => erp.create_sales_order(order))
    }

    async fn find_invoice(&self, number: &str) -> Result<Option<Invoice>> {
        dispatch!(self, erp => erp.find_invoice(number))
    }

    async fn open_payment_batch(&self, reference: &str) -> Result<PaymentBatch> {
        dispatch!(self, erp => erp.open_payment_batch(reference))
    }

    async fn record_customer_payment(
        &self,
        batch: &PaymentBatch,
        customer_account: &str,
        payment: &Payment,
        settle_invoice: Option<&str>,
    ) -> Result<RecordedPayment> {
        dispatch!(self, erp => erp.record_customer_payment(batch, customer_account, payment, settle_invoice))
    }

    async fn post_payment_batch(&self, batch: &PaymentBatch) -> Result<()> {
        dispatch!(self, erp => erp.post_payment_batch(batch))
    }

    async fn create_journal_entry(&self, entry: &JournalEntry) -> Result<JournalRef> {
        dispatch!(self, erp => erp.create_journal_entry(entry))
    }

    async fn post_journal_entry(&self, journal: &JournalRef) -> Result<()> {
        dispatch!(self, erp => erp.post_journal_entry(journal))
    }
}

/// The reference a payment line carries: the gateway's transaction id, else the payment id.
pub(crate) fn payment_reference(payment: &Payment) -> &str {
    payment
        .references
        .processor_transaction_id
        .as_deref()
        .filter(|r| !r.trim().is_empty())
        .unwrap_or(&payment.id)
}

/// The date a payment is booked on: settled, else created, else today (UTC).
pub(crate) fn payment_date(payment: &Payment) -> NaiveDate {
    payment
        .settled_at
        .or(payment.created_at)
        .unwrap_or_else(chrono::Utc::now)
        .date_naive()
}

/// The customer's id in `system`, required as the natural key.
pub(crate) fn customer_account<'a>(
    customer: &'a Customer,
    system: &canonical_model::System,
) -> Result<&'a str> {
    customer
        .reference(system)
        .filter(|a| !a.trim().is_empty())
        .ok_or_else(|| {
            Error::invalid(
                "customer",
                format!(
                    "the customer has no {system} account number among its references; the ERP upsert needs one as its natural key"
                ),
            )
        })
}

/// A value the service should have sent and did not.
pub(crate) fn missing(what: &str) -> Error {
    Error::Decode {
        path: what.to_owned(),
        response: crate::error::ResponseMeta::default(),
        attempts: 0,
        source: serde::de::Error::custom(format!("{what} is missing")),
    }
}

/// Sets `key` to `value` when it is not blank.
pub(crate) fn insert(
    body: &mut serde_json::Map<String, serde_json::Value>,
    key: &str,
    value: Option<&str>,
) {
    if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
        body.insert(key.to_owned(), serde_json::Value::from(v));
    }
}
