//! Use case 8: the processor's chargeback report → `Payment__c` Charged Back, a Case for the
//! account owner, and an ERP reversal entry, once per chargeback case.
//!
//! ```text
//! cargo run -p examples --bin chargeback                               # a sandbox report
//! cargo run -p examples --bin chargeback -- --report chargebacks.csv   # the processor's file
//! ```
//!
//! The report's columns are documented in `flows::chargeback`. In the sandbox, settled
//! payments are made and a report is written for them (with a row naming an unknown
//! transaction and a row that is not valid), then the report is run twice: the second run
//! does nothing.

use std::path::PathBuf;

use clap::Parser;
use examples::{Common, Console, Error};
use flows::chargeback::{self, ChargebackOptions};
use flows::scenarios;

/// Charge back the payments of a chargeback report in Salesforce and the ERP.
#[derive(Parser)]
#[command(name = "chargeback", version)]
struct Args {
    #[command(flatten)]
    common: Common,

    /// The chargeback report (CSV). Default in the sandbox: one written for seeded payments.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,

    /// Leave the reversal entries unposted.
    #[arg(long)]
    no_post: bool,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let console = Console::start(&args.common);
    let systems = args.common.systems(&console).await?;
    let (report, replay) = match &args.report {
        Some(path) => (path.clone(), false),
        None if args.common.seeding(&systems) => {
            let scenario = scenarios::chargebacks(&systems, &std::env::temp_dir()).await?;
            console.note(&format!(
                "wrote a chargeback report for {} settled payments: {}",
                scenario.charged_back.len(),
                scenario.report.display()
            ));
            (scenario.report, true)
        }
        None => return Err("give the processor's chargeback report with --report FILE".into()),
    };
    let options = ChargebackOptions {
        post: !args.no_post,
        ..ChargebackOptions::default()
    };
    let mut run = chargeback::run_file(&systems, &report, &options).await?;
    if replay {
        console.note(&run.to_string());
        console.note("the same report again (nothing may happen twice):");
        run = chargeback::run_file(&systems, &report, &options).await?;
    }
    console.summary(&systems, &run, &[])
}
