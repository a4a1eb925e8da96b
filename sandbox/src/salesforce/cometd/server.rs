//! The `/cometd/NN.0` handler: Bayeux message dispatch, the long poll, replay cursors.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use rand::Rng;
use serde_json::{Map, Value, json};
use tokio::sync::Notify;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use super::{BROWSER_COOKIE, Client, StreamingConfig};
use crate::salesforce::emulator::SalesforceEmulator;
use crate::salesforce::events::{CHANGE_EVENTS_CHANNEL, REPLAY_ALL, REPLAY_NEW};
use crate::salesforce::faults::AsyncFault;
use crate::salesforce::schema::change_event_channel;
use crate::salesforce::sessions::bearer;

const TOO_BUSY: &str = "503::Server is too busy. Please try your request again later.";
const UNKNOWN_CLIENT: &str = "403::Unknown client";
const AUTH_INVALID: &str = "401::Authentication invalid";
const AUTH_MISSING: &str = "401::Request requires authentication";

/// How the request authenticated.
#[derive(Clone, Debug)]
enum Auth {
    Valid(String),
    Missing,
    Invalid,
}

impl Auth {
    fn error(&self) -> Option<&'static str> {
        match self {
            Self::Valid(_) => None,
            Self::Missing => Some(AUTH_MISSING),
            Self::Invalid => Some(AUTH_INVALID),
        }
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn random_id(n: usize) -> String {
    const CHARS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
        .collect()
}

fn bayeux_error(status: StatusCode, channel: &str, error: &str) -> Response {
    let mut res = Response::new(Body::from(
        json!([{"channel": channel, "successful": false, "error": error}]).to_string(),
    ));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    res
}

fn browser_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == BROWSER_COOKIE)
        .map(|(_, v)| v.trim().to_owned())
}

/// The start of a reply to `msg`: its channel, `id` and `clientId`.
fn reply_to(msg: &Map<String, Value>, channel: &str) -> Map<String, Value> {
    let mut r = Map::new();
    r.insert("channel".into(), json!(channel));
    if let Some(id) = msg.get("id") {
        r.insert("id".into(), id.clone());
    }
    if let Some(c) = msg.get("clientId") {
        r.insert("clientId".into(), c.clone());
    }
    r
}

fn failed(mut r: Map<String, Value>, error: &str) -> Value {
    r.insert("successful".into(), json!(false));
    r.insert("error".into(), json!(error));
    Value::Object(r)
}

fn with_advice(mut r: Value, advice: Value) -> Value {
    if let Some(m) = r.as_object_mut() {
        m.insert("advice".into(), advice);
    }
    r
}

struct Req<'a> {
    emu: &'a SalesforceEmulator,
    cfg: &'a StreamingConfig,
    auth: Auth,
    cookie: Option<String>,
    set_cookie: Option<String>,
}

/// Serve `/cometd/…`.
pub(crate) async fn serve(emu: SalesforceEmulator, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let cfg = emu.config();
    let max_version = cfg.max_api_version;
    let cfg = cfg.streaming;
    let segs: Vec<&str> = parts
        .uri
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let Some(v) = segs.get(1) else {
        return bayeux_error(
            StatusCode::BAD_REQUEST,
            "/meta/handshake",
            &format!(
                "400::API version in the URI is mandatory. URI format: '/cometd/{max_version}.0'"
            ),
        );
    };
    let version = v
        .strip_suffix(".0")
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| *n >= cfg.min_api_version && *n <= max_version);
    if version.is_none() {
        return bayeux_error(
            StatusCode::BAD_REQUEST,
            "/meta/handshake",
            &format!(
                "400::Unsupported API version. Only API versions '{}.0' and later are supported. URI format: '/cometd/{max_version}.0'",
                cfg.min_api_version
            ),
        );
    }
    if parts.method != Method::POST {
        return bayeux_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "/meta/handshake",
            "405::Only POST is supported (long-polling)",
        );
    }
    let Ok(bytes) = to_bytes(body, cfg.max_request_bytes).await else {
        let mut res = Response::new(Body::from("Maximum Request Size Exceeded"));
        *res.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
        return res;
    };
    let msgs: Vec<Map<String, Value>> = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Array(a)) => a
            .into_iter()
            .filter_map(|m| match m {
                Value::Object(o) => Some(o),
                _ => None,
            })
            .collect(),
        Ok(Value::Object(o)) => vec![o],
        _ => {
            return bayeux_error(
                StatusCode::BAD_REQUEST,
                "/meta/handshake",
                "400::The request body must be a JSON array of Bayeux messages",
            );
        }
    };
    let auth_header = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok());
    let auth = {
        let mut st = emu.lock();
        let now = st.now();
        let policy = st.config.session.clone();
        match bearer(auth_header) {
            None => Auth::Missing,
            Some(token) => match st.sessions.authenticate(auth_header, now, &policy) {
                Ok(_) => Auth::Valid(token.to_owned()),
                Err(_) => Auth::Invalid,
            },
        }
    };
    let mut r = Req {
        emu: &emu,
        cfg: &cfg,
        auth,
        cookie: browser_cookie(&parts.headers),
        set_cookie: None,
    };
    let mut replies = Vec::new();
    for msg in &msgs {
        let channel = msg.get("channel").and_then(Value::as_str).unwrap_or("");
        match channel {
            "/meta/handshake" => replies.push(handshake(&mut r, msg)),
            "/meta/connect" => replies.extend(connect(&r, msg).await),
            "/meta/subscribe" => replies.push(subscribe(&r, msg)),
            "/meta/unsubscribe" => replies.push(unsubscribe(&r, msg)),
            "/meta/disconnect" => replies.push(disconnect(&r, msg)),
            "" => replies.push(failed(reply_to(msg, ""), "400::Channel name not specified")),
            c if c.starts_with("/meta/") => {
                replies.push(failed(reply_to(msg, c), "400::Unknown meta channel"));
            }
            c => replies.push(failed(reply_to(msg, c), "403::Publish denied")),
        }
    }
    let mut res = Response::new(Body::from(Value::Array(replies).to_string()));
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    if let Some(c) = r.set_cookie
        && let Ok(v) = HeaderValue::try_from(format!("{BROWSER_COOKIE}={c}; Path=/; HttpOnly"))
    {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

fn advice(cfg: &StreamingConfig, reconnect: &str) -> Value {
    json!({"timeout": ms(cfg.timeout), "interval": ms(cfg.interval), "reconnect": reconnect})
}

fn handshake(r: &mut Req<'_>, msg: &Map<String, Value>) -> Value {
    let mut reply = reply_to(msg, "/meta/handshake");
    if let Some(e) = r.auth.error() {
        reply.insert("ext".into(), json!({"sfdc": {"failureReason": e}}));
        reply.insert("advice".into(), json!({"reconnect": "none"}));
        return failed(reply, "403::Handshake denied");
    }
    if let Some(types) = msg
        .get("supportedConnectionTypes")
        .and_then(Value::as_array)
        && !types.iter().any(|t| t == "long-polling")
    {
        return failed(
            reply,
            &format!(
                "400::Invalid connection type {}",
                Value::Array(types.clone())
            ),
        );
    }
    let now = r.emu.clock().now();
    let id = random_id(27);
    let cookie = r.cookie.clone().unwrap_or_else(|| random_id(20));
    {
        let mut clients = r.emu.streaming().lock();
        clients.retain(|_, c| !c.expired(now, r.cfg.client_timeout));
        clients.insert(
            id.clone(),
            Client {
                cookie: cookie.clone(),
                subs: BTreeMap::new(),
                last_seen: now,
                connecting: 0,
                generation: 0,
                wake: Arc::new(Notify::new()),
            },
        );
    }
    r.set_cookie = Some(cookie.clone());
    r.cookie = Some(cookie);
    reply.insert("clientId".into(), json!(id));
    reply.insert("version".into(), json!("1.0"));
    reply.insert("minimumVersion".into(), json!("1.0"));
    reply.insert("supportedConnectionTypes".into(), json!(["long-polling"]));
    reply.insert(
        "ext".into(),
        json!({"replay": true, "payload.format": true}),
    );
    reply.insert("advice".into(), advice(r.cfg, "retry"));
    reply.insert("successful".into(), json!(true));
    Value::Object(reply)
}

/// The checks of every message after the handshake: session, client, cookie. `Err` is the
/// failure reply. On success the client's `last_seen` is now.
fn check(r: &Req<'_>, msg: &Map<String, Value>, channel: &str) -> Result<String, Value> {
    let reply = reply_to(msg, channel);
    if let Some(e) = r.auth.error() {
        return Err(with_advice(
            failed(reply, e),
            json!({"reconnect": "none", "interval": 0}),
        ));
    }
    let unknown = |reply: Map<String, Value>| {
        with_advice(
            failed(reply, UNKNOWN_CLIENT),
            json!({"reconnect": "handshake", "interval": 0}),
        )
    };
    let Some(id) = msg.get("clientId").and_then(Value::as_str) else {
        return Err(unknown(reply));
    };
    let now = r.emu.clock().now();
    let mut clients = r.emu.streaming().lock();
    let Some(client) = clients.get_mut(id) else {
        return Err(unknown(reply));
    };
    if client.expired(now, r.cfg.client_timeout) {
        clients.remove(id);
        return Err(unknown(reply));
    }
    if r.cfg.require_cookie {
        match &r.cookie {
            None => {
                return Err(failed(
                    reply,
                    &format!(
                        "400::Client {id} has established a session, but no {BROWSER_COOKIE} cookie present"
                    ),
                ));
            }
            Some(c) if *c != client.cookie => {
                return Err(unknown(reply));
            }
            Some(_) => {}
        }
    }
    client.last_seen = now;
    Ok(id.to_owned())
}

/// Whether `channel` can be subscribed to (creating an undeclared platform event when the
/// org creates objects on first use).
fn channel_exists(emu: &SalesforceEmulator, channel: &str) -> bool {
    if channel == CHANGE_EVENTS_CHANNEL {
        return true;
    }
    let mut st = emu.lock();
    if let Some(name) = channel.strip_prefix("/event/") {
        return st
            .db
            .resolve(name)
            .is_some_and(|n| st.db.obj(&n).is_some_and(|o| o.meta.is_event()));
    }
    if let Some(base) = channel
        .strip_prefix("/data/")
        .and_then(|r| r.strip_suffix("ChangeEvent"))
    {
        let object = match base.strip_suffix("__") {
            Some(b) => format!("{b}__c"),
            None => base.to_owned(),
        };
        return st
            .db
            .obj(&object)
            .is_some_and(|o| o.meta.cdc && change_event_channel(&o.meta.name) == channel);
    }
    false
}

fn subscribe(r: &Req<'_>, msg: &Map<String, Value>) -> Value {
    let id = match check(r, msg, "/meta/subscribe") {
        Ok(id) => id,
        Err(e) => return e,
    };
    let mut reply = reply_to(msg, "/meta/subscribe");
    let Some(channel) = msg
        .get("subscription")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    else {
        return failed(reply, "400::Channel name not specified");
    };
    reply.insert("subscription".into(), json!(channel));
    if !channel.starts_with('/') {
        return failed(
            reply,
            "400::Channel subscriptions must start with a leading '/'",
        );
    }
    if !channel_exists(r.emu, channel) {
        return failed(
            reply,
            &format!("400::The channel you requested to subscribe to does not exist {channel}"),
        );
    }
    let replay = msg
        .get("ext")
        .and_then(|e| e.get("replay"))
        .and_then(|m| m.get(channel));
    let replay = match replay {
        None | Some(Value::Null) => REPLAY_NEW,
        Some(v) => match v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        {
            Some(n) => n,
            None => {
                return failed(
                    reply,
                    &format!(
                        "400::The replayId {{{v}}} you provided was invalid. Please provide a valid ID, -2 to replay all events, or -1 to replay only new events."
                    ),
                );
            }
        },
    };
    let bus = r.emu.bus();
    if replay < REPLAY_ALL || !bus.is_replayable(channel, replay) {
        return failed(
            reply,
            &format!(
                "400::The replayId {{{replay}}} you provided was invalid. Please provide a valid ID, -2 to replay all events, or -1 to replay only new events."
            ),
        );
    }
    let cursor = match replay {
        REPLAY_NEW => bus.latest_replay_id(channel).unwrap_or(0),
        REPLAY_ALL => 0,
        n => n,
    };
    {
        let mut clients = r.emu.streaming().lock();
        if let Some(c) = clients.get_mut(&id) {
            c.subs.insert(channel.to_owned(), cursor);
            c.wake.notify_one();
        }
    }
    reply.insert("successful".into(), json!(true));
    Value::Object(reply)
}

fn unsubscribe(r: &Req<'_>, msg: &Map<String, Value>) -> Value {
    let id = match check(r, msg, "/meta/unsubscribe") {
        Ok(id) => id,
        Err(e) => return e,
    };
    let mut reply = reply_to(msg, "/meta/unsubscribe");
    let channel = msg
        .get("subscription")
        .and_then(Value::as_str)
        .unwrap_or("");
    reply.insert("subscription".into(), json!(channel));
    if let Some(c) = r.emu.streaming().lock().get_mut(&id) {
        c.subs.remove(channel);
    }
    reply.insert("successful".into(), json!(true));
    Value::Object(reply)
}

fn disconnect(r: &Req<'_>, msg: &Map<String, Value>) -> Value {
    let id = match check(r, msg, "/meta/disconnect") {
        Ok(id) => id,
        Err(e) => return e,
    };
    if let Some(c) = r.emu.streaming().lock().remove(&id) {
        c.wake.notify_one();
    }
    let mut reply = reply_to(msg, "/meta/disconnect");
    reply.insert("successful".into(), json!(true));
    Value::Object(reply)
}

/// Collect the events due to client `id` (at most `cap`), advancing its cursors. `None` when
/// the client is gone or a newer connect took over.
fn sweep(emu: &SalesforceEmulator, id: &str, generation: u64, cap: usize) -> Option<Vec<Value>> {
    let subs: Vec<(String, i64)> = {
        let clients = emu.streaming().lock();
        let c = clients.get(id).filter(|c| c.generation == generation)?;
        c.subs.iter().map(|(k, v)| (k.clone(), *v)).collect()
    };
    let mut due = Vec::new();
    let mut remaining = cap;
    for (channel, cursor) in subs {
        if remaining == 0 {
            break;
        }
        let events = emu.bus().since(&channel, cursor);
        let take: Vec<_> = events.into_iter().take(remaining).collect();
        remaining -= take.len();
        if !take.is_empty() {
            due.push((channel, cursor, take));
        }
    }
    let mut clients = emu.streaming().lock();
    let c = clients.get_mut(id).filter(|c| c.generation == generation)?;
    let mut out = Vec::new();
    for (channel, cursor, events) in due {
        if c.subs.get(&channel) != Some(&cursor) {
            continue;
        }
        let last = events.last().map_or(cursor, |e| e.replay_id);
        out.extend(events.iter().map(|e| e.to_cometd(&channel)));
        c.subs.insert(channel, last);
    }
    Some(out)
}

fn session_valid(emu: &SalesforceEmulator, auth: &Auth) -> bool {
    let Auth::Valid(token) = auth else {
        return false;
    };
    let header = format!("Bearer {token}");
    emu.lock().sessions.peek(Some(&header)).is_some()
}

async fn connect(r: &Req<'_>, msg: &Map<String, Value>) -> Vec<Value> {
    let id = match check(r, msg, "/meta/connect") {
        Ok(id) => id,
        Err(e) => return vec![e],
    };
    let reply = reply_to(msg, "/meta/connect");
    let ctype = msg.get("connectionType").and_then(Value::as_str);
    if ctype != Some("long-polling") {
        return vec![failed(
            reply,
            &format!("400::Invalid connection type {}", ctype.unwrap_or("")),
        )];
    }
    let faults = r.emu.faults();
    if faults.take(AsyncFault::CometdUnknownClient) {
        if let Some(c) = r.emu.streaming().lock().remove(&id) {
            c.wake.notify_one();
        }
        return vec![with_advice(
            failed(reply, UNKNOWN_CLIENT),
            json!({"reconnect": "handshake", "interval": 0}),
        )];
    }
    if faults.take(AsyncFault::CometdTooBusy) {
        let mut reply = reply;
        reply.insert("ext".into(), json!({"sfdc": {"failureReason": TOO_BUSY}}));
        return vec![with_advice(
            failed(reply, TOO_BUSY),
            json!({"reconnect": "retry", "interval": ms(r.cfg.too_busy_interval)}),
        )];
    }
    let hold = msg
        .get("advice")
        .and_then(|a| a.get("timeout"))
        .and_then(Value::as_u64)
        .map_or(r.cfg.timeout, |t| {
            Duration::from_millis(t).min(r.cfg.timeout)
        });
    let (generation, wake) = {
        let mut clients = r.emu.streaming().lock();
        let Some(c) = clients.get_mut(&id) else {
            return vec![failed(reply, UNKNOWN_CLIENT)];
        };
        if c.connecting > 0 {
            // End the connect already held for this client.
            c.wake.notify_one();
        }
        c.connecting += 1;
        c.generation += 1;
        (c.generation, c.wake.clone())
    };
    // Subscribe to the live bus before reading any backlog: nothing published in between
    // can be missed, and the cursors drop what is seen twice.
    let mut live = r.emu.bus().subscribe();
    let deadline = Instant::now() + hold;
    let cap = r.cfg.max_events_per_connect.max(1);
    let mut events = Vec::new();
    let mut superseded = false;
    let mut auth_lost = false;
    loop {
        match sweep(r.emu, &id, generation, cap) {
            None => {
                superseded = true;
                break;
            }
            Some(found) if !found.is_empty() => {
                events = found;
                break;
            }
            Some(_) => {}
        }
        if !session_valid(r.emu, &r.auth) {
            auth_lost = true;
            break;
        }
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        let check_at = (now + r.cfg.auth_check_interval).min(deadline);
        let channels: Vec<String> = r
            .emu
            .streaming()
            .lock()
            .get(&id)
            .map(|c| c.subs.keys().cloned().collect())
            .unwrap_or_default();
        let woke = loop {
            tokio::select! {
                got = live.recv() => match got {
                    // An event for none of this client's channels: keep waiting.
                    Ok(e) if !channels.iter().any(|c| e.is_on(c)) => {}
                    Ok(_) | Err(RecvError::Lagged(_)) => break true,
                    Err(RecvError::Closed) => break false,
                },
                () = wake.notified() => break true,
                () = tokio::time::sleep_until(check_at) => break true,
            }
        };
        if !woke {
            break;
        }
    }
    let now = r.emu.clock().now();
    let still_known = {
        let mut clients = r.emu.streaming().lock();
        match clients.get_mut(&id) {
            Some(c) => {
                c.connecting = c.connecting.saturating_sub(1);
                c.last_seen = now;
                true
            }
            None => false,
        }
    };
    if auth_lost {
        return vec![with_advice(
            failed(reply, AUTH_INVALID),
            json!({"reconnect": "none", "interval": 0}),
        )];
    }
    if superseded && !still_known {
        return vec![with_advice(
            failed(reply, UNKNOWN_CLIENT),
            json!({"reconnect": "handshake", "interval": 0}),
        )];
    }
    let mut reply = reply;
    reply.insert("successful".into(), json!(true));
    reply.insert("advice".into(), advice(r.cfg, "retry"));
    events.push(Value::Object(reply));
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_ids() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; BAYEUX_BROWSER=abc123; b=2"),
        );
        assert_eq!(browser_cookie(&h).as_deref(), Some("abc123"));
        assert_eq!(browser_cookie(&HeaderMap::new()), None);
        let id = random_id(27);
        assert_eq!(id.len(), 27);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
    }
}
