//! Keeps card data out of stored records.
//!
//! A full card number or a CSC must never be stored. The stores run every payload, intent,
//! outcome and reason through this guard before writing, and it redacts:
//!
//! - **PAN-like numbers**: 13 to 19 digits that pass the Luhn check, in a string or a JSON
//!   number, also when written in groups joined by single spaces or dashes as cards are
//!   (`4111 1111 1111 1111`, `3782 822463 10005`: four digits, then groups of three to
//!   six). A 16-digit order number that fails the Luhn check is kept, and so is an id whose
//!   dash-joined parts are not a card's grouping (`WEB-20261122-00004`).
//!   Only the number is replaced, by [`REDACTED`]; the text around it stays.
//! - **CSC-named fields**: an object field whose name contains `csc`, `cvv`, `cvc`,
//!   `securitycode` or `cardcode` (case, `_`, `-` and spaces ignored) loses its value unless
//!   the value holds no digit at all: `"csc": "123"` is redacted, while the canonical
//!   model's security-code *result* (`"csc": "match"`) is kept.
//! - **Object keys** holding a PAN-like number are rewritten the same way.
//!
//! The guard errs on the side of redacting: about one in ten random 13–19 digit numbers
//! passes the Luhn check, so a long numeric reference can be redacted too. Each redaction
//! is reported as a JSON pointer ([RFC 6901]) so a reader knows what is missing.
//!
//! ```
//! use flows::store::card_guard::{redact_json, redact_text};
//! use serde_json::json;
//!
//! let mut payload = json!({
//!     "order": "1234567812345678",              // fails Luhn: an order number, kept
//!     "note": "paid with 4111-1111-1111-1111",  // passes Luhn: redacted
//!     "card": {"cvv2": 123, "csc": "match"},
//! });
//! let redacted = redact_json(&mut payload);
//! assert_eq!(redacted, ["/card/cvv2", "/note"]);
//! assert_eq!(payload["order"], "1234567812345678");
//! assert_eq!(payload["note"], "paid with [REDACTED]");
//! assert_eq!(payload["card"]["csc"], "match");
//! assert_eq!(redact_text("card 4111111111111111 declined"), "card [REDACTED] declined");
//! ```
//!
//! [RFC 6901]: https://www.rfc-editor.org/rfc/rfc6901

use std::borrow::Cow;
use std::ops::Range;

use serde_json::Value;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[REDACTED]";

const PAN_DIGITS: Range<usize> = 13..20;
const CSC_NAMES: [&str; 5] = ["csc", "cvv", "cvc", "securitycode", "cardcode"];

/// Whether `text` holds a PAN-like number (13–19 digits passing the Luhn check, possibly in
/// groups joined by single spaces or dashes).
pub fn contains_pan(text: &str) -> bool {
    !find_pans(text).is_empty()
}

/// `text` with every PAN-like number replaced by [`REDACTED`]; borrowed when there was none.
pub fn redact_text(text: &str) -> Cow<'_, str> {
    let pans = find_pans(text);
    if pans.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    for pan in pans {
        out.push_str(&text[from..pan.start]);
        out.push_str(REDACTED);
        from = pan.end;
    }
    out.push_str(&text[from..]);
    Cow::Owned(out)
}

/// Redacts card data from `value` in place (see the [module docs](self)) and returns the
/// JSON pointers of what was redacted, sorted; empty when nothing was.
pub fn redact_json(value: &mut Value) -> Vec<String> {
    let mut redacted = Vec::new();
    walk(value, &mut String::new(), &mut redacted);
    redacted.sort();
    redacted
}

/// Whether a field of this name holds a card security code: its name, lowercased and without
/// `_`, `-` and spaces, contains `csc`, `cvv`, `cvc`, `securitycode` or `cardcode`.
pub fn is_csc_field(name: &str) -> bool {
    let normalized: String = name
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect();
    CSC_NAMES.iter().any(|csc| normalized.contains(csc))
}

fn walk(value: &mut Value, pointer: &mut String, redacted: &mut Vec<String>) {
    match value {
        Value::String(text) => {
            if let Cow::Owned(clean) = redact_text(text) {
                *text = clean;
                redacted.push(pointer.clone());
            }
        }
        Value::Number(number) => {
            if contains_pan(&number.to_string()) {
                *value = Value::String(REDACTED.to_owned());
                redacted.push(pointer.clone());
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&index.to_string());
                walk(item, pointer, redacted);
                pointer.truncate(len);
            }
        }
        Value::Object(fields) => {
            let pan_keys: Vec<String> =
                fields.keys().filter(|k| contains_pan(k)).cloned().collect();
            for key in pan_keys {
                if let Some(field) = fields.remove(&key) {
                    let clean = redact_text(&key).into_owned();
                    redacted.push(child_pointer(pointer, &clean));
                    fields.insert(clean, field);
                }
            }
            for (name, field) in fields.iter_mut() {
                let len = pointer.len();
                *pointer = child_pointer(pointer, name);
                if is_csc_field(name) && holds_digits(field) {
                    *field = Value::String(REDACTED.to_owned());
                    redacted.push(pointer.clone());
                } else {
                    walk(field, pointer, redacted);
                }
                pointer.truncate(len);
            }
        }
        Value::Null | Value::Bool(_) => {}
    }
}

/// Whether a CSC-named field's value could be a code: anything but null, a boolean or a
/// string without digits.
fn holds_digits(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(_) => false,
        Value::String(text) => text.bytes().any(|b| b.is_ascii_digit()),
        Value::Number(_) | Value::Array(_) | Value::Object(_) => true,
    }
}

fn child_pointer(parent: &str, name: &str) -> String {
    format!("{parent}/{}", name.replace('~', "~0").replace('/', "~1"))
}

/// The byte ranges of the PAN-like numbers in `text`.
///
/// A run is a sequence of digit groups joined by single spaces or dashes; within a run, the
/// first sequence of whole groups (from the left) of 13–19 digits that passes Luhn is a PAN,
/// and the search goes on after it. A group longer than 19 digits is never part of one, and
/// several groups make one only in a card's grouping (a first group of four, then groups of
/// three to six digits).
fn find_pans(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut pans = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if !bytes[at].is_ascii_digit() {
            at += 1;
            continue;
        }
        let mut groups = Vec::new();
        loop {
            let start = at;
            while at < bytes.len() && bytes[at].is_ascii_digit() {
                at += 1;
            }
            groups.push(start..at);
            let joined = at + 1 < bytes.len()
                && matches!(bytes[at], b' ' | b'-')
                && bytes[at + 1].is_ascii_digit();
            if !joined {
                break;
            }
            at += 1;
        }
        pans_in_run(bytes, &groups, &mut pans);
    }
    pans
}

fn pans_in_run(bytes: &[u8], groups: &[Range<usize>], pans: &mut Vec<Range<usize>>) {
    let mut first = 0;
    'groups: while first < groups.len() {
        let mut digits = Vec::new();
        for (last, group) in groups.iter().enumerate().skip(first) {
            // Grouped, a card number is written 4-4-4-4(-3), 4-6-5 or 4-6-4: a first group
            // of four, then groups of three to six. Ids joined by dashes, whose groups are
            // dates or counters (`WEB-20261122-00004`), are not card numbers.
            if last > first && (groups[first].len() != 4 || !(3..=6).contains(&group.len())) {
                break;
            }
            digits.extend_from_slice(&bytes[group.clone()]);
            if digits.len() >= PAN_DIGITS.end {
                break;
            }
            if PAN_DIGITS.contains(&digits.len()) && luhn_valid(&digits) {
                pans.push(groups[first].start..group.end);
                first = last + 1;
                continue 'groups;
            }
        }
        first += 1;
    }
}

/// The Luhn (mod 10) check over ASCII digits.
fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(d - b'0');
            match (i % 2 == 1, d * 2) {
                (false, _) => d,
                (true, doubled) if doubled > 9 => doubled - 9,
                (true, doubled) => doubled,
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn luhn_known_values() {
        for valid in [
            "4111111111111111",
            "5555555555554444",
            "378282246310005",
            "79927398713",
        ] {
            assert!(luhn_valid(valid.as_bytes()), "{valid}");
        }
        for invalid in ["4111111111111112", "1234567812345678", "79927398710"] {
            assert!(!luhn_valid(invalid.as_bytes()), "{invalid}");
        }
    }

    #[test]
    fn finds_pans_plain_grouped_and_embedded() {
        let cases: &[(&str, &str)] = &[
            ("4111111111111111", "[REDACTED]"),
            ("amex 378282246310005.", "amex [REDACTED]."),
            ("4111 1111 1111 1111", "[REDACTED]"),
            ("4111-1111-1111-1111 exp 12/30", "[REDACTED] exp 12/30"),
            ("amex 3782 822463 10005", "amex [REDACTED]"),
            ("diners 3056-930902-5904", "diners [REDACTED]"),
            (
                "on 2025-06-01 4111 1111 1111 1111",
                "on 2025-06-01 [REDACTED]",
            ),
            ("pan=4111111111111111&x=1", "pan=[REDACTED]&x=1"),
            (
                "a 4111111111111111 b 5555555555554444",
                "a [REDACTED] b [REDACTED]",
            ),
            // 19 digits: Luhn-valid or not.
            ("4000000000000000006", "[REDACTED]"),
            ("6011000990139424000", "6011000990139424000"),
        ];
        for (text, expected) in cases {
            assert_eq!(redact_text(text), *expected, "{text}");
        }
    }

    #[test]
    fn keeps_what_is_not_a_pan() {
        for text in [
            "1234567812345678",        // 16 digits, not Luhn-valid
            "411111111111",            // 12 digits
            "41111111111111110000000", // 23 digits: not a card number
            "INV-1001 2025-06-01T12:00:00Z",
            "+1 415-555-0100",
            "4111111111111111".split_at(8).0,
            "pt-sale-bac5b8ebd062fc9fc7815f3dc80e3de0",
            // Luhn-valid digits (2026112200004), but an id's grouping, not a card's.
            "WEB-20261122-00004",
        ] {
            assert!(matches!(redact_text(text), Cow::Borrowed(_)), "{text}");
        }
    }

    #[test]
    fn csc_field_names() {
        for name in [
            "csc",
            "CSC",
            "cvv",
            "cvv2",
            "CVV2",
            "cvc",
            "card_csc",
            "securityCode",
        ] {
            assert!(is_csc_field(name), "{name}");
        }
        for name in ["security-code", "card code", "Card_Code"] {
            assert!(is_csc_field(name), "{name}");
        }
        for name in ["code", "cid", "card_last4", "invoice_id", "discount"] {
            assert!(!is_csc_field(name), "{name}");
        }
    }

    #[test]
    fn redacts_json_strings_numbers_keys_and_csc_fields() {
        let mut value = json!({
            "numbers": [4111111111111111u64, 1234567812345678u64, 42],
            "text": "ok",
            "req": {"cvv": "123", "CSC": 4567, "security_code": null, "csc": "no_match"},
            "metadata": {"4111111111111111": "by pan", "a/b": "5555555555554444"},
        });
        let redacted = redact_json(&mut value);
        assert_eq!(
            redacted,
            [
                "/metadata/[REDACTED]",
                "/metadata/a~1b",
                "/numbers/0",
                "/req/CSC",
                "/req/cvv"
            ]
        );
        assert_eq!(
            value,
            json!({
                "numbers": ["[REDACTED]", 1234567812345678u64, 42],
                "text": "ok",
                "req": {"cvv": "[REDACTED]", "CSC": "[REDACTED]", "security_code": null, "csc": "no_match"},
                "metadata": {"[REDACTED]": "by pan", "a/b": "[REDACTED]"},
            })
        );
        // Running it again finds nothing more.
        assert!(redact_json(&mut value).is_empty());
    }
}
