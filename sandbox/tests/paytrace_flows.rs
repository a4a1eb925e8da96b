#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! End-to-end PayTrace flows against the running emulator over real HTTP.

mod common;

use std::time::Duration;

use chrono::TimeDelta;
use common::{Pt, assert_errors, frozen_config};
use sandbox::paytrace::{DEFAULT_USERNAME, DeclineRule, TransactionStatus, test_cards};
use serde_json::json;

#[tokio::test]
async fn token_then_sale_then_void() {
    let pt = Pt::start().await;
    let sale = pt.keyed_sale("19.99", test_cards::VISA, "INV-1").await;
    assert_eq!(sale.status, 200, "{}", sale.text);
    assert_eq!(sale.json["success"], true);
    assert_eq!(sale.json["response_code"], 101);
    assert_eq!(
        sale.json["status_message"],
        "Your transaction was successfully approved."
    );
    assert_eq!(sale.json["masked_card_number"], "xxxxxxxxxxxx5439");
    assert_eq!(sale.json["avs_response"], "Full Exact Match");
    assert_eq!(sale.json["csc_response"], "Match");
    assert_eq!(sale.json["external_transaction_id"], "");
    assert_eq!(sale.json["approval_code"].as_str().unwrap().len(), 6);
    assert!(sale.headers.contains_key("x-request-id"));
    let id = sale.json["transaction_id"].as_u64().expect("integer id");

    let rec = pt.export_by_id(id).await;
    assert_eq!(rec["status_code"], "Y");
    assert_eq!(rec["status_message"], "Pending Settlement");

    let void = pt
        .call(
            "/v1/transactions/void",
            json!({"transaction_id": id.to_string()}),
        )
        .await;
    assert_eq!(void.status, 200, "{}", void.text);
    assert_eq!(void.json["response_code"], 109);
    assert_eq!(void.json["transaction_id"], id);
    assert!(void.json.get("external_transaction_id").is_none());
    assert_eq!(
        pt.sb.emulator().transaction(id).unwrap().status,
        TransactionStatus::Voided
    );
    let rec = pt.export_by_id(id).await;
    assert_eq!(rec["status_code"], "N");
    assert_eq!(rec["status_message"], "Voided");

    // A voided transaction cannot be voided again.
    let again = pt
        .call("/v1/transactions/void", json!({"transaction_id": id}))
        .await;
    assert_errors(&again, &["818"]);
    assert_eq!(pt.sb.emulator().tokens_issued(), 1);
    assert_eq!(pt.sb.request_count("/v1/transactions/void"), 2);
    pt.assert_never_echoed(&[test_cards::VISA, "\"999\""]);
}

#[tokio::test]
async fn auth_capture_settle_partial_refunds() {
    let pt = Pt::start().await;
    let auth = pt.keyed_auth("100.00", test_cards::MASTERCARD).await;
    assert_eq!(auth.json["response_code"], 101, "{}", auth.text);
    let id = auth.json["transaction_id"].as_u64().unwrap();
    let rec = pt.export_by_id(id).await;
    assert_eq!(rec["transaction_type"], "AUTHORIZATION");
    assert_eq!(rec["status_code"], "N");
    assert_eq!(rec["status_message"], "Authorization Only");

    // Nothing to refund before settlement, and a sale cannot be captured.
    let early = pt
        .call(
            "/v1/transactions/refund/for_transaction",
            json!({"transaction_id": id}),
        )
        .await;
    assert_errors(&early, &["817"]);

    let cap = pt
        .call(
            "/v1/transactions/authorization/capture",
            json!({"transaction_id": id, "amount": 80}),
        )
        .await;
    assert_eq!(cap.status, 200, "{}", cap.text);
    assert_eq!(cap.json["response_code"], 112);
    let twice = pt
        .call(
            "/v1/transactions/authorization/capture",
            json!({"transaction_id": id}),
        )
        .await;
    assert_errors(&twice, &["816"]);
    assert_eq!(pt.export_by_id(id).await["status_code"], "Y");

    let settle = pt.call("/v1/transactions/settle", json!({})).await;
    assert_eq!(settle.status, 200, "{}", settle.text);
    assert_eq!(settle.json["response_code"], 175);
    let batch = settle.json["batch_number"].as_u64().unwrap();
    let rec = pt.export_by_id(id).await;
    assert_eq!(rec["status_code"], format!("GB{batch}"));
    assert_eq!(rec["status_message"], format!("GB{batch}"));
    assert_eq!(rec["settled"], "5/1/2024 11:00:00 AM");
    assert!(pt.export_by_id(id).await["amount"].as_f64() == Some(80.0));

    let r1 = pt
        .call(
            "/v1/transactions/refund/for_transaction",
            json!({"transaction_id": id, "amount": "30.00"}),
        )
        .await;
    assert_eq!(r1.json["response_code"], 106, "{}", r1.text);
    assert_ne!(r1.json["transaction_id"], id);
    let r2 = pt
        .call(
            "/v1/transactions/refund/for_transaction",
            json!({"transaction_id": id, "amount": 45}),
        )
        .await;
    assert_eq!(r2.json["response_code"], 106, "{}", r2.text);
    // 5.00 remain: 5.01 is too much.
    let over = pt
        .call(
            "/v1/transactions/refund/for_transaction",
            json!({"transaction_id": id, "amount": "5.01"}),
        )
        .await;
    assert_errors(&over, &["814"]);
    // Omitted amount = the remainder.
    let rest = pt
        .call(
            "/v1/transactions/refund/for_transaction",
            json!({"transaction_id": id}),
        )
        .await;
    assert_eq!(rest.json["response_code"], 106, "{}", rest.text);
    let none_left = pt
        .call(
            "/v1/transactions/refund/for_transaction",
            json!({"transaction_id": id, "amount": "0.01"}),
        )
        .await;
    assert_errors(&none_left, &["814"]);

    let t = pt.sb.emulator().transaction(id).unwrap();
    assert_eq!(t.refunded.to_string(), "80.00");
    // Voiding a refund gives its amount back.
    let rest_id = rest.json["transaction_id"].as_u64().unwrap();
    let v = pt
        .call("/v1/transactions/void", json!({"transaction_id": rest_id}))
        .await;
    assert_eq!(v.json["response_code"], 109);
    assert_eq!(
        pt.sb
            .emulator()
            .transaction(id)
            .unwrap()
            .refunded
            .to_string(),
        "75.00"
    );
    let refund_rec = pt
        .export_by_id(r1.json["transaction_id"].as_u64().unwrap())
        .await;
    assert_eq!(refund_rec["transaction_type"], "REFUND");
    assert_eq!(
        refund_rec["credit_card"]["masked_number"],
        "************0057"
    );
}

#[tokio::test]
async fn vault_customer_sale_shows_in_date_range_export() {
    let pt = Pt::start().await;
    let create = pt
        .call(
            "/v1/customer/create",
            json!({
                "customer_id": "cust-42",
                "credit_card": {"number": test_cards::VISA_GENERIC, "expiration_month": 3, "expiration_year": "28"},
                "billing_address": {"name": "Ann Lee", "street_address": "5 Elm", "zip": "98101"},
                "email": "ann@example.com",
            }),
        )
        .await;
    assert_eq!(create.status, 200, "{}", create.text);
    assert_eq!(create.json["response_code"], 160);
    assert_eq!(create.json["customer_id"], "cust-42");
    assert_eq!(create.json["masked_card_number"], "xxxxxxxxxxxx1111");
    assert_eq!(
        create.json["status_message"],
        "The customer profile for cust-42/Ann Lee was successfully created."
    );

    let sale = pt
        .call(
            "/v1/transactions/sale/by_customer",
            json!({"amount": 25, "customer_id": "cust-42", "invoice_id": "INV-9", "tax_amount": "2.5"}),
        )
        .await;
    assert_eq!(sale.json["response_code"], 101, "{}", sale.text);
    assert!(sale.json.get("masked_card_number").is_none());
    let id = sale.json["transaction_id"].as_u64().unwrap();

    let export = pt
        .call(
            "/v1/transactions/export/by_date_range",
            json!({"start_date": "05/01/2024", "end_date": "05/01/2024"}),
        )
        .await;
    assert_eq!(export.status, 200, "{}", export.text);
    assert_eq!(export.json["response_code"], 1);
    assert_eq!(
        export.json["status_message"],
        "Your request has been successfully completed."
    );
    let list = export.json["transactions"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    let rec = &list[0];
    assert_eq!(rec["transaction_id"], id);
    assert_eq!(rec["transaction_type"], "SALE");
    assert_eq!(rec["customer_id"], "cust-42");
    assert_eq!(rec["invoice_id"], "INV-9");
    assert_eq!(rec["credit_card"]["masked_number"], "************1111");
    assert_eq!(rec["credit_card"]["expiration_month"], "03");
    assert_eq!(rec["credit_card"]["expiration_year"], "28");
    assert_eq!(rec["tax_amount"], "2.50");
    assert_eq!(rec["billing_address"]["name"], "Ann Lee");
    assert_eq!(rec["created"]["through"], "API");
    assert_eq!(rec["created"]["at"], "5/1/2024 11:00:00 AM");
    assert_eq!(rec["created"]["by"], DEFAULT_USERNAME);
    assert_eq!(rec["created"]["from_ip"], "127.0.0.1");
    assert_eq!(rec["settled"], "");
    // Amount is a 2-decimal JSON number; tax_amount a string.
    assert!(export.text.contains("\"amount\":25.00"), "{}", export.text);
    assert!(export.text.contains("\"tax_amount\":\"2.50\""));

    // include_bin keeps the first six.
    let with_bin = pt
        .call(
            "/v1/transactions/export/by_id",
            json!({"transaction_id": id, "include_bin": true}),
        )
        .await;
    assert_eq!(
        with_bin.json["transactions"][0]["credit_card"]["masked_number"],
        "411111******1111"
    );

    // Filters.
    for (filter, expected) in [
        (json!({"customer_id": "cust-42"}), 1),
        (json!({"customer_id": "other"}), 0),
        (json!({"transaction_type": "SALE"}), 1),
        (json!({"transaction_type": "REFUND"}), 0),
        (json!({"transaction_type": "PENDING"}), 1),
        (json!({"invoice_id": "INV-9"}), 1),
        (json!({"invoice_id": "INV-8"}), 0),
        (json!({"including_text": "ann lee"}), 1),
        (json!({"transaction_id": id}), 1),
    ] {
        let mut body = filter.clone();
        body["start_date"] = json!("04/30/2024");
        body["end_date"] = json!("05/02/2024");
        let r = pt.call("/v1/transactions/export/by_date_range", body).await;
        assert_eq!(
            r.json["transactions"].as_array().unwrap().len(),
            expected,
            "filter {filter}: {}",
            r.text
        );
    }
    // Outside the range.
    let r = pt
        .call(
            "/v1/transactions/export/by_date_range",
            json!({"start_date": "05/02/2024", "end_date": "05/31/2024"}),
        )
        .await;
    assert_eq!(r.json["transactions"].as_array().unwrap().len(), 0);
    let bad = pt
        .call(
            "/v1/transactions/export/by_date_range",
            json!({"start_date": "2024-05-01", "end_date": "05/31/2024"}),
        )
        .await;
    assert_errors(&bad, &["50"]);

    let customers = pt.call("/v1/customer/export", json!({})).await;
    let c = &customers.json["customers"][0];
    assert_eq!(c["customer_id"], "cust-42");
    assert_eq!(c["credit_card"]["masked_number"], "************1111");
    assert_eq!(c["email"], "ann@example.com");
    pt.assert_never_echoed(&[test_cards::VISA_GENERIC]);
}

#[tokio::test]
async fn declines_are_http_200_with_code_102() {
    let config = frozen_config().decline(DeclineRule::card(
        test_cards::DISCOVER,
        "    DECLINE - Do not honor",
    ));
    let pt = Pt::start_with(config).await;
    let r = pt.keyed_sale("0.29", test_cards::VISA, "D1").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["success"], false);
    assert_eq!(r.json["response_code"], 102);
    assert_eq!(
        r.json["status_message"],
        "Your transaction was not approved."
    );
    assert_eq!(
        r.json["approval_message"],
        "    DECLINE - Insufficient funds"
    );
    assert_eq!(r.json["approval_code"], "");
    assert_eq!(r.json["avs_response"], "Full Exact Match");
    assert_eq!(r.json["csc_response"], "Match");
    assert!(r.json.get("errors").is_none());
    let id = r.json["transaction_id"]
        .as_u64()
        .expect("declines are recorded");

    let by_card = pt.keyed_sale("10.00", test_cards::DISCOVER, "D2").await;
    assert_eq!(by_card.json["response_code"], 102);
    assert_eq!(
        by_card.json["approval_message"],
        "    DECLINE - Do not honor"
    );
    let fine = pt.keyed_sale("10.00", test_cards::VISA, "D3").await;
    assert_eq!(fine.json["response_code"], 101);

    let rec = pt.export_by_id(id).await;
    assert_eq!(rec["status_code"], "N");
    assert_eq!(rec["status_message"], "Declined");
    let declined = pt
        .call(
            "/v1/transactions/export/by_date_range",
            json!({"start_date": "05/01/2024", "end_date": "05/01/2024", "transaction_type": "DECLINED"}),
        )
        .await;
    assert_eq!(declined.json["transactions"].as_array().unwrap().len(), 2);

    // Declines cannot be voided or settled.
    let v = pt
        .call("/v1/transactions/void", json!({"transaction_id": id}))
        .await;
    assert_errors(&v, &["818"]);

    // An expired card declines too.
    let expired = pt
        .call(
            "/v1/transactions/sale/keyed",
            json!({"amount": 5, "credit_card": {"number": test_cards::VISA, "expiration_month": "01", "expiration_year": "2024"}}),
        )
        .await;
    assert_eq!(expired.json["response_code"], 102, "{}", expired.text);
    assert_eq!(
        expired.json["approval_message"],
        "EXPIRED CARD - Expired card"
    );
}

#[tokio::test]
async fn void_after_settlement_is_818_and_refund_before_is_817() {
    let pt = Pt::start().await;
    let a = pt.keyed_sale("12.00", test_cards::VISA, "S1").await;
    let a = a.json["transaction_id"].as_u64().unwrap();
    let b = pt.keyed_sale("13.00", test_cards::VISA, "S2").await;
    let b = b.json["transaction_id"].as_u64().unwrap();

    let refund = pt
        .call(
            "/v1/transactions/refund/for_transaction",
            json!({"transaction_id": b}),
        )
        .await;
    assert_errors(&refund, &["817"]);

    let batch = pt.sb.emulator().force_settle().expect("a batch");
    let void = pt
        .call("/v1/transactions/void", json!({"transaction_id": a}))
        .await;
    assert_errors(&void, &["818"]);
    assert_eq!(
        pt.sb.emulator().transaction(a).unwrap().status,
        TransactionStatus::Settled
    );
    let refund = pt
        .call(
            "/v1/transactions/refund/for_transaction",
            json!({"transaction_id": b}),
        )
        .await;
    assert_eq!(refund.json["response_code"], 106, "{}", refund.text);
    assert_eq!(pt.sb.emulator().batches()[0].number, batch);
    assert_eq!(pt.sb.emulator().batches()[0].transaction_ids, vec![a, b]);
}

#[tokio::test]
async fn duplicate_window_rejects_identical_second_sale() {
    let config = frozen_config().duplicate_window(Duration::from_secs(120));
    let pt = Pt::start_with(config).await;
    let first = pt.keyed_sale("40.00", test_cards::VISA, "DUP-1").await;
    assert_eq!(first.json["response_code"], 101);
    let second = pt.keyed_sale("40.00", test_cards::VISA, "DUP-1").await;
    assert_errors(&second, &["819"]);
    assert_eq!(pt.sb.emulator().transactions().len(), 1);

    // Different invoice, amount or card: not a duplicate.
    assert_eq!(
        pt.keyed_sale("40.00", test_cards::VISA, "DUP-2").await.json["response_code"],
        101
    );
    assert_eq!(
        pt.keyed_sale("40.01", test_cards::VISA, "DUP-1").await.json["response_code"],
        101
    );
    assert_eq!(
        pt.keyed_sale("40.00", test_cards::MASTERCARD, "DUP-1")
            .await
            .json["response_code"],
        101
    );
    // After the window, the same sale goes through.
    pt.sb.emulator().clock().advance(TimeDelta::seconds(121));
    let later = pt.keyed_sale("40.00", test_cards::VISA, "DUP-1").await;
    assert_eq!(later.json["response_code"], 101, "{}", later.text);
}

#[tokio::test]
async fn window_off_by_default() {
    let pt = Pt::start().await;
    assert_eq!(
        pt.keyed_sale("7.00", test_cards::VISA, "X").await.json["response_code"],
        101
    );
    assert_eq!(
        pt.keyed_sale("7.00", test_cards::VISA, "X").await.json["response_code"],
        101
    );
}
