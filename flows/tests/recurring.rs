//! Use case 5, `recurring-billing`, end to end against the three emulators: charges due today,
//! a decline, a subscription that cannot be billed, a lost sale answer, a failed Salesforce
//! write finished by the next run, and a rerun that does nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use chrono::{Days, Months, NaiveDate, Utc};
use flows::Systems;
use flows::recurring_billing::{self, RecurringOptions, SUBSCRIPTION_OBJECT};
use flows::scenarios;
use flows::systems::ErpFlavor;
use sandbox::fault::{FaultAction, FaultRule};
use sandbox::paytrace::{TransactionKind, TransactionStatus};
use serde_json::Value;

fn field(systems: &Systems, id: &str, name: &str) -> Value {
    let sf = systems
        .sandboxes()
        .unwrap()
        .salesforce()
        .unwrap()
        .emulator();
    sf.record(id)
        .unwrap()
        .fields
        .get(name)
        .cloned()
        .unwrap_or(Value::Null)
}

fn date(value: &Value) -> NaiveDate {
    value.as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_due_are_charged_once_and_recorded_everywhere() {
    let systems = support::systems(ErpFlavor::FinanceOperations).await;
    let today = Utc::now().date_naive();
    let s = scenarios::recurring(&systems, today).unwrap();
    let sandboxes = systems.sandboxes().unwrap();
    let paytrace = sandboxes.paytrace().unwrap();
    let sf = sandboxes.salesforce().unwrap();
    let dynamics = sandboxes.dynamics().unwrap().emulator();

    // A sale's answer is lost (reconciled by invoice id), and one subscription's final update
    // fails (finished by the next run).
    paytrace
        .faults()
        .drop_next_response("/v1/transactions/sale/by_customer");
    let version = systems.salesforce.api_version().path_segment();
    let broken = &s.due[1];
    sf.faults().add_rule(
        FaultRule::path(
            format!("/services/data/{version}/sobjects/{SUBSCRIPTION_OBJECT}/{broken}"),
            FaultAction::status(400),
        )
        .times(1),
    );

    let options = RecurringOptions {
        today,
        ..RecurringOptions::default()
    };
    let report = recurring_billing::run(&systems, &options).await.unwrap();
    println!("{report}");
    assert_eq!(paytrace.faults().counts().dropped_responses, 1);
    assert_eq!(report.records.seen, 6, "{report}");
    assert_eq!(report.records.completed, 3, "{report}");
    assert_eq!(report.records.declined, 1, "{report}");
    assert_eq!(report.records.dead_lettered, 2, "{report}");

    let finish = recurring_billing::run(&systems, &options).await.unwrap();
    println!("{finish}");
    assert_eq!(
        finish.records.completed, 1,
        "the failed update is finished: {finish}"
    );
    assert_eq!(
        finish
            .row(flows::report::Target::PayTrace, "sale")
            .map(|r| (r.created, r.skipped)),
        Some((0, 1))
    );

    // PayTrace: one sale per subscription due, never two.
    let sales: Vec<_> = paytrace
        .emulator()
        .transactions()
        .into_iter()
        .filter(|t| t.kind == TransactionKind::Sale)
        .collect();
    assert_eq!(sales.len(), 5, "four approved and one declined");
    assert_eq!(
        sales
            .iter()
            .filter(|t| t.status == TransactionStatus::Declined)
            .count(),
        1
    );

    // Salesforce: the subscriptions moved on, payments recorded.
    let monthly = &s.due[0];
    assert!(date(&field(&systems, monthly, "Next_Charge_Date__c")) > today);
    assert_eq!(
        field(&systems, monthly, "Remaining_Payments__c").as_f64(),
        Some(9.0)
    );
    assert_eq!(
        date(&field(&systems, broken, "Next_Charge_Date__c")),
        today.checked_add_months(Months::new(3)).unwrap()
    );
    let yearly = &s.due[2];
    assert_eq!(
        field(&systems, yearly, "Status__c"),
        "Active",
        "past due, now paid"
    );
    assert_eq!(
        date(&field(&systems, yearly, "Next_Charge_Date__c")),
        today.checked_add_months(Months::new(12)).unwrap()
    );
    assert_eq!(field(&systems, &s.last_payment, "Status__c"), "Completed");
    assert_eq!(field(&systems, &s.declines, "Status__c"), "Past Due");
    assert_eq!(
        date(&field(&systems, &s.declines, "Next_Charge_Date__c")),
        today.checked_add_days(Days::new(7)).unwrap()
    );
    assert!(field(&systems, &s.no_vault, "Last_Payment_ID__c").is_null());
    for id in &s.not_due {
        assert!(field(&systems, id, "Last_Payment_ID__c").is_null());
    }
    let payments = sf.emulator().records("Payment__c");
    assert_eq!(payments.len(), 5);
    let last = field(&systems, monthly, "Last_Payment_ID__c");
    let payment = payments
        .iter()
        .find(|p| p.fields["PaymentID__c"] == last)
        .unwrap();
    assert_eq!(payment.fields["Status__c"], "Completed");
    assert_eq!(payment.fields["Subscription__c"], monthly.as_str());
    assert_eq!(payment.fields["Subscription_Term__c"], "Monthly");

    // The ERP: one journal entry per approved charge.
    let entries: Vec<Value> = dynamics
        .fno_rows("LedgerJournalHeaders")
        .into_iter()
        .filter(|h| {
            h["Description"]
                .as_str()
                .is_some_and(|d| d.starts_with("SUB-"))
        })
        .collect();
    assert_eq!(entries.len(), 4);

    // The same day again: nothing.
    let again = recurring_billing::run(&systems, &options).await.unwrap();
    println!("{again}");
    assert!(!again.changed_anything(), "{again}");
    assert_eq!(paytrace.emulator().transactions().len(), 5);
}
