//! Resource paths: splitting into segments, key predicates
//! (`CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')`, `customers(<guid>)`), matching
//! them to rows and writing canonical entity URLs.

use serde_json::{Map, Value};

use super::odata::filter::{Val, compare};
use super::odata::lexer::{Lit, Tok, lex};
use super::odata::value::str_of;
use super::schema::{SetDef, Ty};

/// One path segment: a name and an optional key predicate (raw text between the parentheses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Segment {
    pub(crate) name: String,
    pub(crate) key: Option<String>,
}

/// A parsed key predicate.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum KeyPred {
    /// `(value)`.
    Single(Lit),
    /// `(name=value,…)`.
    Named(Vec<(String, Lit)>),
}

/// Decode `%XX` escapes (a `+` stays a plus in paths). Invalid escapes are kept as written.
pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encode a path segment, keeping the characters OData key syntax uses.
pub(crate) fn encode_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~'(),=:!$*@+".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Split a (percent-encoded) path into decoded segments. `/` inside quotes or parentheses does
/// not split. Returns `None` for a segment like `Set(x` or `Set(x)y`.
pub(crate) fn segments(path: &str) -> Option<Vec<Segment>> {
    let decoded = percent_decode(path);
    let mut raw = Vec::new();
    let (mut depth, mut quoted, mut start) = (0i32, false, 0usize);
    for (i, c) in decoded.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            '/' if !quoted && depth == 0 => {
                raw.push(&decoded[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    raw.push(&decoded[start..]);
    let mut out = Vec::new();
    for s in raw.into_iter().filter(|s| !s.is_empty()) {
        match s.find('(') {
            None => out.push(Segment {
                name: s.to_owned(),
                key: None,
            }),
            Some(i) => {
                if !s.ends_with(')') || i == 0 {
                    return None;
                }
                out.push(Segment {
                    name: s[..i].to_owned(),
                    key: Some(s[i + 1..s.len() - 1].to_owned()),
                });
            }
        }
    }
    Some(out)
}

/// Parse the text between a key predicate's parentheses.
pub(crate) fn parse_key(text: &str) -> Option<KeyPred> {
    let toks: Vec<Tok> = lex(text).ok()?.into_iter().map(|t| t.tok).collect();
    match toks.as_slice() {
        [Tok::Lit(l)] => return Some(KeyPred::Single(l.clone())),
        [] => return None,
        _ => {}
    }
    let mut out = Vec::new();
    let mut it = toks.into_iter();
    loop {
        let (Some(Tok::Ident(name)), Some(Tok::Equals), Some(Tok::Lit(l))) =
            (it.next(), it.next(), it.next())
        else {
            return None;
        };
        if out.iter().any(|(n, _): &(String, Lit)| *n == name) {
            return None;
        }
        out.push((name, l));
        match it.next() {
            None => return Some(KeyPred::Named(out)),
            Some(Tok::Comma) => {}
            Some(_) => return None,
        }
    }
}

fn lit_val(l: &Lit) -> Val {
    match l {
        Lit::Null => Val::Null,
        Lit::Bool(b) => Val::Bool(*b),
        Lit::Num(n) => Val::Num(*n),
        Lit::Str(s) | Lit::Guid(s) => Val::Str(s.clone()),
        Lit::Enum { val, .. } => Val::Str(val.clone()),
        Lit::DateTime(d) => Val::DateTime(*d),
        Lit::Date(d) => Val::Date(*d),
    }
}

/// The key values of a predicate in the set's key order, or `None` when the predicate does not
/// name exactly the set's keys.
pub(crate) fn key_values(set: &SetDef, key: &KeyPred) -> Option<Vec<(&'static str, Val)>> {
    match key {
        KeyPred::Single(l) => match set.keys {
            [k] => Some(vec![(*k, lit_val(l))]),
            _ => None,
        },
        KeyPred::Named(pairs) => {
            if pairs.len() != set.keys.len() {
                return None;
            }
            set.keys
                .iter()
                .map(|k| {
                    pairs
                        .iter()
                        .find(|(n, _)| n == k)
                        .map(|(_, l)| (*k, lit_val(l)))
                })
                .collect()
        }
    }
}

/// Whether `row` has these key values (strings compare case-insensitively, as on SQL Server).
pub(crate) fn row_matches(row: &Map<String, Value>, values: &[(&'static str, Val)]) -> bool {
    values
        .iter()
        .all(|(k, v)| compare(&Val::from_json(row.get(*k)), v) == Some(std::cmp::Ordering::Equal))
}

/// Whether two rows have the same key.
pub(crate) fn same_key(set: &SetDef, a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    set.keys.iter().all(|k| {
        compare(&Val::from_json(a.get(*k)), &Val::from_json(b.get(*k)))
            == Some(std::cmp::Ordering::Equal)
    })
}

fn literal(ty: Ty, v: Option<&Value>, ns: &str) -> String {
    match (ty, v) {
        (_, None | Some(Value::Null)) => "null".into(),
        (Ty::Str, Some(v)) => format!("'{}'", str_of(Some(v)).replace('\'', "''")),
        (Ty::Enum(t), Some(v)) => format!("{ns}.{t}'{}'", str_of(Some(v))),
        (_, Some(Value::String(s))) => s.clone(),
        (_, Some(v)) => v.to_string(),
    }
}

/// `(k1=v1,k2=v2)` for composite keys, `(v)` for a single key; percent-encoded.
pub(crate) fn format_key(set: &SetDef, row: &Map<String, Value>, ns: &str) -> String {
    let ty = |k: &str| set.prop(k).map_or(Ty::Str, |p| p.ty);
    let inner = match set.keys {
        [k] => literal(ty(k), row.get(*k), ns),
        keys => keys
            .iter()
            .map(|k| format!("{k}={}", literal(ty(k), row.get(*k), ns)))
            .collect::<Vec<_>>()
            .join(","),
    };
    encode_segment(&format!("({inner})"))
}

/// A readable key for error texts: `CustomerAccount='US-001'`.
pub(crate) fn describe_key(key: &KeyPred) -> String {
    let show = |l: &Lit| match l {
        Lit::Str(s) | Lit::Guid(s) => format!("'{s}'"),
        Lit::Num(n) => n.to_string(),
        Lit::Enum { val, .. } => format!("'{val}'"),
        Lit::DateTime(d) => d.to_rfc3339(),
        Lit::Date(d) => d.to_string(),
        Lit::Bool(b) => b.to_string(),
        Lit::Null => "null".into(),
    };
    match key {
        KeyPred::Single(l) => format!("Id={}", show(l)),
        KeyPred::Named(pairs) => pairs
            .iter()
            .map(|(n, l)| format!("{n}={}", show(l)))
            .collect::<Vec<_>>()
            .join(","),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamics::schema::{Dv, p};
    use serde_json::json;

    const SET: SetDef = SetDef {
        name: "CustomersV3",
        type_name: "CustomerV3",
        caption: "CustCustomerV3Entity",
        keys: &["dataAreaId", "CustomerAccount"],
        props: &[
            p("dataAreaId", Ty::Str, Dv::Empty),
            p("CustomerAccount", Ty::Str, Dv::Empty),
        ],
        navs: &[],
        writable: true,
    };

    #[test]
    fn splits_segments() {
        let s = segments("/data/CustomersV3(dataAreaId='usmf',CustomerAccount='A%2FB')/X").unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[1].name, "CustomersV3");
        assert_eq!(
            s[1].key.as_deref(),
            Some("dataAreaId='usmf',CustomerAccount='A/B'")
        );
        assert!(segments("/data/X(1").is_none());
    }

    #[test]
    fn parses_and_matches_keys() {
        let k = parse_key("dataAreaId='USMF',CustomerAccount='O''Neil'").unwrap();
        let vals = key_values(&SET, &k).unwrap();
        let row = json!({"dataAreaId": "usmf", "CustomerAccount": "O'Neil"});
        assert!(row_matches(row.as_object().unwrap(), &vals));
        assert!(key_values(&SET, &parse_key("'x'").unwrap()).is_none());
        assert!(parse_key("a=1,a=2").is_none());
        assert!(parse_key("a=").is_none());
        assert!(matches!(
            parse_key("5f1e1b3c-0000-4000-8000-000000000001"),
            Some(KeyPred::Single(Lit::Guid(_)))
        ));
    }

    #[test]
    fn formats_keys() {
        let row = json!({"dataAreaId": "usmf", "CustomerAccount": "O'Neil 1"});
        assert_eq!(
            format_key(&SET, row.as_object().unwrap(), "NS"),
            "(dataAreaId='usmf',CustomerAccount='O''Neil%201')"
        );
    }
}
