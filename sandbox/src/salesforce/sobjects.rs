//! `/sobjects`: describe, create (and platform event publish), read with `fields`, update,
//! delete, get/upsert/delete by external ID, parent records by relationship name, and
//! updated/deleted since.

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::describe;
use super::errors::SfError;
use super::ids;
use super::reply::{Reply, Res};
use super::rest::{Call, Exec};
use super::util::{parse_datetime, sf_datetime};

fn not_allowed(call: &Call, allowed: &str) -> SfError {
    SfError::method_not_allowed(call.method.as_str(), allowed)
}

/// The canonical name of object `name` (creating an undeclared custom object or event).
pub(crate) fn object_name(ex: &mut Exec<'_>, name: &str) -> Result<String, SfError> {
    ex.st.db.resolve(name).ok_or_else(SfError::not_found)
}

pub(crate) fn handle(ex: &mut Exec<'_>, call: &Call) -> Res {
    let segs: Vec<&str> = call.segs.iter().map(String::as_str).collect();
    match segs.as_slice() {
        ["sobjects"] => {
            if call.method != Method::GET {
                return Err(not_allowed(call, "GET,HEAD"));
            }
            Ok(Reply::ok(describe::global(&ex.st.db, ex.version)))
        }
        ["sobjects", obj] => {
            let obj = object_name(ex, obj)?;
            match call.method {
                Method::GET => {
                    let o = ex.st.db.obj(&obj).ok_or_else(SfError::not_found)?;
                    Ok(Reply::ok(describe::basic(o, ex.version)))
                }
                Method::POST => create(ex, &obj, call.json_object()?),
                _ => Err(not_allowed(call, "GET,HEAD,POST")),
            }
        }
        ["sobjects", obj, "describe"] => {
            let obj = object_name(ex, obj)?;
            if call.method != Method::GET {
                return Err(not_allowed(call, "GET,HEAD"));
            }
            let o = ex.st.db.obj(&obj).ok_or_else(SfError::not_found)?;
            Ok(Reply::ok(describe::object(&ex.st.db, o, ex.version)))
        }
        ["sobjects", obj, kind @ ("updated" | "deleted")] => {
            let obj = object_name(ex, obj)?;
            if call.method != Method::GET {
                return Err(not_allowed(call, "GET,HEAD"));
            }
            changed_since(ex, &obj, call, *kind == "deleted")
        }
        ["sobjects", obj, "Id"] if call.method == Method::POST => {
            let obj = object_name(ex, obj)?;
            create(ex, &obj, call.json_object()?)
        }
        ["sobjects", obj, id] => {
            let obj = object_name(ex, obj)?;
            let id = record_id(ex, &obj, id)?;
            match call.method {
                Method::GET => get(ex, &obj, &id, call),
                Method::PATCH => {
                    let w = ex.w();
                    let body = call.json_object()?;
                    ex.st.db.update(Some(&obj), &id, body, &w)?;
                    Ok(Reply::no_content())
                }
                Method::DELETE => {
                    let w = ex.w();
                    ex.st.db.delete(Some(&obj), &id, &w)?;
                    Ok(Reply::no_content())
                }
                _ => Err(not_allowed(call, "GET,PATCH,HEAD,DELETE")),
            }
        }
        ["sobjects", obj, second, third] => {
            let obj = object_name(ex, obj)?;
            let prefix = ex
                .st
                .db
                .obj(&obj)
                .map(|o| o.prefix.clone())
                .unwrap_or_default();
            if let Some(id) = ids::normalize(second).filter(|i| i.starts_with(&prefix))
                && call.method == Method::GET
                && !second.eq_ignore_ascii_case("Id")
            {
                return related(ex, &obj, &id, third, call);
            }
            by_external_id(ex, &obj, second, third, call)
        }
        _ => Err(SfError::not_found()),
    }
}

/// A record id of `obj` from a path segment, or the error Salesforce gives.
fn record_id(ex: &Exec<'_>, obj: &str, seg: &str) -> Result<String, SfError> {
    let prefix = ex
        .st
        .db
        .obj(obj)
        .map(|o| o.prefix.clone())
        .unwrap_or_default();
    match ids::normalize(seg) {
        Some(id) if id.starts_with(&prefix) => Ok(id),
        Some(_) => Err(SfError::not_found()),
        None => Err(SfError::external_id_field_missing(seg)),
    }
}

fn created_reply(ex: &Exec<'_>, obj: &str, id: &str, created: Option<bool>) -> Reply {
    let mut body = json!({"id": id, "success": true, "errors": []});
    if let Some(c) = created {
        body["created"] = Value::Bool(c);
    }
    Reply::created(body).header(
        "Location",
        format!("/services/data/v{}.0/sobjects/{obj}/{id}", ex.version),
    )
}

/// Create a record, or publish a platform event.
pub(crate) fn create(ex: &mut Exec<'_>, obj: &str, body: &Map<String, Value>) -> Res {
    let w = ex.w();
    let is_event = ex.st.db.obj(obj).is_some_and(|o| o.meta.is_event());
    if is_event {
        let (id, uuid) = ex.st.db.publish(obj, body, &w)?;
        return Ok(Reply::created(json!({
            "id": id,
            "success": true,
            "errors": [{"statusCode": "OPERATION_ENQUEUED", "message": uuid, "fields": []}],
        })));
    }
    let id = ex.st.db.insert(obj, body, &w)?;
    Ok(created_reply(ex, obj, &id, None))
}

/// The `fields` parameter, resolved to canonical names.
fn field_list(ex: &mut Exec<'_>, obj: &str, call: &Call) -> Result<Option<Vec<String>>, SfError> {
    let Some(list) = call.param("fields") else {
        return Ok(None);
    };
    let o = ex.st.db.obj_mut(obj).ok_or_else(SfError::not_found)?;
    let mut out = Vec::new();
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let f = o
            .field_or_define(name, None)
            .ok_or_else(|| SfError::no_such_column(name, obj))?;
        out.push(f.name);
    }
    Ok(Some(out))
}

fn get(ex: &mut Exec<'_>, obj: &str, id: &str, call: &Call) -> Res {
    let fields = field_list(ex, obj, call)?;
    let o = ex.st.db.obj(obj).ok_or_else(SfError::not_found)?;
    let rec = o
        .records
        .get(id)
        .filter(|r| !r.deleted)
        .ok_or_else(SfError::not_found)?;
    Ok(Reply::ok(o.record_json(rec, ex.version, fields.as_deref())))
}

/// `GET /sobjects/Contact/{id}/Account`: the parent record.
fn related(ex: &mut Exec<'_>, obj: &str, id: &str, rel: &str, call: &Call) -> Res {
    let o = ex.st.db.obj(obj).ok_or_else(SfError::not_found)?;
    let rec = o
        .records
        .get(id)
        .filter(|r| !r.deleted)
        .ok_or_else(SfError::not_found)?;
    let fk = o.relationship_fk(rel).ok_or_else(SfError::not_found)?;
    let parent_id = rec
        .fields
        .get(&fk.name)
        .and_then(Value::as_str)
        .ok_or_else(SfError::not_found)?
        .to_owned();
    let parent_obj = ex
        .st
        .db
        .object_of_id(&parent_id)
        .map(|p| p.meta.name.clone())
        .ok_or_else(SfError::not_found)?;
    get(ex, &parent_obj, &parent_id, call)
}

fn urls_of(ex: &Exec<'_>, obj: &str, ids: &[String]) -> Value {
    Value::Array(
        ids.iter()
            .map(|id| {
                Value::String(format!(
                    "/services/data/v{}.0/sobjects/{obj}/{id}",
                    ex.version
                ))
            })
            .collect(),
    )
}

fn by_external_id(ex: &mut Exec<'_>, obj: &str, field: &str, value: &str, call: &Call) -> Res {
    if field.eq_ignore_ascii_case("Id") {
        return by_id_field(ex, obj, value, call);
    }
    let f = ex
        .st
        .db
        .obj_mut(obj)
        .and_then(|o| o.external_id_field(field))
        .ok_or_else(|| SfError::external_id_field_missing(field))?;
    let key = Value::String(value.to_owned());
    let matches = ex.st.db.find_by(obj, &f.name, &key);
    if matches.len() > 1 {
        return Ok(Reply::json(
            StatusCode::MULTIPLE_CHOICES,
            urls_of(ex, obj, &matches),
        ));
    }
    let found = matches.first().cloned();
    match call.method {
        Method::GET => get(ex, obj, &found.ok_or_else(SfError::not_found)?, call),
        Method::DELETE => {
            let id = found.ok_or_else(SfError::not_found)?;
            let w = ex.w();
            ex.st.db.delete(Some(obj), &id, &w)?;
            Ok(Reply::no_content())
        }
        Method::PATCH | Method::POST => {
            let mut body = call.json_object()?.clone();
            if let Some((k, v)) = body.iter().find(|(k, _)| k.eq_ignore_ascii_case(&f.name))
                && super::store::match_key(v) != super::store::match_key(&key)
            {
                return Err(SfError::bad(
                    "INVALID_FIELD",
                    format!("The value of {k} in the request body does not match the external ID value in the URL"),
                )
                .with_fields([f.name.clone()]));
            }
            body.retain(|k, _| !k.eq_ignore_ascii_case(&f.name));
            upsert(ex, obj, &f.name, key, found, body, call)
        }
        _ => Err(not_allowed(call, "GET,PATCH,HEAD,DELETE")),
    }
}

/// Upsert outcome: create (201, `created:true`) or update (200 with body, or 204 before
/// the configured version).
fn upsert(
    ex: &mut Exec<'_>,
    obj: &str,
    field: &str,
    value: Value,
    found: Option<String>,
    mut body: Map<String, Value>,
    call: &Call,
) -> Res {
    let w = ex.w();
    match found {
        Some(id) => {
            ex.st.db.update(Some(obj), &id, &body, &w)?;
            Ok(updated_reply(ex, &id))
        }
        None => {
            if call
                .param("updateOnly")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
            {
                return Err(SfError::not_found());
            }
            body.insert(field.to_owned(), value);
            let id = ex.st.db.insert(obj, &body, &w)?;
            Ok(created_reply(ex, obj, &id, Some(true)))
        }
    }
}

fn updated_reply(ex: &Exec<'_>, id: &str) -> Reply {
    if ex.version >= ex.st.config.upsert_update_body_since {
        Reply::ok(json!({"id": id, "success": true, "errors": [], "created": false}))
    } else {
        Reply::no_content()
    }
}

/// `…/sobjects/Obj/Id/{id}`: get, delete, or upsert keyed by the record id.
fn by_id_field(ex: &mut Exec<'_>, obj: &str, value: &str, call: &Call) -> Res {
    let id = record_id(ex, obj, value).map_err(|_| SfError::not_found())?;
    match call.method {
        Method::GET => get(ex, obj, &id, call),
        Method::DELETE => {
            let w = ex.w();
            ex.st.db.delete(Some(obj), &id, &w)?;
            Ok(Reply::no_content())
        }
        Method::PATCH => {
            let body = call.json_object()?.clone();
            let w = ex.w();
            ex.st.db.update(Some(obj), &id, &body, &w)?;
            Ok(updated_reply(ex, &id))
        }
        _ => Err(not_allowed(call, "GET,PATCH,HEAD,DELETE")),
    }
}

fn changed_since(ex: &mut Exec<'_>, obj: &str, call: &Call, deleted: bool) -> Res {
    let bound = |name: &str| {
        call.param(name).and_then(parse_datetime).ok_or_else(|| {
            SfError::bad(
                "MALFORMED_QUERY",
                format!("The '{name}' parameter is required and must be a valid dateTime"),
            )
        })
    };
    let (start, end) = (bound("start")?, bound("end")?);
    if end < start {
        return Err(SfError::bad(
            "INVALID_REPLICATION_DATE",
            "end date is before start date",
        ));
    }
    let o = ex.st.db.obj(obj).ok_or_else(SfError::not_found)?;
    if deleted {
        let rows: Vec<Value> = o
            .records
            .values()
            .filter_map(|r| {
                r.deleted_at
                    .filter(|t| *t >= start && *t <= end)
                    .map(|t| (r, t))
            })
            .map(|(r, t)| json!({"id": r.id, "deletedDate": sf_datetime(t)}))
            .collect();
        let earliest = o
            .records
            .values()
            .filter_map(|r| r.deleted_at)
            .min()
            .unwrap_or(start);
        Ok(Reply::ok(json!({
            "deletedRecords": rows,
            "earliestDateAvailable": sf_datetime(earliest),
            "latestDateCovered": sf_datetime(end),
        })))
    } else {
        let ids: Vec<&str> = o
            .live()
            .filter(|r| r.modified >= start && r.modified <= end)
            .map(|r| r.id.as_str())
            .collect();
        Ok(Reply::ok(
            json!({"ids": ids, "latestDateCovered": sf_datetime(end)}),
        ))
    }
}
