//! Named transforms, each with an optional inverse, and the registry specs look them up in.

use std::collections::BTreeMap;
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::error::StepError;
use super::path::kind_of;

/// A transform function: one JSON value in, one out. Returning `null` ends the chain and
/// leaves the field unset (the rule's `default` then applies).
pub type TransformFn = Arc<dyn Fn(&Value) -> Result<Value, StepError> + Send + Sync>;

/// The arguments of a transform as written in a spec: `{ name = "map", table = {…} }` gives
/// `{"table": {…}}` (everything except `name`).
pub type Args = Map<String, Value>;

type Factory = Arc<dyn Fn(&Args) -> Result<Transform, StepError> + Send + Sync>;

/// A transform ready to run: a name, the forward function and, when the transform is
/// invertible, its inverse.
#[derive(Clone)]
pub struct Transform {
    name: String,
    forward: TransformFn,
    inverse: Option<TransformFn>,
}

impl fmt::Debug for Transform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transform")
            .field("name", &self.name)
            .field("invertible", &self.inverse.is_some())
            .finish()
    }
}

impl Transform {
    /// A one-way transform.
    pub fn one_way<F>(name: impl Into<String>, forward: F) -> Self
    where
        F: Fn(&Value) -> Result<Value, StepError> + Send + Sync + 'static,
    {
        Self {
            name: name.into(),
            forward: Arc::new(forward),
            inverse: None,
        }
    }

    /// A transform with an inverse: `inverse(forward(x))` gives back `x` (or its normalised
    /// form, for transforms such as `trim` that normalise).
    pub fn invertible<F, G>(name: impl Into<String>, forward: F, inverse: G) -> Self
    where
        F: Fn(&Value) -> Result<Value, StepError> + Send + Sync + 'static,
        G: Fn(&Value) -> Result<Value, StepError> + Send + Sync + 'static,
    {
        Self {
            name: name.into(),
            forward: Arc::new(forward),
            inverse: Some(Arc::new(inverse)),
        }
    }

    /// The name it is registered under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether it has an inverse.
    pub fn is_invertible(&self) -> bool {
        self.inverse.is_some()
    }

    /// Runs the transform.
    ///
    /// # Errors
    /// The transform's own error for a value it cannot handle.
    pub fn apply(&self, value: &Value) -> Result<Value, StepError> {
        (self.forward)(value)
    }

    /// Runs the inverse; `None` when the transform has none.
    ///
    /// # Errors
    /// Inside the `Some`: the inverse's error for a value it cannot handle.
    pub fn invert(&self, value: &Value) -> Option<Result<Value, StepError>> {
        self.inverse.as_ref().map(|inverse| inverse(value))
    }

    /// The inverse as a transform of its own (named after this one), for building a
    /// reverse chain.
    pub(crate) fn inverse(&self) -> Option<Self> {
        self.inverse.as_ref().map(|inverse| Self {
            name: format!("{} (inverse)", self.name),
            forward: Arc::clone(inverse),
            inverse: Some(Arc::clone(&self.forward)),
        })
    }
}

/// The transforms a spec may name, each built from its arguments when the spec loads, so a
/// bad argument is a load-time error.
///
/// [`TransformRegistry::standard`] (also `Default`) holds the generic built-ins and the
/// domain transformers of [`crate::transform`]; [`TransformRegistry::builtin`] only the
/// generic ones; [`TransformRegistry::new`] none. Registering a name again replaces it.
///
/// ```
/// use mapping::fieldmap::{Context, Spec, StepError, TransformRegistry};
/// use serde_json::{Value, json};
///
/// let mut registry = TransformRegistry::standard();
/// // A flag as "Y"/"N", both ways.
/// registry.register(
///     "yn",
///     |v: &Value| match v {
///         Value::Bool(b) => Ok(json!(if *b { "Y" } else { "N" })),
///         _ => Err(StepError::new("expected a boolean")),
///     },
///     |v: &Value| match v.as_str() {
///         Some("Y") => Ok(json!(true)),
///         Some("N") => Ok(json!(false)),
///         _ => Err(StepError::new("expected Y or N")),
///     },
/// );
/// let spec = Spec::from_toml_str(
///     r#"
///     [[rule]]
///     target = "Recurring__c"
///     source = "recurring"
///     transforms = ["yn"]
///     "#,
///     &registry,
/// )?;
/// let out = spec.apply(&json!({"recurring": true}), &Context::new())?;
/// assert_eq!(out, json!({"Recurring__c": "Y"}));
/// assert_eq!(spec.reverse(&out, &Context::new())?.record, json!({"recurring": true}));
/// # Ok::<(), mapping::fieldmap::FieldMapError>(())
/// ```
#[derive(Clone, Default)]
pub struct TransformRegistry {
    factories: BTreeMap<String, Factory>,
}

impl fmt::Debug for TransformRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransformRegistry")
            .field("names", &self.factories.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl TransformRegistry {
    /// A registry with no transforms.
    pub fn new() -> Self {
        Self::default()
    }

    /// The generic built-in transforms (`trim`, `map`, `to_decimal`, `date`, …).
    pub fn builtin() -> Self {
        let mut registry = Self::new();
        super::builtin::register(&mut registry);
        registry
    }

    /// The built-ins plus the domain transformers of [`crate::transform`]
    /// (`paytrace_export_status`, `salesforce_payment_status`, `fno_date`, …).
    pub fn standard() -> Self {
        let mut registry = Self::builtin();
        super::domain::register(&mut registry);
        registry
    }

    /// Registers an invertible transform that takes no arguments.
    pub fn register<F, G>(&mut self, name: impl Into<String>, forward: F, inverse: G) -> &mut Self
    where
        F: Fn(&Value) -> Result<Value, StepError> + Send + Sync + 'static,
        G: Fn(&Value) -> Result<Value, StepError> + Send + Sync + 'static,
    {
        let name = name.into();
        let transform = Transform::invertible(name.clone(), forward, inverse);
        self.register_fixed(name, transform)
    }

    /// Registers a one-way transform that takes no arguments.
    pub fn register_one_way<F>(&mut self, name: impl Into<String>, forward: F) -> &mut Self
    where
        F: Fn(&Value) -> Result<Value, StepError> + Send + Sync + 'static,
    {
        let name = name.into();
        let transform = Transform::one_way(name.clone(), forward);
        self.register_fixed(name, transform)
    }

    fn register_fixed(&mut self, name: String, transform: Transform) -> &mut Self {
        self.factories.insert(
            name,
            Arc::new(move |args: &Args| {
                if let Some(key) = args.keys().next() {
                    return Err(StepError::new(format!("takes no arguments, got `{key}`")));
                }
                Ok(transform.clone())
            }),
        );
        self
    }

    /// Registers a transform built from its arguments when a spec loads. The factory checks
    /// the arguments (an error there is a load-time error naming the spec line) and returns
    /// the transform, invertible or not (the name it gives is replaced by `name`).
    pub fn register_with_args<F>(&mut self, name: impl Into<String>, factory: F) -> &mut Self
    where
        F: Fn(&Args) -> Result<Transform, StepError> + Send + Sync + 'static,
    {
        self.factories.insert(name.into(), Arc::new(factory));
        self
    }

    /// Whether `name` is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.factories.contains_key(name)
    }

    /// The registered names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.factories.keys().map(String::as_str)
    }

    /// Builds the transform `name` with `args`; `None` when `name` is not registered.
    ///
    /// # Errors
    /// Inside the `Some`: the factory's error for bad arguments.
    pub fn build(&self, name: &str, args: &Args) -> Option<Result<Transform, StepError>> {
        let factory = self.factories.get(name)?;
        Some(factory(args).map(|mut transform| {
            transform.name = name.to_owned();
            transform
        }))
    }
}

/// Adapts a typed function to a [`TransformFn`]-shaped closure: the JSON input is
/// deserialised into `T` (a number or boolean is also tried as its text, so a `String`
/// parameter accepts `99201`), and the output serialised.
///
/// ```
/// use mapping::fieldmap::{TransformRegistry, lift};
///
/// let mut registry = TransformRegistry::new();
/// registry.register_one_way("shout", lift(|s: String| format!("{}!", s.to_uppercase())));
/// ```
pub fn lift<T, R, F>(f: F) -> impl Fn(&Value) -> Result<Value, StepError> + Send + Sync + 'static
where
    T: DeserializeOwned,
    R: Serialize,
    F: Fn(T) -> R + Send + Sync + 'static,
{
    move |value| encode(f(decode(value)?))
}

/// Like [`lift`], for a fallible function; its error becomes the [`StepError`]'s
/// message and source.
pub fn lift_try<T, R, E, F>(
    f: F,
) -> impl Fn(&Value) -> Result<Value, StepError> + Send + Sync + 'static
where
    T: DeserializeOwned,
    R: Serialize,
    E: StdError + Send + Sync + 'static,
    F: Fn(T) -> Result<R, E> + Send + Sync + 'static,
{
    move |value| encode(f(decode(value)?).map_err(StepError::from_error)?)
}

fn decode<T: DeserializeOwned>(value: &Value) -> Result<T, StepError> {
    serde_json::from_value::<T>(value.clone()).or_else(|first| {
        let as_text = match value {
            Value::Number(n) => Value::String(n.to_string()),
            Value::Bool(b) => Value::String(b.to_string()),
            _ => {
                return Err(StepError::with_source(
                    format!("unexpected input ({})", kind_of(value)),
                    first,
                ));
            }
        };
        serde_json::from_value::<T>(as_text).map_err(|_| {
            StepError::with_source(format!("unexpected input ({})", kind_of(value)), first)
        })
    })
}

fn encode<R: Serialize>(output: R) -> Result<Value, StepError> {
    serde_json::to_value(output)
        .map_err(|e| StepError::with_source("the result does not serialise to JSON", e))
}
