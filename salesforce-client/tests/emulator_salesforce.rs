//! The client against `sandbox::salesforce`, an emulator written from the reference and not
//! from this crate: JWT login, upserts, paging, composite references, chunked collections,
//! session expiry under concurrency, and each fault class retried or not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use futures::TryStreamExt;
use mapping::retry::{ErrorKind, FixedRandom, RecordingSleeper, Retrier, RetryPolicy};
use salesforce_client::auth::{ClientCredentials, JwtBearer};
use salesforce_client::composite::{CompositeRequest, Subrequest, reference};
use salesforce_client::sobjects::{SObject, UpsertOutcome};
use salesforce_client::{ApiVersion, Client, Error};
use sandbox::salesforce::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_USERNAME, FieldMeta, FieldType, ObjectMeta,
    SalesforceConfig, SalesforceFault, SalesforceSandbox, TEST_PRIVATE_KEY_PEM,
};
use serde_json::{Value, json};

fn config() -> SalesforceConfig {
    SalesforceConfig::default().object(
        ObjectMeta::new("Payment__c")
            .field(FieldMeta::text("PaymentID__c", 50).external_id().unique())
            .field(FieldMeta::new("Amount__c", FieldType::Currency).required())
            .field(FieldMeta::text("Status__c", 40)),
    )
}

async fn start() -> SalesforceSandbox {
    SalesforceSandbox::start_with(config()).await.unwrap()
}

fn retrier() -> Retrier {
    Retrier::new(RetryPolicy::default())
        .with_sleeper(RecordingSleeper::new())
        .with_random(FixedRandom::new(0.5))
}

/// A client logging in to the emulator with the JWT bearer flow.
fn jwt_client(sf: &SalesforceSandbox) -> Client {
    let jwt = JwtBearer::from_pem(
        DEFAULT_CLIENT_ID,
        DEFAULT_USERNAME,
        TEST_PRIVATE_KEY_PEM.as_bytes(),
    )
    .unwrap();
    Client::builder()
        .login_url(sf.base_url())
        .api_version(ApiVersion::new(66))
        .credentials(jwt)
        .retrier(retrier())
        .build()
        .unwrap()
}

fn payment(id: &str, amount: f64) -> Value {
    json!({"PaymentID__c": id, "Amount__c": amount, "Status__c": "Completed"})
}

#[tokio::test]
async fn upsert_twice_creates_then_updates() {
    let sf = start().await;
    let client = jwt_client(&sf);
    let payments = client.sobjects("Payment__c");
    let first = payments
        .upsert("PaymentID__c", "PT-1", &payment("PT-1", 10.0))
        .await
        .unwrap();
    let UpsertOutcome::Created { id } = &first else {
        panic!("{first:?}")
    };
    let second = payments
        .upsert("PaymentID__c", "PT-1", &json!({"Amount__c": 12.5}))
        .await
        .unwrap();
    assert_eq!(
        second,
        UpsertOutcome::Updated {
            id: Some(id.clone())
        }
    );
    let stored = sf.emulator().records("Payment__c");
    assert_eq!(stored.len(), 1);
    let read: SObject = payments
        .get(id, &["Amount__c", "PaymentID__c"])
        .await
        .unwrap();
    assert_eq!(read.get("Amount__c"), Some(&json!(12.5)));
    assert!(
        client.last_api_usage().is_some(),
        "every reply carries Sforce-Limit-Info"
    );
    // Only an update when asked for one.
    let missing = payments
        .update_by_external_id("PaymentID__c", "PT-404", &json!({"Amount__c": 1}))
        .await
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing:?}");
}

#[tokio::test]
async fn a_query_of_5000_records_goes_through_several_pages() {
    let sf = start().await;
    sf.emulator()
        .seed_many(
            "Payment__c",
            (0..5000).map(|i| payment(&format!("PT-{i:05}"), f64::from(i))),
        )
        .unwrap();
    let client = jwt_client(&sf);
    let pages: Vec<_> = client
        .query("SELECT Id, PaymentID__c FROM Payment__c ORDER BY PaymentID__c")
        .batch_size(2000)
        .pages::<SObject>()
        .try_collect()
        .await
        .unwrap();
    assert!(pages.len() >= 3, "{} pages", pages.len());
    assert!(pages.iter().all(|p| p.total_size == 5000));
    let ids: std::collections::HashSet<&str> = pages
        .iter()
        .flat_map(|p| &p.records)
        .filter_map(|r| r.id.as_deref())
        .collect();
    assert_eq!(ids.len(), 5000);
    assert!(pages.last().unwrap().done);
    // The stream of records sees the same 5,000.
    let count = client
        .query("SELECT Id FROM Payment__c")
        .stream::<SObject>()
        .try_fold(0usize, |n, _| async move { Ok(n + 1) })
        .await
        .unwrap();
    assert_eq!(count, 5000);
}

#[tokio::test]
async fn composite_with_references() {
    let sf = start().await;
    let client = jwt_client(&sf);
    let request = CompositeRequest::new()
        .all_or_none(true)
        .add(
            "newAccount",
            Subrequest::create("Account", &json!({"Name": "Acme"})),
        )
        .add(
            "newContact",
            Subrequest::create(
                "Contact",
                &json!({"LastName": "Doe", "AccountId": reference("newAccount", "id")}),
            ),
        )
        .add(
            "readBack",
            Subrequest::get("Account", &reference("newAccount", "id"), &["Name"]),
        );
    let response = client.composite().send(&request).await.unwrap();
    assert!(response.is_success(), "{response:?}");
    let account_id = response.get("newAccount").unwrap().body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let contacts = sf.emulator().records("Contact");
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].get("AccountId"), Some(&json!(account_id)));
    assert_eq!(response.get("readBack").unwrap().body["Name"], "Acme");
}

#[tokio::test]
async fn a_collection_of_450_with_one_bad_record_goes_in_3_chunks() {
    let sf = start().await;
    let client = jwt_client(&sf);
    let records: Vec<Value> = (0..450)
        .map(|i| {
            if i == 300 {
                json!({"PaymentID__c": "PT-BAD"}) // no Amount__c, which is required
            } else {
                payment(&format!("PT-{i:03}"), 1.0)
            }
        })
        .collect();
    let results = client
        .collections()
        .upsert("Payment__c", "PaymentID__c", &records)
        .await
        .unwrap();
    assert_eq!(results.len(), 450);
    assert!(!results[300].success);
    assert_eq!(
        results[300].errors[0].error_code, "REQUIRED_FIELD_MISSING",
        "{:?}",
        results[300]
    );
    assert!(
        results
            .iter()
            .enumerate()
            .all(|(i, r)| i == 300 || r.success)
    );
    assert_eq!(sf.emulator().count("Payment__c"), 449);
    assert_eq!(
        sf.request_count("/services/data/v66.0/composite/sobjects/Payment__c/PaymentID__c"),
        3
    );
}

#[tokio::test]
async fn session_expiry_with_20_concurrent_calls_makes_one_token_request() {
    let sf = start().await;
    let client = jwt_client(&sf);
    client.limits().await.unwrap();
    assert_eq!(sf.emulator().tokens_issued(), 1);
    sf.emulator().expire_sessions();
    let calls = (0..20).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.limits().await })
    });
    for call in futures::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
    assert_eq!(sf.emulator().tokens_issued(), 2);
}

#[tokio::test]
async fn client_credentials_login() {
    let sf = start().await;
    let client = Client::builder()
        .login_url(sf.base_url())
        .credentials(
            ClientCredentials::new(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET).basic_auth(true),
        )
        .retrier(retrier())
        .build()
        .unwrap();
    assert!(client.versions().await.unwrap().len() > 1);
    client
        .sobjects("Account")
        .create(&json!({"Name": "Acme"}))
        .await
        .unwrap();
}

#[tokio::test]
async fn fault_classes_are_retried_or_not_as_specified() {
    let sf = start().await;
    let client = jwt_client(&sf);
    let id = sf
        .emulator()
        .seed("Account", json!({"Name": "Acme"}))
        .unwrap();
    let faults = sf.salesforce_faults();
    let accounts = client.sobjects("Account");
    let read = || accounts.get::<SObject>(&id, &[]);

    // Retried: 503 on a read, concurrent-request limits, row locks on an upsert.
    faults.fail_next(2, SalesforceFault::ServerUnavailable);
    read().await.unwrap();
    assert_eq!(faults.count(SalesforceFault::ServerUnavailable), 2);
    faults.fail_next(2, SalesforceFault::ConcurrentRequestLimit);
    read().await.unwrap();
    assert_eq!(faults.count(SalesforceFault::ConcurrentRequestLimit), 2);
    faults.fail_next_method(2, "PATCH", SalesforceFault::UnableToLockRow);
    client
        .sobjects("Payment__c")
        .upsert("PaymentID__c", "PT-LOCK", &payment("PT-LOCK", 1.0))
        .await
        .unwrap();
    assert_eq!(faults.count(SalesforceFault::UnableToLockRow), 2);

    // Not retried: the daily quota.
    faults.fail_next(1, SalesforceFault::DailyRequestLimit);
    let err = read().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::QuotaExceeded);
    assert_eq!(faults.count(SalesforceFault::DailyRequestLimit), 1);
    read().await.unwrap();

    // Not resent: a create answered 503.
    let before = sf.request_count("/services/data/v66.0/sobjects/Account");
    faults.fail_next_method(1, "POST", SalesforceFault::ServerUnavailable);
    let err = client
        .sobjects("Account")
        .create(&json!({"Name": "Once"}))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
    assert_eq!(
        sf.request_count("/services/data/v66.0/sobjects/Account"),
        before + 1
    );

    // An invalid session: one refresh, one replay.
    let tokens = sf.emulator().tokens_issued();
    faults.fail_next(1, SalesforceFault::InvalidSession);
    read().await.unwrap();
    assert_eq!(sf.emulator().tokens_issued(), tokens + 1);

    // A session not valid for REST: never refreshed.
    sf.emulator().restrict_sessions_from_rest();
    let tokens = sf.emulator().tokens_issued();
    let err = read().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err:?}");
    assert_eq!(sf.emulator().tokens_issued(), tokens);
}
