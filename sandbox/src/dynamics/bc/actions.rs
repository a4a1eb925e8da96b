//! BC bound actions (reference §2.2–2.3), each answering 204:
//!
//! * `salesOrders({id})/Microsoft.NAV.shipAndInvoice`: the order becomes a posted
//!   `salesInvoices` row (status `Open`, `orderId`/`orderNumber` set, lines copied) and, fully
//!   shipped and invoiced, the order is deleted, as BC does.
//! * `salesInvoices({id})/Microsoft.NAV.post` (and `postAndSend`): a draft gets its posted
//!   number and status `Open`; the `id` stays (UNCONFIRMED). `send` needs a posted invoice;
//!   `cancel`/`cancelAndSend` cancel an unpaid posted invoice; `makeCorrectiveCreditMemo` is
//!   not emulated.
//! * `journals({id})/Microsoft.NAV.post`: posts the batch's lines to `generalLedgerEntries` and
//!   deletes them. The id may also be a `customerPaymentJournals` id (reference §2.3 step 3,
//!   UNCONFIRMED at runtime); payment lines then credit receivables, debit the journal's
//!   balancing account (or [`BcConfig::cash_account`]) and reduce the applied invoice's
//!   `remainingAmount` (status `Paid` at zero). A payment's magnitude is used whatever its sign.
//!   An empty batch answers `There is nothing to post.`
//!
//! Invoice postings debit [`BcConfig::receivables_account`] and credit
//! [`BcConfig::sales_account`] with the amount including tax, and move the customer's
//! `balanceDue`.

use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::entities::{
    self, CUSTOMERS, GL_ENTRIES, JOURNAL_LINES, JOURNALS, PAYMENT_JOURNALS, PAYMENTS,
    SALES_INVOICE_LINES, SALES_INVOICES, SALES_ORDER_LINES, SALES_ORDERS,
};
use super::rules::{eq_ci, find, next_posted_invoice_number, today};
use crate::dynamics::config::BcConfig;
use crate::dynamics::engine::Ctx;
use crate::dynamics::error::ApiError;
use crate::dynamics::http::Resp;
use crate::dynamics::odata::value::{dec_json, dec_of, format_instant, new_guid, str_of};
use crate::dynamics::schema::BC_NO_DATE;
use crate::dynamics::store::{Row, Tables};

const NOTHING: &str = "There is nothing to post.";

fn done() -> Result<Resp, ApiError> {
    Ok(Resp::empty(StatusCode::NO_CONTENT).header("OData-Version", "4.0"))
}

/// Run bound action `name` on row `rec_id` of `set`; `None` when the set has no such action.
pub(crate) fn bound(
    t: &mut Tables,
    cx: &Ctx<'_>,
    cfg: &BcConfig,
    set: &str,
    rec_id: u64,
    name: &str,
) -> Option<Result<Resp, ApiError>> {
    let row = t.row(set, rec_id)?.clone();
    let action = name.strip_prefix("Microsoft.NAV.")?;
    Some(match (set, action) {
        (SALES_ORDERS, "shipAndInvoice") => ship_and_invoice(t, cx, cfg, &row),
        (SALES_INVOICES, "post" | "postAndSend") => post_invoice(t, cx, cfg, &row),
        (SALES_INVOICES, "send") => {
            if str_of(row.data.get("status")) == "Draft" {
                Err(ApiError::business(
                    "Sales Invoice Header",
                    "The sales invoice must be posted before it can be sent.",
                ))
            } else {
                done()
            }
        }
        (SALES_INVOICES, "cancel" | "cancelAndSend") => cancel_invoice(t, cx, cfg, &row),
        (SALES_INVOICES, "makeCorrectiveCreditMemo") => Err(ApiError::NotImplemented(
            "makeCorrectiveCreditMemo is not emulated by the sandbox.".into(),
        )),
        (JOURNALS, "post") => post_journal(t, cx, cfg, &row),
        _ => Err(ApiError::NotImplemented(
            "Entity does not support bound actions".into(),
        )),
    })
}

/// The document a set of G/L entries belongs to.
struct Doc<'a> {
    company: &'a str,
    date: Value,
    number: String,
    kind: &'static str,
    text: String,
}

/// Append a G/L entry (`amount` positive = debit).
fn gl_entry(t: &mut Tables, cx: &Ctx<'_>, doc: &Doc<'_>, account: &str, amount: Decimal) {
    let Some(def) = entities::set(GL_ENTRIES) else {
        return;
    };
    let n = t.next_seq(&format!("{}:GLEntry", doc.company));
    let mut row = def.defaults(cx.now);
    let (debit, credit) = if amount >= Decimal::ZERO {
        (amount, Decimal::ZERO)
    } else {
        (Decimal::ZERO, -amount)
    };
    for (k, v) in [
        ("id", json!(new_guid())),
        ("entryNumber", json!(n)),
        ("postingDate", doc.date.clone()),
        ("documentNumber", json!(doc.number)),
        ("documentType", json!(doc.kind)),
        ("accountNumber", json!(account)),
        ("description", json!(doc.text)),
        ("debitAmount", dec_json(debit)),
        ("creditAmount", dec_json(credit)),
    ] {
        row.insert(k.to_owned(), v);
    }
    t.insert(GL_ENTRIES, Some(doc.company.to_owned()), row);
}

fn adjust_balance(t: &mut Tables, company: &str, customer_id: &str, delta: Decimal) {
    if let Some(c) = find(t, CUSTOMERS, company, "id", customer_id) {
        let rec = c.rec_id;
        let balance = dec_of(c.data.get("balanceDue")) + delta;
        t.set_props(CUSTOMERS, rec, &[("balanceDue", dec_json(balance))]);
    }
}

fn posting_date(cx: &Ctx<'_>, row: &Map<String, Value>) -> Value {
    match row.get("postingDate") {
        Some(Value::String(s)) if !s.is_empty() && s != BC_NO_DATE => Value::String(s.clone()),
        _ => today(cx),
    }
}

fn book_invoice(
    t: &mut Tables,
    cx: &Ctx<'_>,
    cfg: &BcConfig,
    company: &str,
    inv: &Map<String, Value>,
) {
    let total = dec_of(inv.get("totalAmountIncludingTax"));
    let number = str_of(inv.get("number")).to_owned();
    let doc = Doc {
        company,
        date: posting_date(cx, inv),
        text: format!("Invoice {number}"),
        number,
        kind: "Invoice",
    };
    gl_entry(t, cx, &doc, &cfg.receivables_account, total);
    gl_entry(t, cx, &doc, &cfg.sales_account, -total);
    adjust_balance(t, company, str_of(inv.get("customerId")), total);
}

fn lines_of<'t>(t: &'t Tables, set: &str, doc_id: &str) -> Vec<&'t Row> {
    t.rows(set)
        .iter()
        .filter(|r| eq_ci(str_of(r.data.get("documentId")), doc_id))
        .collect()
}

fn ship_and_invoice(
    t: &mut Tables,
    cx: &Ctx<'_>,
    cfg: &BcConfig,
    order: &Row,
) -> Result<Resp, ApiError> {
    let company = order.company.clone().unwrap_or_default();
    let order_id = str_of(order.data.get("id")).to_owned();
    let lines: Vec<Row> = lines_of(t, SALES_ORDER_LINES, &order_id)
        .into_iter()
        .cloned()
        .collect();
    if lines
        .iter()
        .all(|l| dec_of(l.data.get("quantity")).is_zero())
    {
        return Err(ApiError::business("Sales Header", NOTHING));
    }
    let (Some(inv_def), Some(line_def)) = (
        entities::set(SALES_INVOICES),
        entities::set(SALES_INVOICE_LINES),
    ) else {
        return Err(ApiError::NoRoute);
    };
    let mut inv = inv_def.defaults(cx.now);
    for p in inv_def.props {
        if let Some(v) = order.data.get(p.name) {
            inv.insert(p.name.to_owned(), v.clone());
        }
    }
    let inv_id = new_guid();
    let number = next_posted_invoice_number(t, &company);
    let today = today(cx);
    let total = order
        .data
        .get("totalAmountIncludingTax")
        .cloned()
        .unwrap_or(json!(0));
    for (k, v) in [
        ("id", json!(inv_id)),
        ("number", json!(number)),
        ("invoiceDate", today.clone()),
        ("postingDate", posting_date(cx, &order.data)),
        ("dueDate", today),
        ("orderId", json!(order_id)),
        (
            "orderNumber",
            order.data.get("number").cloned().unwrap_or(Value::Null),
        ),
        ("status", json!("Open")),
        ("remainingAmount", total),
        ("lastModifiedDateTime", json!(format_instant(cx.now))),
    ] {
        inv.insert(k.to_owned(), v);
    }
    t.insert(SALES_INVOICES, Some(company.clone()), inv.clone());
    for l in &lines {
        let mut nl = line_def.defaults(cx.now);
        for p in line_def.props {
            if let Some(v) = l.data.get(p.name) {
                nl.insert(p.name.to_owned(), v.clone());
            }
        }
        nl.insert("id".into(), json!(new_guid()));
        nl.insert("documentId".into(), json!(inv_id));
        t.insert(SALES_INVOICE_LINES, Some(company.clone()), nl);
    }
    t.remove(SALES_ORDERS, order.rec_id);
    t.remove_where(SALES_ORDER_LINES, |r| {
        eq_ci(str_of(r.data.get("documentId")), &order_id)
    });
    book_invoice(t, cx, cfg, &company, &inv);
    done()
}

fn post_invoice(t: &mut Tables, cx: &Ctx<'_>, cfg: &BcConfig, inv: &Row) -> Result<Resp, ApiError> {
    if str_of(inv.data.get("status")) != "Draft" {
        return Err(ApiError::business(
            "Sales Invoice Header",
            format!(
                "Sales invoice {} is already posted.",
                str_of(inv.data.get("number"))
            ),
        ));
    }
    let company = inv.company.clone().unwrap_or_default();
    let id = str_of(inv.data.get("id")).to_owned();
    if lines_of(t, SALES_INVOICE_LINES, &id)
        .iter()
        .all(|l| dec_of(l.data.get("quantity")).is_zero())
    {
        return Err(ApiError::business("Sales Invoice Header", NOTHING));
    }
    let number = next_posted_invoice_number(t, &company);
    let total = inv
        .data
        .get("totalAmountIncludingTax")
        .cloned()
        .unwrap_or(json!(0));
    t.set_props(
        SALES_INVOICES,
        inv.rec_id,
        &[
            ("number", json!(number)),
            ("status", json!("Open")),
            ("remainingAmount", total),
            ("postingDate", posting_date(cx, &inv.data)),
            ("lastModifiedDateTime", json!(format_instant(cx.now))),
        ],
    );
    let posted = t
        .row(SALES_INVOICES, inv.rec_id)
        .map(|r| r.data.clone())
        .unwrap_or_default();
    book_invoice(t, cx, cfg, &company, &posted);
    done()
}

fn cancel_invoice(
    t: &mut Tables,
    cx: &Ctx<'_>,
    cfg: &BcConfig,
    inv: &Row,
) -> Result<Resp, ApiError> {
    let status = str_of(inv.data.get("status"));
    let total = dec_of(inv.data.get("totalAmountIncludingTax"));
    if status != "Open" || dec_of(inv.data.get("remainingAmount")) != total {
        return Err(ApiError::business(
            "Sales Invoice Header",
            format!(
                "Sales invoice {} cannot be canceled: only posted invoices without payments can be canceled.",
                str_of(inv.data.get("number"))
            ),
        ));
    }
    let company = inv.company.clone().unwrap_or_default();
    let number = str_of(inv.data.get("number")).to_owned();
    let doc = Doc {
        company: &company,
        date: today(cx),
        text: format!("Cancel invoice {number}"),
        number,
        kind: "Credit Memo",
    };
    gl_entry(t, cx, &doc, &cfg.receivables_account, -total);
    gl_entry(t, cx, &doc, &cfg.sales_account, total);
    adjust_balance(t, &company, str_of(inv.data.get("customerId")), -total);
    t.set_props(
        SALES_INVOICES,
        inv.rec_id,
        &[
            ("status", json!("Canceled")),
            ("remainingAmount", dec_json(Decimal::ZERO)),
        ],
    );
    done()
}

/// Post journal batch `journal` (a `journals` or `customerPaymentJournals` row).
pub(crate) fn post_journal(
    t: &mut Tables,
    cx: &Ctx<'_>,
    cfg: &BcConfig,
    journal: &Row,
) -> Result<Resp, ApiError> {
    let company = journal.company.clone().unwrap_or_default();
    let jid = str_of(journal.data.get("id")).to_owned();
    let is_payment = find(t, PAYMENT_JOURNALS, &company, "id", &jid).is_some();
    let line_set = if is_payment { PAYMENTS } else { JOURNAL_LINES };
    let lines: Vec<Map<String, Value>> = t
        .rows(line_set)
        .iter()
        .filter(|r| {
            r.company.as_deref() == Some(company.as_str())
                && eq_ci(str_of(r.data.get("journalId")), &jid)
        })
        .map(|r| r.data.clone())
        .collect();
    if lines.is_empty() {
        return Err(ApiError::business("Gen. Journal Line", NOTHING));
    }
    let batch_balancing = str_of(journal.data.get("balancingAccountNumber")).to_owned();
    for line in &lines {
        let mut doc = Doc {
            company: &company,
            date: posting_date(cx, line),
            number: str_of(line.get("documentNumber")).to_owned(),
            kind: " ",
            text: str_of(line.get("description")).to_owned(),
        };
        if is_payment {
            doc.kind = "Payment";
            let m = dec_of(line.get("amount")).abs();
            let bank = if batch_balancing.is_empty() {
                cfg.cash_account.clone()
            } else {
                batch_balancing.clone()
            };
            gl_entry(t, cx, &doc, &cfg.receivables_account, -m);
            gl_entry(t, cx, &doc, &bank, m);
            adjust_balance(t, &company, str_of(line.get("customerId")), -m);
            let inv_id = str_of(line.get("appliesToInvoiceId")).to_owned();
            if let Some(inv) = find(t, SALES_INVOICES, &company, "id", &inv_id) {
                let rec = inv.rec_id;
                let remaining = (dec_of(inv.data.get("remainingAmount")) - m).max(Decimal::ZERO);
                let mut props = vec![("remainingAmount", dec_json(remaining))];
                if remaining.is_zero() {
                    props.push(("status", json!("Paid")));
                }
                t.set_props(SALES_INVOICES, rec, &props);
            }
        } else {
            let a = dec_of(line.get("amount"));
            let account = match str_of(line.get("accountType")) {
                "Customer" => {
                    adjust_balance(t, &company, str_of(line.get("accountId")), a);
                    cfg.receivables_account.clone()
                }
                _ => str_of(line.get("accountNumber")).to_owned(),
            };
            gl_entry(t, cx, &doc, &account, a);
            let balancing = match str_of(line.get("balancingAccountNumber")) {
                "" => batch_balancing.clone(),
                b => b.to_owned(),
            };
            if !balancing.is_empty() {
                gl_entry(t, cx, &doc, &balancing, -a);
            }
        }
    }
    t.remove_where(line_set, |r| {
        r.company.as_deref() == Some(company.as_str())
            && eq_ci(str_of(r.data.get("journalId")), &jid)
    });
    done()
}
