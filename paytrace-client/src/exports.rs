//! Transaction exports (reference §2.7, §5.1): one transaction, a date range, a date range as a
//! stream of day windows, and the reconciliation step after a lost answer:
//! [`find_by_invoice`](Exports::find_by_invoice).
//!
//! Exports are reads: they are retried per the client's retry policy.

use std::collections::BTreeMap;

use canonical_model::{CardBrand, LastFour, PaymentStatus, TransactionKind};
use chrono::{DateTime, Days, NaiveDate, Utc};
use futures::stream::{self, Stream, TryStreamExt};
use mapping::transform::datetime::format_paytrace_date;
use mapping::transform::paytrace_status::{paytrace_export_status, paytrace_transaction_kind};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize, Serializer};

use crate::client::Client;
use crate::error::{Error, ResponseMeta, Result};
use crate::http::operation;
use crate::response::{TransactionId, de};
use crate::transactions::Address;

/// The export area: `client.exports()`.
#[derive(Debug, Clone, Copy)]
pub struct Exports<'a> {
    pub(crate) client: &'a Client,
}

/// A card as exports show it: `{masked_number, expiration_month, expiration_year}`
/// (2-digit year). With `include_bin` the mask keeps the first six digits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MaskedCard {
    /// `"************5454"`, or `"541111******5454"` with `include_bin`.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub masked_number: Option<String>,
    /// `"12"`.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub expiration_month: Option<String>,
    /// `"20"` (2 digits in exports).
    #[serde(default, deserialize_with = "de::opt_text")]
    pub expiration_year: Option<String>,
    /// Fields this crate does not model (a brand field, should one appear).
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl MaskedCard {
    /// The last four digits of the masked number.
    pub fn last_four(&self) -> Option<LastFour> {
        LastFour::from_masked(self.masked_number.as_deref()?).ok()
    }

    /// The brand, from the leading digits when the mask keeps them (`include_bin`);
    /// [`CardBrand::Unknown`] otherwise. PayTrace sends no brand field (UNCONFIRMED).
    pub fn brand(&self) -> CardBrand {
        self.masked_number
            .as_deref()
            .map_or(CardBrand::Unknown, CardBrand::from_leading_digits)
    }
}

/// Who created a transaction, when, and how: `{through, at, by, from_ip}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Created {
    /// `"API"`, `"VT"`, …
    #[serde(default, deserialize_with = "de::opt_text")]
    pub through: Option<String>,
    /// `"4/10/2015 4:06:30 PM"`, in the merchant's time zone (presumably Pacific).
    #[serde(default, deserialize_with = "de::opt_text")]
    pub at: Option<String>,
    /// The user.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub by: Option<String>,
    /// The client address.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub from_ip: Option<String>,
    /// Fields this crate does not model, kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// One transaction of an export (reference §5.1). Texts keep PayTrace's vocabulary
/// (`status_code` `"GB571"`/`"Y"`/`"N"`, timestamps `M/D/YYYY h:mm:ss AM`); the
/// [`canonical`](crate::canonical) module turns a record into a canonical `Payment`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TransactionRecord {
    /// The transaction's id.
    pub transaction_id: TransactionId,
    /// `"SALE"`, `"AUTHORIZATION"`, `"REFUND"`, …
    #[serde(default, deserialize_with = "de::opt_text")]
    pub transaction_type: Option<String>,
    /// The amount (a JSON number in exports; strings are accepted too).
    #[serde(
        default,
        deserialize_with = "de::opt_decimal",
        serialize_with = "rust_decimal::serde::str_option::serialize"
    )]
    pub amount: Option<Decimal>,
    /// The card, masked.
    #[serde(default)]
    pub credit_card: Option<MaskedCard>,
    /// Description.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub description: Option<String>,
    /// The merchant's invoice number.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub invoice_id: Option<String>,
    /// Purchase order or customer code.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub customer_reference_id: Option<String>,
    /// Tax (a JSON string in exports).
    #[serde(
        default,
        deserialize_with = "de::opt_decimal",
        serialize_with = "rust_decimal::serde::str_option::serialize"
    )]
    pub tax_amount: Option<Decimal>,
    /// Billing address.
    #[serde(default)]
    pub billing_address: Option<Address>,
    /// Shipping address.
    #[serde(default)]
    pub shipping_address: Option<Address>,
    /// Where the receipt was emailed.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub receipt_emailed_to: Option<String>,
    /// The issuer's approval code.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub approval_code: Option<String>,
    /// The processor's text.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub approval_message: Option<String>,
    /// AVS result text.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub avs_response: Option<String>,
    /// CSC result text.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub csc_response: Option<String>,
    /// `"GB571"` (settled in batch 571), `"Y"` (pending settlement), `"N"` (voided, declined
    /// or authorization only).
    #[serde(default, deserialize_with = "de::opt_text")]
    pub status_code: Option<String>,
    /// `"GB571"`, `"Pending Settlement"`, `"Authorization Only"`, …
    #[serde(default, deserialize_with = "de::opt_text")]
    pub status_message: Option<String>,
    /// Creation details.
    #[serde(default)]
    pub created: Option<Created>,
    /// When it settled (`"4/10/2015 8:13:45 PM"`), if it has.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub settled: Option<String>,
    /// The vault profile charged.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub customer_id: Option<String>,
    /// Custom fields, as sent (an object, or empty).
    #[serde(default)]
    pub discretionary_data: Option<serde_json::Value>,
    /// Fields this crate does not model, kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl TransactionRecord {
    /// Whether this transaction may have taken the customer's money, or holds it: a sale,
    /// capture or authorization that was not declined, voided or failed. Refunds and voids
    /// are not charges. A status the vocabulary does not know counts as charged, so a flow
    /// never charges twice on a guess.
    ///
    /// Statuses come from `mapping`'s PayTrace vocabulary
    /// ([`paytrace_export_status`], [`paytrace_transaction_kind`]).
    pub fn may_be_charged(&self) -> bool {
        let kind = self.transaction_type.as_deref().unwrap_or_default();
        if let Ok(TransactionKind::Refund | TransactionKind::Credit | TransactionKind::Void) =
            paytrace_transaction_kind(kind)
        {
            return false;
        }
        let status = paytrace_export_status(
            self.status_code.as_deref().unwrap_or_default(),
            self.status_message.as_deref().unwrap_or_default(),
            kind,
        );
        !matches!(
            status.map(|s| s.status),
            Ok(PaymentStatus::Declined | PaymentStatus::Voided | PaymentStatus::Failed)
        )
    }
}

/// Decodes a transaction-export answer (the JSON body of `/v1/transactions/export/*`,
/// `/v1/batches/transaction_list`), e.g. one saved as a fixture, exactly as the client decodes
/// a live one.
///
/// ```
/// let body = br#"{"success":true,"response_code":1,"transactions":[{"transaction_id":1,"amount":2.5}]}"#;
/// let records = paytrace_client::exports::parse_export(body)?;
/// assert_eq!(records[0].amount, Some(rust_decimal::Decimal::new(25, 1)));
/// # Ok::<(), paytrace_client::Error>(())
/// ```
///
/// # Errors
/// [`Error::Api`] for a refusal body, [`Error::UnexpectedResponse`] for one that is not JSON,
/// [`Error::Decode`] naming the JSON path that does not fit.
pub fn parse_export(body: &[u8]) -> Result<Vec<TransactionRecord>> {
    let ok = ResponseMeta {
        status: 200,
        request_id: None,
        retry_after: None,
    };
    let (_, list) = crate::http::decode::<TransactionList>(ok, None, body);
    Ok(list?.transactions)
}

/// The `transactions` array of an export answer.
#[derive(Deserialize)]
pub(crate) struct TransactionList {
    #[serde(default)]
    pub(crate) transactions: Vec<TransactionRecord>,
}

/// The `transaction_type` filter of a date-range export.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransactionFilter {
    /// `SALE`.
    Sale,
    /// `AUTHORIZATION`.
    Authorization,
    /// `STR/FWD` (store and forward).
    StoreAndForward,
    /// `REFUND`.
    Refund,
    /// `VOID`.
    Void,
    /// `SETTLED`.
    Settled,
    /// `PENDING`.
    Pending,
    /// `DECLINED`.
    Declined,
    /// Any other value, sent as given.
    Other(String),
}

impl TransactionFilter {
    /// The value PayTrace expects.
    pub fn as_str(&self) -> &str {
        match self {
            TransactionFilter::Sale => "SALE",
            TransactionFilter::Authorization => "AUTHORIZATION",
            TransactionFilter::StoreAndForward => "STR/FWD",
            TransactionFilter::Refund => "REFUND",
            TransactionFilter::Void => "VOID",
            TransactionFilter::Settled => "SETTLED",
            TransactionFilter::Pending => "PENDING",
            TransactionFilter::Declined => "DECLINED",
            TransactionFilter::Other(other) => other,
        }
    }
}

impl Serialize for TransactionFilter {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

pub(crate) fn paytrace_date<S: Serializer>(date: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_paytrace_date(*date))
}

/// A date-range export: `start_date`, `end_date` (inclusive days, sent as `MM/DD/YYYY`) and
/// optional filters.
///
/// [`Exports::stream`] splits the range into windows of
/// [`window_days`](Self::window_days) days (default 1), one request each, so no single answer
/// grows without bound. To resume a long sync, start a new query at the day after the last
/// window you finished.
///
/// ```
/// use chrono::NaiveDate;
/// use paytrace_client::{TransactionFilter, TransactionQuery};
///
/// let d = |day| NaiveDate::from_ymd_opt(2026, 3, day).unwrap();
/// let query = TransactionQuery::new(d(1), d(5))?
///     .transaction_type(TransactionFilter::Settled)
///     .window_days(2);
/// assert_eq!(query.windows().collect::<Vec<_>>(), [(d(1), d(2)), (d(3), d(4)), (d(5), d(5))]);
/// assert_eq!(serde_json::to_value(&query).unwrap()["start_date"], "03/01/2026");
/// # Ok::<(), paytrace_client::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct TransactionQuery {
    /// First day.
    #[serde(serialize_with = "paytrace_date")]
    pub start_date: NaiveDate,
    /// Last day, included.
    #[serde(serialize_with = "paytrace_date")]
    pub end_date: NaiveDate,
    /// Only this transaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<TransactionId>,
    /// Only this kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_type: Option<TransactionFilter>,
    /// Only this vault profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// Keep the first six digits in masked numbers (lets the brand be derived).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_bin: Option<bool>,
    /// Free-text search.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub including_text: Option<String>,
    /// Days per request when streaming (not sent).
    #[serde(skip)]
    pub window_days: u32,
}

impl TransactionQuery {
    /// All transactions from `start_date` to `end_date`, both included.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when `end_date` is before `start_date`.
    pub fn new(start_date: NaiveDate, end_date: NaiveDate) -> Result<Self> {
        if end_date < start_date {
            return Err(Error::invalid(
                "date range",
                format!("end {end_date} is before start {start_date}"),
            ));
        }
        Ok(TransactionQuery {
            start_date,
            end_date,
            transaction_id: None,
            transaction_type: None,
            customer_id: None,
            include_bin: None,
            including_text: None,
            window_days: 1,
        })
    }

    /// Only transactions of this kind.
    #[must_use]
    pub fn transaction_type(mut self, filter: TransactionFilter) -> Self {
        self.transaction_type = Some(filter);
        self
    }

    /// Only transactions of this vault profile.
    #[must_use]
    pub fn customer_id(mut self, customer_id: impl Into<String>) -> Self {
        self.customer_id = Some(customer_id.into());
        self
    }

    /// Only this transaction.
    #[must_use]
    pub fn transaction_id(mut self, transaction_id: TransactionId) -> Self {
        self.transaction_id = Some(transaction_id);
        self
    }

    /// Keep the first six digits in masked numbers.
    #[must_use]
    pub fn include_bin(mut self, include: bool) -> Self {
        self.include_bin = Some(include);
        self
    }

    /// Free-text search.
    #[must_use]
    pub fn including_text(mut self, text: impl Into<String>) -> Self {
        self.including_text = Some(text.into());
        self
    }

    /// Days per request when streaming (at least 1; default 1).
    #[must_use]
    pub fn window_days(mut self, days: u32) -> Self {
        self.window_days = days.max(1);
        self
    }

    /// The `(first, last)` days of each window, in order, covering the range exactly once.
    pub fn windows(&self) -> impl Iterator<Item = (NaiveDate, NaiveDate)> + Send + 'static {
        let (end, step) = (self.end_date, u64::from(self.window_days.max(1)));
        let mut next = Some(self.start_date);
        std::iter::from_fn(move || {
            let start = next?;
            let last = start
                .checked_add_days(Days::new(step - 1))
                .map_or(end, |d| d.min(end));
            next = last.succ_opt().filter(|d| *d <= end);
            Some((start, last))
        })
    }

    fn window(&self, (start_date, end_date): (NaiveDate, NaiveDate)) -> Self {
        TransactionQuery {
            start_date,
            end_date,
            ..self.clone()
        }
    }
}

#[derive(Serialize)]
struct ById {
    transaction_id: TransactionId,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    include_bin: bool,
}

impl Exports<'_> {
    /// One transaction: `POST /v1/transactions/export/by_id`. `None` when the answer holds
    /// no record.
    ///
    /// # Errors
    /// [`Error::Api`] (811 for an unknown id is [`is_not_found`](Error::is_not_found)),
    /// decoding and transport errors after the retries.
    pub async fn by_id(
        &self,
        transaction_id: TransactionId,
        include_bin: bool,
    ) -> Result<Option<TransactionRecord>> {
        let op = operation!(
            "paytrace.export_by_id",
            "/v1/transactions/export/by_id",
            Idempotent
        );
        let list: TransactionList = self
            .client
            .send(
                op,
                &ById {
                    transaction_id,
                    include_bin,
                },
            )
            .await?;
        Ok(list.transactions.into_iter().next())
    }

    /// Every transaction of the query's whole range in one request:
    /// `POST /v1/transactions/export/by_date_range`. For long ranges prefer
    /// [`stream`](Self::stream).
    ///
    /// # Errors
    /// [`Error::Api`], decoding and transport errors after the retries.
    pub async fn by_date_range(&self, query: &TransactionQuery) -> Result<Vec<TransactionRecord>> {
        let op = operation!(
            "paytrace.export_by_date_range",
            "/v1/transactions/export/by_date_range",
            Idempotent
        );
        let list: TransactionList = self.client.send(op, query).await?;
        Ok(list.transactions)
    }

    /// The query's transactions as a stream, one request per window of
    /// [`window_days`](TransactionQuery::window_days), fetched as the stream is read. The
    /// stream owns a clone of the client, so it can be moved to another task.
    ///
    /// # Errors
    /// Each window's request fails as [`by_date_range`](Self::by_date_range) does (after the
    /// retries); the error is yielded and ends the stream. Records already yielded stay valid:
    /// resume with a query starting at the failed window.
    pub fn stream(
        &self,
        query: &TransactionQuery,
    ) -> impl Stream<Item = Result<TransactionRecord>> + Send + 'static {
        let state = (self.client.clone(), query.clone(), query.windows());
        stream::try_unfold(state, |(client, query, mut windows)| async move {
            let Some(window) = windows.next() else {
                return Ok(None);
            };
            let records = client
                .exports()
                .by_date_range(&query.window(window))
                .await?;
            Ok(Some((records, (client, query, windows))))
        })
        .map_ok(|records| stream::iter(records.into_iter().map(Ok)))
        .try_flatten()
    }

    /// The reconciliation step after [`Error::OutcomeUnknown`]: every transaction whose
    /// `invoice_id` is `invoice_id`, created within a day of `around` (the time of the
    /// attempt).
    ///
    /// The days searched are `around`'s UTC date ± 1, which covers PayTrace's day boundaries
    /// whatever the merchant's time zone (exports use local days; the zone is UNCONFIRMED).
    /// The export is filtered here, not with PayTrace's `including_text` search, whose
    /// matching rules are undocumented: a missed charge would mean a double charge.
    ///
    /// Decide with [`TransactionRecord::may_be_charged`]: charge again only when no record
    /// may be charged.
    ///
    /// # Errors
    /// As [`by_date_range`](Self::by_date_range). When this fails, the outcome is still
    /// unknown: do not charge again.
    pub async fn find_by_invoice(
        &self,
        invoice_id: &str,
        around: DateTime<Utc>,
    ) -> Result<Vec<TransactionRecord>> {
        let day = around.date_naive();
        let first = day.pred_opt().unwrap_or(day);
        let last = day.succ_opt().unwrap_or(day);
        let wanted = invoice_id.trim();
        self.stream(&TransactionQuery::new(first, last)?)
            .try_filter(|record| {
                let matches = record.invoice_id.as_deref().map(str::trim) == Some(wanted);
                std::future::ready(matches)
            })
            .try_collect()
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn windows_cover_the_range_once() {
        let cases = [
            (
                (d(2026, 3, 1), d(2026, 3, 1)),
                1,
                vec![(d(2026, 3, 1), d(2026, 3, 1))],
            ),
            (
                (d(2026, 2, 27), d(2026, 3, 2)),
                1,
                vec![
                    (d(2026, 2, 27), d(2026, 2, 27)),
                    (d(2026, 2, 28), d(2026, 2, 28)),
                    (d(2026, 3, 1), d(2026, 3, 1)),
                    (d(2026, 3, 2), d(2026, 3, 2)),
                ],
            ),
            (
                (d(2024, 12, 30), d(2025, 1, 4)),
                3,
                vec![
                    (d(2024, 12, 30), d(2025, 1, 1)),
                    (d(2025, 1, 2), d(2025, 1, 4)),
                ],
            ),
            (
                (d(2026, 1, 1), d(2026, 1, 3)),
                30,
                vec![(d(2026, 1, 1), d(2026, 1, 3))],
            ),
            (
                (NaiveDate::MAX.pred_opt().unwrap(), NaiveDate::MAX),
                1,
                vec![
                    (
                        NaiveDate::MAX.pred_opt().unwrap(),
                        NaiveDate::MAX.pred_opt().unwrap(),
                    ),
                    (NaiveDate::MAX, NaiveDate::MAX),
                ],
            ),
        ];
        for ((start, end), days, want) in cases {
            let query = TransactionQuery::new(start, end).unwrap().window_days(days);
            assert_eq!(
                query.windows().collect::<Vec<_>>(),
                want,
                "{start}..{end}/{days}"
            );
        }
        assert!(TransactionQuery::new(d(2026, 1, 2), d(2026, 1, 1)).is_err());
        assert_eq!(
            TransactionQuery::new(d(2026, 1, 1), d(2026, 1, 1))
                .unwrap()
                .window_days(0)
                .window_days,
            1
        );
    }

    #[test]
    fn streams_can_move_to_other_tasks() {
        fn send_and_static<T: Send + 'static>(_: &T) {}
        let client = Client::builder()
            .credentials(crate::Credentials::password("u", "p"))
            .integrator_id("X")
            .build()
            .unwrap();
        let query = TransactionQuery::new(d(2026, 1, 1), d(2026, 1, 2)).unwrap();
        let stream = client.exports().stream(&query);
        drop(client);
        send_and_static(&stream);
    }

    #[test]
    fn query_serialises_paytrace_dates_and_filters() {
        let query = TransactionQuery::new(d(2026, 3, 1), d(2026, 3, 31))
            .unwrap()
            .transaction_type(TransactionFilter::StoreAndForward)
            .customer_id("cust-1")
            .include_bin(true);
        assert_eq!(
            serde_json::to_value(&query).unwrap(),
            json!({
                "start_date": "03/01/2026", "end_date": "03/31/2026",
                "transaction_type": "STR/FWD", "customer_id": "cust-1", "include_bin": true
            })
        );
    }

    #[test]
    fn charges_are_told_from_non_charges() {
        let record = |kind: &str, code: &str, message: &str| -> TransactionRecord {
            serde_json::from_value(json!({
                "transaction_id": 1, "transaction_type": kind,
                "status_code": code, "status_message": message
            }))
            .unwrap()
        };
        let cases = [
            ("SALE", "Y", "Pending Settlement", true),
            ("SALE", "GB12", "GB12", true),
            ("AUTHORIZATION", "N", "Authorization Only", true),
            ("SALE", "N", "Declined", false),
            ("SALE", "N", "Voided", false),
            ("REFUND", "Y", "Pending Settlement", false),
            ("SALE", "Q", "Something new", true),
            ("", "", "", true),
        ];
        for (kind, code, message, charged) in cases {
            assert_eq!(
                record(kind, code, message).may_be_charged(),
                charged,
                "{kind} {code} {message}"
            );
        }
    }

    #[test]
    fn records_decode_as_documented() {
        let record: TransactionRecord = serde_json::from_value(json!({
            "transaction_id": 1143, "transaction_type": "SALE", "amount": 2.00,
            "credit_card": {"masked_number": "541111******5454", "expiration_month": "12", "expiration_year": "20"},
            "description": "", "invoice_id": "INV-1", "customer_reference_id": "",
            "tax_amount": "8.10",
            "billing_address": {"name": "Jane Doe", "street_address": "1 Main St", "city": "Spokane", "state": "WA", "zip": "99201", "country": "US"},
            "shipping_address": {"name": "", "county": "Spokane"},
            "receipt_emailed_to": "", "approval_code": "TAS610", "approval_message": "  NO  MATCH - Approved and completed",
            "avs_response": "No Match", "csc_response": "Match",
            "status_code": "GB571", "status_message": "GB571",
            "created": {"through": "API", "at": "4/10/2015 4:06:30 PM", "by": "api-user", "from_ip": "1.2.3.4"},
            "settled": "4/10/2015 8:13:45 PM", "customer_id": "", "discretionary_data": {"PO": "77"},
            "brand_new": true
        }))
        .unwrap();
        assert_eq!(record.amount, Some(Decimal::new(2, 0)));
        assert_eq!(record.tax_amount, Some(Decimal::new(810, 2)));
        assert_eq!(record.description, None);
        let card = record.credit_card.as_ref().unwrap();
        assert_eq!(card.last_four().unwrap().as_str(), "5454");
        assert_eq!(card.brand(), CardBrand::Mastercard);
        assert_eq!(
            record.shipping_address.as_ref().unwrap().county.as_deref(),
            Some("Spokane")
        );
        assert_eq!(record.extra["brand_new"], true);
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["amount"], "2");
        assert_eq!(json["brand_new"], true);
    }
}
