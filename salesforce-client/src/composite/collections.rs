//! sObject collections (`/composite/sobjects`): many records per call, split into chunks of
//! 200, with per-record results in input order.

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{Call, DataPath, Op, Target, op};
use crate::sobjects::{SaveResult, check_name};

/// sObject collections: `client.collections()`.
///
/// Inputs of any length are sent in chunks of [`MAX_RECORDS`](Self::MAX_RECORDS), one after
/// the other; the results come back in input order, one per record. A record that fails is
/// not an `Err`: its [`SaveResult`] has `success: false` and errors whose codes
/// (`statusCode` on the wire) say why. If a chunk fails as a whole after earlier chunks went
/// through, the call returns [`Error::Incomplete`] with the results so far.
///
/// ```no_run
/// use salesforce_client::sobjects::SObject;
///
/// # async fn run(client: salesforce_client::Client) -> salesforce_client::Result<()> {
/// let records: Vec<SObject> = (0..450)
///     .map(|i| SObject::new("Payment__c").with("PaymentID__c", format!("PT-{i}")))
///     .collect();
/// let results = client.collections().upsert("Payment__c", "PaymentID__c", &records).await?;
/// for (record, result) in records.iter().zip(&results) {
///     if !result.success {
///         eprintln!("{:?}: {:?}", record.get("PaymentID__c"), result.errors);
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Collections<'a> {
    pub(crate) client: &'a Client,
    pub(crate) all_or_none: bool,
}

impl Collections<'_> {
    /// Most records in one call.
    pub const MAX_RECORDS: usize = 200;

    /// Rolls a call back when one record fails (`allOrNone`): the innocent records then
    /// report `ALL_OR_NONE_OPERATION_ROLLED_BACK`. Atomicity cannot span calls, so with
    /// this set more than 200 records are refused.
    #[must_use]
    pub fn all_or_none(mut self, all_or_none: bool) -> Self {
        self.all_or_none = all_or_none;
        self
    }

    /// Creates records: `POST /composite/sobjects`. Each record gets
    /// `attributes.type = sobject` unless it names its own type (mixed types are allowed).
    /// Not idempotent: a chunk is never resent once it may have reached Salesforce.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a record that is not a JSON object or a bad name;
    /// [`Error::Incomplete`] after a chunk failed; as any call otherwise.
    pub async fn create<B: Serialize>(
        &self,
        sobject: &str,
        records: &[B],
    ) -> Result<Vec<SaveResult>> {
        let records = prepare(sobject, records, None, true)?;
        let path = || DataPath::new().seg("composite").seg("sobjects");
        self.chunked(
            &records,
            || op!("salesforce.collections_create"),
            |chunk| {
                Ok(Call::new(Method::POST, Target::Data(path()))
                    .json(&self.body(chunk))?
                    .sobject(sobject))
            },
        )
        .await
    }

    /// Updates records by id: `PATCH /composite/sobjects`. Each record needs its `Id`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a record without `Id`; otherwise as
    /// [`create`](Self::create).
    pub async fn update<B: Serialize>(
        &self,
        sobject: &str,
        records: &[B],
    ) -> Result<Vec<SaveResult>> {
        let records = prepare(sobject, records, Some("Id"), false)?;
        let path = || DataPath::new().seg("composite").seg("sobjects");
        self.chunked(
            &records,
            || op!("salesforce.collections_update"),
            |chunk| {
                Ok(Call::new(Method::PATCH, Target::Data(path()))
                    .json(&self.body(chunk))?
                    .sobject(sobject))
            },
        )
        .await
    }

    /// Creates or updates records by an external ID field:
    /// `PATCH /composite/sobjects/{sobject}/{field}` (v46.0+). Each record needs the field;
    /// results say `created`. Idempotent, so retried on transient failures.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a record without the field; otherwise as
    /// [`create`](Self::create).
    pub async fn upsert<B: Serialize>(
        &self,
        sobject: &str,
        field: &str,
        records: &[B],
    ) -> Result<Vec<SaveResult>> {
        let field = check_name("external ID field", field)?;
        let records = prepare(sobject, records, Some(field), false)?;
        let path = || {
            DataPath::new()
                .seg("composite")
                .seg("sobjects")
                .seg(sobject)
                .seg(field)
        };
        self.chunked(
            &records,
            || op!("salesforce.collections_upsert"),
            |chunk| {
                Ok(Call::new(Method::PATCH, Target::Data(path()))
                    .json(&self.body(chunk))?
                    .sobject(sobject))
            },
        )
        .await
    }

    /// Deletes records by id: `DELETE /composite/sobjects?ids=…&allOrNone=…`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty id; otherwise as [`create`](Self::create).
    pub async fn delete<S: AsRef<str>>(&self, ids: &[S]) -> Result<Vec<SaveResult>> {
        let ids = checked_ids(ids)?;
        self.chunked(
            &ids,
            || op!("salesforce.collections_delete"),
            |chunk| {
                let path = DataPath::new().seg("composite").seg("sobjects");
                Ok(Call::new(Method::DELETE, Target::Data(path))
                    .query("ids", chunk.join(","))
                    .query("allOrNone", self.all_or_none.to_string()))
            },
        )
        .await
    }

    /// Reads records of `sobject` by id: `GET /composite/sobjects/{sobject}?ids=…&fields=…`.
    /// One entry per id, in order: `None` for an id with no record.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for no fields, a bad name or an empty id; as any call
    /// otherwise.
    pub async fn retrieve<T: DeserializeOwned, S: AsRef<str>>(
        &self,
        sobject: &str,
        ids: &[S],
        fields: &[&str],
    ) -> Result<Vec<Option<T>>> {
        let sobject = check_name("sObject name", sobject)?;
        if fields.is_empty() {
            return Err(Error::invalid(
                "fields",
                "retrieving a collection needs at least one field",
            ));
        }
        for field in fields {
            crate::query::soql::identifier(field)?;
        }
        let ids = checked_ids(ids)?;
        let mut records = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(Self::MAX_RECORDS) {
            let path = DataPath::new()
                .seg("composite")
                .seg("sobjects")
                .seg(sobject);
            let call = Call::new(Method::GET, Target::Data(path))
                .sobject(sobject)
                .query("ids", chunk.join(","))
                .query("fields", fields.join(","));
            let reply = self
                .client
                .send(op!("salesforce.collections_retrieve"), call)
                .await?;
            let page: Vec<Option<T>> = reply.json()?;
            if page.len() != chunk.len() {
                return Err(reply.into_error());
            }
            records.extend(page);
        }
        Ok(records)
    }

    fn body(&self, records: &[Value]) -> Value {
        json!({"allOrNone": self.all_or_none, "records": records})
    }

    /// Sends `items` in chunks, collecting one result per item.
    async fn chunked<I>(
        &self,
        items: &[I],
        op: impl Fn() -> Op,
        call: impl Fn(&[I]) -> Result<Call>,
    ) -> Result<Vec<SaveResult>> {
        if self.all_or_none && items.len() > Self::MAX_RECORDS {
            return Err(Error::invalid(
                "collection",
                format!(
                    "{} records with allOrNone: one call takes at most 200, and atomicity cannot span calls",
                    items.len()
                ),
            ));
        }
        let mut results = Vec::with_capacity(items.len());
        for chunk in items.chunks(Self::MAX_RECORDS) {
            let outcome = async {
                let reply = self.client.send(op(), call(chunk)?).await?;
                let page: Vec<SaveResult> = reply.json()?;
                if page.len() == chunk.len() {
                    Ok(page)
                } else {
                    Err(reply.into_error())
                }
            }
            .await;
            match outcome {
                Ok(page) => results.extend(page),
                Err(error) if results.is_empty() => return Err(error),
                Err(error) => {
                    return Err(Error::Incomplete {
                        results,
                        source: Box::new(error),
                    });
                }
            }
        }
        Ok(results)
    }
}

/// Records as JSON objects with `attributes: {type}` (their own type, or `sobject`), each
/// with the `required` field; `strip_id` removes `Id` (creates).
fn prepare<B: Serialize>(
    sobject: &str,
    records: &[B],
    required: Option<&str>,
    strip_id: bool,
) -> Result<Vec<Value>> {
    check_name("sObject name", sobject)?;
    records
        .iter()
        .enumerate()
        .map(|(i, record)| {
            let Ok(Value::Object(mut map)) = serde_json::to_value(record) else {
                return Err(Error::invalid(
                    "record",
                    format!("record {i} is not a JSON object"),
                ));
            };
            let own_type = map
                .get("attributes")
                .and_then(|a| a.get("type"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            map.retain(|key, _| {
                let id = strip_id && key.eq_ignore_ascii_case("Id");
                !(id || key.eq_ignore_ascii_case("attributes"))
            });
            if let Some(field) = required
                && !map.keys().any(|k| k.eq_ignore_ascii_case(field))
            {
                return Err(Error::invalid(
                    "record",
                    format!("record {i} has no {field}"),
                ));
            }
            map.insert(
                "attributes".into(),
                json!({"type": own_type.as_deref().unwrap_or(sobject)}),
            );
            Ok(Value::Object(map))
        })
        .collect()
}

fn checked_ids<S: AsRef<str>>(ids: &[S]) -> Result<Vec<String>> {
    ids.iter()
        .map(|id| {
            let id = id.as_ref().trim();
            if id.is_empty() || id.contains(',') {
                Err(Error::invalid(
                    "record id",
                    format!("{id:?} is not a record id"),
                ))
            } else {
                Ok(id.to_owned())
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_get_their_type() {
        let records = vec![
            json!({"Name": "a", "Id": null}),
            json!({"attributes": {"type": "Contact", "url": "/x"}, "LastName": "b"}),
        ];
        let prepared = prepare("Account", &records, None, true).unwrap();
        assert_eq!(
            prepared[0],
            json!({"attributes": {"type": "Account"}, "Name": "a"})
        );
        assert_eq!(
            prepared[1],
            json!({"attributes": {"type": "Contact"}, "LastName": "b"})
        );
        assert!(prepare("Account", &[json!({"Name": "a"})], Some("Id"), false).is_err());
        assert!(prepare("Account", &[json!({"id": "001"})], Some("Id"), false).is_ok());
        assert!(prepare("Account", &[1], None, false).is_err());
        assert!(checked_ids(&["001", " "]).is_err());
    }
}
