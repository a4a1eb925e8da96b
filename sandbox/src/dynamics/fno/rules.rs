//! F&O write rules: `dataAreaId` defaulting, number sequences (`CustomerAccount`,
//! `SalesOrderNumber`, `InventoryLotId`, `JournalBatchNumber`, `LineNumber`, vouchers),
//! required fields and relations, with Infolog-style messages.
//!
//! The Infolog texts follow X++'s standard patterns ("Field '%1' must be filled in.", "The
//! value '%1' in field '%2' is not found in the relating table '%3'."); which exact field
//! labels F&O prints is UNCONFIRMED.

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::entities::{
    CUSTOMERS, FREE_TEXT_HEADERS, FREE_TEXT_LINES, INVOICE_HEADERS, LEDGER_HEADERS, LEDGER_LINES,
    PAYMENT_HEADERS, PAYMENT_LINES, SALES_ORDER_LINES, SALES_ORDERS,
};
use crate::dynamics::config::FnoConfig;
use crate::dynamics::engine::{Ctx, Scope};
use crate::dynamics::error::ApiError;
use crate::dynamics::odata::value::{dec_json, dec_of, fno_date, mul, str_of};
use crate::dynamics::schema::{FNO_NO_DATE, SetDef};
use crate::dynamics::store::{Row, Tables};

/// Collected Infolog errors of one write.
#[derive(Default)]
struct Infolog(Vec<String>);

impl Infolog {
    fn error(&mut self, msg: impl Into<String>) {
        self.0.push(format!("Error: {}", msg.into()));
    }

    fn required(&mut self, row: &Map<String, Value>, prop: &str, label: &str) {
        if str_of(row.get(prop)).trim().is_empty() {
            self.error(format!("Field '{label}' must be filled in."));
        }
    }

    fn not_found(&mut self, value: &str, field: &str, table: &str) {
        self.error(format!(
            "The value '{value}' in field '{field}' is not found in the relating table '{table}'."
        ));
    }

    fn finish(self, set: &SetDef, cfg: &FnoConfig) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Business {
                caption: set.caption,
                message: self.0.join("\n"),
                bc_code: "",
                status: Some(cfg.validation_status),
            })
        }
    }
}

fn eq_ci(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The row of `set` in `company` whose `prop` equals `value` (case-insensitive).
pub(crate) fn find<'t>(
    t: &'t Tables,
    set: &str,
    company: &str,
    prop: &str,
    value: &str,
) -> Option<&'t Row> {
    t.rows(set).iter().find(|r| {
        eq_ci(str_of(r.data.get("dataAreaId")), company) && eq_ci(str_of(r.data.get(prop)), value)
    })
}

/// The customer `account` in `company`.
pub(crate) fn customer<'t>(t: &'t Tables, company: &str, account: &str) -> Option<&'t Row> {
    find(t, CUSTOMERS, company, "CustomerAccount", account)
}

/// Next free number of sequence `name` in `company`, formatted by `fmt`, skipping values
/// already used in `set.prop`.
fn next_number(
    t: &mut Tables,
    company: &str,
    name: &str,
    set: &str,
    prop: &str,
    fmt: impl Fn(u64) -> String,
) -> String {
    loop {
        let n = t.next_seq(&format!("{company}:{name}"));
        let candidate = fmt(n);
        if find(t, set, company, prop, &candidate).is_none() {
            return candidate;
        }
    }
}

/// Next line number of a journal/order: the highest existing + 1.
fn next_line(t: &Tables, set: &str, company: &str, parent_prop: &str, parent: &str) -> Decimal {
    t.rows(set)
        .iter()
        .filter(|r| {
            eq_ci(str_of(r.data.get("dataAreaId")), company)
                && eq_ci(str_of(r.data.get(parent_prop)), parent)
        })
        .map(|r| dec_of(r.data.get("LineNumber")))
        .max()
        .unwrap_or_default()
        .floor()
        + Decimal::ONE
}

fn is_blank_date(v: Option<&Value>) -> bool {
    let s = str_of(v);
    s.is_empty() || s == FNO_NO_DATE
}

fn today(cx: &Ctx<'_>) -> Value {
    Value::String(fno_date(cx.now.date_naive()))
}

fn set_if_empty(row: &mut Map<String, Value>, prop: &str, value: &str) {
    if str_of(row.get(prop)).is_empty() {
        row.insert(prop.to_owned(), Value::String(value.to_owned()));
    }
}

fn is_customer_type(v: &str) -> bool {
    eq_ci(v, "Cust") || eq_ci(v, "Customer")
}

/// Resolve `dataAreaId`: default company when empty, lowercase, must be a known company.
fn company(
    cx: &Ctx<'_>,
    cfg: &FnoConfig,
    row: &mut Map<String, Value>,
    log: &mut Infolog,
) -> String {
    let default = match &cx.scope {
        Scope::Fno { company, .. } => company.clone(),
        Scope::Bc { .. } => cfg.default_company.clone(),
    };
    let mut c = str_of(row.get("dataAreaId")).to_ascii_lowercase();
    if c.is_empty() {
        c = default;
    }
    if !cfg.companies.iter().any(|k| eq_ci(k, &c)) {
        log.not_found(&c, "Company", "Legal entities");
    }
    row.insert("dataAreaId".into(), Value::String(c.clone()));
    c
}

/// Header of a journal line in `company`: the row, or an Infolog error.
fn open_header<'t>(
    t: &'t Tables,
    header_set: &str,
    company: &str,
    batch: &str,
    log: &mut Infolog,
) -> Option<&'t Row> {
    if batch.is_empty() {
        log.error("Field 'Journal batch number' must be filled in.");
        return None;
    }
    let Some(h) = find(t, header_set, company, "JournalBatchNumber", batch) else {
        log.not_found(batch, "Journal batch number", "Journal");
        return None;
    };
    if str_of(h.data.get("IsPosted")) == "Yes" {
        log.error(format!(
            "Journal {batch} has been posted and cannot be changed."
        ));
    }
    Some(h)
}

/// Defaults, number sequences and validation of a new F&O row.
pub(crate) fn before_insert(
    t: &mut Tables,
    cx: &Ctx<'_>,
    cfg: &FnoConfig,
    set: &'static SetDef,
    row: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    let mut log = Infolog::default();
    let c = company(cx, cfg, row, &mut log);
    match set.name {
        CUSTOMERS => {
            if str_of(row.get("CustomerAccount")).is_empty() {
                let acc = next_number(
                    t,
                    &c,
                    "CustomerAccount",
                    CUSTOMERS,
                    "CustomerAccount",
                    |n| format!("US-{n:03}"),
                );
                row.insert("CustomerAccount".into(), Value::String(acc));
            }
            let party = t.next_seq("PartyNumber");
            row.insert("PartyNumber".into(), Value::String(format!("{party:09}")));
            log.required(row, "CustomerGroupId", "Customer group");
            log.required(row, "SalesCurrencyCode", "Currency");
            let group = str_of(row.get("CustomerGroupId")).to_owned();
            if !group.is_empty()
                && !cfg.customer_groups.is_empty()
                && !cfg.customer_groups.iter().any(|g| eq_ci(g, &group))
            {
                log.not_found(&group, "Customer group", "Customer groups");
            }
            match str_of(row.get("PartyType")) {
                "Organization" => {}
                "Person" => {
                    if ["PersonFirstName", "PersonMiddleName", "PersonLastName"]
                        .iter()
                        .all(|p| str_of(row.get(*p)).trim().is_empty())
                    {
                        log.error("Field 'First name' must be filled in.");
                    }
                }
                other => log.error(format!(
                    "'{other}' is not a valid value for field 'Party type'."
                )),
            }
        }
        SALES_ORDERS => {
            if str_of(row.get("SalesOrderNumber")).is_empty() {
                let n = next_number(
                    t,
                    &c,
                    "SalesOrderNumber",
                    SALES_ORDERS,
                    "SalesOrderNumber",
                    |n| format!("{n:06}"),
                );
                row.insert("SalesOrderNumber".into(), Value::String(n));
            }
            check_order_customer(t, &c, row, &mut log);
        }
        SALES_ORDER_LINES => {
            if str_of(row.get("InventoryLotId")).is_empty() {
                let n = next_number(
                    t,
                    &c,
                    "InventoryLotId",
                    SALES_ORDER_LINES,
                    "InventoryLotId",
                    |n| format!("{n:06}"),
                );
                row.insert("InventoryLotId".into(), Value::String(n));
            }
            let order = str_of(row.get("SalesOrderNumber")).to_owned();
            log.required(row, "SalesOrderNumber", "Sales order");
            if !order.is_empty() {
                match find(t, SALES_ORDERS, &c, "SalesOrderNumber", &order) {
                    None => log.not_found(&order, "Sales order", "Sales orders"),
                    Some(h) if str_of(h.data.get("SalesOrderStatus")) != "Backorder" => log.error(
                        format!("Sales order {order} is not open and cannot be changed."),
                    ),
                    Some(_) => {}
                }
            }
            log.required(row, "ItemNumber", "Item number");
            if dec_of(row.get("LineNumber")).is_zero() {
                let n = next_line(t, SALES_ORDER_LINES, &c, "SalesOrderNumber", &order);
                row.insert("LineNumber".into(), dec_json(n));
            }
            fill_line_amount(row, "OrderedSalesQuantity", "SalesPrice", "LineAmount");
        }
        PAYMENT_HEADERS | LEDGER_HEADERS => {
            // Both header kinds share LedgerJournalTable's number sequence.
            let n = next_number(
                t,
                &c,
                "JournalBatchNumber",
                set.name,
                "JournalBatchNumber",
                |n| format!("{n:05}"),
            );
            row.insert("JournalBatchNumber".into(), Value::String(n));
            log.required(row, "JournalName", "Name");
            let name = str_of(row.get("JournalName")).to_owned();
            if !name.is_empty()
                && !cfg.journal_names.is_empty()
                && !cfg.journal_names.iter().any(|j| eq_ci(j, &name))
            {
                log.not_found(&name, "Name", "Journal names");
            }
        }
        PAYMENT_LINES => payment_line(t, cx, &c, row, &mut log),
        LEDGER_LINES => ledger_line(t, &c, row, &mut log),
        FREE_TEXT_HEADERS => {
            let n = next_number(
                t,
                &c,
                "InvoiceIdentifier",
                FREE_TEXT_HEADERS,
                "InvoiceIdentifier",
                |n| format!("FTI-{n:06}"),
            );
            row.insert("InvoiceIdentifier".into(), Value::String(n));
            let acc = str_of(row.get("CustomerAccount")).to_owned();
            log.required(row, "CustomerAccount", "Customer account");
            if !acc.is_empty() {
                match customer(t, &c, &acc) {
                    None => log.not_found(&acc, "Customer account", "Customers"),
                    Some(cust) => {
                        let cur = str_of(cust.data.get("SalesCurrencyCode")).to_owned();
                        set_if_empty(row, "CurrencyCode", &cur);
                    }
                }
            }
            if is_blank_date(row.get("InvoiceDate")) {
                row.insert("InvoiceDate".into(), today(cx));
            }
        }
        FREE_TEXT_LINES => {
            let id = str_of(row.get("InvoiceIdentifier")).to_owned();
            match find(t, FREE_TEXT_HEADERS, &c, "InvoiceIdentifier", &id) {
                None => log.not_found(&id, "Invoice", "Free text invoices"),
                Some(h) if str_of(h.data.get("IsPosted")) == "Yes" => {
                    log.error(format!(
                        "Free text invoice {id} is posted and cannot be changed."
                    ));
                }
                Some(_) => {}
            }
            if dec_of(row.get("LineNumber")).is_zero() {
                let n = next_line(t, FREE_TEXT_LINES, &c, "InvoiceIdentifier", &id);
                row.insert("LineNumber".into(), dec_json(n));
            }
            fill_line_amount(row, "Quantity", "UnitPrice", "Amount");
        }
        _ => {}
    }
    log.finish(set, cfg)
}

fn fill_line_amount(row: &mut Map<String, Value>, qty: &str, price: &str, amount: &str) {
    if dec_of(row.get(amount)).is_zero() {
        let v = mul(dec_of(row.get(qty)), dec_of(row.get(price)));
        row.insert(amount.to_owned(), dec_json(v));
    }
}

fn check_order_customer(t: &Tables, c: &str, row: &mut Map<String, Value>, log: &mut Infolog) {
    let acc = str_of(row.get("OrderingCustomerAccountNumber")).to_owned();
    log.required(row, "OrderingCustomerAccountNumber", "Customer account");
    if acc.is_empty() {
        return;
    }
    let Some(cust) = customer(t, c, &acc) else {
        log.not_found(&acc, "Customer account", "Customers");
        return;
    };
    let invoice_account = match str_of(cust.data.get("InvoiceAccount")) {
        "" => acc.clone(),
        other => other.to_owned(),
    };
    let currency = str_of(cust.data.get("SalesCurrencyCode")).to_owned();
    let terms = str_of(cust.data.get("PaymentTerms")).to_owned();
    set_if_empty(row, "InvoiceCustomerAccountNumber", &invoice_account);
    set_if_empty(row, "CurrencyCode", &currency);
    set_if_empty(row, "PaymentTermsName", &terms);
    let inv = str_of(row.get("InvoiceCustomerAccountNumber")).to_owned();
    if customer(t, c, &inv).is_none() {
        log.not_found(&inv, "Invoice account", "Customers");
    }
}

fn payment_line(
    t: &mut Tables,
    cx: &Ctx<'_>,
    c: &str,
    row: &mut Map<String, Value>,
    log: &mut Infolog,
) {
    let batch = str_of(row.get("JournalBatchNumber")).to_owned();
    let header_ok = open_header(t, PAYMENT_HEADERS, c, &batch, log).is_some();
    if header_ok && dec_of(row.get("LineNumber")).is_zero() {
        let n = next_line(t, PAYMENT_LINES, c, "JournalBatchNumber", &batch);
        row.insert("LineNumber".into(), dec_json(n));
    }
    if is_blank_date(row.get("TransactionDate")) {
        row.insert("TransactionDate".into(), today(cx));
    }
    if str_of(row.get("Voucher")).is_empty() {
        let v = t.next_seq(&format!("{c}:PaymentVoucher"));
        row.insert("Voucher".into(), Value::String(format!("ARP-{v:06}")));
    }
    let account_company = match str_of(row.get("Company")) {
        "" => c.to_owned(),
        other => other.to_ascii_lowercase(),
    };
    let acc = str_of(row.get("AccountDisplayValue")).to_owned();
    log.required(row, "AccountDisplayValue", "Account");
    if is_customer_type(str_of(row.get("AccountType"))) && !acc.is_empty() {
        match customer(t, &account_company, &acc) {
            None => log.not_found(&acc, "Account", "Customers"),
            Some(cust) => {
                let name = str_of(cust.data.get("OrganizationName")).to_owned();
                let cur = str_of(cust.data.get("SalesCurrencyCode")).to_owned();
                row.insert("CustomerName".into(), Value::String(name));
                set_if_empty(row, "CurrencyCode", &cur);
            }
        }
    }
    log.required(row, "CurrencyCode", "Currency");
    let invoice = str_of(row.get("MarkedInvoice")).to_owned();
    if !invoice.is_empty() {
        let inv_company = match str_of(row.get("MarkedInvoiceCompany")) {
            "" => account_company.clone(),
            other => other.to_ascii_lowercase(),
        };
        check_marked_invoice(t, &inv_company, &invoice, &acc, row, log);
    }
}

/// Settlement is validated when the line is written (reference §1.3): the invoice must exist
/// for the customer and the amount may not exceed what remains after other marked lines.
fn check_marked_invoice(
    t: &Tables,
    company: &str,
    invoice: &str,
    account: &str,
    row: &Map<String, Value>,
    log: &mut Infolog,
) {
    let Some(inv) = t.rows(INVOICE_HEADERS).iter().find(|r| {
        eq_ci(str_of(r.data.get("dataAreaId")), company)
            && eq_ci(str_of(r.data.get("InvoiceNumber")), invoice)
    }) else {
        log.not_found(invoice, "Marked invoice", "Customer invoices");
        return;
    };
    if !eq_ci(
        str_of(inv.data.get("InvoiceCustomerAccountNumber")),
        account,
    ) {
        log.error(format!(
            "Invoice {invoice} does not belong to customer {account} and cannot be settled."
        ));
        return;
    }
    let total = dec_of(inv.data.get("TotalInvoiceAmount"));
    let already: Decimal = t
        .rows(PAYMENT_LINES)
        .iter()
        .filter(|r| eq_ci(str_of(r.data.get("MarkedInvoice")), invoice))
        .map(|r| dec_of(r.data.get("CreditAmount")))
        .sum();
    let remaining = total - already;
    let amount = dec_of(row.get("CreditAmount"));
    if amount > remaining {
        log.error(format!(
            "The amount to settle ({amount}) is greater than the remaining amount ({remaining}) of invoice {invoice}."
        ));
    }
}

fn ledger_line(t: &mut Tables, c: &str, row: &mut Map<String, Value>, log: &mut Infolog) {
    let batch = str_of(row.get("JournalBatchNumber")).to_owned();
    let header_ok = open_header(t, LEDGER_HEADERS, c, &batch, log).is_some();
    if header_ok && dec_of(row.get("LineNumber")).is_zero() {
        let n = next_line(t, LEDGER_LINES, c, "JournalBatchNumber", &batch);
        row.insert("LineNumber".into(), dec_json(n));
    }
    if is_blank_date(row.get("TransDate")) {
        log.error("Field 'Date' must be filled in.");
    }
    if str_of(row.get("Voucher")).is_empty() {
        let v = t.next_seq(&format!("{c}:LedgerVoucher"));
        row.insert("Voucher".into(), Value::String(format!("GNJL{v:06}")));
    }
    log.required(row, "CurrencyCode", "Currency");
    log.required(row, "AccountDisplayValue", "Account");
    for (ty, acc) in [
        ("AccountType", "AccountDisplayValue"),
        ("OffsetAccountType", "OffsetAccountDisplayValue"),
    ] {
        let value = str_of(row.get(acc)).to_owned();
        if is_customer_type(str_of(row.get(ty)))
            && !value.is_empty()
            && customer(t, c, &value).is_none()
        {
            log.not_found(&value, "Account", "Customers");
        }
    }
}

/// Rules of an update: posted journals and invoiced orders are frozen; relations re-checked.
pub(crate) fn before_update(
    t: &mut Tables,
    cfg: &FnoConfig,
    set: &'static SetDef,
    old: &Row,
    new: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    let mut log = Infolog::default();
    let c = str_of(old.data.get("dataAreaId")).to_owned();
    match set.name {
        PAYMENT_HEADERS | LEDGER_HEADERS | FREE_TEXT_HEADERS
            if str_of(old.data.get("IsPosted")) == "Yes" =>
        {
            log.error(format!(
                "{} has been posted and cannot be changed.",
                str_of(old.data.get("JournalBatchNumber"))
            ));
        }
        PAYMENT_LINES | LEDGER_LINES => {
            let header = if set.name == PAYMENT_LINES {
                PAYMENT_HEADERS
            } else {
                LEDGER_HEADERS
            };
            let batch = str_of(old.data.get("JournalBatchNumber")).to_owned();
            let _ = open_header(t, header, &c, &batch, &mut log);
        }
        SALES_ORDERS => {
            if str_of(old.data.get("SalesOrderStatus")) != "Backorder" {
                log.error(format!(
                    "Sales order {} is not open and cannot be changed.",
                    str_of(old.data.get("SalesOrderNumber"))
                ));
            }
            check_order_customer(t, &c, new, &mut log);
        }
        SALES_ORDER_LINES => {
            new.insert("LineAmount".into(), dec_json(Decimal::ZERO));
            fill_line_amount(new, "OrderedSalesQuantity", "SalesPrice", "LineAmount");
        }
        _ => {}
    }
    log.finish(set, cfg)
}

/// Rules of a delete: posted journals cannot be deleted.
pub(crate) fn before_delete(
    t: &Tables,
    cfg: &FnoConfig,
    set: &'static SetDef,
    row: &Row,
) -> Result<(), ApiError> {
    let mut log = Infolog::default();
    let c = str_of(row.data.get("dataAreaId")).to_owned();
    match set.name {
        PAYMENT_HEADERS | LEDGER_HEADERS if str_of(row.data.get("IsPosted")) == "Yes" => {
            log.error(format!(
                "Journal {} has been posted and cannot be deleted.",
                str_of(row.data.get("JournalBatchNumber"))
            ));
        }
        PAYMENT_LINES | LEDGER_LINES => {
            let header = if set.name == PAYMENT_LINES {
                PAYMENT_HEADERS
            } else {
                LEDGER_HEADERS
            };
            let batch = str_of(row.data.get("JournalBatchNumber")).to_owned();
            let _ = open_header(t, header, &c, &batch, &mut log);
        }
        CUSTOMERS => {
            let acc = str_of(row.data.get("CustomerAccount")).to_owned();
            if find(t, SALES_ORDERS, &c, "OrderingCustomerAccountNumber", &acc).is_some() {
                log.error(format!(
                    "Customer {acc} cannot be deleted because it has sales orders."
                ));
            }
        }
        _ => {}
    }
    log.finish(set, cfg)
}

/// Cascade deletes of headers to their lines.
pub(crate) fn after_delete(t: &mut Tables, set: &'static SetDef, row: &Row) {
    let c = str_of(row.data.get("dataAreaId")).to_owned();
    let (child, prop) = match set.name {
        SALES_ORDERS => (SALES_ORDER_LINES, "SalesOrderNumber"),
        PAYMENT_HEADERS => (PAYMENT_LINES, "JournalBatchNumber"),
        LEDGER_HEADERS => (LEDGER_LINES, "JournalBatchNumber"),
        FREE_TEXT_HEADERS => (FREE_TEXT_LINES, "InvoiceIdentifier"),
        _ => return,
    };
    let key = str_of(row.data.get(prop)).to_owned();
    t.remove_where(child, |r| {
        eq_ci(str_of(r.data.get("dataAreaId")), &c) && eq_ci(str_of(r.data.get(prop)), &key)
    });
}
