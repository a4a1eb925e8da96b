//! `POST /composite/tree/{Obj}`: parent records with their children, all-or-nothing.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Composite;
use crate::error::{Error, ErrorDetail, Result};
use crate::http::{Call, DataPath, Target, op};
use crate::sobjects::check_name;

/// Most records in one tree, children included.
const MAX_RECORDS: usize = 200;

/// The answer of a tree request. With `has_errors`, nothing was saved and `results` names the
/// records that failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TreeResponse {
    /// Whether any record failed (then none was saved).
    pub has_errors: bool,
    /// Per reference id: the new id, or the errors.
    pub results: Vec<TreeResult>,
}

/// One record of a tree's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TreeResult {
    /// The record's `attributes.referenceId`.
    pub reference_id: String,
    /// Its new id, when saved.
    #[serde(default)]
    pub id: Option<String>,
    /// Why it failed.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub errors: Vec<ErrorDetail>,
}

impl Composite<'_> {
    /// Creates records of `sobject` with nested children (`"Contacts": {"records": [...]}`),
    /// at most 200 records and 5 levels. Each record needs `attributes` with `type` and a
    /// unique `referenceId` ([`Attributes`](crate::sobjects::Attributes)).
    ///
    /// A failed tree is not an `Err`: Salesforce answers 400 with per-record errors, returned
    /// as a [`TreeResponse`] whose `has_errors` is true (nothing was saved).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a bad object name, records that are not JSON objects, or
    /// more than 200 records; [`Error::OutcomeUnknown`] when the answer was lost (not resent);
    /// as any call otherwise.
    pub async fn tree<B: Serialize>(&self, sobject: &str, records: &[B]) -> Result<TreeResponse> {
        let records = serde_json::to_value(records)
            .map_err(|e| Error::invalid("tree records", e.to_string()))?;
        let count = count_records(&records);
        if count == 0 || count > MAX_RECORDS {
            return Err(Error::invalid(
                "tree records",
                format!("{count} records (with attributes) given; 1 to 200 are allowed"),
            ));
        }
        let path = DataPath::new()
            .seg("composite")
            .seg("tree")
            .seg(check_name("sObject name", sobject)?);
        let call = Call::new(Method::POST, Target::Data(path))
            .sobject(sobject)
            .json(&serde_json::json!({ "records": records }))?
            .also_ok(&[400]);
        let reply = self
            .client
            .send(op!("salesforce.composite_tree"), call)
            .await?;
        if reply.status() == 400 {
            return match reply.json::<TreeResponse>() {
                Ok(response) if response.has_errors => Ok(response),
                _ => Err(reply.into_error()),
            };
        }
        reply.json()
    }
}

/// Records in a tree: every object with `attributes`, nested ones included.
fn count_records(value: &Value) -> usize {
    match value {
        Value::Array(items) => items.iter().map(count_records).sum(),
        Value::Object(map) => {
            usize::from(map.contains_key("attributes"))
                + map.values().map(count_records).sum::<usize>()
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_records_are_counted() {
        let records = json!([
            {"attributes": {"type": "Account", "referenceId": "a1"}, "Name": "Acme",
             "Contacts": {"records": [
                {"attributes": {"type": "Contact", "referenceId": "c1"}, "LastName": "Doe"},
                {"attributes": {"type": "Contact", "referenceId": "c2"}, "LastName": "Roe"},
             ]}},
        ]);
        assert_eq!(count_records(&records), 3);
    }
}
