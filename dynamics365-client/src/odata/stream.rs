//! Paging: a stream of pages that follows `@odata.nextLink` as given.
//!
//! - The link is used verbatim, absolute or relative (relative links resolve against the
//!   answer's `@odata.context`, else the URL of the page), whatever it carries: F&O's
//!   `$skip`/`$top`, Business Central's and Dataverse's opaque `$skiptoken`.
//! - The same `Prefer: odata.maxpagesize` is re-sent with every page.
//! - Paging stops when there is no link, or when a link repeats (a server bug that would loop
//!   forever; logged at `warn`).
//! - A link to another origin than the configured service is not followed: the stream yields
//!   [`Error::ForeignLink`] after the page that carried it, and the bearer token never leaves.
//! - Every [`Page`] carries the [`Continuation`] to resume from, so a long sync can checkpoint
//!   after each page and resume with [`EntitySet::resume`](super::EntitySet::resume).

use std::collections::HashSet;

use futures::Stream;
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use url::Url;

use super::Resource;
use crate::error::{Error, Result};
use crate::http::Verb;

/// Where to resume paging: the next link and the page size asked for. Serialisable, to store
/// in a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Continuation {
    /// The next page's URL, absolute.
    pub next_link: String,
    /// The `odata.maxpagesize` preference to re-send, if one was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_page_size: Option<u32>,
}

/// One page of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The entities of this page.
    pub items: Vec<T>,
    /// `@odata.count`, when `$count=true` was asked for.
    pub count: Option<u64>,
    /// Where the next page is, if there is one.
    pub next: Option<Continuation>,
}

#[derive(Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
struct Wire<T> {
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink", alias = "@nextLink", default)]
    next_link: Option<String>,
    #[serde(rename = "@odata.count", alias = "@count", default)]
    count: Option<u64>,
    #[serde(rename = "@odata.context", alias = "@context", default)]
    context: Option<String>,
}

/// GETs one page at `url` and resolves its next link (unchecked).
pub(crate) async fn fetch_page<T: DeserializeOwned>(
    res: &Resource,
    url: Url,
    max_page_size: Option<u32>,
) -> Result<Page<T>> {
    let mut call = res.call(Verb::Query, Method::GET, url);
    if let Some(n) = max_page_size {
        let value = HeaderValue::from_str(&format!("odata.maxpagesize={n}"))
            .map_err(|_| Error::invalid("Prefer", "not a header value"))?;
        call = call.header(HeaderName::from_static("prefer"), value);
    }
    let reply = res.client.execute(call).await?;
    let wire: Wire<T> = reply.json()?;
    let next = match wire.next_link {
        Some(link) => {
            let base = wire
                .context
                .as_deref()
                .and_then(|context| reply.url.join(context).ok())
                .unwrap_or_else(|| reply.url.clone());
            let url = base.join(&link).map_err(|_| Error::Decode {
                path: "@odata.nextLink".to_owned(),
                response: reply.meta(),
                attempts: reply.attempts,
                source: serde::de::Error::custom(format!("{link:?} is not a URL")),
            })?;
            Some(Continuation {
                next_link: url.to_string(),
                max_page_size,
            })
        }
        None => None,
    };
    Ok(Page {
        items: wire.value,
        count: wire.count,
        next,
    })
}

struct State {
    res: Resource,
    next: Option<Url>,
    max_page_size: Option<u32>,
    seen: HashSet<String>,
    /// An error to yield after the page that caused it.
    pending: Option<Error>,
}

/// The pages of a query whose first page is at `first`.
pub(crate) fn pages<T: DeserializeOwned + Send + 'static>(
    res: Resource,
    first: Result<Url>,
    max_page_size: Option<u32>,
) -> impl Stream<Item = Result<Page<T>>> + Send + 'static {
    let (next, pending) = match first {
        Ok(url) => (Some(url), None),
        Err(error) => (None, Some(error)),
    };
    let mut seen = HashSet::new();
    if let Some(url) = &next {
        seen.insert(url.to_string());
    }
    futures::stream::try_unfold(
        State {
            res,
            next,
            max_page_size,
            seen,
            pending,
        },
        step,
    )
}

/// Resumes at a continuation.
pub(crate) fn resume<T: DeserializeOwned + Send + 'static>(
    res: Resource,
    continuation: Continuation,
) -> impl Stream<Item = Result<Page<T>>> + Send + 'static {
    let first = Url::parse(&continuation.next_link)
        .map_err(|e| Error::invalid("continuation", format!("not a URL: {e}")))
        .and_then(|url| check_origin(&res, url, &continuation.next_link));
    pages(res, first, continuation.max_page_size)
}

fn check_origin(res: &Resource, url: Url, link: &str) -> Result<Url> {
    if url.origin() == res.client.inner.service_root.origin() {
        Ok(url)
    } else {
        Err(Error::ForeignLink {
            link: link.to_owned(),
        })
    }
}

async fn step<T: DeserializeOwned>(mut state: State) -> Result<Option<(Page<T>, State)>> {
    if let Some(error) = state.pending.take() {
        return Err(error);
    }
    let Some(url) = state.next.take() else {
        return Ok(None);
    };
    let mut page = fetch_page::<T>(&state.res, url, state.max_page_size).await?;
    if let Some(link) = page.next.as_ref().map(|c| c.next_link.clone()) {
        let checked = Url::parse(&link)
            .map_err(|e| Error::invalid("next link", e.to_string()))
            .and_then(|url| check_origin(&state.res, url, &link));
        match checked {
            Ok(url) if state.seen.insert(url.to_string()) => state.next = Some(url),
            Ok(_) => {
                tracing::warn!(
                    entity_set = state.res.name.as_str(),
                    "the service sent a next link it had sent before; paging stops"
                );
                page.next = None;
            }
            Err(error) => state.pending = Some(error),
        }
    }
    Ok(Some((page, state)))
}
