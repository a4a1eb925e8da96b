#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Salesforce emulator, Bulk API 2.0 query jobs over real HTTP: create, poll, results paged by
//! `maxRecords` and `Sforce-Locator` until the literal `null`, `queryAll`, errors.

mod salesforce_common;

use std::collections::HashSet;
use std::time::Duration;

use reqwest::Method;
use salesforce_common::{Res, Sf};
use sandbox::salesforce::{BulkConfig, SalesforceConfig};
use serde_json::{Value, json};

fn config(delay_ms: u64) -> SalesforceConfig {
    SalesforceConfig::default()
        .bulk(BulkConfig::default().queue_delay(Duration::from_millis(delay_ms)))
}

async fn create(sf: &Sf, operation: &str, soql: &str) -> String {
    let r = sf
        .post(
            "/jobs/query",
            json!({"operation": operation, "query": soql}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["state"], "UploadComplete");
    assert_eq!(r.json["operation"], operation);
    r.json["id"].as_str().unwrap().to_owned()
}

async fn wait(sf: &Sf, id: &str) -> Value {
    for _ in 0..2000 {
        let r = sf.get(&format!("/jobs/query/{id}")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let s = r.json["state"].as_str().unwrap().to_owned();
        if matches!(s.as_str(), "JobComplete" | "Failed" | "Aborted") {
            return r.json;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("query job {id} did not finish");
}

fn header(r: &Res, name: &str) -> String {
    r.headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

fn rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let h = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    let r = rdr
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (h, r)
}

#[tokio::test]
async fn twenty_five_thousand_records_page_by_locator_until_null() {
    let sf = Sf::start_with(config(20)).await;
    sf.sb
        .emulator()
        .seed_many(
            "Account",
            (0..25_000).map(|i| json!({"Name": format!("A{i:05}"), "NumberOfEmployees": i})),
        )
        .unwrap();
    let id = create(
        &sf,
        "query",
        "SELECT Name, Id, NumberOfEmployees FROM Account",
    )
    .await;
    let info = wait(&sf, &id).await;
    assert_eq!(info["state"], "JobComplete", "{info}");
    assert_eq!(info["numberRecordsProcessed"], 25_000);
    assert_eq!(info["jobType"], "V2Query");
    assert_eq!(info["object"], "Account");

    let mut locator: Option<String> = None;
    let mut seen = HashSet::new();
    let mut pages = Vec::new();
    loop {
        let path = match &locator {
            None => format!("/jobs/query/{id}/results?maxRecords=10000"),
            Some(l) => format!("/jobs/query/{id}/results?maxRecords=10000&locator={l}"),
        };
        let r = sf.get(&path).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(header(&r, "content-type").starts_with("text/csv"));
        let (h, page) = rows(&r.text);
        assert_eq!(h, vec!["Name", "Id", "NumberOfEmployees"], "SELECT order");
        assert_eq!(header(&r, "sforce-numberofrecords"), page.len().to_string());
        pages.push(page.len());
        for row in &page {
            assert!(row[1].starts_with("001"));
            assert!(seen.insert(row[1].clone()), "duplicate row {row:?}");
        }
        let next = header(&r, "sforce-locator");
        assert!(!next.is_empty());
        if next == "null" {
            break;
        }
        locator = Some(next);
    }
    assert_eq!(pages, vec![10_000, 10_000, 5_000]);
    assert_eq!(seen.len(), 25_000);

    // Locators are stable: the second page again gives the same rows.
    let first = sf
        .get(&format!("/jobs/query/{id}/results?maxRecords=3"))
        .await;
    let loc = header(&first, "sforce-locator");
    let a = sf
        .get(&format!(
            "/jobs/query/{id}/results?maxRecords=2&locator={loc}"
        ))
        .await;
    let b = sf
        .get(&format!(
            "/jobs/query/{id}/results?maxRecords=2&locator={loc}"
        ))
        .await;
    assert_eq!(a.text, b.text);
    assert_eq!(rows(&a.text).1[0][0], "A00003");
}

#[tokio::test]
async fn query_all_sees_deleted_rows() {
    let sf = Sf::start_with(config(10)).await;
    let ids = sf
        .sb
        .emulator()
        .seed_many("Account", (0..5).map(|i| json!({"Name": format!("Q{i}")})))
        .unwrap();
    for id in &ids[..2] {
        assert_eq!(
            sf.delete(&format!("/sobjects/Account/{id}")).await.status,
            204
        );
    }
    let soql = "SELECT Id, Name, IsDeleted, CreatedDate FROM Account WHERE Name LIKE 'Q%'";
    let live = create(&sf, "query", soql).await;
    let all = create(&sf, "queryAll", soql).await;
    assert_eq!(wait(&sf, &live).await["numberRecordsProcessed"], 3);
    assert_eq!(wait(&sf, &all).await["numberRecordsProcessed"], 5);
    let r = sf.get(&format!("/jobs/query/{all}/results")).await;
    assert_eq!(header(&r, "sforce-locator"), "null");
    let (h, all_rows) = rows(&r.text);
    assert_eq!(h, vec!["Id", "Name", "IsDeleted", "CreatedDate"]);
    let deleted: HashSet<&str> = all_rows
        .iter()
        .filter(|r| r[2] == "true")
        .map(|r| r[0].as_str())
        .collect();
    assert_eq!(deleted, ids[..2].iter().map(String::as_str).collect());
    assert!(
        all_rows[0][3].ends_with('Z') && all_rows[0][3].len() == 24,
        "{:?}",
        all_rows[0]
    );
    let r = sf.get(&format!("/jobs/query/{live}/results")).await;
    assert!(rows(&r.text).1.iter().all(|r| r[2] == "false"));
}

#[tokio::test]
async fn parent_fields_nulls_and_dialect() {
    let sf = Sf::start_with(config(10)).await;
    let emu = sf.sb.emulator();
    let acct = emu
        .seed("Account", json!({"Name": "Parent, Inc."}))
        .unwrap();
    emu.seed(
        "Contact",
        json!({"LastName": "Child", "AccountId": acct, "Email": null}),
    )
    .unwrap();
    emu.seed("Contact", json!({"LastName": "Orphan"})).unwrap();
    let r = sf
        .post(
            "/jobs/query",
            json!({"operation": "query", "columnDelimiter": "PIPE", "lineEnding": "CRLF",
                   "query": "SELECT LastName, Account.Name, Email FROM Contact ORDER BY LastName"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let id = r.json["id"].as_str().unwrap().to_owned();
    wait(&sf, &id).await;
    let r = sf.get(&format!("/jobs/query/{id}/results")).await;
    assert_eq!(
        r.text,
        "\"LastName\"|\"Account.Name\"|\"Email\"\r\n\"Child\"|\"Parent, Inc.\"|\r\n\"Orphan\"||\r\n"
    );
}

#[tokio::test]
async fn query_job_errors_abort_delete_and_version() {
    let sf = Sf::start_with(config(400)).await;
    let bad = sf
        .post(
            "/jobs/query",
            json!({"operation": "query", "query": "SELECT Id FRM Account"}),
        )
        .await;
    assert_eq!((bad.status, bad.error_code()), (400, "MALFORMED_QUERY"));
    let bad = sf
        .post(
            "/jobs/query",
            json!({"operation": "query", "query": "SELECT Nope__x FROM Account"}),
        )
        .await;
    assert_eq!((bad.status, bad.error_code()), (400, "INVALID_FIELD"));
    let bad = sf
        .post(
            "/jobs/query",
            json!({"operation": "query", "query": "SELECT COUNT() FROM Account"}),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    let bad = sf
        .post(
            "/jobs/query",
            json!({"operation": "select", "query": "SELECT Id FROM Account"}),
        )
        .await;
    assert_eq!((bad.status, bad.error_code()), (400, "INVALIDJOB"));

    let id = create(&sf, "query", "SELECT Id FROM Account").await;
    let early = sf.get(&format!("/jobs/query/{id}/results")).await;
    assert_eq!((early.status, early.error_code()), (400, "INVALIDJOBSTATE"));
    assert!(sf.get(&format!("/jobs/ingest/{id}")).await.status == 404);
    let info = wait(&sf, &id).await;
    assert_eq!(info["state"], "JobComplete");
    let other_version = sf
        .send(
            Method::GET,
            &sf.url(&format!("/services/data/v60.0/jobs/query/{id}/results")),
            None,
            &[],
        )
        .await;
    assert_eq!(other_version.status, 409, "{}", other_version.text);
    let bad_locator = sf
        .get(&format!("/jobs/query/{id}/results?locator=%21%21"))
        .await;
    assert_eq!(bad_locator.status, 400);
    let bad_max = sf
        .get(&format!("/jobs/query/{id}/results?maxRecords=0"))
        .await;
    assert_eq!(bad_max.status, 400);

    let id2 = create(&sf, "query", "SELECT Id FROM Account").await;
    let r = sf
        .patch(&format!("/jobs/query/{id2}"), json!({"state": "Aborted"}))
        .await;
    assert_eq!((r.status, r.json["state"].as_str()), (200, Some("Aborted")));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sf.get(&format!("/jobs/query/{id2}")).await.json["state"],
        "Aborted"
    );
    let r = sf.get(&format!("/jobs/query/{id2}/results")).await;
    assert_eq!(r.error_code(), "INVALIDJOBSTATE");
    let listed = sf.get("/jobs/query").await;
    assert_eq!(listed.json["records"].as_array().unwrap().len(), 2);
    assert_eq!(sf.delete(&format!("/jobs/query/{id2}")).await.status, 204);
    assert_eq!(sf.get(&format!("/jobs/query/{id2}")).await.status, 404);
    assert_eq!(
        sf.get("/jobs/query").await.json["records"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
