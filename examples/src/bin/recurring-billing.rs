//! Use case 5: `Subscription__c` records due → one charge per subscription and period through
//! the PayTrace vault → `Payment__c` and the subscription's next date in Salesforce, and a
//! journal entry in the ERP.
//!
//! ```text
//! cargo run -p examples --bin recurring-billing
//! cargo run -p examples --bin recurring-billing -- --today 2026-12-01
//! ```
//!
//! The subscription object is documented in `flows::recurring_billing`. In the sandbox,
//! subscriptions are seeded: due today on several terms, one that declines, one that cannot
//! be billed (no vault profile), one not due yet and one paused.

use chrono::NaiveDate;
use clap::Parser;
use examples::{Common, Console, Error};
use flows::recurring_billing::{self, RecurringOptions};
use flows::scenarios;

/// Bill the subscriptions due.
#[derive(Parser)]
#[command(name = "recurring-billing", version)]
struct Args {
    #[command(flatten)]
    common: Common,

    /// The billing day (YYYY-MM-DD). Default: today (UTC).
    #[arg(long)]
    today: Option<NaiveDate>,

    /// Leave the journal entries unposted.
    #[arg(long)]
    no_post: bool,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let console = Console::start(&args.common);
    let systems = args.common.systems(&console).await?;
    let options = RecurringOptions {
        post: !args.no_post,
        ..RecurringOptions::default()
    };
    let options = RecurringOptions {
        today: args.today.unwrap_or(options.today),
        ..options
    };
    if args.common.seeding(&systems) {
        let scenario = scenarios::recurring(&systems, options.today)?;
        console.note(&format!(
            "seeded {} subscriptions, {} of them due on {}",
            scenario.due.len() + scenario.not_due.len() + 3,
            scenario.due.len() + 3,
            options.today
        ));
    }
    let run = recurring_billing::run(&systems, &options).await?;
    console.summary(&systems, &run, &[])
}
