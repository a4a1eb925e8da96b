//! Writes: create, update, upsert, replace, delete.
//!
//! | write | request | retried after it may have arrived? |
//! |---|---|---|
//! | create | `POST Set`, `Prefer: return=representation` | never: its failure is [`Error::OutcomeUnknown`] |
//! | update | `PATCH Set(key)` | only with `If-Match` (an ETag or `*`) |
//! | upsert | `PATCH Set(key)` without `If-Match` | yes |
//! | replace | `PUT Set(key)` | yes |
//! | delete | `DELETE Set(key)` | yes |
//!
//! On a service that requires `If-Match` ([`Capabilities::require_if_match`], Business
//! Central), an update, replace or delete without one is refused before it is sent: pass the
//! entity's ETag with [`Write::if_match`], or [`Write::if_match_any`] to overwrite whatever is
//! there.
//!
//! [`Capabilities::require_if_match`]: super::Capabilities::require_if_match

use std::fmt;
use std::future::IntoFuture;
use std::marker::PhantomData;

use futures::future::BoxFuture;
use mapping::retry::Idempotency;
use reqwest::Method;
use reqwest::header::{ETAG, HeaderName, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Resource;
use super::etag::{self, ETag, Precondition};
use crate::error::{Error, Result};
use crate::http::{Verb, outcome};

/// Which write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteKind {
    Create,
    Update,
    Upsert,
    Replace,
    Delete,
}

impl WriteKind {
    pub(crate) fn method(self) -> Method {
        match self {
            WriteKind::Create => Method::POST,
            WriteKind::Update | WriteKind::Upsert => Method::PATCH,
            WriteKind::Replace => Method::PUT,
            WriteKind::Delete => Method::DELETE,
        }
    }

    fn verb(self) -> Verb {
        match self {
            WriteKind::Create => Verb::Create,
            WriteKind::Update => Verb::Update,
            WriteKind::Upsert => Verb::Upsert,
            WriteKind::Replace => Verb::Replace,
            WriteKind::Delete => Verb::Delete,
        }
    }

    /// Whether sending the write twice has the effect of sending it once.
    pub(crate) fn idempotency(self, precondition: &Precondition) -> Idempotency {
        match self {
            WriteKind::Create => Idempotency::NonIdempotent,
            WriteKind::Update if !precondition.is_if_match() => Idempotency::NonIdempotent,
            _ => Idempotency::Idempotent,
        }
    }

    /// Refuses what the service's capabilities rule out, before anything is sent.
    pub(crate) fn check(
        self,
        capabilities: &super::Capabilities,
        precondition: &Precondition,
    ) -> Result<()> {
        match self {
            WriteKind::Upsert if !capabilities.upsert => Err(Error::Unsupported {
                operation: "upsert",
                reason: "this service does not create records on PATCH; read by key, then create or update".to_owned(),
            }),
            WriteKind::Update | WriteKind::Replace | WriteKind::Delete
                if capabilities.require_if_match && !precondition.is_if_match() =>
            {
                Err(Error::invalid(
                    "precondition",
                    "this service requires If-Match on PATCH, PUT and DELETE: pass the entity's ETag with if_match(), or if_match_any() to overwrite whatever is there",
                ))
            }
            _ => Ok(()),
        }
    }
}

/// What a write returned.
#[derive(Debug, Clone, PartialEq)]
pub struct Written<T> {
    /// The HTTP status: 201 created, 200 with the entity, 204 without.
    pub status: u16,
    /// The entity, when the service sent it back.
    pub entity: Option<T>,
    /// The new ETag, from the entity's `@odata.etag` or the `ETag` header.
    pub etag: Option<ETag>,
    /// The entity's URL, from `OData-EntityId` or `Location` (a 204 create).
    pub entity_id: Option<String>,
}

impl<T> Written<T> {
    /// Whether the service answered 201 Created.
    pub fn created(&self) -> bool {
        self.status == 201
    }

    /// The entity, if it was sent back.
    pub fn into_entity(self) -> Option<T> {
        self.entity
    }
}

/// A write, ready to send: add a precondition or a preference, then await it.
#[must_use = "a Write does nothing until awaited"]
pub struct Write<T> {
    res: Resource,
    kind: WriteKind,
    body: Result<Option<Vec<u8>>>,
    precondition: Precondition,
    representation: Option<bool>,
    headers: Vec<(HeaderName, HeaderValue)>,
    _marker: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for Write<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Write")
            .field("resource", &self.res)
            .field("kind", &self.kind)
            .field("precondition", &self.precondition)
            .finish_non_exhaustive()
    }
}

pub(crate) fn serialize<B: Serialize + ?Sized>(body: &B) -> Result<Vec<u8>> {
    serde_json::to_vec(body).map_err(|e| Error::invalid("request body", e.to_string()))
}

impl<T> Write<T> {
    fn new(res: Resource, kind: WriteKind, body: Result<Option<Vec<u8>>>) -> Write<T> {
        Write {
            res,
            kind,
            body,
            precondition: Precondition::None,
            representation: (kind == WriteKind::Create).then_some(true),
            headers: Vec::new(),
            _marker: PhantomData,
        }
    }

    pub(crate) fn create<B: Serialize + ?Sized>(res: Resource, body: &B) -> Write<T> {
        Write::new(res, WriteKind::Create, serialize(body).map(Some))
    }

    pub(crate) fn update<B: Serialize + ?Sized>(res: Resource, body: &B) -> Write<T> {
        Write::new(res, WriteKind::Update, serialize(body).map(Some))
    }

    pub(crate) fn upsert<B: Serialize + ?Sized>(res: Resource, body: &B) -> Write<T> {
        Write::new(res, WriteKind::Upsert, serialize(body).map(Some))
    }

    pub(crate) fn replace<B: Serialize + ?Sized>(res: Resource, body: &B) -> Write<T> {
        Write::new(res, WriteKind::Replace, serialize(body).map(Some))
    }

    pub(crate) fn delete(res: Resource) -> Write<T> {
        Write::new(res, WriteKind::Delete, Ok(None))
    }

    /// Only if the entity still has `etag` (`If-Match`). Makes an update retryable.
    pub fn if_match(mut self, etag: &ETag) -> Self {
        self.precondition = Precondition::IfMatch(etag.clone());
        self
    }

    /// Only if the entity exists, whatever its version (`If-Match: *`). On Business Central
    /// this is how you say "overwrite"; prefer the entity's ETag.
    pub fn if_match_any(mut self) -> Self {
        self.precondition = Precondition::IfMatchAny;
        self
    }

    /// Any precondition.
    pub fn precondition(mut self, precondition: Precondition) -> Self {
        self.precondition = precondition;
        self
    }

    /// `Prefer: return=representation`: the service sends the written entity back (the
    /// default for creates).
    pub fn return_representation(mut self) -> Self {
        self.representation = Some(true);
        self
    }

    /// `Prefer: return=minimal`: no entity in the answer (204).
    pub fn return_minimal(mut self) -> Self {
        self.representation = Some(false);
        self
    }

    /// An extra request header (`Data-Access-Intent`, `MSCRM.SuppressDuplicateDetection`).
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }
}

impl<T: DeserializeOwned + Send + 'static> Write<T> {
    /// Sends the write.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] or [`Error::Unsupported`] before sending (a body that does
    /// not serialise, a missing `If-Match` where required, an upsert the service cannot do);
    /// [`Error::PreconditionFailed`] or [`Error::Conflict`] for a stale ETag or a conflicting
    /// state; [`Error::OutcomeUnknown`] for a create whose answer was lost; the service's other
    /// errors.
    pub async fn send(self) -> Result<Written<T>> {
        let caps = &self.res.client.inner.capabilities;
        self.kind.check(caps, &self.precondition)?;
        let body = self.body?;
        let url = self.res.url(&[])?;
        let idempotency = self.kind.idempotency(&self.precondition);
        let mut call = self
            .res
            .call(self.kind.verb(), self.kind.method(), url)
            .idempotency(idempotency);
        if let Some(bytes) = body {
            call = call.json_body(bytes);
        }
        if let Some((name, value)) = self.precondition.header()? {
            call = call.header(name, value);
        }
        if let Some(representation) = self.representation {
            let prefer = if representation {
                "return=representation"
            } else {
                "return=minimal"
            };
            call = call.header(
                HeaderName::from_static("prefer"),
                HeaderValue::from_static(prefer),
            );
        }
        for (name, value) in self.headers {
            call = call.header(name, value);
        }
        let op = call.op;
        let reply = self.res.client.execute(call).await?;
        let entity = if reply.has_body() && reply.status != 204 {
            Some(reply.json::<T>().map_err(|e| outcome(op, idempotency, e))?)
        } else {
            None
        };
        let etag =
            etag::from_body(&reply.body).or_else(|| reply.header(ETAG.as_str()).map(ETag::new));
        let entity_id = reply
            .header("odata-entityid")
            .or_else(|| reply.header("location"))
            .map(str::to_owned);
        Ok(Written {
            status: reply.status,
            entity,
            etag,
            entity_id,
        })
    }
}

impl<T: DeserializeOwned + Send + 'static> IntoFuture for Write<T> {
    type Output = Result<Written<T>>;
    type IntoFuture = BoxFuture<'static, Result<Written<T>>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
