//! `odata-read`: reads a whole OData v4 entity set through `@odata.nextLink` and prints one
//! JSON result line (rows/s, this process's peak RSS).
//!
//! ```text
//! odata-read --service URL [--entity Payments] [--mode typed|raw] [--label NAME]
//! odata-read --service URL [--entity Payments] --capture DIR
//! ```
//!
//! * `typed` (default): Tributary's generic OData core (`dynamics365-client`,
//!   `Flavor::Generic`), `client.odata().entity_set::<Payment>(…).query().stream()`, each
//!   entity decoded into a struct (`Edm.Decimal` as `Decimal`, dates as `chrono`).
//! * `raw`: the baseline: reqwest `GET`, `serde_json::from_slice::<Value>` of each page, the
//!   next link resolved against the page's URL, until there is none.
//! * `--capture DIR`: fetches every page as `raw` does and saves it, with `index.json` (the
//!   path and query each page was fetched from), for `page-server --odata-pages DIR`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark tool: fail loudly

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use dynamics365_client::auth::StaticToken;
use dynamics365_client::{Client, Flavor};
use futures::TryStreamExt;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};
use tributary_bench::{Outcome, TOKEN, arg};
use url::Url;

/// A payment line as an application would declare it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // decoded to be measured, never read
struct Payment {
    #[serde(rename = "ID")]
    id: i64,
    payment_id: String,
    customer: Option<String>,
    email: Option<String>,
    #[serde(with = "dynamics365_client::odata::edm::decimal")]
    amount: Decimal,
    currency: String,
    status: String,
    method: String,
    last4: String,
    invoice: String,
    created_at: DateTime<Utc>,
    settled_on: Option<NaiveDate>,
}

/// Follows the next links from `first`; calls `page` with each page's URL, bytes and JSON.
async fn walk(first: Url, mut page: impl FnMut(&Url, &[u8], &Value)) -> u64 {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .unwrap();
    let mut next = Some(first);
    let mut rows = 0u64;
    while let Some(url) = next.take() {
        let response = http
            .get(url.clone())
            .bearer_auth(TOKEN)
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
        let bytes = response.bytes().await.unwrap();
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        rows += body["value"].as_array().map_or(0, |v| v.len() as u64);
        page(&url, &bytes, &body);
        next = body["@odata.nextLink"]
            .as_str()
            .map(|link| url.join(link).unwrap());
    }
    rows
}

#[tokio::main]
async fn main() {
    let service = arg("--service")
        .expect("--service")
        .trim_end_matches('/')
        .to_owned();
    let entity = arg("--entity").unwrap_or_else(|| "Payments".to_owned());
    let mode = arg("--mode").unwrap_or_else(|| "typed".to_owned());
    let first = Url::parse(&format!("{service}/{entity}")).unwrap();

    if let Some(dir) = arg("--capture") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut index = Vec::new();
        let rows = walk(first, |url, bytes, _| {
            let file = format!("page-{:05}.json", index.len());
            std::fs::write(dir.join(&file), bytes).unwrap();
            let target = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_owned(),
            };
            index.push(json!({ "target": target, "file": file }));
        })
        .await;
        std::fs::write(
            dir.join("index.json"),
            serde_json::to_vec_pretty(&index).unwrap(),
        )
        .unwrap();
        eprintln!("captured {rows} rows in {} pages", index.len());
        return;
    }

    let label = arg("--label");
    let started = Instant::now();
    let (name, rows) = if mode == "raw" {
        ("raw", walk(first, |_, _, _| {}).await)
    } else {
        let client = Client::builder()
            .flavor(Flavor::Generic)
            .base_url(&service)
            .credentials(StaticToken::new(TOKEN))
            .timeout(Duration::from_secs(600))
            .build()
            .unwrap();
        let rows = client
            .odata()
            .entity_set::<Payment>(&entity)
            .query()
            .stream()
            .try_fold(0u64, |n, _| async move { Ok(n + 1) })
            .await
            .unwrap();
        ("tributary", rows)
    };
    Outcome::new(
        "odata",
        label.unwrap_or_else(|| name.to_owned()),
        rows,
        started.elapsed(),
    )
    .print();
}
