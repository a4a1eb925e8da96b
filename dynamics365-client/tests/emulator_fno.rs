//! The client against the sandbox's Finance & Operations emulator (written from the reference,
//! not from this client): the ERP facade end to end, paging through a small page cap, a batch
//! with a changeset, and 429 handling.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use canonical_model::{
    AccountKind, Currency, Customer, ExternalRef, JournalEntry, Money, Order, OrderLine,
    OrderStatus, Party, Payment, PaymentStatus, System, TransactionKind,
};
use chrono::NaiveDate;
use dynamics365_client::auth::ClientSecret;
use dynamics365_client::erp::{Erp, FnoErp, FnoErpConfig};
use dynamics365_client::fno::{AccountType, NoYes, PostingStrategy, SalesOrderHeaderV2};
use dynamics365_client::odata::filter::prop;
use dynamics365_client::{Client, Error, Flavor};
use futures::TryStreamExt;
use mapping::retry::{FixedRandom, RecordingSleeper, Retrier, RetryPolicy};
use rust_decimal_macros::dec;
use sandbox::dynamics::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID, DynamicsConfig, DynamicsSandbox,
};
use serde_json::{Value, json};
use std::time::Duration;

const SERVICE: &str = "/api/services/TributaryServices/JournalService/post";

async fn sandbox(configure: impl FnOnce(&mut sandbox::dynamics::FnoConfig)) -> DynamicsSandbox {
    DynamicsSandbox::start_with(DynamicsConfig::new().fno(configure))
        .await
        .unwrap()
}

fn client(sb: &DynamicsSandbox, sleeper: &RecordingSleeper) -> Client {
    Client::builder()
        .flavor(Flavor::FinanceOperations)
        .base_url(sb.fno_url())
        .credentials(
            ClientSecret::new(DEFAULT_TENANT_ID, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
                .authority(sb.base_url()),
        )
        .company("usmf")
        .fno_posting(PostingStrategy::CustomService {
            path: SERVICE.into(),
            company_param: "_dataAreaId".into(),
            journal_param: "_journalBatchNumber".into(),
        })
        .retrier(
            Retrier::new(RetryPolicy::default())
                .with_sleeper(sleeper.clone())
                .with_random(FixedRandom::new(0.0)),
        )
        .build()
        .unwrap()
}

fn erp(sb: &DynamicsSandbox) -> FnoErp {
    FnoErp::new(
        client(sb, &RecordingSleeper::new()),
        FnoErpConfig {
            payment_offset: Some((AccountType::Bank, "USMF OPER".into())),
            ..FnoErpConfig::default()
        },
    )
}

fn contoso() -> Customer {
    let mut customer = Customer::new(Party::Organization {
        name: "Contoso Retail".into(),
    });
    customer.email = Some("ap@contoso.example".into());
    customer.references.push(ExternalRef::new(
        System::DynamicsFinanceOperations,
        "US-100",
    ));
    customer
}

#[tokio::test]
async fn upserting_a_customer_twice_leaves_one_customer() {
    let sb = sandbox(|_| {}).await;
    let erp = erp(&sb);
    let first = erp.upsert_customer(&contoso()).await.unwrap();
    assert!(first.created);
    let mut renamed = contoso();
    renamed.party = Party::Organization {
        name: "Contoso Retail Group".into(),
    };
    let second = erp.upsert_customer(&renamed).await.unwrap();
    assert!(!second.created);
    let rows = sb.emulator().fno_rows("CustomersV3");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["OrganizationName"], "Contoso Retail Group");
    assert_eq!(rows[0]["PrimaryContactEmail"], "ap@contoso.example");
    let read = erp
        .fno()
        .customers()
        .get(dynamics365_client::fno::CustomerV3::key("usmf", "US-100"))
        .await
        .unwrap();
    assert!(read.etag.is_some());
    assert_eq!(read.customer_group_id.as_deref(), Some("10"));
}

fn order() -> Order {
    let mut customer = contoso();
    customer
        .references
        .push(ExternalRef::new(System::Salesforce, "001A"));
    Order {
        id: "web-1001".into(),
        number: None,
        customer: Some(customer),
        currency: Currency::USD,
        lines: vec![
            OrderLine {
                sku: Some("A0001".into()),
                description: "Widget".into(),
                quantity: dec!(3),
                unit_price: Money::new(dec!(19.99), Currency::USD),
                discount: None,
                tax: None,
            },
            OrderLine {
                sku: Some("A0002".into()),
                description: "Gadget".into(),
                quantity: dec!(1),
                unit_price: Money::new(dec!(5), Currency::USD),
                discount: None,
                tax: None,
            },
        ],
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
    erp.upsert_customer(&contoso()).await.unwrap();
    let first = erp.create_sales_order(&order()).await.unwrap();
    assert!(first.created);
    let replay = erp.create_sales_order(&order()).await.unwrap();
    assert!(!replay.created);
    assert_eq!(replay.number, first.number);
    assert_eq!(sb.emulator().fno_rows("SalesOrderHeadersV2").len(), 1);
    let lines = sb.emulator().fno_rows("SalesOrderLines");
    assert_eq!(lines.len(), 2);
    assert!(
        lines
            .iter()
            .all(|l| l["SalesOrderNumber"] == first.number.as_str())
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
async fn a_payment_settles_an_invoice_once_and_posts() {
    let sb = sandbox(|f| f.posting.service_path = Some(SERVICE.into())).await;
    let erp = erp(&sb);
    erp.upsert_customer(&contoso()).await.unwrap();
    sb.emulator()
        .seed_fno_invoice(
            json!({"dataAreaId": "usmf", "InvoiceNumber": "CIV-000042", "InvoiceCustomerAccountNumber": "US-100",
                   "CurrencyCode": "USD", "InvoiceDate": "2026-11-01T12:00:00Z", "SalesOrderNumber": "000001"}),
            vec![json!({"ItemNumber": "A0001", "LineAmount": 125.5})],
        )
        .unwrap();

    let invoice = erp.find_invoice("CIV-000042").await.unwrap().unwrap();
    assert_eq!(invoice.total, Money::new(dec!(125.5), Currency::USD));
    assert_eq!(
        invoice.issued_on,
        NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
    );
    assert_eq!(invoice.customer_account.as_deref(), Some("US-100"));
    assert!(erp.find_invoice("CIV-404").await.unwrap().is_none());

    let batch = erp.open_payment_batch("GB571").await.unwrap();
    assert_eq!(
        erp.open_payment_batch("GB571").await.unwrap(),
        batch,
        "the batch is found again"
    );
    let recorded = erp
        .record_customer_payment(
            &batch,
            "US-100",
            &payment("40000123", dec!(125.50)),
            Some("CIV-000042"),
        )
        .await
        .unwrap();
    assert!(recorded.created);
    // A replay (after a crash, a lost answer) finds the line instead of adding a second one.
    let replay = erp
        .record_customer_payment(
            &batch,
            "US-100",
            &payment("40000123", dec!(125.50)),
            Some("CIV-000042"),
        )
        .await
        .unwrap();
    assert!(!replay.created);
    let lines = sb.emulator().fno_rows("CustomerPaymentJournalLines");
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["MarkedInvoice"], "CIV-000042");
    assert_eq!(lines[0]["PaymentReference"], "40000123");
    assert_eq!(lines[0]["AccountType"], "Cust");

    erp.post_payment_batch(&batch).await.unwrap();
    let header = erp
        .fno()
        .customer_payment_journals()
        .get(dynamics365_client::fno::CustomerPaymentJournalHeader::key(
            "usmf",
            &batch.journal,
        ))
        .await
        .unwrap();
    assert_eq!(header.is_posted, Some(NoYes::Yes));
    let entries: Vec<_> = erp
        .fno()
        .general_journal_account_entries()
        .query()
        .filter(prop("JournalNumber").eq(batch.journal.as_str()))
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(!entries.is_empty(), "posting wrote ledger entries");
}

#[tokio::test]
async fn posting_is_unsupported_without_a_strategy() {
    let sb = sandbox(|_| {}).await;
    let client = Client::builder()
        .flavor(Flavor::FinanceOperations)
        .base_url(sb.fno_url())
        .credentials(
            ClientSecret::new(DEFAULT_TENANT_ID, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
                .authority(sb.base_url()),
        )
        .company("usmf")
        .build()
        .unwrap();
    let erp = FnoErp::new(client, FnoErpConfig::default());
    let batch = erp.open_payment_batch("GB572").await.unwrap();
    let err = erp.post_payment_batch(&batch).await.unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
}

#[tokio::test]
async fn a_general_journal_entry_is_written_once_and_posted() {
    let sb = sandbox(|f| f.posting.service_path = Some(SERVICE.into())).await;
    let erp = erp(&sb);
    let usd = |a| Money::new(a, Currency::USD);
    let entry = JournalEntry::new(
        "BATCH-571",
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(),
        Currency::USD,
    )
    .debit(AccountKind::Ledger, "110110", usd(dec!(165.00)))
    .debit(AccountKind::Ledger, "618900", usd(dec!(4.95)))
    .credit(AccountKind::Ledger, "130100", usd(dec!(169.95)));
    let journal = erp.create_and_post_journal_entry(&entry).await.unwrap();
    assert!(journal.created && journal.posted);
    assert_eq!(sb.emulator().fno_rows("LedgerJournalLines").len(), 3);
    let again = erp.create_journal_entry(&entry).await.unwrap();
    assert!(!again.created && again.posted, "{again:?}");
    assert_eq!(sb.emulator().fno_rows("LedgerJournalHeaders").len(), 1);
    assert_eq!(sb.emulator().fno_rows("LedgerJournalLines").len(), 3);
    assert!(
        !sb.emulator()
            .fno_rows("GeneralJournalAccountEntries")
            .is_empty()
    );
}

#[tokio::test]
async fn paging_through_a_small_page_cap() {
    let sb = sandbox(|f| f.page_size = 2).await;
    for i in 0..5 {
        sb.emulator()
            .seed_fno_customer("usmf", &format!("US-{i:03}"), &format!("Customer {i}"))
            .unwrap();
    }
    let client = client(&sb, &RecordingSleeper::new());
    let pages: Vec<_> = client
        .fno()
        .customers()
        .query()
        .order_by("CustomerAccount")
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    let accounts: Vec<String> = pages
        .into_iter()
        .flat_map(|p| p.items)
        .map(|c| c.customer_account.unwrap())
        .collect();
    assert_eq!(accounts, ["US-000", "US-001", "US-002", "US-003", "US-004"]);
}

#[tokio::test]
async fn wildcard_filters_and_enum_literals_work_on_the_emulator() {
    let sb = sandbox(|_| {}).await;
    sb.emulator()
        .seed_fno_customer("usmf", "US-001", "Contoso Retail")
        .unwrap();
    sb.emulator()
        .seed_fno_customer("usmf", "US-002", "Fabrikam")
        .unwrap();
    let client = client(&sb, &RecordingSleeper::new());
    let found: Vec<_> = client
        .fno()
        .customers()
        .query()
        .filter(
            prop("OrganizationName")
                .contains("retail")
                .or(prop("CustomerAccount").is_in(["US-404"])),
        )
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].customer_account.as_deref(), Some("US-001"));
    let open: Vec<_> = client
        .fno()
        .customer_payment_journals()
        .query()
        .filter(prop("IsPosted").eq(NoYes::No.literal()))
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(open.is_empty());
}

#[tokio::test]
async fn a_batch_with_a_changeset_creates_an_order_and_its_lines_atomically() {
    let sb = sandbox(|_| {}).await;
    sb.emulator()
        .seed_fno_customer("usmf", "US-100", "Contoso")
        .unwrap();
    let client = client(&sb, &RecordingSleeper::new());
    let fno = client.fno();
    let orders = fno.sales_orders();
    let mut batch = fno.batch();
    let mut changeset = batch.changeset();
    let header = changeset.create(
        &orders,
        &json!({"dataAreaId": "usmf", "OrderingCustomerAccountNumber": "US-100", "CurrencyCode": "USD"}),
    );
    let line = changeset.create_under(
        &header,
        "SalesOrderLines",
        &json!({"dataAreaId": "usmf", "ItemNumber": "A0001", "OrderedSalesQuantity": 2}),
    );
    let read = batch.get(
        &fno.customers()
            .entity(dynamics365_client::fno::CustomerV3::key("usmf", "US-100")),
    );
    let answer = batch.send().await.unwrap();
    answer.check().unwrap();
    let created: SalesOrderHeaderV2 = answer.part(&header).unwrap().json().unwrap();
    let line: Value = answer.part(&line).unwrap().json().unwrap();
    assert_eq!(
        line["SalesOrderNumber"].as_str(),
        created.sales_order_number.as_deref()
    );
    assert_eq!(
        answer.part(&read).unwrap().json::<Value>().unwrap()["CustomerAccount"],
        "US-100"
    );

    // A changeset with a failing part leaves nothing behind.
    let mut batch = fno.batch();
    let mut changeset = batch.changeset();
    changeset.create(&orders, &json!({"dataAreaId": "usmf", "OrderingCustomerAccountNumber": "US-100", "CurrencyCode": "USD"}));
    changeset.create(&orders, &json!({"dataAreaId": "usmf", "OrderingCustomerAccountNumber": "US-404", "CurrencyCode": "USD"}));
    let answer = batch.send().await.unwrap();
    assert!(answer.check().is_err());
    assert_eq!(
        sb.emulator().fno_rows("SalesOrderHeadersV2").len(),
        1,
        "rolled back"
    );
}

#[tokio::test]
async fn a_429_from_the_service_is_retried_after_its_retry_after() {
    let sb = sandbox(|_| {}).await;
    sb.emulator()
        .seed_fno_customer("usmf", "US-001", "Contoso")
        .unwrap();
    let sleeper = RecordingSleeper::new();
    let client = client(&sb, &sleeper);
    // Fetch the token first, so the 429 lands on the data request.
    client.fno().customers().query().first_page().await.unwrap();
    sb.faults().throttle_next(1, 3);
    let page = client.fno().customers().query().first_page().await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(sleeper.delays(), [Duration::from_secs(3)]);
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once() {
    let sb = sandbox(|_| {}).await;
    let client = client(&sb, &RecordingSleeper::new());
    client.fno().customers().query().first_page().await.unwrap();
    let issued = sb.emulator().tokens_issued();
    sb.emulator().expire_tokens();
    let calls = (0..10).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.fno().customers().query().first_page().await })
    });
    for result in futures::future::join_all(calls).await {
        result.unwrap().unwrap();
    }
    assert_eq!(sb.emulator().tokens_issued(), issued + 1);
}
