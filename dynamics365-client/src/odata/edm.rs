//! Serde helpers for entity fields: `Edm.Decimal` money as JSON numbers without `f64`
//! surprises, and [`Extra`], the unknown fields a record keeps.
//!
//! Decimals are written as JSON numbers (what OData services expect) and read from numbers or
//! strings (`IEEE754Compatible=true` services send strings). A decimal that a JSON number
//! cannot carry exactly (more than ~15 significant digits) is refused instead of being
//! silently rounded; money never comes near that.

use std::ops::{Deref, DerefMut};

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::de::{self, Deserializer, Visitor};
use serde::ser::{self, SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `#[serde(with = "…::edm::decimal")]` for a `Decimal` field.
pub mod decimal {
    use super::*;

    /// Writes `value` as a JSON number.
    ///
    /// # Errors
    /// When the number would lose digits as a JSON number.
    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        let float = value
            .to_f64()
            .filter(|f| f.is_finite())
            .ok_or_else(|| ser::Error::custom(format!("{value} is not representable")))?;
        match float.to_string().parse::<Decimal>() {
            Ok(back) if back == *value => serializer.serialize_f64(float),
            _ => Err(ser::Error::custom(format!(
                "{value} cannot be written as a JSON number without losing digits"
            ))),
        }
    }

    /// Reads a JSON number or a numeric string.
    ///
    /// # Errors
    /// For anything else.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        deserializer.deserialize_any(DecimalVisitor)
    }
}

/// `#[serde(with = "…::edm::decimal_opt")]` for an `Option<Decimal>` field.
pub mod decimal_opt {
    use super::*;

    /// Writes the decimal as a JSON number, `None` as `null`.
    ///
    /// # Errors
    /// As [`decimal::serialize`].
    pub fn serialize<S: Serializer>(
        value: &Option<Decimal>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => super::decimal::serialize(d, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Reads a JSON number, a numeric string or `null`.
    ///
    /// # Errors
    /// For anything else.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Decimal>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super::decimal")] Decimal);
        Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|w| w.0))
    }
}

struct DecimalVisitor;

impl Visitor<'_> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a decimal number")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        // The shortest text of the float is the number the sender wrote.
        let text = v.to_string();
        text.parse::<Decimal>()
            .or_else(|_| Decimal::from_scientific(&text))
            .map_err(|_| E::custom(format!("{text} is out of range for a decimal")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        let t = v.trim();
        t.parse::<Decimal>()
            .or_else(|_| Decimal::from_scientific(t))
            .map_err(|_| E::custom(format!("{v:?} is not a decimal")))
    }
}

/// The fields of a record that its Rust type does not name: custom fields, fields added in a
/// later release. Kept on read, written back on write, so they survive a round trip and the
/// field-mapping engine can reach them. Instance annotations (`@odata.context`,
/// `Prop@odata.type`) are kept on read but never written.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct Extra(pub Map<String, Value>);

impl Extra {
    /// No extra fields.
    pub fn new() -> Extra {
        Extra::default()
    }
}

impl Deref for Extra {
    type Target = Map<String, Value>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for Extra {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Serialize for Extra {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields: Vec<(&String, &Value)> =
            self.0.iter().filter(|(k, _)| !k.contains('@')).collect();
        let mut map = serializer.serialize_map(Some(fields.len()))?;
        for (k, v) in fields {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Row {
        #[serde(with = "decimal")]
        amount: Decimal,
        #[serde(with = "decimal_opt", default, skip_serializing_if = "Option::is_none")]
        limit: Option<Decimal>,
        #[serde(flatten)]
        extra: Extra,
    }

    #[test]
    fn decimals_round_trip_as_numbers() {
        let row: Row = serde_json::from_str(
            r#"{"amount": 169.95, "limit": "1000.10", "Custom_Field": "x", "@odata.etag": "W/\"1\""}"#,
        )
        .unwrap();
        assert_eq!(row.amount, dec!(169.95));
        assert_eq!(row.limit, Some(dec!(1000.10)));
        assert_eq!(row.extra.get("Custom_Field"), Some(&Value::from("x")));
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"amount": 169.95, "limit": 1000.1, "Custom_Field": "x"})
        );
        let row: Row = serde_json::from_str(r#"{"amount": 0.1, "limit": null}"#).unwrap();
        assert_eq!((row.amount, row.limit), (dec!(0.1), None));
        let row: Row = serde_json::from_str(r#"{"amount": -12}"#).unwrap();
        assert_eq!(row.amount, dec!(-12));
    }

    #[test]
    fn decimals_that_would_lose_digits_are_refused() {
        let row = Row {
            amount: dec!(1234567890.123456789),
            limit: None,
            extra: Extra::new(),
        };
        assert!(serde_json::to_string(&row).is_err());
        assert!(serde_json::from_str::<Row>(r#"{"amount": true}"#).is_err());
    }
}
