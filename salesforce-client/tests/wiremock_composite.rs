//! Composite family, collections and Platform Events against wiremock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use salesforce_client::Error;
use salesforce_client::composite::{
    BatchRequest, CompositeRequest, Graph, GraphRequest, Subrequest, reference,
};
use salesforce_client::sobjects::{Attributes, SObject};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

#[tokio::test]
async fn composite_with_references() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{V}/composite")))
        .and(body_json(json!({
            "allOrNone": true,
            "compositeRequest": [
                {"method": "POST", "url": "/services/data/v66.0/sobjects/Account", "referenceId": "newAccount", "body": {"Name": "Acme"}},
                {"method": "POST", "url": "/services/data/v66.0/sobjects/Contact", "referenceId": "newContact",
                 "body": {"LastName": "Doe", "AccountId": "@{newAccount.id}"}},
                {"method": "GET", "url": "/services/data/v66.0/sobjects/Account/@{newAccount.id}?fields=Name", "referenceId": "readBack"},
            ]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"compositeResponse": [
            {"body": {"id": "001A", "success": true, "errors": []}, "httpHeaders": {"Location": "/services/data/v66.0/sobjects/Account/001A"}, "httpStatusCode": 201, "referenceId": "newAccount"},
            {"body": {"id": "003A", "success": true, "errors": []}, "httpHeaders": {}, "httpStatusCode": 201, "referenceId": "newContact"},
            {"body": {"attributes": {"type": "Account"}, "Id": "001A", "Name": "Acme"}, "httpHeaders": {}, "httpStatusCode": 200, "referenceId": "readBack"},
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let request = CompositeRequest::new()
        .all_or_none(true)
        .add(
            "newAccount",
            Subrequest::create("Account", &json!({"Name": "Acme"})),
        )
        .add(
            "newContact",
            Subrequest::create(
                "Contact",
                &json!({"LastName": "Doe", "AccountId": reference("newAccount", "id")}),
            ),
        )
        .add(
            "readBack",
            Subrequest::get("Account", &reference("newAccount", "id"), &["Name"]),
        );
    let response = static_client(&server)
        .composite()
        .send(&request)
        .await
        .unwrap();
    assert!(response.is_success());
    let account: SObject = response.get("readBack").unwrap().body_as().unwrap();
    assert_eq!(account.get("Name"), Some(&json!("Acme")));
}

#[tokio::test]
async fn batch_and_graph_bodies() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{V}/composite/batch")))
        .and(body_json(json!({
            "batchRequests": [
                {"method": "PATCH", "url": "v66.0/sobjects/Account/001A", "richInput": {"Phone": "555"}},
                {"method": "GET", "url": "v66.0/query/?q=SELECT%20Id%20FROM%20Account"},
            ],
            "haltOnError": true,
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"hasErrors": true, "results": [
            {"statusCode": 400, "result": [{"errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "message": "no"}]},
            {"statusCode": 412, "result": [{"errorCode": "BATCH_PROCESSING_HALTED", "message": "halted"}]},
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{V}/composite/graph")))
        .and(body_json(json!({"graphs": [{"graphId": "g1", "compositeRequest": [
            {"method": "PATCH", "url": "/services/data/v66.0/sobjects/Account/ExternalId__c/C-1", "referenceId": "acct", "body": {"Name": "Acme"}},
            {"method": "DELETE", "url": "/services/data/v66.0/sobjects/Contact/003A", "referenceId": "gone"},
        ]}]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"graphs": [{"graphId": "g1", "isSuccessful": true,
            "graphResponse": {"compositeResponse": [
                {"body": {"id": "001A", "success": true, "errors": [], "created": false}, "httpHeaders": {}, "httpStatusCode": 200, "referenceId": "acct"},
                {"body": null, "httpHeaders": {}, "httpStatusCode": 204, "referenceId": "gone"},
            ]}}]})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = static_client(&server);
    let batch = BatchRequest::new()
        .halt_on_error(true)
        .subrequest(Subrequest::update(
            "Account",
            "001A",
            &json!({"Phone": "555"}),
        ))
        .subrequest(Subrequest::query("SELECT Id FROM Account"));
    let answer = client.composite().batch(&batch).await.unwrap();
    assert!(answer.has_errors);
    assert_eq!(
        answer.results[1].errors()[0].error_code,
        "BATCH_PROCESSING_HALTED"
    );
    let graph = GraphRequest::new().graph(
        Graph::new("g1")
            .add(
                "acct",
                Subrequest::upsert(
                    "Account",
                    "ExternalId__c",
                    "C-1",
                    &json!({"Name": "Acme", "ExternalId__c": "C-1"}),
                ),
            )
            .add("gone", Subrequest::delete("Contact", "003A")),
    );
    let answer = client.composite().graph(&graph).await.unwrap();
    assert!(answer.graphs[0].is_successful);
}

/// Answers a collection chunk with one result per record, failing records whose
/// `PaymentID__c` is `BAD`, as Salesforce does (`statusCode`, not `errorCode`).
struct CollectionResponder;

impl Respond for CollectionResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let results: Vec<Value> = body["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                assert_eq!(r["attributes"]["type"], "Payment__c");
                let id = r["PaymentID__c"].as_str().unwrap();
                if id == "BAD" {
                    json!({"success": false, "errors": [{"statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: [Amount__c]", "fields": ["Amount__c"]}]})
                } else {
                    json!({"id": format!("a01{id}"), "success": true, "errors": [], "created": true})
                }
            })
            .collect();
        ResponseTemplate::new(200).set_body_json(results)
    }
}

#[tokio::test]
async fn collections_are_chunked_by_200_with_results_in_input_order() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(format!(
            "{V}/composite/sobjects/Payment__c/PaymentID__c"
        )))
        .respond_with(CollectionResponder)
        .expect(3)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let records: Vec<Value> = (0..450)
        .map(|i| {
            let id = if i == 321 {
                "BAD".to_owned()
            } else {
                format!("{i:04}")
            };
            json!({"PaymentID__c": id, "Amount__c": i})
        })
        .collect();
    let client = static_client(&server);
    let results = client
        .collections()
        .upsert("Payment__c", "PaymentID__c", &records)
        .await
        .unwrap();
    assert_eq!(results.len(), 450);
    assert_eq!(results[0].id.as_deref(), Some("a010000"));
    assert_eq!(results[449].id.as_deref(), Some("a010449"));
    assert!(!results[321].success);
    assert_eq!(results[321].errors[0].error_code, "REQUIRED_FIELD_MISSING");
    assert_eq!(results.iter().filter(|r| r.success).count(), 449);
    let sizes: Vec<usize> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            serde_json::from_slice::<Value>(&r.body).unwrap()["records"]
                .as_array()
                .unwrap()
                .len()
        })
        .collect();
    assert_eq!(sizes, [200, 200, 50]);
    // allOrNone cannot span chunks.
    let err = client
        .collections()
        .all_or_none(true)
        .upsert("Payment__c", "PaymentID__c", &records)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }));
}

#[tokio::test]
async fn a_chunk_failing_after_others_reports_the_results_so_far() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{V}/composite/sobjects")))
        .respond_with(CollectionResponder)
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{V}/composite/sobjects")))
        .respond_with(ResponseTemplate::new(503).set_body_string("Service Unavailable"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let records: Vec<Value> = (0..250)
        .map(|i| json!({"PaymentID__c": format!("{i}"), "Amount__c": 1}))
        .collect();
    let err = static_client(&server)
        .collections()
        .create("Payment__c", &records)
        .await
        .unwrap_err();
    match &err {
        Error::Incomplete { results, source } => {
            assert_eq!(results.len(), 200);
            assert!(
                matches!(**source, Error::OutcomeUnknown { .. }),
                "{source:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.status(), Some(503));
}

#[tokio::test]
async fn collection_update_delete_retrieve_shapes() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(format!("{V}/composite/sobjects")))
        .and(body_json(json!({"allOrNone": false, "records": [
            {"attributes": {"type": "Account"}, "Id": "001A", "Phone": "1"},
        ]})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"id": "001A", "success": true, "errors": []}])),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{V}/composite/sobjects")))
        .and(query_param("ids", "001A,001B"))
        .and(query_param("allOrNone", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": "001A", "success": true, "errors": []},
            {"id": "001B", "success": false, "errors": [{"statusCode": "ENTITY_IS_DELETED", "message": "entity is deleted", "fields": []}]},
        ])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{V}/composite/sobjects/Account")))
        .and(query_param("ids", "001A,001Z"))
        .and(query_param("fields", "Id,Name"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"attributes": {"type": "Account"}, "Id": "001A", "Name": "Acme"}, null,
        ])))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = static_client(&server);
    let updated = client
        .collections()
        .update(
            "Account",
            &[SObject::new("Account")
                .with("Phone", "1")
                .with("Id", "001A")],
        )
        .await
        .unwrap();
    assert!(updated[0].success);
    let deleted = client
        .collections()
        .all_or_none(true)
        .delete(&["001A", "001B"])
        .await
        .unwrap();
    assert_eq!(deleted[1].errors[0].error_code, "ENTITY_IS_DELETED");
    let found: Vec<Option<SObject>> = client
        .collections()
        .retrieve("Account", &["001A", "001Z"], &["Id", "Name"])
        .await
        .unwrap();
    assert!(found[0].is_some() && found[1].is_none());
}

#[tokio::test]
async fn trees_return_per_reference_results_even_on_400() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{V}/composite/tree/Account")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"hasErrors": true, "results": [
            {"referenceId": "c1", "errors": [{"statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: [LastName]", "fields": ["LastName"]}]},
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let mut account = SObject::new("Account").with("Name", "Acme");
    account.attributes = Some(Attributes {
        reference_id: Some("a1".into()),
        ..Attributes::of("Account")
    });
    let mut contact = SObject::new("Contact");
    contact.attributes = Some(Attributes {
        reference_id: Some("c1".into()),
        ..Attributes::of("Contact")
    });
    let account = account.with("Contacts", json!({"records": [contact]}));
    let answer = static_client(&server)
        .composite()
        .tree("Account", &[account])
        .await
        .unwrap();
    assert!(answer.has_errors);
    assert_eq!(answer.results[0].reference_id, "c1");
    assert_eq!(
        answer.results[0].errors[0].error_code,
        "REQUIRED_FIELD_MISSING"
    );
    let requests = server.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["records"][0]["attributes"]["referenceId"], "a1");
    assert_eq!(
        body["records"][0]["Contacts"]["records"][0]["attributes"]["referenceId"],
        "c1"
    );
}

#[tokio::test]
async fn platform_events_treat_operation_enqueued_as_information() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{V}/sobjects/Payment_Settled__e")))
        .and(body_json(json!({"PaymentID__c": "PT-1"})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": "e00xx000000000B", "success": true,
            "errors": [{"statusCode": "OPERATION_ENQUEUED", "message": "a7a3f8e2-0000-4000-8000-000000000001", "fields": []}],
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{V}/composite/sobjects")))
        .and(body_json(json!({"allOrNone": false, "records": [
            {"attributes": {"type": "Payment_Settled__e"}, "PaymentID__c": "PT-2"},
            {"attributes": {"type": "Payment_Settled__e"}, "PaymentID__c": "PT-3"},
        ]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": "e00xx000000000C", "success": true, "errors": [{"statusCode": "OPERATION_ENQUEUED", "message": "uuid-2", "fields": []}]},
            {"success": false, "errors": [{"statusCode": "PLATFORM_EVENT_PUBLISH_FAILED", "message": "failed", "fields": []}]},
        ])))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = static_client(&server);
    let one = client
        .events()
        .publish("Payment_Settled__e", &json!({"PaymentID__c": "PT-1"}))
        .await
        .unwrap();
    assert!(one.success && one.errors.is_empty());
    assert_eq!(
        one.event_uuid.as_deref(),
        Some("a7a3f8e2-0000-4000-8000-000000000001")
    );
    let many = client
        .events()
        .publish_many(
            "Payment_Settled__e",
            &[
                json!({"PaymentID__c": "PT-2"}),
                json!({"PaymentID__c": "PT-3"}),
            ],
        )
        .await
        .unwrap();
    assert_eq!(many[0].event_uuid.as_deref(), Some("uuid-2"));
    assert!(!many[1].success);
    assert_eq!(
        many[1].errors[0].error_code,
        "PLATFORM_EVENT_PUBLISH_FAILED"
    );
}
