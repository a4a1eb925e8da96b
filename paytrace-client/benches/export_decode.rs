//! Decoding a 10 000-record transaction export (reference §5.1 records) and mapping it to
//! canonical `Payment`s, against a baseline of parsing the same body into a
//! `serde_json::Value`. Results go to `bench/RESULTS.md`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use paytrace_client::{canonical, exports};
use serde_json::{Value, json};

const RECORDS: usize = 10_000;

/// A realistic export: sales, refunds and authorizations on four brands, settled, pending and
/// declined, with addresses, custom fields and the odd blank.
fn export_body() -> String {
    let cards = [
        "************5439",
        "************0057",
        "371449******2376",
        "601100******6909",
    ];
    let transactions: Vec<Value> = (0..RECORDS)
        .map(|i| {
            let (kind, status_code, status_message) = match i % 10 {
                0 => ("REFUND", "GB1571".to_owned(), "GB1571".to_owned()),
                1 => ("AUTHORIZATION", "N".to_owned(), "Authorization Only".to_owned()),
                2 => ("SALE", "N".to_owned(), "Declined".to_owned()),
                3 | 4 => ("SALE", "Y".to_owned(), "Pending Settlement".to_owned()),
                _ => ("SALE", format!("GB{}", 1500 + i % 70), format!("GB{}", 1500 + i % 70)),
            };
            let cents = 100 + (i * 7919) % 250_000;
            let hour = 1 + i % 12;
            json!({
                "transaction_id": 100_000_000 + i,
                "transaction_type": kind,
                "amount": (cents as f64) / 100.0,
                "credit_card": {
                    "masked_number": cards[i % cards.len()],
                    "expiration_month": format!("{:02}", 1 + i % 12),
                    "expiration_year": format!("{}", 27 + i % 6)
                },
                "description": format!("Order {i} — subscription renewal"),
                "invoice_id": format!("INV-{:07}", i),
                "customer_reference_id": if i % 3 == 0 { format!("PO-{i}") } else { String::new() },
                "tax_amount": format!("{}.{:02}", cents / 1000, cents % 100),
                "billing_address": {
                    "name": format!("Customer {i} Doe"),
                    "street_address": format!("{} Main St", 100 + i),
                    "street_address2": "",
                    "city": "Spokane",
                    "state": "WA",
                    "zip": "99201",
                    "country": "US"
                },
                "shipping_address": {
                    "name": "", "street_address": "", "street_address2": "", "city": "",
                    "county": "", "state": "", "zip": "", "country": ""
                },
                "receipt_emailed_to": if i % 4 == 0 { format!("c{i}@example.com") } else { String::new() },
                "approval_code": format!("TAS{:03}", i % 1000),
                "approval_message": if kind == "SALE" && status_code == "N" {
                    "    DECLINE - Insufficient funds"
                } else {
                    "  NO  MATCH - Approved and completed"
                },
                "avs_response": if i % 2 == 0 { "Full Exact Match" } else { "No Match" },
                "csc_response": "Match",
                "status_code": status_code,
                "status_message": status_message,
                "created": {
                    "through": "API",
                    "at": format!("3/{}/2026 {}:{:02}:{:02} {}", 1 + i % 28, hour, i % 60, (i * 7) % 60, if i % 2 == 0 { "AM" } else { "PM" }),
                    "by": "api-user",
                    "from_ip": "203.0.113.7"
                },
                "settled": if status_code_is_settled(i) { "3/29/2026 8:13:45 PM" } else { "" },
                "customer_id": if i % 5 == 0 { format!("cust-{}", i % 900) } else { String::new() },
                "discretionary_data": if i % 6 == 0 { json!({"REGION": "west", "PLAN": "gold"}) } else { json!({}) }
            })
        })
        .collect();
    json!({
        "success": true,
        "response_code": 1,
        "status_message": "Your request has been successfully completed.",
        "transactions": transactions,
        "external_transaction_id": ""
    })
    .to_string()
}

fn status_code_is_settled(i: usize) -> bool {
    !matches!(i % 10, 1..=4)
}

fn bench(c: &mut Criterion) {
    let body = export_body();
    // Sanity: everything decodes and maps before anything is timed.
    let records = exports::parse_export(body.as_bytes()).unwrap();
    assert_eq!(records.len(), RECORDS);
    for record in &records {
        canonical::payment(record).unwrap();
    }

    let mut group = c.benchmark_group("export_10k");
    group.sample_size(20);
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.bench_function("baseline_serde_json_value", |b| {
        b.iter(|| serde_json::from_str::<Value>(black_box(&body)).unwrap())
    });
    group.bench_function("decode", |b| {
        b.iter(|| exports::parse_export(black_box(body.as_bytes())).unwrap())
    });
    group.bench_function("decode_and_map_to_payment", |b| {
        b.iter(|| {
            exports::parse_export(black_box(body.as_bytes()))
                .unwrap()
                .iter()
                .map(|r| canonical::payment(r).unwrap())
                .collect::<Vec<_>>()
        })
    });
    group.finish();
    println!("body: {} bytes, {RECORDS} records", body.len());
}

criterion_group!(benches, bench);
criterion_main!(benches);
