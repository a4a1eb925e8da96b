//! The OData core against wiremock: exact URLs and headers, paging, writes and ETags,
//! actions, auth, retries, throttling, the concurrency limit and error bodies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{builder, catch_all, client, header, path_and_query, requests_to, secret};
use dynamics365_client::odata::filter::prop;
use dynamics365_client::odata::{Continuation, ETag, Precondition, QueryOptions};
use dynamics365_client::{Client, Error, Flavor};
use futures::{StreamExt, TryStreamExt};
use mapping::retry::{ErrorKind, RecordingSleeper};
use serde_json::{Value, json};
use wiremock::matchers::{
    bearer_token, body_json, body_string_contains, header as has_header, method, path, query_param,
};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn value(items: Value) -> Value {
    json!({"@odata.context": "$metadata#Set", "value": items})
}

// ---------------------------------------------------------------------------------------
// URLs, literals, headers
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn fno_query_url_is_exact_and_encodes_with_percent_20() {
    let server = MockServer::start().await;
    let expected = "/data/CustomersV3?\
        $filter=dataAreaId%20eq%20%27usmf%27%20and%20CustomerGroupId%20eq%20%2710%27%20and%20OrganizationName%20eq%20%27*O%27%27Neil%20%26%20Co*%27\
        &$select=CustomerAccount,OrganizationName\
        &$orderby=CustomerAccount%20desc&$top=50&$skip=100&$count=true\
        &cross-company=true";
    Mock::given(method("GET"))
        .and(move |r: &Request| path_and_query(r) == expected)
        .and(bearer_token("test-token"))
        .and(has_header("odata-version", "4.0"))
        .and(has_header("odata-maxversion", "4.0"))
        .and(has_header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.count": 1,
            "value": [{"@odata.etag": "W/\"JzEsNjg3MTk0ODI4MzMn\"", "dataAreaId": "usmf", "CustomerAccount": "US-001", "OrganizationName": "O'Neil & Co"}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = builder(&server, Flavor::FinanceOperations, &RecordingSleeper::new())
        .company("usmf")
        .build()
        .unwrap();
    let page = client
        .fno()
        .customers()
        .query()
        .filter(
            prop("CustomerGroupId")
                .eq("10")
                .and(prop("OrganizationName").contains("O'Neil & Co")),
        )
        .select(["CustomerAccount", "OrganizationName"])
        .order_by_desc("CustomerAccount")
        .top(50)
        .skip(100)
        .with_count()
        .first_page()
        .await
        .unwrap();
    assert_eq!(page.count, Some(1));
    assert_eq!(page.items[0].customer_account.as_deref(), Some("US-001"));
    assert_eq!(
        page.items[0].etag.as_ref().unwrap().as_str(),
        "W/\"JzEsNjg3MTk0ODI4MzMn\""
    );
    assert!(page.next.is_none());
}

#[tokio::test]
async fn keys_and_expand_options_are_encoded_exactly() {
    let server = MockServer::start().await;
    let expected = "/odata/Orders(dataAreaId='usmf',Number='A%20B/C%3F%23''1')?\
        $select=Number&$expand=Lines($filter=Qty%20gt%201;$select=Item,Qty;$orderby=Item;$top=5),Customer";
    Mock::given(method("GET"))
        .and(move |r: &Request| {
            // The key's `/` is encoded in the path segment.
            path_and_query(r) == expected.replace("B/C", "B%2FC")
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"Number": "x"})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = client(&server, Flavor::Generic);
    let orders = client.odata().entity_set::<Value>("odata/Orders");
    let key = dynamics365_client::odata::Key::new()
        .part("dataAreaId", "usmf")
        .part("Number", "A B/C?#'1");
    let order = orders
        .get(key)
        .select(["Number"])
        .expand_with(
            "Lines",
            QueryOptions::new()
                .filter(prop("Qty").gt(1))
                .select(["Item", "Qty"])
                .order_by("Item")
                .top(5),
        )
        .expand("Customer")
        .await
        .unwrap();
    assert_eq!(order["Number"], "x");
}

#[tokio::test]
async fn fno_refuses_a_second_expand_level_before_sending() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client(&server, Flavor::FinanceOperations);
    let err = client
        .fno()
        .sales_orders()
        .query()
        .expand_with("SalesOrderLines", QueryOptions::new().expand("Item"))
        .first_page()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidRequest {
                what: "$expand",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn count_uses_the_count_segment() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(|r: &Request| {
            path_and_query(r) == "/data/CustomersV3/$count?$filter=CustomerGroupId%20eq%20%2710%27"
        })
        .respond_with(ResponseTemplate::new(200).set_body_string("\u{feff}42"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client(&server, Flavor::FinanceOperations);
    let n = client
        .fno()
        .customers()
        .query()
        .filter(prop("CustomerGroupId").eq("10"))
        .count()
        .await
        .unwrap();
    assert_eq!(n, 42);
}

// ---------------------------------------------------------------------------------------
// Paging
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn paging_follows_absolute_and_relative_links_with_the_same_prefer() {
    let server = MockServer::start().await;
    let absolute = format!("{}/api/v2.0/customers?$skiptoken=abc", server.uri());
    Mock::given(method("GET"))
        .and(|r: &Request| path_and_query(r) == "/api/v2.0/customers")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": format!("{}/api/v2.0/$metadata#customers", "http://ignored.invalid"),
            "value": [{"n": 1}, {"n": 2}],
            "@odata.nextLink": absolute,
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2.0/customers"))
        .and(query_param("$skiptoken", "abc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "$metadata#customers",
            "value": [{"n": 3}, {"n": 4}],
            "@odata.nextLink": "customers?$skiptoken=def",
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2.0/customers"))
        .and(query_param("$skiptoken", "def"))
        .respond_with(ResponseTemplate::new(200).set_body_json(value(json!([{"n": 5}]))))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = client(&server, Flavor::Generic);
    let items: Vec<Value> = client
        .odata()
        .entity_set::<Value>("api/v2.0/customers")
        .query()
        .max_page_size(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let numbers: Vec<i64> = items.iter().map(|v| v["n"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5]);
    let requests = requests_to(&server, "/customers").await;
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert_eq!(header(request, "prefer"), Some("odata.maxpagesize=2"));
        assert_eq!(header(request, "authorization"), Some("Bearer test-token"));
    }
}

#[tokio::test]
async fn a_repeated_next_link_stops_paging() {
    let server = MockServer::start().await;
    let link = format!("{}/odata/Books?$skiptoken=1", server.uri());
    Mock::given(method("GET"))
        .and(path("/odata/Books"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"value": [{"n": 1}], "@odata.nextLink": link})),
        )
        .expect(2)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client(&server, Flavor::Generic);
    let pages: Vec<_> = client
        .odata()
        .entity_set::<Value>("odata/Books")
        .query()
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    assert!(
        pages[1].next.is_none(),
        "a repeated link is not offered as a continuation"
    );
}

#[tokio::test]
async fn a_next_link_to_another_origin_is_refused_and_gets_no_token() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    catch_all(&elsewhere).await;
    Mock::given(method("GET"))
        .and(path("/odata/Books"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"n": 1}],
            "@odata.nextLink": format!("{}/odata/Books?$skiptoken=2", elsewhere.uri()),
        })))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client(&server, Flavor::Generic);
    let results: Vec<_> = client
        .odata()
        .entity_set::<Value>("odata/Books")
        .query()
        .stream()
        .collect()
        .await;
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].as_ref().unwrap()["n"], 1);
    assert!(
        matches!(results[1], Err(Error::ForeignLink { .. })),
        "{:?}",
        results[1]
    );
}

#[tokio::test]
async fn paging_resumes_from_a_saved_continuation() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/odata/Books"))
        .and(query_param("$skiptoken", "7"))
        .and(has_header("prefer", "odata.maxpagesize=3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(value(json!([{"n": 8}]))))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client(&server, Flavor::Generic);
    // A checkpoint stored as JSON and read back.
    let saved = serde_json::to_string(&Continuation {
        next_link: format!("{}/odata/Books?$skiptoken=7", server.uri()),
        max_page_size: Some(3),
    })
    .unwrap();
    let continuation: Continuation = serde_json::from_str(&saved).unwrap();
    let pages: Vec<_> = client
        .odata()
        .entity_set::<Value>("odata/Books")
        .resume(continuation)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages[0].items[0]["n"], 8);

    let foreign = Continuation {
        next_link: "https://evil.example/odata/Books".into(),
        max_page_size: None,
    };
    let err = client
        .odata()
        .entity_set::<Value>("odata/Books")
        .resume(foreign)
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ForeignLink { .. }));
}

// ---------------------------------------------------------------------------------------
// Writes and ETags
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn create_with_201_returns_the_entity_and_its_etag() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(|r: &Request| path_and_query(r) == "/data/CustomersV3?cross-company=true")
        .and(has_header("prefer", "return=representation"))
        .and(has_header("content-type", "application/json"))
        .and(body_json(
            json!({"dataAreaId": "usmf", "CustomerAccount": "US-900", "CustomerGroupId": "10"}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "@odata.etag": "W/\"JzEsNjg3MTk0ODI4MzMn\"",
            "dataAreaId": "usmf", "CustomerAccount": "US-900", "CustomerGroupId": "10"
        })))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = builder(&server, Flavor::FinanceOperations, &RecordingSleeper::new())
        .company("usmf")
        .build()
        .unwrap();
    let written = client
        .fno()
        .customers()
        .create(
            &json!({"dataAreaId": "usmf", "CustomerAccount": "US-900", "CustomerGroupId": "10"}),
        )
        .await
        .unwrap();
    assert!(written.created());
    assert_eq!(
        written.entity.unwrap().customer_account.as_deref(),
        Some("US-900")
    );
    assert_eq!(written.etag, Some(ETag::new("W/\"JzEsNjg3MTk0ODI4MzMn\"")));
}

#[tokio::test]
async fn create_with_204_returns_the_entity_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/data/v9.2/accounts"))
        .respond_with(
            ResponseTemplate::new(204)
                .insert_header("OData-EntityId", "https://org.crm.dynamics.com/api/data/v9.2/accounts(00000000-0000-0000-0000-000000000001)"),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client(&server, Flavor::Generic);
    let written = client
        .odata()
        .entity_set::<Value>("api/data/v9.2/accounts")
        .create(&json!({"name": "Contoso"}))
        .await
        .unwrap();
    assert_eq!(written.status, 204);
    assert!(written.entity.is_none());
    assert!(
        written
            .entity_id
            .unwrap()
            .ends_with("accounts(00000000-0000-0000-0000-000000000001)")
    );
}

#[tokio::test]
async fn update_delete_replace_and_upsert_send_the_right_preconditions() {
    let server = MockServer::start().await;
    let entity = "/odata/Books(201)";
    Mock::given(method("PATCH"))
        .and(path(entity))
        .and(has_header("if-match", "W/\"1\""))
        .and(body_json(json!({"title": "New"})))
        .respond_with(ResponseTemplate::new(204).insert_header("ETag", "W/\"2\""))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(entity))
        .and(has_header("if-match", "*"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"@odata.etag": "W/\"3\"", "ID": 201})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/odata/Books(202)"))
        .and(|r: &Request| !r.headers.contains_key("if-match"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"ID": 202})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(entity))
        .and(has_header("if-match", "W/\"3\""))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client(&server, Flavor::Generic);
    let books = client.odata().entity_set::<Value>("odata/Books");
    let updated = books
        .update(201, &json!({"title": "New"}))
        .if_match(&ETag::new("W/\"1\""))
        .await
        .unwrap();
    assert_eq!(updated.etag, Some(ETag::new("W/\"2\"")));
    let replaced = books
        .replace(201, &json!({"ID": 201}))
        .if_match_any()
        .await
        .unwrap();
    assert_eq!(replaced.etag, Some(ETag::new("W/\"3\"")));
    let upserted = books.upsert(202, &json!({"title": "Other"})).await.unwrap();
    assert!(upserted.created());
    books
        .delete(201)
        .precondition(Precondition::IfMatch(replaced.etag.unwrap()))
        .await
        .unwrap();
}

#[tokio::test]
async fn stale_etags_and_conflicts_are_typed() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path("/odata/Books(1)"))
        .respond_with(
            ResponseTemplate::new(412).set_body_json(
                json!({"error": {"code": "", "message": "The ETag does not match."}}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/odata/Books"))
        .respond_with(ResponseTemplate::new(409).set_body_json(
            json!({"error": {"code": "ENTITY_ALREADY_EXISTS", "message": "Entity already exists"}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client(&server, Flavor::Generic);
    let books = client.odata().entity_set::<Value>("odata/Books");
    let stale = books
        .update(1, &json!({"title": "x"}))
        .if_match(&ETag::new("W/\"old\""))
        .await
        .unwrap_err();
    assert!(matches!(stale, Error::PreconditionFailed(_)), "{stale:?}");
    assert_eq!(stale.kind(), ErrorKind::Conflict);
    assert_eq!(stale.attempts(), 1, "a conflict is not retried");
    let duplicate = books.create(&json!({"ID": 1})).await.unwrap_err();
    assert!(matches!(duplicate, Error::Conflict(_)), "{duplicate:?}");
    assert_eq!(duplicate.code(), Some("ENTITY_ALREADY_EXISTS"));
}

#[tokio::test]
async fn what_the_service_cannot_do_is_refused_before_sending() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let bc = client(&server, Flavor::BusinessCentral);
    let set = bc.odata().entity_set::<Value>("companies(1)/customers");
    let err = set.update(1, &json!({"a": 1})).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidRequest {
                what: "precondition",
                ..
            }
        ),
        "{err:?}"
    );
    let err = set.delete(1).await.unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    let fno = client(&server, Flavor::FinanceOperations);
    let err = fno
        .fno()
        .customers()
        .upsert("x", &json!({}))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unsupported {
                operation: "upsert",
                ..
            }
        ),
        "{err:?}"
    );
    let err = fno
        .fno()
        .customers()
        .query()
        .filter(prop("Name").to_lower().eq("x"))
        .first()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
}

#[tokio::test]
async fn bound_and_unbound_actions() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(|r: &Request| {
            path_and_query(r)
                == "/data/SalesOrderHeadersV2(dataAreaId='usmf',SalesOrderNumber='000123')/Microsoft.Dynamics.DataEntities.ConfirmSalesOrder?cross-company=true"
        })
        .and(body_json(json!({})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/data/RecalculateTotals"))
        .and(body_json(json!({"company": "usmf", "lines": 3})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": 12.5})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = builder(&server, Flavor::FinanceOperations, &RecordingSleeper::new())
        .company("usmf")
        .build()
        .unwrap();
    let orders = client.fno().sales_orders();
    let result = orders
        .entity(dynamics365_client::fno::SalesOrderHeaderV2::key(
            "usmf", "000123",
        ))
        .action("Microsoft.Dynamics.DataEntities.ConfirmSalesOrder")
        .await
        .unwrap();
    assert_eq!(result.status(), 204);
    let result = client
        .odata()
        .action("RecalculateTotals")
        .param("company", "usmf")
        .param("lines", 3)
        .await
        .unwrap();
    assert_eq!(result.json::<Value>().unwrap()["value"], 12.5);
}

// ---------------------------------------------------------------------------------------
// Auth
// ---------------------------------------------------------------------------------------

fn token_answer(token: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token
    }))
}

#[tokio::test]
async fn v2_token_request_uses_the_environment_root_scope() {
    let server = MockServer::start().await;
    let scope = format!("{}/.default", server.uri());
    Mock::given(method("POST"))
        .and(path("/tenant-1/oauth2/v2.0/token"))
        .and(has_header(
            "content-type",
            "application/x-www-form-urlencoded",
        ))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("client_id=client-1"))
        .and(body_string_contains("client_secret=s3cr3t-value"))
        .and(body_string_contains(format!("scope={}", urlencode(&scope))))
        .respond_with(token_answer("eyJ.v2"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/data/CustomersV3"))
        .and(bearer_token("eyJ.v2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(value(json!([]))))
        .expect(2)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = Client::builder()
        .flavor(Flavor::FinanceOperations)
        .base_url(server.uri())
        .credentials(secret(&server))
        .build()
        .unwrap();
    for _ in 0..2 {
        client.fno().customers().query().first_page().await.unwrap();
    }
}

#[tokio::test]
async fn v1_token_request_uses_the_resource_without_a_trailing_slash() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/tenant-1/oauth2/token"))
        .and(body_string_contains(format!(
            "resource={}",
            urlencode(&server.uri())
        )))
        .and(|r: &Request| !String::from_utf8_lossy(&r.body).contains("scope="))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "token_type": "Bearer", "expires_in": "3599", "access_token": "eyJ.v1"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(bearer_token("eyJ.v1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(value(json!([]))))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = Client::builder()
        .flavor(Flavor::FinanceOperations)
        .base_url(server.uri())
        .credentials(secret(&server).v1(None))
        .build()
        .unwrap();
    client.fno().customers().query().first_page().await.unwrap();
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn twenty_concurrent_calls_without_a_token_fetch_it_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/tenant-1/oauth2/v2.0/token"))
        .respond_with(token_answer("eyJ.shared").set_delay(Duration::from_millis(200)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(bearer_token("eyJ.shared"))
        .respond_with(ResponseTemplate::new(200).set_body_json(value(json!([]))))
        .expect(20)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = Client::builder()
        .flavor(Flavor::Generic)
        .base_url(format!("{}/odata", server.uri()))
        .credentials(secret(&server))
        .max_concurrency(20)
        .build()
        .unwrap();
    let calls = (0..20).map(|_| {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .odata()
                .entity_set::<Value>("Books")
                .query()
                .first_page()
                .await
        })
    });
    for result in futures::future::join_all(calls).await {
        result.unwrap().unwrap();
    }
}

#[tokio::test]
async fn a_401_invalidates_the_token_and_replays_once() {
    let server = MockServer::start().await;
    let fetches = Arc::new(AtomicUsize::new(0));
    let counter = fetches.clone();
    Mock::given(method("POST"))
        .and(path("/tenant-1/oauth2/v2.0/token"))
        .respond_with(move |_: &Request| {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            token_answer(&format!("token-{n}"))
        })
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/odata/Books"))
        .and(bearer_token("token-1"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": {"code": "", "message": "token expired"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/odata/Books"))
        .and(bearer_token("token-2"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"ID": 1})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let sleeper = RecordingSleeper::new();
    let client = builder(&server, Flavor::Generic, &sleeper)
        .base_url(format!("{}/odata", server.uri()))
        .credentials(secret(&server))
        .build()
        .unwrap();
    // Even a create is replayed after a 401: the service refused it unread.
    let written = client
        .odata()
        .entity_set::<Value>("Books")
        .create(&json!({"ID": 1}))
        .await
        .unwrap();
    assert!(written.created());
    assert!(sleeper.delays().is_empty(), "a token replay does not wait");
}

#[tokio::test]
async fn entra_refusals_are_unauthorized_and_nothing_is_sent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/tenant-1/oauth2/v2.0/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided.",
            "error_codes": [7000215],
            "trace_id": "t-1",
            "correlation_id": "c-1"
        })))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = Client::builder()
        .base_url(format!("{}/odata", server.uri()))
        .credentials(secret(&server))
        .build()
        .unwrap();
    let err = client
        .odata()
        .entity_set::<Value>("Books")
        .create(&json!({}))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Token { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.code(), Some("invalid_client"));
    assert_eq!(err.request_id(), Some("c-1"));
    assert!(err.message().unwrap().starts_with("AADSTS7000215"));
    let text = format!("{err} {err:?} {client:?}");
    assert!(!text.contains("s3cr3t-value"), "{text}");
}

// ---------------------------------------------------------------------------------------
// Retries and throttling
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_get_is_retried_after_503s() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/odata/Books"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/odata/Books"))
        .respond_with(ResponseTemplate::new(200).set_body_json(value(json!([{"n": 1}]))))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let sleeper = RecordingSleeper::new();
    let client = builder(&server, Flavor::Generic, &sleeper).build().unwrap();
    let page = client
        .odata()
        .entity_set::<Value>("odata/Books")
        .query()
        .first_page()
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(sleeper.delays().len(), 2);
}

#[tokio::test]
async fn a_create_that_got_a_503_is_not_resent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/odata/Books"))
        .respond_with(ResponseTemplate::new(503).set_body_string("Service Unavailable"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client(&server, Flavor::Generic);
    let err = client
        .odata()
        .entity_set::<Value>("odata/Books")
        .create(&json!({"ID": 1}))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutcomeUnknown {
                operation: "dynamics365.odata.create",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown);
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.attempts(), 1);
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/odata/Books"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "7")
                .set_body_json(json!({"error": {"code": "", "message": "Number of requests exceeded the limit of 6000 over the time window of 300 seconds."}})),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/odata/Books"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"ID": 1})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let sleeper = RecordingSleeper::new();
    let client = builder(&server, Flavor::Generic, &sleeper).build().unwrap();
    // A 429 proves the create was not processed, so even a create is retried.
    client
        .odata()
        .entity_set::<Value>("odata/Books")
        .create(&json!({"ID": 1}))
        .await
        .unwrap();
    assert_eq!(sleeper.delays(), [Duration::from_secs(7)]);
}

#[tokio::test]
async fn a_429_without_retry_after_backs_off_and_a_long_one_is_returned() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/odata/Books"))
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/odata/Books"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let sleeper = RecordingSleeper::new();
    let client = builder(&server, Flavor::Generic, &sleeper).build().unwrap();
    let err = client
        .odata()
        .entity_set::<Value>("odata/Books")
        .query()
        .first_page()
        .await
        .unwrap_err();
    // The first 429 had no Retry-After: a backoff (jitter fixed at 0 here).
    assert_eq!(sleeper.delays(), [Duration::ZERO]);
    // The second asked for an hour: beyond the policy's cap, so it comes back to reschedule.
    assert!(err.is_throttled());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(err.attempts(), 2);
}

#[tokio::test]
async fn error_bodies_over_http() {
    let server = MockServer::start().await;
    type Case<'a> = (&'a str, u16, Value, Option<&'a str>, &'a str, ErrorKind);
    let cases: Vec<Case<'_>> = vec![
        (
            "fno",
            400,
            json!({"error": {"code": "", "message": "An error has occurred.", "innererror": {"message": "Write failed for table row of type 'CustCustomerV3Entity'. Infolog: Error: Customer group 99 does not exist.", "type": "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException", "stacktrace": "at …"}}}),
            None,
            "Write failed for table row of type 'CustCustomerV3Entity'. Infolog: Error: Customer group 99 does not exist.",
            ErrorKind::Validation,
        ),
        (
            "bc",
            400,
            json!({"error": {"code": "Application_FieldValidationException", "message": "The field Customer No. must have a value.  CorrelationId:  4f0a0b2c-1d2e-4f3a-9b8c-7d6e5f4a3b2c."}}),
            Some("Application_FieldValidationException"),
            "The field Customer No. must have a value.",
            ErrorKind::Validation,
        ),
        (
            "aspnet",
            404,
            json!({"Message": "No HTTP resource was found that matches the request URI 'https://x/data/Customerz'."}),
            None,
            "No HTTP resource was found that matches the request URI 'https://x/data/Customerz'.",
            ErrorKind::NotFound,
        ),
        (
            "dataverse",
            412,
            json!({"error": {"code": "0x80060882", "message": "The version of the existing record doesn't match the RowVersion property provided."}}),
            Some("0x80060882"),
            "The version of the existing record doesn't match the RowVersion property provided.",
            ErrorKind::Conflict,
        ),
    ];
    for (name, status, body, _, _, _) in &cases {
        Mock::given(method("GET"))
            .and(path(format!("/odata/{name}")))
            .respond_with(ResponseTemplate::new(*status).set_body_json(body.clone()))
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/odata/html"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("content-type", "text/html")
                .set_body_string("<html><body><h1>403 Forbidden</h1><p>Microsoft-Azure-Application-Gateway</p></body></html>"),
        )
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client(&server, Flavor::Generic);
    for (name, status, _, code, message, kind) in cases {
        let err = client
            .odata()
            .entity_set::<Value>(&format!("odata/{name}"))
            .query()
            .first_page()
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(status), "{name}");
        assert_eq!(err.code(), code, "{name}");
        assert_eq!(err.message(), Some(message), "{name}");
        assert_eq!(err.kind(), kind, "{name}");
    }
    let err = client
        .odata()
        .entity_set::<Value>("odata/html")
        .query()
        .first_page()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(
        err.message(),
        Some("403 Forbidden Microsoft-Azure-Application-Gateway")
    );
    assert_eq!(
        err.service_error().unwrap().correlation_id(),
        None,
        "only BC messages carry a correlation id"
    );
}

#[tokio::test]
async fn decode_errors_name_the_json_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/data/CustomersV3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            {"CustomerAccount": "US-001", "CreditLimit": 10},
            {"CustomerAccount": "US-002", "CreditLimit": "lots"}
        ]})))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client(&server, Flavor::FinanceOperations);
    let err = client
        .fno()
        .customers()
        .query()
        .first_page()
        .await
        .unwrap_err();
    match err {
        Error::Decode { path, .. } => assert_eq!(path, "value[1].CreditLimit"),
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Concurrency limit, tracing
// ---------------------------------------------------------------------------------------

/// A tiny HTTP server that answers every request after `delay`, counting how many requests
/// it holds at once.
async fn slow_server(delay: Duration) -> (String, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let peak_out = peak.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let (in_flight, peak) = (in_flight.clone(), peak.clone());
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0_u8; 4096];
                loop {
                    let Ok(n) = socket.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buffer.extend_from_slice(&chunk[..n]);
                    let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    buffer.drain(..end + 4);
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(delay).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    let body = r#"{"value":[]}"#;
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if socket.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, peak_out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_concurrency_limit_is_respected() {
    let (url, peak) = slow_server(Duration::from_millis(100)).await;
    let client = Client::builder()
        .flavor(Flavor::BusinessCentral)
        .base_url(format!("{url}/api/v2.0"))
        .credentials(dynamics365_client::auth::StaticToken::new("t"))
        .build()
        .unwrap();
    assert_eq!(
        client.max_concurrency(),
        5,
        "BC's per-user limit by default"
    );
    let calls = (0..12).map(|_| {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .odata()
                .entity_set::<Value>("companies")
                .query()
                .first_page()
                .await
        })
    });
    for result in futures::future::join_all(calls).await {
        result.unwrap().unwrap();
    }
    let peak = peak.load(Ordering::SeqCst);
    assert!((2..=5).contains(&peak), "peak in flight {peak}");
}

#[tokio::test]
async fn one_span_per_operation_and_no_secret_in_the_logs() {
    use std::io::Write;
    use std::sync::Mutex;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl Write for Buffer {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/tenant-1/oauth2/v2.0/token"))
        .respond_with(token_answer("eyJ.secret-access-token"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/data/CustomersV3"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"CustomerAccount": "US-9"})))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = Client::builder()
        .flavor(Flavor::FinanceOperations)
        .base_url(server.uri())
        .credentials(secret(&server))
        .build()
        .unwrap();
    client
        .fno()
        .customers()
        .create(&json!({"CustomerAccount": "US-9", "PrimaryContactEmail": "jane@example.com"}))
        .await
        .unwrap();
    let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("dynamics365.fno.create"), "{logs}");
    assert!(logs.contains("odata.entity_set=\"CustomersV3\""), "{logs}");
    assert!(logs.contains("http.response.status_code=201"), "{logs}");
    assert!(logs.contains("attempts=1"), "{logs}");
    assert!(logs.contains("dynamics365.auth.token"), "{logs}");
    for secret in ["s3cr3t-value", "secret-access-token", "jane@example.com"] {
        assert!(!logs.contains(secret), "{secret} leaked: {logs}");
    }
}
