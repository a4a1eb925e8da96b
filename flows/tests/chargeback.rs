//! Use case 8, `chargeback`, end to end against the three emulators: the report's rows in
//! PayTrace, Salesforce and the ERP, a replayed report, and a lost ERP answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use flows::Systems;
use flows::chargeback::{self, ChargebackOptions};
use flows::scenarios;
use flows::store::{DeadLetterFilter, DeadLetterStatus};
use flows::systems::ErpFlavor;
use serde_json::Value;

fn journals_named(systems: &Systems, reference: &str) -> Vec<Value> {
    let dynamics = systems.sandboxes().unwrap().dynamics().unwrap().emulator();
    dynamics
        .fno_rows("LedgerJournalHeaders")
        .into_iter()
        .filter(|h| h["Description"] == reference)
        .collect()
}

fn journal_lines(systems: &Systems, journal: &str) -> Vec<Value> {
    let dynamics = systems.sandboxes().unwrap().dynamics().unwrap().emulator();
    dynamics
        .fno_rows("LedgerJournalLines")
        .into_iter()
        .filter(|l| l["JournalBatchNumber"] == journal)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_charges_back_in_every_system_once() {
    let systems = support::systems(ErpFlavor::FinanceOperations).await;
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenarios::chargebacks(&systems, dir.path()).await.unwrap();
    let sandboxes = systems.sandboxes().unwrap();
    let sf = sandboxes.salesforce().unwrap().emulator();
    let paytrace = sandboxes.paytrace().unwrap().emulator();
    let transactions_before = paytrace.transactions().len();
    // The ERP answers the first journal write, then the connection drops: the step finds it.
    sandboxes
        .dynamics()
        .unwrap()
        .faults()
        .drop_next_response("/data/LedgerJournalHeaders");

    let options = ChargebackOptions::default();
    let report = chargeback::run_file(&systems, &scenario.report, &options)
        .await
        .unwrap();
    println!("{report}");
    assert_eq!(report.records.seen, 4);
    assert_eq!(report.records.completed, 2);
    assert_eq!(report.records.dead_lettered, 2);

    let dropped = sandboxes
        .dynamics()
        .unwrap()
        .faults()
        .counts()
        .dropped_responses;
    assert_eq!(dropped, 1, "the ERP's answer was lost once");

    // PayTrace: read only.
    assert_eq!(paytrace.transactions().len(), transactions_before);

    // Salesforce: both payments charged back, one Case each for the account's owner.
    for (payment, case_id) in &scenario.charged_back {
        let record = sf
            .records("Payment__c")
            .into_iter()
            .find(|r| r.fields["PaymentID__c"] == payment.transaction_id.as_str())
            .unwrap_or_else(|| panic!("no Payment__c for {}", payment.transaction_id));
        assert_eq!(record.fields["Status__c"], "Charged Back");
        assert_eq!(record.fields["Chargeback_Case_ID__c"], case_id.as_str());
        assert_eq!(record.fields["Account__c"], payment.account_id.as_str());
        let cases: Vec<_> = sf
            .records("Case")
            .into_iter()
            .filter(|c| {
                c.fields["Subject"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(case_id)
            })
            .collect();
        assert_eq!(cases.len(), 1, "{case_id}");
        assert_eq!(cases[0].fields["Priority"], "High");
        assert_eq!(cases[0].fields["AccountId"], payment.account_id.as_str());
        assert!(
            cases[0].fields["OwnerId"]
                .as_str()
                .is_some_and(|o| o.starts_with("005"))
        );

        // The ERP: one reversal entry, debit chargebacks, credit bank.
        let headers = journals_named(&systems, &format!("CB-{case_id}"));
        assert_eq!(headers.len(), 1, "{case_id}");
        let lines = journal_lines(&systems, headers[0]["JournalBatchNumber"].as_str().unwrap());
        assert_eq!(lines.len(), 2);
        let amount = payment.amount.to_string().parse::<f64>().unwrap();
        assert!(lines.iter().any(
            |l| l["AccountDisplayValue"] == options.debit.account.as_str()
                && l["DebitAmount"].as_f64() == Some(amount)
        ));
        assert!(lines.iter().any(
            |l| l["AccountDisplayValue"] == options.credit.account.as_str()
                && l["CreditAmount"].as_f64() == Some(amount)
        ));
    }

    // The bad rows are dead letters with their reasons.
    let letters = systems
        .stores
        .dead_letters
        .list(&DeadLetterFilter::pending())
        .await
        .unwrap();
    assert_eq!(letters.len(), 2, "{letters:#?}");
    assert!(
        letters
            .iter()
            .any(|l| l.key == scenario.unknown_transaction && l.reason.contains("was not found"))
    );
    assert!(letters.iter().any(|l| {
        l.step == "report.parse_row"
            && l.reason
                .starts_with(&format!("line {}", scenario.invalid_line))
    }));

    // The same report again: nothing is done twice.
    let cases = sf.count("Case");
    let journals = systems
        .sandboxes()
        .unwrap()
        .dynamics()
        .unwrap()
        .emulator()
        .fno_rows("LedgerJournalHeaders")
        .len();
    let again = chargeback::run_file(&systems, &scenario.report, &options)
        .await
        .unwrap();
    println!("{again}");
    assert!(!again.changed_anything(), "{again}");
    assert_eq!(again.records.skipped, 2);
    assert_eq!(sf.count("Case"), cases);
    assert_eq!(
        systems
            .sandboxes()
            .unwrap()
            .dynamics()
            .unwrap()
            .emulator()
            .fno_rows("LedgerJournalHeaders")
            .len(),
        journals
    );
    let letter = systems
        .stores
        .dead_letters
        .list(&DeadLetterFilter {
            key: Some(scenario.unknown_transaction.clone()),
            ..DeadLetterFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (letter[0].attempts, letter[0].status),
        (2, DeadLetterStatus::Pending)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn business_central_gets_one_reversal_per_case() {
    let systems = support::systems(ErpFlavor::BusinessCentral).await;
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenarios::chargebacks(&systems, dir.path()).await.unwrap();
    let options = ChargebackOptions::default();
    for _ in 0..2 {
        chargeback::run_file(&systems, &scenario.report, &options)
            .await
            .unwrap();
    }
    let lines = support::erp_rows(
        systems.sandboxes().unwrap(),
        "LedgerJournalLines",
        "journalLines",
    );
    for (payment, case_id) in &scenario.charged_back {
        let reference = format!("CB-{case_id}");
        let mine: Vec<&Value> = lines
            .iter()
            .filter(|l| l["documentNumber"] == reference.as_str())
            .collect();
        assert_eq!(mine.len(), 2, "{reference}: {lines:#?}");
        let amounts: Vec<String> = mine
            .iter()
            .map(|l| support::decimal_text(&l["amount"]))
            .collect();
        let amount = payment.amount.normalize().to_string();
        assert!(
            amounts.contains(&amount) && amounts.contains(&format!("-{amount}")),
            "{amounts:?}"
        );
    }
}
