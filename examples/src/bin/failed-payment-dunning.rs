//! Use case 4: declined charges → `Payment__c` and the Opportunity updated, a Case for the
//! account owner, and retries by a dunning policy (days 1, 3, 7 after the decline, then stop
//! and flag); each retry a new charge with its own key.
//!
//! ```text
//! cargo run -p examples --bin failed-payment-dunning
//! cargo run -p examples --bin failed-payment-dunning -- --as-of 2026-11-25 --retry-days 1,3,7,14
//! ```
//!
//! A run takes in the declines since the last run and makes the retries due on `--as-of`;
//! schedules live in the checkpoint store (give `--store DIR` to keep them between runs). In
//! the sandbox, three won opportunities are declined (one soft decline that a retry recovers,
//! one that keeps failing, one hard decline) and the whole policy is played out: the runs of
//! the decline's day and of each retry day.

use chrono::{Days, NaiveDate};
use clap::Parser;
use examples::{Common, Console, Error};
use flows::failed_payment_dunning::{self, DunningOptions, DunningPolicy};
use flows::scenarios;

/// Take in declines and make the dunning retries due.
#[derive(Parser)]
#[command(name = "failed-payment-dunning", version)]
struct Args {
    #[command(flatten)]
    common: Common,

    /// The run's day (YYYY-MM-DD). Default: today (UTC).
    #[arg(long)]
    as_of: Option<NaiveDate>,

    /// Days after a decline to retry on, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,3,7")]
    retry_days: Vec<u32>,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let console = Console::start(&args.common);
    let systems = args.common.systems(&console).await?;
    let defaults = DunningOptions::default();
    let options = DunningOptions {
        policy: DunningPolicy {
            retry_days: args.retry_days.clone(),
        },
        as_of: args.as_of.unwrap_or(defaults.as_of),
        ..defaults
    };
    if !args.common.seeding(&systems) {
        let run = failed_payment_dunning::run(&systems, &options).await?;
        return console.summary(&systems, &run, &[]);
    }

    let scenario = scenarios::dunning(&systems).await?;
    console.note("three won opportunities were declined: two soft declines, one hard");
    let mut days = vec![0];
    days.extend(options.policy.retry_days.iter().copied());
    let mut earlier = Vec::new();
    let mut last = None;
    for (i, offset) in days.iter().enumerate() {
        if i == 1 {
            scenario.recover(&systems)?;
            console.note("one customer has funds again");
        }
        let as_of = options
            .as_of
            .checked_add_days(Days::new(u64::from(*offset)))
            .ok_or("the day is out of range")?;
        let run = failed_payment_dunning::run(
            &systems,
            &DunningOptions {
                as_of,
                ..options.clone()
            },
        )
        .await?;
        if let Some(previous) = last.replace(run) {
            console.note(&previous.to_string());
            earlier.push(serde_json::to_value(&previous)?);
        }
    }
    let run = last.ok_or("no run was made")?;
    console.summary(
        &systems,
        &run,
        &[("earlier_runs", serde_json::Value::Array(earlier))],
    )
}
