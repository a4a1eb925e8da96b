//! Card transaction endpoints against wiremock: exact path, bearer token, JSON body with
//! `integrator_id`, and answers shaped as reference §4 documents them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use paytrace_client::transactions::TransactionExtras;
use paytrace_client::{
    Address, Amount, Capture, Card, Csc, CustomerPayment, KeyedPayment, Level3, LineItem,
    ProtectPayment, ProtectToken, Refund, ResponseCode, Swipe, SwipedPayment, TransactionId,
    TransactionPayment,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

const CARD: &str = "4012000098765439";

fn amount(text: &str) -> Amount {
    Amount::parse(text).unwrap()
}

fn card() -> Card {
    Card::new(CARD, 12, 2030).unwrap().with_csc("999").unwrap()
}

fn card_json() -> Value {
    json!({"number": CARD, "expiration_month": "12", "expiration_year": "2030"})
}

fn billing() -> Address {
    Address {
        name: Some("Jane Doe".into()),
        street_address: Some("1 Main St".into()),
        city: Some("Anytown".into()),
        state: Some("WA".into()),
        zip: Some("99201".into()),
        country: Some("US".into()),
        ..Address::default()
    }
}

fn billing_json() -> Value {
    json!({"name": "Jane Doe", "street_address": "1 Main St", "city": "Anytown", "state": "WA", "zip": "99201", "country": "US"})
}

fn answer(code: u32, extra: Value) -> Value {
    let mut body = json!({
        "success": true,
        "response_code": code,
        "status_message": "Your transaction was successfully processed.",
        "external_transaction_id": ""
    });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    body
}

#[tokio::test]
async fn sales_and_authorizations_post_the_documented_bodies() {
    let server = server().await;
    let keyed_body = json!({
        "amount": "19.99", "credit_card": card_json(), "csc": "999",
        "billing_address": billing_json(), "invoice_id": "INV-1001"
    });
    let swiped_body = json!({"amount": "5.00", "swipe": "%B4012000098765439^DOE/JANE^3012?"});
    let customer_body =
        json!({"amount": "7.50", "customer_id": "cust-1", "csc": "999", "invoice_id": "INV-2"});
    let by_tx_body = json!({"amount": "8.00", "transaction_id": 1001});
    let protect_body = json!({"amount": "10.00", "hpf_token": "hpf-1", "enc_key": "enc-1", "billing_address": {"name": "Jane Doe", "zip": "99201"}});
    let protect_customer_body = json!({"amount": "10.00", "hpf_token": "hpf-2", "enc_key": "enc-2", "customer_id": "cust-9"});

    for kind in ["sale", "authorization"] {
        expect_call(
            &server,
            &format!("/v1/transactions/{kind}/keyed"),
            keyed_body.clone(),
            approved_sale(),
        )
        .await;
        expect_call(
            &server,
            &format!("/v1/transactions/{kind}/swiped"),
            swiped_body.clone(),
            approved_sale(),
        )
        .await;
        expect_call(
            &server,
            &format!("/v1/transactions/{kind}/by_customer"),
            customer_body.clone(),
            answer(101, json!({"transaction_id": 5})),
        )
        .await;
        expect_call(
            &server,
            &format!("/v1/transactions/{kind}/by_transaction"),
            by_tx_body.clone(),
            answer(101, json!({"transaction_id": 6})),
        )
        .await;
        expect_call(
            &server,
            &format!("/v1/transactions/{kind}/pt_protect"),
            protect_body.clone(),
            answer(101, json!({"transaction_id": 7})),
        )
        .await;
    }
    expect_call(
        &server,
        "/v1/transactions/sale/pt_protect_customer",
        protect_customer_body,
        answer(165, json!({"transaction_id": 8, "customer_id": "cust-9"})),
    )
    .await;
    mount_catch_all(&server).await;

    let client = client(&server);
    let tx = client.transactions();
    let keyed = KeyedPayment::new(amount("19.99"), card())
        .billing_address(billing())
        .invoice_id("INV-1001");
    let swiped = SwipedPayment::new(
        amount("5"),
        Swipe::new("%B4012000098765439^DOE/JANE^3012?").unwrap(),
    );
    let by_customer = CustomerPayment::new(amount("7.5"), "cust-1")
        .csc(Csc::new("999").unwrap())
        .invoice_id("INV-2");
    let by_transaction = TransactionPayment::new(amount("8"), TransactionId(1001));
    let protect = ProtectPayment::new(amount("10"), ProtectToken::new("hpf-1", "enc-1"))
        .billing_address(Address {
            name: Some("Jane Doe".into()),
            zip: Some("99201".into()),
            ..Address::default()
        });

    let sale = tx.sale_keyed(&keyed).await.unwrap();
    assert!(sale.is_approved());
    assert_eq!(sale.response_code, ResponseCode::Approved);
    assert_eq!(sale.transaction_id, Some(TransactionId(123_456_789)));
    assert_eq!(sale.masked_card_number.as_deref(), Some("xxxxxxxxxxxx5439"));
    assert_eq!(sale.avs_response.as_deref(), Some("No Match"));
    assert!(tx.sale_swiped(&swiped).await.unwrap().is_approved());
    assert_eq!(
        tx.sale_by_customer(&by_customer)
            .await
            .unwrap()
            .transaction_id,
        Some(TransactionId(5))
    );
    assert_eq!(
        tx.sale_by_transaction(&by_transaction)
            .await
            .unwrap()
            .transaction_id,
        Some(TransactionId(6))
    );
    assert!(tx.sale_pt_protect(&protect).await.unwrap().is_approved());
    let with_profile = tx
        .sale_pt_protect_customer(
            &ProtectPayment::new(amount("10"), ProtectToken::new("hpf-2", "enc-2"))
                .customer_id("cust-9"),
        )
        .await
        .unwrap();
    assert_eq!(
        with_profile.response_code,
        ResponseCode::ApprovedAndCustomerCreated
    );
    assert_eq!(with_profile.customer_id.as_deref(), Some("cust-9"));

    assert!(tx.authorize_keyed(&keyed).await.unwrap().is_approved());
    assert!(tx.authorize_swiped(&swiped).await.unwrap().is_approved());
    assert!(
        tx.authorize_by_customer(&by_customer)
            .await
            .unwrap()
            .is_approved()
    );
    assert!(
        tx.authorize_by_transaction(&by_transaction)
            .await
            .unwrap()
            .is_approved()
    );
    assert!(
        tx.authorize_pt_protect(&protect)
            .await
            .unwrap()
            .is_approved()
    );
}

#[tokio::test]
async fn follow_up_operations_post_the_documented_bodies() {
    let server = server().await;
    let captured = answer(112, json!({"transaction_id": 11}));
    expect_call(
        &server,
        "/v1/transactions/authorization/capture",
        json!({"transaction_id": 11}),
        captured.clone(),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/v1/transactions/authorization/capture"))
        .and(body_json(with_integrator(
            json!({"transaction_id": 12, "amount": "4.00"}),
        )))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(answer(112, json!({"transaction_id": 12}))),
        )
        .expect(1)
        .mount(&server)
        .await;
    expect_call(&server, "/v1/transactions/void", json!({"transaction_id": 13}), json!({
        "success": true, "response_code": 109, "status_message": "Your transaction was successfully voided.", "transaction_id": 13
    })).await;
    expect_call(
        &server,
        "/v1/transactions/refund/for_transaction",
        json!({"transaction_id": 14}),
        answer(106, json!({"transaction_id": 140})),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/v1/transactions/refund/for_transaction"))
        .and(body_json(with_integrator(
            json!({"transaction_id": 15, "amount": "2.50", "invoice_id": "INV-R"}),
        )))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(answer(106, json!({"transaction_id": 150}))),
        )
        .expect(1)
        .mount(&server)
        .await;
    expect_call(
        &server,
        "/v1/transactions/refund/keyed",
        json!({"amount": "3.00", "credit_card": card_json(), "csc": "999", "billing_address": billing_json()}),
        answer(106, json!({"transaction_id": 16, "masked_card_number": "xxxxxxxxxxxx5439"})),
    )
    .await;
    expect_call(
        &server,
        "/v1/transactions/refund/to_customer",
        json!({"amount": "6.00", "customer_id": "cust-1"}),
        answer(106, json!({"transaction_id": 17})),
    )
    .await;
    expect_call(
        &server,
        "/v1/transactions/adjust",
        json!({"transaction_id": 18, "amount": "21.00"}),
        answer(180, json!({"transaction_id": 18})),
    )
    .await;
    expect_call(
        &server,
        "/v1/transactions/settle",
        json!({}),
        json!({"success": true, "response_code": 175, "status_message": "The batch was settled."}),
    )
    .await;
    expect_call(&server, "/v1/transactions/email_receipt", json!({"transaction_id": 19, "email": "jane@example.com"}), json!({
        "success": true, "response_code": 149,
        "status_message": "The receipt for transaction ID 19 was successfully emailed to jane@example.com."
    })).await;
    let level3_body = json!({
        "transaction_id": 20, "invoice_id": "INV-L3", "tax_amount": "1.00", "national_tax_amount": "0.00",
        "source_address": {"zip": "99201"}, "shipping_address": {"zip": "98101", "country": "US"},
        "line_items": [{"description": "Widget", "quantity": "2", "unit_cost": "5.00", "amount": "10.00", "debit_or_credit": "D"}]
    });
    let level3_answer = json!({"success": true, "response_code": 170, "status_message": "Visa/MasterCard enhanced data was successfully added to Transaction ID 20. 1 line item records were created."});
    expect_call(
        &server,
        "/v1/level_three/visa",
        level3_body.clone(),
        level3_answer.clone(),
    )
    .await;
    expect_call(
        &server,
        "/v1/level_three/mastercard",
        level3_body,
        level3_answer,
    )
    .await;
    mount_catch_all(&server).await;

    let client = client(&server);
    let tx = client.transactions();
    assert_eq!(
        tx.capture(&Capture::full(TransactionId(11)))
            .await
            .unwrap()
            .response_code,
        ResponseCode::Captured
    );
    assert!(
        tx.capture(&Capture::partial(TransactionId(12), amount("4")))
            .await
            .unwrap()
            .is_approved()
    );
    assert_eq!(
        tx.void(TransactionId(13)).await.unwrap().response_code,
        ResponseCode::Voided
    );
    assert_eq!(
        tx.refund_transaction(&Refund::full(TransactionId(14)))
            .await
            .unwrap()
            .response_code,
        ResponseCode::Refunded
    );
    assert!(
        tx.refund_transaction(
            &Refund::partial(TransactionId(15), amount("2.5")).invoice_id("INV-R")
        )
        .await
        .unwrap()
        .is_approved()
    );
    let keyed_refund = KeyedPayment::new(amount("3"), card()).billing_address(billing());
    assert_eq!(
        tx.refund_keyed(&keyed_refund)
            .await
            .unwrap()
            .masked_card_number
            .as_deref(),
        Some("xxxxxxxxxxxx5439")
    );
    assert!(
        tx.refund_to_customer(&CustomerPayment::new(amount("6"), "cust-1"))
            .await
            .unwrap()
            .is_approved()
    );
    assert_eq!(
        tx.adjust(TransactionId(18), amount("21"))
            .await
            .unwrap()
            .response_code,
        ResponseCode::AmountAdjusted
    );
    assert_eq!(
        tx.settle().await.unwrap().response_code,
        ResponseCode::BatchSettled
    );
    assert_eq!(
        tx.email_receipt(TransactionId(19), "jane@example.com")
            .await
            .unwrap()
            .response_code,
        ResponseCode::ReceiptEmailed
    );
    let level3 = Level3 {
        invoice_id: Some("INV-L3".into()),
        tax_amount: Some(Decimal::new(100, 2)),
        national_tax_amount: Some(Decimal::new(0, 2)),
        source_address: Some(Address {
            zip: Some("99201".into()),
            ..Address::default()
        }),
        shipping_address: Some(Address {
            zip: Some("98101".into()),
            country: Some("US".into()),
            ..Address::default()
        }),
        line_items: vec![LineItem {
            description: Some("Widget".into()),
            quantity: Some(Decimal::from(2)),
            unit_cost: Some(Decimal::new(500, 2)),
            amount: Some(Decimal::new(1000, 2)),
            debit_or_credit: Some("D".into()),
            ..LineItem::default()
        }],
        ..Level3::new(TransactionId(20))
    };
    assert_eq!(
        tx.level3_visa(&level3).await.unwrap().response_code,
        ResponseCode::Level3Added
    );
    assert_eq!(
        tx.level3_mastercard(&level3).await.unwrap().response_code,
        ResponseCode::Level3Added
    );
}

#[tokio::test]
async fn every_optional_extra_has_its_documented_name() {
    let server = server().await;
    expect_call(
        &server,
        "/v1/transactions/sale/by_customer",
        json!({
            "amount": "100.00", "customer_id": "cust-1",
            "invoice_id": "INV-9", "customer_reference_id": "PO-1", "description": "Gold plan",
            "tax_amount": "8.10", "freight_amount": "5.00", "email": "jane@example.com",
            "return_clr": true, "enable_partial_authorization": false, "custom_dba": "ACME*GOLD",
            "discretionary_data": {"BALANCEAMOUNT": "11111.11"},
            "billing_address": {"name": "Jane Doe"},
            "shipping_address": {"name": "Jane Doe", "county": "Spokane"}
        }),
        approved_sale(),
    )
    .await;
    mount_catch_all(&server).await;
    let request = CustomerPayment::new(amount("100"), "cust-1")
        .invoice_id("INV-9")
        .customer_reference_id("PO-1")
        .description("Gold plan")
        .tax_amount(amount("8.10"))
        .freight_amount(amount("5"))
        .email("jane@example.com")
        .return_clr(true)
        .enable_partial_authorization(false)
        .custom_dba("ACME*GOLD")
        .discretionary("BALANCEAMOUNT", "11111.11")
        .billing_address(Address {
            name: Some("Jane Doe".into()),
            ..Address::default()
        })
        .shipping_address(Address {
            name: Some("Jane Doe".into()),
            county: Some("Spokane".into()),
            ..Address::default()
        });
    assert_ne!(request.extras, TransactionExtras::default());
    client(&server)
        .transactions()
        .sale_by_customer(&request)
        .await
        .unwrap();
}

use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, ResponseTemplate};
