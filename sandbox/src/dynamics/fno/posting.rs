//! Journal posting for the F&O flavour's optional extension (reference §1.4: standard F&O has
//! no posting action). Posting marks the header `IsPosted = Yes` and writes two
//! `GeneralJournalAccountEntries` per line (account and offset), amounts in accounting
//! currency signed debit-positive.
//!
//! Emulator choices (UNCONFIRMED): the main account of a customer line is
//! [`FnoConfig::receivables_main_account`], of a bank line
//! [`FnoConfig::bank_main_account`], of a ledger line the first segment of its display value;
//! `JournalCategory` is `Payment` for customer payment journals and `GeneralJournal` otherwise.

use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::entities::{GL_ENTRIES, LEDGER_HEADERS, LEDGER_LINES, PAYMENT_HEADERS, PAYMENT_LINES};
use super::rules::find;
use crate::dynamics::config::FnoConfig;
use crate::dynamics::error::ApiError;
use crate::dynamics::http::Resp;
use crate::dynamics::odata::value::{dec_json, dec_of, no_yes, percent, str_of};
use crate::dynamics::store::Tables;

/// What a posting produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Posted {
    pub(crate) journal: String,
    pub(crate) entries: usize,
}

fn main_account(cfg: &FnoConfig, account_type: &str, display: &str) -> String {
    match account_type.to_ascii_lowercase().as_str() {
        "cust" | "customer" => cfg.receivables_main_account.clone(),
        "bank" => cfg.bank_main_account.clone(),
        _ => {
            // Display values are dimension strings; "\-" escapes a literal dash.
            let mut out = String::new();
            let mut chars = display.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => out.extend(chars.next()),
                    '-' => break,
                    c => out.push(c),
                }
            }
            out
        }
    }
}

fn posting_type(account_type: &str) -> &'static str {
    match account_type.to_ascii_lowercase().as_str() {
        "cust" | "customer" => "CustBalance",
        "vend" | "vendor" => "VendBalance",
        "bank" => "Bank",
        _ => "LedgerJournal",
    }
}

/// Post journal `batch` of `company` (a ledger or customer payment journal).
///
/// # Errors
///
/// A business error when the journal does not exist, is posted, or has no lines.
pub(crate) fn post(
    t: &mut Tables,
    cfg: &FnoConfig,
    company: &str,
    batch: &str,
) -> Result<Posted, ApiError> {
    let company = company.to_ascii_lowercase();
    let (header_set, line_set, category, caption) =
        if find(t, LEDGER_HEADERS, &company, "JournalBatchNumber", batch).is_some() {
            (
                LEDGER_HEADERS,
                LEDGER_LINES,
                "GeneralJournal",
                "LedgerJournalHeaderEntity",
            )
        } else if find(t, PAYMENT_HEADERS, &company, "JournalBatchNumber", batch).is_some() {
            (
                PAYMENT_HEADERS,
                PAYMENT_LINES,
                "Payment",
                "CustomerPaymentJournalHeaderEntity",
            )
        } else {
            return Err(ApiError::business(
                "LedgerJournalHeaderEntity",
                format!("Error: Journal {batch} does not exist in company {company}."),
            ));
        };
    let header = find(t, header_set, &company, "JournalBatchNumber", batch)
        .cloned()
        .ok_or(ApiError::NoRoute)?;
    if str_of(header.data.get("IsPosted")) == "Yes" {
        return Err(ApiError::business(
            caption,
            format!("Error: Journal {batch} is already posted."),
        ));
    }
    let lines: Vec<Map<String, Value>> = t
        .rows(line_set)
        .iter()
        .filter(|r| {
            str_of(r.data.get("dataAreaId")).eq_ignore_ascii_case(&company)
                && str_of(r.data.get("JournalBatchNumber")).eq_ignore_ascii_case(batch)
        })
        .map(|r| r.data.clone())
        .collect();
    if lines.is_empty() {
        return Err(ApiError::business(
            caption,
            format!("Error: Journal {batch} has no lines to post."),
        ));
    }
    let mut entries = 0;
    for line in &lines {
        let amount = dec_of(line.get("DebitAmount")) - dec_of(line.get("CreditAmount"));
        let rate = match dec_of(line.get("ExchangeRate")) {
            r if r.is_zero() => Decimal::ONE_HUNDRED,
            r => r,
        };
        let date = line
            .get("TransactionDate")
            .or_else(|| line.get("TransDate"))
            .cloned()
            .unwrap_or(Value::Null);
        let text = match str_of(line.get("TransactionText")) {
            "" => str_of(line.get("Text")).to_owned(),
            t => t.to_owned(),
        };
        let sides = [
            ("AccountType", "AccountDisplayValue", amount),
            ("OffsetAccountType", "OffsetAccountDisplayValue", -amount),
        ];
        for (ty, acc, value) in sides {
            let display = str_of(line.get(acc)).to_owned();
            if display.is_empty() {
                continue;
            }
            let account_type = str_of(line.get(ty)).to_owned();
            let n = t.next_seq("GeneralJournalAccountEntry");
            let mut entry = Map::new();
            for (k, v) in [
                ("dataAreaId", json!(company)),
                ("EntryNumber", json!(n)),
                ("AccountingDate", date.clone()),
                ("JournalNumber", json!(batch)),
                (
                    "Voucher",
                    line.get("Voucher").cloned().unwrap_or(Value::Null),
                ),
                ("JournalCategory", json!(category)),
                ("PostingType", json!(posting_type(&account_type))),
                (
                    "MainAccountId",
                    json!(main_account(cfg, &account_type, &display)),
                ),
                ("LedgerAccount", json!(display)),
                ("Text", json!(text)),
                (
                    "TransactionCurrencyCode",
                    line.get("CurrencyCode").cloned().unwrap_or(Value::Null),
                ),
                ("TransactionCurrencyAmount", dec_json(value)),
                ("AccountingCurrencyAmount", dec_json(percent(value, rate))),
                ("ReportingCurrencyAmount", dec_json(percent(value, rate))),
                ("IsCredit", no_yes(value < Decimal::ZERO)),
            ] {
                entry.insert(k.to_owned(), v);
            }
            t.insert(GL_ENTRIES, None, entry);
            entries += 1;
        }
    }
    t.set_props(header_set, header.rec_id, &[("IsPosted", no_yes(true))]);
    Ok(Posted {
        journal: batch.to_owned(),
        entries,
    })
}

/// The custom service: `POST <service_path>` with `{"dataAreaId", "journalBatchNumber"}`.
///
/// # Errors
///
/// [`ApiError::ServiceFault`] for a bad body or a failed posting.
pub(crate) fn service(
    t: &mut Tables,
    cfg: &FnoConfig,
    default_company: &str,
    body: &[u8],
) -> Result<Resp, ApiError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| ApiError::ServiceFault("The request body is not a JSON object.".into()))?;
    let get = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| v.get(*n).and_then(Value::as_str))
            .map(str::to_owned)
    };
    let company = get(&["dataAreaId", "_dataAreaId", "DataAreaId"])
        .unwrap_or_else(|| default_company.to_owned());
    let Some(batch) = get(&[
        "journalBatchNumber",
        "_journalBatchNumber",
        "JournalBatchNumber",
    ]) else {
        return Err(ApiError::ServiceFault(
            "Parameter 'journalBatchNumber' is missing.".into(),
        ));
    };
    match post(t, cfg, &company, &batch) {
        Ok(p) => Ok(Resp::plain(
            StatusCode::OK,
            json!({"JournalBatchNumber": p.journal, "IsPosted": "Yes", "EntryCount": p.entries}),
        )),
        Err(ApiError::Business { message, .. }) => Err(ApiError::ServiceFault(
            message.trim_start_matches("Error: ").to_owned(),
        )),
        Err(e) => Err(e),
    }
}
