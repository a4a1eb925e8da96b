//! The SOQL subset's grammar:
//!
//! ```text
//! query   := SELECT (COUNT() | path (, path)*) FROM object [WHERE cond]
//!            [ORDER BY path [ASC|DESC] [NULLS FIRST|LAST] (, …)*] [LIMIT n] [OFFSET n]
//! cond    := unary (AND unary)* | unary (OR unary)*     -- mixing needs parentheses
//! unary   := NOT unary | ( cond ) | path op literal | path [NOT] IN (literal, …)
//!          | path LIKE 'pattern' | path INCLUDES|EXCLUDES ('a;b', …)
//! literal := 'string' | number | TRUE | FALSE | NULL | 2024-05-01 | 2024-05-01T10:00:00Z
//!          | TODAY | YESTERDAY | TOMORROW | THIS_MONTH | LAST_N_DAYS:n | NEXT_N_DAYS:n …
//! ```

use chrono::{DateTime, NaiveDate, Utc};

use super::SoqlError;
use super::lexer::{CmpOp, StrLit, Tok, Token, lex};

/// A field path as written: `Name`, `Account.Owner.Name`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Path {
    pub(crate) parts: Vec<String>,
    pub(crate) pos: usize,
    pub(crate) text: String,
}

/// A relative date literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RelDate {
    Today,
    Yesterday,
    Tomorrow,
    ThisMonth,
    LastMonth,
    ThisYear,
    LastNDays(i64),
    NextNDays(i64),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Lit {
    Null,
    Bool(bool),
    Num(f64),
    Str(StrLit),
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
    Relative(RelDate),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Cmp {
        path: Path,
        op: CmpOp,
        lit: Lit,
    },
    In {
        path: Path,
        negated: bool,
        lits: Vec<Lit>,
    },
    Like {
        path: Path,
        pattern: StrLit,
    },
    Includes {
        path: Path,
        excludes: bool,
        lits: Vec<String>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Select {
    Count,
    Fields(Vec<Path>),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct OrderItem {
    pub(crate) path: Path,
    pub(crate) desc: bool,
    pub(crate) nulls_last: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Query {
    pub(crate) select: Select,
    pub(crate) from: String,
    pub(crate) from_pos: usize,
    pub(crate) filter: Option<Cond>,
    pub(crate) order: Vec<OrderItem>,
    pub(crate) limit: Option<usize>,
    pub(crate) offset: Option<usize>,
}

const RESERVED: &[&str] = &[
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "LIMIT", "OFFSET",
    "NULL", "TRUE", "FALSE", "ASC", "DESC", "NULLS", "GROUP", "HAVING", "WITH", "FOR", "USING",
    "INCLUDES", "EXCLUDES",
];

struct P<'a> {
    toks: &'a [Token],
    i: usize,
}

impl P<'_> {
    fn peek(&self) -> &Token {
        self.toks
            .get(self.i)
            .or_else(|| self.toks.last())
            .unwrap_or(&EOF)
    }

    fn peek_at(&self, n: usize) -> &Token {
        self.toks.get(self.i + n).unwrap_or(&EOF)
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if self.i < self.toks.len() {
            self.i += 1;
        }
        t
    }

    fn kw(&self, k: &str) -> bool {
        matches!(&self.peek().tok, Tok::Ident(s) if s.eq_ignore_ascii_case(k))
    }

    fn unexpected(&self) -> SoqlError {
        let t = self.peek();
        SoqlError::malformed(t.pos, format!("unexpected token: {}", t.text))
    }

    fn expect_kw(&mut self, k: &str) -> Result<(), SoqlError> {
        if self.kw(k) {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn expect(&mut self, want: &Tok) -> Result<(), SoqlError> {
        if &self.peek().tok == want {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn path(&mut self) -> Result<Path, SoqlError> {
        let t = self.peek().clone();
        match &t.tok {
            Tok::Ident(s) if !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s)) => {
                let parts: Vec<String> = s.split('.').map(str::to_owned).collect();
                if parts.iter().any(String::is_empty) || s.contains(':') {
                    return Err(self.unexpected());
                }
                self.bump();
                Ok(Path {
                    parts,
                    pos: t.pos,
                    text: s.clone(),
                })
            }
            _ => Err(self.unexpected()),
        }
    }

    fn select(&mut self) -> Result<Select, SoqlError> {
        if self.kw("COUNT") && self.peek_at(1).tok == Tok::LParen {
            self.bump();
            self.bump();
            if self.peek().tok != Tok::RParen {
                return Err(SoqlError::malformed(
                    self.peek().pos,
                    "the sandbox supports COUNT() only, not COUNT(field) or other aggregate functions",
                ));
            }
            self.bump();
            return Ok(Select::Count);
        }
        let mut fields = Vec::new();
        loop {
            if self.peek().tok == Tok::LParen {
                return Err(SoqlError::malformed(
                    self.peek().pos,
                    "child relationship subqueries are not supported by the sandbox",
                ));
            }
            if matches!(&self.peek().tok, Tok::Ident(_)) && self.peek_at(1).tok == Tok::LParen {
                return Err(SoqlError::malformed(
                    self.peek().pos,
                    "functions in the SELECT list are not supported by the sandbox",
                ));
            }
            fields.push(self.path()?);
            if self.peek().tok == Tok::Comma {
                self.bump();
            } else {
                return Ok(Select::Fields(fields));
            }
        }
    }

    fn literal(&mut self) -> Result<Lit, SoqlError> {
        let t = self.peek().clone();
        let lit = match &t.tok {
            Tok::Str(s) => Lit::Str(s.clone()),
            Tok::Num(n) => Lit::Num(n.parse().map_err(|_| self.unexpected())?),
            Tok::Date(d) => Lit::Date(*d),
            Tok::DateTime(d) => Lit::DateTime(*d),
            Tok::Ident(s) => keyword_literal(s).ok_or_else(|| self.unexpected())?,
            _ => return Err(self.unexpected()),
        };
        self.bump();
        Ok(lit)
    }

    fn list<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<T, SoqlError>,
    ) -> Result<Vec<T>, SoqlError> {
        self.expect(&Tok::LParen)?;
        if self.kw("SELECT") {
            return Err(SoqlError::malformed(
                self.peek().pos,
                "semi-join subqueries are not supported by the sandbox",
            ));
        }
        let mut out = vec![item(self)?];
        while self.peek().tok == Tok::Comma {
            self.bump();
            out.push(item(self)?);
        }
        self.expect(&Tok::RParen)?;
        Ok(out)
    }

    fn predicate(&mut self) -> Result<Cond, SoqlError> {
        let path = self.path()?;
        let t = self.peek().clone();
        match &t.tok {
            Tok::Op(op) => {
                self.bump();
                let lit = self.literal()?;
                if lit == Lit::Null && !matches!(op, CmpOp::Eq | CmpOp::Ne) {
                    return Err(SoqlError::malformed(t.pos, "unexpected token: null"));
                }
                Ok(Cond::Cmp { path, op: *op, lit })
            }
            Tok::Ident(k) if k.eq_ignore_ascii_case("IN") => {
                self.bump();
                let lits = self.list(Self::literal)?;
                Ok(Cond::In {
                    path,
                    negated: false,
                    lits,
                })
            }
            Tok::Ident(k) if k.eq_ignore_ascii_case("NOT") => {
                self.bump();
                self.expect_kw("IN")?;
                let lits = self.list(Self::literal)?;
                Ok(Cond::In {
                    path,
                    negated: true,
                    lits,
                })
            }
            Tok::Ident(k) if k.eq_ignore_ascii_case("LIKE") => {
                self.bump();
                match self.literal()? {
                    Lit::Str(pattern) => Ok(Cond::Like { path, pattern }),
                    _ => Err(SoqlError::malformed(t.pos, "LIKE needs a quoted pattern")),
                }
            }
            Tok::Ident(k)
                if k.eq_ignore_ascii_case("INCLUDES") || k.eq_ignore_ascii_case("EXCLUDES") =>
            {
                self.bump();
                let lits = self.list(|p| match p.literal()? {
                    Lit::Str(s) => Ok(s.text),
                    _ => Err(p.unexpected()),
                })?;
                Ok(Cond::Includes {
                    path,
                    excludes: k.eq_ignore_ascii_case("EXCLUDES"),
                    lits,
                })
            }
            _ => Err(self.unexpected()),
        }
    }

    fn unary(&mut self) -> Result<Cond, SoqlError> {
        if self.kw("NOT") {
            self.bump();
            return Ok(Cond::Not(Box::new(self.unary()?)));
        }
        if self.peek().tok == Tok::LParen {
            self.bump();
            let c = self.cond()?;
            self.expect(&Tok::RParen)?;
            return Ok(c);
        }
        self.predicate()
    }

    fn cond(&mut self) -> Result<Cond, SoqlError> {
        let first = self.unary()?;
        for (kw, other) in [("AND", "OR"), ("OR", "AND")] {
            if self.kw(kw) {
                let mut items = vec![first];
                while self.kw(kw) {
                    self.bump();
                    items.push(self.unary()?);
                }
                if self.kw(other) {
                    // SOQL requires parentheses when AND and OR are mixed.
                    return Err(self.unexpected());
                }
                return Ok(if kw == "AND" {
                    Cond::And(items)
                } else {
                    Cond::Or(items)
                });
            }
        }
        Ok(first)
    }

    fn count(&mut self) -> Result<usize, SoqlError> {
        let t = self.peek().clone();
        match &t.tok {
            Tok::Num(n) => {
                let v = n.parse::<usize>().map_err(|_| self.unexpected())?;
                self.bump();
                Ok(v)
            }
            _ => Err(self.unexpected()),
        }
    }

    fn order(&mut self) -> Result<Vec<OrderItem>, SoqlError> {
        let mut out = Vec::new();
        loop {
            let path = self.path()?;
            let mut desc = false;
            if self.kw("ASC") {
                self.bump();
            } else if self.kw("DESC") {
                self.bump();
                desc = true;
            }
            // Salesforce's default: nulls first ascending, last descending.
            let mut nulls_last = desc;
            if self.kw("NULLS") {
                self.bump();
                if self.kw("FIRST") {
                    nulls_last = false;
                } else if self.kw("LAST") {
                    nulls_last = true;
                } else {
                    return Err(self.unexpected());
                }
                self.bump();
            }
            out.push(OrderItem {
                path,
                desc,
                nulls_last,
            });
            if self.peek().tok == Tok::Comma {
                self.bump();
            } else {
                return Ok(out);
            }
        }
    }
}

static EOF: Token = Token {
    tok: Tok::Eof,
    pos: 0,
    text: String::new(),
};

fn keyword_literal(s: &str) -> Option<Lit> {
    let upper = s.to_ascii_uppercase();
    if let Some((name, n)) = upper.split_once(':') {
        let n: i64 = n.parse().ok()?;
        return match name {
            "LAST_N_DAYS" => Some(Lit::Relative(RelDate::LastNDays(n))),
            "NEXT_N_DAYS" => Some(Lit::Relative(RelDate::NextNDays(n))),
            _ => None,
        };
    }
    Some(match upper.as_str() {
        "NULL" => Lit::Null,
        "TRUE" => Lit::Bool(true),
        "FALSE" => Lit::Bool(false),
        "TODAY" => Lit::Relative(RelDate::Today),
        "YESTERDAY" => Lit::Relative(RelDate::Yesterday),
        "TOMORROW" => Lit::Relative(RelDate::Tomorrow),
        "THIS_MONTH" => Lit::Relative(RelDate::ThisMonth),
        "LAST_MONTH" => Lit::Relative(RelDate::LastMonth),
        "THIS_YEAR" => Lit::Relative(RelDate::ThisYear),
        _ => return None,
    })
}

/// Parse one SOQL statement.
pub(crate) fn parse(q: &str) -> Result<Query, SoqlError> {
    let toks = lex(q)?;
    let mut p = P { toks: &toks, i: 0 };
    p.expect_kw("SELECT")?;
    let select = p.select()?;
    p.expect_kw("FROM")?;
    let from_tok = p.peek().clone();
    let from = match &from_tok.tok {
        Tok::Ident(s) if !s.contains('.') && !s.contains(':') => s.clone(),
        _ => return Err(p.unexpected()),
    };
    p.bump();
    let filter = if p.kw("WHERE") {
        p.bump();
        Some(p.cond()?)
    } else {
        None
    };
    let mut order = Vec::new();
    if p.kw("ORDER") {
        p.bump();
        p.expect_kw("BY")?;
        order = p.order()?;
    }
    let mut limit = None;
    if p.kw("LIMIT") {
        p.bump();
        limit = Some(p.count()?);
    }
    let mut offset = None;
    if p.kw("OFFSET") {
        p.bump();
        offset = Some(p.count()?);
    }
    if p.peek().tok != Tok::Eof {
        return Err(p.unexpected());
    }
    Ok(Query {
        select,
        from,
        from_pos: from_tok.pos,
        filter,
        order,
        limit,
        offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_subset() {
        let q = parse(
            "select Id, Account.Name from Contact where (Name like 'A%' or Amount__c >= 10) and not Email = null \
             and Stage__c not in ('a','b') order by Name desc nulls first, Id limit 10 offset 5",
        )
        .unwrap();
        assert_eq!(q.from, "Contact");
        let Select::Fields(f) = &q.select else {
            panic!("fields")
        };
        assert_eq!(f[1].parts, vec!["Account", "Name"]);
        assert!(matches!(q.filter, Some(Cond::And(ref v)) if v.len() == 3));
        assert_eq!(q.order.len(), 2);
        assert!(q.order[0].desc && !q.order[0].nulls_last);
        assert!(!q.order[1].desc && !q.order[1].nulls_last);
        assert_eq!((q.limit, q.offset), (Some(10), Some(5)));
        assert_eq!(
            parse("SELECT COUNT() FROM Account").unwrap().select,
            Select::Count
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "SELECT",
            "SELECT FROM Account",
            "SELECT Id Account",
            "SELECT Id FROM",
            "SELECT Id, FROM Account",
            "SELECT Id FROM Account WHERE",
            "SELECT Id FROM Account WHERE Name = 'a' AND Id = 'b' OR Id = 'c'",
            "SELECT Id FROM Account WHERE Name 'a'",
            "SELECT Id FROM Account WHERE Name IN ()",
            "SELECT Id FROM Account WHERE Name IN (SELECT Id FROM Contact)",
            "SELECT Id FROM Account WHERE Amount < null",
            "SELECT Id FROM Account LIMIT x",
            "SELECT Id FROM Account LIMIT -1",
            "SELECT Id FROM Account ORDER Name",
            "SELECT Id FROM Account GROUP BY Name",
            "SELECT (SELECT Id FROM Contacts) FROM Account",
            "SELECT Id FROM Account WHERE (Name = 'a'",
            "SELECT a..b FROM Account",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
