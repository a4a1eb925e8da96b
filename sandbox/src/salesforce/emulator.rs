//! [`SalesforceEmulator`] (state, router, in-process seeding and inspection) and
//! [`SalesforceSandbox`] (the emulator served on `127.0.0.1:0`).

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use serde_json::{Map, Value};

use super::bulk::{BulkJobInfo, Jobs};
use super::cometd::Streaming;
use super::config::SalesforceConfig;
use super::errors::SfError;
use super::events::{BusEvent, EventBus};
use super::faults::SalesforceFaults;
use super::schema::ObjectMeta;
use super::sessions::Actor;
use super::state::{State, change_origin};
use super::store::{Record, WriteCtx};
use crate::clock::SandboxClock;
use crate::fault::{FaultController, FaultPlan};
use crate::server::{ServerBuilder, ServerHandle};

/// Why an in-process write was refused: Salesforce's error code, message and fields.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteError {
    /// `errorCode` (e.g. `REQUIRED_FIELD_MISSING`).
    pub code: String,
    /// `message`.
    pub message: String,
    /// `fields`.
    pub fields: Vec<String>,
}

impl From<SfError> for WriteError {
    fn from(e: SfError) -> Self {
        Self {
            code: e.code,
            message: e.message,
            fields: e.fields.unwrap_or_default(),
        }
    }
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for WriteError {}

/// Requests counted against the daily allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiUsage {
    /// Used in the current 24-hour window.
    pub used: u64,
    /// The allocation.
    pub max: u64,
}

/// The Salesforce emulator: state, router and in-process access. Cheap to clone (shared).
///
/// Serve it with [`SalesforceSandbox::start`], or mount [`router`](Self::router) on any
/// server (e.g. [`ServerBuilder`]).
#[derive(Clone)]
pub struct SalesforceEmulator {
    state: Arc<Mutex<State>>,
    faults: SalesforceFaults,
    bus: EventBus,
    clock: SandboxClock,
    bulk: Jobs,
    streaming: Streaming,
}

impl fmt::Debug for SalesforceEmulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SalesforceEmulator").finish_non_exhaustive()
    }
}

impl Default for SalesforceEmulator {
    fn default() -> Self {
        Self::new(SalesforceConfig::default())
    }
}

fn object_map(v: Value) -> Result<Map<String, Value>, WriteError> {
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(WriteError {
            code: "JSON_PARSER_ERROR".into(),
            message: "a record must be a JSON object".into(),
            fields: Vec::new(),
        }),
    }
}

impl SalesforceEmulator {
    /// A fresh org with the configured users and objects and no records.
    #[must_use]
    pub fn new(config: SalesforceConfig) -> Self {
        let clock = config.clock.clone();
        let bus = EventBus::new(clock.clone(), config.event_retention);
        Self {
            state: Arc::new(Mutex::new(State::new(config, bus.clone()))),
            faults: SalesforceFaults::default(),
            bus,
            clock,
            bulk: Jobs::default(),
            streaming: Streaming::default(),
        }
    }

    /// The Bulk API 2.0 jobs.
    pub(crate) fn bulk_store(&self) -> &Jobs {
        &self.bulk
    }

    /// The CometD clients.
    pub(crate) fn streaming(&self) -> &Streaming {
        &self.streaming
    }

    /// A Bulk API 2.0 job (ingest or query), by id.
    #[must_use]
    pub fn bulk_job(&self, id: &str) -> Option<BulkJobInfo> {
        self.bulk.lock().jobs.get(id).map(|j| j.snapshot())
    }

    /// Every Bulk API 2.0 job still kept, oldest first.
    #[must_use]
    pub fn bulk_jobs(&self) -> Vec<BulkJobInfo> {
        self.bulk
            .lock()
            .jobs
            .values()
            .map(|j| j.snapshot())
            .collect()
    }

    /// CometD clients currently known (handshaken, not expired or disconnected).
    #[must_use]
    pub fn streaming_clients(&self) -> usize {
        let now = self.clock.now();
        let timeout = self.lock().config.streaming.client_timeout;
        self.streaming
            .lock()
            .values()
            .filter(|c| !c.expired(now, timeout))
            .count()
    }

    /// Forget every CometD client now: their next request gets `403::Unknown client` (as after
    /// a server-side timeout), and held connects return.
    pub fn forget_streaming_clients(&self) {
        self.streaming.forget_all();
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The axum router serving the Salesforce API for this emulator.
    pub fn router(&self) -> Router {
        super::router::router(self.clone())
    }

    /// The emulator's clock (shared: moving it moves "now").
    #[must_use]
    pub fn clock(&self) -> &SandboxClock {
        &self.clock
    }

    /// The event bus (platform events and change events).
    #[must_use]
    pub fn bus(&self) -> &EventBus {
        &self.bus
    }

    /// Salesforce-specific faults (`REQUEST_LIMIT_EXCEEDED`, `UNABLE_TO_LOCK_ROW`, …).
    #[must_use]
    pub fn faults(&self) -> &SalesforceFaults {
        &self.faults
    }

    /// A copy of the configuration.
    #[must_use]
    pub fn config(&self) -> SalesforceConfig {
        self.lock().config.clone()
    }

    /// Change the configuration while running (users, apps, session policy, limits…). Object
    /// metadata changes go through [`define_object`](Self::define_object).
    pub fn update_config(&self, f: impl FnOnce(&mut SalesforceConfig)) {
        f(&mut self.lock().config);
    }

    /// Record the URL the emulator is served at: it becomes the login URL (identity URLs,
    /// accepted JWT audience) and, unless configured otherwise, the instance URL.
    pub fn set_base_url(&self, url: impl Into<String>) {
        self.lock().base_url = Some(url.into().trim_end_matches('/').to_owned());
    }

    // ---- metadata --------------------------------------------------------------------

    /// Add or replace an object's metadata (records are kept).
    pub fn define_object(&self, meta: ObjectMeta) {
        self.lock().db.define(meta);
    }

    /// Turn Change Data Capture on for `object` (declared or a custom object/event name).
    ///
    /// # Errors
    ///
    /// `NOT_FOUND` when the object is unknown and cannot be created.
    pub fn enable_cdc(&self, object: &str) -> Result<(), WriteError> {
        let mut st = self.lock();
        let name = st.db.resolve(object).ok_or_else(SfError::not_found)?;
        if let Some(o) = st.db.obj_mut(&name) {
            o.meta.cdc = true;
        }
        Ok(())
    }

    /// An object's metadata, system fields included.
    #[must_use]
    pub fn object(&self, name: &str) -> Option<ObjectMeta> {
        self.lock().db.obj(name).map(|o| o.meta.clone())
    }

    // ---- records ---------------------------------------------------------------------

    fn write<R>(
        &self,
        f: impl FnOnce(&mut State, &Actor) -> Result<R, SfError>,
    ) -> Result<R, WriteError> {
        let mut st = self.lock();
        let actor = st.default_actor();
        let origin = change_origin(st.config.max_api_version, None);
        let r = f(&mut st, &actor);
        match r {
            Ok(v) => {
                st.commit(&actor, &origin);
                Ok(v)
            }
            Err(e) => {
                st.db.pending.clear();
                Err(e.into())
            }
        }
    }

    /// Add a record as test setup: the same checks as the API, but no change event.
    ///
    /// # Errors
    ///
    /// Salesforce's error (unknown object or field, required field missing, duplicate
    /// value, wrong type).
    pub fn seed(&self, object: &str, fields: Value) -> Result<String, WriteError> {
        let fields = object_map(fields)?;
        self.write(|st, actor| {
            let now = st.now();
            let w = WriteCtx {
                now,
                user_id: actor.user_id.clone(),
            };
            st.db.seed(object, &fields, &w)
        })
    }

    /// [`seed`](Self::seed) many records; stops at the first refusal.
    ///
    /// # Errors
    ///
    /// The first record's error, with nothing after it written.
    pub fn seed_many(
        &self,
        object: &str,
        records: impl IntoIterator<Item = Value>,
    ) -> Result<Vec<String>, WriteError> {
        records.into_iter().map(|r| self.seed(object, r)).collect()
    }

    /// Create a record as the API would (change event included for CDC objects).
    ///
    /// # Errors
    ///
    /// Salesforce's error, as for [`seed`](Self::seed).
    pub fn insert(&self, object: &str, fields: Value) -> Result<String, WriteError> {
        let fields = object_map(fields)?;
        self.write(|st, actor| {
            let name = st
                .db
                .resolve(object)
                .ok_or_else(|| SfError::invalid_type(object))?;
            let w = WriteCtx {
                now: st.now(),
                user_id: actor.user_id.clone(),
            };
            st.db.insert(&name, &fields, &w)
        })
    }

    /// Update a record as the API would.
    ///
    /// # Errors
    ///
    /// `NOT_FOUND`, `ENTITY_IS_DELETED` or a validation error.
    pub fn update(&self, id: &str, fields: Value) -> Result<(), WriteError> {
        let fields = object_map(fields)?;
        self.write(|st, actor| {
            let w = WriteCtx {
                now: st.now(),
                user_id: actor.user_id.clone(),
            };
            st.db.update(None, id, &fields, &w)
        })
    }

    /// Move a record to the recycle bin.
    ///
    /// # Errors
    ///
    /// `NOT_FOUND` or `ENTITY_IS_DELETED`.
    pub fn delete(&self, id: &str) -> Result<(), WriteError> {
        self.write(|st, actor| {
            let w = WriteCtx {
                now: st.now(),
                user_id: actor.user_id.clone(),
            };
            st.db.delete(None, id, &w)
        })
    }

    /// Restore a record from the recycle bin (an `UNDELETE` change event for CDC objects).
    ///
    /// # Errors
    ///
    /// `NOT_FOUND`, or `UNDELETE_FAILED` when it is not deleted.
    pub fn undelete(&self, id: &str) -> Result<(), WriteError> {
        self.write(|st, actor| {
            let w = WriteCtx {
                now: st.now(),
                user_id: actor.user_id.clone(),
            };
            st.db.undelete(id, &w)
        })
    }

    /// Publish a platform event in-process, as `POST /sobjects/{object}` would. Returns the
    /// event as it landed on the bus.
    ///
    /// # Errors
    ///
    /// Unknown event, unknown field, missing required field.
    pub fn publish_event(&self, object: &str, fields: Value) -> Result<BusEvent, WriteError> {
        let fields = object_map(fields)?;
        let (name, uuid) = self.write(|st, actor| {
            let name = st
                .db
                .resolve(object)
                .filter(|n| st.db.obj(n).is_some_and(|o| o.meta.is_event()))
                .ok_or_else(|| SfError::invalid_type(object))?;
            let w = WriteCtx {
                now: st.now(),
                user_id: actor.user_id.clone(),
            };
            let (_, uuid) = st.db.publish(&name, &fields, &w)?;
            Ok((name, uuid))
        })?;
        self.bus
            .events(&format!("/event/{name}"))
            .into_iter()
            .rev()
            .find(|e| e.event_uuid == uuid)
            .ok_or_else(|| SfError::not_found().into())
    }

    /// Live records of `object`, in creation order.
    #[must_use]
    pub fn records(&self, object: &str) -> Vec<Record> {
        self.lock()
            .db
            .obj(object)
            .map(|o| o.live().cloned().collect())
            .unwrap_or_default()
    }

    /// Every record of `object`, deleted ones included.
    #[must_use]
    pub fn all_records(&self, object: &str) -> Vec<Record> {
        self.lock()
            .db
            .obj(object)
            .map(|o| o.records.values().cloned().collect())
            .unwrap_or_default()
    }

    /// One record (deleted ones too), by 15- or 18-character id.
    #[must_use]
    pub fn record(&self, id: &str) -> Option<Record> {
        let id = super::ids::normalize(id)?;
        self.lock().db.record(&id).cloned()
    }

    /// Number of live records of `object`.
    #[must_use]
    pub fn count(&self, object: &str) -> usize {
        self.lock().db.obj(object).map_or(0, |o| o.live().count())
    }

    // ---- sessions and usage -----------------------------------------------------------

    /// Issue an access token for `username` without HTTP (counted in
    /// [`tokens_issued`](Self::tokens_issued)).
    #[must_use]
    pub fn issue_token(&self, username: &str) -> String {
        let mut st = self.lock();
        let now = st.now();
        let actor = st.actor(username);
        let org = st.config.org_id.clone();
        st.sessions.issue(&org, actor, now)
    }

    /// Issue a refresh token for `username` and app `client_id`, as an interactive flow
    /// (web server, device) would have.
    #[must_use]
    pub fn issue_refresh_token(&self, username: &str, client_id: &str) -> String {
        let mut st = self.lock();
        let actor = st.actor(username);
        st.sessions.issue_refresh(actor, client_id)
    }

    /// Access tokens issued so far (token endpoint and [`issue_token`](Self::issue_token)).
    #[must_use]
    pub fn tokens_issued(&self) -> u64 {
        self.lock().sessions.issued
    }

    /// Expire every access token now: the next REST call gets `401 INVALID_SESSION_ID`.
    pub fn expire_sessions(&self) {
        self.lock().sessions.expire_all();
    }

    /// Expire one access token; `false` if unknown.
    pub fn expire_token(&self, token: &str) -> bool {
        self.lock().sessions.expire(token)
    }

    /// Make every current token answer `401 INVALID_SESSION_ID` "This session is not valid
    /// for use with the REST API" (a client must not refresh on it).
    pub fn restrict_sessions_from_rest(&self) {
        self.lock().sessions.restrict_all_from_rest();
    }

    /// Requests counted against the daily allocation.
    #[must_use]
    pub fn api_usage(&self) -> ApiUsage {
        let mut st = self.lock();
        let now = st.now();
        ApiUsage {
            used: st.usage.used(now),
            max: st.config.daily_api_limit,
        }
    }

    /// Set the used count (e.g. to one below the allocation).
    pub fn set_api_usage(&self, used: u64) {
        let mut st = self.lock();
        let now = st.now();
        st.usage.set(now, used);
    }

    /// Query locators (`nextRecordsUrl`) still open.
    #[must_use]
    pub fn open_query_locators(&self) -> usize {
        self.lock().cursors.len()
    }

    /// The `005…` id of `username` (the first user's for an unknown name).
    #[must_use]
    pub fn user_id(&self, username: &str) -> String {
        self.lock().user_id(username)
    }
}

/// The Salesforce emulator served on `127.0.0.1:<random port>` with the fault layer.
///
/// Use [`base_url`](Self::base_url) as both `SALESFORCE_LOGIN_URL` and instance URL.
/// Dropping it stops the server; [`shutdown`](Self::shutdown) stops it and waits.
#[derive(Debug)]
pub struct SalesforceSandbox {
    emulator: SalesforceEmulator,
    server: ServerHandle,
}

impl SalesforceSandbox {
    /// Start with the default configuration.
    ///
    /// # Errors
    ///
    /// The I/O error if `127.0.0.1:0` cannot be bound.
    pub async fn start() -> io::Result<Self> {
        Self::start_with(SalesforceConfig::default()).await
    }

    /// Start with `config`.
    ///
    /// # Errors
    ///
    /// The I/O error if `127.0.0.1:0` cannot be bound.
    pub async fn start_with(config: SalesforceConfig) -> io::Result<Self> {
        Self::start_with_faults(config, FaultPlan::default()).await
    }

    /// Start with `config` and an initial shared fault plan.
    ///
    /// # Errors
    ///
    /// The I/O error if `127.0.0.1:0` cannot be bound.
    pub async fn start_with_faults(
        config: SalesforceConfig,
        faults: FaultPlan,
    ) -> io::Result<Self> {
        let emulator = SalesforceEmulator::new(config);
        let server = ServerBuilder::new(emulator.router())
            .faults(faults)
            .start()
            .await?;
        emulator.set_base_url(server.base_url());
        Ok(Self { emulator, server })
    }

    /// `http://127.0.0.1:<port>`: the login URL and the instance URL.
    #[must_use]
    pub fn base_url(&self) -> &str {
        self.server.base_url()
    }

    /// `{base_url}/services/data/v67.0` (the newest served version by default).
    #[must_use]
    pub fn rest_url(&self) -> String {
        let v = self.emulator.config().max_api_version;
        format!("{}/services/data/v{v}.0", self.base_url())
    }

    /// `{base_url}/cometd/67.0`: the Streaming API endpoint (the newest served version).
    #[must_use]
    pub fn cometd_url(&self) -> String {
        let v = self.emulator.config().max_api_version;
        format!("{}/cometd/{v}.0", self.base_url())
    }

    /// `{base_url}/services/oauth2/token`.
    #[must_use]
    pub fn token_url(&self) -> String {
        format!("{}/services/oauth2/token", self.base_url())
    }

    /// The shared fault controller (5xx, 429, latency, lost responses).
    #[must_use]
    pub fn faults(&self) -> &FaultController {
        self.server.faults()
    }

    /// Salesforce-specific faults.
    #[must_use]
    pub fn salesforce_faults(&self) -> &SalesforceFaults {
        self.emulator.faults()
    }

    /// The emulator (seeding, inspection, sessions).
    #[must_use]
    pub fn emulator(&self) -> &SalesforceEmulator {
        &self.emulator
    }

    /// The event bus.
    #[must_use]
    pub fn bus(&self) -> &EventBus {
        self.emulator.bus()
    }

    /// The underlying server handle.
    #[must_use]
    pub fn server(&self) -> &ServerHandle {
        &self.server
    }

    /// An access token for the default user, without HTTP.
    #[must_use]
    pub fn token(&self) -> String {
        let user = self
            .emulator
            .config()
            .users
            .first()
            .map(|u| u.username.clone())
            .unwrap_or_default();
        self.emulator.issue_token(&user)
    }

    /// Requests received on exactly `path` (faulted ones included).
    #[must_use]
    pub fn request_count(&self, path: &str) -> u64 {
        self.server.request_count(path)
    }

    /// Requests received, by path.
    #[must_use]
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.server.requests().counts()
    }

    /// Stop the server and wait for it.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}
