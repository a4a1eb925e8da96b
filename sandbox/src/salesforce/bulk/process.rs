//! Asynchronous processing of closed jobs: a tokio task per job that moves it to
//! `InProgress`, applies ingest rows through the record store a step at a time (the state lock
//! is released between steps, so REST calls and polls are served meanwhile), commits change
//! events every 200 rows, records a compact outcome per row, and ends `JobComplete` or
//! `Failed`. Query jobs run their SOQL once and keep the result as CSV.

use std::collections::{HashMap, HashSet};
use std::ops::Bound;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value};

use super::csvio::{reader, strip_bom};
use super::job::{
    BulkJobKind, BulkJobState, Delimiter, LineEnding, QueryResult, RowKind, RowOutcome, Upload,
};
use crate::salesforce::emulator::SalesforceEmulator;
use crate::salesforce::errors::SfError;
use crate::salesforce::faults::AsyncFault;
use crate::salesforce::ids;
use crate::salesforce::schema::FieldType;
use crate::salesforce::sessions::Actor;
use crate::salesforce::soql;
use crate::salesforce::state::State;
use crate::salesforce::store::{WriteCtx, match_key};
use crate::salesforce::util::{iso_z, parse_date, parse_datetime};

/// Rows per transaction (change events of one transaction share a `transactionKey`).
const TRANSACTION_ROWS: usize = 200;

/// The message of a job failed by [`AsyncFault::BulkJobFailed`].
const INJECTED_FAILURE: &str =
    "InternalServerError : The job could not be processed (injected by the sandbox)";

/// What processing needs from the job, copied once.
struct Spec {
    operation: String,
    object: String,
    ext_id: Option<String>,
    delimiter: Delimiter,
    line_ending: LineEnding,
    actor: Actor,
    origin: String,
    uploads: Vec<Arc<Upload>>,
    version: u32,
    soql: String,
    all_rows: bool,
}

/// Move `id` from `UploadComplete` to `InProgress` (after the queue delay); `None` when the
/// job was aborted or deleted meanwhile.
async fn start(emu: &SalesforceEmulator, id: &str) -> Option<Spec> {
    let delay = emu.config().bulk.queue_delay;
    tokio::time::sleep(delay).await;
    let now = emu.clock().now();
    emu.bulk_store()
        .with(id, |j| {
            if j.state != BulkJobState::UploadComplete {
                return None;
            }
            j.state = BulkJobState::InProgress;
            j.modstamp = now;
            Some(Spec {
                operation: j.operation.clone(),
                object: j.object.clone(),
                ext_id: j.ext_id.clone(),
                delimiter: j.delimiter,
                line_ending: j.line_ending,
                actor: j.actor.clone(),
                origin: j.origin.clone(),
                uploads: j.uploads.clone(),
                version: j.api_version,
                soql: j.soql.clone(),
                all_rows: j.all_rows,
            })
        })
        .flatten()
}

/// End the job (unless it was aborted meanwhile).
fn finish(emu: &SalesforceEmulator, id: &str, started: Instant, error: Option<String>) {
    let now = emu.clock().now();
    let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    emu.bulk_store().with(id, |j| {
        if j.state != BulkJobState::InProgress {
            return;
        }
        j.processing_ms = ms;
        j.modstamp = now;
        match error {
            Some(e) => {
                j.state = BulkJobState::Failed;
                j.error_message = Some(e);
            }
            None => j.state = BulkJobState::JobComplete,
        }
    });
}

fn still_running(emu: &SalesforceEmulator, id: &str) -> bool {
    emu.bulk_store()
        .with(id, |j| j.state == BulkJobState::InProgress)
        .unwrap_or(false)
}

// ---- ingest -----------------------------------------------------------------------------

/// A header column, resolved against the object.
#[derive(Clone, Debug)]
enum Col {
    Id,
    Field {
        name: String,
        ty: FieldType,
    },
    Rel {
        rel: String,
        fk: String,
        ext: String,
    },
}

/// Resolve the header; `Err` is the job's `errorMessage`.
fn analyse(st: &mut State, spec: &Spec, header: &[String]) -> Result<Vec<Col>, String> {
    let not_found = |h: &str| format!("InvalidBatch : Field name not found : {h}");
    if matches!(spec.operation.as_str(), "delete" | "hardDelete")
        && !(header.len() == 1 && header[0].eq_ignore_ascii_case("Id"))
    {
        return Err(format!(
            "InvalidBatch : The '{}' batch must contain only 'Id' field",
            spec.operation
        ));
    }
    let o = st
        .db
        .obj_mut(&spec.object)
        .ok_or_else(|| format!("InvalidJob : Entity '{}' no longer exists", spec.object))?;
    let mut cols = Vec::with_capacity(header.len());
    for h in header {
        if h.eq_ignore_ascii_case("Id") {
            cols.push(Col::Id);
        } else if let Some((rel, ext)) = h.split_once('.') {
            let fk = o.relationship_fk(rel).ok_or_else(|| not_found(h))?;
            cols.push(Col::Rel {
                rel: rel.to_owned(),
                fk: fk.name.clone(),
                ext: ext.to_owned(),
            });
        } else {
            let f = o.field_or_define(h, None).ok_or_else(|| not_found(h))?;
            cols.push(Col::Field {
                name: f.name,
                ty: f.field_type,
            });
        }
    }
    let has_id = cols.iter().any(|c| matches!(c, Col::Id));
    match spec.operation.as_str() {
        "update" if !has_id => return Err(not_found("Id")),
        "upsert" => {
            let ext = spec.ext_id.as_deref().unwrap_or("Id");
            let present = if ext.eq_ignore_ascii_case("Id") {
                has_id
            } else {
                cols.iter()
                    .any(|c| matches!(c, Col::Field { name, .. } if name.eq_ignore_ascii_case(ext)))
            };
            if !present {
                return Err(not_found(ext));
            }
        }
        _ => {}
    }
    Ok(cols)
}

/// `CODE:message:fields --` (`CODE:message:--` without fields), as failed results show it.
fn sf_error(e: &SfError) -> String {
    let fields = e.fields.as_deref().unwrap_or_default();
    if fields.is_empty() {
        format!("{}:{}:--", e.code, e.message)
    } else {
        format!("{}:{}:{} --", e.code, e.message, fields.join(","))
    }
}

fn bulk_datetime(s: &str) -> bool {
    let Some((_, time)) = s.split_once('T') else {
        return false;
    };
    let zoned = time.ends_with('Z') || time.contains('+') || time.contains('-');
    zoned && parse_datetime(s).is_some()
}

/// The value of one cell: `None` = leave unchanged, `Some(Null)` = `#N/A`.
fn cell(ty: FieldType, s: &str, col: usize, field: &str) -> Result<Option<Value>, SfError> {
    if s.is_empty() {
        return Ok(None);
    }
    if s == "#N/A" {
        return Ok(Some(Value::Null));
    }
    let bad = |xsd: &str| {
        SfError::bad(
            "INVALID_FIELD",
            format!(
                "Failed to deserialize field at col {}. Due to, '{s}' is not a valid value for the type xsd:{xsd}",
                col + 1
            ),
        )
        .with_fields([field.to_owned()])
    };
    let v = match ty {
        t if t.is_numeric() => {
            if !s.trim().parse::<f64>().is_ok_and(f64::is_finite) {
                return Err(bad("double"));
            }
            Value::String(s.trim().to_owned())
        }
        FieldType::Boolean => match s.to_ascii_lowercase().as_str() {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => return Err(bad("boolean")),
        },
        FieldType::Date => {
            if parse_date(s).is_none() {
                return Err(bad("date"));
            }
            Value::String(s.to_owned())
        }
        FieldType::DateTime => {
            if !bulk_datetime(s) {
                return Err(bad("dateTime"));
            }
            Value::String(s.to_owned())
        }
        _ => Value::String(s.to_owned()),
    };
    Ok(Some(v))
}

/// A row as a write body, plus its `Id` cell.
fn row_fields(
    cols: &[Col],
    rec: &csv::ByteRecord,
) -> Result<(Map<String, Value>, Option<String>), SfError> {
    if rec.len() != cols.len() {
        return Err(SfError::bad(
            "INVALID_FIELD",
            format!(
                "The row has {} columns but the header has {}",
                rec.len(),
                cols.len()
            ),
        ));
    }
    let mut m = Map::new();
    let mut id = None;
    for (i, (col, raw)) in cols.iter().zip(rec.iter()).enumerate() {
        let s = String::from_utf8_lossy(raw);
        match col {
            Col::Id => {
                if !s.is_empty() {
                    id = Some(s.into_owned());
                }
            }
            Col::Field { name, ty } => {
                if let Some(v) = cell(*ty, &s, i, name)? {
                    m.insert(name.clone(), v);
                }
            }
            Col::Rel { rel, fk, ext } => {
                if s.is_empty() {
                } else if s == "#N/A" {
                    m.insert(fk.clone(), Value::Null);
                } else {
                    let mut inner = Map::new();
                    inner.insert(ext.clone(), Value::String(s.into_owned()));
                    m.insert(rel.clone(), Value::Object(inner));
                }
            }
        }
    }
    Ok((m, id))
}

/// An index of live records by external-ID value, for upserts: built on first use, extended
/// with records created since, and checked on every hit.
#[derive(Default)]
struct ExtIndex {
    map: HashMap<String, Vec<String>>,
    last: Option<String>,
    built: bool,
}

impl ExtIndex {
    fn refresh(&mut self, st: &State, object: &str, field: &str) {
        let Some(o) = st.db.obj(object) else {
            return;
        };
        let range = match &self.last {
            Some(last) if self.built => (Bound::Excluded(last.clone()), Bound::Unbounded),
            _ => {
                self.map.clear();
                (Bound::Unbounded, Bound::Unbounded)
            }
        };
        for (id, r) in o.records.range::<String, _>(range) {
            if r.deleted {
                continue;
            }
            if let Some(k) = r.fields.get(field).and_then(match_key) {
                let ids = self.map.entry(k).or_default();
                if !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
        }
        self.last = o.records.keys().next_back().cloned();
        self.built = true;
    }

    /// Live records whose `field` matches `key`; a stale entry forces a full rebuild.
    fn find(&mut self, st: &State, object: &str, field: &str, key: &str) -> Vec<String> {
        let fresh = |ids: &[String]| {
            ids.iter().all(|id| {
                st.db.record(id).is_some_and(|r| {
                    !r.deleted && r.fields.get(field).and_then(match_key).as_deref() == Some(key)
                })
            })
        };
        if let Some(ids) = self.map.get(key)
            && !fresh(ids)
        {
            self.built = false;
            self.refresh(st, object, field);
        }
        self.map.get(key).cloned().unwrap_or_default()
    }

    fn add(&mut self, key: String, id: String) {
        self.map.entry(key).or_default().push(id);
    }
}

type RowResult = Result<(RowKind, String), (SfError, Option<String>)>;

fn cross_reference(e: SfError) -> SfError {
    if e.code == "NOT_FOUND" {
        SfError::bad("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
    } else {
        e
    }
}

fn target_id(raw: Option<String>, op: &str) -> Result<String, (SfError, Option<String>)> {
    let raw = raw.ok_or_else(|| {
        (
            SfError::bad(
                "MISSING_ARGUMENT",
                format!("Id not specified in an {op} call"),
            ),
            None,
        )
    })?;
    ids::normalize(&raw).ok_or_else(|| {
        (
            SfError::bad("MALFORMED_ID", format!("Id: invalid id value: {raw}"))
                .with_fields(["Id"]),
            None,
        )
    })
}

#[allow(clippy::too_many_arguments)]
fn apply_row(
    st: &mut State,
    spec: &Spec,
    cols: &[Col],
    rec: &csv::ByteRecord,
    w: &WriteCtx,
    dups: &HashSet<String>,
    index: &mut ExtIndex,
    is_event: bool,
) -> RowResult {
    let (mut m, raw_id) = row_fields(cols, rec).map_err(|e| (e, None))?;
    let object = spec.object.as_str();
    match spec.operation.as_str() {
        "insert" => {
            if let Some(id) = raw_id {
                m.insert("Id".into(), Value::String(id));
            }
            if is_event {
                let (id, _) = st.db.publish(object, &m, w).map_err(|e| (e, None))?;
                return Ok((RowKind::Created, id));
            }
            let id = st.db.insert(object, &m, w).map_err(|e| (e, None))?;
            Ok((RowKind::Created, id))
        }
        "update" => {
            let id = target_id(raw_id, "update")?;
            st.db
                .update(Some(object), &id, &m, w)
                .map_err(|e| (cross_reference(e), Some(id.clone())))?;
            Ok((RowKind::Succeeded, id))
        }
        "delete" | "hardDelete" => {
            let id = target_id(raw_id, "delete")?;
            let hard = spec.operation == "hardDelete";
            let in_bin = st.db.record(&id).is_some_and(|r| r.deleted);
            if !(hard && in_bin) {
                st.db
                    .delete(Some(object), &id, w)
                    .map_err(|e| (cross_reference(e), Some(id.clone())))?;
            }
            if hard && let Some(o) = st.db.obj_mut(object) {
                o.records.remove(&id);
            }
            Ok((RowKind::Succeeded, id))
        }
        "upsert" => {
            let ext = spec.ext_id.as_deref().unwrap_or("Id");
            if ext.eq_ignore_ascii_case("Id") {
                return match raw_id {
                    None => st
                        .db
                        .insert(object, &m, w)
                        .map(|id| (RowKind::Created, id))
                        .map_err(|e| (e, None)),
                    Some(raw) => {
                        let id = target_id(Some(raw), "upsert")?;
                        st.db
                            .update(Some(object), &id, &m, w)
                            .map_err(|e| (cross_reference(e), Some(id.clone())))?;
                        Ok((RowKind::Succeeded, id))
                    }
                };
            }
            let value = m
                .get(ext)
                .cloned()
                .filter(|v| !v.is_null())
                .ok_or_else(|| {
                    (
                        SfError::bad("MISSING_ARGUMENT", format!("{ext} not specified"))
                            .with_fields([ext.to_owned()]),
                        None,
                    )
                })?;
            let key = match_key(&value).unwrap_or_default();
            if dups.contains(&key) {
                let shown = value.as_str().unwrap_or_default().to_owned();
                return Err((
                    SfError::bad(
                        "DUPLICATE_EXTERNAL_ID",
                        format!("Duplicate external id specified: {shown}"),
                    )
                    .with_fields([ext.to_owned()]),
                    None,
                ));
            }
            let found = index.find(st, object, ext, &key);
            match found.as_slice() {
                [] => {
                    if let Some(id) = raw_id {
                        m.insert("Id".into(), Value::String(id));
                    }
                    let id = st.db.insert(object, &m, w).map_err(|e| (e, None))?;
                    index.add(key, id.clone());
                    Ok((RowKind::Created, id))
                }
                [one] => {
                    let id = one.clone();
                    st.db
                        .update(Some(object), &id, &m, w)
                        .map_err(|e| (e, Some(id.clone())))?;
                    Ok((RowKind::Succeeded, id))
                }
                many => Err((
                    SfError::bad(
                        "DUPLICATE_EXTERNAL_ID",
                        format!(
                            "{ext}: more than one record found for external id field: [{}]",
                            many.join(", ")
                        ),
                    )
                    .with_fields([ext.to_owned()]),
                    None,
                )),
            }
        }
        other => Err((
            SfError::bad("INVALIDJOB", format!("Invalid operation: {other}")),
            None,
        )),
    }
}

/// Apply one step of rows under the state lock.
fn apply_step(
    emu: &SalesforceEmulator,
    spec: &Spec,
    cols: &[Col],
    batch: &[csv::ByteRecord],
    index: &mut ExtIndex,
) -> Vec<(RowOutcome, Option<Box<str>>)> {
    let ext_col = spec.ext_id.as_deref().and_then(|ext| {
        cols.iter()
            .position(|c| matches!(c, Col::Field { name, .. } if name == ext))
    });
    let mut dups = HashSet::new();
    if spec.operation == "upsert"
        && let Some(pos) = ext_col
    {
        let mut seen = HashSet::new();
        for rec in batch {
            if let Some(v) = rec.get(pos).filter(|v| !v.is_empty() && *v != b"#N/A") {
                let key = match_key(&Value::String(String::from_utf8_lossy(v).into_owned()))
                    .unwrap_or_default();
                if !seen.insert(key.clone()) {
                    dups.insert(key);
                }
            }
        }
    }
    let mut st = emu.lock();
    let w = WriteCtx {
        now: st.now(),
        user_id: spec.actor.user_id.clone(),
    };
    let is_event = st.db.obj(&spec.object).is_some_and(|o| o.meta.is_event());
    if spec.operation == "upsert"
        && let Some(ext) = spec.ext_id.as_deref()
        && !ext.eq_ignore_ascii_case("Id")
    {
        index.refresh(&st, &spec.object, ext);
    }
    let mut out = Vec::with_capacity(batch.len());
    for (i, rec) in batch.iter().enumerate() {
        let r = if emu.faults().take(AsyncFault::BulkRowLock) {
            Err((SfError::unable_to_lock_row(None), None))
        } else {
            apply_row(&mut st, spec, cols, rec, &w, &dups, index, is_event)
        };
        out.push(match r {
            Ok((kind, id)) => (RowOutcome::new(kind, Some(&id)), None),
            Err((e, id)) => (
                RowOutcome::new(RowKind::Failed, id.as_deref()),
                Some(sf_error(&e).into_boxed_str()),
            ),
        });
        if (i + 1) % TRANSACTION_ROWS == 0 {
            st.commit(&spec.actor, &spec.origin);
        }
    }
    st.commit(&spec.actor, &spec.origin);
    out
}

/// Process a closed ingest job.
pub(crate) async fn run_ingest(emu: SalesforceEmulator, id: String) {
    let Some(spec) = start(&emu, &id).await else {
        return;
    };
    let started = Instant::now();
    let cfg = emu.config().bulk;
    if emu.faults().take(AsyncFault::BulkJobFailed) {
        finish(&emu, &id, started, Some(INJECTED_FAILURE.to_owned()));
        return;
    }
    if spec.uploads.iter().all(|u| u.bytes == 0) {
        finish(
            &emu,
            &id,
            started,
            Some("ClientInputError : No data was uploaded for this job".to_owned()),
        );
        return;
    }
    let wrong_ending = match spec.line_ending {
        LineEnding::Lf => spec.uploads.iter().any(|u| u.crlf),
        LineEnding::Crlf => spec.uploads.iter().any(|u| u.bare_lf),
    };
    if wrong_ending {
        finish(
            &emu,
            &id,
            started,
            Some(format!(
                "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is {}",
                spec.line_ending.name()
            )),
        );
        return;
    }
    let step = cfg.rows_per_step.max(1);
    let mut row_no: u32 = 0;
    let mut index = ExtIndex::default();
    for upload in &spec.uploads {
        let mut rdr = reader(upload.clone(), spec.delimiter);
        let mut rec = csv::ByteRecord::new();
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                finish(&emu, &id, started, Some(format!("ClientInputError : {e}")));
                return;
            }
        }
        let header: Vec<String> = rec
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let f = if i == 0 { strip_bom(f) } else { f };
                String::from_utf8_lossy(f).trim().to_owned()
            })
            .collect();
        let cols = {
            let mut st = emu.lock();
            analyse(&mut st, &spec, &header)
        };
        let cols = match cols {
            Ok(c) => c,
            Err(msg) => {
                finish(&emu, &id, started, Some(msg));
                return;
            }
        };
        loop {
            let mut batch = Vec::with_capacity(step.min(10_000));
            let mut eof = false;
            while batch.len() < step {
                let mut r = csv::ByteRecord::new();
                match rdr.read_byte_record(&mut r) {
                    Ok(true) => batch.push(r),
                    Ok(false) | Err(_) => {
                        eof = true;
                        break;
                    }
                }
            }
            if batch.is_empty() || !still_running(&emu, &id) {
                break;
            }
            let outcomes = apply_step(&emu, &spec, &cols, &batch, &mut index);
            let n = u32::try_from(outcomes.len()).unwrap_or(u32::MAX);
            let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            let running = emu
                .bulk_store()
                .with(&id, |j| {
                    for (i, (o, e)) in outcomes.into_iter().enumerate() {
                        j.outcomes.push(o);
                        j.processed += 1;
                        if let Some(e) = e {
                            j.failed += 1;
                            let at = row_no.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
                            j.errors.insert(at, e);
                        }
                    }
                    j.processing_ms = ms;
                    j.state == BulkJobState::InProgress
                })
                .unwrap_or(false);
            row_no = row_no.saturating_add(n);
            if !running {
                return;
            }
            if eof {
                break;
            }
            if cfg.step_delay.is_zero() {
                tokio::task::yield_now().await;
            } else {
                tokio::time::sleep(cfg.step_delay).await;
            }
        }
        if !still_running(&emu, &id) {
            return;
        }
    }
    finish(&emu, &id, started, None);
}

// ---- query ------------------------------------------------------------------------------

/// The SELECT list of `soql` as written (top-level commas between `SELECT` and `FROM`).
pub(crate) fn select_list(soql: &str) -> Vec<String> {
    let lower = soql.to_ascii_lowercase();
    let Some(start) = lower.find("select") else {
        return Vec::new();
    };
    let body_start = start + "select".len();
    let bytes = lower.as_bytes();
    let mut depth = 0i32;
    let mut end = soql.len();
    let mut i = body_start;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b'f' if depth == 0
                && lower[i..].starts_with("from")
                && bytes
                    .get(i.wrapping_sub(1))
                    .is_some_and(u8::is_ascii_whitespace)
                && bytes.get(i + 4).is_none_or(u8::is_ascii_whitespace) =>
            {
                end = i;
                break;
            }
            _ => {}
        }
        i += 1;
    }
    let list = soql.get(body_start..end).unwrap_or("");
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in list.chars() {
        match c {
            '(' => {
                depth += 1;
                cur.push(c);
            }
            ')' => {
                depth -= 1;
                cur.push(c);
            }
            ',' if depth == 0 => {
                out.push(cur.trim().to_owned());
                cur.clear();
            }
            _ => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_owned());
    }
    out
}

/// A result column: its header text, the JSON path to its value, whether it is a datetime.
struct Column {
    header: String,
    parts: Vec<String>,
    datetime: bool,
}

fn resolve_columns(st: &State, object: &str, soql: &str) -> Vec<Column> {
    select_list(soql)
        .into_iter()
        .map(|text| {
            let parts: Vec<String> = text.split('.').map(str::to_owned).collect();
            let mut names = Vec::with_capacity(parts.len());
            let mut obj = st.db.obj(object);
            let mut datetime = false;
            for (i, p) in parts.iter().enumerate() {
                let last = i + 1 == parts.len();
                let Some(o) = obj else {
                    names.push(p.clone());
                    continue;
                };
                if last {
                    match o.field(p) {
                        Some(f) => {
                            datetime = f.field_type == FieldType::DateTime;
                            names.push(f.name.clone());
                        }
                        None => names.push(p.clone()),
                    }
                } else {
                    match o.relationship_fk(p) {
                        Some(fk) => {
                            let rel = fk.relationship_name.clone().unwrap_or_else(|| p.clone());
                            obj = fk.reference_to.first().and_then(|t| st.db.obj(t));
                            names.push(rel);
                        }
                        None => {
                            obj = None;
                            names.push(p.clone());
                        }
                    }
                }
            }
            Column {
                header: names.join("."),
                parts,
                datetime,
            }
        })
        .collect()
}

fn get_ci<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    m.get(key).or_else(|| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn column_value<'a>(row: &'a Value, parts: &[String]) -> Option<&'a Value> {
    let mut cur = row;
    for p in parts {
        cur = get_ci(cur.as_object()?, p)?;
    }
    Some(cur)
}

fn write_row(out: &mut Vec<u8>, row: &Value, cols: &[Column], d: u8, eol: &[u8]) {
    for (i, c) in cols.iter().enumerate() {
        if i > 0 {
            out.push(d);
        }
        match column_value(row, &c.parts) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => {
                if c.datetime
                    && let Some(t) = parse_datetime(s)
                {
                    super::csvio::push_field(out, iso_z(t).as_bytes(), d, true);
                } else {
                    super::csvio::push_field(out, s.as_bytes(), d, true);
                }
            }
            Some(Value::Bool(b)) => {
                super::csvio::push_field(out, if *b { b"true" } else { b"false" }, d, true);
            }
            Some(Value::Number(n)) => {
                super::csvio::push_field(out, n.to_string().as_bytes(), d, true);
            }
            Some(other) => super::csvio::push_field(out, other.to_string().as_bytes(), d, true),
        }
    }
    out.extend_from_slice(eol);
}

/// Process a query job: run the SOQL once, keep the rows as CSV with row offsets.
pub(crate) async fn run_query(emu: SalesforceEmulator, id: String) {
    let Some(spec) = start(&emu, &id).await else {
        return;
    };
    let started = Instant::now();
    if emu.faults().take(AsyncFault::BulkJobFailed) {
        finish(&emu, &id, started, Some(INJECTED_FAILURE.to_owned()));
        return;
    }
    let (rows, cols) = {
        let mut st = emu.lock();
        let now = st.now();
        let outcome = soql::parse(&spec.soql)
            .and_then(|q| soql::run(&mut st.db, q, spec.all_rows, now, spec.version));
        let cols = resolve_columns(&st, &spec.object, &spec.soql);
        (outcome, cols)
    };
    let rows = match rows {
        Ok(soql::Outcome::Rows(rows)) => rows,
        Ok(soql::Outcome::Count(_)) => {
            finish(
                &emu,
                &id,
                started,
                Some("InvalidBatch : Aggregate queries are not supported".to_owned()),
            );
            return;
        }
        Err(e) => {
            let e = e.into_sf(&spec.soql);
            finish(
                &emu,
                &id,
                started,
                Some(format!("{}: {}", e.code, e.message)),
            );
            return;
        }
    };
    let d = spec.delimiter.byte();
    let eol = spec.line_ending.bytes();
    let mut header = Vec::new();
    for (i, c) in cols.iter().enumerate() {
        if i > 0 {
            header.push(d);
        }
        super::csvio::push_field(&mut header, c.header.as_bytes(), d, true);
    }
    header.extend_from_slice(eol);
    let mut body = Vec::new();
    let mut offsets = Vec::with_capacity(rows.len() + 1);
    for (i, row) in rows.into_iter().enumerate() {
        offsets.push(body.len() as u64);
        write_row(&mut body, &row, &cols, d, eol);
        if i % 5000 == 4999 {
            tokio::task::yield_now().await;
        }
    }
    offsets.push(body.len() as u64);
    let result = Arc::new(QueryResult {
        header: header.into(),
        body: body.into(),
        offsets,
    });
    let n = result.rows() as u64;
    emu.bulk_store().with(&id, |j| {
        if j.state == BulkJobState::InProgress && j.kind == BulkJobKind::Query {
            j.result = Some(result);
            j.processed = n;
        }
    });
    finish(&emu, &id, started, None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_lists() {
        assert_eq!(
            select_list("SELECT Id, Name ,Account.Name FROM Contact WHERE Name = 'from'"),
            vec!["Id", "Name", "Account.Name"]
        );
        assert_eq!(select_list("select id\nfrom Account"), vec!["id"]);
        assert_eq!(select_list("SELECT COUNT() FROM Account"), vec!["COUNT()"]);
        assert!(select_list("nothing").is_empty());
        assert_eq!(
            select_list("SELECT Fromage__c FROM X__c"),
            vec!["Fromage__c"]
        );
    }

    #[test]
    fn cells_and_errors() {
        assert_eq!(cell(FieldType::String, "", 0, "Name").unwrap(), None);
        assert_eq!(
            cell(FieldType::String, "#N/A", 0, "Name").unwrap(),
            Some(Value::Null)
        );
        assert_eq!(
            cell(FieldType::Boolean, "1", 0, "F").unwrap(),
            Some(Value::Bool(true))
        );
        assert!(cell(FieldType::Date, "2024-05-01Z", 0, "D").is_err());
        assert!(cell(FieldType::Date, "2024-05-01", 0, "D").is_ok());
        assert!(cell(FieldType::DateTime, "2024-05-01T10:00:00.000Z", 0, "D").is_ok());
        assert!(cell(FieldType::DateTime, "2024-05-01T10:00:00+02:00", 0, "D").is_ok());
        assert!(cell(FieldType::DateTime, "2024-05-01T10:00:00", 0, "D").is_err());
        assert!(cell(FieldType::DateTime, "2024-05-01", 0, "D").is_err());
        let e = cell(FieldType::Double, "12x", 2, "Amount__c").unwrap_err();
        assert_eq!(
            sf_error(&e),
            "INVALID_FIELD:Failed to deserialize field at col 3. Due to, '12x' is not a valid value for the type xsd:double:Amount__c --"
        );
        assert_eq!(sf_error(&SfError::bad("X", "m")), "X:m:--");
    }
}
