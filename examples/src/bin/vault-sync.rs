//! Use case 6: PayTrace's customer vault ↔ Salesforce Accounts. Vault ids are written where
//! they are missing, mismatches are reported (and kept as dead letters), and an Account
//! without a profile gets one made from its latest approved payment, so card data never
//! passes through the CRM.
//!
//! ```text
//! cargo run -p examples --bin vault-sync
//! cargo run -p examples --bin vault-sync -- --email-field Email__c --no-create
//! ```
//!
//! The matching rule is documented in `flows::vault_sync`.

use clap::Parser;
use examples::{Common, Console, Error};
use flows::scenarios;
use flows::vault_sync::{self, VaultSyncOptions};

/// Sync PayTrace vault ids to Salesforce Accounts.
#[derive(Parser)]
#[command(name = "vault-sync", version)]
struct Args {
    #[command(flatten)]
    common: Common,

    /// The profile `discretionary_data` field holding the Account's AccountNumber.
    #[arg(long, default_value = "AccountNumber", value_name = "FIELD")]
    account_number_key: String,

    /// Also match profiles by email, against this Account field.
    #[arg(long, value_name = "FIELD")]
    email_field: Option<String>,

    /// Do not make profiles from Accounts' payments.
    #[arg(long)]
    no_create: bool,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let console = Console::start(&args.common);
    let systems = args.common.systems(&console).await?;
    if args.common.seeding(&systems) {
        scenarios::vault_sync(&systems).await?;
        console.note(
            "seeded 7 accounts: linked, to link, an unknown vault id, one claimed by a stray \
             profile, one to get a profile from its payment, one with nothing to go on",
        );
    }
    let options = VaultSyncOptions {
        account_number_key: args.account_number_key.clone(),
        email_field: args.email_field.clone(),
        create_from_transactions: !args.no_create,
    };
    let run = vault_sync::run(&systems, &options).await?;
    console.summary(&systems, &run, &[])
}
