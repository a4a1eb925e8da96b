//! Streaming API over CometD / Bayeux long polling (reference §4.2–§4.4): platform events,
//! Change Data Capture, PushTopics, with durable replay and explicit acknowledgement.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use salesforce_client::streaming::{FileReplayStore, ReplayFrom, channel};
//!
//! #[derive(serde::Deserialize)]
//! struct PaymentSettled {
//!     #[serde(rename = "PaymentID__c")]
//!     payment_id: String,
//! }
//!
//! # async fn run(client: salesforce_client::Client) -> salesforce_client::Result<()> {
//! let mut events = client
//!     .streaming()
//!     .subscribe(channel::platform_event("Payment_Settled__e"))
//!     .replay_from(ReplayFrom::AllRetained) // only when the store has no position yet
//!     .replay_store(FileReplayStore::open("/var/lib/payments/replay.log").await?)
//!     .events::<PaymentSettled>();
//! while let Some(event) = events.try_next().await? {
//!     println!("settled {}", event.payload.payment_id);
//!     event.ack().await?; // stored (and synced) before the next restart can need it
//! }
//! # Ok(()) }
//! ```
//!
//! # How it works
//!
//! The stream drives the Bayeux exchange itself, as it is read: `POST /cometd/NN.0` (the
//! client's API version) with the bearer token, a handshake, one subscribe per channel with
//! the replay extension (`ext.replay = {channel: position}`), then `/meta/connect` long polls,
//! each held by the server up to its advised timeout (110 s on Salesforce). Cookies the server
//! sets (`BAYEUX_BROWSER`) are sent back. Keep reading: Salesforce drops a client that does
//! not reconnect within 40 s of receiving events; if that happens, the next poll gets
//! `403::Unknown client` and the subscription recovers as below.
//!
//! | the server says | the subscription |
//! |---|---|
//! | `advice.interval` / `advice.timeout` | waits that long before the next connect / allows that long for a poll |
//! | `advice.reconnect: handshake`, `403::Unknown client` | handshakes again and re-subscribes each channel from its position |
//! | `401::Authentication invalid` (also as a handshake's `ext.sfdc.failureReason`) | invalidates the session through the client's token cache, gets a new one (once for everyone), handshakes again |
//! | `503::Server is too busy`, a dropped connection, a 5xx | backs off (full-jitter backoff of its `RetryPolicy`, see [`Subscription::backoff`]) and handshakes again |
//! | `advice.reconnect: none`, a refused subscription (an invalid replay id is `400::`), credentials that cannot be renewed | ends the stream with the error |
//!
//! Consecutive failures are bounded by the policy's `max_attempts`; a successful poll resets
//! the count.
//!
//! # Replay, acks and duplicates
//!
//! Every [`Event`] carries an [`Ack`]; [`Event::ack`] marks it processed, and the
//! [`ReplayStore`] keeps, per channel, the highest replay id below which every delivered event
//! was acked (acks may come in any order). A subscription starts each channel from, in order:
//! the position acked in this session, the stored position, the last event received in this
//! session, or the configured [`ReplayFrom`]. So after a crash or restart it resumes after
//! the last processed event: nothing is missed inside the retention window (72 hours), and
//! nothing acked comes again. Events handed out but not acked are delivered again only after
//! a restart; within a session, an event whose replay id is not above the channel's last one
//! (or whose `EventUuid` was seen recently) is dropped as a duplicate. Make processing and the
//! ack one step where it matters (an idempotency ledger keyed by replay id or `EventUuid`):
//! a crash between the two delivers the event again.
//!
//! An event whose payload is not a `T` comes out as an [`Error::Decode`](crate::Error::Decode)
//! item — the stream goes on after it — and counts as processed. Any other error ends the
//! stream.

pub mod channel;
mod event;
mod replay;
mod subscriber;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::{self, Stream};
use mapping::retry::{DefaultRandom, RandomSource, RetryPolicy, Sleeper, TokioSleeper};
use serde::de::DeserializeOwned;

pub use event::{Ack, ChangeEvent, ChangeEventHeader, ChangeType, Event, ReplayFrom};
pub use replay::{FileReplayStore, MemoryReplayStore, ReplayStore};

use crate::client::Client;
use replay::Acks;
use subscriber::{Config, Subscriber};

/// The Streaming API: `client.streaming()`.
#[derive(Clone, Copy)]
pub struct Streaming<'a> {
    client: &'a Client,
}

impl fmt::Debug for Streaming<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Streaming").finish_non_exhaustive()
    }
}

impl Client {
    /// The Streaming API (CometD): subscriptions to platform events and change events.
    pub fn streaming(&self) -> Streaming<'_> {
        Streaming { client: self }
    }
}

impl Streaming<'_> {
    /// A subscription to `channel` (see [`channel`] for the names); add more channels to the
    /// same session with [`Subscription::channel`].
    pub fn subscribe(&self, channel: impl Into<String>) -> Subscription {
        Subscription {
            client: self.client.clone(),
            channels: vec![channel.into()],
            initial: ReplayFrom::New,
            store: Arc::new(MemoryReplayStore::new()),
            backoff: RetryPolicy::default()
                .with_max_attempts(10)
                .with_base_delay(Duration::from_secs(1))
                .with_max_delay(Duration::from_secs(60)),
            sleeper: Arc::new(TokioSleeper),
            random: Arc::new(DefaultRandom),
        }
    }
}

/// A subscription being configured; [`events`](Self::events) starts it.
#[derive(Clone)]
#[must_use = "a subscription does nothing until its events are read"]
pub struct Subscription {
    client: Client,
    channels: Vec<String>,
    initial: ReplayFrom,
    store: Arc<dyn ReplayStore>,
    backoff: RetryPolicy,
    sleeper: Arc<dyn Sleeper>,
    random: Arc<dyn RandomSource>,
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("channels", &self.channels)
            .field("initial", &self.initial)
            .field("store", &self.store)
            .field("backoff", &self.backoff)
            .finish_non_exhaustive()
    }
}

impl Subscription {
    /// Another channel in the same Bayeux session.
    pub fn channel(mut self, channel: impl Into<String>) -> Self {
        self.channels.push(channel.into());
        self
    }

    /// Where to start a channel the store has no position for (default [`ReplayFrom::New`]).
    pub fn replay_from(mut self, from: ReplayFrom) -> Self {
        self.initial = from;
        self
    }

    /// Where positions are kept (default: a fresh [`MemoryReplayStore`], which forgets them
    /// with the process).
    pub fn replay_store(mut self, store: impl ReplayStore + 'static) -> Self {
        self.store = Arc::new(store);
        self
    }

    /// As [`replay_store`](Self::replay_store), for a store already shared.
    pub fn shared_replay_store(mut self, store: Arc<dyn ReplayStore>) -> Self {
        self.store = store;
        self
    }

    /// The backoff between reconnection attempts and how many consecutive failures end the
    /// stream (`max_attempts`); default 1 s doubling up to 60 s with full jitter, 10 failures.
    pub fn backoff(mut self, policy: RetryPolicy) -> Self {
        self.backoff = policy;
        self
    }

    /// How to sleep (a [`RecordingSleeper`](mapping::retry::RecordingSleeper) in tests).
    pub fn sleeper(mut self, sleeper: impl Sleeper + 'static) -> Self {
        self.sleeper = Arc::new(sleeper);
        self
    }

    /// The random source of the backoff jitter.
    pub fn random(mut self, random: impl RandomSource + 'static) -> Self {
        self.random = Arc::new(random);
        self
    }

    /// Starts the subscription: the events of every channel, with payloads as `T`
    /// (`serde_json::Value` for anything, [`ChangeEvent`] for Change Data Capture).
    ///
    /// Nothing is sent until the stream is first read. Errors end the stream, except an event
    /// that does not decode as `T` (see the [module docs](self)).
    pub fn events<T>(self) -> impl Stream<Item = crate::Result<Event<T>>> + Send + Unpin + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        let subscriber = Subscriber::<T>::new(Config {
            client: self.client,
            channels: self.channels,
            initial: self.initial,
            acks: Arc::new(Acks::new(self.store)),
            backoff: self.backoff,
            sleeper: self.sleeper,
            random: self.random,
        });
        Box::pin(stream::unfold(subscriber, |mut subscriber| async move {
            let item = subscriber.next().await?;
            Some((item, subscriber))
        }))
    }
}
