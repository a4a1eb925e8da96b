#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Salesforce emulator, Bulk API 2.0 ingest over real HTTP: job state machine, streamed
//! uploads, CSV dialects, row rules, result files, abort/delete/list, faults.

mod salesforce_common;

use std::collections::HashMap;
use std::time::Duration;

use reqwest::Method;
use salesforce_common::{Res, Sf, finish};
use sandbox::salesforce::{
    AsyncFault, BulkConfig, BulkJobState, FieldMeta, FieldType, ObjectMeta, SalesforceConfig,
};
use serde_json::{Value, json};

fn fast() -> BulkConfig {
    BulkConfig::default().queue_delay(Duration::from_millis(20))
}

fn config(bulk: BulkConfig) -> SalesforceConfig {
    SalesforceConfig::default().bulk(bulk)
}

async fn create(sf: &Sf, body: Value) -> String {
    let r = sf.post("/jobs/ingest", body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["state"], "Open");
    let id = r.json["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("750"), "{id}");
    assert_eq!(
        r.json["contentUrl"],
        format!("services/data/v67.0/jobs/ingest/{id}/batches")
    );
    id
}

async fn put(sf: &Sf, id: &str, csv: impl Into<String>) -> Res {
    let req = sf
        .http
        .put(sf.api(&format!("/jobs/ingest/{id}/batches")))
        .bearer_auth(&sf.token)
        .header("content-type", "text/csv")
        .body(csv.into());
    finish(req.send().await.unwrap()).await
}

async fn set_state(sf: &Sf, id: &str, state: &str) -> Res {
    sf.patch(&format!("/jobs/ingest/{id}"), json!({ "state": state }))
        .await
}

/// Poll until the job is terminal; returns the final info and every state seen.
async fn wait(sf: &Sf, id: &str) -> (Value, Vec<String>) {
    let mut seen: Vec<String> = Vec::new();
    for _ in 0..3000 {
        let r = sf.get(&format!("/jobs/ingest/{id}")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let s = r.json["state"].as_str().unwrap().to_owned();
        if seen.last() != Some(&s) {
            seen.push(s.clone());
        }
        if matches!(s.as_str(), "JobComplete" | "Failed" | "Aborted") {
            return (r.json, seen);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("job {id} did not finish: {seen:?}");
}

async fn run(sf: &Sf, body: Value, csv: &str) -> (String, Value) {
    let id = create(sf, body).await;
    let r = put(sf, &id, csv).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.text.is_empty());
    let r = set_state(sf, &id, "UploadComplete").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["state"], "UploadComplete");
    let (info, _) = wait(sf, &id).await;
    (id, info)
}

async fn results(sf: &Sf, id: &str, which: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let r = sf.get(&format!("/jobs/ingest/{id}/{which}/")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    parse(&r.text, b',')
}

fn parse(text: &str, delimiter: u8) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = rdr
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

fn payment_object() -> ObjectMeta {
    ObjectMeta::new("Payment__c")
        .field(FieldMeta::text("PaymentID__c", 40).external_id().unique())
        .field(FieldMeta::new("Amount__c", FieldType::Currency))
        .field(FieldMeta::text("Memo__c", 255))
        .field(FieldMeta::new("Paid_On__c", FieldType::Date))
        .field(FieldMeta::new("Settled_At__c", FieldType::DateTime))
}

#[tokio::test]
async fn insert_ten_thousand_rows_in_two_uploads_and_join_results() {
    let bulk = fast()
        .multiple_uploads(true)
        .rows_per_step(1000)
        .step_delay(Duration::from_millis(5));
    let sf = Sf::start_with(config(bulk)).await;
    let id = create(&sf, json!({"object": "Account", "operation": "insert"})).await;
    for part in 0..2 {
        let mut csv = String::from("Name,Ref__c,NumberOfEmployees\n");
        for i in part * 5000..(part + 1) * 5000 {
            csv.push_str(&format!("Account {i},R{i},{}\n", i % 97));
        }
        let r = put(&sf, &id, csv).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let info = sf.emulator_job(&id);
    assert_eq!(info.state, BulkJobState::Open);
    assert!(info.uploaded_bytes > 100_000);
    set_state(&sf, &id, "UploadComplete").await;
    let (info, seen) = wait(&sf, &id).await;
    assert_eq!(info["state"], "JobComplete", "{info}");
    assert!(seen.contains(&"InProgress".to_owned()), "{seen:?}");
    assert_eq!(info["numberRecordsProcessed"], 10_000);
    assert_eq!(info["numberRecordsFailed"], 0);
    assert_eq!(info["jobType"], "V2Ingest");
    assert_eq!(info["apiVersion"], 67.0);
    assert!(info.get("contentUrl").is_none());
    assert_eq!(sf.sb.emulator().count("Account"), 10_000);

    let (header, rows) = results(&sf, &id, "successfulResults").await;
    assert_eq!(
        header,
        vec![
            "sf__Id",
            "sf__Created",
            "Name",
            "Ref__c",
            "NumberOfEmployees"
        ]
    );
    assert_eq!(rows.len(), 10_000);
    let by_ref: HashMap<&str, &Vec<String>> = rows.iter().map(|r| (r[3].as_str(), r)).collect();
    assert_eq!(by_ref.len(), 10_000);
    for i in [0, 4999, 5000, 9999] {
        let row = by_ref[format!("R{i}").as_str()];
        assert_eq!(row[1], "true");
        let rec = sf.sb.emulator().record(&row[0]).unwrap();
        assert_eq!(rec.fields["Name"], format!("Account {i}"));
        assert_eq!(rec.fields["NumberOfEmployees"], json!(i % 97));
    }
    let (fh, failed) = results(&sf, &id, "failedResults").await;
    assert_eq!(fh[..2], ["sf__Id", "sf__Error"]);
    assert!(failed.is_empty());
    let (_, unprocessed) = results(&sf, &id, "unprocessedrecords").await;
    assert!(unprocessed.is_empty());
}

trait JobPeek {
    fn emulator_job(&self, id: &str) -> sandbox::salesforce::BulkJobInfo;
}

impl JobPeek for Sf {
    fn emulator_job(&self, id: &str) -> sandbox::salesforce::BulkJobInfo {
        self.sb.emulator().bulk_job(id).unwrap()
    }
}

#[tokio::test]
async fn a_second_upload_is_refused_by_default() {
    let sf = Sf::start_with(config(fast())).await;
    let id = create(&sf, json!({"object": "Account", "operation": "insert"})).await;
    assert_eq!(put(&sf, &id, "Name\nA\n").await.status, 201);
    let r = put(&sf, &id, "Name\nB\n").await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.error_code(), "INVALIDJOBSTATE");
    assert!(
        r.error_message()
            .starts_with("Found multiple contents for job")
    );
    let (_, info) = (
        set_state(&sf, &id, "UploadComplete").await,
        wait(&sf, &id).await.0,
    );
    assert_eq!(info["numberRecordsProcessed"], 1);
}

#[tokio::test]
async fn upsert_reports_created_and_updated_and_keeps_empty_cells() {
    let sf = Sf::start_with(config(fast()).object(payment_object())).await;
    let emu = sf.sb.emulator();
    let a = emu
        .seed(
            "Payment__c",
            json!({"PaymentID__c": "P-1", "Amount__c": 10, "Memo__c": "keep me"}),
        )
        .unwrap();
    let b = emu
        .seed(
            "Payment__c",
            json!({"PaymentID__c": "P-2", "Amount__c": 20, "Memo__c": "drop me"}),
        )
        .unwrap();
    let csv = "PaymentID__c,Amount__c,Memo__c,Paid_On__c\n\
               P-1,11,,2024-05-01\n\
               p-2,22,#N/A,\n\
               P-3,33,new,2024-05-02\n\
               P-4,44,dup,\n\
               P-4,45,dup again,\n";
    let (id, info) = run(
        &sf,
        json!({"object": "Payment__c", "operation": "upsert", "externalIdFieldName": "paymentid__c"}),
        csv,
    )
    .await;
    assert_eq!(info["state"], "JobComplete");
    assert_eq!(info["externalIdFieldName"], "PaymentID__c");
    assert_eq!(info["numberRecordsProcessed"], 5);
    assert_eq!(info["numberRecordsFailed"], 2);
    let (_, ok) = results(&sf, &id, "successfulResults").await;
    let created: HashMap<&str, (&str, &str)> = ok
        .iter()
        .map(|r| (r[2].as_str(), (r[0].as_str(), r[1].as_str())))
        .collect();
    assert_eq!(created["P-1"], (a.as_str(), "false"));
    assert_eq!(created["p-2"], (b.as_str(), "false"));
    assert_eq!(created["P-3"].1, "true");
    let a = emu.record(&a).unwrap();
    assert_eq!(a.fields["Amount__c"], json!(11));
    assert_eq!(
        a.fields["Memo__c"], "keep me",
        "an empty cell leaves the field"
    );
    assert_eq!(a.fields["Paid_On__c"], "2024-05-01");
    assert_eq!(emu.record(&b).unwrap().fields["Memo__c"], Value::Null);
    let (_, failed) = results(&sf, &id, "failedResults").await;
    assert_eq!(failed.len(), 2);
    for row in &failed {
        assert!(
            row[1].starts_with("DUPLICATE_EXTERNAL_ID:Duplicate external id specified: P-4"),
            "{row:?}"
        );
    }
    assert_eq!(emu.count("Payment__c"), 3);
}

#[tokio::test]
async fn bad_rows_land_in_failed_results_with_sf_error() {
    let sf = Sf::start_with(config(fast()).object(payment_object())).await;
    let csv = "Name,NumberOfEmployees,Phone\n\
               Good,5,555\n\
               ,7,missing name\n\
               Bad number,many,1\n";
    let (id, info) = run(
        &sf,
        json!({"object": "Account", "operation": "insert"}),
        csv,
    )
    .await;
    assert_eq!(info["state"], "JobComplete");
    assert_eq!(info["numberRecordsProcessed"], 3);
    assert_eq!(info["numberRecordsFailed"], 2);
    let (header, failed) = results(&sf, &id, "failedResults").await;
    assert_eq!(
        header,
        vec!["sf__Id", "sf__Error", "Name", "NumberOfEmployees", "Phone"]
    );
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0][0], "");
    assert_eq!(
        failed[0][1],
        "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --"
    );
    assert_eq!(failed[0][4], "missing name");
    assert!(
        failed[1][1].starts_with("INVALID_FIELD:Failed to deserialize field at col 2. Due to, 'many' is not a valid value for the type xsd:double"),
        "{}",
        failed[1][1]
    );
    let (_, ok) = results(&sf, &id, "successfulResults").await;
    assert_eq!(ok.len(), 1);
    assert_eq!(ok[0][2], "Good");

    // Dates and datetimes follow reference §3.3.
    let csv = "PaymentID__c,Paid_On__c,Settled_At__c\n\
               D1,2024-05-01,2024-05-01T10:00:00.000Z\n\
               D2,2024-05-01,2024-05-01T12:00:00+02:00\n\
               D3,05/01/2024,\n\
               D4,,2024-05-01 10:00:00\n";
    let (id, info) = run(
        &sf,
        json!({"object": "Payment__c", "operation": "insert"}),
        csv,
    )
    .await;
    assert_eq!(info["numberRecordsFailed"], 2);
    let (_, failed) = results(&sf, &id, "failedResults").await;
    assert!(failed[0][1].contains("xsd:date:Paid_On__c"), "{failed:?}");
    assert!(
        failed[1][1].contains("xsd:dateTime:Settled_At__c"),
        "{failed:?}"
    );
    let (_, ok) = results(&sf, &id, "successfulResults").await;
    let d2 = sf.sb.emulator().record(&ok[1][0]).unwrap();
    assert_eq!(d2.fields["Settled_At__c"], "2024-05-01T10:00:00.000+0000");
}

#[tokio::test]
async fn wrong_state_transitions_are_refused() {
    let sf = Sf::start_with(config(fast().queue_delay(Duration::from_millis(300)))).await;
    let id = create(&sf, json!({"object": "Account", "operation": "insert"})).await;
    let early = sf
        .get(&format!("/jobs/ingest/{id}/successfulResults/"))
        .await;
    assert_eq!((early.status, early.error_code()), (400, "INVALIDJOBSTATE"));
    let del = sf.delete(&format!("/jobs/ingest/{id}")).await;
    assert_eq!((del.status, del.error_code()), (400, "INVALIDJOBSTATE"));
    assert_eq!(put(&sf, &id, "Name\nA\n").await.status, 201);
    assert_eq!(set_state(&sf, &id, "UploadComplete").await.status, 200);
    let late = put(&sf, &id, "Name\nB\n").await;
    assert_eq!(late.status, 400);
    assert_eq!(late.error_code(), "INVALIDJOBSTATE");
    assert!(late.json[0].get("fields").is_none(), "{}", late.text);
    let again = set_state(&sf, &id, "UploadComplete").await;
    assert_eq!((again.status, again.error_code()), (400, "INVALIDJOBSTATE"));
    let odd = set_state(&sf, &id, "JobComplete").await;
    assert_eq!((odd.status, odd.error_code()), (400, "INVALIDJOBSTATE"));
    let (info, _) = wait(&sf, &id).await;
    assert_eq!(info["state"], "JobComplete");
    let abort = set_state(&sf, &id, "Aborted").await;
    assert_eq!((abort.status, abort.error_code()), (400, "INVALIDJOBSTATE"));
    let missing = sf.get("/jobs/ingest/7505g000000000099AAA").await;
    assert_eq!((missing.status, missing.error_code()), (404, "NOT_FOUND"));
    let wrong_method = sf
        .send(
            Method::PUT,
            &sf.api(&format!("/jobs/ingest/{id}")),
            None,
            &[],
        )
        .await;
    assert_eq!(wrong_method.status, 405);
    let bad = sf
        .post(
            "/jobs/ingest",
            json!({"object": "Account", "operation": "merge"}),
        )
        .await;
    assert_eq!((bad.status, bad.error_code()), (400, "INVALIDJOB"));
    let bad = sf
        .post(
            "/jobs/ingest",
            json!({"object": "Nope", "operation": "insert"}),
        )
        .await;
    assert_eq!((bad.status, bad.error_code()), (400, "INVALIDENTITY"));
    let bad = sf
        .post(
            "/jobs/ingest",
            json!({"object": "Account", "operation": "upsert"}),
        )
        .await;
    assert_eq!((bad.status, bad.error_code()), (400, "INVALIDJOB"));
    let bad = sf
        .post(
            "/jobs/ingest",
            json!({"object": "Account", "operation": "upsert", "externalIdFieldName": "Name"}),
        )
        .await;
    assert_eq!((bad.status, bad.error_code()), (400, "INVALIDJOB"));
    let wrong_type = sf
        .send(
            Method::PUT,
            &sf.api(&format!("/jobs/ingest/{id}/batches")),
            Some(&json!({})),
            &[],
        )
        .await;
    assert_eq!(wrong_type.status, 415);
}

#[tokio::test]
async fn abort_and_delete() {
    let bulk = fast()
        .rows_per_step(10)
        .step_delay(Duration::from_millis(40));
    let sf = Sf::start_with(config(bulk)).await;

    // Aborted while open: every row is unprocessed.
    let id = create(&sf, json!({"object": "Account", "operation": "insert"})).await;
    put(&sf, &id, "Name\nA\nB\n").await;
    let r = set_state(&sf, &id, "Aborted").await;
    assert_eq!((r.status, r.json["state"].as_str()), (200, Some("Aborted")));
    let (header, rows) = results(&sf, &id, "unprocessedrecords").await;
    assert_eq!(header, vec!["Name"]);
    assert_eq!(rows, vec![vec!["A"], vec!["B"]]);
    let r = set_state(&sf, &id, "UploadComplete").await;
    assert_eq!(r.error_code(), "INVALIDJOBSTATE");
    assert_eq!(sf.sb.emulator().count("Account"), 0);

    // Aborted while in progress: what was applied stays, the rest is unprocessed.
    let mut csv = String::from("Name\n");
    for i in 0..200 {
        csv.push_str(&format!("N{i}\n"));
    }
    let id2 = create(&sf, json!({"object": "Account", "operation": "insert"})).await;
    put(&sf, &id2, csv).await;
    set_state(&sf, &id2, "UploadComplete").await;
    loop {
        let info = sf.get(&format!("/jobs/ingest/{id2}")).await.json;
        if info["state"] == "InProgress" && info["numberRecordsProcessed"].as_u64() > Some(0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(set_state(&sf, &id2, "Aborted").await.status, 200);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (info, _) = wait(&sf, &id2).await;
    assert_eq!(info["state"], "Aborted");
    let processed = info["numberRecordsProcessed"].as_u64().unwrap() as usize;
    assert!(processed > 0 && processed < 200, "{processed}");
    let (_, ok) = results(&sf, &id2, "successfulResults").await;
    let (_, left) = results(&sf, &id2, "unprocessedrecords").await;
    assert_eq!(ok.len(), processed);
    assert_eq!(left.len(), 200 - processed);
    assert_eq!(sf.sb.emulator().count("Account"), processed);

    // Delete: gone from the API and the list.
    let del = sf.delete(&format!("/jobs/ingest/{id}")).await;
    assert_eq!(del.status, 204, "{}", del.text);
    assert_eq!(sf.get(&format!("/jobs/ingest/{id}")).await.status, 404);
    assert!(sf.sb.emulator().bulk_job(&id).is_none());
    let list = sf.get("/jobs/ingest").await;
    let ids: Vec<&str> = list.json["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![id2.as_str()]);
}

#[tokio::test]
async fn csv_quoting_dialects_and_null() {
    let sf = Sf::start_with(config(fast())).await;
    let desc = "Commas, \"quotes\"\nand a newline";
    let csv = format!(
        "Name,Description,Phone\n\"Acme, Inc.\",\"{}\",555\nPlain,,#N/A\n",
        desc.replace('"', "\"\"")
    );
    let (id, info) = run(
        &sf,
        json!({"object": "Account", "operation": "insert"}),
        &csv,
    )
    .await;
    assert_eq!(info["numberRecordsFailed"], 0, "{info}");
    let (_, ok) = results(&sf, &id, "successfulResults").await;
    assert_eq!(ok[0][2], "Acme, Inc.");
    assert_eq!(ok[0][3], desc);
    let acme = sf.sb.emulator().record(&ok[0][0]).unwrap();
    assert_eq!(acme.fields["Description"], desc);
    assert_eq!(acme.fields["Name"], "Acme, Inc.");

    // Update: #N/A sets null, an empty cell leaves the value; TAB + CRLF dialect.
    let acme_id = ok[0][0].clone();
    let csv = format!("Id\tPhone\tDescription\tWebsite\r\n{acme_id}\t#N/A\t\tnew\tsite\r\n");
    let (id, info) = run(
        &sf,
        json!({"object": "Account", "operation": "update", "columnDelimiter": "TAB", "lineEnding": "CRLF"}),
        &csv,
    )
    .await;
    assert_eq!(info["columnDelimiter"], "TAB");
    assert_eq!(
        info["numberRecordsFailed"], 1,
        "a row with too many columns fails"
    );
    let r = sf.get(&format!("/jobs/ingest/{id}/failedResults/")).await;
    assert!(
        r.text
            .starts_with("\"sf__Id\"\t\"sf__Error\"\tId\tPhone\tDescription\tWebsite\r\n"),
        "{}",
        r.text
    );
    let csv = format!("Id\tPhone\tDescription\r\n{acme_id}\t#N/A\t\r\n");
    let (id, info) = run(
        &sf,
        json!({"object": "Account", "operation": "update", "columnDelimiter": "TAB", "lineEnding": "CRLF"}),
        &csv,
    )
    .await;
    assert_eq!(info["numberRecordsFailed"], 0, "{info}");
    let r = sf
        .get(&format!("/jobs/ingest/{id}/successfulResults/"))
        .await;
    let (_, rows) = parse(&r.text, b'\t');
    assert_eq!(rows[0][..2], [acme_id.clone(), "false".to_owned()]);
    assert!(r.text.contains("\r\n"));
    let acme = sf.sb.emulator().record(&acme_id).unwrap();
    assert_eq!(acme.fields["Phone"], Value::Null);
    assert_eq!(acme.fields["Description"], desc);

    // Line endings that do not match the job fail it.
    let (_, info) = run(
        &sf,
        json!({"object": "Account", "operation": "insert"}),
        "Name\r\nX\r\n",
    )
    .await;
    assert_eq!(info["state"], "Failed");
    assert_eq!(
        info["errorMessage"],
        "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF"
    );
    // So does an unknown column.
    let (_, info) = run(
        &sf,
        json!({"object": "Account", "operation": "insert"}),
        "Name,Nonexistent\nX,1\n",
    )
    .await;
    assert_eq!(info["state"], "Failed");
    assert_eq!(
        info["errorMessage"],
        "InvalidBatch : Field name not found : Nonexistent"
    );
}

#[tokio::test]
async fn relationship_columns_delete_hard_delete_and_change_events() {
    let cfg = config(fast())
        .object(
            ObjectMeta::new("Account")
                .field(FieldMeta::text("Name", 255).required())
                .field(FieldMeta::text("AcctExt__c", 20).external_id()),
        )
        .cdc("Account");
    let sf = Sf::start_with(cfg).await;
    let emu = sf.sb.emulator();
    let acct = emu
        .seed("Account", json!({"Name": "Parent", "AcctExt__c": "A-1"}))
        .unwrap();
    let (id, info) = run(
        &sf,
        json!({"object": "Contact", "operation": "insert"}),
        "LastName,Account.AcctExt__c\nChild,A-1\nOrphan,A-404\n",
    )
    .await;
    assert_eq!(info["numberRecordsFailed"], 1, "{info}");
    let (_, ok) = results(&sf, &id, "successfulResults").await;
    let child = emu.record(&ok[0][0]).unwrap();
    assert_eq!(child.fields["AccountId"], acct.as_str());
    let (_, failed) = results(&sf, &id, "failedResults").await;
    assert!(failed[0][1].contains("A-404"), "{failed:?}");

    // Bulk writes to a CDC object publish change events with the bulk API origin.
    let (id, _) = run(
        &sf,
        json!({"object": "Account", "operation": "insert"}),
        "Name\nB1\nB2\nB3\n",
    )
    .await;
    let events = sf.sb.bus().events("/data/AccountChangeEvent");
    assert_eq!(events.len(), 3);
    let h = events[0].change_header().unwrap();
    assert_eq!(h["changeType"], "CREATE");
    assert_eq!(h["changeOrigin"], "com/salesforce/api/bulkapi/67.0");
    assert_eq!(
        h["transactionKey"],
        events[2].change_header().unwrap()["transactionKey"]
    );
    let (_, ok) = results(&sf, &id, "successfulResults").await;
    let ids: Vec<String> = ok.iter().map(|r| r[0].clone()).collect();

    // delete → recycle bin (queryAll sees it); hardDelete → gone.
    let (_, info) = run(
        &sf,
        json!({"object": "Account", "operation": "delete"}),
        &format!("Id\n{}\n{}\n", ids[0], "001000000000000AAA"),
    )
    .await;
    assert_eq!(info["numberRecordsFailed"], 1);
    assert!(emu.record(&ids[0]).unwrap().deleted);
    let (_, info) = run(
        &sf,
        json!({"object": "Account", "operation": "hardDelete"}),
        &format!("Id\n{}\n{}\n", ids[0], ids[1]),
    )
    .await;
    assert_eq!(info["numberRecordsFailed"], 0, "{info}");
    assert!(emu.record(&ids[0]).is_none());
    assert!(emu.record(&ids[1]).is_none());
    assert!(emu.record(&ids[2]).is_some());
    let deletes = sf
        .sb
        .bus()
        .events("/data/AccountChangeEvent")
        .iter()
        .filter(|e| e.change_header().unwrap()["changeType"] == "DELETE")
        .count();
    assert_eq!(deletes, 2);
    // A delete job must carry only the Id column.
    let (_, info) = run(
        &sf,
        json!({"object": "Account", "operation": "delete"}),
        &format!("Id,Name\n{},x\n", ids[2]),
    )
    .await;
    assert_eq!(
        info["errorMessage"],
        "InvalidBatch : The 'delete' batch must contain only 'Id' field"
    );
}

#[tokio::test]
async fn list_upload_limit_and_injected_failures() {
    let bulk = fast().list_page_size(2).max_upload_bytes(1000);
    let sf = Sf::start_with(config(bulk)).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(create(&sf, json!({"object": "Account", "operation": "insert"})).await);
    }
    let first = sf.get("/jobs/ingest").await;
    assert_eq!(first.json["done"], false);
    assert_eq!(first.json["records"].as_array().unwrap().len(), 2);
    let next = first.json["nextRecordsUrl"].as_str().unwrap().to_owned();
    assert!(next.starts_with("/services/data/v67.0/jobs/ingest?queryLocator="));
    let second = sf.send(Method::GET, &sf.url(&next), None, &[]).await;
    assert_eq!(second.json["done"], true);
    assert_eq!(second.json["nextRecordsUrl"], Value::Null);
    assert_eq!(second.json["records"][0]["id"], ids[2].as_str());
    let none = sf.get("/jobs/ingest?jobType=Classic").await;
    assert_eq!(none.json["records"], json!([]));
    assert_eq!(sf.get("/jobs/query").await.json["records"], json!([]));

    // Uploads over the limit are refused and leave the job open and empty.
    let big = format!("Name\n{}", "x\n".repeat(600));
    let r = put(&sf, &ids[0], big).await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert_eq!(r.error_code(), "EXCEEDED_MAX_SIZE_REQUEST");
    let info = sf.sb.emulator().bulk_job(&ids[0]).unwrap();
    assert_eq!((info.state, info.uploaded_bytes), (BulkJobState::Open, 0));
    assert_eq!(put(&sf, &ids[0], "Name\nok\n").await.status, 201);

    // Injected: a job that ends Failed, a row that cannot be locked.
    sf.sb.salesforce_faults().arm(AsyncFault::BulkJobFailed, 1);
    set_state(&sf, &ids[0], "UploadComplete").await;
    let (info, _) = wait(&sf, &ids[0]).await;
    assert_eq!(info["state"], "Failed");
    assert!(
        info["errorMessage"]
            .as_str()
            .unwrap()
            .starts_with("InternalServerError")
    );
    let (_, left) = results(&sf, &ids[0], "unprocessedrecords").await;
    assert_eq!(left, vec![vec!["ok"]]);

    sf.sb.salesforce_faults().arm(AsyncFault::BulkRowLock, 1);
    put(&sf, &ids[1], "Name\nA\nB\n").await;
    set_state(&sf, &ids[1], "UploadComplete").await;
    let (info, _) = wait(&sf, &ids[1]).await;
    assert_eq!(info["numberRecordsFailed"], 1);
    let (_, failed) = results(&sf, &ids[1], "failedResults").await;
    assert!(
        failed[0][1].starts_with("UNABLE_TO_LOCK_ROW:"),
        "{failed:?}"
    );
    assert_eq!(
        sf.sb
            .salesforce_faults()
            .async_count(AsyncFault::BulkRowLock),
        1
    );

    // The shared fault plan applies to bulk paths too; Sforce-Limit-Info is on every reply.
    sf.sb.faults().fail_next(1, 503);
    assert_eq!(sf.get("/jobs/ingest").await.status, 503);
    let ok = sf.get("/jobs/ingest").await;
    assert!(ok.limit_info().starts_with("api-usage="));
    // An expired session gets the REST 401.
    sf.sb.emulator().expire_sessions();
    let r = sf.get("/jobs/ingest").await;
    assert_eq!((r.status, r.error_code()), (401, "INVALID_SESSION_ID"));
}
