//! Customers: a person or an organization, with contact details and addresses.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::address::Address;
use crate::refs::{ExternalRef, System, find_ref};

/// The parts of a person's name. `mapping::transform::name` splits and joins them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PersonName {
    /// Title before the name ("Dr.").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// Given (first) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given: Option<String>,
    /// Middle name or initial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle: Option<String>,
    /// Family (last) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Suffix after the name ("Jr.", "III").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suffix: Option<String>,
}

impl PersonName {
    /// The set parts joined by single spaces, in order: "Dr. Jane Q. Doe Jr.".
    pub fn full(&self) -> String {
        [
            &self.prefix,
            &self.given,
            &self.middle,
            &self.family,
            &self.suffix,
        ]
        .into_iter()
        .flatten()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
    }
}

/// Who the customer is: a person or an organization.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Party {
    /// A consumer.
    Person(PersonName),
    /// A company or other organization.
    Organization {
        /// The registered or trading name.
        name: String,
    },
}

/// A customer as every system sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// Person or organization, with the name.
    pub party: Party,
    /// Primary email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Primary phone number as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Billing address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<Address>,
    /// Shipping address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<Address>,
    /// The customer's ids in each system: PayTrace vault id, Salesforce Account id, ERP
    /// customer account.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<ExternalRef>,
    /// Custom fields carried between systems by the field-mapping engine.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, serde_json::Value>,
}

impl Customer {
    /// A customer with only a party set.
    pub fn new(party: Party) -> Self {
        Self {
            party,
            email: None,
            phone: None,
            billing_address: None,
            shipping_address: None,
            references: Vec::new(),
            metadata: BTreeMap::new(),
        }
    }

    /// The name to show: the organization name, or the person's full name.
    pub fn display_name(&self) -> String {
        match &self.party {
            Party::Person(name) => name.full(),
            Party::Organization { name } => name.trim().to_owned(),
        }
    }

    /// Whether the customer is an organization.
    pub fn is_organization(&self) -> bool {
        matches!(self.party, Party::Organization { .. })
    }

    /// The customer's id in `system` (the first one, when there are several).
    pub fn reference(&self, system: &System) -> Option<&str> {
        find_ref(&self.references, system, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jane() -> Customer {
        let mut c = Customer::new(Party::Person(PersonName {
            given: Some("Jane".into()),
            middle: Some("Q.".into()),
            family: Some("Doe".into()),
            ..PersonName::default()
        }));
        c.references
            .push(ExternalRef::new(System::Paytrace, "cust-17"));
        c
    }

    #[test]
    fn display_names() {
        assert_eq!(jane().display_name(), "Jane Q. Doe");
        let acme = Customer::new(Party::Organization {
            name: " Acme Corp ".into(),
        });
        assert_eq!(acme.display_name(), "Acme Corp");
        assert!(acme.is_organization());
        assert!(!jane().is_organization());
        assert_eq!(jane().reference(&System::Paytrace), Some("cust-17"));
    }

    #[test]
    fn party_is_tagged_by_kind() {
        let json = serde_json::to_value(jane()).unwrap();
        assert_eq!(
            json["party"],
            serde_json::json!({"kind": "person", "given": "Jane", "middle": "Q.", "family": "Doe"})
        );
        let org = serde_json::to_value(Party::Organization {
            name: "Acme".into(),
        })
        .unwrap();
        assert_eq!(
            org,
            serde_json::json!({"kind": "organization", "name": "Acme"})
        );
        let back: Customer = serde_json::from_value(json).unwrap();
        assert_eq!(back, jane());
    }
}
