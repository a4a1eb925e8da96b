#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The rest of the PayTrace catalogue over real HTTP: checks, vault CRUD, recurrences,
//! Protect, level 3, adjust, receipts, batches, swiped cards, auto-void.

mod common;

use chrono::TimeDelta;
use common::{Pt, assert_errors, frozen_config};
use sandbox::paytrace::{Address, AutoVoidRule, CheckStatus, TestCard, test_cards};
use serde_json::json;

#[tokio::test]
async fn checks_sale_hold_fund_refund_void() {
    let pt = Pt::start().await;
    let check = json!({"account_number": "123456789", "routing_number": "325070760"});
    let sale = pt
        .call(
            "/v1/checks/sale/by_account",
            json!({"amount": "20.00", "check": check}),
        )
        .await;
    assert_eq!(sale.status, 200, "{}", sale.text);
    assert_eq!(sale.json["response_code"], 120);
    assert_eq!(sale.json["ach_code"], 0);
    let sale_id = sale.json["check_transaction_id"].as_u64().unwrap();

    let hold = pt
        .call(
            "/v1/checks/hold/by_account",
            json!({"amount": 5, "check": check}),
        )
        .await;
    let hold_id = hold.json["check_transaction_id"].as_u64().unwrap();
    // A sale is not held: fund fails with 125, HTTP 200.
    let bad_fund = pt
        .call(
            "/v1/checks/manage/fund",
            json!({"check_transaction_id": sale_id}),
        )
        .await;
    assert_eq!(bad_fund.status, 200);
    assert_eq!(bad_fund.json["response_code"], 125);
    assert_eq!(bad_fund.json["success"], false);
    let fund = pt
        .call(
            "/v1/checks/manage/fund",
            json!({"check_transaction_id": hold_id}),
        )
        .await;
    assert_eq!(fund.json["response_code"], 124);

    let refund = pt
        .call(
            "/v1/checks/refund/by_transaction",
            json!({"check_transaction_id": sale_id, "amount": 15}),
        )
        .await;
    assert_eq!(refund.json["response_code"], 122, "{}", refund.text);
    let over = pt
        .call(
            "/v1/checks/refund/by_transaction",
            json!({"check_transaction_id": sale_id, "amount": "5.01"}),
        )
        .await;
    assert_errors(&over, &["814"]);

    let void = pt
        .call(
            "/v1/checks/manage/void",
            json!({"check_transaction_id": hold_id}),
        )
        .await;
    assert_eq!(void.json["response_code"], 124);
    let checks = pt.sb.emulator().checks();
    assert_eq!(checks.len(), 3);
    assert_eq!(checks[1].status, CheckStatus::Voided);
    assert_eq!(checks[0].bank_account.masked(), "*****6789");

    // Vault ACH profile, then a check sale by customer.
    let c = pt
        .call(
            "/v1/customer/create",
            json!({"customer_id": "ach-1", "check": check, "billing_address": {"name": "Bo"}}),
        )
        .await;
    assert_eq!(c.json["response_code"], 160, "{}", c.text);
    let by_c = pt
        .call(
            "/v1/checks/sale/by_customer",
            json!({"amount": 3, "customer_id": "ach-1"}),
        )
        .await;
    assert_eq!(by_c.json["response_code"], 120, "{}", by_c.text);
    let no_card = pt
        .call(
            "/v1/transactions/sale/by_customer",
            json!({"amount": 3, "customer_id": "ach-1"}),
        )
        .await;
    assert_errors(&no_card, &["30"]);
    let export = pt
        .call("/v1/customer/export", json!({"customer_id": "ach-1"}))
        .await;
    assert_eq!(
        export.json["customers"][0]["check"]["masked_account_number"],
        "*****6789"
    );
    pt.assert_never_echoed(&["123456789\""]);
}

#[tokio::test]
async fn vault_update_rename_delete_and_create_from_transaction() {
    let pt = Pt::start().await;
    pt.sb
        .emulator()
        .seed_customer("v1", &TestCard::visa(), Address::default())
        .unwrap();
    pt.sb
        .emulator()
        .seed_customer("taken", &TestCard::visa(), Address::default())
        .unwrap();
    let clash = pt
        .call(
            "/v1/customer/update",
            json!({"customer_id": "v1", "new_id": "taken"}),
        )
        .await;
    assert_errors(&clash, &["171"]);
    let upd = pt
        .call(
            "/v1/customer/update",
            json!({
                "customer_id": "v1", "new_id": "v2", "email": "x@y.com",
                "credit_card": {"expiration_month": "06", "expiration_year": "2031"},
                "shipping_address": {"name": "Ship", "county": "King"},
            }),
        )
        .await;
    assert_eq!(upd.json["response_code"], 161, "{}", upd.text);
    assert_eq!(upd.json["customer_id"], "v2");
    assert_eq!(upd.json["masked_card_number"], "xxxxxxxxxxxx5439");
    let c = pt.sb.emulator().customer("v2").unwrap();
    assert_eq!(c.card.unwrap().expiration_year, 2031);
    assert!(pt.sb.emulator().customer("v1").is_none());
    let export = pt
        .call("/v1/customer/export", json!({"customer_id": "v2"}))
        .await;
    assert_eq!(
        export.json["customers"][0]["shipping_address"]["county"],
        "King"
    );
    assert_eq!(
        export.json["customers"][0]["credit_card"]["expiration_year"],
        "31"
    );

    let del = pt
        .call("/v1/customer/delete", json!({"customer_id": "v2"}))
        .await;
    assert_eq!(del.json["response_code"], 162);
    assert_eq!(del.json["customer_id"], "v2");
    assert!(pt.sb.emulator().customer("v2").is_none());

    let sale = pt.keyed_sale("9.00", test_cards::MASTERCARD, "cft").await;
    let id = sale.json["transaction_id"].as_u64().unwrap();
    let cft = pt
        .call(
            "/v1/customer/create_from_transaction",
            json!({"customer_id": "from-txn", "transaction_id": id}),
        )
        .await;
    assert_eq!(cft.json["response_code"], 160, "{}", cft.text);
    assert!(cft.json.get("masked_card_number").is_none());
    let c = pt.sb.emulator().customer("from-txn").unwrap();
    assert_eq!(c.card.unwrap().last4, "0057");
    assert_eq!(c.billing_address.name, "Jane Doe");
    // And a sale by transaction reuses the card.
    let again = pt
        .call(
            "/v1/transactions/sale/by_transaction",
            json!({"amount": 2, "transaction_id": id}),
        )
        .await;
    assert_eq!(again.json["response_code"], 101);
    assert!(again.json.get("masked_card_number").is_none());
}

#[tokio::test]
async fn protect_flows() {
    let pt = Pt::start().await;
    let key = pt
        .post_raw("/v1/payment_fields/token/create", json!({}))
        .await;
    assert_eq!(key.status, 200, "{}", key.text);
    assert!(key.json["clientKey"].as_str().unwrap().len() > 10);
    assert_eq!(key.json.as_object().unwrap().len(), 1);
    assert_eq!(pt.sb.emulator().client_keys_issued(), 1);

    let emu = pt.sb.emulator();
    let t1 = emu
        .create_hpf_token(&TestCard::visa().with_csc("123"))
        .unwrap();
    let r = pt
        .call(
            "/v1/transactions/sale/pt_protect_customer",
            json!({"amount": 4, "hpf_token": t1.hpf_token, "enc_key": t1.enc_key, "customer_id": "p1",
                   "billing_address": {"name": "P", "zip": "99201"}}),
        )
        .await;
    assert_eq!(r.json["response_code"], 165, "{}", r.text);
    assert_eq!(r.json["success"], true);
    assert_eq!(r.json["customer_id"], "p1");
    assert_eq!(r.json["csc_response"], "Match");
    assert!(emu.customer("p1").is_some());

    let t2 = emu
        .create_hpf_token(&TestCard::new(test_cards::DISCOVER, 1, 2029))
        .unwrap();
    let r = pt
        .call(
            "/v1/customer/pt_protect_create",
            json!({"customer_id": "", "hpf_token": t2.hpf_token, "enc_key": t2.enc_key}),
        )
        .await;
    assert_eq!(r.json["response_code"], 160, "{}", r.text);
    let assigned = r.json["customer_id"].as_str().unwrap();
    assert!(assigned.bytes().all(|b| b.is_ascii_digit()), "{assigned}");
    assert_eq!(r.json["masked_card_number"], "xxxxxxxxxxxx6909");

    let t3 = emu
        .create_hpf_token(&TestCard::new(test_cards::AMEX, 2, 2030))
        .unwrap();
    let r = pt
        .call(
            "/v1/customer/pt_protect_update",
            json!({"customer_id": "p1", "hpf_token": t3.hpf_token, "enc_key": t3.enc_key}),
        )
        .await;
    assert_eq!(r.json["response_code"], 161, "{}", r.text);
    assert_eq!(emu.customer("p1").unwrap().card.unwrap().last4, "2376");
    let reuse = pt
        .call(
            "/v1/customer/pt_protect_update",
            json!({"customer_id": "p1", "hpf_token": t3.hpf_token, "enc_key": t3.enc_key}),
        )
        .await;
    assert_errors(&reuse, &["961"]);
}

#[tokio::test]
async fn recurrences_run_and_export() {
    let mut pt = Pt::start().await;
    let emu = pt.sb.emulator().clone();
    emu.seed_customer("r1", &TestCard::visa(), Address::default())
        .unwrap();
    let r = pt
        .call(
            "/v1/recurrence/create",
            json!({"recurrence": {"customer_id": "r1", "start_date": "05/01/2024", "frequency": "3",
                                   "total_count": 2, "amount": "9.95", "description": "plan"}}),
        )
        .await;
    assert_eq!(r.json["response_code"], 150, "{}", r.text);
    let rid = r.json["recurrence"]["id"].as_u64().unwrap();
    assert_eq!(r.json["recurrence"]["next_date"], "05/01/2024");

    let bad = pt
        .call(
            "/v1/recurrence/create",
            json!({"recurrence": {"customer_id": "nobody", "start_date": "2024-05-01", "frequency": "Q",
                                   "total_count": 0, "amount": "x"}}),
        )
        .await;
    assert_errors(&bad, &["30", "41", "50", "52"]);

    assert_eq!(emu.run_due_recurrences().len(), 1);
    assert_eq!(
        emu.run_due_recurrences().len(),
        0,
        "not due again until June"
    );
    emu.clock().advance(TimeDelta::days(31));
    assert_eq!(emu.run_due_recurrences().len(), 1);
    emu.clock().advance(TimeDelta::days(31));
    assert_eq!(emu.run_due_recurrences().len(), 0, "total_count reached");
    pt.refresh_token().await;

    let export = pt
        .call(
            "/v1/recurrence/export_approved",
            json!({"customer_id": "r1"}),
        )
        .await;
    assert_eq!(export.json["response_code"], 155, "{}", export.text);
    let list = export.json["transactions"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["customer_id"], "r1");
    assert!(export.text.contains("\"amount\":9.95"));

    let upd = pt
        .call(
            "/v1/recurrence/update",
            json!({"recurrence": {"id": rid, "amount": 12}}),
        )
        .await;
    assert_eq!(upd.json["response_code"], 151, "{}", upd.text);
    assert!(upd.text.contains("\"amount\":12.00"));
    let del = pt
        .call("/v1/recurrence/delete", json!({"recurrence": {"id": rid}}))
        .await;
    assert_eq!(del.json["response_code"], 152);
    let gone = pt
        .call("/v1/recurrence/delete", json!({"recurrence": {"id": rid}}))
        .await;
    assert_errors(&gone, &["812"]);
}

#[tokio::test]
async fn level_three_adjust_and_email_receipt() {
    let pt = Pt::start().await;
    let visa = pt.keyed_sale("50.00", test_cards::VISA, "L3").await;
    let visa = visa.json["transaction_id"].as_u64().unwrap();
    let l3 = pt
        .call(
            "/v1/level_three/visa",
            json!({"transaction_id": visa, "tax_amount": 0, "line_items": [{"description": "a"}, {"description": "b"}]}),
        )
        .await;
    assert_eq!(l3.json["response_code"], 170, "{}", l3.text);
    assert_eq!(
        l3.json["status_message"],
        format!(
            "Visa enhanced data was successfully added to Transaction ID {visa}. 2 line item records were created."
        )
    );
    let wrong_brand = pt
        .call(
            "/v1/level_three/mastercard",
            json!({"transaction_id": visa}),
        )
        .await;
    assert_errors(&wrong_brand, &["821"]);

    let auth = pt.keyed_auth("100.00", test_cards::VISA).await;
    let auth = auth.json["transaction_id"].as_u64().unwrap();
    let up = pt
        .call(
            "/v1/transactions/adjust",
            json!({"transaction_id": auth, "amount": "130.00"}),
        )
        .await;
    assert_eq!(up.json["response_code"], 180, "{}", up.text);
    let too_much = pt
        .call(
            "/v1/transactions/adjust",
            json!({"transaction_id": auth, "amount": "130.01"}),
        )
        .await;
    assert_errors(&too_much, &["820"]);
    let sale_adjust = pt
        .call(
            "/v1/transactions/adjust",
            json!({"transaction_id": visa, "amount": 1}),
        )
        .await;
    assert_errors(&sale_adjust, &["820"]);

    let mail = pt
        .call(
            "/v1/transactions/email_receipt",
            json!({"transaction_id": visa, "email": "buyer@example.com"}),
        )
        .await;
    assert_eq!(mail.json["response_code"], 149);
    assert_eq!(
        mail.json["status_message"],
        format!(
            "The receipt for transaction ID {visa} was successfully emailed to buyer@example.com."
        )
    );
    assert_eq!(
        pt.export_by_id(visa).await["receipt_emailed_to"],
        "buyer@example.com"
    );
}

#[tokio::test]
async fn batches_export_from_state() {
    let mut pt = Pt::start().await;
    pt.keyed_sale("10.00", test_cards::VISA, "b1").await;
    pt.keyed_sale("20.00", test_cards::MASTERCARD, "b2").await;
    let s = pt.keyed_sale("5.00", test_cards::VISA, "b3").await;
    let s = s.json["transaction_id"].as_u64().unwrap();
    pt.keyed_auth("99.00", test_cards::VISA).await; // open auth: not settled
    let first = pt.call("/v1/transactions/settle", json!({})).await;
    let b1 = first.json["batch_number"].as_u64().unwrap();
    assert_eq!(first.json["transaction_count"], 3);
    pt.sb.emulator().clock().advance(TimeDelta::days(1));
    pt.refresh_token().await;
    let refund = pt
        .call(
            "/v1/transactions/refund/for_transaction",
            json!({"transaction_id": s, "amount": 2}),
        )
        .await;
    assert_eq!(refund.json["response_code"], 106);
    let b2 = pt.sb.emulator().force_settle().unwrap();
    assert_eq!(b2, b1 + 1);

    let one = pt
        .call("/v1/batches/export_one", json!({"batch_number": b1}))
        .await;
    assert_eq!(one.status, 200, "{}", one.text);
    let b = &one.json["batch"];
    assert_eq!(b["number"], b1);
    assert_eq!(b["transaction_count"], 3);
    assert_eq!(b["sales_count"], 3);
    assert_eq!(b["refund_count"], 0);
    assert!(one.text.contains("\"sales_amount\":35.00"), "{}", one.text);
    assert!(one.text.contains("\"net_amount\":35.00"));
    assert_eq!(b["settled"], "5/1/2024 11:00:00 AM");
    let brands = b["card_types"].as_array().unwrap();
    assert_eq!(brands.len(), 2);
    assert_eq!(brands[0]["card_type"], "VISA");
    assert_eq!(brands[0]["transaction_count"], 2);
    assert_eq!(brands[1]["card_type"], "MASTERCARD");

    let latest = pt.call("/v1/batches/export_one", json!({})).await;
    assert_eq!(latest.json["batch"]["number"], b2);
    assert_eq!(latest.json["batch"]["refund_count"], 1);
    assert!(
        latest.text.contains("\"net_amount\":-2.00"),
        "{}",
        latest.text
    );
    let missing = pt
        .call("/v1/batches/export_one", json!({"batch_number": 999}))
        .await;
    assert_errors(&missing, &["810"]);

    let by_date = pt
        .call(
            "/v1/batches/export",
            json!({"start_date": "05/02/2024", "end_date": "05/02/2024"}),
        )
        .await;
    let batches = by_date.json["batches"].as_array().unwrap();
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0]["number"], b2);

    let list = pt
        .call("/v1/batches/transaction_list", json!({"batch_number": b1}))
        .await;
    let txns = list.json["transactions"].as_array().unwrap();
    assert_eq!(txns.len(), 3);
    assert!(txns.iter().all(|t| t["status_code"] == format!("GB{b1}")));
    let settled = pt
        .call(
            "/v1/transactions/export/by_date_range",
            json!({"start_date": "05/01/2024", "end_date": "05/02/2024", "transaction_type": "SETTLED"}),
        )
        .await;
    assert_eq!(settled.json["transactions"].as_array().unwrap().len(), 4);
    let nothing = pt.call("/v1/transactions/settle", json!({})).await;
    assert_eq!(nothing.json["response_code"], 175);
    assert!(nothing.json.get("batch_number").is_none());
}

#[tokio::test]
async fn swiped_sale_and_refunds_keyed_and_to_customer() {
    let pt = Pt::start().await;
    let swipe = "%B5499740000000057^DOE/JOHN^2812101000000000000000?;5499740000000057=28121010000000000000?";
    let r = pt
        .call(
            "/v1/transactions/sale/swiped",
            json!({"amount": 8, "swipe": swipe}),
        )
        .await;
    assert_eq!(r.json["response_code"], 101, "{}", r.text);
    assert_eq!(r.json["masked_card_number"], "xxxxxxxxxxxx0057");
    let id = r.json["transaction_id"].as_u64().unwrap();
    assert_eq!(
        pt.export_by_id(id).await["billing_address"]["name"],
        "JOHN DOE"
    );
    let bad = pt
        .call(
            "/v1/transactions/sale/swiped",
            json!({"amount": 8, "swipe": "garbage"}),
        )
        .await;
    assert_errors(&bad, &["51"]);

    let keyed = pt
        .call(
            "/v1/transactions/refund/keyed",
            json!({"amount": 3, "credit_card": {"number": test_cards::VISA, "expiration_month": 12, "expiration_year": 2030}}),
        )
        .await;
    assert_eq!(keyed.json["response_code"], 106, "{}", keyed.text);
    assert_eq!(keyed.json["masked_card_number"], "xxxxxxxxxxxx5439");

    pt.sb
        .emulator()
        .seed_customer("rc", &TestCard::visa(), Address::default())
        .unwrap();
    let to_c = pt
        .call(
            "/v1/transactions/refund/to_customer",
            json!({"amount": 2, "customer_id": "rc"}),
        )
        .await;
    assert_eq!(to_c.json["response_code"], 106, "{}", to_c.text);
    assert!(to_c.json.get("masked_card_number").is_none());
    let rec = pt
        .export_by_id(to_c.json["transaction_id"].as_u64().unwrap())
        .await;
    assert_eq!(rec["transaction_type"], "REFUND");
    assert_eq!(rec["customer_id"], "rc");
    pt.assert_never_echoed(&[test_cards::VISA, "5499740000000057"]);
}

#[tokio::test]
async fn avs_csc_auto_void_answers_103() {
    let config = frozen_config().auto_void(AutoVoidRule::new(["No Match"], ["No Match"]));
    let pt = Pt::start_with(config).await;
    let r = pt
        .call(
            "/v1/transactions/sale/keyed",
            json!({"amount": 6, "csc": "000",
                   "billing_address": {"street_address": "1 Main", "zip": "99201"},
                   "credit_card": {"number": test_cards::VISA, "expiration_month": 12, "expiration_year": 2030}}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["response_code"], 103, "{}", r.text);
    assert_eq!(r.json["success"], false);
    assert_eq!(r.json["csc_response"], "No Match");
    let id = r.json["transaction_id"].as_u64().unwrap();
    assert_eq!(pt.export_by_id(id).await["status_message"], "Voided");
    // Good CSC and address: approved.
    let ok = pt.keyed_sale("6.00", test_cards::VISA, "ok").await;
    assert_eq!(ok.json["response_code"], 101);
}

#[tokio::test]
async fn export_inactive_customers() {
    let mut pt = Pt::start().await;
    let emu = pt.sb.emulator().clone();
    emu.seed_customer("idle", &TestCard::visa(), Address::default())
        .unwrap();
    emu.seed_customer("busy", &TestCard::visa(), Address::default())
        .unwrap();
    emu.clock().advance(TimeDelta::days(40));
    pt.refresh_token().await;
    let sale = pt
        .call(
            "/v1/transactions/sale/by_customer",
            json!({"amount": 1, "customer_id": "busy"}),
        )
        .await;
    assert_eq!(sale.json["response_code"], 101);
    let r = pt
        .call("/v1/customer/export_inactive", json!({"days_inactive": 30}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ids: Vec<&str> = r.json["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["customer_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["idle"]);
    let missing = pt.call("/v1/customer/export_inactive", json!({})).await;
    assert_errors(&missing, &["970"]);
}
