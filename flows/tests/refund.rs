//! Use case 7, `refund`, end to end against the three emulators: void or refund by
//! settlement state, a partial refund then the rest, requests that wait or are rejected, a
//! rerun, and refunds whose answer was lost.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use flows::Systems;
use flows::refund::{self, REQUEST_OBJECT, RefundOptions};
use flows::scenarios::{self, RefundScenario};
use flows::store::DeadLetterFilter;
use flows::systems::ErpFlavor;
use rust_decimal::Decimal;
use sandbox::paytrace::{TransactionKind, TransactionStatus};
use sandbox::salesforce::Record;
use serde_json::Value;

const REFUND_PATH: &str = "/v1/transactions/refund/for_transaction";

async fn systems() -> Systems {
    support::systems(ErpFlavor::FinanceOperations).await
}

fn record(systems: &Systems, id: &str) -> Record {
    let sf = systems
        .sandboxes()
        .unwrap()
        .salesforce()
        .unwrap()
        .emulator();
    sf.record(id).unwrap()
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

/// The PayTrace refunds made, by amount.
fn refunds(systems: &Systems) -> Vec<Decimal> {
    let paytrace = systems.sandboxes().unwrap().paytrace().unwrap().emulator();
    let mut amounts: Vec<Decimal> = paytrace
        .transactions()
        .into_iter()
        .filter(|t| t.kind == TransactionKind::Refund)
        .map(|t| t.amount)
        .collect();
    amounts.sort();
    amounts
}

fn erp_references(systems: &Systems) -> Vec<String> {
    let dynamics = systems.sandboxes().unwrap().dynamics().unwrap().emulator();
    let mut refs: Vec<String> = dynamics
        .fno_rows("LedgerJournalHeaders")
        .iter()
        .filter_map(|h| h["Description"].as_str().map(str::to_owned))
        .collect();
    refs.sort();
    refs
}

fn field<'a>(record: &'a Record, name: &str) -> &'a Value {
    record.fields.get(name).unwrap_or(&Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_voided_or_refunded_by_settlement_state_once() {
    let systems = systems().await;
    let s: RefundScenario = scenarios::refunds(&systems).await.unwrap();
    let sandboxes = systems.sandboxes().unwrap();
    let paytrace = sandboxes.paytrace().unwrap();
    // The first refund's answer is lost: it is reconciled from the export, never resent.
    paytrace.faults().drop_next_response(REFUND_PATH);

    let options = RefundOptions::default();
    let report = refund::run(&systems, &options).await.unwrap();
    println!("{report}");
    assert_eq!(paytrace.faults().counts().dropped_responses, 1);
    assert_eq!(report.records.completed, 4, "{report}");
    assert_eq!(report.records.skipped, 1, "{report}");
    assert_eq!(report.records.dead_lettered, 1, "{report}");

    // PayTrace: the unsettled payment voided, three refunds, nothing for the others.
    let (void, void_request) = &s.void;
    let voided = paytrace
        .emulator()
        .transaction(void.transaction_id.parse().unwrap())
        .unwrap();
    assert_eq!(voided.status, TransactionStatus::Voided);
    assert_eq!(
        refunds(&systems),
        [
            Decimal::new(4_000, 2),
            Decimal::new(6_000, 2),
            Decimal::new(7_550, 2)
        ]
    );

    // Salesforce: payments, refund payments, opportunities, requests.
    assert_eq!(
        field(&payment_record(&systems, &void.transaction_id), "Status__c"),
        "Voided"
    );
    assert_eq!(
        field(&record(&systems, void_request), "Status__c"),
        "Voided"
    );
    let (partial, first, rest) = &s.partial_then_rest;
    let partial_record = payment_record(&systems, &partial.transaction_id);
    assert_eq!(field(&partial_record, "Status__c"), "Refunded");
    assert_eq!(
        field(&partial_record, "Refunded_Amount__c").as_f64(),
        Some(100.0)
    );
    for request in [first, rest] {
        let request = record(&systems, request);
        assert_eq!(field(&request, "Status__c"), "Refunded");
        let refund_id = field(&request, "Refund_Transaction_ID__c")
            .as_str()
            .unwrap()
            .to_owned();
        let refund_payment = payment_record(&systems, &refund_id);
        assert!(field(&refund_payment, "Amount__c").as_f64().unwrap() < 0.0);
        assert_eq!(
            field(&refund_payment, "Account__c"),
            partial.account_id.as_str()
        );
    }
    let opportunity = record(&systems, partial.opportunity_id.as_deref().unwrap());
    assert_eq!(field(&opportunity, "Payment_Status__c"), "Refunded");
    let (full, full_request) = &s.full;
    assert_eq!(
        field(&payment_record(&systems, &full.transaction_id), "Status__c"),
        "Refunded"
    );
    assert_eq!(
        field(&record(&systems, full_request), "Status__c"),
        "Refunded"
    );
    let (waits, waits_request) = &s.waits;
    let waiting = record(&systems, waits_request);
    assert_eq!(field(&waiting, "Status__c"), "Requested");
    assert!(
        field(&waiting, "Result__c")
            .as_str()
            .unwrap()
            .contains("waiting for settlement")
    );
    let (_, too_much_request) = &s.too_much;
    let rejected = record(&systems, too_much_request);
    assert_eq!(field(&rejected, "Status__c"), "Rejected");
    assert!(
        field(&rejected, "Result__c")
            .as_str()
            .unwrap()
            .contains("exceed")
    );

    // The ERP: one credit entry per void and refund.
    let references = erp_references(&systems);
    assert_eq!(references.len(), 4, "{references:?}");
    assert!(references.contains(&format!("VD-{}", void.transaction_id)));
    assert_eq!(
        references.iter().filter(|r| r.starts_with("RF-")).count(),
        3
    );

    // The rejection is a dead letter with its reason.
    let letters = systems
        .stores
        .dead_letters
        .list(&DeadLetterFilter::pending())
        .await
        .unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(&letters[0].key, too_much_request);

    // A rerun does nothing.
    let again = refund::run(&systems, &options).await.unwrap();
    assert!(!again.changed_anything(), "{again}");
    assert_eq!(refunds(&systems).len(), 3);

    // Once the waiting payment settles, its partial refund is made.
    paytrace.emulator().force_settle();
    let settled = refund::run(&systems, &options).await.unwrap();
    assert_eq!(settled.records.completed, 1, "{settled}");
    assert_eq!(
        field(&record(&systems, waits_request), "Status__c"),
        "Refunded"
    );
    let waits_record = payment_record(&systems, &waits.transaction_id);
    assert_eq!(field(&waits_record, "Status__c"), "Partially Refunded");
    assert_eq!(
        field(&waits_record, "Refunded_Amount__c").as_f64(),
        Some(10.0)
    );
    assert_eq!(erp_references(&systems).len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_refund_is_reconciled_before_anything_else() {
    let systems = systems().await;
    scenarios::refunds(&systems).await.unwrap();
    let paytrace = systems.sandboxes().unwrap().paytrace().unwrap();
    // A refund's answer is lost, and the export that would tell is down for this run.
    paytrace.faults().drop_next_response(REFUND_PATH);
    paytrace
        .faults()
        .fail_path("/v1/transactions/export/by_date_range", 503);

    let options = RefundOptions::default();
    let first = refund::run(&systems, &options).await.unwrap();
    println!("{first}");
    let unknown: Vec<_> = systems
        .stores
        .ledger
        .unresolved()
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.key.starts_with("refund-"))
        .collect();
    assert_eq!(unknown.len(), 1, "{unknown:#?}");
    assert!(unknown[0].needs_reconcile());
    assert!(
        first
            .dead_letters
            .iter()
            .any(|l| l.step == "paytrace.reconcile" || l.reason.contains("outcome")),
        "{first}"
    );
    let made = refunds(&systems).len();

    // The export is back: the next run settles the unknown refund first, from the export.
    paytrace.faults().clear();
    let second = refund::run(&systems, &options).await.unwrap();
    println!("{second}");
    assert_eq!(second.fact("unknown refunds reconciled"), Some("1"));
    assert!(systems.stores.ledger.unresolved().await.unwrap().is_empty());
    assert!(refunds(&systems).len() >= made);
    assert_eq!(
        refunds(&systems),
        [
            Decimal::new(4_000, 2),
            Decimal::new(6_000, 2),
            Decimal::new(7_550, 2)
        ],
        "each refund made exactly once"
    );
    let sf = systems
        .sandboxes()
        .unwrap()
        .salesforce()
        .unwrap()
        .emulator();
    let open: Vec<_> = sf
        .records(REQUEST_OBJECT)
        .into_iter()
        .filter(|r| r.fields["Status__c"] == "Requested")
        .collect();
    assert_eq!(
        open.len(),
        1,
        "only the request waiting for settlement is open"
    );
}
