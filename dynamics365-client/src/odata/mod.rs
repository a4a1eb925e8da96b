//! The generic OData v4 core. It knows nothing of Dynamics: entity sets, keys, queries, pages,
//! writes with ETags, actions and `$batch`, for any OData v4 JSON service.
//!
//! ```no_run
//! # async fn run(client: dynamics365_client::Client) -> dynamics365_client::Result<()> {
//! use dynamics365_client::odata::{Key, filter::prop};
//! use futures::TryStreamExt;
//!
//! #[derive(serde::Deserialize, serde::Serialize)]
//! struct Book { #[serde(rename = "ID")] id: i32, title: String }
//!
//! let books = client.odata().entity_set::<Book>("Books");
//! let cheap: Vec<Book> = books
//!     .query()
//!     .filter(prop("price").lt(10).and(prop("title").contains("Rust")))
//!     .select(["ID", "title"])
//!     .order_by("title")
//!     .stream()
//!     .try_collect()
//!     .await?;
//! let one = books.get(201).await?;
//! let written = books.update(201, &serde_json::json!({"title": "New"})).if_match_any().await?;
//! # Ok(()) }
//! ```
//!
//! | module | holds |
//! |---|---|
//! | [`literal`] | [`Literal`], [`Key`], [`Guid`], percent-encoding |
//! | [`filter`] | the `$filter` expression tree |
//! | [`query`] | [`QueryOptions`] and the [`Query`] builder |
//! | [`stream`] | [`Page`], [`Continuation`]: paging that follows `@odata.nextLink` |
//! | [`etag`] | [`ETag`], [`Precondition`] |
//! | [`write`](mod@write) | create, update, upsert, replace, delete: [`Write`], [`Written`] |
//! | [`action`] | bound and unbound actions |
//! | [`batch`] | `$batch` in the multipart and JSON formats |
//! | [`edm`] | serde helpers: decimals as JSON numbers, [`Extra`](edm::Extra) unknown fields |

use std::fmt;
use std::marker::PhantomData;

use futures::Stream;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{Scope, Verb};

pub mod action;
pub mod batch;
pub mod edm;
pub mod etag;
pub mod filter;
pub mod literal;
pub mod query;
pub mod stream;
pub mod write;

pub use action::{Action, ActionResult};
pub use batch::{Batch, BatchFormat, BatchResponse, PartRef, PartResponse};
pub use etag::{ETag, Precondition};
pub use filter::Expr;
pub use literal::{Guid, Key, Literal};
pub use query::{Get, Query, QueryOptions};
pub use stream::{Continuation, Page};
pub use write::{Write, Written};

/// How a service matches text in `$filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StringMatching {
    /// `contains()`, `startswith()`, `endswith()` and the other string functions.
    Functions,
    /// No functions; `*` wildcards in `eq` (Finance & Operations: `Name eq '*retail*'`).
    Wildcards,
}

/// What a service understands: the query syntax it accepts, its batch format and cap, and its
/// rules for writes. [`Flavor::capabilities`](crate::Flavor::capabilities) gives Dynamics'
/// own; [`standard`](Self::standard) is a plain OData v4 service.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// Whether `$filter` accepts `in (…)`; without it, an `or` chain of `eq` is sent.
    pub in_operator: bool,
    /// How text is matched.
    pub string_matching: StringMatching,
    /// The deepest `$expand` nesting accepted (F&O: 1), or `None` for any.
    pub max_expand_depth: Option<u8>,
    /// The `$batch` format sent by default.
    pub batch_format: BatchFormat,
    /// The most operations one `$batch` may carry; bigger batches are split where the
    /// operations are independent.
    pub max_batch_operations: usize,
    /// Whether PATCH, PUT and DELETE must carry `If-Match` (Business Central).
    pub require_if_match: bool,
    /// Whether a PATCH to a key that does not exist creates the record (upsert).
    pub upsert: bool,
}

impl Capabilities {
    /// A standard OData v4 service: `in`, string functions, any expand depth, multipart
    /// batches of up to 1,000 operations, `If-Match` optional, upsert supported.
    pub fn standard() -> Capabilities {
        Capabilities {
            in_operator: true,
            string_matching: StringMatching::Functions,
            max_expand_depth: None,
            batch_format: BatchFormat::Multipart,
            max_batch_operations: 1_000,
            require_if_match: false,
            upsert: true,
        }
    }

    /// Sets [`in_operator`](Self::in_operator).
    #[must_use]
    pub fn with_in_operator(mut self, supported: bool) -> Self {
        self.in_operator = supported;
        self
    }

    /// Sets [`string_matching`](Self::string_matching).
    #[must_use]
    pub fn with_string_matching(mut self, matching: StringMatching) -> Self {
        self.string_matching = matching;
        self
    }

    /// Sets [`max_expand_depth`](Self::max_expand_depth).
    #[must_use]
    pub fn with_max_expand_depth(mut self, depth: Option<u8>) -> Self {
        self.max_expand_depth = depth;
        self
    }

    /// Sets the batch format and cap.
    #[must_use]
    pub fn with_batch(mut self, format: BatchFormat, max_operations: usize) -> Self {
        self.batch_format = format;
        self.max_batch_operations = max_operations.max(1);
        self
    }

    /// Sets [`require_if_match`](Self::require_if_match).
    #[must_use]
    pub fn with_require_if_match(mut self, required: bool) -> Self {
        self.require_if_match = required;
        self
    }

    /// Sets [`upsert`](Self::upsert).
    #[must_use]
    pub fn with_upsert(mut self, supported: bool) -> Self {
        self.upsert = supported;
        self
    }
}

/// Marker: an entity set that can be written.
#[derive(Debug, Clone, Copy)]
pub enum ReadWrite {}

/// Marker: a read-only entity set (posted invoices, ledger entries): no write methods.
#[derive(Debug, Clone, Copy)]
pub enum ReadOnly {}

/// A path under the service root, with what every request to it carries.
#[derive(Clone)]
pub(crate) struct Resource {
    pub(crate) client: Client,
    pub(crate) scope: Scope,
    /// Relative to the service root, already encoded (`companies(…)/customers`).
    pub(crate) path: String,
    /// The entity set's name, for spans.
    pub(crate) name: String,
    /// Query parameters sent with every request (`cross-company=true`).
    pub(crate) params: Vec<(String, String)>,
    /// A filter ANDed into every query (F&O's `dataAreaId eq 'usmf'`).
    pub(crate) scope_filter: Option<Expr>,
}

impl fmt::Debug for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resource")
            .field("path", &self.path)
            .field("params", &self.params)
            .field("scope_filter", &self.scope_filter)
            .finish_non_exhaustive()
    }
}

impl Resource {
    /// The resource's path with `suffix` appended (`/Microsoft.NAV.post`, `/$count`).
    pub(crate) fn child(&self, suffix: &str) -> Resource {
        Resource {
            path: format!("{}{suffix}", self.path),
            ..self.clone()
        }
    }

    /// The URL of the resource with its parameters and `extra` query options.
    pub(crate) fn url(&self, extra: &[(String, String)]) -> Result<Url> {
        let mut text = format!("{}{}", self.client.inner.service_root, self.path);
        let pairs: Vec<(&str, &str)> = extra
            .iter()
            .chain(&self.params)
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if !pairs.is_empty() {
            text.push('?');
            text.push_str(&literal::encode_query(pairs));
        }
        Url::parse(&text).map_err(|e| Error::invalid("URL", format!("{text:?}: {e}")))
    }

    pub(crate) fn op(&self, verb: Verb) -> crate::http::Op {
        crate::http::Op {
            scope: self.scope,
            verb,
        }
    }

    pub(crate) fn call(&self, verb: Verb, method: Method, url: Url) -> crate::http::Call {
        crate::http::Call::new(self.op(verb), self.name.clone(), method, url)
    }
}

/// The root of an OData service: entity sets, batches and unbound actions.
#[derive(Clone)]
pub struct Service {
    client: Client,
    scope: Scope,
}

impl fmt::Debug for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Service")
            .field("root", &self.client.inner.service_root.as_str())
            .finish()
    }
}

impl Service {
    pub(crate) fn new(client: Client, scope: Scope) -> Service {
        Service { client, scope }
    }

    fn resource(&self, path: &str) -> Resource {
        Resource {
            client: self.client.clone(),
            scope: self.scope,
            path: path.to_owned(),
            name: path.rsplit('/').next().unwrap_or(path).to_owned(),
            params: Vec::new(),
            scope_filter: None,
        }
    }

    /// The entity set at `path` under the service root (`Books`, `companies(…)/customers`).
    /// The path is used as given: encode keys in it with [`Key::to_path`].
    pub fn entity_set<T>(&self, path: &str) -> EntitySet<T> {
        EntitySet::from_resource(self.resource(path))
    }

    /// A read-only entity set at `path`.
    pub fn read_only_set<T>(&self, path: &str) -> EntitySet<T, ReadOnly> {
        EntitySet::from_resource(self.resource(path))
    }

    /// An unbound action: `POST {root}/{name}`.
    pub fn action(&self, name: &str) -> Action {
        Action::new(self.resource(name))
    }

    /// A `$batch` in the service's default format.
    pub fn batch(&self) -> Batch {
        Batch::new(self.resource("$batch"))
    }
}

/// An entity set of `T`. `A` is [`ReadWrite`] (the default) or [`ReadOnly`], which has no
/// write methods. Cheap to clone; holds a clone of the client.
pub struct EntitySet<T, A = ReadWrite> {
    pub(crate) res: Resource,
    _marker: PhantomData<fn() -> (T, A)>,
}

impl<T, A> Clone for EntitySet<T, A> {
    fn clone(&self) -> Self {
        EntitySet::from_resource(self.res.clone())
    }
}

impl<T, A> fmt::Debug for EntitySet<T, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("EntitySet").field(&self.res).finish()
    }
}

impl<T, A> EntitySet<T, A> {
    pub(crate) fn from_resource(res: Resource) -> Self {
        EntitySet {
            res,
            _marker: PhantomData,
        }
    }

    /// The set's path under the service root.
    pub fn path(&self) -> &str {
        &self.res.path
    }

    /// Adds a query parameter sent with every request to this set (`cross-company=true`).
    #[must_use]
    pub fn with_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.res.params.push((name.into(), value.into()));
        self
    }

    /// Adds a filter ANDed into every query of this set.
    #[must_use]
    pub fn with_scope_filter(mut self, filter: Expr) -> Self {
        self.res.scope_filter = Some(match self.res.scope_filter.take() {
            Some(existing) => existing.and(filter),
            None => filter,
        });
        self
    }

    /// A query of the set; see [`Query`].
    pub fn query(&self) -> Query<T> {
        Query::new(self.res.clone())
    }

    /// The entity with `key`.
    pub fn entity(&self, key: impl Into<Key>) -> Entity<T, A> {
        let key = key.into();
        Entity {
            set: EntitySet::from_resource(self.res.child(&key.to_path())),
            key,
        }
    }

    /// Reads the entity with `key` (`GET Set(key)`); add `$select`/`$expand` on the returned
    /// [`Get`] before awaiting it.
    pub fn get(&self, key: impl Into<Key>) -> Get<T> {
        self.entity(key).get()
    }

    /// The same set seen as read-only.
    pub fn read_only(&self) -> EntitySet<T, ReadOnly> {
        EntitySet::from_resource(self.res.clone())
    }

    /// Resumes paging from a [`Continuation`] saved from a [`Page`], re-sending its `Prefer`.
    pub fn resume(
        &self,
        continuation: Continuation,
    ) -> impl Stream<Item = Result<Page<T>>> + Send + 'static + use<T, A>
    where
        T: DeserializeOwned + Send + 'static,
    {
        stream::resume(self.res.clone(), continuation)
    }
}

impl<T> EntitySet<T, ReadWrite> {
    /// Creates an entity: `POST Set` with `Prefer: return=representation`. The answer is a
    /// 201 with the entity, or a 204 with its URL in `OData-EntityId`.
    ///
    /// A create is never resent once it may have reached the service: its failure then comes
    /// back as [`Error::OutcomeUnknown`].
    pub fn create<B: Serialize + ?Sized>(&self, body: &B) -> Write<T> {
        Write::create(self.res.clone(), body)
    }

    /// Updates the entity with `key` (`PATCH`); only the fields in `body` change.
    pub fn update<B: Serialize + ?Sized>(&self, key: impl Into<Key>, body: &B) -> Write<T> {
        self.entity(key).update(body)
    }

    /// Creates or updates the entity with `key` (`PATCH` without `If-Match`), on services that
    /// support it ([`Capabilities::upsert`]).
    pub fn upsert<B: Serialize + ?Sized>(&self, key: impl Into<Key>, body: &B) -> Write<T> {
        self.entity(key).upsert(body)
    }

    /// Replaces the entity with `key` (`PUT`).
    pub fn replace<B: Serialize + ?Sized>(&self, key: impl Into<Key>, body: &B) -> Write<T> {
        self.entity(key).replace(body)
    }

    /// Deletes the entity with `key`.
    pub fn delete(&self, key: impl Into<Key>) -> Write<T> {
        self.entity(key).delete()
    }

    /// An action bound to the collection: `POST Set/{name}`.
    pub fn action(&self, name: &str) -> Action {
        Action::new(self.res.child(&format!("/{name}")))
    }
}

/// One entity of a set, by key.
pub struct Entity<T, A = ReadWrite> {
    set: EntitySet<T, A>,
    key: Key,
}

impl<T, A> Clone for Entity<T, A> {
    fn clone(&self) -> Self {
        Entity {
            set: self.set.clone(),
            key: self.key.clone(),
        }
    }
}

impl<T, A> fmt::Debug for Entity<T, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entity")
            .field("path", &self.set.res.path)
            .finish()
    }
}

impl<T, A> Entity<T, A> {
    /// The key.
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// The entity's path under the service root (`CustomersV3(dataAreaId='usmf',…)`).
    pub fn path(&self) -> &str {
        &self.set.res.path
    }

    /// Reads the entity.
    pub fn get(&self) -> Get<T> {
        Get::new(self.set.res.clone())
    }

    /// A navigation property as an entity set: `Entity/{name}`
    /// (`salesOrders(…)/salesOrderLines`).
    pub fn navigation<U>(&self, name: &str) -> EntitySet<U, A> {
        let mut res = self.set.res.child(&format!("/{name}"));
        res.name = name.to_owned();
        res.scope_filter = None;
        EntitySet::from_resource(res)
    }
}

impl<T> Entity<T, ReadWrite> {
    /// `PATCH` with `body`; add `if_match(etag)` to make it conditional (and retryable).
    pub fn update<B: Serialize + ?Sized>(&self, body: &B) -> Write<T> {
        Write::update(self.set.res.clone(), body)
    }

    /// `PATCH` without `If-Match`: creates the entity if it does not exist, on services that
    /// support upsert.
    pub fn upsert<B: Serialize + ?Sized>(&self, body: &B) -> Write<T> {
        Write::upsert(self.set.res.clone(), body)
    }

    /// `PUT` with `body`.
    pub fn replace<B: Serialize + ?Sized>(&self, body: &B) -> Write<T> {
        Write::replace(self.set.res.clone(), body)
    }

    /// `DELETE`.
    pub fn delete(&self) -> Write<T> {
        Write::delete(self.set.res.clone())
    }

    /// An action bound to the entity: `POST Entity/{name}` (`Microsoft.NAV.post`).
    pub fn action(&self, name: &str) -> Action {
        let mut res = self.set.res.child(&format!("/{name}"));
        res.name = format!("{}/{name}", self.set.res.name);
        Action::new(res)
    }
}
