//! The token endpoint and the token cache: form-encoded password grant, one token for many
//! concurrent calls, refresh and one replay after `invalid_token`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use chrono::NaiveDate;
use common::*;
use mapping::retry::ErrorKind;
use paytrace_client::{Amount, Card, Credentials, Error, KeyedPayment, TransactionQuery};
use serde_json::json;
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const EXPORT: &str = "/v1/transactions/export/by_date_range";

fn query() -> TransactionQuery {
    let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    TransactionQuery::new(day, day).unwrap()
}

fn sale() -> KeyedPayment {
    let card = Card::new("4012000098765439", 12, 2030).unwrap();
    KeyedPayment::new(Amount::parse("1").unwrap(), card)
}

async fn token_answers(server: &MockServer, token: &str, times: u64) {
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(token)))
        .up_to_n_times(times)
        .expect(times)
        .mount(server)
        .await;
}

async fn api_with(
    server: &MockServer,
    at: &str,
    token: &str,
    template: ResponseTemplate,
    times: u64,
) {
    Mock::given(method("POST"))
        .and(path(at))
        .and(header("authorization", format!("Bearer {token}").as_str()))
        .respond_with(template)
        .expect(times)
        .mount(server)
        .await;
}

fn invalid_token() -> ResponseTemplate {
    ResponseTemplate::new(401)
        .insert_header("www-authenticate", "Bearer error=\"invalid_token\"")
        .set_body_json(
            json!({"error": "invalid_token", "error_description": "The access token expired"}),
        )
}

#[tokio::test]
async fn the_token_request_is_a_form_encoded_password_grant() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string(
            "grant_type=password&username=api+user%40acme&password=p%26ss%3Dw+rd",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": TOKEN, "token_type": "bearer", "expires_in": 7200}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    api_with(
        &server,
        EXPORT,
        TOKEN,
        ResponseTemplate::new(200).set_body_json(export_body(vec![])),
        2,
    )
    .await;
    mount_catch_all(&server).await;
    let client = builder(&server)
        .credentials(Credentials::password("api user@acme", "p&ss=w rd"))
        .build()
        .unwrap();
    client.exports().by_date_range(&query()).await.unwrap();
    // Cached: the second call needs no token request.
    client.exports().by_date_range(&query()).await.unwrap();
}

#[tokio::test]
async fn twenty_concurrent_calls_fetch_one_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_body(TOKEN))
                .set_delay(Duration::from_millis(200)),
        )
        .expect(1)
        .mount(&server)
        .await;
    api_with(
        &server,
        EXPORT,
        TOKEN,
        ResponseTemplate::new(200).set_body_json(export_body(vec![])),
        20,
    )
    .await;
    mount_catch_all(&server).await;
    let client = client(&server);
    let calls = (0..20).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.exports().by_date_range(&query()).await })
    });
    for call in futures::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_sale_replayed_once() {
    let server = MockServer::start().await;
    token_answers(&server, "tok-1", 1).await;
    token_answers(&server, "tok-2", 1).await;
    api_with(
        &server,
        "/v1/transactions/sale/keyed",
        "tok-1",
        invalid_token(),
        1,
    )
    .await;
    api_with(
        &server,
        "/v1/transactions/sale/keyed",
        "tok-2",
        ResponseTemplate::new(200).set_body_json(approved_sale()),
        1,
    )
    .await;
    mount_catch_all(&server).await;
    let answer = client(&server)
        .transactions()
        .sale_keyed(&sale())
        .await
        .unwrap();
    assert!(answer.is_approved());
}

#[tokio::test]
async fn a_second_rejection_after_a_refresh_is_final() {
    let server = MockServer::start().await;
    token_answers(&server, "tok-1", 1).await;
    token_answers(&server, "tok-2", 1).await;
    api_with(&server, EXPORT, "tok-1", invalid_token(), 1).await;
    api_with(&server, EXPORT, "tok-2", invalid_token(), 1).await;
    mount_catch_all(&server).await;
    let err = client(&server)
        .exports()
        .by_date_range(&query())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AuthExpired);
    assert_eq!(err.code(), Some("invalid_token"));
    assert_eq!(err.status(), Some(401));
}

#[tokio::test]
async fn bad_credentials_fail_without_calling_the_api() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_grant",
            "error_description": "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."
        })))
        .expect(1)
        .mount(&server)
        .await;
    mount_catch_all(&server).await;
    let err = client(&server)
        .transactions()
        .sale_keyed(&sale())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Token { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.code(), Some("invalid_grant"));
    assert!(!err.to_string().contains(PASSWORD));
}

#[tokio::test]
async fn a_failed_token_request_is_retried_even_for_a_sale() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    token_answers(&server, TOKEN, 1).await;
    api_with(
        &server,
        "/v1/transactions/sale/keyed",
        TOKEN,
        ResponseTemplate::new(200).set_body_json(approved_sale()),
        1,
    )
    .await;
    mount_catch_all(&server).await;
    assert!(
        client(&server)
            .transactions()
            .sale_keyed(&sale())
            .await
            .unwrap()
            .is_approved()
    );
}
