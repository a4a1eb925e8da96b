//! [`Erp`] for Finance & Operations.

use canonical_model::{
    AccountKind, Customer, EntrySide, ExternalRef, Invoice, InvoiceStatus, JournalEntry, Money,
    Order, Party, Payment, System,
};
use mapping::transform::address_systems::address_to_fno;
use mapping::transform::currency::parse_currency_code;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::{
    CustomerRef, Erp, JournalRef, OrderRef, PaymentBatch, RecordedPayment, customer_account,
    insert, missing, payment_date, payment_reference,
};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::fno::{
    AccountType, CustomerPaymentJournalHeader, CustomerPaymentJournalLine, CustomerV3, Fno,
    LedgerJournalHeader, LedgerJournalLine, NoYes, SalesOrderHeaderV2, SalesOrderLine,
};
use crate::odata::filter::prop;

/// Setup values the F&O facade writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FnoErpConfig {
    /// `CustomerGroupId` of new customers (required by F&O); default `10`.
    pub customer_group: String,
    /// `SalesCurrencyCode` of new customers; default `USD`.
    pub customer_currency: String,
    /// `JournalName` of payment journals; default `CustPay`.
    pub payment_journal_name: String,
    /// `PaymentMethodName` of payment lines, if any.
    pub payment_method: Option<String>,
    /// Offset account of payment lines (`Bank`, `USMF OPER`), if the journal name does not
    /// set one.
    pub payment_offset: Option<(AccountType, String)>,
    /// `JournalName` of general journals; default `GenJrn`.
    pub general_journal_name: String,
}

impl Default for FnoErpConfig {
    fn default() -> Self {
        FnoErpConfig {
            customer_group: "10".to_owned(),
            customer_currency: "USD".to_owned(),
            payment_journal_name: "CustPay".to_owned(),
            payment_method: None,
            payment_offset: None,
            general_journal_name: "GenJrn".to_owned(),
        }
    }
}

/// The ERP facade over Finance & Operations, in the client's company (`D365_COMPANY`).
#[derive(Debug, Clone)]
pub struct FnoErp {
    fno: Fno,
    config: FnoErpConfig,
}

impl FnoErp {
    /// The facade over `client`'s F&O environment.
    pub fn new(client: Client, config: FnoErpConfig) -> FnoErp {
        FnoErp {
            fno: client.fno(),
            config,
        }
    }

    /// The facade in another company.
    #[must_use]
    pub fn with_company(mut self, data_area_id: &str) -> FnoErp {
        self.fno = self.fno.company(data_area_id);
        self
    }

    /// The typed entities it works with.
    pub fn fno(&self) -> &Fno {
        &self.fno
    }
}

/// A decimal key part as text (`1`, not `1.0000000000`).
pub(crate) fn decimal_text(value: Option<Decimal>) -> String {
    value.map(|d| d.normalize().to_string()).unwrap_or_default()
}

fn account_type(kind: AccountKind) -> AccountType {
    match kind {
        AccountKind::Customer => AccountType::Customer,
        AccountKind::Bank => AccountType::Bank,
        AccountKind::Vendor => AccountType::Vendor,
        _ => AccountType::Ledger,
    }
}

impl FnoErp {
    /// The customer's fields F&O can take, without key or setup fields.
    fn customer_fields(customer: &Customer) -> Result<Map<String, Value>> {
        let mut body = Map::new();
        match &customer.party {
            Party::Person(name) => {
                insert(&mut body, "PersonFirstName", name.given.as_deref());
                insert(&mut body, "PersonMiddleName", name.middle.as_deref());
                insert(&mut body, "PersonLastName", name.family.as_deref());
            }
            Party::Organization { name } => insert(&mut body, "OrganizationName", Some(name)),
        }
        insert(&mut body, "PrimaryContactEmail", customer.email.as_deref());
        insert(&mut body, "PrimaryContactPhone", customer.phone.as_deref());
        if let Some(address) = &customer.billing_address {
            body.extend(
                address_to_fno(address).map_err(|e| Error::refused("customer address", e))?,
            );
        }
        Ok(body)
    }

    async fn create_lines(&self, lines: Vec<SalesOrderLine>) -> Result<()> {
        let set = self.fno.sales_order_lines();
        let mut batch = self.fno.batch();
        let mut changeset = batch.changeset();
        for line in &lines {
            changeset.create(&set, line);
        }
        batch.send().await?.check()
    }
}

impl Erp for FnoErp {
    async fn upsert_customer(&self, customer: &Customer) -> Result<CustomerRef> {
        let company = self.fno.require_company()?;
        let account = customer_account(customer, &System::DynamicsFinanceOperations)?;
        let set = self.fno.customers();
        let key = CustomerV3::key(company, account);
        let mut body = Self::customer_fields(customer)?;
        match set.get(key.clone()).await {
            Ok(existing) => {
                let write = set.update(key, &body);
                match &existing.etag {
                    Some(etag) => write.if_match(etag).await?,
                    None => write.if_match_any().await?,
                };
                Ok(CustomerRef {
                    account: account.to_owned(),
                    created: false,
                })
            }
            Err(e) if e.is_not_found() => {
                body.insert("dataAreaId".into(), company.into());
                body.insert("CustomerAccount".into(), account.into());
                body.insert(
                    "CustomerGroupId".into(),
                    self.config.customer_group.clone().into(),
                );
                body.insert(
                    "SalesCurrencyCode".into(),
                    self.config.customer_currency.clone().into(),
                );
                let party = if customer.is_organization() {
                    "Organization"
                } else {
                    "Person"
                };
                body.insert("PartyType".into(), party.into());
                set.create(&body).await?;
                Ok(CustomerRef {
                    account: account.to_owned(),
                    created: true,
                })
            }
            Err(e) => Err(e),
        }
    }

    async fn create_sales_order(&self, order: &Order) -> Result<OrderRef> {
        let company = self.fno.require_company()?;
        let customer = order
            .customer
            .as_ref()
            .ok_or_else(|| Error::invalid("order", "the order has no customer"))?;
        let account = customer_account(customer, &System::DynamicsFinanceOperations)?;
        let mut lines = Vec::new();
        for line in &order.lines {
            let sku = line.sku.as_deref().ok_or_else(|| {
                Error::invalid(
                    "order line",
                    format!("{:?} has no item number (sku)", line.description),
                )
            })?;
            lines.push(SalesOrderLine {
                data_area_id: Some(company.to_owned()),
                item_number: Some(sku.to_owned()),
                ordered_sales_quantity: Some(line.quantity),
                sales_price: Some(line.unit_price.amount),
                line_description: Some(line.description.clone()),
                ..Default::default()
            });
        }
        let orders = self.fno.sales_orders();
        let find = || {
            orders
                .query()
                .filter(
                    prop("CustomersOrderReference")
                        .eq(order.id.as_str())
                        .and(prop("OrderingCustomerAccountNumber").eq(account)),
                )
                .first()
        };
        let (number, created) = match find().await? {
            Some(header) => (
                header
                    .sales_order_number
                    .ok_or_else(|| missing("SalesOrderNumber"))?,
                false,
            ),
            None => {
                let header = SalesOrderHeaderV2 {
                    data_area_id: Some(company.to_owned()),
                    ordering_customer_account_number: Some(account.to_owned()),
                    invoice_customer_account_number: Some(account.to_owned()),
                    currency_code: Some(order.currency.code().to_owned()),
                    customers_order_reference: Some(order.id.clone()),
                    ..Default::default()
                };
                let written = orders.create(&header).await?;
                let number = match written.entity.and_then(|h| h.sales_order_number) {
                    Some(number) => number,
                    None => find()
                        .await?
                        .and_then(|h| h.sales_order_number)
                        .ok_or_else(|| missing("SalesOrderNumber"))?,
                };
                (number, true)
            }
        };
        let has_lines = self
            .fno
            .sales_order_lines()
            .query()
            .filter(prop("SalesOrderNumber").eq(number.as_str()))
            .first()
            .await?
            .is_some();
        if !has_lines && !lines.is_empty() {
            for line in &mut lines {
                line.sales_order_number = Some(number.clone());
            }
            self.create_lines(lines).await?;
        }
        Ok(OrderRef {
            number,
            id: None,
            created,
        })
    }

    async fn find_invoice(&self, number: &str) -> Result<Option<Invoice>> {
        let found = self
            .fno
            .sales_invoices()
            .query()
            .filter(prop("InvoiceNumber").eq(number))
            .first()
            .await?;
        let Some(header) = found else {
            return Ok(None);
        };
        let currency_code = header
            .currency_code
            .as_deref()
            .ok_or_else(|| missing("CurrencyCode"))?;
        let currency =
            parse_currency_code(currency_code).map_err(|e| Error::refused("currency", e))?;
        let total = Money::new(header.total_invoice_amount.unwrap_or_default(), currency);
        Ok(Some(Invoice {
            number: header.invoice_number.unwrap_or_else(|| number.to_owned()),
            customer_account: header.invoice_customer_account_number,
            order_id: header.sales_order_number,
            issued_on: header.invoice_date.ok_or_else(|| missing("InvoiceDate"))?,
            due_on: None,
            currency,
            lines: Vec::new(),
            total,
            // SalesInvoiceHeadersV2 carries no open balance: the amount due is the total.
            amount_due: total,
            status: InvoiceStatus::Open,
            references: vec![ExternalRef::entity(
                System::DynamicsFinanceOperations,
                "SalesInvoiceHeadersV2",
                number,
            )],
            metadata: Default::default(),
        }))
    }

    async fn open_payment_batch(&self, reference: &str) -> Result<PaymentBatch> {
        let company = self.fno.require_company()?;
        let journals = self.fno.customer_payment_journals();
        let find = || {
            journals
                .query()
                .filter(
                    prop("Description")
                        .eq(reference)
                        .and(prop("JournalName").eq(self.config.payment_journal_name.as_str())),
                )
                .first()
        };
        let journal = match find().await? {
            Some(header) => header.journal_batch_number,
            None => {
                let header = CustomerPaymentJournalHeader {
                    data_area_id: Some(company.to_owned()),
                    journal_name: Some(self.config.payment_journal_name.clone()),
                    description: Some(reference.to_owned()),
                    ..Default::default()
                };
                match journals
                    .create(&header)
                    .await?
                    .entity
                    .and_then(|h| h.journal_batch_number)
                {
                    Some(number) => Some(number),
                    None => find().await?.and_then(|h| h.journal_batch_number),
                }
            }
        };
        Ok(PaymentBatch {
            reference: reference.to_owned(),
            journal: journal.ok_or_else(|| missing("JournalBatchNumber"))?,
        })
    }

    async fn record_customer_payment(
        &self,
        batch: &PaymentBatch,
        customer_account: &str,
        payment: &Payment,
        settle_invoice: Option<&str>,
    ) -> Result<RecordedPayment> {
        let company = self.fno.require_company()?;
        let reference = payment_reference(payment);
        let lines = self.fno.customer_payment_journal_lines();
        let existing = lines
            .query()
            .filter(
                prop("PaymentReference")
                    .eq(reference)
                    .and(prop("AccountDisplayValue").eq(customer_account)),
            )
            .first()
            .await?;
        if let Some(line) = existing {
            return Ok(RecordedPayment {
                reference: reference.to_owned(),
                journal: line.journal_batch_number.unwrap_or_default(),
                line: decimal_text(line.line_number),
                created: false,
            });
        }
        if !payment.amount.is_positive() {
            return Err(Error::invalid("payment amount", "must be positive"));
        }
        let amount = Some(payment.amount.amount);
        let (credit_amount, debit_amount) = if payment.kind.is_outflow() {
            (None, amount)
        } else {
            (amount, None)
        };
        let (offset_account_type, offset_account_display_value) = match &self.config.payment_offset
        {
            Some((kind, account)) => (Some(kind.clone()), Some(account.clone())),
            None => (None, None),
        };
        let line = CustomerPaymentJournalLine {
            data_area_id: Some(company.to_owned()),
            journal_batch_number: Some(batch.journal.clone()),
            transaction_date: Some(payment_date(payment)),
            account_type: Some(AccountType::Customer),
            account_display_value: Some(customer_account.to_owned()),
            credit_amount,
            debit_amount,
            currency_code: Some(payment.amount.currency.code().to_owned()),
            payment_reference: Some(reference.to_owned()),
            marked_invoice: settle_invoice.map(str::to_owned),
            payment_method_name: self.config.payment_method.clone(),
            offset_account_type,
            offset_account_display_value,
            transaction_text: Some(
                payment
                    .description
                    .clone()
                    .unwrap_or_else(|| format!("Payment {reference}")),
            ),
            ..Default::default()
        };
        let written = lines.create(&line).await?;
        Ok(RecordedPayment {
            reference: reference.to_owned(),
            journal: batch.journal.clone(),
            line: decimal_text(written.entity.and_then(|l| l.line_number)),
            created: true,
        })
    }

    async fn post_payment_batch(&self, batch: &PaymentBatch) -> Result<()> {
        self.fno.post_journal(&batch.journal).await
    }

    async fn create_journal_entry(&self, entry: &JournalEntry) -> Result<JournalRef> {
        entry
            .validate()
            .map_err(|e| Error::refused("journal entry", e))?;
        let company = self.fno.require_company()?;
        let headers = self.fno.ledger_journals();
        let find = || {
            headers
                .query()
                .filter(
                    prop("Description")
                        .eq(entry.reference.as_str())
                        .and(prop("JournalName").eq(self.config.general_journal_name.as_str())),
                )
                .first()
        };
        let header = match find().await? {
            Some(header) => header,
            None => {
                let header = LedgerJournalHeader {
                    data_area_id: Some(company.to_owned()),
                    journal_name: Some(self.config.general_journal_name.clone()),
                    description: Some(entry.reference.clone()),
                    ..Default::default()
                };
                match headers.create(&header).await?.entity {
                    Some(created) => created,
                    None => find().await?.ok_or_else(|| missing("JournalBatchNumber"))?,
                }
            }
        };
        let journal = header
            .journal_batch_number
            .ok_or_else(|| missing("JournalBatchNumber"))?;
        let mut result = JournalRef {
            reference: entry.reference.clone(),
            journal: journal.clone(),
            created: false,
            posted: header.is_posted == Some(NoYes::Yes),
        };
        let lines = self.fno.ledger_journal_lines();
        let has_lines = lines
            .query()
            .filter(prop("JournalBatchNumber").eq(journal.as_str()))
            .first()
            .await?
            .is_some();
        if result.posted || has_lines {
            return Ok(result);
        }
        let mut batch = self.fno.batch();
        let mut changeset = batch.changeset();
        for line in &entry.lines {
            let amount = Some(line.amount.amount);
            let (debit_amount, credit_amount) = match line.side {
                EntrySide::Debit => (amount, None),
                EntrySide::Credit => (None, amount),
            };
            changeset.create(
                &lines,
                &LedgerJournalLine {
                    data_area_id: Some(company.to_owned()),
                    journal_batch_number: Some(journal.clone()),
                    account_type: Some(account_type(line.account_kind)),
                    account_display_value: Some(line.account.clone()),
                    trans_date: Some(entry.date),
                    currency_code: Some(entry.currency.code().to_owned()),
                    debit_amount,
                    credit_amount,
                    text: line
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
        self.fno.post_journal(&journal.journal).await
    }
}
