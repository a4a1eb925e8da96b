//! The endpoints whose paths reference §2 marks UNCONFIRMED (swiped refund, refund
//! authorizations, inactive-profile export): the client sends the most plausible path and body,
//! with the bearer token and `integrator_id`, exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use paytrace_client::{
    Amount, Card, KeyedPayment, Refund, ResponseCode, Swipe, SwipedPayment, TransactionId,
};
use serde_json::json;

#[tokio::test]
async fn unconfirmed_paths_post_the_plausible_bodies() {
    let server = server().await;
    let swipe = "%B4012000098765439^DOE/JANE^3012?";
    expect_call(
        &server,
        "/v1/transactions/refund/swiped",
        json!({"amount": "5.00", "swipe": swipe}),
        json!({"success": true, "response_code": 106, "status_message": "Your transaction was successfully refunded.", "transaction_id": 31}),
    )
    .await;
    expect_call(
        &server,
        "/v1/transactions/refundauth/keyed",
        json!({"amount": "3.00", "credit_card": {"number": "4012000098765439", "expiration_month": "12", "expiration_year": "2030"}}),
        json!({"success": true, "response_code": 106, "status_message": "ok", "transaction_id": 32}),
    )
    .await;
    expect_call(
        &server,
        "/v1/transactions/refundauth/for_transaction",
        json!({"transaction_id": 30, "amount": "1.50"}),
        json!({"success": true, "response_code": 106, "status_message": "ok", "transaction_id": 33}),
    )
    .await;
    expect_call(
        &server,
        "/v1/customer/export_inactive",
        json!({"days_inactive": 90}),
        json!({"success": true, "response_code": 1, "status_message": "ok", "customers": [
            {"customer_id": "cust-old", "credit_card": {"masked_number": "************1111", "expiration_month": "01", "expiration_year": "24"}}
        ]}),
    )
    .await;
    mount_catch_all(&server).await;

    let client = client(&server);
    let tx = client.transactions();
    let swiped = SwipedPayment::new(Amount::parse("5").unwrap(), Swipe::new(swipe).unwrap());
    let refunded = tx.refund_swiped(&swiped).await.unwrap();
    assert_eq!(refunded.response_code, ResponseCode::Refunded);
    assert_eq!(refunded.transaction_id, Some(TransactionId(31)));

    let card = Card::new("4012000098765439", 12, 2030).unwrap();
    let keyed = KeyedPayment::new(Amount::parse("3").unwrap(), card);
    let auth = tx.refund_authorization_keyed(&keyed).await.unwrap();
    assert_eq!(auth.transaction_id, Some(TransactionId(32)));

    let partial = Refund::partial(TransactionId(30), Amount::parse("1.5").unwrap());
    let auth = tx
        .refund_authorization_for_transaction(&partial)
        .await
        .unwrap();
    assert_eq!(auth.transaction_id, Some(TransactionId(33)));

    let inactive = client.customers().export_inactive(90).await.unwrap();
    assert_eq!(inactive.len(), 1);
    assert_eq!(inactive[0].customer_id.as_deref(), Some("cust-old"));
}
