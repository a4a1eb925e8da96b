//! Use case 7: refunds requested in Salesforce (`Refund_Request__c`) → a PayTrace void while
//! the payment is unsettled, else a refund for the transaction (full or partial) →
//! `Payment__c`, the Opportunity and an ERP credit entry.
//!
//! ```text
//! cargo run -p examples --bin refund
//! ```
//!
//! The request object is documented in `flows::refund`. In the sandbox, payments are made
//! (some settled) with requests for them: a void, a partial refund then the rest, a full
//! refund, a partial refund of an unsettled payment (it waits), one for more than was paid
//! (rejected). After the run, the payments settle and the waiting request is done too.

use clap::Parser;
use examples::{Common, Console, Error};
use flows::refund::{self, RefundOptions};
use flows::scenarios;

/// Do the refunds requested in Salesforce.
#[derive(Parser)]
#[command(name = "refund", version)]
struct Args {
    #[command(flatten)]
    common: Common,

    /// Leave the credit entries unposted.
    #[arg(long)]
    no_post: bool,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let console = Console::start(&args.common);
    let systems = args.common.systems(&console).await?;
    let seeding = args.common.seeding(&systems);
    if seeding {
        scenarios::refunds(&systems).await?;
        console.note("made 5 payments (3 settled) and 6 refund requests in the sandbox");
    }
    let options = RefundOptions {
        post: !args.no_post,
        ..RefundOptions::default()
    };
    let mut run = refund::run(&systems, &options).await?;
    if seeding && let Some(sandboxes) = systems.sandboxes() {
        console.note(&run.to_string());
        let batch = sandboxes.paytrace()?.emulator().force_settle();
        console.note(&format!(
            "PayTrace settled batch {}: the waiting request can be done now",
            batch.map_or_else(|| "-".to_owned(), |b| b.to_string())
        ));
        run = refund::run(&systems, &options).await?;
    }
    console.summary(&systems, &run, &[])
}
