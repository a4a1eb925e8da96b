//! `@{referenceId.path}` references between composite subrequests: `@{refAccount.id}`,
//! `@{refQuery.records[0].Id}`, `@{refCollection[1].id}`. A string that is exactly one
//! reference takes the referenced JSON value; otherwise references are interpolated as text.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// Results of the subrequests run so far: the body of each successful one.
#[derive(Debug, Default)]
pub(crate) struct Refs {
    bodies: HashMap<String, Option<Value>>,
}

/// An unresolvable reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RefError {
    pub(crate) expr: String,
    pub(crate) reference_id: String,
}

impl RefError {
    pub(crate) fn message(&self) -> String {
        format!(
            "Invalid reference specified. No value for {} found in {}. Provided referenceId ('{}') must be of a subrequest that has completed successfully, and the referenced field must be in its response.",
            self.expr, self.reference_id, self.reference_id
        )
    }
}

impl Refs {
    /// Record subrequest `id`'s outcome (`None` = it failed).
    pub(crate) fn record(&mut self, id: &str, body: Option<Value>) {
        self.bodies.insert(id.to_owned(), body);
    }

    fn lookup(&self, expr: &str) -> Result<Value, RefError> {
        let fail = |reference_id: &str| RefError {
            expr: expr.to_owned(),
            reference_id: reference_id.to_owned(),
        };
        let mut steps = Vec::new();
        let mut head = String::new();
        for (i, part) in expr.split('.').enumerate() {
            let (name, rest) = part.split_once('[').map_or((part, ""), |(n, r)| (n, r));
            if i == 0 {
                head = name.to_owned();
            } else {
                steps.push(Step::Key(name.to_owned()));
            }
            if !rest.is_empty() {
                for idx in format!("[{rest}").split('[').filter(|s| !s.is_empty()) {
                    let n = idx
                        .strip_suffix(']')
                        .and_then(|n| n.parse::<usize>().ok())
                        .ok_or_else(|| fail(&head))?;
                    steps.push(Step::Index(n));
                }
            }
        }
        let mut v = self
            .bodies
            .get(&head)
            .and_then(Option::as_ref)
            .ok_or_else(|| fail(&head))?;
        for s in &steps {
            v = match (s, v) {
                (Step::Key(k), Value::Object(m)) => m.get(k).or_else(|| {
                    m.iter()
                        .find(|(key, _)| key.eq_ignore_ascii_case(k))
                        .map(|(_, v)| v)
                }),
                (Step::Index(i), Value::Array(a)) => a.get(*i),
                _ => None,
            }
            .ok_or_else(|| fail(&head))?;
        }
        Ok(v.clone())
    }

    /// Resolve the references in a string.
    pub(crate) fn string(&self, s: &str) -> Result<Value, RefError> {
        let trimmed = s.trim();
        if let Some(inner) = trimmed.strip_prefix("@{").and_then(|r| r.strip_suffix('}'))
            && !inner.contains('}')
        {
            return self.lookup(inner);
        }
        let mut out = String::new();
        let mut rest = s;
        while let Some(start) = rest.find("@{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            match self.lookup(&after[..end])? {
                Value::String(x) => out.push_str(&x),
                Value::Null => {}
                other => out.push_str(&other.to_string()),
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(Value::String(out))
    }

    /// Resolve the references in every string of a JSON value.
    pub(crate) fn value(&self, v: &Value) -> Result<Value, RefError> {
        Ok(match v {
            Value::String(s) if s.contains("@{") => self.string(s)?,
            Value::Array(a) => {
                Value::Array(a.iter().map(|x| self.value(x)).collect::<Result<_, _>>()?)
            }
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, x)| Ok((k.clone(), self.value(x)?)))
                    .collect::<Result<Map<_, _>, RefError>>()?,
            ),
            other => other.clone(),
        })
    }
}

enum Step {
    Key(String),
    Index(usize),
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_paths() {
        let mut r = Refs::default();
        r.record("acc", Some(json!({"id": "001X", "success": true})));
        r.record("q", Some(json!({"totalSize": 2, "records": [{"Id": "003A"}, {"Id": "003B", "Account": {"Name": "N"}}]})));
        r.record("col", Some(json!([{"id": "a0A"}, {"id": "a0B"}])));
        r.record("bad", None);
        assert_eq!(r.string("@{acc.id}").unwrap(), json!("001X"));
        assert_eq!(r.string("@{q.totalSize}").unwrap(), json!(2));
        assert_eq!(r.string("@{q.records[1].Id}").unwrap(), json!("003B"));
        assert_eq!(
            r.string("@{q.records[1].Account.Name}").unwrap(),
            json!("N")
        );
        assert_eq!(r.string("@{col[1].id}").unwrap(), json!("a0B"));
        assert_eq!(
            r.string("/services/data/v60.0/sobjects/Account/@{acc.id}?x=@{q.totalSize}")
                .unwrap(),
            json!("/services/data/v60.0/sobjects/Account/001X?x=2")
        );
        assert_eq!(
            r.value(&json!({"AccountId": "@{acc.id}", "n": [ "@{acc.success}" ]}))
                .unwrap(),
            json!({"AccountId": "001X", "n": [true]})
        );
        assert_eq!(r.string("@{bad.id}").unwrap_err().reference_id, "bad");
        assert!(r.string("@{acc.nope}").is_err());
        assert!(r.string("@{q.records[9].Id}").is_err());
        assert!(r.string("@{q.records[x].Id}").is_err());
        assert_eq!(
            r.string("no refs @{ here").unwrap(),
            json!("no refs @{ here")
        );
    }
}
