//! The F&O flavour: [`Flavor`]/[`Routes`] rules and the `/data/` request entry point.

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value};

use super::entities::{self, LEDGER_HEADERS, NS, PAYMENT_HEADERS, SETS};
use super::{posting, rules};
use crate::dynamics::config::FnoConfig;
use crate::dynamics::dispatch::{self, Routes};
use crate::dynamics::engine::{Ctx, Flavor, PagePolicy, Scope};
use crate::dynamics::error::ApiError;
use crate::dynamics::http::Resp;
use crate::dynamics::keys::{self, format_key};
use crate::dynamics::metadata;
use crate::dynamics::odata::etag;
use crate::dynamics::odata::filter::FilterOptions;
use crate::dynamics::odata::format::service_document;
use crate::dynamics::odata::value::str_of;
use crate::dynamics::schema::SetDef;
use crate::dynamics::store::{Row, Tables};

/// Name of the optional bound posting action.
pub(crate) const POST_ACTION: &str = "Microsoft.Dynamics.DataEntities.Post";

/// F&O rules over a configuration.
pub(crate) struct Fno<'a> {
    pub(crate) cfg: &'a FnoConfig,
}

impl Flavor for Fno<'_> {
    fn set(&self, name: &str) -> Option<&'static SetDef> {
        entities::set(name)
    }

    fn namespace(&self) -> &'static str {
        NS
    }

    fn filter_options(&self) -> FilterOptions {
        FilterOptions {
            wildcard_eq: true,
            functions: self.cfg.filter_functions,
        }
    }

    fn max_expand_depth(&self) -> usize {
        1
    }

    fn page_policy(&self) -> PagePolicy {
        PagePolicy {
            cap: self.cfg.page_size.max(1),
            honour_max_page_size: self.cfg.honour_max_page_size,
            style: self.cfg.next_link,
            top_suppresses_next: false,
        }
    }

    fn visible(&self, cx: &Ctx<'_>, _set: &SetDef, row: &Row) -> bool {
        match &cx.scope {
            Scope::Fno { company, cross } => {
                *cross || str_of(row.data.get("dataAreaId")).eq_ignore_ascii_case(company)
            }
            Scope::Bc { .. } => false,
        }
    }

    fn etag(&self, row: &Row) -> String {
        etag::fno(row.rec_id, row.version)
    }

    fn entity_path(&self, _cx: &Ctx<'_>, set: &SetDef, row: &Row) -> String {
        format!("{}{}", set.name, format_key(set, &row.data, NS))
    }

    fn entity_context(&self, _cx: &Ctx<'_>, set: &SetDef) -> String {
        format!("{}/$entity", set.name)
    }

    fn new_row_company(&self, _cx: &Ctx<'_>, _set: &SetDef) -> Option<String> {
        None
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
        _cx: &Ctx<'_>,
        set: &'static SetDef,
        old: &Row,
        new: &mut Map<String, Value>,
    ) -> Result<(), ApiError> {
        rules::before_update(t, self.cfg, set, old, new)
    }

    fn before_delete(
        &self,
        t: &mut Tables,
        _cx: &Ctx<'_>,
        set: &'static SetDef,
        row: &Row,
    ) -> Result<(), ApiError> {
        rules::before_delete(t, self.cfg, set, row)
    }

    fn after_change(&self, t: &mut Tables, _cx: &Ctx<'_>, set: &'static SetDef, row: &Row) {
        if t.row(set.name, row.rec_id).is_none() {
            rules::after_delete(t, set, row);
        }
    }

    fn requires_if_match(&self) -> bool {
        false
    }

    fn update_returns_body(&self) -> bool {
        false
    }

    fn put_is_patch(&self) -> bool {
        true
    }
}

impl Routes for Fno<'_> {
    fn unknown_segment(&self, _name: &str) -> ApiError {
        ApiError::NoRoute
    }

    fn collection_context(&self, _path: &str, set: &SetDef) -> String {
        set.name.to_owned()
    }

    fn bound_action(
        &self,
        t: &mut Tables,
        _cx: &Ctx<'_>,
        set: &'static SetDef,
        rec_id: u64,
        name: &str,
    ) -> Option<Result<Resp, ApiError>> {
        if !(self.cfg.posting.entity_action
            && name == POST_ACTION
            && (set.name == LEDGER_HEADERS || set.name == PAYMENT_HEADERS))
        {
            return None;
        }
        let row = t.row(set.name, rec_id)?.clone();
        let company = str_of(row.data.get("dataAreaId")).to_owned();
        let batch = str_of(row.data.get("JournalBatchNumber")).to_owned();
        Some(
            posting::post(t, self.cfg, &company, &batch)
                .map(|_| Resp::empty(StatusCode::NO_CONTENT).header("OData-Version", "4.0")),
        )
    }
}

/// Serve a request below `/data` (`rest` is the path after `/data`, `$batch` excluded).
///
/// # Errors
///
/// Every failure as an [`ApiError`] for [`super::errors::render`].
pub(crate) fn handle(
    t: &mut Tables,
    cfg: &FnoConfig,
    cx: &Ctx<'_>,
    rest: &str,
) -> Result<Resp, ApiError> {
    let fl = Fno { cfg };
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
        return Ok(metadata::document(NS, SETS, "DataEntities"));
    }
    let segs = keys::segments(trimmed).ok_or(ApiError::NoRoute)?;
    dispatch::serve(&fl, t, cx, "", &segs)
}
