//! Use case 2 end to end against the emulators: orders from a file and generated, the state of
//! PayTrace and the ERP afterwards, the journal posted, and a rerun that changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use flows::order_to_cash::{self, Options};
use flows::systems::ErpFlavor;
use flows::systems::seed;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_are_charged_once_and_booked_in_the_erp() {
    let systems = systems(ErpFlavor::FinanceOperations).await;
    let sandboxes = systems.sandboxes().unwrap();
    let orders = seed::storefront_orders(sandboxes, 8, 11, true).unwrap();

    // Through a storefront export file, as the binary reads it.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&serde_json::json!({"orders": orders})).unwrap(),
    )
    .unwrap();
    let read = order_to_cash::read_orders(&path).unwrap();
    assert_eq!(read, orders);

    let report = order_to_cash::run(&systems, read, &Options::default())
        .await
        .unwrap();
    assert_eq!(report.records.completed, 7, "{report}");
    assert_eq!(report.records.dead_lettered, 1, "{report}");
    assert!(
        report.fact("payment journal").unwrap().ends_with("posted"),
        "{report}"
    );

    let charges = charges_per_invoice(sandboxes);
    let lines = erp_payment_lines(sandboxes);
    let transactions = sandboxes.paytrace().unwrap().emulator().transactions();
    let headers = erp_rows(sandboxes, "SalesOrderHeadersV2", "salesOrders");
    for (i, order) in orders.iter().enumerate() {
        if i == 1 {
            assert!(
                !charges.contains_key(&order.id),
                "no vault profile, no charge"
            );
            continue;
        }
        let total = order.total().unwrap().amount;
        assert_eq!(charges.get(&order.id), Some(&1), "{}", order.id);
        let sale = transactions
            .iter()
            .find(|t| t.invoice_id == order.id)
            .unwrap();
        assert_eq!(sale.amount, total);
        let account = order
            .customer
            .as_ref()
            .unwrap()
            .reference(&order_to_cash::storefront_system())
            .unwrap()
            .to_owned();
        assert_eq!(
            lines[&sale.id.to_string()],
            vec![(account.clone(), total.normalize().to_string())]
        );
        let header = headers
            .iter()
            .find(|h| str_of(h, "CustomersOrderReference") == order.id)
            .unwrap();
        assert_eq!(str_of(header, "OrderingCustomerAccountNumber"), account);
    }
    let journal = erp_rows(sandboxes, "CustomerPaymentJournalHeaders", "")
        .into_iter()
        .find(|h| str_of(h, "Description").starts_with("O2C-"))
        .unwrap();
    assert_eq!(str_of(&journal, "IsPosted"), "Yes");
    assert!(
        sf_records(sandboxes, "Payment__c").is_empty(),
        "Salesforce is not part of it"
    );
    let letters = pending_letters(&systems, order_to_cash::FLOW).await;
    assert_eq!(letters.len(), 1);
    assert!(letters[0].reason.contains("vault"), "{:?}", letters[0]);
    assert_eq!(letters[0].payload["order"]["id"], orders[1].id.as_str());

    let before = (paytrace_state(sandboxes), erp_payment_lines(sandboxes));
    let again = order_to_cash::run(&systems, orders, &Options::default())
        .await
        .unwrap();
    assert!(!again.changed_anything(), "{again}");
    assert_eq!(
        before,
        (paytrace_state(sandboxes), erp_payment_lines(sandboxes))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn business_central_posts_the_payment_journal_to_the_ledger() {
    let systems = systems(ErpFlavor::BusinessCentral).await;
    let sandboxes = systems.sandboxes().unwrap();
    let orders = seed::storefront_orders(sandboxes, 4, 5, false).unwrap();
    let report = order_to_cash::run(&systems, orders.clone(), &Options::default())
        .await
        .unwrap();
    assert_eq!(report.records.completed, 4, "{report}");
    assert!(
        report.fact("payment journal").unwrap().ends_with("posted"),
        "{report}"
    );
    // Posted: the journal is empty, the payments are ledger entries by document number.
    assert!(erp_payment_lines(sandboxes).is_empty());
    let entries = erp_rows(sandboxes, "", "generalLedgerEntries");
    for transaction in sandboxes.paytrace().unwrap().emulator().transactions() {
        let document = transaction.id.to_string();
        assert!(
            entries
                .iter()
                .any(|e| str_of(e, "documentNumber") == document),
            "{document}"
        );
    }
    let again = order_to_cash::run(&systems, orders, &Options::default())
        .await
        .unwrap();
    assert!(!again.changed_anything(), "{again}");
    assert_eq!(charges_per_invoice(sandboxes).values().sum::<usize>(), 4);
}

#[test]
fn a_bad_orders_file_names_the_order() {
    let error = order_to_cash::parse_orders(
        r#"[{"id": "A", "currency": "USD", "lines": [], "status": "open"}, {"id": 1}]"#,
    )
    .unwrap_err();
    assert!(error.to_string().contains("orders file"), "{error}");
    let source = std::error::Error::source(&error).unwrap().to_string();
    assert!(source.contains("order #1"), "{source}");
}
