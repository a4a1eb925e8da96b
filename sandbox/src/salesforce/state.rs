//! The emulator's state behind one lock, and the commit step that turns a request's queued
//! writes into change events and platform events on the bus.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::config::SalesforceConfig;
use super::events::{EventBus, schema_id};
use super::ids;
use super::limits::Usage;
use super::query::Cursors;
use super::schema::change_event_channel;
use super::sessions::{Actor, Sessions};
use super::store::{Db, Pending, WriteCtx};
use super::util::{epoch_ms, uuid_v4};

/// Everything the emulator holds.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) config: SalesforceConfig,
    pub(crate) db: Db,
    pub(crate) sessions: Sessions,
    pub(crate) cursors: Cursors,
    pub(crate) usage: Usage,
    /// The served base URL (`http://127.0.0.1:port`), once known.
    pub(crate) base_url: Option<String>,
    pub(crate) bus: EventBus,
    users: Vec<(String, String)>,
    commit_number: u64,
}

impl State {
    pub(crate) fn new(config: SalesforceConfig, bus: EventBus) -> Self {
        let now = config.clock.now();
        let mut st = Self {
            db: Db::new(config.objects.clone(), config.auto_create_objects),
            sessions: Sessions::default(),
            cursors: Cursors::default(),
            usage: Usage::new(now),
            base_url: None,
            bus,
            users: Vec::new(),
            commit_number: 10_000_000_000,
            config,
        };
        st.seed_users();
        st
    }

    /// Store the configured users as `User` records (ids `005…`).
    fn seed_users(&mut self) {
        let now = self.now();
        let users = self.config.users.clone();
        for (i, u) in users.iter().enumerate() {
            let mut fields = Map::new();
            fields.insert("Username".into(), Value::String(u.username.clone()));
            fields.insert("FirstName".into(), Value::String(u.first_name.clone()));
            fields.insert("LastName".into(), Value::String(u.last_name.clone()));
            fields.insert("Email".into(), Value::String(u.email.clone()));
            fields.insert("IsActive".into(), Value::Bool(u.active));
            let owner = self
                .users
                .first()
                .map(|(_, id)| id.clone())
                .unwrap_or_default();
            let w = WriteCtx {
                now,
                user_id: owner,
            };
            let id = self
                .db
                .seed("User", &fields, &w)
                .unwrap_or_else(|_| ids::make_id("005", 900_000 + i as u64));
            self.users.push((u.username.to_ascii_lowercase(), id));
        }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.config.clock.now()
    }

    /// The id of user `username` (the first user's for an unknown name).
    pub(crate) fn user_id(&self, username: &str) -> String {
        let lower = username.to_ascii_lowercase();
        self.users
            .iter()
            .find(|(u, _)| *u == lower)
            .or_else(|| self.users.first())
            .map(|(_, id)| id.clone())
            .unwrap_or_else(|| ids::make_id("005", 1))
    }

    /// The first configured user, as the actor of in-process writes.
    pub(crate) fn default_actor(&self) -> Actor {
        let name = self
            .config
            .users
            .first()
            .map(|u| u.username.clone())
            .unwrap_or_default();
        self.actor(&name)
    }

    /// `instance_url` of token responses.
    pub(crate) fn instance_url(&self, login_url: &str) -> String {
        self.config
            .instance_url
            .clone()
            .unwrap_or_else(|| login_url.to_owned())
            .trim_end_matches('/')
            .to_owned()
    }

    /// The login URL: the served base URL, else `http://{host}`.
    pub(crate) fn login_url(&self, host: Option<&str>) -> String {
        self.base_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", host.unwrap_or("127.0.0.1")))
    }

    fn event_schema(&self, object: &str, event_name: &str) -> String {
        let fields: Vec<&str> = self
            .db
            .obj(object)
            .map(|o| o.meta.fields.iter().map(|f| f.name.as_str()).collect())
            .unwrap_or_default();
        schema_id(event_name, &fields)
    }

    /// Publish the queued writes of one transaction: change events share a transaction key
    /// and commit number and are numbered by `sequenceNumber`.
    pub(crate) fn commit(&mut self, actor: &Actor, origin: &str) {
        let pending = std::mem::take(&mut self.db.pending);
        if pending.is_empty() {
            return;
        }
        let now = self.now();
        let transaction_key = uuid_v4();
        self.commit_number += 1;
        let mut seq = 0u32;
        for p in pending {
            match p {
                Pending::Change {
                    object,
                    change_type,
                    record_id,
                    changed,
                    fields,
                } => {
                    seq += 1;
                    let header = json!({
                        "entityName": object,
                        "recordIds": [record_id],
                        "changeType": change_type,
                        "changeOrigin": origin,
                        "transactionKey": transaction_key,
                        "sequenceNumber": seq,
                        "commitTimestamp": epoch_ms(now),
                        "commitNumber": self.commit_number,
                        "commitUser": actor.user_id,
                        "changedFields": changed,
                    });
                    let mut payload = Map::new();
                    payload.insert("ChangeEventHeader".into(), header);
                    payload.extend(fields);
                    let channel = change_event_channel(&object);
                    let schema = self.event_schema(&object, &channel);
                    self.bus.publish_change(channel, schema, payload, uuid_v4());
                }
                Pending::Platform {
                    object,
                    payload,
                    uuid,
                } => {
                    let schema = self.event_schema(&object, &object);
                    self.bus.publish_platform(&object, schema, payload, uuid);
                }
            }
        }
    }
}

/// `com/salesforce/api/rest/NN.0` plus `;client=<id>` from `Sforce-Call-Options`.
pub(crate) fn change_origin(version: u32, call_options: Option<&str>) -> String {
    let client = call_options.and_then(|o| {
        o.split(',')
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("client"))
            .map(|(_, v)| v.trim().to_owned())
    });
    match client {
        Some(c) => format!("com/salesforce/api/rest/{version}.0;client={c}"),
        None => format!("com/salesforce/api/rest/{version}.0"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin() {
        assert_eq!(change_origin(60, None), "com/salesforce/api/rest/60.0");
        assert_eq!(
            change_origin(60, Some("client=tributary, defaultNamespace=x")),
            "com/salesforce/api/rest/60.0;client=tributary"
        );
    }
}
