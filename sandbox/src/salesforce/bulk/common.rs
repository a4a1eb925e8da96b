//! Resources shared by ingest and query jobs: job info, list, abort, delete, and the
//! opaque locators of lists and result pages.

use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::http::{Ctx, Handled, invalid_state, json};
use super::job::{BulkJobKind, BulkJobState, Job};
use crate::salesforce::errors::SfError;
use crate::salesforce::util::{b64, b64_decode};

/// Encode a row or job offset as an opaque locator (base64 of the decimal offset, as the
/// real locators look).
pub(crate) fn encode_locator(offset: usize) -> String {
    b64(offset.to_string().as_bytes())
        .trim_end_matches('=')
        .to_owned()
}

/// Decode a locator made by [`encode_locator`].
pub(crate) fn decode_locator(locator: &str) -> Option<usize> {
    let bytes = b64_decode(locator)?;
    std::str::from_utf8(&bytes).ok()?.parse().ok()
}

fn resource(kind: BulkJobKind) -> &'static str {
    match kind {
        BulkJobKind::Ingest => "ingest",
        BulkJobKind::Query => "query",
    }
}

/// Run `f` on job `id` of `kind`; `404 NOT_FOUND` when there is none.
pub(crate) fn with_job<R>(
    ctx: &Ctx,
    kind: BulkJobKind,
    id: &str,
    f: impl FnOnce(&mut Job) -> Result<R, SfError>,
) -> Result<R, SfError> {
    ctx.emu
        .bulk_store()
        .with(id, |j| {
            if j.kind == kind {
                f(j)
            } else {
                Err(SfError::not_found())
            }
        })
        .unwrap_or_else(|| Err(SfError::not_found()))
}

/// `GET`, `PATCH` (abort; ingest also `UploadComplete` through `on_patch`) and `DELETE` of
/// `…/jobs/{kind}/{jobId}`.
pub(crate) fn job_resource(
    ctx: &Ctx,
    kind: BulkJobKind,
    id: &str,
    patch: Option<Value>,
) -> Handled {
    match ctx.method {
        Method::GET => with_job(ctx, kind, id, |j| Ok(json(StatusCode::OK, j.info(true)))),
        Method::DELETE => {
            with_job(ctx, kind, id, |j| match j.state {
                BulkJobState::UploadComplete
                | BulkJobState::JobComplete
                | BulkJobState::Aborted
                | BulkJobState::Failed => Ok(()),
                s => Err(invalid_state(format!(
                    "Deleting the job is not allowed: the job must be UploadComplete, JobComplete, Aborted or Failed, and it is {}",
                    s.as_str()
                ))),
            })?;
            ctx.emu.bulk_store().lock().jobs.remove(id);
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Method::PATCH => {
            let state = patch
                .as_ref()
                .and_then(|b| b.get("state"))
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    SfError::bad("INVALIDJOBSTATE", "The request body must set 'state'")
                })?;
            match state {
                "Aborted" => abort(ctx, kind, id),
                other => Err(invalid_state(format!(
                    "Setting the state of a {} job to '{other}' is not allowed",
                    resource(kind)
                ))),
            }
        }
        _ => Err(ctx.not_allowed("GET,PATCH,DELETE")),
    }
}

/// `PATCH {"state":"Aborted"}`.
pub(crate) fn abort(ctx: &Ctx, kind: BulkJobKind, id: &str) -> Handled {
    let now = ctx.emu.clock().now();
    with_job(ctx, kind, id, |j| match j.state {
        BulkJobState::Open | BulkJobState::UploadComplete | BulkJobState::InProgress => {
            j.state = BulkJobState::Aborted;
            j.modstamp = now;
            Ok(json(StatusCode::OK, j.info(false)))
        }
        s => Err(invalid_state(format!(
            "Aborting the job is not allowed: the job is {}",
            s.as_str()
        ))),
    })
}

/// `GET /jobs/{kind}`: `{done, records, nextRecordsUrl}`, 1,000 jobs a page by default.
pub(crate) fn list(ctx: &Ctx, kind: BulkJobKind) -> Handled {
    let page = ctx.emu.config().bulk.list_page_size.max(1);
    let start = match ctx.param("queryLocator") {
        None | Some("") => 0,
        Some(l) => decode_locator(l).ok_or_else(SfError::invalid_query_locator)?,
    };
    let wanted_type = match kind {
        BulkJobKind::Ingest => "V2Ingest",
        BulkJobKind::Query => "V2Query",
    };
    let type_ok = ctx
        .param("jobType")
        .is_none_or(|t| t.eq_ignore_ascii_case(wanted_type));
    let pk_ok = !ctx
        .param("isPkChunkingEnabled")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let store = ctx.emu.bulk_store();
    let inner = store.lock();
    let all: Vec<&Job> = if type_ok && pk_ok {
        inner.jobs.values().filter(|j| j.kind == kind).collect()
    } else {
        Vec::new()
    };
    let end = start.saturating_add(page).min(all.len());
    let records: Vec<Value> = all
        .get(start.min(end)..end)
        .unwrap_or_default()
        .iter()
        .map(|j| j.info(false))
        .collect();
    let done = end >= all.len();
    let next = if done {
        Value::Null
    } else {
        json!(format!(
            "/services/data/v{}.0/jobs/{}?queryLocator={}",
            ctx.version,
            resource(kind),
            encode_locator(end)
        ))
    };
    Ok(json(
        StatusCode::OK,
        json!({"done": done, "records": records, "nextRecordsUrl": next}),
    ))
}

/// The response for a finished job's results when it is not finished.
pub(crate) fn not_finished(state: BulkJobState) -> SfError {
    invalid_state(format!(
        "The results are available once the job is finished; the job is {}",
        state.as_str()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locators_round_trip() {
        for n in [0usize, 1, 2000, 25_000, 1_000_000] {
            assert_eq!(decode_locator(&encode_locator(n)), Some(n));
        }
        assert_eq!(encode_locator(100_000), "MTAwMDAw");
        assert_eq!(decode_locator("not base64!"), None);
        assert_eq!(decode_locator("eA"), None);
    }
}
