//! The one error type of the field-mapping engine, and the locations it reports.

use std::error::Error as StdError;
use std::fmt;
use std::path::PathBuf;

/// The text format a spec was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SpecFormat {
    /// TOML, the primary format.
    Toml,
    /// JSON, the same model as TOML.
    Json,
}

impl fmt::Display for SpecFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Toml => "TOML",
            Self::Json => "JSON",
        })
    }
}

/// Where in a spec a load-time problem is: the line (when the spec came from TOML text), the
/// rule's number (1-based, in spec order) and the rule's target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecLocation {
    /// 1-based line in the spec text, when known.
    pub line: Option<usize>,
    /// 1-based rule number, when the problem is inside a rule.
    pub rule: Option<usize>,
    /// The rule's `target`, when it has one.
    pub target: Option<String>,
}

impl fmt::Display for SpecLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(line) = self.line {
            parts.push(format!("line {line}"));
        }
        if let Some(rule) = self.rule {
            parts.push(format!("rule {rule}"));
        }
        if let Some(target) = &self.target {
            parts.push(format!("target `{target}`"));
        }
        if parts.is_empty() {
            f.write_str("header")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// A rule as errors and reports name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRef {
    /// 1-based position of the rule in the spec.
    pub index: usize,
    /// The rule's optional `name`.
    pub name: Option<String>,
    /// The rule's `target` path, as written.
    pub target: String,
    /// 1-based line of the rule in the spec text, when the spec came from TOML text.
    pub line: Option<usize>,
}

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rule {} `{}`", self.index, self.target)?;
        if let Some(name) = &self.name {
            write!(f, " ({name})")?;
        }
        if let Some(line) = self.line {
            write!(f, " at line {line}")?;
        }
        Ok(())
    }
}

/// Which record, rule and field an apply-time error concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordLocation {
    /// The record's id, read with the spec's `record_id` path (`target_record_id` in
    /// reverse), when the spec names one and the record has it.
    pub record_id: Option<String>,
    /// The rule being applied.
    pub rule: RuleRef,
    /// The field being read (a source path forward, a target path in reverse).
    pub field: String,
}

impl fmt::Display for RecordLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.record_id {
            Some(id) => write!(f, "record {id}")?,
            None => f.write_str("record (no id)")?,
        }
        write!(f, ", {}, field `{}`", self.rule, self.field)
    }
}

/// A path that does not parse, or a write that a record's shape does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// The path is empty.
    #[error("the path is empty")]
    Empty,
    /// The path text is malformed.
    #[error("{message} at character {position}")]
    Syntax {
        /// 1-based character position of the problem.
        position: usize,
        /// What is wrong.
        message: String,
    },
    /// Writing needs an object (or array) where the record holds another kind of value.
    #[error("cannot write through `{at}`: it holds {found}, not {expected}")]
    Conflict {
        /// The prefix of the path that is in the way.
        at: String,
        /// What the record holds there (`"a string"`, …).
        found: &'static str,
        /// What the path needs there (`"an object"` or `"an array"`).
        expected: &'static str,
    },
}

/// The error one step of a rule's transform chain returns: a message, and the underlying
/// error when there is one (often a [`crate::transform::TransformError`]).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct StepError {
    message: String,
    #[source]
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

impl StepError {
    /// An error with a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// An error with a message and the error that caused it (kept as the source).
    pub fn with_source(
        message: impl Into<String>,
        source: impl StdError + Send + Sync + 'static,
    ) -> Self {
        Self {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// An error whose message is the display text of `source`, kept as the source.
    pub fn from_error(source: impl StdError + Send + Sync + 'static) -> Self {
        Self {
            message: source.to_string(),
            source: Some(Box::new(source)),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Everything that can go wrong loading a spec or applying it.
///
/// Load-time variants carry a [`SpecLocation`] (line, rule number, target); apply-time
/// variants carry a [`RecordLocation`] (record id, rule, field).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FieldMapError {
    /// A spec file could not be read.
    #[error("cannot read spec file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The spec text is not valid TOML or JSON.
    #[error("{format} syntax error in spec{}: {message}", line_suffix(*line, *column))]
    Syntax {
        /// The format being parsed.
        format: SpecFormat,
        /// 1-based line, when known.
        line: Option<usize>,
        /// 1-based column, when known.
        column: Option<usize>,
        /// The parser's message.
        message: String,
    },
    /// A rule names a transform the registry does not hold.
    #[error("spec {at}: unknown transform `{name}`")]
    UnknownTransform {
        /// Where.
        at: Box<SpecLocation>,
        /// The transform name as written.
        name: String,
    },
    /// A transform's arguments are missing, unknown or of the wrong type.
    #[error("spec {at}: bad arguments for transform `{transform}`: {message}")]
    TransformArgs {
        /// Where.
        at: Box<SpecLocation>,
        /// The transform.
        transform: String,
        /// What is wrong.
        message: String,
    },
    /// A path in the spec (target, source, condition, record id) does not parse or is used
    /// where it is not allowed.
    #[error("spec {at}: malformed path `{path}`: {source}")]
    Path {
        /// Where.
        at: Box<SpecLocation>,
        /// The path as written.
        path: String,
        /// Why it does not parse.
        #[source]
        source: PathError,
    },
    /// A `when` / `reverse_when` condition is malformed.
    #[error("spec {at}: bad condition: {message}")]
    Condition {
        /// Where.
        at: Box<SpecLocation>,
        /// What is wrong.
        message: String,
    },
    /// A rule (or the spec header) is malformed: a missing required key, an unknown key,
    /// keys that exclude each other, a direction its transforms cannot honour.
    #[error("spec {at}: {message}")]
    Rule {
        /// Where.
        at: Box<SpecLocation>,
        /// What is wrong.
        message: String,
    },
    /// A transform refused a record's value.
    #[error("{at}: transform `{transform}` failed: {source}")]
    Transform {
        /// Which record, rule and field.
        at: Box<RecordLocation>,
        /// The transform that failed.
        transform: String,
        /// The transform's error.
        #[source]
        source: StepError,
    },
    /// A `required` rule produced no value and has no `default`.
    #[error("{at}: required value is missing")]
    MissingRequired {
        /// Which record, rule and field.
        at: Box<RecordLocation>,
    },
    /// The value could not be written because the output record's shape is in the way.
    #[error("{at}: cannot write the value: {source}")]
    Write {
        /// Which record, rule and field.
        at: Box<RecordLocation>,
        /// What is in the way.
        #[source]
        source: PathError,
    },
    /// A value has the wrong shape for the rule (a wildcard source that is not an object, a
    /// multi-source inverse that is not an array of the right length).
    #[error("{at}: {message}")]
    Shape {
        /// Which record, rule and field.
        at: Box<RecordLocation>,
        /// What is wrong.
        message: String,
    },
}

fn line_suffix(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
        (Some(l), None) => format!(" at line {l}"),
        _ => String::new(),
    }
}

impl FieldMapError {
    fn spec_location(&self) -> Option<&SpecLocation> {
        match self {
            Self::UnknownTransform { at, .. }
            | Self::TransformArgs { at, .. }
            | Self::Path { at, .. }
            | Self::Condition { at, .. }
            | Self::Rule { at, .. } => Some(at),
            _ => None,
        }
    }

    fn record_location(&self) -> Option<&RecordLocation> {
        match self {
            Self::Transform { at, .. }
            | Self::MissingRequired { at }
            | Self::Write { at, .. }
            | Self::Shape { at, .. } => Some(at),
            _ => None,
        }
    }

    /// The 1-based spec line a load-time error points at (or the line of the rule an
    /// apply-time error comes from), when the spec came from TOML text.
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::Syntax { line, .. } => *line,
            _ => self
                .spec_location()
                .and_then(|at| at.line)
                .or_else(|| self.record_location().and_then(|at| at.rule.line)),
        }
    }

    /// The target of the rule the error concerns, when there is one.
    pub fn target(&self) -> Option<&str> {
        self.spec_location()
            .and_then(|at| at.target.as_deref())
            .or_else(|| self.record_location().map(|at| at.rule.target.as_str()))
    }

    /// The id of the record an apply-time error concerns, when known.
    pub fn record_id(&self) -> Option<&str> {
        self.record_location()
            .and_then(|at| at.record_id.as_deref())
    }

    /// The field an apply-time error concerns.
    pub fn field(&self) -> Option<&str> {
        self.record_location().map(|at| at.field.as_str())
    }

    /// The rule an apply-time error concerns.
    pub fn rule(&self) -> Option<&RuleRef> {
        self.record_location().map(|at| &at.rule)
    }
}
