//! Streaming API (CometD) message shapes against wiremock: handshake, subscribe with the
//! replay extension, connect with cookies and the bearer token; advice, `403::Unknown client`
//! (handshake again, re-subscribe from the last acked id), `401::Authentication invalid` (new
//! token), `503` too busy (backoff), and what ends a subscription.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use common::{TOKEN, bearer, builder, catch_all, static_client, token_body};
use futures::{StreamExt, TryStreamExt};
use mapping::retry::{ErrorKind, FixedRandom, RecordingSleeper, RetryPolicy};
use salesforce_client::auth::ClientCredentials;
use salesforce_client::streaming::{
    ChangeEvent, ChangeType, Event, MemoryReplayStore, ReplayFrom, Subscription, channel,
};
use salesforce_client::{Client, Error};
use serde::Deserialize;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const COMETD: &str = "/cometd/66.0";
const PAYMENTS: &str = "/event/Payment_Settled__e";

#[derive(Debug, PartialEq, Deserialize)]
struct Settled {
    #[serde(rename = "PaymentID__c")]
    payment_id: String,
}

/// Answers from a script, then `rest` for every later request.
struct Script {
    queue: Mutex<VecDeque<ResponseTemplate>>,
    rest: ResponseTemplate,
}

impl Script {
    fn new(script: Vec<ResponseTemplate>, rest: ResponseTemplate) -> Self {
        Script {
            queue: Mutex::new(script.into()),
            rest,
        }
    }
}

impl Respond for Script {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        self.queue
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| self.rest.clone())
    }
}

fn body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap_or(Value::Null)
}

/// Matches a Bayeux POST whose (only) message is on `meta`.
fn bayeux(meta: &'static str) -> impl Fn(&Request) -> bool + Send + Sync + 'static {
    move |request: &Request| {
        request.url.path() == COMETD
            && request.method.as_str() == "POST"
            && body(request)[0]["channel"] == meta
    }
}

fn reply(messages: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(messages)
}

fn handshake_ok(client_id: &str) -> ResponseTemplate {
    reply(json!([{
        "channel": "/meta/handshake", "version": "1.0", "successful": true, "clientId": client_id,
        "supportedConnectionTypes": ["long-polling"], "ext": {"replay": true, "payload.format": true},
        "advice": {"interval": 0, "timeout": 110000, "reconnect": "retry"}, "id": "1"
    }]))
    .insert_header("Set-Cookie", "BAYEUX_BROWSER=b7x; Path=/cometd; HttpOnly")
}

fn subscribe_ok() -> ResponseTemplate {
    reply(
        json!([{"channel": "/meta/subscribe", "successful": true, "subscription": PAYMENTS, "id": "2"}]),
    )
}

fn event(replay_id: i64, payment: &str) -> Value {
    json!({
        "channel": PAYMENTS,
        "data": {
            "schema": "dffQ2QLzDNHqwB8_sHMxdA",
            "payload": {"CreatedDate": "2026-11-21T10:15:30Z", "CreatedById": "005xx000001X8UzAAK", "PaymentID__c": payment},
            "event": {"replayId": replay_id, "EventUuid": format!("uuid-{replay_id}")}
        }
    })
}

fn connect_with(events: &[(i64, &str)]) -> ResponseTemplate {
    let mut messages: Vec<Value> = events.iter().map(|(id, p)| event(*id, p)).collect();
    messages.push(json!({"channel": "/meta/connect", "successful": true, "advice": {"reconnect": "retry", "interval": 0, "timeout": 110000}}));
    reply(Value::Array(messages))
}

/// A poll that waits for events that do not come (the test has finished by then).
fn idle() -> ResponseTemplate {
    connect_with(&[]).set_delay(Duration::from_secs(60))
}

fn subscription(client: &Client, sleeper: &RecordingSleeper) -> Subscription {
    client
        .streaming()
        .subscribe(channel::platform_event("Payment_Settled__e"))
        .backoff(RetryPolicy::default().with_max_attempts(4))
        .sleeper(sleeper.clone())
        .random(FixedRandom::new(0.5))
}

async fn requests_on(server: &MockServer, meta: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == COMETD && body(r)[0]["channel"] == meta)
        .collect()
}

fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn handshake_subscribe_and_connect_have_the_bayeux_shapes() {
    let server = MockServer::start().await;
    Mock::given(bayeux("/meta/handshake"))
        .respond_with(handshake_ok("c1"))
        .mount(&server)
        .await;
    Mock::given(bayeux("/meta/subscribe"))
        .respond_with(subscribe_ok())
        .mount(&server)
        .await;
    Mock::given(bayeux("/meta/connect"))
        .respond_with(Script::new(
            vec![connect_with(&[(5, "PT-5"), (6, "PT-6")])],
            idle(),
        ))
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = static_client(&server);
    let sleeper = RecordingSleeper::new();
    let store = MemoryReplayStore::new();
    let mut events = Box::pin(
        subscription(&client, &sleeper)
            .replay_from(ReplayFrom::AllRetained)
            .replay_store(store.clone())
            .events::<Settled>(),
    );
    let first = events.try_next().await.unwrap().unwrap();
    let second = events.try_next().await.unwrap().unwrap();
    assert_eq!((first.channel.as_str(), first.replay_id), (PAYMENTS, 5));
    assert_eq!(
        first.payload,
        Settled {
            payment_id: "PT-5".into()
        }
    );
    assert_eq!(first.event_uuid.as_deref(), Some("uuid-5"));
    assert_eq!(first.schema.as_deref(), Some("dffQ2QLzDNHqwB8_sHMxdA"));
    // Acks in any order; the store moves once everything up to an id is acked.
    second.ack().await.unwrap();
    assert_eq!(store.get(PAYMENTS), None);
    first.ack().await.unwrap();
    assert_eq!(store.get(PAYMENTS), Some(6));
    drop(events);

    let handshake = &requests_on(&server, "/meta/handshake").await[0];
    let message = &body(handshake)[0];
    assert_eq!(message["version"], "1.0");
    assert_eq!(message["supportedConnectionTypes"], json!(["long-polling"]));
    assert!(message.get("clientId").is_none());
    assert_eq!(header(handshake, "authorization"), Some(bearer().as_str()));
    assert_eq!(header(handshake, "content-type"), Some("application/json"));
    assert_eq!(header(handshake, "cookie"), None);

    let subscribe = &requests_on(&server, "/meta/subscribe").await[0];
    assert_eq!(
        body(subscribe)[0],
        json!({"channel": "/meta/subscribe", "clientId": "c1", "subscription": PAYMENTS,
               "id": "2", "ext": {"replay": {PAYMENTS: -2}}})
    );
    assert_eq!(header(subscribe, "cookie"), Some("BAYEUX_BROWSER=b7x"));

    let connect = &requests_on(&server, "/meta/connect").await[0];
    assert_eq!(
        body(connect)[0],
        json!({"channel": "/meta/connect", "clientId": "c1", "connectionType": "long-polling", "id": "3"})
    );
    assert_eq!(header(connect, "cookie"), Some("BAYEUX_BROWSER=b7x"));
    assert_eq!(header(connect, "authorization"), Some(bearer().as_str()));

    // A restart resumes after the stored position, whatever `replay_from` says.
    let mut again = Box::pin(
        subscription(&client, &sleeper)
            .replay_from(ReplayFrom::AllRetained)
            .replay_store(store.clone())
            .events::<Settled>(),
    );
    let _ = tokio::time::timeout(Duration::from_millis(300), again.next()).await;
    let subscribes = requests_on(&server, "/meta/subscribe").await;
    assert_eq!(body(&subscribes[1])[0]["ext"]["replay"][PAYMENTS], 6);
    assert!(sleeper.delays().is_empty());
}

#[tokio::test]
async fn unknown_client_handshakes_again_and_resubscribes_from_the_last_acked_id() {
    let server = MockServer::start().await;
    Mock::given(bayeux("/meta/handshake"))
        .respond_with(Script::new(vec![handshake_ok("c1")], handshake_ok("c2")))
        .mount(&server)
        .await;
    Mock::given(bayeux("/meta/subscribe"))
        .respond_with(subscribe_ok())
        .mount(&server)
        .await;
    let unknown = reply(json!([{
        "channel": "/meta/connect", "clientId": "c1", "successful": false,
        "error": "403::Unknown client", "advice": {"reconnect": "handshake", "interval": 500}
    }]));
    Mock::given(bayeux("/meta/connect"))
        .respond_with(Script::new(
            vec![
                connect_with(&[(10, "PT-10"), (11, "PT-11")]),
                unknown,
                // The server replays after 10: 11 again (dropped), then 12.
                connect_with(&[(11, "PT-11"), (12, "PT-12")]),
            ],
            idle(),
        ))
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = static_client(&server);
    let sleeper = RecordingSleeper::new();
    let store = MemoryReplayStore::new();
    let mut events = Box::pin(
        subscription(&client, &sleeper)
            .replay_store(store.clone())
            .events::<Settled>(),
    );
    let ten = events.try_next().await.unwrap().unwrap();
    ten.ack().await.unwrap();
    let eleven = events.try_next().await.unwrap().unwrap();
    assert_eq!(eleven.replay_id, 11);
    let twelve = events.try_next().await.unwrap().unwrap();
    assert_eq!(twelve.replay_id, 12, "11 is not delivered twice");
    eleven.ack().await.unwrap();
    twelve.ack().await.unwrap();
    assert_eq!(store.get(PAYMENTS), Some(12));
    drop(events);

    let subscribes = requests_on(&server, "/meta/subscribe").await;
    let replays: Vec<Value> = subscribes
        .iter()
        .map(|r| body(r)[0]["ext"]["replay"][PAYMENTS].clone())
        .collect();
    assert_eq!(replays, [json!(-1), json!(10)]);
    assert_eq!(body(&subscribes[1])[0]["clientId"], "c2");
    let connects = requests_on(&server, "/meta/connect").await;
    assert_eq!(body(&connects[2])[0]["clientId"], "c2");
    // The server's interval (500 ms) outweighs the backoff (half of 200 ms).
    assert_eq!(sleeper.delays(), [Duration::from_millis(500)]);
}

#[tokio::test]
async fn authentication_invalid_gets_a_new_token_and_handshakes_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/services/oauth2/token"))
        .respond_with(Script::new(
            vec![ResponseTemplate::new(200).set_body_json(token_body(&server, "token-1"))],
            ResponseTemplate::new(200).set_body_json(token_body(&server, "token-2")),
        ))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(bayeux("/meta/handshake"))
        .respond_with(Script::new(vec![handshake_ok("c1")], handshake_ok("c2")))
        .mount(&server)
        .await;
    Mock::given(bayeux("/meta/subscribe"))
        .respond_with(subscribe_ok())
        .mount(&server)
        .await;
    let revoked = reply(json!([{
        "clientId": "c1", "advice": {"reconnect": "none", "interval": 0}, "channel": "/meta/connect",
        "id": 7, "error": "401::Authentication invalid", "successful": false
    }]));
    Mock::given(bayeux("/meta/connect"))
        .respond_with(Script::new(
            vec![revoked, connect_with(&[(3, "PT-3")])],
            idle(),
        ))
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = builder(&server)
        .credentials(ClientCredentials::new("3MVG9.key", "secret"))
        .build()
        .unwrap();
    let sleeper = RecordingSleeper::new();
    let mut events = Box::pin(subscription(&client, &sleeper).events::<Settled>());
    let event = events.try_next().await.unwrap().unwrap();
    assert_eq!(event.replay_id, 3);
    drop(events);

    let handshakes = requests_on(&server, "/meta/handshake").await;
    let tokens: Vec<_> = handshakes
        .iter()
        .map(|r| header(r, "authorization").unwrap().to_owned())
        .collect();
    assert_eq!(tokens, ["Bearer token-1", "Bearer token-2"]);
    assert!(
        sleeper.delays().is_empty(),
        "a re-authentication does not wait"
    );
}

#[tokio::test]
async fn too_busy_backs_off_and_the_handshake_is_retried() {
    let server = MockServer::start().await;
    let busy = reply(json!([{
        "channel": "/meta/handshake", "successful": false, "error": "403::Handshake denied",
        "ext": {"sfdc": {"failureReason": "503::Server is too busy. Please try your request again later."}},
        "advice": {"reconnect": "none"}
    }]));
    Mock::given(bayeux("/meta/handshake"))
        .respond_with(Script::new(vec![busy.clone(), busy], handshake_ok("c3")))
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(bayeux("/meta/subscribe"))
        .respond_with(subscribe_ok())
        .mount(&server)
        .await;
    Mock::given(bayeux("/meta/connect"))
        .respond_with(Script::new(vec![connect_with(&[(1, "PT-1")])], idle()))
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = static_client(&server);
    let sleeper = RecordingSleeper::new();
    let mut events = Box::pin(subscription(&client, &sleeper).events::<Settled>());
    assert_eq!(events.try_next().await.unwrap().unwrap().replay_id, 1);
    drop(events);
    // Full jitter at one half: 100 ms, then 200 ms.
    assert_eq!(
        sleeper.delays(),
        [Duration::from_millis(100), Duration::from_millis(200)]
    );
}

#[tokio::test]
async fn what_cannot_be_fixed_ends_the_subscription() {
    // A static token the server no longer accepts.
    let server = MockServer::start().await;
    Mock::given(bayeux("/meta/handshake"))
        .respond_with(handshake_ok("c1"))
        .mount(&server)
        .await;
    Mock::given(bayeux("/meta/subscribe"))
        .respond_with(subscribe_ok())
        .mount(&server)
        .await;
    Mock::given(bayeux("/meta/connect"))
        .respond_with(reply(json!([{
            "channel": "/meta/connect", "successful": false,
            "error": "401::Authentication invalid", "advice": {"reconnect": "none"}
        }])))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = static_client(&server);
    let sleeper = RecordingSleeper::new();
    let mut events = Box::pin(subscription(&client, &sleeper).events::<Settled>());
    let err = events.next().await.unwrap().unwrap_err();
    assert!(matches!(err, Error::Token { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert!(events.next().await.is_none());
    assert!(!format!("{err:?}{err}").contains(TOKEN));

    // A replay id outside the retention window.
    let server = MockServer::start().await;
    Mock::given(bayeux("/meta/handshake"))
        .respond_with(handshake_ok("c1"))
        .mount(&server)
        .await;
    Mock::given(bayeux("/meta/subscribe"))
        .respond_with(reply(json!([{
            "channel": "/meta/subscribe", "successful": false, "subscription": PAYMENTS,
            "error": "400::The replayId {42} you provided was invalid.  Please provide a valid ID, -2 to replay all events, or -1 to replay only new events."
        }])))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = static_client(&server);
    let mut events = Box::pin(
        subscription(&client, &sleeper)
            .replay_from(ReplayFrom::After(42))
            .events::<Settled>(),
    );
    let err = events.next().await.unwrap().unwrap_err();
    assert!(matches!(&err, Error::Bayeux { channel, .. } if channel == "/meta/subscribe"));
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(events.next().await.is_none());

    // Not a channel at all: refused before anything is sent.
    let err = Box::pin(
        client
            .streaming()
            .subscribe("/meta/connect")
            .events::<Value>(),
    )
    .next()
    .await
    .unwrap()
    .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert!(sleeper.delays().is_empty());
}

#[tokio::test]
async fn change_events_decode_with_their_header_and_a_bad_payload_does_not_stop_the_stream() {
    let server = MockServer::start().await;
    Mock::given(bayeux("/meta/handshake"))
        .respond_with(handshake_ok("c1"))
        .mount(&server)
        .await;
    Mock::given(bayeux("/meta/subscribe"))
        .respond_with(subscribe_ok())
        .mount(&server)
        .await;
    let change = json!({
        "channel": "/data/AccountChangeEvent",
        "data": {
            "schema": "IeRuaY6cbI_HsV8Rv1Mc5g",
            "payload": {
                "ChangeEventHeader": {
                    "entityName": "Account", "recordIds": ["001xx000003DGb2AAG"], "changeType": "UPDATE",
                    "changeOrigin": "com/salesforce/api/rest/66.0;client=tributary", "transactionKey": "0002343d-9d90-e395-ed20-cf416ba652ad",
                    "sequenceNumber": 1, "commitTimestamp": 1795256130000_i64, "commitNumber": 10588479614563_i64,
                    "commitUser": "005xx000001X8UzAAK", "changedFields": ["Name", "LastModifiedDate"]
                },
                "Name": "Acme Corporation", "LastModifiedDate": "2026-11-21T10:15:30.000Z"
            },
            "event": {"replayId": 21}
        }
    });
    let broken = json!({"channel": "/data/AccountChangeEvent", "data": {"payload": {"nope": 1}, "event": {"replayId": 22}}});
    let mut third = change.clone();
    third["data"]["event"]["replayId"] = json!(23);
    Mock::given(bayeux("/meta/connect"))
        .respond_with(Script::new(
            vec![reply(
                json!([change, broken, third, {"channel": "/meta/connect", "successful": true}]),
            )],
            idle(),
        ))
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = static_client(&server);
    let store = MemoryReplayStore::new();
    let mut events = Box::pin(
        client
            .streaming()
            .subscribe(channel::change_events_of("Account"))
            .replay_store(store.clone())
            .events::<ChangeEvent>(),
    );
    let first: Event<ChangeEvent> = events.next().await.unwrap().unwrap();
    let header = &first.payload.header;
    assert_eq!(header.entity_name, "Account");
    assert_eq!(header.change_type, ChangeType::Update);
    assert_eq!(header.record_ids, ["001xx000003DGb2AAG"]);
    assert_eq!(header.changed_fields, ["Name", "LastModifiedDate"]);
    assert_eq!(header.commit_number, Some(10_588_479_614_563));
    assert_eq!(
        header.commit_time().unwrap().to_rfc3339(),
        "2026-11-21T10:15:30+00:00"
    );
    assert_eq!(first.payload.fields["Name"], "Acme Corporation");
    first.ack().await.unwrap();

    let err = events.next().await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.to_string().contains("replay 22"), "{err}");
    let last = events.next().await.unwrap().unwrap();
    assert_eq!(last.replay_id, 23);
    last.ack().await.unwrap();
    assert_eq!(store.get("/data/AccountChangeEvent"), Some(23));
}
