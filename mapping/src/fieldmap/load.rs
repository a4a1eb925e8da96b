//! Spec text to a JSON value plus the line of every value, so load-time errors name lines.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::{FieldMapError, SpecFormat};

/// The 1-based line of each value of a spec, keyed by JSON pointer (`/rule/3/transforms/1`).
#[derive(Debug, Default)]
pub(crate) struct Lines {
    by_pointer: HashMap<String, usize>,
}

impl Lines {
    /// The line of the value at `pointer`, or of its nearest ancestor that has one.
    pub(crate) fn line(&self, pointer: &str) -> Option<usize> {
        let mut pointer = pointer;
        loop {
            if let Some(line) = self.by_pointer.get(pointer) {
                return Some(*line);
            }
            let (parent, _) = pointer.rsplit_once('/')?;
            pointer = parent;
        }
    }
}

/// Escapes a key for a JSON pointer.
pub(crate) fn pointer_key(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |last| last.chars().count())
        + 1;
    (line, column)
}

/// Parses TOML text.
pub(crate) fn toml(text: &str) -> Result<(Value, Lines), FieldMapError> {
    let table = DeTable::parse(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|span| line_and_column(text, span.start))
            .unzip();
        FieldMapError::Syntax {
            format: SpecFormat::Toml,
            line,
            column,
            message: e.message().to_owned(),
        }
    })?;
    let mut lines = Lines::default();
    let span = table.span();
    let root = Spanned::new(span, DeValue::Table(table.into_inner()));
    let value = convert(text, &root, String::new(), &mut lines)?;
    Ok((value, lines))
}

fn convert(
    text: &str,
    node: &Spanned<DeValue<'_>>,
    pointer: String,
    lines: &mut Lines,
) -> Result<Value, FieldMapError> {
    let (line, column) = line_and_column(text, node.span().start);
    if !pointer.is_empty() {
        lines.by_pointer.insert(pointer.clone(), line);
    }
    let bad_number = |what: &str| FieldMapError::Syntax {
        format: SpecFormat::Toml,
        line: Some(line),
        column: Some(column),
        message: format!("{what} cannot be represented in JSON"),
    };
    Ok(match node.get_ref() {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            if let Ok(n) = i64::from_str_radix(&digits, i.radix()) {
                Value::Number(n.into())
            } else {
                let n = u64::from_str_radix(&digits, i.radix())
                    .map_err(|_| bad_number("this integer"))?;
                Value::Number(n.into())
            }
        }
        DeValue::Float(f) => {
            let n = f
                .as_str()
                .replace('_', "")
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .ok_or_else(|| bad_number("this float"))?;
            Value::Number(n)
        }
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::String(d.to_string()),
        DeValue::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| convert(text, item, format!("{pointer}/{i}"), lines))
                .collect::<Result<_, _>>()?,
        ),
        DeValue::Table(table) => {
            let mut map = Map::new();
            for (key, value) in table.iter() {
                let key = key.get_ref().to_string();
                let child = format!("{pointer}/{}", pointer_key(&key));
                map.insert(key, convert(text, value, child, lines)?);
            }
            Value::Object(map)
        }
    })
}

/// Parses JSON text. JSON carries no spans, so only syntax errors have a line.
pub(crate) fn json(text: &str) -> Result<(Value, Lines), FieldMapError> {
    let value = serde_json::from_str(text).map_err(|e| FieldMapError::Syntax {
        format: SpecFormat::Json,
        line: Some(e.line()),
        column: Some(e.column()),
        message: e.to_string(),
    })?;
    Ok((value, Lines::default()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn toml_values_and_their_lines() {
        let text = "name = \"x\"\n\n[[rule]]\ntarget = \"A\"\ntransforms = [\n  \"trim\",\n  { name = \"map\", table = { a = 1, b = 1.5 } },\n]\n\n[[rule]]\ntarget = \"B\"\nwhen.path = \"x\"\nwhen.exists = true\nbig = 0x10\nat = 2026-01-31\n";
        let (value, lines) = toml(text).unwrap();
        assert_eq!(
            value,
            json!({
                "name": "x",
                "rule": [
                    {"target": "A", "transforms": ["trim", {"name": "map", "table": {"a": 1, "b": 1.5}}]},
                    {"target": "B", "when": {"path": "x", "exists": true}, "big": 16, "at": "2026-01-31"}
                ]
            })
        );
        let cases = [
            ("/name", 1),
            ("/rule/0", 3),
            ("/rule/0/target", 4),
            ("/rule/0/transforms", 5),
            ("/rule/0/transforms/0", 6),
            ("/rule/0/transforms/1", 7),
            ("/rule/0/transforms/1/table/b", 7),
            ("/rule/0/nothing/here", 3),
            ("/rule/1", 10),
            ("/rule/1/when/exists", 13),
            ("/rule/1/at", 15),
        ];
        for (pointer, line) in cases {
            assert_eq!(lines.line(pointer), Some(line), "{pointer}");
        }
        assert_eq!(lines.line(""), None);
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let err = toml("name = \"x\"\n[[rule]]\ntarget = \n").unwrap_err();
        assert!(
            matches!(
                err,
                FieldMapError::Syntax {
                    format: SpecFormat::Toml,
                    line: Some(3),
                    ..
                }
            ),
            "{err:?}"
        );
        let err = toml("a = 1\na = 2\n").unwrap_err();
        assert_eq!(err.line(), Some(2), "{err}");
        let err = json("{\n  \"rule\": [\n    {\"target\": }\n  ]\n}").unwrap_err();
        assert!(
            matches!(
                err,
                FieldMapError::Syntax {
                    format: SpecFormat::Json,
                    line: Some(3),
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn pointer_keys_are_escaped() {
        assert_eq!(pointer_key("a/b~c"), "a~1b~0c");
        let (_, lines) = toml("[t]\n\"a/b\" = 1\n").unwrap();
        assert_eq!(lines.line("/t/a~1b"), Some(2));
    }
}
