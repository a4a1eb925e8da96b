//! System query options: parsing `$filter $select $expand $orderby $top $skip $count
//! $skiptoken` against an entity set, and applying them to rows in memory.
//!
//! Query strings are form-decoded, so `%20` and `+` both mean a space. Parameters without a
//! `$` (e.g. `cross-company=true`, or any custom one) are kept in [`QueryOptions::custom`] and
//! otherwise ignored.

use std::cmp::Ordering;

use super::filter::{self, Expr, FilterError, FilterOptions, OrderItem, Val};
use crate::dynamics::schema::SetDef;
use crate::dynamics::store::Row;

/// Parsed options for one entity set (and, inside [`ExpandItem`], for a navigation target).
#[derive(Clone, Debug, Default)]
pub(crate) struct QueryOptions {
    pub(crate) filter: Option<Expr>,
    /// `None` = every property.
    pub(crate) select: Option<Vec<String>>,
    pub(crate) expand: Vec<ExpandItem>,
    pub(crate) orderby: Vec<OrderItem>,
    pub(crate) top: Option<usize>,
    pub(crate) skip: Option<usize>,
    pub(crate) count: bool,
    pub(crate) skiptoken: Option<String>,
    /// Non-`$` parameters, decoded.
    pub(crate) custom: Vec<(String, String)>,
}

/// One `$expand` item.
#[derive(Clone, Debug)]
pub(crate) struct ExpandItem {
    pub(crate) nav: String,
    pub(crate) options: QueryOptions,
}

/// What the parser needs to know about the service.
pub(crate) struct Grammar<'a> {
    pub(crate) filter: FilterOptions,
    /// Entity set by name (navigation targets).
    pub(crate) set_by_name: &'a dyn Fn(&str) -> Option<&'static SetDef>,
    /// Deepest `$expand` allowed (F&O 1).
    pub(crate) max_expand_depth: usize,
}

/// Decoded `key=value` pairs of a raw query string (`+` and `%20` are spaces).
pub(crate) fn pairs(raw: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Split on `sep` outside quotes and parentheses.
pub(crate) fn split_top(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            c if c == sep && !quoted && depth == 0 => {
                out.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn non_negative(name: &str, v: &str) -> Result<usize, FilterError> {
    v.trim().parse::<usize>().map_err(|_| {
        FilterError::Syntax(format!(
            "Invalid value '{v}' for {name} query option found. The {name} query option requires a non-negative integer value."
        ))
    })
}

fn parse_select(v: &str, set: &SetDef) -> Result<Option<Vec<String>>, FilterError> {
    let mut out = Vec::new();
    for item in v.split(',') {
        let item = item.trim();
        if item == "*" {
            return Ok(None);
        }
        if item.is_empty() {
            return Err(FilterError::Syntax(format!(
                "Syntax error at position {} in '{v}'.",
                v.len()
            )));
        }
        if !set.has(item) && set.nav(item).is_none() {
            return Err(FilterError::UnknownProperty(item.to_owned()));
        }
        if !out.iter().any(|s: &String| s == item) {
            out.push(item.to_owned());
        }
    }
    Ok(Some(out))
}

fn parse_expand(
    v: &str,
    set: &SetDef,
    g: &Grammar<'_>,
    depth: usize,
) -> Result<Vec<ExpandItem>, FilterError> {
    if depth > g.max_expand_depth {
        return Err(FilterError::Unsupported(format!(
            "The request includes a $expand path which is too deep. The maximum depth allowed is {}. To increase the limit, set the 'MaxExpansionDepth' property on EnableQueryAttribute or ODataValidationSettings.",
            g.max_expand_depth
        )));
    }
    let mut out = Vec::new();
    for item in split_top(v, ',') {
        let item = item.trim();
        let (name, inner) = match item.find('(') {
            Some(i) if item.ends_with(')') => (&item[..i], Some(&item[i + 1..item.len() - 1])),
            Some(_) => {
                return Err(FilterError::Syntax(format!(
                    "Syntax error at position {} in '{v}'.",
                    v.len()
                )));
            }
            None => (item, None),
        };
        let name = name.trim();
        let Some(nav) = set.nav(name) else {
            return Err(FilterError::UnknownProperty(name.to_owned()));
        };
        let Some(target) = (g.set_by_name)(nav.target) else {
            return Err(FilterError::UnknownProperty(name.to_owned()));
        };
        let mut options = QueryOptions::default();
        if let Some(inner) = inner.filter(|s| !s.trim().is_empty()) {
            let pairs: Vec<(String, String)> = split_top(inner, ';')
                .into_iter()
                .map(|kv| match kv.split_once('=') {
                    Some((k, v)) => (k.trim().to_owned(), v.to_owned()),
                    None => (kv.trim().to_owned(), String::new()),
                })
                .collect();
            options = parse_with_depth(&pairs, target, g, depth + 1)?;
        }
        out.push(ExpandItem {
            nav: name.to_owned(),
            options,
        });
    }
    Ok(out)
}

/// Parse decoded pairs for `set`.
pub(crate) fn parse(
    pairs: &[(String, String)],
    set: &SetDef,
    g: &Grammar<'_>,
) -> Result<QueryOptions, FilterError> {
    parse_with_depth(pairs, set, g, 1)
}

fn parse_with_depth(
    pairs: &[(String, String)],
    set: &SetDef,
    g: &Grammar<'_>,
    depth: usize,
) -> Result<QueryOptions, FilterError> {
    let mut q = QueryOptions::default();
    let mut seen: Vec<String> = Vec::new();
    for (k, v) in pairs {
        if !k.starts_with('$') {
            q.custom.push((k.clone(), v.clone()));
            continue;
        }
        let key = k.to_ascii_lowercase();
        if seen.contains(&key) {
            return Err(FilterError::Syntax(format!(
                "Query option '{k}' was specified more than once, but it must be specified at most once."
            )));
        }
        seen.push(key.clone());
        let has = |p: &str| set.has(p);
        match key.as_str() {
            "$filter" => q.filter = Some(filter::parse(v, &has, g.filter)?),
            "$select" => q.select = parse_select(v, set)?,
            "$expand" => q.expand = parse_expand(v, set, g, depth)?,
            "$orderby" => q.orderby = filter::parse_orderby(v, &has)?,
            "$top" => q.top = Some(non_negative("$top", v)?),
            "$skip" => q.skip = Some(non_negative("$skip", v)?),
            "$count" => {
                q.count = match v.trim() {
                    "true" => true,
                    "false" => false,
                    other => {
                        return Err(FilterError::Syntax(format!(
                            "'{other}' is not a valid count option."
                        )));
                    }
                }
            }
            "$skiptoken" => q.skiptoken = Some(v.clone()),
            "$format" => {}
            _ => {
                return Err(FilterError::Unsupported(format!(
                    "The query parameter '{k}' is not supported."
                )));
            }
        }
    }
    Ok(q)
}

/// Keep the rows matching `$filter`.
pub(crate) fn filter_rows<'r>(rows: Vec<&'r Row>, q: &QueryOptions) -> Vec<&'r Row> {
    match &q.filter {
        None => rows,
        Some(e) => rows
            .into_iter()
            .filter(|r| filter::matches(e, &|p| Val::from_json(r.data.get(p))))
            .collect(),
    }
}

/// Sort by `$orderby` (stable; rows keep their stored order otherwise).
pub(crate) fn order_rows(rows: &mut [&Row], q: &QueryOptions) {
    if q.orderby.is_empty() {
        return;
    }
    rows.sort_by(|a, b| {
        for item in &q.orderby {
            let o = filter::order(
                &Val::from_json(a.data.get(&item.prop)),
                &Val::from_json(b.data.get(&item.prop)),
            );
            let o = if item.desc { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamics::schema::{Dv, Nav, Prop, Ty, p};

    const PROPS: &[Prop] = &[p("A", Ty::Str, Dv::Empty), p("B", Ty::Int, Dv::Zero)];
    const CHILD: SetDef = SetDef {
        name: "Children",
        type_name: "Child",
        caption: "Child",
        keys: &["A"],
        props: PROPS,
        navs: &[],
        writable: true,
    };
    const PARENT: SetDef = SetDef {
        name: "Parents",
        type_name: "Parent",
        caption: "Parent",
        keys: &["A"],
        props: PROPS,
        navs: &[Nav {
            name: "Kids",
            target: "Children",
            on: &[("A", "A")],
            many: true,
        }],
        writable: true,
    };

    fn grammar(depth: usize) -> Grammar<'static> {
        Grammar {
            filter: FilterOptions::default(),
            set_by_name: &|n| (n == "Children").then_some(&CHILD),
            max_expand_depth: depth,
        }
    }

    #[test]
    fn parses_everything() {
        let raw = "$filter=A+eq+'x'&$select=A,B&$expand=Kids($select=A;$top=2)&$orderby=B%20desc&$top=5&$skip=1&$count=true&cross-company=true&foo=bar";
        let q = parse(&pairs(raw), &PARENT, &grammar(1)).unwrap();
        assert!(q.filter.is_some());
        assert_eq!(q.select, Some(vec!["A".to_owned(), "B".to_owned()]));
        assert_eq!(q.expand.len(), 1);
        assert_eq!(q.expand[0].options.top, Some(2));
        assert!(q.orderby[0].desc);
        assert_eq!((q.top, q.skip, q.count), (Some(5), Some(1), true));
        assert_eq!(q.custom[0], ("cross-company".to_owned(), "true".to_owned()));
    }

    #[test]
    fn rejects_bad_options() {
        let g = grammar(1);
        assert!(parse(&pairs("$top=abc"), &PARENT, &g).is_err());
        assert!(parse(&pairs("$select=Nope"), &PARENT, &g).is_err());
        assert!(parse(&pairs("$expand=Nope"), &PARENT, &g).is_err());
        assert!(parse(&pairs("$bogus=1"), &PARENT, &g).is_err());
        assert!(parse(&pairs("$top=1&$top=2"), &PARENT, &g).is_err());
        assert!(parse(&pairs("$count=maybe"), &PARENT, &g).is_err());
        assert!(parse(&pairs("$expand=Kids($expand=Kids)"), &PARENT, &g).is_err());
    }

    #[test]
    fn split_respects_quotes_and_parens() {
        assert_eq!(split_top("a(b,c),d", ','), vec!["a(b,c)", "d"]);
        assert_eq!(split_top("x eq 'a;b';y", ';'), vec!["x eq 'a;b'", "y"]);
    }
}
