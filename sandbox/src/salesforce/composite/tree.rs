//! `POST /composite/tree/{Obj}`: records with nested child records (up to 200 in all, five
//! levels), inserted in one transaction. 201 with every `{referenceId, id}`, or 400 with
//! `hasErrors: true` and the failing references, nothing written.

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::SfError;
use crate::salesforce::reply::{Reply, Res};
use crate::salesforce::rest::{Call, Exec};
use crate::salesforce::schema::FieldType;

const MAX_RECORDS: usize = 200;
const MAX_DEPTH: usize = 5;

fn count(recs: &[Value], depth: usize, max_depth: &mut usize) -> usize {
    *max_depth = (*max_depth).max(depth);
    recs.iter()
        .map(|r| {
            1 + r
                .as_object()
                .map(|m| {
                    m.values()
                        .filter_map(|v| v.get("records").and_then(Value::as_array))
                        .map(|c| count(c, depth + 1, max_depth))
                        .sum::<usize>()
                })
                .unwrap_or(0)
        })
        .sum()
}

struct Tree<'e, 'a> {
    ex: &'e mut Exec<'a>,
    results: Vec<Value>,
    errors: Vec<Value>,
}

impl Tree<'_, '_> {
    fn fail(&mut self, reference_id: &str, e: &SfError) {
        self.errors
            .push(json!({"referenceId": reference_id, "errors": [e.status_item()]}));
    }

    /// The foreign key on `child` that points to `parent`.
    fn foreign_key(&self, child: &str, parent: &str) -> Option<String> {
        let o = self.ex.st.db.obj(child)?;
        o.meta
            .fields
            .iter()
            .find(|f| {
                f.reference_to
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(parent))
                    && !matches!(
                        f.name.as_str(),
                        "CreatedById" | "LastModifiedById" | "OwnerId"
                    )
            })
            .or_else(|| {
                o.field(&format!("{parent}Id"))
                    .or_else(|| o.field(parent))
                    .filter(|f| {
                        matches!(
                            f.field_type,
                            FieldType::Reference | FieldType::Id | FieldType::TextArea
                        )
                    })
            })
            .map(|f| f.name.clone())
    }

    fn insert(&mut self, expected: &str, rec: &Value, parent: Option<(&str, &str)>) {
        let reference_id = rec
            .get("attributes")
            .and_then(|a| a.get("referenceId"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let Some(m) = rec.as_object() else {
            self.fail(
                &reference_id,
                &SfError::bad("INVALID_INPUT", "a record must be an object"),
            );
            return;
        };
        if reference_id.is_empty() {
            self.fail(
                "",
                &SfError::bad("INVALID_INPUT", "attributes.referenceId is required"),
            );
            return;
        }
        let t = rec
            .get("attributes")
            .and_then(|a| a.get("type"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let obj = match self.ex.st.db.resolve(t) {
            Some(o) if o.eq_ignore_ascii_case(expected) || expected.is_empty() => o,
            _ => {
                self.fail(
                    &reference_id,
                    &SfError::bad(
                        "INVALID_TYPE",
                        format!("Record type '{t}' does not match the expected type {expected}"),
                    ),
                );
                return;
            }
        };
        let mut fields = Map::new();
        let mut children = Vec::new();
        for (k, v) in m {
            if k == "attributes" {
                continue;
            }
            match v.get("records").and_then(Value::as_array) {
                Some(list) if v.is_object() => children.push(list.clone()),
                _ => {
                    fields.insert(k.clone(), v.clone());
                }
            }
        }
        if let Some((parent_obj, parent_id)) = parent {
            match self.foreign_key(&obj, parent_obj) {
                Some(fk) => {
                    fields.insert(fk, Value::String(parent_id.to_owned()));
                }
                None => {
                    self.fail(
                        &reference_id,
                        &SfError::bad(
                            "INVALID_FIELD",
                            format!("No relationship from {obj} to {parent_obj}"),
                        ),
                    );
                    return;
                }
            }
        }
        let w = self.ex.w();
        match self.ex.st.db.insert(&obj, &fields, &w) {
            Ok(id) => {
                self.results
                    .push(json!({"referenceId": reference_id, "id": id}));
                for list in children {
                    for child in &list {
                        self.insert("", child, Some((&obj, &id)));
                    }
                }
            }
            Err(e) => self.fail(&reference_id, &e),
        }
    }
}

pub(super) fn run(ex: &mut Exec<'_>, call: &Call, obj: &str) -> Res {
    if call.method != Method::POST {
        return Err(SfError::method_not_allowed(call.method.as_str(), "POST"));
    }
    let obj = ex.st.db.resolve(obj).ok_or_else(SfError::not_found)?;
    let body = call.json_object()?;
    let recs = body
        .get("records")
        .and_then(Value::as_array)
        .ok_or_else(|| SfError::bad("INVALID_INPUT", "records is required and must be an array"))?;
    let mut depth = 0;
    let total = count(recs, 1, &mut depth);
    if total > MAX_RECORDS {
        return Err(SfError::bad(
            "LIMIT_EXCEEDED",
            format!("The request contains {total} records; the limit is {MAX_RECORDS}"),
        ));
    }
    if depth > MAX_DEPTH {
        return Err(SfError::bad(
            "LIMIT_EXCEEDED",
            format!("The request is {depth} levels deep; the limit is {MAX_DEPTH}"),
        ));
    }
    let snapshot = ex.st.db.clone();
    let mut tree = Tree {
        ex,
        results: Vec::new(),
        errors: Vec::new(),
    };
    for r in recs {
        tree.insert(&obj, r, None);
    }
    let Tree {
        ex,
        results,
        errors,
    } = tree;
    if errors.is_empty() {
        Ok(Reply::json(
            StatusCode::CREATED,
            json!({"hasErrors": false, "results": results}),
        ))
    } else {
        ex.st.db.restore(snapshot);
        Ok(Reply::json(
            StatusCode::BAD_REQUEST,
            json!({"hasErrors": true, "results": errors}),
        ))
    }
}
