//! Shared wiremock fixtures: a PayTrace stand-in with a token endpoint and a loud catch-all.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::time::Duration;

use mapping::retry::{RecordingSleeper, Retrier, RetryPolicy};
use paytrace_client::{Client, Credentials};
use serde_json::{Value, json};
use wiremock::matchers::{any, body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const USERNAME: &str = "api-user";
pub const PASSWORD: &str = "s3cret-Pa55word";
pub const INTEGRATOR_ID: &str = "9999TESTINTG";
pub const TOKEN: &str = "aaaa1111:bbbb2222:cccc3333";

/// A client for `server` whose retries record their delays instead of sleeping.
pub fn client(server: &MockServer) -> Client {
    builder(server).build().unwrap()
}

pub fn builder(server: &MockServer) -> paytrace_client::ClientBuilder {
    Client::builder()
        .base_url(server.uri())
        .credentials(Credentials::password(USERNAME, PASSWORD))
        .integrator_id(INTEGRATOR_ID)
        .retrier(Retrier::new(RetryPolicy::default()).with_sleeper(RecordingSleeper::new()))
}

/// The documented token answer (reference §1.2).
pub fn token_body(token: &str) -> Value {
    json!({"access_token": token, "token_type": "Bearer", "expires_in": 7200, "created_at": 1_715_712_345})
}

/// `POST /oauth/token`, form-encoded password grant, answering [`TOKEN`].
pub async fn mount_token(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(TOKEN)))
        .mount(server)
        .await;
}

/// Answers anything no other mock matched with 599 and fails the test when dropped.
pub async fn mount_catch_all(server: &MockServer) {
    Mock::given(any())
        .respond_with(ResponseTemplate::new(599).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .named("catch-all: unexpected request")
        .expect(0)
        .mount(server)
        .await;
}

/// `body` with `integrator_id` added, as every v1 body must carry it.
pub fn with_integrator(mut body: Value) -> Value {
    body.as_object_mut()
        .expect("request bodies are objects")
        .insert("integrator_id".into(), json!(INTEGRATOR_ID));
    body
}

/// Expects exactly one `POST path` with the bearer token, JSON content type and exactly
/// `body` (plus `integrator_id`), and answers `response`.
pub async fn expect_call(server: &MockServer, at: &str, body: Value, response: Value) {
    Mock::given(method("POST"))
        .and(path(at))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("content-type", "application/json"))
        .and(body_json(with_integrator(body)))
        .respond_with(ResponseTemplate::new(200).set_body_json(response))
        .named(at)
        .expect(1)
        .mount(server)
        .await;
}

/// A server with the token endpoint mounted; mount the calls, then [`mount_catch_all`].
pub async fn server() -> MockServer {
    let server = MockServer::start().await;
    mount_token(&server).await;
    server
}

pub fn short_timeout(server: &MockServer) -> Client {
    builder(server)
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap()
}

/// An approved keyed sale (reference §4.1).
pub fn approved_sale() -> Value {
    json!({
        "success": true,
        "response_code": 101,
        "status_message": "Your transaction was successfully approved.",
        "transaction_id": 123_456_789,
        "approval_code": "A1B2C3",
        "approval_message": "  NO  MATCH - Approved and completed",
        "avs_response": "No Match",
        "csc_response": "Match",
        "external_transaction_id": "",
        "masked_card_number": "xxxxxxxxxxxx5439"
    })
}

/// A declined sale: `success: false`, code 102, no `errors`.
pub fn declined_sale() -> Value {
    json!({
        "success": false,
        "response_code": 102,
        "status_message": "Your transaction was not approved.",
        "transaction_id": 123_456_790,
        "approval_code": "",
        "approval_message": "    DECLINE - Insufficient funds",
        "avs_response": "No Match",
        "csc_response": "Match",
        "external_transaction_id": "",
        "masked_card_number": "xxxxxxxxxxxx5439"
    })
}

/// A validation error with several codes (reference §4.3).
pub fn validation_error() -> Value {
    json!({
        "success": false,
        "response_code": 1,
        "status_message": "One or more errors has occurred.",
        "errors": {
            "35": ["Please provide a valid Credit Card Number."],
            "43": ["Please provide a valid Expiration Month."],
            "44": ["Please provide a valid Expiration Year."]
        },
        "external_transaction_id": ""
    })
}

/// A §5.1 export record.
pub fn export_record(id: u64, invoice: &str, status_code: &str) -> Value {
    json!({
        "transaction_id": id,
        "transaction_type": "SALE",
        "amount": 19.99,
        "credit_card": {"masked_number": "************5439", "expiration_month": "12", "expiration_year": "30"},
        "description": "Order",
        "invoice_id": invoice,
        "customer_reference_id": "",
        "tax_amount": "1.50",
        "billing_address": {"name": "Jane Doe", "street_address": "1 Main St", "street_address2": "", "city": "Spokane", "state": "WA", "zip": "99201", "country": "US"},
        "shipping_address": {"name": "", "street_address": "", "city": "", "county": "", "state": "", "zip": "", "country": ""},
        "receipt_emailed_to": "",
        "approval_code": "TAS610",
        "approval_message": "  NO  MATCH - Approved and completed",
        "avs_response": "No Match",
        "csc_response": "Match",
        "status_code": status_code,
        "status_message": if status_code == "Y" { "Pending Settlement" } else { status_code },
        "created": {"through": "API", "at": "4/10/2015 4:06:30 PM", "by": "api-user", "from_ip": "1.2.3.4"},
        "settled": "",
        "customer_id": "",
        "discretionary_data": {}
    })
}

pub fn export_body(records: Vec<Value>) -> Value {
    json!({
        "success": true,
        "response_code": 1,
        "status_message": "Your request has been successfully completed.",
        "transactions": records,
        "external_transaction_id": ""
    })
}
