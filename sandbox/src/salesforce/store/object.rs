//! A stored [`Record`] and an object's state: metadata with a case-insensitive field index,
//! on-use definition of custom fields, relationship names, and the record JSON shape.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::values::match_key;
use crate::salesforce::schema::{FieldMeta, FieldType, ObjectKind, ObjectMeta, system_fields};

/// A stored record.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Record {
    /// 18-character id.
    pub id: String,
    /// Object API name.
    pub object: String,
    /// Field values by API name, system fields included (`Id`, `CreatedDate`, …).
    pub fields: Map<String, Value>,
    /// Whether it is in the recycle bin (visible to `queryAll` only).
    pub deleted: bool,
    /// Creation time.
    pub created: DateTime<Utc>,
    /// Last modification time.
    pub modified: DateTime<Utc>,
    /// Deletion time, while deleted.
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Record {
    /// A field's value, by case-insensitive API name.
    #[must_use]
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.fields.get(field).or_else(|| {
            self.fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(field))
                .map(|(_, v)| v)
        })
    }
}

/// One object: metadata, field index, records.
#[derive(Clone, Debug)]
pub(crate) struct ObjectState {
    pub(crate) meta: ObjectMeta,
    pub(crate) prefix: String,
    pub(super) index: HashMap<String, usize>,
    pub(crate) records: BTreeMap<String, Record>,
    /// Record ids by field and matching key, for every unique, external-ID and ID-lookup
    /// field, so an upsert or a unique check does not scan every record. A superset: an
    /// update, delete or hard delete leaves the old entry, and [`matching`](Self::matching)
    /// checks each candidate.
    keys: HashMap<String, HashMap<String, Vec<String>>>,
    /// Created on first use rather than declared: its external IDs are defined on use too.
    pub(super) auto_created: bool,
}

/// Whether records are looked up by this field's value: unique, external-ID and ID-lookup
/// fields.
fn is_keyed(f: &FieldMeta) -> bool {
    f.unique || f.external_id || f.id_lookup
}

pub(super) fn is_custom_field_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let Some(base) = lower.strip_suffix("__c") else {
        return false;
    };
    let mut chars = base.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && base.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !base.contains("__")
        && !base.ends_with('_')
}

impl ObjectState {
    pub(super) fn new(mut meta: ObjectMeta, prefix: String) -> Self {
        let mut fields = system_fields(meta.kind);
        fields.retain(|s| {
            !meta
                .fields
                .iter()
                .any(|f| f.name.eq_ignore_ascii_case(&s.name))
        });
        if meta.kind == ObjectKind::Custom
            && !meta
                .fields
                .iter()
                .any(|f| f.name.eq_ignore_ascii_case("Name"))
        {
            fields.push(FieldMeta::text("Name", 80));
        }
        if meta.kind == ObjectKind::Custom
            && !meta
                .fields
                .iter()
                .any(|f| f.name.eq_ignore_ascii_case("OwnerId"))
        {
            fields.push(FieldMeta::reference("OwnerId", "User", "Owner"));
        }
        fields.append(&mut meta.fields);
        meta.fields = fields;
        meta.key_prefix = Some(prefix.clone());
        let index = meta
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.to_ascii_lowercase(), i))
            .collect();
        let keys = meta
            .fields
            .iter()
            .filter(|f| is_keyed(f))
            .map(|f| (f.name.clone(), HashMap::new()))
            .collect();
        Self {
            meta,
            prefix,
            index,
            records: BTreeMap::new(),
            keys,
            auto_created: false,
        }
    }

    /// Stores `rec` (new, or written back after an update), keeping the key index.
    pub(crate) fn put(&mut self, rec: Record) {
        for (field, by_key) in &mut self.keys {
            if let Some(key) = rec.fields.get(field).and_then(match_key) {
                let ids = by_key.entry(key).or_default();
                if !ids.contains(&rec.id) {
                    ids.push(rec.id.clone());
                }
            }
        }
        self.records.insert(rec.id.clone(), rec);
    }

    /// The live records whose `field` (its declared name) matches `want`, a
    /// [`match_key`], in creation order.
    pub(crate) fn matching(&self, field: &str, want: &str) -> Vec<&Record> {
        let matches = |r: &&Record| {
            !r.deleted && r.fields.get(field).and_then(match_key).as_deref() == Some(want)
        };
        match self.keys.get(field) {
            Some(by_key) => {
                let mut found: Vec<&Record> = by_key
                    .get(want)
                    .into_iter()
                    .flatten()
                    .filter_map(|id| self.records.get(id))
                    .filter(matches)
                    .collect();
                found.sort_by(|a, b| a.id.cmp(&b.id));
                found
            }
            None => self.live().filter(matches).collect(),
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.meta.name
    }

    /// A declared field, by case-insensitive name.
    pub(crate) fn field(&self, name: &str) -> Option<&FieldMeta> {
        self.index
            .get(&name.to_ascii_lowercase())
            .and_then(|i| self.meta.fields.get(*i))
    }

    /// The field, defining an undeclared custom field of an open object on the way (its
    /// type inferred from `sample`).
    pub(crate) fn field_or_define(
        &mut self,
        name: &str,
        sample: Option<&Value>,
    ) -> Option<FieldMeta> {
        if let Some(f) = self.field(name) {
            return Some(f.clone());
        }
        if !(self.meta.open && is_custom_field_name(name)) {
            return None;
        }
        let field_type = match sample {
            Some(Value::Bool(_)) => FieldType::Boolean,
            Some(Value::Number(_)) => FieldType::Double,
            _ => FieldType::TextArea,
        };
        let mut f = FieldMeta::new(name, field_type);
        if field_type == FieldType::Boolean {
            // An inferred checkbox is not required and has no default: keep it optional.
            f.nillable = true;
            f.default_value = None;
        }
        self.index
            .insert(name.to_ascii_lowercase(), self.meta.fields.len());
        self.meta.fields.push(f.clone());
        Some(f)
    }

    /// The field usable as external ID `name` (`Id`, a declared external ID or ID-lookup
    /// field). On an object that was created on first use (never declared), an undeclared
    /// custom field is defined as an external ID; declared objects need it declared, so a
    /// wrong field name gets Salesforce's 404.
    pub(crate) fn external_id_field(&mut self, name: &str) -> Option<FieldMeta> {
        if let Some(f) = self.field(name) {
            return (f.external_id || f.id_lookup).then(|| f.clone());
        }
        if !(self.auto_created && self.meta.open && is_custom_field_name(name)) {
            return None;
        }
        let f = FieldMeta::new(name, FieldType::String).external_id();
        // A new field: no record holds a value for it yet.
        self.keys.insert(f.name.clone(), HashMap::new());
        self.index
            .insert(name.to_ascii_lowercase(), self.meta.fields.len());
        self.meta.fields.push(f.clone());
        Some(f)
    }

    /// The foreign-key field behind relationship name `rel` (`Account` → `AccountId`,
    /// `Parent__r` → `Parent__c`).
    pub(crate) fn relationship_fk(&self, rel: &str) -> Option<&FieldMeta> {
        if let Some(f) = self.meta.fields.iter().find(|f| {
            f.relationship_name
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(rel))
        }) {
            return Some(f);
        }
        let lower = rel.to_ascii_lowercase();
        if let Some(base) = lower.strip_suffix("__r") {
            return self.field(&format!("{base}__c"));
        }
        self.field(&format!("{rel}Id"))
            .filter(|f| matches!(f.field_type, FieldType::Reference | FieldType::Id))
    }

    /// Live (not deleted) records, in creation order.
    pub(crate) fn live(&self) -> impl Iterator<Item = &Record> {
        self.records.values().filter(|r| !r.deleted)
    }

    /// `/services/data/vNN.0/sobjects/Obj/id`.
    pub(crate) fn url(&self, version: u32, id: &str) -> String {
        format!(
            "/services/data/v{version}.0/sobjects/{}/{id}",
            self.meta.name
        )
    }

    /// `{"type","url"}`.
    pub(crate) fn attributes(&self, version: u32, id: &str) -> Value {
        json!({"type": self.meta.name, "url": self.url(version, id)})
    }

    /// A record as `GET /sobjects/Obj/id` answers it: `attributes`, then the requested
    /// fields (all declared fields when `fields` is `None`), `null` when unset.
    pub(crate) fn record_json(
        &self,
        rec: &Record,
        version: u32,
        fields: Option<&[String]>,
    ) -> Value {
        let mut m = Map::new();
        m.insert("attributes".into(), self.attributes(version, &rec.id));
        match fields {
            Some(names) => {
                for n in names {
                    m.insert(n.clone(), rec.get(n).cloned().unwrap_or(Value::Null));
                }
            }
            None => {
                for f in &self.meta.fields {
                    m.insert(
                        f.name.clone(),
                        rec.fields.get(&f.name).cloned().unwrap_or(Value::Null),
                    );
                }
            }
        }
        Value::Object(m)
    }
}
