//! Writes: create, update, delete, undelete, platform event publish and seeding, with
//! Salesforce's validation and the change log for Change Data Capture.

use serde_json::{Map, Value};

use super::object::{ObjectState, Record};
use super::values::{coerce, match_key};
use super::{Db, Pending, WriteCtx};
use crate::salesforce::errors::SfError;
use crate::salesforce::ids;
use crate::salesforce::schema::FieldMeta;
use crate::salesforce::util::{iso_z, sf_datetime, uuid_v4};

impl Db {
    /// Resolve, check and normalise the fields of a write.
    fn prepare(
        &mut self,
        key: &str,
        input: &Map<String, Value>,
        creating: bool,
        target: Option<&str>,
    ) -> Result<Map<String, Value>, SfError> {
        let mut out = Map::new();
        let mut read_only = Vec::new();
        let mut relationships = Vec::new();
        {
            let o = self.objects.get_mut(key).ok_or_else(SfError::not_found)?;
            let obj_name = o.meta.name.clone();
            for (k, v) in input {
                if k == "attributes" {
                    continue;
                }
                if k.eq_ignore_ascii_case("Id") {
                    let same = target
                        .is_some_and(|t| v.as_str().and_then(ids::normalize).as_deref() == Some(t));
                    if !same {
                        read_only.push("Id".to_owned());
                    }
                    continue;
                }
                if let Value::Object(m) = v {
                    relationships.push((k.clone(), m.clone()));
                    continue;
                }
                let f = o
                    .field_or_define(k, Some(v))
                    .ok_or_else(|| SfError::no_such_column(k, &obj_name))?;
                if f.calculated || (creating && !f.createable) || (!creating && !f.updateable) {
                    read_only.push(f.name.clone());
                    continue;
                }
                out.insert(f.name.clone(), coerce(&f, v)?);
            }
        }
        if !read_only.is_empty() {
            return Err(SfError::not_writable(&read_only));
        }
        for (rel, m) in relationships {
            let (fk, id) = self.resolve_foreign_key(key, &rel, &m)?;
            out.insert(fk, Value::String(id));
        }
        Ok(out)
    }

    /// `"Account": {"Ext__c": "X"}` in a write body: find the parent by external ID.
    fn resolve_foreign_key(
        &self,
        key: &str,
        rel: &str,
        m: &Map<String, Value>,
    ) -> Result<(String, String), SfError> {
        let o = self.objects.get(key).ok_or_else(SfError::not_found)?;
        let fk = o
            .relationship_fk(rel)
            .ok_or_else(|| SfError::no_such_column(rel, o.name()))?;
        let target = m
            .get("attributes")
            .and_then(|a| a.get("type"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| fk.reference_to.first().cloned())
            .ok_or_else(|| {
                SfError::bad(
                    "INVALID_FIELD",
                    format!(
                        "Cannot determine the object of relationship {rel}; give attributes.type"
                    ),
                )
            })?;
        let mut keys = m.iter().filter(|(k, _)| *k != "attributes");
        let (Some((ext, value)), None) = (keys.next(), keys.next()) else {
            return Err(SfError::bad(
                "INVALID_FIELD",
                format!("The relationship {rel} must name exactly one external ID field"),
            ));
        };
        let t = self
            .obj(&target)
            .ok_or_else(|| SfError::invalid_type(&target))?;
        let ext_field = t
            .field(ext)
            .filter(|f| f.external_id || f.id_lookup)
            .ok_or_else(|| SfError::no_such_column(ext, t.name()))?;
        let found = self.find_by(&target, &ext_field.name, value);
        let shown = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match found.as_slice() {
            [one] => Ok((fk.name.clone(), one.clone())),
            [] => Err(SfError::bad(
                "INVALID_FIELD",
                format!(
                    "Foreign key external ID: {shown} not found for field {} in entity {}",
                    ext_field.name,
                    t.name()
                ),
            )
            .with_fields(Vec::<String>::new())),
            _ => Err(SfError::bad(
                "INVALID_FIELD",
                format!(
                    "Foreign key external ID: {shown} matches more than one record for field {} in entity {}",
                    ext_field.name,
                    t.name()
                ),
            )
            .with_fields(Vec::<String>::new())),
        }
    }

    fn check_unique(
        &self,
        key: &str,
        vals: &Map<String, Value>,
        own: Option<&str>,
    ) -> Result<(), SfError> {
        let Some(o) = self.objects.get(key) else {
            return Ok(());
        };
        for f in o.meta.fields.iter().filter(|f| f.unique) {
            let Some(want) = vals.get(&f.name).and_then(match_key) else {
                continue;
            };
            if let Some(other) = o
                .matching(&f.name, &want)
                .into_iter()
                .find(|r| Some(r.id.as_str()) != own)
            {
                return Err(SfError::duplicate_value(&f.name, &other.id));
            }
        }
        Ok(())
    }

    fn derive_fields(o: &ObjectState, fields: &mut Map<String, Value>) {
        if o.meta.name == "Contact" || o.meta.name == "User" {
            let first = fields
                .get("FirstName")
                .and_then(Value::as_str)
                .unwrap_or("");
            let last = fields.get("LastName").and_then(Value::as_str).unwrap_or("");
            let name = format!("{first} {last}").trim().to_owned();
            fields.insert("Name".into(), Value::String(name));
        }
    }

    /// Create a record.
    pub(crate) fn insert(
        &mut self,
        obj: &str,
        input: &Map<String, Value>,
        w: &WriteCtx,
    ) -> Result<String, SfError> {
        let key = obj.to_ascii_lowercase();
        let mut vals = self.prepare(&key, input, true, None)?;
        let o = self.objects.get(&key).ok_or_else(SfError::not_found)?;
        if o.meta.is_event() {
            return Err(SfError::bad(
                "INVALID_TYPE",
                "Platform events are published, not stored",
            ));
        }
        for f in &o.meta.fields {
            if f.createable
                && !vals.contains_key(&f.name)
                && let Some(d) = &f.default_value
            {
                vals.insert(f.name.clone(), d.clone());
            }
        }
        let missing: Vec<String> = o
            .meta
            .fields
            .iter()
            .filter(|f| f.is_required() && vals.get(&f.name).is_none_or(Value::is_null))
            .map(|f| f.name.clone())
            .collect();
        if !missing.is_empty() {
            return Err(SfError::required_missing(&missing));
        }
        self.check_unique(&key, &vals, None)?;
        let prefix = o.prefix.clone();
        let id = self.next_id(&prefix);
        self.autonumber += 1;
        let autonumber = self.autonumber;
        let o = self.objects.get_mut(&key).ok_or_else(SfError::not_found)?;
        let stamp = Value::String(sf_datetime(w.now));
        let user = Value::String(w.user_id.clone());
        let mut fields = Map::new();
        fields.insert("Id".into(), Value::String(id.clone()));
        fields.insert("IsDeleted".into(), Value::Bool(false));
        fields.insert("CreatedDate".into(), stamp.clone());
        fields.insert("CreatedById".into(), user.clone());
        fields.insert("LastModifiedDate".into(), stamp.clone());
        fields.insert("LastModifiedById".into(), user.clone());
        fields.insert("SystemModstamp".into(), stamp);
        if o.field("OwnerId").is_some() && vals.get("OwnerId").is_none_or(Value::is_null) {
            fields.insert("OwnerId".into(), user);
        }
        for auto in ["CaseNumber", "OrderNumber"] {
            if o.field(auto).is_some() {
                fields.insert(auto.into(), Value::String(format!("{autonumber:08}")));
            }
        }
        fields.extend(vals);
        Self::derive_fields(o, &mut fields);
        let rec = Record {
            id: id.clone(),
            object: o.meta.name.clone(),
            fields,
            deleted: false,
            created: w.now,
            modified: w.now,
            deleted_at: None,
        };
        if o.meta.cdc {
            let payload = rec
                .fields
                .iter()
                .filter(|(k, v)| {
                    !v.is_null() && !matches!(k.as_str(), "Id" | "IsDeleted" | "SystemModstamp")
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            self.pending.push(Pending::Change {
                object: o.meta.name.clone(),
                change_type: "CREATE",
                record_id: id.clone(),
                changed: Vec::new(),
                fields: payload,
            });
        }
        o.put(rec);
        self.ids.insert(id.clone(), key);
        Ok(id)
    }

    /// The object key and live state of record `id`, checking it belongs to `obj`.
    fn locate(&self, obj: Option<&str>, id: &str) -> Result<String, SfError> {
        let key = self.ids.get(id).ok_or_else(SfError::not_found)?;
        if let Some(obj) = obj
            && !obj.eq_ignore_ascii_case(key)
        {
            return Err(SfError::not_found());
        }
        Ok(key.clone())
    }

    /// Update fields of record `id`.
    pub(crate) fn update(
        &mut self,
        obj: Option<&str>,
        id: &str,
        input: &Map<String, Value>,
        w: &WriteCtx,
    ) -> Result<(), SfError> {
        let key = self.locate(obj, id)?;
        if self.record(id).is_some_and(|r| r.deleted) {
            return Err(SfError::entity_is_deleted());
        }
        let vals = self.prepare(&key, input, false, Some(id))?;
        let o = self.objects.get(&key).ok_or_else(SfError::not_found)?;
        let nulled: Vec<String> = vals
            .iter()
            .filter(|(k, v)| v.is_null() && o.field(k).is_some_and(FieldMeta::is_required))
            .map(|(k, _)| k.clone())
            .collect();
        if !nulled.is_empty() {
            return Err(SfError::required_missing(&nulled));
        }
        self.check_unique(&key, &vals, Some(id))?;
        let o = self.objects.get_mut(&key).ok_or_else(SfError::not_found)?;
        let cdc = o.meta.cdc;
        let name = o.meta.name.clone();
        let Some(mut rec) = o.records.remove(id) else {
            return Err(SfError::not_found());
        };
        let mut changed = Vec::new();
        let mut payload = Map::new();
        for (k, v) in vals {
            if rec.fields.get(&k).unwrap_or(&Value::Null) != &v {
                changed.push(k.clone());
                payload.insert(k.clone(), v.clone());
            }
            rec.fields.insert(k, v);
        }
        let stamp = Value::String(sf_datetime(w.now));
        rec.fields.insert("LastModifiedDate".into(), stamp.clone());
        rec.fields.insert("SystemModstamp".into(), stamp.clone());
        if rec.fields.get("LastModifiedById").and_then(Value::as_str) != Some(w.user_id.as_str()) {
            changed.push("LastModifiedById".into());
            payload.insert("LastModifiedById".into(), Value::String(w.user_id.clone()));
        }
        rec.fields
            .insert("LastModifiedById".into(), Value::String(w.user_id.clone()));
        changed.push("LastModifiedDate".into());
        payload.insert("LastModifiedDate".into(), stamp);
        rec.modified = w.now;
        Self::derive_fields(o, &mut rec.fields);
        o.put(rec);
        if cdc {
            self.pending.push(Pending::Change {
                object: name,
                change_type: "UPDATE",
                record_id: id.to_owned(),
                changed,
                fields: payload,
            });
        }
        Ok(())
    }

    /// Move record `id` to the recycle bin.
    pub(crate) fn delete(
        &mut self,
        obj: Option<&str>,
        id: &str,
        w: &WriteCtx,
    ) -> Result<(), SfError> {
        let key = self.locate(obj, id)?;
        let o = self.objects.get_mut(&key).ok_or_else(SfError::not_found)?;
        let rec = o.records.get_mut(id).ok_or_else(SfError::not_found)?;
        if rec.deleted {
            return Err(SfError::entity_is_deleted());
        }
        rec.deleted = true;
        rec.deleted_at = Some(w.now);
        rec.fields.insert("IsDeleted".into(), Value::Bool(true));
        rec.fields
            .insert("SystemModstamp".into(), Value::String(sf_datetime(w.now)));
        if o.meta.cdc {
            self.pending.push(Pending::Change {
                object: o.meta.name.clone(),
                change_type: "DELETE",
                record_id: id.to_owned(),
                changed: Vec::new(),
                fields: Map::new(),
            });
        }
        Ok(())
    }

    /// Restore record `id` from the recycle bin.
    pub(crate) fn undelete(&mut self, id: &str, w: &WriteCtx) -> Result<(), SfError> {
        let key = self.locate(None, id)?;
        let o = self.objects.get_mut(&key).ok_or_else(SfError::not_found)?;
        let rec = o.records.get_mut(id).ok_or_else(SfError::not_found)?;
        if !rec.deleted {
            return Err(SfError::bad(
                "UNDELETE_FAILED",
                "Entity is not in the recycle bin",
            ));
        }
        rec.deleted = false;
        rec.deleted_at = None;
        rec.fields.insert("IsDeleted".into(), Value::Bool(false));
        rec.fields
            .insert("SystemModstamp".into(), Value::String(sf_datetime(w.now)));
        if o.meta.cdc {
            let payload = rec
                .fields
                .iter()
                .filter(|(k, v)| {
                    !v.is_null() && !matches!(k.as_str(), "Id" | "IsDeleted" | "SystemModstamp")
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            self.pending.push(Pending::Change {
                object: o.meta.name.clone(),
                change_type: "UNDELETE",
                record_id: id.to_owned(),
                changed: Vec::new(),
                fields: payload,
            });
        }
        Ok(())
    }

    /// Validate a platform event and queue it for the bus. Returns the id answered to the
    /// publisher and the event UUID.
    pub(crate) fn publish(
        &mut self,
        obj: &str,
        input: &Map<String, Value>,
        w: &WriteCtx,
    ) -> Result<(String, String), SfError> {
        let key = obj.to_ascii_lowercase();
        let vals = self.prepare(&key, input, true, None)?;
        let o = self.objects.get(&key).ok_or_else(SfError::not_found)?;
        let missing: Vec<String> = o
            .meta
            .fields
            .iter()
            .filter(|f| f.is_required() && vals.get(&f.name).is_none_or(Value::is_null))
            .map(|f| f.name.clone())
            .collect();
        if !missing.is_empty() {
            return Err(SfError::required_missing(&missing));
        }
        let name = o.meta.name.clone();
        let prefix = o.prefix.clone();
        let id = self.next_id(&prefix);
        let uuid = uuid_v4();
        let mut payload = Map::new();
        payload.insert("CreatedDate".into(), Value::String(iso_z(w.now)));
        payload.insert("CreatedById".into(), Value::String(w.user_id.clone()));
        payload.extend(vals);
        self.pending.push(Pending::Platform {
            object: name,
            payload,
            uuid: uuid.clone(),
        });
        Ok((id, uuid))
    }

    /// Insert a record as-is (in-process seeding): same checks, no change event.
    pub(crate) fn seed(
        &mut self,
        obj: &str,
        input: &Map<String, Value>,
        w: &WriteCtx,
    ) -> Result<String, SfError> {
        let name = self
            .resolve(obj)
            .ok_or_else(|| SfError::invalid_type(obj))?;
        let before = self.pending.len();
        let id = self.insert(&name, input, w)?;
        self.pending.truncate(before);
        Ok(id)
    }
}
