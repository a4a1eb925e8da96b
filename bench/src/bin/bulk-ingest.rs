//! `bulk-ingest`: Bulk API 2.0 insert of N generated Account rows with Tributary, then every
//! successful result read back as a typed row; prints one JSON result line (rows/s, this
//! process's peak RSS).
//!
//! ```text
//! bulk-ingest --url URL --token TOKEN --rows N [--api-version 67.0] [--poll-ms 100]
//! bulk-ingest --write-csv PATH --rows N     # the same rows as a CSV file, for the peers
//! ```
//!
//! The rows ([`tributary_bench::bulk_row`]) are generated lazily inside the measured part and
//! written as CSV by the client while the upload is sent (`client.bulk().ingest(…).run(…)`);
//! the peers are handed a CSV file written beforehand by `--write-csv`, outside their
//! measured part.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark tool: fail loudly

use std::time::{Duration, Instant};

use futures::TryStreamExt;
use salesforce_client::auth::StaticToken;
use salesforce_client::bulk::{IngestJobSpec, Operation, PollOptions};
use salesforce_client::{ApiVersion, Client};
use serde::Deserialize;
use tributary_bench::{BULK_OBJECT, Outcome, arg, bulk_row};

/// The column of a successful result the benchmark decodes.
#[derive(Deserialize)]
struct Key {
    #[serde(rename = "AccountNumber")]
    _account_number: String,
}

fn write_csv(path: &str, rows: u64) {
    let file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let mut writer = csv::WriterBuilder::new().from_writer(file);
    for i in 0..rows {
        writer.serialize(bulk_row(i)).unwrap();
    }
    writer.flush().unwrap();
}

#[tokio::main]
async fn main() {
    let rows: u64 = arg("--rows").expect("--rows").parse().unwrap();
    if let Some(path) = arg("--write-csv") {
        write_csv(&path, rows);
        return;
    }
    let url = arg("--url").expect("--url");
    let token = arg("--token").expect("--token");
    let version = arg("--api-version").unwrap_or_else(|| "67.0".to_owned());
    let poll = Duration::from_millis(
        arg("--poll-ms")
            .map_or(100, |ms| ms.parse().unwrap())
            .max(1),
    );
    let major: u16 = version.split('.').next().unwrap().parse().unwrap();
    let client = Client::builder()
        .instance_url(&url)
        .api_version(ApiVersion::new(major))
        .credentials(StaticToken::new(token))
        .timeout(Duration::from_secs(1800))
        .build()
        .unwrap();

    let started = Instant::now();
    let report = client
        .bulk()
        .ingest(IngestJobSpec::new(BULK_OBJECT, Operation::Insert))
        .poll(
            PollOptions::default()
                .first_interval(poll)
                .max_interval(poll)
                .timeout(Duration::from_secs(3600)),
        )
        .run(futures::stream::iter((0..rows).map(bulk_row)))
        .await
        .unwrap();
    report.check_complete().unwrap();
    assert_eq!(report.records_failed(), 0, "rows failed");
    let read = report
        .successful_results::<Key>()
        .try_fold(0u64, |n, _| async move { Ok(n + 1) })
        .await
        .unwrap();
    assert_eq!(read, rows, "successful results");
    Outcome::new("bulk", "tributary", rows, started.elapsed()).print();
}
