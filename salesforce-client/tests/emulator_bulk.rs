//! Bulk API 2.0 against `sandbox::salesforce`, an emulator written from the reference and not
//! from this crate: a 20,000-row ingest split into several jobs by a small upload limit, with
//! results joined back to the input and a failed row reported against it; a 25,000-row query
//! read page by page through `Sforce-Locator`; a job the server fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use futures::TryStreamExt;
use mapping::retry::{FixedRandom, RecordingSleeper, Retrier, RetryPolicy};
use salesforce_client::auth::JwtBearer;
use salesforce_client::bulk::{IngestJobSpec, JobKind, JobState, Operation, PollOptions};
use salesforce_client::{ApiVersion, Client, Error};
use sandbox::salesforce::{
    AsyncFault, BulkConfig, DEFAULT_CLIENT_ID, DEFAULT_USERNAME, FieldMeta, FieldType, ObjectMeta,
    SalesforceConfig, SalesforceSandbox, TEST_PRIVATE_KEY_PEM,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

async fn start() -> SalesforceSandbox {
    let config = SalesforceConfig::default()
        .object(
            ObjectMeta::new("Payment__c")
                // Not `unique`: the emulator checks uniqueness by scanning every record, which
                // makes a 20,000-row load quadratic (minutes in a debug build).
                .field(FieldMeta::text("PaymentID__c", 50).external_id())
                .field(FieldMeta::new("Amount__c", FieldType::Currency).required())
                .field(FieldMeta::text("Status__c", 40)),
        )
        .bulk(BulkConfig::default().queue_delay(Duration::from_millis(10)));
    SalesforceSandbox::start_with(config).await.unwrap()
}

fn client(sf: &SalesforceSandbox) -> Client {
    let jwt = JwtBearer::from_pem(
        DEFAULT_CLIENT_ID,
        DEFAULT_USERNAME,
        TEST_PRIVATE_KEY_PEM.as_bytes(),
    )
    .unwrap();
    Client::builder()
        .login_url(sf.base_url())
        .api_version(ApiVersion::new(66))
        .credentials(jwt)
        .retrier(
            Retrier::new(RetryPolicy::default())
                .with_sleeper(RecordingSleeper::new())
                .with_random(FixedRandom::new(0.5)),
        )
        .build()
        .unwrap()
}

fn poll() -> PollOptions {
    PollOptions::default()
        .first_interval(Duration::from_millis(20))
        .max_interval(Duration::from_millis(200))
        .timeout(Duration::from_secs(120))
}

/// Field order = column order (alphabetical, as the JSON form is written).
#[derive(Debug, Clone, Serialize)]
struct Payment {
    #[serde(rename = "Amount__c")]
    amount: Option<f64>,
    #[serde(rename = "PaymentID__c")]
    payment_id: String,
    #[serde(rename = "Status__c")]
    status: &'static str,
}

/// What results are read back as.
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Sent {
    #[serde(rename = "PaymentID__c")]
    payment_id: String,
    #[serde(rename = "Amount__c")]
    amount: Option<f64>,
}

const ROWS: u32 = 20_000;
const BAD_ROW: u32 = 12_345;

fn payments() -> impl Iterator<Item = Payment> {
    (0..ROWS).map(|i| Payment {
        // The bad row clears a required field (`#N/A`).
        amount: (i != BAD_ROW).then(|| f64::from(i % 1000) + 0.25),
        payment_id: format!("PT-{i:06}"),
        status: "Completed",
    })
}

#[tokio::test]
async fn ingest_of_20000_rows_split_into_jobs_with_results_joined_back() {
    let sf = start().await;
    let client = client(&sf);
    let spec = IngestJobSpec::new("Payment__c", Operation::Insert);
    let report = client
        .bulk()
        .ingest(spec)
        .max_upload_bytes(150_000)
        .poll(poll())
        .run(futures::stream::iter(payments()))
        .await
        .unwrap();

    // ~27 bytes a row: 540 kB in jobs of at most 150 kB.
    assert!(report.jobs.len() >= 4, "{} jobs", report.jobs.len());
    assert_eq!(report.rows(), u64::from(ROWS));
    let mut next_row = 0;
    for job in &report.jobs {
        assert_eq!(job.first_row, next_row, "jobs hold consecutive input rows");
        assert!(job.bytes <= 150_000);
        assert_eq!(job.job.state, JobState::JobComplete);
        next_row += job.rows;
    }
    report.check_complete().unwrap();
    assert_eq!(report.records_processed(), u64::from(ROWS));
    assert_eq!(report.records_failed(), 1);

    let failed: Vec<_> = report.failed_results::<Sent>().try_collect().await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].record.payment_id, format!("PT-{BAD_ROW:06}"));
    assert_eq!(failed[0].record.amount, None);
    assert_eq!(failed[0].error.error_code, "REQUIRED_FIELD_MISSING");
    let job_of_bad_row = report
        .jobs
        .iter()
        .find(|j| (j.first_row..j.first_row + j.rows).contains(&u64::from(BAD_ROW)))
        .unwrap();
    assert_eq!(job_of_bad_row.job.number_records_failed, Some(1));

    let succeeded: Vec<_> = report
        .successful_results::<Sent>()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(succeeded.len(), ROWS as usize - 1);
    assert!(succeeded.iter().all(|s| s.created && s.id.len() == 18));
    let stored = sf.emulator().record(&succeeded[7].id).unwrap();
    assert_eq!(
        json!(stored.fields.get("PaymentID__c")),
        json!(succeeded[7].record.payment_id)
    );
    assert_eq!(sf.emulator().count("Payment__c"), ROWS as usize - 1);

    // Upserting the same rows again updates them: nothing is created twice.
    let again = client
        .bulk()
        .ingest(
            IngestJobSpec::new("Payment__c", Operation::Upsert).external_id_field("PaymentID__c"),
        )
        .poll(poll())
        .run(futures::stream::iter(payments().take(100)))
        .await
        .unwrap();
    assert_eq!(again.jobs.len(), 1, "the default limit is 100 MB");
    let created = again
        .successful_results::<Sent>()
        .try_filter(|s| futures::future::ready(s.created))
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    assert!(created.is_empty());
    assert_eq!(sf.emulator().count("Payment__c"), ROWS as usize - 1);
}

#[derive(Debug, Deserialize)]
struct Account {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "Name")]
    name: String,
}

#[tokio::test]
async fn query_of_25000_rows_pages_through_locators() {
    let sf = start().await;
    sf.emulator()
        .seed_many(
            "Account",
            (0..25_000).map(|i| json!({"Name": format!("Account, \"{i:05}\"")})),
        )
        .unwrap();
    let client = client(&sf);

    let accounts: Vec<Account> = client
        .bulk()
        .query("SELECT Id, Name FROM Account")
        .poll(poll())
        .max_records(10_000)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(accounts.len(), 25_000);
    let mut names: Vec<&str> = accounts.iter().map(|a| a.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(
        names.len(),
        25_000,
        "every row once, quotes and commas intact"
    );
    assert!(names.contains(&"Account, \"24999\""));
    assert!(accounts.iter().all(|a| a.id.starts_with("001")));

    // The same job's pages, with the locators a checkpoint would keep.
    let job = client
        .bulk()
        .list_jobs(JobKind::Query)
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .pop()
        .unwrap();
    let pages: Vec<_> = client
        .bulk()
        .query_results(&job)
        .max_records(10_000)
        .pages::<Account>()
        .try_collect()
        .await
        .unwrap();
    let sizes: Vec<usize> = pages.iter().map(|p| p.records.len()).collect();
    assert_eq!(sizes, [10_000, 10_000, 5_000]);
    assert_eq!(pages[2].next_locator, None);
    assert_eq!(pages[2].number_of_records, Some(5_000));
    let resumed: Vec<Account> = client
        .bulk()
        .query_results(&job)
        .max_records(10_000)
        .from_locator(pages[1].next_locator.clone().unwrap())
        .records()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(resumed.len(), 5_000);
    client
        .bulk()
        .delete_job(JobKind::Query, &job.id)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_job_the_server_fails_is_reported_with_its_unprocessed_records() {
    let sf = start().await;
    let client = client(&sf);
    sf.salesforce_faults().arm(AsyncFault::BulkJobFailed, 1);
    let report = client
        .bulk()
        .ingest(IngestJobSpec::new("Payment__c", Operation::Insert))
        .poll(poll())
        .run(futures::stream::iter(payments().take(10)))
        .await
        .unwrap();
    assert!(!report.is_complete());
    let err = report.check_complete().unwrap_err();
    assert!(
        matches!(
            &err,
            Error::BulkJob {
                state: JobState::Failed,
                ..
            }
        ),
        "{err:?}"
    );
    let unprocessed: Vec<Sent> = report.unprocessed_records().try_collect().await.unwrap();
    assert_eq!(unprocessed.len(), 10);
    assert_eq!(unprocessed[0].payment_id, "PT-000000");
    assert_eq!(sf.emulator().count("Payment__c"), 0);
}
