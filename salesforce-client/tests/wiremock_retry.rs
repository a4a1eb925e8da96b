//! Retry classification against wiremock: each fault class retried or not, counted with
//! `expect(n)`. The retrier never really sleeps.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;
use mapping::retry::ErrorKind;
use salesforce_client::{Client, Error};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CONCURRENT: &str = "ConcurrentRequests (Concurrent API Requests) Limit exceeded.";
const DAILY: &str = "TotalRequests Limit exceeded.";

/// Mounts `failures` answers of `fail` at `method path`, then `success`; with `expect`
/// hits in all.
async fn script(
    server: &MockServer,
    verb: &str,
    at: &str,
    fail: ResponseTemplate,
    failures: u64,
    success: ResponseTemplate,
    successes: u64,
) {
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(fail)
        .up_to_n_times(failures)
        .expect(failures)
        .named("failure")
        .mount(server)
        .await;
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(success)
        .expect(successes)
        .named("success")
        .mount(server)
        .await;
    catch_all(server).await;
}

fn account_path() -> String {
    format!("{V}/sobjects/Account/001A")
}

fn account() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"attributes": {"type": "Account"}, "Id": "001A"}))
}

async fn get_account(client: &Client) -> salesforce_client::Result<Value> {
    client.sobjects("Account").get("001A", &[]).await
}

#[tokio::test]
async fn reads_are_retried_after_503_and_502() {
    let server = MockServer::start().await;
    let busy =
        ResponseTemplate::new(503).set_body_json(sf_error("SERVER_UNAVAILABLE", "Server is busy"));
    script(&server, "GET", &account_path(), busy, 2, account(), 1).await;
    get_account(&static_client(&server)).await.unwrap();

    let server = MockServer::start().await;
    let gateway = ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>");
    script(&server, "GET", &account_path(), gateway, 1, account(), 1).await;
    get_account(&static_client(&server)).await.unwrap();
}

#[tokio::test]
async fn a_create_is_not_resent_after_a_503() {
    let server = MockServer::start().await;
    let busy =
        ResponseTemplate::new(503).set_body_json(sf_error("SERVER_UNAVAILABLE", "Server is busy"));
    let created = ResponseTemplate::new(201)
        .set_body_json(json!({"id": "001A", "success": true, "errors": []}));
    script(
        &server,
        "POST",
        &format!("{V}/sobjects/Account"),
        busy,
        1,
        created,
        0,
    )
    .await;
    let err = static_client(&server)
        .sobjects("Account")
        .create(&json!({"Name": "Acme"}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown);
    assert!(
        matches!(
            err,
            Error::OutcomeUnknown {
                operation: "salesforce.create",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.attempts(), 1);
}

#[tokio::test]
async fn a_create_is_not_resent_after_a_timeout() {
    let server = MockServer::start().await;
    let slow = ResponseTemplate::new(201)
        .set_body_json(json!({"id": "001A", "success": true, "errors": []}))
        .set_delay(Duration::from_millis(500));
    Mock::given(method("POST"))
        .and(path(format!("{V}/sobjects/Account")))
        .respond_with(slow)
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = builder(&server)
        .instance_url(server.uri())
        .credentials(salesforce_client::auth::StaticToken::new(TOKEN))
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let err = client
        .sobjects("Account")
        .create(&json!({"Name": "Acme"}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown, "{err:?}");
}

#[tokio::test]
async fn concurrent_request_limits_are_throttling_and_retried() {
    let server = MockServer::start().await;
    let limited =
        ResponseTemplate::new(403).set_body_json(sf_error("REQUEST_LIMIT_EXCEEDED", CONCURRENT));
    script(&server, "GET", &account_path(), limited, 2, account(), 1).await;
    get_account(&static_client(&server)).await.unwrap();
}

#[tokio::test]
async fn the_daily_quota_is_not_retried() {
    let server = MockServer::start().await;
    let spent = ResponseTemplate::new(403)
        .insert_header("Sforce-Limit-Info", "api-usage=15000/15000")
        .set_body_json(sf_error("REQUEST_LIMIT_EXCEEDED", DAILY));
    script(&server, "GET", &account_path(), spent, 1, account(), 0).await;
    let err = get_account(&static_client(&server)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::QuotaExceeded);
    assert!(!err.is_retryable());
    assert_eq!(err.code(), Some("REQUEST_LIMIT_EXCEEDED"));
    assert_eq!(
        err.limit_info()
            .and_then(|i| i.api_usage())
            .map(|u| u.remaining()),
        Some(0)
    );
}

#[tokio::test]
async fn row_locks_are_retried_on_idempotent_calls() {
    let server = MockServer::start().await;
    let locked = ResponseTemplate::new(400).set_body_json(sf_error(
        "UNABLE_TO_LOCK_ROW",
        "unable to obtain exclusive access to this record or 1 records: a01xx0000000001",
    ));
    let updated = ResponseTemplate::new(200)
        .set_body_json(json!({"id": "a01A", "success": true, "errors": [], "created": false}));
    script(
        &server,
        "PATCH",
        &format!("{V}/sobjects/Payment__c/PaymentID__c/PT-1"),
        locked,
        3,
        updated,
        1,
    )
    .await;
    let outcome = static_client(&server)
        .sobjects("Payment__c")
        .upsert("PaymentID__c", "PT-1", &json!({"Amount__c": 1}))
        .await
        .unwrap();
    assert_eq!(outcome.id(), Some("a01A"));
}

#[tokio::test]
async fn retries_run_out_with_the_last_error_and_its_attempts() {
    let server = MockServer::start().await;
    let locked = ResponseTemplate::new(400).set_body_json(sf_error(
        "UNABLE_TO_LOCK_ROW",
        "unable to obtain exclusive access",
    ));
    script(
        &server,
        "DELETE",
        &account_path(),
        locked,
        4,
        ResponseTemplate::new(204),
        0,
    )
    .await;
    let err = static_client(&server)
        .sobjects("Account")
        .delete("001A")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert_eq!(err.attempts(), 4);
    assert!(matches!(err, Error::Api { .. }));
}

#[tokio::test]
async fn validation_and_duplicates_are_not_retried() {
    for (code, kind) in [
        ("REQUIRED_FIELD_MISSING", ErrorKind::Validation),
        ("FIELD_CUSTOM_VALIDATION_EXCEPTION", ErrorKind::Validation),
        ("DUPLICATE_VALUE", ErrorKind::Conflict),
        ("DUPLICATES_DETECTED", ErrorKind::Conflict),
    ] {
        let server = MockServer::start().await;
        let refused = ResponseTemplate::new(400).set_body_json(json!([
            {"message": "refused", "errorCode": code, "fields": ["Name"]},
            {"message": "and another", "errorCode": "INVALID_FIELD", "fields": []},
        ]));
        script(
            &server,
            "PATCH",
            &account_path(),
            refused,
            1,
            ResponseTemplate::new(204),
            0,
        )
        .await;
        let err = static_client(&server)
            .sobjects("Account")
            .update("001A", &json!({"Name": ""}))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{code}");
        assert_eq!(err.errors().len(), 2, "every error is kept");
        assert_eq!(err.errors()[0].fields, ["Name"]);
    }
}

#[tokio::test]
async fn not_found_is_returned_at_once() {
    let server = MockServer::start().await;
    let missing = ResponseTemplate::new(404).set_body_json(
        json!([{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]),
    );
    script(&server, "GET", &account_path(), missing, 1, account(), 0).await;
    let err = get_account(&static_client(&server)).await.unwrap_err();
    assert!(err.is_not_found());
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = MockServer::start().await;
    let throttled = ResponseTemplate::new(429).insert_header("Retry-After", "3");
    script(&server, "GET", &account_path(), throttled, 1, account(), 1).await;
    let (retrier, sleeper) = retrier();
    let client = builder(&server)
        .instance_url(server.uri())
        .credentials(salesforce_client::auth::StaticToken::new(TOKEN))
        .retrier(retrier)
        .build()
        .unwrap();
    get_account(&client).await.unwrap();
    assert_eq!(sleeper.delays(), [Duration::from_secs(3)]);
}
