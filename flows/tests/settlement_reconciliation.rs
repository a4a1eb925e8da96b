//! Use case 3 end to end: a day paid through use case 1, three planted discrepancies, the
//! batch settled; then `Payment__c` settled (collections and Bulk API 2.0), the batch's
//! journal entry in the ERP, the mismatch CSV, and a rerun that changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;

use flows::report::Target;
use flows::settlement_reconciliation::{self, Issue, Options, PollOptionsConfig};
use flows::systems::ErpFlavor;
use flows::systems::seed::{self, SeedOptions};
use rust_decimal::Decimal;
use std::time::Duration;
use support::*;

async fn day(flavor: ErpFlavor) -> (flows::Systems, seed::SettlementDay) {
    let systems = systems(flavor).await;
    let options = SeedOptions {
        opportunities: 10,
        ..SeedOptions::default()
    };
    let day = seed::settlement_day(&systems, &options).await.unwrap();
    assert_eq!(day.planted.len(), 3, "{day:?}");
    (systems, day)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_is_settled_booked_and_its_mismatches_reported() {
    let (systems, _day) = day(ErpFlavor::FinanceOperations).await;
    let sandboxes = systems.sandboxes().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("mismatches.csv");
    let options = Options {
        csv: Some(csv.clone()),
        ..Options::default()
    };
    let reconciliation = settlement_reconciliation::run(&systems, &options)
        .await
        .unwrap();
    let report = &reconciliation.report;

    // PayTrace: one batch with every approved transaction of the day.
    let transactions = sandboxes.paytrace().unwrap().emulator().transactions();
    let settled: Vec<_> = transactions
        .iter()
        .filter(|t| t.batch_number.is_some())
        .collect();
    assert_eq!(reconciliation.batches.len(), 1);
    assert_eq!(reconciliation.batches[0].transactions.len(), settled.len());
    assert_eq!(report.records.seen as usize, settled.len(), "{report}");

    // Salesforce: every Payment__c of a settled transaction says Settled, except the one a
    // person marked Declined (a move the lifecycle refuses).
    let payments = payments_by(sandboxes, "PaymentID__c");
    let mut statuses = BTreeMap::<String, usize>::new();
    for t in &settled {
        if let Some(records) = payments.get(&t.id.to_string()) {
            *statuses.entry(records[0].0.clone()).or_default() += 1;
        }
    }
    assert_eq!(statuses.get("Declined"), Some(&1), "{statuses:?}");
    assert_eq!(
        statuses.get("Settled"),
        Some(&(settled.len() - 2)),
        "{statuses:?}"
    );
    assert_eq!(
        report
            .row(Target::Salesforce, "Payment__c")
            .unwrap()
            .updated as usize,
        settled.len() - 2
    );

    // The ERP: one journal entry for the batch, posted, balanced, for the batch's total.
    let headers = erp_rows(sandboxes, "LedgerJournalHeaders", "");
    let header = headers
        .iter()
        .find(|h| str_of(h, "Description") == "STL-1")
        .unwrap();
    assert_eq!(str_of(header, "IsPosted"), "Yes");
    let lines: Vec<_> = erp_rows(sandboxes, "LedgerJournalLines", "")
        .into_iter()
        .filter(|l| str_of(l, "JournalBatchNumber") == str_of(header, "JournalBatchNumber"))
        .collect();
    let sum = |field: &str| -> Decimal {
        lines
            .iter()
            .filter_map(|l| {
                decimal_text(l.get(field).unwrap_or(&serde_json::Value::Null))
                    .parse::<Decimal>()
                    .ok()
            })
            .sum()
    };
    let total: Decimal = settled.iter().map(|t| t.amount).sum();
    assert_eq!(sum("DebitAmount"), total);
    assert_eq!(sum("CreditAmount"), total);

    // Mismatches: the terminal sale (in PayTrace only), the edited amount, the Declined
    // status, and the opportunity whose ERP invoice did not exist (charged, not in the ERP).
    let issues: Vec<Issue> = reconciliation.mismatches.iter().map(|m| m.issue).collect();
    let count = |issue| issues.iter().filter(|i| **i == issue).count();
    assert_eq!(count(Issue::MissingInSalesforce), 1, "{issues:?}");
    assert_eq!(count(Issue::AmountInSalesforce), 1, "{issues:?}");
    assert_eq!(count(Issue::StatusInSalesforce), 1, "{issues:?}");
    assert_eq!(count(Issue::MissingInErp), 2, "{issues:?}");
    let terminal = reconciliation
        .mismatches
        .iter()
        .find(|m| m.issue == Issue::MissingInSalesforce)
        .unwrap();
    assert_eq!(terminal.invoice_id.as_deref(), Some("POS-0001"));
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), 1 + reconciliation.mismatches.len());
    assert!(
        text.lines()
            .any(|l| l.contains("POS-0001") && l.ends_with("missing_in_salesforce")),
        "{text}"
    );
    assert!(
        report.fact("mismatches").unwrap().starts_with("5 ("),
        "{report}"
    );

    // A second run finds everything done.
    let before = (
        payments_by(sandboxes, "PaymentID__c"),
        erp_rows(sandboxes, "LedgerJournalLines", "").len(),
    );
    let again = settlement_reconciliation::run(&systems, &Options::default())
        .await
        .unwrap();
    assert!(!again.report.changed_anything(), "{}", again.report);
    let issues = |r: &settlement_reconciliation::Reconciliation| -> Vec<(String, Issue)> {
        r.mismatches
            .iter()
            .map(|m| (m.transaction_id.clone(), m.issue))
            .collect()
    };
    assert_eq!(issues(&again), issues(&reconciliation));
    assert_eq!(
        before,
        (
            payments_by(sandboxes, "PaymentID__c"),
            erp_rows(sandboxes, "LedgerJournalLines", "").len()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn above_the_threshold_payments_are_settled_by_a_bulk_job() {
    let (systems, _day) = day(ErpFlavor::BusinessCentral).await;
    let sandboxes = systems.sandboxes().unwrap();
    let options = Options {
        bulk_threshold: 2,
        bulk_poll: Some(PollOptionsConfig {
            first_interval: Duration::from_millis(20),
            max_interval: Duration::from_millis(100),
        }),
        ..Options::default()
    };
    let reconciliation = settlement_reconciliation::run(&systems, &options)
        .await
        .unwrap();
    let report = &reconciliation.report;
    assert_eq!(
        report.fact("Payment__c written by"),
        Some("Bulk API 2.0 upsert"),
        "{report}"
    );
    let updated = report
        .row(Target::Salesforce, "Payment__c")
        .unwrap()
        .updated;
    assert!(updated > 2, "{report}");
    let settled = sf_records(sandboxes, "Payment__c")
        .iter()
        .filter(|r| text(r, "Status__c") == "Settled")
        .count();
    assert_eq!(settled as u64, updated);
    // Business Central posts the entry into general ledger entries.
    let entries = erp_rows(sandboxes, "", "generalLedgerEntries");
    assert!(
        entries
            .iter()
            .any(|e| str_of(e, "documentNumber") == "STL-1"),
        "{entries:?}"
    );
    assert!(
        report.fact("journal STL-1").unwrap().ends_with("posted"),
        "{report}"
    );
}
