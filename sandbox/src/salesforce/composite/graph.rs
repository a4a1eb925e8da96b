//! `POST /composite/graph`: graphs of sObject subrequests, each graph all-or-nothing; at
//! most 75 graphs and 500 nodes per payload; after 14 failed graphs the rest are not run.

use axum::http::Method;
use serde_json::{Value, json};

use super::{Refs, SfError, entry, invalid, parse_subs, rolled_back_entry, run_sub};
use crate::salesforce::reply::{Reply, Res};
use crate::salesforce::rest::{Call, Exec};

const MAX_GRAPHS: usize = 75;
const MAX_NODES: usize = 500;
const MAX_FAILED_GRAPHS: usize = 14;

pub(super) fn run(ex: &mut Exec<'_>, call: &Call) -> Res {
    if call.method != Method::POST {
        return Err(SfError::method_not_allowed(call.method.as_str(), "POST"));
    }
    let body = call.json_object()?;
    let graphs = body
        .get("graphs")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("graphs is required and must be an array"))?;
    if graphs.is_empty() || graphs.len() > MAX_GRAPHS {
        return Err(SfError::bad(
            "LIMIT_EXCEEDED",
            format!(
                "A payload must contain 1 to {MAX_GRAPHS} graphs; received {}",
                graphs.len()
            ),
        ));
    }
    let mut parsed = Vec::with_capacity(graphs.len());
    let mut nodes = 0;
    for (i, g) in graphs.iter().enumerate() {
        let id = g
            .get("graphId")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| invalid(format!("graphs[{i}]: graphId is required")))?;
        let items = g
            .get("compositeRequest")
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| invalid(format!("graphs[{i}]: compositeRequest is required")))?;
        nodes += items.len();
        parsed.push((id.to_owned(), parse_subs(items)?));
    }
    if nodes > MAX_NODES {
        return Err(SfError::bad(
            "LIMIT_EXCEEDED",
            format!("The payload has {nodes} nodes. The limit is {MAX_NODES}."),
        ));
    }
    let mut out = Vec::with_capacity(parsed.len());
    let mut failures = 0;
    for (graph_id, subs) in parsed {
        if failures >= MAX_FAILED_GRAPHS {
            let halted: Vec<Value> = subs
                .iter()
                .map(|s| rolled_back_entry(&s.reference_id))
                .collect();
            out.push(json!({"graphId": graph_id, "graphResponse": {"compositeResponse": halted}, "isSuccessful": false}));
            continue;
        }
        let snapshot = ex.st.db.clone();
        let mut refs = Refs::default();
        let mut responses = Vec::with_capacity(subs.len());
        let mut failed = None;
        for (i, sub) in subs.iter().enumerate() {
            let reply = run_sub(ex, sub, &refs, true, true);
            refs.record(
                &sub.reference_id,
                reply.is_success().then(|| reply.body_value()),
            );
            responses.push(entry(&reply, &sub.reference_id));
            if !reply.is_success() {
                failed = Some(i);
                break;
            }
        }
        if let Some(i) = failed {
            failures += 1;
            ex.st.db.restore(snapshot);
            responses = subs
                .iter()
                .enumerate()
                .map(|(j, s)| {
                    if j == i {
                        responses.get(i).cloned().unwrap_or(Value::Null)
                    } else {
                        rolled_back_entry(&s.reference_id)
                    }
                })
                .collect();
        } else {
            // Each graph is its own transaction.
            ex.commit();
        }
        out.push(json!({
            "graphId": graph_id,
            "graphResponse": {"compositeResponse": responses},
            "isSuccessful": failed.is_none(),
        }));
    }
    Ok(Reply::ok(json!({"graphs": out})))
}
