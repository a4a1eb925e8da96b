//! The generic OData engine both flavours share: visibility, key lookup, collection reads
//! with query options and server-driven paging, single reads, create (with deep insert),
//! update/replace, delete, ETag preconditions. Flavour rules come in through [`Flavor`].

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::http::{Req, Resp};
use super::keys::{self, KeyPred};
use super::odata::etag::{self, Precondition};
use super::odata::filter::{FilterError, FilterOptions, Val, compare};
use super::odata::format::{self, context_url, projection};
use super::odata::paging::{self, NextLinkStyle};
use super::odata::query::{self, ExpandItem, Grammar, QueryOptions};
use super::schema::{self, Nav, SetDef};
use super::store::{Row, Tables};

/// Which rows a request sees.
#[derive(Clone, Debug)]
pub(crate) enum Scope {
    /// F&O: the caller's default company, or every company with `cross-company=true`.
    Fno { company: String, cross: bool },
    /// BC: rows of one company (`None` for `companies` itself).
    Bc { company: Option<String> },
}

/// Per-request context.
pub(crate) struct Ctx<'a> {
    /// `http://127.0.0.1:<port>`.
    pub(crate) origin: &'a str,
    /// Service root path with trailing slash: `/data/` or `/v2.0/<tenant>/<env>/api/v2.0/`.
    pub(crate) root: &'a str,
    pub(crate) scope: Scope,
    pub(crate) now: DateTime<Utc>,
    pub(crate) req: &'a Req,
}

impl Ctx<'_> {
    /// The BC company of this request, if any.
    pub(crate) fn bc_company(&self) -> Option<&str> {
        match &self.scope {
            Scope::Bc { company } => company.as_deref(),
            Scope::Fno { .. } => None,
        }
    }
}

/// Paging rules of a flavour.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PagePolicy {
    pub(crate) cap: usize,
    pub(crate) honour_max_page_size: bool,
    pub(crate) style: NextLinkStyle,
    pub(crate) top_suppresses_next: bool,
}

/// A parent row whose navigation property is being addressed.
#[derive(Clone, Debug)]
pub(crate) struct Parent {
    pub(crate) nav: &'static Nav,
    pub(crate) data: Map<String, Value>,
    pub(crate) company: Option<String>,
}

/// Flavour rules the engine needs.
pub(crate) trait Flavor {
    /// Entity set by name.
    fn set(&self, name: &str) -> Option<&'static SetDef>;
    /// Namespace of types, enums and actions.
    fn namespace(&self) -> &'static str;
    /// `$filter` capabilities.
    fn filter_options(&self) -> FilterOptions;
    /// Deepest `$expand`.
    fn max_expand_depth(&self) -> usize;
    /// Paging rules.
    fn page_policy(&self) -> PagePolicy;
    /// Whether `row` of `set` is visible to this request.
    fn visible(&self, cx: &Ctx<'_>, set: &SetDef, row: &Row) -> bool;
    /// The row's ETag.
    fn etag(&self, row: &Row) -> String;
    /// Path of the row below the service root, e.g. `CustomersV3(…)` or
    /// `companies(…)/customers(…)`.
    fn entity_path(&self, cx: &Ctx<'_>, set: &SetDef, row: &Row) -> String;
    /// Context target of a single entity of `set`, e.g. `CustomersV3/$entity`.
    fn entity_context(&self, cx: &Ctx<'_>, set: &SetDef) -> String;
    /// Company to store a new row under (BC).
    fn new_row_company(&self, cx: &Ctx<'_>, set: &SetDef) -> Option<String>;
    /// Defaults, number sequences and validation of a new row.
    ///
    /// # Errors
    ///
    /// The business rule that failed.
    fn before_insert(
        &self,
        t: &mut Tables,
        cx: &Ctx<'_>,
        set: &'static SetDef,
        row: &mut Map<String, Value>,
    ) -> Result<(), ApiError>;
    /// Validation of an update (`new` is the full row after the change).
    ///
    /// # Errors
    ///
    /// The business rule that failed.
    fn before_update(
        &self,
        t: &mut Tables,
        cx: &Ctx<'_>,
        set: &'static SetDef,
        old: &Row,
        new: &mut Map<String, Value>,
    ) -> Result<(), ApiError>;
    /// Validation of a delete.
    ///
    /// # Errors
    ///
    /// The business rule that failed.
    fn before_delete(
        &self,
        t: &mut Tables,
        cx: &Ctx<'_>,
        set: &'static SetDef,
        row: &Row,
    ) -> Result<(), ApiError>;
    /// After a row of `set` was inserted, updated or deleted (recompute totals, cascade).
    fn after_change(&self, t: &mut Tables, cx: &Ctx<'_>, set: &'static SetDef, row: &Row);
    /// Whether PATCH/DELETE need `If-Match` (BC).
    fn requires_if_match(&self) -> bool;
    /// Whether PATCH answers 200 with the entity by default (BC) instead of 204 (F&O).
    fn update_returns_body(&self) -> bool;
    /// Whether PUT behaves as PATCH (F&O, reference §1.1).
    fn put_is_patch(&self) -> bool;
}

/// `Prefer` header values the engine acts on.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Prefer {
    /// `Some(true)` for `return=minimal`, `Some(false)` for `return=representation`.
    pub(crate) minimal: Option<bool>,
    pub(crate) max_page_size: Option<usize>,
}

/// Read the `Prefer` header(s).
pub(crate) fn prefer(req: &Req) -> Prefer {
    let mut out = Prefer::default();
    for v in req.headers.get_all("prefer") {
        let Ok(text) = v.to_str() else { continue };
        for part in text.split(',') {
            match part.trim().to_ascii_lowercase().as_str() {
                "return=minimal" => out.minimal = Some(true),
                "return=representation" => out.minimal = Some(false),
                _ => {}
            }
        }
        if let Some(n) = paging::max_page_size(text) {
            out.max_page_size = Some(n);
        }
    }
    out
}

fn type_name(fl: &dyn Flavor, set: &SetDef) -> String {
    format!("{}.{}", fl.namespace(), set.type_name)
}

/// Parse the request's query options for `set`.
///
/// # Errors
///
/// [`ApiError::Query`] for a malformed or unsupported option.
pub(crate) fn options(
    fl: &dyn Flavor,
    cx: &Ctx<'_>,
    set: &SetDef,
) -> Result<QueryOptions, ApiError> {
    let by_name = |n: &str| fl.set(n);
    let g = Grammar {
        filter: fl.filter_options(),
        set_by_name: &by_name,
        max_expand_depth: fl.max_expand_depth(),
    };
    query::parse(&query::pairs(&cx.req.query), set, &g).map_err(|e| {
        // Name the type the unknown property was looked up on (expand targets included).
        ApiError::query(e, type_name(fl, set))
    })
}

fn joined(p: &Parent, r: &Row) -> bool {
    if p.company.is_some() && p.company != r.company {
        return false;
    }
    p.nav.on.iter().all(|(pp, cp)| {
        compare(
            &Val::from_json(p.data.get(*pp)),
            &Val::from_json(r.data.get(*cp)),
        ) == Some(std::cmp::Ordering::Equal)
    })
}

/// Rows of `set` visible to the request (and joined to `parent`).
pub(crate) fn visible<'t>(
    fl: &dyn Flavor,
    t: &'t Tables,
    cx: &Ctx<'_>,
    set: &SetDef,
    parent: Option<&Parent>,
) -> Vec<&'t Row> {
    t.rows(set.name)
        .iter()
        .filter(|r| fl.visible(cx, set, r) && parent.is_none_or(|p| joined(p, r)))
        .collect()
}

/// Find the visible row addressed by the key predicate `key_text`.
///
/// # Errors
///
/// [`ApiError::NoRoute`] for a key that does not parse or does not name the set's keys;
/// [`ApiError::NotFound`] when no visible row has it.
pub(crate) fn lookup(
    fl: &dyn Flavor,
    t: &Tables,
    cx: &Ctx<'_>,
    set: &'static SetDef,
    parent: Option<&Parent>,
    key_text: &str,
) -> Result<u64, ApiError> {
    let key: KeyPred = keys::parse_key(key_text).ok_or(ApiError::NoRoute)?;
    let values = keys::key_values(set, &key).ok_or(ApiError::NoRoute)?;
    visible(fl, t, cx, set, parent)
        .into_iter()
        .find(|r| keys::row_matches(&r.data, &values))
        .map(|r| r.rec_id)
        .ok_or_else(|| ApiError::NotFound {
            set: set.name,
            caption: set.caption,
            ident: keys::describe_key(&key),
        })
}

/// Absolute URL of a row.
pub(crate) fn entity_url(fl: &dyn Flavor, cx: &Ctx<'_>, set: &SetDef, row: &Row) -> String {
    format!("{}{}{}", cx.origin, cx.root, fl.entity_path(cx, set, row))
}

fn expand_row(
    fl: &dyn Flavor,
    t: &Tables,
    cx: &Ctx<'_>,
    set: &SetDef,
    row: &Row,
    items: &[ExpandItem],
) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for item in items {
        let Some(nav) = set.nav(&item.nav) else {
            continue;
        };
        let Some(target) = fl.set(nav.target) else {
            continue;
        };
        let parent = Parent {
            nav,
            data: row.data.clone(),
            company: row.company.clone(),
        };
        let rows = visible(fl, t, cx, target, Some(&parent));
        let mut rows = query::filter_rows(rows, &item.options);
        query::order_rows(&mut rows, &item.options);
        let skip = item.options.skip.unwrap_or(0);
        let top = item.options.top.unwrap_or(usize::MAX);
        let rendered: Vec<Value> = rows
            .into_iter()
            .skip(skip)
            .take(top)
            .map(|r| render_row(fl, t, cx, target, r, &item.options))
            .collect();
        let value = if nav.many {
            Value::Array(rendered)
        } else {
            rendered.into_iter().next().unwrap_or(Value::Null)
        };
        out.push((item.nav.clone(), value));
    }
    out
}

/// A row as sent, with `$select` and `$expand` applied.
pub(crate) fn render_row(
    fl: &dyn Flavor,
    t: &Tables,
    cx: &Ctx<'_>,
    set: &SetDef,
    row: &Row,
    q: &QueryOptions,
) -> Value {
    let expanded = expand_row(fl, t, cx, set, row, &q.expand);
    format::render(set, &row.data, &fl.etag(row), q.select.as_deref(), expanded)
}

/// GET on a collection (or its `$count` with `count_only`).
///
/// # Errors
///
/// Query option errors.
pub(crate) fn list(
    fl: &dyn Flavor,
    t: &Tables,
    cx: &Ctx<'_>,
    set: &'static SetDef,
    parent: Option<&Parent>,
    context_target: &str,
    count_only: bool,
) -> Result<Resp, ApiError> {
    let q = options(fl, cx, set)?;
    let rows = query::filter_rows(visible(fl, t, cx, set, parent), &q);
    if count_only {
        return Ok(Resp::text(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            rows.len().to_string(),
        )
        .header("OData-Version", "4.0"));
    }
    let mut rows = rows;
    query::order_rows(&mut rows, &q);
    let total = rows.len();

    let policy = fl.page_policy();
    let pref = prefer(cx.req);
    let honoured_max = pref
        .max_page_size
        .filter(|n| policy.honour_max_page_size && *n > 0);
    let token_offset = match &q.skiptoken {
        None => 0,
        Some(tok) => paging::decode_token(tok).ok_or_else(|| {
            ApiError::query(
                FilterError::Syntax(format!("The skip token value '{tok}' is not valid.")),
                type_name(fl, set),
            )
        })?,
    };
    let start = q.skip.unwrap_or(0).saturating_add(token_offset);
    let limit = q.top.map(|top| top.saturating_sub(token_offset));
    let suppressed = q.top.is_some() && policy.top_suppresses_next;
    let page = if suppressed {
        usize::MAX
    } else {
        honoured_max
            .map_or(policy.cap, |m| m.min(policy.cap))
            .max(1)
    };
    let take = page.min(limit.unwrap_or(usize::MAX));
    let page_rows: Vec<&Row> = rows.into_iter().skip(start).take(take).collect();
    let returned = page_rows.len();
    let more =
        start.saturating_add(returned) < total && limit.is_none_or(|l| returned < l) && !suppressed;

    let value: Vec<Value> = page_rows
        .iter()
        .map(|r| render_row(fl, t, cx, set, r, &q))
        .collect();
    let target = format!(
        "{context_target}{}",
        projection(q.select.as_deref(), &q.expand)
    );
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        Value::String(context_url(cx.origin, cx.root, &target)),
    );
    if q.count {
        body.insert("@odata.count".into(), json!(total));
    }
    body.insert("value".into(), Value::Array(value));
    if more {
        let replace: Vec<(&str, String)> = match policy.style {
            NextLinkStyle::Skip => {
                let mut r = vec![("$skip", (start + returned).to_string())];
                if let Some(l) = limit {
                    r.push(("$top", (l - returned).to_string()));
                }
                r
            }
            NextLinkStyle::SkipToken => {
                vec![("$skiptoken", paging::encode_token(token_offset + returned))]
            }
        };
        body.insert(
            "@odata.nextLink".into(),
            Value::String(paging::next_link(
                cx.origin,
                &cx.req.path,
                &cx.req.query,
                &replace,
            )),
        );
    }
    let mut resp = Resp::odata(StatusCode::OK, Value::Object(body));
    if let Some(n) = honoured_max {
        resp = resp.header("Preference-Applied", &format!("odata.maxpagesize={n}"));
    }
    Ok(resp)
}

/// GET on one entity.
///
/// # Errors
///
/// Query option errors; [`ApiError::NotFound`] when the row vanished.
pub(crate) fn get_one(
    fl: &dyn Flavor,
    t: &Tables,
    cx: &Ctx<'_>,
    set: &'static SetDef,
    rec_id: u64,
) -> Result<Resp, ApiError> {
    let q = options(fl, cx, set)?;
    let row = t.row(set.name, rec_id).ok_or(ApiError::NoRoute)?;
    let tag = fl.etag(row);
    if let Some(h) = cx.req.header("if-none-match")
        && etag::matches(h, &tag)
    {
        return Ok(Resp::empty(StatusCode::NOT_MODIFIED).header("ETag", &tag));
    }
    Ok(entity_response(fl, t, cx, set, row, &q, StatusCode::OK))
}

fn entity_response(
    fl: &dyn Flavor,
    t: &Tables,
    cx: &Ctx<'_>,
    set: &SetDef,
    row: &Row,
    q: &QueryOptions,
    status: StatusCode,
) -> Resp {
    let mut v = render_row(fl, t, cx, set, row, q);
    let target = format!(
        "{}{}",
        fl.entity_context(cx, set),
        projection(q.select.as_deref(), &q.expand)
    );
    if let Value::Object(m) = &mut v {
        let mut out = Map::new();
        out.insert(
            "@odata.context".into(),
            Value::String(context_url(cx.origin, cx.root, &target)),
        );
        out.append(m);
        v = Value::Object(out);
    }
    Resp::odata(status, v).header("ETag", &fl.etag(row))
}

/// The request body as a JSON object.
///
/// # Errors
///
/// [`ApiError::BadBody`] when it is empty, not JSON, or not an object.
pub(crate) fn body_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadBody("The request body is empty.".into()));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::BadBody(
            "The request body must be a JSON object.".into(),
        )),
        Err(e) => Err(ApiError::BadBody(format!(
            "The request body is not valid JSON: {e}"
        ))),
    }
}

type DeepInserts = Vec<(&'static Nav, Vec<Map<String, Value>>)>;

/// Copy client-supplied properties into `row`, checking names and types. Returns deep-insert
/// children (navigation properties given as arrays of objects) when `creating`.
fn apply_body(
    fl: &dyn Flavor,
    set: &SetDef,
    row: &mut Map<String, Value>,
    body: Map<String, Value>,
    creating: bool,
) -> Result<DeepInserts, ApiError> {
    let mut deep = Vec::new();
    for (k, v) in body {
        if k.starts_with('@') || k.contains('@') {
            continue; // annotations such as @odata.type, @odata.etag
        }
        if let Some(nav) = set.nav(&k) {
            let children: Option<Vec<Map<String, Value>>> = match v {
                Value::Array(items) => items
                    .into_iter()
                    .map(|i| match i {
                        Value::Object(m) => Some(m),
                        _ => None,
                    })
                    .collect(),
                Value::Object(m) => Some(vec![m]),
                _ => None,
            };
            match children {
                Some(c) if creating => deep.push((nav, c)),
                _ => {
                    return Err(ApiError::BadValue {
                        prop: k,
                        message:
                            "Navigation properties can only be written by a deep insert on create."
                                .into(),
                    });
                }
            }
            continue;
        }
        let Some(prop) = set.prop(&k) else {
            return Err(ApiError::UnknownBodyProperty {
                prop: k,
                type_name: type_name(fl, set),
            });
        };
        if prop.read_only || (!creating && set.keys.contains(&prop.name)) {
            continue;
        }
        let v = schema::coerce(prop, v).map_err(|b| ApiError::BadValue {
            prop: b.prop,
            message: b.message,
        })?;
        row.insert(k, v);
    }
    Ok(deep)
}

/// Insert a row built from `body` (defaults, parent join, flavour rules, duplicate check,
/// deep insert). Returns the new record id. Does not check [`SetDef::writable`] (seeding
/// fills read-only sets through it).
///
/// # Errors
///
/// Body, validation and duplicate-key failures.
pub(crate) fn insert_row(
    fl: &dyn Flavor,
    t: &mut Tables,
    cx: &Ctx<'_>,
    set: &'static SetDef,
    parent: Option<&Parent>,
    body: Map<String, Value>,
) -> Result<u64, ApiError> {
    let mut row = set.defaults(cx.now);
    let deep = apply_body(fl, set, &mut row, body, true)?;
    if let Some(p) = parent {
        for (pp, cp) in p.nav.on {
            row.insert(
                (*cp).to_owned(),
                p.data.get(*pp).cloned().unwrap_or(Value::Null),
            );
        }
    }
    fl.before_insert(t, cx, set, &mut row)?;
    let company = fl.new_row_company(cx, set);
    if let Some(dup) = t
        .rows(set.name)
        .iter()
        .find(|r| r.company == company && keys::same_key(set, &r.data, &row))
    {
        let ident = set
            .keys
            .iter()
            .map(|k| {
                format!(
                    "{k}='{}'",
                    dup.data.get(*k).and_then(Value::as_str).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        return Err(ApiError::Duplicate {
            caption: set.caption,
            ident,
        });
    }
    let rec_id = t.insert(set.name, company, row);
    if let Some(r) = t.row(set.name, rec_id).cloned() {
        fl.after_change(t, cx, set, &r);
        for (nav, children) in deep {
            let Some(target) = fl.set(nav.target) else {
                continue;
            };
            let parent = Parent {
                nav,
                data: t
                    .row(set.name, rec_id)
                    .map(|r| r.data.clone())
                    .unwrap_or_default(),
                company: r.company.clone(),
            };
            for child in children {
                insert_row(fl, t, cx, target, Some(&parent), child)?;
            }
        }
    }
    Ok(rec_id)
}

/// POST to a collection.
///
/// # Errors
///
/// Body, validation and duplicate-key failures.
pub(crate) fn create(
    fl: &dyn Flavor,
    t: &mut Tables,
    cx: &Ctx<'_>,
    set: &'static SetDef,
    parent: Option<&Parent>,
) -> Result<Resp, ApiError> {
    if !set.writable {
        return Err(ApiError::MethodNotAllowed {
            method: "POST".into(),
            set: set.name.into(),
        });
    }
    let q = options(fl, cx, set)?;
    let body = body_object(&cx.req.body)?;
    let rec_id = insert_row(fl, t, cx, set, parent, body)?;
    let row = t.row(set.name, rec_id).ok_or(ApiError::NoRoute)?;
    let url = entity_url(fl, cx, set, row);
    let resp = if prefer(cx.req).minimal == Some(true) {
        Resp::empty(StatusCode::NO_CONTENT)
            .header("OData-Version", "4.0")
            .header("ETag", &fl.etag(row))
            .header("Preference-Applied", "return=minimal")
    } else {
        entity_response(fl, t, cx, set, row, &q, StatusCode::CREATED)
    };
    Ok(resp.header("Location", &url).header("OData-EntityId", &url))
}

fn preconditions(fl: &dyn Flavor, cx: &Ctx<'_>, set: &SetDef, row: &Row) -> Result<(), ApiError> {
    let if_match = cx.req.header("if-match");
    if if_match.is_none() && fl.requires_if_match() {
        return Err(ApiError::IfMatchRequired);
    }
    match etag::check(if_match, None, &fl.etag(row)) {
        Precondition::Ok => Ok(()),
        _ => Err(ApiError::Stale {
            caption: set.caption,
        }),
    }
}

/// PATCH (or PUT with `replace`) on one entity.
///
/// # Errors
///
/// Precondition, body and validation failures.
pub(crate) fn update(
    fl: &dyn Flavor,
    t: &mut Tables,
    cx: &Ctx<'_>,
    set: &'static SetDef,
    rec_id: u64,
    replace: bool,
) -> Result<Resp, ApiError> {
    let method = if replace { "PUT" } else { "PATCH" };
    if !set.writable {
        return Err(ApiError::MethodNotAllowed {
            method: method.into(),
            set: set.name.into(),
        });
    }
    let q = options(fl, cx, set)?;
    let old = t.row(set.name, rec_id).cloned().ok_or(ApiError::NoRoute)?;
    preconditions(fl, cx, set, &old)?;
    let body = body_object(&cx.req.body)?;
    let mut row = if replace && !fl.put_is_patch() {
        let mut fresh = set.defaults(cx.now);
        for p in set.props {
            if (p.read_only || set.keys.contains(&p.name))
                && let Some(v) = old.data.get(p.name)
            {
                fresh.insert(p.name.to_owned(), v.clone());
            }
        }
        fresh
    } else {
        old.data.clone()
    };
    apply_body(fl, set, &mut row, body, false)?;
    fl.before_update(t, cx, set, &old, &mut row)?;
    t.update(set.name, rec_id, row);
    if let Some(r) = t.row(set.name, rec_id).cloned() {
        fl.after_change(t, cx, set, &r);
    }
    let row = t.row(set.name, rec_id).ok_or(ApiError::NoRoute)?;
    let minimal = prefer(cx.req).minimal.unwrap_or(!fl.update_returns_body());
    if minimal {
        Ok(Resp::empty(StatusCode::NO_CONTENT)
            .header("OData-Version", "4.0")
            .header("ETag", &fl.etag(row)))
    } else {
        Ok(entity_response(fl, t, cx, set, row, &q, StatusCode::OK))
    }
}

/// DELETE one entity.
///
/// # Errors
///
/// Precondition and business-rule failures.
pub(crate) fn delete(
    fl: &dyn Flavor,
    t: &mut Tables,
    cx: &Ctx<'_>,
    set: &'static SetDef,
    rec_id: u64,
) -> Result<Resp, ApiError> {
    if !set.writable {
        return Err(ApiError::MethodNotAllowed {
            method: "DELETE".into(),
            set: set.name.into(),
        });
    }
    let old = t.row(set.name, rec_id).cloned().ok_or(ApiError::NoRoute)?;
    preconditions(fl, cx, set, &old)?;
    fl.before_delete(t, cx, set, &old)?;
    t.remove(set.name, rec_id);
    fl.after_change(t, cx, set, &old);
    Ok(Resp::empty(StatusCode::NO_CONTENT).header("OData-Version", "4.0"))
}
