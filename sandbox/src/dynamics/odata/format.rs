//! Response payloads: rows with `@odata.etag` and the selected properties (object key order
//! is serde_json's, which JSON does not make meaningful), `@odata.context` URLs, the service
//! document.

use serde_json::{Map, Value, json};

use super::query::ExpandItem;
use crate::dynamics::schema::SetDef;

/// A row as sent: `@odata.etag`, the selected properties (every schema property when `select`
/// is `None`; absent ones as `null`), and the expanded navigation properties.
pub(crate) fn render(
    set: &SetDef,
    data: &Map<String, Value>,
    etag: &str,
    select: Option<&[String]>,
    expanded: Vec<(String, Value)>,
) -> Value {
    let mut out = Map::new();
    out.insert("@odata.etag".into(), Value::String(etag.to_owned()));
    for p in set.props {
        if select.is_some_and(|s| !s.iter().any(|x| x == p.name)) {
            continue;
        }
        out.insert(
            p.name.to_owned(),
            data.get(p.name).cloned().unwrap_or(Value::Null),
        );
    }
    for (k, v) in expanded {
        out.insert(k, v);
    }
    Value::Object(out)
}

/// `(A,B,Nav(…))` after a context target, or `""` when nothing is selected or expanded.
pub(crate) fn projection(select: Option<&[String]>, expand: &[ExpandItem]) -> String {
    let mut items: Vec<String> = select.map(<[String]>::to_vec).unwrap_or_default();
    if select.is_none() && expand.is_empty() {
        return String::new();
    }
    for e in expand {
        let inner = projection(e.options.select.as_deref(), &e.options.expand);
        let inner = inner
            .strip_prefix('(')
            .and_then(|s| s.strip_suffix(')'))
            .unwrap_or("");
        items.push(format!("{}({inner})", e.nav));
    }
    if select.is_none() {
        items.insert(0, "*".into());
    }
    format!("({})", items.join(","))
}

/// `{origin}{root}$metadata#{target}`.
pub(crate) fn context_url(origin: &str, root: &str, target: &str) -> String {
    format!("{origin}{root}$metadata#{target}")
}

/// The service document listing `sets`.
pub(crate) fn service_document(origin: &str, root: &str, sets: &[&str]) -> Value {
    let value: Vec<Value> = sets
        .iter()
        .map(|s| json!({"name": s, "kind": "EntitySet", "url": s}))
        .collect();
    json!({"@odata.context": format!("{origin}{root}$metadata"), "value": value})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamics::odata::query::QueryOptions;
    use crate::dynamics::schema::{Dv, Ty, p};

    const SET: SetDef = SetDef {
        name: "S",
        type_name: "T",
        caption: "T",
        keys: &["A"],
        props: &[p("A", Ty::Str, Dv::Empty), p("B", Ty::Int, Dv::Zero)],
        navs: &[],
        writable: true,
    };

    #[test]
    fn renders_in_schema_order_with_etag_first() {
        let data = json!({"B": 2, "A": "x", "Hidden": 1});
        let v = render(&SET, data.as_object().unwrap(), "W/\"e\"", None, vec![]);
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["@odata.etag", "A", "B"]);
        let sel = vec!["B".to_owned()];
        let v = render(&SET, data.as_object().unwrap(), "e", Some(&sel), vec![]);
        assert_eq!(v, json!({"@odata.etag": "e", "B": 2}));
    }

    #[test]
    fn projections() {
        assert_eq!(projection(None, &[]), "");
        let sel = vec!["A".to_owned()];
        assert_eq!(projection(Some(&sel), &[]), "(A)");
        let e = ExpandItem {
            nav: "N".into(),
            options: QueryOptions::default(),
        };
        assert_eq!(projection(None, &[e]), "(*,N())");
    }
}
