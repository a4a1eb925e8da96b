//! Chaos: use cases 1–3 over a few hundred records with every emulator failing at random —
//! 5xx, 429 with `Retry-After`, responses lost after the work was done — and every access
//! token expiring every few hundred milliseconds. Afterwards: no invoice charged twice,
//! every payment in Salesforce and the ERP exactly once or in the dead letters with a reason,
//! and a second run (faults still on) changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use flows::store::DeadLetter;
use flows::systems::ErpFlavor;
use flows::systems::seed::{self, Expect, SeedOptions};
use flows::{Stores, opportunity_to_payment, order_to_cash, settlement_reconciliation};
use mapping::retry::{ErrorKind, RecordingSleeper};
use sandbox::fault::FaultPlan;
use support::*;

const OPPORTUNITIES: usize = 120;
const ORDERS: usize = 80;

fn faults(seed: u64) -> FaultPlan {
    FaultPlan::new()
        .seed(seed)
        .server_errors(0.04, [500, 502, 503])
        .throttle(0.02, 1)
        .drop_responses(0.03)
}

fn by_key(letters: &[DeadLetter]) -> BTreeMap<&str, &DeadLetter> {
    letters.iter().map(|l| (l.key.as_str(), l)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn use_cases_1_to_3_under_faults_do_everything_once() {
    let sleeper = RecordingSleeper::new();
    let systems = systems_with(
        ErpFlavor::FinanceOperations,
        [faults(11), faults(12), faults(13)],
        Stores::memory(),
        &sleeper,
    )
    .await;
    let sandboxes = systems.sandboxes().unwrap();
    let seeded = seed::opportunities(
        sandboxes,
        &SeedOptions {
            opportunities: OPPORTUNITIES,
            ..SeedOptions::default()
        },
    )
    .unwrap();
    let orders = seed::storefront_orders(sandboxes, ORDERS, 21, true).unwrap();

    // Tokens expire all the time.
    let expiring = Arc::new(AtomicBool::new(true));
    let expirer = {
        let systems = systems.clone();
        let expiring = Arc::clone(&expiring);
        tokio::spawn(async move {
            while expiring.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(400)).await;
                let sandboxes = systems.sandboxes().unwrap();
                sandboxes.paytrace().unwrap().emulator().expire_tokens();
                sandboxes.salesforce().unwrap().emulator().expire_sessions();
                sandboxes.dynamics().unwrap().emulator().expire_tokens();
            }
        })
    };

    let opportunities = opportunity_to_payment::run(&systems, &Default::default())
        .await
        .unwrap();
    let storefront = order_to_cash::run(&systems, orders.clone(), &Default::default())
        .await
        .unwrap();
    let batch = sandboxes.paytrace().unwrap().emulator().force_settle();
    assert!(batch.is_some());
    let settlement = settlement_reconciliation::run(&systems, &Default::default())
        .await
        .unwrap();

    // The faults did fire, and a 429's Retry-After was waited for (recorded, not slept).
    let fired = sandboxes.paytrace().unwrap().faults().counts();
    assert!(
        fired.server_errors > 0 && fired.throttled > 0 && fired.dropped_responses > 0,
        "{fired:?}"
    );
    let fired = sandboxes.dynamics().unwrap().faults().counts();
    assert!(fired.dropped_responses > 0, "{fired:?}");
    assert!(
        sleeper
            .delays()
            .iter()
            .any(|d| *d >= Duration::from_secs(1)),
        "a Retry-After was honoured"
    );

    // No invoice was charged twice.
    let charges = charges_per_invoice(sandboxes);
    let twice: Vec<_> = charges.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "charged twice: {twice:?}");

    // Every paid opportunity: one charge, one Payment__c, one ERP payment line; or a dead
    // letter saying why.
    let opp_letters = pending_letters(&systems, opportunity_to_payment::FLOW).await;
    let opp_letters = by_key(&opp_letters);
    let payments = payments_by(sandboxes, "Opportunity__c");
    let transactions = sandboxes.paytrace().unwrap().emulator().transactions();
    let lines = erp_payment_lines(sandboxes);
    let mut complete = 0;
    for opp in seeded.expecting(Expect::Paid) {
        if let Some(letter) = opp_letters.get(opp.id.as_str()) {
            assert!(!letter.reason.is_empty());
            continue;
        }
        assert_eq!(charges.get(&opp.id), Some(&1), "{}", opp.name);
        assert_eq!(payments.get(&opp.id).map(Vec::len), Some(1), "{}", opp.name);
        let sale = transactions
            .iter()
            .find(|t| t.invoice_id == opp.id && t.approved())
            .unwrap();
        assert_eq!(
            lines.get(&sale.id.to_string()).map(Vec::len),
            Some(1),
            "{}",
            opp.name
        );
        complete += 1;
    }
    // The deliberate failures, and no others: retries and reconciliation absorbed the chaos.
    let unexpected: Vec<_> = opp_letters
        .values()
        .filter(|l| !matches!(l.error_kind, ErrorKind::Validation | ErrorKind::NotFound))
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:?}");
    assert_eq!(
        complete,
        seeded.expecting(Expect::Paid).count(),
        "{opportunities}"
    );

    // Every order: one charge and one ERP payment line, or a dead letter.
    let order_letters = pending_letters(&systems, order_to_cash::FLOW).await;
    let order_letters = by_key(&order_letters);
    for order in &orders {
        if order_letters.contains_key(order.id.as_str()) {
            continue;
        }
        assert_eq!(charges.get(&order.id), Some(&1), "{}", order.id);
        let sale = transactions
            .iter()
            .find(|t| t.invoice_id == order.id && t.approved())
            .unwrap();
        assert_eq!(
            lines.get(&sale.id.to_string()).map(Vec::len),
            Some(1),
            "{}",
            order.id
        );
    }
    assert_eq!(order_letters.len(), 1, "{storefront}");

    // No ERP customer, order or journal entry twice, whatever answers were lost.
    let dynamics = sandboxes.dynamics().unwrap().emulator();
    let mut per = BTreeMap::<(String, String), usize>::new();
    for (set, field) in [
        ("CustomersV3", "CustomerAccount"),
        ("SalesOrderHeadersV2", "CustomersOrderReference"),
        ("LedgerJournalHeaders", "Description"),
    ] {
        for row in dynamics.fno_rows(set) {
            *per.entry((set.to_owned(), str_of(&row, field)))
                .or_default() += 1;
        }
    }
    let doubled: Vec<_> = per.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "{doubled:?}");

    // Settlement: every Payment__c of the batch is Settled, except the ones dead-lettered.
    let settle_letters = pending_letters(&systems, settlement_reconciliation::FLOW).await;
    assert!(settle_letters.is_empty(), "{settle_letters:?}");
    let settled_ids: Vec<String> = settlement.batches[0]
        .transactions
        .iter()
        .map(|p| p.id.clone())
        .collect();
    let statuses = payments_by(sandboxes, "PaymentID__c");
    for id in &settled_ids {
        if let Some(records) = statuses.get(id) {
            assert_eq!(records.len(), 1);
            assert_eq!(records[0].0, "Settled", "{id}");
        }
    }
    assert_eq!(settled_ids.len(), charges.values().sum::<usize>());

    // A second run of each, faults still on, changes nothing.
    let before = (
        paytrace_state(sandboxes),
        payments_by(sandboxes, "PaymentID__c"),
        erp_payment_lines(sandboxes),
        dynamics.fno_rows("LedgerJournalLines").len(),
    );
    let again = opportunity_to_payment::run(&systems, &Default::default())
        .await
        .unwrap();
    assert!(!again.changed_anything(), "{again}");
    let again = order_to_cash::run(&systems, orders, &Default::default())
        .await
        .unwrap();
    assert!(!again.changed_anything(), "{again}");
    let again = settlement_reconciliation::run(&systems, &Default::default())
        .await
        .unwrap();
    assert!(!again.report.changed_anything(), "{}", again.report);
    let after = (
        paytrace_state(sandboxes),
        payments_by(sandboxes, "PaymentID__c"),
        erp_payment_lines(sandboxes),
        dynamics.fno_rows("LedgerJournalLines").len(),
    );
    assert_eq!(before, after);

    expiring.store(false, Ordering::Relaxed);
    expirer.await.unwrap();
}
