//! System query options and the [`Query`] builder.
//!
//! Options are written in a fixed order — `$filter`, `$select`, `$expand`, `$orderby`, `$top`,
//! `$skip`, `$count`, `$search`, then custom parameters — so a URL is the same every time.
//! Nested `$expand` options are separated by `;` (`$expand=Lines($select=A,B;$top=5)`).

use std::fmt;
use std::future::IntoFuture;
use std::marker::PhantomData;

use futures::future::BoxFuture;
use futures::{Stream, TryStreamExt};
use reqwest::Method;
use serde::de::DeserializeOwned;
use url::Url;

use super::filter::Expr;
use super::stream::{self, Page};
use super::{Capabilities, Resource};
use crate::error::{Error, Result};
use crate::http::Verb;

/// Sort direction of an `$orderby` item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Ascending (`asc`, the default).
    Asc,
    /// Descending (`desc`).
    Desc,
}

/// System query options, usable at the top level or inside an `$expand`.
///
/// ```
/// use dynamics365_client::odata::{Capabilities, QueryOptions, filter::prop};
///
/// let options = QueryOptions::new()
///     .filter(prop("SalesOrderStatus").eq("Backorder"))
///     .select(["SalesOrderNumber", "CurrencyCode"])
///     .expand_with("SalesOrderLines", QueryOptions::new().select(["ItemNumber"]).top(5))
///     .order_by_desc("SalesOrderNumber")
///     .top(100)
///     .with_count();
/// let pairs = options.to_pairs(&Capabilities::standard())?;
/// assert_eq!(pairs[2], ("$expand".to_owned(), "SalesOrderLines($select=ItemNumber;$top=5)".to_owned()));
/// # Ok::<(), dynamics365_client::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryOptions {
    filter: Option<Expr>,
    select: Vec<String>,
    expand: Vec<(String, QueryOptions)>,
    order_by: Vec<(String, Order)>,
    top: Option<u64>,
    skip: Option<u64>,
    count: bool,
    search: Option<String>,
    params: Vec<(String, String)>,
}

impl QueryOptions {
    /// No options.
    pub fn new() -> QueryOptions {
        QueryOptions::default()
    }

    /// `$filter`; called again, the filters are ANDed.
    #[must_use]
    pub fn filter(mut self, filter: Expr) -> Self {
        self.filter = Some(match self.filter.take() {
            Some(existing) => existing.and(filter),
            None => filter,
        });
        self
    }

    /// `$select` (added to any fields selected before).
    #[must_use]
    pub fn select<S: Into<String>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        self.select.extend(fields.into_iter().map(Into::into));
        self
    }

    /// `$expand` of a navigation property.
    #[must_use]
    pub fn expand(self, navigation: impl Into<String>) -> Self {
        self.expand_with(navigation, QueryOptions::new())
    }

    /// `$expand` of a navigation property with nested options.
    #[must_use]
    pub fn expand_with(mut self, navigation: impl Into<String>, options: QueryOptions) -> Self {
        self.expand.push((navigation.into(), options));
        self
    }

    /// `$orderby` ascending (added after earlier sort keys).
    #[must_use]
    pub fn order_by(mut self, field: impl Into<String>) -> Self {
        self.order_by.push((field.into(), Order::Asc));
        self
    }

    /// `$orderby` descending.
    #[must_use]
    pub fn order_by_desc(mut self, field: impl Into<String>) -> Self {
        self.order_by.push((field.into(), Order::Desc));
        self
    }

    /// `$top`.
    #[must_use]
    pub fn top(mut self, n: u64) -> Self {
        self.top = Some(n);
        self
    }

    /// `$skip`.
    #[must_use]
    pub fn skip(mut self, n: u64) -> Self {
        self.skip = Some(n);
        self
    }

    /// `$count=true`: the total is in [`Page::count`].
    #[must_use]
    pub fn with_count(mut self) -> Self {
        self.count = true;
        self
    }

    /// `$search`.
    #[must_use]
    pub fn search(mut self, text: impl Into<String>) -> Self {
        self.search = Some(text.into());
        self
    }

    /// A custom query parameter (`cross-company=true`).
    #[must_use]
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    /// The options as `(name, value)` pairs for a service with `capabilities`, not yet
    /// percent-encoded.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a filter the service cannot express, or an `$expand`
    /// nested deeper than the service allows.
    pub fn to_pairs(&self, capabilities: &Capabilities) -> Result<Vec<(String, String)>> {
        let mut pairs = Vec::new();
        for (name, value) in self.system_options(capabilities, 1)? {
            pairs.push((name.to_owned(), value));
        }
        pairs.extend(self.params.iter().cloned());
        Ok(pairs)
    }

    fn system_options(
        &self,
        caps: &Capabilities,
        depth: u8,
    ) -> Result<Vec<(&'static str, String)>> {
        let mut out = Vec::new();
        if let Some(filter) = &self.filter {
            out.push(("$filter", filter.render(caps)?));
        }
        if !self.select.is_empty() {
            out.push(("$select", self.select.join(",")));
        }
        if !self.expand.is_empty() {
            if caps.max_expand_depth.is_some_and(|max| depth > max) {
                return Err(Error::invalid(
                    "$expand",
                    format!(
                        "the service expands at most {} level(s)",
                        caps.max_expand_depth.unwrap_or_default()
                    ),
                ));
            }
            let mut items = Vec::new();
            for (navigation, options) in &self.expand {
                let nested = options.system_options(caps, depth.saturating_add(1))?;
                if nested.is_empty() {
                    items.push(navigation.clone());
                } else {
                    let inner: Vec<String> =
                        nested.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    items.push(format!("{navigation}({})", inner.join(";")));
                }
            }
            out.push(("$expand", items.join(",")));
        }
        if !self.order_by.is_empty() {
            let items: Vec<String> = self
                .order_by
                .iter()
                .map(|(field, order)| match order {
                    Order::Asc => field.clone(),
                    Order::Desc => format!("{field} desc"),
                })
                .collect();
            out.push(("$orderby", items.join(",")));
        }
        if let Some(top) = self.top {
            out.push(("$top", top.to_string()));
        }
        if let Some(skip) = self.skip {
            out.push(("$skip", skip.to_string()));
        }
        if self.count {
            out.push(("$count", "true".to_owned()));
        }
        if let Some(search) = &self.search {
            out.push(("$search", search.clone()));
        }
        Ok(out)
    }
}

/// A query of an entity set, bound to the client. Build it, then read it as a
/// [`stream`](Self::stream) of entities, a stream of [`pages`](Self::pages), the
/// [`first_page`](Self::first_page), the [`first`](Self::first) match or a
/// [`count`](Self::count).
pub struct Query<T> {
    res: Resource,
    options: QueryOptions,
    max_page_size: Option<u32>,
    _marker: PhantomData<fn() -> T>,
}

impl<T> Clone for Query<T> {
    fn clone(&self) -> Self {
        Query {
            res: self.res.clone(),
            options: self.options.clone(),
            max_page_size: self.max_page_size,
            _marker: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Query<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Query")
            .field("resource", &self.res)
            .field("options", &self.options)
            .field("max_page_size", &self.max_page_size)
            .finish()
    }
}

macro_rules! delegate {
    ($($(#[$doc:meta])* $name:ident($($arg:ident: $ty:ty),*) $(<$g:ident: $bound:path>)?;)*) => {$(
        $(#[$doc])*
        #[must_use]
        pub fn $name$(<$g: $bound>)?(mut self, $($arg: $ty),*) -> Self {
            self.options = self.options.$name($($arg),*);
            self
        }
    )*};
}

impl<T> Query<T> {
    pub(crate) fn new(res: Resource) -> Query<T> {
        Query {
            res,
            options: QueryOptions::new(),
            max_page_size: None,
            _marker: PhantomData,
        }
    }

    delegate! {
        /// `$filter`; called again, the filters are ANDed.
        filter(filter: Expr);
        /// `$select`.
        select(fields: impl IntoIterator<Item = S>) <S: Into<String>>;
        /// `$expand` of a navigation property.
        expand(navigation: impl Into<String>);
        /// `$expand` with nested options.
        expand_with(navigation: impl Into<String>, options: QueryOptions);
        /// `$orderby` ascending.
        order_by(field: impl Into<String>);
        /// `$orderby` descending.
        order_by_desc(field: impl Into<String>);
        /// `$top`. Note that Business Central sends no next link when `$top` is given.
        top(n: u64);
        /// `$skip`.
        skip(n: u64);
        /// `$count=true`: the total is in [`Page::count`].
        with_count();
        /// `$search`.
        search(text: impl Into<String>);
        /// A custom query parameter.
        param(name: impl Into<String>, value: impl Into<String>);
    }

    /// Replaces all options at once.
    #[must_use]
    pub fn options(mut self, options: QueryOptions) -> Self {
        self.options = options;
        self
    }

    /// Asks for pages of at most `n` entities (`Prefer: odata.maxpagesize=n`), re-sent with
    /// every next link. Business Central and Dataverse honour it; Finance & Operations
    /// ignores it (use `$top`).
    #[must_use]
    pub fn max_page_size(mut self, n: u32) -> Self {
        self.max_page_size = Some(n);
        self
    }

    /// The URL of the first page.
    ///
    /// # Errors
    /// As [`QueryOptions::to_pairs`].
    pub fn url(&self) -> Result<Url> {
        let mut options = self.options.clone();
        if let Some(scope) = &self.res.scope_filter {
            options.filter = Some(match options.filter.take() {
                Some(filter) => scope.clone().and(filter),
                None => scope.clone(),
            });
        }
        let pairs = options.to_pairs(&self.res.client.inner.capabilities)?;
        self.res.url(&pairs)
    }
}

impl<T: DeserializeOwned + Send + 'static> Query<T> {
    /// The pages, following `@odata.nextLink` as given until there is none. Each [`Page`]
    /// carries the [`Continuation`](super::Continuation) to resume from.
    pub fn pages(self) -> impl Stream<Item = Result<Page<T>>> + Send + 'static {
        let first = self.url();
        stream::pages(self.res, first, self.max_page_size)
    }

    /// Every entity of every page, in order.
    pub fn stream(self) -> impl Stream<Item = Result<T>> + Send + 'static {
        self.pages()
            .map_ok(|page| futures::stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
    }

    /// The first page only.
    ///
    /// # Errors
    /// As [`Client`](crate::Client) calls: the service's error, transport, decoding.
    pub async fn first_page(self) -> Result<Page<T>> {
        let url = self.url()?;
        stream::fetch_page(&self.res, url, self.max_page_size).await
    }

    /// The first entity (`$top=1`), if any.
    ///
    /// # Errors
    /// As [`first_page`](Self::first_page).
    pub async fn first(self) -> Result<Option<T>> {
        let page = self.top(1).first_page().await?;
        Ok(page.items.into_iter().next())
    }

    /// How many entities match the filter: `GET Set/$count`.
    ///
    /// # Errors
    /// As [`first_page`](Self::first_page); [`Error::Decode`] if the answer is not a number.
    pub async fn count(self) -> Result<u64> {
        let mut res = self.res.child("/$count");
        res.params.clear();
        let mut options = QueryOptions::new();
        if let Some(scope) = &self.res.scope_filter {
            options = options.filter(scope.clone());
        }
        if let Some(filter) = self.options.filter {
            options = options.filter(filter);
        }
        let mut pairs = options.to_pairs(&self.res.client.inner.capabilities)?;
        pairs.extend(self.res.params.iter().cloned());
        let url = res.url(&pairs)?;
        let call = res.call(Verb::Count, Method::GET, url).header(
            reqwest::header::ACCEPT,
            reqwest::header::HeaderValue::from_static("text/plain"),
        );
        let reply = self.res.client.execute(call).await?;
        let text = String::from_utf8_lossy(&reply.body);
        let text = text.trim().trim_start_matches('\u{feff}');
        match text.parse::<u64>() {
            Ok(n) => Ok(n),
            Err(_) => reply.json::<u64>(),
        }
    }
}

/// A read of one entity; await it, or add `$select`/`$expand` first.
#[must_use = "a Get does nothing until awaited"]
pub struct Get<T> {
    res: Resource,
    options: QueryOptions,
    _marker: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for Get<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Get")
            .field("resource", &self.res)
            .field("options", &self.options)
            .finish()
    }
}

impl<T> Get<T> {
    pub(crate) fn new(res: Resource) -> Get<T> {
        Get {
            res,
            options: QueryOptions::new(),
            _marker: PhantomData,
        }
    }

    /// `$select`.
    pub fn select<S: Into<String>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        self.options = self.options.select(fields);
        self
    }

    /// `$expand` with nested options.
    pub fn expand_with(mut self, navigation: impl Into<String>, options: QueryOptions) -> Self {
        self.options = self.options.expand_with(navigation, options);
        self
    }

    /// `$expand`.
    pub fn expand(self, navigation: impl Into<String>) -> Self {
        self.expand_with(navigation, QueryOptions::new())
    }
}

impl<T: DeserializeOwned + Send + 'static> Get<T> {
    /// Sends the read.
    ///
    /// # Errors
    /// [`Error::Api`] with a 404 ([`Error::is_not_found`]) when there is no such entity, and
    /// the other failures of any call.
    pub async fn send(self) -> Result<T> {
        let pairs = self.options.to_pairs(&self.res.client.inner.capabilities)?;
        let url = self.res.url(&pairs)?;
        let reply = self
            .res
            .client
            .execute(self.res.call(Verb::Get, Method::GET, url))
            .await?;
        reply.json()
    }
}

impl<T: DeserializeOwned + Send + 'static> IntoFuture for Get<T> {
    type Output = Result<T>;
    type IntoFuture = BoxFuture<'static, Result<T>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
