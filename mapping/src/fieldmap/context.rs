//! The apply-time context: values a record does not carry (the ERP customer account, the
//! journal batch number, CRM ids, another source record), read by `$ctx.name` paths.

use serde_json::{Map, Value};

use super::path::{Path, Root, Segment, get_in};

/// Named values supplied when a spec is applied, read by `$ctx.<name>` paths in `source` and
/// in conditions. A value may be any JSON, so a whole record can be passed and read into
/// (`$ctx.opportunity.Campaign_Source__c`). A spec's `[context]` table gives defaults that the
/// context passed to [`Spec::apply`](super::Spec::apply) overrides.
///
/// ```
/// use mapping::fieldmap::Context;
/// use serde_json::json;
///
/// let ctx = Context::new()
///     .with("customer_account", "US-001")
///     .with("opportunity", json!({"Id": "006A", "Campaign_Source__c": "Spring"}));
/// assert_eq!(ctx.get("customer_account"), Some(&json!("US-001")));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    vars: Map<String, Value>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// The context with `name` set to `value` (builder style).
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.insert(name, value);
        self
    }

    /// Sets `name` to `value`, returning the previous value.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        self.vars.insert(name.into(), value.into())
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.vars.get(name)
    }

    /// Whether no variable is set.
    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }
}

impl From<Map<String, Value>> for Context {
    fn from(vars: Map<String, Value>) -> Self {
        Self { vars }
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Context {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self {
            vars: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

/// What a path can read during one apply: the record, the caller's context, the spec's
/// context defaults.
#[derive(Clone, Copy)]
pub(crate) struct Scope<'a> {
    pub(crate) record: &'a Value,
    pub(crate) context: &'a Context,
    pub(crate) defaults: &'a Map<String, Value>,
}

impl<'a> Scope<'a> {
    /// The value a path reads; `None` when missing. `null` is returned as is.
    pub(crate) fn get(&self, path: &Path) -> Option<&'a Value> {
        match path.root() {
            Root::Record => path.get(self.record),
            Root::Context => {
                let (first, rest) = path.segments().split_first()?;
                let Segment::Key(name) = first else {
                    return None;
                };
                let base = self.context.get(name).or_else(|| self.defaults.get(name))?;
                get_in(base, rest)
            }
        }
    }

    /// Like [`get`](Self::get), with `null` read as missing.
    pub(crate) fn present(&self, path: &Path) -> Option<&'a Value> {
        self.get(path).filter(|v| !v.is_null())
    }
}
