//! `$filter`: parser (over [`super::lexer`]) and evaluator.
//!
//! Supported: `eq ne gt ge lt le and or not`, `add sub mul div divby mod`, parentheses, every
//! literal of the lexer, and the functions `contains startswith endswith tolower toupper trim
//! length indexof substring concat year month day hour minute second date`. `has` and `in` are
//! refused (F&O documents neither). String comparisons ignore case, as SQL Server's default
//! collation behind both products does (UNCONFIRMED for every field, true for the ones seen).
//! With [`FilterOptions::wildcard_eq`] (F&O), `Prop eq '*text*'` matches with `*` as a
//! wildcard, F&O's documented substitute for `contains`.

use std::cmp::Ordering;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, Timelike};
use rust_decimal::Decimal;
use serde_json::Value;

use super::lexer::{LexError, Lit, Tok, Token, lex};

/// What the flavour allows in `$filter`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FilterOptions {
    /// `eq '*x*'` is a wildcard match (F&O).
    pub(crate) wildcard_eq: bool,
    /// String and date functions are available.
    pub(crate) functions: bool,
}

/// Why a `$filter` (or `$orderby`) was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FilterError {
    /// Malformed text; the message is OData library style ("Syntax error at position …").
    Syntax(String),
    /// A property the entity type does not have.
    UnknownProperty(String),
    /// Well-formed but not supported by this service.
    Unsupported(String),
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    And,
    Or,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// A parsed filter expression.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expr {
    Lit(Lit),
    Prop(String),
    Not(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
    /// F&O wildcard equality: (operand, pattern, negated).
    Like(Box<Expr>, String, bool),
}

/// A runtime value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Val {
    Null,
    Bool(bool),
    Num(Decimal),
    Str(String),
    DateTime(DateTime<FixedOffset>),
    Date(NaiveDate),
}

impl Val {
    /// A JSON property value as a runtime value.
    pub(crate) fn from_json(v: Option<&Value>) -> Self {
        match v {
            Some(Value::Bool(b)) => Self::Bool(*b),
            Some(Value::Number(n)) => {
                let t = n.to_string();
                t.parse::<Decimal>()
                    .ok()
                    .or_else(|| Decimal::from_scientific(&t).ok())
                    .map_or(Self::Null, Self::Num)
            }
            Some(Value::String(s)) => Self::Str(s.clone()),
            _ => Self::Null,
        }
    }

    fn from_lit(l: &Lit) -> Self {
        match l {
            Lit::Null => Self::Null,
            Lit::Bool(b) => Self::Bool(*b),
            Lit::Num(n) => Self::Num(*n),
            Lit::Str(s) | Lit::Guid(s) => Self::Str(s.clone()),
            Lit::Enum { val, .. } => Self::Str(val.clone()),
            Lit::DateTime(d) => Self::DateTime(*d),
            Lit::Date(d) => Self::Date(*d),
        }
    }
}

fn as_datetime(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).ok().or_else(|| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .map(|d| d.and_time(NaiveTime::MIN).and_utc().fixed_offset())
    })
}

fn as_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .or_else(|| as_datetime(s).map(|d| d.date_naive()))
}

/// Compare two values; `None` when they are not comparable (or one is null).
pub(crate) fn compare(a: &Val, b: &Val) -> Option<Ordering> {
    use Val as V;
    match (a, b) {
        (V::Num(x), V::Num(y)) => Some(x.cmp(y)),
        (V::Str(x), V::Str(y)) => Some(x.to_lowercase().cmp(&y.to_lowercase())),
        (V::Bool(x), V::Bool(y)) => Some(x.cmp(y)),
        (V::DateTime(x), V::DateTime(y)) => Some(x.cmp(y)),
        (V::Date(x), V::Date(y)) => Some(x.cmp(y)),
        (V::DateTime(x), V::Date(y)) => Some(x.date_naive().cmp(y)),
        (V::Str(s), V::DateTime(d)) => as_datetime(s).map(|x| x.cmp(d)),
        (V::Str(s), V::Date(d)) => as_date(s).map(|x| x.cmp(d)),
        (V::Str(s), V::Num(n)) => s.trim().parse::<Decimal>().ok().map(|x| x.cmp(n)),
        (V::Str(s), V::Bool(b)) => match s.as_str() {
            "Yes" | "true" => Some(true.cmp(b)),
            "No" | "false" => Some(false.cmp(b)),
            _ => None,
        },
        (V::Null, _) | (_, V::Null) => None,
        _ => compare(b, a).map(Ordering::reverse),
    }
}

/// Sort order of two property values (nulls first), for `$orderby`.
pub(crate) fn order(a: &Val, b: &Val) -> Ordering {
    match (a, b) {
        (Val::Null, Val::Null) => Ordering::Equal,
        (Val::Null, _) => Ordering::Less,
        (_, Val::Null) => Ordering::Greater,
        _ => compare(a, b).unwrap_or(Ordering::Equal),
    }
}

fn equal(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        _ => compare(a, b) == Some(Ordering::Equal),
    }
}

/// Case-insensitive match with `*` as "any run of characters".
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

struct Parser<'a> {
    text: &'a str,
    toks: Vec<Token>,
    i: usize,
    has_prop: &'a dyn Fn(&str) -> bool,
    opts: FilterOptions,
}

const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("contains", 2, 2),
    ("startswith", 2, 2),
    ("endswith", 2, 2),
    ("tolower", 1, 1),
    ("toupper", 1, 1),
    ("trim", 1, 1),
    ("length", 1, 1),
    ("indexof", 2, 2),
    ("substring", 2, 3),
    ("concat", 2, 2),
    ("year", 1, 1),
    ("month", 1, 1),
    ("day", 1, 1),
    ("hour", 1, 1),
    ("minute", 1, 1),
    ("second", 1, 1),
    ("date", 1, 1),
];

impl Parser<'_> {
    fn end_pos(&self) -> usize {
        self.text.chars().count()
    }

    fn pos(&self) -> usize {
        self.toks
            .get(self.i)
            .map_or_else(|| self.end_pos(), |t| t.pos)
    }

    fn syntax(&self, what: &str) -> FilterError {
        FilterError::Syntax(format!(
            "{what} at position {} in '{}'.",
            self.pos(),
            self.text
        ))
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|t| &t.tok)
    }

    fn keyword(&self) -> Option<&str> {
        match self.peek() {
            Some(Tok::Ident(s)) => Some(s.as_str()),
            _ => None,
        }
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.and()?;
        while self.keyword() == Some("or") {
            self.i += 1;
            let right = self.and()?;
            left = Expr::Bin(BinOp::Or, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.not()?;
        while self.keyword() == Some("and") {
            self.i += 1;
            let right = self.not()?;
            left = Expr::Bin(BinOp::And, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, FilterError> {
        if self.keyword() == Some("not") {
            self.i += 1;
            let inner = self.not()?;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.cmp()
    }

    fn cmp(&mut self) -> Result<Expr, FilterError> {
        let left = self.add()?;
        let op = match self.keyword() {
            Some("eq") => BinOp::Eq,
            Some("ne") => BinOp::Ne,
            Some("gt") => BinOp::Gt,
            Some("ge") => BinOp::Ge,
            Some("lt") => BinOp::Lt,
            Some("le") => BinOp::Le,
            Some(k @ ("has" | "in")) => {
                return Err(FilterError::Unsupported(format!(
                    "The '{k}' operator is not supported by this service."
                )));
            }
            _ => return Ok(left),
        };
        self.i += 1;
        let right = self.add()?;
        if self.opts.wildcard_eq
            && matches!(op, BinOp::Eq | BinOp::Ne)
            && let Expr::Lit(Lit::Str(p)) = &right
            && p.contains('*')
        {
            return Ok(Expr::Like(Box::new(left), p.clone(), op == BinOp::Ne));
        }
        Ok(Expr::Bin(op, Box::new(left), Box::new(right)))
    }

    fn add(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.mul()?;
        loop {
            let op = match self.keyword() {
                Some("add") => BinOp::Add,
                Some("sub") => BinOp::Sub,
                _ => return Ok(left),
            };
            self.i += 1;
            let right = self.mul()?;
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
    }

    fn mul(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.primary()?;
        loop {
            let op = match self.keyword() {
                Some("mul") => BinOp::Mul,
                Some("div" | "divby") => BinOp::Div,
                Some("mod") => BinOp::Mod,
                _ => return Ok(left),
            };
            self.i += 1;
            let right = self.primary()?;
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
    }

    fn primary(&mut self) -> Result<Expr, FilterError> {
        let Some(tok) = self.peek().cloned() else {
            return Err(self.syntax("Expression expected"));
        };
        match tok {
            Tok::Lit(l) => {
                self.i += 1;
                Ok(Expr::Lit(l))
            }
            Tok::LParen => {
                self.i += 1;
                let e = self.or()?;
                if self.peek() != Some(&Tok::RParen) {
                    return Err(self.syntax("')' or operator expected"));
                }
                self.i += 1;
                Ok(e)
            }
            Tok::Ident(name) => {
                if matches!(
                    name.as_str(),
                    "eq" | "ne"
                        | "gt"
                        | "ge"
                        | "lt"
                        | "le"
                        | "and"
                        | "or"
                        | "add"
                        | "sub"
                        | "mul"
                        | "div"
                        | "mod"
                ) {
                    return Err(self.syntax("Expression expected"));
                }
                self.i += 1;
                if self.peek() == Some(&Tok::LParen) {
                    return self.call(name);
                }
                if self.peek() == Some(&Tok::Slash) {
                    return Err(FilterError::Unsupported(format!(
                        "Navigation paths such as '{name}/…' are not supported in $filter by this service."
                    )));
                }
                if !(self.has_prop)(&name) {
                    return Err(FilterError::UnknownProperty(name));
                }
                Ok(Expr::Prop(name))
            }
            _ => Err(self.syntax("Expression expected")),
        }
    }

    fn call(&mut self, name: String) -> Result<Expr, FilterError> {
        let lname = name.to_ascii_lowercase();
        let Some(&(_, min, max)) = FUNCTIONS.iter().find(|(n, _, _)| *n == lname) else {
            return Err(FilterError::Syntax(format!(
                "An unknown function with name '{name}' was found. This may also be a function import or a key lookup on a navigation property, which is not allowed."
            )));
        };
        if !self.opts.functions {
            return Err(FilterError::Unsupported(format!(
                "The function '{lname}' is not supported by this service in $filter."
            )));
        }
        self.i += 1; // '('
        let mut args = Vec::new();
        if self.peek() == Some(&Tok::RParen) {
            self.i += 1;
        } else {
            loop {
                args.push(self.or()?);
                match self.peek() {
                    Some(Tok::Comma) => self.i += 1,
                    Some(Tok::RParen) => {
                        self.i += 1;
                        break;
                    }
                    _ => return Err(self.syntax("')' or ',' expected")),
                }
            }
        }
        if args.len() < min || args.len() > max {
            return Err(FilterError::Syntax(format!(
                "No function signature for the function with name '{lname}' matches the specified arguments."
            )));
        }
        Ok(Expr::Call(lname, args))
    }
}

fn lex_error(text: &str, e: &LexError) -> FilterError {
    if e.unterminated {
        FilterError::Syntax(format!(
            "There is an unterminated string literal at position {} in '{text}'.",
            e.pos
        ))
    } else {
        FilterError::Syntax(format!("Syntax error at position {} in '{text}'.", e.pos))
    }
}

/// Parse a `$filter` value. `has_prop` says whether a property name exists.
pub(crate) fn parse(
    text: &str,
    has_prop: &dyn Fn(&str) -> bool,
    opts: FilterOptions,
) -> Result<Expr, FilterError> {
    let toks = lex(text).map_err(|e| lex_error(text, &e))?;
    let mut p = Parser {
        text,
        toks,
        i: 0,
        has_prop,
        opts,
    };
    let e = p.or()?;
    if p.i < p.toks.len() {
        return Err(p.syntax("Syntax error"));
    }
    Ok(e)
}

/// One `$orderby` item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OrderItem {
    pub(crate) prop: String,
    pub(crate) desc: bool,
}

/// Parse a `$orderby` value: `Prop [asc|desc], …`.
pub(crate) fn parse_orderby(
    text: &str,
    has_prop: &dyn Fn(&str) -> bool,
) -> Result<Vec<OrderItem>, FilterError> {
    let toks = lex(text).map_err(|e| lex_error(text, &e))?;
    let mut out = Vec::new();
    let mut i = 0;
    let err =
        |pos: usize| FilterError::Syntax(format!("Syntax error at position {pos} in '{text}'."));
    loop {
        let Some(Token {
            tok: Tok::Ident(name),
            pos,
        }) = toks.get(i)
        else {
            return Err(err(toks.get(i).map_or(text.chars().count(), |t| t.pos)));
        };
        if !has_prop(name) {
            return Err(FilterError::UnknownProperty(name.clone()));
        }
        let _ = pos;
        i += 1;
        let mut desc = false;
        if let Some(Token {
            tok: Tok::Ident(dir),
            pos,
        }) = toks.get(i)
        {
            match dir.as_str() {
                "asc" => {}
                "desc" => desc = true,
                _ => return Err(err(*pos)),
            }
            i += 1;
        }
        out.push(OrderItem {
            prop: name.clone(),
            desc,
        });
        match toks.get(i) {
            None => return Ok(out),
            Some(Token {
                tok: Tok::Comma, ..
            }) => i += 1,
            Some(t) => return Err(err(t.pos)),
        }
    }
}

fn arith(op: BinOp, a: Val, b: Val) -> Val {
    let (Val::Num(x), Val::Num(y)) = (a, b) else {
        return Val::Null;
    };
    let r = match op {
        BinOp::Add => x.checked_add(y),
        BinOp::Sub => x.checked_sub(y),
        BinOp::Mul => x.checked_mul(y),
        BinOp::Div => x.checked_div(y),
        BinOp::Mod => x.checked_rem(y),
        _ => None,
    };
    r.map_or(Val::Null, Val::Num)
}

fn text_of(v: Val) -> Option<String> {
    match v {
        Val::Str(s) => Some(s),
        _ => None,
    }
}

fn datetime_of(v: &Val) -> Option<DateTime<FixedOffset>> {
    match v {
        Val::DateTime(d) => Some(*d),
        Val::Date(d) => Some(d.and_time(NaiveTime::MIN).and_utc().fixed_offset()),
        Val::Str(s) => as_datetime(s),
        _ => None,
    }
}

fn num(n: impl Into<i64>) -> Val {
    Val::Num(Decimal::from(n.into()))
}

fn call(name: &str, args: Vec<Val>) -> Val {
    let mut it = args.into_iter();
    let a = it.next().unwrap_or(Val::Null);
    let b = it.next().unwrap_or(Val::Null);
    let c = it.next();
    match name {
        "contains" | "startswith" | "endswith" | "indexof" | "concat" => {
            let (Some(x), Some(y)) = (text_of(a), text_of(b)) else {
                return Val::Null;
            };
            let (lx, ly) = (x.to_lowercase(), y.to_lowercase());
            match name {
                "contains" => Val::Bool(lx.contains(&ly)),
                "startswith" => Val::Bool(lx.starts_with(&ly)),
                "endswith" => Val::Bool(lx.ends_with(&ly)),
                "indexof" => lx.find(&ly).map_or_else(
                    || num(-1),
                    |byte| num(i64::try_from(lx[..byte].chars().count()).unwrap_or(-1)),
                ),
                _ => Val::Str(x + &y),
            }
        }
        "tolower" => text_of(a).map_or(Val::Null, |s| Val::Str(s.to_lowercase())),
        "toupper" => text_of(a).map_or(Val::Null, |s| Val::Str(s.to_uppercase())),
        "trim" => text_of(a).map_or(Val::Null, |s| Val::Str(s.trim().to_owned())),
        "length" => text_of(a).map_or(Val::Null, |s| {
            num(i64::try_from(s.chars().count()).unwrap_or(i64::MAX))
        }),
        "substring" => {
            let Some(s) = text_of(a) else {
                return Val::Null;
            };
            let start = match b {
                Val::Num(n) => usize::try_from(n.trunc().mantissa()).unwrap_or(0),
                _ => return Val::Null,
            };
            let len = match c {
                Some(Val::Num(n)) => Some(usize::try_from(n.trunc().mantissa()).unwrap_or(0)),
                Some(_) => return Val::Null,
                None => None,
            };
            let chars = s.chars().skip(start);
            Val::Str(match len {
                Some(l) => chars.take(l).collect(),
                None => chars.collect(),
            })
        }
        _ => {
            let Some(d) = datetime_of(&a) else {
                return Val::Null;
            };
            match name {
                "year" => num(d.year()),
                "month" => num(d.month()),
                "day" => num(d.day()),
                "hour" => num(d.hour()),
                "minute" => num(d.minute()),
                "second" => num(d.second()),
                "date" => Val::Date(d.date_naive()),
                _ => Val::Null,
            }
        }
    }
}

/// Evaluate `e` with `get` resolving property values.
pub(crate) fn eval(e: &Expr, get: &dyn Fn(&str) -> Val) -> Val {
    match e {
        Expr::Lit(l) => Val::from_lit(l),
        Expr::Prop(p) => get(p),
        Expr::Not(inner) => match eval(inner, get) {
            Val::Bool(b) => Val::Bool(!b),
            _ => Val::Null,
        },
        Expr::Like(inner, pattern, negated) => match eval(inner, get) {
            Val::Str(s) => Val::Bool(glob(pattern, &s) != *negated),
            _ => Val::Bool(*negated),
        },
        Expr::Call(name, args) => call(name, args.iter().map(|a| eval(a, get)).collect()),
        Expr::Bin(op, l, r) => {
            let a = eval(l, get);
            match op {
                BinOp::And => {
                    if a == Val::Bool(false) {
                        return Val::Bool(false);
                    }
                    let b = eval(r, get);
                    Val::Bool(a == Val::Bool(true) && b == Val::Bool(true))
                }
                BinOp::Or => {
                    if a == Val::Bool(true) {
                        return Val::Bool(true);
                    }
                    Val::Bool(eval(r, get) == Val::Bool(true))
                }
                BinOp::Eq => Val::Bool(equal(&a, &eval(r, get))),
                BinOp::Ne => Val::Bool(!equal(&a, &eval(r, get))),
                BinOp::Gt | BinOp::Ge | BinOp::Lt | BinOp::Le => {
                    let Some(o) = compare(&a, &eval(r, get)) else {
                        return Val::Bool(false);
                    };
                    Val::Bool(match op {
                        BinOp::Gt => o == Ordering::Greater,
                        BinOp::Ge => o != Ordering::Less,
                        BinOp::Lt => o == Ordering::Less,
                        _ => o != Ordering::Greater,
                    })
                }
                _ => arith(*op, a, eval(r, get)),
            }
        }
    }
}

/// Whether `e` holds for a row whose properties `get` resolves.
pub(crate) fn matches(e: &Expr, get: &dyn Fn(&str) -> Val) -> bool {
    eval(e, get) == Val::Bool(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ALL: FilterOptions = FilterOptions {
        wildcard_eq: false,
        functions: true,
    };

    fn check(filter: &str, row: &Value, opts: FilterOptions) -> bool {
        let obj = row.as_object().unwrap().clone();
        let has = |p: &str| obj.contains_key(p);
        let e = parse(filter, &has, opts).unwrap();
        matches(&e, &|p| Val::from_json(obj.get(p)))
    }

    #[test]
    fn comparisons_and_logic() {
        let row = json!({"Name": "Contoso Retail", "Amount": 12.5, "Blocked": false,
                         "Date": "2024-03-01T12:00:00Z", "Day": "2024-03-01", "Flag": "Yes",
                         "Id": "5F1E1B3C-0000-4000-8000-000000000001", "Note": null});
        assert!(check("Name eq 'contoso retail'", &row, ALL));
        assert!(check("Amount gt 12 and Amount le 12.5", &row, ALL));
        assert!(check("not (Amount lt 1) or Name eq 'x'", &row, ALL));
        assert!(check("Blocked eq false", &row, ALL));
        assert!(check("Date ge 2024-01-01T00:00:00Z", &row, ALL));
        assert!(!check("Date lt 2024-03-01T11:00:00Z", &row, ALL));
        assert!(check("Day eq 2024-03-01", &row, ALL));
        assert!(check(
            "Flag eq Microsoft.Dynamics.DataEntities.NoYes'Yes'",
            &row,
            ALL
        ));
        assert!(check(
            "Id eq 5f1e1b3c-0000-4000-8000-000000000001",
            &row,
            ALL
        ));
        assert!(check("Note eq null", &row, ALL));
        assert!(check("Amount add 0.5 eq 13", &row, ALL));
        assert!(check(
            "contains(Name,'RETAIL') and startswith(Name,'Con')",
            &row,
            ALL
        ));
        assert!(check("endswith(tolower(Name), 'retail')", &row, ALL));
        assert!(check(
            "year(Date) eq 2024 and length(Name) eq 14",
            &row,
            ALL
        ));
    }

    #[test]
    fn wildcard_equality() {
        let row = json!({"Name": "Contoso Retail"});
        let fno = FilterOptions {
            wildcard_eq: true,
            functions: false,
        };
        assert!(check("Name eq '*retail*'", &row, fno));
        assert!(check("Name eq 'Cont*'", &row, fno));
        assert!(!check("Name ne '*tail'", &row, fno));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b", "ac"));
    }

    #[test]
    fn errors() {
        let has = |p: &str| p == "Name";
        assert!(matches!(
            parse("Name eq", &has, ALL),
            Err(FilterError::Syntax(m)) if m == "Expression expected at position 7 in 'Name eq'."
        ));
        assert!(matches!(
            parse("Nope eq 1", &has, ALL),
            Err(FilterError::UnknownProperty(p)) if p == "Nope"
        ));
        assert!(matches!(
            parse("Name eq 'x' Name", &has, ALL),
            Err(FilterError::Syntax(_))
        ));
        assert!(matches!(
            parse("(Name eq 'x'", &has, ALL),
            Err(FilterError::Syntax(_))
        ));
        assert!(matches!(
            parse("contains(Name,'x')", &has, FilterOptions::default()),
            Err(FilterError::Unsupported(_))
        ));
        assert!(matches!(
            parse("Name in ('a')", &has, ALL),
            Err(FilterError::Unsupported(_))
        ));
        assert!(matches!(
            parse("frob(Name)", &has, ALL),
            Err(FilterError::Syntax(_))
        ));
    }

    #[test]
    fn orderby() {
        let has = |p: &str| p == "A" || p == "B";
        assert_eq!(
            parse_orderby("A desc, B", &has).unwrap(),
            vec![
                OrderItem {
                    prop: "A".into(),
                    desc: true
                },
                OrderItem {
                    prop: "B".into(),
                    desc: false
                }
            ]
        );
        assert!(parse_orderby("A sideways", &has).is_err());
        assert!(parse_orderby("C", &has).is_err());
    }
}
