//! An ordered JSON output tree whose money values print with exactly two decimals.
//!
//! `serde_json::Value` cannot carry `2.00` as a number (it would print `2.0`), and PayTrace
//! prints export amounts as 2-decimal numbers. [`J::Money`] is written through
//! `serde_json::value::RawValue`, so the digits are exactly those of the decimal.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// One JSON value of a response.
#[derive(Clone, Debug)]
pub(crate) enum J {
    Bool(bool),
    Int(i64),
    UInt(u64),
    /// Number with exactly two decimals.
    Money(Decimal),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
    /// Passthrough of a stored request value (e.g. `discretionary_data`).
    Value(serde_json::Value),
}

/// Two-decimal text of an amount (banker's rounding never applies: inputs have ≤ 2 decimals).
pub(crate) fn money_text(d: Decimal) -> String {
    let r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    format!("{r:.2}")
}

impl J {
    /// An empty object.
    pub(crate) fn obj() -> Self {
        Self::Obj(Vec::new())
    }

    /// Append a field (no-op on non-objects).
    pub(crate) fn with(mut self, key: &str, value: impl Into<J>) -> Self {
        if let Self::Obj(fields) = &mut self {
            fields.push((key.to_owned(), value.into()));
        }
        self
    }

    /// Append a field if `value` is `Some`.
    pub(crate) fn with_opt(self, key: &str, value: Option<impl Into<J>>) -> Self {
        match value {
            Some(v) => self.with(key, v),
            None => self,
        }
    }

    /// A money number.
    pub(crate) fn money(d: Decimal) -> Self {
        Self::Money(d)
    }

    /// Money as a 2-decimal string (e.g. `tax_amount` in exports).
    pub(crate) fn money_str(d: Decimal) -> Self {
        Self::Str(money_text(d))
    }

    /// Serialize to bytes.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| {
            br#"{"success":false,"response_code":1,"status_message":"serialization failed"}"#
                .to_vec()
        })
    }
}

impl Serialize for J {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Bool(b) => s.serialize_bool(*b),
            Self::Int(i) => s.serialize_i64(*i),
            Self::UInt(u) => s.serialize_u64(*u),
            Self::Money(d) => {
                let raw = serde_json::value::RawValue::from_string(money_text(*d))
                    .map_err(S::Error::custom)?;
                raw.serialize(s)
            }
            Self::Str(t) => s.serialize_str(t),
            Self::Arr(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            Self::Obj(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Self::Value(v) => v.serialize(s),
        }
    }
}

impl From<bool> for J {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}
impl From<u64> for J {
    fn from(v: u64) -> Self {
        Self::UInt(v)
    }
}
impl From<u32> for J {
    fn from(v: u32) -> Self {
        Self::UInt(u64::from(v))
    }
}
impl From<u16> for J {
    fn from(v: u16) -> Self {
        Self::UInt(u64::from(v))
    }
}
impl From<usize> for J {
    fn from(v: usize) -> Self {
        Self::UInt(u64::try_from(v).unwrap_or(u64::MAX))
    }
}
impl From<i32> for J {
    fn from(v: i32) -> Self {
        Self::Int(i64::from(v))
    }
}
impl From<&str> for J {
    fn from(v: &str) -> Self {
        Self::Str(v.to_owned())
    }
}
impl From<String> for J {
    fn from(v: String) -> Self {
        Self::Str(v)
    }
}
impl From<&String> for J {
    fn from(v: &String) -> Self {
        Self::Str(v.clone())
    }
}
impl From<Vec<J>> for J {
    fn from(v: Vec<J>) -> Self {
        Self::Arr(v)
    }
}
impl From<serde_json::Value> for J {
    fn from(v: serde_json::Value) -> Self {
        Self::Value(v)
    }
}
impl From<serde_json::Map<String, serde_json::Value>> for J {
    fn from(v: serde_json::Map<String, serde_json::Value>) -> Self {
        Self::Value(serde_json::Value::Object(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_prints_two_decimals_and_keeps_order() {
        let j = J::obj()
            .with("z", J::money(Decimal::new(2, 0)))
            .with("a", J::money_str(Decimal::new(81, 1)))
            .with("m", J::money(Decimal::new(1999, 2)))
            .with_opt("n", None::<u64>)
            .with("arr", vec![J::from("x"), J::from(true), J::from(-3)]);
        let s = String::from_utf8(j.to_bytes()).unwrap();
        assert_eq!(s, r#"{"z":2.00,"a":"8.10","m":19.99,"arr":["x",true,-3]}"#);
    }
}
