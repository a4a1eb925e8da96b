//! The shipped specs applied to PayTrace export records shaped as paytrace.md §5.1 documents
//! them (the example's sample response) and to canonical payments, field by field, plus
//! snapshots of the whole outputs and the reverse Payment__c → PayTrace mapping.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use canonical_model::{
    CardBrand, CardSummary, Currency, LastFour, Money, Payment, PaymentMethod, PaymentStatus,
    TransactionKind,
};
use chrono::{TimeZone, Utc};
use mapping::fieldmap::{Context, FieldMapError, defaults};
use rust_decimal_macros::dec;
use serde_json::{Value, json};

const EXPORT: &str = include_str!("../examples/data/paytrace_export.json");

/// The sample export's transactions: settled sale, pending sale (vault customer), refund.
fn transactions() -> Vec<Value> {
    let body: Value = serde_json::from_str(EXPORT).unwrap();
    body["transactions"].as_array().unwrap().clone()
}

fn crm_context() -> Context {
    Context::new()
        .with("account_id", "0015g00000XyZaAAAB")
        .with("opportunity_id", "0065g00000AbCdEAAB")
        .with("order_id", "8015g00000QwErTAAB")
}

// ---------------------------------------------------------------------------------------
// 1. PayTrace export record → Salesforce Payment__c

#[test]
fn settled_sale_to_payment_c() {
    let spec = defaults::paytrace_to_salesforce().unwrap();
    let sale = &transactions()[0];
    let p = spec.apply(sale, &crm_context()).unwrap();
    assert_eq!(
        p["PaymentID__c"],
        json!("123456789"),
        "the external id is text"
    );
    assert_eq!(p["Amount__c"], json!(51.88));
    assert_eq!(
        p["Status__c"],
        json!("Settled"),
        "GB571 is settled in batch 571"
    );
    assert_eq!(
        p["TransactionDate__c"],
        json!("2015-04-10T23:06:30.000+0000"),
        "4:06:30 PM Pacific daylight time is 23:06:30 UTC"
    );
    assert_eq!(p["PaymentMethodType__c"], json!("Credit Card"));
    assert_eq!(p["Last4Digits__c"], json!("5454"));
    assert!(
        p.get("CustomerVaultID__c").is_none(),
        "an empty customer_id is not written"
    );
    assert_eq!(p["Account__c"], json!("0015g00000XyZaAAAB"));
    assert_eq!(p["Opportunity__c"], json!("0065g00000AbCdEAAB"));
    assert_eq!(p["OrderId__c"], json!("8015g00000QwErTAAB"));
    assert_eq!(p["Subscription_Term__c"], json!("12 months"));
    assert_eq!(p["PT_SalesRepID__c"], json!("0051x000004AbCdEAF"));
    assert!(
        p.get("PT_Subscription_Term__c").is_none(),
        "a key a named rule reads is not copied again by the wildcard"
    );
    assert_eq!(p.as_object().unwrap().len(), 11, "{p:#}");
}

#[test]
fn pending_sale_to_payment_c() {
    let spec = defaults::paytrace_to_salesforce().unwrap();
    let sale = &transactions()[1];
    let p = spec.apply(sale, &Context::new()).unwrap();
    assert_eq!(p["PaymentID__c"], json!("123456812"));
    assert_eq!(p["Amount__c"], json!(19.99));
    assert_eq!(
        p["Status__c"],
        json!("Completed"),
        "Y → approved → Completed"
    );
    assert_eq!(
        p["TransactionDate__c"],
        json!("2015-04-11T16:15:02.000+0000")
    );
    assert_eq!(p["Last4Digits__c"], json!("1111"));
    assert_eq!(p["CustomerVaultID__c"], json!("cust-1002"));
    for absent in [
        "Account__c",
        "Opportunity__c",
        "OrderId__c",
        "Subscription_Term__c",
    ] {
        assert!(p.get(absent).is_none(), "{absent} without a context value");
    }
}

#[test]
fn refund_to_payment_c_is_negative_and_refunded() {
    let spec = defaults::paytrace_to_salesforce().unwrap();
    let refund = &transactions()[2];
    let p = spec.apply(refund, &crm_context()).unwrap();
    assert_eq!(p["Amount__c"], json!(-10.0));
    assert_eq!(p["Status__c"], json!("Refunded"));
    assert_eq!(
        p["TransactionDate__c"],
        json!("2015-04-13T01:45:10.000+0000"),
        "6:45 PM Pacific is the next day in UTC"
    );
    assert_eq!(
        p["PaymentMethodDetails__c"],
        json!("Refund to original card")
    );
    assert_eq!(p["PT_Campaign_Source__c"], json!("Spring2015"));
    assert_eq!(p["PT_BALANCEAMOUNT__c"], json!("41.88"));
    assert!(p.get("PT_PaymentMethodDetails__c").is_none());

    // A refund PayTrace refused ("N") keeps the status the table gives it.
    let mut declined = refund.clone();
    declined["status_code"] = json!("N");
    declined["status_message"] = json!("Transaction declined");
    let p = spec.apply(&declined, &crm_context()).unwrap();
    assert_eq!(p["Status__c"], json!("Declined"));
    assert_eq!(p["Amount__c"], json!(-10.0));
}

#[test]
fn ach_and_vault_records_use_the_method_rules() {
    let spec = defaults::paytrace_to_salesforce().unwrap();
    let mut ach = transactions()[1].clone();
    let record = ach.as_object_mut().unwrap();
    record.remove("credit_card");
    record.insert(
        "check".into(),
        json!({"account_number": "****6789", "routing_number": "325070760"}),
    );
    let p = spec.apply(&ach, &Context::new()).unwrap();
    assert_eq!(p["PaymentMethodType__c"], json!("ACH"));
    assert!(p.get("Last4Digits__c").is_none());
}

#[test]
fn a_record_without_its_amount_is_refused_naming_record_and_field() {
    let spec = defaults::paytrace_to_salesforce().unwrap();
    let mut broken = transactions()[0].clone();
    broken["amount"] = json!("fifty");
    let err = spec.apply(&broken, &Context::new()).unwrap_err();
    assert!(matches!(err, FieldMapError::Transform { .. }), "{err:?}");
    assert_eq!(err.record_id(), Some("123456789"));
    assert_eq!(err.field(), Some("amount"));
    assert_eq!(err.target(), Some("Amount__c"));
    assert!(err.line().is_some());
    let text = err.to_string();
    assert!(
        text.starts_with("record 123456789, rule 3 `Amount__c`"),
        "{text}"
    );
    assert!(text.contains("transform `to_decimal` failed"), "{text}");
    assert!(text.contains("\"fifty\""), "{text}");

    let mut unknown_status = transactions()[0].clone();
    unknown_status["status_code"] = json!("Q7");
    let err = spec.apply(&unknown_status, &Context::new()).unwrap_err();
    assert_eq!(
        err.field(),
        Some("status_code + status_message + transaction_type")
    );
    assert!(err.to_string().contains("paytrace_export_status"), "{err}");
}

#[test]
fn payment_c_snapshot() {
    let spec = defaults::paytrace_to_salesforce().unwrap();
    let out: Vec<Value> = transactions()
        .iter()
        .map(|t| spec.apply(t, &crm_context()).unwrap())
        .collect();
    insta::assert_json_snapshot!("paytrace_to_salesforce", out);
}

#[test]
fn payment_c_maps_back_to_a_paytrace_record_for_the_invertible_fields() {
    let spec = defaults::paytrace_to_salesforce().unwrap();
    let refund = &transactions()[2];
    let payment = spec.apply(refund, &crm_context()).unwrap();
    let back = spec.reverse(&payment, &Context::new()).unwrap();
    assert_eq!(
        back.record,
        json!({
            "transaction_id": 123456830,
            "amount": 10.0,
            "created": {"at": "4/12/2015 6:45:10 PM"},
            "credit_card": {"masked_number": "************5454"},
            "discretionary_data": {
                "PaymentMethodDetails": "Refund to original card",
                "Campaign_Source": "Spring2015",
                "BALANCEAMOUNT": "41.88"
            }
        })
    );
    let one_way: Vec<&str> = back.one_way.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(
        one_way,
        [
            "Status__c",
            "Status__c",
            "PaymentMethodType__c",
            "PaymentMethodType__c",
            "Account__c",
            "Opportunity__c",
            "OrderId__c"
        ]
    );

    // A Payment__c as Salesforce returns it from a query: system fields and other custom
    // fields are ignored, the PT_ fields go back to discretionary_data.
    let queried = json!({
        "attributes": {"type": "Payment__c", "url": "/services/data/v62.0/sobjects/Payment__c/a0B5g00000AbCdE"},
        "Id": "a0B5g00000AbCdEAAB",
        "Name": "PAY-000123",
        "PaymentID__c": "123456789",
        "Amount__c": 51.88,
        "Status__c": "Settled",
        "TransactionDate__c": "2015-04-10T23:06:30.000+0000",
        "Last4Digits__c": "5454",
        "CustomerVaultID__c": "cust-1002",
        "Subscription_Term__c": "12 months",
        "PT_SalesRepID__c": "0051x000004AbCdEAF",
        "Notes__c": "called the customer"
    });
    let back = spec.reverse(&queried, &Context::new()).unwrap();
    assert_eq!(
        back.record,
        json!({
            "transaction_id": 123456789,
            "amount": 51.88,
            "created": {"at": "4/10/2015 4:06:30 PM"},
            "credit_card": {"masked_number": "************5454"},
            "customer_id": "cust-1002",
            "discretionary_data": {
                "Subscription_Term": "12 months",
                "SalesRepID": "0051x000004AbCdEAF"
            }
        })
    );

    // A reverse error names the record by its target id.
    let mut bad = queried.clone();
    bad["TransactionDate__c"] = json!("yesterday");
    let err = spec.reverse(&bad, &Context::new()).unwrap_err();
    assert_eq!(err.record_id(), Some("123456789"));
    assert_eq!(err.field(), Some("TransactionDate__c"));
}

// ---------------------------------------------------------------------------------------
// 2. PayTrace export record → F&O CustomerPaymentJournalLines

fn fno_context() -> Context {
    Context::new()
        .with("data_area_id", "usmf")
        .with("journal_batch_number", "00001234")
        .with("customer_account", "US-001")
        .with("bank_account", "USMF OPER")
}

#[test]
fn settled_sale_to_fno_journal_line() {
    let spec = defaults::paytrace_to_fno_payment_journal().unwrap();
    let line = spec.apply(&transactions()[0], &fno_context()).unwrap();
    assert_eq!(
        line,
        json!({
            "dataAreaId": "usmf",
            "JournalBatchNumber": "00001234",
            "AccountType": "Cust",
            "AccountDisplayValue": "US-001",
            "TransactionDate": "2015-04-10T12:00:00Z",
            "CreditAmount": 51.88,
            "CurrencyCode": "USD",
            "PaymentReference": "123456789",
            "PaymentMethodName": "CARD",
            "TransactionText": "PayTrace SALE 123456789 INV-1001",
            "OffsetAccountType": "Bank",
            "OffsetAccountDisplayValue": "USMF OPER",
            "MarkedInvoice": "INV-1001"
        })
    );
}

#[test]
fn refund_to_fno_is_a_debit_on_the_merchants_local_date() {
    let spec = defaults::paytrace_to_fno_payment_journal().unwrap();
    let line = spec.apply(&transactions()[2], &fno_context()).unwrap();
    assert_eq!(line["DebitAmount"], json!(10.0));
    assert!(line.get("CreditAmount").is_none());
    assert_eq!(
        line["TransactionDate"],
        json!("2015-04-12T12:00:00Z"),
        "the local date (6:45 PM on the 12th), not the UTC one"
    );
    assert_eq!(
        line["TransactionText"],
        json!("PayTrace REFUND 123456830 INV-1001")
    );
}

#[test]
fn fno_payment_method_follows_the_paytrace_method_and_the_context_overrides_defaults() {
    let spec = defaults::paytrace_to_fno_payment_journal().unwrap();
    let mut ach = transactions()[1].clone();
    ach.as_object_mut().unwrap().remove("credit_card");
    ach["check"] = json!({"account_number": "****6789"});
    ach["invoice_id"] = json!("");
    let line = spec.apply(&ach, &fno_context()).unwrap();
    assert_eq!(line["PaymentMethodName"], json!("ACH"));
    assert!(
        line.get("MarkedInvoice").is_none(),
        "blank invoice_id marks nothing"
    );

    let ctx = fno_context().with("card_payment_method", "VISA-MC");
    let line = spec.apply(&transactions()[1], &ctx).unwrap();
    assert_eq!(line["PaymentMethodName"], json!("VISA-MC"));
}

#[test]
fn fno_without_a_journal_batch_is_refused() {
    let spec = defaults::paytrace_to_fno_payment_journal().unwrap();
    let ctx = Context::new()
        .with("data_area_id", "usmf")
        .with("customer_account", "US-001")
        .with("bank_account", "USMF OPER");
    let err = spec.apply(&transactions()[0], &ctx).unwrap_err();
    assert!(
        matches!(err, FieldMapError::MissingRequired { .. }),
        "{err:?}"
    );
    assert_eq!(err.field(), Some("$ctx.journal_batch_number"));
    assert_eq!(err.target(), Some("JournalBatchNumber"));
    assert_eq!(err.record_id(), Some("123456789"));
}

#[test]
fn fno_snapshot() {
    let spec = defaults::paytrace_to_fno_payment_journal().unwrap();
    let out: Vec<Value> = transactions()
        .iter()
        .map(|t| spec.apply(t, &fno_context()).unwrap())
        .collect();
    insta::assert_json_snapshot!("paytrace_to_fno_payment_journal", out);
}

// ---------------------------------------------------------------------------------------
// 3. PayTrace export record → Business Central customerPayments

#[test]
fn sale_to_bc_customer_payment_is_negative_by_default() {
    let spec = defaults::paytrace_to_bc_customer_payment().unwrap();
    let ctx = Context::new().with("customer_number", "10000");
    let payment = spec.apply(&transactions()[0], &ctx).unwrap();
    assert_eq!(
        payment,
        json!({
            "customerNumber": "10000",
            "postingDate": "2015-04-10",
            "documentNumber": "PT123456789",
            "externalDocumentNumber": "123456789",
            "amount": -51.88,
            "appliesToInvoiceNumber": "INV-1001",
            "description": "Annual plan, 12 seats"
        })
    );
}

#[test]
fn bc_amount_sign_is_configurable_and_refunds_take_the_opposite_sign() {
    let spec = defaults::paytrace_to_bc_customer_payment().unwrap();
    let [sale, _, refund] = <[Value; 3]>::try_from(transactions()).unwrap();
    let negative = Context::new().with("customer_number", "10000");
    let positive = negative.clone().with("amount_sign", "positive");
    let amount = |record: &Value, ctx: &Context| spec.apply(record, ctx).unwrap()["amount"].clone();
    assert_eq!(amount(&sale, &negative), json!(-51.88));
    assert_eq!(amount(&refund, &negative), json!(10.0));
    assert_eq!(amount(&sale, &positive), json!(51.88));
    assert_eq!(amount(&refund, &positive), json!(-10.0));

    // PayTrace amounts are positive again in reverse, whatever the sign.
    for ctx in [&negative, &positive] {
        for record in [&sale, &refund] {
            let bc = spec.apply(record, ctx).unwrap();
            let back = spec.reverse(&bc, ctx).unwrap().record;
            assert_eq!(back["amount"], json!(record["amount"].as_f64().unwrap()));
            assert_eq!(back["transaction_id"], record["transaction_id"]);
        }
    }
}

#[test]
fn bc_document_number_and_description_fall_back() {
    let spec = defaults::paytrace_to_bc_customer_payment().unwrap();
    let ctx = Context::new()
        .with("customer_number", "10000")
        .with("document_number", "PAY-0042");
    let mut record = transactions()[1].clone();
    record["description"] = json!("   ");
    let payment = spec.apply(&record, &ctx).unwrap();
    assert_eq!(payment["documentNumber"], json!("PAY-0042"));
    assert_eq!(payment["description"], json!("PayTrace SALE 123456812"));
    assert_eq!(payment["postingDate"], json!("2015-04-11"));
}

#[test]
fn bc_snapshot() {
    let spec = defaults::paytrace_to_bc_customer_payment().unwrap();
    let ctx = Context::new().with("customer_number", "10000");
    let out: Vec<Value> = transactions()
        .iter()
        .map(|t| spec.apply(t, &ctx).unwrap())
        .collect();
    insta::assert_json_snapshot!("paytrace_to_bc_customer_payment", out);
}

// ---------------------------------------------------------------------------------------
// 4. Canonical Payment → Salesforce Payment__c

fn canonical_sale() -> Payment {
    let mut p = Payment::new(
        "123456789",
        TransactionKind::Sale,
        PaymentStatus::Approved,
        Money::new(dec!(51.88), Currency::USD),
    );
    p.method = Some(PaymentMethod::Card(CardSummary {
        brand: CardBrand::Mastercard,
        last_four: LastFour::new("5454").unwrap(),
        expiry: None,
        holder_name: Some("Jane Doe".into()),
    }));
    p.created_at = Some(Utc.with_ymd_and_hms(2015, 4, 10, 23, 6, 30).unwrap());
    p.references.processor_transaction_id = Some("123456789".into());
    p.references.invoice_id = Some("INV-1001".into());
    p.references.opportunity_id = Some("0065g00000AbCdEAAB".into());
    p.metadata
        .insert("Subscription_Term".into(), json!("12 months"));
    p.metadata
        .insert("SalesRepID".into(), json!("0051x000004AbCdEAF"));
    p
}

#[test]
fn canonical_payment_to_payment_c() {
    let spec = defaults::canonical_payment_to_salesforce().unwrap();
    let record = serde_json::to_value(canonical_sale()).unwrap();
    let ctx = Context::new()
        .with("account_id", "0015g00000XyZaAAAB")
        .with("opportunity_id", "0065g0000ContextAAA");
    let p = spec.apply(&record, &ctx).unwrap();
    assert_eq!(
        p,
        json!({
            "PaymentID__c": "123456789",
            "Amount__c": 51.88,
            "Status__c": "Completed",
            "TransactionDate__c": "2015-04-10T23:06:30.000+0000",
            "PaymentMethodType__c": "Credit Card",
            "Last4Digits__c": "5454",
            "Account__c": "0015g00000XyZaAAAB",
            "Opportunity__c": "0065g00000AbCdEAAB",
            "Subscription_Term__c": "12 months",
            "PT_SalesRepID__c": "0051x000004AbCdEAF"
        }),
        "the payment's own opportunity wins over the context's"
    );
}

#[test]
fn canonical_refund_and_vault_payment_to_payment_c() {
    let spec = defaults::canonical_payment_to_salesforce().unwrap();
    let mut refund = canonical_sale();
    refund.kind = TransactionKind::Refund;
    refund.amount = Money::new(dec!(10.00), Currency::USD);
    refund.method = Some(PaymentMethod::Vault {
        vault_id: "cust-1002".into(),
        card: Some(CardSummary {
            brand: CardBrand::Visa,
            last_four: LastFour::new("1111").unwrap(),
            expiry: None,
            holder_name: None,
        }),
    });
    let record = serde_json::to_value(&refund).unwrap();
    let p = spec.apply(&record, &Context::new()).unwrap();
    assert_eq!(p["Amount__c"], json!(-10.0));
    assert_eq!(p["PaymentMethodType__c"], json!("Vault"));
    assert_eq!(p["Last4Digits__c"], json!("1111"));
    assert_eq!(p["CustomerVaultID__c"], json!("cust-1002"));

    let back = spec.reverse(&p, &Context::new()).unwrap().record;
    assert_eq!(back["amount"], json!({"amount": "10.00"}));
    assert_eq!(back["status"], json!("approved"));
    assert_eq!(back["created_at"], json!("2015-04-10T23:06:30Z"));
    assert_eq!(
        back["method"],
        json!({"type": "vault", "card": {"last_four": "1111"}})
    );
    assert_eq!(
        back["references"]["processor_transaction_id"],
        json!("123456789")
    );
    assert_eq!(back["id"], json!("123456789"));
    assert_eq!(back["metadata"]["SalesRepID"], json!("0051x000004AbCdEAF"));
}

#[test]
fn canonical_snapshot() {
    let spec = defaults::canonical_payment_to_salesforce().unwrap();
    let record = serde_json::to_value(canonical_sale()).unwrap();
    let p = spec.apply(&record, &Context::new()).unwrap();
    insta::assert_json_snapshot!("canonical_payment_to_salesforce", p);
}
