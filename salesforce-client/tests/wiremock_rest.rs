//! REST request shapes against wiremock: sObjects, upsert outcomes, describe, SOQL paging,
//! limits, versions, raw.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use futures::{StreamExt, TryStreamExt};
use mapping::retry::ErrorKind;
use salesforce_client::sobjects::{SObject, UpsertOutcome};
use salesforce_client::{ApiVersion, Error};
use serde::Deserialize;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, header_exists, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn create_get_update_delete() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{V}/sobjects/Payment__c")))
        .and(header("authorization", bearer().as_str()))
        .and(header("content-type", "application/json"))
        .and(header("accept", "application/json"))
        .and(body_json(
            json!({"PaymentID__c": "PT-1", "Amount__c": 12.5}),
        ))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("Sforce-Limit-Info", "api-usage=19/15000")
                .set_body_json(json!({"id": "a01xx0000000001AAA", "success": true, "errors": []})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{V}/sobjects/Payment__c/a01xx0000000001AAA")))
        .and(query_param("fields", "PaymentID__c,Amount__c,Account__r.Name"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "attributes": {"type": "Payment__c", "url": "/services/data/v66.0/sobjects/Payment__c/a01xx0000000001AAA"},
            "Id": "a01xx0000000001AAA", "PaymentID__c": "PT-1", "Amount__c": 12.5, "Account__r": {"Name": "Acme"},
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{V}/sobjects/Payment__c/a01xx0000000001AAA")))
        .and(body_json(
            json!({"PaymentID__c": "PT-1", "Amount__c": 13, "Account__r": {"Name": "Acme"}}),
        ))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{V}/sobjects/Payment__c/a01xx0000000001AAA")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = static_client(&server);
    let payments = client.sobjects("Payment__c");
    let created = payments
        .create(&json!({"attributes": {"type": "Payment__c"}, "PaymentID__c": "PT-1", "Amount__c": 12.5}))
        .await
        .unwrap();
    assert_eq!(created.id.as_deref(), Some("a01xx0000000001AAA"));
    assert_eq!(
        client.last_api_usage().map(|u| (u.used, u.max)),
        Some((19, 15000))
    );

    let mut record: SObject = payments
        .get(
            "a01xx0000000001AAA",
            &["PaymentID__c", "Amount__c", "Account__r.Name"],
        )
        .await
        .unwrap();
    assert_eq!(
        record.attributes.as_ref().unwrap().sobject_type,
        "Payment__c"
    );
    // A record read back is written back as it is: attributes and Id are dropped.
    record.fields.insert("Amount__c".into(), json!(13));
    payments
        .update("a01xx0000000001AAA", &record)
        .await
        .unwrap();
    payments.delete("a01xx0000000001AAA").await.unwrap();
}

#[tokio::test]
async fn upsert_outcomes_are_typed() {
    let server = MockServer::start().await;
    let upsert_path = |value: &str| format!("{V}/sobjects/Payment__c/PaymentID__c/{value}");
    Mock::given(method("PATCH"))
        .and(path(upsert_path("PT-new")))
        .and(body_json(json!({"Amount__c": 5})))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(
                json!({"id": "a01A", "success": true, "errors": [], "created": true}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(upsert_path("PT-old")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"id": "a01B", "success": true, "errors": [], "created": false}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(upsert_path("PT-legacy")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(upsert_path("PT-dup")))
        .respond_with(ResponseTemplate::new(300).set_body_json(json!([
            "/services/data/v66.0/sobjects/Payment__c/a01C",
            "/services/data/v66.0/sobjects/Payment__c/a01D",
        ])))
        .expect(1)
        .mount(&server)
        .await;
    // Values are percent-encoded as one path segment; the query string says updateOnly.
    Mock::given(method("PATCH"))
        .and(path(upsert_path("jane%40example.com%2F2026%20Q1")))
        .and(query_param("updateOnly", "true"))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!([{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let payments_client = static_client(&server);
    let payments = payments_client.sobjects("Payment__c");
    // The external ID field in the body is dropped: the URL says it.
    let created = payments
        .upsert(
            "PaymentID__c",
            "PT-new",
            &json!({"PaymentID__c": "PT-new", "Amount__c": 5}),
        )
        .await
        .unwrap();
    assert_eq!(created, UpsertOutcome::Created { id: "a01A".into() });
    let updated = payments
        .upsert("PaymentID__c", "PT-old", &json!({"Amount__c": 6}))
        .await
        .unwrap();
    assert_eq!(
        updated,
        UpsertOutcome::Updated {
            id: Some("a01B".into())
        }
    );
    let legacy = payments
        .upsert("PaymentID__c", "PT-legacy", &json!({"Amount__c": 7}))
        .await
        .unwrap();
    assert_eq!(legacy, UpsertOutcome::Updated { id: None });
    let dup = payments
        .upsert("PaymentID__c", "PT-dup", &json!({"Amount__c": 8}))
        .await
        .unwrap_err();
    assert_eq!(dup.kind(), ErrorKind::Conflict);
    assert_eq!(dup.matches().len(), 2);
    assert!(matches!(dup, Error::MultipleMatches { .. }));
    let missing = payments
        .update_by_external_id(
            "PaymentID__c",
            "jane@example.com/2026 Q1",
            &json!({"Amount__c": 9}),
        )
        .await
        .unwrap_err();
    assert!(missing.is_not_found());
}

#[tokio::test]
async fn external_id_reads_and_deletes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{V}/sobjects/Account/ExternalId__c/C-1")))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"attributes": {"type": "Account"}, "Id": "001A", "Name": "Acme"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{V}/sobjects/Account/ExternalId__c/C-1")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = static_client(&server);
    let accounts = client.sobjects("Account");
    let record: Value = accounts
        .get_by_external_id("ExternalId__c", "C-1", &[])
        .await
        .unwrap();
    assert_eq!(record["Name"], "Acme");
    accounts
        .delete_by_external_id("ExternalId__c", "C-1")
        .await
        .unwrap();
    // Names are checked before anything is sent.
    let bad = accounts
        .get_by_external_id::<Value>("Ext/../x", "C-1", &[])
        .await
        .unwrap_err();
    assert!(matches!(bad, Error::InvalidRequest { .. }));
    let bad = client
        .sobjects("Account WHERE")
        .delete("001")
        .await
        .unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::Validation);
}

#[tokio::test]
async fn describe_and_changes_since() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{V}/sobjects/")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "encoding": "UTF-8", "maxBatchSize": 200,
            "sobjects": [{"name": "Account", "label": "Account", "keyPrefix": "001", "custom": false, "queryable": true,
                          "createable": true, "updateable": true, "deletable": true, "urls": {"sobject": "/services/data/v66.0/sobjects/Account"}, "layoutable": true}],
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{V}/sobjects/Payment__c/describe/")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "Payment__c", "label": "Payment", "keyPrefix": "a01", "custom": true, "createable": true,
            "fields": [{"name": "PaymentID__c", "type": "string", "externalId": true, "unique": true, "length": 50, "nillable": false, "referenceTo": [], "picklistValues": []},
                       {"name": "Status__c", "type": "picklist", "picklistValues": [{"value": "Settled", "label": "Settled", "active": true, "defaultValue": false}]}],
            "childRelationships": [], "recordTypeInfos": [],
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{V}/sobjects/Payment__c/updated/")))
        .and(query_param("start", "2026-11-01T00:00:00+00:00"))
        .and(query_param("end", "2026-11-02T00:00:00+00:00"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"ids": ["a01A"], "latestDateCovered": "2026-11-02T00:00:00.000+0000"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{V}/sobjects/Payment__c/deleted/")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "deletedRecords": [{"id": "a01B", "deletedDate": "2026-11-01T10:00:00.000+0000"}],
            "earliestDateAvailable": "2026-10-01T00:00:00.000+0000", "latestDateCovered": "2026-11-02T00:00:00.000+0000",
        })))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = static_client(&server);
    let global = client.describe_global().await.unwrap();
    assert_eq!(global.sobjects[0].key_prefix.as_deref(), Some("001"));
    let describe = client.sobjects("Payment__c").describe().await.unwrap();
    assert!(describe.field("paymentid__c").unwrap().external_id);
    assert_eq!(
        describe.field("Status__c").unwrap().picklist_values[0].value,
        "Settled"
    );
    let (start, end) = (
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap(),
    );
    assert_eq!(
        client
            .sobjects("Payment__c")
            .updated(start, end)
            .await
            .unwrap()
            .ids,
        ["a01A"]
    );
    let deleted = client
        .sobjects("Payment__c")
        .deleted(start, end)
        .await
        .unwrap();
    assert_eq!(deleted.deleted_records[0].id, "a01B");
    // The `+` of the offset is sent as %2B, never as a space.
    let requests = server.received_requests().await.unwrap();
    let updated = requests
        .iter()
        .find(|r| r.url.path().ends_with("/updated/"))
        .unwrap();
    assert_eq!(
        updated.url.query(),
        Some("start=2026-11-01T00%3A00%3A00%2B00%3A00&end=2026-11-02T00%3A00%3A00%2B00%3A00")
    );
}

#[derive(Debug, Deserialize)]
struct Account {
    #[serde(rename = "Id")]
    id: String,
    #[serde(flatten)]
    extra: serde_json::Map<String, Value>,
}

fn page(ids: std::ops::Range<usize>, next: Option<&str>) -> Value {
    let records: Vec<Value> = ids
        .map(|i| json!({"attributes": {"type": "Account", "url": format!("/services/data/v66.0/sobjects/Account/001{i:015}")}, "Id": format!("001{i:015}"), "Tier__c": "Gold"}))
        .collect();
    json!({"totalSize": 5, "done": next.is_none(), "nextRecordsUrl": next, "records": records})
}

#[tokio::test]
async fn queries_follow_next_records_url_with_the_batch_size_hint() {
    let server = MockServer::start().await;
    let soql = "SELECT Id, Tier__c FROM Account WHERE Name = 'O\\'Brien & Co'";
    Mock::given(method("GET"))
        .and(path(format!("{V}/query")))
        .and(query_param("q", soql))
        .and(header("sforce-query-options", "batchSize=200"))
        .and(header("authorization", bearer().as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            0..2,
            Some("/services/data/v66.0/query/01gxx0000000001-2"),
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{V}/query/01gxx0000000001-2")))
        .and(header("sforce-query-options", "batchSize=200"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            2..4,
            Some("/services/data/v66.0/query/01gxx0000000001-4"),
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{V}/query/01gxx0000000001-4")))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(4..5, None)))
        .expect(2)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = static_client(&server);
    let accounts: Vec<Account> = client
        .query(soql)
        .batch_size(50)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(accounts.len(), 5);
    assert_eq!(accounts[4].id, "001000000000000004");
    assert_eq!(accounts[0].extra["Tier__c"], "Gold");
    assert!(accounts[0].extra.contains_key("attributes"));
    // Spaces are %20, never +.
    let requests = server.received_requests().await.unwrap();
    let first = requests[0].url.query().unwrap();
    assert!(
        first.starts_with("q=SELECT%20Id%2C%20Tier__c%20FROM%20Account"),
        "{first}"
    );
    assert!(!first.contains('+'), "{first}");

    // A checkpoint resumes from a page's link.
    let rest: Vec<Account> = client
        .query_resume("/services/data/v66.0/query/01gxx0000000001-4")
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rest.len(), 1);
}

#[tokio::test]
async fn pages_expose_the_continuation_and_a_repeated_link_stops() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{V}/queryAll")))
        .and(query_param("q", "SELECT Id FROM Account"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(page(0..2, Some("/services/data/v66.0/query/01gLOOP-2"))),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{V}/query/01gLOOP-2")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(page(2..4, Some("/services/data/v66.0/query/01gLOOP-2"))),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = static_client(&server);
    let pages: Vec<_> = client
        .query_all("SELECT Id FROM Account")
        .pages::<Account>()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(
        pages[0].next_records_url.as_deref(),
        Some("/services/data/v66.0/query/01gLOOP-2")
    );
    assert!(
        !pages[1].done,
        "the stream stopped before the server said done"
    );
}

#[tokio::test]
async fn query_errors_name_the_failing_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{V}/query")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "totalSize": 2, "done": true,
            "records": [{"Id": "001A"}, {"Id": 7}],
        })))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = static_client(&server);
    let results: Vec<_> = client
        .query("SELECT Id FROM Account")
        .stream::<Account>()
        .collect()
        .await;
    let err = results.into_iter().find_map(Result::err).unwrap();
    match err {
        Error::Decode { path, .. } => assert_eq!(path, "records[1].Id"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn limits_versions_resources_and_raw() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/services/data/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"label": "Winter '26", "url": "/services/data/v65.0", "version": "65.0"},
            {"label": "Summer '26", "url": "/services/data/v67.0", "version": "67.0"},
            {"label": "Spring '26", "url": "/services/data/v66.0", "version": "66.0"},
        ])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/services/data/v67.0/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"sobjects": "/services/data/v67.0/sobjects", "query": "/services/data/v67.0/query"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/services/apexrest/orders/42"))
        .and(header_exists("authorization"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "Sforce-Limit-Info",
                    "api-usage=77/15000; per-app-api-usage=5/250(appName=Tributary)",
                )
                .set_body_json(json!({"ok": true})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = static_client(&server);
    let latest = client.latest_version().await.unwrap();
    assert_eq!(latest, ApiVersion::new(67));
    let client = client.with_api_version(latest);
    assert!(client.resources().await.unwrap().contains_key("query"));
    let answer: Value = client
        .raw()
        .get("/services/apexrest/orders/42")
        .await
        .unwrap();
    assert_eq!(answer["ok"], true);
    let info = client.last_limit_info().unwrap();
    assert_eq!(info.api_usage().unwrap().used, 77);
    assert_eq!(
        info.get("per-app-api-usage").unwrap().qualifier.as_deref(),
        Some("appName=Tributary")
    );
    let refused = client
        .raw()
        .get::<Value>("https://evil.example/services/apexrest")
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::InvalidRequest { .. }));
}
