//! Conditions (`when`, `reverse_when`): a small typed tree, written as TOML/JSON tables.
//!
//! See the [module documentation](super#conditions) for the syntax.

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::builtin::decimal_of;
use super::context::{Context, Scope};
use super::error::PathError;
use super::path::Path;

/// A numeric comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `gt`: greater than.
    Greater,
    /// `gte`: greater than or equal.
    GreaterOrEqual,
    /// `lt`: less than.
    Less,
    /// `lte`: less than or equal.
    LessOrEqual,
}

/// A compiled condition.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Condition {
    /// `{ path, equals = v }`: the value at `path` equals `v` (numbers compare by value).
    Equals(Path, Value),
    /// `{ path, not_equals = v }`: the value is missing or differs from `v`.
    NotEquals(Path, Value),
    /// `{ path, in = [..] }`: the value equals one of the list.
    In(Path, Vec<Value>),
    /// `{ path, not_in = [..] }`: the value is missing or equals none of the list.
    NotIn(Path, Vec<Value>),
    /// `{ path, exists = true|false }`: the value is present and not `null` (or, with
    /// `false`, missing or `null`).
    Exists(Path, bool),
    /// `{ path, starts_with = "GB" }`: the value is a string with that prefix.
    StartsWith(Path, String),
    /// `{ path, gt|gte|lt|lte = n }`: the value is a number, or a numeric string, that
    /// compares so with `n`. A missing or non-numeric value is false.
    Compare(Path, Comparison, Decimal),
    /// `{ all = [..] }`: every condition holds (true when empty).
    All(Vec<Condition>),
    /// `{ any = [..] }`: at least one holds (false when empty).
    Any(Vec<Condition>),
    /// `{ not = {..} }`: the condition does not hold.
    Not(Box<Condition>),
}

/// Why a condition does not compile, and where (a JSON pointer relative to the condition).
#[derive(Debug)]
pub(crate) enum ConditionError {
    Message {
        pointer: String,
        message: String,
    },
    Path {
        pointer: String,
        path: String,
        source: PathError,
    },
}

impl ConditionError {
    fn msg(pointer: &str, message: impl Into<String>) -> Self {
        Self::Message {
            pointer: pointer.to_owned(),
            message: message.into(),
        }
    }
}

const OPERATORS: [&str; 10] = [
    "equals",
    "not_equals",
    "in",
    "not_in",
    "exists",
    "starts_with",
    "gt",
    "gte",
    "lt",
    "lte",
];
const COMBINATORS: [&str; 3] = ["all", "any", "not"];

impl Condition {
    /// Compiles a condition from its table form, e.g.
    /// `{"path": "transaction_type", "equals": "REFUND"}` or `{"any": [..]}`.
    ///
    /// # Errors
    /// A message saying what is wrong (an unknown key, no or several operators, a malformed
    /// path, a non-numeric comparison operand).
    pub fn from_value(value: &Value) -> Result<Self, String> {
        Self::compile(value, "").map_err(|e| match e {
            ConditionError::Message { pointer, message } => format!("{message} (at `{pointer}`)"),
            ConditionError::Path {
                pointer,
                path,
                source,
            } => format!("malformed path `{path}` (at `{pointer}`): {source}"),
        })
    }

    pub(crate) fn compile(value: &Value, pointer: &str) -> Result<Self, ConditionError> {
        let Value::Object(table) = value else {
            return Err(ConditionError::msg(
                pointer,
                "a condition is a table such as { path = \"x\", equals = \"y\" }",
            ));
        };
        for key in table.keys() {
            if key != "path"
                && !OPERATORS.contains(&key.as_str())
                && !COMBINATORS.contains(&key.as_str())
            {
                return Err(ConditionError::msg(
                    &format!("{pointer}/{key}"),
                    format!(
                        "unknown key `{key}`; expected `path` with one of {}, or one of {}",
                        OPERATORS.join(", "),
                        COMBINATORS.join(", ")
                    ),
                ));
            }
        }
        if let Some(combinator) = COMBINATORS.iter().find(|c| table.contains_key(**c)) {
            if table.len() != 1 {
                return Err(ConditionError::msg(
                    pointer,
                    format!("`{combinator}` must be the only key of its table"),
                ));
            }
            let here = format!("{pointer}/{combinator}");
            let inner = table.get(*combinator).unwrap_or(&Value::Null);
            return match *combinator {
                "not" => Ok(Self::Not(Box::new(Self::compile(inner, &here)?))),
                _ => {
                    let Value::Array(items) = inner else {
                        return Err(ConditionError::msg(
                            &here,
                            format!("`{combinator}` takes a list of conditions"),
                        ));
                    };
                    let list = items
                        .iter()
                        .enumerate()
                        .map(|(i, c)| Self::compile(c, &format!("{here}/{i}")))
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(if *combinator == "all" {
                        Self::All(list)
                    } else {
                        Self::Any(list)
                    })
                }
            };
        }
        let path = compile_path(table, pointer)?;
        let ops: Vec<&str> = OPERATORS
            .iter()
            .copied()
            .filter(|op| table.contains_key(*op))
            .collect();
        let [op] = ops.as_slice() else {
            return Err(ConditionError::msg(
                pointer,
                format!(
                    "a condition on `{path}` needs exactly one of {}",
                    OPERATORS.join(", ")
                ),
            ));
        };
        let here = format!("{pointer}/{op}");
        let operand = table.get(*op).cloned().unwrap_or(Value::Null);
        let list = |operand: Value| match operand {
            Value::Array(items) => Ok(items),
            _ => Err(ConditionError::msg(&here, format!("`{op}` takes a list"))),
        };
        let number = |operand: &Value| {
            decimal_of(operand).ok_or_else(|| {
                ConditionError::msg(&here, format!("`{op}` takes a number, not {operand}"))
            })
        };
        Ok(match *op {
            "equals" => Self::Equals(path, operand),
            "not_equals" => Self::NotEquals(path, operand),
            "in" => Self::In(path, list(operand)?),
            "not_in" => Self::NotIn(path, list(operand)?),
            "exists" => match operand {
                Value::Bool(b) => Self::Exists(path, b),
                _ => {
                    return Err(ConditionError::msg(&here, "`exists` takes true or false"));
                }
            },
            "starts_with" => match operand {
                Value::String(s) => Self::StartsWith(path, s),
                _ => return Err(ConditionError::msg(&here, "`starts_with` takes a string")),
            },
            "gt" => Self::Compare(path, Comparison::Greater, number(&operand)?),
            "gte" => Self::Compare(path, Comparison::GreaterOrEqual, number(&operand)?),
            "lt" => Self::Compare(path, Comparison::Less, number(&operand)?),
            _ => Self::Compare(path, Comparison::LessOrEqual, number(&operand)?),
        })
    }

    /// Whether the condition holds for `record`, with `$ctx` paths read from `context`.
    pub fn matches(&self, record: &Value, context: &Context) -> bool {
        let defaults = Map::new();
        self.evaluate(&Scope {
            record,
            context,
            defaults: &defaults,
        })
    }

    pub(crate) fn evaluate(&self, scope: &Scope<'_>) -> bool {
        match self {
            Self::Equals(path, want) => scope.get(path).is_some_and(|v| values_equal(v, want)),
            Self::NotEquals(path, want) => !scope.get(path).is_some_and(|v| values_equal(v, want)),
            Self::In(path, list) => scope
                .get(path)
                .is_some_and(|v| list.iter().any(|w| values_equal(v, w))),
            Self::NotIn(path, list) => !scope
                .get(path)
                .is_some_and(|v| list.iter().any(|w| values_equal(v, w))),
            Self::Exists(path, want) => scope.present(path).is_some() == *want,
            Self::StartsWith(path, prefix) => scope
                .get(path)
                .and_then(Value::as_str)
                .is_some_and(|s| s.starts_with(prefix.as_str())),
            Self::Compare(path, cmp, bound) => {
                scope
                    .get(path)
                    .and_then(decimal_of)
                    .is_some_and(|v| match cmp {
                        Comparison::Greater => v > *bound,
                        Comparison::GreaterOrEqual => v >= *bound,
                        Comparison::Less => v < *bound,
                        Comparison::LessOrEqual => v <= *bound,
                    })
            }
            Self::All(list) => list.iter().all(|c| c.evaluate(scope)),
            Self::Any(list) => list.iter().any(|c| c.evaluate(scope)),
            Self::Not(inner) => !inner.evaluate(scope),
        }
    }
}

fn compile_path(table: &Map<String, Value>, pointer: &str) -> Result<Path, ConditionError> {
    let here = format!("{pointer}/path");
    let Some(text) = table.get("path") else {
        return Err(ConditionError::msg(
            pointer,
            "missing required key `path` (or use all / any / not)",
        ));
    };
    let Value::String(text) = text else {
        return Err(ConditionError::msg(&here, "`path` must be a string"));
    };
    let path = Path::parse(text).map_err(|source| ConditionError::Path {
        pointer: here.clone(),
        path: text.clone(),
        source,
    })?;
    if path.is_wildcard() {
        return Err(ConditionError::Path {
            pointer: here,
            path: text.clone(),
            source: PathError::Syntax {
                position: 1,
                message: "a condition cannot read a wildcard path".into(),
            },
        });
    }
    Ok(path)
}

/// JSON equality, except that numbers compare by value (`1` equals `1.0`).
pub(crate) fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => match (decimal_of(a), decimal_of(b)) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn holds(condition: Value, record: &Value, ctx: &Context) -> bool {
        Condition::from_value(&condition)
            .unwrap_or_else(|e| panic!("{condition}: {e}"))
            .matches(record, ctx)
    }

    #[test]
    fn leaf_operators() {
        let record = json!({
            "transaction_type": "REFUND",
            "amount": 2.00,
            "tax_amount": "8.10",
            "status_code": "GB571",
            "invoice_id": "",
            "customer_id": null,
            "count": 3
        });
        let ctx = Context::new().with("amount_sign", "negative");
        let cases = [
            (
                json!({"path": "transaction_type", "equals": "REFUND"}),
                true,
            ),
            (
                json!({"path": "transaction_type", "equals": "refund"}),
                false,
            ),
            (json!({"path": "missing", "equals": "REFUND"}), false),
            (
                json!({"path": "transaction_type", "not_equals": "SALE"}),
                true,
            ),
            (
                json!({"path": "transaction_type", "not_equals": "REFUND"}),
                false,
            ),
            (json!({"path": "missing", "not_equals": "REFUND"}), true),
            (json!({"path": "amount", "equals": 2}), true),
            (json!({"path": "count", "equals": 3.0}), true),
            (json!({"path": "tax_amount", "equals": 8.1}), false),
            (
                json!({"path": "transaction_type", "in": ["SALE", "REFUND"]}),
                true,
            ),
            (json!({"path": "transaction_type", "in": ["SALE"]}), false),
            (
                json!({"path": "transaction_type", "not_in": ["SALE"]}),
                true,
            ),
            (
                json!({"path": "transaction_type", "not_in": ["REFUND"]}),
                false,
            ),
            (json!({"path": "missing", "not_in": ["REFUND"]}), true),
            (json!({"path": "invoice_id", "exists": true}), true),
            (json!({"path": "customer_id", "exists": true}), false),
            (json!({"path": "customer_id", "exists": false}), true),
            (json!({"path": "missing", "exists": false}), true),
            (json!({"path": "amount", "exists": false}), false),
            (json!({"path": "status_code", "starts_with": "GB"}), true),
            (
                json!({"path": "transaction_type", "starts_with": "GB"}),
                false,
            ),
            (json!({"path": "amount", "starts_with": "2"}), false),
            (json!({"path": "amount", "gt": 1.99}), true),
            (json!({"path": "amount", "gt": 2}), false),
            (json!({"path": "amount", "gte": 2}), true),
            (json!({"path": "amount", "lt": 2}), false),
            (json!({"path": "amount", "lte": "2.00"}), true),
            (json!({"path": "tax_amount", "gt": 8}), true),
            (json!({"path": "transaction_type", "gt": 0}), false),
            (json!({"path": "missing", "lt": 100}), false),
            (
                json!({"path": "$ctx.amount_sign", "equals": "negative"}),
                true,
            ),
            (json!({"path": "$ctx.unset", "exists": true}), false),
        ];
        for (condition, want) in cases {
            assert_eq!(holds(condition.clone(), &record, &ctx), want, "{condition}");
        }
    }

    #[test]
    fn combinators() {
        let record = json!({"transaction_type": "REFUND", "amount": 5});
        let ctx = Context::new();
        let refund = json!({"path": "transaction_type", "equals": "REFUND"});
        let small = json!({"path": "amount", "lt": 10});
        let big = json!({"path": "amount", "gt": 10});
        let cases = [
            (json!({"all": [refund, small]}), true),
            (json!({"all": [refund, big]}), false),
            (json!({"all": []}), true),
            (json!({"any": [big, refund]}), true),
            (json!({"any": [big]}), false),
            (json!({"any": []}), false),
            (json!({"not": big}), true),
            (json!({"not": {"any": [big, refund]}}), false),
            (json!({"all": [{"not": big}, {"any": [refund]}]}), true),
        ];
        for (condition, want) in cases {
            assert_eq!(holds(condition.clone(), &record, &ctx), want, "{condition}");
        }
    }

    #[test]
    fn malformed_conditions_say_what_and_where() {
        let cases = [
            (
                json!("transaction_type == REFUND"),
                "a condition is a table",
            ),
            (json!({"path": "x"}), "needs exactly one of"),
            (
                json!({"path": "x", "equals": 1, "in": [1]}),
                "needs exactly one of",
            ),
            (json!({"equals": 1}), "missing required key `path`"),
            (json!({"path": "x", "equal": 1}), "unknown key `equal`"),
            (json!({"path": "x", "in": "a"}), "`in` takes a list"),
            (
                json!({"path": "x", "exists": "yes"}),
                "`exists` takes true or false",
            ),
            (json!({"path": "x", "gt": "ten"}), "`gt` takes a number"),
            (
                json!({"path": "x", "starts_with": 1}),
                "`starts_with` takes a string",
            ),
            (
                json!({"path": "a..b", "exists": true}),
                "malformed path `a..b`",
            ),
            (json!({"path": "a.*", "exists": true}), "wildcard"),
            (
                json!({"path": 5, "exists": true}),
                "`path` must be a string",
            ),
            (
                json!({"all": {"path": "x", "exists": true}}),
                "`all` takes a list",
            ),
            (json!({"all": [], "path": "x"}), "must be the only key"),
            (
                json!({"any": [{"path": "x", "exists": true}, {"path": "x["}]}),
                "(at `/any/1/path`)",
            ),
            (
                json!({"not": {"path": "x", "bogus": 1}}),
                "(at `/not/bogus`)",
            ),
        ];
        for (condition, want) in cases {
            let err = Condition::from_value(&condition).expect_err(&condition.to_string());
            assert!(err.contains(want), "{condition}: {err}");
        }
    }
}
