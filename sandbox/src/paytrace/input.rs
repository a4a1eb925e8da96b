//! Lenient, panic-free access to request bodies (strings or numbers both accepted).

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::model::Address;

/// Largest amount accepted (keeps every sum far from `Decimal` overflow).
pub(crate) const MAX_AMOUNT: Decimal = Decimal::from_parts(999_999_999, 0, 0, false, 2);

/// A JSON object from a request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Input<'a>(pub(crate) &'a Map<String, Value>);

/// A field that may be missing, present but invalid, or valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Field<T> {
    Missing,
    Invalid,
    Ok(T),
}

impl<'a> Input<'a> {
    pub(crate) fn raw(&self, key: &str) -> Option<&'a Value> {
        match self.0.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.str(key).is_some() || self.obj(key).is_some()
    }

    /// A non-empty string (numbers and booleans are turned into text), trimmed.
    pub(crate) fn str(&self, key: &str) -> Option<String> {
        match self.raw(key)? {
            Value::String(s) => {
                let t = s.trim();
                (!t.is_empty()).then(|| t.to_owned())
            }
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A string, or `""`.
    pub(crate) fn text(&self, key: &str) -> String {
        self.str(key).unwrap_or_default()
    }

    /// A nested object.
    pub(crate) fn obj(&self, key: &str) -> Option<Input<'a>> {
        match self.raw(key)? {
            Value::Object(m) => Some(Input(m)),
            _ => None,
        }
    }

    /// A nested object as a map (for passthrough data).
    pub(crate) fn map(&self, key: &str) -> Option<&'a Map<String, Value>> {
        match self.raw(key)? {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// `true`, `"true"`, `1`, `"1"`, `"Y"` are true.
    pub(crate) fn flag(&self, key: &str) -> bool {
        match self.raw(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_u64() == Some(1),
            Some(Value::String(s)) => {
                matches!(
                    s.trim().to_ascii_lowercase().as_str(),
                    "true" | "1" | "y" | "yes"
                )
            }
            _ => false,
        }
    }

    /// A positive integer id (JSON integer or digit string).
    pub(crate) fn id(&self, key: &str) -> Field<u64> {
        match self.raw(key) {
            None => Field::Missing,
            Some(Value::Number(n)) => match n.as_u64() {
                Some(v) if v > 0 => Field::Ok(v),
                _ => Field::Invalid,
            },
            Some(Value::String(s)) => {
                let t = s.trim();
                if t.is_empty() {
                    Field::Missing
                } else {
                    match t.parse::<u64>() {
                        Ok(v) if v > 0 && t.bytes().all(|b| b.is_ascii_digit()) => Field::Ok(v),
                        _ => Field::Invalid,
                    }
                }
            }
            Some(_) => Field::Invalid,
        }
    }

    /// An amount: JSON number or string, > 0, at most 2 decimals, at most [`MAX_AMOUNT`].
    pub(crate) fn amount(&self, key: &str) -> Field<Decimal> {
        match self.raw(key) {
            None => Field::Missing,
            Some(Value::String(s)) if s.trim().is_empty() => Field::Missing,
            Some(v) => match parse_amount(v) {
                Some(d) => Field::Ok(d),
                None => Field::Invalid,
            },
        }
    }

    /// An address object (absent → all-empty address).
    pub(crate) fn address(&self, key: &str) -> Address {
        match self.obj(key) {
            None => Address::default(),
            Some(a) => Address {
                name: a.text("name"),
                street_address: a.text("street_address"),
                street_address2: a.text("street_address2"),
                city: a.text("city"),
                county: a.text("county"),
                state: a.text("state"),
                zip: a.text("zip"),
                country: a.text("country"),
            },
        }
    }
}

/// Parse an amount from a JSON value: > 0, at most 2 decimals, at most [`MAX_AMOUNT`].
pub(crate) fn parse_amount(v: &Value) -> Option<Decimal> {
    parse_money(v).filter(|d| *d > Decimal::ZERO)
}

/// Parse a money value that may be zero (level 3 discounts, taxes).
pub(crate) fn parse_money(v: &Value) -> Option<Decimal> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        _ => return None,
    };
    if text.is_empty()
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
    {
        return None;
    }
    let d = if text.contains(['e', 'E']) {
        Decimal::from_scientific(&text).ok()?
    } else {
        text.parse::<Decimal>().ok()?
    };
    let d = d.normalize();
    if d < Decimal::ZERO || d.scale() > 2 || d > MAX_AMOUNT {
        return None;
    }
    let mut d = d.round_dp(2);
    d.rescale(2);
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn amounts() {
        let ok = |v: Value| parse_amount(&v).map(|d| d.to_string());
        assert_eq!(ok(json!("1.00")), Some("1.00".into()));
        assert_eq!(ok(json!(51.88)), Some("51.88".into()));
        assert_eq!(ok(json!(19.99)), Some("19.99".into()));
        assert_eq!(ok(json!("1.500")), Some("1.50".into()));
        assert_eq!(ok(json!(7)), Some("7.00".into()));
        assert_eq!(ok(json!(1e2)), Some("100.00".into()));
        assert_eq!(ok(json!("1.001")), None);
        assert_eq!(ok(json!(0)), None);
        assert_eq!(ok(json!("-1")), None);
        assert_eq!(ok(json!("abc")), None);
        assert_eq!(ok(json!("1,00")), None);
        assert_eq!(ok(json!("1e999")), None);
        assert_eq!(ok(json!("1000000000")), None);
        assert_eq!(ok(json!(true)), None);
    }

    #[test]
    fn ids() {
        let m = json!({"a": 5, "b": "12", "c": "x1", "d": -1, "e": "", "f": 1.5});
        let i = Input(m.as_object().unwrap());
        assert_eq!(i.id("a"), Field::Ok(5));
        assert_eq!(i.id("b"), Field::Ok(12));
        assert_eq!(i.id("c"), Field::Invalid);
        assert_eq!(i.id("d"), Field::Invalid);
        assert_eq!(i.id("e"), Field::Missing);
        assert_eq!(i.id("f"), Field::Invalid);
        assert_eq!(i.id("z"), Field::Missing);
    }
}
