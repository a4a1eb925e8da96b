//! Lists, replays and discards the dead letters of a durable store directory (the `--store`
//! of the other binaries).
//!
//! ```text
//! cargo run -p examples --bin dead-letters -- --store ./state list
//! cargo run -p examples --bin dead-letters -- --store ./state list --all --flow order-to-cash
//! cargo run -p examples --bin dead-letters -- --store ./state replay <ID>   # or --all
//! cargo run -p examples --bin dead-letters -- --store ./state replay --all --as-of 2026-12-01
//! cargo run -p examples --bin dead-letters -- --store ./state discard <ID>
//! ```
//!
//! A replay runs the letter's record through its flow again, against the systems the
//! environment names (the sandbox for those whose variables are unset: a fresh emulator does
//! not hold the record, so replay against the systems the letter came from). The steps
//! already done are found done; a success marks the letter replayed, a failure counts one
//! more attempt.

use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use examples::{Common, Console, Error};
use flows::store::{DeadLetter, DeadLetterFilter, DeadLetterStatus};
use flows::{RunReport, Stores, Systems};

/// List, replay or discard dead letters.
#[derive(Parser)]
#[command(name = "dead-letters", version)]
struct Args {
    #[command(flatten)]
    common: Common,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the pending letters (all of them with --all).
    List {
        /// Replayed and discarded letters too.
        #[arg(long)]
        all: bool,
        /// Only this flow's letters.
        #[arg(long)]
        flow: Option<String>,
    },
    /// Run a letter's record again (every pending letter with --all).
    Replay {
        /// The letter's id (see `list`).
        id: Option<String>,
        /// Every pending letter.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        options: ReplayOptions,
    },
    /// Mark a pending letter discarded: nobody will replay it.
    Discard {
        /// The letter's id.
        id: String,
    },
}

/// How the flows run a replayed record: the same switches as their own binaries.
#[derive(clap::Args)]
struct ReplayOptions {
    /// The day a dunning or recurring-billing replay runs as of (YYYY-MM-DD). Default: today
    /// (UTC).
    #[arg(long)]
    as_of: Option<NaiveDate>,
    /// Dunning: days after a decline to retry on, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,3,7")]
    retry_days: Vec<u32>,
    /// Recurring billing, refund, chargeback: write the ERP entries without posting them.
    #[arg(long)]
    no_post: bool,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let Some(dir) = &args.common.store else {
        return Err("give the store directory with --store DIR".into());
    };
    let console = Console::start(&args.common);
    // Listing and discarding need only the store; a replay needs the systems too.
    let systems = match args.command {
        Command::Replay { .. } => Some(args.common.systems(&console).await?),
        _ => None,
    };
    let stores = match &systems {
        Some(systems) => systems.stores.clone(),
        None => Stores::open(dir).await?,
    };
    let letters = &stores.dead_letters;
    match args.command {
        Command::List { all, flow } => {
            let filter = DeadLetterFilter {
                flow,
                status: (!all).then_some(DeadLetterStatus::Pending),
                ..DeadLetterFilter::default()
            };
            let list = letters.list(&filter).await?;
            if args.common.json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                print_letters(&list);
            }
        }
        Command::Replay { id, all, options } => {
            let ids: Vec<String> = match (id, all) {
                (Some(id), _) => vec![id],
                (None, true) => letters
                    .list(&DeadLetterFilter::pending())
                    .await?
                    .into_iter()
                    .map(|l| l.id)
                    .collect(),
                (None, false) => return Err("name a letter, or --all".into()),
            };
            let systems = systems.as_ref().ok_or("no systems to replay against")?;
            let mut failing = 0;
            for id in ids {
                let letter = letters
                    .get(&id)
                    .await?
                    .ok_or_else(|| format!("no dead letter {id}"))?;
                let outcome = match replay(systems, &letter, &options).await {
                    Ok(report) => match letters.get(&id).await?.map(|l| l.status) {
                        Some(DeadLetterStatus::Replayed) => "replayed".to_owned(),
                        _ => format!(
                            "still failing: {}",
                            report
                                .dead_letters
                                .first()
                                .map_or("see the letter", |d| d.reason.as_str())
                        ),
                    },
                    Err(error) => format!("could not be replayed: {error}"),
                };
                if outcome != "replayed" {
                    failing += 1;
                }
                println!("{id} ({} {}): {outcome}", letter.flow, letter.key);
            }
            if failing > 0 {
                return Err(format!("{failing} letter(s) still pending").into());
            }
        }
        Command::Discard { id } => {
            let letter = letters.discard(&id).await?;
            println!("{} discarded ({} {})", letter.id, letter.flow, letter.key);
        }
    }
    Ok(())
}

/// Runs the letter's record through its flow again.
async fn replay(
    systems: &Systems,
    letter: &DeadLetter,
    switches: &ReplayOptions,
) -> Result<RunReport, Error> {
    use flows::{
        chargeback, failed_payment_dunning, opportunity_to_payment, order_to_cash,
        recurring_billing, refund, settlement_reconciliation, vault_sync,
    };
    // Boxed: the flows' futures are deep, and one binary awaits several of them.
    Ok(match letter.flow.as_str() {
        opportunity_to_payment::FLOW => {
            let options = opportunity_to_payment::Options::default();
            Box::pin(opportunity_to_payment::replay(systems, letter, &options)).await?
        }
        order_to_cash::FLOW => {
            let options = order_to_cash::Options::default();
            Box::pin(order_to_cash::replay(systems, letter, &options)).await?
        }
        settlement_reconciliation::FLOW => {
            Box::pin(settlement_reconciliation::replay(systems, letter))
                .await?
                .report
        }
        failed_payment_dunning::FLOW => {
            let defaults = failed_payment_dunning::DunningOptions::default();
            let options = failed_payment_dunning::DunningOptions {
                policy: failed_payment_dunning::DunningPolicy {
                    retry_days: switches.retry_days.clone(),
                },
                as_of: switches.as_of.unwrap_or(defaults.as_of),
                ..defaults
            };
            Box::pin(failed_payment_dunning::replay(systems, letter, &options)).await?
        }
        recurring_billing::FLOW => {
            let defaults = recurring_billing::RecurringOptions::default();
            let options = recurring_billing::RecurringOptions {
                today: switches.as_of.unwrap_or(defaults.today),
                post: !switches.no_post,
                ..defaults
            };
            Box::pin(recurring_billing::replay(systems, letter, &options)).await?
        }
        vault_sync::FLOW => {
            let options = vault_sync::VaultSyncOptions::default();
            Box::pin(vault_sync::replay(systems, letter, &options)).await?
        }
        refund::FLOW => {
            let options = refund::RefundOptions {
                post: !switches.no_post,
                ..refund::RefundOptions::default()
            };
            Box::pin(refund::replay(systems, letter, &options)).await?
        }
        chargeback::FLOW => {
            let options = chargeback::ChargebackOptions {
                post: !switches.no_post,
                ..chargeback::ChargebackOptions::default()
            };
            Box::pin(chargeback::replay(systems, letter, &options)).await?
        }
        other => return Err(format!("no replay for flow {other:?} in this binary").into()),
    })
}

fn print_letters(list: &[DeadLetter]) {
    if list.is_empty() {
        println!("no dead letters");
        return;
    }
    for letter in list {
        println!(
            "{}  {}  {}  {}  {} attempt(s), last {}\n    {}: {}",
            letter.id,
            letter.status,
            letter.flow,
            letter.key,
            letter.attempts,
            letter.last_failed_at.format("%Y-%m-%d %H:%M:%S UTC"),
            letter.step,
            letter.reason
        );
    }
}
