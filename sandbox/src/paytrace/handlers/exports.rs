//! Transaction and batch exports (reference §2.7, §5).
//!
//! `by_date_range` selects on the creation date in the configured time zone, both ends
//! inclusive. `transaction_type` filter values: `SALE`, `AUTHORIZATION`, `REFUND` (by type),
//! `VOID` (voided), `SETTLED`, `PENDING` (pending settlement), `DECLINED`, `STR/FWD` (none in
//! the sandbox); an unknown value matches nothing. `including_text` is a case-insensitive
//! search over invoice id, description, customer id, customer reference id, billing name and
//! approval message. `/v1/batches/export` selects batches by settlement date.

use chrono::NaiveDate;

use super::super::codes;
use super::super::dispatch::Call;
use super::super::export::{batch_summary, transaction_record};
use super::super::input::Field;
use super::super::json::J;
use super::super::model::{Batch, Transaction, TransactionStatus};
use super::super::reply::{COMPLETED_MESSAGE, Errors, Reply, success};
use super::super::store::Store;
use super::super::validate::{read_date, read_transaction_id};

fn completed(key: &str, items: Vec<J>) -> Reply {
    Reply::ok(
        success(codes::RC_ERRORS_OR_COMPLETED, COMPLETED_MESSAGE)
            .with(key, items)
            .with("external_transaction_id", ""),
    )
}

/// `/v1/transactions/export/by_id`
pub(crate) fn by_id(store: &mut Store, call: &Call<'_>) -> Reply {
    let mut errors = Errors::new();
    let id = read_transaction_id(call.body, &mut errors);
    if let Err(r) = errors.check() {
        return r;
    }
    let Some(t) = id.and_then(|id| store.transactions.get(&id)) else {
        return Reply::error(
            codes::E_TRANSACTION_NOT_FOUND,
            format!("Transaction ID {} was not found.", id.unwrap_or_default()),
        );
    };
    let include_bin = call.body.flag("include_bin");
    completed(
        "transactions",
        vec![transaction_record(t, store.config.time_zone, include_bin)],
    )
}

fn type_matches(t: &Transaction, filter: &str) -> bool {
    match filter.to_ascii_uppercase().as_str() {
        "SALE" | "AUTHORIZATION" | "REFUND" => t.kind.export_name().eq_ignore_ascii_case(filter),
        "VOID" | "VOIDED" => t.status == TransactionStatus::Voided,
        "SETTLED" => t.status == TransactionStatus::Settled,
        "PENDING" => t.status == TransactionStatus::PendingSettlement,
        "DECLINED" => t.status == TransactionStatus::Declined,
        _ => false,
    }
}

fn text_matches(t: &Transaction, needle: &str) -> bool {
    let n = needle.to_lowercase();
    [
        t.invoice_id.as_str(),
        t.description.as_str(),
        t.customer_id.as_deref().unwrap_or_default(),
        t.customer_reference_id.as_str(),
        t.billing_address.name.as_str(),
        t.approval_message.as_str(),
    ]
    .iter()
    .any(|h| h.to_lowercase().contains(&n))
}

fn date_range(call: &Call<'_>) -> Result<(NaiveDate, NaiveDate), Reply> {
    let mut errors = Errors::new();
    let start = read_date(call.body, "start_date", &mut errors);
    let end = read_date(call.body, "end_date", &mut errors);
    errors.check()?;
    match (start, end) {
        (Some(s), Some(e)) => Ok((s, e)),
        _ => Err(Reply::error(
            codes::E_DATE,
            "Please provide a valid date range.",
        )),
    }
}

/// `/v1/transactions/export/by_date_range`
pub(crate) fn by_date_range(store: &mut Store, call: &Call<'_>) -> Reply {
    let (start, end) = match date_range(call) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let body = call.body;
    let id_filter = match body.id("transaction_id") {
        Field::Ok(id) => Some(id),
        Field::Missing => None,
        Field::Invalid => {
            return Reply::error(
                codes::E_TRANSACTION_ID,
                "Please provide a valid Transaction ID.",
            );
        }
    };
    let type_filter = body.str("transaction_type");
    let customer = body.str("customer_id");
    let invoice = body.str("invoice_id");
    let text = body.str("including_text");
    let include_bin = body.flag("include_bin");
    let tz = store.config.time_zone;
    let records: Vec<J> = store
        .transactions
        .values()
        .filter(|t| {
            let day = t.created_at.with_timezone(&tz).date_naive();
            day >= start
                && day <= end
                && id_filter.is_none_or(|id| t.id == id)
                && type_filter.as_deref().is_none_or(|f| type_matches(t, f))
                && customer
                    .as_deref()
                    .is_none_or(|c| t.customer_id.as_deref() == Some(c))
                && invoice.as_deref().is_none_or(|i| t.invoice_id == i)
                && text.as_deref().is_none_or(|x| text_matches(t, x))
        })
        .map(|t| transaction_record(t, tz, include_bin))
        .collect();
    completed("transactions", records)
}

fn summary(store: &Store, b: &Batch) -> J {
    let txns = b
        .transaction_ids
        .iter()
        .filter_map(|id| store.transactions.get(id));
    batch_summary(b, txns, store.config.time_zone)
}

fn batch_not_found(n: Option<u64>) -> Reply {
    let msg = match n {
        Some(n) => format!("Batch number {n} was not found."),
        None => "No settled batch was found.".to_owned(),
    };
    Reply::error(codes::E_BATCH_NOT_FOUND, msg)
}

fn batch_number(call: &Call<'_>) -> Result<Option<u64>, Reply> {
    match call.body.id("batch_number") {
        Field::Ok(n) => Ok(Some(n)),
        Field::Missing => Ok(None),
        Field::Invalid => Err(Reply::error(
            codes::E_BATCH_NOT_FOUND,
            "Please provide a valid batch number.",
        )),
    }
}

/// `/v1/batches/export_one`: `batch_number` omitted → the most recent batch.
pub(crate) fn export_one(store: &mut Store, call: &Call<'_>) -> Reply {
    let n = match batch_number(call) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let batch = match n {
        Some(n) => store.batches.get(&n),
        None => store.batches.values().next_back(),
    };
    let Some(b) = batch else {
        return batch_not_found(n);
    };
    Reply::ok(
        success(codes::RC_ERRORS_OR_COMPLETED, COMPLETED_MESSAGE)
            .with("batch", summary(store, b))
            .with("external_transaction_id", ""),
    )
}

/// `/v1/batches/export`: batches settled between `start_date` and `end_date`.
pub(crate) fn export(store: &mut Store, call: &Call<'_>) -> Reply {
    let (start, end) = match date_range(call) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let tz = store.config.time_zone;
    let items: Vec<J> = store
        .batches
        .values()
        .filter(|b| {
            let day = b.settled_at.with_timezone(&tz).date_naive();
            day >= start && day <= end
        })
        .map(|b| summary(store, b))
        .collect();
    completed("batches", items)
}

/// `/v1/batches/transaction_list`: §5.1 records of one batch.
pub(crate) fn transaction_list(store: &mut Store, call: &Call<'_>) -> Reply {
    let n = match batch_number(call) {
        Ok(Some(n)) => n,
        Ok(None) => {
            let mut e = Errors::new();
            super::super::reply::missing(&mut e, "batch_number");
            return Reply::errors(e);
        }
        Err(r) => return r,
    };
    let Some(b) = store.batches.get(&n) else {
        return batch_not_found(Some(n));
    };
    let tz = store.config.time_zone;
    let include_bin = call.body.flag("include_bin");
    let records: Vec<J> = b
        .transaction_ids
        .iter()
        .filter_map(|id| store.transactions.get(id))
        .map(|t| transaction_record(t, tz, include_bin))
        .collect();
    completed("transactions", records)
}
