//! Entity-set definitions: properties with types and defaults, keys, navigation properties.
//!
//! Both flavours describe their sets with these static tables; the generic engine
//! ([`super::engine`]) uses them for validation, defaults, `$select`/`$expand`, keys, URLs and
//! `$metadata`.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::odata::value::{self, dec_json};

/// EDM type of a property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    /// `Edm.String`.
    Str,
    /// `Edm.Int32`/`Edm.Int64`.
    Int,
    /// `Edm.Decimal` (JSON number).
    Dec,
    /// `Edm.Boolean`.
    Bool,
    /// `Edm.Guid`.
    Guid,
    /// `Edm.DateTimeOffset`.
    Dto,
    /// F&O date-only field: `Edm.DateTimeOffset` on the wire, stored and read back at noon UTC
    /// (reference §1.5); the empty date is `1900-01-01T12:00:00Z`.
    FnoDate,
    /// `Edm.Date`.
    Date,
    /// An enum type (the short type name); JSON values are the member names.
    Enum(&'static str),
}

impl Ty {
    /// The EDM name used in `$metadata`.
    pub(crate) fn edm(self, ns: &str) -> String {
        match self {
            Self::Str => "Edm.String".into(),
            Self::Int => "Edm.Int64".into(),
            Self::Dec => "Edm.Decimal".into(),
            Self::Bool => "Edm.Boolean".into(),
            Self::Guid => "Edm.Guid".into(),
            Self::Dto | Self::FnoDate => "Edm.DateTimeOffset".into(),
            Self::Date => "Edm.Date".into(),
            Self::Enum(t) => format!("{ns}.{t}"),
        }
    }
}

/// Default of a property on create.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dv {
    /// `""`.
    Empty,
    /// `0`.
    Zero,
    /// `false`.
    False,
    /// F&O `NoYes` "No".
    No,
    /// F&O empty date `1900-01-01T12:00:00Z`.
    NoDate,
    /// BC empty date `0001-01-01`.
    BcNoDate,
    /// BC empty GUID.
    ZeroGuid,
    /// The current instant (UTC), e.g. `lastModifiedDateTime`.
    Now,
    /// A fixed string.
    Str(&'static str),
    /// A fixed integer.
    Int(i64),
}

/// F&O's empty-date sentinel.
pub(crate) const FNO_NO_DATE: &str = "1900-01-01T12:00:00Z";
/// BC's empty date.
pub(crate) const BC_NO_DATE: &str = "0001-01-01";
/// The empty GUID.
pub(crate) const ZERO_GUID: &str = "00000000-0000-0000-0000-000000000000";

impl Dv {
    /// The JSON value of this default at `now`.
    pub(crate) fn value(self, now: DateTime<Utc>) -> Value {
        match self {
            Self::Empty => Value::String(String::new()),
            Self::Zero => Value::from(0),
            Self::False => Value::Bool(false),
            Self::No => Value::String("No".into()),
            Self::NoDate => Value::String(FNO_NO_DATE.into()),
            Self::BcNoDate => Value::String(BC_NO_DATE.into()),
            Self::ZeroGuid => Value::String(ZERO_GUID.into()),
            Self::Now => Value::String(value::format_instant(now)),
            Self::Str(s) => Value::String(s.into()),
            Self::Int(i) => Value::from(i),
        }
    }
}

/// One property.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Prop {
    pub(crate) name: &'static str,
    pub(crate) ty: Ty,
    pub(crate) dv: Dv,
    /// Server-maintained: ignored when a client writes it.
    pub(crate) read_only: bool,
}

/// A writable property.
pub(crate) const fn p(name: &'static str, ty: Ty, dv: Dv) -> Prop {
    Prop {
        name,
        ty,
        dv,
        read_only: false,
    }
}

/// A server-maintained property (writes are ignored).
pub(crate) const fn ro(name: &'static str, ty: Ty, dv: Dv) -> Prop {
    Prop {
        name,
        ty,
        dv,
        read_only: true,
    }
}

/// A navigation property: child rows whose `child` properties equal the parent's `parent`
/// properties.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Nav {
    pub(crate) name: &'static str,
    pub(crate) target: &'static str,
    /// (parent property, child property) pairs.
    pub(crate) on: &'static [(&'static str, &'static str)],
    /// Collection-valued (else single-valued).
    pub(crate) many: bool,
}

/// One entity set.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SetDef {
    /// Entity set name as in URLs (`CustomersV3`, `customers`).
    pub(crate) name: &'static str,
    /// Entity type name without namespace (`CustomerV3`, `customer`).
    pub(crate) type_name: &'static str,
    /// F&O: AOT entity name used in Infolog texts; BC: table caption used in error texts.
    pub(crate) caption: &'static str,
    /// Key properties, in URL order.
    pub(crate) keys: &'static [&'static str],
    pub(crate) props: &'static [Prop],
    pub(crate) navs: &'static [Nav],
    /// Whether POST/PATCH/PUT/DELETE are allowed.
    pub(crate) writable: bool,
}

impl SetDef {
    /// The property called `name`.
    pub(crate) fn prop(&self, name: &str) -> Option<&'static Prop> {
        self.props.iter().find(|p| p.name == name)
    }

    /// Whether `name` is a structural property.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.prop(name).is_some()
    }

    /// The navigation property called `name`.
    pub(crate) fn nav(&self, name: &str) -> Option<&'static Nav> {
        self.navs.iter().find(|n| n.name == name)
    }

    /// A row with every property at its default.
    pub(crate) fn defaults(&self, now: DateTime<Utc>) -> Map<String, Value> {
        self.props
            .iter()
            .map(|p| (p.name.to_owned(), p.dv.value(now)))
            .collect()
    }
}

/// Why a client-supplied value does not fit its property.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BadValue {
    pub(crate) prop: String,
    pub(crate) message: String,
}

const OUT_OF_RANGE: &str =
    "The value is outside the range the emulator accepts (±1,000,000,000,000).";

fn in_range(d: rust_decimal::Decimal) -> Option<rust_decimal::Decimal> {
    (d.abs() <= value::MAX_MAGNITUDE).then_some(d)
}

/// Check and normalise one JSON value for `prop` (dates to the flavour's format, numbers as
/// numbers, GUIDs lowercase).
pub(crate) fn coerce(prop: &Prop, v: Value) -> Result<Value, BadValue> {
    let bad = |what: &str| BadValue {
        prop: prop.name.to_owned(),
        message: what.to_owned(),
    };
    if v.is_null() {
        return Ok(v);
    }
    match prop.ty {
        Ty::Str | Ty::Enum(_) => match v {
            Value::String(_) => Ok(v),
            _ => Err(bad(
                "Cannot convert the literal to the expected type 'Edm.String'.",
            )),
        },
        Ty::Bool => match v {
            Value::Bool(_) => Ok(v),
            _ => Err(bad(
                "Cannot convert the literal to the expected type 'Edm.Boolean'.",
            )),
        },
        Ty::Int => {
            let d = value::json_decimal(&v)
                .filter(|d| d.fract().is_zero())
                .ok_or_else(|| {
                    bad("Cannot convert the literal to the expected type 'Edm.Int64'.")
                })?;
            in_range(d).map(dec_json).ok_or_else(|| bad(OUT_OF_RANGE))
        }
        Ty::Dec => {
            let d = value::json_decimal(&v).ok_or_else(|| {
                bad("Cannot convert the literal to the expected type 'Edm.Decimal'.")
            })?;
            in_range(d).map(dec_json).ok_or_else(|| bad(OUT_OF_RANGE))
        }
        Ty::Guid => match &v {
            Value::String(s) if value::is_guid(s) => Ok(Value::String(s.to_ascii_lowercase())),
            _ => Err(bad(
                "Cannot convert the literal to the expected type 'Edm.Guid'.",
            )),
        },
        Ty::Dto => {
            let Value::String(s) = &v else {
                return Err(bad(
                    "Cannot convert the literal to the expected type 'Edm.DateTimeOffset'.",
                ));
            };
            let parsed = value::parse_instant(s).ok_or_else(|| {
                bad("Cannot convert the literal to the expected type 'Edm.DateTimeOffset'.")
            })?;
            Ok(Value::String(value::format_instant(parsed)))
        }
        Ty::FnoDate => {
            let Value::String(s) = &v else {
                return Err(bad(
                    "Cannot convert the literal to the expected type 'Edm.DateTimeOffset'.",
                ));
            };
            let d = value::parse_date(s).ok_or_else(|| {
                bad("Cannot convert the literal to the expected type 'Edm.DateTimeOffset'.")
            })?;
            Ok(Value::String(value::fno_date(d)))
        }
        Ty::Date => {
            let Value::String(s) = &v else {
                return Err(bad("Unable to convert value to Date"));
            };
            let d = value::parse_date(s).ok_or_else(|| bad("Unable to convert value to Date"))?;
            Ok(Value::String(d.format("%Y-%m-%d").to_string()))
        }
    }
}
