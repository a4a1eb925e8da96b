//! Use case 7, `refund`: a refund requested in Salesforce → a PayTrace void while the payment
//! is unsettled, else a refund for the transaction (full or partial) → the `Payment__c`, the
//! Opportunity and an ERP credit entry updated; exactly once per request.
//!
//! # The contract in Salesforce: `Refund_Request__c`
//!
//! | field | type | written by | meaning |
//! |---|---|---|---|
//! | `PaymentID__c` | Text(50) | the requester | the PayTrace transaction id of the payment to refund (its `Payment__c.PaymentID__c`) |
//! | `Amount__c` | Currency | the requester | how much to return; empty: everything not refunded yet |
//! | `Reason__c` | Text(255) | the requester | why (sent to PayTrace as part of the description) |
//! | `Status__c` | Picklist | both | `Requested` (the flow picks these up) → `Voided`, `Refunded` or `Rejected` |
//! | `Refund_Transaction_ID__c` | Text(50) | the flow | the PayTrace refund transaction; for a void, the voided transaction |
//! | `Processed_Date__c` | Date | the flow | when it was done |
//! | `Result__c` | Text(255) | the flow | what was done, why it was rejected, or why it waits |
//!
//! The flow also keeps `Payment__c.Refunded_Amount__c` (Currency): how much of the payment
//! has been returned so far.
//!
//! # What one request does
//!
//! The payment is read from PayTrace (its settlement state) and from Salesforce (what was
//! refunded before), and the canonical rules decide
//! ([`Payment::apply_refund`](canonical_model::Payment::apply_refund),
//! [`PaymentStatus::can_transition_to`]):
//!
//! | the payment | the request | PayTrace | `Payment__c.Status__c` |
//! |---|---|---|---|
//! | approved, not settled | the whole amount (or empty) | void | `Voided` |
//! | approved, not settled | part of it | nothing yet: waits for settlement (`Result__c` says so) | unchanged |
//! | settled or partially refunded | up to what remains (or empty: all of it) | refund for transaction | `Partially Refunded` / `Refunded` |
//! | anything else, or more than remains | | nothing: `Rejected`, dead-lettered with the reason | unchanged |
//!
//! Then: a `Payment__c` for the refund transaction (negative amount, `Refunded`), the
//! Opportunity's `Payment_Status__c`, an ERP credit entry (`RF-<refund id>` or
//! `VD-<transaction id>`: debit [`RefundOptions::debit`], credit [`RefundOptions::credit`]),
//! and last the request's own status, so that a request whose follow-up failed is still
//! `Requested` and is finished by the next run.
//!
//! # Exactly once
//!
//! The ledger key is `refund-…` of the request id. A void or refund is never sent twice: when
//! its answer is lost, PayTrace's export says what happened (a void: the transaction's status;
//! a refund: the `REFUND` transaction whose description carries the key), and a run
//! reconciles every unknown refund **before anything else**. Requests for the same payment
//! run one after the other, in creation order; one that does not finish holds the later ones
//! back, so that "what remains" is always read after the earlier refund was recorded.

use std::collections::BTreeMap;

use canonical_model::{Money, Payment, PaymentStatus, TransactionKind};
use chrono::{Days, NaiveDate, Utc};
use futures::{StreamExt, TryStreamExt, stream};
use mapping::fieldmap::Context;
use mapping::idempotency::IdempotencyKey;
use mapping::retry::ErrorKind;
use mapping::transform::status::status_to_salesforce;
use paytrace_client::exports::TransactionRecord;
use paytrace_client::{Amount, Refund, TransactionFilter, TransactionId, TransactionQuery};
use salesforce_client::SObject;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tracing::Instrument;

use crate::crm;
use crate::error::{Error, Result};
use crate::journal::{self, LedgerAccount, reference, two_line_entry};
use crate::once::{Failed, give_up, moved_on, on, settle_letters};
use crate::report::{Action, Outcome, Recorder, RunReport, Target};
use crate::step::{Step, StepFailure, record_span};
use crate::store::{Claim, DeadLetter, Entry, EntryState};
use crate::systems::Systems;

/// The flow's name, in reports, dead letters and spans.
pub const FLOW: &str = "refund";

/// The Salesforce object refunds are requested with.
pub const REQUEST_OBJECT: &str = "Refund_Request__c";

/// The request fields a run reads.
const REQUEST_FIELDS: [&str; 5] = ["Id", "PaymentID__c", "Amount__c", "Reason__c", "Result__c"];

/// The ledger namespace of a refund request.
const KEY_NAMESPACE: &str = "refund";

/// The step names of the money moves.
const VOID_STEP: &str = "paytrace.void";
const REFUND_STEP: &str = "paytrace.refund";
const RECONCILE_STEP: &str = "paytrace.reconcile";

/// The accounts of the credit entry, and whether to post it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundOptions {
    /// Debited with the amount returned: sales returns. Default: ledger account `401300`.
    pub debit: LedgerAccount,
    /// Credited: the bank account the money leaves. Default: bank account `USMF OPER`.
    pub credit: LedgerAccount,
    /// Post the entry after writing it (default `false`).
    pub post: bool,
}

impl Default for RefundOptions {
    fn default() -> Self {
        RefundOptions {
            debit: LedgerAccount::ledger("401300"),
            credit: LedgerAccount::bank("USMF OPER"),
            post: false,
        }
    }
}

/// A `Refund_Request__c` waiting to be done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefundRequest {
    /// Its Salesforce id.
    pub id: String,
    /// The PayTrace transaction to refund.
    pub transaction_id: String,
    /// How much; `None`: all that remains.
    pub amount: Option<Money>,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The money move of a request: what the ledger holds as its intent, and, with the
/// transaction that did it, as its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Move {
    /// `void` or `refund`.
    action: MoveKind,
    /// The request.
    request_id: String,
    /// The payment after the move, as the canonical model has it.
    payment: Payment,
    /// The amount returned.
    amount: Money,
    /// The transaction that did it: the refund, or for a void the payment's own; set once
    /// known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    transaction: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum MoveKind {
    Void,
    Refund,
}

impl MoveKind {
    fn status(self) -> &'static str {
        match self {
            MoveKind::Void => "Voided",
            MoveKind::Refund => "Refunded",
        }
    }
}

/// Where a request goes.
enum Plan {
    Move(Box<Move>),
    Wait(String),
    Reject(String),
}

/// How a request ended in this run; the next requests of the same payment go on only after
/// a [`Done`](Ended::Done).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    Done,
    Held,
}

/// Runs the flow: reconciles refunds whose outcome is unknown, then does every
/// `Refund_Request__c` in status `Requested`.
///
/// # Errors
/// [`Error::Salesforce`] when the requests cannot be read; the stores' errors. Failures of
/// single requests are in the report and the dead letters.
pub async fn run(systems: &Systems, options: &RefundOptions) -> Result<RunReport> {
    let recorder = Recorder::with_progress(FLOW, systems.settings.progress.clone());
    let reconciled = reconcile_unknown(systems, &recorder).await?;
    recorder.fact("unknown refunds reconciled", reconciled);

    let soql = format!(
        "SELECT {} FROM {REQUEST_OBJECT} WHERE Status__c = 'Requested' ORDER BY CreatedDate, Id",
        REQUEST_FIELDS.join(", ")
    );
    let records = crm::query_all(&systems.salesforce, soql).await?;
    recorder.expect(Some(records.len() as u64));
    let mut by_payment: BTreeMap<String, Vec<SObject>> = BTreeMap::new();
    for record in records {
        let payment = crm::text(&record, "PaymentID__c").unwrap_or_default();
        by_payment.entry(payment).or_default().push(record);
    }
    stream::iter(by_payment.into_values())
        .map(|records| {
            let recorder = &recorder;
            async move {
                let mut held = false;
                for record in records {
                    let key = record.id.clone().unwrap_or_default();
                    let span = record_span(FLOW, &key);
                    if held {
                        recorder.finished(&key, Outcome::Skipped);
                        continue;
                    }
                    let step = Step {
                        systems,
                        recorder,
                        flow: FLOW,
                        key: &key,
                    };
                    let ended = process(&step, options, &record).instrument(span).await?;
                    held = ended == Ended::Held;
                }
                Ok::<(), Error>(())
            }
        })
        .buffer_unordered(systems.settings.concurrency.max(1))
        .try_collect::<Vec<()>>()
        .await?;
    Ok(recorder.finish())
}

/// Runs the request of a dead letter of this flow again (its key is the
/// `Refund_Request__c` id), after reconciling unknown refunds as [`run`] does.
///
/// The request is read afresh: still `Requested`, it is done as a run would do it (a void or
/// refund made before is found in the ledger, and only what was left is done); otherwise it
/// has been dealt with since, and its letters are marked replayed.
///
/// # Errors
/// [`Error::Salesforce`] when the request cannot be read; the stores' errors.
pub async fn replay(
    systems: &Systems,
    letter: &DeadLetter,
    options: &RefundOptions,
) -> Result<RunReport> {
    let recorder = Recorder::with_progress(FLOW, systems.settings.progress.clone());
    reconcile_unknown(systems, &recorder).await?;
    recorder.expect(Some(1));
    let mut fields = REQUEST_FIELDS.to_vec();
    fields.push("Status__c");
    let record: SObject = systems
        .salesforce
        .sobjects(REQUEST_OBJECT)
        .get(&letter.key, &fields)
        .await?;
    if crm::text(&record, "Status__c").as_deref() == Some("Requested") {
        let step = Step {
            systems,
            recorder: &recorder,
            flow: FLOW,
            key: &letter.key,
        };
        let span = record_span(FLOW, &letter.key);
        process(&step, options, &record).instrument(span).await?;
    } else {
        moved_on(systems, &recorder, FLOW, &letter.key).await?;
    }
    Ok(recorder.finish())
}

/// Reconciles, before anything else, every refund whose outcome is unknown (its answer was
/// lost, or its run stopped while sending it): found in PayTrace → completed; certainly not
/// made → failed retryably, so the request is planned again. Returns how many were settled.
async fn reconcile_unknown(systems: &Systems, recorder: &Recorder) -> Result<usize> {
    let prefix = format!("{KEY_NAMESPACE}-");
    let mut settled = 0;
    for entry in systems.stores.ledger.unresolved().await? {
        if !entry.key.starts_with(&prefix) || !entry.needs_reconcile() {
            continue;
        }
        let Ok(intent) = serde_json::from_value::<Move>(entry.intent.clone()) else {
            continue;
        };
        let request_id = intent.request_id.clone();
        let step = Step {
            systems,
            recorder,
            flow: FLOW,
            key: &request_id,
        };
        if reconcile(&step, &entry, intent).await?.is_some() {
            settled += 1;
        }
    }
    Ok(settled)
}

/// Asks PayTrace whether the move of `entry` happened, and settles the entry: completed
/// (`Some`, with the outcome) or failed retryably. `None` without settling when PayTrace
/// cannot be read: the outcome stays unknown.
async fn reconcile(step: &Step<'_>, entry: &Entry, mut intent: Move) -> Result<Option<Move>> {
    let ledger = &step.systems.stores.ledger;
    let original = intent
        .payment
        .references
        .processor_transaction_id
        .clone()
        .unwrap_or_else(|| intent.payment.id.clone());
    let found = match intent.action {
        MoveKind::Void => voided(step, &original)
            .await
            .map(|v| v.then(|| original.clone())),
        MoveKind::Refund => refund_of(step, &entry.key, entry.claimed_at.date_naive()).await,
    };
    match found {
        Err(failure) => {
            tracing::warn!(
                key = entry.key,
                reason = failure.reason,
                "could not reconcile the refund"
            );
            Ok(None)
        }
        Ok(Some(transaction)) => {
            intent.transaction = Some(transaction);
            ledger.resolve(&entry.key, to_json(&intent)?).await?;
            tracing::info!(key = entry.key, "reconciled: the refund had been made");
            Ok(Some(intent))
        }
        Ok(None) => {
            ledger
                .fail(
                    &entry.key,
                    "reconciled: PayTrace shows no such refund",
                    true,
                )
                .await?;
            tracing::info!(key = entry.key, "reconciled: no refund was made");
            Ok(None)
        }
    }
}

/// Whether PayTrace shows transaction `id` voided.
async fn voided(step: &Step<'_>, id: &str) -> std::result::Result<bool, StepFailure> {
    let id = transaction_id(RECONCILE_STEP, id)?;
    let record = step
        .idempotent(RECONCILE_STEP, || async move {
            step.systems.paytrace.exports().by_id(id, false).await
        })
        .await?;
    Ok(record
        .as_ref()
        .and_then(|r| paytrace_client::canonical::payment(r).ok())
        .is_some_and(|p| p.status == PaymentStatus::Voided))
}

/// The `REFUND` transaction created within a day of `day` whose description carries `key`.
async fn refund_of(
    step: &Step<'_>,
    key: &str,
    day: NaiveDate,
) -> std::result::Result<Option<String>, StepFailure> {
    let first = day.checked_sub_days(Days::new(1)).unwrap_or(day);
    let last = day.checked_add_days(Days::new(1)).unwrap_or(day);
    let query = TransactionQuery::new(first, last)
        .map_err(|e| StepFailure::invalid(RECONCILE_STEP, e.to_string()))?
        .transaction_type(TransactionFilter::Refund);
    let records: Vec<TransactionRecord> = step
        .idempotent(RECONCILE_STEP, || async {
            step.systems
                .paytrace
                .exports()
                .stream(&query)
                .try_collect()
                .await
        })
        .await?;
    Ok(records
        .iter()
        .filter(|r| r.description.as_deref().is_some_and(|d| d.contains(key)))
        .map(|r| r.transaction_id.to_string())
        .min())
}

fn transaction_id(step: &'static str, id: &str) -> std::result::Result<TransactionId, StepFailure> {
    id.trim()
        .parse()
        .map(TransactionId)
        .map_err(|_| StepFailure::invalid(step, format!("{id:?} is not a PayTrace transaction id")))
}

fn to_json(value: &impl Serialize) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::Json {
        what: "a refund",
        source: e,
    })
}

/// One request: plan, move the money once, record it everywhere.
async fn process(step: &Step<'_>, options: &RefundOptions, record: &SObject) -> Result<Ended> {
    let request = match read_request(record) {
        Ok(request) => request,
        Err(reason) => {
            let id = record.id.as_deref().unwrap_or_default();
            reject(step, id, reason, json!(record)).await?;
            return Ok(Ended::Held);
        }
    };
    let payload = to_json(&request)?;
    let Some(done) = money(step, record, &request, &payload).await? else {
        return Ok(Ended::Held);
    };
    match record_everywhere(step, options, &request, &done).await {
        Ok(()) => {
            let letters = step.systems.stores.dead_letters.as_ref();
            settle_letters(letters, FLOW, step.key).await?;
            step.recorder.finished(step.key, Outcome::Completed);
            Ok(Ended::Done)
        }
        Err(failed) => {
            give_up(step, failed, payload).await?;
            Ok(Ended::Held)
        }
    }
}

/// The request's void or refund, done once: found in the ledger, or sent now. `None` when the
/// request ends here (it waits, is rejected or dead-lettered, or another task has it), with
/// how it ended recorded.
async fn money(
    step: &Step<'_>,
    record: &SObject,
    request: &RefundRequest,
    payload: &Value,
) -> Result<Option<Move>> {
    let ledger = &step.systems.stores.ledger;
    let key = IdempotencyKey::derive(KEY_NAMESPACE, &[&request.id]).into_string();
    // Twice at most: a void refused because the payment settled meanwhile is planned again.
    for _ in 0..2 {
        if let Some(entry) = ledger.get(&key).await? {
            match &entry.state {
                EntryState::Completed { outcome } => {
                    let done: Move =
                        serde_json::from_value(outcome.clone()).map_err(|source| Error::Json {
                            what: "a refund's ledger outcome",
                            source,
                        })?;
                    step.count(Target::PayTrace, kind_object(done.action), Action::Skipped);
                    return Ok(Some(done));
                }
                EntryState::Failed {
                    retryable: true, ..
                } => {}
                EntryState::Failed { .. } => {
                    step.count(Target::PayTrace, "refund", Action::Skipped);
                    step.recorder.finished(step.key, Outcome::Skipped);
                    return Ok(None);
                }
                EntryState::InProgress { .. } if !entry.needs_reconcile() => {
                    step.recorder.finished(step.key, Outcome::Skipped);
                    return Ok(None);
                }
                EntryState::InProgress { .. } | EntryState::Unknown { .. } => {
                    let failure = StepFailure::new(
                        RECONCILE_STEP,
                        ErrorKind::OutcomeUnknown,
                        "the refund's outcome is unknown and could not be reconciled with \
                         PayTrace's export; nothing is sent until it is",
                    );
                    let failed = (failure, Target::PayTrace, "refund");
                    give_up(step, failed, payload.clone()).await?;
                    return Ok(None);
                }
            }
        }
        let intent = match plan(step, request).await {
            Ok(Plan::Move(intent)) => intent,
            Ok(Plan::Wait(reason)) => {
                wait(step, record, request, reason, payload).await?;
                return Ok(None);
            }
            Ok(Plan::Reject(reason)) => {
                reject(step, &request.id, reason, payload.clone()).await?;
                return Ok(None);
            }
            Err(failed) => {
                give_up(step, failed, payload.clone()).await?;
                return Ok(None);
            }
        };
        match send(step, &key, *intent).await? {
            Sent::Done(done) => return Ok(Some(*done)),
            Sent::Replan => {}
            Sent::Busy => {
                step.recorder.finished(step.key, Outcome::Skipped);
                return Ok(None);
            }
            Sent::Refused(reason) => {
                reject(step, &request.id, reason, payload.clone()).await?;
                return Ok(None);
            }
            Sent::Failed(failure) => {
                let failed = (failure, Target::PayTrace, "refund");
                give_up(step, failed, payload.clone()).await?;
                return Ok(None);
            }
        }
    }
    step.recorder.finished(step.key, Outcome::Skipped);
    Ok(None)
}

/// Says in the request why it waits (once: nothing is written when it says so already).
async fn wait(
    step: &Step<'_>,
    record: &SObject,
    request: &RefundRequest,
    reason: String,
    payload: &Value,
) -> Result<()> {
    let reason = truncate(&reason, 255);
    if crm::text(record, "Result__c").as_deref() == Some(reason.as_str()) {
        step.count(Target::Salesforce, REQUEST_OBJECT, Action::Skipped);
        step.recorder.finished(step.key, Outcome::Skipped);
        return Ok(());
    }
    match update_request(step, &request.id, json!({ "Result__c": reason })).await {
        Ok(()) => {
            step.recorder.finished(step.key, Outcome::Skipped);
            Ok(())
        }
        Err(failed) => give_up(step, failed, payload.clone()).await,
    }
}

/// Updates the request's fields.
async fn update_request(
    step: &Step<'_>,
    request_id: &str,
    fields: Value,
) -> std::result::Result<(), Failed> {
    step.idempotent("salesforce.update_request", || async {
        step.systems
            .salesforce
            .sobjects(REQUEST_OBJECT)
            .update(request_id, &fields)
            .await
    })
    .await
    .map_err(on(Target::Salesforce, REQUEST_OBJECT))?;
    step.count(Target::Salesforce, REQUEST_OBJECT, Action::Updated);
    Ok(())
}

fn kind_object(kind: MoveKind) -> &'static str {
    match kind {
        MoveKind::Void => "void",
        MoveKind::Refund => "refund",
    }
}

/// The request's fields, checked.
fn read_request(record: &SObject) -> std::result::Result<RefundRequest, String> {
    let id = record.id.clone().ok_or("the request has no Id")?;
    let transaction_id = crm::text(record, "PaymentID__c")
        .ok_or("PaymentID__c is empty: say which payment to refund")?;
    let amount = match crm::decimal(record, "Amount__c") {
        None => None,
        Some(a) => {
            let mut money = Money::new(a, canonical_model::Currency::USD);
            if !money.is_minor_unit_exact() || !money.is_positive() {
                return Err(format!("Amount__c {a} is not a positive amount in cents"));
            }
            money.amount.rescale(2);
            Some(money)
        }
    };
    Ok(RefundRequest {
        id,
        transaction_id,
        amount,
        reason: crm::text(record, "Reason__c"),
    })
}

/// Reads the payment and decides what the request does.
async fn plan(step: &Step<'_>, request: &RefundRequest) -> std::result::Result<Plan, Failed> {
    let systems = step.systems;
    let on_paytrace = on(Target::PayTrace, "refund");
    let id =
        transaction_id("paytrace.export_by_id", &request.transaction_id).map_err(on_paytrace)?;
    let Some(record) = step
        .idempotent("paytrace.export_by_id", || async move {
            systems.paytrace.exports().by_id(id, false).await
        })
        .await
        .map_err(on_paytrace)?
    else {
        return Ok(Plan::Reject(format!(
            "PayTrace has no transaction {}",
            request.transaction_id
        )));
    };
    let mut payment = paytrace_client::canonical::payment(&record)
        .map_err(|e| on_paytrace(StepFailure::invalid("paytrace.export_by_id", e.to_string())))?;
    let existing = step
        .idempotent("salesforce.get_payment", || {
            crm::payment_record(
                &systems.salesforce,
                &request.transaction_id,
                &["Account__c", "Opportunity__c", "Refunded_Amount__c"],
            )
        })
        .await
        .map_err(|f| (f, Target::Salesforce, "Payment__c"))?;
    if let Some(existing) = &existing {
        payment.references.account_id = crm::text(existing, "Account__c");
        payment.references.opportunity_id = crm::text(existing, "Opportunity__c");
        let refunded = crm::decimal(existing, "Refunded_Amount__c").unwrap_or_default();
        if refunded > rust_decimal::Decimal::ZERO {
            payment.refunded_amount = Some(Money::new(refunded, payment.amount.currency));
            if payment.status == PaymentStatus::Settled {
                payment.status = PaymentStatus::PartiallyRefunded;
            }
        }
    }
    let remaining = payment
        .refundable_amount()
        .map_err(|e| on_paytrace(StepFailure::invalid("paytrace.export_by_id", e.to_string())))?;
    let amount = match request.amount {
        Some(amount) => Money::new(amount.amount, payment.amount.currency),
        None => remaining,
    };
    let mut after = payment.clone();
    let action = match payment.status {
        PaymentStatus::Approved if amount == payment.amount => {
            if let Err(e) = after.transition(PaymentStatus::Voided) {
                return Ok(Plan::Reject(e.to_string()));
            }
            MoveKind::Void
        }
        PaymentStatus::Approved => {
            return Ok(Plan::Wait(format!(
                "waiting for settlement: {amount} is part of the unsettled payment of {}, and \
                 only a settled payment can be refunded in part",
                payment.amount
            )));
        }
        _ => {
            if let Err(e) = after.apply_refund(&amount) {
                return Ok(Plan::Reject(format!(
                    "cannot refund {amount} of a {} payment of {}: {e}",
                    payment.status, payment.amount
                )));
            }
            MoveKind::Refund
        }
    };
    Ok(Plan::Move(Box::new(Move {
        action,
        request_id: request.id.clone(),
        payment: after,
        amount,
        transaction: None,
    })))
}

/// What [`send`] did.
enum Sent {
    Done(Box<Move>),
    /// The payment changed state under the plan (it settled before the void): plan again.
    Replan,
    Busy,
    /// PayTrace refused it for good: reject the request.
    Refused(String),
    Failed(StepFailure),
}

/// Claims the request's key and sends the void or refund once.
async fn send(step: &Step<'_>, key: &str, mut intent: Move) -> Result<Sent> {
    let ledger = &step.systems.stores.ledger;
    match ledger.begin(key, to_json(&intent)?).await? {
        Claim::Claimed { .. } => {}
        Claim::Existing(_) => return Ok(Sent::Busy),
    }
    let original = intent
        .payment
        .references
        .processor_transaction_id
        .clone()
        .unwrap_or_else(|| intent.payment.id.clone());
    let (name, answer) = match intent.action {
        MoveKind::Void => {
            let id = match transaction_id(VOID_STEP, &original) {
                Ok(id) => id,
                Err(failure) => return refused(step, key, failure.reason).await,
            };
            let span = crate::step::step_span(FLOW, VOID_STEP, step.key);
            let answer = step
                .systems
                .paytrace
                .transactions()
                .void(id)
                .instrument(span)
                .await;
            (VOID_STEP, answer)
        }
        MoveKind::Refund => {
            let id = match transaction_id(REFUND_STEP, &original) {
                Ok(id) => id,
                Err(failure) => return refused(step, key, failure.reason).await,
            };
            let amount = match Amount::try_from(&intent.amount) {
                Ok(amount) => amount,
                Err(e) => return refused(step, key, e.to_string()).await,
            };
            let refund = Refund::partial(id, amount)
                .description(format!("Refund request {} ({key})", intent.request_id));
            let span = crate::step::step_span(FLOW, REFUND_STEP, step.key);
            let answer = step
                .systems
                .paytrace
                .transactions()
                .refund_transaction(&refund)
                .instrument(span)
                .await;
            (REFUND_STEP, answer)
        }
    };
    match answer {
        Ok(response) if response.is_approved() => {
            intent.transaction = Some(match intent.action {
                MoveKind::Void => original,
                MoveKind::Refund => response
                    .transaction_id
                    .map(|id| id.to_string())
                    .unwrap_or_default(),
            });
            ledger.complete(key, to_json(&intent)?).await?;
            step.count(
                Target::PayTrace,
                kind_object(intent.action),
                Action::Created,
            );
            Ok(Sent::Done(Box::new(intent)))
        }
        Ok(response) => {
            let reason = format!(
                "PayTrace declined the {} (code {}): {}",
                kind_object(intent.action),
                response.response_code.as_u32(),
                response
                    .approval_message
                    .or(response.status_message)
                    .unwrap_or_default()
            );
            refused(step, key, reason).await
        }
        Err(error) if error.kind() == ErrorKind::OutcomeUnknown => {
            let entry = ledger.mark_unknown(key, &error.to_string()).await?;
            match reconcile(step, &entry, intent).await? {
                Some(done) => {
                    step.count(Target::PayTrace, kind_object(done.action), Action::Created);
                    Ok(Sent::Done(Box::new(done)))
                }
                None => Ok(Sent::Failed(StepFailure::new(
                    name,
                    ErrorKind::OutcomeUnknown,
                    format!("{error}; it will be reconciled or sent again by the next run"),
                ))),
            }
        }
        Err(error) if error.kind() == ErrorKind::Conflict => {
            ledger.fail(key, &error.to_string(), true).await?;
            Ok(Sent::Replan)
        }
        Err(error) if error.kind() == ErrorKind::Validation => {
            refused(step, key, error.to_string()).await
        }
        Err(error) => {
            let failure = StepFailure::from_error(name, &error.into());
            ledger.fail(key, &failure.reason, true).await?;
            Ok(Sent::Failed(failure))
        }
    }
}

/// Fails the key for good: PayTrace will not do this refund.
async fn refused(step: &Step<'_>, key: &str, reason: String) -> Result<Sent> {
    step.systems.stores.ledger.fail(key, &reason, false).await?;
    Ok(Sent::Refused(reason))
}

/// Marks the request `Rejected` with `reason` and dead-letters it.
async fn reject(step: &Step<'_>, request_id: &str, reason: String, payload: Value) -> Result<()> {
    if !request_id.is_empty() {
        let fields = json!({
            "Status__c": "Rejected",
            "Result__c": truncate(&reason, 255),
            "Processed_Date__c": Utc::now().date_naive(),
        });
        if let Err(failed) = update_request(step, request_id, fields).await {
            return give_up(step, failed, payload).await;
        }
    }
    let failure = StepFailure::invalid("refund.check_request", reason);
    give_up(step, (failure, Target::PayTrace, "refund"), payload).await
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Records a done move in Salesforce and the ERP; the request's status last.
async fn record_everywhere(
    step: &Step<'_>,
    options: &RefundOptions,
    request: &RefundRequest,
    done: &Move,
) -> std::result::Result<(), Failed> {
    let systems = step.systems;
    let sf = &systems.salesforce;
    let on_salesforce = |object| on(Target::Salesforce, object);
    let payment = &done.payment;
    let transaction = done.transaction.clone().unwrap_or_default();
    let mut context = Context::new();
    if let Some(account) = &payment.references.account_id {
        context = context.with("account_id", account.as_str());
    }
    if let Some(opportunity) = &payment.references.opportunity_id {
        context = context.with("opportunity_id", opportunity.as_str());
    }
    let refunded = payment
        .refunded_amount
        .map_or(rust_decimal::Decimal::ZERO, |m| m.amount);
    let extra = [("Refunded_Amount__c", json!(refunded))];
    let upserted = step
        .idempotent("salesforce.upsert_payment", || {
            crm::upsert_payment(sf, payment, &context, &extra)
        })
        .await
        .map_err(on_salesforce("Payment__c"))?;
    step.count(
        Target::Salesforce,
        "Payment__c",
        crm::upsert_action(&upserted),
    );

    if done.action == MoveKind::Refund {
        let mut refund = Payment::new(
            transaction.clone(),
            TransactionKind::Refund,
            PaymentStatus::Refunded,
            done.amount,
        );
        refund.created_at = Some(Utc::now());
        refund.references.processor_transaction_id = Some(transaction.clone());
        refund.references.parent_transaction_id =
            payment.references.processor_transaction_id.clone();
        refund.references.customer_vault_id = payment.references.customer_vault_id.clone();
        refund.description = request.reason.clone();
        let upserted = step
            .idempotent("salesforce.upsert_refund_payment", || {
                crm::upsert_payment(sf, &refund, &context, &[])
            })
            .await
            .map_err(on_salesforce("Payment__c"))?;
        step.count(
            Target::Salesforce,
            "Payment__c",
            crm::upsert_action(&upserted),
        );
    }

    if let Some(opportunity) = &payment.references.opportunity_id {
        let status = status_to_salesforce(payment.status).map_err(|e| {
            on_salesforce("Opportunity")(StepFailure::invalid(
                "salesforce.update_opportunity",
                e.to_string(),
            ))
        })?;
        let update = json!({ "Payment_Status__c": status });
        step.idempotent("salesforce.update_opportunity", || async {
            sf.sobjects("Opportunity")
                .update(opportunity, &update)
                .await
        })
        .await
        .map_err(on_salesforce("Opportunity"))?;
        step.count(Target::Salesforce, "Opportunity", Action::Updated);
    }

    let today = Utc::now().date_naive();
    let (prefix, what) = match done.action {
        MoveKind::Void => ("VD", "Void"),
        MoveKind::Refund => ("RF", "Refund"),
    };
    let entry = two_line_entry(
        reference(prefix, &transaction),
        today,
        done.amount,
        &options.debit,
        &options.credit,
        &format!(
            "{what} of PayTrace transaction {} (request {})",
            payment
                .references
                .processor_transaction_id
                .as_deref()
                .unwrap_or(&payment.id),
            request.id
        ),
    );
    journal::write(
        step,
        "erp.credit_entry",
        "credit entry",
        &entry,
        options.post,
    )
    .await?;

    let result = format!(
        "{what} of {} done in PayTrace ({transaction}); payment now {}",
        done.amount,
        status_to_salesforce(payment.status).unwrap_or_else(|_| "updated".to_owned())
    );
    let fields = json!({
        "Status__c": done.action.status(),
        "Refund_Transaction_ID__c": transaction,
        "Processed_Date__c": today,
        "Result__c": truncate(&result, 255),
    });
    update_request(step, &request.id, fields).await
}
