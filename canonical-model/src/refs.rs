//! References from a canonical record into the systems that hold a copy of it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A system Tributary connects. Serialised as a short lowercase name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum System {
    /// The PayTrace payment gateway (`"paytrace"`).
    Paytrace,
    /// Salesforce (`"salesforce"`).
    Salesforce,
    /// Dynamics 365 Finance & Operations (`"d365_fno"`).
    #[serde(rename = "d365_fno")]
    DynamicsFinanceOperations,
    /// Dynamics 365 Business Central (`"d365_bc"`).
    #[serde(rename = "d365_bc")]
    DynamicsBusinessCentral,
    /// A storefront or any other source, by name (`"shopify"`, `"chargeback_report"`).
    #[serde(untagged)]
    Other(String),
}

impl fmt::Display for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Paytrace => "paytrace",
            Self::Salesforce => "salesforce",
            Self::DynamicsFinanceOperations => "d365_fno",
            Self::DynamicsBusinessCentral => "d365_bc",
            Self::Other(name) => name,
        })
    }
}

/// The id of a record in another system: `{system: "salesforce", entity: "Account", id: "001…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExternalRef {
    /// Which system holds the record.
    pub system: System,
    /// The kind of record in that system (`"Account"`, `"Opportunity"`, `"CustomersV3"`), where
    /// the id alone is ambiguous.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// The record's id in that system, exactly as the system spells it.
    pub id: String,
}

impl ExternalRef {
    /// A reference without an entity name.
    pub fn new(system: System, id: impl Into<String>) -> Self {
        Self {
            system,
            entity: None,
            id: id.into(),
        }
    }

    /// A reference to a record of a named entity.
    pub fn entity(system: System, entity: impl Into<String>, id: impl Into<String>) -> Self {
        Self {
            system,
            entity: Some(entity.into()),
            id: id.into(),
        }
    }
}

/// The first reference into `system` (and `entity`, when given) in a list of references.
pub fn find_ref<'a>(
    refs: &'a [ExternalRef],
    system: &System,
    entity: Option<&str>,
) -> Option<&'a str> {
    refs.iter()
        .find(|r| &r.system == system && (entity.is_none() || r.entity.as_deref() == entity))
        .map(|r| r.id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_names_are_stable() {
        let json = serde_json::to_value([
            System::Paytrace,
            System::Salesforce,
            System::DynamicsFinanceOperations,
            System::DynamicsBusinessCentral,
            System::Other("shopify".into()),
        ])
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!(["paytrace", "salesforce", "d365_fno", "d365_bc", "shopify"])
        );
        let back: Vec<System> = serde_json::from_value(json).unwrap();
        assert_eq!(back[2], System::DynamicsFinanceOperations);
        assert_eq!(back[4], System::Other("shopify".into()));
        assert_eq!(System::DynamicsBusinessCentral.to_string(), "d365_bc");
    }

    #[test]
    fn find_ref_filters_by_system_and_entity() {
        let refs = vec![
            ExternalRef::entity(System::Salesforce, "Opportunity", "006A"),
            ExternalRef::entity(System::Salesforce, "Account", "001A"),
            ExternalRef::new(System::Paytrace, "42"),
        ];
        assert_eq!(
            find_ref(&refs, &System::Salesforce, Some("Account")),
            Some("001A")
        );
        assert_eq!(find_ref(&refs, &System::Salesforce, None), Some("006A"));
        assert_eq!(find_ref(&refs, &System::Paytrace, None), Some("42"));
        assert_eq!(
            find_ref(&refs, &System::DynamicsBusinessCentral, None),
            None
        );
        let json = serde_json::to_value(&refs[2]).unwrap();
        assert_eq!(json, serde_json::json!({"system": "paytrace", "id": "42"}));
    }
}
