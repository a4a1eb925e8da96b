//! A small CSDL `$metadata` document generated from the entity-set tables (entity types with
//! keys, properties and navigation properties, enum types, one entity container). Real
//! services publish far more; this covers what the emulator serves.

use std::collections::BTreeSet;

use axum::http::StatusCode;

use super::http::Resp;
use super::schema::{SetDef, Ty};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

/// The `$metadata` response for `sets` in namespace `ns`.
pub(crate) fn document(ns: &str, sets: &[SetDef], container: &str) -> Resp {
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    x.push_str(
        "<edmx:Edmx Version=\"4.0\" xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\">\n",
    );
    x.push_str("<edmx:DataServices>\n");
    x.push_str(&format!(
        "<Schema Namespace=\"{}\" xmlns=\"http://docs.oasis-open.org/odata/ns/edm\">\n",
        esc(ns)
    ));
    let enums: BTreeSet<&str> = sets
        .iter()
        .flat_map(|s| s.props.iter())
        .filter_map(|p| match p.ty {
            Ty::Enum(t) => Some(t),
            _ => None,
        })
        .collect();
    for e in enums {
        x.push_str(&format!("<EnumType Name=\"{}\"/>\n", esc(e)));
    }
    for s in sets {
        x.push_str(&format!(
            "<EntityType Name=\"{}\">\n<Key>",
            esc(s.type_name)
        ));
        for k in s.keys {
            x.push_str(&format!("<PropertyRef Name=\"{}\"/>", esc(k)));
        }
        x.push_str("</Key>\n");
        for p in s.props {
            let nullable = if s.keys.contains(&p.name) {
                " Nullable=\"false\""
            } else {
                ""
            };
            x.push_str(&format!(
                "<Property Name=\"{}\" Type=\"{}\"{nullable}/>\n",
                esc(p.name),
                esc(&p.ty.edm(ns))
            ));
        }
        for n in s.navs {
            let Some(target) = sets.iter().find(|t| t.name == n.target) else {
                continue;
            };
            let ty = format!("{ns}.{}", target.type_name);
            let ty = if n.many {
                format!("Collection({ty})")
            } else {
                ty
            };
            x.push_str(&format!(
                "<NavigationProperty Name=\"{}\" Type=\"{}\"/>\n",
                esc(n.name),
                esc(&ty)
            ));
        }
        x.push_str("</EntityType>\n");
    }
    x.push_str(&format!("<EntityContainer Name=\"{}\">\n", esc(container)));
    for s in sets {
        x.push_str(&format!(
            "<EntitySet Name=\"{}\" EntityType=\"{}.{}\"/>\n",
            esc(s.name),
            esc(ns),
            esc(s.type_name)
        ));
    }
    x.push_str("</EntityContainer>\n</Schema>\n</edmx:DataServices>\n</edmx:Edmx>\n");
    Resp::text(StatusCode::OK, "application/xml; charset=utf-8", x).header("OData-Version", "4.0")
}
