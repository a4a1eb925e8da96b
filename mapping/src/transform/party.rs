//! Person or organization? Reads a payer's name into a canonical [`Party`].
//!
//! A name is an organization when it
//! - ends in a legal form (`Inc`, `LLC`, `Ltd`, `GmbH`, `Corp`, `Co.`, `S.A.`, `plc`, …),
//! - contains a word that only organizations use (`& Sons`, `Foundation`, `Holdings`,
//!   `University`, …), or starts with `The`,
//! - or contains a digit (`7-Eleven`, `3M`): person names do not.
//!
//! Words are compared ignoring case, dots and commas, so `"Acme, Inc."`, `"ACME INC"` and
//! `"Acme Inc"` are all organizations. Everything else is a person, split by
//! [`NameRules`]. Surnames that are also business words (`Church`,
//! `Bank`, `Trust`) are deliberately not on the list; add the words your data needs to
//! [`OrganizationMarkers`].

use canonical_model::Party;
use serde::{Deserialize, Serialize};

use super::error::{Result, TransformError};
use super::name::NameRules;
use super::vocab::normalize_key;

/// The words that mark a name as an organization's. `Default` holds ours; extend the lists or
/// load them from TOML/JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrganizationMarkers {
    /// Legal forms, matched as the last word(s) of the name.
    pub legal_suffixes: Vec<String>,
    /// Words or phrases matched as whole words anywhere in the name.
    pub keywords: Vec<String>,
    /// Words matched as the first word of the name.
    pub leading_words: Vec<String>,
    /// Whether a digit anywhere makes the name an organization's.
    pub digits_mean_organization: bool,
}

impl Default for OrganizationMarkers {
    fn default() -> Self {
        let list = |words: &[&str]| words.iter().map(|w| (*w).to_owned()).collect();
        Self {
            legal_suffixes: list(&[
                "Inc",
                "Inc.",
                "Incorporated",
                "LLC",
                "L.L.C.",
                "LLP",
                "LP",
                "L.P.",
                "PLLC",
                "LC",
                "Ltd",
                "Ltd.",
                "Limited",
                "Corp",
                "Corp.",
                "Corporation",
                "Co",
                "Co.",
                "Company",
                "PC",
                "P.C.",
                "plc",
                "GmbH",
                "GmbH & Co. KG",
                "AG",
                "KG",
                "OHG",
                "UG",
                "e.V.",
                "S.A.",
                "SA",
                "S.A.S.",
                "SAS",
                "SARL",
                "S.L.",
                "S.R.L.",
                "SRL",
                "S.p.A.",
                "SpA",
                "S.A. de C.V.",
                "Ltda",
                "B.V.",
                "BV",
                "N.V.",
                "NV",
                "Pty",
                "Pty Ltd",
                "Pte Ltd",
                "Sdn Bhd",
                "Bhd",
                "AB",
                "A/S",
                "AS",
                "ApS",
                "Oy",
                "Oyj",
                "K.K.",
                "Kft",
                "Zrt",
                "Sp. z o.o.",
                "SE",
            ]),
            keywords: list(&[
                "& Sons",
                "and Sons",
                "& Son",
                "& Co",
                "& Co.",
                "and Co",
                "& Company",
                "and Company",
                "& Associates",
                "Associates",
                "Foundation",
                "Association",
                "University",
                "College",
                "School",
                "Institute",
                "Society",
                "Holdings",
                "Group",
                "Partners",
                "Partnership",
                "Industries",
                "Enterprises",
                "Solutions",
                "Technologies",
                "Systems",
                "Services",
                "Consulting",
                "Ministries",
                "Hospital",
                "Agency",
                "Department",
                "Labs",
                "Bank of",
                "Church of",
                "Trust Company",
            ]),
            leading_words: list(&["The"]),
            digits_mean_organization: true,
        }
    }
}

/// The comparable words of a text: lower-case, dots gone, commas as spaces.
fn words(text: &str) -> Vec<String> {
    normalize_key(&text.replace(',', " "))
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

impl OrganizationMarkers {
    /// Whether `name` looks like an organization's (see the module docs).
    pub fn is_organization(&self, name: &str) -> bool {
        if self.digits_mean_organization && name.chars().any(|c| c.is_ascii_digit()) {
            return true;
        }
        let name_words = words(name);
        let ends_with = |marker: &str| {
            let m = words(marker);
            !m.is_empty() && name_words.len() > m.len() && name_words.ends_with(&m)
        };
        let contains = |marker: &str| {
            let m = words(marker);
            !m.is_empty() && name_words.windows(m.len()).any(|w| w == m.as_slice())
        };
        let starts_with = |marker: &str| {
            let m = words(marker);
            !m.is_empty() && name_words.len() > m.len() && name_words.starts_with(&m)
        };
        self.legal_suffixes.iter().any(|m| ends_with(m))
            || self.keywords.iter().any(|m| contains(m))
            || self.leading_words.iter().any(|m| starts_with(m))
    }

    /// Adds `other`'s words to ours.
    pub fn extend(&mut self, other: OrganizationMarkers) {
        self.legal_suffixes.extend(other.legal_suffixes);
        self.keywords.extend(other.keywords);
        self.leading_words.extend(other.leading_words);
        self.digits_mean_organization &= other.digits_mean_organization;
    }
}

/// `name` as a canonical [`Party`]: an organization (name trimmed, inner spaces collapsed) or a
/// person split by `rules`.
///
/// # Errors
/// [`TransformError::Missing`] for a blank name.
pub fn classify_party(
    name: &str,
    markers: &OrganizationMarkers,
    rules: &NameRules,
) -> Result<Party> {
    let cleaned = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if cleaned.is_empty() {
        return Err(TransformError::missing("party name"));
    }
    if markers.is_organization(&cleaned) {
        Ok(Party::Organization { name: cleaned })
    } else {
        rules.split(&cleaned).map(Party::Person)
    }
}

/// [`classify_party`] with the default markers and name rules.
///
/// ```
/// use canonical_model::Party;
/// use mapping::transform::party::party_from_name;
/// assert_eq!(
///     party_from_name("Acme Widgets, Inc.")?,
///     Party::Organization { name: "Acme Widgets, Inc.".into() }
/// );
/// let Party::Person(jane) = party_from_name("Jane Q. Doe")? else { unreachable!() };
/// assert_eq!(jane.family.as_deref(), Some("Doe"));
/// # Ok::<(), mapping::transform::TransformError>(())
/// ```
///
/// # Errors
/// [`TransformError::Missing`] for a blank name.
pub fn party_from_name(name: &str) -> Result<Party> {
    classify_party(name, &OrganizationMarkers::default(), &NameRules::default())
}

/// Whether `name` looks like an organization's, with the default markers.
pub fn looks_like_organization(name: &str) -> bool {
    OrganizationMarkers::default().is_organization(name)
}

/// The name to show for a party: the organization's name, or the person's full name.
pub fn party_display_name(party: &Party) -> String {
    match party {
        Party::Person(name) => name.full(),
        Party::Organization { name } => name.trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn organizations() {
        for name in [
            "Acme Inc",
            "Acme, Inc.",
            "ACME INC.",
            "Acme Incorporated",
            "Globex LLC",
            "Globex L.L.C.",
            "Initech Ltd",
            "Initech Limited",
            "Siemens AG",
            "Muster GmbH",
            "Muster GmbH & Co. KG",
            "Umbrella Corp.",
            "Umbrella Corporation",
            "Smith Co.",
            "Nestlé S.A.",
            "Tesco plc",
            "Volvo AB",
            "Maersk A/S",
            "Philips N.V.",
            "Ahold B.V.",
            "Atlassian Pty Ltd",
            "Grupo Bimbo, S.A. de C.V.",
            "W. Smith & Sons",
            "Smith and Sons Plumbing",
            "Johnson & Co",
            "Gates Foundation",
            "Stanford University",
            "Berkshire Hathaway Holdings",
            "The Home Depot",
            "7-Eleven",
            "3M",
            "Bank of America",
        ] {
            assert!(looks_like_organization(name), "{name:?} read as a person");
            assert_eq!(
                party_from_name(name).unwrap(),
                Party::Organization {
                    name: name.to_owned()
                }
            );
        }
    }

    #[test]
    fn people() {
        for name in [
            "Jane Q. Doe",
            "Dr. Jane Doe Jr.",
            "Doe, Jane Q.",
            "Cher",
            "María José García López",
            "John Church",
            "Amanda Bank",
            "Inc",
            "Theo Cooper",
            "Sara Coe",
            "Vincent van Gogh",
        ] {
            let party = party_from_name(name).unwrap();
            assert!(
                matches!(party, Party::Person(_)),
                "{name:?} read as {party:?}"
            );
        }
    }

    #[test]
    fn a_legal_form_needs_a_name_before_it() {
        assert!(!looks_like_organization("Inc"));
        assert!(!looks_like_organization("The"));
        assert!(looks_like_organization("Theodore Co."));
    }

    #[test]
    fn names_are_cleaned_and_blank_is_missing() {
        assert_eq!(
            party_from_name("  Acme   Inc  ").unwrap(),
            Party::Organization {
                name: "Acme Inc".into()
            }
        );
        assert_eq!(
            party_from_name("   ").unwrap_err(),
            TransformError::missing("party name")
        );
        assert_eq!(
            party_display_name(&party_from_name("Dr. Jane  Doe").unwrap()),
            "Dr. Jane Doe"
        );
        assert_eq!(
            party_display_name(&Party::Organization {
                name: " Acme ".into()
            }),
            "Acme"
        );
    }

    #[test]
    fn markers_are_extendable() {
        let mut markers = OrganizationMarkers::default();
        assert!(!markers.is_organization("Smith Bakery"));
        markers
            .extend(serde_json::from_value(serde_json::json!({"keywords": ["Bakery"]})).unwrap());
        assert!(markers.is_organization("Smith Bakery"));
        assert!(markers.is_organization("Acme Inc"));
        let no_digits = OrganizationMarkers {
            digits_mean_organization: false,
            ..OrganizationMarkers::default()
        };
        assert!(!no_digits.is_organization("Jane Doe 2"));
    }

    proptest! {
        #[test]
        fn classify_never_panics(s in "\\PC{0,40}") {
            let _ = party_from_name(&s);
        }
    }
}
