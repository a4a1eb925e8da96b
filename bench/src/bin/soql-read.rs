//! `soql-read`: reads every record of [`tributary_bench::SOQL`] through `nextRecordsUrl` and
//! prints one JSON result line (records/s, this process's peak RSS).
//!
//! ```text
//! soql-read --url URL --token TOKEN [--api-version 67.0] [--mode typed|sobject|raw|idle]
//! ```
//!
//! * `typed` (default): Tributary, `client.query(soql).stream::<Account>()`, each record
//!   decoded into a struct (money as `Decimal`, dates as `chrono`).
//! * `sobject`: Tributary, `stream::<SObject>()`, each record a map of JSON values, as the
//!   Python and JavaScript peers hand them out.
//! * `raw`: the baseline, no client logic: reqwest `GET`, `serde_json::from_slice::<Value>`
//!   of each page, then the next link, until `done`.
//! * `idle`: builds the client and reads nothing: the process's peak RSS at rest.
//!
//! Every mode counts the records as they come and keeps none.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark tool: fail loudly

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use rust_decimal::Decimal;
use salesforce_client::auth::StaticToken;
use salesforce_client::sobjects::SObject;
use salesforce_client::{ApiVersion, Client};
use serde::Deserialize;
use serde_json::Value;
use tributary_bench::{Outcome, SOQL, arg};

/// An Account as an application would declare it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)] // decoded to be measured, never read
struct Account {
    id: String,
    name: String,
    account_number: Option<String>,
    #[serde(rename = "Type")]
    kind: Option<String>,
    industry: Option<String>,
    phone: Option<String>,
    website: Option<String>,
    billing_street: Option<String>,
    billing_city: Option<String>,
    billing_state: Option<String>,
    billing_postal_code: Option<String>,
    billing_country: Option<String>,
    #[serde(with = "rust_decimal::serde::float_option", default)]
    annual_revenue: Option<Decimal>,
    number_of_employees: Option<u32>,
    description: Option<String>,
    #[serde(with = "salesforce_client::bulk::datetime")]
    created_date: DateTime<Utc>,
    #[serde(with = "salesforce_client::bulk::datetime")]
    last_modified_date: DateTime<Utc>,
}

async fn raw(url: &str, token: &str, version: &str) -> u64 {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .unwrap();
    let mut next = format!("{url}/services/data/v{version}/query");
    let mut first = true;
    let mut records = 0u64;
    loop {
        let mut request = http.get(&next).bearer_auth(token);
        if first {
            request = request.query(&[("q", SOQL)]);
            first = false;
        }
        let response = request.send().await.unwrap().error_for_status().unwrap();
        let page: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        records += page["records"].as_array().map_or(0, |r| r.len() as u64);
        match page["nextRecordsUrl"].as_str() {
            Some(link) if page["done"] == Value::Bool(false) => next = format!("{url}{link}"),
            _ => return records,
        }
    }
}

#[tokio::main]
async fn main() {
    let url = arg("--url").expect("--url");
    let token = arg("--token").expect("--token");
    let version = arg("--api-version").unwrap_or_else(|| "67.0".to_owned());
    let mode = arg("--mode").unwrap_or_else(|| "typed".to_owned());
    let major: u16 = version.split('.').next().unwrap().parse().unwrap();

    let started = Instant::now();
    let (client_name, records) = if mode == "idle" {
        // The process at rest with its client built: the floor of every peak RSS figure.
        let _client = Client::builder()
            .instance_url(&url)
            .api_version(ApiVersion::new(major))
            .credentials(StaticToken::new(token))
            .build()
            .unwrap();
        ("tributary", 0)
    } else if mode == "raw" {
        ("raw", raw(&url, &token, &version).await)
    } else {
        let client = Client::builder()
            .instance_url(&url)
            .api_version(ApiVersion::new(major))
            .credentials(StaticToken::new(token))
            .timeout(Duration::from_secs(600))
            .build()
            .unwrap();
        let query = client.query(SOQL);
        let n = if mode == "sobject" {
            query
                .stream::<SObject>()
                .try_fold(0u64, |n, _| async move { Ok(n + 1) })
                .await
                .unwrap()
        } else {
            query
                .stream::<Account>()
                .try_fold(0u64, |n, _| async move { Ok(n + 1) })
                .await
                .unwrap()
        };
        (
            if mode == "sobject" {
                "tributary-sobject"
            } else {
                "tributary"
            },
            n,
        )
    };
    Outcome::new("soql", client_name, records, started.elapsed()).print();
}
