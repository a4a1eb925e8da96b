//! BC write rules: ids, number series, customer resolution, line amounts and document
//! totals, journal lines and the payment sign rule, with BC's error codes and texts
//! (`dynamics-error-codes` table: `Application_DialogException`,
//! `Internal_InvalidTableRelation`, `BadRequest_RequiredParamNotProvided`, …).
//!
//! Number series are emulator choices: customers `C00010, C00020, …`, sales orders
//! `S-ORD101001…`, draft invoices `S-INV102001…`, posted invoices `PS-INV103001…`, journal
//! document numbers `G00001…`. Codes of journals are upper-cased, as BC `Code` fields are.

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::entities::{
    COMPANIES, CUSTOMERS, GL_ENTRIES, JOURNAL_LINES, JOURNALS, PAYMENT_JOURNALS, PAYMENTS,
    SALES_INVOICE_LINES, SALES_INVOICES, SALES_ORDER_LINES, SALES_ORDERS,
};
use crate::dynamics::config::BcConfig;
use crate::dynamics::engine::Ctx;
use crate::dynamics::error::ApiError;
use crate::dynamics::odata::value::{
    dec_json, dec_of, format_instant, mul, new_guid, percent, str_of,
};
use crate::dynamics::schema::{BC_NO_DATE, SetDef, ZERO_GUID};
use crate::dynamics::store::{Row, Tables};

const RELATION: &str = "Internal_InvalidTableRelation";
const REQUIRED: &str = "BadRequest_RequiredParamNotProvided";
const NOT_FOUND: &str = "Internal_RecordNotFound";

pub(crate) fn eq_ci(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn blank_guid(v: Option<&Value>) -> bool {
    let s = str_of(v);
    s.is_empty() || s == ZERO_GUID
}

fn blank_date(v: Option<&Value>) -> bool {
    let s = str_of(v);
    s.is_empty() || s == BC_NO_DATE
}

/// The row of `set` in `company` whose `prop` equals `value`.
pub(crate) fn find<'t>(
    t: &'t Tables,
    set: &str,
    company: &str,
    prop: &str,
    value: &str,
) -> Option<&'t Row> {
    t.rows(set)
        .iter()
        .find(|r| r.company.as_deref() == Some(company) && eq_ci(str_of(r.data.get(prop)), value))
}

/// Today in `Edm.Date` form.
pub(crate) fn today(cx: &Ctx<'_>) -> Value {
    Value::String(cx.now.date_naive().format("%Y-%m-%d").to_string())
}

fn next_number(
    t: &mut Tables,
    company: &str,
    series: &str,
    set: &str,
    fmt: impl Fn(u64) -> String,
) -> String {
    loop {
        let n = t.next_seq(&format!("{company}:{series}"));
        let candidate = fmt(n);
        if find(t, set, company, "number", &candidate).is_none()
            && find(t, set, company, "documentNumber", &candidate).is_none()
        {
            return candidate;
        }
    }
}

/// The next posted-invoice number.
pub(crate) fn next_posted_invoice_number(t: &mut Tables, company: &str) -> String {
    next_number(t, company, "PostedInvoice", SALES_INVOICES, |n| {
        format!("PS-INV{:06}", 103_000 + n)
    })
}

/// The next journal document number.
pub(crate) fn next_document_number(t: &mut Tables, company: &str) -> String {
    loop {
        let n = t.next_seq(&format!("{company}:JournalDocument"));
        let candidate = format!("G{n:05}");
        if find(t, PAYMENTS, company, "documentNumber", &candidate).is_none()
            && find(t, JOURNAL_LINES, company, "documentNumber", &candidate).is_none()
            && find(t, GL_ENTRIES, company, "documentNumber", &candidate).is_none()
        {
            return candidate;
        }
    }
}

/// Resolve the customer named by `{id_prop}`/`{number_prop}`; fill both and return the row.
fn resolve_customer(
    t: &Tables,
    company: &str,
    row: &mut Map<String, Value>,
    id_prop: &str,
    number_prop: &str,
    relation: (&str, &str),
    caption: &'static str,
) -> Result<Option<Row>, ApiError> {
    let id = str_of(row.get(id_prop)).to_owned();
    let number = str_of(row.get(number_prop)).to_owned();
    let customer = if !blank_guid(row.get(id_prop)) {
        find(t, CUSTOMERS, company, "id", &id).cloned().ok_or_else(|| {
            ApiError::business_code(
                caption,
                NOT_FOUND,
                format!("The Customer does not exist. Identification fields and values: SystemId='{{{}}}'", id.to_ascii_uppercase()),
            )
        })?
    } else if !number.is_empty() {
        find(t, CUSTOMERS, company, "number", &number).cloned().ok_or_else(|| {
            ApiError::business_code(
                caption,
                RELATION,
                format!(
                    "The field {} of table {} contains a value ({number}) that cannot be found in the related table (Customer).",
                    relation.0, relation.1
                ),
            )
        })?
    } else {
        return Ok(None);
    };
    row.insert(
        id_prop.to_owned(),
        customer.data.get("id").cloned().unwrap_or(Value::Null),
    );
    row.insert(
        number_prop.to_owned(),
        customer.data.get("number").cloned().unwrap_or(Value::Null),
    );
    Ok(Some(customer))
}

fn fill_document_customer(
    t: &Tables,
    company: &str,
    row: &mut Map<String, Value>,
    caption: &'static str,
) -> Result<(), ApiError> {
    let Some(c) = resolve_customer(
        t,
        company,
        row,
        "customerId",
        "customerNumber",
        ("Sell-to Customer No.", "Sales Header"),
        caption,
    )?
    else {
        return Err(ApiError::business(
            caption,
            "A customerNumber or a customerID must be provided.",
        ));
    };
    let name = c.data.get("displayName").cloned().unwrap_or(Value::Null);
    row.insert("customerName".into(), name.clone());
    row.insert("billToName".into(), name);
    if blank_guid(row.get("billToCustomerId")) && str_of(row.get("billToCustomerNumber")).is_empty()
    {
        row.insert(
            "billToCustomerId".into(),
            c.data.get("id").cloned().unwrap_or(Value::Null),
        );
        row.insert(
            "billToCustomerNumber".into(),
            c.data.get("number").cloned().unwrap_or(Value::Null),
        );
    }
    if str_of(row.get("currencyCode")).is_empty() {
        row.insert(
            "currencyCode".into(),
            c.data.get("currencyCode").cloned().unwrap_or(Value::Null),
        );
    }
    for (from, to) in [
        ("addressLine1", "sellToAddressLine1"),
        ("addressLine2", "sellToAddressLine2"),
        ("city", "sellToCity"),
        ("country", "sellToCountry"),
        ("state", "sellToState"),
        ("postalCode", "sellToPostCode"),
    ] {
        if str_of(row.get(to)).is_empty() {
            row.insert(
                to.to_owned(),
                c.data.get(from).cloned().unwrap_or(Value::Null),
            );
        }
    }
    Ok(())
}

/// Amounts of a document line from quantity, price, discount and tax (2 decimals).
pub(crate) fn line_amounts(row: &mut Map<String, Value>) {
    let gross = mul(dec_of(row.get("quantity")), dec_of(row.get("unitPrice")));
    let mut discount = dec_of(row.get("discountAmount"));
    let pct = dec_of(row.get("discountPercent"));
    if discount.is_zero() && !pct.is_zero() {
        discount = percent(gross, pct).round_dp(2);
        row.insert("discountAmount".into(), dec_json(discount));
    }
    let excl = (gross - discount).round_dp(2);
    let tax = percent(excl, dec_of(row.get("taxPercent"))).round_dp(2);
    row.insert("amountExcludingTax".into(), dec_json(excl));
    row.insert("netAmount".into(), dec_json(excl));
    row.insert("totalTaxAmount".into(), dec_json(tax));
    row.insert("amountIncludingTax".into(), dec_json(excl + tax));
}

/// Recompute a document's totals from its lines.
pub(crate) fn recompute_totals(t: &mut Tables, header_set: &str, line_set: &str, doc_id: &str) {
    let lines: Vec<&Row> = t
        .rows(line_set)
        .iter()
        .filter(|r| eq_ci(str_of(r.data.get("documentId")), doc_id))
        .collect();
    let excl: Decimal = lines
        .iter()
        .map(|r| dec_of(r.data.get("amountExcludingTax")))
        .sum();
    let tax: Decimal = lines
        .iter()
        .map(|r| dec_of(r.data.get("totalTaxAmount")))
        .sum();
    let shipped = lines
        .iter()
        .all(|r| dec_of(r.data.get("quantity")).is_zero());
    let Some(header) = t
        .rows(header_set)
        .iter()
        .find(|r| eq_ci(str_of(r.data.get("id")), doc_id))
    else {
        return;
    };
    let rec = header.rec_id;
    let discount = dec_of(header.data.get("discountAmount"));
    let excl = excl - discount;
    let mut props = vec![
        ("totalAmountExcludingTax", dec_json(excl)),
        ("totalTaxAmount", dec_json(tax)),
        ("totalAmountIncludingTax", dec_json(excl + tax)),
    ];
    if header_set == SALES_ORDERS {
        props.push(("fullyShipped", Value::Bool(shipped)));
    }
    if header_set == SALES_INVOICES && str_of(header.data.get("status")) == "Draft" {
        props.push(("remainingAmount", dec_json(excl + tax)));
    }
    t.set_props(header_set, rec, &props);
}

fn required_code(row: &mut Map<String, Value>, caption: &'static str) -> Result<String, ApiError> {
    let code = str_of(row.get("code")).trim().to_uppercase();
    if code.is_empty() {
        return Err(ApiError::business_code(
            caption,
            REQUIRED,
            "Field 'code' must not be blank or empty.",
        ));
    }
    row.insert("code".into(), Value::String(code.clone()));
    if str_of(row.get("displayName")).is_empty() {
        row.insert("displayName".into(), Value::String(code.clone()));
    }
    Ok(code)
}

/// A journal (or payment journal) of the company by id.
fn journal<'t>(t: &'t Tables, set: &str, company: &str, id: &str) -> Option<&'t Row> {
    find(t, set, company, "id", id)
}

fn payment_line(
    t: &mut Tables,
    cx: &Ctx<'_>,
    cfg: &BcConfig,
    company: &str,
    set: &'static SetDef,
    row: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    let jid = str_of(row.get("journalId")).to_owned();
    if blank_guid(row.get("journalId")) {
        return Err(ApiError::business(
            set.caption,
            "You must specify a journal batch ID or a journal ID",
        ));
    }
    let Some(j) = journal(t, PAYMENT_JOURNALS, company, &jid).cloned() else {
        return Err(ApiError::business_code(
            set.caption,
            NOT_FOUND,
            format!(
                "The Gen. Journal Batch does not exist. Identification fields and values: SystemId='{{{}}}'",
                jid.to_ascii_uppercase()
            ),
        ));
    };
    row.insert(
        "journalDisplayName".into(),
        j.data.get("code").cloned().unwrap_or(Value::Null),
    );
    if dec_of(row.get("lineNumber")).is_zero() {
        let max = t
            .rows(PAYMENTS)
            .iter()
            .filter(|r| {
                r.company.as_deref() == Some(company)
                    && eq_ci(str_of(r.data.get("journalId")), &jid)
            })
            .map(|r| dec_of(r.data.get("lineNumber")))
            .max()
            .unwrap_or_default();
        row.insert("lineNumber".into(), dec_json(max + Decimal::from(10_000)));
    }
    payment_checks(t, cx, cfg, company, set, row)
}

fn payment_checks(
    t: &mut Tables,
    cx: &Ctx<'_>,
    cfg: &BcConfig,
    company: &str,
    set: &'static SetDef,
    row: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    let customer = resolve_customer(
        t,
        company,
        row,
        "customerId",
        "customerNumber",
        ("Account No.", "Gen. Journal Line"),
        set.caption,
    )?;
    if blank_date(row.get("postingDate")) {
        row.insert("postingDate".into(), today(cx));
    }
    if str_of(row.get("documentNumber")).is_empty() {
        let n = next_document_number(t, company);
        row.insert("documentNumber".into(), Value::String(n));
    }
    let amount = dec_of(row.get("amount"));
    if cfg.require_negative_payment_amount && amount >= Decimal::ZERO {
        return Err(ApiError::business(
            set.caption,
            "The \"amount\" should be a negative number.",
        ));
    }
    let inv_id = str_of(row.get("appliesToInvoiceId")).to_owned();
    let inv_no = str_of(row.get("appliesToInvoiceNumber")).to_owned();
    if !blank_guid(row.get("appliesToInvoiceId")) || !inv_no.is_empty() {
        let inv = if blank_guid(row.get("appliesToInvoiceId")) {
            find(t, SALES_INVOICES, company, "number", &inv_no)
        } else {
            find(t, SALES_INVOICES, company, "id", &inv_id)
        };
        let open = inv.filter(|i| str_of(i.data.get("status")) == "Open");
        let Some(inv) = open else {
            let shown = if inv_no.is_empty() { inv_id } else { inv_no };
            return Err(ApiError::business(
                set.caption,
                format!("There is no open posted sales invoice {shown} to apply the payment to."),
            ));
        };
        if let Some(c) = &customer
            && !eq_ci(str_of(inv.data.get("customerId")), str_of(c.data.get("id")))
        {
            return Err(ApiError::business(
                set.caption,
                format!(
                    "Sales invoice {} does not belong to customer {}.",
                    str_of(inv.data.get("number")),
                    str_of(c.data.get("number"))
                ),
            ));
        }
        row.insert(
            "appliesToInvoiceId".into(),
            inv.data.get("id").cloned().unwrap_or(Value::Null),
        );
        row.insert(
            "appliesToInvoiceNumber".into(),
            inv.data.get("number").cloned().unwrap_or(Value::Null),
        );
    }
    Ok(())
}

fn journal_line(
    t: &mut Tables,
    cx: &Ctx<'_>,
    company: &str,
    set: &'static SetDef,
    row: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    let jid = str_of(row.get("journalId")).to_owned();
    if blank_guid(row.get("journalId")) {
        return Err(ApiError::business(
            set.caption,
            "You must specify a journal batch ID or a journal ID",
        ));
    }
    let Some(j) = journal(t, JOURNALS, company, &jid).cloned() else {
        return Err(ApiError::business_code(
            set.caption,
            NOT_FOUND,
            format!(
                "The Gen. Journal Batch does not exist. Identification fields and values: SystemId='{{{}}}'",
                jid.to_ascii_uppercase()
            ),
        ));
    };
    row.insert(
        "journalDisplayName".into(),
        j.data.get("code").cloned().unwrap_or(Value::Null),
    );
    if dec_of(row.get("lineNumber")).is_zero() {
        let max = t
            .rows(JOURNAL_LINES)
            .iter()
            .filter(|r| {
                r.company.as_deref() == Some(company)
                    && eq_ci(str_of(r.data.get("journalId")), &jid)
            })
            .map(|r| dec_of(r.data.get("lineNumber")))
            .max()
            .unwrap_or_default();
        row.insert("lineNumber".into(), dec_json(max + Decimal::from(10_000)));
    }
    journal_line_checks(t, cx, company, set, row)
}

fn journal_line_checks(
    t: &mut Tables,
    cx: &Ctx<'_>,
    company: &str,
    set: &'static SetDef,
    row: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    if str_of(row.get("accountType")) == "Customer" {
        resolve_customer(
            t,
            company,
            row,
            "accountId",
            "accountNumber",
            ("Account No.", "Gen. Journal Line"),
            set.caption,
        )?;
    }
    if blank_date(row.get("postingDate")) {
        row.insert("postingDate".into(), today(cx));
    }
    if str_of(row.get("documentNumber")).is_empty() {
        let n = next_document_number(t, company);
        row.insert("documentNumber".into(), Value::String(n));
    }
    Ok(())
}

fn document_parent_open(
    t: &Tables,
    company: &str,
    header_set: &str,
    set: &'static SetDef,
    row: &Map<String, Value>,
) -> Result<(), ApiError> {
    let doc = str_of(row.get("documentId")).to_owned();
    if blank_guid(row.get("documentId")) {
        return Err(ApiError::business(
            set.caption,
            "The documentId must be specified.",
        ));
    }
    let Some(h) = find(t, header_set, company, "id", &doc) else {
        return Err(ApiError::business_code(
            set.caption,
            NOT_FOUND,
            format!("The document with id {doc} does not exist."),
        ));
    };
    if header_set == SALES_INVOICES && str_of(h.data.get("status")) != "Draft" {
        return Err(ApiError::business(
            set.caption,
            "You cannot change the lines of a posted sales invoice.",
        ));
    }
    Ok(())
}

/// Defaults, number series and validation of a new BC row.
pub(crate) fn before_insert(
    t: &mut Tables,
    cx: &Ctx<'_>,
    cfg: &BcConfig,
    set: &'static SetDef,
    row: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    let company = cx.bc_company().unwrap_or_default().to_owned();
    row.insert("id".into(), Value::String(new_guid()));
    if row.contains_key("lastModifiedDateTime") {
        row.insert(
            "lastModifiedDateTime".into(),
            Value::String(format_instant(cx.now)),
        );
    }
    match set.name {
        CUSTOMERS if str_of(row.get("number")).is_empty() => {
            let n = next_number(t, &company, "Customer", CUSTOMERS, |n| {
                format!("C{:05}", n * 10)
            });
            row.insert("number".into(), Value::String(n));
        }
        SALES_ORDERS => {
            let n = next_number(t, &company, "SalesOrder", SALES_ORDERS, |n| {
                format!("S-ORD{:06}", 101_000 + n)
            });
            row.insert("number".into(), Value::String(n));
            fill_document_customer(t, &company, row, set.caption)?;
            for d in ["orderDate", "postingDate"] {
                if blank_date(row.get(d)) {
                    row.insert(d.to_owned(), today(cx));
                }
            }
            row.insert("fullyShipped".into(), Value::Bool(true));
        }
        SALES_INVOICES => {
            let n = next_number(t, &company, "SalesInvoice", SALES_INVOICES, |n| {
                format!("S-INV{:06}", 102_000 + n)
            });
            row.insert("number".into(), Value::String(n));
            fill_document_customer(t, &company, row, set.caption)?;
            for d in ["invoiceDate", "postingDate"] {
                if blank_date(row.get(d)) {
                    row.insert(d.to_owned(), today(cx));
                }
            }
            if blank_date(row.get("dueDate")) {
                let d = row.get("invoiceDate").cloned().unwrap_or(Value::Null);
                row.insert("dueDate".into(), d);
            }
        }
        SALES_ORDER_LINES | SALES_INVOICE_LINES => {
            let header = if set.name == SALES_ORDER_LINES {
                SALES_ORDERS
            } else {
                SALES_INVOICES
            };
            document_parent_open(t, &company, header, set, row)?;
            let doc = str_of(row.get("documentId")).to_owned();
            let max = t
                .rows(set.name)
                .iter()
                .filter(|r| eq_ci(str_of(r.data.get("documentId")), &doc))
                .map(|r| dec_of(r.data.get("sequence")))
                .max()
                .unwrap_or_default();
            row.insert("sequence".into(), dec_json(max + Decimal::from(10_000)));
            line_amounts(row);
        }
        PAYMENT_JOURNALS | JOURNALS => {
            let code = required_code(row, set.caption)?;
            if let Some(_dup) = find(t, set.name, &company, "code", &code) {
                let template = if set.name == JOURNALS {
                    "GENERAL"
                } else {
                    "CASHRCPT"
                };
                return Err(ApiError::business_code(
                    set.caption,
                    "Internal_EntityWithSameKeyExists",
                    format!(
                        "The Gen. Journal Batch already exists. Identification fields and values: Journal Template Name='{template}',Name='{code}'"
                    ),
                ));
            }
            if set.name == JOURNALS {
                row.insert("templateDisplayName".into(), json!("GENERAL"));
            }
        }
        PAYMENTS => payment_line(t, cx, cfg, &company, set, row)?,
        JOURNAL_LINES => journal_line(t, cx, &company, set, row)?,
        _ => {}
    }
    Ok(())
}

/// Validation of a BC update.
pub(crate) fn before_update(
    t: &mut Tables,
    cx: &Ctx<'_>,
    cfg: &BcConfig,
    set: &'static SetDef,
    old: &Row,
    new: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    let company = old.company.clone().unwrap_or_default();
    if new.contains_key("lastModifiedDateTime") {
        new.insert(
            "lastModifiedDateTime".into(),
            Value::String(format_instant(cx.now)),
        );
    }
    match set.name {
        SALES_INVOICES if str_of(old.data.get("status")) != "Draft" => Err(ApiError::business(
            set.caption,
            "You cannot change a posted sales invoice.",
        )),
        SALES_ORDERS | SALES_INVOICES => {
            let changed = str_of(new.get("customerId")) != str_of(old.data.get("customerId"))
                || str_of(new.get("customerNumber")) != str_of(old.data.get("customerNumber"));
            if changed {
                if str_of(new.get("customerId")) == str_of(old.data.get("customerId")) {
                    new.insert("customerId".into(), json!(ZERO_GUID));
                }
                fill_document_customer(t, &company, new, set.caption)?;
            }
            Ok(())
        }
        SALES_ORDER_LINES | SALES_INVOICE_LINES => {
            let header = if set.name == SALES_ORDER_LINES {
                SALES_ORDERS
            } else {
                SALES_INVOICES
            };
            document_parent_open(t, &company, header, set, &old.data)?;
            if new.get("discountPercent") != old.data.get("discountPercent")
                && new.get("discountAmount") == old.data.get("discountAmount")
            {
                new.insert("discountAmount".into(), dec_json(Decimal::ZERO));
            }
            line_amounts(new);
            Ok(())
        }
        PAYMENT_JOURNALS | JOURNALS => {
            required_code(new, set.caption)?;
            Ok(())
        }
        PAYMENTS => {
            if str_of(new.get("customerNumber")) != str_of(old.data.get("customerNumber"))
                && str_of(new.get("customerId")) == str_of(old.data.get("customerId"))
            {
                new.insert("customerId".into(), json!(ZERO_GUID));
            }
            payment_checks(t, cx, cfg, &company, set, new)
        }
        JOURNAL_LINES => {
            if str_of(new.get("accountNumber")) != str_of(old.data.get("accountNumber"))
                && str_of(new.get("accountId")) == str_of(old.data.get("accountId"))
            {
                new.insert("accountId".into(), json!(ZERO_GUID));
            }
            journal_line_checks(t, cx, &company, set, new)
        }
        _ => Ok(()),
    }
}

/// Validation of a BC delete.
pub(crate) fn before_delete(t: &Tables, set: &'static SetDef, row: &Row) -> Result<(), ApiError> {
    let company = row.company.clone().unwrap_or_default();
    match set.name {
        SALES_INVOICES if str_of(row.data.get("status")) != "Draft" => Err(ApiError::business(
            set.caption,
            "You cannot delete a posted sales invoice.",
        )),
        SALES_INVOICE_LINES => document_parent_open(t, &company, SALES_INVOICES, set, &row.data),
        CUSTOMERS => {
            let id = str_of(row.data.get("id"));
            let open = t
                .rows(SALES_ORDERS)
                .iter()
                .any(|r| r.company == row.company && eq_ci(str_of(r.data.get("customerId")), id));
            if open {
                return Err(ApiError::business(
                    set.caption,
                    format!(
                        "You cannot delete Customer {} because there is at least one outstanding Sales Order for this customer.",
                        str_of(row.data.get("number"))
                    ),
                ));
            }
            Ok(())
        }
        COMPANIES => Err(ApiError::MethodNotAllowed {
            method: "DELETE".into(),
            set: COMPANIES.into(),
        }),
        _ => Ok(()),
    }
}

/// Keep totals current and cascade deletes.
pub(crate) fn after_change(t: &mut Tables, set: &'static SetDef, row: &Row) {
    let deleted = t.row(set.name, row.rec_id).is_none();
    match set.name {
        SALES_ORDER_LINES => {
            recompute_totals(
                t,
                SALES_ORDERS,
                SALES_ORDER_LINES,
                str_of(row.data.get("documentId")),
            );
        }
        SALES_INVOICE_LINES => {
            recompute_totals(
                t,
                SALES_INVOICES,
                SALES_INVOICE_LINES,
                str_of(row.data.get("documentId")),
            );
        }
        SALES_ORDERS | SALES_INVOICES if !deleted => {
            let lines = if set.name == SALES_ORDERS {
                SALES_ORDER_LINES
            } else {
                SALES_INVOICE_LINES
            };
            recompute_totals(t, set.name, lines, str_of(row.data.get("id")));
        }
        _ => {}
    }
    if !deleted {
        return;
    }
    let id = str_of(row.data.get("id")).to_owned();
    let (child, prop) = match set.name {
        SALES_ORDERS => (SALES_ORDER_LINES, "documentId"),
        SALES_INVOICES => (SALES_INVOICE_LINES, "documentId"),
        PAYMENT_JOURNALS => (PAYMENTS, "journalId"),
        JOURNALS => (JOURNAL_LINES, "journalId"),
        _ => return,
    };
    t.remove_where(child, |r| eq_ci(str_of(r.data.get(prop)), &id));
}
