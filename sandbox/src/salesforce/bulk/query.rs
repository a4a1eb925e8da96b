//! Query jobs: create (`query` / `queryAll`, SOQL checked at once), poll, results paged by
//! `maxRecords` and `Sforce-Locator`.

use std::collections::VecDeque;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::Value;

use super::common::{decode_locator, encode_locator, job_resource, list, not_finished, with_job};
use super::http::{Ctx, Handled, bad, csv_response, json, json_body};
use super::job::{BulkJobKind, BulkJobState, Delimiter, Job, LineEnding};
use super::process::{self, select_list};
use crate::salesforce::errors::SfError;
use crate::salesforce::soql;

/// Route `…/jobs/query/…`.
pub(crate) async fn route(ctx: &Ctx, tail: &[&str], body: Body) -> Handled {
    match tail {
        [] => match ctx.method {
            Method::GET => list(ctx, BulkJobKind::Query),
            Method::POST => create(ctx, &json_body(body).await?),
            _ => Err(ctx.not_allowed("GET,POST")),
        },
        [id] => {
            let patch = if ctx.method == Method::PATCH {
                Some(json_body(body).await?)
            } else {
                None
            };
            job_resource(ctx, BulkJobKind::Query, id, patch)
        }
        [id, "results"] => match ctx.method {
            Method::GET => results(ctx, id),
            _ => Err(ctx.not_allowed("GET")),
        },
        _ => Err(SfError::not_found()),
    }
}

fn text<'a>(body: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a str> {
    body.get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Reject what Bulk API 2.0 does not run: aggregates, `GROUP BY`, `OFFSET`, `TYPEOF`,
/// `FIELDS()`, child subqueries.
fn check_supported(q: &str) -> Result<(), SfError> {
    let mut unquoted = String::with_capacity(q.len());
    let mut in_str = false;
    let mut escaped = false;
    for c in q.chars() {
        if in_str {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '\'' {
                in_str = false;
            }
            continue;
        }
        if c == '\'' {
            in_str = true;
            unquoted.push(' ');
        } else {
            unquoted.push(c);
        }
    }
    let upper = unquoted.to_ascii_uppercase();
    let words: Vec<&str> = upper
        .split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .collect();
    for bad_word in ["GROUP", "OFFSET", "TYPEOF"] {
        if words.contains(&bad_word) {
            return Err(bad(
                "API_ERROR",
                format!("{bad_word} is not supported by Bulk API 2.0 query jobs"),
            ));
        }
    }
    if select_list(q).iter().any(|c| c.contains('(')) {
        return Err(bad(
            "API_ERROR",
            "Aggregate functions, FIELDS() and subqueries are not supported by Bulk API 2.0 query jobs",
        ));
    }
    Ok(())
}

/// `POST /jobs/query`.
fn create(ctx: &Ctx, body: &Value) -> Handled {
    let body = body.as_object().ok_or_else(|| {
        SfError::json_parser("Cannot deserialize instance of QueryJobInfo from a non-object token")
    })?;
    let operation = text(body, "operation").unwrap_or("query");
    let all_rows = match operation {
        "query" => false,
        "queryAll" => true,
        other => return Err(bad("INVALIDJOB", format!("Invalid operation: {other}"))),
    };
    let q = text(body, "query")
        .ok_or_else(|| bad("INVALIDJOB", "The job must have a SOQL query ('query')"))?;
    if let Some(ct) = text(body, "contentType")
        && ct != "CSV"
    {
        return Err(bad(
            "INVALIDJOB",
            format!("Unsupported content type: {ct}. Bulk API 2.0 supports CSV only"),
        ));
    }
    let delimiter = match text(body, "columnDelimiter") {
        None => Delimiter::Comma,
        Some(d) => Delimiter::parse(d)
            .ok_or_else(|| bad("INVALIDJOB", format!("Invalid column delimiter: {d}")))?,
    };
    let line_ending = match text(body, "lineEnding") {
        None => LineEnding::Lf,
        Some(l) => LineEnding::parse(l)
            .ok_or_else(|| bad("INVALIDJOB", format!("Invalid line ending: {l}")))?,
    };
    check_supported(q)?;
    let object = {
        let mut st = ctx.emu.lock();
        let now = st.now();
        let mut parsed = soql::parse(q).map_err(|e| e.into_sf(q))?;
        let from = parsed.from.clone();
        parsed.limit = Some(0);
        parsed.offset = None;
        match soql::run(&mut st.db, parsed, all_rows, now, ctx.version) {
            Ok(soql::Outcome::Rows(_)) => {}
            Ok(soql::Outcome::Count(_)) => {
                return Err(bad(
                    "API_ERROR",
                    "Aggregate functions are not supported by Bulk API 2.0 query jobs",
                ));
            }
            Err(e) => return Err(e.into_sf(q)),
        }
        st.db.resolve(&from).unwrap_or(from)
    };
    let now = ctx.emu.clock().now();
    let store = ctx.emu.bulk_store();
    let mut inner = store.lock();
    let id = inner.next_id();
    let job = Job {
        id: id.clone(),
        kind: BulkJobKind::Query,
        operation: operation.to_owned(),
        object,
        actor: ctx.actor.clone(),
        origin: ctx.origin(),
        created: now,
        modstamp: now,
        state: BulkJobState::UploadComplete,
        api_version: ctx.version,
        delimiter,
        line_ending,
        ext_id: None,
        assignment_rule_id: None,
        error_message: None,
        processed: 0,
        failed: 0,
        processing_ms: 0,
        uploads: Vec::new(),
        outcomes: Vec::new(),
        errors: Default::default(),
        soql: q.to_owned(),
        all_rows,
        result: None,
    };
    let info = job.info(false);
    inner.jobs.insert(id.clone(), job);
    drop(inner);
    tokio::spawn(process::run_query(ctx.emu.clone(), id));
    Ok(json(StatusCode::OK, info))
}

/// `GET /jobs/query/{jobId}/results?locator=&maxRecords=`.
fn results(ctx: &Ctx, id: &str) -> Handled {
    let default_max = ctx.emu.config().bulk.default_max_records.max(1);
    let max = match ctx.param("maxRecords") {
        None | Some("") => default_max,
        Some(s) => s
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| bad("API_ERROR", format!("Invalid maxRecords value: {s}")))?,
    };
    let start = match ctx.param("locator") {
        None | Some("") => 0,
        Some(l) => decode_locator(l).ok_or_else(SfError::invalid_query_locator)?,
    };
    let result = with_job(ctx, BulkJobKind::Query, id, |j| {
        if j.api_version != ctx.version {
            return Err(SfError::new(
                StatusCode::CONFLICT,
                "INVALIDJOB",
                format!(
                    "The job was created with API version {}.0: get its results with that version",
                    j.api_version
                ),
            ));
        }
        if j.state != BulkJobState::JobComplete {
            return Err(not_finished(j.state));
        }
        j.result.clone().ok_or_else(|| not_finished(j.state))
    })?;
    let rows = result.rows();
    if start > rows {
        return Err(SfError::invalid_query_locator());
    }
    let end = start.saturating_add(max).min(rows);
    let locator = if end < rows {
        encode_locator(end)
    } else {
        "null".to_owned()
    };
    let mut chunks = VecDeque::new();
    chunks.push_back(result.header.clone());
    chunks.push_back(result.slice(start, end));
    Ok(csv_response(
        chunks,
        &[
            ("sforce-locator", locator),
            ("sforce-numberofrecords", (end - start).to_string()),
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_soql() {
        assert!(check_supported("SELECT Id FROM Account").is_ok());
        assert!(
            check_supported("SELECT Id FROM Account WHERE Name = 'my group \\' offset'").is_ok()
        );
        assert!(check_supported("SELECT Id FROM Account ORDER BY Name LIMIT 5").is_ok());
        assert!(check_supported("SELECT COUNT() FROM Account").is_err());
        assert!(check_supported("SELECT Id FROM Account OFFSET 5").is_err());
        assert!(check_supported("SELECT Name FROM Account GROUP BY Name").is_err());
        assert!(check_supported("SELECT Id, (SELECT Id FROM Contacts) FROM Account").is_err());
    }
}
