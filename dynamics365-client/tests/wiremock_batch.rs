//! `$batch` against wiremock: the multipart and JSON request bodies, per-part results (an
//! outer 200 with a failed part), and splitting over a flavour's cap.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{builder, catch_all, client, header, requests_to};
use dynamics365_client::odata::{BatchFormat, Capabilities, ETag, Precondition};
use dynamics365_client::{Error, Flavor};
use mapping::retry::{ErrorKind, RecordingSleeper};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The boundary of a multipart content type.
fn boundary(content_type: &str) -> String {
    content_type
        .split("boundary=")
        .nth(1)
        .unwrap()
        .trim_matches('"')
        .to_owned()
}

/// A multipart answer: the first part 200, a changeset whose first part is 201 and second 400?
/// No: a changeset answered 201/201, then a single part that failed.
fn multipart_answer() -> String {
    [
        "--batchresponse_a",
        "Content-Type: application/http",
        "Content-Transfer-Encoding: binary",
        "",
        "HTTP/1.1 200 OK",
        "Content-Type: application/json; odata.metadata=minimal",
        "",
        r#"{"@odata.etag":"W/\"JzEn\"","dataAreaId":"usmf","CustomerAccount":"US-001"}"#,
        "--batchresponse_a",
        "Content-Type: multipart/mixed; boundary=changesetresponse_b",
        "",
        "--changesetresponse_b",
        "Content-Type: application/http",
        "Content-Transfer-Encoding: binary",
        "Content-ID: 2",
        "",
        "HTTP/1.1 201 Created",
        "Content-Type: application/json; odata.metadata=minimal",
        "Location: https://x/data/SalesOrderHeadersV2(dataAreaId='usmf',SalesOrderNumber='000777')",
        "",
        r#"{"dataAreaId":"usmf","SalesOrderNumber":"000777"}"#,
        "--changesetresponse_b",
        "Content-Type: application/http",
        "Content-Transfer-Encoding: binary",
        "Content-ID: 3",
        "",
        "HTTP/1.1 201 Created",
        "Content-Type: application/json; odata.metadata=minimal",
        "",
        r#"{"dataAreaId":"usmf","SalesOrderNumber":"000777","InventoryLotId":"L-1"}"#,
        "--changesetresponse_b--",
        "--batchresponse_a",
        "Content-Type: application/http",
        "Content-Transfer-Encoding: binary",
        "",
        "HTTP/1.1 500 Internal Server Error",
        "Content-Type: application/json; odata.metadata=minimal",
        "",
        r#"{"error":{"code":"","message":"An error has occurred.","innererror":{"message":"Write failed for table row of type 'CustCustomerV3Entity'. Infolog: Error: The value 99 in field Customer group is not found.","type":"Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException","stacktrace":""}}}"#,
        "--batchresponse_a--",
        "",
    ]
    .join("\r\n")
}

#[tokio::test]
async fn multipart_batch_request_shape_and_per_part_results() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/data/$batch"))
        .and(|r: &Request| {
            header(r, "content-type")
                .is_some_and(|c| c.starts_with("multipart/mixed; boundary=batch_"))
                && header(r, "accept") == Some("multipart/mixed")
        })
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            multipart_answer(),
            "multipart/mixed; boundary=batchresponse_a",
        ))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = client(&server, Flavor::FinanceOperations);
    let fno = client.fno();
    let customers = fno.customers();
    let orders = fno.sales_orders();
    let mut batch = fno.batch();
    let read =
        batch.get(&customers.entity(dynamics365_client::fno::CustomerV3::key("usmf", "US-001")));
    let mut changeset = batch.changeset();
    let header_part = changeset.create(
        &orders,
        &json!({"dataAreaId": "usmf", "OrderingCustomerAccountNumber": "US-001"}),
    );
    let line_part = changeset.create_under(
        &header_part,
        "SalesOrderLines",
        &json!({"ItemNumber": "A0001"}),
    );
    let bad = batch.create(
        &customers,
        &json!({"CustomerAccount": "US-X", "CustomerGroupId": "99"}),
    );
    assert_eq!(batch.len(), 4);
    let answer = batch.send().await.unwrap();

    // Per-part results, in order, whatever the outer 200 says.
    assert_eq!(answer.parts().len(), 4);
    let customer: dynamics365_client::fno::CustomerV3 = answer.part(&read).unwrap().json().unwrap();
    assert_eq!(customer.customer_account.as_deref(), Some("US-001"));
    assert_eq!(
        answer.part(&read).unwrap().etag(),
        Some(ETag::new("W/\"JzEn\""))
    );
    let header_answer = answer.part(&header_part).unwrap();
    assert_eq!(header_answer.status(), Some(201));
    assert!(header_answer.entity_id().unwrap().contains("000777"));
    assert_eq!(
        answer.part(&line_part).unwrap().json::<Value>().unwrap()["InventoryLotId"],
        "L-1"
    );
    let failed = answer.part(&bad).unwrap();
    assert!(!failed.is_success());
    let err = failed.error().unwrap();
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(
        err.message()
            .unwrap()
            .contains("Customer group is not found")
    );
    let first = answer.check().unwrap_err();
    assert_eq!(first.status(), Some(500), "check() reports the failed part");
    assert_eq!(answer.failures().count(), 1);

    // The request body: a GET, a changeset with Content-IDs and a `$2` reference, a POST.
    let request = &requests_to(&server, "/$batch").await[0];
    let outer = boundary(header(request, "content-type").unwrap());
    let body = String::from_utf8(request.body.clone()).unwrap();
    let changeset_boundary = boundary(
        body.lines()
            .find(|l| l.contains("boundary=changeset_"))
            .unwrap(),
    );
    let normalised = body
        .replace(&outer, "BATCH")
        .replace(&changeset_boundary, "CHANGESET");
    let expected = [
        "--BATCH",
        "Content-Type: application/http",
        "Content-Transfer-Encoding: binary",
        "",
        "GET CustomersV3(dataAreaId='usmf',CustomerAccount='US-001') HTTP/1.1",
        "Accept: application/json",
        "",
        "",
        "--BATCH",
        "Content-Type: multipart/mixed; boundary=CHANGESET",
        "",
        "--CHANGESET",
        "Content-Type: application/http",
        "Content-Transfer-Encoding: binary",
        "Content-ID: 2",
        "",
        "POST SalesOrderHeadersV2 HTTP/1.1",
        "Accept: application/json",
        "Prefer: return=representation",
        "Content-Type: application/json",
        "",
        r#"{"OrderingCustomerAccountNumber":"US-001","dataAreaId":"usmf"}"#,
        "--CHANGESET",
        "Content-Type: application/http",
        "Content-Transfer-Encoding: binary",
        "Content-ID: 3",
        "",
        "POST $2/SalesOrderLines HTTP/1.1",
        "Accept: application/json",
        "Prefer: return=representation",
        "Content-Type: application/json",
        "",
        r#"{"ItemNumber":"A0001"}"#,
        "--CHANGESET--",
        "--BATCH",
        "Content-Type: application/http",
        "Content-Transfer-Encoding: binary",
        "",
        "POST CustomersV3 HTTP/1.1",
        "Accept: application/json",
        "Prefer: return=representation",
        "Content-Type: application/json",
        "",
        r#"{"CustomerAccount":"US-X","CustomerGroupId":"99"}"#,
        "--BATCH--",
        "",
    ]
    .join("\r\n");
    assert_eq!(normalised, expected);
}

#[tokio::test]
async fn a_failed_changeset_fails_every_part_of_it() {
    let server = MockServer::start().await;
    let answer = [
        "--batchresponse_x",
        "Content-Type: application/http",
        "",
        "HTTP/1.1 400 Bad Request",
        "Content-Type: application/json",
        "",
        r#"{"error":{"code":"","message":"Changeset failed"}}"#,
        "--batchresponse_x--",
        "",
    ]
    .join("\r\n");
    Mock::given(method("POST"))
        .and(path("/odata/$batch"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(answer, "multipart/mixed; boundary=batchresponse_x"),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = builder(&server, Flavor::Generic, &RecordingSleeper::new())
        .base_url(format!("{}/odata", server.uri()))
        .build()
        .unwrap();
    let books = client.odata().entity_set::<Value>("Books");
    let mut batch = client.odata().batch();
    let mut changeset = batch.changeset();
    let a = changeset.create(&books, &json!({"ID": 1}));
    let b = changeset.update(
        &books.entity(2),
        &json!({"title": "x"}),
        Precondition::IfMatchAny,
    );
    let c = batch.get(&books.entity(3));
    let answer = batch.send().await.unwrap();
    for part in [&a, &b] {
        let err = answer.part(part).unwrap().error().unwrap();
        assert_eq!(err.status(), Some(400));
        assert_eq!(err.message(), Some("Changeset failed"));
    }
    // The service stopped: the last part got no answer.
    let not_run = answer.part(&c).unwrap();
    assert_eq!(not_run.status(), None);
    assert!(matches!(not_run.error(), Some(Error::NotExecuted { .. })));
}

#[tokio::test]
async fn json_batch_request_shape_and_per_part_results() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2.0/$batch"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"responses": [
            {"id": "1", "status": 201, "headers": {"content-type": "application/json", "etag": "W/\"JzIwOzEy\""},
             "body": {"id": "00000000-0000-0000-0000-0000000000aa", "number": "S-1"}},
            {"id": "2", "status": 201, "body": {"id": "00000000-0000-0000-0000-0000000000bb", "sequence": 10000}},
            {"id": "3", "status": 400, "headers": {"content-type": "application/json"},
             "body": {"error": {"code": "BadRequest_NotFound", "message": "The customer does not exist.  CorrelationId:  11111111-2222-3333-4444-555555555555."}}}
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client(&server, Flavor::BusinessCentral);
    let company = client
        .bc()
        .company("00000000-0000-0000-0000-000000000001".parse().unwrap());
    let orders = company.sales_orders();
    let customers = company.customers();
    let mut batch = company.batch().isolation_snapshot().continue_on_error();
    let mut changeset = batch.changeset();
    let order = changeset.create(&orders, &json!({"customerNumber": "10000"}));
    let line = changeset.create_under(
        &order,
        "salesOrderLines",
        &json!({"lineType": "Item", "lineObjectNumber": "1896-S", "quantity": 2}),
    );
    let patch = batch.update(
        &customers.entity(
            "00000000-0000-0000-0000-000000000002"
                .parse::<dynamics365_client::odata::Guid>()
                .unwrap(),
        ),
        &json!({"displayName": "x"}),
        Precondition::IfMatch(ETag::new("W/\"JzE2OzE\"")),
    );
    let answer = batch.send().await.unwrap();
    assert_eq!(
        answer.part(&order).unwrap().json::<Value>().unwrap()["number"],
        "S-1"
    );
    assert_eq!(
        answer.part(&order).unwrap().etag(),
        Some(ETag::new("W/\"JzIwOzEy\""))
    );
    assert!(answer.part(&line).unwrap().is_success());
    let err = answer.part(&patch).unwrap().error().unwrap();
    assert_eq!(err.code(), Some("BadRequest_NotFound"));
    assert_eq!(
        err.request_id(),
        Some("11111111-2222-3333-4444-555555555555")
    );
    assert_eq!(err.kind(), ErrorKind::NotFound);

    let request = &requests_to(&server, "/$batch").await[0];
    assert_eq!(header(request, "content-type"), Some("application/json"));
    assert_eq!(header(request, "isolation"), Some("snapshot"));
    assert_eq!(header(request, "prefer"), Some("odata.continue-on-error"));
    let company_path = "companies(00000000-0000-0000-0000-000000000001)";
    assert_eq!(
        request.body_json::<Value>().unwrap(),
        json!({"requests": [
            {"id": "1", "method": "POST", "url": format!("{company_path}/salesOrders"),
             "headers": {"accept": "application/json", "content-type": "application/json", "prefer": "return=representation"},
             "body": {"customerNumber": "10000"}, "atomicityGroup": "g1"},
            {"id": "2", "method": "POST", "url": "$1/salesOrderLines",
             "headers": {"accept": "application/json", "content-type": "application/json", "prefer": "return=representation"},
             "body": {"lineType": "Item", "lineObjectNumber": "1896-S", "quantity": 2}, "atomicityGroup": "g1", "dependsOn": ["1"]},
            {"id": "3", "method": "PATCH", "url": format!("{company_path}/customers(00000000-0000-0000-0000-000000000002)"),
             "headers": {"accept": "application/json", "content-type": "application/json", "if-match": "W/\"JzE2OzE\""},
             "body": {"displayName": "x"}}
        ]})
    );
}

#[tokio::test]
async fn a_bc_batch_refuses_a_write_without_if_match() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client(&server, Flavor::BusinessCentral);
    let company = client
        .bc()
        .company("00000000-0000-0000-0000-000000000001".parse().unwrap());
    let mut batch = company.batch();
    batch.delete(
        &company.customers().entity(
            "00000000-0000-0000-0000-000000000002"
                .parse::<dynamics365_client::odata::Guid>()
                .unwrap(),
        ),
        Precondition::None,
    );
    let err = batch.send().await.unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
}

#[tokio::test]
async fn batches_over_the_cap_are_split_between_independent_units_only() {
    let server = MockServer::start().await;
    // Echo a 204 for every request id of a JSON batch.
    Mock::given(method("POST"))
        .and(path("/odata/$batch"))
        .respond_with(|r: &Request| {
            let body: Value = r.body_json().unwrap();
            let responses: Vec<Value> = body["requests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|q| json!({"id": q["id"], "status": 204}))
                .collect();
            ResponseTemplate::new(200).set_body_json(json!({"responses": responses}))
        })
        .expect(3)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = builder(&server, Flavor::Generic, &RecordingSleeper::new())
        .base_url(format!("{}/odata", server.uri()))
        .capabilities(Capabilities::standard().with_batch(BatchFormat::Json, 3))
        .build()
        .unwrap();
    let books = client.odata().entity_set::<Value>("Books");
    let mut batch = client.odata().batch();
    let single_1 = batch.get(&books.entity(1));
    {
        let mut changeset = batch.changeset();
        changeset.create(&books, &json!({"ID": 2}));
        changeset.create(&books, &json!({"ID": 3}));
        changeset.create(&books, &json!({"ID": 4}));
    }
    let single_2 = batch.get(&books.entity(5));
    let single_3 = batch.get(&books.entity(6));
    let answer = batch.send().await.unwrap();
    assert_eq!(answer.parts().len(), 6);
    assert!(answer.check().is_ok());
    assert!(answer.part(&single_1).unwrap().is_success());
    assert!(answer.part(&single_3).unwrap().is_success());
    let _ = single_2;
    let sizes: Vec<usize> = requests_to(&server, "/$batch")
        .await
        .iter()
        .map(|r| {
            r.body_json::<Value>().unwrap()["requests"]
                .as_array()
                .unwrap()
                .len()
        })
        .collect();
    // [get] [changeset of 3] [get, get]: the changeset is never split.
    assert_eq!(sizes, [1, 3, 2]);

    // A changeset bigger than the cap cannot be sent at all.
    let mut batch = client.odata().batch();
    let mut changeset = batch.changeset();
    for id in 0..4 {
        changeset.create(&books, &json!({"ID": id}));
    }
    let err = batch.send().await.unwrap_err();
    assert!(
        matches!(err, Error::InvalidRequest { what: "$batch", .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_throttled_batch_is_retried_whole() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/odata/$batch"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "2"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/odata/$batch"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"responses": [{"id": "1", "status": 201, "body": {"ID": 1}}]}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let sleeper = RecordingSleeper::new();
    let client = builder(&server, Flavor::Generic, &sleeper)
        .base_url(format!("{}/odata", server.uri()))
        .build()
        .unwrap();
    let books = client.odata().entity_set::<Value>("Books");
    let mut batch = client.odata().batch().format(BatchFormat::Json);
    let created = batch.create(&books, &json!({"ID": 1}));
    let answer = batch.send().await.unwrap();
    assert!(answer.part(&created).unwrap().is_success());
    assert_eq!(sleeper.delays(), [std::time::Duration::from_secs(2)]);
}

#[tokio::test]
async fn a_split_batch_interrupted_later_keeps_the_answers_it_got() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/odata/$batch"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"responses": [{"id": "1", "status": 201, "body": {"ID": 1}}]}),
            ),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/odata/$batch"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"error": {"code": "400", "message": "Malformed"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = builder(&server, Flavor::Generic, &RecordingSleeper::new())
        .base_url(format!("{}/odata", server.uri()))
        .capabilities(Capabilities::standard().with_batch(BatchFormat::Json, 1))
        .build()
        .unwrap();
    let books = client.odata().entity_set::<Value>("Books");
    let mut batch = client.odata().batch();
    let first = batch.create(&books, &json!({"ID": 1}));
    let second = batch.create(&books, &json!({"ID": 2}));
    let third = batch.create(&books, &json!({"ID": 3}));
    let answer = batch.send().await.unwrap();
    assert!(answer.part(&first).unwrap().is_success());
    assert_eq!(answer.interrupted().unwrap().status(), Some(400));
    for part in [&second, &third] {
        assert_eq!(answer.part(part).unwrap().status(), None);
    }
}
