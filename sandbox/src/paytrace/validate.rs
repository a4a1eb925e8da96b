//! Field validation with PayTrace's error keys.

use std::hash::{DefaultHasher, Hash, Hasher};

use chrono::{Datelike, NaiveDate};
use serde_json::Value;

use super::codes;
use super::input::{Field, Input};
use super::model::{BankAccount, CardBrand, CardSummary};
use super::reply::{Errors, missing};

/// A card read from a request. The number lives only here, for the duration of the request.
#[derive(Clone)]
pub(crate) struct CardInput {
    pub(crate) number: String,
    pub(crate) month: u32,
    pub(crate) year: i32,
}

impl CardInput {
    /// The masked summary that is stored (never the number).
    pub(crate) fn summary(&self) -> CardSummary {
        let n = &self.number;
        CardSummary {
            brand: brand_of(n),
            bin: n.get(..6).unwrap_or_default().to_owned(),
            last4: n
                .get(n.len().saturating_sub(4)..)
                .unwrap_or_default()
                .to_owned(),
            length: n.len(),
            expiration_month: self.month,
            expiration_year: self.year,
            fingerprint: fingerprint(n),
        }
    }
}

/// A stable fingerprint of a card or account number, so duplicates and decline rules can be
/// matched without keeping the number.
pub(crate) fn fingerprint(number: &str) -> u64 {
    let mut h = DefaultHasher::new();
    number.hash(&mut h);
    h.finish()
}

/// Luhn check over ASCII digits.
pub(crate) fn luhn_ok(number: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in number.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !number.is_empty() && sum.is_multiple_of(10)
}

/// A card number is 13–19 digits and passes Luhn.
pub(crate) fn card_number_ok(number: &str) -> bool {
    (13..=19).contains(&number.len()) && luhn_ok(number)
}

/// Brand from the leading digits.
pub(crate) fn brand_of(number: &str) -> CardBrand {
    let p2: u32 = number.get(..2).and_then(|s| s.parse().ok()).unwrap_or(0);
    let p3: u32 = number.get(..3).and_then(|s| s.parse().ok()).unwrap_or(0);
    let p4: u32 = number.get(..4).and_then(|s| s.parse().ok()).unwrap_or(0);
    if number.starts_with('4') {
        CardBrand::Visa
    } else if (51..=55).contains(&p2) || (2221..=2720).contains(&p4) {
        CardBrand::Mastercard
    } else if p2 == 34 || p2 == 37 {
        CardBrand::Amex
    } else if p4 == 6011 || p2 == 65 || (644..=649).contains(&p3) {
        CardBrand::Discover
    } else {
        CardBrand::Other
    }
}

fn digits_of(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.as_u64()?.to_string(),
        _ => return None,
    };
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

/// Expiration month `1..=12`, 1–2 digits, string or number.
pub(crate) fn parse_month(v: Option<&Value>) -> Option<u32> {
    let s = digits_of(v?)?;
    if s.len() > 2 {
        return None;
    }
    let m: u32 = s.parse().ok()?;
    (1..=12).contains(&m).then_some(m)
}

/// Expiration year: 2 digits (20YY) or 4 digits in 2000..=2099.
pub(crate) fn parse_year(v: Option<&Value>) -> Option<i32> {
    let s = digits_of(v?)?;
    let y: i32 = s.parse().ok()?;
    match s.len() {
        2 => Some(2000 + y),
        4 if (2000..=2099).contains(&y) => Some(y),
        _ => None,
    }
}

/// Read `credit_card{number, expiration_month, expiration_year}`; every problem is recorded.
pub(crate) fn read_card(body: Input<'_>, errors: &mut Errors) -> Option<CardInput> {
    let Some(card) = body.obj("credit_card") else {
        errors.add(
            codes::E_CARD_NUMBER,
            "Please provide a valid Credit Card Number.",
        );
        errors.add(
            codes::E_EXPIRATION_MONTH,
            "Please provide a valid Expiration Month.",
        );
        errors.add(
            codes::E_EXPIRATION_YEAR,
            "Please provide a valid Expiration Year.",
        );
        return None;
    };
    let number = match card.raw("number") {
        Some(v) => digits_of(v).filter(|n| card_number_ok(n)),
        None => None,
    };
    if number.is_none() {
        if card.has("encrypted_number") {
            // The legacy RSA client-side encryption cannot be emulated: no private key.
            errors.add(
                codes::E_CARD_NUMBER,
                "Please provide a valid Credit Card Number. (encrypted_number is not supported by the sandbox)",
            );
        } else {
            errors.add(
                codes::E_CARD_NUMBER,
                "Please provide a valid Credit Card Number.",
            );
        }
    }
    let month = parse_month(card.raw("expiration_month"));
    if month.is_none() {
        errors.add(
            codes::E_EXPIRATION_MONTH,
            "Please provide a valid Expiration Month.",
        );
    }
    let year = parse_year(card.raw("expiration_year"));
    if year.is_none() {
        errors.add(
            codes::E_EXPIRATION_YEAR,
            "Please provide a valid Expiration Year.",
        );
    }
    Some(CardInput {
        number: number?,
        month: month?,
        year: year?,
    })
}

/// Whether a card expiring `month/year` has expired on `today`.
pub(crate) fn expired(month: u32, year: i32, today: NaiveDate) -> bool {
    (year, month) < (today.year(), today.month())
}

/// Optional top-level `csc` (3–4 digits); `required` adds an error when absent.
pub(crate) fn read_csc(body: Input<'_>, required: bool, errors: &mut Errors) -> Option<String> {
    match body.raw("csc") {
        None => {
            if required {
                errors.add(codes::E_CSC, "Please provide a valid CSC.");
            }
            None
        }
        Some(v) => match digits_of(v).filter(|s| (3..=4).contains(&s.len())) {
            Some(c) => Some(c),
            None => {
                if required || !matches!(v, Value::String(s) if s.trim().is_empty()) {
                    errors.add(codes::E_CSC, "Please provide a valid CSC.");
                }
                None
            }
        },
    }
}

/// Required amount → 41 when missing or invalid.
pub(crate) fn read_amount(body: Input<'_>, errors: &mut Errors) -> Option<rust_decimal::Decimal> {
    match body.amount("amount") {
        Field::Ok(a) => Some(a),
        Field::Missing | Field::Invalid => {
            errors.add(
                codes::E_AMOUNT,
                "Please provide a valid Transaction Amount.",
            );
            None
        }
    }
}

/// Optional amount: `None` when absent; 41 when present but invalid.
pub(crate) fn read_optional_amount(
    body: Input<'_>,
    key: &str,
    errors: &mut Errors,
) -> Option<rust_decimal::Decimal> {
    match body.amount(key) {
        Field::Ok(a) => Some(a),
        Field::Missing => None,
        Field::Invalid => {
            errors.add(
                codes::E_AMOUNT,
                format!("Please provide a valid amount: {key}."),
            );
            None
        }
    }
}

/// Required `transaction_id` → 58 when missing or malformed.
pub(crate) fn read_transaction_id(body: Input<'_>, errors: &mut Errors) -> Option<u64> {
    match body.id("transaction_id") {
        Field::Ok(id) => Some(id),
        Field::Missing | Field::Invalid => {
            errors.add(
                codes::E_TRANSACTION_ID,
                "Please provide a valid Transaction ID.",
            );
            None
        }
    }
}

/// Required `check_transaction_id` → 80 when missing or malformed.
pub(crate) fn read_check_id(body: Input<'_>, errors: &mut Errors) -> Option<u64> {
    match body.id("check_transaction_id") {
        Field::Ok(id) => Some(id),
        Field::Missing | Field::Invalid => {
            errors.add(codes::E_CHECK_NOT_FOUND, "Please provide a valid Check ID.");
            None
        }
    }
}

/// Required non-empty `customer_id` → 970 when missing.
pub(crate) fn read_customer_id(body: Input<'_>, errors: &mut Errors) -> Option<String> {
    let id = body.str("customer_id");
    if id.is_none() {
        missing(errors, "customer_id");
    }
    id
}

/// ABA routing number checksum over 9 digits.
pub(crate) fn routing_ok(r: &str) -> bool {
    if r.len() != 9 || !r.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let d: Vec<u32> = r.bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = d
        .chunks(3)
        .map(|c| match c {
            [a, b, e] => 3 * a + 7 * b + e,
            _ => 0,
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Read a bank account from an object with `account_key`/`routing_key` (45/46 on error).
pub(crate) fn read_bank_account(
    obj: Option<Input<'_>>,
    account_key: &str,
    routing_key: &str,
    errors: &mut Errors,
) -> Option<BankAccount> {
    let account = obj
        .and_then(|o| o.raw(account_key))
        .and_then(digits_of)
        .filter(|a| (4..=17).contains(&a.len()));
    if account.is_none() {
        errors.add(
            codes::E_CHECK_ACCOUNT,
            "Please provide a valid Checking Account Number.",
        );
    }
    let routing = obj
        .and_then(|o| o.raw(routing_key))
        .and_then(digits_of)
        .filter(|r| routing_ok(r));
    if routing.is_none() {
        errors.add(
            codes::E_CHECK_ROUTING,
            "Please provide a valid Transit Routing Number.",
        );
    }
    let account = account?;
    Some(BankAccount {
        last4: account
            .get(account.len().saturating_sub(4)..)
            .unwrap_or_default()
            .to_owned(),
        length: account.len(),
        routing_number: routing?,
        fingerprint: fingerprint(&account),
    })
}

/// `MM/DD/YYYY` (1-digit month/day tolerated).
pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    let mut parts = s.trim().split('/');
    let (m, d, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || y.len() != 4
        || m.is_empty()
        || m.len() > 2
        || d.is_empty()
        || d.len() > 2
    {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// Required date field → 50 when missing or invalid.
pub(crate) fn read_date(body: Input<'_>, key: &str, errors: &mut Errors) -> Option<NaiveDate> {
    let d = body.str(key).as_deref().and_then(parse_date);
    if d.is_none() {
        errors.add(
            codes::E_DATE,
            format!("Please provide a valid {key} (MM/DD/YYYY)."),
        );
    }
    d
}

/// A plausible email address.
pub(crate) fn email_ok(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.len() <= 254
        && !s.contains(char::is_whitespace)
}

/// Parse magstripe data: track 1 (`%B<PAN>^<NAME>^<YYMM>…`) or track 2 (`;<PAN>=<YYMM>…`).
/// Returns the card and the cardholder name from track 1 (`LAST/FIRST` → `FIRST LAST`).
pub(crate) fn parse_swipe(swipe: &str) -> Option<(CardInput, String)> {
    let s = swipe.trim();
    if let Some(start) = s.find("%B") {
        let rest = s.get(start + 2..)?;
        let mut f = rest.splitn(3, '^');
        let (pan, name, tail) = (f.next()?, f.next()?, f.next()?);
        let card = card_from_track(pan, tail.get(..4)?)?;
        let name = match name.trim().split_once('/') {
            Some((last, first)) => format!("{} {}", first.trim(), last.trim()),
            None => name.trim().to_owned(),
        };
        return Some((card, name.trim().to_owned()));
    }
    if let Some(start) = s.find(';') {
        let rest = s.get(start + 1..)?;
        let (pan, tail) = rest.split_once('=')?;
        return Some((card_from_track(pan, tail.get(..4)?)?, String::new()));
    }
    None
}

fn card_from_track(pan: &str, yymm: &str) -> Option<CardInput> {
    if !card_number_ok(pan) || !yymm.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = 2000 + yymm.get(..2)?.parse::<i32>().ok()?;
    let month = yymm.get(2..4)?.parse::<u32>().ok()?;
    (1..=12).contains(&month).then(|| CardInput {
        number: pan.to_owned(),
        month,
        year,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn luhn_and_brands() {
        for (n, b) in [
            ("4012000098765439", CardBrand::Visa),
            ("5499740000000057", CardBrand::Mastercard),
            ("6011000993026909", CardBrand::Discover),
            ("371449635392376", CardBrand::Amex),
            ("4111111111111111", CardBrand::Visa),
        ] {
            assert!(card_number_ok(n), "{n}");
            assert_eq!(brand_of(n), b);
        }
        assert!(!card_number_ok("4111111111111112"));
        assert!(!card_number_ok("411111111111"));
        assert!(!card_number_ok("4111-1111-1111-1111"));
    }

    #[test]
    fn months_and_years() {
        assert_eq!(parse_month(Some(&json!("12"))), Some(12));
        assert_eq!(parse_month(Some(&json!(3))), Some(3));
        assert_eq!(parse_month(Some(&json!("13"))), None);
        assert_eq!(parse_month(Some(&json!("00"))), None);
        assert_eq!(parse_month(Some(&json!("012"))), None);
        assert_eq!(parse_year(Some(&json!("2030"))), Some(2030));
        assert_eq!(parse_year(Some(&json!("30"))), Some(2030));
        assert_eq!(parse_year(Some(&json!(2031))), Some(2031));
        assert_eq!(parse_year(Some(&json!("203"))), None);
        assert_eq!(parse_year(Some(&json!("1999"))), None);
        assert_eq!(parse_year(None), None);
    }

    #[test]
    fn routing_and_dates_and_email() {
        assert!(routing_ok("325070760"));
        assert!(routing_ok("021000021"));
        assert!(!routing_ok("123456789"));
        assert_eq!(
            parse_date("05/01/2024"),
            NaiveDate::from_ymd_opt(2024, 5, 1)
        );
        assert_eq!(parse_date("5/1/2024"), NaiveDate::from_ymd_opt(2024, 5, 1));
        assert_eq!(parse_date("2024-05-01"), None);
        assert_eq!(parse_date("13/01/2024"), None);
        assert!(email_ok("a@b.co"));
        assert!(!email_ok("a@b"));
        assert!(!email_ok("ab.co"));
    }

    #[test]
    fn swipes() {
        let (c, name) =
            parse_swipe("%B4012000098765439^DOE/JANE^3012101000000000000000?;4012000098765439=30121010000000000000?").unwrap();
        assert_eq!(c.number, "4012000098765439");
        assert_eq!((c.month, c.year), (12, 2030));
        assert_eq!(name, "JANE DOE");
        let (c2, _) = parse_swipe(";5499740000000057=29011010000000000000?").unwrap();
        assert_eq!((c2.month, c2.year), (1, 2029));
        assert!(parse_swipe("garbage").is_none());
        assert!(parse_swipe("%B4111^X^").is_none());
    }

    #[test]
    fn summary_masks() {
        let c = CardInput {
            number: "371449635392376".into(),
            month: 1,
            year: 2030,
        };
        let s = c.summary();
        assert_eq!(s.masked_response(), "xxxxxxxxxxx2376");
        assert_eq!(s.masked_export(false), "***********2376");
        assert_eq!(s.masked_export(true), "371449*****2376");
    }
}
