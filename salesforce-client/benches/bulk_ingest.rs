//! Bulk API 2.0 ingest of generated rows into `sandbox::salesforce`, measuring rows per second
//! and this process's peak memory (`VmHWM` in `/proc/self/status`) after 100,000 and after
//! 1,000,000 rows. The emulator runs in a child process (this binary with
//! `--serve-emulator`), so the records it keeps do not count against the client.
//!
//! ```text
//! cargo bench -p salesforce-client --bench bulk_ingest            # 100k then 1M
//! cargo bench -p salesforce-client --bench bulk_ingest -- 20000    # other sizes
//! cargo bench -p salesforce-client --bench bulk_ingest -- --max-upload-bytes=10000000
//! ```
//!
//! Each run streams generated records through `client.bulk().ingest(…)` (CSV written while it
//! uploads, split into jobs of at most 100 MB), waits for the jobs, then reads every job's
//! `successfulResults` back as typed rows. The peak is a high-water mark, so equal figures
//! after 100k and 1M rows mean memory did not grow with the row count.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use futures::TryStreamExt;
use salesforce_client::auth::StaticToken;
use salesforce_client::bulk::{DEFAULT_MAX_UPLOAD_BYTES, IngestJobSpec, Operation, PollOptions};
use salesforce_client::{ApiVersion, Client};
use sandbox::salesforce::{
    BulkConfig, FieldMeta, FieldType, ObjectMeta, SalesforceConfig, SalesforceSandbox,
};
use serde::{Deserialize, Serialize};

const OBJECT: &str = "Bench_Payment__c";

#[derive(Serialize)]
struct Row {
    #[serde(rename = "Amount__c")]
    amount: f64,
    #[serde(rename = "Note__c")]
    note: Option<String>,
    #[serde(rename = "PaidAt__c", with = "salesforce_client::bulk::datetime")]
    paid_at: DateTime<Utc>,
    #[serde(rename = "PaymentID__c")]
    payment_id: String,
    #[serde(rename = "SettledOn__c")]
    settled_on: NaiveDate,
    #[serde(rename = "Status__c")]
    status: &'static str,
}

#[derive(Deserialize)]
struct Key {
    #[serde(rename = "PaymentID__c")]
    _payment_id: String,
}

fn row(i: u64) -> Row {
    let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(i % 300);
    Row {
        amount: (i % 100_000) as f64 / 100.0,
        note: i
            .is_multiple_of(7)
            .then(|| format!("batch {}, \"priority\"", i / 7)),
        paid_at: Utc.timestamp_opt(1_767_225_600 + i as i64, 0).unwrap(),
        payment_id: format!("PT-{i:09}"),
        settled_on: day,
        status: if i.is_multiple_of(2) {
            "Settled"
        } else {
            "Pending"
        },
    }
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn serve() {
    let config = SalesforceConfig::default()
        .object(
            ObjectMeta::new(OBJECT)
                .field(FieldMeta::text("PaymentID__c", 20))
                .field(FieldMeta::new("Amount__c", FieldType::Currency))
                .field(FieldMeta::text("Note__c", 255))
                .field(FieldMeta::new("PaidAt__c", FieldType::DateTime))
                .field(FieldMeta::new("SettledOn__c", FieldType::Date))
                .field(FieldMeta::text("Status__c", 20)),
        )
        .bulk(
            BulkConfig::default()
                .queue_delay(Duration::ZERO)
                .rows_per_step(10_000),
        );
    let sf = SalesforceSandbox::start_with(config).await.unwrap();
    println!("{} {}", sf.base_url(), sf.token());
    // Serve until the parent closes our stdin.
    tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        while std::io::stdin().read_line(&mut line).unwrap_or(0) > 0 {}
    })
    .await
    .unwrap();
}

async fn run(client: &Client, rows: u64, max_upload_bytes: u64) -> (usize, u64, Duration) {
    let started = Instant::now();
    let report = client
        .bulk()
        .ingest(IngestJobSpec::new(OBJECT, Operation::Insert))
        .max_upload_bytes(max_upload_bytes)
        .poll(
            PollOptions::default()
                .first_interval(Duration::from_millis(100))
                .max_interval(Duration::from_secs(1)),
        )
        .run(futures::stream::iter((0..rows).map(row)))
        .await
        .unwrap();
    report.check_complete().unwrap();
    assert_eq!(report.records_failed(), 0);
    let read = report
        .successful_results::<Key>()
        .try_fold(0u64, |n, _| async move { Ok(n + 1) })
        .await
        .unwrap();
    assert_eq!(read, rows);
    (report.jobs.len(), read, started.elapsed())
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--serve-emulator") {
        serve().await;
        return;
    }
    let sizes: Vec<u64> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let max_upload_bytes = args
        .iter()
        .find_map(|a| a.strip_prefix("--max-upload-bytes="))
        .map_or(DEFAULT_MAX_UPLOAD_BYTES, |n| n.parse().unwrap());
    let sizes = if sizes.is_empty() {
        vec![100_000, 1_000_000]
    } else {
        sizes
    };

    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg("--serve-emulator")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let (url, token) = line.trim().split_once(' ').unwrap();
    let client = Client::builder()
        .instance_url(url)
        .api_version(ApiVersion::new(66))
        .credentials(StaticToken::new(token))
        .timeout(Duration::from_secs(600))
        .build()
        .unwrap();

    println!("upload limit: {max_upload_bytes} bytes of CSV per job");
    println!(
        "baseline: VmRSS {} KiB, VmHWM {} KiB",
        status_kib("VmRSS:"),
        status_kib("VmHWM:")
    );
    println!("| rows | jobs | seconds | rows/s | peak RSS (VmHWM) of the client process |");
    println!("|---:|---:|---:|---:|---:|");
    for rows in sizes {
        let (jobs, read, elapsed) = run(&client, rows, max_upload_bytes).await;
        println!(
            "| {rows} | {jobs} | {:.1} | {:.0} | {} MiB |",
            elapsed.as_secs_f64(),
            read as f64 / elapsed.as_secs_f64(),
            status_kib("VmHWM:") / 1024
        );
    }
    drop(child.stdin.take());
    let _ = child.kill();
    let _ = child.wait();
}
