//! Running a parsed query against the store: field and relationship checks with
//! Salesforce's messages, SOQL comparison semantics (case-insensitive text, `!=` and
//! `NOT IN` keep nulls, nulls first ascending), LIKE, ordering, OFFSET/LIMIT and the record
//! shape with `attributes` and nested parent objects.

use std::cmp::Ordering;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeDelta, TimeZone, Utc};
use serde_json::{Map, Value};

use super::SoqlError;
use super::lexer::{CmpOp, StrLit};
use super::parser::{Cond, Lit, Path, Query, RelDate, Select};
use crate::salesforce::ids;
use crate::salesforce::schema::{FieldMeta, FieldType};
use crate::salesforce::store::{Db, ObjectState, Record};
use crate::salesforce::util::{parse_date, parse_datetime};

/// Salesforce's cap on OFFSET.
const MAX_OFFSET: usize = 2000;

/// The result of a query.
#[derive(Debug, PartialEq)]
pub(crate) enum Outcome {
    /// `SELECT COUNT()`: the count, no rows.
    Count(usize),
    /// The projected records.
    Rows(Vec<Value>),
}

/// Run `q`; `all_rows` includes deleted records (`queryAll`).
pub(crate) fn run(
    db: &mut Db,
    mut q: Query,
    all_rows: bool,
    now: DateTime<Utc>,
    version: u32,
) -> Result<Outcome, SoqlError> {
    let object = db
        .resolve(&q.from)
        .filter(|n| db.obj(n).is_some_and(|o| !o.meta.is_event()))
        .ok_or_else(|| SoqlError::invalid_type(q.from_pos, &q.from))?;
    if q.offset.is_some_and(|o| o > MAX_OFFSET) {
        return Err(SoqlError {
            code: "NUMBER_OUTSIDE_VALID_RANGE",
            pos: None,
            message: format!(
                "Maximum SOQL offset allowed for apiVersion {version} is {MAX_OFFSET}"
            ),
        });
    }
    // Check every path once (defining open custom fields), and normalise literals.
    if let Select::Fields(paths) = &mut q.select {
        for p in paths.iter_mut() {
            check_path(db, &object, p)?;
        }
    }
    if let Some(c) = &mut q.filter {
        check_cond(db, &object, c)?;
    }
    for o in &mut q.order {
        check_path(db, &object, &mut o.path)?;
    }
    let db = &*db;
    let obj = db
        .obj(&object)
        .ok_or_else(|| SoqlError::invalid_type(q.from_pos, &q.from))?;
    let today = now.date_naive();
    let mut rows: Vec<&Record> = obj
        .records
        .values()
        .filter(|r| all_rows || !r.deleted)
        .filter(|r| q.filter.as_ref().is_none_or(|c| eval(db, obj, r, c, today)))
        .collect();
    if !q.order.is_empty() {
        rows.sort_by(|a, b| {
            for item in &q.order {
                let va = value(db, obj, a, &item.path.parts);
                let vb = value(db, obj, b, &item.path.parts);
                let ord = match (va.is_null(), vb.is_null()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => null_order(item.nulls_last),
                    (false, true) => null_order(item.nulls_last).reverse(),
                    (false, false) => {
                        let o = cmp_values(&va, &vb);
                        if item.desc { o.reverse() } else { o }
                    }
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            Ordering::Equal
        });
    }
    let offset = q.offset.unwrap_or(0);
    let rows = rows
        .into_iter()
        .skip(offset)
        .take(q.limit.unwrap_or(usize::MAX));
    match &q.select {
        Select::Count => Ok(Outcome::Count(rows.count())),
        Select::Fields(paths) => Ok(Outcome::Rows(
            rows.map(|r| project(db, obj, r, paths, version)).collect(),
        )),
    }
}

fn null_order(nulls_last: bool) -> Ordering {
    if nulls_last {
        Ordering::Greater
    } else {
        Ordering::Less
    }
}

// ---- checking ------------------------------------------------------------------------

/// The canonical relationship key for `rel` on `o` (`account` → `Account`).
fn relationship_key(o: &ObjectState, rel: &str) -> Option<(String, FieldMeta)> {
    let fk = o.relationship_fk(rel)?.clone();
    let key = fk.relationship_name.clone().unwrap_or_else(|| {
        if let Some(base) = fk.name.strip_suffix("__c") {
            format!("{base}__r")
        } else {
            fk.name.strip_suffix("Id").unwrap_or(&fk.name).to_owned()
        }
    });
    Some((key, fk))
}

/// The object a foreign key points to, when it can be known without data.
fn target_object(db: &Db, fk: &FieldMeta, rel: &str) -> Option<String> {
    fk.reference_to
        .first()
        .and_then(|t| db.obj(t))
        .or_else(|| db.obj(rel))
        .map(|o| o.meta.name.clone())
}

/// Validate a path, canonicalise its names and define open custom fields.
fn check_path(db: &mut Db, object: &str, path: &mut Path) -> Result<(), SoqlError> {
    if path.parts.len() > 1
        && path.parts[0].eq_ignore_ascii_case(object)
        && db
            .obj(object)
            .is_some_and(|o| o.relationship_fk(&path.parts[0]).is_none())
    {
        path.parts.remove(0);
    }
    let mut current = Some(object.to_owned());
    let n = path.parts.len();
    for i in 0..n {
        let Some(obj_name) = current.clone() else {
            // Target unknown until run time (polymorphic or untyped lookup).
            return Ok(());
        };
        let Some(o) = db.obj_mut(&obj_name) else {
            return Ok(());
        };
        if i + 1 == n {
            let f = o
                .field_or_define(&path.parts[i], None)
                .ok_or_else(|| SoqlError::no_such_column(path.pos, &path.text, &obj_name))?;
            path.parts[i] = f.name;
            return Ok(());
        }
        let (key, fk) = relationship_key(o, &path.parts[i])
            .ok_or_else(|| SoqlError::bad_relationship(path.pos, &path.parts[i]))?;
        path.parts[i] = key;
        current = target_object(db, &fk, &path.parts[i]);
    }
    Ok(())
}

/// The field at the end of a path, when it can be known.
fn path_field(db: &Db, object: &str, parts: &[String]) -> Option<FieldMeta> {
    let o = db.obj(object)?;
    match parts {
        [f] => o.field(f).cloned(),
        [rel, rest @ ..] => {
            let (_, fk) = relationship_key(o, rel)?;
            path_field(db, &target_object(db, &fk, rel)?, rest)
        }
        [] => None,
    }
}

fn check_literal(path: &Path, f: &FieldMeta, lit: &mut Lit) -> Result<(), SoqlError> {
    let t = f.field_type;
    let wrong = |kind: &str, quoted: bool| {
        SoqlError::invalid_field(
            path.pos,
            format!(
                "value of filter criterion for field '{}' must be of type {kind} and should {}be enclosed in quotes",
                path.text,
                if quoted { "" } else { "not " }
            ),
        )
    };
    match lit {
        Lit::Null => Ok(()),
        Lit::Str(s) => {
            if t.is_numeric() {
                Err(wrong("double", false))
            } else if t == FieldType::Boolean {
                Err(wrong("boolean", false))
            } else if t == FieldType::Date {
                Err(wrong("date", false))
            } else if t == FieldType::DateTime {
                Err(wrong("dateTime", false))
            } else {
                if matches!(t, FieldType::Id | FieldType::Reference)
                    && let Some(id) = ids::normalize(&s.text)
                {
                    s.text = id;
                }
                Ok(())
            }
        }
        Lit::Num(_) | Lit::Bool(_) if t.is_text() => Err(wrong("string", true)),
        Lit::Bool(_) if t.is_numeric() => Err(wrong("double", false)),
        Lit::Date(_) | Lit::DateTime(_) | Lit::Relative(_) if t.is_text() => {
            Err(wrong("string", true))
        }
        _ => Ok(()),
    }
}

fn check_cond(db: &mut Db, object: &str, c: &mut Cond) -> Result<(), SoqlError> {
    match c {
        Cond::And(items) | Cond::Or(items) => {
            items.iter_mut().try_for_each(|i| check_cond(db, object, i))
        }
        Cond::Not(inner) => check_cond(db, object, inner),
        Cond::Cmp { path, lit, .. } => {
            check_path(db, object, path)?;
            match path_field(db, object, &path.parts) {
                Some(f) => check_literal(path, &f, lit),
                None => Ok(()),
            }
        }
        Cond::In { path, lits, .. } => {
            check_path(db, object, path)?;
            if let Some(f) = path_field(db, object, &path.parts) {
                for l in lits.iter_mut() {
                    check_literal(path, &f, l)?;
                }
            }
            Ok(())
        }
        Cond::Like { path, .. } | Cond::Includes { path, .. } => check_path(db, object, path),
    }
}

// ---- evaluation ----------------------------------------------------------------------

/// The parent record behind relationship `rel` of `rec`.
fn parent<'a>(
    db: &'a Db,
    o: &ObjectState,
    rec: &Record,
    rel: &str,
) -> Option<(&'a ObjectState, &'a Record)> {
    let fk = o.relationship_fk(rel)?;
    let id = rec.fields.get(&fk.name)?.as_str()?;
    Some((db.object_of_id(id)?, db.record(id)?))
}

/// The value at `parts` (relationships followed), `null` when absent.
fn value(db: &Db, o: &ObjectState, rec: &Record, parts: &[String]) -> Value {
    match parts {
        [f] => rec.get(f).cloned().unwrap_or(Value::Null),
        [rel, rest @ ..] => parent(db, o, rec, rel)
            .map(|(po, pr)| value(db, po, pr, rest))
            .unwrap_or(Value::Null),
        [] => Value::Null,
    }
}

fn num_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn str_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn datetime_of(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str().and_then(parse_datetime)
}

fn date_of(v: &Value) -> Option<NaiveDate> {
    let s = v.as_str()?;
    parse_date(s).or_else(|| parse_datetime(s).map(|t| t.date_naive()))
}

fn cmp_lit(v: &Value, lit: &Lit) -> Option<Ordering> {
    match lit {
        Lit::Num(x) => num_of(v)?.partial_cmp(x),
        Lit::Str(s) => Some(str_of(v)?.to_lowercase().cmp(&s.text.to_lowercase())),
        Lit::Bool(b) => Some(v.as_bool()?.cmp(b)),
        Lit::Date(d) => Some(date_of(v)?.cmp(d)),
        Lit::DateTime(t) => Some(datetime_of(v)?.cmp(t)),
        Lit::Null | Lit::Relative(_) => None,
    }
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0)
        .map_or_else(Utc::now, |t| Utc.from_utc_datetime(&t))
}

/// `[start, end)` of a relative date literal (UTC days).
fn range(r: RelDate, today: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let day = |d: NaiveDate, n: i64| {
        TimeDelta::try_days(n)
            .and_then(|t| d.checked_add_signed(t))
            .unwrap_or(if n < 0 {
                NaiveDate::MIN
            } else {
                NaiveDate::MAX
            })
    };
    let month_start = today.with_day(1).unwrap_or(today);
    let (a, b) = match r {
        RelDate::Today => (today, day(today, 1)),
        RelDate::Yesterday => (day(today, -1), today),
        RelDate::Tomorrow => (day(today, 1), day(today, 2)),
        RelDate::ThisMonth => (
            month_start,
            month_start
                .checked_add_months(Months::new(1))
                .unwrap_or(month_start),
        ),
        RelDate::LastMonth => (
            month_start
                .checked_sub_months(Months::new(1))
                .unwrap_or(month_start),
            month_start,
        ),
        RelDate::ThisYear => {
            let start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
            (
                start,
                NaiveDate::from_ymd_opt(today.year() + 1, 1, 1).unwrap_or(today),
            )
        }
        RelDate::LastNDays(n) => (day(today, -n), day(today, 1)),
        RelDate::NextNDays(n) => (
            day(today, 1),
            today
                .checked_add_days(Days::new(n.unsigned_abs().saturating_add(1)))
                .unwrap_or(NaiveDate::MAX),
        ),
    };
    (midnight(a), midnight(b))
}

fn compare(v: &Value, op: CmpOp, lit: &Lit, today: NaiveDate) -> bool {
    if *lit == Lit::Null {
        return match op {
            CmpOp::Eq => v.is_null(),
            CmpOp::Ne => !v.is_null(),
            _ => false,
        };
    }
    if v.is_null() {
        // SOQL: `!=` a value keeps records where the field is null.
        return op == CmpOp::Ne;
    }
    if let Lit::Relative(r) = lit {
        let Some(t) = datetime_of(v) else {
            return op == CmpOp::Ne;
        };
        let (start, end) = range(*r, today);
        return match op {
            CmpOp::Eq => start <= t && t < end,
            CmpOp::Ne => !(start <= t && t < end),
            CmpOp::Lt => t < start,
            CmpOp::Le => t < end,
            CmpOp::Gt => t >= end,
            CmpOp::Ge => t >= start,
        };
    }
    let Some(ord) = cmp_lit(v, lit) else {
        return op == CmpOp::Ne;
    };
    match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
    }
}

/// SQL LIKE with `%` and `_` (unless escaped), case-insensitive.
pub(crate) fn like(value: &str, pattern: &StrLit) -> bool {
    enum P {
        Any,
        One,
        Ch(char),
    }
    let pat: Vec<P> = pattern
        .text
        .chars()
        .enumerate()
        .map(|(i, c)| match c {
            '%' if !pattern.escaped.contains(&i) => P::Any,
            '_' if !pattern.escaped.contains(&i) => P::One,
            c => P::Ch(c),
        })
        .collect();
    let text: Vec<char> = value.to_lowercase().chars().collect();
    let lower = |c: char| c.to_lowercase().next().unwrap_or(c);
    // dp[j]: pattern[..i] matches text[..j].
    let mut dp = vec![false; text.len() + 1];
    dp[0] = true;
    for p in &pat {
        let mut next = vec![false; text.len() + 1];
        match p {
            P::Any => {
                let mut seen = false;
                for j in 0..=text.len() {
                    seen |= dp[j];
                    next[j] = seen;
                }
            }
            P::One => {
                next[1..].copy_from_slice(&dp[..text.len()]);
            }
            P::Ch(c) => {
                for j in 1..=text.len() {
                    next[j] = dp[j - 1] && text[j - 1] == lower(*c);
                }
            }
        }
        dp = next;
    }
    dp[text.len()]
}

fn eval(db: &Db, o: &ObjectState, r: &Record, c: &Cond, today: NaiveDate) -> bool {
    match c {
        Cond::And(items) => items.iter().all(|i| eval(db, o, r, i, today)),
        Cond::Or(items) => items.iter().any(|i| eval(db, o, r, i, today)),
        Cond::Not(inner) => !eval(db, o, r, inner, today),
        Cond::Cmp { path, op, lit } => compare(&value(db, o, r, &path.parts), *op, lit, today),
        Cond::In {
            path,
            negated,
            lits,
        } => {
            let v = value(db, o, r, &path.parts);
            let hit = lits.iter().any(|l| compare(&v, CmpOp::Eq, l, today));
            hit != *negated
        }
        Cond::Like { path, pattern } => {
            str_of(&value(db, o, r, &path.parts)).is_some_and(|s| like(&s, pattern))
        }
        Cond::Includes {
            path,
            excludes,
            lits,
        } => {
            let v = value(db, o, r, &path.parts);
            let have: Vec<String> = v
                .as_str()
                .map(|s| s.split(';').map(|x| x.trim().to_lowercase()).collect())
                .unwrap_or_default();
            let hit = lits.iter().any(|l| {
                l.split(';')
                    .map(|x| x.trim().to_lowercase())
                    .all(|x| have.contains(&x))
            });
            hit != *excludes
        }
    }
}

/// Order of two non-null values: numbers numerically, text case-insensitively.
pub(crate) fn cmp_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::String(x), Value::String(y)) => x
            .to_lowercase()
            .cmp(&y.to_lowercase())
            .then_with(|| x.cmp(y)),
        _ => rank(a).cmp(&rank(b)),
    }
}

fn rank(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    }
}

// ---- projection ----------------------------------------------------------------------

fn put_path(
    db: &Db,
    o: &ObjectState,
    r: &Record,
    parts: &[String],
    out: &mut Map<String, Value>,
    version: u32,
) {
    match parts {
        [f] => {
            let name = o.field(f).map_or_else(|| f.clone(), |m| m.name.clone());
            out.insert(name, r.get(f).cloned().unwrap_or(Value::Null));
        }
        [rel, rest @ ..] => {
            let key = relationship_key(o, rel).map_or_else(|| rel.clone(), |(k, _)| k);
            match parent(db, o, r, rel) {
                None => {
                    out.entry(key).or_insert(Value::Null);
                }
                Some((po, pr)) => {
                    let entry = out.entry(key).or_insert(Value::Null);
                    if !entry.is_object() {
                        let mut m = Map::new();
                        m.insert("attributes".into(), po.attributes(version, &pr.id));
                        *entry = Value::Object(m);
                    }
                    if let Value::Object(m) = entry {
                        put_path(db, po, pr, rest, m, version);
                    }
                }
            }
        }
        [] => {}
    }
}

fn project(db: &Db, o: &ObjectState, r: &Record, paths: &[Path], version: u32) -> Value {
    let mut m = Map::new();
    m.insert("attributes".into(), o.attributes(version, &r.id));
    for p in paths {
        put_path(db, o, r, &p.parts, &mut m, version);
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::salesforce::soql::lexer::StrLit;

    fn pat(s: &str) -> StrLit {
        StrLit {
            text: s.into(),
            escaped: vec![],
        }
    }

    #[test]
    fn like_patterns() {
        assert!(like("Acme Corp", &pat("acme%")));
        assert!(like("Acme", &pat("A_me")));
        assert!(!like("Acme", &pat("A_e")));
        assert!(like("", &pat("%")));
        assert!(like(
            "50% off",
            &StrLit {
                text: "50% off".into(),
                escaped: vec![2]
            }
        ));
        assert!(!like(
            "50x off",
            &StrLit {
                text: "50% off".into(),
                escaped: vec![2]
            }
        ));
        assert!(like("ÉCOLE", &pat("éc%")));
    }

    #[test]
    fn relative_ranges() {
        let today = NaiveDate::from_ymd_opt(2024, 5, 15).unwrap();
        let (a, b) = range(RelDate::LastNDays(3), today);
        assert_eq!(
            a.date_naive(),
            NaiveDate::from_ymd_opt(2024, 5, 12).unwrap()
        );
        assert_eq!(
            b.date_naive(),
            NaiveDate::from_ymd_opt(2024, 5, 16).unwrap()
        );
        let (a, b) = range(RelDate::ThisMonth, today);
        assert_eq!((a.day(), b.month()), (1, 6));
        // Huge counts saturate instead of panicking.
        let (a, _) = range(RelDate::LastNDays(i64::MAX), today);
        assert!(a.year() < 0);
        let (_, b) = range(RelDate::NextNDays(i64::MAX), today);
        assert!(b.year() > 9999);
    }
}
