//! `$batch` in both formats: [`multipart`] (`multipart/mixed` with changesets and
//! `Content-ID` references) and [`json`] (OData 4.01 `requests`/`responses` with
//! `atomicityGroup` and `dependsOn`).
//!
//! Parts run one after another through the same handler as top-level requests. An atomic unit
//! (a changeset, an atomicity group, or the whole batch under `Isolation: snapshot`) is rolled
//! back completely when one of its requests fails. The outer response is 200 whatever the
//! parts did; processing continues after a failed part (reference §1.2). Failed units answer
//! with the failing request's error; in JSON batches the other members of a failed group, and
//! requests that depend on a failed request, answer 424 Failed Dependency.

pub(crate) mod json;
pub(crate) mod multipart;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method};

use super::error::ApiError;
use super::http::{Req, Resp};

/// What a batch needs from the emulator.
pub(crate) trait Executor {
    /// Run one request.
    fn execute(&mut self, req: &Req) -> Resp;
    /// Start an atomic unit.
    fn begin(&mut self);
    /// Keep the unit's changes.
    fn commit(&mut self);
    /// Undo the unit's changes.
    fn rollback(&mut self);
    /// The flavour's response for a batch-level error of one part.
    fn error(&mut self, e: ApiError) -> Resp;
}

/// Where the batch was posted: the service root path (`/data/`), to resolve relative and
/// absolute part URLs.
#[derive(Clone, Debug)]
pub(crate) struct Base {
    pub(crate) root: String,
}

impl Base {
    /// Split a part URL (absolute, absolute path, or relative to the root) into path and query.
    pub(crate) fn resolve(&self, url: &str) -> (String, String) {
        let url = url.trim();
        let without_origin = if let Some(rest) = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"))
        {
            match rest.find('/') {
                Some(i) => &rest[i..],
                None => "/",
            }
        } else {
            url
        };
        let full = if without_origin.starts_with('/') {
            without_origin.to_owned()
        } else {
            format!("{}{without_origin}", self.root)
        };
        match full.split_once('?') {
            Some((p, q)) => (p.to_owned(), q.to_owned()),
            None => (full, String::new()),
        }
    }
}

const SYSTEM: &[&str] = &[
    "batch",
    "metadata",
    "count",
    "entity",
    "ref",
    "value",
    "all",
    "crossjoin",
    "root",
];

/// Replace a leading `$<id>` reference with the URL of an earlier part's entity.
///
/// Returns `Err(reference)` when the URL starts with `$` followed by an id that is not known.
pub(crate) fn substitute(
    url: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let Some(rest) = url.trim().strip_prefix('$') else {
        return Ok(url.to_owned());
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (id, tail) = rest.split_at(end);
    match lookup(id) {
        Some(target) => Ok(format!("{target}{tail}")),
        // `$batch`, `$metadata`, `$count`… are system resources, not references.
        None if id.is_empty() || SYSTEM.contains(&id) => Ok(url.to_owned()),
        None => Err(format!("${id}")),
    }
}

/// A request built from a part.
pub(crate) fn part_request(
    base: &Base,
    method: Method,
    url: &str,
    headers: HeaderMap,
    body: Vec<u8>,
) -> Req {
    let (path, query) = base.resolve(url);
    Req {
        method,
        path,
        query,
        headers,
        body: Bytes::from(body),
    }
}

/// The URL an entity-creating response points at (`Location` or `OData-EntityId`).
pub(crate) fn entity_location(resp: &Resp) -> Option<String> {
    resp.header_value("Location")
        .or_else(|| resp.header_value("OData-EntityId"))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_urls() {
        let b = Base {
            root: "/data/".into(),
        };
        assert_eq!(
            b.resolve("CustomersV3?$top=1"),
            ("/data/CustomersV3".into(), "$top=1".into())
        );
        assert_eq!(b.resolve("/data/X"), ("/data/X".into(), String::new()));
        assert_eq!(
            b.resolve("http://other:1/data/Y(1)"),
            ("/data/Y(1)".into(), String::new())
        );
    }

    #[test]
    fn substitutes_references() {
        let look = |id: &str| (id == "1").then(|| "http://h/data/A(1)".to_owned());
        assert_eq!(
            substitute("$1/Lines", &look).unwrap(),
            "http://h/data/A(1)/Lines"
        );
        assert_eq!(substitute("$2", &look), Err("$2".into()));
        assert_eq!(substitute("$metadata", &look).unwrap(), "$metadata");
        assert_eq!(substitute("Set", &look).unwrap(), "Set");
    }
}
