//! The Streaming API against `sandbox::salesforce`'s CometD endpoint, an emulator written from
//! the reference and not from this crate: subscribe → publish (REST) → receive → ack → restart
//! from a file replay store with nothing repeated and nothing missed; a CDC event for a REST
//! write; recovery from `403::Unknown client`, `503::Server is too busy` and an expired
//! session.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use futures::{Stream, StreamExt};
use mapping::retry::{FixedRandom, RecordingSleeper, Retrier, RetryPolicy};
use salesforce_client::auth::JwtBearer;
use salesforce_client::streaming::{
    ChangeEvent, ChangeType, Event, FileReplayStore, ReplayFrom, ReplayStore, channel,
};
use salesforce_client::{ApiVersion, Client};
use sandbox::salesforce::{
    AsyncFault, DEFAULT_CLIENT_ID, DEFAULT_USERNAME, FieldMeta, FieldType, ObjectMeta,
    SalesforceConfig, SalesforceSandbox, StreamingConfig, TEST_PRIVATE_KEY_PEM,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

const EVENT: &str = "Payment_Settled__e";

async fn start() -> SalesforceSandbox {
    let config = SalesforceConfig::default()
        .object(
            ObjectMeta::new(EVENT)
                .field(FieldMeta::text("PaymentID__c", 40))
                .field(FieldMeta::new("Amount__c", FieldType::Currency)),
        )
        .cdc("Account")
        .streaming(
            StreamingConfig::default()
                .timeout(Duration::from_secs(2))
                .auth_check_interval(Duration::from_millis(50))
                .too_busy_interval(Duration::from_millis(50)),
        );
    SalesforceSandbox::start_with(config).await.unwrap()
}

fn client(sf: &SalesforceSandbox) -> Client {
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
        .retrier(
            Retrier::new(RetryPolicy::default())
                .with_sleeper(RecordingSleeper::new())
                .with_random(FixedRandom::new(0.5)),
        )
        .build()
        .unwrap()
}

fn backoff() -> RetryPolicy {
    RetryPolicy::default()
        .with_base_delay(Duration::from_millis(20))
        .with_max_attempts(6)
}

async fn next<T>(
    events: &mut (impl Stream<Item = salesforce_client::Result<Event<T>>> + Unpin),
) -> Event<T> {
    tokio::time::timeout(Duration::from_secs(20), events.next())
        .await
        .expect("an event within 20 s")
        .expect("the stream goes on")
        .expect("an event")
}

/// The next event, received while `action` runs (a publish the long poll should see).
async fn next_while<T>(
    events: &mut (impl Stream<Item = salesforce_client::Result<Event<T>>> + Unpin),
    action: impl Future<Output = ()>,
) -> Event<T> {
    let action = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        action.await;
    };
    tokio::join!(next(events), action).0
}

async fn publish(client: &Client, n: u32) {
    let published = client
        .events()
        .publish(
            EVENT,
            &json!({"PaymentID__c": format!("PT-{n}"), "Amount__c": n}),
        )
        .await
        .unwrap();
    assert!(published.success);
}

fn payment_id(event: &Event<Value>) -> String {
    event.payload["PaymentID__c"].as_str().unwrap().to_owned()
}

fn subscribe<T: DeserializeOwned + Send + 'static>(
    client: &Client,
    name: String,
    store: FileReplayStore,
    from: ReplayFrom,
) -> impl Stream<Item = salesforce_client::Result<Event<T>>> + Unpin + use<T> {
    client
        .streaming()
        .subscribe(name)
        .replay_from(from)
        .replay_store(store)
        .backoff(backoff())
        .events::<T>()
}

#[tokio::test]
async fn ack_then_restart_from_the_file_store_repeats_nothing_and_misses_nothing() {
    let sf = start().await;
    let client = client(&sf);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("replay.log");
    let topic = channel::platform_event(EVENT);

    for n in 1..=5 {
        publish(&client, n).await;
    }
    let mut processed = Vec::new();
    let store = FileReplayStore::open(&log).await.unwrap();
    let mut events = subscribe::<Value>(&client, topic.clone(), store, ReplayFrom::AllRetained);
    let mut delivered = Vec::new();
    for _ in 1..=5 {
        delivered.push(next(&mut events).await);
    }
    // Processed (acked) 1–3; 4 and 5 were handed out but the process "crashes" first.
    for event in &delivered[..3] {
        processed.push(payment_id(event));
        event.ack().await.unwrap();
    }
    let last_acked = delivered[2].replay_id;
    drop(delivered);
    drop(events);

    for n in 6..=8 {
        publish(&client, n).await;
    }
    let store = FileReplayStore::open(&log).await.unwrap();
    assert_eq!(store.load(&topic).await.unwrap(), Some(last_acked));
    let mut events = subscribe::<Value>(&client, topic.clone(), store, ReplayFrom::New);
    for _ in 4..=8 {
        let event = next(&mut events).await;
        processed.push(payment_id(&event));
        event.ack().await.unwrap();
    }
    let expected: Vec<String> = (1..=8).map(|n| format!("PT-{n}")).collect();
    assert_eq!(
        processed, expected,
        "every event processed exactly once, in order"
    );

    // Live: the long poll sees a new event.
    let live = next_while(&mut events, publish(&client, 9)).await;
    assert_eq!(payment_id(&live), "PT-9");
}

#[tokio::test]
async fn a_rest_write_arrives_as_a_change_event() {
    let sf = start().await;
    let client = client(&sf);
    let dir = tempfile::tempdir().unwrap();
    let store = FileReplayStore::open(dir.path().join("cdc.log"))
        .await
        .unwrap();

    let created = client
        .sobjects("Account")
        .create(&json!({"Name": "Acme"}))
        .await
        .unwrap();
    let id = created.id.unwrap();
    let mut changes = subscribe::<ChangeEvent>(
        &client,
        channel::change_events_of("Account"),
        store,
        ReplayFrom::AllRetained,
    );
    let create = next(&mut changes).await;
    let header = &create.payload.header;
    assert_eq!(header.entity_name, "Account");
    assert_eq!(header.change_type, ChangeType::Create);
    assert_eq!(header.record_ids, std::slice::from_ref(&id));
    assert!(
        header
            .change_origin
            .as_deref()
            .unwrap_or_default()
            .contains("/rest/")
    );
    assert!(header.commit_time().is_some());
    assert_eq!(create.payload.fields["Name"], "Acme");
    create.ack().await.unwrap();

    let update = next_while(&mut changes, async {
        client
            .sobjects("Account")
            .update(&id, &json!({"Name": "Acme Corporation"}))
            .await
            .unwrap();
    })
    .await;
    let header = &update.payload.header;
    assert_eq!(header.change_type, ChangeType::Update);
    assert!(
        header.changed_fields.iter().any(|f| f == "Name"),
        "{:?}",
        header.changed_fields
    );
    assert_eq!(update.payload.fields["Name"], "Acme Corporation");
    assert!(update.replay_id > create.replay_id);
}

#[tokio::test]
async fn unknown_client_too_busy_and_an_expired_session_are_recovered() {
    let sf = start().await;
    let client = client(&sf);
    let dir = tempfile::tempdir().unwrap();
    let store = FileReplayStore::open(dir.path().join("replay.log"))
        .await
        .unwrap();
    let topic = channel::platform_event(EVENT);
    publish(&client, 1).await;
    let mut events = subscribe::<Value>(&client, topic.clone(), store, ReplayFrom::AllRetained);
    let first = next(&mut events).await;
    assert_eq!(payment_id(&first), "PT-1");
    first.ack().await.unwrap();

    // The server forgets the client: handshake again, re-subscribe after 1.
    sf.salesforce_faults()
        .arm(AsyncFault::CometdUnknownClient, 1);
    let second = next_while(&mut events, publish(&client, 2)).await;
    assert_eq!(
        payment_id(&second),
        "PT-2",
        "nothing repeated, nothing lost"
    );
    second.ack().await.unwrap();
    assert_eq!(
        sf.salesforce_faults()
            .async_count(AsyncFault::CometdUnknownClient),
        1
    );

    // Too busy: back off, then carry on.
    sf.salesforce_faults().arm(AsyncFault::CometdTooBusy, 2);
    let third = next_while(&mut events, publish(&client, 3)).await;
    assert_eq!(payment_id(&third), "PT-3");
    third.ack().await.unwrap();
    assert_eq!(
        sf.salesforce_faults()
            .async_count(AsyncFault::CometdTooBusy),
        2
    );

    // The session expires under a held poll: `401::Authentication invalid`, a new token (JWT
    // minted again), a new handshake.
    let tokens = sf.emulator().tokens_issued();
    let fourth = next_while(&mut events, async {
        sf.emulator().expire_sessions();
        tokio::time::sleep(Duration::from_millis(300)).await;
        publish(&client, 4).await;
    })
    .await;
    assert_eq!(payment_id(&fourth), "PT-4");
    fourth.ack().await.unwrap();
    assert!(
        sf.emulator().tokens_issued() > tokens,
        "a new token was fetched"
    );
}
