//! SOQL tokens: identifiers (dotted paths and `LAST_N_DAYS:n` included), quoted strings with
//! SOQL escapes, numbers, date and datetime literals, punctuation and comparison operators.

use chrono::{DateTime, NaiveDate, Utc};

use super::SoqlError;
use crate::salesforce::util::{parse_date, parse_datetime};

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A string literal: its text, and which characters were escaped LIKE wildcards (`\%`,
/// `\_`), by char index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StrLit {
    pub(crate) text: String,
    pub(crate) escaped: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    Str(StrLit),
    Num(String),
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
    Comma,
    LParen,
    RParen,
    Op(CmpOp),
    Eof,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    /// Char index in the query.
    pub(crate) pos: usize,
    /// The token's text as written.
    pub(crate) text: String,
}

pub(crate) fn lex(q: &str) -> Result<Vec<Token>, SoqlError> {
    let chars: Vec<char> = q.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let tok = match c {
            ',' => {
                i += 1;
                Tok::Comma
            }
            '(' => {
                i += 1;
                Tok::LParen
            }
            ')' => {
                i += 1;
                Tok::RParen
            }
            '=' => {
                i += 1;
                Tok::Op(CmpOp::Eq)
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                i += 2;
                Tok::Op(CmpOp::Ne)
            }
            '<' => match chars.get(i + 1) {
                Some('=') => {
                    i += 2;
                    Tok::Op(CmpOp::Le)
                }
                Some('>') => {
                    i += 2;
                    Tok::Op(CmpOp::Ne)
                }
                _ => {
                    i += 1;
                    Tok::Op(CmpOp::Lt)
                }
            },
            '>' => {
                if chars.get(i + 1) == Some(&'=') {
                    i += 2;
                    Tok::Op(CmpOp::Ge)
                } else {
                    i += 1;
                    Tok::Op(CmpOp::Gt)
                }
            }
            '\'' => {
                let (lit, next) = string(&chars, i)?;
                i = next;
                Tok::Str(lit)
            }
            c if c.is_ascii_digit()
                || ((c == '-' || c == '+')
                    && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                let (t, next) = number_or_date(&chars, i)?;
                i = next;
                t
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.')
                {
                    i += 1;
                }
                // Date literals with a count: LAST_N_DAYS:30.
                if chars.get(i) == Some(&':') && chars.get(i + 1).is_some_and(char::is_ascii_digit)
                {
                    i += 1;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                Tok::Ident(chars[start..i].iter().collect())
            }
            other => {
                return Err(SoqlError::malformed(
                    start,
                    format!("unexpected token: '{other}'"),
                ));
            }
        };
        out.push(Token {
            tok,
            pos: start,
            text: chars[start..i].iter().collect(),
        });
    }
    out.push(Token {
        tok: Tok::Eof,
        pos: chars.len(),
        text: "<EOF>".into(),
    });
    Ok(out)
}

fn string(chars: &[char], start: usize) -> Result<(StrLit, usize), SoqlError> {
    let mut text = String::new();
    let mut escaped = Vec::new();
    let mut n = 0usize;
    let mut i = start + 1;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err(SoqlError::malformed(
                start,
                "unexpected token: unterminated string literal",
            ));
        };
        match c {
            '\'' => return Ok((StrLit { text, escaped }, i + 1)),
            '\\' => {
                let Some(&e) = chars.get(i + 1) else {
                    return Err(SoqlError::malformed(
                        start,
                        "unexpected token: unterminated string literal",
                    ));
                };
                let decoded = match e {
                    '\'' | '"' | '\\' => e,
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    '%' | '_' => {
                        escaped.push(n);
                        e
                    }
                    'u' => {
                        let hex: String = chars.iter().skip(i + 2).take(4).collect();
                        let c = u32::from_str_radix(&hex, 16)
                            .ok()
                            .filter(|_| hex.len() == 4)
                            .and_then(char::from_u32)
                            .ok_or_else(|| illegal_escape(chars, start, i))?;
                        i += 4;
                        c
                    }
                    _ => return Err(illegal_escape(chars, start, i)),
                };
                text.push(decoded);
                n += 1;
                i += 2;
            }
            c => {
                text.push(c);
                n += 1;
                i += 1;
            }
        }
    }
}

fn illegal_escape(chars: &[char], start: usize, at: usize) -> SoqlError {
    let lit: String = chars
        .iter()
        .skip(start)
        .take_while(|c| **c != '\n')
        .take(60)
        .collect();
    let seq: String = chars.iter().skip(at).take(2).collect();
    SoqlError::malformed(
        start,
        format!(
            "Invalid string literal {lit}. Illegal character sequence '{seq}' in string literal."
        ),
    )
}

fn number_or_date(chars: &[char], start: usize) -> Result<(Tok, usize), SoqlError> {
    let mut i = start;
    if chars[i] == '-' || chars[i] == '+' {
        i += 1;
    }
    while i < chars.len() && chars[i].is_ascii_digit() {
        i += 1;
    }
    // A date: 4 digits then '-'.
    if i - start == 4 && chars.get(i) == Some(&'-') {
        let mut j = i;
        while j < chars.len()
            && (chars[j].is_ascii_alphanumeric() || matches!(chars[j], '-' | ':' | '.' | '+'))
        {
            j += 1;
        }
        let text: String = chars[start..j].iter().collect();
        if let Some(d) = parse_date(&text) {
            return Ok((Tok::Date(d), j));
        }
        if text.contains('T')
            && let Some(t) = parse_datetime(&text)
        {
            return Ok((Tok::DateTime(t), j));
        }
        return Err(SoqlError::malformed(
            start,
            format!("unexpected token: '{text}'"),
        ));
    }
    if chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
        i += 1;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
    }
    if chars
        .get(i)
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == '_')
    {
        let text: String = chars[start..=i].iter().collect();
        return Err(SoqlError::malformed(
            start,
            format!("unexpected token: '{text}'"),
        ));
    }
    let text: String = chars[start..i].iter().collect();
    Ok((Tok::Num(text.trim_start_matches('+').to_owned()), i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(q: &str) -> Vec<Tok> {
        lex(q).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn tokens() {
        assert_eq!(
            toks("SELECT a.b FROM X WHERE n >= -1.5 AND s != 'it\\'s' AND d = 2024-05-01"),
            vec![
                Tok::Ident("SELECT".into()),
                Tok::Ident("a.b".into()),
                Tok::Ident("FROM".into()),
                Tok::Ident("X".into()),
                Tok::Ident("WHERE".into()),
                Tok::Ident("n".into()),
                Tok::Op(CmpOp::Ge),
                Tok::Num("-1.5".into()),
                Tok::Ident("AND".into()),
                Tok::Ident("s".into()),
                Tok::Op(CmpOp::Ne),
                Tok::Str(StrLit {
                    text: "it's".into(),
                    escaped: vec![]
                }),
                Tok::Ident("AND".into()),
                Tok::Ident("d".into()),
                Tok::Op(CmpOp::Eq),
                Tok::Date(NaiveDate::from_ymd_opt(2024, 5, 1).unwrap()),
                Tok::Eof,
            ]
        );
        assert!(matches!(
            toks("x = 2024-05-01T10:00:00Z")[2],
            Tok::DateTime(_)
        ));
        assert!(matches!(
            toks("x = 2024-05-01T10:00:00.000+02:00")[2],
            Tok::DateTime(_)
        ));
        assert_eq!(
            toks("x < LAST_N_DAYS:30")[2],
            Tok::Ident("LAST_N_DAYS:30".into())
        );
        assert_eq!(
            toks(r"'100\% \_x'")[0],
            Tok::Str(StrLit {
                text: "100% _x".into(),
                escaped: vec![3, 5]
            })
        );
        assert_eq!(toks("a <> 'é'")[1], Tok::Op(CmpOp::Ne));
        assert!(lex("'open").is_err());
        assert!(lex(r"'\q'").is_err());
        assert!(lex("x = 12abc").is_err());
        assert!(lex("x # 1").is_err());
    }
}
