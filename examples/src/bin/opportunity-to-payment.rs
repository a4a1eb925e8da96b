//! Use case 1, the flagship: Closed Won Opportunities → PayTrace charge of the account's
//! vaulted card → `Payment__c` and the Opportunity in Salesforce → customer, order or invoice,
//! and payment in the ERP; exactly once, failures to the dead letters.
//!
//! ```text
//! cargo run -p examples --bin opportunity-to-payment              # all in the sandbox
//! cargo run -p examples --bin opportunity-to-payment -- --json    # the summary as JSON
//! cargo run -p examples --bin opportunity-to-payment -- --erp bc --opportunities 200
//! cargo run -p examples --bin opportunity-to-payment -- --stream  # then the Streaming API
//! ```
//!
//! With no credentials set, the three emulators start in-process and are seeded with
//! accounts, vault profiles, Closed Won opportunities, ERP customers and invoices (and the
//! records a flow must survive: an account without a vault id, a declined card, a missing
//! invoice). Set a system's variables (README) to use the real one.

use std::pin::Pin;
use std::time::Duration;

use clap::Parser;
use examples::{Common, Console, Error};
use flows::opportunity_to_payment::{self, OpportunityEvent, Options};
use flows::systems::seed::{self, SeedOptions};
use futures::{Stream, StreamExt};

/// Charge Closed Won Opportunities and book the payments in Salesforce and the ERP.
#[derive(Parser)]
#[command(name = "opportunity-to-payment", version)]
struct Args {
    #[command(flatten)]
    common: Common,

    /// Closed Won opportunities to seed into the sandbox.
    #[arg(long, default_value_t = 40)]
    opportunities: usize,

    /// Process at most this many opportunities (the rest wait for the next run).
    #[arg(long)]
    limit: Option<usize>,

    /// The ERP item of the sales order made for an opportunity without an invoice.
    #[arg(long, default_value = "SRV-IMPL")]
    order_item: String,

    /// After the poll, follow the Streaming API (Opportunity change events) until Ctrl-C; in
    /// the sandbox, three more opportunities are won while it listens, then it stops.
    #[arg(long)]
    stream: bool,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let console = Console::start(&args.common);
    let systems = args.common.systems(&console).await?;
    if args.common.seeding(&systems)
        && let Some(sandboxes) = systems.sandboxes()
    {
        let options = SeedOptions {
            opportunities: args.opportunities,
            seed: args.common.seed,
            ..SeedOptions::default()
        };
        let seeded = seed::opportunities(sandboxes, &options)?;
        console.note(&format!(
            "seeded {} accounts and opportunities into the sandbox",
            seeded.opportunities.len()
        ));
    }
    let options = Options {
        limit: args.limit,
        order_item: args.order_item,
        ..Options::default()
    };
    // Both runs are large futures; boxing them keeps `main`'s own future small (and within
    // the compiler's layout depth).
    let report = Box::pin(opportunity_to_payment::run(&systems, &options)).await?;
    if !args.stream {
        return console.summary(&systems, &report, &[]);
    }
    console.summary(&systems, &report, &[])?;
    let events = opportunity_to_payment::change_events(&systems);
    let events: Pin<Box<dyn Stream<Item = flows::Result<OpportunityEvent>> + Send>> =
        match systems.sandboxes() {
            Some(sandboxes) if args.common.seeding(&systems) => {
                let salesforce = sandboxes.salesforce()?.emulator().clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    win_three(&salesforce);
                });
                Box::pin(events.take(3))
            }
            _ => Box::pin(events.take_until(async {
                let _ = tokio::signal::ctrl_c().await;
            })),
        };
    console.note(&format!(
        "listening on {}",
        opportunity_to_payment::change_channel()
    ));
    let streamed = Box::pin(opportunity_to_payment::run_events(
        &systems, events, &options,
    ))
    .await?;
    console.summary(&systems, &streamed, &[])
}

/// Three opportunities of the first seeded account are won, as a sales rep would.
fn win_three(salesforce: &sandbox::salesforce::SalesforceEmulator) {
    let Some(account) = salesforce.records("Account").into_iter().next() else {
        return;
    };
    for (name, amount) in [
        ("Upsell", 2_400.0),
        ("Renewal", 9_900.0),
        ("Add-on seats", 640.5),
    ] {
        let _ = salesforce.insert(
            "Opportunity",
            serde_json::json!({"Name": name, "StageName": "Closed Won", "CloseDate": "2026-12-01",
                               "Amount": amount, "AccountId": account.id}),
        );
    }
}
