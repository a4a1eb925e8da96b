//! Use case 4, `failed-payment-dunning`, end to end against the three emulators, over the
//! days of the default policy: declines taken in, a soft decline recovered on its first retry
//! (whose answer is lost), one retried until flagged, a hard decline flagged at once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use chrono::{Days, NaiveDate, Utc};
use flows::failed_payment_dunning::{
    self, DunningOptions, DunningSchedule, DunningState, OPEN_INDEX, schedule_checkpoint,
};
use flows::scenarios::{self, ScenarioPayment};
use flows::systems::ErpFlavor;
use flows::{RunReport, Systems};
use sandbox::paytrace::{TransactionKind, TransactionStatus};
use sandbox::salesforce::Record;

async fn run(systems: &Systems, as_of: NaiveDate) -> RunReport {
    let options = DunningOptions {
        as_of,
        ..DunningOptions::default()
    };
    let report = failed_payment_dunning::run(systems, &options)
        .await
        .unwrap();
    println!("{report}");
    report
}

async fn schedule(systems: &Systems, payment: &ScenarioPayment) -> DunningSchedule {
    systems
        .stores
        .checkpoints
        .get(&schedule_checkpoint(&payment.transaction_id))
        .await
        .unwrap()
        .unwrap()
        .value_as()
        .unwrap()
}

fn payment_record(systems: &Systems, transaction_id: &str) -> Record {
    let sf = systems
        .sandboxes()
        .unwrap()
        .salesforce()
        .unwrap()
        .emulator();
    sf.records("Payment__c")
        .into_iter()
        .find(|r| r.fields["PaymentID__c"] == transaction_id)
        .unwrap_or_else(|| panic!("no Payment__c {transaction_id}"))
}

fn case_of(systems: &Systems, payment: &ScenarioPayment) -> Record {
    let sf = systems
        .sandboxes()
        .unwrap()
        .salesforce()
        .unwrap()
        .emulator();
    let cases: Vec<Record> = sf
        .records("Case")
        .into_iter()
        .filter(|c| {
            c.fields["Description"]
                .as_str()
                .is_some_and(|d| d.contains(&payment.transaction_id))
        })
        .collect();
    assert_eq!(cases.len(), 1, "one Case per declined payment");
    cases.into_iter().next().unwrap()
}

fn opportunity_status(systems: &Systems, payment: &ScenarioPayment) -> String {
    let sf = systems
        .sandboxes()
        .unwrap()
        .salesforce()
        .unwrap()
        .emulator();
    let opportunity = sf
        .record(payment.opportunity_id.as_deref().unwrap())
        .unwrap();
    opportunity.fields["Payment_Status__c"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn sales(systems: &Systems) -> Vec<sandbox::paytrace::Transaction> {
    let paytrace = systems.sandboxes().unwrap().paytrace().unwrap().emulator();
    paytrace
        .transactions()
        .into_iter()
        .filter(|t| t.kind == TransactionKind::Sale)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declines_are_dunned_by_the_policy_then_recovered_or_flagged() {
    let systems = support::systems(ErpFlavor::FinanceOperations).await;
    let s = scenarios::dunning(&systems).await.unwrap();
    let sandboxes = systems.sandboxes().unwrap();
    let paytrace = sandboxes.paytrace().unwrap();
    let dynamics = sandboxes.dynamics().unwrap().emulator();
    let erp_rows = |set: &str| dynamics.fno_rows(set).len();
    let erp_before = (
        erp_rows("LedgerJournalHeaders"),
        erp_rows("CustomerPaymentJournalLines"),
    );
    let day0 = Utc::now().date_naive();
    let day = |n: u64| day0.checked_add_days(Days::new(n)).unwrap();

    // Day 0: the three declines are taken in.
    let report = run(&systems, day0).await;
    assert_eq!(report.records.completed, 3, "{report}");
    for (payment, status, next) in [
        (&s.recovers, "Scheduled", Some(day(1))),
        (&s.keeps_failing, "Scheduled", Some(day(1))),
        (&s.hard, "Flagged", None),
    ] {
        let record = payment_record(&systems, &payment.transaction_id);
        assert_eq!(record.fields["Status__c"], "Declined");
        assert_eq!(record.fields["Dunning_Status__c"], status);
        assert_eq!(record.fields["Account__c"], payment.account_id.as_str());
        assert_eq!(schedule(&systems, payment).await.next_retry, next);
        let case = case_of(&systems, payment);
        assert_eq!(case.fields["AccountId"], payment.account_id.as_str());
        assert!(
            case.fields["OwnerId"]
                .as_str()
                .is_some_and(|o| o.starts_with("005"))
        );
    }
    assert_eq!(case_of(&systems, &s.hard).fields["Priority"], "High");
    assert_eq!(case_of(&systems, &s.hard).fields["Status"], "Escalated");
    assert_eq!(opportunity_status(&systems, &s.hard), "Payment Failed");
    assert_eq!(opportunity_status(&systems, &s.recovers), "Past Due");
    assert_eq!(sales(&systems).len(), 3);
    assert!(
        !run(&systems, day0).await.changed_anything(),
        "taken in once"
    );

    // Day 1: the first customer has funds again; the first retry's answer is lost.
    s.recover(&systems).unwrap();
    paytrace
        .faults()
        .drop_next_response("/v1/transactions/sale/by_customer");
    let report = run(&systems, day(1)).await;
    assert_eq!(paytrace.faults().counts().dropped_responses, 1);
    assert_eq!(
        (report.records.completed, report.records.declined),
        (1, 1),
        "{report}"
    );
    assert_eq!(sales(&systems).len(), 5, "one retry each, none twice");
    let recovered = schedule(&systems, &s.recovers).await;
    let DunningState::Recovered {
        recovered_by: transaction_id,
    } = &recovered.state
    else {
        panic!("{recovered:?}");
    };
    let retry = payment_record(&systems, transaction_id);
    assert_eq!(retry.fields["Status__c"], "Completed");
    assert_eq!(
        retry.fields["Dunning_Retry_Of__c"],
        s.recovers.transaction_id.as_str()
    );
    let original = payment_record(&systems, &s.recovers.transaction_id);
    assert_eq!(original.fields["Dunning_Status__c"], "Recovered");
    assert_eq!(original.fields["Recovered_By__c"], transaction_id.as_str());
    assert_eq!(case_of(&systems, &s.recovers).fields["Status"], "Closed");
    assert_eq!(opportunity_status(&systems, &s.recovers), "Paid");
    assert_eq!(
        schedule(&systems, &s.keeps_failing).await.next_retry,
        Some(day(3))
    );
    assert!(
        !run(&systems, day(1)).await.changed_anything(),
        "retried once per day"
    );

    // Days 3 and 7: the second customer keeps declining; after the last retry it is flagged.
    run(&systems, day(3)).await;
    assert_eq!(
        schedule(&systems, &s.keeps_failing).await.next_retry,
        Some(day(7))
    );
    run(&systems, day(7)).await;
    let flagged = schedule(&systems, &s.keeps_failing).await;
    assert_eq!(flagged.retries, 3);
    assert!(
        matches!(&flagged.state, DunningState::Flagged { reason } if reason.contains("exhausted"))
    );
    let case = case_of(&systems, &s.keeps_failing);
    assert_eq!(
        (
            case.fields["Status"].as_str(),
            case.fields["Priority"].as_str()
        ),
        (Some("Escalated"), Some("High"))
    );
    assert_eq!(
        opportunity_status(&systems, &s.keeps_failing),
        "Payment Failed"
    );
    let open: Vec<String> = systems
        .stores
        .checkpoints
        .get(OPEN_INDEX)
        .await
        .unwrap()
        .unwrap()
        .value_as()
        .unwrap();
    assert!(open.is_empty());

    // Nothing is left to do, and dunning never touched the ERP.
    assert!(!run(&systems, day(8)).await.changed_anything());
    let all = sales(&systems);
    assert_eq!(
        all.len(),
        7,
        "3 declines, 1 recovery, 3 retries of the stubborn one"
    );
    assert_eq!(
        all.iter()
            .filter(|t| t.status != TransactionStatus::Declined)
            .count(),
        1
    );
    assert_eq!(
        (
            erp_rows("LedgerJournalHeaders"),
            erp_rows("CustomerPaymentJournalLines")
        ),
        erp_before
    );
}
