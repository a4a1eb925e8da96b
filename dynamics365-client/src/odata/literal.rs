//! OData literals, entity keys and URL encoding.
//!
//! | value | literal | in a URL |
//! |---|---|---|
//! | string `O'Brien & Co` | `'O''Brien & Co'` (quote doubled) | path `'O''Brien%20&%20Co'`, query `%27O%27%27Brien%20%26%20Co%27` |
//! | integer / decimal | `42`, `-12.50` | as is |
//! | GUID | `5d115c9c-44e3-ea11-bb43-000d3a2feca1` (unquoted, OData v4) | as is |
//! | `DateTimeOffset` | `2024-01-01T00:00:00Z` (unquoted) | `+01:00` offsets never occur: values are UTC |
//! | date | `2024-01-01` | as is |
//! | enum | `Microsoft.Dynamics.DataEntities.NoYes'Yes'` | quotes encoded in queries |
//! | `null`, `true`, `false` | as is | as is |
//!
//! Keys: a single value `Customers('ALFKI')`, or named parts for composite keys
//! `CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')`.
//!
//! Percent-encoding writes a space as `%20`, never `+`, and encodes `+`, `&`, `#`, `%`, `?` and
//! non-ASCII text, so no server can read a value differently from what was meant. In paths the
//! key syntax (`'`, `(`, `)`, `,`, `=`) stays readable; in query strings the quote is written
//! `%27`, which is what the URL parser would turn it into anyway.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Characters encoded in a path segment: everything but unreserved characters and the
/// sub-delimiters OData key syntax uses.
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// Characters encoded in a query value: as [`PATH`], but `&` and `'` are encoded and `/` kept.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@')
    .remove(b'/');

/// Percent-encodes `text` for use inside one URL path segment (a key, an entity set name).
///
/// ```
/// use dynamics365_client::odata::literal::encode_path_segment;
/// assert_eq!(
///     encode_path_segment("Set(Name='a b/c+d')"),
///     "Set(Name='a%20b%2Fc%2Bd')"
/// );
/// ```
pub fn encode_path_segment(text: &str) -> String {
    utf8_percent_encode(text, PATH).to_string()
}

/// Percent-encodes `text` for use as a query option name or value: spaces as `%20`, never `+`.
///
/// ```
/// use dynamics365_client::odata::literal::encode_query_value;
/// assert_eq!(
///     encode_query_value("Name eq 'A&B+C'"),
///     "Name%20eq%20%27A%26B%2BC%27"
/// );
/// ```
pub fn encode_query_value(text: &str) -> String {
    utf8_percent_encode(text, QUERY).to_string()
}

/// Joins query options into `name=value&…`, both sides encoded with [`encode_query_value`].
pub fn encode_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(name, value)| format!("{}={}", encode_query_value(name), encode_query_value(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A GUID (`Edm.Guid`) in its canonical lowercase 8-4-4-4-12 form. Business Central ids and
/// Dataverse keys are GUIDs. Serialises as a string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Guid(String);

/// The text given to [`Guid::parse`] is not a GUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a GUID (expected 8-4-4-4-12 hex digits)")]
pub struct InvalidGuid(String);

impl Guid {
    /// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hex digits, any case, optionally in
    /// braces), keeping it lowercase.
    ///
    /// # Errors
    /// [`InvalidGuid`] for anything else.
    pub fn parse(text: &str) -> Result<Guid, InvalidGuid> {
        let trimmed = text.trim();
        let bare = trimmed
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .unwrap_or(trimmed);
        let groups: Vec<&str> = bare.split('-').collect();
        let lengths_ok = groups.len() == 5
            && groups
                .iter()
                .zip([8, 4, 4, 4, 12])
                .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
        if lengths_ok {
            Ok(Guid(bare.to_ascii_lowercase()))
        } else {
            Err(InvalidGuid(text.chars().take(64).collect()))
        }
    }

    /// The GUID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Guid {
    type Err = InvalidGuid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Guid::parse(s)
    }
}

impl TryFrom<String> for Guid {
    type Error = InvalidGuid;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Guid::parse(&value)
    }
}

impl From<Guid> for String {
    fn from(value: Guid) -> Self {
        value.0
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A primitive OData value as it appears in a `$filter` or a key.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Literal {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer (`Edm.Int32`, `Edm.Int64`).
    Int(i64),
    /// A decimal (`Edm.Decimal`), written without exponent or suffix.
    Decimal(Decimal),
    /// A string, single-quoted with inner quotes doubled.
    String(String),
    /// A GUID, unquoted.
    Guid(Guid),
    /// An `Edm.DateTimeOffset`, unquoted, in UTC (`2024-01-01T00:00:00Z`).
    DateTimeOffset(DateTime<Utc>),
    /// An `Edm.Date` (`2024-01-01`).
    Date(NaiveDate),
    /// An enum member: `Namespace.Type'Value'`.
    Enum {
        /// The qualified type name (`Microsoft.Dynamics.DataEntities.NoYes`).
        type_name: String,
        /// The member name (`Yes`).
        value: String,
    },
}

impl Literal {
    /// An enum member literal `type_name'value'`.
    pub fn enumeration(type_name: impl Into<String>, value: impl Into<String>) -> Literal {
        Literal::Enum {
            type_name: type_name.into(),
            value: value.into(),
        }
    }

    /// The literal in OData syntax, not yet percent-encoded.
    ///
    /// ```
    /// use dynamics365_client::odata::literal::Literal;
    /// assert_eq!(Literal::from("O'Brien").to_odata(), "'O''Brien'");
    /// assert_eq!(
    ///     Literal::enumeration("Microsoft.Dynamics.DataEntities.NoYes", "Yes").to_odata(),
    ///     "Microsoft.Dynamics.DataEntities.NoYes'Yes'"
    /// );
    /// ```
    pub fn to_odata(&self) -> String {
        match self {
            Literal::Null => "null".to_owned(),
            Literal::Bool(b) => b.to_string(),
            Literal::Int(i) => i.to_string(),
            Literal::Decimal(d) => d.to_string(),
            Literal::String(s) => quote(s),
            Literal::Guid(g) => g.0.clone(),
            Literal::DateTimeOffset(at) => at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            Literal::Date(d) => d.format("%Y-%m-%d").to_string(),
            Literal::Enum { type_name, value } => format!("{type_name}{}", quote(value)),
        }
    }
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_odata())
    }
}

macro_rules! literal_from {
    ($($ty:ty => $arm:ident $(via $conv:path)?),* $(,)?) => {$(
        impl From<$ty> for Literal {
            fn from(value: $ty) -> Self {
                Literal::$arm($($conv)?(value))
            }
        }
    )*};
}

literal_from! {
    bool => Bool,
    i32 => Int via i64::from,
    i64 => Int,
    u32 => Int via i64::from,
    Decimal => Decimal,
    String => String,
    Guid => Guid,
    DateTime<Utc> => DateTimeOffset,
    NaiveDate => Date,
}

impl From<&str> for Literal {
    fn from(value: &str) -> Self {
        Literal::String(value.to_owned())
    }
}

impl From<&String> for Literal {
    fn from(value: &String) -> Self {
        Literal::String(value.clone())
    }
}

impl From<&Guid> for Literal {
    fn from(value: &Guid) -> Self {
        Literal::Guid(value.clone())
    }
}

/// An entity key: a single value, or named parts of a composite key.
///
/// ```
/// use dynamics365_client::odata::literal::Key;
/// let key = Key::new().part("dataAreaId", "usmf").part("CustomerAccount", "US-001");
/// assert_eq!(key.to_odata(), "(dataAreaId='usmf',CustomerAccount='US-001')");
/// assert_eq!(Key::from("O'Neil").to_odata(), "('O''Neil')");
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Key {
    single: Option<Literal>,
    parts: Vec<(String, Literal)>,
}

impl Key {
    /// An empty composite key; add parts with [`part`](Self::part).
    pub fn new() -> Key {
        Key::default()
    }

    /// A key of one unnamed value: `Set('x')`, `Set(42)`, `Set(<guid>)`.
    pub fn single(value: impl Into<Literal>) -> Key {
        Key {
            single: Some(value.into()),
            parts: Vec::new(),
        }
    }

    /// Adds a named part (builder style); parts are written in the order added.
    #[must_use]
    pub fn part(mut self, name: impl Into<String>, value: impl Into<Literal>) -> Key {
        self.single = None;
        self.parts.push((name.into(), value.into()));
        self
    }

    /// Whether the key has no value at all.
    pub fn is_empty(&self) -> bool {
        self.single.is_none() && self.parts.is_empty()
    }

    /// The key in parentheses, OData syntax, not yet percent-encoded.
    pub fn to_odata(&self) -> String {
        match &self.single {
            Some(value) => format!("({})", value.to_odata()),
            None => {
                let parts: Vec<String> = self
                    .parts
                    .iter()
                    .map(|(name, value)| format!("{name}={}", value.to_odata()))
                    .collect();
                format!("({})", parts.join(","))
            }
        }
    }

    /// The key as it goes after an entity set name in a URL path: [`to_odata`](Self::to_odata)
    /// percent-encoded with [`encode_path_segment`].
    pub fn to_path(&self) -> String {
        encode_path_segment(&self.to_odata())
    }
}

impl<T: Into<Literal>> From<T> for Key {
    fn from(value: T) -> Self {
        Key::single(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rust_decimal_macros::dec;

    #[test]
    fn literal_table() {
        let at = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        let guid = Guid::parse("5D115C9C-44E3-EA11-BB43-000D3A2FECA1").unwrap();
        let cases: Vec<(Literal, &str)> = vec![
            (Literal::Null, "null"),
            (true.into(), "true"),
            (42.into(), "42"),
            ((-7_i64).into(), "-7"),
            (dec!(-12.50).into(), "-12.50"),
            ("plain".into(), "'plain'"),
            ("O'Brien's".into(), "'O''Brien''s'"),
            ("".into(), "''"),
            (guid.into(), "5d115c9c-44e3-ea11-bb43-000d3a2feca1"),
            (at.into(), "2024-01-01T00:00:00Z"),
            (
                Utc.with_ymd_and_hms(2024, 1, 1, 12, 30, 5).unwrap().into(),
                "2024-01-01T12:30:05Z",
            ),
            (
                NaiveDate::from_ymd_opt(2026, 11, 21).unwrap().into(),
                "2026-11-21",
            ),
            (
                Literal::enumeration("Microsoft.Dynamics.DataEntities.NoYes", "Yes"),
                "Microsoft.Dynamics.DataEntities.NoYes'Yes'",
            ),
        ];
        for (literal, expected) in cases {
            assert_eq!(literal.to_odata(), expected, "{literal:?}");
        }
    }

    #[test]
    fn fractional_seconds_are_kept() {
        let at = Utc.timestamp_millis_opt(1_700_000_000_123).unwrap();
        assert_eq!(Literal::from(at).to_odata(), "2023-11-14T22:13:20.123Z");
    }

    #[test]
    fn guids_are_validated_and_lowercased() {
        assert_eq!(
            Guid::parse("{00000000-0000-0000-0000-00000000000A}")
                .unwrap()
                .as_str(),
            "00000000-0000-0000-0000-00000000000a"
        );
        for bad in [
            "",
            "1234",
            "00000000-0000-0000-0000-00000000000g",
            "0000-0000",
        ] {
            assert!(Guid::parse(bad).is_err(), "{bad}");
        }
        let json =
            serde_json::to_string(&Guid::parse("00000000-0000-0000-0000-000000000001").unwrap())
                .unwrap();
        assert_eq!(json, "\"00000000-0000-0000-0000-000000000001\"");
        assert!(serde_json::from_str::<Guid>("\"nope\"").is_err());
    }

    #[test]
    fn keys_single_and_composite() {
        assert_eq!(Key::single(42).to_odata(), "(42)");
        assert_eq!(
            Key::new()
                .part("dataAreaId", "usmf")
                .part("JournalBatchNumber", "000123")
                .part("LineNumber", dec!(1))
                .to_odata(),
            "(dataAreaId='usmf',JournalBatchNumber='000123',LineNumber=1)"
        );
        let guid = Guid::parse("00000000-0000-0000-0000-000000000001").unwrap();
        assert_eq!(
            Key::from(&guid).to_path(),
            "(00000000-0000-0000-0000-000000000001)"
        );
    }

    #[test]
    fn path_encoding_keeps_key_syntax_and_encodes_the_rest() {
        let key = Key::new()
            .part("dataAreaId", "usmf")
            .part("CustomerAccount", "A B/C?D#E%F+G'H&I");
        assert_eq!(
            key.to_path(),
            "(dataAreaId='usmf',CustomerAccount='A%20B%2FC%3FD%23E%25F%2BG''H&I')"
        );
        assert_eq!(encode_path_segment("Müller"), "M%C3%BCller");
    }

    #[test]
    fn query_encoding_uses_percent_20_never_plus() {
        assert_eq!(
            encode_query_value("Name eq 'a+b c'"),
            "Name%20eq%20%27a%2Bb%20c%27"
        );
        assert_eq!(
            encode_query([("$filter", "A eq 1"), ("cross-company", "true")]),
            "$filter=A%20eq%201&cross-company=true"
        );
        assert_eq!(
            encode_query_value("Lines($select=A,B;$top=5)"),
            "Lines($select=A,B;$top=5)"
        );
        assert!(!encode_query_value("a b").contains('+'));
    }
}
