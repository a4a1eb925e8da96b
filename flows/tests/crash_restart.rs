//! Crash and restart: a run of use case 1 (and of use case 2) is stopped midway — its task
//! aborted while charges are in flight, its durable stores dropped as a crash would — and
//! started again on the same store directory. The three systems end exactly as after an
//! uninterrupted run on twin emulators seeded the same way.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::time::Duration;

use flows::systems::ErpFlavor;
use flows::systems::seed::{self, SeedOptions};
use flows::{Error, Stores, Systems, opportunity_to_payment, order_to_cash};
use mapping::retry::RecordingSleeper;
use sandbox::fault::{FaultAction, FaultPlan, FaultRule};
use support::*;

/// What the three systems hold, keyed by business ids (invoice, opportunity, order), so two
/// sandboxes compare although their transaction ids were handed out in another order.
type State = (
    Vec<(String, String, String, String)>,
    BTreeMap<String, Vec<(String, String)>>,
    Vec<(String, String)>,
    BTreeMap<String, Vec<(String, String)>>,
    Vec<String>,
);

async fn state(systems: &Systems) -> State {
    let sandboxes = systems.sandboxes().unwrap();
    let invoice_of: BTreeMap<String, String> = sandboxes
        .paytrace()
        .unwrap()
        .emulator()
        .transactions()
        .into_iter()
        .map(|t| (t.id.to_string(), t.invoice_id.clone()))
        .collect();
    let lines = erp_payment_lines(sandboxes)
        .into_iter()
        .map(|(reference, lines)| {
            (
                invoice_of.get(&reference).cloned().unwrap_or(reference),
                lines,
            )
        })
        .collect();
    let mut opportunities: Vec<(String, String)> = sf_records(sandboxes, "Opportunity")
        .iter()
        .map(|r| (text(r, "Id"), text(r, "Payment_Status__c")))
        .collect();
    opportunities.sort();
    let mut letters: Vec<String> = systems
        .stores
        .dead_letters
        .list(&Default::default())
        .await
        .unwrap()
        .into_iter()
        .map(|l| format!("{} {} {}", l.key, l.step, l.status))
        .collect();
    letters.sort();
    (
        paytrace_state(sandboxes),
        payments_by(sandboxes, "Opportunity__c"),
        opportunities,
        lines,
        letters,
    )
}

/// Sales take a moment, so an abort is likely to catch one in flight.
fn slow_sales() -> FaultPlan {
    FaultPlan::new().rule(FaultRule::path(
        "/v1/transactions/sale/by_customer",
        FaultAction::Delay { millis: 15 },
    ))
}

async fn sandbox_on(stores: Stores) -> Systems {
    systems_with(
        ErpFlavor::FinanceOperations,
        [slow_sales(), FaultPlan::new(), FaultPlan::new()],
        stores,
        &RecordingSleeper::new(),
    )
    .await
}

/// Opens the stores in `dir`, waiting while a write of the dropped ones finishes.
async fn reopen(dir: &Path) -> Stores {
    for _ in 0..500 {
        match Stores::open(dir).await {
            Err(Error::Locked { .. }) => tokio::time::sleep(Duration::from_millis(10)).await,
            other => return other.unwrap(),
        }
    }
    panic!("the stores stayed locked");
}

/// Runs `flow` on durable stores, aborts it once `charges` sales were made, drops the stores,
/// reopens them and runs `flow` to the end. Returns the systems, on the reopened stores.
async fn crash_and_resume<F, Fut>(systems: Systems, dir: &Path, charges: usize, flow: F) -> Systems
where
    F: Fn(Systems) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let task = tokio::spawn(flow(systems.clone()));
    let paytrace = systems
        .sandboxes()
        .unwrap()
        .paytrace()
        .unwrap()
        .emulator()
        .clone();
    while paytrace.transactions().len() < charges && !task.is_finished() {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert!(!task.is_finished(), "the run ended before the crash");
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    // The crash: every handle on the stores goes; the emulators stay up.
    let survivor = systems.with_stores(Stores::memory());
    drop(systems);
    let resumed = survivor.with_stores(reopen(dir).await);
    flow(resumed.clone()).await;
    resumed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn opportunity_to_payment_resumes_after_a_crash_as_if_uninterrupted() {
    let options = SeedOptions {
        opportunities: 40,
        ..SeedOptions::default()
    };
    let run = |systems: Systems| async move {
        opportunity_to_payment::run(&systems, &Default::default())
            .await
            .unwrap();
    };

    let reference = sandbox_on(Stores::memory()).await;
    seed::opportunities(reference.sandboxes().unwrap(), &options).unwrap();
    run(reference.clone()).await;

    let dir = tempfile::tempdir().unwrap();
    let crashed = sandbox_on(Stores::open(dir.path()).await.unwrap()).await;
    seed::opportunities(crashed.sandboxes().unwrap(), &options).unwrap();
    let resumed = crash_and_resume(crashed, dir.path(), 12, run).await;

    assert_eq!(state(&resumed).await, state(&reference).await);
    assert!(
        charges_per_invoice(resumed.sandboxes().unwrap())
            .values()
            .all(|n| *n == 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn order_to_cash_resumes_after_a_crash_as_if_uninterrupted() {
    let reference = sandbox_on(Stores::memory()).await;
    let orders = seed::storefront_orders(reference.sandboxes().unwrap(), 30, 9, true).unwrap();
    order_to_cash::run(&reference, orders.clone(), &Default::default())
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let crashed = sandbox_on(Stores::open(dir.path()).await.unwrap()).await;
    let same = seed::storefront_orders(crashed.sandboxes().unwrap(), 30, 9, true).unwrap();
    assert_eq!(same.len(), orders.len());
    let run = move |systems: Systems| {
        let orders = orders.clone();
        async move {
            order_to_cash::run(&systems, orders, &Default::default())
                .await
                .unwrap();
        }
    };
    let resumed = crash_and_resume(crashed, dir.path(), 10, run).await;

    assert_eq!(state(&resumed).await, state(&reference).await);
    assert!(
        charges_per_invoice(resumed.sandboxes().unwrap())
            .values()
            .all(|n| *n == 1)
    );
    let journals = erp_rows(
        resumed.sandboxes().unwrap(),
        "CustomerPaymentJournalHeaders",
        "",
    );
    assert_eq!(
        journals.len(),
        1,
        "the rerun continued the same journal: {journals:?}"
    );
    assert_eq!(str_of(&journals[0], "IsPosted"), "Yes");
}
