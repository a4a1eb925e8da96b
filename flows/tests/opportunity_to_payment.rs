//! Use case 1 end to end against the three emulators: the state of PayTrace, Salesforce and
//! the ERP afterwards, the dead letters, a rerun that changes nothing, the push trigger, and
//! the replay of a dead letter once its cause is fixed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use flows::opportunity_to_payment::{self, CHECKPOINT, OpportunityEvent, Options};
use flows::report::Target;
use flows::store::DeadLetterStatus;
use flows::systems::ErpFlavor;
use flows::systems::seed::{self, Expect, SeedOptions};
use futures::{StreamExt, stream};
use rust_decimal::Decimal;
use serde_json::json;
use support::*;

fn seed_options(opportunities: usize) -> SeedOptions {
    SeedOptions {
        opportunities,
        ..SeedOptions::default()
    }
}

async fn end_to_end(flavor: ErpFlavor) {
    let systems = systems(flavor).await;
    let sandboxes = systems.sandboxes().unwrap();
    let seeded = seed::opportunities(sandboxes, &seed_options(12)).unwrap();

    let report = opportunity_to_payment::run(&systems, &Options::default())
        .await
        .unwrap();
    let paid: Vec<_> = seeded.expecting(Expect::Paid).collect();
    assert_eq!(paid.len(), 8, "{seeded:?}");
    assert_eq!(report.records.completed, 8, "{report}");
    assert_eq!(report.records.declined, 1, "{report}");
    assert_eq!(report.records.dead_lettered, 2, "{report}");
    assert_eq!(
        report.records.seen, 11,
        "the lost opportunity is not read: {report}"
    );

    // PayTrace: one approved charge per paid or half-done opportunity, for its amount.
    let charges = charges_per_invoice(sandboxes);
    let transactions = sandboxes.paytrace().unwrap().emulator().transactions();
    for opp in &paid {
        assert_eq!(charges.get(&opp.id), Some(&1), "{}", opp.name);
        let sale = transactions
            .iter()
            .find(|t| t.invoice_id == opp.id)
            .unwrap();
        assert_eq!(sale.amount, opp.amount);
        assert_eq!(sale.discretionary_data["OpportunityName"], json!(opp.name));
    }
    let declined = seeded.expecting(Expect::Declined).next().unwrap();
    assert!(!charges.contains_key(&declined.id));
    let no_vault = &seeded.opportunities[1];
    assert_eq!(no_vault.expect, Expect::DeadLetter("validate"));
    assert!(
        !charges.contains_key(&no_vault.id),
        "nothing charged without a vault id"
    );

    // Salesforce: one Payment__c per charge, the Opportunity updated.
    let payments = payments_by(sandboxes, "Opportunity__c");
    for opp in &paid {
        let amount = opp.amount.normalize().to_string();
        assert_eq!(
            payments.get(&opp.id),
            Some(&vec![("Completed".to_owned(), amount)]),
            "{}",
            opp.name
        );
    }
    assert_eq!(payments[&declined.id][0].0, "Declined");
    let opportunities = sf_records(sandboxes, "Opportunity");
    for opp in &paid {
        let record = opportunities
            .iter()
            .find(|r| text(r, "Id") == opp.id)
            .unwrap();
        assert_eq!(text(record, "Payment_Status__c"), "Completed");
        assert!(!text(record, "PaymentID__c").is_empty());
    }
    let payment = sf_records(sandboxes, "Payment__c")
        .into_iter()
        .find(|r| text(r, "Opportunity__c") == paid[0].id)
        .unwrap();
    assert_eq!(text(&payment, "Account__c"), paid[0].account_id);
    assert_eq!(text(&payment, "Last4Digits__c").len(), 4);
    assert_eq!(text(&payment, "PaymentMethodType__c"), "Vault");

    // ERP: one payment line per paid opportunity, on the account's number; invoices settled,
    // sales orders for the others; the declined and refused ones absent.
    let lines = erp_payment_lines(sandboxes);
    assert_eq!(lines.len(), 8, "{lines:?}");
    for opp in &paid {
        let account = seeded
            .accounts
            .iter()
            .find(|a| a.id == opp.account_id)
            .unwrap();
        let transaction = transactions
            .iter()
            .find(|t| t.invoice_id == opp.id)
            .unwrap();
        let line = &lines[&transaction.id.to_string()];
        assert_eq!(
            line,
            &vec![(
                account.account_number.clone(),
                opp.amount.normalize().to_string()
            )]
        );
    }
    let orders = erp_rows(sandboxes, "SalesOrderHeadersV2", "salesOrders");
    let order_refs: Vec<String> = orders
        .iter()
        .map(|o| match flavor {
            ErpFlavor::FinanceOperations => str_of(o, "CustomersOrderReference"),
            ErpFlavor::BusinessCentral => str_of(o, "externalDocumentNumber"),
        })
        .collect();
    for opp in &paid {
        assert_eq!(
            order_refs.contains(&opp.id),
            opp.invoice.is_none(),
            "{}",
            opp.name
        );
    }
    if flavor == ErpFlavor::FinanceOperations {
        let settled: Vec<String> = sandboxes
            .dynamics()
            .unwrap()
            .emulator()
            .fno_rows("CustomerPaymentJournalLines")
            .iter()
            .map(|l| str_of(l, "MarkedInvoice"))
            .filter(|i| !i.is_empty())
            .collect();
        let invoiced: Vec<String> = paid.iter().filter_map(|o| o.invoice.clone()).collect();
        assert_eq!(settled.len(), invoiced.len());
        assert!(invoiced.iter().all(|i| settled.contains(i)));
    }

    // The dead letters say why.
    let letters = pending_letters(&systems, opportunity_to_payment::FLOW).await;
    assert_eq!(letters.len(), 2);
    let by_step: Vec<(&str, &str)> = letters
        .iter()
        .map(|l| (l.step.as_str(), l.reason.as_str()))
        .collect();
    assert!(
        by_step
            .iter()
            .any(|(s, r)| *s == "validate" && r.contains("CustomerVaultID__c")),
        "{by_step:?}"
    );
    assert!(
        by_step
            .iter()
            .any(|(s, r)| *s == "erp.find_invoice" && r.contains("CIV-999999")),
        "{by_step:?}"
    );
    assert!(
        systems
            .stores
            .checkpoints
            .get(CHECKPOINT)
            .await
            .unwrap()
            .is_some()
    );

    // A second run reads the opportunities the first one updated, and does nothing.
    let before = (
        paytrace_state(sandboxes),
        payments_by(sandboxes, "PaymentID__c"),
        erp_payment_lines(sandboxes),
    );
    let again = opportunity_to_payment::run(&systems, &Options::default())
        .await
        .unwrap();
    assert!(!again.changed_anything(), "{again}");
    assert_eq!(
        again.records.completed + again.records.dead_lettered,
        0,
        "{again}"
    );
    let after = (
        paytrace_state(sandboxes),
        payments_by(sandboxes, "PaymentID__c"),
        erp_payment_lines(sandboxes),
    );
    assert_eq!(before, after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finance_and_operations_end_to_end() {
    end_to_end(ErpFlavor::FinanceOperations).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn business_central_end_to_end() {
    end_to_end(ErpFlavor::BusinessCentral).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_replays_once_its_cause_is_fixed_without_charging_again() {
    let systems = systems(ErpFlavor::FinanceOperations).await;
    let sandboxes = systems.sandboxes().unwrap();
    let seeded = seed::opportunities(sandboxes, &seed_options(6)).unwrap();
    opportunity_to_payment::run(&systems, &Options::default())
        .await
        .unwrap();
    let missing = seeded
        .expecting(Expect::DeadLetter("erp.find_invoice"))
        .next()
        .unwrap();
    let account = seeded
        .accounts
        .iter()
        .find(|a| a.id == missing.account_id)
        .unwrap();

    // The finance team creates the invoice the opportunity names.
    sandboxes
        .dynamics()
        .unwrap()
        .emulator()
        .seed_fno_invoice(
            json!({"dataAreaId": "usmf", "InvoiceNumber": "CIV-999999",
                   "InvoiceCustomerAccountNumber": account.account_number, "CurrencyCode": "USD"}),
            vec![json!({"ItemNumber": "SRV-IMPL", "LineAmount": missing.amount.to_string().parse::<f64>().unwrap()})],
        )
        .unwrap();
    let letter = pending_letters(&systems, opportunity_to_payment::FLOW)
        .await
        .into_iter()
        .find(|l| l.key == missing.id)
        .unwrap();
    let report = opportunity_to_payment::replay(&systems, &letter, &Options::default())
        .await
        .unwrap();
    assert_eq!(report.records.completed, 1, "{report}");
    assert_eq!(
        report.row(Target::PayTrace, "sale").unwrap().skipped,
        1,
        "the charge was found done: {report}"
    );
    assert_eq!(charges_per_invoice(sandboxes)[&missing.id], 1);
    let stored = systems
        .stores
        .dead_letters
        .get(&letter.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, DeadLetterStatus::Replayed);
    let lines = erp_payment_lines(sandboxes);
    assert_eq!(
        lines
            .values()
            .filter(|l| l.iter().any(|(a, _)| *a == account.account_number))
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_push_trigger_processes_events_and_keeps_the_replay_id() {
    let systems = systems(ErpFlavor::FinanceOperations).await;
    let sandboxes = systems.sandboxes().unwrap();
    let seeded = seed::opportunities(
        sandboxes,
        &SeedOptions {
            edge_cases: false,
            ..seed_options(3)
        },
    )
    .unwrap();
    let channel = "/data/OpportunityChangeEvent";
    let events: Vec<flows::Result<OpportunityEvent>> = seeded
        .opportunities
        .iter()
        .chain(seeded.opportunities.first())
        .enumerate()
        .map(|(i, o)| {
            Ok(OpportunityEvent {
                channel: channel.to_owned(),
                replay_id: 100 + i as i64,
                opportunity_id: o.id.clone(),
            })
        })
        .collect();
    let report =
        opportunity_to_payment::run_events(&systems, stream::iter(events), &Options::default())
            .await
            .unwrap();
    assert_eq!(report.records.completed, 3, "{report}");
    assert_eq!(
        report.records.skipped, 1,
        "a replayed event does nothing: {report}"
    );
    assert!(charges_per_invoice(sandboxes).values().all(|n| *n == 1));
    let position = systems
        .stores
        .checkpoints
        .get(&opportunity_to_payment::streaming_checkpoint(channel))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(position.value, json!(103));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limited_run_leaves_the_rest_for_the_next_from_the_checkpoint() {
    let systems = systems(ErpFlavor::FinanceOperations).await;
    let sandboxes = systems.sandboxes().unwrap();
    seed::opportunities(
        sandboxes,
        &SeedOptions {
            edge_cases: false,
            ..seed_options(7)
        },
    )
    .unwrap();
    let first = opportunity_to_payment::run(
        &systems,
        &Options {
            limit: Some(3),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(first.records.completed, 3, "{first}");
    let rest = opportunity_to_payment::run(&systems, &Options::default())
        .await
        .unwrap();
    assert_eq!(rest.records.completed, 4, "{rest}");
    let charges = charges_per_invoice(sandboxes);
    assert_eq!(charges.len(), 7);
    assert!(charges.values().all(|n| *n == 1));
    let total: Decimal = sandboxes
        .paytrace()
        .unwrap()
        .emulator()
        .transactions()
        .iter()
        .map(|t| t.amount)
        .sum();
    assert!(total > Decimal::ZERO);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opportunities_won_later_arrive_through_the_streaming_api() {
    let systems = systems(ErpFlavor::FinanceOperations).await;
    let sandboxes = systems.sandboxes().unwrap();
    let seeded = seed::opportunities(
        sandboxes,
        &SeedOptions {
            edge_cases: false,
            ..seed_options(2)
        },
    )
    .unwrap();
    let salesforce = sandboxes.salesforce().unwrap().emulator();
    let account = &seeded.accounts[0];
    let open = |name: &str, stage: &str| {
        salesforce
            .insert(
                "Opportunity",
                json!({"Name": name, "StageName": stage, "CloseDate": "2026-11-30",
                       "Amount": 1250.5, "AccountId": account.id}),
            )
            .unwrap()
    };
    let won_at_once = open("Renewal won on creation", "Closed Won");
    let won_later = open("Expansion", "Qualification");
    open("Still qualifying", "Qualification");
    salesforce
        .update(&won_later, json!({"StageName": "Closed Won"}))
        .unwrap();
    salesforce
        .update(&won_later, json!({"Description": "signed"}))
        .unwrap();

    // Resume from the start of the channel (a stored position), so the events above come.
    let channel = opportunity_to_payment::change_channel();
    systems
        .stores
        .checkpoints
        .set(
            &opportunity_to_payment::streaming_checkpoint(&channel),
            json!(0),
        )
        .await
        .unwrap();
    let events = opportunity_to_payment::change_events(&systems).take(2);
    let report = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        opportunity_to_payment::run_events(&systems, events, &Options::default()),
    )
    .await
    .expect("the events arrived")
    .unwrap();
    assert_eq!(report.records.completed, 2, "{report}");
    let charges = charges_per_invoice(sandboxes);
    assert_eq!(charges.get(&won_at_once), Some(&1));
    assert_eq!(charges.get(&won_later), Some(&1));
    assert_eq!(charges.len(), 2, "only the opportunities won: {charges:?}");
    let position = systems
        .stores
        .checkpoints
        .get(&opportunity_to_payment::streaming_checkpoint(&channel))
        .await
        .unwrap()
        .unwrap();
    assert!(position.value.as_i64().unwrap() > 0);
}
