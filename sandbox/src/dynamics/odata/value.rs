//! JSON value helpers: decimals as JSON numbers, GUIDs, instants and dates in the wire formats.

use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, Utc};
use rand::Rng;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Number, Value};

/// A JSON number (or numeric string) as a decimal.
pub(crate) fn json_decimal(v: &Value) -> Option<Decimal> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        _ => return None,
    };
    text.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(&text).ok())
}

/// A decimal as a JSON number: an integer when it has no fraction, else the shortest float
/// that prints the same digits.
pub(crate) fn dec_json(d: Decimal) -> Value {
    let d = d.normalize();
    if d.fract().is_zero()
        && let Some(i) = d.to_i64()
    {
        return Value::Number(Number::from(i));
    }
    d.to_f64()
        .and_then(Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// `a * b`, saturating at the decimal range instead of overflowing.
pub(crate) fn mul(a: Decimal, b: Decimal) -> Decimal {
    a.checked_mul(b)
        .unwrap_or(if a.is_sign_negative() == b.is_sign_negative() {
            Decimal::MAX
        } else {
            Decimal::MIN
        })
}

/// `a * percent / 100`, saturating.
pub(crate) fn percent(a: Decimal, percent: Decimal) -> Decimal {
    mul(a, percent) / Decimal::ONE_HUNDRED
}

/// Largest magnitude accepted for a client-supplied number (keeps every product the emulator
/// computes inside the decimal range).
pub(crate) const MAX_MAGNITUDE: Decimal = Decimal::from_parts(0xD4A5_1000, 0xE8, 0, false, 0);

/// The decimal value of a row property (0 when absent or not numeric).
pub(crate) fn dec_of(v: Option<&Value>) -> Decimal {
    v.and_then(json_decimal).unwrap_or_default()
}

/// Whether `s` is a GUID in 8-4-4-4-12 form.
pub(crate) fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A new random (version 4) GUID, lowercase.
pub(crate) fn new_guid() -> String {
    let mut rng = rand::rng();
    let a: u32 = rng.random();
    let b: u16 = rng.random();
    let c: u16 = (rng.random::<u16>() & 0x0fff) | 0x4000;
    let d: u16 = (rng.random::<u16>() & 0x3fff) | 0x8000;
    let e: u64 = rng.random::<u64>() & 0xffff_ffff_ffff;
    format!("{a:08x}-{b:04x}-{c:04x}-{d:04x}-{e:012x}")
}

/// Parse an RFC 3339 instant, or a date (midnight UTC).
pub(crate) fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.to_utc())
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .map(|d| d.and_time(NaiveTime::MIN).and_utc())
        })
}

/// `2024-05-01T18:00:00Z` (milliseconds only when present).
pub(crate) fn format_instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Parse a date (`YYYY-MM-DD`) or take the UTC date of an instant.
pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .or_else(|| parse_instant(s).map(|t| t.date_naive()))
}

/// An F&O date-only value: the date at noon UTC.
pub(crate) fn fno_date(d: NaiveDate) -> String {
    format!("{}T12:00:00Z", d.format("%Y-%m-%d"))
}

/// `Yes`/`No` of F&O's `NoYes` enum.
pub(crate) fn no_yes(b: bool) -> Value {
    Value::String(if b { "Yes" } else { "No" }.to_owned())
}

/// A string property of a row ("" when absent or not a string).
pub(crate) fn str_of(v: Option<&Value>) -> &str {
    v.and_then(Value::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_trip_as_numbers() {
        assert_eq!(dec_json(Decimal::new(12345, 2)).to_string(), "123.45");
        assert_eq!(dec_json(Decimal::new(100, 2)).to_string(), "1");
        assert_eq!(json_decimal(&Value::from(0.1)), Some(Decimal::new(1, 1)));
        assert_eq!(
            json_decimal(&Value::from("12.50")),
            Some(Decimal::new(1250, 2))
        );
        assert_eq!(MAX_MAGNITUDE, Decimal::from(1_000_000_000_000i64));
        assert_eq!(mul(Decimal::MAX, Decimal::TWO), Decimal::MAX);
        assert_eq!(mul(Decimal::MAX, -Decimal::TWO), Decimal::MIN);
    }

    #[test]
    fn guids_and_dates() {
        let g = new_guid();
        assert!(is_guid(&g), "{g}");
        assert!(!is_guid("not-a-guid"));
        let d = parse_date("2024-01-31T00:00:00Z").unwrap();
        assert_eq!(fno_date(d), "2024-01-31T12:00:00Z");
        assert_eq!(
            format_instant(parse_instant("2024-01-31T10:00:00+02:00").unwrap()),
            "2024-01-31T08:00:00Z"
        );
    }
}
