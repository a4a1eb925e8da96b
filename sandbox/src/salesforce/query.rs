//! `GET /query?q=` and `/queryAll?q=` with paging: up to `batchSize` records per page
//! (`Sforce-Query-Options: batchSize=N`, clamped to 200–2000, default 2000), the rest behind
//! an opaque `nextRecordsUrl` (`/services/data/vNN.0/query/01g…-2000`) that stays valid for
//! the configured locator lifetime. Rows are a snapshot taken when the query ran.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::Method;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::errors::SfError;
use super::ids;
use super::reply::{Reply, Res};
use super::rest::{Call, Exec};
use super::soql;

const DEFAULT_BATCH: usize = 2000;
const MIN_BATCH: usize = 200;
const MAX_CURSORS: usize = 10_000;

#[derive(Debug)]
struct Cursor {
    rows: Arc<Vec<Value>>,
    batch: usize,
    created: DateTime<Utc>,
}

/// Open query locators.
#[derive(Debug, Default)]
pub(crate) struct Cursors {
    map: HashMap<String, Cursor>,
    seq: u64,
}

impl Cursors {
    fn open(&mut self, rows: Arc<Vec<Value>>, batch: usize, now: DateTime<Utc>) -> String {
        self.seq += 1;
        let body = format!("01g5g{}", ids::base62(self.seq, 10));
        let id = ids::to18(&body).unwrap_or(body);
        if self.map.len() >= MAX_CURSORS
            && let Some(oldest) = self
                .map
                .iter()
                .min_by_key(|(_, c)| c.created)
                .map(|(k, _)| k.clone())
        {
            self.map.remove(&oldest);
        }
        self.map.insert(
            id.clone(),
            Cursor {
                rows,
                batch,
                created: now,
            },
        );
        id
    }

    fn expire(&mut self, now: DateTime<Utc>, ttl: std::time::Duration) {
        let ttl = TimeDelta::from_std(ttl).unwrap_or(TimeDelta::MAX);
        self.map
            .retain(|_, c| now.signed_duration_since(c.created) < ttl);
    }

    /// Number of open locators.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

/// The page size asked for by `Sforce-Query-Options: batchSize=N`, clamped to 200–2000.
pub(crate) fn batch_size(header: Option<&str>) -> usize {
    header
        .and_then(|h| {
            h.split(',')
                .filter_map(|kv| kv.trim().split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("batchSize"))
                .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        })
        .map_or(DEFAULT_BATCH, |n| n.clamp(MIN_BATCH, DEFAULT_BATCH))
}

fn page(
    ex: &mut Exec<'_>,
    rows: Arc<Vec<Value>>,
    start: usize,
    batch: usize,
    locator: Option<&str>,
    resource: &str,
) -> Value {
    let total = rows.len();
    let end = start.saturating_add(batch).min(total);
    let records: Vec<Value> = rows
        .get(start..end)
        .map(<[Value]>::to_vec)
        .unwrap_or_default();
    let mut body = json!({"totalSize": total, "done": end >= total, "records": records});
    if end < total {
        let now = ex.now;
        let loc = match locator {
            Some(l) => l.to_owned(),
            None => ex.st.cursors.open(rows, batch, now),
        };
        body["nextRecordsUrl"] = Value::String(format!(
            "/services/data/v{}.0/{resource}/{loc}-{end}",
            ex.version
        ));
    }
    body
}

/// `query` / `queryAll` (and their locator pages).
pub(crate) fn handle(ex: &mut Exec<'_>, call: &Call, all: bool) -> Res {
    if call.method != Method::GET {
        return Err(SfError::method_not_allowed(
            call.method.as_str(),
            "GET,HEAD",
        ));
    }
    let resource = if all { "queryAll" } else { "query" };
    let ttl = ex.st.config.query_locator_ttl;
    ex.st.cursors.expire(ex.now, ttl);
    match call.segs.get(1) {
        Some(locator) => next_page(ex, locator, resource),
        None => {
            if call.param("explain").is_some() {
                return Err(SfError::bad(
                    "MALFORMED_QUERY",
                    "The sandbox does not explain query plans",
                ));
            }
            let q = call
                .param("q")
                .filter(|q| !q.trim().is_empty())
                .ok_or_else(|| SfError::bad("MALFORMED_QUERY", "A query string must be provided."))?
                .to_owned();
            let rows = run(ex, &q, all)?;
            match rows {
                soql::Outcome::Count(n) => Ok(Reply::ok(
                    json!({"totalSize": n, "done": true, "records": []}),
                )),
                soql::Outcome::Rows(rows) => {
                    let batch = batch_size(call.header("sforce-query-options"));
                    Ok(Reply::ok(page(
                        ex,
                        Arc::new(rows),
                        0,
                        batch,
                        None,
                        resource,
                    )))
                }
            }
        }
    }
}

/// Run SOQL text.
pub(crate) fn run(ex: &mut Exec<'_>, q: &str, all: bool) -> Result<soql::Outcome, SfError> {
    let parsed = soql::parse(q).map_err(|e| e.into_sf(q))?;
    soql::run(&mut ex.st.db, parsed, all, ex.now, ex.version).map_err(|e| e.into_sf(q))
}

fn next_page(ex: &mut Exec<'_>, locator: &str, resource: &str) -> Res {
    let (id, start) = locator
        .rsplit_once('-')
        .and_then(|(id, n)| Some((id, n.parse::<usize>().ok()?)))
        .ok_or_else(SfError::invalid_query_locator)?;
    let cursor = ex
        .st
        .cursors
        .map
        .get(id)
        .ok_or_else(SfError::invalid_query_locator)?;
    if start >= cursor.rows.len() {
        return Err(SfError::invalid_query_locator());
    }
    let (rows, batch) = (cursor.rows.clone(), cursor.batch);
    Ok(Reply::ok(page(ex, rows, start, batch, Some(id), resource)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_size_clamps() {
        assert_eq!(batch_size(None), 2000);
        assert_eq!(batch_size(Some("batchSize=500")), 500);
        assert_eq!(batch_size(Some("batchSize=10")), 200);
        assert_eq!(batch_size(Some("batchSize=5000")), 2000);
        assert_eq!(batch_size(Some("foo=1, batchSize = 300")), 300);
        assert_eq!(batch_size(Some("batchSize=x")), 2000);
    }
}
