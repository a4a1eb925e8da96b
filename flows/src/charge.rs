//! Exactly-once PayTrace charges of a vault profile, keyed by a business key.
//!
//! PayTrace v1 has no idempotency key, and a sale whose answer was lost must never be resent
//! blindly. [`charge`] makes a charge happen once per business key (an Opportunity id, an
//! order id) however often it is called — after a crash, on a rerun, on a replayed event —
//! through the [ledger](crate::store::ledger):
//!
//! | the ledger entry of the key | what [`charge`] does |
//! |---|---|
//! | none, or failed retryably (certainly not charged) | claims it, sends the sale, records the answer |
//! | completed | returns the payment recorded then ([`Charged::Earlier`]) |
//! | unknown (answer lost), or in progress from an earlier process (crash) | **reconciles first**: PayTrace's export by `invoice_id` around the time of the claim; a charge found is the outcome ([`Charged::Reconciled`]); none found: claims again and sends the sale |
//! | in progress in this process | leaves it to its claimer ([`ChargeOutcome::Busy`]) |
//! | failed for good | the failure |
//!
//! A decline is an answer: it completes the entry, and a deliberate new attempt (dunning)
//! uses its own key (`IdempotencyKey::derive_attempt`). A sale PayTrace refused (a validation
//! error, an unknown vault profile, throttling that outlasted the retries) certainly did not
//! charge: the entry fails retryably, so a replay may try again; a refusal that may pass
//! (throttling, a session expired under a refresh) is sent again at once. One call sends at
//! most five sales for a key, each only after the one before is known not to have charged.

use std::collections::BTreeMap;

use canonical_model::{Payment, PaymentStatus, TransactionKind};
use chrono::{DateTime, Utc};
use mapping::idempotency::IdempotencyKey;
use mapping::retry::ErrorKind;
use paytrace_client::exports::TransactionRecord;
use paytrace_client::{Amount, CustomerPayment};
use serde_json::{Value, json};
use tracing::Instrument;

use crate::report::{Action, Target};
use crate::step::{Step, StepFailure, step_span};
use crate::store::{Claim, Entry, EntryState};

/// The step name of the sale in spans and dead letters.
pub const SALE_STEP: &str = "paytrace.sale";
/// The step name of reading a sale back from PayTrace's export.
pub const EXPORT_STEP: &str = "paytrace.export_by_id";
/// The step name of the reconciliation after a lost answer.
pub const RECONCILE_STEP: &str = "paytrace.reconcile";

/// The most sales one call of [`charge`] sends for a key, each after reconciliation proved
/// the one before was not made.
const MAX_SALES: usize = 5;

/// A charge to make once.
#[derive(Debug, Clone, PartialEq)]
pub struct ChargeRequest {
    /// The ledger key's namespace (`opportunity-sale`, `order-sale`).
    pub namespace: &'static str,
    /// The business key (the Opportunity or order id): one charge per key and namespace.
    pub business_key: String,
    /// PayTrace's `invoice_id`, which reconciliation searches by (usually the business key).
    pub invoice_id: String,
    /// The amount.
    pub amount: Amount,
    /// The PayTrace vault profile charged.
    pub customer_id: String,
    /// PayTrace's `description`.
    pub description: Option<String>,
    /// PayTrace's `discretionary_data`: enrichment the merchant sees with the transaction.
    pub discretionary: BTreeMap<String, String>,
    /// Set as the payment's `metadata`, however the payment was obtained (custom fields the
    /// field-mapping engine carries to Salesforce).
    pub metadata: BTreeMap<String, Value>,
}

impl ChargeRequest {
    /// The ledger key of this charge.
    pub fn key(&self) -> IdempotencyKey {
        IdempotencyKey::derive(self.namespace, &[&self.business_key])
    }
}

/// How the payment of a [`Charge`] was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charged {
    /// This call sent the sale.
    New,
    /// An earlier sale whose answer was lost, found in PayTrace's export.
    Reconciled,
    /// Recorded in the ledger by an earlier run.
    Earlier,
}

/// A charge's payment (approved or declined: check `payment.status`).
#[derive(Debug, Clone, PartialEq)]
pub struct Charge {
    /// The payment as the canonical model has it, with the request's references.
    pub payment: Payment,
    /// How it was obtained.
    pub how: Charged,
}

/// What [`charge`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum ChargeOutcome {
    /// The key's charge: made now, found, or made before.
    Charged(Box<Charge>),
    /// Another task of this process holds the key; it will record the outcome.
    Busy,
}

fn ledger_failure(step: &'static str, error: &crate::Error) -> StepFailure {
    StepFailure::from_error(step, error)
}

/// Charges `request` once per key; see the [module docs](self).
///
/// Counts the PayTrace `sale` row of `step`'s recorder: created (new or reconciled) or
/// skipped (earlier).
///
/// # Errors
/// A [`StepFailure`] of [`SALE_STEP`] when PayTrace refused the sale (nothing was charged:
/// a replay may try again), or of [`RECONCILE_STEP`] with kind
/// [`OutcomeUnknown`](ErrorKind::OutcomeUnknown) when a lost answer could not be
/// reconciled (nothing will be charged for this key until it is); the ledger's errors.
pub async fn charge(
    step: &Step<'_>,
    request: &ChargeRequest,
) -> Result<ChargeOutcome, StepFailure> {
    let ledger = &step.systems.stores.ledger;
    let key = request.key();
    let intent = json!({
        "invoice_id": request.invoice_id,
        "amount": request.amount.as_decimal().to_string(),
        "customer_id": request.customer_id,
    });
    let mut claim = ledger
        .begin(key.as_str(), intent.clone())
        .await
        .map_err(|e| ledger_failure(SALE_STEP, &e))?;
    // Each pass sends at most one sale. A sale whose answer was lost and that reconciliation
    // shows was not made (a 5xx answered before PayTrace acted) is claimed and sent again,
    // up to MAX_SALES times in all.
    let mut refused = None;
    for _ in 0..MAX_SALES {
        let entry = match claim {
            Claim::Claimed { .. } => match sale(step, request, &key).await? {
                Sale::Made(charge) => return Ok(counted(step, *charge)),
                Sale::NotMade(entry) => {
                    claim = reclaim(step, &key, &entry).await?;
                    continue;
                }
                Sale::Refused(failure) => {
                    // Refused before PayTrace acted, for a reason that passes (throttling,
                    // an expired session raced by a refresh): the entry failed retryably,
                    // so claiming it again is safe.
                    refused = Some(failure);
                    claim = ledger
                        .begin(key.as_str(), intent.clone())
                        .await
                        .map_err(|e| ledger_failure(SALE_STEP, &e))?;
                    continue;
                }
            },
            Claim::Existing(entry) => entry,
        };
        match &entry.state {
            EntryState::Completed { outcome } => {
                let charge = Charge {
                    payment: payment_of(outcome)?,
                    how: Charged::Earlier,
                };
                return Ok(counted(step, charge));
            }
            EntryState::Failed { reason, .. } => {
                return Err(StepFailure::new(
                    SALE_STEP,
                    ErrorKind::Validation,
                    reason.clone(),
                ));
            }
            EntryState::InProgress { orphaned: false } => return Ok(ChargeOutcome::Busy),
            EntryState::InProgress { orphaned: true } | EntryState::Unknown { .. } => {
                if let Some(charge) = reconcile(step, request, &key, &entry).await? {
                    return Ok(counted(step, charge));
                }
                claim = reclaim(step, &key, &entry).await?;
            }
        }
    }
    Err(refused.unwrap_or_else(|| {
        StepFailure::new(
            SALE_STEP,
            ErrorKind::Conflict,
            "the charge's ledger entry kept changing under this run",
        )
    }))
}

fn counted(step: &Step<'_>, charge: Charge) -> ChargeOutcome {
    let action = match charge.how {
        Charged::New | Charged::Reconciled => Action::Created,
        Charged::Earlier => Action::Skipped,
    };
    step.count(Target::PayTrace, "sale", action);
    ChargeOutcome::Charged(Box::new(charge))
}

async fn reclaim(
    step: &Step<'_>,
    key: &IdempotencyKey,
    entry: &Entry,
) -> Result<Claim, StepFailure> {
    step.systems
        .stores
        .ledger
        .reclaim(key.as_str(), entry.attempt)
        .await
        .map_err(|e| ledger_failure(SALE_STEP, &e))
}

/// What [`sale`] found.
enum Sale {
    /// The sale was made (or its lost answer found).
    Made(Box<Charge>),
    /// The answer was lost and reconciliation found no charge: claim the entry again.
    NotMade(Entry),
    /// PayTrace refused the sale before acting, for a reason that may pass; the entry
    /// failed retryably.
    Refused(StepFailure),
}

/// Sends the sale of a claimed key and records its answer.
async fn sale(
    step: &Step<'_>,
    request: &ChargeRequest,
    key: &IdempotencyKey,
) -> Result<Sale, StepFailure> {
    let ledger = &step.systems.stores.ledger;
    let mut sale = CustomerPayment::new(request.amount, request.customer_id.clone())
        .invoice_id(request.invoice_id.clone());
    if let Some(description) = &request.description {
        sale = sale.description(description.clone());
    }
    for (name, value) in &request.discretionary {
        sale = sale.discretionary(name.clone(), value.clone());
    }
    let span = step_span(step.flow, SALE_STEP, step.key);
    let answer = step
        .systems
        .paytrace
        .transactions()
        .sale_by_customer(&sale)
        .instrument(span.clone())
        .await;
    let response = match answer {
        Ok(response) => response,
        Err(error) if error.kind() == ErrorKind::OutcomeUnknown => {
            span.in_scope(|| {
                tracing::warn!("the sale's answer was lost; reconciling by invoice id")
            });
            let entry = ledger
                .mark_unknown(key.as_str(), &error.to_string())
                .await
                .map_err(|e| ledger_failure(SALE_STEP, &e))?;
            return found(step, request, key, entry).await;
        }
        Err(error) => {
            let retryable = error.is_retryable();
            let failure = StepFailure::from_error(SALE_STEP, &error.into());
            ledger
                .fail(key.as_str(), &failure.reason, true)
                .await
                .map_err(|e| ledger_failure(SALE_STEP, &e))?;
            return if retryable {
                Ok(Sale::Refused(failure))
            } else {
                Err(failure)
            };
        }
    };
    let payment = match paytrace_client::canonical::payment_from_response(
        &response,
        TransactionKind::Sale,
        &request.amount,
    ) {
        Ok(mut payment) => {
            payment.created_at = Some(Utc::now());
            exported(step, payment).await
        }
        Err(error) => {
            // An answer the model cannot read (no transaction id): ask the export instead.
            let entry = ledger
                .mark_unknown(key.as_str(), &format!("unreadable sale answer: {error}"))
                .await
                .map_err(|e| ledger_failure(SALE_STEP, &e))?;
            return found(step, request, key, entry).await;
        }
    };
    let payment = with_request(payment, request);
    ledger
        .complete(key.as_str(), outcome_of(&payment))
        .await
        .map_err(|e| ledger_failure(SALE_STEP, &e))?;
    Ok(Sale::Made(Box::new(Charge {
        payment,
        how: Charged::New,
    })))
}

/// The sale as PayTrace's export records it (the masked card, the creation time, the
/// processor's texts), so a payment reads the same whether its answer arrived or was
/// reconciled; the answer's own reading when the export cannot be had.
async fn exported(step: &Step<'_>, payment: Payment) -> Payment {
    let Ok(id) = payment.id.parse::<u64>() else {
        return payment;
    };
    let record = step
        .idempotent(EXPORT_STEP, || async {
            step.systems
                .paytrace
                .exports()
                .by_id(paytrace_client::TransactionId(id), false)
                .await
        })
        .await;
    match record.map(|r| r.map(|r| paytrace_client::canonical::payment(&r))) {
        Ok(Some(Ok(exported))) => exported,
        _ => payment,
    }
}

/// Reconciles the entry of a sale whose answer was lost.
async fn found(
    step: &Step<'_>,
    request: &ChargeRequest,
    key: &IdempotencyKey,
    entry: Entry,
) -> Result<Sale, StepFailure> {
    Ok(match reconcile(step, request, key, &entry).await? {
        Some(charge) => Sale::Made(Box::new(charge)),
        None => Sale::NotMade(entry),
    })
}

/// Finds out from PayTrace's export whether the key's sale happened. `Some`: it did (or was
/// declined), and the entry is resolved; `None`: no sale was made.
async fn reconcile(
    step: &Step<'_>,
    request: &ChargeRequest,
    key: &IdempotencyKey,
    entry: &Entry,
) -> Result<Option<Charge>, StepFailure> {
    let around: DateTime<Utc> = entry.claimed_at;
    let records = step
        .idempotent(RECONCILE_STEP, || async {
            step.systems
                .paytrace
                .exports()
                .find_by_invoice(&request.invoice_id, around)
                .await
        })
        .await
        .map_err(|failure| {
            StepFailure::new(
                RECONCILE_STEP,
                ErrorKind::OutcomeUnknown,
                format!(
                    "the charge's outcome is unknown and PayTrace's export could not be read ({}); nothing will be charged until it is reconciled",
                    failure.reason
                ),
            )
        })?;
    let mut charged: Vec<&TransactionRecord> =
        records.iter().filter(|r| r.may_be_charged()).collect();
    charged.sort_by_key(|r| r.transaction_id.0);
    if charged.len() > 1 {
        tracing::error!(
            invoice_id = request.invoice_id,
            charges = charged.len(),
            "PayTrace holds several charges for one invoice id; the earliest is taken"
        );
    }
    let found = match charged.first() {
        Some(record) => Some(*record),
        None => records.iter().find(|r| {
            paytrace_client::canonical::payment(r)
                .is_ok_and(|p| p.status == PaymentStatus::Declined)
        }),
    };
    let Some(record) = found else {
        tracing::info!(
            invoice_id = request.invoice_id,
            "reconciled: no charge was made"
        );
        return Ok(None);
    };
    let payment = paytrace_client::canonical::payment(record).map_err(|e| {
        StepFailure::new(
            RECONCILE_STEP,
            ErrorKind::Decode,
            format!("the charge found cannot be read: {e}"),
        )
    })?;
    let payment = with_request(payment, request);
    step.systems
        .stores
        .ledger
        .resolve(key.as_str(), outcome_of(&payment))
        .await
        .map_err(|e| ledger_failure(RECONCILE_STEP, &e))?;
    tracing::info!(
        invoice_id = request.invoice_id,
        transaction_id = payment.id,
        "reconciled: the charge had been made"
    );
    Ok(Some(Charge {
        payment,
        how: Charged::Reconciled,
    }))
}

/// The request's references and metadata on the payment, however it was obtained.
fn with_request(mut payment: Payment, request: &ChargeRequest) -> Payment {
    payment.references.invoice_id = Some(request.invoice_id.clone());
    payment.references.customer_vault_id = Some(request.customer_id.clone());
    if payment.description.is_none() {
        payment.description = request.description.clone();
    }
    payment.metadata = request.metadata.clone();
    payment
}

fn outcome_of(payment: &Payment) -> Value {
    json!({
        "transaction_id": payment.id,
        "status": payment.status,
        "payment": payment,
    })
}

fn payment_of(outcome: &Value) -> Result<Payment, StepFailure> {
    serde_json::from_value(outcome.get("payment").cloned().unwrap_or(Value::Null)).map_err(|e| {
        StepFailure::new(
            SALE_STEP,
            ErrorKind::Decode,
            format!("the ledger's record of the charge cannot be read: {e}"),
        )
    })
}
