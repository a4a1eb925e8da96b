//! [`Erp`] for Business Central.

use canonical_model::{
    AccountKind, Currency, Customer, EntrySide, ExternalRef, Invoice, InvoiceStatus, JournalEntry,
    Money, Order, Party, Payment, System,
};
use mapping::transform::address_systems::address_to_bc;
use mapping::transform::currency::parse_currency_code;
use serde_json::{Map, Value};

use super::{
    CustomerRef, Erp, JournalRef, OrderRef, PaymentBatch, RecordedPayment, customer_account,
    insert, missing, payment_date, payment_reference,
};
use crate::bc::{
    AccountType, AmountSign, Bc, BcCompany, CustomerPayment, CustomerPaymentJournal, Journal,
    JournalLine, SalesInvoiceStatus, SalesLine, SalesOrder,
};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::odata::Guid;
use crate::odata::filter::prop;

/// Setup values the Business Central facade writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BcErpConfig {
    /// The customer payment journal batch payments go to (found or created); default
    /// `GATEWAY`. BC journal codes are at most 10 characters.
    pub payment_journal_code: String,
    /// Its balancing account, when the facade creates it.
    pub payment_balancing_account: Option<Guid>,
    /// The general journal batch journal entries go to; default `GATEWAYGL`.
    pub general_journal_code: String,
    /// The sign of a payment received (reference §2.3); default negative.
    pub payment_sign: AmountSign,
    /// The company's local currency, which BC writes as a blank `currencyCode`; default USD.
    pub local_currency: Currency,
}

impl Default for BcErpConfig {
    fn default() -> Self {
        BcErpConfig {
            payment_journal_code: "GATEWAY".to_owned(),
            payment_balancing_account: None,
            general_journal_code: "GATEWAYGL".to_owned(),
            payment_sign: AmountSign::Negative,
            local_currency: Currency::USD,
        }
    }
}

/// The ERP facade over Business Central, in the client's company (`D365_COMPANY`).
#[derive(Debug, Clone)]
pub struct BcErp {
    bc: Bc,
    config: BcErpConfig,
}

/// BC's `documentNumber` is a `Code[20]`.
const DOCUMENT_NUMBER_LEN: usize = 20;
/// BC's `externalDocumentNumber` is a `Code[35]`.
const EXTERNAL_DOCUMENT_NUMBER_LEN: usize = 35;

fn guid(text: &str, what: &'static str) -> Result<Guid> {
    Guid::parse(text).map_err(|e| Error::refused(what, e))
}

fn account_type(kind: AccountKind) -> AccountType {
    match kind {
        AccountKind::Customer => AccountType::Customer,
        AccountKind::Bank => AccountType::BankAccount,
        AccountKind::Vendor => AccountType::Vendor,
        _ => AccountType::GlAccount,
    }
}

impl BcErp {
    /// The facade over `client`'s Business Central environment.
    pub fn new(client: Client, config: BcErpConfig) -> BcErp {
        BcErp {
            bc: client.bc(),
            config,
        }
    }

    /// The configured company.
    ///
    /// # Errors
    /// As [`Bc::default_company`].
    pub async fn company(&self) -> Result<BcCompany> {
        self.bc.default_company().await
    }

    /// The currency code BC expects: blank for the local currency.
    fn currency_code(&self, currency: Currency) -> Option<String> {
        (currency != self.config.local_currency).then(|| currency.code().to_owned())
    }

    fn currency(&self, code: Option<&str>) -> Result<Currency> {
        match code.map(str::trim).filter(|c| !c.is_empty()) {
            Some(code) => parse_currency_code(code).map_err(|e| Error::refused("currency", e)),
            None => Ok(self.config.local_currency),
        }
    }

    /// The journal batch `code` of `set`, found or created.
    async fn journal_id<T>(
        &self,
        set: &crate::odata::EntitySet<T>,
        code: &str,
        create: Value,
        id_of: impl Fn(T) -> Option<Guid>,
    ) -> Result<Guid>
    where
        T: serde::de::DeserializeOwned + Send + 'static,
    {
        if let Some(found) = set.query().filter(prop("code").eq(code)).first().await? {
            return id_of(found).ok_or_else(|| missing("id"));
        }
        let written = set.create(&create).await?;
        match written.entity.and_then(&id_of) {
            Some(id) => Ok(id),
            None => set
                .query()
                .filter(prop("code").eq(code))
                .first()
                .await?
                .and_then(id_of)
                .ok_or_else(|| missing("id")),
        }
    }

    /// Whether a posted ledger entry carries `document_number`.
    async fn posted(&self, company: &BcCompany, document_number: &str) -> Result<Option<String>> {
        Ok(company
            .general_ledger_entries()
            .query()
            .filter(prop("documentNumber").eq(document_number))
            .first()
            .await?
            .map(|e| e.id.map(|id| id.to_string()).unwrap_or_default()))
    }
}

impl Erp for BcErp {
    async fn upsert_customer(&self, customer: &Customer) -> Result<CustomerRef> {
        let company = self.company().await?;
        let number = customer_account(customer, &System::DynamicsBusinessCentral)?;
        let mut body = Map::new();
        insert(&mut body, "displayName", Some(&customer.display_name()));
        let kind = match customer.party {
            Party::Person(_) => "Person",
            Party::Organization { .. } => "Company",
        };
        body.insert("type".into(), kind.into());
        insert(&mut body, "email", customer.email.as_deref());
        insert(&mut body, "phoneNumber", customer.phone.as_deref());
        if let Some(address) = &customer.billing_address {
            body.extend(address_to_bc(address).map_err(|e| Error::refused("customer address", e))?);
        }
        let set = company.customers();
        let existing = set
            .query()
            .filter(prop("number").eq(number))
            .first()
            .await?;
        match existing {
            Some(found) => {
                let id = found.id.ok_or_else(|| missing("id"))?;
                // BC needs If-Match: the ETag just read, never `*` on our own initiative.
                let etag = found.etag.ok_or_else(|| missing("@odata.etag"))?;
                set.update(&id, &body).if_match(&etag).await?;
                Ok(CustomerRef {
                    account: number.to_owned(),
                    created: false,
                })
            }
            None => {
                body.insert("number".into(), number.into());
                set.create(&body).await?;
                Ok(CustomerRef {
                    account: number.to_owned(),
                    created: true,
                })
            }
        }
    }

    async fn create_sales_order(&self, order: &Order) -> Result<OrderRef> {
        let company = self.company().await?;
        let customer = order
            .customer
            .as_ref()
            .ok_or_else(|| Error::invalid("order", "the order has no customer"))?;
        let number = customer_account(customer, &System::DynamicsBusinessCentral)?;
        if order.id.chars().count() > EXTERNAL_DOCUMENT_NUMBER_LEN {
            return Err(Error::invalid(
                "order",
                format!(
                    "the order id {:?} is longer than BC's externalDocumentNumber (35)",
                    order.id
                ),
            ));
        }
        let mut lines = Vec::new();
        for line in &order.lines {
            let sku = line.sku.as_deref().ok_or_else(|| {
                Error::invalid(
                    "order line",
                    format!("{:?} has no item number (sku)", line.description),
                )
            })?;
            lines.push(SalesLine {
                line_type: Some("Item".to_owned()),
                line_object_number: Some(sku.to_owned()),
                description: Some(line.description.clone()),
                quantity: Some(line.quantity),
                unit_price: Some(line.unit_price.amount),
                ..Default::default()
            });
        }
        let orders = company.sales_orders();
        let find = || {
            orders
                .query()
                .filter(prop("externalDocumentNumber").eq(order.id.as_str()))
                .first()
        };
        let (header, created) = match find().await? {
            Some(header) => (header, false),
            None => {
                let header = SalesOrder {
                    customer_number: Some(number.to_owned()),
                    external_document_number: Some(order.id.clone()),
                    order_date: order.ordered_at.map(|at| at.date_naive()),
                    currency_code: self.currency_code(order.currency),
                    ..Default::default()
                };
                let created = match orders.create(&header).await?.entity {
                    Some(created) => created,
                    None => find().await?.ok_or_else(|| missing("salesOrder"))?,
                };
                (created, true)
            }
        };
        let id = header.id.ok_or_else(|| missing("id"))?;
        let line_set = company.sales_order_lines(&id);
        let has_lines = line_set.query().first().await?.is_some();
        if !has_lines && !lines.is_empty() {
            let mut batch = company.batch();
            let mut changeset = batch.changeset();
            for line in &lines {
                changeset.create(&line_set, line);
            }
            batch.send().await?.check()?;
        }
        Ok(OrderRef {
            number: header.number.unwrap_or_default(),
            id: Some(id.to_string()),
            created,
        })
    }

    async fn find_invoice(&self, number: &str) -> Result<Option<Invoice>> {
        let company = self.company().await?;
        let found = company
            .sales_invoices()
            .query()
            .filter(prop("number").eq(number))
            .first()
            .await?;
        let Some(invoice) = found else {
            return Ok(None);
        };
        let currency = self.currency(invoice.currency_code.as_deref())?;
        let total = Money::new(
            invoice.total_amount_including_tax.unwrap_or_default(),
            currency,
        );
        let due = Money::new(invoice.remaining_amount.unwrap_or(total.amount), currency);
        let status = match invoice.status {
            Some(SalesInvoiceStatus::Draft | SalesInvoiceStatus::InReview) => InvoiceStatus::Draft,
            Some(SalesInvoiceStatus::Paid) => InvoiceStatus::Paid,
            Some(SalesInvoiceStatus::Canceled | SalesInvoiceStatus::Corrective) => {
                InvoiceStatus::Canceled
            }
            _ if due.amount < total.amount && !due.is_zero() => InvoiceStatus::PartiallyPaid,
            _ if due.is_zero() && total.is_positive() => InvoiceStatus::Paid,
            _ => InvoiceStatus::Open,
        };
        Ok(Some(Invoice {
            number: invoice.number.unwrap_or_else(|| number.to_owned()),
            customer_account: invoice.customer_number,
            order_id: invoice.order_number,
            issued_on: invoice.invoice_date.ok_or_else(|| missing("invoiceDate"))?,
            due_on: invoice.due_date,
            currency,
            lines: Vec::new(),
            total,
            amount_due: due,
            status,
            references: vec![ExternalRef::entity(
                System::DynamicsBusinessCentral,
                "salesInvoices",
                number,
            )],
            metadata: Default::default(),
        }))
    }

    async fn open_payment_batch(&self, reference: &str) -> Result<PaymentBatch> {
        let company = self.company().await?;
        let code = &self.config.payment_journal_code;
        let mut create =
            serde_json::json!({"code": code, "displayName": "Tributary gateway payments"});
        if let Some(account) = &self.config.payment_balancing_account {
            create["balancingAccountId"] = Value::from(account.as_str());
        }
        let id = self
            .journal_id(
                &company.customer_payment_journals(),
                code,
                create,
                |j: CustomerPaymentJournal| j.id,
            )
            .await?;
        Ok(PaymentBatch {
            reference: reference.to_owned(),
            journal: id.to_string(),
        })
    }

    async fn record_customer_payment(
        &self,
        batch: &PaymentBatch,
        customer_account: &str,
        payment: &Payment,
        settle_invoice: Option<&str>,
    ) -> Result<RecordedPayment> {
        let company = self.company().await?;
        let journal = guid(&batch.journal, "payment batch")?;
        let reference = payment_reference(payment);
        if reference.chars().count() > EXTERNAL_DOCUMENT_NUMBER_LEN {
            return Err(Error::invalid(
                "payment reference",
                format!("{reference:?} is longer than BC's externalDocumentNumber (35)"),
            ));
        }
        // The document number is the reference's last 20 characters.
        let skip = reference
            .chars()
            .count()
            .saturating_sub(DOCUMENT_NUMBER_LEN);
        let document_number: String = reference.chars().skip(skip).collect();
        let payments = company.customer_payments(&journal);
        let existing = payments
            .query()
            .filter(prop("externalDocumentNumber").eq(reference))
            .first()
            .await?;
        if let Some(line) = existing {
            return Ok(RecordedPayment {
                reference: reference.to_owned(),
                journal: batch.journal.clone(),
                line: line.id.map(|id| id.to_string()).unwrap_or_default(),
                created: false,
            });
        }
        if let Some(entry) = self.posted(&company, &document_number).await? {
            return Ok(RecordedPayment {
                reference: reference.to_owned(),
                journal: String::new(),
                line: entry,
                created: false,
            });
        }
        if !payment.amount.is_positive() {
            return Err(Error::invalid("payment amount", "must be positive"));
        }
        let received = !payment.kind.is_outflow();
        let negative = received == (self.config.payment_sign == AmountSign::Negative);
        let amount = if negative {
            -payment.amount.amount
        } else {
            payment.amount.amount
        };
        let line = CustomerPayment {
            customer_number: Some(customer_account.to_owned()),
            posting_date: Some(payment_date(payment)),
            document_number: Some(document_number),
            external_document_number: Some(reference.to_owned()),
            amount: Some(amount),
            applies_to_invoice_number: settle_invoice.map(str::to_owned),
            description: Some(
                payment
                    .description
                    .clone()
                    .unwrap_or_else(|| format!("Payment {reference}")),
            ),
            ..Default::default()
        };
        let written = payments.create(&line).await?;
        Ok(RecordedPayment {
            reference: reference.to_owned(),
            journal: batch.journal.clone(),
            line: written
                .entity
                .and_then(|l| l.id)
                .map(|id| id.to_string())
                .unwrap_or_default(),
            created: true,
        })
    }

    async fn post_payment_batch(&self, batch: &PaymentBatch) -> Result<()> {
        let company = self.company().await?;
        let journal = guid(&batch.journal, "payment batch")?;
        // Posting an empty batch fails ("There is nothing to post."); a replay after a
        // successful post finds it empty and is done.
        if company
            .customer_payments(&journal)
            .query()
            .first()
            .await?
            .is_none()
        {
            return Ok(());
        }
        company.post_journal(&journal).await
    }

    async fn create_journal_entry(&self, entry: &JournalEntry) -> Result<JournalRef> {
        entry
            .validate()
            .map_err(|e| Error::refused("journal entry", e))?;
        if entry.reference.chars().count() > DOCUMENT_NUMBER_LEN {
            return Err(Error::invalid(
                "journal entry",
                format!(
                    "the reference {:?} is longer than BC's documentNumber (20)",
                    entry.reference
                ),
            ));
        }
        let company = self.company().await?;
        let code = &self.config.general_journal_code;
        let journal = self
            .journal_id(
                &company.journals(),
                code,
                serde_json::json!({"code": code, "displayName": "Tributary journal entries"}),
                |j: Journal| j.id,
            )
            .await?;
        let mut result = JournalRef {
            reference: entry.reference.clone(),
            journal: journal.to_string(),
            created: false,
            posted: false,
        };
        let lines = company.journal_lines(&journal);
        let pending = lines
            .query()
            .filter(prop("documentNumber").eq(entry.reference.as_str()))
            .first()
            .await?;
        if pending.is_some() {
            return Ok(result);
        }
        if self.posted(&company, &entry.reference).await?.is_some() {
            result.posted = true;
            return Ok(result);
        }
        let mut batch = company.batch();
        let mut changeset = batch.changeset();
        for line in &entry.lines {
            let amount = match line.side {
                EntrySide::Debit => line.amount.amount,
                EntrySide::Credit => -line.amount.amount,
            };
            changeset.create(
                &lines,
                &JournalLine {
                    account_type: Some(account_type(line.account_kind)),
                    account_number: Some(line.account.clone()),
                    posting_date: Some(entry.date),
                    document_number: Some(entry.reference.clone()),
                    amount: Some(amount),
                    description: line
                        .description
                        .clone()
                        .or_else(|| entry.description.clone()),
                    ..Default::default()
                },
            );
        }
        batch.send().await?.check()?;
        result.created = true;
        Ok(result)
    }

    async fn post_journal_entry(&self, journal: &JournalRef) -> Result<()> {
        if journal.posted {
            return Ok(());
        }
        let company = self.company().await?;
        let posting = company
            .post_journal(&guid(&journal.journal, "journal")?)
            .await;
        match posting {
            Ok(()) => Ok(()),
            // The general journal batch is shared, and posting posts all of it: another
            // entry's post may have taken this entry's lines along (BC then answers "There is
            // nothing to post."), or the answer to our own post was lost. Either way, the
            // ledger says whether this entry is posted.
            Err(error) => match self.posted(&company, &journal.reference).await {
                Ok(Some(_)) => Ok(()),
                _ => Err(error),
            },
        }
    }
}
