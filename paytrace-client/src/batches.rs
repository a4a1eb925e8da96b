//! Settlement batch exports (reference §2.7, §5.2).
//!
//! Only `batch.number` is a confirmed field of a batch summary; everything else PayTrace
//! returns is kept in [`BatchSummary::extra`] as sent. For totals you can rely on, fetch the
//! batch's transactions with [`Batches::transaction_list`] and build a canonical
//! `SettlementBatch` from them ([`canonical::settlement_batch`](crate::canonical::settlement_batch)).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::exports::{TransactionList, TransactionRecord, paytrace_date};
use crate::http::operation;
use crate::response::de;

/// The batch area: `client.batches()`.
#[derive(Debug, Clone, Copy)]
pub struct Batches<'a> {
    pub(crate) client: &'a Client,
}

/// A settlement batch summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BatchSummary {
    /// The batch number (the `n` of a transaction's `status_code` `"GB<n>"`).
    #[serde(deserialize_with = "de::u64_lenient")]
    pub number: u64,
    /// Every other field, as sent (names UNCONFIRMED: settlement time, counts, amounts …).
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

#[derive(Serialize)]
struct BatchNumber {
    #[serde(skip_serializing_if = "Option::is_none")]
    batch_number: Option<u64>,
}

#[derive(Serialize)]
struct DateRange {
    #[serde(serialize_with = "paytrace_date")]
    start_date: NaiveDate,
    #[serde(serialize_with = "paytrace_date")]
    end_date: NaiveDate,
}

#[derive(Deserialize)]
struct OneBatch {
    batch: Option<BatchSummary>,
}

#[derive(Deserialize)]
struct BatchList {
    #[serde(default)]
    batches: Vec<BatchSummary>,
}

impl Batches<'_> {
    /// One batch, or the most recent one when `batch_number` is `None`:
    /// `POST /v1/batches/export_one`. `None` when the answer holds no batch.
    ///
    /// # Errors
    /// [`Error::Api`], decoding and transport errors after the retries.
    pub async fn export_one(&self, batch_number: Option<u64>) -> Result<Option<BatchSummary>> {
        let op = operation!(
            "paytrace.batch_export_one",
            "/v1/batches/export_one",
            Idempotent
        );
        let one: OneBatch = self.client.send(op, &BatchNumber { batch_number }).await?;
        Ok(one.batch)
    }

    /// The batches settled between two days, both included: `POST /v1/batches/export`
    /// (the answer's array name `batches` is UNCONFIRMED).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when `end_date` is before `start_date`; as
    /// [`export_one`](Self::export_one).
    pub async fn export(
        &self,
        start_date: NaiveDate,
        end_date: NaiveDate,
    ) -> Result<Vec<BatchSummary>> {
        if end_date < start_date {
            return Err(Error::invalid(
                "date range",
                format!("end {end_date} is before start {start_date}"),
            ));
        }
        let op = operation!("paytrace.batch_export", "/v1/batches/export", Idempotent);
        let list: BatchList = self
            .client
            .send(
                op,
                &DateRange {
                    start_date,
                    end_date,
                },
            )
            .await?;
        Ok(list.batches)
    }

    /// The transactions of a batch: `POST /v1/batches/transaction_list` (records shaped as
    /// in transaction exports, UNCONFIRMED).
    ///
    /// # Errors
    /// As [`export_one`](Self::export_one).
    pub async fn transaction_list(&self, batch_number: u64) -> Result<Vec<TransactionRecord>> {
        let op = operation!(
            "paytrace.batch_transaction_list",
            "/v1/batches/transaction_list",
            Idempotent
        );
        let body = BatchNumber {
            batch_number: Some(batch_number),
        };
        let list: TransactionList = self.client.send(op, &body).await?;
        Ok(list.transactions)
    }
}
