//! Use case 5, `recurring-billing`: the subscriptions due in Salesforce → one charge per
//! subscription and period through the PayTrace vault → the outcome to Salesforce
//! (`Payment__c`, the subscription's next date) and, for approved charges, to the ERP ledger.
//!
//! # The contract in Salesforce: `Subscription__c`
//!
//! | field | type | meaning |
//! |---|---|---|
//! | `Name` | Text | the subscription's name |
//! | `Account__c` | Lookup(Account) | who pays |
//! | `Amount__c` | Currency | the amount of each charge (USD) |
//! | `Subscription_Term__c` | Text | how often it charges: `Daily`, `Weekly`, `Bi-Weekly`, `Monthly`, `Bi-Monthly`, `Quarterly`, `Semi-Annually`, `Annually` (PayTrace's periods), or "every *n* units": `1 week`, `2 weeks`, `1 month`, `3 months`, `6 months`, `12 months`, `1 year`. Carried to each payment (`Payment__c.Subscription_Term__c`, PayTrace `discretionary_data.Subscription_Term`) |
//! | `Start_Date__c` | Date | the first charge date: monthly schedules keep its day of the month (empty: the next date) |
//! | `Next_Charge_Date__c` | Date | when the next charge is due |
//! | `Remaining_Payments__c` | Number | charges still to make (empty: until cancelled) |
//! | `Status__c` | Picklist | `Active`, `Past Due` (the last charge was declined), `Paused`, `Canceled`, `Completed` |
//! | `CustomerVaultID__c` | Text | the vault profile to charge (empty: the Account's `CustomerVaultID__c`) |
//! | `Last_Payment_ID__c`, `Last_Charge_Date__c` | Text, Date | written by the flow |
//!
//! # What one subscription does
//!
//! A subscription is due when it is `Active` or `Past Due`, has payments remaining and its
//! next date is on or before [`RecurringOptions::today`]; each run charges one period of it
//! (a subscription several periods behind catches up one period per run).
//!
//! | step | system | what |
//! |---|---|---|
//! | [`charge`] | PayTrace | a sale by vault profile, once per ledger key `subscription-charge-…` of subscription and period date, which is also the `invoice_id` reconciliation searches by |
//! | `salesforce.upsert_payment` | Salesforce | the `Payment__c` of the charge, approved or declined, with `Account__c` and `Subscription__c` |
//! | `erp.journal_entry` | ERP | for an approved charge: `SUB-<transaction id>` on the period date, debit [`RecurringOptions::debit`], credit [`RecurringOptions::credit`] |
//! | `salesforce.update_subscription` | Salesforce | next date one period on, one payment fewer, `Active` (or `Completed` after the last one); after a decline `Past Due` |
//!
//! A declined charge moves the subscription on as well: the period is billed, and collecting
//! it is left to dunning ([`failed_payment_dunning`](crate::failed_payment_dunning)), which
//! finds the decline in PayTrace. The subscription update comes last, so a subscription whose
//! earlier step failed is still due, and the next run (the charge found in the ledger, never
//! made twice) finishes it.

use std::collections::BTreeMap;

use canonical_model::{
    Currency, Frequency, Money, PaymentStatus, Subscription, SubscriptionStatus,
};
use chrono::NaiveDate;
use futures::{StreamExt, TryStreamExt, stream};
use mapping::fieldmap::Context;
use mapping::idempotency::IdempotencyKey;
use paytrace_client::Amount;
use salesforce_client::SObject;
use salesforce_client::query::soql;
use serde_json::json;
use tracing::Instrument;

use crate::charge::{ChargeOutcome, ChargeRequest, charge};
use crate::crm;
use crate::error::Result;
use crate::journal::{self, LedgerAccount, reference, two_line_entry};
use crate::once::{Failed, give_up, moved_on, on, settle_letters};
use crate::report::{Action, Outcome, Recorder, RunReport, Target};
use crate::step::{Step, StepFailure, record_span};
use crate::store::DeadLetter;
use crate::systems::Systems;

/// The flow's name, in reports, dead letters and spans.
pub const FLOW: &str = "recurring-billing";

/// The Salesforce object subscriptions are kept in.
pub const SUBSCRIPTION_OBJECT: &str = "Subscription__c";

/// The subscription fields a run reads.
const SUBSCRIPTION_FIELDS: [&str; 10] = [
    "Id",
    "Name",
    "Account__c",
    "Amount__c",
    "Subscription_Term__c",
    "Start_Date__c",
    "Next_Charge_Date__c",
    "Remaining_Payments__c",
    "Status__c",
    "CustomerVaultID__c",
];

/// The ledger namespace of a subscription's charge for one period.
pub const KEY_NAMESPACE: &str = "subscription-charge";

/// The day to bill for, the ERP accounts, and whether to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurringOptions {
    /// Charges due on or before this day are made (default: today, UTC).
    pub today: NaiveDate,
    /// Debited with an approved charge: the card clearing (bank) account. Default: bank
    /// account `USMF OPER`.
    pub debit: LedgerAccount,
    /// Credited: subscription revenue. Default: ledger account `401100`.
    pub credit: LedgerAccount,
    /// Post the entry after writing it (default `false`).
    pub post: bool,
}

impl Default for RecurringOptions {
    fn default() -> Self {
        RecurringOptions {
            today: chrono::Utc::now().date_naive(),
            debit: LedgerAccount::bank("USMF OPER"),
            credit: LedgerAccount::ledger("401100"),
            post: false,
        }
    }
}

/// Reads `Subscription_Term__c` as a [`Frequency`] (see the module docs).
///
/// ```
/// use canonical_model::Frequency;
/// use flows::recurring_billing::parse_term;
///
/// assert_eq!(parse_term("Monthly"), Some(Frequency::Monthly));
/// assert_eq!(parse_term("semi-annually"), Some(Frequency::SemiAnnually));
/// assert_eq!(parse_term("12 months"), Some(Frequency::Annually));
/// assert_eq!(parse_term("2 weeks"), Some(Frequency::BiWeekly));
/// assert_eq!(parse_term("5 months"), None);
/// ```
pub fn parse_term(term: &str) -> Option<Frequency> {
    let term = term.trim().to_lowercase().replace(['-', '_'], " ");
    let named = match term.as_str() {
        "daily" => Some(Frequency::Daily),
        "weekly" => Some(Frequency::Weekly),
        "bi weekly" | "biweekly" => Some(Frequency::BiWeekly),
        "monthly" => Some(Frequency::Monthly),
        "bi monthly" | "bimonthly" => Some(Frequency::BiMonthly),
        "quarterly" => Some(Frequency::Quarterly),
        "semi annually" | "semiannually" | "semi annual" => Some(Frequency::SemiAnnually),
        "annually" | "annual" | "yearly" => Some(Frequency::Annually),
        _ => None,
    };
    if named.is_some() {
        return named;
    }
    let (count, unit) = term.split_once(' ')?;
    let count: u32 = count.trim().parse().ok()?;
    match (count, unit.trim().trim_end_matches('s')) {
        (1, "day") => Some(Frequency::Daily),
        (1, "week") => Some(Frequency::Weekly),
        (2, "week") => Some(Frequency::BiWeekly),
        (1, "month") => Some(Frequency::Monthly),
        (2, "month") => Some(Frequency::BiMonthly),
        (3, "month") => Some(Frequency::Quarterly),
        (6, "month") => Some(Frequency::SemiAnnually),
        (12, "month") | (1, "year") => Some(Frequency::Annually),
        _ => None,
    }
}

fn parse_status(status: &str) -> Option<SubscriptionStatus> {
    match status.trim().to_lowercase().as_str() {
        "active" => Some(SubscriptionStatus::Active),
        "past due" => Some(SubscriptionStatus::PastDue),
        "paused" => Some(SubscriptionStatus::Paused),
        "canceled" | "cancelled" => Some(SubscriptionStatus::Canceled),
        "completed" => Some(SubscriptionStatus::Completed),
        _ => None,
    }
}

fn status_text(status: SubscriptionStatus) -> &'static str {
    match status {
        SubscriptionStatus::PastDue => "Past Due",
        SubscriptionStatus::Paused => "Paused",
        SubscriptionStatus::Canceled => "Canceled",
        SubscriptionStatus::Completed => "Completed",
        _ => "Active",
    }
}

/// A `Subscription__c` record as a canonical [`Subscription`] (id, vault id, amount,
/// frequency, dates, remaining payments, status, the term in `metadata`).
///
/// # Errors
/// Why the record cannot be billed, as text: an unreadable term, amount, date or status.
pub fn subscription_from_record(record: &SObject) -> std::result::Result<Subscription, String> {
    let id = record.id.clone().ok_or("the record has no Id")?;
    let term = crm::text(record, "Subscription_Term__c").ok_or("Subscription_Term__c is empty")?;
    let frequency = parse_term(&term)
        .ok_or_else(|| format!("Subscription_Term__c {term:?} is not a billing term"))?;
    let amount = crm::decimal(record, "Amount__c").ok_or("Amount__c is empty")?;
    let next_date =
        crm::date(record, "Next_Charge_Date__c").ok_or("Next_Charge_Date__c is empty")?;
    let status_field = crm::text(record, "Status__c").unwrap_or_else(|| "Active".to_owned());
    let status = parse_status(&status_field)
        .ok_or_else(|| format!("Status__c {status_field:?} is not a subscription status"))?;
    let remaining_payments = match crm::decimal(record, "Remaining_Payments__c") {
        None => None,
        Some(n) => Some(
            n.fract()
                .is_zero()
                .then(|| rust_decimal::prelude::ToPrimitive::to_u32(&n))
                .flatten()
                .ok_or_else(|| format!("Remaining_Payments__c {n} is not a count"))?,
        ),
    };
    let mut metadata = BTreeMap::new();
    metadata.insert("Subscription_Term".to_owned(), json!(term));
    Ok(Subscription {
        id,
        customer_vault_id: crm::text(record, "CustomerVaultID__c"),
        amount: Money::new(amount, Currency::USD),
        frequency,
        start_date: crm::date(record, "Start_Date__c").unwrap_or(next_date),
        next_date,
        remaining_payments,
        status,
        references: Vec::new(),
        metadata,
    })
}

/// Runs the flow for [`RecurringOptions::today`].
///
/// # Errors
/// [`Error::Salesforce`](crate::Error::Salesforce) when the subscriptions cannot be read;
/// the stores' errors. Failures of single subscriptions are in the report and the dead
/// letters.
pub async fn run(systems: &Systems, options: &RecurringOptions) -> Result<RunReport> {
    let recorder = Recorder::with_progress(FLOW, systems.settings.progress.clone());
    recorder.fact("billing day", options.today);
    let records = crm::query_all(
        &systems.salesforce,
        format!(
            "SELECT {} FROM {SUBSCRIPTION_OBJECT} WHERE Status__c IN ('Active', 'Past Due') \
             AND Next_Charge_Date__c <= {} ORDER BY Next_Charge_Date__c, Id",
            SUBSCRIPTION_FIELDS.join(", "),
            soql::literal(&options.today)
        ),
    )
    .await?;
    recorder.expect(Some(records.len() as u64));
    let vaults = account_vaults(systems, &records).await?;
    stream::iter(records)
        .map(|record| {
            let recorder = &recorder;
            let vaults = &vaults;
            async move {
                let key = record.id.clone().unwrap_or_default();
                let step = Step {
                    systems,
                    recorder,
                    flow: FLOW,
                    key: &key,
                };
                let span = record_span(FLOW, &key);
                bill(&step, options, &record, vaults).instrument(span).await
            }
        })
        .buffer_unordered(systems.settings.concurrency.max(1))
        .try_collect::<Vec<()>>()
        .await?;
    Ok(recorder.finish())
}

/// Runs the record of a dead letter of this flow again (its key is the subscription's id).
///
/// The subscription is read afresh; if it still waits for the period the letter was about
/// (its `Next_Charge_Date__c` is the one in the letter's payload), that period is billed: a
/// charge made before is found in the ledger, and only what was left is done. A subscription
/// that has moved on since, or is no longer active, has its letters marked replayed.
///
/// # Errors
/// [`Error::Salesforce`](crate::Error::Salesforce) when the subscription cannot be read; the
/// stores' errors.
pub async fn replay(
    systems: &Systems,
    letter: &DeadLetter,
    options: &RecurringOptions,
) -> Result<RunReport> {
    let recorder = Recorder::with_progress(FLOW, systems.settings.progress.clone());
    recorder.expect(Some(1));
    let record: SObject = systems
        .salesforce
        .sobjects(SUBSCRIPTION_OBJECT)
        .get(&letter.key, &SUBSCRIPTION_FIELDS)
        .await?;
    let period = "Next_Charge_Date__c";
    let still_due = record.fields.get(period) == letter.payload.get(period)
        && crm::text(&record, "Status__c").is_some_and(|s| s == "Active" || s == "Past Due");
    if still_due {
        let vaults = account_vaults(systems, std::slice::from_ref(&record)).await?;
        let step = Step {
            systems,
            recorder: &recorder,
            flow: FLOW,
            key: &letter.key,
        };
        let span = record_span(FLOW, &letter.key);
        bill(&step, options, &record, &vaults)
            .instrument(span)
            .await?;
    } else {
        moved_on(systems, &recorder, FLOW, &letter.key).await?;
    }
    Ok(recorder.finish())
}

/// The `CustomerVaultID__c` of the subscriptions' accounts.
async fn account_vaults(
    systems: &Systems,
    records: &[SObject],
) -> Result<BTreeMap<String, String>> {
    let accounts: std::collections::BTreeSet<String> = records
        .iter()
        .filter(|r| crm::text(r, "CustomerVaultID__c").is_none())
        .filter_map(|r| crm::text(r, "Account__c"))
        .collect();
    let ids: Vec<&str> = accounts.iter().map(String::as_str).collect();
    let found = crm::query_in(&systems.salesforce, &ids, |list| {
        format!("SELECT Id, CustomerVaultID__c FROM Account WHERE Id IN {list}")
    })
    .await?;
    Ok(found
        .iter()
        .filter_map(|a| Some((a.id.clone()?, crm::text(a, "CustomerVaultID__c")?)))
        .collect())
}

/// Charges one period of one subscription and records the outcome.
async fn bill(
    step: &Step<'_>,
    options: &RecurringOptions,
    record: &SObject,
    vaults: &BTreeMap<String, String>,
) -> Result<()> {
    let payload = json!(record);
    let account = crm::text(record, "Account__c");
    let checked = subscription_from_record(record).and_then(|subscription| {
        let vault = subscription
            .customer_vault_id
            .clone()
            .or_else(|| account.as_ref().and_then(|a| vaults.get(a).cloned()))
            .ok_or("neither the subscription nor its account has a CustomerVaultID__c")?;
        let amount = Amount::try_from(&subscription.amount).map_err(|e| e.to_string())?;
        Ok((subscription, vault, amount))
    });
    let (subscription, vault, amount) = match checked {
        Ok(checked) => checked,
        Err(reason) => {
            let failure = StepFailure::invalid("validate", reason);
            let failed = (failure, Target::Salesforce, SUBSCRIPTION_OBJECT);
            return give_up(step, failed, payload).await;
        }
    };
    let name = crm::text(record, "Name").unwrap_or_else(|| subscription.id.clone());
    let period = subscription.next_date;
    let business_key = format!("{}/{period}", subscription.id);
    let request = ChargeRequest {
        namespace: KEY_NAMESPACE,
        invoice_id: IdempotencyKey::derive(KEY_NAMESPACE, &[&business_key]).into_string(),
        business_key,
        amount,
        customer_id: vault,
        description: Some(format!("Subscription {name}, period of {period}")),
        discretionary: subscription
            .metadata
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect(),
        metadata: subscription.metadata.clone(),
    };
    let payment = match charge(step, &request).await {
        Ok(ChargeOutcome::Charged(charged)) => charged.payment,
        Ok(ChargeOutcome::Busy) => {
            step.recorder.finished(step.key, Outcome::Skipped);
            return Ok(());
        }
        Err(failure) => return give_up(step, (failure, Target::PayTrace, "sale"), payload).await,
    };
    match record_outcome(step, options, &subscription, account.as_deref(), &payment).await {
        Ok(outcome) => {
            settle_letters(step.systems.stores.dead_letters.as_ref(), FLOW, step.key).await?;
            step.recorder.finished(step.key, outcome);
            Ok(())
        }
        Err(failed) => give_up(step, failed, payload).await,
    }
}

/// Writes a charge's outcome: the payment, the ERP entry, the subscription last.
async fn record_outcome(
    step: &Step<'_>,
    options: &RecurringOptions,
    subscription: &Subscription,
    account: Option<&str>,
    payment: &canonical_model::Payment,
) -> std::result::Result<Outcome, Failed> {
    let systems = step.systems;
    let sf = &systems.salesforce;
    let on_salesforce = |object| on(Target::Salesforce, object);
    let mut context = Context::new();
    if let Some(account) = account {
        context = context.with("account_id", account);
    }
    let extra = [("Subscription__c", json!(subscription.id))];
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

    let approved = payment.status.is_charged();
    if approved {
        let entry = two_line_entry(
            reference("SUB", &payment.id),
            subscription.next_date,
            payment.amount,
            &options.debit,
            &options.credit,
            &format!(
                "Subscription {} charged, PayTrace transaction {}",
                subscription.id, payment.id
            ),
        );
        journal::write(
            step,
            "erp.journal_entry",
            "journal entry",
            &entry,
            options.post,
        )
        .await?;
    }

    let mut next = subscription.clone();
    next.record_charge().map_err(|e| {
        on_salesforce(SUBSCRIPTION_OBJECT)(StepFailure::invalid(
            "salesforce.update_subscription",
            e.to_string(),
        ))
    })?;
    if !approved && next.status != SubscriptionStatus::Completed {
        next.status = SubscriptionStatus::PastDue;
    }
    let update = json!({
        "Next_Charge_Date__c": next.next_date,
        "Remaining_Payments__c": next.remaining_payments,
        "Status__c": status_text(next.status),
        "Last_Payment_ID__c": payment.id,
        "Last_Charge_Date__c": subscription.next_date,
    });
    step.idempotent("salesforce.update_subscription", || async {
        sf.sobjects(SUBSCRIPTION_OBJECT)
            .update(&subscription.id, &update)
            .await
    })
    .await
    .map_err(on_salesforce(SUBSCRIPTION_OBJECT))?;
    step.count(Target::Salesforce, SUBSCRIPTION_OBJECT, Action::Updated);
    Ok(if payment.status == PaymentStatus::Declined {
        Outcome::Declined
    } else {
        Outcome::Completed
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_become_subscriptions() {
        let record: SObject = serde_json::from_value(json!({
            "attributes": {"type": "Subscription__c"},
            "Id": "a01000000000001AAA",
            "Amount__c": 49.0,
            "Subscription_Term__c": "Monthly",
            "Start_Date__c": "2026-01-31",
            "Next_Charge_Date__c": "2026-11-30",
            "Remaining_Payments__c": 3.0,
            "Status__c": "Past Due",
        }))
        .unwrap();
        let s = subscription_from_record(&record).unwrap();
        assert_eq!(s.frequency, Frequency::Monthly);
        assert_eq!(s.remaining_payments, Some(3));
        assert_eq!(s.status, SubscriptionStatus::PastDue);
        assert_eq!(s.metadata["Subscription_Term"], "Monthly");
        let mut bad = record.clone();
        bad.fields
            .insert("Subscription_Term__c".into(), json!("fortnightly-ish"));
        assert!(
            subscription_from_record(&bad)
                .unwrap_err()
                .contains("billing term")
        );
        bad.fields
            .insert("Subscription_Term__c".into(), json!("Monthly"));
        bad.fields
            .insert("Remaining_Payments__c".into(), json!(2.5));
        assert!(subscription_from_record(&bad).is_err());
    }
}
