//! The Bayeux long-polling loop behind a subscription (reference §4.2): handshake, subscribe
//! with the replay extension, connect again and again, recovering as the server advises.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use mapping::retry::{ErrorKind, Idempotency, RandomSource, RetryPolicy, Sleeper};
use reqwest::Method;
use reqwest::header::{COOKIE, HeaderMap, HeaderValue, SET_COOKIE};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::event::{Ack, Event, ReplayFrom};
use super::replay::Acks;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{Call, Op, Reply, Target, op};

/// How long Salesforce holds a `/meta/connect` when it gives no advice (reference §4.2).
const DEFAULT_POLL: Duration = Duration::from_secs(110);
/// Added to the server's poll time for the connect request's own timeout.
const POLL_MARGIN: Duration = Duration::from_secs(30);
/// How many recent `EventUuid`s are remembered to drop duplicates.
const RECENT_UUIDS: usize = 4096;

/// What a subscription is made of (from the builder).
pub(crate) struct Config {
    pub(crate) client: Client,
    pub(crate) channels: Vec<String>,
    pub(crate) initial: ReplayFrom,
    pub(crate) acks: Arc<Acks>,
    pub(crate) backoff: RetryPolicy,
    pub(crate) sleeper: Arc<dyn Sleeper>,
    pub(crate) random: Arc<dyn RandomSource>,
}

/// A Bayeux message as the server sends it; only what the client reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Message {
    channel: String,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    successful: Option<bool>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    advice: Option<Value>,
    #[serde(default)]
    ext: Option<Value>,
    #[serde(default)]
    data: Option<Value>,
}

impl Message {
    fn advice(&self, name: &str) -> Option<&Value> {
        self.advice.as_ref().and_then(|a| a.get(name))
    }

    fn reconnect(&self) -> Option<&str> {
        self.advice("reconnect").and_then(Value::as_str)
    }

    fn millis(&self, name: &str) -> Option<Duration> {
        self.advice(name)
            .and_then(Value::as_u64)
            .map(Duration::from_millis)
    }
}

/// An event waiting in the buffer, or one that could not be read as `T`.
enum Item<T> {
    Event(Event<T>),
    Unreadable {
        channel: String,
        replay_id: Option<i64>,
        error: Error,
    },
}

pub(crate) struct Subscriber<T> {
    config: Config,
    path: String,
    loaded: bool,
    stored: HashMap<String, i64>,
    last_delivered: HashMap<String, i64>,
    uuids: (VecDeque<String>, HashSet<String>),
    client_id: Option<String>,
    subscribed: usize,
    cookies: BTreeMap<String, String>,
    message_id: u64,
    poll: Duration,
    interval: Duration,
    failures: u32,
    ready: VecDeque<Item<T>>,
    finished: bool,
}

impl<T: DeserializeOwned> Subscriber<T> {
    pub(crate) fn new(config: Config) -> Self {
        let path = format!("/cometd/{}", config.client.api_version());
        Subscriber {
            config,
            path,
            loaded: false,
            stored: HashMap::new(),
            last_delivered: HashMap::new(),
            uuids: (VecDeque::new(), HashSet::new()),
            client_id: None,
            subscribed: 0,
            cookies: BTreeMap::new(),
            message_id: 0,
            poll: DEFAULT_POLL,
            interval: Duration::ZERO,
            failures: 0,
            ready: VecDeque::new(),
            finished: false,
        }
    }

    /// The next event, or the error that ended the subscription.
    pub(crate) async fn next(&mut self) -> Option<Result<Event<T>>> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(self.deliver(item).await);
            }
            if self.finished {
                return None;
            }
            let step = if !self.loaded {
                self.load().await
            } else if self.client_id.is_none() {
                self.handshake().await
            } else if self.subscribed < self.config.channels.len() {
                self.subscribe().await
            } else {
                self.connect().await
            };
            if let Err(error) = step
                && let Err(fatal) = self.recover(error).await
            {
                self.finished = true;
                return Some(Err(fatal));
            }
        }
    }

    async fn deliver(&mut self, item: Item<T>) -> Result<Event<T>> {
        let acks = &self.config.acks;
        match item {
            Item::Event(event) => {
                acks.delivered(&event.channel, event.replay_id);
                Ok(event)
            }
            Item::Unreadable {
                channel,
                replay_id,
                error,
            } => {
                tracing::warn!(
                    "messaging.destination.name" = channel.as_str(),
                    replay_id,
                    "an event could not be read; it counts as processed"
                );
                if let Some(id) = replay_id {
                    acks.delivered(&channel, id);
                    acks.ack(&channel, id).await?;
                }
                Err(error)
            }
        }
    }

    /// Checks the channels and reads their stored positions.
    async fn load(&mut self) -> Result<()> {
        for channel in &self.config.channels {
            check_channel(channel)?;
            if let Some(id) = self.config.acks.store().load(channel).await? {
                self.stored.insert(channel.clone(), id);
            }
        }
        self.loaded = true;
        Ok(())
    }

    /// Where to resume `channel`: the last event acked, else the stored position, else the
    /// last event received, else the configured start.
    fn position(&self, channel: &str) -> i64 {
        self.config
            .acks
            .watermark(channel)
            .or_else(|| self.stored.get(channel).copied())
            .or_else(|| self.last_delivered.get(channel).copied())
            .unwrap_or_else(|| self.config.initial.value())
    }

    /// After a failure: give up on what waiting cannot fix, else back off and start over
    /// with a new handshake (re-subscribing from each channel's position; events already
    /// delivered are dropped as duplicates).
    async fn recover(&mut self, error: Error) -> Result<()> {
        let kind = error.kind();
        let recoverable = matches!(
            kind,
            ErrorKind::Transient
                | ErrorKind::Throttled
                | ErrorKind::Timeout
                | ErrorKind::OutcomeUnknown
                | ErrorKind::AuthExpired
        );
        self.failures = self.failures.saturating_add(1);
        if !recoverable || self.failures >= self.config.backoff.max_attempts() {
            return Err(error);
        }
        self.client_id = None;
        let delay = if kind == ErrorKind::AuthExpired && self.failures == 1 {
            Duration::ZERO
        } else {
            self.config
                .backoff
                .backoff(self.failures, self.config.random.as_ref())
                .max(self.interval)
        };
        tracing::debug!(
            "error.type" = kind.as_str(),
            failures = self.failures,
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            "streaming: handshaking again"
        );
        if !delay.is_zero() {
            self.config.sleeper.sleep(delay).await;
        }
        Ok(())
    }

    async fn handshake(&mut self) -> Result<()> {
        self.subscribed = 0;
        let message = json!({
            "channel": "/meta/handshake",
            "version": "1.0",
            "minimumVersion": "1.0",
            "supportedConnectionTypes": ["long-polling"],
            "id": self.next_id(),
        });
        let (reply, messages) = self
            .exchange(
                op!("salesforce.streaming.handshake"),
                message,
                Idempotency::Idempotent,
                None,
            )
            .await?;
        let answer = self.answer(&reply, &messages, "/meta/handshake")?;
        self.client_id = answer.and_then(|m| m.client_id.clone());
        if self.client_id.is_none() {
            return Err(Error::Bayeux {
                channel: "/meta/handshake".into(),
                error: "the handshake answer has no clientId".into(),
                reason: None,
                reconnect: Some("handshake".into()),
            });
        }
        Ok(())
    }

    async fn subscribe(&mut self) -> Result<()> {
        let channel = self.config.channels[self.subscribed].clone();
        let position = self.position(&channel);
        let message = json!({
            "channel": "/meta/subscribe",
            "clientId": self.client_id,
            "subscription": channel,
            "id": self.next_id(),
            "ext": {"replay": {channel.as_str(): position}},
        });
        tracing::debug!(
            "messaging.destination.name" = channel.as_str(),
            replay_from = position,
            "streaming: subscribing"
        );
        let (reply, messages) = self
            .exchange(
                op!("salesforce.streaming.subscribe"),
                message,
                Idempotency::Idempotent,
                None,
            )
            .await?;
        self.answer(&reply, &messages, "/meta/subscribe")?;
        self.subscribed += 1;
        Ok(())
    }

    async fn connect(&mut self) -> Result<()> {
        if !self.interval.is_zero() {
            self.config.sleeper.sleep(self.interval).await;
        }
        let message = json!({
            "channel": "/meta/connect",
            "clientId": self.client_id,
            "connectionType": "long-polling",
            "id": self.next_id(),
        });
        // Not resent by the send path: events in a lost answer would be lost. A failure
        // handshakes again and replays from the channels' positions instead.
        let (reply, messages) = self
            .exchange(
                op!("salesforce.streaming.connect"),
                message,
                Idempotency::NonIdempotent,
                Some(self.poll + POLL_MARGIN),
            )
            .await?;
        if let Some(answer) = self.answer(&reply, &messages, "/meta/connect")? {
            match answer.reconnect() {
                Some("handshake") => self.client_id = None,
                Some("none") => {
                    return Err(Error::Bayeux {
                        channel: answer.channel.clone(),
                        error: "the server asked not to reconnect".into(),
                        reason: None,
                        reconnect: Some("none".into()),
                    });
                }
                _ => {}
            }
        }
        self.failures = 0;
        Ok(())
    }

    /// Posts one message with the session's cookies, keeps the cookies of the answer, and
    /// queues any events it carries.
    async fn exchange(
        &mut self,
        op: Op,
        message: Value,
        idempotency: Idempotency,
        timeout: Option<Duration>,
    ) -> Result<(Reply, Vec<Message>)> {
        let mut call = Call::new(Method::POST, Target::Link(self.path.clone()))
            .json(&[message])?
            .idempotency(idempotency);
        if let Some(cookie) = self.cookie_header() {
            call = call.header(COOKIE, cookie);
        }
        if let Some(timeout) = timeout {
            call = call.timeout(timeout);
        }
        let reply = self.config.client.send(op, call).await?;
        self.keep_cookies(&reply.headers);
        let messages: Vec<Message> = reply.json()?;
        for message in &messages {
            self.take_event(&reply, message);
        }
        Ok((reply, messages))
    }

    /// The answer on `meta` in `messages`, checked: a failure becomes [`Error::Bayeux`] (and
    /// a `401::` invalidates the session it was sent with, so the next handshake gets a new
    /// one). Advice on timeouts and intervals is kept.
    fn answer<'m>(
        &mut self,
        reply: &Reply,
        messages: &'m [Message],
        meta: &str,
    ) -> Result<Option<&'m Message>> {
        let Some(answer) = messages.iter().find(|m| m.channel == meta) else {
            return Ok(None);
        };
        if let Some(timeout) = answer.millis("timeout") {
            self.poll = timeout;
        }
        if let Some(interval) = answer.millis("interval") {
            self.interval = interval;
        }
        if answer.successful == Some(true) {
            return Ok(Some(answer));
        }
        let error = Error::Bayeux {
            channel: answer.channel.clone(),
            error: answer
                .error
                .clone()
                .unwrap_or_else(|| "unsuccessful".into()),
            reason: answer
                .ext
                .as_ref()
                .and_then(|e| e.pointer("/sfdc/failureReason"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            reconnect: answer.reconnect().map(str::to_owned),
        };
        if error.kind() == ErrorKind::AuthExpired {
            let auth = &self.config.client.inner.auth;
            if !auth.can_refresh() {
                return Err(Error::Token {
                    source: Box::new(error),
                });
            }
            auth.invalidate(&reply.session);
        }
        Err(error)
    }

    /// Queues the event in `message`, unless it is a meta message or a duplicate (a replay id
    /// not above the channel's last, or an `EventUuid` seen recently).
    fn take_event(&mut self, reply: &Reply, message: &Message) {
        let Some(data) = message
            .data
            .as_ref()
            .filter(|_| !message.channel.starts_with("/meta/"))
        else {
            return;
        };
        let channel = message.channel.clone();
        let replay_id = data.pointer("/event/replayId").and_then(Value::as_i64);
        let event_uuid = ["/event/EventUuid", "/payload/EventUuid"]
            .iter()
            .find_map(|p| data.pointer(p).and_then(Value::as_str))
            .map(str::to_owned);
        let duplicate = replay_id
            .zip(self.last_delivered.get(&channel))
            .is_some_and(|(id, &last)| id <= last)
            || event_uuid
                .as_ref()
                .is_some_and(|u| self.uuids.1.contains(u));
        if duplicate {
            tracing::debug!(
                "messaging.destination.name" = channel.as_str(),
                replay_id,
                "streaming: dropping a duplicate event"
            );
            return;
        }
        if let Some(id) = replay_id {
            self.last_delivered.insert(channel.clone(), id);
        }
        if let Some(uuid) = &event_uuid {
            let (order, seen) = &mut self.uuids;
            if seen.insert(uuid.clone()) {
                order.push_back(uuid.clone());
            }
            if order.len() > RECENT_UUIDS
                && let Some(old) = order.pop_front()
            {
                seen.remove(&old);
            }
        }
        let unreadable = |error: Error| Item::Unreadable {
            channel: channel.clone(),
            replay_id,
            error,
        };
        let Some(replay_id) = replay_id else {
            self.ready.push_back(unreadable(Error::invalid(
                "event",
                format!("an event on {channel} has no data.event.replayId"),
            )));
            return;
        };
        let payload = data.get("payload").cloned().unwrap_or(Value::Null);
        let item = match serde_path_to_error::deserialize::<_, T>(payload) {
            Ok(payload) => Item::Event(Event {
                ack: Ack {
                    acks: Arc::clone(&self.config.acks),
                    channel: Arc::from(channel.as_str()),
                    replay_id,
                },
                channel: channel.clone(),
                replay_id,
                event_uuid,
                schema: data
                    .get("schema")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                payload,
            }),
            Err(e) => unreadable(Error::Decode {
                path: format!("{channel} replay {replay_id}: data.payload.{}", e.path()),
                response: reply.meta.clone(),
                attempts: 1,
                source: e.into_inner(),
            }),
        };
        self.ready.push_back(item);
    }

    fn next_id(&mut self) -> String {
        self.message_id += 1;
        self.message_id.to_string()
    }

    fn cookie_header(&self) -> Option<HeaderValue> {
        if self.cookies.is_empty() {
            return None;
        }
        let text = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut value = HeaderValue::from_str(&text).ok()?;
        value.set_sensitive(true);
        Some(value)
    }

    /// Keeps `Set-Cookie`s (`BAYEUX_BROWSER`, load-balancer affinity) for the next requests.
    /// All requests go to one path on one origin, so attributes other than expiry are moot.
    fn keep_cookies(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            let mut parts = text.split(';');
            let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let expired = parts.any(|attr| {
                let attr = attr.trim().to_ascii_lowercase();
                attr == "max-age=0" || attr.starts_with("max-age=-")
            });
            let name = name.trim().to_owned();
            if expired || value.trim().is_empty() {
                self.cookies.remove(&name);
            } else {
                self.cookies.insert(name, value.trim().to_owned());
            }
        }
    }
}

/// A channel to subscribe to: `/event/…`, `/data/…`, `/topic/…` or `/u/…`, no spaces.
fn check_channel(channel: &str) -> Result<()> {
    let known = ["/event/", "/data/", "/topic/", "/u/"]
        .iter()
        .any(|p| channel.len() > p.len() && channel.starts_with(p));
    if known
        && !channel
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        Ok(())
    } else {
        Err(Error::invalid(
            "channel",
            format!(
                "{channel:?} is not a Streaming API channel (/event/X__e, /data/ChangeEvents, /data/AccountChangeEvent, /topic/X)"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_are_checked() {
        for ok in [
            "/event/Payment__e",
            "/data/ChangeEvents",
            "/data/Employee__ChangeEvent",
            "/topic/Orders",
            "/u/Custom",
        ] {
            assert!(check_channel(ok).is_ok(), "{ok}");
        }
        for bad in [
            "/meta/connect",
            "event/X__e",
            "/event/",
            "/event/A B",
            "/service/x",
        ] {
            assert!(check_channel(bad).is_err(), "{bad}");
        }
    }
}
