//! `POST /composite`: up to 25 subrequests (at most 5 queries) run in order, later ones
//! referencing earlier results; with `allOrNone: true` the first failure rolls everything
//! back and every other subrequest reports `PROCESSING_HALTED`.

use serde_json::{Value, json};

use super::{Refs, SfError, entry, invalid, parse_subs, rolled_back_entry, run_sub};
use crate::salesforce::reply::{Reply, Res};
use crate::salesforce::rest::{Call, Exec, parse_data_url};

const MAX_SUBREQUESTS: usize = 25;
const MAX_QUERIES: usize = 5;

pub(super) fn run(ex: &mut Exec<'_>, call: &Call) -> Res {
    let body = call.json_object()?;
    let all_or_none = body
        .get("allOrNone")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let items = body
        .get("compositeRequest")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("compositeRequest is required and must be an array"))?;
    if items.is_empty() {
        return Err(invalid(
            "compositeRequest must contain at least one subrequest",
        ));
    }
    if items.len() > MAX_SUBREQUESTS {
        return Err(SfError::bad(
            "LIMIT_EXCEEDED",
            format!(
                "Received {} subrequests. The limit is {MAX_SUBREQUESTS}.",
                items.len()
            ),
        ));
    }
    let subs = parse_subs(items)?;
    let queries = subs
        .iter()
        .filter(|s| {
            parse_data_url(&s.url)
                .and_then(|(_, segs, _)| segs.into_iter().next())
                .is_some_and(|r| r == "query" || r == "queryAll")
        })
        .count();
    if queries > MAX_QUERIES {
        return Err(SfError::bad(
            "LIMIT_EXCEEDED",
            format!("Received {queries} query subrequests. The limit is {MAX_QUERIES}."),
        ));
    }

    let snapshot = all_or_none.then(|| ex.st.db.clone());
    let mut refs = Refs::default();
    let mut out = Vec::with_capacity(subs.len());
    let mut failed = None;
    for (i, sub) in subs.iter().enumerate() {
        let reply = run_sub(ex, sub, &refs, all_or_none, false);
        refs.record(
            &sub.reference_id,
            reply.is_success().then(|| reply.body_value()),
        );
        out.push(entry(&reply, &sub.reference_id));
        if all_or_none && !reply.is_success() {
            failed = Some(i);
            break;
        }
    }
    if let (Some(i), Some(snapshot)) = (failed, snapshot) {
        ex.st.db.restore(snapshot);
        out = subs
            .iter()
            .enumerate()
            .map(|(j, s)| {
                if j == i {
                    out.get(i).cloned().unwrap_or(Value::Null)
                } else {
                    rolled_back_entry(&s.reference_id)
                }
            })
            .collect();
    }
    Ok(Reply::ok(json!({"compositeResponse": out})))
}
