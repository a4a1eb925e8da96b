//! The composite family: `/composite` (dependent subrequests with references and
//! `allOrNone`), `/composite/batch` (independent subrequests, `haltOnError`),
//! `/composite/graph` (all-or-nothing graphs), `/composite/sobjects` (collections) and
//! `/composite/tree/{Obj}` (parent and child records in one go).

mod batch;
mod chain;
mod collections;
mod graph;
mod refs;
mod tree;

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::errors::SfError;
use super::reply::{Reply, Res};
use super::rest::{Call, CallBody, Exec, dispatch, parse_data_url};
use refs::{RefError, Refs};

/// `PROCESSING_HALTED` for the other subrequests of a rolled-back all-or-none request.
fn rolled_back_entry(reference_id: &str) -> Value {
    json!({
        "body": [{
            "errorCode": "PROCESSING_HALTED",
            "message": "The transaction was rolled back since another operation in the same transaction failed.",
        }],
        "httpHeaders": {},
        "httpStatusCode": 400,
        "referenceId": reference_id,
    })
}

fn entry(reply: &Reply, reference_id: &str) -> Value {
    json!({
        "body": reply.body_value(),
        "httpHeaders": reply.headers_value(),
        "httpStatusCode": reply.status.as_u16(),
        "referenceId": reference_id,
    })
}

fn ref_error_reply(e: &RefError) -> Reply {
    Reply::from(SfError::bad("PROCESSING_HALTED", e.message()))
}

/// A validated composite or graph subrequest.
pub(super) struct Sub {
    method: Method,
    url: String,
    reference_id: String,
    body: Option<Value>,
    headers: Map<String, Value>,
}

const METHODS: &[&str] = &["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"];

fn invalid(message: impl Into<String>) -> SfError {
    SfError::bad("INVALID_INPUT", message)
}

/// Validate `compositeRequest` items before anything runs.
fn parse_subs(items: &[Value]) -> Result<Vec<Sub>, SfError> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let m = item
            .as_object()
            .ok_or_else(|| invalid(format!("compositeRequest[{i}] must be an object")))?;
        let method = m
            .get("method")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase)
            .filter(|x| METHODS.contains(&x.as_str()))
            .and_then(|x| Method::from_bytes(x.as_bytes()).ok())
            .ok_or_else(|| {
                invalid(format!(
                    "compositeRequest[{i}]: method is missing or not supported"
                ))
            })?;
        let url = m
            .get("url")
            .and_then(Value::as_str)
            .filter(|u| u.starts_with("/services/data/v"))
            .ok_or_else(|| {
                invalid(format!(
                    "compositeRequest[{i}]: url must start with /services/data/vNN.0/"
                ))
            })?;
        let reference_id = m
            .get("referenceId")
            .and_then(Value::as_str)
            .filter(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .ok_or_else(|| {
                invalid(format!(
                    "compositeRequest[{i}]: referenceId is required and may contain only letters, numbers and underscores"
                ))
            })?;
        if !seen.insert(reference_id.to_ascii_lowercase()) {
            return Err(invalid(format!(
                "Duplicate referenceId provided in the request: {reference_id}"
            )));
        }
        out.push(Sub {
            method,
            url: url.to_owned(),
            reference_id: reference_id.to_owned(),
            body: m.get("body").cloned(),
            headers: m
                .get("httpHeaders")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
        });
    }
    Ok(out)
}

/// Run one subrequest after resolving its references. `only_sobjects` limits it to sObject
/// resources (graphs).
fn run_sub(
    ex: &mut Exec<'_>,
    sub: &Sub,
    refs: &Refs,
    all_or_none: bool,
    only_sobjects: bool,
) -> Reply {
    let url = match refs.string(&sub.url) {
        Ok(Value::String(u)) => u,
        Ok(other) => other.to_string(),
        Err(e) => return ref_error_reply(&e),
    };
    let body = match sub.body.as_ref().map(|b| refs.value(b)).transpose() {
        Ok(b) => b,
        Err(e) => return ref_error_reply(&e),
    };
    let Some((version, segs, query)) = parse_data_url(&url) else {
        return Reply::from(SfError::not_found());
    };
    if segs.first().is_some_and(|s| s == "composite") && segs.get(1).is_none_or(|s| s != "sobjects")
    {
        return Reply::from(invalid("Composite requests cannot be nested"));
    }
    if only_sobjects && segs.first().is_none_or(|s| s != "sobjects") {
        return Reply::from(invalid(format!(
            "The URL {url} is not supported in a composite graph"
        )));
    }
    let call = Call {
        method: sub.method.clone(),
        segs,
        query,
        headers: sub
            .headers
            .iter()
            .filter_map(|(k, v)| Some((k.to_ascii_lowercase(), v.as_str()?.to_owned())))
            .collect(),
        body: body.map_or(CallBody::Empty, CallBody::Json),
        all_or_none,
        nested: true,
    };
    let saved = ex.version;
    ex.version = version;
    let reply = dispatch(ex, &call);
    ex.version = saved;
    reply
}

/// `/composite…`.
pub(crate) fn handle(ex: &mut Exec<'_>, call: &Call) -> Res {
    let rest: Vec<&str> = call.segs.iter().skip(1).map(String::as_str).collect();
    if call.nested && rest.first() != Some(&"sobjects") {
        return Err(invalid("Composite requests cannot be nested"));
    }
    match rest.as_slice() {
        [] => match call.method {
            Method::GET => {
                let base = format!("/services/data/v{}.0/composite", ex.version);
                Ok(Reply::ok(json!({
                    "batch": format!("{base}/batch"),
                    "tree": format!("{base}/tree"),
                    "sobjects": format!("{base}/sobjects"),
                    "graph": format!("{base}/graph"),
                })))
            }
            Method::POST => chain::run(ex, call),
            _ => Err(SfError::method_not_allowed(
                call.method.as_str(),
                "GET,HEAD,POST",
            )),
        },
        ["batch"] => batch::run(ex, call),
        ["graph"] => graph::run(ex, call),
        ["tree", obj] => tree::run(ex, call, obj),
        ["sobjects", ..] => collections::handle(ex, call),
        _ => Err(SfError::not_found()),
    }
}
