//! The streaming client against a real Bayeux server: `cometd-nodejs-server` with a small
//! Salesforce-style replay extension (`scripts/conformance/cometd/server.js`). Ignored by
//! default; CI runs it after `scripts/conformance/cometd/install.sh`:
//!
//! ```text
//! bash scripts/conformance/cometd/install.sh
//! cargo test -p salesforce-client --test conformance_cometd -- --ignored
//! ```
//!
//! Skipped, with a message, where `node` is not installed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures::{Stream, StreamExt};
use mapping::retry::RetryPolicy;
use salesforce_client::auth::StaticToken;
use salesforce_client::streaming::{Event, MemoryReplayStore, ReplayFrom};
use salesforce_client::{ApiVersion, Client};
use serde_json::{Value, json};

const CHANNEL: &str = "/event/Conformance__e";
const TOKEN: &str = "conformance-token";

/// The node server, stopped (by its own handle) when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> Option<Server> {
    if Command::new("node").arg("--version").output().is_err() {
        eprintln!("skipping the CometD conformance test: `node` is not installed");
        return None;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/conformance/cometd");
    assert!(
        dir.join("node_modules/cometd-nodejs-server").exists(),
        "run scripts/conformance/cometd/install.sh first"
    );
    let mut child = Command::new("node")
        .arg("server.js")
        .current_dir(&dir)
        .env("PORT", "0")
        .env("TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node server.js");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    Some(Server { child, url })
}

async fn post(server: &Server, path: &str, body: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{}{path}", server.url))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn publish(server: &Server, n: u32) {
    post(
        server,
        &format!("/publish?channel={CHANNEL}"),
        json!({"Sequence__c": n}),
    )
    .await;
}

async fn next(
    events: &mut (impl Stream<Item = salesforce_client::Result<Event<Value>>> + Unpin),
) -> Event<Value> {
    tokio::time::timeout(Duration::from_secs(30), events.next())
        .await
        .expect("an event within 30 s")
        .expect("the stream goes on")
        .expect("an event")
}

/// Receives the next event while `publish` runs, so a live delivery is seen.
async fn next_while(
    events: &mut (impl Stream<Item = salesforce_client::Result<Event<Value>>> + Unpin),
    publish: impl Future<Output = ()>,
) -> Event<Value> {
    let publish = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        publish.await;
    };
    tokio::join!(next(events), publish).0
}

fn sequence(event: &Event<Value>) -> u64 {
    event.payload["Sequence__c"].as_u64().unwrap()
}

fn subscribe(
    client: &Client,
    store: &MemoryReplayStore,
    from: ReplayFrom,
) -> impl Stream<Item = salesforce_client::Result<Event<Value>>> + Unpin + use<> {
    Box::pin(
        client
            .streaming()
            .subscribe(CHANNEL)
            .replay_from(from)
            .replay_store(store.clone())
            .backoff(
                RetryPolicy::default()
                    .with_base_delay(Duration::from_millis(100))
                    .with_max_attempts(5),
            )
            .events::<Value>(),
    )
}

#[tokio::test]
#[ignore = "needs node and scripts/conformance/cometd/install.sh; CI runs it"]
async fn delivery_replay_from_a_stored_id_and_a_new_handshake_after_the_server_forgets() {
    let Some(server) = start_server() else { return };
    let client = Client::builder()
        .instance_url(server.url.clone())
        .api_version(ApiVersion::new(66))
        .credentials(StaticToken::new(TOKEN))
        .build()
        .unwrap();
    let store = MemoryReplayStore::new();

    // Retained before anyone subscribed: replayed with -2.
    publish(&server, 1).await;
    publish(&server, 2).await;
    let mut events = subscribe(&client, &store, ReplayFrom::AllRetained);
    for want in [1u32, 2] {
        let event = next(&mut events).await;
        assert_eq!(
            (sequence(&event), event.replay_id),
            (u64::from(want), i64::from(want))
        );
        assert_eq!(event.channel, CHANNEL);
        assert!(event.event_uuid.is_some());
        event.ack().await.unwrap();
    }
    // Live delivery through the long poll (the BAYEUX_BROWSER cookie must be kept for the
    // server to find the session).
    let live = next_while(&mut events, publish(&server, 3)).await;
    assert_eq!(sequence(&live), 3);
    live.ack().await.unwrap();
    assert_eq!(store.get(CHANNEL), Some(3));
    drop(events);

    // Published while nobody listens; a restart resumes from the stored id, not from "new".
    publish(&server, 4).await;
    publish(&server, 5).await;
    let mut events = subscribe(&client, &store, ReplayFrom::New);
    let four = next(&mut events).await;
    assert_eq!(sequence(&four), 4, "nothing missed, nothing repeated");
    four.ack().await.unwrap();
    let five = next(&mut events).await;
    assert_eq!(sequence(&five), 5);

    // The server forgets the client: the next poll is refused (402::session_unknown with
    // advice `handshake`), the client handshakes again and re-subscribes from the last acked
    // id (4); the server replays 5, which is dropped as a duplicate.
    // (The first subscription's session may still be there too, until the server expires it.)
    let forgotten = post(&server, "/forget", json!({})).await;
    assert!(forgotten["forgotten"].as_u64().unwrap() >= 1);
    let six = next_while(&mut events, publish(&server, 6)).await;
    assert_eq!(sequence(&six), 6, "5 is not delivered twice");
    five.ack().await.unwrap();
    six.ack().await.unwrap();
    assert_eq!(store.get(CHANNEL), Some(6));
    let forgotten = post(&server, "/forget", json!({})).await;
    assert_eq!(forgotten["forgotten"], 1, "a new session was handshaken");
}
