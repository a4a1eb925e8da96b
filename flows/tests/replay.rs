#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The replay of one dead letter of use cases 4–8 (what `dead-letters replay` runs): the
//! record's failed step is done once its cause is gone, nothing done before is done again,
//! the letter is marked replayed, and a letter whose cause persists counts one more attempt.

mod support;

use chrono::{Days, Utc};
use flows::failed_payment_dunning::{self, DunningOptions, DunningSchedule, DunningState};
use flows::recurring_billing::{self, RecurringOptions, SUBSCRIPTION_OBJECT};
use flows::report::Target;
use flows::store::{DeadLetter, DeadLetterStatus};
use flows::systems::ErpFlavor;
use flows::{Systems, chargeback, refund, scenarios, vault_sync};
use sandbox::fault::{FaultAction, FaultRule};
use sandbox::paytrace::TransactionKind;
use serde_json::Value;
use support::{pending_letters, sf_field};

/// How many sales and refunds PayTrace holds: what a replay must not add to.
fn money_moves(systems: &Systems) -> usize {
    let paytrace = systems.sandboxes().unwrap().paytrace().unwrap().emulator();
    paytrace
        .transactions()
        .into_iter()
        .filter(|t| matches!(t.kind, TransactionKind::Sale | TransactionKind::Refund))
        .count()
}

/// Fails the next request to a Salesforce path (under the API version) with a 400.
fn refuse_once(systems: &Systems, path: &str) {
    let version = systems.salesforce.api_version().path_segment();
    let sf = systems.sandboxes().unwrap().salesforce().unwrap();
    sf.faults().add_rule(
        FaultRule::path(
            format!("/services/data/{version}{path}"),
            FaultAction::status(400),
        )
        .times(1),
    );
}

async fn letter_of(systems: &Systems, flow: &str, key: &str) -> DeadLetter {
    pending_letters(systems, flow)
        .await
        .into_iter()
        .find(|l| l.key == key)
        .unwrap_or_else(|| panic!("no pending {flow} letter for {key}"))
}

async fn stored(systems: &Systems, letter: &DeadLetter) -> DeadLetter {
    systems
        .stores
        .dead_letters
        .get(&letter.id)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recurring_billing_replays_the_period_it_failed_once() {
    let systems = support::systems(ErpFlavor::FinanceOperations).await;
    let today = Utc::now().date_naive();
    let s = scenarios::recurring(&systems, today).unwrap();
    let broken = &s.due[0];
    refuse_once(
        &systems,
        &format!("/sobjects/{SUBSCRIPTION_OBJECT}/{broken}"),
    );
    let options = RecurringOptions {
        today,
        ..RecurringOptions::default()
    };
    recurring_billing::run(&systems, &options).await.unwrap();
    let next_before = sf_field(&systems, broken, "Next_Charge_Date__c");
    let letter = letter_of(&systems, recurring_billing::FLOW, broken).await;
    let moves = money_moves(&systems);

    let report = recurring_billing::replay(&systems, &letter, &options)
        .await
        .unwrap();
    println!("{report}");
    assert_eq!(report.records.completed, 1, "{report}");
    assert_eq!(
        report
            .row(Target::PayTrace, "sale")
            .map(|r| (r.created, r.skipped)),
        Some((0, 1)),
        "the period's charge was found in the ledger: {report}"
    );
    assert_eq!(money_moves(&systems), moves);
    assert_ne!(
        sf_field(&systems, broken, "Next_Charge_Date__c"),
        next_before,
        "the subscription moved on to its next period"
    );
    assert_eq!(
        stored(&systems, &letter).await.status,
        DeadLetterStatus::Replayed
    );

    // Replayed again (say, by an operator who missed the first one): the subscription has
    // moved on, so the next period is not billed early.
    let next = sf_field(&systems, broken, "Next_Charge_Date__c");
    let again = recurring_billing::replay(&systems, &letter, &options)
        .await
        .unwrap();
    assert_eq!(again.records.skipped, 1, "{again}");
    assert_eq!(money_moves(&systems), moves);
    assert_eq!(sf_field(&systems, broken, "Next_Charge_Date__c"), next);

    // A subscription that still cannot be billed stays a letter with one more attempt.
    let no_vault = letter_of(&systems, recurring_billing::FLOW, &s.no_vault).await;
    let report = recurring_billing::replay(&systems, &no_vault, &options)
        .await
        .unwrap();
    assert_eq!(report.records.dead_lettered, 1, "{report}");
    let after = stored(&systems, &no_vault).await;
    assert_eq!(
        (after.status, after.attempts),
        (DeadLetterStatus::Pending, no_vault.attempts + 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dunning_replays_a_retry_whose_follow_up_failed_without_charging_again() {
    let systems = support::systems(ErpFlavor::FinanceOperations).await;
    let s = scenarios::dunning(&systems).await.unwrap();
    let day0 = Utc::now().date_naive();
    let day1 = day0.checked_add_days(Days::new(1)).unwrap();
    let options = |as_of| DunningOptions {
        as_of,
        ..DunningOptions::default()
    };

    // Day 0, the intake: the Opportunity of one decline cannot be updated.
    let opportunity = s.hard.opportunity_id.clone().unwrap();
    refuse_once(&systems, &format!("/sobjects/Opportunity/{opportunity}"));
    let report = failed_payment_dunning::run(&systems, &options(day0))
        .await
        .unwrap();
    assert_eq!(report.records.dead_lettered, 1, "{report}");
    let intake = letter_of(
        &systems,
        failed_payment_dunning::FLOW,
        &s.hard.transaction_id,
    )
    .await;
    let report = failed_payment_dunning::replay(&systems, &intake, &options(day0))
        .await
        .unwrap();
    assert_eq!(report.records.completed, 1, "{report}");
    assert_eq!(
        stored(&systems, &intake).await.status,
        DeadLetterStatus::Replayed
    );
    assert_eq!(
        sf_field(&systems, &opportunity, "Payment_Status__c"),
        "Payment Failed"
    );

    // Day 1, the retry of the recovering decline is approved, but its Opportunity update
    // fails: the schedule stays due, and the letter holds it.
    s.recover(&systems).unwrap();
    let opportunity = s.recovers.opportunity_id.clone().unwrap();
    refuse_once(&systems, &format!("/sobjects/Opportunity/{opportunity}"));
    let report = failed_payment_dunning::run(&systems, &options(day1))
        .await
        .unwrap();
    assert_eq!(report.records.dead_lettered, 1, "{report}");
    let retry = letter_of(
        &systems,
        failed_payment_dunning::FLOW,
        &s.recovers.transaction_id,
    )
    .await;
    assert!(serde_json::from_value::<DunningSchedule>(retry.payload.clone()).is_ok());
    let moves = money_moves(&systems);

    let report = failed_payment_dunning::replay(&systems, &retry, &options(day1))
        .await
        .unwrap();
    println!("{report}");
    assert_eq!(report.records.completed, 1, "{report}");
    assert_eq!(
        money_moves(&systems),
        moves,
        "the approved retry was not made again"
    );
    assert_eq!(
        sf_field(&systems, &opportunity, "Payment_Status__c"),
        "Paid"
    );
    let schedule: DunningSchedule = systems
        .stores
        .checkpoints
        .get(&failed_payment_dunning::schedule_checkpoint(
            &s.recovers.transaction_id,
        ))
        .await
        .unwrap()
        .unwrap()
        .value_as()
        .unwrap();
    assert!(matches!(schedule.state, DunningState::Recovered { .. }));
    assert_eq!(schedule.retries, 1);
    assert_eq!(
        stored(&systems, &retry).await.status,
        DeadLetterStatus::Replayed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refund_replays_the_request_without_refunding_twice() {
    let systems = support::systems(ErpFlavor::FinanceOperations).await;
    let s = scenarios::refunds(&systems).await.unwrap();
    let (_, request) = &s.full;
    refuse_once(
        &systems,
        &format!("/sobjects/{}/{request}", refund::REQUEST_OBJECT),
    );
    let options = refund::RefundOptions::default();
    refund::run(&systems, &options).await.unwrap();
    let letter = letter_of(&systems, refund::FLOW, request).await;
    let moves = money_moves(&systems);

    let report = refund::replay(&systems, &letter, &options).await.unwrap();
    println!("{report}");
    assert_eq!(report.records.completed, 1, "{report}");
    assert_eq!(money_moves(&systems), moves, "the refund was found done");
    assert_eq!(sf_field(&systems, request, "Status__c"), "Refunded");
    assert_eq!(
        stored(&systems, &letter).await.status,
        DeadLetterStatus::Replayed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chargeback_replays_a_row_and_refuses_an_invalid_one() {
    let systems = support::systems(ErpFlavor::FinanceOperations).await;
    let dir = tempfile::tempdir().unwrap();
    let s = scenarios::chargebacks(&systems, dir.path()).await.unwrap();
    let (payment, case_id) = &s.charged_back[0];
    let transaction = &payment.transaction_id;
    refuse_once(
        &systems,
        &format!("/sobjects/Payment__c/PaymentID__c/{transaction}"),
    );
    let options = chargeback::ChargebackOptions::default();
    chargeback::run_file(&systems, &s.report, &options)
        .await
        .unwrap();
    let letters = pending_letters(&systems, chargeback::FLOW).await;
    let letter = letters
        .iter()
        .find(|l| &l.key == case_id)
        .unwrap_or_else(|| {
            panic!("no letter for {case_id}: {letters:?}");
        });

    let report = chargeback::replay(&systems, letter, &options)
        .await
        .unwrap();
    println!("{report}");
    assert_eq!(report.records.completed, 1, "{report}");
    assert_eq!(
        stored(&systems, letter).await.status,
        DeadLetterStatus::Replayed
    );
    let dynamics = systems.sandboxes().unwrap().dynamics().unwrap().emulator();
    let reversals = dynamics
        .fno_rows("LedgerJournalHeaders")
        .into_iter()
        .filter(|h| h["Description"] == format!("CB-{case_id}").as_str())
        .count();
    assert_eq!(reversals, 1);

    // The row naming a transaction PayTrace does not have fails again; the invalid row
    // cannot be replayed at all.
    let unknown = letters
        .iter()
        .find(|l| l.key == s.unknown_transaction)
        .unwrap();
    let report = chargeback::replay(&systems, unknown, &options)
        .await
        .unwrap();
    assert_eq!(report.records.dead_lettered, 1, "{report}");
    let invalid = letters
        .iter()
        .find(|l| serde_json::from_value::<chargeback::Chargeback>(l.payload.clone()).is_err())
        .unwrap();
    let err = chargeback::replay(&systems, invalid, &options)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cannot be replayed"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vault_sync_replays_one_account_and_reports_a_mismatch_again() {
    let systems = support::systems(ErpFlavor::FinanceOperations).await;
    let s = scenarios::vault_sync(&systems).await.unwrap();
    let (account, vault_id) = &s.to_link;
    refuse_once(&systems, &format!("/sobjects/Account/{account}"));
    let options = vault_sync::VaultSyncOptions::default();
    vault_sync::run(&systems, &options).await.unwrap();
    assert_eq!(
        sf_field(&systems, account, "CustomerVaultID__c"),
        Value::Null
    );
    let letter = letter_of(&systems, vault_sync::FLOW, account).await;

    let report = vault_sync::replay(&systems, &letter, &options)
        .await
        .unwrap();
    println!("{report}");
    assert_eq!(
        report.records.seen, 1,
        "only the letter's account: {report}"
    );
    assert_eq!(report.records.completed, 1, "{report}");
    assert_eq!(
        sf_field(&systems, account, "CustomerVaultID__c"),
        vault_id.as_str()
    );
    assert_eq!(
        stored(&systems, &letter).await.status,
        DeadLetterStatus::Replayed
    );

    let mismatch = letter_of(&systems, vault_sync::FLOW, &s.unknown_vault).await;
    let report = vault_sync::replay(&systems, &mismatch, &options)
        .await
        .unwrap();
    assert_eq!(report.records.dead_lettered, 1, "{report}");
    assert_eq!(
        stored(&systems, &mismatch).await.attempts,
        mismatch.attempts + 1
    );
}
