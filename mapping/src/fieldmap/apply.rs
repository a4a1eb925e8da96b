//! Running a spec: [`Spec::apply`] (source → target) and [`Spec::reverse`] (target → source).

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::context::{Context, Scope};
use super::error::{FieldMapError, RecordLocation, RuleRef, StepError};
use super::path::{Path, Segment, kind_of, set_in};
use super::registry::Transform;
use super::spec::{Direction, Input, Rule, Spec};

/// What [`Spec::reverse`] gives back.
#[derive(Debug, Clone, PartialEq)]
pub struct Reversed {
    /// The source-shaped record rebuilt from the target record.
    pub record: Value,
    /// The rules that do not run in reverse (constants, context reads, chains without an
    /// inverse, `direction = "forward"`): their source fields are not rebuilt.
    pub one_way: Vec<RuleRef>,
}

/// Runs a chain; a `null` result ends it with no value.
fn run(chain: &[Transform], mut value: Value) -> Result<Option<Value>, (String, StepError)> {
    for transform in chain {
        value = transform
            .apply(&value)
            .map_err(|e| (transform.name().to_owned(), e))?;
        if value.is_null() {
            return Ok(None);
        }
    }
    Ok(Some(value))
}

fn id_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Whether a non-wildcard rule reads (or writes) the key `key` of the object at `parent`.
fn claimed(paths: &[Vec<Segment>], parent: &[Segment], key: &str) -> bool {
    paths.iter().any(|p| {
        p.starts_with(parent) && matches!(p.get(parent.len()), Some(Segment::Key(k)) if k == key)
    })
}

fn field_of(parent: &Path, key: &str) -> String {
    let base = parent.as_str();
    match base.rfind('.') {
        Some(dot) => format!("{}.{key}", &base[..dot]),
        None => key.to_owned(),
    }
}

/// One apply or reverse run: the record id and the output so far.
struct Run<'a> {
    record_id: Option<String>,
    out: Value,
    written: HashSet<Vec<Segment>>,
    rule: Option<&'a Rule>,
}

impl<'a> Run<'a> {
    fn new(record_id: Option<String>) -> Self {
        Self {
            record_id,
            out: Value::Object(Map::new()),
            written: HashSet::new(),
            rule: None,
        }
    }

    fn at(&self, field: &str) -> Box<RecordLocation> {
        Box::new(RecordLocation {
            record_id: self.record_id.clone(),
            rule: self
                .rule
                .map(|r| r.info.clone())
                .unwrap_or_else(|| RuleRef {
                    index: 0,
                    name: None,
                    target: String::new(),
                    line: None,
                }),
            field: field.to_owned(),
        })
    }

    fn transform(
        &self,
        chain: &[Transform],
        value: Value,
        field: &str,
    ) -> Result<Option<Value>, FieldMapError> {
        run(chain, value).map_err(|(transform, source)| FieldMapError::Transform {
            at: self.at(field),
            transform,
            source,
        })
    }

    /// Writes `value` at `segments` unless an earlier rule wrote there.
    fn write(
        &mut self,
        segments: &[Segment],
        value: Value,
        field: &str,
    ) -> Result<(), FieldMapError> {
        if self.written.contains(segments) {
            return Ok(());
        }
        set_in(&mut self.out, segments, value).map_err(|source| FieldMapError::Write {
            at: self.at(field),
            source,
        })?;
        self.written.insert(segments.to_vec());
        Ok(())
    }

    fn object<'v>(
        &self,
        value: Option<&'v Value>,
        field: &str,
    ) -> Result<Option<&'v Map<String, Value>>, FieldMapError> {
        match value {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(other) => Err(FieldMapError::Shape {
                at: self.at(field),
                message: format!("expected an object, found {}", kind_of(other)),
            }),
        }
    }
}

impl Spec {
    /// Maps a source record to a target record.
    ///
    /// Rules run in order. A rule whose `when` does not hold is skipped; so is a rule whose
    /// target an earlier rule already wrote (the first value wins, which makes if/else chains
    /// and fallbacks). A missing or `null` source gives the rule's `default`, or an error when
    /// the rule is `required`, or nothing.
    ///
    /// # Errors
    /// [`FieldMapError::Transform`], [`FieldMapError::MissingRequired`],
    /// [`FieldMapError::Write`] or [`FieldMapError::Shape`], naming the record (by the spec's
    /// `record_id`), the rule and the field.
    pub fn apply(&self, source: &Value, context: &Context) -> Result<Value, FieldMapError> {
        let scope = Scope {
            record: source,
            context,
            defaults: &self.context,
        };
        let record_id = self
            .record_id
            .as_ref()
            .and_then(|p| scope.present(p))
            .map(id_text);
        let mut run = Run::new(record_id);
        for rule in &self.rules {
            if rule.direction == Direction::Reverse {
                continue;
            }
            if rule.when.as_ref().is_some_and(|c| !c.evaluate(&scope)) {
                continue;
            }
            run.rule = Some(rule);
            if rule.target.is_wildcard() {
                self.forward_wildcard(rule, &scope, &mut run)?;
                continue;
            }
            let field = rule.field.as_str();
            if run.written.contains(rule.target.segments()) {
                continue;
            }
            let input = match &rule.input {
                Input::Path(path) => scope.present(path).cloned(),
                Input::Value(value) => Some(value.clone()),
                Input::Paths(paths) => {
                    let values: Vec<Value> = paths
                        .iter()
                        .map(|p| scope.present(p).cloned().unwrap_or(Value::Null))
                        .collect();
                    values
                        .iter()
                        .any(|v| !v.is_null())
                        .then_some(Value::Array(values))
                }
            };
            let value = match input {
                Some(input) => run.transform(&rule.forward, input, field)?,
                None => None,
            };
            match value.or_else(|| rule.default.clone()) {
                Some(value) => run.write(rule.target.segments(), value, field)?,
                None if rule.required => {
                    return Err(FieldMapError::MissingRequired { at: run.at(field) });
                }
                None => {}
            }
        }
        Ok(run.out)
    }

    fn forward_wildcard(
        &self,
        rule: &Rule,
        scope: &Scope<'_>,
        run: &mut Run<'_>,
    ) -> Result<(), FieldMapError> {
        let Input::Path(source) = &rule.input else {
            return Ok(());
        };
        let (Some(source_pattern), Some(target_pattern)) =
            (source.pattern(), rule.target.pattern())
        else {
            return Ok(());
        };
        let Some(object) = run.object(scope.get(source), source.as_str())? else {
            return Ok(());
        };
        for (key, value) in object {
            let Some(capture) = source_pattern.capture(key) else {
                continue;
            };
            if value.is_null()
                || (!source.is_context() && claimed(&self.read_paths, source.segments(), key))
            {
                continue;
            }
            let field = field_of(source, key);
            let mut segments = rule.target.segments().to_vec();
            segments.push(Segment::Key(target_pattern.expand(capture)));
            if run.written.contains(&segments) {
                continue;
            }
            if let Some(value) = run.transform(&rule.forward, value.clone(), &field)? {
                run.write(&segments, value, &field)?;
            }
        }
        Ok(())
    }

    /// Maps a target record back to a source record, with the inverse of each rule's chain
    /// (or its `reverse_transforms`). Rules that cannot run in reverse are skipped and listed
    /// in [`Reversed::one_way`].
    ///
    /// Rules run in spec order, and the first value written to a source path wins, as
    /// forward. A rule with `reverse_when` runs when that condition holds on the target
    /// record; a rule with only `when` runs when `when` holds on the source record as rebuilt
    /// by the rules above it (so a `transaction_type` restored by an earlier rule can select
    /// the refund rule). `required` and `default` apply forward only.
    ///
    /// # Errors
    /// As [`Spec::apply`], naming the record by the spec's `target_record_id`.
    pub fn reverse(&self, target: &Value, context: &Context) -> Result<Reversed, FieldMapError> {
        let target_scope = Scope {
            record: target,
            context,
            defaults: &self.context,
        };
        let record_id = self
            .target_record_id
            .as_ref()
            .and_then(|p| target_scope.present(p))
            .map(id_text);
        let mut run = Run::new(record_id);
        for rule in &self.rules {
            let Some(chain) = &rule.reverse else {
                continue;
            };
            let holds = match (&rule.reverse_when, &rule.when) {
                (Some(condition), _) => condition.evaluate(&target_scope),
                (None, Some(condition)) => condition.evaluate(&Scope {
                    record: &run.out,
                    context,
                    defaults: &self.context,
                }),
                (None, None) => true,
            };
            if !holds {
                continue;
            }
            run.rule = Some(rule);
            if rule.target.is_wildcard() {
                self.reverse_wildcard(rule, chain, &target_scope, &mut run)?;
                continue;
            }
            let field = rule.target.as_str();
            let Some(value) = target_scope.present(&rule.target) else {
                continue;
            };
            let Some(value) = run.transform(chain, value.clone(), field)? else {
                continue;
            };
            match &rule.input {
                Input::Path(path) => run.write(path.segments(), value, field)?,
                Input::Paths(paths) => {
                    let items = match value {
                        Value::Array(items) if items.len() <= paths.len() => items,
                        other => {
                            return Err(FieldMapError::Shape {
                                at: run.at(field),
                                message: format!(
                                    "the reverse chain must give a list of at most {} values \
                                     for `sources`, got {}",
                                    paths.len(),
                                    match &other {
                                        Value::Array(items) => format!("{} values", items.len()),
                                        v => kind_of(v).to_owned(),
                                    }
                                ),
                            });
                        }
                    };
                    for (path, item) in paths.iter().zip(items) {
                        if !item.is_null() {
                            run.write(path.segments(), item, field)?;
                        }
                    }
                }
                Input::Value(_) => {}
            }
        }
        Ok(Reversed {
            record: run.out,
            one_way: self.one_way_rules().into_iter().cloned().collect(),
        })
    }

    fn reverse_wildcard(
        &self,
        rule: &Rule,
        chain: &[Transform],
        target_scope: &Scope<'_>,
        run: &mut Run<'_>,
    ) -> Result<(), FieldMapError> {
        let Input::Path(source) = &rule.input else {
            return Ok(());
        };
        let (Some(source_pattern), Some(target_pattern)) =
            (source.pattern(), rule.target.pattern())
        else {
            return Ok(());
        };
        let Some(object) = run.object(target_scope.get(&rule.target), rule.target.as_str())? else {
            return Ok(());
        };
        for (key, value) in object {
            let Some(capture) = target_pattern.capture(key) else {
                continue;
            };
            if value.is_null() || claimed(&self.written_paths, rule.target.segments(), key) {
                continue;
            }
            let field = field_of(&rule.target, key);
            let mut segments = source.segments().to_vec();
            segments.push(Segment::Key(source_pattern.expand(capture)));
            if run.written.contains(&segments) {
                continue;
            }
            if let Some(value) = run.transform(chain, value.clone(), &field)? {
                run.write(&segments, value, &field)?;
            }
        }
        Ok(())
    }
}
