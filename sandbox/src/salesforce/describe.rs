//! Describe: `GET /sobjects/` (describeGlobal), `GET /sobjects/Obj/` (basic information)
//! and `GET /sobjects/Obj/describe/`.

use serde_json::{Value, json};

use super::schema::{FieldMeta, ObjectKind};
use super::store::{Db, ObjectState};

fn urls(o: &ObjectState, version: u32) -> Value {
    let base = format!("/services/data/v{version}.0/sobjects/{}", o.meta.name);
    json!({
        "sobject": base,
        "describe": format!("{base}/describe"),
        "rowTemplate": format!("{base}/{{ID}}"),
    })
}

/// The short description used by describeGlobal and basic information.
fn summary(o: &ObjectState, version: u32) -> Value {
    let stored = o.meta.kind != ObjectKind::PlatformEvent;
    json!({
        "name": o.meta.name,
        "label": o.meta.label,
        "labelPlural": o.meta.label_plural,
        "keyPrefix": o.prefix,
        "custom": o.meta.is_custom(),
        "customSetting": false,
        "queryable": stored,
        "searchable": stored,
        "retrieveable": stored,
        "createable": true,
        "updateable": stored,
        "deletable": stored,
        "undeletable": stored,
        "triggerable": true,
        "layoutable": stored,
        "replicateable": stored,
        "mergeable": false,
        "feedEnabled": false,
        "activateable": false,
        "deprecatedAndHidden": false,
        "urls": urls(o, version),
    })
}

fn field_json(f: &FieldMeta) -> Value {
    json!({
        "name": f.name,
        "label": f.label,
        "type": f.field_type.as_str(),
        "length": f.length.unwrap_or(0),
        "nillable": f.nillable,
        "createable": f.createable,
        "updateable": f.updateable,
        "externalId": f.external_id,
        "idLookup": f.id_lookup,
        "unique": f.unique,
        "custom": f.name.ends_with("__c"),
        "calculated": f.calculated,
        "defaultedOnCreate": f.defaulted_on_create,
        "defaultValue": f.default_value,
        "referenceTo": f.reference_to,
        "relationshipName": f.relationship_name,
        "picklistValues": f.picklist_values.iter().map(|v| json!({
            "active": true, "defaultValue": false, "label": v, "validFor": null, "value": v,
        })).collect::<Vec<_>>(),
        "filterable": true,
        "sortable": true,
        "soapType": soap_type(f),
    })
}

fn soap_type(f: &FieldMeta) -> &'static str {
    use super::schema::FieldType as T;
    match f.field_type {
        T::Id | T::Reference => "tns:ID",
        T::Boolean => "xsd:boolean",
        T::Int => "xsd:int",
        T::Double | T::Currency | T::Percent => "xsd:double",
        T::Date => "xsd:date",
        T::DateTime => "xsd:dateTime",
        _ => "xsd:string",
    }
}

/// `GET /sobjects/`.
pub(crate) fn global(db: &Db, version: u32) -> Value {
    json!({
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": db.objects().map(|o| summary(o, version)).collect::<Vec<_>>(),
    })
}

/// `GET /sobjects/Obj/`.
pub(crate) fn basic(o: &ObjectState, version: u32) -> Value {
    json!({"objectDescribe": summary(o, version), "recentItems": []})
}

/// `GET /sobjects/Obj/describe/`.
pub(crate) fn object(db: &Db, o: &ObjectState, version: u32) -> Value {
    let mut v = summary(o, version);
    v["fields"] = Value::Array(o.meta.fields.iter().map(field_json).collect());
    let children: Vec<Value> = db
        .objects()
        .flat_map(|child| {
            child
                .meta
                .fields
                .iter()
                .filter(|f| {
                    f.reference_to
                        .iter()
                        .any(|t| t.eq_ignore_ascii_case(&o.meta.name))
                })
                .filter(|f| !matches!(f.name.as_str(), "CreatedById" | "LastModifiedById"))
                .map(move |f| {
                    json!({
                        "childSObject": child.meta.name,
                        "field": f.name,
                        "relationshipName": child_relationship_name(&child.meta.name),
                        "cascadeDelete": false,
                    })
                })
        })
        .collect();
    v["childRelationships"] = Value::Array(children);
    v["recordTypeInfos"] = json!([]);
    v
}

/// The conventional child relationship name: `Contacts`, `Opportunities`, `Payments__r`.
pub(crate) fn child_relationship_name(child: &str) -> String {
    if let Some(base) = child.strip_suffix("__c") {
        return format!("{base}s__r");
    }
    if let Some(stem) = child.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        return format!("{stem}ies");
    }
    if child.ends_with('s') {
        return format!("{child}es");
    }
    format!("{child}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_names() {
        assert_eq!(child_relationship_name("Contact"), "Contacts");
        assert_eq!(child_relationship_name("Opportunity"), "Opportunities");
        assert_eq!(child_relationship_name("Payment__c"), "Payments__r");
        assert_eq!(child_relationship_name("Case"), "Cases");
        assert_eq!(child_relationship_name("Address"), "Addresses");
    }
}
