//! JSON batches (OData JSON Format 4.01 §19): `{"requests":[{"id","method","url","headers",
//! "body","atomicityGroup","dependsOn"}]}` → `{"responses":[{"id","status","headers","body"}]}`.
//!
//! Requests of one `atomicityGroup` must be adjacent and run as one unit. `dependsOn` names
//! earlier request or group ids (a forward reference is refused, as the OData library does);
//! a request whose dependency failed is not run and answers 424. A URL starting with `$<id>`
//! is resolved to the entity an earlier request created.

use std::collections::{HashMap, HashSet};

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde_json::{Map, Value, json};

use super::{Base, Executor, entity_location, part_request, substitute};
use crate::dynamics::error::ApiError;
use crate::dynamics::http::{Body, Resp};

#[derive(Clone, Debug)]
struct Request {
    id: String,
    method: Method,
    url: String,
    headers: HeaderMap,
    body: Vec<u8>,
    group: Option<String>,
    depends_on: Vec<String>,
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn parse(body: &[u8]) -> Result<Vec<Request>, String> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| format!("The batch body is not valid JSON: {e}"))?;
    let Some(reqs) = v.get("requests").and_then(Value::as_array) else {
        return Err("The batch body must be an object with a 'requests' array.".into());
    };
    let mut out = Vec::new();
    for (n, r) in reqs.iter().enumerate() {
        let id = r
            .get("id")
            .and_then(text_of)
            .unwrap_or_else(|| n.to_string());
        let method = r
            .get("method")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("Request '{id}' has no method."))?;
        let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
            .map_err(|_| format!("Request '{id}' has an invalid method '{method}'."))?;
        let url = r
            .get("url")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("Request '{id}' has no url."))?
            .to_owned();
        let mut headers = HeaderMap::new();
        if let Some(Value::Object(hs)) = r.get("headers") {
            for (k, v) in hs {
                let Some(v) = text_of(v) else { continue };
                if let (Ok(n), Ok(v)) = (HeaderName::try_from(k.as_str()), HeaderValue::try_from(v))
                {
                    headers.append(n, v);
                }
            }
        }
        let body = match r.get("body") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => s.clone().into_bytes(),
            Some(other) => other.to_string().into_bytes(),
        };
        if !body.is_empty() && !headers.contains_key("content-type") {
            headers.insert(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        let depends_on = match r.get("dependsOn") {
            Some(Value::Array(a)) => a.iter().filter_map(text_of).collect(),
            _ => Vec::new(),
        };
        out.push(Request {
            id,
            method,
            url,
            headers,
            body,
            group: r.get("atomicityGroup").and_then(text_of),
            depends_on,
        });
    }
    Ok(out)
}

fn validate(reqs: &[Request]) -> Result<(), String> {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut groups_done: HashSet<&str> = HashSet::new();
    let mut current: Option<&str> = None;
    for r in reqs {
        if !seen.insert(r.id.as_str()) {
            return Err(format!("The request id '{}' is used more than once.", r.id));
        }
        let g = r.group.as_deref();
        if g != current {
            if let Some(prev) = current {
                groups_done.insert(prev);
            }
            if let Some(g) = g
                && groups_done.contains(g)
            {
                return Err(format!(
                    "The requests of atomicity group '{g}' must be adjacent."
                ));
            }
            current = g;
        }
        for d in &r.depends_on {
            let known =
                (seen.contains(d.as_str()) && d != &r.id) || groups_done.contains(d.as_str());
            if !known {
                return Err(format!(
                    "The dependsOn Id: [{d}] in request [{}] is not matching any of the request Id and atomic group Id seen so far. Forward reference is not allowed.",
                    r.id
                ));
            }
        }
    }
    Ok(())
}

fn failed_dependency(id: &str, why: &str) -> Resp {
    Resp::odata(
        StatusCode::FAILED_DEPENDENCY,
        json!({"error": {"code": "", "message": format!("Request '{id}' was not processed: {why}")}}),
    )
}

fn entry(r: &Request, resp: &Resp) -> Value {
    let mut headers = Map::new();
    if let Some((ct, _)) = resp.body_bytes() {
        headers.insert("content-type".into(), Value::String(ct));
    }
    for (k, v) in &resp.headers {
        if let Ok(v) = v.to_str() {
            headers.insert(k.as_str().to_owned(), Value::String(v.to_owned()));
        }
    }
    let mut e = Map::new();
    e.insert("id".into(), Value::String(r.id.clone()));
    if let Some(g) = &r.group {
        e.insert("atomicityGroup".into(), Value::String(g.clone()));
    }
    e.insert("status".into(), json!(resp.status.as_u16()));
    e.insert("headers".into(), Value::Object(headers));
    match &resp.body {
        Body::Empty => {}
        Body::Json(v, _) => {
            e.insert("body".into(), v.clone());
        }
        Body::Text(t, _) => {
            e.insert("body".into(), Value::String(t.clone()));
        }
    }
    Value::Object(e)
}

struct Run<'a> {
    exec: &'a mut dyn Executor,
    base: &'a Base,
    locations: HashMap<String, String>,
    failed: HashSet<String>,
}

impl Run<'_> {
    fn one(&mut self, r: &Request) -> Resp {
        if let Some(d) = r.depends_on.iter().find(|d| self.failed.contains(*d)) {
            return failed_dependency(&r.id, &format!("request or group '{d}' failed."));
        }
        let locations = &self.locations;
        let url = match substitute(&r.url, &|id| locations.get(id).cloned()) {
            Ok(u) => u,
            Err(reference) => {
                return self.exec.error(ApiError::BadBatch(format!(
                    "Content-ID Reference: '{reference}' does not exist in the batch context."
                )));
            }
        };
        let req = part_request(
            self.base,
            r.method.clone(),
            &url,
            r.headers.clone(),
            r.body.clone(),
        );
        if req.path.ends_with("/$batch") {
            return self.exec.error(ApiError::BadBatch(
                "A batch cannot contain another batch.".into(),
            ));
        }
        let resp = self.exec.execute(&req);
        if resp.is_success()
            && let Some(loc) = entity_location(&resp)
        {
            self.locations.insert(r.id.clone(), loc);
        }
        resp
    }

    /// Run an atomic unit; returns its responses in order.
    fn unit(&mut self, reqs: &[&Request], group: Option<&str>) -> Vec<Value> {
        self.exec.begin();
        let mut resps: Vec<Resp> = Vec::new();
        let mut failure: Option<usize> = None;
        for (i, r) in reqs.iter().enumerate() {
            let resp = self.one(r);
            let ok = resp.is_success();
            resps.push(resp);
            if !ok {
                failure = Some(i);
                break;
            }
        }
        match failure {
            None => {
                self.exec.commit();
                reqs.iter()
                    .zip(&resps)
                    .map(|(r, resp)| entry(r, resp))
                    .collect()
            }
            Some(bad) => {
                self.exec.rollback();
                let bad_id = reqs.get(bad).map(|r| r.id.clone()).unwrap_or_default();
                for r in reqs {
                    self.locations.remove(&r.id);
                    self.failed.insert(r.id.clone());
                }
                if let Some(g) = group {
                    self.failed.insert(g.to_owned());
                }
                reqs.iter()
                    .enumerate()
                    .map(|(i, r)| match resps.get(i) {
                        Some(resp) if i == bad => entry(r, resp),
                        _ => entry(
                            r,
                            &failed_dependency(
                                &r.id,
                                &format!("request '{bad_id}' of the same atomic unit failed and the unit was rolled back."),
                            ),
                        ),
                    })
                    .collect()
            }
        }
    }
}

/// Run a JSON batch.
///
/// # Errors
///
/// [`ApiError::BadBatch`] for a malformed body, [`ApiError::BatchTooLarge`] beyond
/// `max_operations` requests.
pub(crate) fn run(
    exec: &mut dyn Executor,
    base: &Base,
    body: &[u8],
    max_operations: usize,
    whole_atomic: bool,
) -> Result<Resp, ApiError> {
    let reqs = parse(body).map_err(ApiError::BadBatch)?;
    if reqs.len() > max_operations {
        return Err(ApiError::BatchTooLarge {
            limit: max_operations,
        });
    }
    validate(&reqs).map_err(ApiError::BadBatch)?;
    let mut run = Run {
        exec,
        base,
        locations: HashMap::new(),
        failed: HashSet::new(),
    };
    let mut out: Vec<Value> = Vec::new();
    if whole_atomic {
        let all: Vec<&Request> = reqs.iter().collect();
        out = run.unit(&all, None);
    } else {
        let mut i = 0;
        while let Some(r) = reqs.get(i) {
            match &r.group {
                None => {
                    let resp = run.one(r);
                    if !resp.is_success() {
                        run.failed.insert(r.id.clone());
                    }
                    out.push(entry(r, &resp));
                    i += 1;
                }
                Some(g) => {
                    let members: Vec<&Request> = reqs
                        .get(i..)
                        .unwrap_or(&[])
                        .iter()
                        .take_while(|x| x.group.as_deref() == Some(g.as_str()))
                        .collect();
                    i += members.len().max(1);
                    out.extend(run.unit(&members, Some(g)));
                }
            }
        }
    }
    Ok(Resp::odata(StatusCode::OK, json!({ "responses": out })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_validates() {
        let body = br#"{"requests":[
            {"id":"1","method":"post","url":"customers","atomicityGroup":"g","body":{"a":1}},
            {"id":2,"method":"GET","url":"customers","dependsOn":["g"]}]}"#;
        let reqs = parse(body).unwrap();
        assert_eq!(reqs[1].id, "2");
        assert_eq!(reqs[0].method, Method::POST);
        assert!(validate(&reqs).is_ok());
        let forward = br#"{"requests":[{"id":"1","method":"GET","url":"x","dependsOn":["2"]},
                                        {"id":"2","method":"GET","url":"x"}]}"#;
        assert!(validate(&parse(forward).unwrap()).is_err());
        let split = br#"{"requests":[{"id":"1","method":"GET","url":"x","atomicityGroup":"g"},
                                      {"id":"2","method":"GET","url":"x"},
                                      {"id":"3","method":"GET","url":"x","atomicityGroup":"g"}]}"#;
        assert!(validate(&parse(split).unwrap()).is_err());
        assert!(parse(b"[]").is_err());
    }
}
