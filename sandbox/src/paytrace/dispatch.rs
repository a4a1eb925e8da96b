//! The path every `/v1` request takes: bearer token, JSON body, `integrator_id`, handler.
//!
//! Order of checks: token first (401 `invalid_token`), then the body (not a JSON object →
//! HTTP 400 with `errors {"970": [...]}`, a sandbox choice; PayTrace does not document it),
//! then `integrator_id` (970 missing, 971 invalid), then the endpoint's own validation.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use serde_json::{Map, Value};

use super::auth;
use super::codes;
use super::input::Input;
use super::reply::{Errors, Reply, missing};
use super::store::Store;

/// Bodies above this size are refused (970); PayTrace bodies are small.
const MAX_BODY: usize = 1 << 20;

/// What a handler gets besides the state.
pub(crate) struct Call<'a> {
    /// The JSON body.
    pub(crate) body: Input<'a>,
    /// API user of the bearer token.
    pub(crate) user: String,
    /// Client IP.
    pub(crate) ip: String,
}

/// An endpoint: synchronous, runs under the state lock.
pub(crate) type Op = fn(&mut Store, &Call<'_>) -> Reply;

/// Whether the endpoint requires `integrator_id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Integrator {
    /// Every transactional endpoint.
    Required,
    /// `/v1/payment_fields/token/create`, documented with an empty body: checked only when
    /// present (sandbox choice).
    IfPresent,
}

fn check_integrator(store: &Store, body: Input<'_>, rule: Integrator) -> Result<(), Reply> {
    if !store.config.require_integrator_id {
        return Ok(());
    }
    let mut errors = Errors::new();
    match body.str("integrator_id") {
        None => {
            if rule == Integrator::Required {
                missing(&mut errors, "integrator_id");
            }
        }
        Some(id) => {
            if id.chars().count() > 12 || !store.config.integrator_ids.contains(&id) {
                errors.add(
                    codes::E_INTEGRATOR_INVALID,
                    "Please provide a valid integrator_id.",
                );
            }
        }
    }
    errors.check()
}

fn body_error(detail: &str) -> Reply {
    let mut e = Errors::new();
    e.add(
        codes::E_PARAM_MISSING,
        format!("Param is missing or the value is empty: {detail}"),
    );
    Reply::errors(e)
}

/// Run one `/v1` request.
pub(crate) async fn run(
    lock: &std::sync::Mutex<Store>,
    op: Op,
    integrator: Integrator,
    req: Request<Body>,
) -> Reply {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    let (parts, body) = req.into_parts();
    // Authenticate before reading the body, as a bearer-token guard would.
    let user = {
        let store = lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match auth::authenticate(&store, &parts.headers) {
            Ok(u) => u,
            Err(r) => return r,
        }
    };
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return body_error("request body could not be read or is too large");
    };
    let map: Map<String, Value> = if bytes.trim_ascii().is_empty() {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return body_error("request body must be a JSON object"),
            Err(_) => return body_error("request body is not valid JSON"),
        }
    };
    let mut store = lock
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let body = Input(&map);
    if let Err(r) = check_integrator(&store, body, integrator) {
        return r;
    }
    let call = Call { body, user, ip };
    op(&mut store, &call)
}
