//! Finance & Operations and Business Central specifics against wiremock: company scoping,
//! journal posting strategies, BC's company lookup and actions, and the exact requests the
//! ERP facade makes (including a replayed payment that finds its line instead of adding one).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use canonical_model::{
    Currency, Customer, ExternalRef, Money, Party, Payment, PaymentStatus, System, TransactionKind,
};
use chrono::{TimeZone, Utc};
use common::{builder, catch_all, client, path_and_query, requests_to};
use dynamics365_client::erp::{BcErp, BcErpConfig, Erp, FnoErp, FnoErpConfig, PaymentBatch};
use dynamics365_client::fno::PostingStrategy;
use dynamics365_client::{Error, Flavor};
use mapping::retry::{ErrorKind, RecordingSleeper};
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const COMPANY: &str = "00000000-0000-0000-0000-0000000000c1";

fn payment() -> Payment {
    let mut payment = Payment::new(
        "pay-1",
        TransactionKind::Sale,
        PaymentStatus::Settled,
        Money::new(dec!(125.50), Currency::USD),
    );
    payment.references.processor_transaction_id = Some("40000123".into());
    payment.settled_at = Some(Utc.with_ymd_and_hms(2026, 11, 21, 18, 30, 0).unwrap());
    payment
}

#[tokio::test]
async fn fno_posting_is_refused_by_default_without_a_request() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = builder(&server, Flavor::FinanceOperations, &RecordingSleeper::new())
        .company("usmf")
        .build()
        .unwrap();
    let err = client.fno().post_journal("000123").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unsupported {
                operation: "posting a journal",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Configuration);
    assert!(
        err.to_string().contains("standard Finance & Operations"),
        "{err}"
    );
}

#[tokio::test]
async fn fno_posting_through_a_custom_service_or_entity_action() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/services/TribGroup/TribJournalService/post"))
        .and(body_json(
            json!({"_dataAreaId": "usmf", "_journalBatchNumber": "000123"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(true)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(|r: &Request| {
            path_and_query(r)
                == "/data/TribJournals(dataAreaId='usmf',JournalBatchNumber='000123')/Microsoft.Dynamics.DataEntities.Post?cross-company=true"
        })
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let service = builder(&server, Flavor::FinanceOperations, &RecordingSleeper::new())
        .company("usmf")
        .fno_posting(PostingStrategy::CustomService {
            path: "/api/services/TribGroup/TribJournalService/post".into(),
            company_param: "_dataAreaId".into(),
            journal_param: "_journalBatchNumber".into(),
        })
        .build()
        .unwrap();
    service.fno().post_journal("000123").await.unwrap();
    let action = builder(&server, Flavor::FinanceOperations, &RecordingSleeper::new())
        .company("usmf")
        .fno_posting(PostingStrategy::EntityAction {
            entity_set: "TribJournals".into(),
            action: "Post".into(),
        })
        .build()
        .unwrap();
    action.fno().post_journal("000123").await.unwrap();
}

#[tokio::test]
async fn fno_company_scoping() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(|r: &Request| path_and_query(r) == "/data/LedgerJournalHeaders?$filter=dataAreaId%20eq%20%27usrt%27&cross-company=true")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(|r: &Request| path_and_query(r) == "/data/LedgerJournalHeaders?cross-company=true")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(|r: &Request| path_and_query(r) == "/data/LedgerJournalHeaders")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let configured = builder(&server, Flavor::FinanceOperations, &RecordingSleeper::new())
        .company("usmf")
        .build()
        .unwrap();
    configured
        .fno()
        .company("usrt")
        .ledger_journals()
        .query()
        .first_page()
        .await
        .unwrap();
    configured
        .fno()
        .all_companies()
        .ledger_journals()
        .query()
        .first_page()
        .await
        .unwrap();
    // Without a company: the service user's default company, no parameters.
    client(&server, Flavor::FinanceOperations)
        .fno()
        .ledger_journals()
        .query()
        .first_page()
        .await
        .unwrap();
}

#[tokio::test]
async fn bc_company_by_name_is_looked_up_once_and_paths_are_company_scoped() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(|r: &Request| {
            path_and_query(r)
                == "/api/v2.0/companies?$filter=name%20eq%20%27CRONUS%20USA,%20Inc.%27%20or%20displayName%20eq%20%27CRONUS%20USA,%20Inc.%27&$top=1"
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            {"id": COMPANY, "name": "CRONUS USA, Inc.", "displayName": "CRONUS USA, Inc."}
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    let journal = "00000000-0000-0000-0000-0000000000f1";
    Mock::given(method("GET"))
        .and(path(format!(
            "/api/v2.0/companies({COMPANY})/customerPaymentJournals({journal})/customerPayments"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/api/v2.0/companies({COMPANY})/journals({journal})/Microsoft.NAV.post"
        )))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/api/v2.0/companies({COMPANY})/salesOrders({journal})/Microsoft.NAV.shipAndInvoice"
        )))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = builder(&server, Flavor::BusinessCentral, &RecordingSleeper::new())
        .company("CRONUS USA, Inc.")
        .build()
        .unwrap();
    let journal_id = journal.parse().unwrap();
    let company = client.bc().default_company().await.unwrap();
    assert_eq!(company.id().as_str(), COMPANY);
    company
        .customer_payments(&journal_id)
        .query()
        .first_page()
        .await
        .unwrap();
    let again = client.bc().default_company().await.unwrap();
    again.post_journal(&journal_id).await.unwrap();
    again.ship_and_invoice(&journal_id).await.unwrap();
}

#[tokio::test]
async fn fno_payment_is_recorded_once_and_a_replay_finds_the_line() {
    let server = MockServer::start().await;
    let lookup = "/data/CustomerPaymentJournalLines?$filter=dataAreaId%20eq%20%27usmf%27%20and%20PaymentReference%20eq%20%2740000123%27%20and%20AccountDisplayValue%20eq%20%27US-001%27&$top=1&cross-company=true";
    // First lookup: nothing; later lookups: the line created.
    Mock::given(method("GET"))
        .and(move |r: &Request| path_and_query(r) == lookup)
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(move |r: &Request| path_and_query(r) == lookup)
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            {"dataAreaId": "usmf", "JournalBatchNumber": "000123", "LineNumber": 1, "PaymentReference": "40000123"}
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(|r: &Request| {
            path_and_query(r) == "/data/CustomerPaymentJournalLines?cross-company=true"
        })
        .and(body_json(json!({
            "dataAreaId": "usmf",
            "JournalBatchNumber": "000123",
            "TransactionDate": "2026-11-21T12:00:00Z",
            "AccountType": "Cust",
            "AccountDisplayValue": "US-001",
            "CreditAmount": 125.5,
            "CurrencyCode": "USD",
            "PaymentReference": "40000123",
            "MarkedInvoice": "CIV-000042",
            "PaymentMethodName": "CARD",
            "OffsetAccountType": "Bank",
            "OffsetAccountDisplayValue": "USMF OPER",
            "TransactionText": "Payment 40000123"
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "dataAreaId": "usmf", "JournalBatchNumber": "000123", "LineNumber": 1.0
        })))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = builder(&server, Flavor::FinanceOperations, &RecordingSleeper::new())
        .company("usmf")
        .build()
        .unwrap();
    let erp = FnoErp::new(
        client,
        FnoErpConfig {
            payment_method: Some("CARD".into()),
            payment_offset: Some((
                dynamics365_client::fno::AccountType::Bank,
                "USMF OPER".into(),
            )),
            ..FnoErpConfig::default()
        },
    );
    let batch = PaymentBatch {
        reference: "GB571".into(),
        journal: "000123".into(),
    };
    let first = erp
        .record_customer_payment(&batch, "US-001", &payment(), Some("CIV-000042"))
        .await
        .unwrap();
    assert!(first.created);
    assert_eq!(first.line, "1");
    let replay = erp
        .record_customer_payment(&batch, "US-001", &payment(), Some("CIV-000042"))
        .await
        .unwrap();
    assert!(!replay.created);
    assert_eq!(
        (replay.journal.as_str(), replay.line.as_str()),
        ("000123", "1")
    );
}

#[tokio::test]
async fn bc_payment_amount_sign_is_configurable() {
    for (sign, amount) in [
        (dynamics365_client::bc::AmountSign::Negative, -125.5),
        (dynamics365_client::bc::AmountSign::Positive, 125.5),
    ] {
        let server = MockServer::start().await;
        let journal = "00000000-0000-0000-0000-0000000000f1";
        let payments = format!(
            "/api/v2.0/companies({COMPANY})/customerPaymentJournals({journal})/customerPayments"
        );
        Mock::given(method("GET"))
            .and(path(payments.clone()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!(
                "/api/v2.0/companies({COMPANY})/generalLedgerEntries"
            )))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path(payments))
            .and(body_json(json!({
                "customerNumber": "10000",
                "postingDate": "2026-11-21",
                "documentNumber": "40000123",
                "externalDocumentNumber": "40000123",
                "amount": amount,
                "appliesToInvoiceNumber": "103001",
                "description": "Payment 40000123"
            })))
            .respond_with(
                ResponseTemplate::new(201)
                    .set_body_json(json!({"id": "00000000-0000-0000-0000-0000000000e1"})),
            )
            .expect(1)
            .mount(&server)
            .await;
        catch_all(&server).await;
        let client = builder(&server, Flavor::BusinessCentral, &RecordingSleeper::new())
            .company(COMPANY)
            .build()
            .unwrap();
        let erp = BcErp::new(
            client,
            BcErpConfig {
                payment_sign: sign,
                ..BcErpConfig::default()
            },
        );
        let batch = PaymentBatch {
            reference: "GB571".into(),
            journal: journal.into(),
        };
        let recorded = erp
            .record_customer_payment(&batch, "10000", &payment(), Some("103001"))
            .await
            .unwrap();
        assert!(recorded.created);
        assert_eq!(recorded.line, "00000000-0000-0000-0000-0000000000e1");
    }
}

#[tokio::test]
async fn bc_customer_upsert_patches_with_the_etag_it_read() {
    let server = MockServer::start().await;
    let customers = format!("/api/v2.0/companies({COMPANY})/customers");
    Mock::given(method("GET"))
        .and(path(customers.clone()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            {"@odata.etag": "W/\"JzE5OzEn\"", "id": "00000000-0000-0000-0000-0000000000d1", "number": "10000", "displayName": "Old"}
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{customers}(00000000-0000-0000-0000-0000000000d1)")))
        .and(wiremock::matchers::header("if-match", "W/\"JzE5OzEn\""))
        .and(body_json(json!({"displayName": "Adatum Corporation", "type": "Company", "email": "ap@adatum.example"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"number": "10000"})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = builder(&server, Flavor::BusinessCentral, &RecordingSleeper::new())
        .company(COMPANY)
        .build()
        .unwrap();
    let mut customer = Customer::new(Party::Organization {
        name: "Adatum Corporation".into(),
    });
    customer.email = Some("ap@adatum.example".into());
    customer
        .references
        .push(ExternalRef::new(System::DynamicsBusinessCentral, "10000"));
    let erp = BcErp::new(client, BcErpConfig::default());
    let result = erp.upsert_customer(&customer).await.unwrap();
    assert!(!result.created);
    assert_eq!(result.account, "10000");

    // A customer without a BC account number is refused: no natural key, no idempotency.
    let anonymous = Customer::new(Party::Organization { name: "X".into() });
    let err = erp.upsert_customer(&anonymous).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(requests_to(&server, "/customers").await.len(), 1);
}

#[tokio::test]
async fn bc_sales_invoice_maps_to_the_canonical_invoice() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v2.0/companies({COMPANY})/salesInvoices")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [{
            "id": "00000000-0000-0000-0000-0000000000b1", "number": "103001", "invoiceDate": "2026-11-01",
            "dueDate": "2026-12-01", "customerNumber": "10000", "orderNumber": "S-1", "currencyCode": "",
            "totalAmountIncludingTax": 250.0, "remainingAmount": 150.0, "status": "Open"
        }]})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = builder(&server, Flavor::BusinessCentral, &RecordingSleeper::new())
        .company(COMPANY)
        .build()
        .unwrap();
    let invoice = BcErp::new(client, BcErpConfig::default())
        .find_invoice("103001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        invoice.currency,
        Currency::USD,
        "blank currency is the local currency"
    );
    assert_eq!(invoice.total.amount, dec!(250));
    assert_eq!(invoice.amount_due.amount, dec!(150));
    assert_eq!(
        invoice.status,
        canonical_model::InvoiceStatus::PartiallyPaid
    );
    assert_eq!(invoice.due_on, chrono::NaiveDate::from_ymd_opt(2026, 12, 1));
    let _: Value = serde_json::to_value(&invoice).unwrap();
}
