//! The client against the sandbox's Business Central emulator: the ERP facade end to end
//! (customer upsert, sales order, payment settling an invoice and its replay, journal post →
//! `generalLedgerEntries`), `If-Match` and ETags, paging, a JSON batch, and throttling.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use canonical_model::{
    AccountKind, Currency, Customer, ExternalRef, InvoiceStatus, JournalEntry, Money, Order,
    OrderLine, OrderStatus, Party, Payment, PaymentStatus, PersonName, System, TransactionKind,
};
use chrono::NaiveDate;
use dynamics365_client::auth::ClientSecret;
use dynamics365_client::bc::BcCompany;
use dynamics365_client::erp::{BcErp, BcErpConfig, Erp};
use dynamics365_client::odata::Precondition;
use dynamics365_client::odata::filter::prop;
use dynamics365_client::{Client, Error, Flavor};
use futures::TryStreamExt;
use mapping::retry::{ErrorKind, FixedRandom, RecordingSleeper, Retrier, RetryPolicy};
use rust_decimal_macros::dec;
use sandbox::dynamics::{
    DEFAULT_BC_COMPANY_ID, DEFAULT_BC_COMPANY_NAME, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET,
    DEFAULT_TENANT_ID, DynamicsConfig, DynamicsSandbox, ThrottleConfig,
};
use serde_json::{Value, json};

async fn sandbox(configure: impl FnOnce(&mut sandbox::dynamics::BcConfig)) -> DynamicsSandbox {
    DynamicsSandbox::start_with(DynamicsConfig::new().bc(configure))
        .await
        .unwrap()
}

fn client_with(sb: &DynamicsSandbox, company: &str, max_concurrency: usize) -> Client {
    Client::builder()
        .flavor(Flavor::BusinessCentral)
        .base_url(sb.bc_api_url(DEFAULT_TENANT_ID))
        .credentials(
            ClientSecret::new(DEFAULT_TENANT_ID, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
                .authority(sb.base_url()),
        )
        .company(company)
        .max_concurrency(max_concurrency)
        .retrier(
            Retrier::new(RetryPolicy::default())
                .with_sleeper(RecordingSleeper::new())
                .with_random(FixedRandom::new(0.0)),
        )
        .build()
        .unwrap()
}

fn client(sb: &DynamicsSandbox) -> Client {
    client_with(sb, DEFAULT_BC_COMPANY_NAME, 5)
}

fn erp(sb: &DynamicsSandbox) -> BcErp {
    BcErp::new(client(sb), BcErpConfig::default())
}

async fn company(sb: &DynamicsSandbox) -> BcCompany {
    client(sb).bc().default_company().await.unwrap()
}

fn adatum() -> Customer {
    let mut customer = Customer::new(Party::Organization {
        name: "Adatum Corporation".into(),
    });
    customer.phone = Some("555-0100".into());
    customer
        .references
        .push(ExternalRef::new(System::DynamicsBusinessCentral, "C-1000"));
    customer
}

#[tokio::test]
async fn the_company_is_found_by_name() {
    let sb = sandbox(|_| {}).await;
    let company = company(&sb).await;
    assert_eq!(company.id().as_str(), DEFAULT_BC_COMPANY_ID);
    let by_id = client_with(&sb, DEFAULT_BC_COMPANY_ID, 5)
        .bc()
        .default_company()
        .await
        .unwrap();
    assert_eq!(by_id.id(), company.id());
    let err = client_with(&sb, "No Such Company", 5)
        .bc()
        .default_company()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Configuration);
}

#[tokio::test]
async fn upserting_a_customer_twice_leaves_one_customer() {
    let sb = sandbox(|_| {}).await;
    let erp = erp(&sb);
    assert!(erp.upsert_customer(&adatum()).await.unwrap().created);
    let mut person = adatum();
    person.party = Party::Person(PersonName {
        given: Some("Ada".into()),
        family: Some("Tum".into()),
        ..PersonName::default()
    });
    assert!(!erp.upsert_customer(&person).await.unwrap().created);
    let rows = sb.emulator().bc_rows(DEFAULT_BC_COMPANY_ID, "customers");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["displayName"], "Ada Tum");
    assert_eq!(rows[0]["type"], "Person");
    assert_eq!(rows[0]["number"], "C-1000");
}

#[tokio::test]
async fn writes_need_if_match_and_a_stale_etag_is_a_conflict() {
    let sb = sandbox(|_| {}).await;
    sb.emulator()
        .seed_bc_customer(DEFAULT_BC_COMPANY_ID, "C-2000", "Fabrikam")
        .unwrap();
    let company = company(&sb).await;
    let customers = company.customers();
    let customer = customers
        .query()
        .filter(prop("number").eq("C-2000"))
        .first()
        .await
        .unwrap()
        .unwrap();
    let id = customer.id.clone().unwrap();
    let etag = customer.etag.clone().unwrap();
    assert!(etag.is_weak());
    // Refused by the client before sending: BC would answer BadRequest_InvalidToken.
    let err = customers
        .update(&id, &json!({"phoneNumber": "1"}))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    let written = customers
        .update(&id, &json!({"phoneNumber": "555-0111"}))
        .if_match(&etag)
        .await
        .unwrap();
    let fresh = written.etag.clone().unwrap();
    assert_ne!(fresh, etag);
    let stale = customers
        .update(&id, &json!({"phoneNumber": "555-0112"}))
        .if_match(&etag)
        .await
        .unwrap_err();
    assert!(stale.is_conflict(), "{stale:?}");
    assert_eq!(stale.kind(), ErrorKind::Conflict);
    assert_eq!(stale.code(), Some("Request_EntityChanged"));
    assert!(stale.request_id().is_some(), "BC's CorrelationId is kept");
    customers
        .delete(&id)
        .precondition(Precondition::IfMatch(fresh))
        .await
        .unwrap();
    assert!(
        sb.emulator()
            .bc_rows(DEFAULT_BC_COMPANY_ID, "customers")
            .is_empty()
    );
}

fn order() -> Order {
    Order {
        id: "web-2001".into(),
        number: None,
        customer: Some(adatum()),
        currency: Currency::USD,
        lines: vec![OrderLine {
            sku: Some("1896-S".into()),
            description: "ATHENS Desk".into(),
            quantity: dec!(2),
            unit_price: Money::new(dec!(100), Currency::USD),
            discount: None,
            tax: None,
        }],
        shipping: None,
        shipping_address: None,
        status: OrderStatus::Open,
        ordered_at: None,
        references: vec![],
        metadata: Default::default(),
    }
}

#[tokio::test]
async fn a_sales_order_is_created_once_with_its_lines() {
    let sb = sandbox(|_| {}).await;
    let erp = erp(&sb);
    erp.upsert_customer(&adatum()).await.unwrap();
    let first = erp.create_sales_order(&order()).await.unwrap();
    assert!(first.created);
    let replay = erp.create_sales_order(&order()).await.unwrap();
    assert!(!replay.created);
    assert_eq!(replay.id, first.id);
    assert_eq!(
        sb.emulator()
            .bc_rows(DEFAULT_BC_COMPANY_ID, "salesOrders")
            .len(),
        1
    );
    assert_eq!(
        sb.emulator()
            .bc_rows(DEFAULT_BC_COMPANY_ID, "salesOrderLines")
            .len(),
        1
    );
}

fn payment(tx: &str, amount: rust_decimal::Decimal) -> Payment {
    let mut payment = Payment::new(
        format!("pay-{tx}"),
        TransactionKind::Sale,
        PaymentStatus::Settled,
        Money::new(amount, Currency::USD),
    );
    payment.references.processor_transaction_id = Some(tx.into());
    payment
}

#[tokio::test]
async fn a_payment_settles_an_invoice_once_and_posting_reaches_the_ledger() {
    let sb = sandbox(|b| b.require_negative_payment_amount = true).await;
    let erp = erp(&sb);
    erp.upsert_customer(&adatum()).await.unwrap();
    let invoice_row = sb
        .emulator()
        .seed_bc_posted_invoice(
            DEFAULT_BC_COMPANY_ID,
            "C-1000",
            &[("Consulting", 1.0, 250.0)],
        )
        .unwrap();
    let number = invoice_row["number"].as_str().unwrap().to_owned();
    let invoice = erp.find_invoice(&number).await.unwrap().unwrap();
    assert_eq!(invoice.status, InvoiceStatus::Open);
    assert_eq!(invoice.customer_account.as_deref(), Some("C-1000"));
    let due = invoice.amount_due;

    let batch = erp.open_payment_batch("GB900").await.unwrap();
    let recorded = erp
        .record_customer_payment(
            &batch,
            "C-1000",
            &payment("40000999", due.amount),
            Some(&number),
        )
        .await
        .unwrap();
    assert!(recorded.created);
    let replay = erp
        .record_customer_payment(
            &batch,
            "C-1000",
            &payment("40000999", due.amount),
            Some(&number),
        )
        .await
        .unwrap();
    assert!(!replay.created, "a replay finds the line");
    let lines = sb
        .emulator()
        .bc_rows(DEFAULT_BC_COMPANY_ID, "customerPayments");
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["appliesToInvoiceNumber"], number.as_str());

    erp.post_payment_batch(&batch).await.unwrap();
    // Posting again finds nothing to post and is done.
    erp.post_payment_batch(&batch).await.unwrap();
    let company = company(&sb).await;
    let entries: Vec<_> = company
        .general_ledger_entries()
        .query()
        .filter(prop("documentNumber").eq("40000999"))
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(!entries.is_empty(), "posted to the ledger");
    // A replay after the post finds the payment in the ledger, not in the emptied journal.
    let after_post = erp
        .record_customer_payment(
            &batch,
            "C-1000",
            &payment("40000999", due.amount),
            Some(&number),
        )
        .await
        .unwrap();
    assert!(!after_post.created);
    assert!(
        sb.emulator()
            .bc_rows(DEFAULT_BC_COMPANY_ID, "customerPayments")
            .is_empty()
    );
    let paid = erp.find_invoice(&number).await.unwrap().unwrap();
    assert_eq!(paid.status, InvoiceStatus::Paid, "{paid:?}");
}

#[tokio::test]
async fn a_journal_entry_posts_to_general_ledger_entries_once() {
    let sb = sandbox(|_| {}).await;
    let erp = erp(&sb);
    let usd = |a| Money::new(a, Currency::USD);
    let entry = JournalEntry::new(
        "SETTLE-571",
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(),
        Currency::USD,
    )
    .debit(AccountKind::Bank, "CHECKING", usd(dec!(165.00)))
    .debit(AccountKind::Ledger, "8640", usd(dec!(4.95)))
    .credit(AccountKind::Ledger, "2910", usd(dec!(169.95)));
    let created = erp.create_journal_entry(&entry).await.unwrap();
    assert!(created.created && !created.posted);
    assert_eq!(
        sb.emulator()
            .bc_rows(DEFAULT_BC_COMPANY_ID, "journalLines")
            .len(),
        3
    );
    erp.post_journal_entry(&created).await.unwrap();
    let company = company(&sb).await;
    let entries: Vec<_> = company
        .general_ledger_entries()
        .query()
        .filter(prop("documentNumber").eq("SETTLE-571"))
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(entries.len() >= 3, "{entries:?}");
    let debits: rust_decimal::Decimal = entries.iter().filter_map(|e| e.debit_amount).sum();
    let credits: rust_decimal::Decimal = entries.iter().filter_map(|e| e.credit_amount).sum();
    assert_eq!(debits, credits);
    let replay = erp.create_and_post_journal_entry(&entry).await.unwrap();
    assert!(!replay.created && replay.posted, "{replay:?}");
    assert!(
        sb.emulator()
            .bc_rows(DEFAULT_BC_COMPANY_ID, "journalLines")
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_entries_post_through_the_shared_journal() {
    let sb = sandbox(|_| {}).await;
    let erp = erp(&sb);
    let entry = |i: u32| {
        let amount = Money::new(rust_decimal::Decimal::from(10 + i), Currency::USD);
        JournalEntry::new(
            format!("CONC-{i}"),
            NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(),
            Currency::USD,
        )
        .debit(AccountKind::Bank, "CHECKING", amount)
        .credit(AccountKind::Ledger, "2910", amount)
    };

    // Two entries written, then the first's post takes the second's lines along: the
    // second's own post then finds it posted.
    let first = erp.create_journal_entry(&entry(0)).await.unwrap();
    let second = erp.create_journal_entry(&entry(1)).await.unwrap();
    assert_eq!(first.journal, second.journal, "one shared batch");
    erp.post_journal_entry(&first).await.unwrap();
    erp.post_journal_entry(&second).await.unwrap();

    // Many writers at once, with no lock among them.
    let entries: Vec<JournalEntry> = (2..10).map(entry).collect();
    let posted =
        futures::future::join_all(entries.iter().map(|e| erp.create_and_post_journal_entry(e)))
            .await;
    for result in posted {
        assert!(result.unwrap().posted);
    }
    let company = company(&sb).await;
    for i in 0..10 {
        let lines: Vec<_> = company
            .general_ledger_entries()
            .query()
            .filter(prop("documentNumber").eq(format!("CONC-{i}").as_str()))
            .stream()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(lines.len(), 2, "CONC-{i} posted once: {lines:?}");
    }
    assert!(
        sb.emulator()
            .bc_rows(DEFAULT_BC_COMPANY_ID, "journalLines")
            .is_empty()
    );
}

#[tokio::test]
async fn paging_with_max_page_size_and_a_json_batch() {
    let sb = sandbox(|_| {}).await;
    for i in 0..5 {
        sb.emulator()
            .seed_bc_customer(
                DEFAULT_BC_COMPANY_ID,
                &format!("C-{i:03}"),
                &format!("Customer {i}"),
            )
            .unwrap();
    }
    let company = company(&sb).await;
    let pages: Vec<_> = company
        .customers()
        .query()
        .order_by("number")
        .max_page_size(2)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        pages.iter().map(|p| p.items.len()).collect::<Vec<_>>(),
        [2, 2, 1]
    );

    let orders = company.sales_orders();
    let mut batch = company.batch();
    let mut changeset = batch.changeset();
    let order = changeset.create(
        &orders,
        &json!({"customerNumber": "C-001", "externalDocumentNumber": "web-1"}),
    );
    changeset.create_under(
        &order,
        "salesOrderLines",
        &json!({"lineType": "Item", "lineObjectNumber": "1896-S", "quantity": 1}),
    );
    let read = batch.query(
        &company
            .customers()
            .query()
            .filter(prop("number").eq("C-002")),
    );
    let answer = batch.send().await.unwrap();
    answer.check().unwrap();
    let page: Value = answer.part(&read).unwrap().json().unwrap();
    assert_eq!(page["value"][0]["number"], "C-002");
    assert_eq!(
        sb.emulator()
            .bc_rows(DEFAULT_BC_COMPANY_ID, "salesOrderLines")
            .len(),
        1
    );
}

#[tokio::test]
async fn the_client_limit_keeps_bc_from_throttling() {
    let config = DynamicsConfig::new()
        .processing_delay(std::time::Duration::from_millis(40))
        .bc(|b| b.throttle = ThrottleConfig::unlimited().concurrency(2, 0));
    let sb = DynamicsSandbox::start_with(config).await.unwrap();
    sb.emulator()
        .seed_bc_customer(DEFAULT_BC_COMPANY_ID, "C-1", "One")
        .unwrap();
    let client = client_with(&sb, DEFAULT_BC_COMPANY_ID, 2);
    let company = client.bc().default_company().await.unwrap();
    let calls = (0..12).map(|_| {
        let company = company.clone();
        tokio::spawn(async move { company.customers().query().first_page().await })
    });
    for result in futures::future::join_all(calls).await {
        result.unwrap().unwrap();
    }
    assert_eq!(sb.emulator().throttled_count(), 0);

    // The same load from a client allowed 12 at once is throttled (and its 429s retried).
    let eager = client_with(&sb, DEFAULT_BC_COMPANY_ID, 12)
        .bc()
        .default_company()
        .await
        .unwrap();
    let calls = (0..12).map(|_| {
        let company = eager.clone();
        tokio::spawn(async move { company.customers().query().first_page().await })
    });
    let _ = futures::future::join_all(calls).await;
    assert!(
        sb.emulator().throttled_count() > 0,
        "the check above is not vacuous"
    );
}
