//! The client against the `sandbox` crate's PayTrace emulator, which was written from the
//! reference, not from this client: whole flows, faults, and the token cache.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use canonical_model::PaymentStatus;
use chrono::Utc;
use mapping::retry::{ErrorKind, RecordingSleeper, Retrier, RetryPolicy};
use paytrace_client::{
    Address, Amount, Capture, Card, Client, CreateCustomer, Credentials, CustomerPayment, Error,
    KeyedPayment, Refund, ResponseCode, TransactionQuery, canonical,
};
use rust_decimal::Decimal;
use sandbox::paytrace::{
    DEFAULT_INTEGRATOR_ID, DEFAULT_PASSWORD, DEFAULT_USERNAME, PayTraceSandbox, TransactionStatus,
    test_cards,
};

const SALE: &str = "/v1/transactions/sale/keyed";

async fn start() -> (PayTraceSandbox, Client) {
    let sandbox = PayTraceSandbox::start().await.unwrap();
    let client = Client::builder()
        .base_url(sandbox.base_url())
        .credentials(Credentials::password(DEFAULT_USERNAME, DEFAULT_PASSWORD))
        .integrator_id(DEFAULT_INTEGRATOR_ID)
        .retrier(Retrier::new(RetryPolicy::default()).with_sleeper(RecordingSleeper::new()))
        .build()
        .unwrap();
    (sandbox, client)
}

fn amount(text: &str) -> Amount {
    Amount::parse(text).unwrap()
}

fn keyed(text: &str, invoice: &str) -> KeyedPayment {
    let card = Card::new(test_cards::VISA, 12, 2030)
        .unwrap()
        .with_csc("999")
        .unwrap();
    KeyedPayment::new(amount(text), card)
        .invoice_id(invoice)
        .billing_address(Address {
            name: Some("Jane Doe".into()),
            street_address: Some("1 Main St".into()),
            city: Some("Spokane".into()),
            state: Some("WA".into()),
            zip: Some("99201".into()),
            country: Some("US".into()),
            ..Address::default()
        })
}

#[tokio::test]
async fn sale_then_void() {
    let (sandbox, client) = start().await;
    let sale = client
        .transactions()
        .sale_keyed(&keyed("19.99", "INV-V1"))
        .await
        .unwrap();
    assert!(sale.is_approved(), "{sale:?}");
    assert_eq!(sale.masked_card_number.as_deref(), Some("xxxxxxxxxxxx5439"));
    let id = sale.transaction_id.unwrap();

    let void = client.transactions().void(id).await.unwrap();
    assert_eq!(void.response_code, ResponseCode::Voided);
    assert_eq!(
        sandbox.emulator().transaction(id.0).unwrap().status,
        TransactionStatus::Voided
    );

    let record = client.exports().by_id(id, false).await.unwrap().unwrap();
    assert_eq!(record.status_code.as_deref(), Some("N"));
    assert!(!record.may_be_charged());

    // A second void is refused with 818, a conflict, and not retried.
    let again = client.transactions().void(id).await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Conflict, "{again:?}");
    assert_eq!(sandbox.request_count("/v1/transactions/void"), 2);
}

#[tokio::test]
async fn authorize_capture_settle_then_refund_part() {
    let (sandbox, client) = start().await;
    let tx = client.transactions();
    let auth = tx.authorize_keyed(&keyed("50.00", "INV-A1")).await.unwrap();
    assert!(auth.is_approved(), "{auth:?}");
    let id = auth.transaction_id.unwrap();
    assert_eq!(
        sandbox.emulator().transaction(id.0).unwrap().status,
        TransactionStatus::AuthorizationOnly
    );

    // Refunding an unsettled transaction is refused (817: void instead).
    let early = tx
        .refund_transaction(&Refund::partial(id, amount("5")))
        .await
        .unwrap_err();
    assert_eq!(early.code(), Some("817"), "{early:?}");

    assert_eq!(
        tx.capture(&Capture::full(id)).await.unwrap().response_code,
        ResponseCode::Captured
    );
    let settled = tx.settle().await.unwrap();
    assert!(settled.success, "{settled:?}");
    let stored = sandbox.emulator().transaction(id.0).unwrap();
    assert_eq!(stored.status, TransactionStatus::Settled);

    let refund = tx
        .refund_transaction(&Refund::partial(id, amount("12.50")))
        .await
        .unwrap();
    assert_eq!(refund.response_code, ResponseCode::Refunded);
    assert_eq!(
        sandbox.emulator().transaction(id.0).unwrap().refunded,
        Decimal::new(1250, 2)
    );

    let record = client.exports().by_id(id, false).await.unwrap().unwrap();
    assert!(
        record.status_code.as_deref().unwrap().starts_with("GB"),
        "{record:?}"
    );

    // The batch, through the canonical model: the capture settled in it.
    let batch = client.batches().export_one(None).await.unwrap().unwrap();
    let transactions = client
        .batches()
        .transaction_list(batch.number)
        .await
        .unwrap();
    let settled = canonical::settlement_batch(&batch, &transactions).unwrap();
    assert_eq!(settled.batch_number, batch.number.to_string());
    assert_eq!(settled.net_amount().unwrap().amount, Decimal::new(5000, 2));
    assert!(settled.settled_at.is_some());
    let payment = &settled.transactions[0];
    assert_eq!(payment.status, PaymentStatus::Settled);
    assert_eq!(payment.references.invoice_id.as_deref(), Some("INV-A1"));
}

#[tokio::test]
async fn vault_create_then_charge_the_profile_then_export() {
    let (_sandbox, client) = start().await;
    let card = Card::new(test_cards::MASTERCARD, 6, 2031).unwrap();
    let created = client
        .customers()
        .create(
            &CreateCustomer::with_card("cust-flow-1", card)
                .email("jane@example.com")
                .billing_address(Address {
                    name: Some("Jane Doe".into()),
                    zip: Some("99201".into()),
                    ..Address::default()
                }),
        )
        .await
        .unwrap();
    assert_eq!(created.response_code, ResponseCode::CustomerCreated);
    assert_eq!(
        created.masked_card_number.as_deref(),
        Some("xxxxxxxxxxxx0057")
    );

    let sale = client
        .transactions()
        .sale_by_customer(
            &CustomerPayment::new(amount("42.00"), "cust-flow-1").invoice_id("INV-C1"),
        )
        .await
        .unwrap();
    assert!(sale.is_approved(), "{sale:?}");

    let today = Utc::now().date_naive();
    let query = TransactionQuery::new(today.pred_opt().unwrap(), today.succ_opt().unwrap())
        .unwrap()
        .customer_id("cust-flow-1");
    let records = client.exports().by_date_range(&query).await.unwrap();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].customer_id.as_deref(), Some("cust-flow-1"));
    assert_eq!(records[0].amount, Some(Decimal::new(42, 0)));
    assert_eq!(
        records[0]
            .credit_card
            .as_ref()
            .unwrap()
            .last_four()
            .unwrap()
            .as_str(),
        "0057"
    );

    let profiles = client
        .customers()
        .export(Some("cust-flow-1"))
        .await
        .unwrap();
    assert_eq!(profiles[0].email.as_deref(), Some("jane@example.com"));

    // The same id again is a conflict (171).
    let card = Card::new(test_cards::MASTERCARD, 6, 2031).unwrap();
    let duplicate = client
        .customers()
        .create(&CreateCustomer::with_card("cust-flow-1", card))
        .await
        .unwrap_err();
    assert_eq!(duplicate.kind(), ErrorKind::Conflict, "{duplicate:?}");
}

#[tokio::test]
async fn a_declined_card_is_an_answer_sent_once() {
    let (sandbox, client) = start().await;
    let answer = client
        .transactions()
        .sale_keyed(&keyed("0.21", "INV-D1"))
        .await
        .unwrap();
    assert!(answer.is_declined());
    assert_eq!(answer.response_code, ResponseCode::Declined);
    assert!(answer.transaction_id.is_some());
    assert_eq!(
        answer.approval_message.as_deref(),
        Some("DECLINE - Insufficient funds")
    );
    assert_eq!(sandbox.request_count(SALE), 1);
}

#[tokio::test]
async fn expired_tokens_are_refreshed_once_for_twenty_concurrent_calls() {
    let (sandbox, client) = start().await;
    let today = Utc::now().date_naive();
    let query = TransactionQuery::new(today, today).unwrap();
    client.exports().by_date_range(&query).await.unwrap();
    assert_eq!(sandbox.emulator().tokens_issued(), 1);

    sandbox.emulator().expire_tokens();
    let calls = (0..20).map(|_| {
        let (client, query) = (client.clone(), query.clone());
        tokio::spawn(async move { client.exports().by_date_range(&query).await })
    });
    for call in futures::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
    assert_eq!(sandbox.emulator().tokens_issued(), 2);
    assert_eq!(sandbox.request_count("/oauth/token"), 2);
}

#[tokio::test]
async fn a_lost_sale_answer_is_reconciled_by_invoice_and_never_charged_twice() {
    let (sandbox, client) = start().await;
    let request = keyed("77.00", "INV-LOST-1");
    let attempted_at = Utc::now();
    sandbox.faults().drop_next_response(SALE);

    let err = client
        .transactions()
        .sale_keyed(&request)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown, "{err:?}");
    assert!(
        matches!(&err, Error::OutcomeUnknown { source, .. } if matches!(**source, Error::Transport { .. })),
        "{err:?}"
    );
    assert_eq!(sandbox.request_count(SALE), 1);

    let found = client
        .exports()
        .find_by_invoice("INV-LOST-1", attempted_at)
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].may_be_charged());
    assert_eq!(found[0].amount, Some(Decimal::new(77, 0)));

    // The flow's decision: a charge exists, so no second sale.
    if !found.iter().any(|r| r.may_be_charged()) {
        client.transactions().sale_keyed(&request).await.unwrap();
    }
    assert_eq!(sandbox.request_count(SALE), 1);
    assert_eq!(sandbox.emulator().transactions().len(), 1);

    // An invoice that was never charged finds nothing, so charging it is safe.
    assert!(
        client
            .exports()
            .find_by_invoice("INV-NEVER", attempted_at)
            .await
            .unwrap()
            .is_empty()
    );
}
