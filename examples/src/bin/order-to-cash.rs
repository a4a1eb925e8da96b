//! Use case 2: eCommerce orders → PayTrace payment → ERP customer, sales order and customer
//! payment journal line, the journal posted where the flavour can.
//!
//! ```text
//! cargo run -p examples --bin order-to-cash                          # 25 generated orders
//! cargo run -p examples --bin order-to-cash -- --orders orders.json  # a storefront export
//! ```
//!
//! The orders file is a JSON array of canonical `Order`s (see `flows::order_to_cash`); each
//! customer names its PayTrace vault profile. Generated orders come with vault profiles
//! seeded into the PayTrace emulator.

use std::path::PathBuf;

use clap::Parser;
use examples::{Common, Console, Error};
use flows::order_to_cash::{self, Options};
use flows::systems::seed;

/// Charge storefront orders and book them in the ERP.
#[derive(Parser)]
#[command(name = "order-to-cash", version)]
struct Args {
    #[command(flatten)]
    common: Common,

    /// Orders to charge: a JSON file of canonical orders. Default: generated orders.
    #[arg(long, value_name = "FILE")]
    orders: Option<PathBuf>,

    /// How many orders to generate.
    #[arg(long, default_value_t = 25)]
    count: usize,

    /// Leave the payment journal unposted.
    #[arg(long)]
    no_post: bool,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let console = Console::start(&args.common);
    let systems = args.common.systems(&console).await?;
    let orders = match &args.orders {
        Some(path) => order_to_cash::read_orders(path)?,
        None => {
            let sandboxes = systems
                .sandboxes()
                .ok_or("PayTrace is real: give the orders to charge with --orders FILE")?;
            let orders = seed::storefront_orders(sandboxes, args.count, args.common.seed, true)?;
            console.note(&format!(
                "generated {} orders and seeded their customers' vault profiles",
                orders.len()
            ));
            orders
        }
    };
    let options = Options {
        post: !args.no_post,
        ..Options::default()
    };
    let report = order_to_cash::run(&systems, orders, &options).await?;
    console.summary(&systems, &report, &[])
}
