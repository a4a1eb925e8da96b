//! ETags and preconditions.
//!
//! Every Dynamics record carries a weak ETag: `"@odata.etag": "W/\"JzEsNjg3MTk0ODI4MzMn\""` in
//! JSON, and in the `ETag` header of single-entity answers. Send it back in `If-Match` to
//! update or delete only the version you read: a stale one is answered with 412
//! ([`Error::PreconditionFailed`]) or, on Business Central,
//! `Request_EntityChanged` ([`Error::Conflict`]).

use std::fmt;

use reqwest::header::{HeaderName, HeaderValue, IF_MATCH, IF_NONE_MATCH};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// An entity tag, exactly as the service wrote it (`W/"JzEsNjg3MTk0ODI4MzMn"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ETag(String);

impl ETag {
    /// Wraps an ETag value as the service gave it.
    pub fn new(value: impl Into<String>) -> ETag {
        ETag(value.into())
    }

    /// The value as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether it is a weak ETag (`W/"…"`), as Dynamics' are.
    pub fn is_weak(&self) -> bool {
        self.0.starts_with("W/")
    }
}

impl fmt::Display for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A condition on the entity's current version, sent as `If-Match` or `If-None-Match`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Precondition {
    /// No condition.
    #[default]
    None,
    /// Only if the entity still has this ETag.
    IfMatch(ETag),
    /// Only if the entity exists, whatever its version (`If-Match: *`).
    IfMatchAny,
    /// Only if the entity's ETag differs (a GET answered 304 when unchanged).
    IfNoneMatch(ETag),
    /// Only if the entity does not exist (`If-None-Match: *`: create, never overwrite).
    IfNoneMatchAny,
}

impl Precondition {
    /// `If-Match` with `etag` when there is one, else no condition.
    pub fn if_match(etag: Option<&ETag>) -> Precondition {
        etag.map_or(Precondition::None, |e| Precondition::IfMatch(e.clone()))
    }

    /// Whether it sends `If-Match` (an ETag or `*`).
    pub fn is_if_match(&self) -> bool {
        matches!(self, Precondition::IfMatch(_) | Precondition::IfMatchAny)
    }

    /// The header it sends, if any.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an ETag that is not a valid header value.
    pub fn header(&self) -> Result<Option<(HeaderName, HeaderValue)>> {
        let (name, value) = match self {
            Precondition::None => return Ok(None),
            Precondition::IfMatch(etag) => (IF_MATCH, etag.as_str()),
            Precondition::IfMatchAny => (IF_MATCH, "*"),
            Precondition::IfNoneMatch(etag) => (IF_NONE_MATCH, etag.as_str()),
            Precondition::IfNoneMatchAny => (IF_NONE_MATCH, "*"),
        };
        let value = HeaderValue::from_str(value).map_err(|_| {
            Error::invalid("ETag", format!("{value:?} is not a valid header value"))
        })?;
        Ok(Some((name, value)))
    }
}

impl From<ETag> for Precondition {
    fn from(etag: ETag) -> Self {
        Precondition::IfMatch(etag)
    }
}

/// Reads `@odata.etag` off a JSON entity, if it has one.
pub(crate) fn from_body(body: &[u8]) -> Option<ETag> {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(rename = "@odata.etag", alias = "@etag", default)]
        etag: Option<String>,
    }
    serde_json::from_slice::<Probe>(body)
        .ok()
        .and_then(|p| p.etag)
        .map(ETag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        let etag = ETag::new(r#"W/"JzEsNjg3MTk0ODI4MzMn""#);
        assert!(etag.is_weak());
        let (name, value) = Precondition::from(etag.clone()).header().unwrap().unwrap();
        assert_eq!(
            (name, value.to_str().unwrap()),
            (IF_MATCH, r#"W/"JzEsNjg3MTk0ODI4MzMn""#)
        );
        let (name, value) = Precondition::IfMatchAny.header().unwrap().unwrap();
        assert_eq!((name, value.to_str().unwrap()), (IF_MATCH, "*"));
        let (name, _) = Precondition::IfNoneMatchAny.header().unwrap().unwrap();
        assert_eq!(name, IF_NONE_MATCH);
        assert!(Precondition::None.header().unwrap().is_none());
        assert!(
            Precondition::IfMatch(ETag::new("bad\nvalue"))
                .header()
                .is_err()
        );
        assert_eq!(Precondition::if_match(None), Precondition::None);
    }

    #[test]
    fn etags_from_bodies() {
        assert_eq!(
            from_body(br#"{"@odata.etag":"W/\"abc\"","x":1}"#),
            Some(ETag::new(r#"W/"abc""#))
        );
        assert_eq!(from_body(b"{}"), None);
        assert_eq!(from_body(b"not json"), None);
    }
}
