//! Side-by-side benchmarks of Tributary's clients against their peers (jsforce,
//! simple-salesforce) and against raw baselines (reqwest + `serde_json::Value`, no client
//! logic). `bench/run.sh` builds the binaries of this crate, runs every case and writes
//! `bench/RESULTS.md`; `bench/README.md` says what each figure means.
//!
//! | binary | what it does |
//! |---|---|
//! | `page-server` | serves pre-built SOQL pages, pre-captured OData pages and a Bulk API 2.0 ingest stand-in on `127.0.0.1`, so the server costs next to nothing |
//! | `soql-read` | reads a SOQL query through `nextRecordsUrl`: Tributary (typed or `SObject`) or `--raw` |
//! | `bulk-ingest` | Bulk API 2.0 ingest of generated rows with Tributary; also writes the same rows as a CSV file for the peers |
//! | `odata-read` | reads an OData entity set through `@odata.nextLink`: Tributary's OData core or `--raw`; `--capture` saves a live server's pages |
//!
//! This library holds what the binaries share: the generated records (the same for every
//! client), the peak-memory probe and the one-line JSON result every run prints.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

/// The API version the pre-built pages are served under (any version is accepted).
pub const API_VERSION: &str = "67.0";

/// The bearer token the page server expects.
pub const TOKEN: &str = "00Dbench0000000!bench.token";

/// Records per SOQL page, Salesforce's default and maximum.
pub const SOQL_PAGE_SIZE: usize = 2_000;

/// The SOQL text every client sends.
pub const SOQL: &str = "SELECT Id, Name, AccountNumber, Type, Industry, Phone, Website, \
     BillingStreet, BillingCity, BillingState, BillingPostalCode, BillingCountry, \
     AnnualRevenue, NumberOfEmployees, Description, CreatedDate, LastModifiedDate FROM Account";

/// The sObject the Bulk API 2.0 rows go to.
pub const BULK_OBJECT: &str = "Account";

/// The value after `--name` on this process's command line, if given. The binaries are
/// driven by `driver.py` with a handful of flags, so a parser crate would be more than they
/// need.
pub fn arg(name: &str) -> Option<String> {
    let mut args = std::env::args().skip(1);
    args.position(|a| a == name).and_then(|_| args.next())
}

/// This process's peak resident set (`VmHWM` of `/proc/self/status`), in KiB; 0 where there
/// is no procfs.
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// One measured run, printed as one JSON line on stdout for the driver.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The case: `soql`, `bulk`, `odata`.
    pub case: &'static str,
    /// Who did the work: `tributary`, `raw`, …
    pub client: String,
    /// Records (rows) read or written.
    pub n: u64,
    /// Wall time of the measured part, in seconds.
    pub seconds: f64,
    /// `n / seconds`.
    pub per_sec: f64,
    /// Peak resident set of this process, in KiB.
    pub peak_rss_kib: u64,
}

impl Outcome {
    /// An outcome of `n` records done in `elapsed`, with this process's peak RSS now.
    pub fn new(case: &'static str, client: impl Into<String>, n: u64, elapsed: Duration) -> Self {
        let seconds = elapsed.as_secs_f64();
        Outcome {
            case,
            client: client.into(),
            n,
            seconds,
            per_sec: if seconds > 0.0 {
                n as f64 / seconds
            } else {
                0.0
            },
            peak_rss_kib: peak_rss_kib(),
        }
    }

    /// Prints the outcome as one JSON line.
    pub fn print(&self) {
        println!("{}", serde_json::to_string(self).unwrap_or_default());
    }
}

const INDUSTRIES: [&str; 8] = [
    "Banking",
    "Retail",
    "Manufacturing",
    "Healthcare",
    "Technology",
    "Hospitality",
    "Education",
    "Utilities",
];
const TYPES: [&str; 4] = [
    "Customer - Direct",
    "Customer - Channel",
    "Prospect",
    "Partner",
];
const CITIES: [(&str, &str, &str); 6] = [
    ("Spokane", "WA", "99201"),
    ("Portland", "OR", "97205"),
    ("Boise", "ID", "83702"),
    ("Denver", "CO", "80202"),
    ("Austin", "TX", "78701"),
    ("Chicago", "IL", "60601"),
];

/// The 18-character Salesforce id of Account number `i`.
pub fn account_id(i: usize) -> String {
    format!("001Bench{i:010}")
}

/// Account `i` as Salesforce's REST API returns it in a query page: `attributes`, `Id` and
/// sixteen fields (text, picklists, phone, URL, address, currency, number, long text on some
/// rows, null on others, two datetimes). About 700 bytes of JSON.
pub fn soql_account(i: usize) -> Value {
    let id = account_id(i);
    let (city, state, zip) = CITIES[i % CITIES.len()];
    json!({
        "attributes": {
            "type": "Account",
            "url": format!("/services/data/v{API_VERSION}/sobjects/Account/{id}")
        },
        "Id": id,
        "Name": format!("Northwind Traders {i}"),
        "AccountNumber": format!("ACC-{i:08}"),
        "Type": TYPES[i % TYPES.len()],
        "Industry": INDUSTRIES[i % INDUSTRIES.len()],
        "Phone": format!("(509) 555-{:04}", i % 10_000),
        "Website": format!("https://www.northwind{i}.example.com"),
        "BillingStreet": format!("{} Main Street\nSuite {}", 100 + i % 9_000, i % 400),
        "BillingCity": city,
        "BillingState": state,
        "BillingPostalCode": zip,
        "BillingCountry": "United States",
        "AnnualRevenue": (i % 50_000) as f64 * 1_000.5,
        "NumberOfEmployees": 10 + i % 5_000,
        "Description": if i.is_multiple_of(3) {
            Value::String(format!("Key account since {}; renews every spring. \"Gold\" tier, net 30.", 2000 + i % 25))
        } else {
            Value::Null
        },
        "CreatedDate": format!("2025-{:02}-{:02}T{:02}:{:02}:{:02}.000+0000", 1 + i % 12, 1 + i % 28, i % 24, i % 60, (i * 7) % 60),
        "LastModifiedDate": format!("2026-{:02}-{:02}T{:02}:{:02}:{:02}.000+0000", 1 + i % 12, 1 + i % 28, (i + 5) % 24, (i * 3) % 60, i % 60)
    })
}

/// One row of the Bulk API 2.0 ingest: an Account with nine columns (about 90 bytes of CSV;
/// every 7th name has a comma and quotes, so it is quoted).
#[derive(Debug, Clone, Serialize)]
pub struct BulkRow {
    /// `Name`.
    #[serde(rename = "Name")]
    pub name: String,
    /// `AccountNumber`.
    #[serde(rename = "AccountNumber")]
    pub account_number: String,
    /// `Type` (picklist).
    #[serde(rename = "Type")]
    pub kind: &'static str,
    /// `Industry` (picklist).
    #[serde(rename = "Industry")]
    pub industry: &'static str,
    /// `Phone`.
    #[serde(rename = "Phone")]
    pub phone: String,
    /// `BillingCity`.
    #[serde(rename = "BillingCity")]
    pub billing_city: &'static str,
    /// `BillingState`.
    #[serde(rename = "BillingState")]
    pub billing_state: &'static str,
    /// `AnnualRevenue` (currency).
    #[serde(rename = "AnnualRevenue", with = "rust_decimal::serde::str")]
    pub annual_revenue: rust_decimal::Decimal,
    /// `NumberOfEmployees`.
    #[serde(rename = "NumberOfEmployees")]
    pub employees: u32,
}

/// Bulk row `i`; the same `i` always gives the same row.
pub fn bulk_row(i: u64) -> BulkRow {
    let n = i as usize;
    let (city, state, _) = CITIES[n % CITIES.len()];
    let mut name = String::with_capacity(32);
    if i.is_multiple_of(7) {
        let _ = write!(name, "Contoso, \"West\" {i}");
    } else {
        let _ = write!(name, "Contoso {i}");
    }
    BulkRow {
        name,
        account_number: format!("BLK-{i:09}"),
        kind: TYPES[n % TYPES.len()],
        industry: INDUSTRIES[n % INDUSTRIES.len()],
        phone: format!("(208) 555-{:04}", i % 10_000),
        billing_city: city,
        billing_state: state,
        annual_revenue: rust_decimal::Decimal::new((i % 10_000_000) as i64 * 100 + 25, 2),
        employees: 1 + (i % 20_000) as u32,
    }
}

/// Counts the records of a CSV body: line ends outside quotes, less the header line. `state`
/// carries (inside quotes, saw a byte since the last line end) across chunks.
#[derive(Debug, Default, Clone, Copy)]
pub struct CsvCounter {
    in_quotes: bool,
    line_has_bytes: bool,
    lines: u64,
}

impl CsvCounter {
    /// Feeds the next chunk of the body.
    pub fn feed(&mut self, chunk: &[u8]) {
        for &b in chunk {
            match b {
                b'"' => {
                    self.in_quotes = !self.in_quotes;
                    self.line_has_bytes = true;
                }
                b'\n' if !self.in_quotes => {
                    if self.line_has_bytes {
                        self.lines += 1;
                    }
                    self.line_has_bytes = false;
                }
                b'\r' if !self.in_quotes => {}
                _ => self.line_has_bytes = true,
            }
        }
    }

    /// Records seen (lines after the header), counting an unterminated last line.
    pub fn records(&self) -> u64 {
        (self.lines + u64::from(self.line_has_bytes)).saturating_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_counter_handles_quotes_and_chunks() {
        let body = b"A,B\n1,\"x\ny\"\n2,\"a,\"\"b\"\"\"\n3,z";
        let mut whole = CsvCounter::default();
        whole.feed(body);
        assert_eq!(whole.records(), 3);
        let mut parts = CsvCounter::default();
        for chunk in body.chunks(3) {
            parts.feed(chunk);
        }
        assert_eq!(parts.records(), 3);
    }

    #[test]
    fn rows_are_csv_of_about_90_bytes() {
        let mut w = csv::Writer::from_writer(Vec::new());
        for i in 0..1000 {
            w.serialize(bulk_row(i)).unwrap_or_default();
        }
        let bytes = w.into_inner().unwrap_or_default();
        assert!((80_000..110_000).contains(&bytes.len()), "{}", bytes.len());
    }
}
