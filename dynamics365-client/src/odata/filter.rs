//! `$filter` as an expression tree.
//!
//! Build expressions from [`prop`] (a property path) and values (anything that converts into a
//! [`Literal`]), then combine them:
//!
//! ```
//! use dynamics365_client::odata::filter::prop;
//! use dynamics365_client::odata::Capabilities;
//!
//! let f = prop("CustomerGroupId").eq("10")
//!     .and(prop("CreditLimit").gt(1000).or(prop("OnHoldStatus").ne("No")))
//!     .and(prop("Name").contains("retail").not());
//! assert_eq!(
//!     f.render(&Capabilities::standard())?,
//!     "CustomerGroupId eq '10' and (CreditLimit gt 1000 or OnHoldStatus ne 'No') \
//!      and not contains(Name,'retail')"
//! );
//! # Ok::<(), dynamics365_client::Error>(())
//! ```
//!
//! Rendering takes the service's [`Capabilities`]: a service without the `in` operator gets
//! the equivalent `or` chain, and a service that does string matching with wildcards
//! (Finance & Operations: `Name eq '*retail*'`) gets that instead of `contains`,
//! `startswith` and `endswith`. What a service cannot express at all is refused before
//! anything is sent.

use super::literal::Literal;
use super::{Capabilities, StringMatching};
use crate::error::{Error, Result};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CompareOp {
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
}

impl CompareOp {
    fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }
}

/// An arithmetic operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArithOp {
    /// `add`
    Add,
    /// `sub`
    Sub,
    /// `mul`
    Mul,
    /// `div`
    Div,
    /// `mod`
    Mod,
}

impl ArithOp {
    fn as_str(self) -> &'static str {
        match self {
            ArithOp::Add => "add",
            ArithOp::Sub => "sub",
            ArithOp::Mul => "mul",
            ArithOp::Div => "div",
            ArithOp::Mod => "mod",
        }
    }

    fn precedence(self) -> u8 {
        match self {
            ArithOp::Add | ArithOp::Sub => 4,
            ArithOp::Mul | ArithOp::Div | ArithOp::Mod => 5,
        }
    }
}

/// A `$filter` expression.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Expr {
    /// A property or a path (`Name`, `Customer/Name`).
    Property(String),
    /// A literal value.
    Literal(Literal),
    /// `left op right`.
    Compare(Box<Expr>, CompareOp, Box<Expr>),
    /// `left and right`.
    And(Box<Expr>, Box<Expr>),
    /// `left or right`.
    Or(Box<Expr>, Box<Expr>),
    /// `not expr`.
    Not(Box<Expr>),
    /// `left op right` for arithmetic.
    Arith(Box<Expr>, ArithOp, Box<Expr>),
    /// A function call: `contains(Name,'x')`, `tolower(Name)`, `year(OrderDate)`.
    Function(String, Vec<Expr>),
    /// `expr in (v1,v2,…)`.
    In(Box<Expr>, Vec<Literal>),
    /// Text written into the filter as is, for syntax this tree does not model. You answer
    /// for its encoding of literals.
    Raw(String),
}

/// A property (or `/`-separated path) to filter on.
pub fn prop(name: impl Into<String>) -> Expr {
    Expr::Property(name.into())
}

/// A literal value as an expression.
pub fn lit(value: impl Into<Literal>) -> Expr {
    Expr::Literal(value.into())
}

/// A call of any function the service supports: `func("year", [prop("OrderDate")])`.
pub fn func(name: impl Into<String>, args: impl IntoIterator<Item = Expr>) -> Expr {
    Expr::Function(name.into(), args.into_iter().collect())
}

impl<T: Into<Literal>> From<T> for Expr {
    fn from(value: T) -> Self {
        Expr::Literal(value.into())
    }
}

macro_rules! binary {
    ($($(#[$doc:meta])* $name:ident => $build:expr;)*) => {$(
        $(#[$doc])*
        #[must_use]
        pub fn $name(self, other: impl Into<Expr>) -> Expr {
            let build: fn(Box<Expr>, Box<Expr>) -> Expr = $build;
            build(Box::new(self), Box::new(other.into()))
        }
    )*};
}

macro_rules! unary_function {
    ($($(#[$doc:meta])* $name:ident => $odata:literal;)*) => {$(
        $(#[$doc])*
        #[must_use]
        pub fn $name(self) -> Expr {
            Expr::Function($odata.to_owned(), vec![self])
        }
    )*};
}

macro_rules! string_function {
    ($($(#[$doc:meta])* $name:ident => $odata:literal;)*) => {$(
        $(#[$doc])*
        #[must_use]
        pub fn $name(self, text: impl Into<Expr>) -> Expr {
            Expr::Function($odata.to_owned(), vec![self, text.into()])
        }
    )*};
}

impl Expr {
    binary! {
        /// `self eq other`.
        eq => |l, r| Expr::Compare(l, CompareOp::Eq, r);
        /// `self ne other`.
        ne => |l, r| Expr::Compare(l, CompareOp::Ne, r);
        /// `self gt other`.
        gt => |l, r| Expr::Compare(l, CompareOp::Gt, r);
        /// `self ge other`.
        ge => |l, r| Expr::Compare(l, CompareOp::Ge, r);
        /// `self lt other`.
        lt => |l, r| Expr::Compare(l, CompareOp::Lt, r);
        /// `self le other`.
        le => |l, r| Expr::Compare(l, CompareOp::Le, r);
        /// `self and other`.
        and => Expr::And;
        /// `self or other`.
        or => Expr::Or;
    }

    string_function! {
        /// `contains(self,text)`; `self eq '*text*'` on a wildcard-matching service.
        contains => "contains";
        /// `startswith(self,text)`; `self eq 'text*'` on a wildcard-matching service.
        starts_with => "startswith";
        /// `endswith(self,text)`; `self eq '*text'` on a wildcard-matching service.
        ends_with => "endswith";
    }

    unary_function! {
        /// `tolower(self)`.
        to_lower => "tolower";
        /// `toupper(self)`.
        to_upper => "toupper";
        /// `trim(self)`.
        trim => "trim";
        /// `length(self)`.
        length => "length";
        /// `year(self)`.
        year => "year";
        /// `month(self)`.
        month => "month";
        /// `day(self)`.
        day => "day";
    }

    /// `not self`.
    #[allow(clippy::should_implement_trait)]
    #[must_use]
    pub fn not(self) -> Expr {
        Expr::Not(Box::new(self))
    }

    /// `self in (values…)`; an `or` chain of `eq` on services without `in`.
    #[must_use]
    pub fn is_in<V: Into<Literal>>(self, values: impl IntoIterator<Item = V>) -> Expr {
        Expr::In(Box::new(self), values.into_iter().map(Into::into).collect())
    }

    /// Renders the expression in OData syntax for a service with `capabilities` (not yet
    /// percent-encoded).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for what the service cannot express: functions on a service
    /// without them, a wildcard match whose text contains `*` or is not a literal, an empty
    /// `in` list.
    pub fn render(&self, capabilities: &Capabilities) -> Result<String> {
        let mut out = String::new();
        self.write(capabilities, &mut out)?;
        Ok(out)
    }

    fn precedence(&self) -> u8 {
        match self {
            Expr::Or(..) => 1,
            Expr::And(..) => 2,
            Expr::Compare(..) | Expr::In(..) => 3,
            Expr::Arith(_, op, _) => op.precedence(),
            Expr::Not(..) => 6,
            // Raw text is of unknown shape: always parenthesised when nested.
            Expr::Raw(_) => 0,
            Expr::Property(_) | Expr::Literal(_) | Expr::Function(..) => 7,
        }
    }

    fn write(&self, caps: &Capabilities, out: &mut String) -> Result<()> {
        match self {
            Expr::Property(name) => out.push_str(name),
            Expr::Literal(value) => out.push_str(&value.to_odata()),
            Expr::Raw(text) => out.push_str(text),
            Expr::Compare(l, op, r) => self.write_binary(l, op.as_str(), r, false, caps, out)?,
            Expr::Arith(l, op, r) => self.write_binary(l, op.as_str(), r, false, caps, out)?,
            Expr::And(l, r) => self.write_binary(l, "and", r, true, caps, out)?,
            Expr::Or(l, r) => self.write_binary(l, "or", r, true, caps, out)?,
            Expr::Not(inner) => {
                out.push_str("not ");
                write_child(inner, inner.precedence() < self.precedence(), caps, out)?;
            }
            Expr::Function(name, args) => write_function(name, args, caps, out)?,
            Expr::In(subject, values) => write_in(subject, values, caps, out)?,
        }
        Ok(())
    }

    /// `left op right`, parenthesising children that bind less tightly (and, for operators
    /// that are not associative, a right child of the same precedence).
    fn write_binary(
        &self,
        left: &Expr,
        op: &str,
        right: &Expr,
        associative: bool,
        caps: &Capabilities,
        out: &mut String,
    ) -> Result<()> {
        let p = self.precedence();
        write_child(left, left.precedence() < p, caps, out)?;
        out.push(' ');
        out.push_str(op);
        out.push(' ');
        let right_parens =
            if associative && std::mem::discriminant(right) == std::mem::discriminant(self) {
                false
            } else {
                right.precedence() <= p
            };
        write_child(right, right_parens, caps, out)
    }
}

fn write_child(child: &Expr, parens: bool, caps: &Capabilities, out: &mut String) -> Result<()> {
    if parens {
        out.push('(');
        child.write(caps, out)?;
        out.push(')');
        Ok(())
    } else {
        child.write(caps, out)
    }
}

fn unsupported(reason: String) -> Error {
    Error::invalid("$filter", reason)
}

fn write_function(name: &str, args: &[Expr], caps: &Capabilities, out: &mut String) -> Result<()> {
    if caps.string_matching == StringMatching::Wildcards {
        let pattern = match name {
            "contains" => Some(("*", "*")),
            "startswith" => Some(("", "*")),
            "endswith" => Some(("*", "")),
            _ => None,
        };
        let Some((before, after)) = pattern else {
            return Err(unsupported(format!(
                "the service does not support the function `{name}` in $filter"
            )));
        };
        let [subject, Expr::Literal(Literal::String(text))] = args else {
            return Err(unsupported(format!(
                "`{name}` becomes a wildcard match on this service, which needs a property and a string literal"
            )));
        };
        if text.contains('*') {
            return Err(unsupported(format!(
                "`{name}` text {text:?} contains `*`, the service's wildcard, which cannot be escaped"
            )));
        }
        let rewritten = Expr::Compare(
            Box::new(subject.clone()),
            CompareOp::Eq,
            Box::new(Expr::Literal(Literal::String(format!(
                "{before}{text}{after}"
            )))),
        );
        return rewritten.write(caps, out);
    }
    out.push_str(name);
    out.push('(');
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        arg.write(caps, out)?;
    }
    out.push(')');
    Ok(())
}

fn write_in(
    subject: &Expr,
    values: &[Literal],
    caps: &Capabilities,
    out: &mut String,
) -> Result<()> {
    if values.is_empty() {
        return Err(unsupported(
            "an `in` list needs at least one value".to_owned(),
        ));
    }
    if caps.in_operator {
        write_child(subject, subject.precedence() <= 3, caps, out)?;
        out.push_str(" in (");
        let items: Vec<String> = values.iter().map(Literal::to_odata).collect();
        out.push_str(&items.join(","));
        out.push(')');
        return Ok(());
    }
    let chain = values
        .iter()
        .map(|v| {
            Expr::Compare(
                Box::new(subject.clone()),
                CompareOp::Eq,
                Box::new(Expr::Literal(v.clone())),
            )
        })
        .reduce(|acc, next| Expr::Or(Box::new(acc), Box::new(next)));
    match chain {
        Some(expr @ Expr::Or(..)) => write_child(&expr, true, caps, out),
        Some(expr) => expr.write(caps, out),
        None => Ok(()),
    }
}

macro_rules! arithmetic {
    ($($trait:ident :: $method:ident => $op:ident),*) => {$(
        /// Arithmetic in `$filter`: `prop("Price") * prop("Qty")` is `Price mul Qty`.
        impl<T: Into<Expr>> std::ops::$trait<T> for Expr {
            type Output = Expr;
            fn $method(self, other: T) -> Expr {
                Expr::Arith(Box::new(self), ArithOp::$op, Box::new(other.into()))
            }
        }
    )*};
}

arithmetic!(Add::add => Add, Sub::sub => Sub, Mul::mul => Mul, Div::div => Div, Rem::rem => Mod);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::odata::literal::Guid;
    use chrono::{TimeZone, Utc};
    use rust_decimal_macros::dec;

    fn std() -> Capabilities {
        Capabilities::standard()
    }

    fn fno() -> Capabilities {
        Capabilities::standard()
            .with_in_operator(false)
            .with_string_matching(StringMatching::Wildcards)
    }

    #[test]
    fn rendering_table() {
        let at = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        let guid = Guid::parse("00000000-0000-0000-0000-000000000001").unwrap();
        let cases: Vec<(Expr, &str)> = vec![
            (prop("A").eq("x"), "A eq 'x'"),
            (prop("A").ne(Literal::Null), "A ne null"),
            (
                prop("A").ge(dec!(1.5)).and(prop("A").lt(10)),
                "A ge 1.5 and A lt 10",
            ),
            (
                prop("A").eq(1).or(prop("B").eq(2)).and(prop("C").eq(3)),
                "(A eq 1 or B eq 2) and C eq 3",
            ),
            (
                prop("A").eq(1).and(prop("B").eq(2)).and(prop("C").eq(3)),
                "A eq 1 and B eq 2 and C eq 3",
            ),
            (
                prop("A").eq(1).and(prop("B").eq(2).and(prop("C").eq(3))),
                "A eq 1 and B eq 2 and C eq 3",
            ),
            (
                prop("A").eq(1).or(prop("B").eq(2).and(prop("C").eq(3))),
                "A eq 1 or B eq 2 and C eq 3",
            ),
            (
                prop("A").eq(1).and(prop("B").eq(2)).not(),
                "not (A eq 1 and B eq 2)",
            ),
            (
                (prop("Price") * prop("Qty")).gt(100),
                "Price mul Qty gt 100",
            ),
            ((prop("A") - (prop("B") - 1)).eq(0), "A sub (B sub 1) eq 0"),
            (((prop("A") + 1) * 2).eq(4), "(A add 1) mul 2 eq 4"),
            ((prop("A") % 2).eq(0), "A mod 2 eq 0"),
            ((prop("A") / 4).le(1), "A div 4 le 1"),
            (prop("Name").contains("O'Neil"), "contains(Name,'O''Neil')"),
            (
                prop("Name")
                    .starts_with("Con")
                    .and(prop("Name").ends_with("so")),
                "startswith(Name,'Con') and endswith(Name,'so')",
            ),
            (prop("Name").to_lower().eq("x"), "tolower(Name) eq 'x'"),
            (prop("OrderDate").year().eq(2024), "year(OrderDate) eq 2024"),
            (
                prop("InvoiceDate").ge(at),
                "InvoiceDate ge 2024-01-01T00:00:00Z",
            ),
            (
                prop("id").eq(guid),
                "id eq 00000000-0000-0000-0000-000000000001",
            ),
            (
                prop("IsPosted").eq(Literal::enumeration(
                    "Microsoft.Dynamics.DataEntities.NoYes",
                    "No",
                )),
                "IsPosted eq Microsoft.Dynamics.DataEntities.NoYes'No'",
            ),
            (
                prop("dataAreaId").is_in(["usmf", "usrt"]),
                "dataAreaId in ('usmf','usrt')",
            ),
            (
                func("concat", [prop("A"), lit("b")]).eq("ab"),
                "concat(A,'b') eq 'ab'",
            ),
            (
                Expr::Raw("A eq 1".into()).and(prop("B").eq(2)),
                "(A eq 1) and B eq 2",
            ),
        ];
        for (expr, expected) in cases {
            assert_eq!(expr.render(&std()).unwrap(), expected, "{expr:?}");
        }
    }

    #[test]
    fn wildcard_services_get_wildcard_equality_and_or_chains() {
        let cases: Vec<(Expr, &str)> = vec![
            (prop("Name").contains("retail"), "Name eq '*retail*'"),
            (prop("Name").starts_with("Con"), "Name eq 'Con*'"),
            (prop("Name").ends_with("so"), "Name eq '*so'"),
            (
                prop("dataAreaId")
                    .is_in(["usmf", "usrt"])
                    .and(prop("A").eq(1)),
                "(dataAreaId eq 'usmf' or dataAreaId eq 'usrt') and A eq 1",
            ),
            (prop("dataAreaId").is_in(["usmf"]), "dataAreaId eq 'usmf'"),
        ];
        for (expr, expected) in cases {
            assert_eq!(expr.render(&fno()).unwrap(), expected, "{expr:?}");
        }
    }

    #[test]
    fn what_a_service_cannot_express_is_refused() {
        let refused = [
            prop("Name").to_lower().eq("x"),
            prop("Name").contains("a*b"),
            prop("Name").contains(prop("Other")),
            prop("A").is_in(Vec::<i32>::new()),
        ];
        for expr in refused {
            let err = expr.render(&fno()).unwrap_err();
            assert_eq!(
                err.kind(),
                mapping::retry::ErrorKind::Validation,
                "{expr:?}"
            );
        }
    }
}
