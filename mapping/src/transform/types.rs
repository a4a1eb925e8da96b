//! Scalars as the three systems write them: decimals, PayTrace amounts, F&O `NoYes`, loose
//! booleans, padded processor texts.
//!
//! ## Decimals accepted by [`parse_decimal`]
//!
//! | input | result |
//! |---|---|
//! | `"1234.50"`, `" 1234.50 "`, `"+1234.50"`, `"-0.5"`, `".5"`, `"5."` | the number |
//! | `"1,234.50"`, `"12,345,678"` | the number: commas group thousands, in threes |
//! | `"12,34"`, `"1,2345.00"`, `"1.234,50"` | refused: a comma that does not group thousands is a decimal comma we will not guess at |
//! | `"NaN"`, `"inf"`, `"1e5"`, `"0x10"`, `"1 234"`, `"--1"`, `""` | refused |
//!
//! Trailing zeros are kept (`"1.50"` has scale 2), because a 2-decimal amount should stay one.

use rust_decimal::Decimal;
use serde_json::Value;

use canonical_model::{Currency, Money};

use super::error::{Result, TransformError};

/// Parses a decimal number written with `.` as the decimal point and, optionally, `,`
/// grouping thousands (see the module docs for what is accepted).
///
/// ```
/// use mapping::transform::types::parse_decimal;
/// use rust_decimal::Decimal;
/// assert_eq!(parse_decimal("1,234.50")?, Decimal::new(123_450, 2));
/// assert!(parse_decimal("NaN").is_err());
/// # Ok::<(), mapping::transform::TransformError>(())
/// ```
///
/// # Errors
/// [`TransformError::Missing`] for blank text, [`TransformError::Invalid`] for anything that is
/// not such a number or does not fit a `Decimal`.
pub fn parse_decimal(text: &str) -> Result<Decimal> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(TransformError::missing("decimal number"));
    }
    let (negative, body) = if let Some(rest) = trimmed.strip_prefix('-') {
        (true, rest)
    } else {
        (false, trimmed.strip_prefix('+').unwrap_or(trimmed))
    };
    let digits = ungroup(body).ok_or_else(|| {
        TransformError::invalid(
            "decimal number",
            text,
            "expected digits with an optional '.' decimal point and ',' between groups of three",
        )
    })?;
    let value: Decimal = digits.parse().map_err(|_| {
        TransformError::invalid("decimal number", text, "too many digits for a decimal")
    })?;
    Ok(if negative { -value } else { value })
}

/// `body` without its thousands separators, if it is `digits[.digits]` with commas only
/// between groups of three in the integer part.
fn ungroup(body: &str) -> Option<String> {
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if let Some(frac) = frac_part
        && !all_digits(frac)
    {
        return None;
    }
    if int_part.is_empty() && frac_part.is_none_or(str::is_empty) {
        return None;
    }
    let groups: Vec<&str> = int_part.split(',').collect();
    let grouped_ok = match groups.as_slice() {
        [single] => all_digits(single),
        [first, rest @ ..] => {
            (1..=3).contains(&first.len())
                && all_digits(first)
                && rest.iter().all(|g| g.len() == 3 && all_digits(g))
        }
        [] => false,
    };
    if !grouped_ok {
        return None;
    }
    let mut out: String = groups.concat();
    if out.is_empty() {
        out.push('0');
    }
    if let Some(frac) = frac_part.filter(|f| !f.is_empty()) {
        out.push('.');
        out.push_str(frac);
    }
    Some(out)
}

/// [`parse_decimal`], refusing more than `max_scale` decimal places (trailing zeros do not
/// count: `"1.500"` passes with 2, `"1.505"` does not).
///
/// # Errors
/// As [`parse_decimal`], and [`TransformError::Invalid`] for too many decimals.
pub fn parse_decimal_with_scale(text: &str, max_scale: u32) -> Result<Decimal> {
    let value = parse_decimal(text)?;
    if value.normalize().scale() > max_scale {
        return Err(TransformError::invalid(
            "decimal number",
            text,
            format!("more than {max_scale} decimal places"),
        ));
    }
    Ok(value)
}

/// A decimal from a JSON value that may be a number or a string (PayTrace sends `amount` as a
/// number and `tax_amount` as a string; either is accepted on input).
///
/// # Errors
/// [`TransformError::Missing`] for `null` or a blank string, [`TransformError::Invalid`] for
/// other types or text that [`parse_decimal`] refuses.
pub fn decimal_from_json(value: &Value) -> Result<Decimal> {
    match value {
        Value::Null => Err(TransformError::missing("decimal number")),
        Value::String(s) => parse_decimal(s),
        // Without `arbitrary_precision` a JSON number is an f64 or an integer; its shortest
        // text form ("51.88") is the number the sender wrote.
        Value::Number(n) => n.to_string().parse::<Decimal>().or_else(|_| {
            Decimal::from_scientific(&n.to_string()).map_err(|_| {
                TransformError::invalid("decimal number", &n.to_string(), "out of range")
            })
        }),
        other => Err(TransformError::invalid(
            "decimal number",
            &json_type(other),
            "expected a number or a string",
        )),
    }
}

fn json_type(value: &Value) -> String {
    match value {
        Value::Bool(_) => "a boolean",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
        _ => "a value",
    }
    .to_owned()
}

/// A PayTrace request amount: exactly two decimals (`19.9` → `"19.90"`).
///
/// Amounts that would need rounding are refused rather than rounded, so no cent is lost or
/// invented silently: round first with `Money::round_to_minor_units` and a named `Rounding`.
///
/// ```
/// use mapping::transform::types::format_paytrace_amount;
/// use rust_decimal::Decimal;
/// assert_eq!(format_paytrace_amount(Decimal::new(199, 1))?, "19.90");
/// assert!(format_paytrace_amount(Decimal::new(19_999, 3)).is_err());
/// # Ok::<(), mapping::transform::TransformError>(())
/// ```
///
/// # Errors
/// [`TransformError::Invalid`] for a negative amount or one with more than two decimals.
pub fn format_paytrace_amount(amount: Decimal) -> Result<String> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(TransformError::invalid(
            "PayTrace amount",
            &amount.to_string(),
            "PayTrace amounts are positive; a refund is its own transaction type",
        ));
    }
    if amount.normalize().scale() > 2 {
        return Err(TransformError::invalid(
            "PayTrace amount",
            &amount.to_string(),
            "more than 2 decimals: round it to cents first",
        ));
    }
    let mut two = amount.abs();
    two.rescale(2);
    Ok(two.to_string())
}

/// [`format_paytrace_amount`] for money, which must be in US dollars (PayTrace's only
/// currency).
///
/// # Errors
/// [`TransformError::Invalid`] for another currency, and as [`format_paytrace_amount`].
pub fn format_paytrace_money(money: &Money) -> Result<String> {
    if money.currency != Currency::USD {
        return Err(TransformError::invalid(
            "PayTrace amount",
            money.currency.code(),
            "PayTrace charges in USD only",
        ));
    }
    format_paytrace_amount(money.amount)
}

/// An F&O `NoYes` enum value as a bool: `"Yes"` → true, `"No"` → false (ignoring case).
///
/// # Errors
/// [`TransformError::Invalid`] for anything else (F&O never writes another value).
pub fn parse_no_yes(text: &str) -> Result<bool> {
    match text.trim() {
        t if t.eq_ignore_ascii_case("yes") => Ok(true),
        t if t.eq_ignore_ascii_case("no") => Ok(false),
        _ => Err(TransformError::invalid(
            "F&O NoYes value",
            text,
            "expected \"No\" or \"Yes\"",
        )),
    }
}

/// A bool as an F&O `NoYes` enum value: `"Yes"` or `"No"`.
pub fn format_no_yes(value: bool) -> &'static str {
    if value { "Yes" } else { "No" }
}

/// A loosely written boolean, ignoring case: `true`/`t`/`yes`/`y`/`1`/`on` and
/// `false`/`f`/`no`/`n`/`0`/`off`.
///
/// # Errors
/// [`TransformError::Missing`] for blank text (not silently false),
/// [`TransformError::Invalid`] for anything else.
pub fn parse_bool_lenient(text: &str) -> Result<bool> {
    let t = text.trim().to_ascii_lowercase();
    match t.as_str() {
        "" => Err(TransformError::missing("boolean")),
        "true" | "t" | "yes" | "y" | "1" | "on" => Ok(true),
        "false" | "f" | "no" | "n" | "0" | "off" => Ok(false),
        _ => Err(TransformError::invalid(
            "boolean",
            text,
            "expected true/false, yes/no, y/n, 1/0 or on/off",
        )),
    }
}

/// A processor text without its padding: trimmed, with inner runs of whitespace collapsed to
/// one space (`"  NO  MATCH - Approved and completed"` → `"NO MATCH - Approved and completed"`).
pub fn trim_processor_text(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// [`trim_processor_text`], or `None` when nothing is left (PayTrace sends `""` and padded
/// blanks for texts it has not got).
pub fn non_blank(text: &str) -> Option<String> {
    let trimmed = trim_processor_text(text);
    (!trimmed.is_empty()).then_some(trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;
    use serde_json::json;

    #[test]
    fn decimals_accepted() {
        let cases = [
            ("1234.50", dec!(1234.50)),
            (" 1234.50 ", dec!(1234.50)),
            ("+1234.50", dec!(1234.50)),
            ("-0.5", dec!(-0.5)),
            (".5", dec!(0.5)),
            ("5.", dec!(5)),
            ("1,234.50", dec!(1234.50)),
            ("12,345,678", dec!(12345678)),
            ("-1,000", dec!(-1000)),
            ("0", dec!(0)),
            ("0.00", dec!(0.00)),
        ];
        for (text, want) in cases {
            let got = parse_decimal(text).unwrap();
            assert_eq!(got, want, "{text}");
            assert_eq!(got.scale(), want.scale(), "{text} keeps its scale");
        }
    }

    #[test]
    fn decimals_refused() {
        for text in [
            "12,34",
            "1,2345.00",
            "1.234,50",
            ",123",
            "1,",
            "NaN",
            "nan",
            "inf",
            "-inf",
            "1e5",
            "0x10",
            "1 234",
            "--1",
            "+-1",
            "-",
            ".",
            "1.2.3",
            "$1",
            "١٢٣",
            "99999999999999999999999999999999",
        ] {
            assert!(
                matches!(parse_decimal(text), Err(TransformError::Invalid { .. })),
                "{text:?} accepted"
            );
        }
        assert_eq!(
            parse_decimal("  ").unwrap_err(),
            TransformError::missing("decimal number")
        );
    }

    #[test]
    fn decimal_scale_limit() {
        assert_eq!(parse_decimal_with_scale("1.50", 2).unwrap(), dec!(1.50));
        assert_eq!(parse_decimal_with_scale("1.500", 2).unwrap(), dec!(1.500));
        assert!(parse_decimal_with_scale("1.505", 2).is_err());
        assert!(parse_decimal_with_scale("1.5", 0).is_err());
        assert_eq!(parse_decimal_with_scale("15", 0).unwrap(), dec!(15));
    }

    #[test]
    fn decimals_from_json_numbers_and_strings() {
        assert_eq!(decimal_from_json(&json!(51.88)).unwrap(), dec!(51.88));
        assert_eq!(decimal_from_json(&json!(2)).unwrap(), dec!(2));
        assert_eq!(decimal_from_json(&json!("8.10")).unwrap(), dec!(8.10));
        assert_eq!(decimal_from_json(&json!(1e-7)).unwrap(), dec!(0.0000001));
        assert!(matches!(
            decimal_from_json(&json!(null)),
            Err(TransformError::Missing { .. })
        ));
        assert!(decimal_from_json(&json!(true)).is_err());
        assert!(decimal_from_json(&json!(1e300)).is_err());
    }

    #[test]
    fn paytrace_amounts() {
        let cases = [
            (dec!(19.99), "19.99"),
            (dec!(19.9), "19.90"),
            (dec!(19), "19.00"),
            (dec!(19.900), "19.90"),
            (dec!(0), "0.00"),
            (dec!(-0), "0.00"),
            (dec!(1234567.8), "1234567.80"),
        ];
        for (amount, want) in cases {
            assert_eq!(format_paytrace_amount(amount).unwrap(), want, "{amount}");
        }
        assert!(format_paytrace_amount(dec!(19.999)).is_err());
        assert!(format_paytrace_amount(dec!(-1.00)).is_err());
        let usd = Money::new(dec!(5.5), Currency::USD);
        assert_eq!(format_paytrace_money(&usd).unwrap(), "5.50");
        let eur = Money::new(dec!(5.5), Currency::EUR);
        let err = format_paytrace_money(&eur).unwrap_err();
        assert!(err.to_string().contains("USD only"), "{err}");
    }

    #[test]
    fn no_yes() {
        assert!(parse_no_yes("Yes").unwrap());
        assert!(parse_no_yes(" yes ").unwrap());
        assert!(!parse_no_yes("No").unwrap());
        assert!(parse_no_yes("Y").is_err());
        assert!(parse_no_yes("").is_err());
        assert_eq!(format_no_yes(true), "Yes");
        assert_eq!(format_no_yes(false), "No");
        for b in [true, false] {
            assert_eq!(parse_no_yes(format_no_yes(b)).unwrap(), b);
        }
    }

    #[test]
    fn lenient_booleans() {
        for t in ["true", "TRUE", "t", "Yes", "y", "Y", "1", "on", " On "] {
            assert!(parse_bool_lenient(t).unwrap(), "{t}");
        }
        for f in ["false", "F", "no", "N", "0", "off"] {
            assert!(!parse_bool_lenient(f).unwrap(), "{f}");
        }
        assert!(matches!(
            parse_bool_lenient(""),
            Err(TransformError::Missing { .. })
        ));
        assert!(matches!(
            parse_bool_lenient("maybe"),
            Err(TransformError::Invalid { .. })
        ));
        assert!(parse_bool_lenient("2").is_err());
    }

    #[test]
    fn processor_texts() {
        let cases = [
            (
                "    DECLINE - Insufficient funds",
                "DECLINE - Insufficient funds",
            ),
            (
                "  NO  MATCH - Approved and completed",
                "NO MATCH - Approved and completed",
            ),
            ("EXPIRED CARD - Expired card", "EXPIRED CARD - Expired card"),
            ("\tA\n B ", "A B"),
            ("   ", ""),
        ];
        for (raw, want) in cases {
            assert_eq!(trim_processor_text(raw), want, "{raw:?}");
        }
        assert_eq!(non_blank("   "), None);
        assert_eq!(non_blank(" x ").as_deref(), Some("x"));
    }

    proptest! {
        #[test]
        fn parse_decimal_never_panics(s in "\\PC{0,40}") {
            let _ = parse_decimal(&s);
            let _ = parse_decimal_with_scale(&s, 2);
            let _ = parse_bool_lenient(&s);
            let _ = parse_no_yes(&s);
        }

        #[test]
        fn decimal_text_round_trips(units in any::<i64>(), scale in 0_u32..10) {
            let d = Decimal::new(units, scale);
            prop_assert_eq!(parse_decimal(&d.to_string()).unwrap(), d);
        }

        #[test]
        fn grouped_text_round_trips(units in 0_i64..1_000_000_000_000) {
            let d = Decimal::new(units, 2);
            let grouped = super::super::currency::group_thousands(&d.to_string());
            prop_assert_eq!(parse_decimal(&grouped).unwrap(), d);
        }

        #[test]
        fn paytrace_amount_round_trips(cents in 0_i64..10_000_000_000) {
            let d = Decimal::new(cents, 2);
            let text = format_paytrace_amount(d).unwrap();
            prop_assert_eq!(parse_decimal_with_scale(&text, 2).unwrap(), d);
        }
    }
}
