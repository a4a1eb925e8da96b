//! Postal addresses with an ISO 3166-1 alpha-2 country.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};

/// An ISO 3166-1 alpha-2 country code (`"US"`), always two upper-case ASCII letters.
///
/// This type checks the shape only; the table of country names and their codes lives in
/// `mapping::transform::address`, which converts "United States" or "usa" into `US`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// The United States, the only country PayTrace's card network address checks know well.
    pub const US: CountryCode = CountryCode(*b"US");

    /// Parses a two-letter code, case-insensitively and ignoring surrounding spaces.
    ///
    /// # Errors
    /// [`ModelError::InvalidValue`] unless the input is exactly two ASCII letters.
    pub fn new(code: &str) -> Result<Self> {
        match code.trim().as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Ok(Self([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => Err(ModelError::invalid(
                "country code",
                format!("{code:?} is not an ISO 3166-1 alpha-2 code"),
            )),
        }
    }

    /// The code as a `&str`.
    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII letters by construction, so this never falls back.
        std::str::from_utf8(&self.0).unwrap_or("ZZ")
    }
}

impl FromStr for CountryCode {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self> {
        Self::new(s)
    }
}

impl TryFrom<String> for CountryCode {
    type Error = ModelError;
    fn try_from(value: String) -> Result<Self> {
        Self::new(&value)
    }
}

impl From<CountryCode> for String {
    fn from(value: CountryCode) -> Self {
        value.as_str().to_owned()
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountryCode({})", self.as_str())
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A postal address. Every part is optional because the systems we read from often hold only a
/// ZIP code or only a country.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Address {
    /// Street lines, first line first, without empty lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
    /// City or locality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State, province or region; for the US the two-letter USPS code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Postal code as written (`"98101"`, `"98101-1234"`, `"SW1A 1AA"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// The country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<CountryCode>,
}

impl Address {
    /// Whether no part of the address is set.
    pub fn is_empty(&self) -> bool {
        self.lines.iter().all(|l| l.trim().is_empty())
            && self.city.is_none()
            && self.region.is_none()
            && self.postal_code.is_none()
            && self.country.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_normalised_and_validated() {
        assert_eq!(CountryCode::new(" us ").unwrap(), CountryCode::US);
        assert_eq!(CountryCode::new("gb").unwrap().as_str(), "GB");
        for bad in ["", "U", "USA", "U1", "ÜS"] {
            assert!(CountryCode::new(bad).is_err(), "{bad:?} accepted");
        }
        assert!(serde_json::from_str::<CountryCode>("\"USA\"").is_err());
        assert_eq!(serde_json::to_string(&CountryCode::US).unwrap(), "\"US\"");
    }

    #[test]
    fn address_serialises_only_what_is_set() {
        let a = Address {
            lines: vec!["1 Main St".into()],
            postal_code: Some("98101".into()),
            country: Some(CountryCode::US),
            ..Address::default()
        };
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"lines": ["1 Main St"], "postal_code": "98101", "country": "US"})
        );
        assert_eq!(serde_json::from_value::<Address>(json).unwrap(), a);
        assert!(Address::default().is_empty());
        assert!(!a.is_empty());
    }
}
