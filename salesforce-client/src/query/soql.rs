//! SOQL literals, escaped so that a value can never change the query (reference §2.5).
//!
//! Build the query text with these helpers around every value that comes from outside:
//!
//! ```
//! use chrono::NaiveDate;
//! use salesforce_client::query::soql;
//!
//! let name = "O'Brien' OR Name != '";
//! let since = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
//! let soql = format!(
//!     "SELECT Id FROM Account WHERE Name = {} AND CreatedDate > {} AND Id IN {}",
//!     soql::quote(name),
//!     soql::literal(&since),
//!     soql::in_list(["001A", "001B"])?,
//! );
//! assert_eq!(
//!     soql,
//!     r"SELECT Id FROM Account WHERE Name = 'O\'Brien\' OR Name != \'' AND CreatedDate > 2026-01-31 AND Id IN ('001A','001B')"
//! );
//! # Ok::<(), salesforce_client::Error>(())
//! ```
//!
//! Field and object names cannot be quoted in SOQL; check names that come from outside with
//! [`identifier`].

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::error::{Error, Result};

/// A value that can be written as a SOQL literal.
pub trait SoqlLiteral {
    /// The literal: a quoted and escaped string, a number, a date, `true`, `null`, ….
    fn to_soql(&self) -> String;
}

impl SoqlLiteral for str {
    fn to_soql(&self) -> String {
        quote(self)
    }
}

impl SoqlLiteral for String {
    fn to_soql(&self) -> String {
        quote(self)
    }
}

impl<T: SoqlLiteral + ?Sized> SoqlLiteral for &T {
    fn to_soql(&self) -> String {
        (**self).to_soql()
    }
}

impl<T: SoqlLiteral> SoqlLiteral for Option<T> {
    fn to_soql(&self) -> String {
        self.as_ref().map_or_else(|| "null".to_owned(), T::to_soql)
    }
}

macro_rules! display_literal {
    ($($t:ty),*) => {$(
        impl SoqlLiteral for $t {
            fn to_soql(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
display_literal!(bool, i32, i64, u32, u64, Decimal);

/// A date literal: `2026-01-31` (unquoted).
impl SoqlLiteral for NaiveDate {
    fn to_soql(&self) -> String {
        self.format("%Y-%m-%d").to_string()
    }
}

/// A dateTime literal in UTC: `2026-01-31T10:15:30Z` (unquoted; SOQL literals have no
/// fractional seconds, so they are dropped).
impl SoqlLiteral for DateTime<Utc> {
    fn to_soql(&self) -> String {
        self.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }
}

/// Any [`SoqlLiteral`] as its literal.
pub fn literal(value: &(impl SoqlLiteral + ?Sized)) -> String {
    value.to_soql()
}

/// `value` as a quoted SOQL string: `'O\'Brien'`. Backslashes, quotes, new lines, carriage
/// returns, tabs, backspaces and form feeds use SOQL's escape sequences; other control
/// characters are written as `\uXXXX`.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    escape_into(&mut out, value, false);
    out.push('\'');
    out
}

/// `value` escaped for use inside a quoted `LIKE` pattern, with `%` and `_` matching
/// themselves, so you add the wildcards: `format!("Name LIKE '{}%'", soql::escape_like(v))`.
pub fn escape_like(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    escape_into(&mut out, value, true);
    out
}

fn escape_into(out: &mut String, value: &str, like: bool) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '%' if like => out.push_str("\\%"),
            '_' if like => out.push_str("\\_"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
}

/// An `IN` list: `('a','b')`.
///
/// # Errors
/// [`Error::InvalidRequest`] when `values` is empty (SOQL has no empty list).
pub fn in_list<I>(values: I) -> Result<String>
where
    I: IntoIterator,
    I::Item: SoqlLiteral,
{
    let items: Vec<String> = values.into_iter().map(|v| v.to_soql()).collect();
    if items.is_empty() {
        return Err(Error::invalid("SOQL IN list", "is empty"));
    }
    Ok(format!("({})", items.join(",")))
}

/// Checks a field or object name that comes from outside (`Account`, `Amount__c`,
/// `Account.Name`), so it can be put in a query as it is.
///
/// # Errors
/// [`Error::InvalidRequest`] for anything but letters, digits and underscores, in
/// dot-separated parts that start with a letter.
pub fn identifier(name: &str) -> Result<&str> {
    for part in name.split('.') {
        crate::sobjects::check_name("SOQL identifier", part)?;
    }
    Ok(name)
}

/// The object a query reads: the name after the first `FROM` outside parentheses
/// (subqueries), when it is a plain API name. Used to name the object in traces without
/// recording the query's values.
pub(crate) fn sobject_of(soql: &str) -> Option<&str> {
    let mut depth = 0usize;
    let mut after_from = false;
    let mut word_start = None;
    for (i, c) in soql
        .char_indices()
        .chain(std::iter::once((soql.len(), ' ')))
    {
        let boundary = c.is_whitespace() || c == '(' || c == ')' || c == ',';
        if !boundary {
            word_start.get_or_insert(i);
            continue;
        }
        if let Some(start) = word_start.take()
            && depth == 0
        {
            let word = &soql[start..i];
            if after_from {
                return crate::sobjects::check_name("sObject", word).ok();
            }
            after_from = word.eq_ignore_ascii_case("FROM");
        }
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn escaping_table() {
        let cases: &[(&str, &str)] = &[
            ("Acme", r"'Acme'"),
            ("O'Brien", r"'O\'Brien'"),
            (r"back\slash", r"'back\\slash'"),
            ("line\nbreak\r\ttab", r"'line\nbreak\r\ttab'"),
            ("say \"hi\"", r#"'say \"hi\"'"#),
            ("' OR Name != '", r"'\' OR Name != \''"),
            (r"\' OR 1=1 --", r"'\\\' OR 1=1 --'"),
            ("100%_done", "'100%_done'"),
            ("bell\u{7}nul\u{0}", r"'bell\u0007nul\u0000'"),
            ("\u{8}\u{c}", r"'\b\f'"),
            ("", "''"),
            ("Zoë 東京", "'Zoë 東京'"),
        ];
        for (input, want) in cases {
            assert_eq!(quote(input), *want, "{input:?}");
        }
    }

    #[test]
    fn an_escaped_literal_always_ends_where_it_started() {
        // After escaping, an unescaped quote can only be the closing one.
        for input in [
            "'",
            "\\'",
            "\\\\'",
            "'; DELETE",
            "x' OR Id != null OR Name = '",
        ] {
            let quoted = quote(input);
            let inner = &quoted[1..quoted.len() - 1];
            let mut escaped = false;
            for c in inner.chars() {
                assert!(escaped || c != '\'', "{input:?} → {quoted}");
                escaped = !escaped && c == '\\';
            }
            assert!(!escaped, "{input:?} ends inside an escape");
        }
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(escape_like("100%_it's"), r"100\%\_it\'s");
    }

    #[test]
    fn other_literals() {
        let date = NaiveDate::from_ymd_opt(2026, 2, 3).unwrap();
        let at = DateTime::parse_from_rfc3339("2026-02-03T04:05:06.789Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(literal(&date), "2026-02-03");
        assert_eq!(literal(&at), "2026-02-03T04:05:06Z");
        assert_eq!(literal(&Decimal::from_str("-125.50").unwrap()), "-125.50");
        assert_eq!(literal(&true), "true");
        assert_eq!(literal(&42_i64), "42");
        assert_eq!(literal(&None::<&str>), "null");
        assert_eq!(literal(&Some("a'b")), r"'a\'b'");
        assert_eq!(in_list(["a'", "b"]).unwrap(), r"('a\'','b')");
        assert_eq!(in_list([1_i32, 2]).unwrap(), "(1,2)");
        assert!(in_list(Vec::<String>::new()).is_err());
    }

    #[test]
    fn identifiers() {
        assert!(identifier("Account.Owner.Name").is_ok());
        assert!(identifier("Name FROM User").is_err());
        assert!(identifier("Name,(SELECT").is_err());
        assert!(identifier("").is_err());
    }

    #[test]
    fn the_object_is_found_outside_subqueries() {
        let cases = [
            ("SELECT Id FROM Account WHERE Name = 'x'", Some("Account")),
            (
                "select Id, (select Id from Contacts) from Account",
                Some("Account"),
            ),
            (
                "SELECT Id,(SELECT Id FROM Contacts)FROM Payment__c",
                Some("Payment__c"),
            ),
            ("SELECT COUNT() FROM Opportunity", Some("Opportunity")),
            ("SELECT Id FROM", None),
            ("FIND {x}", None),
        ];
        for (soql, want) in cases {
            assert_eq!(sobject_of(soql), want, "{soql}");
        }
    }
}
