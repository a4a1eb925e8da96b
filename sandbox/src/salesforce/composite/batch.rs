//! `POST /composite/batch`: up to 25 independent subrequests, each its own transaction and
//! each counted against the API allocation; with `haltOnError: true` the ones after a
//! failure get `412 BATCH_PROCESSING_HALTED`.

use axum::http::Method;
use serde_json::{Value, json};

use super::{SfError, invalid};
use crate::salesforce::reply::Reply;
use crate::salesforce::reply::Res;
use crate::salesforce::rest::{Call, CallBody, Exec, dispatch, parse_data_url};

const MAX_SUBREQUESTS: usize = 25;

struct Item {
    method: Method,
    version: u32,
    segs: Vec<String>,
    query: Vec<(String, String)>,
    body: Option<Value>,
}

pub(super) fn run(ex: &mut Exec<'_>, call: &Call) -> Res {
    if call.method != Method::POST {
        return Err(SfError::method_not_allowed(call.method.as_str(), "POST"));
    }
    let body = call.json_object()?;
    let halt = body
        .get("haltOnError")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let reqs = body
        .get("batchRequests")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("batchRequests is required and must be an array"))?;
    if reqs.is_empty() || reqs.len() > MAX_SUBREQUESTS {
        return Err(SfError::bad(
            "LIMIT_EXCEEDED",
            format!(
                "A batch must contain 1 to {MAX_SUBREQUESTS} subrequests; received {}",
                reqs.len()
            ),
        ));
    }
    // Deserialise everything first: a bad subrequest fails the whole request.
    let mut items = Vec::with_capacity(reqs.len());
    for (i, r) in reqs.iter().enumerate() {
        let method = r
            .get("method")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase)
            .filter(|m| ["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"].contains(&m.as_str()))
            .and_then(|m| Method::from_bytes(m.as_bytes()).ok())
            .ok_or_else(|| invalid(format!("batchRequests[{i}]: invalid method")))?;
        let (version, segs, query) = r
            .get("url")
            .and_then(Value::as_str)
            .and_then(parse_data_url)
            .ok_or_else(|| invalid(format!("batchRequests[{i}]: invalid url")))?;
        if segs.first().is_some_and(|s| s == "composite") {
            return Err(invalid(format!(
                "batchRequests[{i}]: composite resources cannot be nested"
            )));
        }
        items.push(Item {
            method,
            version,
            segs,
            query,
            body: r.get("richInput").cloned(),
        });
    }
    ex.st.usage.add(items.len().saturating_sub(1) as u64);
    let mut results = Vec::with_capacity(items.len());
    let mut has_errors = false;
    let mut halted = false;
    for it in items {
        if halted {
            results.push(json!({
                "statusCode": 412,
                "result": [{"errorCode": "BATCH_PROCESSING_HALTED", "message": "Batch processing halted per request"}],
            }));
            continue;
        }
        let sub = Call {
            method: it.method,
            segs: it.segs,
            query: it.query,
            headers: call.headers.clone(),
            body: it.body.map_or(CallBody::Empty, CallBody::Json),
            all_or_none: false,
            nested: true,
        };
        let saved = ex.version;
        ex.version = it.version;
        let reply: Reply = dispatch(ex, &sub);
        ex.version = saved;
        // Each subrequest is its own transaction.
        ex.commit();
        if !reply.is_success() {
            has_errors = true;
            halted = halt;
        }
        results.push(json!({"statusCode": reply.status.as_u16(), "result": reply.body_value()}));
    }
    Ok(Reply::ok(
        json!({"hasErrors": has_errors, "results": results}),
    ))
}
