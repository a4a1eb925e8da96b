//! Retries and non-retries, counted with `expect(n)`: reads are retried, money-moving calls
//! never once they may have reached PayTrace.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use chrono::NaiveDate;
use common::*;
use mapping::retry::{ErrorKind, RecordingSleeper, Retrier, RetryPolicy};
use paytrace_client::{
    Amount, Card, Client, Credentials, Error, KeyedPayment, TransactionId, TransactionQuery,
};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SALE: &str = "/v1/transactions/sale/keyed";
const EXPORT: &str = "/v1/transactions/export/by_date_range";

fn sale() -> KeyedPayment {
    let card = Card::new("4012000098765439", 12, 2030)
        .unwrap()
        .with_csc("999")
        .unwrap();
    KeyedPayment::new(Amount::parse("19.99").unwrap(), card).invoice_id("INV-1001")
}

fn query() -> TransactionQuery {
    let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    TransactionQuery::new(day, day).unwrap()
}

async fn respond(server: &MockServer, at: &str, template: ResponseTemplate, times: u64) {
    Mock::given(method("POST"))
        .and(path(at))
        .respond_with(template)
        .up_to_n_times(times)
        .expect(times)
        .mount(server)
        .await;
}

fn source(error: &Error) -> &Error {
    match error {
        Error::OutcomeUnknown { source, .. } => source,
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
}

#[tokio::test]
async fn exports_are_retried_through_503s() {
    let server = server().await;
    respond(&server, EXPORT, ResponseTemplate::new(503), 2).await;
    respond(
        &server,
        EXPORT,
        ResponseTemplate::new(200).set_body_json(export_body(vec![export_record(1, "A", "Y")])),
        1,
    )
    .await;
    mount_catch_all(&server).await;
    let sleeper = RecordingSleeper::new();
    let client = builder(&server)
        .retrier(Retrier::new(RetryPolicy::default()).with_sleeper(sleeper.clone()))
        .build()
        .unwrap();
    let records = client.exports().by_date_range(&query()).await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(sleeper.delays().len(), 2);
}

#[tokio::test]
async fn exports_give_up_with_the_last_error_and_its_attempts() {
    let server = server().await;
    let page = "<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>";
    respond(
        &server,
        EXPORT,
        ResponseTemplate::new(502).set_body_raw(page, "text/html"),
        4,
    )
    .await;
    mount_catch_all(&server).await;
    let err = client(&server)
        .exports()
        .by_date_range(&query())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert_eq!(err.attempts(), 4);
    assert_eq!(err.status(), Some(502));
    match &err {
        Error::UnexpectedResponse {
            excerpt,
            content_type,
            ..
        } => {
            assert!(excerpt.contains("502 Bad Gateway"), "{excerpt}");
            assert!(!excerpt.contains('<'), "{excerpt}");
            assert_eq!(content_type.as_deref(), Some("text/html"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_sale_answered_503_is_not_resent_and_its_outcome_is_unknown() {
    let server = server().await;
    respond(&server, SALE, ResponseTemplate::new(503), 1).await;
    mount_catch_all(&server).await;
    let err = client(&server)
        .transactions()
        .sale_keyed(&sale())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown);
    assert!(!err.is_retryable());
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.attempts(), 1);
    assert_eq!(source(&err).kind(), ErrorKind::Transient);
    assert!(err.to_string().contains("paytrace.sale_keyed"), "{err}");
}

#[tokio::test]
async fn a_sale_that_times_out_is_not_resent() {
    let server = server().await;
    respond(
        &server,
        SALE,
        ResponseTemplate::new(200)
            .set_body_json(approved_sale())
            .set_delay(Duration::from_secs(3)),
        1,
    )
    .await;
    mount_catch_all(&server).await;
    let err = short_timeout(&server)
        .transactions()
        .sale_keyed(&sale())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown);
    assert!(matches!(source(&err), Error::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn an_unreadable_answer_to_a_sale_leaves_the_outcome_unknown() {
    let server = server().await;
    respond(
        &server,
        SALE,
        ResponseTemplate::new(200).set_body_raw("<html>Thank you</html>", "text/html"),
        1,
    )
    .await;
    mount_catch_all(&server).await;
    let err = client(&server)
        .transactions()
        .sale_keyed(&sale())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown);
    assert!(matches!(source(&err), Error::UnexpectedResponse { .. }));
}

#[tokio::test]
async fn an_export_that_times_out_is_retried() {
    let server = server().await;
    respond(
        &server,
        EXPORT,
        ResponseTemplate::new(200)
            .set_body_json(export_body(vec![]))
            .set_delay(Duration::from_secs(3)),
        1,
    )
    .await;
    respond(
        &server,
        EXPORT,
        ResponseTemplate::new(200).set_body_json(export_body(vec![])),
        1,
    )
    .await;
    mount_catch_all(&server).await;
    assert!(
        short_timeout(&server)
            .exports()
            .by_date_range(&query())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_decline_is_an_answer_sent_once() {
    let server = server().await;
    respond(
        &server,
        SALE,
        ResponseTemplate::new(200).set_body_json(declined_sale()),
        1,
    )
    .await;
    mount_catch_all(&server).await;
    let answer = client(&server)
        .transactions()
        .sale_keyed(&sale())
        .await
        .unwrap();
    assert!(answer.is_declined());
    assert_eq!(
        answer.approval_message.as_deref(),
        Some("DECLINE - Insufficient funds")
    );
    assert_eq!(answer.transaction_id, Some(TransactionId(123_456_790)));
}

#[tokio::test]
async fn a_validation_error_carries_every_code_and_is_not_retried() {
    let server = server().await;
    respond(
        &server,
        SALE,
        ResponseTemplate::new(400).set_body_json(validation_error()),
        1,
    )
    .await;
    mount_catch_all(&server).await;
    let err = client(&server)
        .transactions()
        .sale_keyed(&sale())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    let codes: Vec<&str> = err.api_errors().iter().map(|e| e.code.as_str()).collect();
    assert_eq!(codes, ["35", "43", "44"]);
    assert_eq!(
        err.api_errors()[1].messages,
        ["Please provide a valid Expiration Month."]
    );
    assert_eq!(err.code(), Some("35"));
    assert_eq!(
        err.message(),
        Some("Please provide a valid Credit Card Number.")
    );
    assert_eq!(err.status(), Some(400));
    let text = err.to_string();
    for code in ["[35]", "[43]", "[44]"] {
        assert!(text.contains(code), "{text}");
    }
}

#[tokio::test]
async fn a_throttled_sale_is_retried_after_retry_after() {
    let server = server().await;
    respond(
        &server,
        SALE,
        ResponseTemplate::new(429).insert_header("retry-after", "2"),
        1,
    )
    .await;
    respond(
        &server,
        SALE,
        ResponseTemplate::new(200).set_body_json(approved_sale()),
        1,
    )
    .await;
    mount_catch_all(&server).await;
    let sleeper = RecordingSleeper::new();
    let client = builder(&server)
        .retrier(Retrier::new(RetryPolicy::default()).with_sleeper(sleeper.clone()))
        .build()
        .unwrap();
    assert!(
        client
            .transactions()
            .sale_keyed(&sale())
            .await
            .unwrap()
            .is_approved()
    );
    assert!(
        sleeper.delays()[0] >= Duration::from_secs(2),
        "{:?}",
        sleeper.delays()
    );
}

#[tokio::test]
async fn a_sale_that_cannot_connect_is_retried() {
    // Nothing listens on this port once the listener is dropped.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .credentials(Credentials::access_token(TOKEN))
        .integrator_id(INTEGRATOR_ID)
        .retrier(Retrier::new(RetryPolicy::default()).with_sleeper(RecordingSleeper::new()))
        .build()
        .unwrap();
    let err = client.transactions().sale_keyed(&sale()).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert_eq!(err.attempts(), 4);
}

#[tokio::test]
async fn not_found_codes_are_classified() {
    let server = server().await;
    let body = json!({"success": false, "response_code": 1, "status_message": "One or more errors has occurred.",
                      "errors": {"811": ["Please provide a valid Transaction ID."]}});
    respond(
        &server,
        "/v1/transactions/void",
        ResponseTemplate::new(400).set_body_json(body),
        1,
    )
    .await;
    mount_catch_all(&server).await;
    let err = client(&server)
        .transactions()
        .void(TransactionId(9))
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}
