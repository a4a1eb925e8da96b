//! The generic built-in transforms. The table in the [module documentation](super#built-in-transforms)
//! lists them with their arguments and inverses.

use std::fmt::Write as _;
use std::str::FromStr;

use canonical_model::{CardBrand, LastFour, Rounding};
use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{DateTime, FixedOffset, NaiveTime, SecondsFormat, TimeZone};
use chrono_tz::Tz;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Number, Value};

use super::error::StepError;
use super::path::kind_of;
use super::registry::{Args, Transform, TransformRegistry};
use crate::transform::datetime::parse_salesforce_datetime;
use crate::transform::types::{decimal_from_json, parse_bool_lenient};

/// Registers every generic built-in transform.
pub(crate) fn register(r: &mut TransformRegistry) {
    r.register(
        "trim",
        |v| Ok(map_str(v, |s| s.trim().to_owned())),
        |v| Ok(v.clone()),
    );
    r.register_one_way("upper", |v| Ok(map_str(v, str::to_uppercase)));
    r.register_one_way("lower", |v| Ok(map_str(v, str::to_lowercase)));
    r.register_one_way("to_string", |v| Ok(Value::String(text(v)?)));
    r.register("to_integer", to_integer, |v| Ok(Value::String(text(v)?)));
    r.register("to_decimal", to_decimal, to_decimal);
    r.register("negate", negate, negate);
    r.register_one_way("abs", |v| {
        let d = decimal_in(v)?;
        Ok(same_kind(v, d.abs()))
    });
    r.register("to_bool", to_bool, to_bool);
    r.register_with_args("decimal_2dp", decimal_2dp);
    r.register_with_args("round", round);
    r.register_with_args("multiply", multiply);
    r.register_with_args("map", map);
    r.register_with_args("prefix", |args| affix(args, true));
    r.register_with_args("suffix", |args| affix(args, false));
    r.register_with_args("concat", concat);
    r.register_with_args("join", |args| join_split(args, true));
    r.register_with_args("split", |args| join_split(args, false));
    r.register("join_lines", join_lines, split_lines);
    r.register("split_lines", split_lines, join_lines);
    r.register_with_args("default_if_empty", default_if_empty);
    r.register_with_args("truncate", truncate);
    r.register_with_args("date", date);
    r.register("last4_from_masked", last4_from_masked, mask_last4);
    r.register_one_way("card_brand_from_masked", |v| {
        let brand = CardBrand::from_leading_digits(&text(v)?);
        serde_json::to_value(brand)
            .map_err(|e| StepError::with_source("card brand does not serialise", e))
    });
}

// ---------------------------------------------------------------------------------------
// Value helpers shared with conditions.

/// A number, or a string holding one, as a decimal (the one decimal reader of
/// [`crate::transform::types`]). `None` for anything else.
pub(crate) fn decimal_of(value: &Value) -> Option<Decimal> {
    decimal_from_json(value).ok()
}

fn decimal_in(value: &Value) -> Result<Decimal, StepError> {
    decimal_from_json(value).map_err(StepError::from_error)
}

/// A decimal as a JSON number: integral values without a fraction stay integers, others
/// become JSON floats (exact for amounts with up to 15 significant digits).
pub(crate) fn decimal_value(d: Decimal) -> Value {
    let d = if d.is_zero() { Decimal::ZERO } else { d };
    Number::from_str(&d.to_string())
        .map(Value::Number)
        .unwrap_or_else(|_| Value::String(d.to_string()))
}

/// The decimal in the kind of `like`: a string stays a string, anything else is a number.
fn same_kind(like: &Value, d: Decimal) -> Value {
    if like.is_string() {
        Value::String(d.to_string())
    } else {
        decimal_value(d)
    }
}

/// A scalar as text (strings as they are, numbers and booleans as written in JSON); arrays
/// and objects as JSON text.
fn text(value: &Value) -> Result<String, StepError> {
    Ok(match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        other => serde_json::to_string(other)
            .map_err(|e| StepError::with_source("value does not serialise", e))?,
    })
}

fn map_str<S: Into<String>>(value: &Value, f: impl Fn(&str) -> S) -> Value {
    match value {
        Value::String(s) => Value::String(f(s).into()),
        other => other.clone(),
    }
}

fn to_integer(value: &Value) -> Result<Value, StepError> {
    if let Value::Number(n) = value
        && (n.is_i64() || n.is_u64())
    {
        return Ok(value.clone());
    }
    let d = decimal_in(value)?;
    if !d.fract().is_zero() {
        return Err(StepError::new(format!("{d} is not a whole number")));
    }
    let whole = d.trunc();
    Number::from_str(&whole.normalize().to_string())
        .map(Value::Number)
        .map_err(|e| StepError::with_source(format!("{whole} is out of range"), e))
}

fn to_decimal(value: &Value) -> Result<Value, StepError> {
    Ok(decimal_value(decimal_in(value)?))
}

fn negate(value: &Value) -> Result<Value, StepError> {
    let d = decimal_in(value)?;
    Ok(same_kind(value, -d))
}

fn to_bool(value: &Value) -> Result<Value, StepError> {
    let b = match value {
        Value::Bool(b) => *b,
        Value::Number(n) if n.as_i64() == Some(1) => true,
        Value::Number(n) if n.as_i64() == Some(0) => false,
        Value::String(s) => parse_bool_lenient(s).map_err(StepError::from_error)?,
        other => {
            return Err(StepError::new(format!(
                "expected a boolean, got {}",
                kind_of(other)
            )));
        }
    };
    Ok(Value::Bool(b))
}

fn join_lines(value: &Value) -> Result<Value, StepError> {
    let Value::Array(items) = value else {
        return Ok(Value::String(text(value)?));
    };
    let mut lines = Vec::new();
    for item in items {
        let line = text(item)?;
        if !line.trim().is_empty() {
            lines.push(line);
        }
    }
    Ok(Value::String(lines.join("\n")))
}

fn split_lines(value: &Value) -> Result<Value, StepError> {
    let s = text(value)?;
    Ok(Value::Array(
        s.lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| Value::String(line.to_owned()))
            .collect(),
    ))
}

fn last4_from_masked(value: &Value) -> Result<Value, StepError> {
    // The message never repeats the input: a caller might pass a whole card number.
    let last = LastFour::from_masked(&text(value)?)
        .map_err(|e| StepError::with_source("expected a masked number ending in four digits", e))?;
    Ok(Value::String(last.as_str().to_owned()))
}

fn mask_last4(value: &Value) -> Result<Value, StepError> {
    let last = LastFour::new(&text(value)?)
        .map_err(|e| StepError::with_source("expected exactly four digits", e))?;
    Ok(Value::String(format!("************{}", last.as_str())))
}

// ---------------------------------------------------------------------------------------
// Argument helpers.

fn allow(args: &Args, names: &[&str]) -> Result<(), StepError> {
    match args.keys().find(|k| !names.contains(&k.as_str())) {
        None => Ok(()),
        Some(key) if names.is_empty() => Err(StepError::new(format!(
            "unknown argument `{key}`: takes no arguments"
        ))),
        Some(key) => Err(StepError::new(format!(
            "unknown argument `{key}`; expected {}",
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn opt_str(args: &Args, name: &str) -> Result<Option<String>, StepError> {
    match args.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(StepError::new(format!(
            "argument `{name}` must be a string, not {}",
            kind_of(other)
        ))),
    }
}

fn req_str(args: &Args, name: &str) -> Result<String, StepError> {
    opt_str(args, name)?
        .ok_or_else(|| StepError::new(format!("missing required argument `{name}`")))
}

fn opt_u32(args: &Args, name: &str) -> Result<Option<u32>, StepError> {
    match args.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| {
                StepError::new(format!(
                    "argument `{name}` must be a non-negative integer, not {v}"
                ))
            }),
    }
}

fn opt_bool(args: &Args, name: &str) -> Result<Option<bool>, StepError> {
    match args.get(name) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(StepError::new(format!(
            "argument `{name}` must be true or false, not {}",
            kind_of(other)
        ))),
    }
}

fn rounding_arg(args: &Args) -> Result<RoundingStrategy, StepError> {
    let rounding = match args.get("rounding") {
        None => Rounding::HalfEven,
        Some(v) => serde_json::from_value::<Rounding>(v.clone()).map_err(|_| {
            StepError::new(format!(
                "argument `rounding` must be one of half_even, half_away_from_zero, \
                 half_toward_zero, toward_zero, away_from_zero, floor, ceiling; not {v}"
            ))
        })?,
    };
    // The same strategies `canonical_model::Rounding` names, for any number of places.
    Ok(match rounding {
        Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
        Rounding::HalfAwayFromZero => RoundingStrategy::MidpointAwayFromZero,
        Rounding::HalfTowardZero => RoundingStrategy::MidpointTowardZero,
        Rounding::TowardZero => RoundingStrategy::ToZero,
        Rounding::AwayFromZero => RoundingStrategy::AwayFromZero,
        Rounding::Floor => RoundingStrategy::ToNegativeInfinity,
        Rounding::Ceiling => RoundingStrategy::ToPositiveInfinity,
    })
}

// ---------------------------------------------------------------------------------------
// Transforms with arguments.

fn decimal_2dp(args: &Args) -> Result<Transform, StepError> {
    allow(args, &["rounding"])?;
    let strategy = rounding_arg(args)?;
    Ok(Transform::invertible(
        "decimal_2dp",
        move |v| {
            let mut d = decimal_in(v)?.round_dp_with_strategy(2, strategy);
            d.rescale(2);
            Ok(Value::String(d.to_string()))
        },
        to_decimal,
    ))
}

fn round(args: &Args) -> Result<Transform, StepError> {
    allow(args, &["dp", "rounding"])?;
    let dp = opt_u32(args, "dp")?.unwrap_or(2);
    if dp > 28 {
        return Err(StepError::new("argument `dp` must be at most 28"));
    }
    let strategy = rounding_arg(args)?;
    Ok(Transform::invertible(
        "round",
        move |v| {
            let d = decimal_in(v)?.round_dp_with_strategy(dp, strategy);
            Ok(same_kind(v, d))
        },
        |v| Ok(v.clone()),
    ))
}

fn multiply(args: &Args) -> Result<Transform, StepError> {
    allow(args, &["by"])?;
    let by = args
        .get("by")
        .ok_or_else(|| StepError::new("missing required argument `by`"))
        .and_then(|v| {
            decimal_of(v)
                .ok_or_else(|| StepError::new(format!("argument `by` must be a number, not {v}")))
        })?;
    let overflow = || StepError::new("the result overflows a decimal");
    let forward = move |v: &Value| {
        let d = decimal_in(v)?.checked_mul(by).ok_or_else(overflow)?;
        Ok(same_kind(v, d.normalize()))
    };
    if by.is_zero() {
        return Ok(Transform::one_way("multiply", forward));
    }
    Ok(Transform::invertible("multiply", forward, move |v| {
        let d = decimal_in(v)?.checked_div(by).ok_or_else(overflow)?;
        Ok(same_kind(v, d.normalize()))
    }))
}

fn key_of(value: &Value) -> Result<String, StepError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(StepError::new(format!(
            "cannot look up {} in a table",
            kind_of(other)
        ))),
    }
}

fn map(args: &Args) -> Result<Transform, StepError> {
    allow(args, &["table", "default", "passthrough"])?;
    let table = match args.get("table") {
        Some(Value::Object(table)) => table.clone(),
        Some(other) => {
            return Err(StepError::new(format!(
                "argument `table` must be a table, not {}",
                kind_of(other)
            )));
        }
        None => return Err(StepError::new("missing required argument `table`")),
    };
    let default = args.get("default").cloned();
    let passthrough = opt_bool(args, "passthrough")?.unwrap_or(false);
    if default.is_some() && passthrough {
        return Err(StepError::new(
            "`default` and `passthrough` exclude each other",
        ));
    }
    // The inverse table exists when every value is a scalar, no two keys share one, and no
    // `default` folds unknown inputs onto one value.
    let mut inverse = serde_json::Map::new();
    let mut injective = default.is_none();
    for (key, value) in &table {
        let Ok(value_key) = key_of(value) else {
            injective = false;
            break;
        };
        if inverse
            .insert(value_key, Value::String(key.clone()))
            .is_some()
        {
            injective = false;
            break;
        }
    }
    let lookup = move |table: &serde_json::Map<String, Value>,
                       default: &Option<Value>,
                       v: &Value|
          -> Result<Value, StepError> {
        let key = key_of(v)?;
        if let Some(found) = table.get(&key) {
            return Ok(found.clone());
        }
        if let Some(default) = default {
            return Ok(default.clone());
        }
        if passthrough {
            return Ok(v.clone());
        }
        let known: Vec<&str> = table.keys().map(String::as_str).take(12).collect();
        Err(StepError::new(format!(
            "no mapping for `{key}` (known: {})",
            known.join(", ")
        )))
    };
    let forward = move |v: &Value| lookup(&table, &default, v);
    if injective {
        Ok(Transform::invertible("map", forward, move |v| {
            lookup(&inverse, &None, v)
        }))
    } else {
        Ok(Transform::one_way("map", forward))
    }
}

fn affix(args: &Args, is_prefix: bool) -> Result<Transform, StepError> {
    allow(args, &["value"])?;
    let affix = req_str(args, "value")?;
    let (forward_affix, inverse_affix) = (affix.clone(), affix);
    let name = if is_prefix { "prefix" } else { "suffix" };
    Ok(Transform::invertible(
        name,
        move |v| {
            let s = text(v)?;
            Ok(Value::String(if is_prefix {
                format!("{forward_affix}{s}")
            } else {
                format!("{s}{forward_affix}")
            }))
        },
        move |v| {
            let s = text(v)?;
            let stripped = if is_prefix {
                s.strip_prefix(inverse_affix.as_str())
            } else {
                s.strip_suffix(inverse_affix.as_str())
            };
            stripped
                .map(|rest| Value::String(rest.to_owned()))
                .ok_or_else(|| {
                    StepError::new(format!(
                        "`{s}` does not {} with `{inverse_affix}`",
                        if is_prefix { "start" } else { "end" }
                    ))
                })
        },
    ))
}

fn concat(args: &Args) -> Result<Transform, StepError> {
    allow(args, &["separator"])?;
    let separator = opt_str(args, "separator")?.unwrap_or_default();
    Ok(Transform::one_way("concat", move |v| {
        let Value::Array(items) = v else {
            return Ok(Value::String(text(v)?));
        };
        let mut parts = Vec::new();
        for item in items {
            let part = text(item)?;
            if !part.is_empty() {
                parts.push(part);
            }
        }
        Ok(Value::String(parts.join(&separator)))
    }))
}

fn join_split(args: &Args, is_join: bool) -> Result<Transform, StepError> {
    allow(args, &["separator"])?;
    let separator = req_str(args, "separator")?;
    if separator.is_empty() {
        return Err(StepError::new("argument `separator` must not be empty"));
    }
    let join_sep = separator.clone();
    let join = move |v: &Value| -> Result<Value, StepError> {
        let Value::Array(items) = v else {
            return Ok(Value::String(text(v)?));
        };
        let parts = items.iter().map(text).collect::<Result<Vec<_>, _>>()?;
        Ok(Value::String(parts.join(&join_sep)))
    };
    let split = move |v: &Value| -> Result<Value, StepError> {
        Ok(Value::Array(
            text(v)?
                .split(separator.as_str())
                .map(|part| Value::String(part.to_owned()))
                .collect(),
        ))
    };
    Ok(if is_join {
        Transform::invertible("join", join, split)
    } else {
        Transform::invertible("split", split, join)
    })
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

fn default_if_empty(args: &Args) -> Result<Transform, StepError> {
    allow(args, &["value"])?;
    let default = args.get("value").cloned();
    let inverse_default = default.clone();
    Ok(Transform::invertible(
        "default_if_empty",
        move |v| {
            Ok(if is_empty(v) {
                default.clone().unwrap_or(Value::Null)
            } else {
                v.clone()
            })
        },
        move |v| {
            Ok(match &inverse_default {
                Some(d) if d == v => Value::String(String::new()),
                _ => v.clone(),
            })
        },
    ))
}

fn truncate(args: &Args) -> Result<Transform, StepError> {
    allow(args, &["max"])?;
    let max =
        opt_u32(args, "max")?.ok_or_else(|| StepError::new("missing required argument `max`"))?;
    if max == 0 {
        return Err(StepError::new("argument `max` must be at least 1"));
    }
    let max = max as usize;
    Ok(Transform::one_way("truncate", move |v| {
        Ok(match v {
            Value::String(s) => Value::String(s.chars().take(max).collect()),
            other => other.clone(),
        })
    }))
}

// ---------------------------------------------------------------------------------------
// Dates.

#[derive(Clone)]
enum DateFormat {
    Rfc3339,
    Pattern(Vec<Item<'static>>),
}

impl DateFormat {
    fn parse(arg: &str, text: &str) -> Result<Self, StepError> {
        if text.eq_ignore_ascii_case("rfc3339") {
            return Ok(Self::Rfc3339);
        }
        StrftimeItems::new(text)
            .parse_to_owned()
            .map(Self::Pattern)
            .map_err(|e| {
                StepError::with_source(format!("argument `{arg}` is not a valid format"), e)
            })
    }
}

#[derive(Clone)]
struct DateConversion {
    from: DateFormat,
    from_tz: Tz,
    to: DateFormat,
    to_tz: Tz,
}

fn parse_tz(args: &Args, name: &str) -> Result<Tz, StepError> {
    match opt_str(args, name)? {
        None => Ok(Tz::UTC),
        Some(zone) => zone.parse::<Tz>().map_err(|_| {
            StepError::new(format!(
                "argument `{name}`: `{zone}` is not an IANA time zone (e.g. America/Los_Angeles)"
            ))
        }),
    }
}

impl DateConversion {
    fn read(&self, input: &str) -> Result<DateTime<FixedOffset>, StepError> {
        let input = input.trim();
        let bad = |e: chrono::ParseError| {
            StepError::with_source(format!("`{input}` does not match the date format"), e)
        };
        let items = match &self.from {
            DateFormat::Rfc3339 => {
                // ISO 8601 with `Z` or an offset, with or without a colon: the one reader in
                // `transform::datetime`.
                return parse_salesforce_datetime(input)
                    .map(|at| at.fixed_offset())
                    .map_err(StepError::from_error);
            }
            DateFormat::Pattern(items) => items,
        };
        let mut parsed = Parsed::new();
        chrono::format::parse(&mut parsed, input, items.iter()).map_err(bad)?;
        if parsed.offset().is_some() {
            return parsed.to_datetime().map_err(bad);
        }
        let naive = match parsed.to_naive_datetime_with_offset(0) {
            Ok(naive) => naive,
            Err(_) => parsed
                .to_naive_date()
                .map_err(bad)?
                .and_time(NaiveTime::MIN),
        };
        self.from_tz
            .from_local_datetime(&naive)
            .earliest()
            .map(|dt| dt.fixed_offset())
            .ok_or_else(|| {
                StepError::new(format!(
                    "`{input}` does not exist in time zone {}",
                    self.from_tz
                ))
            })
    }

    fn write(&self, at: DateTime<FixedOffset>) -> Result<String, StepError> {
        let local = at.with_timezone(&self.to_tz);
        match &self.to {
            DateFormat::Rfc3339 => Ok(local.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            DateFormat::Pattern(items) => {
                let mut out = String::new();
                write!(out, "{}", local.format_with_items(items.iter()))
                    .map_err(|_| StepError::new("the date cannot be written in the format"))?;
                Ok(out)
            }
        }
    }

    fn convert(&self, value: &Value) -> Result<Value, StepError> {
        let Value::String(input) = value else {
            return Err(StepError::new(format!(
                "expected a date string, got {}",
                kind_of(value)
            )));
        };
        Ok(Value::String(self.write(self.read(input)?)?))
    }

    fn swapped(&self) -> Self {
        Self {
            from: self.to.clone(),
            from_tz: self.to_tz,
            to: self.from.clone(),
            to_tz: self.from_tz,
        }
    }
}

fn date(args: &Args) -> Result<Transform, StepError> {
    allow(args, &["from", "to", "from_tz", "to_tz"])?;
    let forward = DateConversion {
        from: DateFormat::parse("from", &req_str(args, "from")?)?,
        from_tz: parse_tz(args, "from_tz")?,
        to: DateFormat::parse("to", &req_str(args, "to")?)?,
        to_tz: parse_tz(args, "to_tz")?,
    };
    let inverse = forward.swapped();
    Ok(Transform::invertible(
        "date",
        move |v| forward.convert(v),
        move |v| inverse.convert(v),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn build(name: &str, args: Value) -> Transform {
        let Value::Object(args) = args else {
            panic!("args must be an object")
        };
        TransformRegistry::builtin()
            .build(name, &args)
            .unwrap_or_else(|| panic!("{name} is not registered"))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// (transform, args, input, forward output, inverse of the output or None when one-way)
    #[allow(clippy::type_complexity)]
    fn cases() -> Vec<(&'static str, Value, Value, Value, Option<Value>)> {
        vec![
            (
                "trim",
                json!({}),
                json!("  Jane  "),
                json!("Jane"),
                Some(json!("Jane")),
            ),
            ("trim", json!({}), json!(12), json!(12), Some(json!(12))),
            ("upper", json!({}), json!("wa"), json!("WA"), None),
            ("lower", json!({}), json!("WA"), json!("wa"), None),
            (
                "to_string",
                json!({}),
                json!(123_456_789),
                json!("123456789"),
                None,
            ),
            ("to_string", json!({}), json!(true), json!("true"), None),
            ("to_string", json!({}), json!("x"), json!("x"), None),
            (
                "to_integer",
                json!({}),
                json!("123456789"),
                json!(123_456_789),
                Some(json!("123456789")),
            ),
            (
                "to_integer",
                json!({}),
                json!(42),
                json!(42),
                Some(json!("42")),
            ),
            (
                "to_integer",
                json!({}),
                json!(42.0),
                json!(42),
                Some(json!("42")),
            ),
            (
                "to_decimal",
                json!({}),
                json!("8.10"),
                json!(8.1),
                Some(json!(8.1)),
            ),
            (
                "to_decimal",
                json!({}),
                json!(2.00),
                json!(2.0),
                Some(json!(2.0)),
            ),
            (
                "to_decimal",
                json!({}),
                json!(" 19.99 "),
                json!(19.99),
                Some(json!(19.99)),
            ),
            ("to_decimal", json!({}), json!(5), json!(5), Some(json!(5))),
            (
                "decimal_2dp",
                json!({}),
                json!(12.5),
                json!("12.50"),
                Some(json!(12.5)),
            ),
            (
                "decimal_2dp",
                json!({}),
                json!("8.1"),
                json!("8.10"),
                Some(json!(8.1)),
            ),
            (
                "decimal_2dp",
                json!({}),
                json!(0.125),
                json!("0.12"),
                Some(json!(0.12)),
            ),
            (
                "decimal_2dp",
                json!({"rounding": "half_away_from_zero"}),
                json!(0.125),
                json!("0.13"),
                Some(json!(0.13)),
            ),
            (
                "negate",
                json!({}),
                json!(12.5),
                json!(-12.5),
                Some(json!(12.5)),
            ),
            (
                "negate",
                json!({}),
                json!("8.10"),
                json!("-8.10"),
                Some(json!("8.10")),
            ),
            ("negate", json!({}), json!(0), json!(0), Some(json!(0))),
            ("abs", json!({}), json!(-3.25), json!(3.25), None),
            ("abs", json!({}), json!("-3"), json!("3"), None),
            (
                "multiply",
                json!({"by": 100}),
                json!(12.34),
                json!(1234),
                Some(json!(12.34)),
            ),
            (
                "multiply",
                json!({"by": -1}),
                json!("5.00"),
                json!("-5"),
                Some(json!("5")),
            ),
            ("multiply", json!({"by": 0}), json!(5), json!(0), None),
            (
                "to_bool",
                json!({}),
                json!("Yes"),
                json!(true),
                Some(json!(true)),
            ),
            (
                "to_bool",
                json!({}),
                json!("N"),
                json!(false),
                Some(json!(false)),
            ),
            (
                "to_bool",
                json!({}),
                json!(1),
                json!(true),
                Some(json!(true)),
            ),
            (
                "to_bool",
                json!({}),
                json!(false),
                json!(false),
                Some(json!(false)),
            ),
            (
                "round",
                json!({}),
                json!(2.345),
                json!(2.34),
                Some(json!(2.34)),
            ),
            (
                "round",
                json!({"dp": 1, "rounding": "ceiling"}),
                json!(2.31),
                json!(2.4),
                Some(json!(2.4)),
            ),
            (
                "round",
                json!({"dp": 0}),
                json!("2.5"),
                json!("2"),
                Some(json!("2")),
            ),
            (
                "map",
                json!({"table": {"SALE": "Sale", "REFUND": "Refund"}}),
                json!("REFUND"),
                json!("Refund"),
                Some(json!("REFUND")),
            ),
            (
                "map",
                json!({"table": {"101": "approved", "102": "declined"}}),
                json!(101),
                json!("approved"),
                Some(json!("101")),
            ),
            (
                "map",
                json!({"table": {"Y": "Approved", "N": "Voided"}, "default": "Unknown"}),
                json!("Q"),
                json!("Unknown"),
                None,
            ),
            (
                "map",
                json!({"table": {"a": "x", "b": "x"}}),
                json!("a"),
                json!("x"),
                None,
            ),
            (
                "map",
                json!({"table": {"a": {"nested": 1}}}),
                json!("a"),
                json!({"nested": 1}),
                None,
            ),
            (
                "map",
                json!({"table": {"a": "x"}, "passthrough": true}),
                json!("zz"),
                json!("zz"),
                Some(json!("zz")),
            ),
            (
                "prefix",
                json!({"value": "PT-"}),
                json!(123),
                json!("PT-123"),
                Some(json!("123")),
            ),
            (
                "suffix",
                json!({"value": "__c"}),
                json!("Rep"),
                json!("Rep__c"),
                Some(json!("Rep")),
            ),
            (
                "concat",
                json!({}),
                json!(["a", null, "b"]),
                json!("ab"),
                None,
            ),
            (
                "concat",
                json!({"separator": " "}),
                json!(["Jane", "", "Doe"]),
                json!("Jane Doe"),
                None,
            ),
            (
                "join",
                json!({"separator": "|"}),
                json!(["a", "", "c"]),
                json!("a||c"),
                Some(json!(["a", "", "c"])),
            ),
            (
                "split",
                json!({"separator": ","}),
                json!("a,b"),
                json!(["a", "b"]),
                Some(json!("a,b")),
            ),
            (
                "join_lines",
                json!({}),
                json!(["1 Main St", null, "Suite 5"]),
                json!("1 Main St\nSuite 5"),
                Some(json!(["1 Main St", "Suite 5"])),
            ),
            (
                "split_lines",
                json!({}),
                json!("1 Main St\r\nSuite 5\n"),
                json!(["1 Main St", "Suite 5"]),
                Some(json!("1 Main St\nSuite 5")),
            ),
            (
                "default_if_empty",
                json!({"value": "n/a"}),
                json!("  "),
                json!("n/a"),
                Some(json!("")),
            ),
            (
                "default_if_empty",
                json!({"value": "n/a"}),
                json!("x"),
                json!("x"),
                Some(json!("x")),
            ),
            (
                "default_if_empty",
                json!({}),
                json!(""),
                Value::Null,
                Some(Value::Null),
            ),
            (
                "truncate",
                json!({"max": 3}),
                json!("abcdef"),
                json!("abc"),
                None,
            ),
            (
                "truncate",
                json!({"max": 3}),
                json!("ab"),
                json!("ab"),
                None,
            ),
            (
                "date",
                json!({"from": "%m/%d/%Y %I:%M:%S %p", "to": "%Y-%m-%dT%H:%M:%S%.3fZ", "from_tz": "America/Los_Angeles"}),
                json!("4/10/2015 4:06:30 PM"),
                json!("2015-04-10T23:06:30.000Z"),
                Some(json!("04/10/2015 04:06:30 PM")),
            ),
            (
                "date",
                json!({"from": "%m/%d/%Y", "to": "%Y-%m-%d"}),
                json!("4/1/2026"),
                json!("2026-04-01"),
                Some(json!("04/01/2026")),
            ),
            (
                "date",
                json!({"from": "rfc3339", "to": "%Y-%m-%d", "to_tz": "America/New_York"}),
                json!("2026-01-01T03:00:00Z"),
                json!("2025-12-31"),
                Some(json!("2025-12-31T05:00:00Z")),
            ),
            (
                "date",
                json!({"from": "rfc3339", "to": "rfc3339", "to_tz": "Europe/Paris"}),
                json!("2015-04-10T23:06:30.000+0000"),
                json!("2015-04-11T01:06:30+02:00"),
                Some(json!("2015-04-10T23:06:30Z")),
            ),
            (
                "last4_from_masked",
                json!({}),
                json!("************5454"),
                json!("5454"),
                Some(json!("************5454")),
            ),
            (
                "last4_from_masked",
                json!({}),
                json!("541111******5454"),
                json!("5454"),
                Some(json!("************5454")),
            ),
            (
                "card_brand_from_masked",
                json!({}),
                json!("541111******5454"),
                json!("mastercard"),
                None,
            ),
            (
                "card_brand_from_masked",
                json!({}),
                json!("************5454"),
                json!("unknown"),
                None,
            ),
        ]
    }

    #[test]
    fn every_builtin_forward_and_inverse() {
        let mut seen = std::collections::BTreeSet::new();
        for (name, args, input, output, inverse) in cases() {
            let t = build(name, args.clone());
            seen.insert(name);
            let got = t
                .apply(&input)
                .unwrap_or_else(|e| panic!("{name} {args} {input}: {e}"));
            assert_eq!(got, output, "{name} {args} forward of {input}");
            match (&inverse, t.invert(&got)) {
                (Some(want), Some(back)) => {
                    let back = back.unwrap_or_else(|e| panic!("{name} inverse of {got}: {e}"));
                    assert_eq!(&back, want, "{name} {args} inverse of {got}");
                }
                (None, None) => {}
                (want, got) => panic!(
                    "{name} {args}: inverse expected {want:?}, invertible = {}",
                    got.is_some()
                ),
            }
        }
        let registry = TransformRegistry::builtin();
        let registered: std::collections::BTreeSet<&str> = registry.names().collect();
        let missing: Vec<_> = registered.difference(&seen).collect();
        assert!(
            missing.is_empty(),
            "built-ins without a table case: {missing:?}"
        );
    }

    #[test]
    fn builtins_refuse_bad_values() {
        let cases = [
            (
                "to_decimal",
                json!({}),
                json!("12,50"),
                "invalid decimal number \"12,50\"",
            ),
            (
                "to_decimal",
                json!({}),
                json!([1]),
                "expected a number or a string",
            ),
            (
                "to_integer",
                json!({}),
                json!("1.5"),
                "1.5 is not a whole number",
            ),
            (
                "to_bool",
                json!({}),
                json!("maybe"),
                "invalid boolean \"maybe\"",
            ),
            (
                "map",
                json!({"table": {"Y": 1}}),
                json!("Q"),
                "no mapping for `Q` (known: Y)",
            ),
            (
                "map",
                json!({"table": {"Y": 1}}),
                json!({}),
                "cannot look up an object",
            ),
            (
                "date",
                json!({"from": "%m/%d/%Y", "to": "%Y"}),
                json!("2015-04-10"),
                "does not match",
            ),
            (
                "date",
                json!({"from": "%m/%d/%Y", "to": "%Y"}),
                json!(20150410),
                "expected a date string",
            ),
            (
                "last4_from_masked",
                json!({}),
                json!("4111111111111111x"),
                "expected a masked number",
            ),
        ];
        for (name, args, input, want) in cases {
            let err = build(name, args).apply(&input).expect_err(name);
            assert!(err.to_string().contains(want), "{name}: {err}");
        }
        let err = build("prefix", json!({"value": "PT-"}))
            .invert(&json!("XX-1"))
            .and_then(Result::err)
            .map(|e| e.to_string());
        assert_eq!(err.as_deref(), Some("`XX-1` does not start with `PT-`"));
        // The last-four error never repeats what it was given.
        let err = build("last4_from_masked", json!({}))
            .apply(&json!("4111111111111111x"))
            .unwrap_err();
        assert!(!err.to_string().contains("4111"), "{err}");
        let err = build("last4_from_masked", json!({}))
            .invert(&json!("4111111111111111"))
            .and_then(Result::err)
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(!err.is_empty() && !err.contains("4111"), "{err}");
    }

    #[test]
    fn builtins_refuse_bad_arguments() {
        let cases = [
            ("trim", json!({"x": 1}), "takes no arguments"),
            ("map", json!({}), "missing required argument `table`"),
            (
                "map",
                json!({"table": []}),
                "argument `table` must be a table",
            ),
            (
                "map",
                json!({"table": {}, "default": 1, "passthrough": true}),
                "exclude each other",
            ),
            (
                "map",
                json!({"table": {}, "passthrough": "yes"}),
                "must be true or false",
            ),
            (
                "map",
                json!({"table": {}, "tabel": {}}),
                "unknown argument `tabel`",
            ),
            ("prefix", json!({}), "missing required argument `value`"),
            (
                "prefix",
                json!({"value": 1}),
                "argument `value` must be a string",
            ),
            ("join", json!({"separator": ""}), "must not be empty"),
            (
                "decimal_2dp",
                json!({"rounding": "bankers"}),
                "argument `rounding` must be one of",
            ),
            (
                "round",
                json!({"dp": -1}),
                "argument `dp` must be a non-negative integer",
            ),
            ("round", json!({"dp": 40}), "at most 28"),
            ("multiply", json!({}), "missing required argument `by`"),
            (
                "multiply",
                json!({"by": "x"}),
                "argument `by` must be a number",
            ),
            ("truncate", json!({"max": 0}), "at least 1"),
            (
                "date",
                json!({"to": "%Y"}),
                "missing required argument `from`",
            ),
            (
                "date",
                json!({"from": "%Q", "to": "%Y"}),
                "argument `from` is not a valid format",
            ),
            (
                "date",
                json!({"from": "%Y", "to": "%Y", "from_tz": "Mars/Olympus"}),
                "not an IANA time zone",
            ),
        ];
        for (name, args, want) in cases {
            let Value::Object(args) = args else { panic!() };
            let err = TransformRegistry::builtin()
                .build(name, &args)
                .map(|r| r.map(|_| ()))
                .unwrap_or_else(|| panic!("{name} not registered"))
                .expect_err(name);
            assert!(err.to_string().contains(want), "{name}: {err}");
        }
    }

    #[test]
    fn decimal_values_keep_integers_integral() {
        assert_eq!(decimal_value(Decimal::new(1250, 2)), json!(12.5));
        assert_eq!(decimal_value(Decimal::new(7, 0)), json!(7));
        assert_eq!(decimal_value(-Decimal::ZERO), json!(0));
        assert_eq!(
            decimal_of(&json!("1,234.50")),
            Some(Decimal::new(123_450, 2))
        );
        assert_eq!(decimal_of(&json!(true)), None);
    }
}
