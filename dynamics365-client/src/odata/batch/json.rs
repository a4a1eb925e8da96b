//! The JSON batch format (OData 4.01 §19; Business Central): `{"requests":[…]}` answered by
//! `{"responses":[…]}`, matched by `id`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{InnerAnswer, PartResponse, Unit};
use crate::error::{Error, Result};

#[derive(Serialize)]
struct Request<'a> {
    id: &'a str,
    method: &'a str,
    url: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    headers: BTreeMap<String, &'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<Value>,
    #[serde(rename = "atomicityGroup", skip_serializing_if = "Option::is_none")]
    atomicity_group: Option<String>,
    #[serde(rename = "dependsOn", skip_serializing_if = "Vec::is_empty")]
    depends_on: Vec<&'a str>,
}

#[derive(Serialize)]
struct Requests<'a> {
    requests: Vec<Request<'a>>,
}

/// The batch body for `units`: changesets become atomicity groups `g1`, `g2`, ….
pub(crate) fn build(units: &[&Unit]) -> Result<Vec<u8>> {
    let mut requests = Vec::new();
    let mut group = 0;
    for unit in units {
        let atomicity_group = match unit {
            Unit::Single(_) => None,
            Unit::Changeset(_) => {
                group += 1;
                Some(format!("g{group}"))
            }
        };
        for part in unit.parts() {
            let body = part
                .body
                .as_deref()
                .map(serde_json::from_slice::<Value>)
                .transpose()
                .map_err(|e| Error::invalid("request body", e.to_string()))?;
            requests.push(Request {
                id: &part.id,
                method: part.method.as_str(),
                url: &part.url,
                headers: part
                    .headers
                    .iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str()))
                    .collect(),
                body,
                atomicity_group: atomicity_group.clone(),
                depends_on: part.depends_on.iter().map(String::as_str).collect(),
            });
        }
    }
    serde_json::to_vec(&Requests { requests })
        .map_err(|e| Error::invalid("request body", e.to_string()))
}

#[derive(Deserialize)]
pub(crate) struct Wire {
    #[serde(default)]
    responses: Vec<WireResponse>,
}

#[derive(Deserialize)]
struct WireResponse {
    id: String,
    status: u16,
    #[serde(default)]
    headers: BTreeMap<String, Value>,
    #[serde(default)]
    body: Option<Value>,
}

/// The answers of a JSON batch, by id.
pub(crate) fn into_answers(wire: Wire) -> Vec<PartResponse> {
    wire.responses
        .into_iter()
        .map(|r| {
            let headers: Vec<(String, String)> = r
                .headers
                .into_iter()
                .map(|(k, v)| {
                    let text = match v {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, text)
                })
                .collect();
            let is_json = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                .is_none_or(|(_, v)| v.contains("json"));
            let body = match r.body {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::String(text)) if !is_json => text.into_bytes(),
                Some(value) => serde_json::to_vec(&value).unwrap_or_default(),
            };
            PartResponse::from_answer(
                r.id.clone(),
                InnerAnswer {
                    id: Some(r.id),
                    status: r.status,
                    headers,
                    body,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::PartRequest;
    use super::*;
    use reqwest::Method;

    #[test]
    fn request_shape() {
        let get = Unit::Single(PartRequest {
            id: "1".into(),
            method: Method::GET,
            url: "companies(1)/customers?$top=1".into(),
            headers: vec![("Accept".into(), "application/json".into())],
            body: None,
            idempotent: true,
            depends_on: vec![],
        });
        let changeset = Unit::Changeset(vec![
            PartRequest {
                id: "2".into(),
                method: Method::POST,
                url: "companies(1)/salesOrders".into(),
                headers: vec![("Content-Type".into(), "application/json".into())],
                body: Some(br#"{"customerNumber":"10000"}"#.to_vec()),
                idempotent: false,
                depends_on: vec![],
            },
            PartRequest {
                id: "3".into(),
                method: Method::POST,
                url: "$2/salesOrderLines".into(),
                headers: vec![("Content-Type".into(), "application/json".into())],
                body: Some(br#"{"quantity":2}"#.to_vec()),
                idempotent: false,
                depends_on: vec!["2".into()],
            },
        ]);
        let body: Value = serde_json::from_slice(&build(&[&get, &changeset]).unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"requests": [
                {"id": "1", "method": "GET", "url": "companies(1)/customers?$top=1", "headers": {"accept": "application/json"}},
                {"id": "2", "method": "POST", "url": "companies(1)/salesOrders", "headers": {"content-type": "application/json"},
                 "body": {"customerNumber": "10000"}, "atomicityGroup": "g1"},
                {"id": "3", "method": "POST", "url": "$2/salesOrderLines", "headers": {"content-type": "application/json"},
                 "body": {"quantity": 2}, "atomicityGroup": "g1", "dependsOn": ["2"]}
            ]})
        );
    }

    #[test]
    fn answers_keep_status_headers_and_body() {
        let wire: Wire = serde_json::from_value(serde_json::json!({"responses": [
            {"id": "1", "status": 201, "headers": {"location": "x", "odata-version": "4.0"}, "body": {"a": 1}},
            {"id": "2", "status": 400, "body": {"error": {"code": "BadRequest", "message": "no"}}},
            {"id": "3", "status": 204}
        ]}))
        .unwrap();
        let answers = into_answers(wire);
        assert_eq!(answers[0].status(), Some(201));
        assert_eq!(answers[0].header("Location"), Some("x"));
        assert_eq!(answers[0].json::<Value>().unwrap()["a"], 1);
        assert_eq!(answers[1].error().unwrap().code(), Some("BadRequest"));
        assert!(answers[2].is_success());
    }
}
