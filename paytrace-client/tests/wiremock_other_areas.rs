//! ACH, vault, recurrence, export, batch, Protect and raw endpoints against wiremock: exact
//! path, bearer token, JSON body with `integrator_id`, documented answers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{NaiveDate, TimeZone, Utc};
use common::*;
use futures::TryStreamExt;
use paytrace_client::{
    Amount, BankAccount, Card, CheckPayment, CheckRefund, CheckTransactionId, CreateCustomer,
    CreateCustomerFromTransaction, CustomerPayment, Frequency, NewRecurrence,
    ProtectCreateCustomer, ProtectToken, RecurrenceId, RecurrenceUpdate, ResponseCode,
    TransactionFilter, TransactionId, TransactionQuery, UpdateCustomer,
};
use serde_json::{Value, json};

fn amount(text: &str) -> Amount {
    Amount::parse(text).unwrap()
}

fn check_answer(code: u32, id: u64) -> Value {
    json!({
        "success": true, "response_code": code,
        "status_message": "Your check was successfully processed.",
        "check_transaction_id": id, "ach_code": 0, "ach_message": "Success",
        "external_transaction_id": ""
    })
}

fn account_json() -> Value {
    json!({"account_number": "000123456789", "routing_number": "021000021"})
}

#[tokio::test]
async fn ach_endpoints() {
    let server = server().await;
    let by_account = json!({"amount": "25.00", "check": account_json(), "invoice_id": "INV-A"});
    let by_customer = json!({"amount": "30.00", "customer_id": "cust-ach"});
    for kind in ["sale", "hold"] {
        expect_call(
            &server,
            &format!("/v1/checks/{kind}/by_account"),
            by_account.clone(),
            check_answer(120, 501),
        )
        .await;
        expect_call(
            &server,
            &format!("/v1/checks/{kind}/by_customer"),
            by_customer.clone(),
            check_answer(120, 502),
        )
        .await;
    }
    expect_call(
        &server,
        "/v1/checks/refund/by_transaction",
        json!({"check_transaction_id": 501, "amount": "5.00"}),
        check_answer(122, 503),
    )
    .await;
    expect_call(
        &server,
        "/v1/checks/refund/by_account",
        by_account.clone(),
        check_answer(122, 504),
    )
    .await;
    expect_call(
        &server,
        "/v1/checks/manage/fund",
        json!({"check_transaction_id": 502}),
        check_answer(124, 502),
    )
    .await;
    expect_call(
        &server,
        "/v1/checks/manage/void",
        json!({"check_transaction_id": 501}),
        check_answer(124, 501),
    )
    .await;
    mount_catch_all(&server).await;

    let client = client(&server);
    let checks = client.checks();
    let payment = CheckPayment::new(
        amount("25"),
        BankAccount::new("000123456789", "021000021").unwrap(),
    )
    .invoice_id("INV-A");
    let from_profile = CustomerPayment::new(amount("30"), "cust-ach");
    let sale = checks.sale_by_account(&payment).await.unwrap();
    assert!(sale.is_approved());
    assert_eq!(sale.check_transaction_id, Some(CheckTransactionId(501)));
    assert_eq!(sale.ach_code.as_deref(), Some("0"));
    assert_eq!(sale.ach_message.as_deref(), Some("Success"));
    assert!(
        checks
            .sale_by_customer(&from_profile)
            .await
            .unwrap()
            .is_approved()
    );
    assert!(
        checks
            .hold_by_account(&payment)
            .await
            .unwrap()
            .is_approved()
    );
    assert!(
        checks
            .hold_by_customer(&from_profile)
            .await
            .unwrap()
            .is_approved()
    );
    let refund = checks
        .refund_by_transaction(&CheckRefund::partial(CheckTransactionId(501), amount("5")))
        .await
        .unwrap();
    assert_eq!(refund.response_code, ResponseCode::CheckRefunded);
    assert!(
        checks
            .refund_by_account(&payment)
            .await
            .unwrap()
            .is_approved()
    );
    assert_eq!(
        checks
            .fund(CheckTransactionId(502))
            .await
            .unwrap()
            .response_code,
        ResponseCode::CheckManaged
    );
    assert_eq!(
        checks
            .void(CheckTransactionId(501))
            .await
            .unwrap()
            .response_code,
        ResponseCode::CheckManaged
    );
}

#[tokio::test]
async fn vault_endpoints() {
    let server = server().await;
    let created = |id: &str| {
        json!({
            "success": true, "response_code": 160,
            "status_message": format!("The customer profile for {id}/Jane Doe was successfully created."),
            "customer_id": id, "masked_card_number": "xxxxxxxxxxxx0057"
        })
    };
    expect_call(&server, "/v1/customer/create", json!({
        "customer_id": "cust-1",
        "credit_card": {"number": "5499740000000057", "expiration_month": "01", "expiration_year": "2031"},
        "billing_address": {"name": "Jane Doe", "zip": "99201"},
        "email": "jane@example.com", "phone": "509-555-0100"
    }), created("cust-1")).await;
    expect_call(&server, "/v1/customer/create_from_transaction", json!({"customer_id": "cust-2", "transaction_id": 77}), json!({
        "success": true, "response_code": 160, "status_message": "created", "customer_id": "cust-2"
    })).await;
    expect_call(
        &server,
        "/v1/customer/pt_protect_create",
        json!({"customer_id": "", "hpf_token": "hpf", "enc_key": "enc"}),
        created("1002003"),
    )
    .await;
    expect_call(&server, "/v1/customer/update", json!({"customer_id": "cust-1", "new_id": "cust-1b", "email": "new@example.com"}), json!({
        "success": true, "response_code": 161, "status_message": "updated", "customer_id": "cust-1b", "masked_card_number": "xxxxxxxxxxxx0057"
    })).await;
    expect_call(&server, "/v1/customer/pt_protect_update", json!({"customer_id": "cust-1b", "hpf_token": "hpf2", "enc_key": "enc2"}), json!({
        "success": true, "response_code": 161, "status_message": "updated", "customer_id": "cust-1b"
    })).await;
    expect_call(&server, "/v1/customer/delete", json!({"customer_id": "cust-2"}), json!({
        "success": true, "response_code": 162, "status_message": "deleted", "customer_id": "cust-2"
    })).await;
    expect_call(&server, "/v1/customer/export", json!({"customer_id": "cust-1b"}), json!({
        "success": true, "response_code": 1, "status_message": "Your request has been successfully completed.",
        "customers": [{
            "customer_id": "cust-1b",
            "credit_card": {"masked_number": "************0057", "expiration_month": "01", "expiration_year": "31"},
            "billing_address": {"name": "Jane Doe", "street_address": "", "city": "", "state": "", "zip": "99201", "country": "US"},
            "email": "new@example.com", "phone": "", "fax": "", "discretionary_data": {}
        }]
    })).await;
    mount_catch_all(&server).await;

    let client = client(&server);
    let customers = client.customers();
    let card = Card::new("5499740000000057", 1, 2031).unwrap();
    let create = CreateCustomer::with_card("cust-1", card)
        .billing_address(paytrace_client::Address {
            name: Some("Jane Doe".into()),
            zip: Some("99201".into()),
            ..Default::default()
        })
        .email("jane@example.com")
        .phone("509-555-0100");
    let answer = customers.create(&create).await.unwrap();
    assert_eq!(answer.response_code, ResponseCode::CustomerCreated);
    assert_eq!(
        answer.masked_card_number.as_deref(),
        Some("xxxxxxxxxxxx0057")
    );
    customers
        .create_from_transaction(&CreateCustomerFromTransaction::new(
            "cust-2",
            TransactionId(77),
        ))
        .await
        .unwrap();
    let assigned = customers
        .create_pt_protect(&ProtectCreateCustomer::new(ProtectToken::new("hpf", "enc")))
        .await
        .unwrap();
    assert_eq!(assigned.customer_id.as_deref(), Some("1002003"));
    let updated = customers
        .update(
            &UpdateCustomer::new("cust-1")
                .new_id("cust-1b")
                .email("new@example.com"),
        )
        .await
        .unwrap();
    assert_eq!(updated.response_code, ResponseCode::CustomerUpdated);
    customers
        .update_pt_protect("cust-1b", &ProtectToken::new("hpf2", "enc2"))
        .await
        .unwrap();
    assert_eq!(
        customers.delete("cust-2").await.unwrap().response_code,
        ResponseCode::CustomerDeleted
    );
    let exported = customers.export(Some("cust-1b")).await.unwrap();
    assert_eq!(exported.len(), 1);
    assert_eq!(exported[0].customer_id.as_deref(), Some("cust-1b"));
    assert_eq!(
        exported[0]
            .credit_card
            .as_ref()
            .unwrap()
            .last_four()
            .unwrap()
            .as_str(),
        "0057"
    );
    assert_eq!(exported[0].phone, None);
}

#[tokio::test]
async fn recurrence_endpoints() {
    let server = server().await;
    expect_call(&server, "/v1/recurrence/create", json!({"recurrence": {
        "customer_id": "cust-1", "start_date": "07/01/2026", "frequency": "3", "total_count": 12,
        "amount": "9.99", "description": "Gold plan", "transaction_type": "Sale"
    }}), json!({"success": true, "response_code": 150, "status_message": "created", "recurrence": {"id": 321, "customer_id": "cust-1"}})).await;
    expect_call(
        &server,
        "/v1/recurrence/update",
        json!({"recurrence": {"id": 321, "total_count": 24}}),
        json!({
            "success": true, "response_code": 151, "status_message": "updated"
        }),
    )
    .await;
    expect_call(
        &server,
        "/v1/recurrence/delete",
        json!({"recurrence": {"id": 321}}),
        json!({
            "success": true, "response_code": 152, "status_message": "deleted"
        }),
    )
    .await;
    expect_call(
        &server,
        "/v1/recurrence/export_approved",
        json!({"customer_id": "cust-1"}),
        export_body(vec![export_record(9001, "", "GB12")]),
    )
    .await;
    mount_catch_all(&server).await;

    let client = client(&server);
    let recurrence = client.recurrence();
    let start = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
    let created = recurrence
        .create(
            &NewRecurrence::new("cust-1", amount("9.99"), Frequency::Monthly, start, 12)
                .description("Gold plan"),
        )
        .await
        .unwrap();
    assert_eq!(created.response_code, ResponseCode::RecurrenceCreated);
    let id = created.recurrence.unwrap().id.unwrap();
    assert_eq!(id, RecurrenceId(321));
    let mut update = RecurrenceUpdate::new(id);
    update.total_count = Some(24);
    assert_eq!(
        recurrence.update(&update).await.unwrap().response_code,
        ResponseCode::RecurrenceUpdated
    );
    assert_eq!(
        recurrence.delete(id).await.unwrap().response_code,
        ResponseCode::RecurrenceDeleted
    );
    let approved = recurrence.export_approved("cust-1").await.unwrap();
    assert_eq!(approved[0].transaction_id, TransactionId(9001));
}

#[tokio::test]
async fn export_batch_protect_and_raw_endpoints() {
    let server = server().await;
    expect_call(
        &server,
        "/v1/transactions/export/by_id",
        json!({"transaction_id": 1143, "include_bin": true}),
        export_body(vec![export_record(1143, "INV-1", "GB571")]),
    )
    .await;
    expect_call(&server, "/v1/transactions/export/by_date_range", json!({
        "start_date": "03/01/2026", "end_date": "03/02/2026", "transaction_type": "SETTLED", "customer_id": "cust-1"
    }), export_body(vec![export_record(1, "A", "GB1"), export_record(2, "B", "GB1")])).await;
    for day in ["03/03/2026", "03/04/2026"] {
        expect_call(
            &server,
            "/v1/transactions/export/by_date_range",
            json!({"start_date": day, "end_date": day}),
            export_body(vec![export_record(3, day, "Y")]),
        )
        .await;
    }
    expect_call(&server, "/v1/batches/export_one", json!({}), json!({
        "success": true, "response_code": 1, "status_message": "Your request has been successfully completed.",
        "batch": {"number": 571, "transaction_count": 2, "net_amount": 4.0}
    })).await;
    expect_call(&server, "/v1/batches/export", json!({"start_date": "03/01/2026", "end_date": "03/31/2026"}), json!({
        "success": true, "response_code": 1, "status_message": "ok", "batches": [{"number": "570"}, {"number": 571}]
    })).await;
    expect_call(
        &server,
        "/v1/batches/transaction_list",
        json!({"batch_number": 571}),
        export_body(vec![export_record(1143, "INV-1", "GB571")]),
    )
    .await;
    expect_call(
        &server,
        "/v1/payment_fields/token/create",
        json!({}),
        json!({"clientKey": "client-key-1"}),
    )
    .await;
    expect_call(
        &server,
        "/v1/customer/export_inactive",
        json!({"days_inactive": 90}),
        json!({
            "success": true, "response_code": 1, "status_message": "ok", "customers": []
        }),
    )
    .await;
    mount_catch_all(&server).await;

    let client = client(&server);
    let d = |day| NaiveDate::from_ymd_opt(2026, 3, day).unwrap();
    let exports = client.exports();
    let record = exports
        .by_id(TransactionId(1143), true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.invoice_id.as_deref(), Some("INV-1"));
    let query = TransactionQuery::new(d(1), d(2))
        .unwrap()
        .transaction_type(TransactionFilter::Settled)
        .customer_id("cust-1");
    assert_eq!(exports.by_date_range(&query).await.unwrap().len(), 2);
    let streamed: Vec<_> = exports
        .stream(&TransactionQuery::new(d(3), d(4)).unwrap())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed.len(), 2);
    let batches = client.batches();
    let latest = batches.export_one(None).await.unwrap().unwrap();
    assert_eq!(latest.number, 571);
    assert_eq!(latest.extra["transaction_count"], 2);
    let numbers: Vec<u64> = batches
        .export(d(1), d(31))
        .await
        .unwrap()
        .iter()
        .map(|b| b.number)
        .collect();
    assert_eq!(numbers, [570, 571]);
    assert_eq!(
        batches.transaction_list(571).await.unwrap()[0].transaction_id,
        TransactionId(1143)
    );
    assert_eq!(
        client.protect().client_key().await.unwrap().client_key,
        "client-key-1"
    );
    let raw: Value = client
        .raw()
        .post_idempotent(
            "/v1/customer/export_inactive",
            &json!({"days_inactive": 90, "integrator_id": "ignored"}),
        )
        .await
        .unwrap();
    assert_eq!(raw["customers"], json!([]));
    let bad = client
        .raw()
        .post::<Value>("/v1/x", &json!([1, 2]))
        .await
        .unwrap_err();
    assert_eq!(bad.attempts(), 0);
    let outside = client
        .raw()
        .post::<Value>("https://elsewhere.example/v1/x", &json!({}))
        .await
        .unwrap_err();
    assert_eq!(outside.kind(), mapping::retry::ErrorKind::Validation);
}

#[tokio::test]
async fn find_by_invoice_searches_a_day_either_side_and_matches_exactly() {
    let server = server().await;
    let around = Utc.with_ymd_and_hms(2026, 3, 10, 2, 30, 0).unwrap();
    let days = [
        (
            "03/09/2026",
            vec![
                export_record(1, "INV-10", "N"),
                export_record(2, "INV-100", "Y"),
            ],
        ),
        ("03/10/2026", vec![export_record(3, " INV-10 ", "Y")]),
        ("03/11/2026", vec![]),
    ];
    for (day, records) in days {
        expect_call(
            &server,
            "/v1/transactions/export/by_date_range",
            json!({"start_date": day, "end_date": day}),
            export_body(records),
        )
        .await;
    }
    mount_catch_all(&server).await;
    let found = client(&server)
        .exports()
        .find_by_invoice("INV-10", around)
        .await
        .unwrap();
    let ids: Vec<u64> = found.iter().map(|r| r.transaction_id.0).collect();
    assert_eq!(ids, [1, 3]);
}
