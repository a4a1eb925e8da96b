//! In-memory records with Salesforce's write rules: field names resolved case-insensitively,
//! unknown and read-only fields refused, values checked against their field types, required
//! fields, unique values, relationship references by external ID, soft delete, and a change
//! log of every write for Change Data Capture.
//!
//! [`Db`] is `Clone`: an all-or-none request snapshots it and puts the snapshot back when a
//! part fails. Change events and platform events wait in [`Db::pending`] until the request
//! commits, so a rolled-back write never reaches the event bus.

mod dml;
mod object;
mod values;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::ids;
use super::schema::{ObjectKind, ObjectMeta};
pub(crate) use object::ObjectState;
pub use object::Record;
use object::is_custom_field_name;
pub(crate) use values::match_key;

/// A write waiting for commit, for the event bus.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Pending {
    Change {
        object: String,
        change_type: &'static str,
        record_id: String,
        changed: Vec<String>,
        fields: Map<String, Value>,
    },
    Platform {
        object: String,
        payload: Map<String, Value>,
        uuid: String,
    },
}

/// Who writes, and when.
#[derive(Clone, Debug)]
pub(crate) struct WriteCtx {
    pub(crate) now: DateTime<Utc>,
    pub(crate) user_id: String,
}

/// Every object and record of the org.
#[derive(Clone, Debug)]
pub(crate) struct Db {
    objects: BTreeMap<String, ObjectState>,
    ids: HashMap<String, String>,
    prefixes: HashMap<String, String>,
    seq: u64,
    next_custom: u32,
    next_event: u32,
    autonumber: u64,
    auto_create: bool,
    pub(crate) pending: Vec<Pending>,
}

impl Db {
    pub(crate) fn new(metas: Vec<ObjectMeta>, auto_create: bool) -> Self {
        let mut db = Self {
            objects: BTreeMap::new(),
            ids: HashMap::new(),
            prefixes: HashMap::new(),
            seq: 0,
            next_custom: 0,
            next_event: 0,
            autonumber: 0,
            auto_create,
            pending: Vec::new(),
        };
        for m in metas {
            db.define(m);
        }
        db
    }

    fn alloc_prefix(&mut self, meta: &ObjectMeta) -> String {
        if let Some(p) = &meta.key_prefix
            && p.len() == 3
            && !self.prefixes.contains_key(p)
        {
            return p.clone();
        }
        let (letter, counter) = match meta.kind {
            ObjectKind::PlatformEvent => ('e', &mut self.next_event),
            _ => ('a', &mut self.next_custom),
        };
        loop {
            let p = ids::family_prefix(letter, *counter);
            *counter += 1;
            if !self.prefixes.contains_key(&p) {
                return p;
            }
        }
    }

    /// Add or replace an object's metadata; records of a replaced object are kept.
    pub(crate) fn define(&mut self, meta: ObjectMeta) -> String {
        let key = meta.name.to_ascii_lowercase();
        let name = meta.name.clone();
        if let Some(old) = self.objects.remove(&key) {
            let mut meta = meta;
            meta.key_prefix = Some(old.prefix.clone());
            let mut st = ObjectState::new(meta, old.prefix);
            for rec in old.records.into_values() {
                st.put(rec);
            }
            self.objects.insert(key, st);
        } else {
            let prefix = self.alloc_prefix(&meta);
            self.prefixes.insert(prefix.clone(), key.clone());
            self.objects.insert(key, ObjectState::new(meta, prefix));
        }
        name
    }

    /// The canonical name of object `name`, creating an undeclared custom object or
    /// platform event when allowed.
    pub(crate) fn resolve(&mut self, name: &str) -> Option<String> {
        if let Some(o) = self.objects.get(&name.to_ascii_lowercase()) {
            return Some(o.meta.name.clone());
        }
        let lower = name.to_ascii_lowercase();
        let valid = (lower.ends_with("__c") || lower.ends_with("__e"))
            && name
                .get(..name.len() - 3)
                .is_some_and(|base| is_custom_field_name(&format!("{base}__c")));
        if !(self.auto_create && valid) {
            return None;
        }
        let canonical = self.define(ObjectMeta::new(name));
        if let Some(o) = self.objects.get_mut(&lower) {
            o.auto_created = true;
        }
        Some(canonical)
    }

    pub(crate) fn obj(&self, name: &str) -> Option<&ObjectState> {
        self.objects.get(&name.to_ascii_lowercase())
    }

    pub(crate) fn obj_mut(&mut self, name: &str) -> Option<&mut ObjectState> {
        self.objects.get_mut(&name.to_ascii_lowercase())
    }

    pub(crate) fn objects(&self) -> impl Iterator<Item = &ObjectState> {
        self.objects.values()
    }

    /// The object a record id belongs to (by stored id, else by key prefix).
    pub(crate) fn object_of_id(&self, id: &str) -> Option<&ObjectState> {
        self.ids
            .get(id)
            .or_else(|| ids::prefix_of(id).and_then(|p| self.prefixes.get(p)))
            .and_then(|k| self.objects.get(k))
    }

    /// A record (deleted ones too).
    pub(crate) fn record(&self, id: &str) -> Option<&Record> {
        let key = self.ids.get(id)?;
        self.objects.get(key)?.records.get(id)
    }

    /// Live records of `obj` whose `field` matches `value`.
    pub(crate) fn find_by(&self, obj: &str, field: &str, value: &Value) -> Vec<String> {
        let (Some(o), Some(want)) = (self.obj(obj), match_key(value)) else {
            return Vec::new();
        };
        let Some(f) = o.field(field) else {
            return Vec::new();
        };
        o.matching(&f.name, &want)
            .into_iter()
            .map(|r| r.id.clone())
            .collect()
    }

    fn next_id(&mut self, prefix: &str) -> String {
        self.seq += 1;
        ids::make_id(prefix, self.seq)
    }

    /// Put a snapshot back, keeping the id sequence (ids are never reused).
    pub(crate) fn restore(&mut self, mut snapshot: Db) {
        snapshot.seq = snapshot.seq.max(self.seq);
        snapshot.autonumber = snapshot.autonumber.max(self.autonumber);
        *self = snapshot;
    }

    /// Number of live records (for the storage limit).
    pub(crate) fn live_count(&self) -> usize {
        self.objects.values().map(|o| o.live().count()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::salesforce::schema::FieldMeta;
    use crate::salesforce::schema::standard_objects;
    use crate::salesforce::util::parse_datetime;
    use serde_json::json;

    fn ctx() -> WriteCtx {
        WriteCtx {
            now: parse_datetime("2024-05-01T18:00:00Z").unwrap(),
            user_id: "0055g0000000000001AAA".into(),
        }
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn insert_validates_and_canonicalises() {
        let mut db = Db::new(standard_objects(), true);
        let id = db
            .insert(
                "Account",
                &obj(json!({"name": "Acme", "Flag__c": true})),
                &ctx(),
            )
            .unwrap();
        assert!(id.starts_with("001"));
        let r = db.record(&id).unwrap();
        assert_eq!(r.fields["Name"], "Acme");
        assert_eq!(r.fields["Flag__c"], true);
        let e = db
            .insert("Account", &obj(json!({"Nmae": "x"})), &ctx())
            .unwrap_err();
        assert_eq!(e.code, "INVALID_FIELD");
        let e = db
            .insert("Account", &obj(json!({"Phone": "1"})), &ctx())
            .unwrap_err();
        assert_eq!(e.code, "REQUIRED_FIELD_MISSING");
        assert_eq!(e.fields, Some(vec!["Name".to_owned()]));
        let e = db
            .insert(
                "Account",
                &obj(json!({"Name": "x", "CreatedDate": "2020-01-01"})),
                &ctx(),
            )
            .unwrap_err();
        assert_eq!(e.code, "INVALID_FIELD_FOR_INSERT_UPDATE");
        let e = db
            .insert(
                "Account",
                &obj(json!({"Name": "x", "NumberOfEmployees": "many"})),
                &ctx(),
            )
            .unwrap_err();
        assert_eq!(e.code, "JSON_PARSER_ERROR");
        let e = db
            .insert(
                "Contact",
                &obj(json!({"LastName": "x", "AccountId": "nope"})),
                &ctx(),
            )
            .unwrap_err();
        assert_eq!(e.code, "MALFORMED_ID");
    }

    #[test]
    fn foreign_key_by_external_id_and_unique() {
        let mut db = Db::new(
            vec![
                ObjectMeta::new("Account")
                    .field(FieldMeta::text("Name", 80).required())
                    .field(FieldMeta::text("Ext__c", 20).external_id().unique()),
                ObjectMeta::new("Contact")
                    .field(FieldMeta::text("LastName", 80))
                    .field(FieldMeta::reference("AccountId", "Account", "Account")),
            ],
            true,
        );
        let a = db
            .insert(
                "Account",
                &obj(json!({"Name": "A", "Ext__c": "E1"})),
                &ctx(),
            )
            .unwrap();
        let e = db
            .insert(
                "Account",
                &obj(json!({"Name": "B", "Ext__c": "e1"})),
                &ctx(),
            )
            .unwrap_err();
        assert_eq!(e.code, "DUPLICATE_VALUE");
        assert!(e.message.contains(&a));
        let c = db
            .insert(
                "Contact",
                &obj(json!({"LastName": "L", "Account": {"Ext__c": "E1"}})),
                &ctx(),
            )
            .unwrap();
        assert_eq!(db.record(&c).unwrap().fields["AccountId"], a.as_str());
        let snapshot = db.clone();
        db.delete(None, &a, &ctx()).unwrap();
        assert_eq!(
            db.delete(None, &a, &ctx()).unwrap_err().code,
            "ENTITY_IS_DELETED"
        );
        db.restore(snapshot);
        assert!(!db.record(&a).unwrap().deleted);
        let d = db
            .insert("Account", &obj(json!({"Name": "D"})), &ctx())
            .unwrap();
        assert_ne!(d, c, "ids are not reused after a rollback");
    }

    #[test]
    fn the_key_index_follows_updates_deletes_and_redefinition() {
        let account = || {
            ObjectMeta::new("Account")
                .field(FieldMeta::text("Name", 80).required())
                .field(FieldMeta::text("Ext__c", 20).external_id().unique())
        };
        let mut db = Db::new(vec![account()], true);
        let ext = |v: &str| Value::String(v.to_owned());
        let a = db
            .insert(
                "Account",
                &obj(json!({"Name": "A", "Ext__c": "K1"})),
                &ctx(),
            )
            .unwrap();
        // A moves to K2: K1 is free again, K2 is taken (case-insensitively).
        db.update(None, &a, &obj(json!({"Ext__c": "K2"})), &ctx())
            .unwrap();
        assert!(db.find_by("Account", "Ext__c", &ext("K1")).is_empty());
        let b = db
            .insert(
                "Account",
                &obj(json!({"Name": "B", "Ext__c": "K1"})),
                &ctx(),
            )
            .unwrap();
        assert_eq!(db.find_by("Account", "ext__c", &ext("k1")), [b.as_str()]);
        assert_eq!(db.find_by("Account", "Ext__c", &ext("K2")), [a.as_str()]);
        let e = db
            .insert(
                "Account",
                &obj(json!({"Name": "C", "Ext__c": "k2"})),
                &ctx(),
            )
            .unwrap_err();
        assert_eq!(e.code, "DUPLICATE_VALUE");
        // A back to K1 is refused (B has it); a record may keep its own value.
        let e = db
            .update(None, &a, &obj(json!({"Ext__c": "K1"})), &ctx())
            .unwrap_err();
        assert_eq!(e.code, "DUPLICATE_VALUE");
        db.update(
            None,
            &a,
            &obj(json!({"Ext__c": "K2", "Name": "A2"})),
            &ctx(),
        )
        .unwrap();
        // A deleted record no longer holds its value.
        db.delete(None, &a, &ctx()).unwrap();
        assert!(db.find_by("Account", "Ext__c", &ext("K2")).is_empty());
        let c = db
            .insert(
                "Account",
                &obj(json!({"Name": "C", "Ext__c": "K2"})),
                &ctx(),
            )
            .unwrap();
        // Redefining the object keeps its records findable.
        db.define(account());
        assert_eq!(db.find_by("Account", "Ext__c", &ext("K1")), [b]);
        assert_eq!(db.find_by("Account", "Ext__c", &ext("K2")), [c]);
    }
}
