//! Tokens of OData URL expressions (`$filter`, `$orderby`, key predicates).
//!
//! Literals follow OData v4 ABNF: strings single-quoted with `''` for a quote, GUIDs,
//! `DateTimeOffset` and dates unquoted, enum literals `Namespace.Type'Value'`, `null`, `true`,
//! `false`. A `+` in a time-zone offset that form decoding turned into a space is repaired.

use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::Decimal;

/// One token with its character position in the source text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) pos: usize,
}

/// Token kinds.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    /// An identifier, possibly dotted (`Microsoft.NAV.post`) or a keyword (`eq`, `and`).
    Ident(String),
    /// A literal value.
    Lit(Lit),
    LParen,
    RParen,
    Comma,
    Equals,
    Slash,
    Semicolon,
}

/// A literal value in an expression or key.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Lit {
    Null,
    Bool(bool),
    Num(Decimal),
    Str(String),
    Guid(String),
    DateTime(DateTime<FixedOffset>),
    Date(NaiveDate),
    Enum { ty: String, val: String },
}

/// A lexing failure: message kind and position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LexError {
    pub(crate) pos: usize,
    pub(crate) unterminated: bool,
}

fn is_hex(c: char) -> bool {
    c.is_ascii_hexdigit()
}

/// Length of a GUID starting at `i`, if one does.
fn guid_at(s: &[char], i: usize) -> Option<usize> {
    let groups = [8usize, 4, 4, 4, 12];
    let mut j = i;
    for (n, g) in groups.iter().enumerate() {
        for _ in 0..*g {
            if !s.get(j).copied().is_some_and(is_hex) {
                return None;
            }
            j += 1;
        }
        if n < 4 {
            if s.get(j) != Some(&'-') {
                return None;
            }
            j += 1;
        }
    }
    // Not followed by an identifier character.
    if s.get(j)
        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
    {
        return None;
    }
    Some(j - i)
}

fn digits(s: &[char], i: usize, n: usize) -> bool {
    (i..i + n).all(|k| s.get(k).is_some_and(char::is_ascii_digit))
}

/// A date (`YYYY-MM-DD`) or date-time starting at `i`: (length, literal).
fn date_at(s: &[char], i: usize) -> Option<(usize, Lit)> {
    if !(digits(s, i, 4)
        && s.get(i + 4) == Some(&'-')
        && digits(s, i + 5, 2)
        && s.get(i + 7) == Some(&'-')
        && digits(s, i + 8, 2))
    {
        return None;
    }
    let mut j = i + 10;
    if s.get(j) != Some(&'T') {
        let text: String = s.get(i..j)?.iter().collect();
        let d = NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok()?;
        return Some((10, Lit::Date(d)));
    }
    j += 1;
    while s
        .get(j)
        .is_some_and(|c| c.is_ascii_digit() || *c == ':' || *c == '.')
    {
        j += 1;
    }
    let mut text: String = s.get(i..j)?.iter().collect();
    match s.get(j) {
        Some('Z' | 'z') => {
            text.push('Z');
            j += 1;
        }
        Some(c @ ('+' | '-' | ' ')) if digits(s, j + 1, 2) && s.get(j + 3) == Some(&':') => {
            // A '+' that form decoding turned into a space is repaired.
            text.push(if *c == '-' { '-' } else { '+' });
            text.extend(s.get(j + 1..j + 6)?.iter());
            j += 6;
        }
        _ => return None,
    }
    // Seconds are optional in OData ("2024-01-01T00:00Z").
    let parsed = DateTime::parse_from_rfc3339(&text).ok().or_else(|| {
        let (head, zone) = text.split_at(16.min(text.len()));
        DateTime::parse_from_rfc3339(&format!("{head}:00{zone}")).ok()
    })?;
    Some((j - i, Lit::DateTime(parsed)))
}

/// A number starting at `i`: (length, value).
fn number_at(s: &[char], i: usize) -> Option<(usize, Decimal)> {
    let mut j = i;
    if s.get(j) == Some(&'-') {
        j += 1;
    }
    let start_digits = j;
    while s.get(j).is_some_and(char::is_ascii_digit) {
        j += 1;
    }
    if j == start_digits {
        return None;
    }
    if s.get(j) == Some(&'.') && s.get(j + 1).is_some_and(char::is_ascii_digit) {
        j += 1;
        while s.get(j).is_some_and(char::is_ascii_digit) {
            j += 1;
        }
    }
    let mut end = j;
    if matches!(s.get(j), Some('e' | 'E')) {
        let mut k = j + 1;
        if matches!(s.get(k), Some('+' | '-')) {
            k += 1;
        }
        if s.get(k).is_some_and(char::is_ascii_digit) {
            while s.get(k).is_some_and(char::is_ascii_digit) {
                k += 1;
            }
            end = k;
        }
    }
    let text: String = s.get(i..end)?.iter().collect();
    let value = text
        .parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(&text).ok())?;
    // OData type suffixes (m, d, f, L) are accepted and ignored.
    if matches!(
        s.get(end),
        Some('m' | 'M' | 'd' | 'D' | 'f' | 'F' | 'l' | 'L')
    ) && !s
        .get(end + 1)
        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
    {
        end += 1;
    }
    if s.get(end)
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == '_')
    {
        return None;
    }
    Some((end - i, value))
}

/// A quoted string starting at `i` (which holds `'`): (length incl. quotes, content).
fn string_at(s: &[char], i: usize) -> Result<(usize, String), LexError> {
    let mut out = String::new();
    let mut j = i + 1;
    loop {
        match s.get(j) {
            None => {
                return Err(LexError {
                    pos: i,
                    unterminated: true,
                });
            }
            Some('\'') if s.get(j + 1) == Some(&'\'') => {
                out.push('\'');
                j += 2;
            }
            Some('\'') => return Ok((j + 1 - i, out)),
            Some(c) => {
                out.push(*c);
                j += 1;
            }
        }
    }
}

/// Split `text` into tokens.
pub(crate) fn lex(text: &str) -> Result<Vec<Token>, LexError> {
    let s: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        let pos = i;
        let single = match c {
            ' ' | '\t' | '\r' | '\n' => {
                i += 1;
                continue;
            }
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            ',' => Some(Tok::Comma),
            '=' => Some(Tok::Equals),
            '/' => Some(Tok::Slash),
            ';' => Some(Tok::Semicolon),
            _ => None,
        };
        if let Some(tok) = single {
            out.push(Token { tok, pos });
            i += 1;
            continue;
        }
        if c == '\'' {
            let (len, v) = string_at(&s, i)?;
            out.push(Token {
                tok: Tok::Lit(Lit::Str(v)),
                pos,
            });
            i += len;
            continue;
        }
        if let Some(len) = guid_at(&s, i) {
            let v: String = s.get(i..i + len).unwrap_or_default().iter().collect();
            out.push(Token {
                tok: Tok::Lit(Lit::Guid(v.to_ascii_lowercase())),
                pos,
            });
            i += len;
            continue;
        }
        if let Some((len, lit)) = date_at(&s, i) {
            out.push(Token {
                tok: Tok::Lit(lit),
                pos,
            });
            i += len;
            continue;
        }
        if c.is_ascii_digit() || (c == '-' && s.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let Some((len, v)) = number_at(&s, i) else {
                return Err(LexError {
                    pos,
                    unterminated: false,
                });
            };
            out.push(Token {
                tok: Tok::Lit(Lit::Num(v)),
                pos,
            });
            i += len;
            continue;
        }
        if c.is_alphabetic() || c == '_' || c == '$' {
            let mut j = i + 1;
            while s
                .get(j)
                .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '.'))
            {
                j += 1;
            }
            let name: String = s.get(i..j).unwrap_or_default().iter().collect();
            if s.get(j) == Some(&'\'') {
                let (len, v) = string_at(&s, j)?;
                out.push(Token {
                    tok: Tok::Lit(Lit::Enum { ty: name, val: v }),
                    pos,
                });
                i = j + len;
                continue;
            }
            let tok = match name.as_str() {
                "null" => Tok::Lit(Lit::Null),
                "true" => Tok::Lit(Lit::Bool(true)),
                "false" => Tok::Lit(Lit::Bool(false)),
                _ => Tok::Ident(name),
            };
            out.push(Token { tok, pos });
            i = j;
            continue;
        }
        return Err(LexError {
            pos,
            unterminated: false,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn literals() {
        assert_eq!(
            toks("Name eq 'O''Brien'"),
            vec![
                Tok::Ident("Name".into()),
                Tok::Ident("eq".into()),
                Tok::Lit(Lit::Str("O'Brien".into()))
            ]
        );
        assert!(matches!(
            toks("x ge 2024-01-01T00:00:00Z")[2],
            Tok::Lit(Lit::DateTime(_))
        ));
        assert!(matches!(
            toks("x ge 2024-01-01T00:00:00 01:00")[2],
            Tok::Lit(Lit::DateTime(_))
        ));
        assert!(matches!(toks("x ge 2024-01-31")[2], Tok::Lit(Lit::Date(_))));
        assert_eq!(
            toks("id eq 5F1E1B3C-0000-4000-8000-000000000001")[2],
            Tok::Lit(Lit::Guid("5f1e1b3c-0000-4000-8000-000000000001".into()))
        );
        assert_eq!(
            toks("A eq Microsoft.Dynamics.DataEntities.NoYes'Yes'")[2],
            Tok::Lit(Lit::Enum {
                ty: "Microsoft.Dynamics.DataEntities.NoYes".into(),
                val: "Yes".into()
            })
        );
        assert_eq!(toks("-1.5")[0], Tok::Lit(Lit::Num(Decimal::new(-15, 1))));
        assert_eq!(toks("1e3")[0], Tok::Lit(Lit::Num(Decimal::new(1000, 0))));
        assert_eq!(toks("null")[0], Tok::Lit(Lit::Null));
    }

    #[test]
    fn errors() {
        assert_eq!(
            lex("Name eq 'abc"),
            Err(LexError {
                pos: 8,
                unterminated: true
            })
        );
        assert!(lex("a eq #").is_err());
        assert!(lex("a eq 12abc").is_err());
    }
}
