//! Use case 6, `vault-sync`, end to end against the three emulators: links written, mismatches
//! reported, a profile made from a payment (its answer lost once), and a rerun.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use flows::Systems;
use flows::scenarios;
use flows::store::{DeadLetterFilter, DeadLetterStatus};
use flows::systems::ErpFlavor;
use flows::vault_sync::{self, MATCH_STEP, VaultSyncOptions};
use sandbox::paytrace::test_cards;
use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Every line of tracing output, at every level.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_tracing() -> Capture {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .try_init()
        .unwrap();
    capture
}

fn vault_id(systems: &Systems, account: &str) -> Value {
    let sf = systems
        .sandboxes()
        .unwrap()
        .salesforce()
        .unwrap()
        .emulator();
    sf.record(account)
        .unwrap()
        .fields
        .get("CustomerVaultID__c")
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_and_profiles_are_matched_linked_and_reported() {
    let logs = capture_tracing();
    let systems = support::systems(ErpFlavor::FinanceOperations).await;
    let s = scenarios::vault_sync(&systems).await.unwrap();
    let sandboxes = systems.sandboxes().unwrap();
    let paytrace = sandboxes.paytrace().unwrap();
    let dynamics = sandboxes.dynamics().unwrap().emulator();
    let erp_customers = dynamics.fno_rows("CustomersV3").len();
    let transactions = paytrace.emulator().transactions().len();
    // The profile is created, and the answer lost: the retry finds the id taken, by us.
    paytrace
        .faults()
        .drop_next_response("/v1/customer/create_from_transaction");

    let report = vault_sync::run(&systems, &VaultSyncOptions::default())
        .await
        .unwrap();
    println!("{report}");
    assert_eq!(paytrace.faults().counts().dropped_responses, 1);
    assert_eq!(report.fact("mismatches"), Some("2"), "{report}");
    assert_eq!(report.records.completed, 2, "{report}");
    assert_eq!(report.records.dead_lettered, 2, "{report}");

    // Salesforce: the links.
    for account in &s.in_sync {
        assert!(
            vault_id(&systems, account)
                .as_str()
                .is_some_and(|v| v.starts_with("VLT-"))
        );
    }
    let (to_link, vault) = &s.to_link;
    assert_eq!(vault_id(&systems, to_link), vault.as_str());
    assert_eq!(
        vault_id(&systems, &s.unknown_vault),
        "VLT-GONE",
        "a mismatch is not overwritten"
    );
    let made = format!("SF-{}", s.from_payment);
    assert_eq!(vault_id(&systems, &s.from_payment), made.as_str());
    assert!(vault_id(&systems, &s.nothing).is_null());

    // PayTrace: one profile made, with the payment's card; no money moved.
    let profile = paytrace.emulator().customer(&made).unwrap();
    assert!(profile.card.is_some());
    assert_eq!(
        profile.discretionary_data["SalesforceAccountId"],
        s.from_payment.as_str()
    );
    assert_eq!(paytrace.emulator().transactions().len(), transactions);

    // The ERP is not involved.
    assert_eq!(dynamics.fno_rows("CustomersV3").len(), erp_customers);

    // The mismatches, with their reasons.
    let letters = systems
        .stores
        .dead_letters
        .list(&DeadLetterFilter::pending())
        .await
        .unwrap();
    assert_eq!(letters.len(), 2, "{letters:#?}");
    assert!(letters.iter().all(|l| l.step == MATCH_STEP));
    assert!(
        letters
            .iter()
            .any(|l| l.key == s.unknown_vault && l.reason.contains("VLT-GONE"))
    );
    assert!(
        letters
            .iter()
            .any(|l| l.key == "profile VLT-STRAY" && l.reason.contains(&s.stray_profile))
    );

    // A rerun changes nothing, and reports the same mismatches again.
    let again = vault_sync::run(&systems, &VaultSyncOptions::default())
        .await
        .unwrap();
    println!("{again}");
    assert!(!again.changed_anything(), "{again}");
    let letters = systems
        .stores
        .dead_letters
        .list(&DeadLetterFilter::default())
        .await
        .unwrap();
    assert_eq!(letters.len(), 2);
    assert!(
        letters
            .iter()
            .all(|l| l.attempts == 2 && l.status == DeadLetterStatus::Pending)
    );

    // No card number anywhere: logs, reports, dead letters, ledger.
    let mut seen = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(seen.contains("ledger begin"), "the capture works");
    seen.push_str(&format!("{report:?}{again:?}{letters:?}"));
    for card in [
        test_cards::VISA,
        test_cards::VISA_GENERIC,
        test_cards::MASTERCARD,
        test_cards::DISCOVER,
        test_cards::AMEX,
    ] {
        assert!(!seen.contains(card), "a card number leaked");
    }
}
