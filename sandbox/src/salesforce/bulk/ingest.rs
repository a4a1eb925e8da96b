//! Ingest jobs: create, upload (streamed), close, results.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use hyper::body::Body as _;
use serde_json::Value;

use super::common::{job_resource, list, not_finished, with_job};
use super::csvio::{ChunkReader, LineScan, push_field, reader, strip_bom};
use super::http::{Ctx, Handled, bad, csv_stream, invalid_state, json, json_body};
use super::job::{
    BulkJobKind, BulkJobState, Delimiter, Job, LineEnding, RowKind, RowOutcome, Upload,
};
use super::process;
use crate::salesforce::errors::SfError;

const OPERATIONS: &[&str] = &["insert", "update", "upsert", "delete", "hardDelete"];

/// Route `…/jobs/ingest/…`.
pub(crate) async fn route(ctx: &Ctx, tail: &[&str], body: Body) -> Handled {
    match tail {
        [] => match ctx.method {
            Method::GET => list(ctx, BulkJobKind::Ingest),
            Method::POST => create(ctx, &json_body(body).await?),
            _ => Err(ctx.not_allowed("GET,POST")),
        },
        [id] => {
            if ctx.method == Method::PATCH {
                let patch = json_body(body).await?;
                if patch.get("state").and_then(Value::as_str) == Some("UploadComplete") {
                    return close(ctx, id);
                }
                return job_resource(ctx, BulkJobKind::Ingest, id, Some(patch));
            }
            job_resource(ctx, BulkJobKind::Ingest, id, None)
        }
        [id, "batches"] => match ctx.method {
            Method::PUT => upload(ctx, id, body).await,
            _ => Err(ctx.not_allowed("PUT")),
        },
        [id, which] => {
            if ctx.method != Method::GET {
                return Err(ctx.not_allowed("GET"));
            }
            let which = if which.eq_ignore_ascii_case("successfulResults") {
                Which::Successful
            } else if which.eq_ignore_ascii_case("failedResults") {
                Which::Failed
            } else if which.eq_ignore_ascii_case("unprocessedrecords") {
                Which::Unprocessed
            } else {
                return Err(SfError::not_found());
            };
            results(ctx, id, which)
        }
        _ => Err(SfError::not_found()),
    }
}

fn field<'a>(body: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a str> {
    body.get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// `POST /jobs/ingest`.
fn create(ctx: &Ctx, body: &Value) -> Handled {
    let body = body.as_object().ok_or_else(|| {
        SfError::json_parser("Cannot deserialize instance of JobInfo from a non-object token")
    })?;
    let object = field(body, "object")
        .ok_or_else(|| bad("INVALIDJOB", "The job must name an object ('object')"))?;
    let operation = field(body, "operation")
        .ok_or_else(|| bad("INVALIDJOB", "The job must name an operation ('operation')"))?;
    let operation = OPERATIONS
        .iter()
        .find(|o| **o == operation)
        .ok_or_else(|| bad("INVALIDJOB", format!("Invalid operation: {operation}")))?;
    if let Some(ct) = field(body, "contentType")
        && ct != "CSV"
    {
        return Err(bad(
            "INVALIDJOB",
            format!("Unsupported content type: {ct}. Bulk API 2.0 supports CSV only"),
        ));
    }
    let delimiter = match field(body, "columnDelimiter") {
        None => Delimiter::Comma,
        Some(d) => Delimiter::parse(d)
            .ok_or_else(|| bad("INVALIDJOB", format!("Invalid column delimiter: {d}")))?,
    };
    let line_ending = match field(body, "lineEnding") {
        None => LineEnding::Lf,
        Some(l) => LineEnding::parse(l)
            .ok_or_else(|| bad("INVALIDJOB", format!("Invalid line ending: {l}")))?,
    };
    let ext = field(body, "externalIdFieldName");
    let (object, ext_id) = {
        let mut st = ctx.emu.lock();
        let name = st.db.resolve(object).ok_or_else(|| {
            bad(
                "INVALIDENTITY",
                format!("Entity '{object}' is not supported by the Bulk API."),
            )
        })?;
        let is_event = st.db.obj(&name).is_some_and(|o| o.meta.is_event());
        if is_event && *operation != "insert" {
            return Err(bad(
                "INVALIDJOB",
                format!("Platform events only support the insert operation, not {operation}"),
            ));
        }
        let ext_id = if *operation == "upsert" {
            let ext = ext.ok_or_else(|| {
                bad(
                    "INVALIDJOB",
                    "The externalIdFieldName is required for an upsert job",
                )
            })?;
            let f = st
                .db
                .obj_mut(&name)
                .and_then(|o| o.external_id_field(ext))
                .ok_or_else(|| {
                    bad(
                        "INVALIDJOB",
                        format!(
                            "Field name provided, {ext} does not match an External ID, Salesforce Id, or indexed field for {name}"
                        ),
                    )
                })?;
            Some(f.name)
        } else {
            None
        };
        (name, ext_id)
    };
    let now = ctx.emu.clock().now();
    let store = ctx.emu.bulk_store();
    let mut inner = store.lock();
    let id = inner.next_id();
    let job = Job {
        id: id.clone(),
        kind: BulkJobKind::Ingest,
        operation: (*operation).to_owned(),
        object,
        actor: ctx.actor.clone(),
        origin: ctx.origin(),
        created: now,
        modstamp: now,
        state: BulkJobState::Open,
        api_version: ctx.version,
        delimiter,
        line_ending,
        ext_id,
        assignment_rule_id: field(body, "assignmentRuleId").map(str::to_owned),
        error_message: None,
        processed: 0,
        failed: 0,
        processing_ms: 0,
        uploads: Vec::new(),
        outcomes: Vec::new(),
        errors: Default::default(),
        soql: String::new(),
        all_rows: false,
        result: None,
    };
    let info = job.info(false);
    inner.jobs.insert(id, job);
    Ok(json(StatusCode::OK, info))
}

fn upload_rule(j: &Job, multiple: bool) -> Result<(), SfError> {
    if j.state != BulkJobState::Open {
        return Err(invalid_state(format!(
            "Uploading data is not allowed: the job must be Open, and it is {}",
            j.state.as_str()
        )));
    }
    if !multiple && !j.uploads.is_empty() {
        return Err(invalid_state(format!(
            "Found multiple contents for job: <{}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.",
            j.id
        )));
    }
    Ok(())
}

fn too_large(limit: u64) -> SfError {
    SfError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "EXCEEDED_MAX_SIZE_REQUEST",
        format!(
            "Exceeded max size limit of {limit} bytes of CSV data per upload (150 MB once base64-encoded)"
        ),
    )
}

/// `PUT /jobs/ingest/{jobId}/batches`: the body is read chunk by chunk and kept as received.
async fn upload(ctx: &Ctx, id: &str, mut body: Body) -> Handled {
    let ctype = ctx.header("content-type").unwrap_or("");
    let mime = ctype.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("text/csv") {
        return Err(SfError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            format!("Content type '{ctype}' is not supported for job data: use text/csv"),
        ));
    }
    let cfg = ctx.emu.config().bulk;
    with_job(ctx, BulkJobKind::Ingest, id, |j| {
        upload_rule(j, cfg.multiple_uploads)
    })?;
    let limit = cfg.max_upload_bytes;
    let mut data = Upload::default();
    let mut scan = LineScan::default();
    if body.size_hint().lower() > limit {
        return Err(too_large(limit));
    }
    while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|e| {
            bad(
                "CLIENTINPUTERROR",
                format!("The upload could not be read: {e}"),
            )
        })?;
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        data.bytes += chunk.len() as u64;
        if data.bytes > limit {
            return Err(too_large(limit));
        }
        scan.feed(&chunk);
        data.chunks.push(chunk);
    }
    data.crlf = scan.crlf;
    data.bare_lf = scan.bare_lf;
    let data = Arc::new(data);
    with_job(ctx, BulkJobKind::Ingest, id, |j| {
        upload_rule(j, cfg.multiple_uploads)?;
        j.uploads.push(data);
        Ok(())
    })?;
    Ok(StatusCode::CREATED.into_response())
}

/// `PATCH {"state":"UploadComplete"}`: queue the job for processing.
fn close(ctx: &Ctx, id: &str) -> Handled {
    let now = ctx.emu.clock().now();
    let info = with_job(ctx, BulkJobKind::Ingest, id, |j| {
        if j.state != BulkJobState::Open {
            return Err(invalid_state(format!(
                "Closing the job is not allowed: the job must be Open, and it is {}",
                j.state.as_str()
            )));
        }
        j.state = BulkJobState::UploadComplete;
        j.modstamp = now;
        Ok(j.info(false))
    })?;
    tokio::spawn(process::run_ingest(ctx.emu.clone(), id.to_owned()));
    Ok(json(StatusCode::OK, info))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    Successful,
    Failed,
    Unprocessed,
}

/// What the result writer needs, copied out of the job.
struct ResultSource {
    uploads: Vec<Arc<Upload>>,
    outcomes: Vec<RowOutcome>,
    errors: std::collections::HashMap<u32, Box<str>>,
    delimiter: Delimiter,
    line_ending: LineEnding,
}

/// `successfulResults/`, `failedResults/`, `unprocessedrecords/`: CSV streamed as it is
/// written, from the stored uploads and the per-row outcomes.
fn results(ctx: &Ctx, id: &str, which: Which) -> Handled {
    let src = with_job(ctx, BulkJobKind::Ingest, id, |j| {
        if !j.state.is_terminal() {
            return Err(not_finished(j.state));
        }
        Ok(ResultSource {
            uploads: j.uploads.clone(),
            outcomes: j.outcomes.clone(),
            errors: j.errors.clone(),
            delimiter: j.delimiter,
            line_ending: j.line_ending,
        })
    })?;
    Ok(csv_stream(move |send| write_results(&src, which, send)))
}

const CHUNK: usize = 64 * 1024;

fn write_results(src: &ResultSource, which: Which, send: &mut dyn FnMut(Bytes) -> bool) {
    let d = src.delimiter.byte();
    let eol = src.line_ending.bytes();
    let mut out = Vec::with_capacity(CHUNK + 1024);
    let mut row_no: usize = 0;
    let mut wrote_header = false;
    for upload in &src.uploads {
        let mut rdr: csv::Reader<ChunkReader> = reader(upload.clone(), src.delimiter);
        let mut rec = csv::ByteRecord::new();
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            _ => continue,
        }
        if !wrote_header {
            wrote_header = true;
            match which {
                Which::Successful => out.extend_from_slice(b"\"sf__Id\"\0\"sf__Created\"\0"),
                Which::Failed => out.extend_from_slice(b"\"sf__Id\"\0\"sf__Error\"\0"),
                Which::Unprocessed => {}
            }
            for s in out.iter_mut() {
                if *s == 0 {
                    *s = d;
                }
            }
            for (i, f) in rec.iter().enumerate() {
                if i > 0 {
                    out.push(d);
                }
                let f = if i == 0 { strip_bom(f) } else { f };
                push_field(&mut out, f, d, false);
            }
            out.extend_from_slice(eol);
        }
        while let Ok(true) = rdr.read_byte_record(&mut rec) {
            let outcome = src
                .outcomes
                .get(row_no)
                .copied()
                .unwrap_or(RowOutcome::new(RowKind::Unprocessed, None));
            let idx = row_no;
            row_no += 1;
            let kind = outcome.kind();
            let keep = match which {
                Which::Successful => matches!(kind, RowKind::Created | RowKind::Succeeded),
                Which::Failed => kind == RowKind::Failed,
                Which::Unprocessed => kind == RowKind::Unprocessed,
            };
            if !keep {
                continue;
            }
            match which {
                Which::Successful => {
                    push_field(&mut out, outcome.id().as_bytes(), d, true);
                    out.push(d);
                    let created: &[u8] = if kind == RowKind::Created {
                        b"true"
                    } else {
                        b"false"
                    };
                    push_field(&mut out, created, d, true);
                    out.push(d);
                }
                Which::Failed => {
                    push_field(&mut out, outcome.id().as_bytes(), d, true);
                    out.push(d);
                    let err = u32::try_from(idx)
                        .ok()
                        .and_then(|i| src.errors.get(&i))
                        .map_or("", |e| e.as_ref());
                    push_field(&mut out, err.as_bytes(), d, true);
                    out.push(d);
                }
                Which::Unprocessed => {}
            }
            for (i, f) in rec.iter().enumerate() {
                if i > 0 {
                    out.push(d);
                }
                push_field(&mut out, f, d, true);
            }
            out.extend_from_slice(eol);
            if out.len() >= CHUNK && !send(Bytes::from(std::mem::take(&mut out))) {
                return;
            }
        }
    }
    if !out.is_empty() {
        let _ = send(Bytes::from(out));
    }
}
