//! Use case 4, `failed-payment-dunning`: a declined charge → its `Payment__c` and the
//! Opportunity updated, a Case for the account owner, and retries by a [`DunningPolicy`]
//! (by default days 1, 3 and 7 after the decline, then stop and flag). Each retry is a new,
//! deliberate charge with a key of its own.
//!
//! A run is "as of" a day ([`DunningOptions::as_of`]): it takes in the declines PayTrace
//! recorded since the last run, then makes the retries due on or before that day.
//!
//! # Intake: a new decline
//!
//! PayTrace's export of `DECLINED` transactions, from the last window (checkpoint
//! [`INTAKE_CHECKPOINT`], an [`ExportWindow`]) to the as-of day, finds every declined sale:
//! the flagship's (whose `invoice_id` is the Opportunity id), a subscription's, any other.
//! The flow's own retries are left to the retry step. Per decline, once (ledger key
//! `dunning-open-…` of the transaction id):
//!
//! | step | system | what |
//! |---|---|---|
//! | `salesforce.upsert_payment` | Salesforce | its `Payment__c` (`Declined`), with `Decline_Reason__c`, `Dunning_Status__c` (`Scheduled` or `Flagged`) and `Next_Retry_Date__c` |
//! | `salesforce.update_opportunity` | Salesforce | the Opportunity's `Payment_Status__c` (`Past Due`, or `Payment Failed` when flagged) and `Next_Retry_Date__c` |
//! | `salesforce.upsert_case` | Salesforce | a Case (by `Tributary_Key__c`) for the owner of the account, saying why and what happens next |
//! | `checkpoint.schedule` | checkpoints | the [`DunningSchedule`] (`dunning:<transaction id>`), listed in [`OPEN_INDEX`] while open |
//!
//! The account is the `Payment__c`'s `Account__c` when Salesforce has the payment, else the
//! Account whose `CustomerVaultID__c` is the profile charged; the Opportunity is the
//! `Payment__c`'s `Opportunity__c`, else the `invoice_id` when it is an Opportunity id.
//!
//! A **hard** decline ([`DeclineReason::is_soft`] is false: expired, invalid, lost or stolen
//! card, fraud, restricted) is flagged at once: retrying the same card cannot succeed, the
//! customer must give new payment details. So is a decline of a card that is not in the
//! vault (nothing to retry with).
//!
//! # Retries
//!
//! A schedule whose next retry day has come is charged again, through the vault, by
//! [`charge`] with a key of its own per attempt (namespace
//! [`RETRY_NAMESPACE`]; the key is also the `invoice_id`, so a lost answer is reconciled by
//! PayTrace's export and never charged twice). One retry per schedule per run.
//!
//! | answer | `Payment__c` | Opportunity | Case | schedule |
//! |---|---|---|---|---|
//! | approved | a new one for the retry; the declined one `Dunning_Status__c` `Recovered` | `Paid` | closed | recovered, closed |
//! | declined, retries left, soft | a new one for the retry (`Declined`); the first one's next date | `Past Due` | next date | next retry day |
//! | declined, hard or no retries left | as above, `Dunning_Status__c` `Flagged` | `Payment Failed` | escalated, priority High | flagged, closed |
//!
//! The schedule is saved last, so a retry whose follow-up failed is still due, and the next
//! run, finding the charge in the ledger, finishes it. A recovered payment reaches the ERP
//! with the settlement batch it settles in (settlement reconciliation books batch totals).

use std::collections::BTreeSet;

use canonical_model::{DeclineReason, Money, Payment, PaymentStatus};
use chrono::{Days, NaiveDate, NaiveTime, Utc};
use futures::{StreamExt, TryStreamExt, stream};
use mapping::fieldmap::Context;
use mapping::idempotency::IdempotencyKey;
use paytrace_client::exports::TransactionRecord;
use paytrace_client::{Amount, TransactionFilter, TransactionQuery};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tracing::Instrument;

use crate::charge::{ChargeOutcome, ChargeRequest, charge};
use crate::crm::{self, NewCase};
use crate::error::{Error, Result};
use crate::once::{Failed, Turn, claim, give_up, moved_on, on, settle_letters};
use crate::report::{Action, Outcome, Recorder, RunReport, Target};
use crate::step::{Step, StepFailure, record_span};
use crate::store::{CheckpointStore, DeadLetter, ExportWindow};
use crate::systems::Systems;

/// The flow's name, in reports, dead letters and spans.
pub const FLOW: &str = "failed-payment-dunning";

/// The ledger namespace of the retry charges; their keys are also their `invoice_id`s.
pub const RETRY_NAMESPACE: &str = "dunning-retry";

/// The ledger namespace of taking in a decline.
const OPEN_NAMESPACE: &str = "dunning-open";

/// The checkpoint of the last export window of declines taken in.
pub const INTAKE_CHECKPOINT: &str = "export:dunning-declines";

/// The checkpoint listing the open schedules' transaction ids.
pub const OPEN_INDEX: &str = "dunning:open";

/// The checkpoint of one schedule: `dunning:<transaction id>`.
pub fn schedule_checkpoint(transaction_id: &str) -> String {
    format!("dunning:{transaction_id}")
}

/// When to retry a declined payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DunningPolicy {
    /// Days after the decline on which to retry, in order (default 1, 3, 7). After the last
    /// one is declined, the payment is flagged.
    pub retry_days: Vec<u32>,
}

impl Default for DunningPolicy {
    fn default() -> Self {
        DunningPolicy {
            retry_days: vec![1, 3, 7],
        }
    }
}

impl DunningPolicy {
    /// The day of retry number `retry` (1-based) of a payment declined on `declined_on`;
    /// `None` when the policy has no such retry.
    pub fn retry_day(&self, declined_on: NaiveDate, retry: u32) -> Option<NaiveDate> {
        let index = usize::try_from(retry.checked_sub(1)?).ok()?;
        let days = *self.retry_days.get(index)?;
        declined_on.checked_add_days(Days::new(u64::from(days)))
    }
}

/// The policy and the day a run is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DunningOptions {
    /// When to retry.
    pub policy: DunningPolicy,
    /// The run's day: declines up to it are taken in, retries due on or before it are made
    /// (default: today, UTC).
    pub as_of: NaiveDate,
    /// How far back the first run looks for declines (default 7 days).
    pub lookback_days: u32,
}

impl Default for DunningOptions {
    fn default() -> Self {
        DunningOptions {
            policy: DunningPolicy::default(),
            as_of: Utc::now().date_naive(),
            lookback_days: 7,
        }
    }
}

/// Where a schedule stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DunningState {
    /// Waiting for its next retry.
    Scheduled,
    /// A retry was approved.
    Recovered {
        /// The approved retry's transaction.
        recovered_by: String,
    },
    /// Stopped: a person must act.
    Flagged {
        /// Why.
        reason: String,
    },
}

/// The dunning of one declined payment, kept in the checkpoint store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DunningSchedule {
    /// The declined transaction.
    pub transaction_id: String,
    /// Its `invoice_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_id: Option<String>,
    /// The vault profile retried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_vault_id: Option<String>,
    /// The amount owed.
    pub amount: Money,
    /// The Salesforce Account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Its name, for the Case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    /// Its owner, who gets the Case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// The Opportunity paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opportunity_id: Option<String>,
    /// The day of the decline.
    pub declined_on: NaiveDate,
    /// Retries made so far.
    pub retries: u32,
    /// Why the last charge was declined.
    pub last_reason: DeclineReason,
    /// The last declined charge.
    pub last_transaction_id: String,
    /// When the next retry is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_retry: Option<NaiveDate>,
    /// Where it stands.
    #[serde(flatten)]
    pub state: DunningState,
}

impl DunningSchedule {
    /// The `Dunning_Status__c` value.
    fn status(&self) -> &'static str {
        match self.state {
            DunningState::Scheduled => "Scheduled",
            DunningState::Recovered { .. } => "Recovered",
            DunningState::Flagged { .. } => "Flagged",
        }
    }

    /// The Opportunity's `Payment_Status__c`.
    fn opportunity_status(&self) -> &'static str {
        match self.state {
            DunningState::Scheduled => "Past Due",
            DunningState::Recovered { .. } => "Paid",
            DunningState::Flagged { .. } => "Payment Failed",
        }
    }

    /// Moves on after a declined charge: the next retry day, or flagged.
    fn declined(&mut self, policy: &DunningPolicy, reason: DeclineReason, transaction: &str) {
        self.last_transaction_id = transaction.to_owned();
        self.next_retry = None;
        self.state = if !reason.is_soft() {
            DunningState::Flagged {
                reason: format!(
                    "hard decline ({}): the customer must give new payment details",
                    reason_text(&reason)
                ),
            }
        } else if self.customer_vault_id.is_none() {
            DunningState::Flagged {
                reason: "the card is not in the vault, so it cannot be retried".to_owned(),
            }
        } else {
            match policy.retry_day(self.declined_on, self.retries + 1) {
                Some(day) => {
                    self.next_retry = Some(day);
                    DunningState::Scheduled
                }
                None if self.retries == 0 => DunningState::Flagged {
                    reason: "the dunning policy has no retries".to_owned(),
                },
                None => DunningState::Flagged {
                    reason: format!(
                        "declined {} times ({}): retries exhausted",
                        self.retries + 1,
                        reason_text(&reason)
                    ),
                },
            }
        };
        self.last_reason = reason;
    }
}

fn reason_text(reason: &DeclineReason) -> String {
    match reason {
        DeclineReason::Other(text) if text.is_empty() => "declined".to_owned(),
        DeclineReason::Other(text) => text.clone(),
        other => serde_json::to_value(other)
            .ok()
            .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
            .unwrap_or_else(|| "declined".to_owned()),
    }
}

fn to_json(value: &impl Serialize, what: &'static str) -> Result<Value> {
    serde_json::to_value(value).map_err(|source| Error::Json { what, source })
}

/// Runs the flow as of [`DunningOptions::as_of`]: takes in new declines, then makes the
/// retries due.
///
/// # Errors
/// [`Error::PayTrace`] when the declines cannot be exported; the stores' errors. Failures of
/// single payments are in the report and the dead letters.
pub async fn run(systems: &Systems, options: &DunningOptions) -> Result<RunReport> {
    let recorder = Recorder::with_progress(FLOW, systems.settings.progress.clone());
    recorder.fact("as of", options.as_of);
    recorder.expect(None);
    intake(systems, &recorder, options).await?;
    retry_due(systems, &recorder, options).await?;
    Ok(recorder.finish())
}

/// Runs the record of a dead letter of this flow again (its key is the declined
/// transaction's id), as of [`DunningOptions::as_of`].
///
/// A letter of a retry (its payload is a [`DunningSchedule`]) makes that retry now if the
/// schedule, as the checkpoint store has it, still waits for it; the charge of the attempt is
/// found in the ledger if it was made. A letter of the intake (its payload is the declined
/// transaction) takes the decline in again. A letter whose schedule has moved on since is
/// marked replayed.
///
/// # Errors
/// [`Error::Mapping`] when the payload is neither; [`Error::NotFound`] when the checkpoint
/// store has no schedule for a retry's letter (replay with the stores it was written in);
/// the stores' errors.
pub async fn replay(
    systems: &Systems,
    letter: &DeadLetter,
    options: &DunningOptions,
) -> Result<RunReport> {
    let recorder = Recorder::with_progress(FLOW, systems.settings.progress.clone());
    recorder.expect(Some(1));
    let step = Step {
        systems,
        recorder: &recorder,
        flow: FLOW,
        key: &letter.key,
    };
    let span = record_span(FLOW, &letter.key);
    if serde_json::from_value::<DunningSchedule>(letter.payload.clone()).is_ok() {
        let store = systems.stores.checkpoints.as_ref();
        let name = schedule_checkpoint(&letter.key);
        // A retry's schedule is in the checkpoints the letter was written beside.
        let schedule: DunningSchedule = store
            .get(&name)
            .await?
            .ok_or(Error::NotFound {
                what: "dunning schedule",
                id: name,
            })?
            .value_as()?;
        match schedule.state {
            DunningState::Scheduled => {
                retry(&step, options, schedule).instrument(span).await?;
            }
            _ => {
                moved_on(systems, &recorder, FLOW, &letter.key).await?;
            }
        }
    } else {
        let record: TransactionRecord = serde_json::from_value(letter.payload.clone())
            .map_err(|e| Error::mapping("the dead letter's declined transaction", e))?;
        take_in(&step, options, &record).instrument(span).await?;
    }
    Ok(recorder.finish())
}

/// Takes in the declines since the last window.
async fn intake(systems: &Systems, recorder: &Recorder, options: &DunningOptions) -> Result<()> {
    let checkpoints = systems.stores.checkpoints.as_ref();
    let fallback = options
        .as_of
        .checked_sub_days(Days::new(u64::from(options.lookback_days)))
        .unwrap_or(options.as_of);
    // Start two days before the last window's end: export days are the merchant's, up to a
    // day off the UTC day, and a decline late that day may have come after the last run. The
    // ledger skips what was taken in already.
    let start = match checkpoints.get(INTAKE_CHECKPOINT).await? {
        Some(checkpoint) => checkpoint
            .value_as::<ExportWindow>()?
            .end
            .date_naive()
            .checked_sub_days(Days::new(2))
            .unwrap_or(fallback),
        None => fallback,
    }
    .min(options.as_of);
    let query = TransactionQuery::new(start, options.as_of)?
        .transaction_type(TransactionFilter::Declined)
        .window_days(7);
    let records: Vec<TransactionRecord> = systems
        .paytrace
        .exports()
        .stream(&query)
        .try_collect()
        .await?;
    let retry_prefix = format!("{RETRY_NAMESPACE}-");
    let mut declines: Vec<TransactionRecord> = records
        .into_iter()
        .filter(|r| r.transaction_type.as_deref() == Some("SALE"))
        .filter(|r| {
            !r.invoice_id
                .as_deref()
                .is_some_and(|i| i.starts_with(&retry_prefix))
        })
        .collect();
    declines.sort_by_key(|r| r.transaction_id);
    recorder.fact("declines found", declines.len());
    recorder.found(declines.len() as u64);

    let failed_days: Vec<Option<NaiveDate>> = stream::iter(declines)
        .map(|record| async move {
            let key = record.transaction_id.to_string();
            let step = Step {
                systems,
                recorder,
                flow: FLOW,
                key: &key,
            };
            let span = record_span(FLOW, &key);
            take_in(&step, options, &record).instrument(span).await
        })
        .buffer_unordered(systems.settings.concurrency.max(1))
        .try_collect()
        .await?;
    // A decline that could not be taken in holds the window back, so the next run sees it.
    let end = failed_days
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(options.as_of);
    let midnight = |day: NaiveDate| day.and_time(NaiveTime::MIN).and_utc();
    let window = ExportWindow {
        start: midnight(start),
        end: midnight(end.checked_add_days(Days::new(1)).unwrap_or(end)),
    };
    checkpoints
        .set(INTAKE_CHECKPOINT, to_json(&window, "an export window")?)
        .await?;
    Ok(())
}

/// Whether `id` is a Salesforce Opportunity id.
fn is_opportunity_id(id: &str) -> bool {
    id.starts_with("006")
        && matches!(id.len(), 15 | 18)
        && id.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Takes in one decline; returns its day when it failed (to hold the window back).
async fn take_in(
    step: &Step<'_>,
    options: &DunningOptions,
    record: &TransactionRecord,
) -> Result<Option<NaiveDate>> {
    let systems = step.systems;
    let transaction_id = step.key;
    let key = IdempotencyKey::derive(OPEN_NAMESPACE, &[transaction_id]).into_string();
    let payload = to_json(record, "a declined transaction")?;
    match claim(
        systems.stores.ledger.as_ref(),
        &key,
        json!({"transaction_id": transaction_id}),
    )
    .await?
    {
        Turn::Mine => {}
        _ => {
            step.count(Target::Salesforce, "Case", Action::Skipped);
            step.recorder.finished(transaction_id, Outcome::Skipped);
            return Ok(None);
        }
    }
    let opened = open(step, options, record, &key).await;
    match opened {
        Ok(()) => {
            systems
                .stores
                .ledger
                .complete(
                    &key,
                    json!({"schedule": schedule_checkpoint(transaction_id)}),
                )
                .await?;
            settle_letters(systems.stores.dead_letters.as_ref(), FLOW, transaction_id).await?;
            step.recorder.finished(transaction_id, Outcome::Completed);
            Ok(None)
        }
        Err(failed) => {
            systems
                .stores
                .ledger
                .fail(&key, &failed.0.reason, true)
                .await?;
            give_up(step, failed, payload).await?;
            let created = paytrace_client::canonical::payment(record)
                .ok()
                .and_then(|p| p.created_at)
                .map_or(options.as_of, |at| at.date_naive());
            Ok(Some(created))
        }
    }
}

/// The intake steps of one decline (see the module docs).
async fn open(
    step: &Step<'_>,
    options: &DunningOptions,
    record: &TransactionRecord,
    key: &str,
) -> std::result::Result<(), Failed> {
    let systems = step.systems;
    let sf = &systems.salesforce;
    let payment = paytrace_client::canonical::payment(record).map_err(|e| {
        on(Target::PayTrace, "decline")(StepFailure::invalid(
            "paytrace.read_decline",
            e.to_string(),
        ))
    })?;
    let reason = payment
        .processor
        .as_ref()
        .and_then(|p| p.decline_reason.clone())
        .unwrap_or_else(|| DeclineReason::Other(String::new()));
    let vault = payment
        .references
        .customer_vault_id
        .clone()
        .filter(|v| !v.is_empty());

    // Who and what the payment was for.
    let existing = step
        .idempotent("salesforce.get_payment", || {
            crm::payment_record(sf, &payment.id, &["Account__c", "Opportunity__c"])
        })
        .await
        .map_err(on(Target::Salesforce, "Payment__c"))?;
    let mut account_id = existing.as_ref().and_then(|p| crm::text(p, "Account__c"));
    if account_id.is_none()
        && let Some(vault) = &vault
    {
        account_id = step
            .idempotent("salesforce.find_account", || {
                crm::accounts_where(sf, "CustomerVaultID__c", vault, "Id")
            })
            .await
            .map_err(on(Target::Salesforce, "Case"))?
            .first()
            .and_then(|a| a.id.clone());
    }
    let opportunity_id = existing
        .as_ref()
        .and_then(|p| crm::text(p, "Opportunity__c"))
        .or_else(|| record.invoice_id.clone().filter(|i| is_opportunity_id(i)));
    let (owner_id, account_name) = match &account_id {
        Some(account) => step
            .idempotent("salesforce.get_account", || crm::account_owner(sf, account))
            .await
            .map_err(on(Target::Salesforce, "Case"))?,
        None => (None, None),
    };

    let mut schedule = DunningSchedule {
        transaction_id: payment.id.clone(),
        invoice_id: record.invoice_id.clone(),
        customer_vault_id: vault,
        amount: payment.amount,
        account_id,
        account_name,
        owner_id,
        opportunity_id,
        declined_on: payment
            .created_at
            .map_or(options.as_of, |at| at.date_naive()),
        retries: 0,
        last_reason: reason.clone(),
        last_transaction_id: payment.id.clone(),
        next_retry: None,
        state: DunningState::Scheduled,
    };
    schedule.declined(&options.policy, reason, &payment.id);

    upsert_payment(step, &schedule, &payment, &dunning_fields(&schedule)).await?;
    update_opportunity(step, &schedule).await?;
    upsert_case(step, &schedule, key).await?;
    save(step, &schedule).await
}

/// The `Payment__c` of a charge of the schedule, with its dunning fields.
async fn upsert_payment(
    step: &Step<'_>,
    schedule: &DunningSchedule,
    payment: &Payment,
    more: &[(&str, Value)],
) -> std::result::Result<(), Failed> {
    let mut context = Context::new();
    if let Some(account) = &schedule.account_id {
        context = context.with("account_id", account.as_str());
    }
    if let Some(opportunity) = &schedule.opportunity_id {
        context = context.with("opportunity_id", opportunity.as_str());
    }
    let mut extra: Vec<(&str, Value)> = more.to_vec();
    if let Some(reason) = payment
        .processor
        .as_ref()
        .and_then(|p| p.decline_reason.as_ref())
    {
        extra.push(("Decline_Reason__c", json!(reason_text(reason))));
    }
    let upserted = step
        .idempotent("salesforce.upsert_payment", || {
            crm::upsert_payment(&step.systems.salesforce, payment, &context, &extra)
        })
        .await
        .map_err(on(Target::Salesforce, "Payment__c"))?;
    step.count(
        Target::Salesforce,
        "Payment__c",
        crm::upsert_action(&upserted),
    );
    Ok(())
}

/// The dunning fields of the declined payment's `Payment__c`.
fn dunning_fields(schedule: &DunningSchedule) -> Vec<(&'static str, Value)> {
    let mut fields = vec![
        ("Dunning_Status__c", json!(schedule.status())),
        ("Dunning_Attempts__c", json!(schedule.retries)),
        ("Next_Retry_Date__c", json!(schedule.next_retry)),
    ];
    if let DunningState::Recovered { recovered_by } = &schedule.state {
        fields.push(("Recovered_By__c", json!(recovered_by)));
    }
    fields
}

/// Writes the dunning fields to the declined payment's `Payment__c`.
async fn update_original(
    step: &Step<'_>,
    schedule: &DunningSchedule,
) -> std::result::Result<(), Failed> {
    let fields: serde_json::Map<String, Value> = dunning_fields(schedule)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    step.idempotent("salesforce.update_payment", || async {
        step.systems
            .salesforce
            .sobjects(crm::PAYMENT)
            .update_by_external_id(crm::PAYMENT_ID, &schedule.transaction_id, &fields)
            .await
    })
    .await
    .map_err(on(Target::Salesforce, "Payment__c"))?;
    Ok(())
}

async fn update_opportunity(
    step: &Step<'_>,
    schedule: &DunningSchedule,
) -> std::result::Result<(), Failed> {
    let Some(opportunity) = &schedule.opportunity_id else {
        return Ok(());
    };
    let fields = json!({
        "Payment_Status__c": schedule.opportunity_status(),
        "Next_Retry_Date__c": schedule.next_retry,
    });
    step.idempotent("salesforce.update_opportunity", || async {
        step.systems
            .salesforce
            .sobjects("Opportunity")
            .update(opportunity, &fields)
            .await
    })
    .await
    .map_err(on(Target::Salesforce, "Opportunity"))?;
    step.count(Target::Salesforce, "Opportunity", Action::Updated);
    Ok(())
}

/// Opens or updates the schedule's Case (its key is the intake's ledger key).
async fn upsert_case(
    step: &Step<'_>,
    schedule: &DunningSchedule,
    key: &str,
) -> std::result::Result<(), Failed> {
    let who = schedule
        .account_name
        .as_deref()
        .unwrap_or("an unknown account");
    let (status, priority, next) = match &schedule.state {
        DunningState::Scheduled => (
            "New",
            "Medium",
            format!(
                "It will be charged again on {}. Contact the customer if it should not be.",
                schedule
                    .next_retry
                    .map_or_else(|| "-".to_owned(), |d| d.to_string())
            ),
        ),
        DunningState::Recovered { recovered_by } => (
            "Closed",
            "Medium",
            format!(
                "Recovered: retry {} was approved (transaction {recovered_by}).",
                schedule.retries
            ),
        ),
        DunningState::Flagged { reason } => (
            "Escalated",
            "High",
            format!("Dunning stopped: {reason}. Ask the customer for new payment details."),
        ),
    };
    let case = NewCase {
        key,
        subject: format!("Payment declined: {who}, {}", schedule.amount),
        description: format!(
            "PayTrace transaction {} of {} for {who} was declined on {} ({}). Retries made: {}. {next}",
            schedule.transaction_id,
            schedule.amount,
            schedule.declined_on,
            reason_text(&schedule.last_reason),
            schedule.retries,
        ),
        account_id: schedule.account_id.as_deref(),
        owner_id: schedule.owner_id.as_deref(),
        priority,
        status,
        origin: "Payment",
    };
    let upserted = step
        .idempotent("salesforce.upsert_case", || {
            crm::upsert_case(&step.systems.salesforce, &case)
        })
        .await
        .map_err(on(Target::Salesforce, "Case"))?;
    step.count(Target::Salesforce, "Case", crm::upsert_action(&upserted));
    Ok(())
}

/// Saves the schedule, then lists it as open or not.
async fn save(step: &Step<'_>, schedule: &DunningSchedule) -> std::result::Result<(), Failed> {
    let store = step.systems.stores.checkpoints.as_ref();
    let failed = |e: Error| {
        on(Target::Salesforce, "Payment__c")(StepFailure::from_error("checkpoint.schedule", &e))
    };
    let value = to_json(schedule, "a dunning schedule").map_err(failed)?;
    store
        .set(&schedule_checkpoint(&schedule.transaction_id), value)
        .await
        .map_err(failed)?;
    let open = schedule.state == DunningState::Scheduled;
    edit_index(store, &schedule.transaction_id, open)
        .await
        .map_err(failed)
}

/// The open schedules' ids.
async fn open_ids(store: &dyn CheckpointStore) -> Result<BTreeSet<String>> {
    Ok(match store.get(OPEN_INDEX).await? {
        Some(checkpoint) => checkpoint.value_as()?,
        None => BTreeSet::new(),
    })
}

/// Adds `id` to the open schedules, or removes it; safe against concurrent edits.
async fn edit_index(store: &dyn CheckpointStore, id: &str, open: bool) -> Result<()> {
    loop {
        let current = store.get(OPEN_INDEX).await?.map(|c| c.value);
        let mut ids: BTreeSet<String> = match &current {
            Some(value) => serde_json::from_value(value.clone()).map_err(|source| Error::Json {
                what: "the open dunning schedules",
                source,
            })?,
            None => BTreeSet::new(),
        };
        let changed = if open {
            ids.insert(id.to_owned())
        } else {
            ids.remove(id)
        };
        if !changed {
            return Ok(());
        }
        match store
            .compare_and_set(
                OPEN_INDEX,
                current.as_ref(),
                to_json(&ids, "the open dunning schedules")?,
            )
            .await
        {
            Ok(_) => return Ok(()),
            Err(Error::CheckpointConflict { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Makes the retries due.
async fn retry_due(systems: &Systems, recorder: &Recorder, options: &DunningOptions) -> Result<()> {
    let store = systems.stores.checkpoints.as_ref();
    let mut due = Vec::new();
    for id in open_ids(store).await? {
        let Some(checkpoint) = store.get(&schedule_checkpoint(&id)).await? else {
            edit_index(store, &id, false).await?;
            continue;
        };
        let schedule: DunningSchedule = checkpoint.value_as()?;
        if schedule.state != DunningState::Scheduled {
            edit_index(store, &id, false).await?;
        } else if schedule.next_retry.is_some_and(|day| day <= options.as_of) {
            due.push(schedule);
        }
    }
    recorder.fact("retries due", due.len());
    recorder.found(due.len() as u64);
    stream::iter(due)
        .map(|schedule| async move {
            let key = schedule.transaction_id.clone();
            let step = Step {
                systems,
                recorder,
                flow: FLOW,
                key: &key,
            };
            let span = record_span(FLOW, &key);
            retry(&step, options, schedule).instrument(span).await
        })
        .buffer_unordered(systems.settings.concurrency.max(1))
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

/// Charges one schedule again and records the answer.
async fn retry(
    step: &Step<'_>,
    options: &DunningOptions,
    mut schedule: DunningSchedule,
) -> Result<()> {
    let payload = to_json(&schedule, "a dunning schedule")?;
    let attempt = schedule.retries + 2;
    let business_key = format!("{}/attempt-{attempt}", schedule.transaction_id);
    let invoice_id = IdempotencyKey::derive(RETRY_NAMESPACE, &[&business_key]).into_string();
    let (Some(vault), Ok(amount)) = (
        schedule.customer_vault_id.clone(),
        Amount::try_from(&schedule.amount),
    ) else {
        let reason = "the schedule has no vault profile or a bad amount";
        let failure = StepFailure::invalid("validate", reason);
        return give_up(step, (failure, Target::PayTrace, "sale"), payload).await;
    };
    let request = ChargeRequest {
        namespace: RETRY_NAMESPACE,
        business_key,
        invoice_id,
        amount,
        customer_id: vault,
        description: Some(format!(
            "Retry {} of declined transaction {}",
            schedule.retries + 1,
            schedule.transaction_id
        )),
        discretionary: Default::default(),
        metadata: Default::default(),
    };
    let payment = match charge(step, &request).await {
        Ok(ChargeOutcome::Charged(charged)) => charged.payment,
        Ok(ChargeOutcome::Busy) => {
            step.recorder.finished(step.key, Outcome::Skipped);
            return Ok(());
        }
        Err(failure) => return give_up(step, (failure, Target::PayTrace, "sale"), payload).await,
    };
    schedule.retries += 1;
    let approved = payment.status.is_charged();
    if approved {
        schedule.next_retry = None;
        schedule.state = DunningState::Recovered {
            recovered_by: payment.id.clone(),
        };
    } else {
        let reason = payment
            .processor
            .as_ref()
            .and_then(|p| p.decline_reason.clone())
            .unwrap_or_else(|| DeclineReason::Other(String::new()));
        schedule.declined(&options.policy, reason, &payment.id);
    }
    let case_key =
        IdempotencyKey::derive(OPEN_NAMESPACE, &[&schedule.transaction_id]).into_string();
    let recorded = async {
        let more = [("Dunning_Retry_Of__c", json!(schedule.transaction_id))];
        upsert_payment(step, &schedule, &payment, &more).await?;
        update_original(step, &schedule).await?;
        update_opportunity(step, &schedule).await?;
        upsert_case(step, &schedule, &case_key).await?;
        save(step, &schedule).await
    }
    .await;
    match recorded {
        Ok(()) => {
            settle_letters(step.systems.stores.dead_letters.as_ref(), FLOW, step.key).await?;
            let outcome = if payment.status == PaymentStatus::Declined {
                Outcome::Declined
            } else {
                Outcome::Completed
            };
            step.recorder.finished(step.key, outcome);
            Ok(())
        }
        Err(failed) => give_up(step, failed, payload).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canonical_model::Currency;
    use rust_decimal::Decimal;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    fn schedule() -> DunningSchedule {
        DunningSchedule {
            transaction_id: "100".into(),
            invoice_id: None,
            customer_vault_id: Some("VLT-1".into()),
            amount: Money::new(Decimal::new(4_900, 2), Currency::USD),
            account_id: None,
            account_name: None,
            owner_id: None,
            opportunity_id: None,
            declined_on: day(1),
            retries: 0,
            last_reason: DeclineReason::InsufficientFunds,
            last_transaction_id: "100".into(),
            next_retry: None,
            state: DunningState::Scheduled,
        }
    }

    #[test]
    fn soft_declines_follow_the_policy_then_flag() {
        let policy = DunningPolicy::default();
        let mut s = schedule();
        s.declined(&policy, DeclineReason::InsufficientFunds, "100");
        assert_eq!(
            (s.next_retry, &s.state),
            (Some(day(2)), &DunningState::Scheduled)
        );
        for (retries, next) in [(1, Some(day(4))), (2, Some(day(8))), (3, None)] {
            s.retries = retries;
            s.declined(&policy, DeclineReason::DoNotHonor, "101");
            assert_eq!(s.next_retry, next);
        }
        assert!(
            matches!(&s.state, DunningState::Flagged { reason } if reason.contains("exhausted"))
        );
        assert_eq!(s.opportunity_status(), "Payment Failed");
    }

    #[test]
    fn hard_declines_and_cards_outside_the_vault_flag_at_once() {
        let mut s = schedule();
        s.declined(&DunningPolicy::default(), DeclineReason::ExpiredCard, "100");
        assert!(
            matches!(&s.state, DunningState::Flagged { reason } if reason.contains("expired card"))
        );
        let mut s = schedule();
        s.customer_vault_id = None;
        s.declined(
            &DunningPolicy::default(),
            DeclineReason::InsufficientFunds,
            "100",
        );
        assert!(matches!(&s.state, DunningState::Flagged { reason } if reason.contains("vault")));
        assert!(is_opportunity_id("006000000000001AAA"));
        assert!(!is_opportunity_id("subscription-charge-0123"));
    }

    #[test]
    fn schedules_round_trip_as_json() {
        let s = schedule();
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["state"], "scheduled");
        assert_eq!(serde_json::from_value::<DunningSchedule>(json).unwrap(), s);
    }
}
