//! Field paths: `billing_address.zip`, `lines[0].amount`, `"key.with.dots".x`,
//! `$ctx.customer_account`, and wildcard keys such as `discretionary_data.*` or `PT_*__c`.
//!
//! See the [module documentation](super#paths) for the syntax.

use std::fmt;

use serde_json::{Map, Value};

use super::error::PathError;

/// The text that starts a path into the apply-time context instead of the record.
pub const CONTEXT_ROOT: &str = "$ctx";

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// An object key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// Where a path starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Root {
    /// The record being mapped.
    Record,
    /// The apply-time context; the first segment names the context variable.
    Context,
}

/// A key pattern with one `*`: `PT_*__c` matches `PT_SalesRepID__c` and captures `SalesRepID`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyPattern {
    prefix: String,
    suffix: String,
}

impl KeyPattern {
    /// What `*` stands for in `key`, when `key` matches.
    pub fn capture<'k>(&self, key: &'k str) -> Option<&'k str> {
        if key.len() < self.prefix.len() + self.suffix.len() {
            return None;
        }
        key.strip_prefix(self.prefix.as_str())?
            .strip_suffix(self.suffix.as_str())
    }

    /// The key with `*` replaced by `capture`.
    pub fn expand(&self, capture: &str) -> String {
        format!("{}{capture}{}", self.prefix, self.suffix)
    }
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path {
    text: String,
    root: Root,
    segments: Vec<Segment>,
    pattern: Option<KeyPattern>,
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Path {
    type Err = PathError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

fn syntax(position: usize, message: impl Into<String>) -> PathError {
    PathError::Syntax {
        position,
        message: message.into(),
    }
}

/// How a segment was written, which matters for `$ctx` and `*`.
enum Written {
    Bare { stars: usize },
    Quoted,
    Index,
}

impl Path {
    /// Parses a path.
    ///
    /// # Errors
    /// [`PathError::Empty`] or [`PathError::Syntax`] with the character position.
    pub fn parse(text: &str) -> Result<Self, PathError> {
        if text.trim().is_empty() {
            return Err(PathError::Empty);
        }
        let chars: Vec<char> = text.chars().collect();
        let mut segments = Vec::new();
        let mut written = Vec::new();
        let mut i = 0;
        // A path may start with an index (the record itself is an array).
        let mut expect_segment = !matches!(chars.first(), Some('['));
        loop {
            if expect_segment {
                match chars.get(i) {
                    None => return Err(syntax(i + 1, "expected a key after `.`")),
                    Some('"') => {
                        let (key, next) = parse_quoted(&chars, i)?;
                        segments.push(Segment::Key(key));
                        written.push(Written::Quoted);
                        i = next;
                    }
                    Some(_) => {
                        let start = i;
                        let mut key = String::new();
                        let mut stars = 0;
                        while let Some(&c) = chars.get(i) {
                            match c {
                                '.' | '[' => break,
                                ']' => return Err(syntax(i + 1, "unexpected `]`")),
                                '"' => {
                                    return Err(syntax(
                                        i + 1,
                                        "a quote may only start a key; quote the whole key",
                                    ));
                                }
                                c if c.is_whitespace() => {
                                    return Err(syntax(
                                        i + 1,
                                        "whitespace in a bare key; quote the key",
                                    ));
                                }
                                '*' => {
                                    stars += 1;
                                    key.push(c);
                                }
                                c => key.push(c),
                            }
                            i += 1;
                        }
                        if key.is_empty() {
                            return Err(syntax(start + 1, "empty key"));
                        }
                        segments.push(Segment::Key(key));
                        written.push(Written::Bare { stars });
                    }
                }
            }
            // Any number of `[N]` after a key.
            while let Some('[') = chars.get(i) {
                let start = i;
                i += 1;
                let mut digits = String::new();
                while let Some(c) = chars.get(i).filter(|c| c.is_ascii_digit()) {
                    digits.push(*c);
                    i += 1;
                }
                if chars.get(i) != Some(&']') || digits.is_empty() {
                    return Err(syntax(
                        start + 1,
                        "an index is written `[N]` with N a non-negative integer",
                    ));
                }
                i += 1;
                let index = digits
                    .parse::<usize>()
                    .map_err(|_| syntax(start + 1, "index too large"))?;
                segments.push(Segment::Index(index));
                written.push(Written::Index);
            }
            match chars.get(i) {
                None => break,
                Some('.') => {
                    i += 1;
                    expect_segment = true;
                }
                Some(c) => {
                    return Err(syntax(i + 1, format!("expected `.` or `[`, found `{c}`")));
                }
            }
        }

        // `$ctx` as the first bare key switches the root.
        let mut root = Root::Record;
        if matches!(written.first(), Some(Written::Bare { .. }))
            && segments.first() == Some(&Segment::Key(CONTEXT_ROOT.to_owned()))
        {
            segments.remove(0);
            written.remove(0);
            root = Root::Context;
            if !matches!(segments.first(), Some(Segment::Key(_))) {
                return Err(syntax(
                    CONTEXT_ROOT.len() + 1,
                    "`$ctx` must be followed by `.name` of a context variable",
                ));
            }
        }

        // A bare `*` is a wildcard, allowed once, in the last key.
        let mut pattern = None;
        let last = written.len().saturating_sub(1);
        for (n, w) in written.iter().enumerate() {
            if let Written::Bare { stars } = w {
                if *stars == 0 {
                    continue;
                }
                if *stars > 1 {
                    return Err(syntax(1, "a key pattern may hold only one `*`"));
                }
                if n != last {
                    return Err(syntax(1, "`*` is only allowed in the last key of a path"));
                }
                if let Some(Segment::Key(key)) = segments.get(n) {
                    let (prefix, suffix) = key.split_once('*').unwrap_or((key.as_str(), ""));
                    pattern = Some(KeyPattern {
                        prefix: prefix.to_owned(),
                        suffix: suffix.to_owned(),
                    });
                }
            }
        }
        if pattern.is_some() {
            segments.pop();
        }
        Ok(Self {
            text: text.to_owned(),
            root,
            segments,
            pattern,
        })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Where the path starts.
    pub fn root(&self) -> Root {
        self.root
    }

    /// Whether the path reads the apply-time context (`$ctx.…`).
    pub fn is_context(&self) -> bool {
        self.root == Root::Context
    }

    /// The steps of the path. For a wildcard path, the steps to the object whose keys the
    /// pattern matches. For a context path, the first step is the variable name.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The key pattern of a wildcard path.
    pub fn pattern(&self) -> Option<&KeyPattern> {
        self.pattern.as_ref()
    }

    /// Whether the last key holds a `*`.
    pub fn is_wildcard(&self) -> bool {
        self.pattern.is_some()
    }

    /// The value at this path inside `value` (the root is not consulted: for a context path
    /// pass the context object). `None` when a step is missing or of the wrong kind. For a
    /// wildcard path, the object whose keys the pattern matches.
    pub fn get<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        get_in(value, &self.segments)
    }

    /// Writes `new` at this path inside `value`, creating missing objects (and arrays for
    /// index steps, padded with `null`). A `null` on the way is replaced.
    ///
    /// # Errors
    /// [`PathError::Conflict`] when a step meets a value of another kind (a string where an
    /// object is needed), or the path is a wildcard.
    pub fn set(&self, value: &mut Value, new: Value) -> Result<(), PathError> {
        if self.pattern.is_some() {
            return Err(PathError::Syntax {
                position: 1,
                message: "cannot write to a wildcard path".into(),
            });
        }
        set_in(value, &self.segments, new)
    }
}

fn parse_quoted(chars: &[char], start: usize) -> Result<(String, usize), PathError> {
    let mut key = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => return Err(syntax(start + 1, "unterminated quoted key")),
            Some('"') => return Ok((key, i + 1)),
            Some('\\') => match chars.get(i + 1) {
                Some(c @ ('"' | '\\')) => {
                    key.push(*c);
                    i += 2;
                }
                _ => return Err(syntax(i + 1, "only `\\\"` and `\\\\` escapes are allowed")),
            },
            Some(c) => {
                key.push(*c);
                i += 1;
            }
        }
    }
}

pub(crate) fn get_in<'v>(mut value: &'v Value, segments: &[Segment]) -> Option<&'v Value> {
    for segment in segments {
        value = match (segment, value) {
            (Segment::Key(k), Value::Object(map)) => map.get(k)?,
            (Segment::Index(i), Value::Array(items)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(value)
}

pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn describe(segments: &[Segment]) -> String {
    let mut out = String::new();
    for s in segments {
        match s {
            Segment::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() {
        "the record".into()
    } else {
        out
    }
}

pub(crate) fn set_in(root: &mut Value, segments: &[Segment], new: Value) -> Result<(), PathError> {
    let mut current = root;
    for (n, segment) in segments.iter().enumerate() {
        let conflict = |found: &Value, expected| PathError::Conflict {
            at: describe(&segments[..n]),
            found: kind_of(found),
            expected,
        };
        current = match segment {
            Segment::Key(key) => {
                if current.is_null() {
                    *current = Value::Object(Map::new());
                }
                match current {
                    Value::Object(map) => map.entry(key.clone()).or_insert(Value::Null),
                    other => return Err(conflict(other, "an object")),
                }
            }
            Segment::Index(index) => {
                if current.is_null() {
                    *current = Value::Array(Vec::new());
                }
                match current {
                    Value::Array(items) => {
                        if items.len() <= *index {
                            items.resize(index + 1, Value::Null);
                        }
                        match items.get_mut(*index) {
                            Some(slot) => slot,
                            None => return Err(conflict(&Value::Null, "an array")),
                        }
                    }
                    other => return Err(conflict(other, "an array")),
                }
            }
        };
    }
    *current = new;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(k: &str) -> Segment {
        Segment::Key(k.into())
    }

    #[test]
    fn parses_the_documented_forms() {
        let cases: Vec<(&str, Root, Vec<Segment>)> = vec![
            ("amount", Root::Record, vec![key("amount")]),
            (
                "billing_address.zip",
                Root::Record,
                vec![key("billing_address"), key("zip")],
            ),
            (
                "discretionary_data.SalesRepID",
                Root::Record,
                vec![key("discretionary_data"), key("SalesRepID")],
            ),
            (
                "lines[0].amount",
                Root::Record,
                vec![key("lines"), Segment::Index(0), key("amount")],
            ),
            (
                "matrix[1][12]",
                Root::Record,
                vec![key("matrix"), Segment::Index(1), Segment::Index(12)],
            ),
            ("[2].id", Root::Record, vec![Segment::Index(2), key("id")]),
            (
                "\"key.with.dots\".x",
                Root::Record,
                vec![key("key.with.dots"), key("x")],
            ),
            (
                "a.\"b c\".\"say \\\"hi\\\"\"",
                Root::Record,
                vec![key("a"), key("b c"), key("say \"hi\"")],
            ),
            ("\"back\\\\slash\"", Root::Record, vec![key("back\\slash")]),
            ("\"*\"", Root::Record, vec![key("*")]),
            ("\"$ctx\".x", Root::Record, vec![key("$ctx"), key("x")]),
            (
                "$ctx.customer_account",
                Root::Context,
                vec![key("customer_account")],
            ),
            (
                "$ctx.opportunity.Campaign_Source__c",
                Root::Context,
                vec![key("opportunity"), key("Campaign_Source__c")],
            ),
            ("Status__c", Root::Record, vec![key("Status__c")]),
            (
                "a-b.c_d.e$f",
                Root::Record,
                vec![key("a-b"), key("c_d"), key("e$f")],
            ),
        ];
        for (text, root, segments) in cases {
            let path = Path::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(path.root(), root, "{text}");
            assert_eq!(path.segments(), segments.as_slice(), "{text}");
            assert!(!path.is_wildcard(), "{text}");
            assert_eq!(path.to_string(), text);
        }
    }

    #[test]
    fn parses_wildcards() {
        let cases = [
            (
                "discretionary_data.*",
                vec![key("discretionary_data")],
                "",
                "",
            ),
            ("PT_*__c", vec![], "PT_", "__c"),
            ("custom.x_*", vec![key("custom")], "x_", ""),
            ("$ctx.extra.*", vec![key("extra")], "", ""),
        ];
        for (text, parent, prefix, suffix) in cases {
            let path = Path::parse(text).unwrap();
            assert_eq!(path.segments(), parent.as_slice(), "{text}");
            let pattern = path.pattern().unwrap();
            assert_eq!(
                (pattern.prefix.as_str(), pattern.suffix.as_str()),
                (prefix, suffix)
            );
        }
        let p = Path::parse("PT_*__c").unwrap();
        let pattern = p.pattern().unwrap();
        assert_eq!(pattern.capture("PT_SalesRepID__c"), Some("SalesRepID"));
        assert_eq!(pattern.capture("PT___c"), Some(""));
        assert_eq!(
            pattern.capture("PT__c"),
            None,
            "prefix and suffix may not overlap"
        );
        assert_eq!(pattern.capture("Amount__c"), None);
        assert_eq!(pattern.expand("Campaign"), "PT_Campaign__c");
    }

    #[test]
    fn rejects_malformed_paths_with_a_position() {
        let cases = [
            ("", None),
            ("   ", None),
            ("a.", Some(3)),
            (".a", Some(1)),
            ("a..b", Some(3)),
            ("a[", Some(2)),
            ("a[x]", Some(2)),
            ("a[-1]", Some(2)),
            ("a[1", Some(2)),
            ("a]", Some(2)),
            ("a b", Some(2)),
            ("a\"b\"", Some(2)),
            ("\"open", Some(1)),
            ("\"bad\\n\"", Some(5)),
            ("\"q\"x", Some(4)),
            ("a[0]b", Some(5)),
            ("a.*.b", Some(1)),
            ("a.**", Some(1)),
            ("a*[0]", Some(1)),
            ("$ctx", Some(5)),
            ("$ctx[0]", Some(5)),
        ];
        for (text, position) in cases {
            let err = Path::parse(text).expect_err(text);
            match (err, position) {
                (PathError::Empty, None) => {}
                (PathError::Syntax { position: p, .. }, Some(want)) => {
                    assert_eq!(p, want, "{text}");
                }
                (other, _) => panic!("{text}: unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn get_reads_nested_values_and_misses_quietly() {
        let record = json!({
            "billing_address": {"zip": "99201"},
            "lines": [{"amount": 1.5}, {"amount": 2}],
            "key.with.dots": {"x": true},
            "s": "text"
        });
        let get = |p: &str| Path::parse(p).unwrap().get(&record).cloned();
        assert_eq!(get("billing_address.zip"), Some(json!("99201")));
        assert_eq!(get("lines[1].amount"), Some(json!(2)));
        assert_eq!(get("\"key.with.dots\".x"), Some(json!(true)));
        assert_eq!(get("key.with.dots"), None);
        assert_eq!(get("lines[5].amount"), None);
        assert_eq!(get("s.length"), None);
        assert_eq!(get("lines.amount"), None);
        assert_eq!(get("billing_address[0]"), None);
    }

    #[test]
    fn set_creates_intermediate_objects_and_arrays() {
        let mut out = json!({});
        Path::parse("a.b.c")
            .unwrap()
            .set(&mut out, json!(1))
            .unwrap();
        Path::parse("a.b.d")
            .unwrap()
            .set(&mut out, json!(2))
            .unwrap();
        Path::parse("lines[1].amount")
            .unwrap()
            .set(&mut out, json!(3))
            .unwrap();
        Path::parse("\"x.y\"")
            .unwrap()
            .set(&mut out, json!("dots"))
            .unwrap();
        assert_eq!(
            out,
            json!({
                "a": {"b": {"c": 1, "d": 2}},
                "lines": [null, {"amount": 3}],
                "x.y": "dots"
            })
        );
        let mut null_root = Value::Null;
        Path::parse("k")
            .unwrap()
            .set(&mut null_root, json!("v"))
            .unwrap();
        assert_eq!(null_root, json!({"k": "v"}));
    }

    #[test]
    fn set_refuses_to_overwrite_a_scalar_on_the_way() {
        let mut out = json!({"a": "text", "list": {"k": 1}});
        let err = Path::parse("a.b")
            .unwrap()
            .set(&mut out, json!(1))
            .unwrap_err();
        assert_eq!(
            err,
            PathError::Conflict {
                at: "a".into(),
                found: "a string",
                expected: "an object"
            }
        );
        let err = Path::parse("list[0]")
            .unwrap()
            .set(&mut out, json!(1))
            .unwrap_err();
        assert!(
            matches!(
                err,
                PathError::Conflict {
                    expected: "an array",
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(out, json!({"a": "text", "list": {"k": 1}}));
        assert!(Path::parse("a.*").unwrap().set(&mut out, json!(1)).is_err());
    }
}
