//! The spec model (serde), loading from TOML/JSON, and validation into a runnable [`Spec`].

use std::fmt;
use std::path::Path as FsPath;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::condition::{Condition, ConditionError};
use super::error::{FieldMapError, RuleRef, SpecLocation};
use super::load::{self, Lines, pointer_key};
use super::path::{Path, Segment};
use super::registry::{Transform, TransformRegistry};

/// Which way a rule runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Only in [`Spec::apply`].
    Forward,
    /// Only in [`Spec::reverse`].
    Reverse,
    /// In both.
    Both,
}

/// A transform as written in a spec: a name (`"trim"`), or a table with `name` and the
/// transform's arguments (`{ name = "map", table = { … } }`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Value", into = "Value")]
pub enum TransformDef {
    /// A transform without arguments.
    Name(String),
    /// A table holding `name` and the arguments.
    Table(Map<String, Value>),
}

impl TryFrom<Value> for TransformDef {
    type Error = String;
    fn try_from(value: Value) -> Result<Self, Self::Error> {
        match value {
            Value::String(name) => Ok(Self::Name(name)),
            Value::Object(table) => Ok(Self::Table(table)),
            other => Err(format!(
                "a transform is a name or a table with `name`, not {other}"
            )),
        }
    }
}

impl From<TransformDef> for Value {
    fn from(def: TransformDef) -> Self {
        match def {
            TransformDef::Name(name) => Value::String(name),
            TransformDef::Table(table) => Value::Object(table),
        }
    }
}

/// One rule as written in a spec (`[[rule]]`). See the [module documentation](super#rules)
/// for what each key means.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// A label for errors and reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The path written in the target record (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The path read from the source record, or `$ctx.<name>…` from the context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Several paths, read into a list for transforms such as `concat` or `join_lines`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<String>>,
    /// A constant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// The transform chain, applied in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transforms: Vec<TransformDef>,
    /// The chain [`Spec::reverse`] applies instead of the inverses of `transforms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverse_transforms: Option<Vec<TransformDef>>,
    /// The target value when the source is missing, `null`, or transformed to `null`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// Whether a missing value is an error (forward only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// The condition (table form) under which the rule runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Value>,
    /// The condition, on the target record, under which the rule runs in reverse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverse_when: Option<Value>,
    /// Which way the rule runs; by default both when it can, else forward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
}

/// A whole spec as written. [`Spec::from_def`] validates it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecDef {
    /// The spec's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What it maps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The source path that identifies a record in errors (e.g. `transaction_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
    /// The target path that identifies a record in reverse errors (e.g. `PaymentID__c`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_record_id: Option<String>,
    /// Defaults of context variables, overridden by the context given at apply time.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub context: Map<String, Value>,
    /// The rules, in order.
    #[serde(default, rename = "rule", skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleDef>,
}

const HEADER_KEYS: [&str; 6] = [
    "name",
    "description",
    "record_id",
    "target_record_id",
    "context",
    "rule",
];
const RULE_KEYS: [&str; 12] = [
    "name",
    "target",
    "source",
    "sources",
    "value",
    "transforms",
    "reverse_transforms",
    "default",
    "required",
    "when",
    "reverse_when",
    "direction",
];

/// What a rule reads.
#[derive(Debug, Clone)]
pub(crate) enum Input {
    Path(Path),
    Paths(Vec<Path>),
    Value(Value),
}

impl Input {
    /// The field named in errors.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Path(p) => p.to_string(),
            Self::Paths(ps) => ps.iter().map(Path::as_str).collect::<Vec<_>>().join(" + "),
            Self::Value(_) => "(constant)".into(),
        }
    }

    fn paths(&self) -> &[Path] {
        match self {
            Self::Path(p) => std::slice::from_ref(p),
            Self::Paths(ps) => ps,
            Self::Value(_) => &[],
        }
    }
}

/// A validated rule.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub(crate) info: RuleRef,
    pub(crate) input: Input,
    /// What the rule reads, as apply-time errors name it.
    pub(crate) field: String,
    pub(crate) target: Path,
    pub(crate) forward: Vec<Transform>,
    /// The chain run in reverse; `None` when the rule does not run in reverse.
    pub(crate) reverse: Option<Vec<Transform>>,
    pub(crate) default: Option<Value>,
    pub(crate) required: bool,
    pub(crate) when: Option<Condition>,
    pub(crate) reverse_when: Option<Condition>,
    pub(crate) direction: Direction,
}

/// A loaded, validated mapping spec, ready to [`apply`](Spec::apply) and
/// [`reverse`](Spec::reverse). Cheap to clone; `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Spec {
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) record_id: Option<Path>,
    pub(crate) target_record_id: Option<Path>,
    pub(crate) context: Map<String, Value>,
    pub(crate) rules: Vec<Rule>,
    /// Record paths that non-wildcard rules read: wildcard rules skip these keys forward.
    pub(crate) read_paths: Vec<Vec<Segment>>,
    /// Paths that non-wildcard rules write: wildcard rules skip these keys in reverse.
    pub(crate) written_paths: Vec<Vec<Segment>>,
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "spec {} ({} rules)",
            self.name.as_deref().unwrap_or("(unnamed)"),
            self.rules.len()
        )
    }
}

impl Spec {
    /// Loads a spec from TOML text and validates it against `registry`.
    ///
    /// # Errors
    /// [`FieldMapError::Syntax`] for invalid TOML; [`FieldMapError::Rule`],
    /// [`FieldMapError::UnknownTransform`], [`FieldMapError::TransformArgs`],
    /// [`FieldMapError::Path`] or [`FieldMapError::Condition`] naming the line, the rule and
    /// its target.
    pub fn from_toml_str(text: &str, registry: &TransformRegistry) -> Result<Self, FieldMapError> {
        let (value, lines) = load::toml(text)?;
        Self::from_value(value, &lines, registry)
    }

    /// Loads a spec from JSON text (the same model as TOML). JSON carries no positions, so
    /// errors name the rule number and target, and only syntax errors a line.
    ///
    /// # Errors
    /// As [`Spec::from_toml_str`].
    pub fn from_json_str(text: &str, registry: &TransformRegistry) -> Result<Self, FieldMapError> {
        let (value, lines) = load::json(text)?;
        Self::from_value(value, &lines, registry)
    }

    /// Loads a spec file: JSON when the name ends in `.json`, TOML otherwise.
    ///
    /// # Errors
    /// [`FieldMapError::Io`] when the file cannot be read; otherwise as
    /// [`Spec::from_toml_str`].
    pub fn from_file(
        path: impl AsRef<FsPath>,
        registry: &TransformRegistry,
    ) -> Result<Self, FieldMapError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| FieldMapError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let is_json = path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
        if is_json {
            Self::from_json_str(&text, registry)
        } else {
            Self::from_toml_str(&text, registry)
        }
    }

    /// Validates a spec built in code.
    ///
    /// # Errors
    /// As [`Spec::from_toml_str`], without lines.
    pub fn from_def(def: SpecDef, registry: &TransformRegistry) -> Result<Self, FieldMapError> {
        compile(def, &Lines::default(), registry)
    }

    fn from_value(
        value: Value,
        lines: &Lines,
        registry: &TransformRegistry,
    ) -> Result<Self, FieldMapError> {
        let def = read_def(value, lines)?;
        compile(def, lines, registry)
    }

    /// The spec's `name`.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The spec's `description`.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The rules, in order, as errors and reports name them.
    pub fn rules(&self) -> impl Iterator<Item = &RuleRef> {
        self.rules.iter().map(|r| &r.info)
    }

    /// The rules [`Spec::reverse`] skips: constants, context reads, chains without an
    /// inverse, and rules declared `direction = "forward"`.
    pub fn one_way_rules(&self) -> Vec<&RuleRef> {
        self.rules
            .iter()
            .filter(|r| r.reverse.is_none())
            .map(|r| &r.info)
            .collect()
    }

    /// The spec's default context values (its `[context]` table).
    pub fn context_defaults(&self) -> &Map<String, Value> {
        &self.context
    }
}

fn single(key: &str, value: &Value) -> Value {
    let mut map = Map::new();
    map.insert(key.to_owned(), value.clone());
    Value::Object(map)
}

fn expected(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn rule_error(at: SpecLocation, message: impl Into<String>) -> FieldMapError {
    FieldMapError::Rule {
        at: Box::new(at),
        message: message.into(),
    }
}

/// Reads the model from a parsed document, checking keys and types one at a time so each
/// problem names its own line.
fn read_def(value: Value, lines: &Lines) -> Result<SpecDef, FieldMapError> {
    let header_at = |key: &str| SpecLocation {
        line: lines.line(&format!("/{}", pointer_key(key))),
        ..SpecLocation::default()
    };
    let Value::Object(mut top) = value else {
        return Err(rule_error(
            SpecLocation::default(),
            "a spec is a table of `name`, `record_id`, …, and [[rule]] tables",
        ));
    };
    for (key, value) in &top {
        if !HEADER_KEYS.contains(&key.as_str()) {
            return Err(rule_error(
                header_at(key),
                format!(
                    "unknown key `{key}`; expected one of {}",
                    expected(&HEADER_KEYS)
                ),
            ));
        }
        if key != "rule" {
            serde_json::from_value::<SpecDef>(single(key, value))
                .map_err(|e| rule_error(header_at(key), format!("`{key}`: {e}")))?;
        }
    }
    let rules = match top.remove("rule") {
        None => Vec::new(),
        Some(Value::Array(rules)) => rules,
        Some(_) => {
            return Err(rule_error(
                header_at("rule"),
                "`rule` must be a list of tables, written [[rule]]",
            ));
        }
    };
    let mut def: SpecDef = serde_json::from_value(Value::Object(top))
        .map_err(|e| rule_error(SpecLocation::default(), e.to_string()))?;
    for (index, rule) in rules.into_iter().enumerate() {
        let pointer = format!("/rule/{index}");
        let Value::Object(table) = &rule else {
            return Err(rule_error(
                SpecLocation {
                    line: lines.line(&pointer),
                    rule: Some(index + 1),
                    target: None,
                },
                "a rule is a table",
            ));
        };
        let target = table
            .get("target")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let at = |key: &str| SpecLocation {
            line: lines.line(&format!("{pointer}/{}", pointer_key(key))),
            rule: Some(index + 1),
            target: target.clone(),
        };
        for (key, value) in table {
            if !RULE_KEYS.contains(&key.as_str()) {
                return Err(rule_error(
                    at(key),
                    format!(
                        "unknown key `{key}`; expected one of {}",
                        expected(&RULE_KEYS)
                    ),
                ));
            }
            serde_json::from_value::<RuleDef>(single(key, value))
                .map_err(|e| rule_error(at(key), format!("`{key}`: {e}")))?;
        }
        let rule_def = serde_json::from_value::<RuleDef>(rule)
            .map_err(|e| rule_error(at(""), e.to_string()))?;
        def.rules.push(rule_def);
    }
    Ok(def)
}

/// Builds the locations of one rule.
struct RuleSite<'a> {
    lines: &'a Lines,
    pointer: String,
    index: usize,
    target: Option<String>,
}

impl RuleSite<'_> {
    fn at(&self, sub: &str) -> Box<SpecLocation> {
        Box::new(SpecLocation {
            line: self.lines.line(&format!("{}{sub}", self.pointer)),
            rule: Some(self.index + 1),
            target: self.target.clone(),
        })
    }

    fn error(&self, sub: &str, message: impl Into<String>) -> FieldMapError {
        FieldMapError::Rule {
            at: self.at(sub),
            message: message.into(),
        }
    }

    fn path(&self, sub: &str, text: &str) -> Result<Path, FieldMapError> {
        Path::parse(text).map_err(|source| FieldMapError::Path {
            at: self.at(sub),
            path: text.to_owned(),
            source,
        })
    }

    fn path_error(&self, sub: &str, text: &str, message: &str) -> FieldMapError {
        FieldMapError::Path {
            at: self.at(sub),
            path: text.to_owned(),
            source: super::error::PathError::Syntax {
                position: 1,
                message: message.to_owned(),
            },
        }
    }

    fn chain(
        &self,
        key: &str,
        defs: &[TransformDef],
        registry: &TransformRegistry,
    ) -> Result<Vec<Transform>, FieldMapError> {
        defs.iter()
            .enumerate()
            .map(|(j, def)| {
                let sub = format!("/{key}/{j}");
                let (name, args) = match def {
                    TransformDef::Name(name) => (name.clone(), Map::new()),
                    TransformDef::Table(table) => {
                        let mut args = table.clone();
                        match args.remove("name") {
                            Some(Value::String(name)) => (name, args),
                            _ => {
                                return Err(
                                    self.error(&sub, "a transform table needs `name = \"…\"`")
                                );
                            }
                        }
                    }
                };
                match registry.build(&name, &args) {
                    None => Err(FieldMapError::UnknownTransform {
                        at: self.at(&sub),
                        name,
                    }),
                    Some(Err(e)) => Err(FieldMapError::TransformArgs {
                        at: self.at(&sub),
                        transform: name,
                        message: e.message().to_owned(),
                    }),
                    Some(Ok(transform)) => Ok(transform),
                }
            })
            .collect()
    }

    fn condition(
        &self,
        key: &str,
        value: Option<&Value>,
    ) -> Result<Option<Condition>, FieldMapError> {
        let Some(value) = value else {
            return Ok(None);
        };
        Condition::compile(value, &format!("/{key}"))
            .map(Some)
            .map_err(|e| match e {
                ConditionError::Message { pointer, message } => FieldMapError::Condition {
                    at: self.at(&pointer),
                    message,
                },
                ConditionError::Path {
                    pointer,
                    path,
                    source,
                } => FieldMapError::Path {
                    at: self.at(&pointer),
                    path,
                    source,
                },
            })
    }
}

fn compile(
    def: SpecDef,
    lines: &Lines,
    registry: &TransformRegistry,
) -> Result<Spec, FieldMapError> {
    let header_path = |key: &str, text: &Option<String>| -> Result<Option<Path>, FieldMapError> {
        let Some(text) = text else { return Ok(None) };
        let at = Box::new(SpecLocation {
            line: lines.line(&format!("/{key}")),
            ..SpecLocation::default()
        });
        let path = Path::parse(text).map_err(|source| FieldMapError::Path {
            at: at.clone(),
            path: text.clone(),
            source,
        })?;
        if path.is_wildcard() || path.is_context() {
            return Err(FieldMapError::Path {
                at,
                path: text.clone(),
                source: super::error::PathError::Syntax {
                    position: 1,
                    message: format!("`{key}` must be a plain record path"),
                },
            });
        }
        Ok(Some(path))
    };
    let record_id = header_path("record_id", &def.record_id)?;
    let target_record_id = header_path("target_record_id", &def.target_record_id)?;

    let rules = def
        .rules
        .iter()
        .enumerate()
        .map(|(index, rule)| compile_rule(index, rule, lines, registry))
        .collect::<Result<Vec<_>, _>>()?;

    let mut read_paths = Vec::new();
    let mut written_paths = Vec::new();
    for rule in rules.iter().filter(|r| !r.target.is_wildcard()) {
        written_paths.push(rule.target.segments().to_vec());
        read_paths.extend(
            rule.input
                .paths()
                .iter()
                .filter(|p| !p.is_context())
                .map(|p| p.segments().to_vec()),
        );
    }
    Ok(Spec {
        name: def.name,
        description: def.description,
        record_id,
        target_record_id,
        context: def.context,
        rules,
        read_paths,
        written_paths,
    })
}

fn compile_rule(
    index: usize,
    def: &RuleDef,
    lines: &Lines,
    registry: &TransformRegistry,
) -> Result<Rule, FieldMapError> {
    let site = RuleSite {
        lines,
        pointer: format!("/rule/{index}"),
        index,
        target: def.target.clone(),
    };
    let Some(target_text) = &def.target else {
        return Err(site.error("", "missing required key `target`"));
    };
    let target = site.path("/target", target_text)?;
    if target.is_context() {
        return Err(site.path_error("/target", target_text, "a target cannot be a `$ctx` path"));
    }

    let given = [
        def.source.is_some(),
        def.sources.is_some(),
        def.value.is_some(),
    ]
    .iter()
    .filter(|g| **g)
    .count();
    if given == 0 {
        return Err(site.error("", "a rule needs one of `source`, `sources` or `value`"));
    }
    if given > 1 {
        return Err(site.error("", "`source`, `sources` and `value` exclude each other"));
    }
    let input = match (&def.source, &def.sources, &def.value) {
        (Some(text), _, _) => {
            let path = site.path("/source", text)?;
            if path.is_context() && path.segments().is_empty() {
                return Err(site.path_error("/source", text, "name a context variable"));
            }
            Input::Path(path)
        }
        (_, Some(texts), _) => {
            if texts.is_empty() {
                return Err(site.error("/sources", "`sources` must list at least one path"));
            }
            let paths = texts
                .iter()
                .enumerate()
                .map(|(i, text)| {
                    let path = site.path(&format!("/sources/{i}"), text)?;
                    if path.is_wildcard() {
                        return Err(site.path_error(
                            &format!("/sources/{i}"),
                            text,
                            "`sources` cannot hold a wildcard path",
                        ));
                    }
                    Ok(path)
                })
                .collect::<Result<Vec<_>, _>>()?;
            Input::Paths(paths)
        }
        (_, _, Some(value)) => Input::Value(value.clone()),
        (None, None, None) => {
            return Err(site.error("", "a rule needs one of `source`, `sources` or `value`"));
        }
    };

    let source_wildcard = matches!(&input, Input::Path(p) if p.is_wildcard());
    if source_wildcard != target.is_wildcard() {
        return Err(site.error(
            "",
            "a wildcard rule needs a `*` key pattern in both `source` and `target` \
             (e.g. source = \"discretionary_data.*\", target = \"PT_*__c\")",
        ));
    }
    if target.is_wildcard() && (def.default.is_some() || def.required) {
        return Err(site.error(
            "",
            "`default` and `required` do not apply to wildcard rules",
        ));
    }

    let forward = site.chain("transforms", &def.transforms, registry)?;
    let explicit_reverse = def
        .reverse_transforms
        .as_ref()
        .map(|defs| site.chain("reverse_transforms", defs, registry))
        .transpose()?;
    let when = site.condition("when", def.when.as_ref())?;
    let reverse_when = site.condition("reverse_when", def.reverse_when.as_ref())?;

    let forward_only_input = match &input {
        Input::Value(_) => true,
        Input::Path(p) => p.is_context(),
        Input::Paths(ps) => ps.iter().any(Path::is_context),
    };
    let first_one_way = forward.iter().find(|t| !t.is_invertible());
    let reverse_chain = explicit_reverse.or_else(|| {
        forward
            .iter()
            .rev()
            .map(Transform::inverse)
            .collect::<Option<Vec<_>>>()
    });
    let direction = match def.direction {
        None if forward_only_input || reverse_chain.is_none() => Direction::Forward,
        None => Direction::Both,
        Some(Direction::Forward) => Direction::Forward,
        Some(declared) => {
            if forward_only_input {
                return Err(site.error(
                    "/direction",
                    "a rule with `value` or a `$ctx` source only runs forward",
                ));
            }
            if reverse_chain.is_none() {
                let name = first_one_way.map(Transform::name).unwrap_or_default();
                return Err(site.error(
                    "/direction",
                    format!(
                        "transform `{name}` has no inverse: add `reverse_transforms` or set \
                         direction = \"forward\""
                    ),
                ));
            }
            declared
        }
    };
    let reverse = match direction {
        Direction::Forward => None,
        Direction::Reverse | Direction::Both => reverse_chain,
    };

    Ok(Rule {
        info: RuleRef {
            index: index + 1,
            name: def.name.clone(),
            target: target_text.clone(),
            line: lines.line(&site.pointer),
        },
        field: input.describe(),
        input,
        target,
        forward,
        reverse,
        default: def.default.clone(),
        required: def.required,
        when,
        reverse_when,
        direction,
    })
}
