#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! PayTrace validation, authentication and malformed-input behaviour over real HTTP.

mod common;

use std::time::Duration;

use chrono::TimeDelta;
use common::{Pt, assert_errors, frozen_config};
use sandbox::paytrace::{Address, DEFAULT_PASSWORD, DEFAULT_USERNAME, TestCard, test_cards};
use serde_json::{Value, json};

#[tokio::test]
async fn keyed_sale_reports_every_failing_field_at_once() {
    let pt = Pt::start().await;
    let r = pt
        .call(
            "/v1/transactions/sale/keyed",
            json!({
                "amount": "10.001",
                "credit_card": {"number": "4111111111111112", "expiration_month": "13", "expiration_year": "203"},
                "csc": "12",
                "email": "not-an-email",
            }),
        )
        .await;
    assert_errors(&r, &["35", "41", "43", "44", "48", "49"]);
    assert_eq!(r.json["status_message"], "One or more errors has occurred.");
    assert_eq!(
        r.json["errors"]["35"][0],
        "Please provide a valid Credit Card Number."
    );
    assert_eq!(r.json["external_transaction_id"], "");
    assert!(pt.sb.emulator().transactions().is_empty());

    // Each amount form.
    for (amount, ok) in [
        (json!("1.00"), true),
        (json!(51.88), true),
        (json!(3), true),
        (json!("0"), false),
        (json!(-5), false),
        (json!("abc"), false),
        (json!({"v": 1}), false),
        (Value::Null, false),
    ] {
        let r = pt
            .call(
                "/v1/transactions/sale/keyed",
                json!({"amount": amount, "credit_card": {"number": test_cards::AMEX, "expiration_month": "1", "expiration_year": "30"}}),
            )
            .await;
        if ok {
            assert_eq!(r.json["response_code"], 101, "{amount}: {}", r.text);
            assert_eq!(r.json["masked_card_number"], "xxxxxxxxxxx2376");
        } else {
            assert_errors(&r, &["41"]);
        }
    }
    // No credit_card at all.
    let r = pt
        .call("/v1/transactions/sale/keyed", json!({"amount": 1}))
        .await;
    assert_errors(&r, &["35", "43", "44"]);
}

#[tokio::test]
async fn id_and_lookup_codes() {
    let pt = Pt::start().await;
    let r = pt
        .call("/v1/transactions/void", json!({"transaction_id": "abc"}))
        .await;
    assert_errors(&r, &["58"]);
    let r = pt.call("/v1/transactions/void", json!({})).await;
    assert_errors(&r, &["58"]);
    let r = pt
        .call("/v1/transactions/void", json!({"transaction_id": 999}))
        .await;
    assert_errors(&r, &["811"]);
    let r = pt
        .call(
            "/v1/transactions/export/by_id",
            json!({"transaction_id": 999}),
        )
        .await;
    assert_errors(&r, &["811"]);

    // Capture of a sale: 816.
    let sale = pt.keyed_sale("5.00", test_cards::VISA, "I").await;
    let id = sale.json["transaction_id"].as_u64().unwrap();
    let r = pt
        .call(
            "/v1/transactions/authorization/capture",
            json!({"transaction_id": id}),
        )
        .await;
    assert_errors(&r, &["816"]);

    // Customers: 30 unknown, 171 duplicate.
    let r = pt
        .call(
            "/v1/transactions/sale/by_customer",
            json!({"amount": 1, "customer_id": "nobody"}),
        )
        .await;
    assert_errors(&r, &["30"]);
    pt.sb
        .emulator()
        .seed_customer("dup", &TestCard::visa(), Address::default())
        .unwrap();
    let r = pt
        .call(
            "/v1/customer/create",
            json!({"customer_id": "dup", "credit_card": {"number": test_cards::VISA, "expiration_month": 1, "expiration_year": 2030}}),
        )
        .await;
    assert_errors(&r, &["171"]);
    let r = pt
        .call("/v1/customer/delete", json!({"customer_id": "ghost"}))
        .await;
    assert_errors(&r, &["30"]);

    // Checks: 45, 46, 80.
    let r = pt
        .call(
            "/v1/checks/sale/by_account",
            json!({"amount": 10, "check": {"account_number": "12", "routing_number": "123456789"}}),
        )
        .await;
    assert_errors(&r, &["45", "46"]);
    let r = pt
        .call(
            "/v1/checks/manage/void",
            json!({"check_transaction_id": 77}),
        )
        .await;
    assert_errors(&r, &["80"]);
    let r = pt
        .call(
            "/v1/checks/manage/void",
            json!({"check_transaction_id": "x"}),
        )
        .await;
    assert_errors(&r, &["80"]);

    // Protect tokens: 961 for unknown, reused or wrong key.
    let r = pt
        .call(
            "/v1/transactions/sale/pt_protect",
            json!({"amount": 1, "hpf_token": "nope", "enc_key": "k"}),
        )
        .await;
    assert_errors(&r, &["961"]);
    let tok = pt
        .sb
        .emulator()
        .create_hpf_token(&TestCard::visa())
        .unwrap();
    let wrong = pt
        .call(
            "/v1/transactions/sale/pt_protect",
            json!({"amount": 1, "hpf_token": tok.hpf_token, "enc_key": "wrong"}),
        )
        .await;
    assert_errors(&wrong, &["961"]);
    let body = json!({"amount": 1, "hpf_token": tok.hpf_token, "enc_key": tok.enc_key});
    let first = pt
        .call("/v1/transactions/sale/pt_protect", body.clone())
        .await;
    assert_eq!(first.json["response_code"], 101, "{}", first.text);
    assert!(first.json.get("masked_card_number").is_none());
    let reuse = pt.call("/v1/transactions/sale/pt_protect", body).await;
    assert_errors(&reuse, &["961"]);
}

#[tokio::test]
async fn integrator_id_missing_or_invalid() {
    let pt = Pt::start().await;
    let body = json!({"amount": 1, "credit_card": {"number": test_cards::VISA, "expiration_month": 1, "expiration_year": 2030}});
    let r = pt
        .post_raw("/v1/transactions/sale/keyed", body.clone())
        .await;
    assert_errors(&r, &["970"]);
    assert_eq!(
        r.json["errors"]["970"][0],
        "Param is missing or the value is empty: integrator_id"
    );
    let mut wrong = body.clone();
    wrong["integrator_id"] = json!("9999WRONG");
    let r = pt.post_raw("/v1/transactions/sale/keyed", wrong).await;
    assert_errors(&r, &["971"]);
    assert_eq!(
        r.json["errors"]["971"][0],
        "Please provide a valid integrator_id."
    );
    let mut long = body.clone();
    long["integrator_id"] = json!("9999SANDBOX1X");
    assert_errors(
        &pt.post_raw("/v1/transactions/sale/keyed", long).await,
        &["971"],
    );
    let mut empty = body;
    empty["integrator_id"] = json!("");
    assert_errors(
        &pt.post_raw("/v1/transactions/sale/keyed", empty).await,
        &["970"],
    );
    // Enforced on exports and vault too.
    assert_errors(
        &pt.post_raw("/v1/customer/export", json!({})).await,
        &["970"],
    );
    assert_errors(
        &pt.post_raw("/v1/transactions/settle", json!({})).await,
        &["970"],
    );
    assert!(pt.sb.emulator().transactions().is_empty());
}

#[tokio::test]
async fn expired_and_missing_tokens_get_401_invalid_token() {
    let pt = Pt::start().await;
    let ok = pt.call("/v1/customer/export", json!({})).await;
    assert_eq!(ok.status, 200);

    pt.sb.emulator().clock().advance(TimeDelta::seconds(7200));
    let r = pt.call("/v1/customer/export", json!({})).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.json["error"], "invalid_token");
    assert_eq!(r.json["error_description"], "The access token expired");
    let www = r.headers["www-authenticate"].to_str().unwrap();
    assert!(www.contains("invalid_token"), "{www}");

    // A fresh token works again.
    let fresh = pt.fetch_token().await;
    let r = pt
        .http
        .post(pt.url("/v1/customer/export"))
        .bearer_auth(&fresh)
        .json(&json!({"integrator_id": sandbox::paytrace::DEFAULT_INTEGRATOR_ID}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // No token, garbage token.
    let r = pt
        .http
        .post(pt.url("/v1/customer/export"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "invalid_token");
    let r = pt
        .http
        .post(pt.url("/v1/customer/export"))
        .bearer_auth("a:b:c")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(pt.sb.emulator().tokens_issued(), 2);
}

#[tokio::test]
async fn short_token_lifetime_expires_in_real_time() {
    let config =
        sandbox::paytrace::PayTraceConfig::default().token_lifetime(Duration::from_secs(2));
    let pt = Pt::start_with(config).await;
    let r = pt.call("/v1/customer/export", json!({})).await;
    assert_eq!(r.status, 200);
    let tok: Value = pt
        .http
        .post(pt.url("/oauth/token"))
        .body(format!(
            "grant_type=password&username={DEFAULT_USERNAME}&password={DEFAULT_PASSWORD}"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tok["expires_in"], 2);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = pt.call("/v1/customer/export", json!({})).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json["error"], "invalid_token");
}

#[tokio::test]
async fn token_endpoint_accepts_form_and_json_and_rejects_bad_grants() {
    let pt = Pt::start().await;
    let url = pt.url("/oauth/token");
    let r = pt
        .http
        .post(&url)
        .json(&json!({"grant_type": "password", "username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["token_type"], "bearer");
    assert_eq!(v["expires_in"], 7200);
    assert_eq!(v["created_at"], common::t0().timestamp());
    let tok = v["access_token"].as_str().unwrap();
    assert_eq!(tok.split(':').count(), 3);
    assert!(
        tok.split(':')
            .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
    );

    let r = pt
        .http
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=password&username={DEFAULT_USERNAME}&password=wrong"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "invalid_grant");
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .starts_with("The provided authorization grant is invalid")
    );

    let r = pt
        .http
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&client_id=a&client_secret=b")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );

    let r = pt
        .http
        .post(&url)
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
    assert_eq!(pt.sb.emulator().tokens_issued(), 2);

    // Ping needs no token.
    let r = pt.http.get(pt.url("/v1/ping")).send().await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "success");
}

#[tokio::test]
async fn malformed_bodies_never_panic_the_server() {
    let pt = Pt::start().await;
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let bodies: Vec<Vec<u8>> = vec![
        b"{".to_vec(),
        b"[1,2,3]".to_vec(),
        b"\"just a string\"".to_vec(),
        b"null".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x7b],
        deep.into_bytes(),
        br#"{"amount": 1e400}"#.to_vec(),
    ];
    for body in bodies {
        let r = pt
            .post_bytes("/v1/transactions/sale/keyed", body.clone())
            .await;
        assert_eq!(
            r.status,
            400,
            "{:?}: {}",
            String::from_utf8_lossy(&body[..body.len().min(20)]),
            r.text
        );
        assert_eq!(r.json["success"], false);
        assert_eq!(r.json["response_code"], 1);
        assert!(r.json["errors"].is_object());
    }
    // Wrong types in every field of every kind of endpoint: a PayTrace error, never a 500.
    let weird = json!({
        "integrator_id": sandbox::paytrace::DEFAULT_INTEGRATOR_ID,
        "amount": [1], "credit_card": "4111", "csc": {"a": 1}, "transaction_id": [1],
        "customer_id": {"x": 1}, "billing_address": 5, "check": [], "recurrence": "r",
        "start_date": 5, "end_date": true, "batch_number": -1, "hpf_token": 1, "enc_key": [],
        "check_transaction_id": 1.5, "line_items": "x", "swipe": 7, "email": 3,
        "discretionary_data": [1], "tax_amount": "x", "new_id": {}, "include_bin": "maybe",
    });
    let paths = [
        "/v1/transactions/sale/keyed",
        "/v1/transactions/sale/swiped",
        "/v1/transactions/sale/by_customer",
        "/v1/transactions/sale/by_transaction",
        "/v1/transactions/sale/pt_protect",
        "/v1/transactions/sale/pt_protect_customer",
        "/v1/transactions/authorization/keyed",
        "/v1/transactions/authorization/capture",
        "/v1/transactions/void",
        "/v1/transactions/adjust",
        "/v1/transactions/email_receipt",
        "/v1/level_three/visa",
        "/v1/level_three/mastercard",
        "/v1/transactions/refund/for_transaction",
        "/v1/transactions/refund/keyed",
        "/v1/transactions/refund/to_customer",
        "/v1/checks/sale/by_account",
        "/v1/checks/hold/by_customer",
        "/v1/checks/refund/by_transaction",
        "/v1/checks/manage/fund",
        "/v1/customer/create",
        "/v1/customer/create_from_transaction",
        "/v1/customer/pt_protect_create",
        "/v1/customer/update",
        "/v1/customer/pt_protect_update",
        "/v1/customer/delete",
        "/v1/customer/export",
        "/v1/recurrence/create",
        "/v1/recurrence/update",
        "/v1/recurrence/delete",
        "/v1/recurrence/export_approved",
        "/v1/transactions/export/by_id",
        "/v1/transactions/export/by_date_range",
        "/v1/batches/export_one",
        "/v1/batches/export",
        "/v1/batches/transaction_list",
        "/v1/payment_fields/token/create",
        "/v1/transactions/settle",
    ];
    for path in paths {
        let r = pt.post_raw(path, weird.clone()).await;
        assert!(
            r.status == 200 || r.status == 400,
            "{path}: {} {}",
            r.status,
            r.text
        );
        assert!(r.json.is_object(), "{path}: {}", r.text);
    }
    // Still alive and consistent.
    let r = pt.keyed_sale("1.00", test_cards::VISA, "alive").await;
    assert_eq!(r.json["response_code"], 101);
    // Unknown route: JSON 404, wrong method: 405.
    let r = pt.post_raw("/v1/nope", json!({})).await;
    assert_eq!(r.status, 404);
    let r = pt
        .http
        .get(pt.url("/v1/transactions/sale/keyed"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
}

#[tokio::test]
async fn require_invoice_and_csc_settings() {
    let config = frozen_config().require_invoice(true).require_csc(true);
    let pt = Pt::start_with(config).await;
    let r = pt
        .call(
            "/v1/transactions/sale/keyed",
            json!({"amount": 1, "credit_card": {"number": test_cards::VISA, "expiration_month": 1, "expiration_year": 2030}}),
        )
        .await;
    assert_errors(&r, &["47", "48"]);
    let ok = pt.keyed_sale("1.00", test_cards::VISA, "INV").await;
    assert_eq!(ok.json["response_code"], 101);
    // Turned off at runtime.
    pt.sb.emulator().update_config(|c| {
        c.require_invoice = false;
        c.require_csc = false;
    });
    let r = pt
        .call(
            "/v1/transactions/sale/keyed",
            json!({"amount": 1, "credit_card": {"number": test_cards::VISA, "expiration_month": 1, "expiration_year": 2030}}),
        )
        .await;
    assert_eq!(r.json["response_code"], 101, "{}", r.text);
    assert_eq!(r.json["csc_response"], "Not Processed");
}
