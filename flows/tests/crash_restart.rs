//! Crash and restart: a run of use case 1 (and of use cases 2 and 3) is stopped midway — its
//! task aborted while charges (or journal lines) are in flight, its durable stores dropped as
//! a crash would — and started again on the same store directory. The three systems end exactly as after an
//! uninterrupted run on twin emulators seeded the same way.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::time::Duration;

use flows::settlement_reconciliation::{self, PollOptionsConfig};
use flows::systems::seed::{self, SeedOptions};
use flows::systems::{ErpFlavor, Settings};
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
    let paytrace = systems
        .sandboxes()
        .unwrap()
        .paytrace()
        .unwrap()
        .emulator()
        .clone();
    crash_when(
        systems,
        dir,
        move || paytrace.transactions().len() >= charges,
        flow,
    )
    .await
}

/// Runs `flow` on durable stores, aborts it once `crashed` says so, drops the stores, reopens
/// them and runs `flow` to the end. Returns the systems, on the reopened stores.
async fn crash_when<F, Fut>(
    systems: Systems,
    dir: &Path,
    crashed: impl Fn() -> bool,
    flow: F,
) -> Systems
where
    F: Fn(Systems) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let task = tokio::spawn(flow(systems.clone()));
    while !crashed() && !task.is_finished() {
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

/// The ERP side of a settlement day: each `STL-` journal's description, whether it is
/// posted, and its lines' debit and credit totals.
fn settlement_journals(systems: &Systems) -> Vec<(String, String, String, String)> {
    let sandboxes = systems.sandboxes().unwrap();
    let lines = erp_rows(sandboxes, "LedgerJournalLines", "");
    let total = |batch: &str, field: &str| -> rust_decimal::Decimal {
        lines
            .iter()
            .filter(|l| str_of(l, "JournalBatchNumber") == batch)
            .filter_map(|l| {
                decimal_text(&l[field])
                    .parse::<rust_decimal::Decimal>()
                    .ok()
            })
            .sum()
    };
    let mut journals: Vec<_> = erp_rows(sandboxes, "LedgerJournalHeaders", "")
        .iter()
        .filter(|h| str_of(h, "Description").starts_with("STL-"))
        .map(|h| {
            let batch = str_of(h, "JournalBatchNumber");
            (
                str_of(h, "Description"),
                str_of(h, "IsPosted"),
                total(&batch, "DebitAmount").to_string(),
                total(&batch, "CreditAmount").to_string(),
            )
        })
        .collect();
    journals.sort();
    journals
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn settlement_reconciliation_resumes_after_a_crash_as_if_uninterrupted() {
    let seed_options = SeedOptions {
        opportunities: 12,
        ..SeedOptions::default()
    };
    let run = |systems: Systems| async move {
        let options = settlement_reconciliation::Options {
            bulk_threshold: 4,
            bulk_poll: Some(PollOptionsConfig {
                first_interval: Duration::from_millis(20),
                max_interval: Duration::from_millis(50),
            }),
            ..Default::default()
        };
        settlement_reconciliation::run(&systems, &options)
            .await
            .unwrap();
    };

    // One payment at a time while seeding, so both twins hand out the same transaction ids
    // and plant their discrepancies on the same payments.
    let seed_day = async |systems: &Systems| {
        let one_by_one = systems.with_settings(Settings {
            concurrency: 1,
            ..systems.settings.clone()
        });
        seed::settlement_day(&one_by_one, &seed_options)
            .await
            .unwrap();
    };
    let reference = sandbox_on(Stores::memory()).await;
    seed_day(&reference).await;
    run(reference.clone()).await;

    let dir = tempfile::tempdir().unwrap();
    let crashed = sandbox_on(Stores::open(dir.path()).await.unwrap()).await;
    seed_day(&crashed).await;
    // The journal's lines are slow: the crash comes after its header was written and while
    // a line is in flight, the worst place for a journal.
    let dynamics = crashed.sandboxes().unwrap().dynamics().unwrap();
    let lines_path = "/data/LedgerJournalLines";
    dynamics.faults().add_rule(FaultRule::path(
        lines_path,
        FaultAction::Delay { millis: 300 },
    ));
    let requests = dynamics.server().requests().clone();
    let before = requests.count(lines_path);
    let resumed = crash_when(
        crashed,
        dir.path(),
        move || requests.count(lines_path) > before,
        run,
    )
    .await;

    let sandboxes = resumed.sandboxes().unwrap();
    assert_eq!(
        payments_by(sandboxes, "Opportunity__c"),
        payments_by(reference.sandboxes().unwrap(), "Opportunity__c")
    );
    let journals = settlement_journals(&resumed);
    assert_eq!(journals.len(), 1, "one journal for the batch: {journals:?}");
    assert_eq!(journals, settlement_journals(&reference));
    assert_eq!(state(&resumed).await, state(&reference).await);
}
