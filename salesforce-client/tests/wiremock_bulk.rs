//! Bulk API 2.0 request shapes against wiremock: job JSON, streamed CSV uploads split by
//! size, close/abort bodies, polling with a recording sleeper, result files joined back to the
//! records, query results paged by `Sforce-Locator` until `null`, with the job's API version.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{V, bearer, catch_all, sf_error, static_client};
use futures::TryStreamExt;
use mapping::retry::{ErrorKind, ManualClock, RecordingSleeper};
use salesforce_client::Error;
use salesforce_client::bulk::{
    ColumnDelimiter, IngestJobSpec, JobKind, JobState, LineEnding, Operation, PollOptions,
    QueryJobSpec,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wiremock::matchers::{
    body_json, body_string, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Fields in alphabetical order of their names, the order columns are written in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Contact {
    #[serde(rename = "Account")]
    account: Parent,
    #[serde(rename = "Email")]
    email: Option<String>,
    #[serde(rename = "LastName")]
    last_name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Parent {
    #[serde(rename = "External_Id__c")]
    external_id: String,
}

/// A contact read back from a result file. Columns are read flat, as the `csv` crate does, so
/// the relationship column is a field named after it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct SentContact {
    #[serde(rename = "Account.External_Id__c")]
    account: String,
    #[serde(rename = "Email")]
    email: Option<String>,
    #[serde(rename = "LastName")]
    last_name: String,
}

/// What the result files are read back as: the columns that identify a contact.
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct ContactKey {
    #[serde(rename = "LastName")]
    last_name: String,
    #[serde(rename = "Email")]
    email: Option<String>,
}

fn contact(name: &str, email: Option<&str>) -> Contact {
    Contact {
        account: Parent {
            external_id: "ACME-1".into(),
        },
        email: email.map(str::to_owned),
        last_name: name.into(),
    }
}

fn job(id: &str, state: &str) -> Value {
    json!({
        "id": id, "operation": "insert", "object": "Contact", "createdById": "005xx000001X8UzAAK",
        "createdDate": "2026-11-21T10:15:30.000+0000", "systemModstamp": "2026-11-21T10:15:30.000+0000",
        "state": state, "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": 66.0,
        "jobType": "V2Ingest", "contentUrl": format!("services/data/v66.0/jobs/ingest/{id}/batches"),
        "lineEnding": "LF", "columnDelimiter": "COMMA",
        "numberRecordsProcessed": 2, "numberRecordsFailed": 1,
    })
}

fn quick_poll(sleeper: &RecordingSleeper) -> PollOptions {
    PollOptions::default()
        .first_interval(Duration::from_secs(1))
        .max_interval(Duration::from_secs(4))
        .sleeper(sleeper.clone())
}

async fn mount_job(server: &MockServer, id: &str, csv: &str) {
    Mock::given(method("PUT"))
        .and(path(format!("{V}/jobs/ingest/{id}/batches")))
        .and(header("authorization", bearer().as_str()))
        .and(header("content-type", "text/csv"))
        .and(body_string(csv))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .named(format!("upload {id}"))
        .mount(server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{V}/jobs/ingest/{id}")))
        .and(body_json(json!({"state": "UploadComplete"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(job(id, "UploadComplete")))
        .expect(1)
        .named(format!("close {id}"))
        .mount(server)
        .await;
}

#[tokio::test]
async fn ingest_streams_csv_into_jobs_under_the_limit_and_joins_results() {
    let server = MockServer::start().await;
    let client = static_client(&server);
    // Two jobs: the third record would take the first upload past 120 bytes.
    for id in ["750A", "750B"] {
        Mock::given(method("POST"))
            .and(path(format!("{V}/jobs/ingest")))
            .and(body_json(json!({
                "object": "Contact", "operation": "insert", "contentType": "CSV", "lineEnding": "LF"
            })))
            .respond_with(ResponseTemplate::new(200).set_body_json(job(id, "Open")))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
    }
    let columns = "Account.External_Id__c,Email,LastName\n";
    mount_job(
        &server,
        "750A",
        &format!("{columns}ACME-1,#N/A,\"O'Brien, \"\"the\"\" gold\"\nACME-1,ann@example.com,\"multi\nline\"\n"),
    )
    .await;
    mount_job(&server, "750B", &format!("{columns}ACME-1,#N/A,Last\n")).await;
    for id in ["750A", "750B"] {
        // In progress on the first poll, complete on the second.
        Mock::given(method("GET"))
            .and(path(format!("{V}/jobs/ingest/{id}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(job(id, "InProgress")))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("{V}/jobs/ingest/{id}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(job(id, "JobComplete")))
            .expect(1)
            .mount(&server)
            .await;
    }
    // Results in another order than the upload: joined by the echoed columns.
    Mock::given(method("GET"))
        .and(path(format!("{V}/jobs/ingest/750A/successfulResults/")))
        .and(header("accept", "text/csv"))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            "\"sf__Id\",\"sf__Created\",Account.External_Id__c,Email,LastName\n\
             003A2,true,ACME-1,ann@example.com,\"multi\nline\"\n",
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{V}/jobs/ingest/750B/successfulResults/")))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            "\"sf__Id\",\"sf__Created\",Account.External_Id__c,Email,LastName\n003B1,true,ACME-1,#N/A,Last\n",
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{V}/jobs/ingest/750A/failedResults/")))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            "\"sf__Id\",\"sf__Error\",Account.External_Id__c,Email,LastName\n\
             ,\"INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:Account.External_Id__c\",ACME-1,#N/A,\"O'Brien, \"\"the\"\" gold\"\n",
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{V}/jobs/ingest/750B/failedResults/")))
        .respond_with(ResponseTemplate::new(200).set_body_string("\"sf__Id\",\"sf__Error\"\n"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let sleeper = RecordingSleeper::new();
    let records = vec![
        contact("O'Brien, \"the\" gold", None),
        contact("multi\nline", Some("ann@example.com")),
        contact("Last", None),
    ];
    let spec = IngestJobSpec::new("Contact", Operation::Insert).line_ending(LineEnding::Lf);
    let report = client
        .bulk()
        .ingest(spec)
        .max_upload_bytes(120)
        .poll(quick_poll(&sleeper))
        .run(futures::stream::iter(records))
        .await
        .unwrap();

    assert_eq!(report.jobs.len(), 2);
    assert_eq!(
        report
            .jobs
            .iter()
            .map(|j| (j.job.id.as_str(), j.first_row, j.rows))
            .collect::<Vec<_>>(),
        [("750A", 0, 2), ("750B", 2, 1)]
    );
    assert!(report.is_complete());
    report.check_complete().unwrap();
    assert_eq!(
        sleeper.delays(),
        [Duration::from_secs(1), Duration::from_secs(1)]
    );

    let succeeded: Vec<_> = report
        .successful_results::<ContactKey>()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        succeeded
            .iter()
            .map(|s| (
                s.id.as_str(),
                s.created,
                s.record.last_name.as_str(),
                s.record.email.as_deref()
            ))
            .collect::<Vec<_>>(),
        [
            ("003A2", true, "multi\nline", Some("ann@example.com")),
            ("003B1", true, "Last", None)
        ]
    );
    let failed: Vec<_> = report
        .failed_results::<SentContact>()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        failed[0].record,
        SentContact {
            account: "ACME-1".into(),
            email: None,
            last_name: "O'Brien, \"the\" gold".into()
        }
    );
    assert_eq!(failed[0].id, None);
    assert_eq!(failed[0].error.error_code, "INVALID_CROSS_REFERENCE_KEY");
    assert_eq!(failed[0].error.fields, ["Account.External_Id__c"]);
}

#[tokio::test]
async fn job_specs_and_state_changes_have_the_documented_shapes() {
    let server = MockServer::start().await;
    let client = static_client(&server);
    Mock::given(method("POST"))
        .and(path(format!("{V}/jobs/ingest")))
        .and(body_json(json!({
            "object": "Payment__c", "operation": "upsert", "externalIdFieldName": "PaymentID__c",
            "contentType": "CSV", "columnDelimiter": "PIPE", "lineEnding": "CRLF"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(job("750U", "Open")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("{V}/jobs/ingest/750U/batches")))
        .and(header("content-type", "text/csv"))
        .and(body_string("PaymentID__c|Amount__c\r\nPT-1|10.5\r\n"))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{V}/jobs/ingest/750U")))
        .and(body_json(json!({"state": "Aborted"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(job("750U", "Aborted")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{V}/jobs/query/750Q")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let bulk = client.bulk();
    let spec = IngestJobSpec::new("Payment__c", Operation::Upsert)
        .external_id_field("PaymentID__c")
        .column_delimiter(ColumnDelimiter::Pipe)
        .line_ending(LineEnding::Crlf);
    let created = bulk.create_ingest_job(&spec).await.unwrap();
    assert_eq!(created.state, JobState::Open);
    assert_eq!(
        created.api_version,
        Some(salesforce_client::ApiVersion::new(66))
    );
    bulk.upload_csv(
        &created.id,
        b"PaymentID__c|Amount__c\r\nPT-1|10.5\r\n".to_vec(),
    )
    .await
    .unwrap();
    let aborted = bulk.abort_job(JobKind::Ingest, &created.id).await.unwrap();
    assert_eq!(aborted.state, JobState::Aborted);
    bulk.delete_job(JobKind::Query, "750Q").await.unwrap();

    // Refused before anything is sent.
    let no_ext_id = IngestJobSpec::new("Payment__c", Operation::Upsert);
    assert_eq!(
        bulk.create_ingest_job(&no_ext_id).await.unwrap_err().kind(),
        ErrorKind::Validation
    );
    let bad_name = IngestJobSpec::new("Payment__c/../x", Operation::Insert);
    assert!(matches!(
        bulk.create_ingest_job(&bad_name).await,
        Err(Error::InvalidRequest { .. })
    ));
}

#[tokio::test]
async fn a_failed_upload_is_not_resent_and_aborts_its_job() {
    let server = MockServer::start().await;
    let client = static_client(&server);
    Mock::given(method("POST"))
        .and(path(format!("{V}/jobs/ingest")))
        .respond_with(ResponseTemplate::new(200).set_body_json(job("750X", "Open")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("{V}/jobs/ingest/750X/batches")))
        .respond_with(
            ResponseTemplate::new(503).set_body_json(sf_error("SERVER_UNAVAILABLE", "busy")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{V}/jobs/ingest/750X")))
        .and(body_json(json!({"state": "Aborted"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(job("750X", "Aborted")))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let err = client
        .bulk()
        .ingest(IngestJobSpec::new("Contact", Operation::Insert))
        .run(futures::stream::iter(vec![contact("A", None)]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
    assert_eq!(err.status(), Some(503));
}

#[tokio::test]
async fn a_record_that_is_not_csv_stops_the_ingest_after_the_jobs_before_it() {
    let server = MockServer::start().await;
    let client = static_client(&server);
    Mock::given(method("POST"))
        .and(path(format!("{V}/jobs/ingest")))
        .respond_with(ResponseTemplate::new(200).set_body_json(job("750E", "Open")))
        .expect(1)
        .mount(&server)
        .await;
    mount_job(&server, "750E", "Name\nA\nB\n").await;
    catch_all(&server).await;

    let records = vec![
        json!({"Name": "A"}),
        json!({"Name": "B"}),
        json!({"Name": ["not", "a", "cell"]}),
        json!({"Name": "D"}),
    ];
    let err = client
        .bulk()
        .ingest(IngestJobSpec::new("Account", Operation::Insert))
        .run(futures::stream::iter(records))
        .await
        .unwrap_err();
    let Error::BulkIncomplete {
        jobs,
        rows_submitted,
        source,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((jobs.len(), *rows_submitted), (1, 2));
    assert!(
        matches!(**source, Error::CsvEncode { row: 2, .. }),
        "{source:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Validation);
}

#[tokio::test]
async fn polling_backs_off_and_times_out_without_sleeping() {
    let server = MockServer::start().await;
    let client = static_client(&server);
    Mock::given(method("GET"))
        .and(path(format!("{V}/jobs/ingest/750P")))
        .respond_with(ResponseTemplate::new(200).set_body_json(job("750P", "InProgress")))
        .expect(6)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let clock = ManualClock::new();
    let sleeper = RecordingSleeper::advancing(clock.clone());
    let poll = quick_poll(&sleeper)
        .clock(clock)
        .timeout(Duration::from_secs(14));
    let err = client
        .bulk()
        .wait_job(JobKind::Ingest, "750P", &poll)
        .await
        .unwrap_err();
    let Error::PollTimeout { state, waited, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*state, JobState::InProgress);
    assert_eq!(*waited, Duration::from_secs(14));
    assert_eq!(err.kind(), ErrorKind::Timeout);
    let secs: Vec<u64> = sleeper.delays().iter().map(Duration::as_secs).collect();
    assert_eq!(
        secs,
        [1, 2, 4, 4, 3],
        "doubling, capped, the last cut to the timeout"
    );
}

fn query_job(id: &str, state: &str, version: f64) -> Value {
    json!({
        "id": id, "operation": "query", "object": "Account", "state": state,
        "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": version,
        "jobType": "V2Query", "lineEnding": "LF", "columnDelimiter": "COMMA",
        "query": "SELECT Id, Name FROM Account"
    })
}

#[derive(Debug, PartialEq, Deserialize)]
struct Account {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "AnnualRevenue")]
    revenue: Option<f64>,
}

#[tokio::test]
async fn query_results_follow_locators_until_null_with_the_jobs_api_version() {
    let server = MockServer::start().await;
    let client = static_client(&server);
    Mock::given(method("POST"))
        .and(path(format!("{V}/jobs/query")))
        .and(body_json(json!({
            "operation": "queryAll", "query": "SELECT Id, Name, AnnualRevenue FROM Account", "contentType": "CSV"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(query_job("750Q", "UploadComplete", 62.0)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{V}/jobs/query/750Q")))
        .respond_with(ResponseTemplate::new(200).set_body_json(query_job(
            "750Q",
            "JobComplete",
            62.0,
        )))
        .expect(1)
        .mount(&server)
        .await;
    // Results are read with the job's version (v62.0), not the client's (v66.0).
    let results = "/services/data/v62.0/jobs/query/750Q/results";
    Mock::given(method("GET"))
        .and(path(results))
        .and(query_param("maxRecords", "2"))
        .and(query_param_is_missing("locator"))
        .and(header("accept", "text/csv"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Sforce-Locator", "MjAwMDAw")
                .insert_header("Sforce-NumberOfRecords", "2")
                .set_body_string("\"Id\",\"Name\",\"AnnualRevenue\"\n\"001A\",\"Acme, Inc.\",\"1000.5\"\n\"001B\",\"Globex\",\"\"\n"),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(results))
        .and(query_param("maxRecords", "2"))
        .and(query_param("locator", "MjAwMDAw"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Sforce-Locator", "null")
                .insert_header("Sforce-NumberOfRecords", "1")
                .set_body_string(
                    "\"Id\",\"Name\",\"AnnualRevenue\"\n\"001C\",\"Initech\nWest\",\"7\"\n",
                ),
        )
        .expect(2)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let sleeper = RecordingSleeper::new();
    let accounts: Vec<Account> = client
        .bulk()
        .query(QueryJobSpec::new("SELECT Id, Name, AnnualRevenue FROM Account").all(true))
        .poll(quick_poll(&sleeper))
        .max_records(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        accounts,
        [
            Account {
                id: "001A".into(),
                name: "Acme, Inc.".into(),
                revenue: Some(1000.5)
            },
            Account {
                id: "001B".into(),
                name: "Globex".into(),
                revenue: None
            },
            Account {
                id: "001C".into(),
                name: "Initech\nWest".into(),
                revenue: Some(7.0)
            },
        ]
    );
    assert!(sleeper.delays().is_empty(), "complete on the first poll");

    // Pages hand out their locators; a checkpoint resumes from one.
    let info: salesforce_client::bulk::JobInfo =
        serde_json::from_value(query_job("750Q", "JobComplete", 62.0)).unwrap();
    let resumed: Vec<_> = client
        .bulk()
        .query_results(&info)
        .max_records(2)
        .from_locator("MjAwMDAw")
        .pages::<Account>()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(resumed.len(), 1);
    assert_eq!(resumed[0].locator.as_deref(), Some("MjAwMDAw"));
    assert_eq!(resumed[0].next_locator, None);
    assert_eq!(resumed[0].number_of_records, Some(1));
    assert_eq!(resumed[0].records[0].id, "001C");
}

#[tokio::test]
async fn a_failed_query_job_ends_the_stream_with_its_message() {
    let server = MockServer::start().await;
    let client = static_client(&server);
    Mock::given(method("POST"))
        .and(path(format!("{V}/jobs/query")))
        .respond_with(ResponseTemplate::new(200).set_body_json(query_job(
            "750F",
            "UploadComplete",
            66.0,
        )))
        .expect(1)
        .mount(&server)
        .await;
    let mut failed = query_job("750F", "Failed", 66.0);
    failed["errorMessage"] = json!("INVALID_FIELD: No such column 'Nope' on entity 'Account'");
    Mock::given(method("GET"))
        .and(path(format!("{V}/jobs/query/750F")))
        .respond_with(ResponseTemplate::new(200).set_body_json(failed))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let err = client
        .bulk()
        .query("SELECT Nope FROM Account")
        .poll(quick_poll(&RecordingSleeper::new()))
        .stream::<Value>()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
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
    assert!(err.to_string().contains("No such column"), "{err}");
}

#[tokio::test]
async fn job_lists_follow_next_records_url() {
    let server = MockServer::start().await;
    let client = static_client(&server);
    Mock::given(method("GET"))
        .and(path(format!("{V}/jobs/ingest")))
        .and(query_param_is_missing("page"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "done": false, "records": [job("750A", "JobComplete")],
            "nextRecordsUrl": format!("{V}/jobs/ingest?page=2")
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{V}/jobs/ingest")))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "done": true, "records": [job("750B", "Open")], "nextRecordsUrl": null
        })))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let jobs: Vec<_> = client
        .bulk()
        .list_jobs(JobKind::Ingest)
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = jobs.iter().map(|j| j.id.as_str()).collect();
    assert_eq!(ids, ["750A", "750B"]);
}
