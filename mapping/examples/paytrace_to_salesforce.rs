//! Maps PayTrace transaction export records to Salesforce `Payment__c` records with the
//! shipped spec (`mapping/specs/paytrace_to_salesforce.toml`), offline.
//!
//! ```text
//! cargo run -p mapping --example paytrace_to_salesforce
//! cargo run -p mapping --example paytrace_to_salesforce -- my_export.json
//! ```
//!
//! The input is a `/v1/transactions/export/by_date_range` response body (by default the
//! sample in `examples/data/paytrace_export.json`: a settled sale, a pending sale and a refund
//! with custom fields). For each transaction the example prints the PayTrace record and the
//! `Payment__c` it maps to. Edit the spec to change the mapping; no code changes.

use std::error::Error;

use mapping::fieldmap::{Context, defaults};
use serde_json::Value;

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/data/paytrace_export.json"
);

fn main() -> Result<(), Box<dyn Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| SAMPLE.to_owned());
    let body: Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    let transactions = body
        .get("transactions")
        .and_then(Value::as_array)
        .ok_or("the export response has no `transactions` array")?;

    let spec = defaults::paytrace_to_salesforce()?;
    // CRM ids the gateway does not know; a flow looks them up (here: fixed sample ids).
    let context = Context::new()
        .with("account_id", "0015g00000XyZaAAAB")
        .with("opportunity_id", "0065g00000AbCdEAAB");

    println!("{spec}, {} transactions from {path}", transactions.len());
    for transaction in transactions {
        let payment = spec.apply(transaction, &context)?;
        println!();
        println!(
            "── PayTrace transaction {} ({}) ──",
            transaction["transaction_id"],
            transaction["transaction_type"].as_str().unwrap_or("?")
        );
        println!("{}", serde_json::to_string_pretty(transaction)?);
        println!("── Payment__c ──");
        println!("{}", serde_json::to_string_pretty(&payment)?);
    }

    let mut one_way: Vec<&str> = spec
        .one_way_rules()
        .into_iter()
        .map(|rule| rule.target.as_str())
        .collect();
    one_way.dedup();
    println!();
    println!(
        "Fields that do not map back to PayTrace (constants, context, one-way transforms): {}",
        one_way.join(", ")
    );
    Ok(())
}
