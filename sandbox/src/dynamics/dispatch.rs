//! Routing of resource paths below a service root (after BC's `companies(…)` prefix) to the
//! engine: `Set`, `Set(key)`, `Set/$count`, `Set(key)/Nav`, `Set(key)/Nav(key)`,
//! `Set(key)/Nav/$count` and bound actions `Set(key)/Namespace.Action`.

use axum::http::Method;

use super::engine::{self, Ctx, Flavor, Parent};
use super::error::ApiError;
use super::http::Resp;
use super::keys::Segment;
use super::schema::SetDef;
use super::store::Tables;

/// Flavour hooks the router needs beyond [`Flavor`].
pub(crate) trait Routes: Flavor {
    /// The error for a first segment that is not an entity set.
    fn unknown_segment(&self, name: &str) -> ApiError;
    /// Context target of a collection addressed by `path` (decoded, below the root).
    fn collection_context(&self, path: &str, set: &SetDef) -> String;
    /// Run bound action `name` on a row; `None` when there is no such action.
    fn bound_action(
        &self,
        t: &mut Tables,
        cx: &Ctx<'_>,
        set: &'static SetDef,
        rec_id: u64,
        name: &str,
    ) -> Option<Result<Resp, ApiError>>;
    /// Refuse a collection read (BC: top-level `customerPayments` without a journal filter).
    ///
    /// # Errors
    ///
    /// The flavour's error.
    fn check_list(
        &self,
        cx: &Ctx<'_>,
        set: &SetDef,
        parent: Option<&Parent>,
    ) -> Result<(), ApiError> {
        let _ = (cx, set, parent);
        Ok(())
    }
}

fn seg_text(s: &Segment) -> String {
    match &s.key {
        Some(k) => format!("{}({k})", s.name),
        None => s.name.clone(),
    }
}

fn not_allowed(method: &Method, set: &SetDef) -> ApiError {
    ApiError::MethodNotAllowed {
        method: method.as_str().to_owned(),
        set: set.name.to_owned(),
    }
}

/// Serve `segs` (the path below the root, after any company prefix, which `prefix` holds
/// decoded for context URLs).
///
/// # Errors
///
/// Routing, lookup, query, validation and precondition failures.
pub(crate) fn serve(
    fl: &dyn Routes,
    t: &mut Tables,
    cx: &Ctx<'_>,
    prefix: &str,
    segs: &[Segment],
) -> Result<Resp, ApiError> {
    let method = &cx.req.method;
    let Some(first) = segs.first() else {
        return Err(ApiError::NoRoute);
    };
    let Some(set) = fl.set(&first.name) else {
        return Err(fl.unknown_segment(&first.name));
    };
    let path0 = format!("{prefix}{}", seg_text(first));
    let rec = match &first.key {
        Some(k) => Some(engine::lookup(fl, t, cx, set, None, k)?),
        None => None,
    };
    match (rec, segs.get(1), segs.get(2)) {
        (None, None, _) => match *method {
            Method::GET => {
                fl.check_list(cx, set, None)?;
                engine::list(
                    fl,
                    t,
                    cx,
                    set,
                    None,
                    &fl.collection_context(&path0, set),
                    false,
                )
            }
            Method::POST => engine::create(fl, t, cx, set, None),
            _ => Err(not_allowed(method, set)),
        },
        (None, Some(s), None) if s.name == "$count" && s.key.is_none() => {
            if *method != Method::GET {
                return Err(not_allowed(method, set));
            }
            fl.check_list(cx, set, None)?;
            engine::list(fl, t, cx, set, None, "", true)
        }
        (Some(id), None, _) => match *method {
            Method::GET => engine::get_one(fl, t, cx, set, id),
            Method::PATCH => engine::update(fl, t, cx, set, id, false),
            Method::PUT => engine::update(fl, t, cx, set, id, true),
            Method::DELETE => engine::delete(fl, t, cx, set, id),
            _ => Err(not_allowed(method, set)),
        },
        (Some(id), Some(second), third) => {
            let Some(nav) = set.nav(&second.name) else {
                if second.key.is_none() && third.is_none() && second.name.contains('.') {
                    if *method != Method::POST {
                        return Err(ApiError::NoRoute);
                    }
                    if let Some(r) = fl.bound_action(t, cx, set, id, &second.name) {
                        return r;
                    }
                }
                return Err(fl.unknown_segment(&second.name));
            };
            let Some(target) = fl.set(nav.target) else {
                return Err(ApiError::NoRoute);
            };
            let parent_row = t.row(set.name, id).ok_or(ApiError::NoRoute)?;
            let parent = Parent {
                nav,
                data: parent_row.data.clone(),
                company: parent_row.company.clone(),
            };
            let path1 = format!("{path0}/{}", second.name);
            match (&second.key, third) {
                (None, None) => match *method {
                    Method::GET if nav.many => {
                        fl.check_list(cx, target, Some(&parent))?;
                        engine::list(
                            fl,
                            t,
                            cx,
                            target,
                            Some(&parent),
                            &fl.collection_context(&path1, target),
                            false,
                        )
                    }
                    Method::GET => {
                        let child = engine::visible(fl, t, cx, target, Some(&parent))
                            .first()
                            .map(|r| r.rec_id)
                            .ok_or(ApiError::NotFound {
                                set: target.name,
                                caption: target.caption,
                                ident: nav.name.to_owned(),
                            })?;
                        engine::get_one(fl, t, cx, target, child)
                    }
                    Method::POST if nav.many => engine::create(fl, t, cx, target, Some(&parent)),
                    _ => Err(not_allowed(method, target)),
                },
                (None, Some(s)) if s.name == "$count" && s.key.is_none() && segs.len() == 3 => {
                    engine::list(fl, t, cx, target, Some(&parent), "", true)
                }
                (Some(k), None) => {
                    let child = engine::lookup(fl, t, cx, target, Some(&parent), k)?;
                    match *method {
                        Method::GET => engine::get_one(fl, t, cx, target, child),
                        Method::PATCH => engine::update(fl, t, cx, target, child, false),
                        Method::PUT => engine::update(fl, t, cx, target, child, true),
                        Method::DELETE => engine::delete(fl, t, cx, target, child),
                        _ => Err(not_allowed(method, target)),
                    }
                }
                (Some(k), Some(action)) if segs.len() == 3 && action.key.is_none() => {
                    let child = engine::lookup(fl, t, cx, target, Some(&parent), k)?;
                    if *method != Method::POST {
                        return Err(ApiError::NoRoute);
                    }
                    fl.bound_action(t, cx, target, child, &action.name)
                        .unwrap_or_else(|| Err(fl.unknown_segment(&action.name)))
                }
                _ => Err(ApiError::NoRoute),
            }
        }
        _ => Err(ApiError::NoRoute),
    }
}
