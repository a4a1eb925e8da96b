#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Salesforce emulator, Streaming API (CometD / Bayeux long polling) over real HTTP:
//! handshake, subscribe with replay, connect, CDC channels, errors and advice, the race between
//! backlog and live events.

mod salesforce_common;

use std::time::{Duration, Instant};

use chrono::TimeDelta;
use salesforce_common::{Sf, frozen_config};
use sandbox::salesforce::{
    AsyncFault, FieldMeta, FieldType, ObjectMeta, SalesforceConfig, StreamingConfig,
};
use serde_json::{Value, json};

const EVENT: &str = "/event/Payment_Received__e";

fn event_meta() -> ObjectMeta {
    ObjectMeta::new("Payment_Received__e")
        .field(FieldMeta::new("Amount__c", FieldType::Currency).required())
        .field(FieldMeta::text("PaymentID__c", 40))
}

fn streaming(timeout_ms: u64) -> StreamingConfig {
    StreamingConfig::default()
        .timeout(Duration::from_millis(timeout_ms))
        .auth_check_interval(Duration::from_millis(50))
}

fn config(timeout_ms: u64) -> SalesforceConfig {
    SalesforceConfig::default()
        .object(event_meta())
        .streaming(streaming(timeout_ms))
}

/// A minimal Bayeux client that keeps the browser cookie.
#[derive(Clone)]
struct Bayeux {
    http: reqwest::Client,
    url: String,
    token: String,
    cookie: Option<String>,
    client_id: String,
}

impl Bayeux {
    fn new(sf: &Sf) -> Self {
        Self {
            http: sf.http.clone(),
            url: sf.sb.cometd_url(),
            token: sf.token.clone(),
            cookie: None,
            client_id: String::new(),
        }
    }

    async fn send(&mut self, msgs: Value) -> (u16, Value) {
        let mut req = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .json(&msgs);
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        if let Some(c) = res.headers().get("set-cookie") {
            let c = c.to_str().unwrap();
            assert!(c.starts_with("BAYEUX_BROWSER="), "{c}");
            self.cookie = Some(c.split(';').next().unwrap().to_owned());
        }
        (status, res.json().await.unwrap())
    }

    async fn handshake(&mut self) -> Value {
        let (status, v) = self
            .send(
                json!([{"channel": "/meta/handshake", "version": "1.0", "id": "1",
                          "supportedConnectionTypes": ["long-polling"]}]),
            )
            .await;
        assert_eq!(status, 200);
        if v[0]["successful"] == true {
            self.client_id = v[0]["clientId"].as_str().unwrap().to_owned();
        }
        v[0].clone()
    }

    async fn subscribe(&mut self, channel: &str, replay: i64) -> Value {
        let (_, v) = self
            .send(
                json!([{"channel": "/meta/subscribe", "clientId": self.client_id, "id": "2",
                          "subscription": channel, "ext": {"replay": {channel: replay}}}]),
            )
            .await;
        v[0].clone()
    }

    /// One connect: the events, then the connect reply.
    async fn connect(&mut self) -> (Vec<Value>, Value) {
        let (status, v) = self
            .send(
                json!([{"channel": "/meta/connect", "clientId": self.client_id, "id": "3",
                          "connectionType": "long-polling"}]),
            )
            .await;
        assert_eq!(status, 200);
        let mut all = v.as_array().unwrap().clone();
        let reply = all.pop().unwrap();
        assert_eq!(reply["channel"], "/meta/connect", "{v}");
        (all, reply)
    }
}

async fn ready(sf: &Sf) -> Bayeux {
    let mut b = Bayeux::new(sf);
    let hs = b.handshake().await;
    assert_eq!(hs["successful"], true, "{hs}");
    b
}

fn replay_ids(events: &[Value]) -> Vec<i64> {
    events
        .iter()
        .map(|e| e["data"]["event"]["replayId"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn handshake_subscribe_and_a_held_connect_receives_a_platform_event() {
    let sf = Sf::start_with(config(5000)).await;
    let mut b = Bayeux::new(&sf);
    let hs = b.handshake().await;
    assert_eq!(hs["channel"], "/meta/handshake");
    assert_eq!(hs["successful"], true);
    assert_eq!(hs["id"], "1");
    assert_eq!(hs["supportedConnectionTypes"], json!(["long-polling"]));
    assert_eq!(hs["version"], "1.0");
    assert_eq!(hs["ext"]["replay"], true);
    assert_eq!(hs["advice"]["timeout"], 5000);
    assert_eq!(hs["advice"]["interval"], 0);
    assert_eq!(hs["advice"]["reconnect"], "retry");
    assert!(b.cookie.is_some(), "BAYEUX_BROWSER cookie set at handshake");
    assert_eq!(b.client_id.len(), 27);
    assert_eq!(sf.sb.emulator().streaming_clients(), 1);

    let sub = b.subscribe(EVENT, -1).await;
    assert_eq!(sub["successful"], true, "{sub}");
    assert_eq!(sub["subscription"], EVENT);
    assert_eq!(sub["clientId"], b.client_id.as_str());

    let mut c = b.clone();
    let started = Instant::now();
    let held = tokio::spawn(async move { c.connect().await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !held.is_finished(),
        "the connect is held while there is nothing to send"
    );
    let r = sf
        .post(
            "/sobjects/Payment_Received__e",
            json!({"Amount__c": 42.5, "PaymentID__c": "PAY-1"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let (events, reply) = held.await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "returned as soon as the event came"
    );
    assert_eq!(reply["successful"], true);
    assert_eq!(reply["advice"]["reconnect"], "retry");
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(e["channel"], EVENT);
    assert_eq!(e["data"]["payload"]["Amount__c"], 42.5);
    assert_eq!(e["data"]["payload"]["PaymentID__c"], "PAY-1");
    assert!(
        e["data"]["payload"]["CreatedById"]
            .as_str()
            .unwrap()
            .starts_with("005")
    );
    assert_eq!(e["data"]["event"]["replayId"], 1);
    assert_eq!(
        e["data"]["event"]["EventUuid"], r.json["errors"][0]["message"],
        "the UUID of the publish answer"
    );
    assert!(
        e["data"]["event"]["createdDate"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert_eq!(e["data"]["schema"].as_str().unwrap().len(), 22);

    // Nothing new: the next connect waits the advice timeout and returns empty.
    let mut short = Bayeux { ..b.clone() };
    let (status, v) = short
        .send(json!([{"channel": "/meta/connect", "clientId": b.client_id,
                      "connectionType": "long-polling", "advice": {"timeout": 0}}]))
        .await;
    assert_eq!((status, v.as_array().unwrap().len()), (200, 1), "{v}");
    assert_eq!(v[0]["successful"], true);

    // Unsubscribe and disconnect.
    let (_, v) = b
        .send(
            json!([{"channel": "/meta/unsubscribe", "clientId": b.client_id,
                      "subscription": EVENT}]),
        )
        .await;
    assert_eq!(v[0]["successful"], true);
    let (_, v) = b
        .send(json!([{"channel": "/meta/disconnect", "clientId": b.client_id}]))
        .await;
    assert_eq!(v[0]["successful"], true);
    let (_, reply) = b.connect().await;
    assert_eq!(reply["error"], "403::Unknown client");
    assert_eq!(sf.sb.emulator().streaming_clients(), 0);
}

#[tokio::test]
async fn replay_all_retained_or_after_a_stored_id() {
    let sf = Sf::start_with(config(3000)).await;
    let emu = sf.sb.emulator();
    let published: Vec<i64> = (0..3)
        .map(|i| {
            emu.publish_event("Payment_Received__e", json!({"Amount__c": i}))
                .unwrap()
                .replay_id
        })
        .collect();
    assert_eq!(published, vec![1, 2, 3]);

    let mut all = ready(&sf).await;
    assert_eq!(all.subscribe(EVENT, -2).await["successful"], true);
    let (events, _) = all.connect().await;
    assert_eq!(replay_ids(&events), vec![1, 2, 3]);
    assert_eq!(events[0]["data"]["payload"]["Amount__c"], 0);

    let mut after = ready(&sf).await;
    assert_eq!(after.subscribe(EVENT, 2).await["successful"], true);
    let (events, _) = after.connect().await;
    assert_eq!(replay_ids(&events), vec![3]);

    let mut new_only = ready(&sf).await;
    assert_eq!(new_only.subscribe(EVENT, -1).await["successful"], true);

    emu.publish_event("Payment_Received__e", json!({"Amount__c": 4}))
        .unwrap();
    for b in [&mut all, &mut after, &mut new_only] {
        let (events, _) = b.connect().await;
        assert_eq!(replay_ids(&events), vec![4], "nothing is sent twice");
    }

    // Outside the retention window: the replay id is refused.
    emu.publish_event("Payment_Received__e", json!({"Amount__c": 5}))
        .unwrap();
    let bad = new_only.subscribe(EVENT, 99).await;
    assert_eq!(bad["successful"], false);
    assert_eq!(
        bad["error"],
        "400::The replayId {99} you provided was invalid. Please provide a valid ID, -2 to replay all events, or -1 to replay only new events."
    );
}

#[tokio::test]
async fn retention_window_bounds_replay() {
    let sf = Sf::start_with(frozen_config().object(event_meta())).await;
    let emu = sf.sb.emulator();
    emu.publish_event("Payment_Received__e", json!({"Amount__c": 1}))
        .unwrap();
    emu.clock().advance(TimeDelta::hours(73));
    emu.publish_event("Payment_Received__e", json!({"Amount__c": 2}))
        .unwrap();
    // The old token idled out with the clock; take a fresh one.
    let fresh = sf.sb.token();
    let mut b = Bayeux::new(&sf);
    b.token = fresh.clone();
    assert_eq!(b.handshake().await["successful"], true);
    let bad = b.subscribe(EVENT, 0).await;
    assert_eq!(bad["successful"], false, "event 1 is past the 72 h window");
    assert!(
        bad["error"]
            .as_str()
            .unwrap()
            .starts_with("400::The replayId {0}")
    );
    assert_eq!(b.subscribe(EVENT, 1).await["successful"], true);
    let mut all = Bayeux::new(&sf);
    all.token = fresh;
    all.handshake().await;
    all.subscribe(EVENT, -2).await;
    let (_, v) = all
        .send(
            json!([{"channel": "/meta/connect", "clientId": all.client_id,
                      "connectionType": "long-polling", "advice": {"timeout": 0}}]),
        )
        .await;
    assert_eq!(v[0]["data"]["event"]["replayId"], 2);
    assert_eq!(v.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn change_events_of_a_rest_write_on_object_and_all_channels() {
    let sf = Sf::start_with(config(3000).cdc("Account")).await;
    let mut b = ready(&sf).await;
    assert_eq!(
        b.subscribe("/data/AccountChangeEvent", -1).await["successful"],
        true
    );
    assert_eq!(
        b.subscribe("/data/ChangeEvents", -1).await["successful"],
        true
    );
    let not_cdc = b.subscribe("/data/ContactChangeEvent", -1).await;
    assert_eq!(
        not_cdc["error"],
        "400::The channel you requested to subscribe to does not exist /data/ContactChangeEvent"
    );
    let mut c = b.clone();
    let held = tokio::spawn(async move { c.connect().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let id = sf
        .create("Contact", json!({"LastName": "not captured"}))
        .await;
    assert!(id.starts_with("003"));
    let id = sf.create("Account", json!({"Name": "Acme"})).await;
    let (mut events, _) = held.await.unwrap();
    if events.len() < 2 {
        let (more, _) = b.connect().await;
        events.extend(more);
    }
    assert_eq!(events.len(), 2, "{events:?}");
    let mut channels: Vec<&str> = events
        .iter()
        .map(|e| e["channel"].as_str().unwrap())
        .collect();
    channels.sort_unstable();
    assert_eq!(
        channels,
        vec!["/data/AccountChangeEvent", "/data/ChangeEvents"]
    );
    for e in &events {
        let h = &e["data"]["payload"]["ChangeEventHeader"];
        assert_eq!(h["entityName"], "Account");
        assert_eq!(h["changeType"], "CREATE");
        assert_eq!(h["recordIds"], json!([id]));
        assert_eq!(h["changeOrigin"], "com/salesforce/api/rest/67.0");
        assert_eq!(e["data"]["payload"]["Name"], "Acme");
    }
    assert_eq!(
        events[0]["data"]["event"]["replayId"],
        events[1]["data"]["event"]["replayId"]
    );
}

#[tokio::test]
async fn unknown_client_gets_handshake_advice() {
    let cfg = frozen_config()
        .object(event_meta())
        .streaming(streaming(2000).client_timeout(Duration::from_secs(30)));
    let sf = Sf::start_with(cfg).await;
    let mut b = ready(&sf).await;

    let mut stranger = b.clone();
    stranger.client_id = "nosuchclient".into();
    let (_, reply) = stranger.connect().await;
    assert_eq!(reply["successful"], false);
    assert_eq!(reply["error"], "403::Unknown client");
    assert_eq!(reply["advice"]["reconnect"], "handshake");
    assert_eq!(reply["advice"]["interval"], 0);

    // No request for longer than the client timeout: forgotten.
    sf.sb.emulator().clock().advance(TimeDelta::seconds(31));
    let (_, reply) = b.connect().await;
    assert_eq!(reply["error"], "403::Unknown client");
    assert_eq!(reply["advice"]["reconnect"], "handshake");

    // Injected on the next connect.
    let mut b = ready(&sf).await;
    sf.sb
        .salesforce_faults()
        .arm(AsyncFault::CometdUnknownClient, 1);
    let (_, reply) = b.connect().await;
    assert_eq!(reply["error"], "403::Unknown client");
    let (_, reply) = b.connect().await;
    assert_eq!(
        reply["error"], "403::Unknown client",
        "the client stays forgotten"
    );

    // The cookie must come back, and be the client's own.
    let mut b = ready(&sf).await;
    let mut no_cookie = b.clone();
    no_cookie.cookie = None;
    let (_, reply) = no_cookie.connect().await;
    assert_eq!(
        reply["error"],
        format!(
            "400::Client {} has established a session, but no BAYEUX_BROWSER cookie present",
            b.client_id
        )
    );
    let mut wrong = b.clone();
    wrong.cookie = Some("BAYEUX_BROWSER=someoneelse".into());
    let (_, reply) = wrong.connect().await;
    assert_eq!(reply["error"], "403::Unknown client");
    sf.sb.emulator().forget_streaming_clients();
    let (_, reply) = b.connect().await;
    assert_eq!(reply["error"], "403::Unknown client");
}

#[tokio::test]
async fn expired_session_gets_401_and_too_busy_is_injectable() {
    let sf = Sf::start_with(config(5000)).await;
    let mut b = ready(&sf).await;
    b.subscribe(EVENT, -1).await;

    sf.sb.salesforce_faults().arm(AsyncFault::CometdTooBusy, 1);
    let (_, reply) = b.connect().await;
    assert_eq!(reply["successful"], false);
    assert_eq!(
        reply["error"],
        "503::Server is too busy. Please try your request again later."
    );
    assert_eq!(reply["ext"]["sfdc"]["failureReason"], reply["error"]);
    assert_eq!(reply["advice"]["reconnect"], "retry");
    assert_eq!(reply["advice"]["interval"], 1000);

    // A held connect notices the session expiring.
    let mut c = b.clone();
    let held = tokio::spawn(async move { c.connect().await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    sf.sb.emulator().expire_sessions();
    let (events, reply) = held.await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(events.is_empty());
    assert_eq!(reply["error"], "401::Authentication invalid");
    assert_eq!(reply["advice"]["reconnect"], "none");
    assert_eq!(reply["advice"]["interval"], 0);

    let (_, reply) = b.connect().await;
    assert_eq!(reply["error"], "401::Authentication invalid");
    let hs = b.handshake().await;
    assert_eq!(hs["successful"], false);
    assert_eq!(hs["error"], "403::Handshake denied");
    assert_eq!(
        hs["ext"]["sfdc"]["failureReason"],
        "401::Authentication invalid"
    );
    assert_eq!(hs["advice"]["reconnect"], "none");
    let mut anonymous = Bayeux::new(&sf);
    anonymous.token = String::new();
    let res = sf
        .http
        .post(sf.sb.cometd_url())
        .json(&json!([{"channel": "/meta/handshake", "version": "1.0"}]))
        .send()
        .await
        .unwrap();
    let v: Value = res.json().await.unwrap();
    assert_eq!(
        v[0]["ext"]["sfdc"]["failureReason"],
        "401::Request requires authentication"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_published_while_a_connect_starts_is_delivered_by_that_connect() {
    // A long timeout: a connect that missed its event would hold for 10 s and fail the
    // per-round deadline below.
    // No periodic session check either: only the bus can wake the connect.
    let cfg = SalesforceConfig::default().object(event_meta()).streaming(
        StreamingConfig::default()
            .timeout(Duration::from_secs(10))
            .auth_check_interval(Duration::from_secs(60)),
    );
    let sf = Sf::start_with(cfg).await;
    let mut b = ready(&sf).await;
    b.subscribe(EVENT, -1).await;
    let emu = sf.sb.emulator().clone();
    let mut received = Vec::new();
    const ROUNDS: u64 = 120;
    for round in 0..ROUNDS {
        let mut c = b.clone();
        let connect = tokio::spawn(async move { c.connect().await });
        // Publish at moments spread over the request's life (0–3 ms after sending it), so
        // some land between the server's backlog read and its wait.
        let delay = (round * 37 % 60) * 50;
        if delay > 0 {
            tokio::time::sleep(Duration::from_micros(delay)).await;
        }
        let e = emu
            .publish_event("Payment_Received__e", json!({"Amount__c": round}))
            .unwrap();
        let (events, reply) = tokio::time::timeout(Duration::from_secs(5), connect)
            .await
            .expect("the event woke the held connect")
            .unwrap();
        assert_eq!(reply["successful"], true);
        let ids = replay_ids(&events);
        if !ids.contains(&e.replay_id) {
            // It was published before the connect even registered and belongs to no earlier
            // connect: then it is due at once on the next one.
            let (more, _) = tokio::time::timeout(Duration::from_secs(5), b.connect())
                .await
                .expect("due events are sent at once");
            received.extend(replay_ids(&more));
        }
        received.extend(ids);
    }
    let expected: Vec<i64> = (1..=ROUNDS as i64).collect();
    assert_eq!(received, expected, "every event exactly once, in order");
}

#[tokio::test]
async fn protocol_errors() {
    let sf = Sf::start_with(config(2000)).await;
    let mut b = ready(&sf).await;
    let unknown = b.subscribe("/event/Missing__x", -1).await;
    assert_eq!(
        unknown["error"],
        "400::The channel you requested to subscribe to does not exist /event/Missing__x"
    );
    let (_, v) = b
        .send(json!([{"channel": "/meta/subscribe", "clientId": b.client_id}]))
        .await;
    assert_eq!(v[0]["error"], "400::Channel name not specified");
    let (_, v) = b
        .send(json!([{"channel": "/meta/connect", "clientId": b.client_id,
                      "connectionType": "websocket"}]))
        .await;
    assert_eq!(v[0]["error"], "400::Invalid connection type websocket");
    let (_, v) = b
        .send(json!([{"channel": EVENT, "clientId": b.client_id, "data": {}}]))
        .await;
    assert_eq!(v[0]["successful"], false);

    // Wrong versions and oversized bodies are refused by HTTP status.
    let res = sf
        .http
        .post(format!("{}/cometd/30.0", sf.sb.base_url()))
        .bearer_auth(&sf.token)
        .json(&json!([{"channel": "/meta/handshake"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let big = "x".repeat(40_000);
    let res = sf
        .http
        .post(sf.sb.cometd_url())
        .bearer_auth(&sf.token)
        .json(&json!([{"channel": "/meta/handshake", "padding": big}]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(res.text().await.unwrap(), "Maximum Request Size Exceeded");

    // The shared fault plan applies to the CometD path as to every other.
    sf.sb.faults().fail_next(1, 503);
    let res = sf
        .http
        .post(sf.sb.cometd_url())
        .bearer_auth(&sf.token)
        .json(&json!([{"channel": "/meta/handshake"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
}
