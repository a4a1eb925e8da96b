//! Recurring payments (reference §2.6, §3.6): PayTrace charges a vault profile on a schedule
//! (around 00:30–01:00 Pacific).
//!
//! Creating a schedule is never resent once it may have reached PayTrace (a second schedule
//! would charge twice); updates, deletes and exports are retried like reads.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize, Serializer};

use crate::amount::Amount;
use crate::client::Client;
use crate::customers::ByCustomerId;
use crate::error::Result;
use crate::exports::{TransactionRecord, paytrace_date};
use crate::http::operation;
use crate::response::{RecurrenceId, ResponseCode, de};

/// The recurrence area: `client.recurrence()`.
#[derive(Debug, Clone, Copy)]
pub struct Recurrence<'a> {
    pub(crate) client: &'a Client,
}

/// How often a recurring payment runs (`frequency`, a short code).
///
/// The code for each period is UNCONFIRMED for v1: these are the codes of PayTrace's legacy
/// API (1 annually, 8 semi-annually, 9 trimesterly, 2 quarterly, 6 bi-monthly, 3 monthly,
/// 4 bi-weekly, 7 on the 1st and 15th, 5 weekly, A daily), which v1 most plausibly kept (the
/// v3 example sends `"8"`). [`Other`](Self::Other) sends any code as given.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Frequency {
    /// `"1"`.
    Annually,
    /// `"8"`.
    SemiAnnually,
    /// `"9"`: every four months.
    Trimesterly,
    /// `"2"`.
    Quarterly,
    /// `"6"`: every two months.
    BiMonthly,
    /// `"3"`.
    Monthly,
    /// `"4"`: every two weeks.
    BiWeekly,
    /// `"7"`: on the 1st and the 15th.
    FirstAndFifteenth,
    /// `"5"`.
    Weekly,
    /// `"A"`.
    Daily,
    /// Any other code, sent as given.
    Other(String),
}

impl Frequency {
    /// The code sent to PayTrace.
    pub fn code(&self) -> &str {
        match self {
            Frequency::Annually => "1",
            Frequency::SemiAnnually => "8",
            Frequency::Trimesterly => "9",
            Frequency::Quarterly => "2",
            Frequency::BiMonthly => "6",
            Frequency::Monthly => "3",
            Frequency::BiWeekly => "4",
            Frequency::FirstAndFifteenth => "7",
            Frequency::Weekly => "5",
            Frequency::Daily => "A",
            Frequency::Other(code) => code,
        }
    }
}

impl Serialize for Frequency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

/// Whether each run is a sale or an authorization (`transaction_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum RecurringKind {
    /// `"Sale"`.
    Sale,
    /// `"Authorization"`.
    Authorization,
}

/// A new recurring payment: the `recurrence` object of `/v1/recurrence/create`.
///
/// `customer_id` goes inside the `recurrence` object, as the v1 field list shows it (its
/// placement is UNCONFIRMED; v3 puts it at the top level).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NewRecurrence {
    /// The vault profile charged.
    pub customer_id: String,
    /// First run, sent as `MM/DD/YYYY`.
    #[serde(serialize_with = "paytrace_date")]
    pub start_date: NaiveDate,
    /// How often.
    pub frequency: Frequency,
    /// How many runs; 999 means until cancelled.
    pub total_count: u32,
    /// The amount of each run.
    pub amount: Amount,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Sale (default) or authorization.
    pub transaction_type: RecurringKind,
}

impl NewRecurrence {
    /// `total_count` that means "until cancelled".
    pub const UNTIL_CANCELLED: u32 = 999;

    /// A recurring sale of `amount` to `customer_id`, `total_count` times from `start_date`.
    pub fn new(
        customer_id: impl Into<String>,
        amount: Amount,
        frequency: Frequency,
        start_date: NaiveDate,
        total_count: u32,
    ) -> Self {
        NewRecurrence {
            customer_id: customer_id.into(),
            start_date,
            frequency,
            total_count,
            amount,
            description: None,
            transaction_type: RecurringKind::Sale,
        }
    }

    /// Sets the description.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Runs authorizations instead of sales.
    #[must_use]
    pub fn authorizations(mut self) -> Self {
        self.transaction_type = RecurringKind::Authorization;
        self
    }
}

/// Changes to a recurring payment: the `recurrence` object of `/v1/recurrence/update`, with
/// only the fields set.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct RecurrenceUpdate {
    /// The recurring payment.
    pub id: RecurrenceId,
    /// New next run date.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "opt_paytrace_date"
    )]
    pub start_date: Option<NaiveDate>,
    /// New frequency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency: Option<Frequency>,
    /// New run count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_count: Option<u32>,
    /// New amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// New description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[allow(clippy::ref_option)] // serde's `serialize_with` passes `&Option<T>`
fn opt_paytrace_date<S: Serializer>(date: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
    match date {
        Some(date) => paytrace_date(date, s),
        None => s.serialize_none(),
    }
}

impl RecurrenceUpdate {
    /// An update of `id` that changes nothing yet; set the public fields to change.
    pub fn new(id: RecurrenceId) -> Self {
        RecurrenceUpdate {
            id,
            start_date: None,
            frequency: None,
            total_count: None,
            amount: None,
            description: None,
        }
    }
}

#[derive(Serialize)]
struct Wrapped<T> {
    recurrence: T,
}

#[derive(Serialize)]
struct IdOnly {
    id: RecurrenceId,
}

/// A recurring payment as PayTrace returns it: its `id` and whatever else it sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RecurrenceRecord {
    /// The id.
    #[serde(default)]
    pub id: Option<RecurrenceId>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// PayTrace's answer to create, update and delete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RecurrenceResponse {
    /// `success`.
    #[serde(default)]
    pub success: bool,
    /// 150 created, 151 updated, 152 deleted.
    pub response_code: ResponseCode,
    /// PayTrace's text.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub status_message: Option<String>,
    /// The recurring payment (create).
    #[serde(default)]
    pub recurrence: Option<RecurrenceRecord>,
    /// Fields this crate does not model, kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct ApprovedList {
    /// The array name is UNCONFIRMED; the records are shaped as in transaction exports.
    #[serde(default, alias = "recurrences")]
    transactions: Vec<TransactionRecord>,
}

impl Recurrence<'_> {
    /// Creates a recurring payment: `POST /v1/recurrence/create` (code 150). Never resent
    /// once it may have reached PayTrace.
    ///
    /// # Errors
    /// [`Error::Api`](crate::Error::Api) when PayTrace refuses (30 for an unknown profile);
    /// [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown) when the answer was lost
    /// (check the profile's schedules in the Virtual Terminal before creating another);
    /// transport errors.
    pub async fn create(&self, recurrence: &NewRecurrence) -> Result<RecurrenceResponse> {
        let op = operation!(
            "paytrace.recurrence_create",
            "/v1/recurrence/create",
            NonIdempotent
        );
        self.client.send(op, &Wrapped { recurrence }).await
    }

    /// Updates a recurring payment: `POST /v1/recurrence/update` (code 151; path
    /// UNCONFIRMED, by analogy with create and delete).
    ///
    /// # Errors
    /// [`Error::Api`](crate::Error::Api), transport errors after the retries.
    pub async fn update(&self, update: &RecurrenceUpdate) -> Result<RecurrenceResponse> {
        let op = operation!(
            "paytrace.recurrence_update",
            "/v1/recurrence/update",
            Idempotent
        );
        self.client.send(op, &Wrapped { recurrence: update }).await
    }

    /// Deletes a recurring payment: `POST /v1/recurrence/delete` (code 152).
    ///
    /// # Errors
    /// As [`update`](Self::update).
    pub async fn delete(&self, id: RecurrenceId) -> Result<RecurrenceResponse> {
        let op = operation!(
            "paytrace.recurrence_delete",
            "/v1/recurrence/delete",
            Idempotent
        );
        self.client
            .send(
                op,
                &Wrapped {
                    recurrence: IdOnly { id },
                },
            )
            .await
    }

    /// The approved recurring charges of a vault profile:
    /// `POST /v1/recurrence/export_approved`.
    ///
    /// # Errors
    /// As [`update`](Self::update), and decoding errors.
    pub async fn export_approved(&self, customer_id: &str) -> Result<Vec<TransactionRecord>> {
        let op = operation!(
            "paytrace.recurrence_export_approved",
            "/v1/recurrence/export_approved",
            Idempotent
        );
        let list: ApprovedList = self
            .client
            .send(
                op,
                &ByCustomerId {
                    customer_id: Some(customer_id),
                },
            )
            .await?;
        Ok(list.transactions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn create_wraps_the_recurrence_object() {
        let start = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        let body = Wrapped {
            recurrence: &NewRecurrence::new(
                "cust-1",
                Amount::parse("9.99").unwrap(),
                Frequency::Monthly,
                start,
                NewRecurrence::UNTIL_CANCELLED,
            )
            .description("Gold plan"),
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"recurrence": {
                "customer_id": "cust-1", "start_date": "07/01/2026", "frequency": "3",
                "total_count": 999, "amount": "9.99", "description": "Gold plan",
                "transaction_type": "Sale"
            }})
        );
        let update = RecurrenceUpdate {
            amount: Some(Amount::parse("12").unwrap()),
            ..RecurrenceUpdate::new(RecurrenceId(5))
        };
        assert_eq!(
            serde_json::to_value(Wrapped {
                recurrence: &update
            })
            .unwrap(),
            json!({"recurrence": {"id": 5, "amount": "12.00"}})
        );
    }
}
