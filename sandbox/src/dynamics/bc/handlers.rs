//! The BC flavour: [`Flavor`]/[`Routes`] rules and the `/v2.0/…/api/v2.0/` entry point.

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value};

use super::entities::{
    self, COMPANIES, JOURNAL_LINES, JOURNALS, NS, PAYMENT_JOURNALS, PAYMENTS, SETS,
};
use super::{actions, rules};
use crate::dynamics::config::BcConfig;
use crate::dynamics::dispatch::{self, Routes};
use crate::dynamics::engine::{self, Ctx, Flavor, PagePolicy, Parent, Scope};
use crate::dynamics::error::ApiError;
use crate::dynamics::http::Resp;
use crate::dynamics::keys::{self, Segment};
use crate::dynamics::metadata;
use crate::dynamics::odata::etag;
use crate::dynamics::odata::filter::FilterOptions;
use crate::dynamics::odata::format::service_document;
use crate::dynamics::odata::paging::NextLinkStyle;
use crate::dynamics::odata::query;
use crate::dynamics::odata::value::str_of;
use crate::dynamics::schema::SetDef;
use crate::dynamics::store::{Row, Tables};

/// BC rules over a configuration.
pub(crate) struct Bc<'a> {
    pub(crate) cfg: &'a BcConfig,
}

impl Flavor for Bc<'_> {
    fn set(&self, name: &str) -> Option<&'static SetDef> {
        entities::set(name)
    }

    fn namespace(&self) -> &'static str {
        NS
    }

    fn filter_options(&self) -> FilterOptions {
        FilterOptions {
            wildcard_eq: false,
            functions: true,
        }
    }

    fn max_expand_depth(&self) -> usize {
        2
    }

    fn page_policy(&self) -> PagePolicy {
        PagePolicy {
            cap: self.cfg.page_size.max(1),
            honour_max_page_size: true,
            style: NextLinkStyle::SkipToken,
            top_suppresses_next: true,
        }
    }

    fn visible(&self, cx: &Ctx<'_>, set: &SetDef, row: &Row) -> bool {
        set.name == COMPANIES
            || (row.company.is_some() && row.company.as_deref() == cx.bc_company())
    }

    fn etag(&self, row: &Row) -> String {
        etag::bc(row.rec_id, row.version)
    }

    fn entity_path(&self, _cx: &Ctx<'_>, set: &SetDef, row: &Row) -> String {
        let id = str_of(row.data.get("id"));
        match &row.company {
            Some(c) if set.name != COMPANIES => format!("companies({c})/{}({id})", set.name),
            _ => format!("companies({id})"),
        }
    }

    fn entity_context(&self, cx: &Ctx<'_>, set: &SetDef) -> String {
        match cx.bc_company() {
            Some(c) if set.name != COMPANIES => format!("companies({c})/{}/$entity", set.name),
            _ => format!("{}/$entity", set.name),
        }
    }

    fn new_row_company(&self, cx: &Ctx<'_>, set: &SetDef) -> Option<String> {
        if set.name == COMPANIES {
            None
        } else {
            cx.bc_company().map(str::to_owned)
        }
    }

    fn before_insert(
        &self,
        t: &mut Tables,
        cx: &Ctx<'_>,
        set: &'static SetDef,
        row: &mut Map<String, Value>,
    ) -> Result<(), ApiError> {
        rules::before_insert(t, cx, self.cfg, set, row)
    }

    fn before_update(
        &self,
        t: &mut Tables,
        cx: &Ctx<'_>,
        set: &'static SetDef,
        old: &Row,
        new: &mut Map<String, Value>,
    ) -> Result<(), ApiError> {
        rules::before_update(t, cx, self.cfg, set, old, new)
    }

    fn before_delete(
        &self,
        t: &mut Tables,
        _cx: &Ctx<'_>,
        set: &'static SetDef,
        row: &Row,
    ) -> Result<(), ApiError> {
        rules::before_delete(t, set, row)
    }

    fn after_change(&self, t: &mut Tables, _cx: &Ctx<'_>, set: &'static SetDef, row: &Row) {
        rules::after_change(t, set, row);
    }

    fn requires_if_match(&self) -> bool {
        true
    }

    fn update_returns_body(&self) -> bool {
        true
    }

    fn put_is_patch(&self) -> bool {
        false
    }
}

impl Routes for Bc<'_> {
    fn unknown_segment(&self, name: &str) -> ApiError {
        ApiError::SegmentNotFound(name.to_owned())
    }

    fn collection_context(&self, path: &str, _set: &SetDef) -> String {
        path.to_owned()
    }

    fn bound_action(
        &self,
        t: &mut Tables,
        cx: &Ctx<'_>,
        set: &'static SetDef,
        rec_id: u64,
        name: &str,
    ) -> Option<Result<Resp, ApiError>> {
        actions::bound(t, cx, self.cfg, set.name, rec_id, name)
    }

    fn check_list(
        &self,
        cx: &Ctx<'_>,
        set: &SetDef,
        parent: Option<&Parent>,
    ) -> Result<(), ApiError> {
        if parent.is_some() || !(set.name == PAYMENTS || set.name == JOURNAL_LINES) {
            return Ok(());
        }
        let filtered = query::pairs(&cx.req.query).iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("$filter")
                && (v.contains("journalId") || v.contains("journalDisplayName"))
        });
        if filtered {
            Ok(())
        } else {
            Err(ApiError::business(
                set.caption,
                "You must specify a journal batch ID or a journal ID",
            ))
        }
    }
}

/// `journals({id})/Microsoft.NAV.post`, where the id may also be a payment journal's.
fn post_any_journal(
    fl: &Bc<'_>,
    t: &mut Tables,
    cx: &Ctx<'_>,
    key: &str,
) -> Result<Resp, ApiError> {
    let journals = entities::set(JOURNALS).ok_or(ApiError::NoRoute)?;
    let payment_journals = entities::set(PAYMENT_JOURNALS).ok_or(ApiError::NoRoute)?;
    let (set, rec) = match engine::lookup(fl, t, cx, journals, None, key) {
        Ok(rec) => (journals, rec),
        Err(ApiError::NotFound { .. }) => (
            payment_journals,
            engine::lookup(fl, t, cx, payment_journals, None, key).map_err(|e| match e {
                ApiError::NotFound { ident, .. } => ApiError::NotFound {
                    set: journals.name,
                    caption: journals.caption,
                    ident,
                },
                other => other,
            })?,
        ),
        Err(e) => return Err(e),
    };
    let row = t.row(set.name, rec).cloned().ok_or(ApiError::NoRoute)?;
    actions::post_journal(t, cx, fl.cfg, &row)
}

/// Serve a request below the BC service root (`rest` is the path after `/api/v2.0`,
/// `$batch` excluded).
///
/// # Errors
///
/// Every failure as an [`ApiError`] for [`super::errors::render`].
pub(crate) fn handle(
    t: &mut Tables,
    cfg: &BcConfig,
    cx: &Ctx<'_>,
    rest: &str,
) -> Result<Resp, ApiError> {
    let fl = Bc { cfg };
    let trimmed = rest.trim_start_matches('/');
    if trimmed.is_empty() {
        if cx.req.method != Method::GET {
            return Err(ApiError::NoRoute);
        }
        let names: Vec<&str> = SETS.iter().map(|s| s.name).collect();
        return Ok(Resp::odata(
            StatusCode::OK,
            service_document(cx.origin, cx.root, &names),
        ));
    }
    if trimmed == "$metadata" {
        return Ok(metadata::document(NS, SETS, "NAV"));
    }
    let segs = keys::segments(trimmed).ok_or(ApiError::NoRoute)?;
    let Some(first) = segs.first() else {
        return Err(ApiError::NoRoute);
    };
    if first.name != COMPANIES {
        return Err(ApiError::SegmentNotFound(first.name.clone()));
    }
    let (Some(key), true) = (&first.key, segs.len() > 1) else {
        return dispatch::serve(&fl, t, cx, "", &segs);
    };
    let companies = entities::set(COMPANIES).ok_or(ApiError::NoRoute)?;
    let rec = engine::lookup(&fl, t, cx, companies, None, key)?;
    let company = t
        .row(COMPANIES, rec)
        .map(|r| str_of(r.data.get("id")).to_owned())
        .ok_or(ApiError::NoRoute)?;
    let ccx = Ctx {
        origin: cx.origin,
        root: cx.root,
        scope: Scope::Bc {
            company: Some(company.clone()),
        },
        now: cx.now,
        req: cx.req,
    };
    let rest_segs: &[Segment] = segs.get(1..).unwrap_or(&[]);
    if let [
        Segment {
            name: journal_set,
            key: Some(jkey),
        },
        Segment {
            name: action,
            key: None,
        },
    ] = rest_segs
        && journal_set == JOURNALS
        && action == "Microsoft.NAV.post"
        && cx.req.method == Method::POST
    {
        return post_any_journal(&fl, t, &ccx, jkey);
    }
    dispatch::serve(&fl, t, &ccx, &format!("companies({company})/"), rest_segs)
}
