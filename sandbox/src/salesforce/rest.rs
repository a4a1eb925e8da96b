//! The REST resources under `/services/data/vNN.0/`: one request model ([`Call`]) for HTTP
//! requests and composite subrequests alike, and the dispatcher.

use std::collections::BTreeMap;

use axum::http::Method;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::composite;
use super::errors::SfError;
use super::limits;
use super::query;
use super::reply::{Reply, Res};
use super::sessions::Actor;
use super::sobjects;
use super::state::State;
use super::store::WriteCtx;
use super::util::{parse_query, percent_decode};

/// A request body.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum CallBody {
    Empty,
    Json(Value),
    /// Not JSON: the parser's complaint.
    Invalid(String),
}

impl CallBody {
    pub(crate) fn from_bytes(bytes: &[u8]) -> Self {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Self::Empty;
        }
        match serde_json::from_slice(bytes) {
            Ok(v) => Self::Json(v),
            Err(e) => Self::Invalid(format!(
                "Unexpected character at [line:{}, column:{}]: {e}",
                e.line(),
                e.column()
            )),
        }
    }
}

/// One REST request below `/services/data/vNN.0/`.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub(crate) method: Method,
    /// Decoded path segments after the version.
    pub(crate) segs: Vec<String>,
    pub(crate) query: Vec<(String, String)>,
    /// Lower-case header names.
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) body: CallBody,
    /// Set by an enclosing composite request with `allOrNone: true`.
    pub(crate) all_or_none: bool,
    /// Whether it runs inside a composite request.
    pub(crate) nested: bool,
}

impl Call {
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .or_else(|| {
                self.query
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
            })
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn header(&self, lower_name: &str) -> Option<&str> {
        self.headers.get(lower_name).map(String::as_str)
    }

    /// The JSON body, or `JSON_PARSER_ERROR`.
    pub(crate) fn json(&self) -> Result<&Value, SfError> {
        match &self.body {
            CallBody::Json(v) => Ok(v),
            CallBody::Empty => Err(SfError::json_parser(
                "No content to map due to end-of-input at [line:1, column:0]",
            )),
            CallBody::Invalid(e) => Err(SfError::json_parser(e)),
        }
    }

    /// The JSON body as an object, or the error Salesforce gives for an sObject body that
    /// is not one.
    pub(crate) fn json_object(&self) -> Result<&serde_json::Map<String, Value>, SfError> {
        let v = self.json()?;
        v.as_object().ok_or_else(|| {
            SfError::json_parser(&format!(
                "Cannot deserialize instance of SObject from {} token",
                if v.is_array() {
                    "START_ARRAY"
                } else {
                    "VALUE_STRING"
                }
            ))
        })
    }
}

/// A parsed data URL: API version, decoded path segments after it, query pairs.
pub(crate) type DataUrl = (u32, Vec<String>, Vec<(String, String)>);

/// A subrequest URL: `/services/data/v60.0/sobjects/Account?x=1` or `v60.0/sobjects/…`.
pub(crate) fn parse_data_url(url: &str) -> Option<DataUrl> {
    let (path, q) = match url.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (url, None),
    };
    let path = path
        .trim_start_matches('/')
        .strip_prefix("services/data/")
        .unwrap_or_else(|| path.trim_start_matches('/'));
    let mut segs = path.split('/').filter(|s| !s.is_empty());
    let version = parse_version(segs.next()?)?;
    Some((version, segs.map(percent_decode).collect(), parse_query(q)))
}

/// `v60.0` → 60.
pub(crate) fn parse_version(seg: &str) -> Option<u32> {
    let n = seg.strip_prefix('v')?.strip_suffix(".0")?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) || n.len() > 4 {
        return None;
    }
    n.parse().ok()
}

/// A request being served: the state, who runs it, when, and at which API version.
pub(crate) struct Exec<'a> {
    pub(crate) st: &'a mut State,
    pub(crate) actor: Actor,
    pub(crate) now: DateTime<Utc>,
    pub(crate) version: u32,
    /// `changeOrigin` of the change events this request causes.
    pub(crate) origin: String,
}

impl Exec<'_> {
    pub(crate) fn w(&self) -> WriteCtx {
        WriteCtx {
            now: self.now,
            user_id: self.actor.user_id.clone(),
        }
    }

    /// Publish the writes so far as one transaction.
    pub(crate) fn commit(&mut self) {
        let actor = self.actor.clone();
        self.st.commit(&actor, &self.origin);
    }
}

/// Serve one call.
pub(crate) fn dispatch(ex: &mut Exec<'_>, call: &Call) -> Reply {
    let r = match call.segs.first().map(String::as_str) {
        None => resources(ex, call),
        Some("sobjects") => sobjects::handle(ex, call),
        Some("query") => query::handle(ex, call, false),
        Some("queryAll") => query::handle(ex, call, true),
        Some("composite") => composite::handle(ex, call),
        Some("limits") if call.segs.len() == 1 => limits_resource(ex, call),
        _ => Err(SfError::not_found()),
    };
    r.unwrap_or_else(Reply::from)
}

fn resources(ex: &Exec<'_>, call: &Call) -> Res {
    if call.method != Method::GET {
        return Err(SfError::method_not_allowed(
            call.method.as_str(),
            "GET,HEAD",
        ));
    }
    let base = format!("/services/data/v{}.0", ex.version);
    // `identity` is the caller's identity URL (absolute, on the login host), as in a real
    // org's list; clients such as jsforce's `identity()` read it from here.
    let login_url = ex.st.login_url(call.header("host"));
    let identity = format!(
        "{login_url}/id/{}/{}",
        ex.st.config.org_id, ex.actor.user_id
    );
    Ok(Reply::ok(json!({
        "sobjects": format!("{base}/sobjects"),
        "query": format!("{base}/query"),
        "queryAll": format!("{base}/queryAll"),
        "composite": format!("{base}/composite"),
        "limits": format!("{base}/limits"),
        "jobs": format!("{base}/jobs"),
        "identity": identity,
    })))
}

fn limits_resource(ex: &mut Exec<'_>, call: &Call) -> Res {
    if call.method != Method::GET {
        return Err(SfError::method_not_allowed(
            call.method.as_str(),
            "GET,HEAD",
        ));
    }
    Ok(Reply::ok(limits::resource(ex.st)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let (v, segs, q) =
            parse_data_url("/services/data/v60.0/sobjects/Account/Ext__c/a%2Fb?fields=Name,Id")
                .unwrap();
        assert_eq!(v, 60);
        assert_eq!(segs, vec!["sobjects", "Account", "Ext__c", "a/b"]);
        assert_eq!(q, vec![("fields".to_owned(), "Name,Id".to_owned())]);
        let (v, segs, _) = parse_data_url("v34.0/sobjects/account/").unwrap();
        assert_eq!((v, segs.len()), (34, 2));
        assert_eq!(parse_version("v60"), None);
        assert_eq!(parse_version("v.0"), None);
        assert!(parse_data_url("/services/apexrest/x").is_none());
        assert_eq!(CallBody::from_bytes(b"  "), CallBody::Empty);
        assert!(matches!(
            CallBody::from_bytes(b"{nope"),
            CallBody::Invalid(_)
        ));
    }
}
