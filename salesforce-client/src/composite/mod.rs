//! The composite family (reference §2.6): several operations in one call.
//!
//! | resource | type | limits | semantics |
//! |---|---|---|---|
//! | `/composite` | [`CompositeRequest`] | 25 subrequests, ≤5 queries | sequential, `@{ref.field}` references, optional `allOrNone` |
//! | `/composite/batch` | [`BatchRequest`] | 25 subrequests | independent, each committed, optional `haltOnError` |
//! | `/composite/graph` | [`GraphRequest`] | 75 graphs, 500 nodes | each graph all-or-nothing |
//! | `/composite/sobjects` | [`Collections`] | 200 records per call, auto-chunked | per-record results in input order |
//! | `/composite/tree/{Obj}` | [`Composite::tree`] | 200 records, 5 levels | parents with children, all-or-nothing |
//!
//! The typed requests are built from [`Subrequest`]s and can be inspected as JSON without
//! HTTP ([`CompositeRequest::to_json`] and friends).

mod batch;
mod collections;
#[allow(clippy::module_inception)] // composite/composite.rs: the `/composite` resource itself
mod composite;
mod graph;
mod tree;

use std::collections::BTreeMap;

use reqwest::Method;
use serde::Serialize;

pub use batch::{BatchRequest, BatchResponse, BatchResult};
pub use collections::Collections;
pub use composite::{CompositeRequest, CompositeResponse, SubResponse};
pub use graph::{Graph, GraphRequest, GraphResponse, GraphResult};
pub use tree::{TreeResponse, TreeResult};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{DataPath, encode};
use crate::sobjects::{check_name, record_body};
use crate::versions::ApiVersion;

/// `@{reference_id.path}`: a value taken from an earlier subrequest's result, e.g.
/// `reference("newAccount", "id")` for the id an earlier create returned, or
/// `reference("accounts", "records[0].Id")` from a query.
pub fn reference(reference_id: &str, path: &str) -> String {
    format!("@{{{reference_id}.{path}}}")
}

/// Composite, batch, graph and tree requests: `client.composite()`.
#[derive(Debug, Clone, Copy)]
pub struct Composite<'a> {
    pub(crate) client: &'a Client,
}

impl Client {
    /// Composite requests (`/composite`, `/composite/batch`, `/composite/graph`,
    /// `/composite/tree`).
    pub fn composite(&self) -> Composite<'_> {
        Composite { client: self }
    }

    /// sObject collections (`/composite/sobjects`): up to 200 records per call, larger inputs
    /// split automatically.
    pub fn collections(&self) -> Collections<'_> {
        Collections {
            client: self,
            all_or_none: false,
        }
    }
}

/// One operation inside a composite, batch or graph request.
///
/// Ids and values may be [`reference()`]s (`@{newAccount.id}`): those are kept as they are in
/// the URL, everything else is percent-encoded. A bad object or field name, or a body that
/// does not serialize to a JSON object, is reported when the request is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Subrequest {
    method: Method,
    /// Under `/services/data/vNN.0/`, encoded.
    path: String,
    body: Option<serde_json::Value>,
    headers: BTreeMap<String, String>,
    is_query: bool,
    problem: Option<String>,
}

impl Subrequest {
    fn new(method: Method, path: Result<String>) -> Self {
        let (path, problem) = match path {
            Ok(path) => (path, None),
            Err(e) => (String::new(), Some(e.to_string())),
        };
        Subrequest {
            method,
            path,
            body: None,
            headers: BTreeMap::new(),
            is_query: false,
            problem,
        }
    }

    fn with_body(mut self, body: Result<serde_json::Map<String, serde_json::Value>>) -> Self {
        match body {
            Ok(body) => self.body = Some(serde_json::Value::Object(body)),
            Err(e) => self.problem = self.problem.or(Some(e.to_string())),
        }
        self
    }

    /// Creates a record: `POST sobjects/{sobject}`.
    pub fn create(sobject: &str, record: &(impl Serialize + ?Sized)) -> Self {
        Subrequest::new(Method::POST, sobject_path(sobject, &[]))
            .with_body(record_body(record, &["Id"]))
    }

    /// Reads a record: `GET sobjects/{sobject}/{id}`, with only `fields` when not empty.
    pub fn get(sobject: &str, id: &str, fields: &[&str]) -> Self {
        let path = sobject_path(sobject, &[id]).and_then(|path| {
            if fields.is_empty() {
                return Ok(path);
            }
            for field in fields {
                crate::query::soql::identifier(field)?;
            }
            Ok(format!("{path}?fields={}", fields.join(",")))
        });
        Subrequest::new(Method::GET, path)
    }

    /// Updates a record: `PATCH sobjects/{sobject}/{id}`.
    pub fn update(sobject: &str, id: &str, record: &(impl Serialize + ?Sized)) -> Self {
        Subrequest::new(Method::PATCH, sobject_path(sobject, &[id]))
            .with_body(record_body(record, &["Id"]))
    }

    /// Upserts by external ID: `PATCH sobjects/{sobject}/{field}/{value}`.
    pub fn upsert(
        sobject: &str,
        field: &str,
        value: &str,
        record: &(impl Serialize + ?Sized),
    ) -> Self {
        let path = check_name("external ID field", field)
            .and_then(|field| sobject_path(sobject, &[field, value]));
        Subrequest::new(Method::PATCH, path).with_body(record_body(record, &["Id", field]))
    }

    /// Deletes a record: `DELETE sobjects/{sobject}/{id}`.
    pub fn delete(sobject: &str, id: &str) -> Self {
        Subrequest::new(Method::DELETE, sobject_path(sobject, &[id]))
    }

    /// Runs a SOQL query: `GET query/?q=…` (at most 5 per composite request).
    pub fn query(soql: &str) -> Self {
        let mut sub = Subrequest::new(
            Method::GET,
            Ok(format!("query/?q={}", encode_keeping_refs(soql))),
        );
        sub.is_query = true;
        sub
    }

    /// Any other resource: `path` under `/services/data/vNN.0/` as it should appear (already
    /// encoded), e.g. `sobjects/Account/describe`.
    pub fn raw(method: Method, path: impl Into<String>, body: Option<serde_json::Value>) -> Self {
        let path = path.into();
        let mut sub = Subrequest::new(method, Ok(path.trim_start_matches('/').to_owned()));
        sub.is_query = sub.path.starts_with("query");
        sub.body = body;
        sub
    }

    /// Adds an HTTP header to this subrequest (`httpHeaders`, composite only), e.g.
    /// `Sforce-Auto-Assign: false`.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.insert(name.into(), value.into());
        self
    }

    fn check(&self) -> Result<()> {
        match &self.problem {
            Some(problem) => Err(Error::invalid("subrequest", problem.clone())),
            None => Ok(()),
        }
    }

    /// The subrequest's URL: `{prefix}v66.0/{path}` (`/services/data/` for composite and
    /// graph, nothing for batch).
    fn url(&self, prefix: &str, version: ApiVersion) -> String {
        format!("{prefix}{}/{}", version.path_segment(), self.path)
    }
}

/// `sobjects/{sobject}/{parts…}`, the sObject name checked, the parts encoded except for
/// references.
fn sobject_path(sobject: &str, parts: &[&str]) -> Result<String> {
    let mut path = DataPath::new()
        .seg("sobjects")
        .seg(check_name("sObject name", sobject)?)
        .encoded()
        .to_owned();
    for part in parts {
        if part.is_empty() {
            return Err(Error::invalid("subrequest", "an id or value is empty"));
        }
        path.push('/');
        path.push_str(&encode_keeping_refs(part));
    }
    Ok(path)
}

/// Percent-encodes `text`, leaving `@{ref.path}` references as they are so Salesforce can
/// resolve them.
fn encode_keeping_refs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("@{") {
        let token_end = rest[start..].find('}').map(|end| start + end + 1);
        let Some(end) = token_end.filter(|&end| is_reference(&rest[start + 2..end - 1])) else {
            out.push_str(&encode(&rest[..start + 2]));
            rest = &rest[start + 2..];
            continue;
        };
        out.push_str(&encode(&rest[..start]));
        out.push_str(&rest[start..end]);
        rest = &rest[end..];
    }
    out.push_str(&encode(rest));
    out
}

/// `ref.field`, `ref.records[0].Id`: letters, digits, `_`, `.`, `[`, `]`.
fn is_reference(inner: &str) -> bool {
    !inner.is_empty()
        && inner
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'[' | b']'))
}

/// Checks reference ids: letters, digits and underscores, starting with a letter, unique.
fn check_reference_ids<'a>(ids: impl IntoIterator<Item = &'a str>) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for id in ids {
        check_name("reference id", id)?;
        if !seen.insert(id) {
            return Err(Error::invalid(
                "reference id",
                format!("{id:?} is used twice"),
            ));
        }
    }
    Ok(())
}

/// Idempotent when no subrequest is a `POST` (a create).
fn idempotency<'a>(
    subrequests: impl IntoIterator<Item = &'a Subrequest>,
) -> mapping::retry::Idempotency {
    if subrequests.into_iter().any(|s| s.method == Method::POST) {
        mapping::retry::Idempotency::NonIdempotent
    } else {
        mapping::retry::Idempotency::Idempotent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_survive_encoding() {
        assert_eq!(encode_keeping_refs("@{newAccount.id}"), "@{newAccount.id}");
        assert_eq!(
            encode_keeping_refs("SELECT Id FROM Contact WHERE AccountId = '@{acc.records[0].Id}'"),
            "SELECT%20Id%20FROM%20Contact%20WHERE%20AccountId%20%3D%20%27@{acc.records[0].Id}%27"
        );
        assert_eq!(
            encode_keeping_refs("a/b @{bad ref} @{"),
            "a%2Fb%20%40%7Bbad%20ref%7D%20%40%7B"
        );
        assert_eq!(reference("newAccount", "id"), "@{newAccount.id}");
    }

    #[test]
    fn subrequests_report_problems_when_sent() {
        assert!(
            Subrequest::create("Account", &serde_json::json!({"Name": "x"}))
                .check()
                .is_ok()
        );
        assert!(
            Subrequest::create("Bad Name", &serde_json::json!({}))
                .check()
                .is_err()
        );
        assert!(Subrequest::create("Account", &[1, 2]).check().is_err());
        assert!(
            Subrequest::get("Account", "001", &["Name;DROP"])
                .check()
                .is_err()
        );
        assert!(Subrequest::delete("Account", "").check().is_err());
        assert!(Subrequest::query("SELECT Id FROM Account").is_query);
    }
}
