//! Field values: type checks and normalisation with Salesforce's error texts, and the
//! matching key used for external IDs and unique fields.

use serde_json::Value;

use crate::salesforce::errors::SfError;
use crate::salesforce::ids;
use crate::salesforce::schema::{FieldMeta, FieldType};
use crate::salesforce::util::{parse_date, parse_datetime, sf_datetime};

/// A value's identity for external-ID and unique matching: text compares
/// case-insensitively, ids in their 18-character form.
pub(crate) fn match_key(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(ids::normalize(s).unwrap_or_else(|| s.to_lowercase())),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn json_token(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "VALUE_STRING",
        Value::Number(n) if n.is_f64() => "VALUE_NUMBER_FLOAT",
        Value::Number(_) => "VALUE_NUMBER_INT",
        Value::Bool(true) => "VALUE_TRUE",
        Value::Bool(false) => "VALUE_FALSE",
        Value::Array(_) => "START_ARRAY",
        Value::Object(_) => "START_OBJECT",
        Value::Null => "VALUE_NULL",
    }
}

fn type_error(f: &FieldMeta, v: &Value) -> SfError {
    let java = match f.field_type {
        t if t.is_numeric() => "double",
        FieldType::Boolean => "boolean",
        FieldType::Date => "date",
        FieldType::DateTime => "datetime",
        _ => "string",
    };
    let shown = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    SfError::json_parser(&format!(
        "Cannot deserialize instance of {java} from {} value {shown} or request may be missing a required field",
        json_token(v)
    ))
}

/// Check and normalise a value for field `f`.
pub(crate) fn coerce(f: &FieldMeta, v: &Value) -> Result<Value, SfError> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let t = f.field_type;
    if t.is_numeric() {
        return match v {
            Value::Number(_) => Ok(v.clone()),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .and_then(|x| {
                    s.trim()
                        .parse::<i64>()
                        .map(Value::from)
                        .ok()
                        .or_else(|| serde_json::Number::from_f64(x).map(Value::Number))
                })
                .ok_or_else(|| type_error(f, v)),
            _ => Err(type_error(f, v)),
        };
    }
    match t {
        FieldType::Boolean => match v {
            Value::Bool(_) => Ok(v.clone()),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            _ => Err(type_error(f, v)),
        },
        FieldType::Date => match v {
            Value::String(s) => parse_date(s)
                .map(|d| Value::String(d.format("%Y-%m-%d").to_string()))
                .ok_or_else(|| type_error(f, v)),
            _ => Err(type_error(f, v)),
        },
        FieldType::DateTime => match v {
            Value::String(s) => parse_datetime(s)
                .map(|d| Value::String(sf_datetime(d)))
                .ok_or_else(|| type_error(f, v)),
            _ => Err(type_error(f, v)),
        },
        FieldType::Id | FieldType::Reference => match v {
            Value::String(s) if s.is_empty() => Ok(Value::Null),
            Value::String(s) => ids::normalize(s).map(Value::String).ok_or_else(|| {
                SfError::bad(
                    "MALFORMED_ID",
                    format!("{} ID: id value of incorrect type: {s}", f.label),
                )
                .with_fields([f.name.clone()])
            }),
            _ => Err(type_error(f, v)),
        },
        _ => {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(type_error(f, v)),
            };
            if let Some(max) = f.length
                && s.chars().count() > max as usize
            {
                return Err(SfError::bad(
                    "STRING_TOO_LONG",
                    format!("{}: data value too large: {s} (max length={max})", f.label),
                )
                .with_fields([f.name.clone()]));
            }
            Ok(Value::String(s))
        }
    }
}
