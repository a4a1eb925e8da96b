//! sObject records: create, read, update, delete, upsert by external ID, describe, and
//! updated/deleted since (reference §2.2–§2.4).
//!
//! Records are generic: any `serde` type, a [`serde_json::Value`], or the [`SObject`] map
//! this module provides. Give your own types a `#[serde(flatten)] extra` map so custom fields
//! you did not name survive a round trip:
//!
//! ```
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, Serialize, Deserialize)]
//! struct Payment {
//!     #[serde(rename = "Id", default, skip_serializing)]
//!     id: Option<String>,
//!     #[serde(rename = "PaymentID__c")]
//!     payment_id: String,
//!     #[serde(rename = "Amount__c", with = "rust_decimal::serde::float")]
//!     amount: rust_decimal::Decimal,
//!     /// `attributes` and every field not named above.
//!     #[serde(flatten)]
//!     extra: serde_json::Map<String, serde_json::Value>,
//! }
//! ```
//!
//! Before a write, the client removes `attributes` (and `Id`, and for an upsert the external
//! ID field) from the body, since the URL says them; so a record read from Salesforce can be
//! written back as it is.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::{Error, ErrorDetail, Result};
use crate::http::{Call, DataPath, Target, op};

/// The `attributes` member of every record Salesforce returns (and of records in
/// collections and trees).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attributes {
    /// The sObject name: `Account`, `Payment__c`.
    #[serde(rename = "type")]
    pub sobject_type: String,
    /// The record's REST URL, on records read back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A reference id, in sObject tree requests.
    #[serde(
        rename = "referenceId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub reference_id: Option<String>,
}

impl Attributes {
    /// Attributes naming the type only.
    pub fn of(sobject_type: impl Into<String>) -> Self {
        Attributes {
            sobject_type: sobject_type.into(),
            ..Attributes::default()
        }
    }
}

/// A record of any sObject as a map: `attributes`, `Id`, and every field as JSON.
///
/// ```
/// use salesforce_client::sobjects::SObject;
///
/// let record = SObject::new("Account").with("Name", "Acme").with("AnnualRevenue", 5_000_000);
/// assert_eq!(
///     serde_json::to_value(&record).unwrap(),
///     serde_json::json!({"attributes": {"type": "Account"}, "Name": "Acme", "AnnualRevenue": 5000000}),
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SObject {
    /// The record's type and URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// The record id, when it has one.
    #[serde(rename = "Id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Every other field, standard and custom.
    #[serde(flatten)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

impl SObject {
    /// An empty record of `sobject_type`.
    pub fn new(sobject_type: impl Into<String>) -> Self {
        SObject {
            attributes: Some(Attributes::of(sobject_type)),
            ..SObject::default()
        }
    }

    /// Sets `field` to `value`.
    #[must_use]
    pub fn with(mut self, field: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
        self.fields.insert(field.into(), value.into());
        self
    }

    /// The value of `field`, if present.
    pub fn get(&self, field: &str) -> Option<&serde_json::Value> {
        self.fields.get(field)
    }
}

/// The answer to a create, and one entry of a collection's results:
/// `{"id", "success", "errors"}` (plus `created` for upserts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveResult {
    /// The record id (absent for a failed create).
    #[serde(default)]
    pub id: Option<String>,
    /// Whether the record was saved.
    pub success: bool,
    /// Why not; for a platform event, informational entries such as `OPERATION_ENQUEUED`
    /// even when `success` is true.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub errors: Vec<ErrorDetail>,
    /// For upserts: whether the record was created (`false`: updated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<bool>,
}

/// What an upsert by external ID did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpsertOutcome {
    /// No record had the value: one was created (HTTP 201).
    Created {
        /// The new record's id.
        id: String,
    },
    /// One record had the value and was updated (HTTP 200 with its id; 204 without one on
    /// older API versions).
    Updated {
        /// The record's id, when Salesforce said it.
        id: Option<String>,
    },
}

impl UpsertOutcome {
    /// The record id, when known.
    pub fn id(&self) -> Option<&str> {
        match self {
            UpsertOutcome::Created { id } => Some(id),
            UpsertOutcome::Updated { id } => id.as_deref(),
        }
    }

    /// Whether a record was created.
    pub fn is_created(&self) -> bool {
        matches!(self, UpsertOutcome::Created { .. })
    }
}

/// Operations on one sObject type: `client.sobjects("Payment__c")`.
#[derive(Debug, Clone)]
pub struct SObjects<'a> {
    client: &'a Client,
    name: String,
}

impl Client {
    /// Operations on the sObject `name` (`Account`, `Payment__c`, `Order_Event__e`).
    pub fn sobjects(&self, name: impl Into<String>) -> SObjects<'_> {
        SObjects {
            client: self,
            name: name.into(),
        }
    }

    /// Every sObject the user can see (`GET /sobjects/`, describe global).
    ///
    /// # Errors
    /// As any call: see [`Error`].
    pub async fn describe_global(&self) -> Result<GlobalDescribe> {
        let call = Call::get(DataPath::new().seg("sobjects").slash());
        self.send(op!("salesforce.describe_global"), call)
            .await?
            .json()
    }
}

impl SObjects<'_> {
    /// `sobjects/{name}` with the name checked.
    fn path(&self) -> Result<DataPath> {
        Ok(DataPath::new()
            .seg("sobjects")
            .seg(check_name("sObject name", &self.name)?))
    }

    fn call(&self, method: Method, path: DataPath) -> Call {
        Call::new(method, Target::Data(path)).sobject(&self.name)
    }

    /// Creates a record: `POST /sobjects/{name}/` → 201 `{id, success, errors}`.
    ///
    /// Not idempotent: never resent once it may have reached Salesforce. To make a create safe
    /// to repeat, give the record an external ID and [`upsert`](Self::upsert) instead.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when `record` is not a JSON object; [`Error::Api`] with
    /// Salesforce's errors (`REQUIRED_FIELD_MISSING`, `DUPLICATE_VALUE`, …);
    /// [`Error::OutcomeUnknown`] when the answer was lost.
    pub async fn create<B: Serialize + ?Sized>(&self, record: &B) -> Result<SaveResult> {
        let body = record_body(record, &["Id"])?;
        let call = self.call(Method::POST, self.path()?).json(&body)?;
        self.client
            .send(op!("salesforce.create"), call)
            .await?
            .json()
    }

    /// Reads a record by id: `GET /sobjects/{name}/{id}`, with only `fields` when not empty.
    ///
    /// # Errors
    /// [`Error::Api`] with `NOT_FOUND` (see [`Error::is_not_found`]), or as any call.
    pub async fn get<T: DeserializeOwned>(&self, id: &str, fields: &[&str]) -> Result<T> {
        let path = self.path()?.value(id, "{id}");
        let call = with_fields(self.call(Method::GET, path), fields)?;
        self.client.send(op!("salesforce.get"), call).await?.json()
    }

    /// Updates the fields in `record`: `PATCH /sobjects/{name}/{id}` → 204. Idempotent, so
    /// retried on transient failures.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when `record` is not a JSON object; [`Error::Api`] otherwise.
    pub async fn update<B: Serialize + ?Sized>(&self, id: &str, record: &B) -> Result<()> {
        let body = record_body(record, &["Id"])?;
        let path = self.path()?.value(id, "{id}");
        let call = self.call(Method::PATCH, path).json(&body)?;
        self.client.send(op!("salesforce.update"), call).await?;
        Ok(())
    }

    /// Deletes a record: `DELETE /sobjects/{name}/{id}` → 204. Retried on transient failures;
    /// a retry after a lost answer may report `ENTITY_IS_DELETED` or `NOT_FOUND`, which
    /// [`Error::is_not_found`] recognises.
    ///
    /// # Errors
    /// As any call: see [`Error`].
    pub async fn delete(&self, id: &str) -> Result<()> {
        let path = self.path()?.value(id, "{id}");
        let call = self.call(Method::DELETE, path);
        self.client.send(op!("salesforce.delete"), call).await?;
        Ok(())
    }

    /// `sobjects/{name}/{field}/{value}`.
    fn external_path(&self, field: &str, value: &str) -> Result<DataPath> {
        if value.is_empty() {
            return Err(Error::invalid("external ID value", "is empty"));
        }
        Ok(self
            .path()?
            .seg(check_name("external ID field", field)?)
            .value(value, "{value}"))
    }

    /// Reads a record by an external ID field: `GET /sobjects/{name}/{field}/{value}`.
    ///
    /// # Errors
    /// [`Error::MultipleMatches`] when several records have the value; `NOT_FOUND` or as any
    /// call otherwise.
    pub async fn get_by_external_id<T: DeserializeOwned>(
        &self,
        field: &str,
        value: &str,
        fields: &[&str],
    ) -> Result<T> {
        let call = with_fields(
            self.call(Method::GET, self.external_path(field, value)?),
            fields,
        )?;
        self.client
            .send(op!("salesforce.get_by_external_id"), call)
            .await?
            .json()
    }

    /// Deletes a record by an external ID field: `DELETE /sobjects/{name}/{field}/{value}`.
    ///
    /// # Errors
    /// [`Error::MultipleMatches`] when several records have the value; as any call otherwise.
    pub async fn delete_by_external_id(&self, field: &str, value: &str) -> Result<()> {
        let call = self.call(Method::DELETE, self.external_path(field, value)?);
        self.client
            .send(op!("salesforce.delete_by_external_id"), call)
            .await?;
        Ok(())
    }

    /// Creates or updates the record whose external ID `field` is `value`:
    /// `PATCH /sobjects/{name}/{field}/{value}` (reference §2.3). Idempotent, so retried on
    /// transient failures: the safe way to write a record exactly once.
    ///
    /// ```no_run
    /// # async fn run(client: salesforce_client::Client) -> salesforce_client::Result<()> {
    /// use salesforce_client::sobjects::UpsertOutcome;
    ///
    /// let record = serde_json::json!({"Amount__c": 125.0, "Status__c": "Settled"});
    /// match client.sobjects("Payment__c").upsert("PaymentID__c", "PT-123456789", &record).await? {
    ///     UpsertOutcome::Created { id } => println!("created {id}"),
    ///     UpsertOutcome::Updated { id } => println!("updated {id:?}"),
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::MultipleMatches`] (HTTP 300, nothing written) listing the records that share
    /// the value; [`Error::Api`] for validation and other errors; [`Error::InvalidRequest`]
    /// when `record` is not a JSON object.
    pub async fn upsert<B: Serialize + ?Sized>(
        &self,
        field: &str,
        value: &str,
        record: &B,
    ) -> Result<UpsertOutcome> {
        self.upsert_inner(field, value, record, false).await
    }

    /// As [`upsert`](Self::upsert) with `?updateOnly=true`: updates the record with the
    /// external ID, and never creates one.
    ///
    /// # Errors
    /// `NOT_FOUND` (see [`Error::is_not_found`]) when no record has the value; otherwise as
    /// [`upsert`](Self::upsert).
    pub async fn update_by_external_id<B: Serialize + ?Sized>(
        &self,
        field: &str,
        value: &str,
        record: &B,
    ) -> Result<UpsertOutcome> {
        self.upsert_inner(field, value, record, true).await
    }

    async fn upsert_inner<B: Serialize + ?Sized>(
        &self,
        field: &str,
        value: &str,
        record: &B,
        update_only: bool,
    ) -> Result<UpsertOutcome> {
        let body = record_body(record, &["Id", field])?;
        let mut call = self
            .call(Method::PATCH, self.external_path(field, value)?)
            .json(&body)?;
        if update_only {
            call = call.query("updateOnly", "true");
        }
        let reply = self.client.send(op!("salesforce.upsert"), call).await?;
        if reply.status() == 204 {
            return Ok(UpsertOutcome::Updated { id: None });
        }
        let result: SaveResult = reply.json()?;
        let created = result.created.unwrap_or(reply.status() == 201);
        match (created, result.id) {
            (true, Some(id)) => Ok(UpsertOutcome::Created { id }),
            (false, id) => Ok(UpsertOutcome::Updated { id }),
            (true, None) => Err(reply.into_error()),
        }
    }

    /// The object's metadata and fields: `GET /sobjects/{name}/describe/`.
    ///
    /// # Errors
    /// As any call: see [`Error`].
    pub async fn describe(&self) -> Result<SObjectDescribe> {
        let path = self.path()?.seg("describe").slash();
        let call = self.call(Method::GET, path);
        self.client
            .send(op!("salesforce.describe"), call)
            .await?
            .json()
    }

    /// Ids of records updated in `[start, end]`: `GET /sobjects/{name}/updated/` (UTC, whole
    /// minutes; Salesforce keeps 30 days).
    ///
    /// # Errors
    /// As any call: see [`Error`].
    pub async fn updated(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<UpdatedRecords> {
        let call = self.since_call("updated", start, end)?;
        self.client
            .send(op!("salesforce.updated"), call)
            .await?
            .json()
    }

    /// Records deleted in `[start, end]`: `GET /sobjects/{name}/deleted/`.
    ///
    /// # Errors
    /// As any call: see [`Error`].
    pub async fn deleted(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<DeletedRecords> {
        let call = self.since_call("deleted", start, end)?;
        self.client
            .send(op!("salesforce.deleted"), call)
            .await?
            .json()
    }

    fn since_call(&self, resource: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Call> {
        let format = |at: DateTime<Utc>| at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string();
        Ok(self
            .call(Method::GET, self.path()?.seg(resource).slash())
            .query("start", format(start))
            .query("end", format(end)))
    }
}

/// Checks an sObject or field name: letters, digits and underscores only, so a name can never
/// change the URL or a query. A field list may also use `.` for relationship fields.
pub(crate) fn check_name<'a>(what: &'static str, name: &'a str) -> Result<&'a str> {
    let ok = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
    if ok {
        Ok(name)
    } else {
        Err(Error::invalid(
            what,
            format!("{name:?} is not a Salesforce API name (letters, digits, underscores)"),
        ))
    }
}

/// Adds `?fields=A,B` after checking each name.
fn with_fields(call: Call, fields: &[&str]) -> Result<Call> {
    if fields.is_empty() {
        return Ok(call);
    }
    for field in fields {
        for part in field.split('.') {
            check_name("field name", part)?;
        }
    }
    Ok(call.query("fields", fields.join(",")))
}

/// `record` as a JSON object without `attributes` and the `strip` fields (compared without
/// regard to case, as Salesforce does).
pub(crate) fn record_body<B: Serialize + ?Sized>(
    record: &B,
    strip: &[&str],
) -> Result<serde_json::Map<String, serde_json::Value>> {
    match serde_json::to_value(record) {
        Ok(serde_json::Value::Object(mut map)) => {
            map.retain(|key, _| {
                !key.eq_ignore_ascii_case("attributes")
                    && !strip.iter().any(|s| key.eq_ignore_ascii_case(s))
            });
            Ok(map)
        }
        Ok(_) => Err(Error::invalid("record", "must serialize to a JSON object")),
        Err(e) => Err(Error::invalid("record", e.to_string())),
    }
}

/// The answer of describe global: every sObject the user can see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GlobalDescribe {
    /// The character encoding (`UTF-8`).
    #[serde(default)]
    pub encoding: Option<String>,
    /// Records per collection call (200).
    #[serde(default)]
    pub max_batch_size: Option<u32>,
    /// The sObjects.
    pub sobjects: Vec<SObjectSummary>,
}

/// One sObject of describe global.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SObjectSummary {
    /// API name.
    pub name: String,
    /// Label.
    #[serde(default)]
    pub label: String,
    /// The 3-character id prefix (`001`).
    #[serde(default)]
    pub key_prefix: Option<String>,
    /// Whether it is a custom object.
    #[serde(default)]
    pub custom: bool,
    /// Whether it can be queried.
    #[serde(default)]
    pub queryable: bool,
    /// Whether records can be created.
    #[serde(default)]
    pub createable: bool,
    /// Whether records can be updated.
    #[serde(default)]
    pub updateable: bool,
    /// Whether records can be deleted.
    #[serde(default)]
    pub deletable: bool,
    /// Resource URLs by name.
    #[serde(default)]
    pub urls: BTreeMap<String, String>,
    /// Every other member.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// The answer of describe: an object's metadata, fields, relationships and record types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SObjectDescribe {
    /// API name.
    pub name: String,
    /// Label.
    #[serde(default)]
    pub label: String,
    /// The 3-character id prefix.
    #[serde(default)]
    pub key_prefix: Option<String>,
    /// Whether it is a custom object.
    #[serde(default)]
    pub custom: bool,
    /// The fields.
    #[serde(default)]
    pub fields: Vec<FieldDescribe>,
    /// Child relationships, as Salesforce describes them.
    #[serde(default)]
    pub child_relationships: Vec<serde_json::Value>,
    /// Record types, as Salesforce describes them.
    #[serde(default)]
    pub record_type_infos: Vec<serde_json::Value>,
    /// Every other member (`createable`, `queryable`, `urls`, …).
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl SObjectDescribe {
    /// The field called `name` (compared without regard to case).
    pub fn field(&self, name: &str) -> Option<&FieldDescribe> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }
}

/// One field of a describe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldDescribe {
    /// API name.
    pub name: String,
    /// Data type.
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// Label.
    #[serde(default)]
    pub label: String,
    /// Maximum length of text fields.
    #[serde(default)]
    pub length: Option<u32>,
    /// Whether it may be empty.
    #[serde(default)]
    pub nillable: bool,
    /// Whether it can be set on create.
    #[serde(default)]
    pub createable: bool,
    /// Whether it can be updated.
    #[serde(default)]
    pub updateable: bool,
    /// Whether it is an external ID (usable for upserts).
    #[serde(default)]
    pub external_id: bool,
    /// Whether it identifies records (usable for upserts).
    #[serde(default)]
    pub id_lookup: bool,
    /// Whether its values are unique.
    #[serde(default)]
    pub unique: bool,
    /// For lookups: the objects it can point to.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub reference_to: Vec<String>,
    /// For lookups: the relationship name used in SOQL.
    #[serde(default)]
    pub relationship_name: Option<String>,
    /// For picklists: the values.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub picklist_values: Vec<PicklistValue>,
    /// Whether it is a formula or roll-up.
    #[serde(default)]
    pub calculated: bool,
    /// Whether Salesforce fills it on create.
    #[serde(default)]
    pub defaulted_on_create: bool,
    /// Every other member.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// One picklist value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PicklistValue {
    /// The API value.
    pub value: String,
    /// The label.
    #[serde(default)]
    pub label: Option<String>,
    /// Whether it can be chosen.
    #[serde(default)]
    pub active: bool,
    /// Whether it is the default.
    #[serde(default)]
    pub default_value: bool,
}

/// A field's data type. Unknown types are kept in [`Other`](Self::Other).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum FieldType {
    /// `id`
    Id,
    /// `string`
    String,
    /// `textarea`
    TextArea,
    /// `boolean`
    Boolean,
    /// `int`
    Int,
    /// `long`
    Long,
    /// `double`
    Double,
    /// `currency`
    Currency,
    /// `percent`
    Percent,
    /// `date`
    Date,
    /// `datetime`
    DateTime,
    /// `time`
    Time,
    /// `picklist`
    Picklist,
    /// `multipicklist`
    MultiPicklist,
    /// `reference` (lookup or master-detail)
    Reference,
    /// `email`
    Email,
    /// `phone`
    Phone,
    /// `url`
    Url,
    /// `address` (compound)
    Address,
    /// Any other type, as Salesforce spells it.
    Other(std::string::String),
}

const FIELD_TYPES: &[(&str, FieldType)] = &[
    ("id", FieldType::Id),
    ("string", FieldType::String),
    ("textarea", FieldType::TextArea),
    ("boolean", FieldType::Boolean),
    ("int", FieldType::Int),
    ("long", FieldType::Long),
    ("double", FieldType::Double),
    ("currency", FieldType::Currency),
    ("percent", FieldType::Percent),
    ("date", FieldType::Date),
    ("datetime", FieldType::DateTime),
    ("time", FieldType::Time),
    ("picklist", FieldType::Picklist),
    ("multipicklist", FieldType::MultiPicklist),
    ("reference", FieldType::Reference),
    ("email", FieldType::Email),
    ("phone", FieldType::Phone),
    ("url", FieldType::Url),
    ("address", FieldType::Address),
];

impl From<std::string::String> for FieldType {
    fn from(text: std::string::String) -> Self {
        FIELD_TYPES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(&text))
            .map_or(FieldType::Other(text), |(_, kind)| kind.clone())
    }
}

impl From<FieldType> for std::string::String {
    fn from(kind: FieldType) -> Self {
        kind.to_string()
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldType::Other(text) => f.write_str(text),
            known => {
                let name = FIELD_TYPES
                    .iter()
                    .find(|(_, kind)| kind == known)
                    .map_or("", |(name, _)| name);
                f.write_str(name)
            }
        }
    }
}

/// Ids of records updated in a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdatedRecords {
    /// The record ids.
    pub ids: Vec<String>,
    /// The last instant the answer covers; start the next window here.
    #[serde(default, deserialize_with = "crate::de::datetime_opt")]
    pub latest_date_covered: Option<DateTime<Utc>>,
}

/// Records deleted in a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedRecords {
    /// The deleted records.
    pub deleted_records: Vec<DeletedRecord>,
    /// The earliest instant Salesforce still has deletions for.
    #[serde(default, deserialize_with = "crate::de::datetime_opt")]
    pub earliest_date_available: Option<DateTime<Utc>>,
    /// The last instant the answer covers.
    #[serde(default, deserialize_with = "crate::de::datetime_opt")]
    pub latest_date_covered: Option<DateTime<Utc>>,
}

/// One deleted record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedRecord {
    /// The record id.
    pub id: String,
    /// When it was deleted.
    #[serde(deserialize_with = "crate::de::datetime")]
    pub deleted_date: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        for ok in [
            "Account",
            "Payment__c",
            "ns__Obj__c",
            "Order_Event__e",
            "AccountChangeEvent",
        ] {
            assert!(check_name("n", ok).is_ok(), "{ok}");
        }
        for bad in ["", "Account/../x", "Name,Id", "a b", "_x", "1abc", "Acc%27"] {
            assert!(check_name("n", bad).is_err(), "{bad}");
        }
        assert!(with_fields(Call::get(DataPath::new()), &["Account.Name", "Id"]).is_ok());
        assert!(with_fields(Call::get(DataPath::new()), &["Name FROM User"]).is_err());
    }

    #[test]
    fn write_bodies_drop_what_the_url_says() {
        let record = serde_json::json!({
            "attributes": {"type": "Payment__c", "url": "/x"},
            "Id": "a01",
            "PaymentID__c": "PT-1",
            "Amount__c": 12.5,
            "Custom__c": null,
        });
        let body = record_body(&record, &["Id", "paymentid__c"]).unwrap();
        assert_eq!(
            serde_json::Value::Object(body),
            serde_json::json!({"Amount__c": 12.5, "Custom__c": null})
        );
        assert!(record_body(&[1, 2], &[]).is_err());
    }

    #[test]
    fn records_keep_unknown_fields() {
        let json = serde_json::json!({
            "attributes": {"type": "Account", "url": "/services/data/v66.0/sobjects/Account/001A"},
            "Id": "001A",
            "Name": "Acme",
            "Tier__c": "Gold",
        });
        let record: SObject = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(record.id.as_deref(), Some("001A"));
        assert_eq!(record.get("Tier__c"), Some(&serde_json::json!("Gold")));
        assert_eq!(serde_json::to_value(&record).unwrap(), json);
    }

    #[test]
    fn field_types_round_trip() {
        let field: FieldDescribe = serde_json::from_str(
            r#"{"name":"PaymentID__c","type":"string","externalId":true,"idLookup":true,"unique":true,"referenceTo":[],"picklistValues":[],"length":50,"scale":0}"#,
        )
        .unwrap();
        assert_eq!(field.field_type, FieldType::String);
        assert!(field.external_id);
        assert!(field.extra.contains_key("scale"));
        assert_eq!(
            FieldType::from("encryptedstring".to_owned()),
            FieldType::Other("encryptedstring".into())
        );
        assert_eq!(FieldType::DateTime.to_string(), "datetime");
    }

    #[test]
    fn deleted_records_use_salesforce_datetimes() {
        let deleted: DeletedRecords = serde_json::from_str(
            r#"{"deletedRecords":[{"id":"a01","deletedDate":"2026-11-21T10:15:30.000+0000"}],"earliestDateAvailable":"2026-10-01T00:00:00.000+0000","latestDateCovered":"2026-11-22T00:00:00.000+0000"}"#,
        )
        .unwrap();
        assert_eq!(
            deleted.deleted_records[0].deleted_date.to_rfc3339(),
            "2026-11-21T10:15:30+00:00"
        );
    }
}
