//! Shared by the use-case tests: systems on the emulators with retries that do not sleep, and
//! the state of each emulator read through its inspection API, keyed by business ids so two
//! sandboxes (or two runs) can be compared.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::time::Duration;

use flows::store::{DeadLetter, DeadLetterFilter};
use flows::systems::{ErpFlavor, SandboxOptions, Sandboxes, Settings};
use flows::{Stores, Systems};
use mapping::retry::{RecordingSleeper, Retrier, RetryPolicy};
use sandbox::dynamics::DEFAULT_BC_COMPANY_ID;
use sandbox::fault::FaultPlan;
use serde_json::Value;

/// A retry loop that records the waits it is asked for instead of sleeping, so a 429's
/// `Retry-After` is honoured (and visible in `sleeper.delays()`) at no cost in time.
pub fn retrier(sleeper: &RecordingSleeper) -> Retrier {
    Retrier::new(
        RetryPolicy::default()
            .with_max_attempts(6)
            .with_max_retry_after(Duration::from_secs(5)),
    )
    .with_sleeper(sleeper.clone())
}

/// The three emulators with `faults` (PayTrace, Salesforce, Dynamics), clients and steps
/// retrying through `sleeper`, on `stores`.
pub async fn systems_with(
    flavor: ErpFlavor,
    faults: [FaultPlan; 3],
    stores: Stores,
    sleeper: &RecordingSleeper,
) -> Systems {
    let [paytrace_faults, salesforce_faults, dynamics_faults] = faults;
    let options = SandboxOptions {
        erp_flavor: flavor,
        paytrace_faults,
        salesforce_faults,
        dynamics_faults,
        retrier: Some(retrier(sleeper)),
        ..SandboxOptions::default()
    };
    let systems = Systems::sandbox(options, stores).await.unwrap();
    let settings = Settings {
        step_retrier: retrier(sleeper),
        ..Settings::default()
    };
    systems.with_settings(settings)
}

/// The three emulators without faults, in memory.
pub async fn systems(flavor: ErpFlavor) -> Systems {
    let none = || FaultPlan::default();
    systems_with(
        flavor,
        [none(), none(), none()],
        Stores::memory(),
        &RecordingSleeper::new(),
    )
    .await
}

/// Approved PayTrace sales per invoice id: an invoice charged twice shows 2.
pub fn charges_per_invoice(sandboxes: &Sandboxes) -> BTreeMap<String, usize> {
    let mut charges = BTreeMap::new();
    for t in sandboxes.paytrace().unwrap().emulator().transactions() {
        if t.approved() && format!("{:?}", t.kind) == "Sale" {
            *charges.entry(t.invoice_id.clone()).or_default() += 1;
        }
    }
    charges
}

/// Every PayTrace transaction as (invoice id, kind, amount, status), sorted: the charges
/// compared across sandboxes whose transaction ids differ.
pub fn paytrace_state(sandboxes: &Sandboxes) -> Vec<(String, String, String, String)> {
    let mut rows: Vec<_> = sandboxes
        .paytrace()
        .unwrap()
        .emulator()
        .transactions()
        .into_iter()
        .map(|t| {
            (
                t.invoice_id.clone(),
                format!("{:?}", t.kind),
                t.amount.to_string(),
                format!("{:?}", t.status),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// Field `field` of the Salesforce record `id` (`Null` when unset).
pub fn sf_field(systems: &Systems, id: &str, field: &str) -> Value {
    let sf = systems
        .sandboxes()
        .unwrap()
        .salesforce()
        .unwrap()
        .emulator();
    let record = sf
        .record(id)
        .unwrap_or_else(|| panic!("no Salesforce record {id}"));
    record.fields.get(field).cloned().unwrap_or(Value::Null)
}

/// The fields of every live record of `object`.
pub fn sf_records(sandboxes: &Sandboxes, object: &str) -> Vec<serde_json::Map<String, Value>> {
    sandboxes
        .salesforce()
        .unwrap()
        .emulator()
        .records(object)
        .into_iter()
        .map(|r| r.fields)
        .collect()
}

pub fn text(record: &serde_json::Map<String, Value>, field: &str) -> String {
    match record.get(field) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// `Payment__c` per Opportunity (or per order id): how many, and (status, amount) of each.
pub fn payments_by(sandboxes: &Sandboxes, field: &str) -> BTreeMap<String, Vec<(String, String)>> {
    let mut by = BTreeMap::<String, Vec<(String, String)>>::new();
    for record in sf_records(sandboxes, "Payment__c") {
        by.entry(text(&record, field))
            .or_default()
            .push((text(&record, "Status__c"), text(&record, "Amount__c")));
    }
    by
}

/// The ERP's customer payment lines per payment reference (transaction id): how many, with
/// their customer account and amount (positive).
pub fn erp_payment_lines(sandboxes: &Sandboxes) -> BTreeMap<String, Vec<(String, String)>> {
    let dynamics = sandboxes.dynamics().unwrap().emulator();
    let mut by = BTreeMap::<String, Vec<(String, String)>>::new();
    match sandboxes.erp_flavor() {
        ErpFlavor::FinanceOperations => {
            for row in dynamics.fno_rows("CustomerPaymentJournalLines") {
                let amount = row.get("CreditAmount").cloned().unwrap_or(Value::Null);
                by.entry(str_of(&row, "PaymentReference"))
                    .or_default()
                    .push((str_of(&row, "AccountDisplayValue"), decimal_text(&amount)));
            }
        }
        ErpFlavor::BusinessCentral => {
            for row in dynamics.bc_rows(DEFAULT_BC_COMPANY_ID, "customerPayments") {
                let amount = row.get("amount").cloned().unwrap_or(Value::Null);
                by.entry(str_of(&row, "externalDocumentNumber"))
                    .or_default()
                    .push((
                        str_of(&row, "customerNumber"),
                        decimal_text(&amount).trim_start_matches('-').to_owned(),
                    ));
            }
        }
    }
    by
}

/// Rows of an F&O entity set or a BC entity set of the default company.
pub fn erp_rows(sandboxes: &Sandboxes, fno_set: &str, bc_set: &str) -> Vec<Value> {
    let dynamics = sandboxes.dynamics().unwrap().emulator();
    match sandboxes.erp_flavor() {
        ErpFlavor::FinanceOperations => dynamics.fno_rows(fno_set),
        ErpFlavor::BusinessCentral => dynamics.bc_rows(DEFAULT_BC_COMPANY_ID, bc_set),
    }
}

pub fn str_of(row: &Value, field: &str) -> String {
    match row.get(field) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// A JSON number or numeric text as normalised decimal text (`12.50` → `12.5`).
pub fn decimal_text(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    text.parse::<rust_decimal::Decimal>()
        .map(|d| d.normalize().to_string())
        .unwrap_or(text)
}

/// The pending dead letters of `flow`.
pub async fn pending_letters(systems: &Systems, flow: &str) -> Vec<DeadLetter> {
    systems
        .stores
        .dead_letters
        .list(&DeadLetterFilter {
            flow: Some(flow.to_owned()),
            ..DeadLetterFilter::pending()
        })
        .await
        .unwrap()
}
