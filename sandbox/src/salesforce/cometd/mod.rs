//! The Streaming API: CometD / Bayeux 1.0 over long polling at `/cometd/NN.0` (v37.0+), with
//! Salesforce's replay extension, over the emulator's [`EventBus`](super::EventBus).
//!
//! # Protocol
//!
//! Every request is a `POST` of a JSON array of Bayeux messages (≤ 32,768 bytes, else
//! `413 Maximum Request Size Exceeded`) with `Authorization: Bearer <token>` (or `OAuth`);
//! the answer is a JSON array.
//!
//! * `/meta/handshake` → `clientId`, `supportedConnectionTypes: ["long-polling"]`,
//!   `version`, `minimumVersion`, `ext: {"replay": true, "payload.format": true}` (exact keys
//!   UNCONFIRMED), `advice: {timeout, interval, reconnect: "retry"}`, and a
//!   `Set-Cookie: BAYEUX_BROWSER=…` the client must send back (see
//!   [`StreamingConfig::require_cookie`]). A bad token: `403::Handshake denied` with
//!   `ext.sfdc.failureReason: "401::Authentication invalid"` and `advice.reconnect: none`.
//! * `/meta/subscribe` with `subscription` `/event/X__e`, `/data/ChangeEvents`,
//!   `/data/<Object>ChangeEvent` or `/data/<Custom>__ChangeEvent` (the object must have Change
//!   Data Capture on), and `ext: {"replay": {"<channel>": -1 | -2 | <replayId>}}`: `-1` only
//!   new events (the default), `-2` every retained event, an id = events after it. An id
//!   outside the retention window or beyond the newest event: `400::The replayId {N} you
//!   provided was invalid. Please provide a valid ID, -2 to replay all events, or -1 to replay
//!   only new events.` (text UNCONFIRMED). Unknown channel: `400::The channel you requested
//!   to subscribe to does not exist {/event/X__e}`.
//! * `/meta/connect` (`connectionType: long-polling`) is held up to the advice timeout (or the
//!   client's own `advice.timeout`, e.g. `0` on the first connect) and returns as soon as
//!   events arrive: the events (`{"channel","data":{"schema","payload","event":{"replayId",
//!   "createdDate",…}}}`) first, then the connect reply with `advice`. The handler subscribes
//!   to the bus's broadcast before it reads the backlog after each subscription's cursor, and
//!   a subscription's cursor (the last replay id delivered) removes duplicates, so an event
//!   published between the backlog read and the wait is neither lost nor sent twice. A newer
//!   connect of the same client ends an older one.
//! * `/meta/unsubscribe`, `/meta/disconnect`.
//!
//! # Errors and advice
//!
//! * A client that made no request for [`StreamingConfig::client_timeout`] (measured with the
//!   emulator's clock, while no connect is held) is forgotten: `403::Unknown client` with
//!   `advice: {reconnect: "handshake", interval: 0}`. So is a request whose `BAYEUX_BROWSER`
//!   cookie is not the client's; a request without it gets `400::Client {id} has established
//!   a session, but no BAYEUX_BROWSER cookie present`.
//! * An expired or revoked session: `401::Authentication invalid` with
//!   `advice: {reconnect: "none", interval: 0}` (a held connect checks every
//!   [`StreamingConfig::auth_check_interval`]); no token at all: `401::Request requires
//!   authentication`.
//! * Injectable with [`SalesforceFaults::arm`](super::SalesforceFaults::arm):
//!   [`AsyncFault::CometdTooBusy`](super::AsyncFault::CometdTooBusy) →
//!   `503::Server is too busy. Please try your request again later.` (also in
//!   `ext.sfdc.failureReason`) with `advice: {reconnect: "retry", interval}`;
//!   [`AsyncFault::CometdUnknownClient`](super::AsyncFault::CometdUnknownClient). The
//!   shared [`FaultPlan`](crate::fault::FaultPlan) applies at the server as for every path.
//!
//! # Example
//!
//! ```
//! use sandbox::salesforce::{SalesforceConfig, SalesforceSandbox, StreamingConfig};
//! use serde_json::{Value, json};
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = SalesforceConfig::default()
//!     .streaming(StreamingConfig::default().timeout(Duration::from_secs(5)));
//! let sf = SalesforceSandbox::start_with(config).await?;
//! let http = reqwest::Client::new();
//! let token = sf.token();
//! let url = sf.cometd_url();
//!
//! let hs = http
//!     .post(&url)
//!     .bearer_auth(&token)
//!     .json(&json!([{"channel": "/meta/handshake", "version": "1.0",
//!                    "supportedConnectionTypes": ["long-polling"]}]))
//!     .send()
//!     .await?;
//! let cookie = hs
//!     .headers()
//!     .get("set-cookie")
//!     .and_then(|v| v.to_str().ok())
//!     .and_then(|v| v.split(';').next())
//!     .unwrap_or_default()
//!     .to_owned();
//! let hs: Value = hs.json().await?;
//! let client = hs[0]["clientId"].as_str().unwrap_or_default().to_owned();
//!
//! let sub: Value = http
//!     .post(&url)
//!     .bearer_auth(&token)
//!     .header("cookie", &cookie)
//!     .json(&json!([{"channel": "/meta/subscribe", "clientId": client,
//!                    "subscription": "/event/Paid__e",
//!                    "ext": {"replay": {"/event/Paid__e": -1}}}]))
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! assert_eq!(sub[0]["successful"], true);
//!
//! sf.emulator().publish_event("Paid__e", json!({"Amount__c": 10}))?;
//! let batch: Value = http
//!     .post(&url)
//!     .bearer_auth(&token)
//!     .header("cookie", &cookie)
//!     .json(&json!([{"channel": "/meta/connect", "clientId": client,
//!                    "connectionType": "long-polling"}]))
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! assert_eq!(batch[0]["channel"], "/event/Paid__e");
//! assert_eq!(batch[0]["data"]["payload"]["Amount__c"], 10);
//! assert_eq!(batch[1]["channel"], "/meta/connect");
//! # Ok(())
//! # }
//! ```

mod server;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::Notify;

pub(crate) use server::serve;

/// Name of the browser cookie the server sets at handshake.
pub const BROWSER_COOKIE: &str = "BAYEUX_BROWSER";

/// Streaming API settings of the emulator.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamingConfig {
    /// How long `/meta/connect` is held without events (`advice.timeout`; Salesforce: 110 s).
    pub timeout: Duration,
    /// `advice.interval` (default 0).
    pub interval: Duration,
    /// A client that sends nothing for this long while no connect is held is forgotten
    /// (`403::Unknown client`); Salesforce: 40 s after a response.
    pub client_timeout: Duration,
    /// Refuse requests without the client's `BAYEUX_BROWSER` cookie (default `true`).
    pub require_cookie: bool,
    /// Largest request body (32,768 bytes).
    pub max_request_bytes: usize,
    /// Most events returned by one connect (default 1,000); the rest come with the next.
    pub max_events_per_connect: usize,
    /// `advice.interval` of a `503::Server is too busy` answer (default 1 s).
    pub too_busy_interval: Duration,
    /// How often a held connect re-checks the session (default 1 s).
    pub auth_check_interval: Duration,
    /// Oldest API version served at `/cometd/NN.0` (37: durable replay).
    pub min_api_version: u32,
}

impl Default for StreamingConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(110),
            interval: Duration::ZERO,
            client_timeout: Duration::from_secs(40),
            require_cookie: true,
            max_request_bytes: 32_768,
            max_events_per_connect: 1000,
            too_busy_interval: Duration::from_secs(1),
            auth_check_interval: Duration::from_secs(1),
            min_api_version: 37,
        }
    }
}

impl StreamingConfig {
    /// Long-poll timeout.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Client expiry.
    #[must_use]
    pub fn client_timeout(mut self, timeout: Duration) -> Self {
        self.client_timeout = timeout;
        self
    }

    /// Whether the `BAYEUX_BROWSER` cookie is required.
    #[must_use]
    pub fn require_cookie(mut self, require: bool) -> Self {
        self.require_cookie = require;
        self
    }

    /// Most events per connect.
    #[must_use]
    pub fn max_events_per_connect(mut self, n: usize) -> Self {
        self.max_events_per_connect = n.max(1);
        self
    }

    /// Retry interval advised with `503::Server is too busy`.
    #[must_use]
    pub fn too_busy_interval(mut self, interval: Duration) -> Self {
        self.too_busy_interval = interval;
        self
    }

    /// How often a held connect re-checks the session.
    #[must_use]
    pub fn auth_check_interval(mut self, interval: Duration) -> Self {
        self.auth_check_interval = interval;
        self
    }
}

/// One Bayeux client.
#[derive(Debug)]
pub(crate) struct Client {
    pub(crate) cookie: String,
    /// Subscribed channel → cursor (replay id of the last event delivered; events after it
    /// are due).
    pub(crate) subs: BTreeMap<String, i64>,
    pub(crate) last_seen: DateTime<Utc>,
    /// Connects being held.
    pub(crate) connecting: u32,
    /// Increases with every connect; a held connect whose generation is old returns.
    pub(crate) generation: u64,
    pub(crate) wake: Arc<Notify>,
}

impl Client {
    pub(crate) fn expired(&self, now: DateTime<Utc>, timeout: Duration) -> bool {
        self.connecting == 0
            && TimeDelta::from_std(timeout)
                .is_ok_and(|t| now.signed_duration_since(self.last_seen) > t)
    }
}

/// The CometD clients of the emulator. Cheap to clone (shared).
#[derive(Clone, Debug, Default)]
pub(crate) struct Streaming {
    inner: Arc<Mutex<HashMap<String, Client>>>,
}

impl Streaming {
    pub(crate) fn lock(&self) -> MutexGuard<'_, HashMap<String, Client>> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Forget every client (their next request gets `403::Unknown client`).
    pub(crate) fn forget_all(&self) {
        let mut g = self.lock();
        for c in g.values() {
            c.wake.notify_one();
        }
        g.clear();
    }
}
