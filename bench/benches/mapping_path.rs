//! The mapping path of the flows, PayTrace export record → canonical `Payment` →
//! `Payment__c` JSON, against plain serde_json doing no more than decoding the same export
//! into a `Value` and encoding every record back.
//!
//! ```text
//! cargo bench -p tributary-bench --bench mapping_path
//! TRIBUTARY_BENCH_MAPPING_RECORDS=1000 cargo bench -p tributary-bench --bench mapping_path -- --sample-size 10
//! ```
//!
//! The input is one `/v1/transactions/export/by_date_range` answer of N records (10,000 by
//! default): sales, refunds, authorizations and declines on four card brands, settled and
//! pending, addresses, custom fields. Every benchmark starts from the response body and ends
//! with N JSON documents in memory:
//!
//! * `baseline_serde_json`: `serde_json::from_slice::<Value>` of the body, then
//!   `serde_json::to_vec` of each record's `Value`.
//! * `flows_path`: what `flows` does for each record: `exports::parse_export` (typed records),
//!   `paytrace_client::canonical::payment`, `salesforce_client::canonical::payment_to_salesforce`
//!   (the `canonical_payment_to_salesforce` spec, parsed once per process), `to_vec`.
//! * `paytrace_spec_direct`: `parse_export`, then the `paytrace_to_salesforce` spec applied to
//!   each record's JSON (the settlement-reconciliation path: no canonical payment).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)] // a benchmark

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mapping::fieldmap::{Context, defaults};
use paytrace_client::{canonical, exports};
use serde_json::{Value, json};

fn records() -> usize {
    std::env::var("TRIBUTARY_BENCH_MAPPING_RECORDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000)
}

/// One export answer of `n` records.
fn export_body(n: usize) -> Vec<u8> {
    let brands = [
        ("************1111", "Visa"),
        ("************4444", "MasterCard"),
        ("37828*******0005", "Amex"),
        ("601111******1117", "Discover"),
    ];
    let transactions: Vec<Value> = (0..n)
        .map(|i| {
            let (kind, code, message) = match i % 12 {
                0 => ("REFUND", "GB2001".to_owned(), "GB2001".to_owned()),
                1 => ("AUTHORIZATION", "N".to_owned(), "Authorization Only".to_owned()),
                2 => ("SALE", "N".to_owned(), "Declined".to_owned()),
                3..=5 => ("SALE", "Y".to_owned(), "Pending Settlement".to_owned()),
                _ => (
                    "SALE",
                    format!("GB{}", 2000 + i % 40),
                    format!("GB{}", 2000 + i % 40),
                ),
            };
            let settled = !matches!(i % 12, 1..=5);
            let cents = 250 + (i * 104_729) % 500_000;
            let (masked, _) = brands[i % brands.len()];
            json!({
                "transaction_id": 200_000_000 + i,
                "transaction_type": kind,
                "amount": cents as f64 / 100.0,
                "credit_card": {
                    "masked_number": masked,
                    "expiration_month": format!("{:02}", 1 + i % 12),
                    "expiration_year": format!("{}", 27 + i % 5)
                },
                "description": format!("Invoice {i}, annual plan"),
                "invoice_id": format!("006Bench{i:010}"),
                "customer_reference_id": if i % 4 == 0 { format!("PO-{i}") } else { String::new() },
                "tax_amount": format!("{}.{:02}", cents / 1_200, cents % 100),
                "billing_address": {
                    "name": format!("Jordan {i} Rivera"),
                    "street_address": format!("{} Riverside Ave", 10 + i % 5_000),
                    "street_address2": if i % 5 == 0 { "Apt 4" } else { "" },
                    "city": "Boise",
                    "state": "ID",
                    "zip": "83702",
                    "country": "US"
                },
                "shipping_address": {
                    "name": "", "street_address": "", "street_address2": "", "city": "",
                    "county": "", "state": "", "zip": "", "country": ""
                },
                "receipt_emailed_to": if i % 3 == 0 { format!("jordan{i}@example.com") } else { String::new() },
                "approval_code": format!("A{:05}", i % 100_000),
                "approval_message": if code == "N" && kind == "SALE" {
                    "   DECLINE - Do not honor"
                } else {
                    "  NO  MATCH - Approved and completed"
                },
                "avs_response": if i % 3 == 0 { "No Match" } else { "Full Exact Match" },
                "csc_response": if i % 9 == 0 { "No Match" } else { "Match" },
                "status_code": code,
                "status_message": message,
                "created": {
                    "through": "API",
                    "at": format!("4/{}/2026 {}:{:02}:{:02} {}", 1 + i % 28, 1 + i % 12, i % 60, (i * 13) % 60, if i % 2 == 0 { "AM" } else { "PM" }),
                    "by": "integration-user",
                    "from_ip": "198.51.100.20"
                },
                "settled": if settled { "4/29/2026 9:05:11 PM" } else { "" },
                "customer_id": if i % 3 == 0 { format!("vault-{}", i % 2_000) } else { String::new() },
                "discretionary_data": if i % 4 == 0 {
                    json!({"Opportunity_Stage": "Closed Won", "REGION": "northwest"})
                } else {
                    json!({})
                }
            })
        })
        .collect();
    serde_json::to_vec(&json!({
        "success": true,
        "response_code": 1,
        "status_message": "Your request has been successfully completed.",
        "transactions": transactions,
        "external_transaction_id": ""
    }))
    .unwrap()
}

fn context() -> Context {
    Context::new()
        .with("account_id", "001Bench0000000042")
        .with("opportunity_id", "006Bench0000000042")
}

fn baseline(body: &[u8]) -> Vec<Vec<u8>> {
    let value: Value = serde_json::from_slice(body).unwrap();
    value["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|record| serde_json::to_vec(record).unwrap())
        .collect()
}

fn flows_path(body: &[u8], context: &Context) -> Vec<Vec<u8>> {
    exports::parse_export(body)
        .unwrap()
        .iter()
        .map(|record| {
            let payment = canonical::payment(record).unwrap();
            let sobject =
                salesforce_client::canonical::payment_to_salesforce(&payment, context).unwrap();
            serde_json::to_vec(&sobject).unwrap()
        })
        .collect()
}

fn paytrace_spec_direct(
    body: &[u8],
    spec: &mapping::fieldmap::Spec,
    context: &Context,
) -> Vec<Vec<u8>> {
    exports::parse_export(body)
        .unwrap()
        .iter()
        .map(|record| {
            let source = serde_json::to_value(record).unwrap();
            let target = spec.apply(&source, context).unwrap();
            serde_json::to_vec(&target).unwrap()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let n = records();
    let body = export_body(n);
    let context = context();
    let paytrace_spec = defaults::paytrace_to_salesforce().unwrap();

    // Everything maps before timing.
    let flows = flows_path(&body, &context);
    assert_eq!(flows.len(), n);
    assert_eq!(
        paytrace_spec_direct(&body, &paytrace_spec, &context).len(),
        n
    );
    assert_eq!(baseline(&body).len(), n);
    eprintln!(
        "mapping_path: {n} records, {} bytes of export; first Payment__c: {}",
        body.len(),
        String::from_utf8_lossy(&flows[6])
    );

    // Sample count and times come from the command line (`bench/driver.py` passes them).
    let mut group = c.benchmark_group("mapping_path");
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("baseline_serde_json", |b| {
        b.iter(|| baseline(black_box(&body)))
    });
    group.bench_function("flows_path", |b| {
        b.iter(|| flows_path(black_box(&body), &context))
    });
    group.bench_function("paytrace_spec_direct", |b| {
        b.iter(|| paytrace_spec_direct(black_box(&body), &paytrace_spec, &context))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
