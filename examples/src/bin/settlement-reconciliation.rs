//! Use case 3: reconcile a day's PayTrace settlements with Salesforce and the ERP.
//!
//! ```text
//! cargo run -p examples --bin settlement-reconciliation
//! cargo run -p examples --bin settlement-reconciliation -- --date 2026-11-21 --csv mismatches.csv
//! ```
//!
//! In the sandbox, the day is made first: opportunities paid through use case 1, a sale keyed
//! at a terminal, a `Payment__c` edited by hand, another marked Declined, the batch settled.
//! Then: `Payment__c` marked Settled (Bulk API 2.0 above `--bulk-threshold` records), one ERP
//! journal entry per batch, and the mismatches as CSV.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Parser;
use examples::{Common, Console, Error};
use flows::settlement_reconciliation::{self, DEFAULT_BULK_THRESHOLD, Options};
use flows::systems::seed::{self, SeedOptions};

/// Mark settled payments in Salesforce, book batch totals in the ERP, report mismatches.
#[derive(Parser)]
#[command(name = "settlement-reconciliation", version)]
struct Args {
    #[command(flatten)]
    common: Common,

    /// The settlement day (YYYY-MM-DD, PayTrace's time zone). Default: today there.
    #[arg(long)]
    date: Option<NaiveDate>,

    /// Write the mismatch report here. Default: `settlement-mismatches-DATE.csv` in the
    /// system's temporary directory.
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,

    /// Above this many updates, Payment__c is written by a Bulk API 2.0 job.
    #[arg(long, default_value_t = DEFAULT_BULK_THRESHOLD)]
    bulk_threshold: usize,

    /// Opportunities paid during the sandbox's day.
    #[arg(long, default_value_t = 30)]
    opportunities: usize,

    /// Leave the journal entries unposted.
    #[arg(long)]
    no_post: bool,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let console = Console::start(&args.common);
    let systems = args.common.systems(&console).await?;
    if args.common.seeding(&systems) {
        let options = SeedOptions {
            opportunities: args.opportunities,
            seed: args.common.seed,
            ..SeedOptions::default()
        };
        let day = seed::settlement_day(&systems, &options).await?;
        console.note(&format!(
            "the sandbox's day: {} opportunities paid, batch {} settled",
            day.seeded.opportunities.len(),
            day.batch
                .map(|b| b.to_string())
                .unwrap_or_else(|| "none".into())
        ));
        for planted in &day.planted {
            console.note(&format!("  planted: {planted}"));
        }
    }
    let date = args.date.unwrap_or_else(settlement_reconciliation::today);
    let csv = args
        .csv
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("settlement-mismatches-{date}.csv")));
    let options = Options {
        date: Some(date),
        bulk_threshold: args.bulk_threshold,
        csv: Some(csv),
        no_post: args.no_post,
        ..Options::default()
    };
    let reconciliation = settlement_reconciliation::run(&systems, &options).await?;
    let mismatches = serde_json::to_value(&reconciliation.mismatches)?;
    console.summary(
        &systems,
        &reconciliation.report,
        &[("mismatches", mismatches)],
    )
}
