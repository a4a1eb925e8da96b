//! Leak audit: every tracing line of use cases 1–3 (at `trace` level, every crate, faults on
//! so that the error and retry paths log too) and the `Debug` of what the runs handle —
//! reports, dead letters, ledger entries, orders, settlement batches, the systems — hold no
//! card number, CSC, access token, password or client secret.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use flows::store::card_guard::contains_pan;
use flows::systems::ErpFlavor;
use flows::systems::seed::{self, SeedOptions};
use flows::{Stores, opportunity_to_payment, order_to_cash, settlement_reconciliation};
use mapping::retry::RecordingSleeper;
use sandbox::fault::FaultPlan;
use sandbox::paytrace::test_cards;
use support::*;

/// Everything the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

/// Whether `text` holds a PayTrace-emulator token: 32 hex digits, `:`, 32 hex digits.
fn has_paytrace_token(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.windows(65).any(|w| {
        w[32] == b':'
            && w[..32].iter().all(u8::is_ascii_hexdigit)
            && w[33..].iter().all(u8::is_ascii_hexdigit)
    })
}

fn faults(seed: u64) -> FaultPlan {
    FaultPlan::new()
        .seed(seed)
        .server_errors(0.05, [500, 503])
        .throttle(0.03, 1)
        .drop_responses(0.05)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_card_data_token_or_secret_reaches_the_logs_or_debug_output() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let systems = systems_with(
        ErpFlavor::FinanceOperations,
        [faults(31), faults(32), faults(33)],
        Stores::memory(),
        &RecordingSleeper::new(),
    )
    .await;
    let sandboxes = systems.sandboxes().unwrap();
    let options = SeedOptions {
        opportunities: 25,
        ..SeedOptions::default()
    };
    let seeded = seed::opportunities(sandboxes, &options).unwrap();
    let orders = seed::storefront_orders(sandboxes, 15, 4, true).unwrap();
    let mut debug = vec![
        format!("{systems:?}"),
        format!("{seeded:?}"),
        format!("{orders:?}"),
    ];
    for _ in 0..2 {
        sandboxes.paytrace().unwrap().emulator().expire_tokens();
        sandboxes.salesforce().unwrap().emulator().expire_sessions();
        sandboxes.dynamics().unwrap().emulator().expire_tokens();
        let report = opportunity_to_payment::run(&systems, &Default::default())
            .await
            .unwrap();
        debug.push(format!("{report:?} {report}"));
        let report = order_to_cash::run(&systems, orders.clone(), &Default::default())
            .await
            .unwrap();
        debug.push(format!("{report:?} {report}"));
    }
    sandboxes.paytrace().unwrap().emulator().force_settle();
    let reconciliation = settlement_reconciliation::run(&systems, &Default::default())
        .await
        .unwrap();
    debug.push(format!("{reconciliation:?}"));
    let letters = systems
        .stores
        .dead_letters
        .list(&Default::default())
        .await
        .unwrap();
    debug.push(format!("{letters:?}"));
    debug.push(format!(
        "{:?}",
        systems.stores.ledger.unresolved().await.unwrap()
    ));
    for opportunity in &seeded.opportunities {
        for namespace in ["opportunity-to-payment", "opportunity-sale"] {
            let key = mapping::idempotency::IdempotencyKey::derive(namespace, &[&opportunity.id]);
            debug.push(format!(
                "{:?}",
                systems.stores.ledger.get(key.as_str()).await.unwrap()
            ));
        }
    }

    let logs = captured.text();
    assert!(
        logs.lines().count() > 1_000,
        "the audit saw the runs: {} lines",
        logs.lines().count()
    );
    assert!(logs.contains("flow.step"), "steps are traced");
    let everything = format!("{logs}\n{}", debug.join("\n"));

    let mut found = Vec::new();
    for card in [
        test_cards::VISA,
        test_cards::MASTERCARD,
        test_cards::DISCOVER,
        test_cards::AMEX,
    ] {
        if everything.contains(card) {
            found.push(format!("card number ending {}", &card[card.len() - 4..]));
        }
    }
    for (what, secret) in [
        ("PayTrace password", sandbox::paytrace::DEFAULT_PASSWORD),
        (
            "Salesforce client secret",
            sandbox::salesforce::DEFAULT_CLIENT_SECRET,
        ),
        (
            "Dynamics client secret",
            sandbox::dynamics::DEFAULT_CLIENT_SECRET,
        ),
    ] {
        if everything.contains(secret) {
            found.push(what.to_owned());
        }
    }
    let org = &sandbox::salesforce::DEFAULT_ORG_ID[..15];
    if everything.contains(&format!("{org}!")) {
        found.push("a Salesforce access token".to_owned());
    }
    if everything.contains("eyJ0eXAi") || everything.contains("eyJhbGci") {
        found.push("a JWT (Entra access token or Salesforce assertion)".to_owned());
    }
    if has_paytrace_token(&everything) {
        found.push("a PayTrace access token".to_owned());
    }
    if everything.to_ascii_lowercase().contains("bearer ") {
        found.push("an Authorization header".to_owned());
    }
    // Nothing that even looks like a card number (13–19 digits passing the Luhn check)
    // in what the flows themselves keep.
    if contains_pan(&debug.join("\n")) {
        found.push("a PAN-like number in a record".to_owned());
    }
    assert!(found.is_empty(), "leaked: {found:?}");
}
