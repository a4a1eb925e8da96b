//! sObject Collections (`/composite/sobjects`): create (`POST`), update (`PATCH`), delete
//! (`DELETE ?ids=`), retrieve (`GET|POST /{Obj}`) and upsert (`PATCH /{Obj}/{ExtIdField}`)
//! of up to 200 records. The answer is HTTP 200 with one result per record in input order;
//! errors use `statusCode`. With `allOrNone` one failure rolls back the rest, which report
//! `ALL_OR_NONE_OPERATION_ROLLED_BACK`.

use std::collections::HashMap;

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::SfError;
use crate::salesforce::ids;
use crate::salesforce::reply::{Reply, Res};
use crate::salesforce::rest::{Call, Exec};
use crate::salesforce::store::match_key;

const MAX_RECORDS: usize = 200;
const MAX_RETRIEVE_IDS: usize = 2000;

/// One record's outcome.
struct Outcome {
    id: Option<String>,
    created: Option<bool>,
    result: Result<Option<Value>, SfError>,
}

impl Outcome {
    fn ok(id: String, created: Option<bool>, extra_error: Option<Value>) -> Self {
        Self {
            id: Some(id),
            created,
            result: Ok(extra_error),
        }
    }

    fn err(id: Option<String>, e: SfError) -> Self {
        Self {
            id,
            created: None,
            result: Err(e),
        }
    }

    fn json(&self) -> Value {
        match &self.result {
            Ok(info) => {
                let errors: Vec<Value> = info.iter().cloned().collect();
                let mut v = json!({"id": self.id, "success": true, "errors": errors});
                if let Some(c) = self.created {
                    v["created"] = Value::Bool(c);
                }
                v
            }
            Err(e) => {
                let mut v = json!({"success": false, "errors": [e.status_item()]});
                if let Some(id) = &self.id {
                    v["id"] = Value::String(id.clone());
                }
                v
            }
        }
    }
}

fn too_many(n: usize, max: usize) -> SfError {
    SfError::bad(
        "EXCEEDED_ID_LIMIT",
        format!(
            "record limit reached. cannot submit more than {max} records into this call (received {n})"
        ),
    )
}

fn rolled_back() -> SfError {
    SfError::bad(
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "Record rolled back because not all records were valid and the request was using AllOrNone header",
    )
    .with_fields(Vec::<String>::new())
}

/// Run `f` for each item with all-or-none semantics and build the answer.
fn each<T>(
    ex: &mut Exec<'_>,
    items: &[T],
    all_or_none: bool,
    mut f: impl FnMut(&mut Exec<'_>, &T) -> Outcome,
) -> Reply {
    let snapshot = all_or_none.then(|| ex.st.db.clone());
    let mut outcomes: Vec<Outcome> = items.iter().map(|it| f(ex, it)).collect();
    if let Some(snapshot) = snapshot
        && outcomes.iter().any(|o| o.result.is_err())
    {
        ex.st.db.restore(snapshot);
        for o in &mut outcomes {
            if o.result.is_ok() {
                o.result = Err(rolled_back());
                o.created = None;
            }
        }
    }
    Reply::ok(Value::Array(outcomes.iter().map(Outcome::json).collect()))
}

fn records(body: &Map<String, Value>) -> Result<&Vec<Value>, SfError> {
    body.get("records")
        .and_then(Value::as_array)
        .ok_or_else(|| SfError::bad("INVALID_INPUT", "records is required and must be an array"))
}

fn type_of(rec: &Value) -> Option<&str> {
    rec.get("attributes")?.get("type")?.as_str()
}

fn record_fields(rec: &Value) -> Map<String, Value> {
    rec.as_object().cloned().unwrap_or_default()
}

fn resolve_type(ex: &mut Exec<'_>, rec: &Value) -> Result<String, SfError> {
    let t = type_of(rec).ok_or_else(|| {
        SfError::bad("INVALID_TYPE", "Must send a concrete entity type.")
            .with_fields(Vec::<String>::new())
    })?;
    ex.st.db.resolve(t).ok_or_else(|| {
        SfError::bad(
            "INVALID_TYPE",
            format!("sObject type '{t}' is not supported."),
        )
        .with_fields(Vec::<String>::new())
    })
}

fn create_one(ex: &mut Exec<'_>, rec: &Value) -> Outcome {
    let obj = match resolve_type(ex, rec) {
        Ok(o) => o,
        Err(e) => return Outcome::err(None, e),
    };
    let mut fields = record_fields(rec);
    if fields.keys().any(|k| k.eq_ignore_ascii_case("id")) {
        return Outcome::err(
            None,
            SfError::bad(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                "cannot specify Id in an insert call",
            )
            .with_fields(["Id"]),
        );
    }
    fields.remove("attributes");
    let w = ex.w();
    if ex.st.db.obj(&obj).is_some_and(|o| o.meta.is_event()) {
        return match ex.st.db.publish(&obj, &fields, &w) {
            Ok((id, uuid)) => Outcome::ok(
                id,
                None,
                Some(json!({"statusCode": "OPERATION_ENQUEUED", "message": uuid, "fields": []})),
            ),
            Err(e) => Outcome::err(None, e),
        };
    }
    match ex.st.db.insert(&obj, &fields, &w) {
        Ok(id) => Outcome::ok(id, None, None),
        Err(e) => Outcome::err(None, e),
    }
}

fn update_one(ex: &mut Exec<'_>, rec: &Value) -> Outcome {
    let mut fields = record_fields(rec);
    let raw_id = fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("id"))
        .and_then(|(_, v)| v.as_str())
        .map(str::to_owned);
    let Some(raw_id) = raw_id else {
        return Outcome::err(
            None,
            SfError::bad("MISSING_ARGUMENT", "Id not specified in an update call")
                .with_fields(Vec::<String>::new()),
        );
    };
    let Some(id) = ids::normalize(&raw_id) else {
        return Outcome::err(
            Some(raw_id.clone()),
            SfError::bad("MALFORMED_ID", format!("malformed id {raw_id}"))
                .with_fields(Vec::<String>::new()),
        );
    };
    let obj = match resolve_type(ex, rec) {
        Ok(o) => o,
        Err(e) => return Outcome::err(Some(id), e),
    };
    fields.retain(|k, _| k != "attributes" && !k.eq_ignore_ascii_case("id"));
    let w = ex.w();
    match ex.st.db.update(Some(&obj), &id, &fields, &w) {
        Ok(()) => Outcome::ok(id, None, None),
        Err(e) if e.code == "NOT_FOUND" => Outcome::err(Some(id), SfError::entity_is_deleted()),
        Err(e) => Outcome::err(Some(id), e),
    }
}

fn delete_one(ex: &mut Exec<'_>, raw: &String) -> Outcome {
    let Some(id) = ids::normalize(raw) else {
        return Outcome::err(
            Some(raw.clone()),
            SfError::bad("MALFORMED_ID", format!("malformed id {raw}"))
                .with_fields(Vec::<String>::new()),
        );
    };
    let w = ex.w();
    match ex.st.db.delete(None, &id, &w) {
        Ok(()) => Outcome::ok(id, None, None),
        Err(_) => Outcome::err(Some(id), SfError::entity_is_deleted()),
    }
}

pub(super) fn handle(ex: &mut Exec<'_>, call: &Call) -> Res {
    let rest: Vec<&str> = call.segs.iter().skip(2).map(String::as_str).collect();
    match (rest.as_slice(), &call.method) {
        ([], &Method::POST) | ([], &Method::PATCH) => {
            let body = call.json_object()?;
            let recs = records(body)?;
            if recs.len() > MAX_RECORDS {
                return Err(too_many(recs.len(), MAX_RECORDS));
            }
            let all = call.all_or_none
                || body
                    .get("allOrNone")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
            Ok(if call.method == Method::POST {
                each(ex, recs, all, create_one)
            } else {
                each(ex, recs, all, update_one)
            })
        }
        ([], &Method::DELETE) => {
            let ids: Vec<String> = call
                .param("ids")
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            if ids.is_empty() {
                return Err(SfError::bad(
                    "MISSING_ARGUMENT",
                    "ids parameter is required",
                ));
            }
            if ids.len() > MAX_RECORDS {
                return Err(too_many(ids.len(), MAX_RECORDS));
            }
            let all = call.all_or_none
                || call
                    .param("allOrNone")
                    .is_some_and(|v| v.eq_ignore_ascii_case("true"));
            Ok(each(ex, &ids, all, delete_one))
        }
        ([obj], &Method::GET) | ([obj], &Method::POST) => retrieve(ex, call, obj),
        ([obj, field], &Method::PATCH) => upsert(ex, call, obj, field),
        ([], _) => Err(SfError::method_not_allowed(
            call.method.as_str(),
            "POST,PATCH,DELETE",
        )),
        ([_], _) => Err(SfError::method_not_allowed(
            call.method.as_str(),
            "GET,POST",
        )),
        ([_, _], _) => Err(SfError::method_not_allowed(call.method.as_str(), "PATCH")),
        _ => Err(SfError::not_found()),
    }
}

fn retrieve(ex: &mut Exec<'_>, call: &Call, obj: &str) -> Res {
    let obj = ex.st.db.resolve(obj).ok_or_else(SfError::not_found)?;
    let (ids, fields): (Vec<String>, Vec<String>) = if call.method == Method::GET {
        let split = |s: Option<&str>| -> Vec<String> {
            s.unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        (split(call.param("ids")), split(call.param("fields")))
    } else {
        let body = call.json_object()?;
        let list = |k: &str| -> Vec<String> {
            body.get(k)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        (list("ids"), list("fields"))
    };
    if ids.is_empty() || fields.is_empty() {
        return Err(SfError::bad(
            "MISSING_ARGUMENT",
            "ids and fields are required",
        ));
    }
    if ids.len() > MAX_RETRIEVE_IDS {
        return Err(too_many(ids.len(), MAX_RETRIEVE_IDS));
    }
    let o = ex.st.db.obj_mut(&obj).ok_or_else(SfError::not_found)?;
    let mut names = Vec::with_capacity(fields.len());
    for f in &fields {
        names.push(
            o.field_or_define(f, None)
                .ok_or_else(|| SfError::no_such_column(f, &obj))?
                .name,
        );
    }
    let o = ex.st.db.obj(&obj).ok_or_else(SfError::not_found)?;
    let out: Vec<Value> = ids
        .iter()
        .map(|raw| {
            ids::normalize(raw)
                .and_then(|id| o.records.get(&id))
                .filter(|r| !r.deleted)
                .map_or(Value::Null, |r| o.record_json(r, ex.version, Some(&names)))
        })
        .collect();
    Ok(Reply::ok(Value::Array(out)))
}

fn upsert(ex: &mut Exec<'_>, call: &Call, obj: &str, field: &str) -> Res {
    let obj = ex.st.db.resolve(obj).ok_or_else(SfError::not_found)?;
    let f = ex
        .st
        .db
        .obj_mut(&obj)
        .and_then(|o| o.external_id_field(field))
        .filter(|f| !f.name.eq_ignore_ascii_case("Id"))
        .ok_or_else(|| SfError::external_id_field_missing(field))?;
    let body = call.json_object()?;
    let recs = records(body)?;
    if recs.len() > MAX_RECORDS {
        return Err(too_many(recs.len(), MAX_RECORDS));
    }
    let all = call.all_or_none
        || body
            .get("allOrNone")
            .and_then(Value::as_bool)
            .unwrap_or(false);
    // External ID values given more than once in the request.
    let mut counts: HashMap<String, usize> = HashMap::new();
    for r in recs {
        if let Some(k) = ext_value(r, &f.name).as_ref().and_then(match_key) {
            *counts.entry(k).or_insert(0) += 1;
        }
    }
    let name = f.name.clone();
    Ok(each(ex, recs, all, |ex, rec| {
        let Some(value) = ext_value(rec, &name) else {
            return Outcome::err(
                None,
                SfError::bad("MISSING_ARGUMENT", format!("{name} not specified"))
                    .with_fields([name.clone()]),
            );
        };
        let shown = value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_owned);
        if match_key(&value).is_some_and(|k| counts.get(&k).copied().unwrap_or(0) > 1) {
            return Outcome::err(
                None,
                SfError::bad(
                    "DUPLICATE_EXTERNAL_ID",
                    format!("Duplicate external id specified: {shown}"),
                )
                .with_fields([name.clone()]),
            );
        }
        if type_of(rec).is_some_and(|t| !t.eq_ignore_ascii_case(&obj)) {
            return Outcome::err(
                None,
                SfError::bad("INVALID_TYPE", format!("Records must be of type {obj}"))
                    .with_fields(Vec::<String>::new()),
            );
        }
        let mut fields = record_fields(rec);
        fields.remove("attributes");
        let w = ex.w();
        let matches = ex.st.db.find_by(&obj, &name, &value);
        match matches.as_slice() {
            [] => match ex.st.db.insert(&obj, &fields, &w) {
                Ok(id) => Outcome::ok(id, Some(true), None),
                Err(e) => Outcome::err(None, e),
            },
            [id] => {
                fields.retain(|k, _| !k.eq_ignore_ascii_case(&name));
                match ex.st.db.update(Some(&obj), id, &fields, &w) {
                    Ok(()) => Outcome::ok(id.clone(), Some(false), None),
                    Err(e) => Outcome::err(Some(id.clone()), e),
                }
            }
            many => Outcome::err(
                None,
                SfError::bad(
                    "DUPLICATE_EXTERNAL_ID",
                    format!(
                        "{name}: more than one record found for external id field: [{}]",
                        many.join(", ")
                    ),
                )
                .with_fields([name.clone()]),
            ),
        }
    }))
}

fn ext_value(rec: &Value, field: &str) -> Option<Value> {
    rec.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(field))
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_null())
}
