//! The HTTP entry: path routing for OAuth, the versions list and the REST API, and the REST
//! pipeline every `/services/data/vNN.0/…` request goes through — session check, Salesforce
//! faults, daily allocation, dispatch, commit of change events, `Sforce-Limit-Info`.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::to_bytes;
use axum::extract::{Request, State as AxumState};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::emulator::SalesforceEmulator;
use super::errors::SfError;
use super::ids;
use super::limits::limit_info;
use super::reply::Reply;
use super::rest::{Call, CallBody, Exec, dispatch, parse_version};
use super::sessions::Actor;
use super::state::{State, change_origin};
use super::util::{parse_query, percent_decode};

/// Largest request body accepted (bytes).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// The release name of API version `v`: 66 → "Spring '26", 67 → "Summer '26", 68 → "Winter '27".
pub(crate) fn version_label(v: u32) -> String {
    let n = i64::from(v) - 66;
    let year = 26 + n.div_euclid(3);
    match n.rem_euclid(3) {
        0 => format!("Spring '{:02}", year.rem_euclid(100)),
        1 => format!("Summer '{:02}", year.rem_euclid(100)),
        _ => format!("Winter '{:02}", (year + 1).rem_euclid(100)),
    }
}

fn versions(st: &State, method: &Method) -> Reply {
    if *method != Method::GET && *method != Method::HEAD {
        return Reply::from(SfError::method_not_allowed(method.as_str(), "GET,HEAD"));
    }
    let list: Vec<Value> = (st.config.min_api_version..=st.config.max_api_version)
        .map(|v| {
            json!({
                "label": version_label(v),
                "url": format!("/services/data/v{v}.0"),
                "version": format!("{v}.0"),
            })
        })
        .collect();
    Reply::ok(Value::Array(list))
}

fn with_limit(reply: Reply, used: u64, max: u64) -> Reply {
    reply.header("Sforce-Limit-Info", limit_info(used, max))
}

impl SalesforceEmulator {
    /// Serve one request (synchronously, under the state lock).
    pub(crate) fn serve(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Reply {
        let segs: Vec<String> = uri
            .path()
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect();
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let mut st = self.lock();
        let login_url = st.login_url(host);
        let view: Vec<&str> = segs.iter().map(String::as_str).collect();
        let reply = match view.as_slice() {
            ["services", "oauth2", "token"] => {
                st.oauth_token(method, headers, uri.query(), body, &login_url)
            }
            ["services", "oauth2", "userinfo"] => st.oauth_userinfo(headers, &login_url),
            ["services", "oauth2", "revoke"] => st.oauth_revoke(uri.query(), body),
            ["id", org, user] => st.oauth_identity(headers, uri.query(), org, user, &login_url),
            ["services", "data"] => versions(&st, method),
            ["services", "data", v, rest @ ..] => match parse_version(v) {
                Some(version) => self.rest(&mut st, version, rest, method, uri, headers, body),
                None => Reply::from(SfError::not_found()),
            },
            _ => Reply::from(SfError::not_found()),
        };
        tracing::debug!(
            target: "sandbox::salesforce",
            %method,
            path = uri.path(),
            status = reply.status.as_u16(),
            "salesforce sandbox request"
        );
        reply
    }

    /// The checks every `/services/data/vNN.0/…` request passes before it is served: API
    /// version, session, Salesforce faults, daily allocation. On refusal, the reply to send
    /// (with `Sforce-Limit-Info`).
    pub(crate) fn gate(
        &self,
        st: &mut State,
        version: u32,
        segs: &[&str],
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<Actor, Reply> {
        let now = st.now();
        let max = st.config.daily_api_limit;
        if version < st.config.min_api_version || version > st.config.max_api_version {
            return Err(Reply::from(SfError::not_found()));
        }
        let auth = headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok());
        let actor = match st.sessions.authenticate(auth, now, &st.config.session) {
            Ok(a) => a,
            Err(e) => {
                let used = st.usage.used(now);
                return Err(with_limit(Reply::from(e), used, max));
            }
        };
        if let Some(fault) = self.faults().decide(method.as_str(), uri.path()) {
            let record = segs.iter().rev().find_map(|s| ids::normalize(s));
            let used = st.usage.used(now);
            return Err(with_limit(
                Reply::from(fault.error(record.as_deref())),
                used,
                max,
            ));
        }
        if !st.usage.try_take(now, max) {
            let used = st.usage.used(now);
            return Err(with_limit(Reply::from(SfError::total_limit()), used, max));
        }
        Ok(actor)
    }

    /// The `Sforce-Limit-Info` value now.
    pub(crate) fn limit_info(st: &mut State) -> String {
        let now = st.now();
        limit_info(st.usage.used(now), st.config.daily_api_limit)
    }

    #[allow(clippy::too_many_arguments)]
    fn rest(
        &self,
        st: &mut State,
        version: u32,
        segs: &[&str],
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Reply {
        let now = st.now();
        let max = st.config.daily_api_limit;
        let actor = match self.gate(st, version, segs, method, uri, headers) {
            Ok(a) => a,
            Err(reply) => return reply,
        };
        let headers: BTreeMap<String, String> = headers
            .iter()
            .filter_map(|(k, v)| {
                Some((k.as_str().to_ascii_lowercase(), v.to_str().ok()?.to_owned()))
            })
            .collect();
        let call = Call {
            method: if *method == Method::HEAD {
                Method::GET
            } else {
                method.clone()
            },
            segs: segs.iter().map(|s| (*s).to_owned()).collect(),
            query: parse_query(uri.query()),
            body: CallBody::from_bytes(body),
            headers,
            all_or_none: false,
            nested: false,
        };
        let origin = change_origin(version, call.header("sforce-call-options"));
        let mut ex = Exec {
            st,
            actor,
            now,
            version,
            origin,
        };
        let reply = dispatch(&mut ex, &call);
        ex.commit();
        let used = ex.st.usage.used(now);
        with_limit(reply, used, max)
    }
}

/// Requests served outside the synchronous pipeline: Bulk API 2.0 jobs (streamed uploads and
/// results, asynchronous processing) and the CometD endpoint (long polls).
enum Special {
    Bulk,
    Cometd,
}

fn special(path: &str) -> Option<Special> {
    let mut segs = path.split('/').filter(|s| !s.is_empty());
    match (segs.next(), segs.next(), segs.next(), segs.next()) {
        (Some("cometd"), _, _, _) => Some(Special::Cometd),
        (Some("services"), Some("data"), Some(v), Some("jobs")) if parse_version(v).is_some() => {
            Some(Special::Bulk)
        }
        _ => None,
    }
}

async fn entry(AxumState(emu): AxumState<SalesforceEmulator>, req: Request) -> Response {
    match special(req.uri().path()) {
        Some(Special::Bulk) => return super::bulk::serve(emu, req).await,
        Some(Special::Cometd) => return super::cometd::serve(emu, req).await,
        None => {}
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return Reply::from(SfError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "REQUEST_ENTITY_TOO_LARGE",
            "The request body is too large or could not be read",
        ))
        .into_response();
    };
    emu.serve(&parts.method, &parts.uri, &parts.headers, &bytes)
        .into_response()
}

/// The Salesforce router for `emu`: every path goes through [`SalesforceEmulator::serve`].
pub(crate) fn router(emu: SalesforceEmulator) -> Router {
    Router::new().fallback(entry).with_state(emu)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_routes() {
        assert!(matches!(special("/cometd/60.0"), Some(Special::Cometd)));
        assert!(matches!(
            special("/services/data/v60.0/jobs/ingest/750x/batches"),
            Some(Special::Bulk)
        ));
        assert!(special("/services/data/v60.0/sobjects").is_none());
        assert!(special("/services/data/jobs/ingest").is_none());
    }

    #[test]
    fn labels() {
        assert_eq!(version_label(66), "Spring '26");
        assert_eq!(version_label(67), "Summer '26");
        assert_eq!(version_label(68), "Winter '27");
        assert_eq!(version_label(65), "Winter '26");
        assert_eq!(version_label(20), "Winter '11");
    }
}
