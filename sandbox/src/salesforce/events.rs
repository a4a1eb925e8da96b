//! The event bus: platform events published through the REST API and Change Data Capture
//! events for writes to CDC-enabled objects, each with a replay id, kept for a retention
//! window (72 hours by default, as Salesforce keeps high-volume platform events and CDC).
//!
//! # Channels and replay ids
//!
//! * `/event/Name__e`: one platform event type. Replay ids increase by one per event on
//!   the channel.
//! * `/data/AccountChangeEvent`, `/data/Payment__ChangeEvent`: the change events of one
//!   object, and `/data/ChangeEvents`: all of them. Change events share one replay-id
//!   sequence, so an event has the same replay id on both channels it appears on, and the
//!   ids of an object channel increase but may skip numbers (as on Salesforce).
//!
//! # Reading
//!
//! [`EventBus::since`] returns the retained events of a channel after a replay id, with the
//! CometD replay conventions: [`REPLAY_ALL`] (`-2`) = everything retained, [`REPLAY_NEW`]
//! (`-1`) = nothing (only new events, which come through [`EventBus::subscribe`]).
//!
//! A streaming server (CometD, Pub/Sub) should subscribe first, then read the backlog with
//! `since`, then forward broadcast events whose replay id is greater than the last one sent:
//! that order loses nothing and the replay id removes duplicates.
//!
//! ```
//! use sandbox::salesforce::{EventBus, REPLAY_ALL};
//!
//! let bus = EventBus::default();
//! let mut live = bus.subscribe();
//! assert!(bus.since("/event/Payment_Received__e", REPLAY_ALL).is_empty());
//! assert!(live.try_recv().is_err());
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::broadcast;

use crate::clock::SandboxClock;

/// The channel carrying every change event.
pub const CHANGE_EVENTS_CHANNEL: &str = "/data/ChangeEvents";
/// Replay value for "only events published from now on".
pub const REPLAY_NEW: i64 = -1;
/// Replay value for "every retained event".
pub const REPLAY_ALL: i64 = -2;

const CDC_STREAM: &str = "/data/*";
const BROADCAST_CAPACITY: usize = 4096;

/// One event on the bus.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct BusEvent {
    /// The event's own channel: `/event/Name__e` or `/data/<Object>ChangeEvent`.
    pub channel: String,
    /// Replay id (increasing per channel).
    pub replay_id: i64,
    /// Schema id of the event type (changes when the object's fields change).
    pub schema: String,
    /// The payload: platform event fields with `CreatedDate`/`CreatedById`, or a change
    /// event's `ChangeEventHeader` and changed fields.
    pub payload: Value,
    /// Event UUID.
    pub event_uuid: String,
    /// When it was published (retention is counted from here).
    pub created: DateTime<Utc>,
}

impl BusEvent {
    /// Whether a subscriber of `channel` receives it (its own channel, or
    /// `/data/ChangeEvents` for any change event).
    #[must_use]
    pub fn is_on(&self, channel: &str) -> bool {
        self.channel == channel || (channel == CHANGE_EVENTS_CHANNEL && self.is_change_event())
    }

    /// Whether it is a Change Data Capture event.
    #[must_use]
    pub fn is_change_event(&self) -> bool {
        self.channel.starts_with("/data/")
    }

    /// The `ChangeEventHeader` of a change event.
    #[must_use]
    pub fn change_header(&self) -> Option<&Value> {
        self.payload.get("ChangeEventHeader")
    }

    /// The CometD message as delivered to a subscriber of `channel`:
    /// `{"data":{"schema","payload","event":{"replayId","createdDate"}},"channel"}`. Platform
    /// events also carry `EventUuid` in `event` (placement UNCONFIRMED in the reference);
    /// `createdDate` is the publish time in UTC with milliseconds.
    #[must_use]
    pub fn to_cometd(&self, channel: &str) -> Value {
        let created = self.created.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        let event = if self.is_change_event() {
            json!({"replayId": self.replay_id, "createdDate": created})
        } else {
            json!({"replayId": self.replay_id, "EventUuid": self.event_uuid, "createdDate": created})
        };
        json!({
            "data": {"schema": self.schema, "payload": self.payload, "event": event},
            "channel": channel,
        })
    }
}

#[derive(Debug, Default)]
struct Stream {
    last_replay: i64,
    events: VecDeque<BusEvent>,
}

#[derive(Debug)]
struct BusState {
    streams: BTreeMap<String, Stream>,
    retention: Duration,
}

/// The emulator's event bus. Cheap to clone (shared).
#[derive(Clone, Debug)]
pub struct EventBus {
    state: Arc<Mutex<BusState>>,
    tx: broadcast::Sender<BusEvent>,
    clock: SandboxClock,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new(SandboxClock::system(), Duration::from_secs(72 * 60 * 60))
    }
}

/// A schema id for an event type: stable for the same object and fields.
pub(crate) fn schema_id(object: &str, fields: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(object.as_bytes());
    for f in fields {
        h.update(b"\0");
        h.update(f.as_bytes());
    }
    use base64::Engine as _;
    let s = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(h.finalize());
    s.chars().take(22).collect()
}

fn stream_key(channel: &str) -> Option<&str> {
    if channel == CHANGE_EVENTS_CHANNEL
        || (channel.starts_with("/data/") && channel.ends_with("ChangeEvent"))
    {
        Some(CDC_STREAM)
    } else if channel.starts_with("/event/") {
        Some(channel)
    } else {
        None
    }
}

impl EventBus {
    /// A bus reading `clock`, keeping events for `retention`.
    #[must_use]
    pub fn new(clock: SandboxClock, retention: Duration) -> Self {
        let (tx, _) = broadcast::channel(BROADCAST_CAPACITY);
        Self {
            state: Arc::new(Mutex::new(BusState {
                streams: BTreeMap::new(),
                retention,
            })),
            tx,
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, BusState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn purge(&self, st: &mut BusState) {
        let retention = TimeDelta::from_std(st.retention).unwrap_or(TimeDelta::MAX);
        let Some(cutoff) = self.clock.now().checked_sub_signed(retention) else {
            return;
        };
        for s in st.streams.values_mut() {
            while s.events.front().is_some_and(|e| e.created < cutoff) {
                s.events.pop_front();
            }
        }
    }

    /// Retained events of `channel` after `replay_id` ([`REPLAY_ALL`]: all retained;
    /// [`REPLAY_NEW`]: none), oldest first.
    #[must_use]
    pub fn since(&self, channel: &str, replay_id: i64) -> Vec<BusEvent> {
        if replay_id == REPLAY_NEW {
            return Vec::new();
        }
        let Some(key) = stream_key(channel) else {
            return Vec::new();
        };
        let mut st = self.lock();
        self.purge(&mut st);
        st.streams
            .get(key)
            .map(|s| {
                s.events
                    .iter()
                    .filter(|e| {
                        (replay_id == REPLAY_ALL || e.replay_id > replay_id) && e.is_on(channel)
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every retained event of `channel`.
    #[must_use]
    pub fn events(&self, channel: &str) -> Vec<BusEvent> {
        self.since(channel, REPLAY_ALL)
    }

    /// Live events from now on (all channels; filter with [`BusEvent::is_on`]). A receiver
    /// that falls more than 4,096 events behind gets `Lagged` and can catch up with
    /// [`since`](Self::since).
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<BusEvent> {
        self.tx.subscribe()
    }

    /// Replay id of the newest event ever published on `channel`'s stream.
    #[must_use]
    pub fn latest_replay_id(&self, channel: &str) -> Option<i64> {
        let key = stream_key(channel)?;
        self.lock()
            .streams
            .get(key)
            .map(|s| s.last_replay)
            .filter(|r| *r > 0)
    }

    /// Replay id of the oldest retained event of `channel`.
    #[must_use]
    pub fn earliest_replay_id(&self, channel: &str) -> Option<i64> {
        self.since(channel, REPLAY_ALL).first().map(|e| e.replay_id)
    }

    /// Whether a subscription may replay from `replay_id`: `-1`, `-2`, or an id no older
    /// than the retained window and not beyond the newest published one.
    #[must_use]
    pub fn is_replayable(&self, channel: &str, replay_id: i64) -> bool {
        if replay_id == REPLAY_NEW || replay_id == REPLAY_ALL {
            return true;
        }
        let Some(key) = stream_key(channel) else {
            return false;
        };
        let mut st = self.lock();
        self.purge(&mut st);
        let Some(s) = st.streams.get(key) else {
            return replay_id == 0;
        };
        let oldest = s.events.front().map_or(s.last_replay + 1, |e| e.replay_id);
        replay_id >= oldest - 1 && replay_id <= s.last_replay
    }

    /// Channels that have retained events, sorted.
    #[must_use]
    pub fn channels(&self) -> Vec<String> {
        let mut st = self.lock();
        self.purge(&mut st);
        let mut out: Vec<String> = st
            .streams
            .values()
            .flat_map(|s| s.events.iter().map(|e| e.channel.clone()))
            .collect();
        if out.iter().any(|c| c.starts_with("/data/")) {
            out.push(CHANGE_EVENTS_CHANNEL.to_owned());
        }
        out.sort();
        out.dedup();
        out
    }

    /// The retention window.
    #[must_use]
    pub fn retention(&self) -> Duration {
        self.lock().retention
    }

    /// Change the retention window (takes effect at the next read).
    pub fn set_retention(&self, retention: Duration) {
        self.lock().retention = retention;
    }

    /// Platform events published since `t` that are still retained.
    #[must_use]
    pub fn platform_events_since(&self, t: DateTime<Utc>) -> usize {
        self.lock()
            .streams
            .iter()
            .filter(|(k, _)| k.as_str() != CDC_STREAM)
            .map(|(_, s)| s.events.iter().filter(|e| e.created >= t).count())
            .sum()
    }

    fn append(&self, key: &str, mut event: BusEvent) -> BusEvent {
        {
            let mut st = self.lock();
            self.purge(&mut st);
            let s = st.streams.entry(key.to_owned()).or_default();
            s.last_replay += 1;
            event.replay_id = s.last_replay;
            s.events.push_back(event.clone());
        }
        let _ = self.tx.send(event.clone());
        event
    }

    /// Publish a platform event of `object` (`Name__e`).
    pub(crate) fn publish_platform(
        &self,
        object: &str,
        schema: String,
        payload: Map<String, Value>,
        uuid: String,
    ) -> BusEvent {
        let channel = format!("/event/{object}");
        let event = BusEvent {
            channel: channel.clone(),
            replay_id: 0,
            schema,
            payload: Value::Object(payload),
            event_uuid: uuid,
            created: self.clock.now(),
        };
        self.append(&channel, event)
    }

    /// Publish a change event on `channel` (`/data/<Object>ChangeEvent`).
    pub(crate) fn publish_change(
        &self,
        channel: String,
        schema: String,
        payload: Map<String, Value>,
        uuid: String,
    ) -> BusEvent {
        let event = BusEvent {
            channel,
            replay_id: 0,
            schema,
            payload: Value::Object(payload),
            event_uuid: uuid,
            created: self.clock.now(),
        };
        self.append(CDC_STREAM, event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bus() -> (EventBus, SandboxClock) {
        let clock = SandboxClock::frozen_at(Utc::now());
        (
            EventBus::new(clock.clone(), Duration::from_secs(3600)),
            clock,
        )
    }

    #[test]
    fn replay_ids_channels_and_retention() {
        let (bus, clock) = bus();
        let mut rx = bus.subscribe();
        let a = bus.publish_change(
            "/data/AccountChangeEvent".into(),
            "s".into(),
            Map::new(),
            "u1".into(),
        );
        let c = bus.publish_change(
            "/data/ContactChangeEvent".into(),
            "s".into(),
            Map::new(),
            "u2".into(),
        );
        let p = bus.publish_platform("Paid__e", "s".into(), Map::new(), "u3".into());
        assert_eq!((a.replay_id, c.replay_id, p.replay_id), (1, 2, 1));
        assert_eq!(rx.try_recv().unwrap(), a);
        assert_eq!(bus.since(CHANGE_EVENTS_CHANNEL, REPLAY_ALL).len(), 2);
        assert_eq!(
            bus.since("/data/ContactChangeEvent", REPLAY_ALL),
            vec![c.clone()]
        );
        assert_eq!(bus.since(CHANGE_EVENTS_CHANNEL, 1), vec![c]);
        assert!(bus.since("/event/Paid__e", REPLAY_NEW).is_empty());
        assert_eq!(bus.latest_replay_id("/event/Paid__e"), Some(1));
        assert!(bus.is_replayable("/event/Paid__e", 0));
        assert!(!bus.is_replayable("/event/Paid__e", 7));
        assert_eq!(
            bus.channels(),
            vec![
                "/data/AccountChangeEvent",
                "/data/ChangeEvents",
                "/data/ContactChangeEvent",
                "/event/Paid__e"
            ]
        );
        let msg = p.to_cometd("/event/Paid__e");
        assert_eq!(msg["data"]["event"]["replayId"], 1);
        assert_eq!(msg["channel"], "/event/Paid__e");
        clock.advance(TimeDelta::hours(2));
        assert!(bus.events(CHANGE_EVENTS_CHANNEL).is_empty());
        assert!(!bus.is_replayable("/event/Paid__e", 0) || bus.events("/event/Paid__e").is_empty());
        let next = bus.publish_platform("Paid__e", "s".into(), Map::new(), "u4".into());
        assert_eq!(
            next.replay_id, 2,
            "replay ids keep increasing after a purge"
        );
    }
}
