//! `$batch`: many operations in one request, in either format.
//!
//! - **multipart** (`multipart/mixed`, OData 4.0; F&O, Dataverse): operations and
//!   *changesets*, atomic groups of writes whose parts get a `Content-ID`, so a later part of
//!   the same changeset can address what an earlier one created as `$1`
//!   (`POST $1/SalesOrderLines`).
//! - **JSON** (`application/json`, OData 4.01; Business Central): `requests` with `id`,
//!   `atomicityGroup` for changesets and `dependsOn` (added for you when a URL refers to `$id`).
//!
//! Every part gets its own result: the batch's outer 200 says nothing about its parts, so read
//! each [`PartResponse`] (or call [`BatchResponse::check`]).
//!
//! A batch larger than the service's cap ([`Capabilities::max_batch_operations`]: F&O 5,000,
//! Business Central 100) is sent as several batches, split only between independent units: a
//! changeset is never split, nor a part from a part it depends on. A single changeset larger
//! than the cap is refused.
//!
//! ```no_run
//! # async fn run(client: dynamics365_client::Client) -> dynamics365_client::Result<()> {
//! use serde_json::json;
//! let svc = client.odata();
//! let orders = svc.entity_set::<serde_json::Value>("SalesOrderHeadersV2");
//! let mut batch = svc.batch();
//! let mut order = batch.changeset();
//! let header = order.create(&orders, &json!({"dataAreaId": "usmf", "OrderingCustomerAccountNumber": "US-001"}));
//! order.create_under(&header, "SalesOrderLines", &json!({"ItemNumber": "A0001", "OrderedSalesQuantity": 2}));
//! let answer = batch.send().await?;
//! answer.check()?; // the first failed part, if any
//! let created: serde_json::Value = answer.part(&header).expect("sent").json()?;
//! # Ok(()) }
//! ```
//!
//! [`Capabilities::max_batch_operations`]: super::Capabilities::max_batch_operations

use std::collections::HashMap;
use std::fmt;
use std::future::IntoFuture;

use futures::future::BoxFuture;
use mapping::retry::Idempotency;
use reqwest::Method;
use reqwest::header::{ACCEPT, HeaderName, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::etag::{self, ETag, Precondition};
use super::write::{WriteKind, serialize};
use super::{Entity, EntitySet, Query, ReadWrite, Resource};
use crate::error::{Error, Result};
use crate::http::{Body, Verb, decode_json, response_meta};

mod json;
mod multipart;

/// The two `$batch` formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BatchFormat {
    /// `multipart/mixed` with changesets (OData 4.0).
    Multipart,
    /// `application/json` with atomicity groups (OData 4.01).
    Json,
}

/// A part of a batch, to find its answer and to refer to what it created (`$1`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PartRef {
    id: String,
}

impl PartRef {
    /// The part's id (its `Content-ID`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `$id`: the reference a later part of the same changeset uses in its URL.
    pub fn reference(&self) -> String {
        format!("${}", self.id)
    }
}

/// One request inside a batch.
#[derive(Debug, Clone)]
pub(crate) struct PartRequest {
    pub(crate) id: String,
    pub(crate) method: Method,
    /// Relative to the service root, or starting with `$id`.
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) idempotent: bool,
    pub(crate) depends_on: Vec<String>,
}

/// A unit the batch may not split: one request, or a changeset.
#[derive(Debug, Clone)]
pub(crate) enum Unit {
    Single(PartRequest),
    Changeset(Vec<PartRequest>),
}

impl Unit {
    pub(crate) fn parts(&self) -> &[PartRequest] {
        match self {
            Unit::Single(part) => std::slice::from_ref(part),
            Unit::Changeset(parts) => parts,
        }
    }
}

/// A `$batch` being built. Add operations (each returns a [`PartRef`]), changesets with
/// [`changeset`](Self::changeset), then [`send`](Self::send) it.
#[must_use = "a Batch does nothing until sent"]
pub struct Batch {
    res: Resource,
    units: Vec<Unit>,
    next_id: u32,
    error: Option<Error>,
    format: BatchFormat,
    continue_on_error: bool,
    isolation_snapshot: bool,
}

impl fmt::Debug for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("format", &self.format)
            .field("units", &self.units.len())
            .finish_non_exhaustive()
    }
}

impl Batch {
    pub(crate) fn new(res: Resource) -> Batch {
        let format = res.client.inner.capabilities.batch_format;
        Batch {
            res,
            units: Vec::new(),
            next_id: 0,
            error: None,
            format,
            continue_on_error: false,
            isolation_snapshot: false,
        }
    }

    /// Sends the batch in `format` instead of the service's default.
    pub fn format(mut self, format: BatchFormat) -> Self {
        self.format = format;
        self
    }

    /// `Prefer: odata.continue-on-error`: the service runs every part even after one fails.
    pub fn continue_on_error(mut self) -> Self {
        self.continue_on_error = true;
        self
    }

    /// `Isolation: snapshot`: Business Central runs the whole batch as one transaction.
    pub fn isolation_snapshot(mut self) -> Self {
        self.isolation_snapshot = true;
        self
    }

    /// How many operations the batch holds.
    pub fn len(&self) -> usize {
        self.units.iter().map(|u| u.parts().len()).sum()
    }

    /// Whether the batch holds no operation.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    fn fail(&mut self, error: Error) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    fn part(
        &mut self,
        method: Method,
        url: String,
        body: Option<Result<Vec<u8>>>,
        kind: Option<(WriteKind, &Precondition)>,
    ) -> PartRequest {
        self.next_id += 1;
        let id = self.next_id.to_string();
        let mut headers = vec![("Accept".to_owned(), "application/json".to_owned())];
        let mut idempotent = method == Method::GET;
        if let Some((kind, precondition)) = kind {
            if let Err(e) = kind.check(&self.res.client.inner.capabilities, precondition) {
                self.fail(e);
            }
            idempotent = kind.idempotency(precondition) == Idempotency::Idempotent;
            match precondition.header() {
                Ok(Some((name, value))) => headers.push((
                    name.as_str().to_owned(),
                    value.to_str().unwrap_or_default().to_owned(),
                )),
                Ok(None) => {}
                Err(e) => self.fail(e),
            }
            if kind == WriteKind::Create {
                headers.push(("Prefer".to_owned(), "return=representation".to_owned()));
            }
        }
        let body = match body {
            Some(Ok(bytes)) => {
                headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
                Some(bytes)
            }
            Some(Err(e)) => {
                self.fail(e);
                None
            }
            None => None,
        };
        let depends_on = url
            .strip_prefix('$')
            .map(|rest| rest.split(['/', '?']).next().unwrap_or_default().to_owned())
            .into_iter()
            .collect();
        PartRequest {
            id,
            method,
            url,
            headers,
            body,
            idempotent,
            depends_on,
        }
    }

    /// `url` relative to the service root, as batch parts address resources.
    fn relative(&mut self, url: Result<url::Url>) -> String {
        match url {
            Ok(url) => url
                .as_str()
                .strip_prefix(self.res.client.inner.service_root.as_str())
                .unwrap_or(url.as_str())
                .to_owned(),
            Err(e) => {
                self.fail(e);
                String::new()
            }
        }
    }

    fn push(&mut self, part: PartRequest) -> PartRef {
        let reference = PartRef {
            id: part.id.clone(),
        };
        self.units.push(Unit::Single(part));
        reference
    }

    /// `GET` one entity.
    pub fn get<T, A>(&mut self, entity: &Entity<T, A>) -> PartRef {
        let url = self.relative(entity.set.res.url(&[]));
        let part = self.part(Method::GET, url, None, None);
        self.push(part)
    }

    /// `GET` the first page of a query.
    pub fn query<T>(&mut self, query: &Query<T>) -> PartRef {
        let url = self.relative(query.url());
        let part = self.part(Method::GET, url, None, None);
        self.push(part)
    }

    /// Adds a write that is not in a changeset.
    fn write(
        &mut self,
        kind: WriteKind,
        res: &Resource,
        body: Option<Result<Vec<u8>>>,
        precondition: &Precondition,
    ) -> PartRequest {
        let url = self.relative(res.url(&[]));
        self.part(kind.method(), url, body, Some((kind, precondition)))
    }

    /// `POST` a new entity (outside any changeset).
    pub fn create<T, B: Serialize + ?Sized>(
        &mut self,
        set: &EntitySet<T, ReadWrite>,
        body: &B,
    ) -> PartRef {
        let part = self.write(
            WriteKind::Create,
            &set.res,
            Some(serialize(body)),
            &Precondition::None,
        );
        self.push(part)
    }

    /// `PATCH` an entity (outside any changeset).
    pub fn update<T, B: Serialize + ?Sized>(
        &mut self,
        entity: &Entity<T, ReadWrite>,
        body: &B,
        precondition: Precondition,
    ) -> PartRef {
        let part = self.write(
            WriteKind::Update,
            &entity.set.res,
            Some(serialize(body)),
            &precondition,
        );
        self.push(part)
    }

    /// `DELETE` an entity (outside any changeset).
    pub fn delete<T>(
        &mut self,
        entity: &Entity<T, ReadWrite>,
        precondition: Precondition,
    ) -> PartRef {
        let part = self.write(WriteKind::Delete, &entity.set.res, None, &precondition);
        self.push(part)
    }

    /// Opens a changeset (an atomic group): add its writes through the returned handle.
    pub fn changeset(&mut self) -> Changeset<'_> {
        self.units.push(Unit::Changeset(Vec::new()));
        let unit = self.units.len() - 1;
        Changeset { batch: self, unit }
    }

    /// Declares that `part` must run after `on` (JSON format; `$id` references add this for
    /// you). Parts that depend on each other are never split into different batches.
    pub fn depends_on(&mut self, part: &PartRef, on: &PartRef) {
        for unit in &mut self.units {
            let parts = match unit {
                Unit::Single(p) => std::slice::from_mut(p),
                Unit::Changeset(ps) => ps.as_mut_slice(),
            };
            if let Some(p) = parts.iter_mut().find(|p| p.id == part.id) {
                p.depends_on.push(on.id.clone());
            }
        }
    }

    /// Sends the batch (as several, if it is over the service's cap) and returns one result per
    /// part, in the order they were added.
    ///
    /// # Errors
    /// A problem found while building (a body that did not serialise, a missing `If-Match`
    /// where required); [`Error::InvalidRequest`] for a changeset bigger than the cap; the
    /// service's error for the (first) request as a whole (a 400 for a malformed batch, a
    /// 429 beyond the retry policy). The parts' own failures are in the [`BatchResponse`], not
    /// here; so is the failure of a later request of a split batch
    /// ([`BatchResponse::interrupted`]).
    pub async fn send(self) -> Result<BatchResponse> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let cap = self.res.client.inner.capabilities.max_batch_operations;
        let mut answers: HashMap<String, PartResponse> = HashMap::new();
        let mut interrupted = None;
        for (i, chunk) in plan(&self.units, cap)?.into_iter().enumerate() {
            let units: Vec<&Unit> = chunk.iter().filter_map(|&u| self.units.get(u)).collect();
            match self.send_chunk(&units).await {
                Ok(responses) => {
                    for response in responses {
                        answers.insert(response.id.clone(), response);
                    }
                }
                // Nothing has run yet: the batch failed as a whole.
                Err(error) if i == 0 => return Err(error),
                // Earlier requests ran: keep their answers, and say why the rest did not.
                Err(error) => {
                    interrupted = Some(error);
                    break;
                }
            }
        }
        let parts = self
            .units
            .iter()
            .flat_map(Unit::parts)
            .map(|p| {
                answers
                    .remove(&p.id)
                    .unwrap_or_else(|| PartResponse::not_executed(p.id.clone()))
            })
            .collect();
        Ok(BatchResponse { parts, interrupted })
    }

    async fn send_chunk(&self, units: &[&Unit]) -> Result<Vec<PartResponse>> {
        let (body, content_type, accept) = match self.format {
            BatchFormat::Multipart => {
                let boundary = format!("batch_{:032x}", rand::random::<u128>());
                (
                    multipart::build(units, &boundary),
                    format!("multipart/mixed; boundary={boundary}"),
                    "multipart/mixed",
                )
            }
            BatchFormat::Json => (
                json::build(units)?,
                "application/json".to_owned(),
                "application/json",
            ),
        };
        let idempotent = units.iter().flat_map(|u| u.parts()).all(|p| p.idempotent);
        let url = self.res.url(&[])?;
        let mut call = self
            .res
            .call(Verb::Batch, Method::POST, url)
            .idempotency(if idempotent {
                Idempotency::Idempotent
            } else {
                Idempotency::NonIdempotent
            })
            .header(ACCEPT, HeaderValue::from_static(accept));
        call.body = Some(Body {
            bytes: body,
            content_type: HeaderValue::from_str(&content_type)
                .map_err(|_| Error::invalid("Content-Type", "not a header value"))?,
        });
        if self.continue_on_error {
            call = call.header(
                HeaderName::from_static("prefer"),
                HeaderValue::from_static("odata.continue-on-error"),
            );
        }
        if self.isolation_snapshot {
            call = call.header(
                HeaderName::from_static("isolation"),
                HeaderValue::from_static("snapshot"),
            );
        }
        let reply = self.res.client.execute(call).await?;
        let attempts = reply.attempts;
        let answers = match self.format {
            BatchFormat::Multipart => {
                let content_type = reply.header("content-type").unwrap_or_default();
                let items = multipart::parse(content_type, &reply.body).map_err(|reason| {
                    Error::Decode {
                        path: "$batch".to_owned(),
                        response: reply.meta(),
                        attempts,
                        source: serde::de::Error::custom(reason),
                    }
                })?;
                match_multipart(units, items)
            }
            BatchFormat::Json => {
                let wire: json::Wire = reply.json()?;
                json::into_answers(wire)
            }
        };
        Ok(answers
            .into_iter()
            .map(|mut answer| {
                answer.attempts = attempts;
                answer
            })
            .collect())
    }
}

impl IntoFuture for Batch {
    type Output = Result<BatchResponse>;
    type IntoFuture = BoxFuture<'static, Result<BatchResponse>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// Splits the units into batches of at most `cap` operations, keeping each changeset, and
/// each set of units linked by `dependsOn`, whole. Returns unit indices per batch.
fn plan(units: &[Unit], cap: usize) -> Result<Vec<Vec<usize>>> {
    // Union-find over units: a part depending on a part of another unit links the units.
    let mut parent: Vec<usize> = (0..units.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while let Some(&p) = parent.get(i) {
            if p == i {
                break;
            }
            i = p;
        }
        i
    }
    let owner: HashMap<&str, usize> = units
        .iter()
        .enumerate()
        .flat_map(|(i, u)| u.parts().iter().map(move |p| (p.id.as_str(), i)))
        .collect();
    for (i, unit) in units.iter().enumerate() {
        for dep in unit.parts().iter().flat_map(|p| &p.depends_on) {
            if let Some(&j) = owner.get(dep.as_str()) {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                if let Some(slot) = parent.get_mut(a.max(b)) {
                    *slot = a.min(b);
                }
            }
        }
    }
    let mut groups: Vec<(usize, Vec<usize>, usize)> = Vec::new(); // (root, units, operations)
    for (i, unit) in units.iter().enumerate() {
        let r = root(&mut parent, i);
        let ops = unit.parts().len();
        match groups.iter_mut().find(|g| g.0 == r) {
            Some(group) => {
                group.1.push(i);
                group.2 += ops;
            }
            None => groups.push((r, vec![i], ops)),
        }
    }
    let mut chunks: Vec<(Vec<usize>, usize)> = Vec::new();
    for (_, members, ops) in groups {
        if ops > cap {
            return Err(Error::invalid(
                "$batch",
                format!(
                    "a changeset (or a group of dependent operations) of {ops} operations exceeds the service's batch limit of {cap}; it cannot be split"
                ),
            ));
        }
        match chunks.last_mut() {
            Some((chunk, total)) if *total + ops <= cap => {
                chunk.extend(members);
                *total += ops;
            }
            _ => chunks.push((members, ops)),
        }
    }
    Ok(chunks
        .into_iter()
        .map(|(mut chunk, _)| {
            chunk.sort_unstable();
            chunk
        })
        .collect())
}

/// One inner HTTP answer of a batch.
#[derive(Debug, Clone, Default)]
pub(crate) struct InnerAnswer {
    pub(crate) id: Option<String>,
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

/// Pairs multipart answers with the units sent, in order: a changeset's parts by
/// `Content-ID` (else position); a changeset answered by one failure gives that failure to
/// all its parts.
fn match_multipart(units: &[&Unit], items: Vec<multipart::Item>) -> Vec<PartResponse> {
    let mut out = Vec::new();
    let mut items = items.into_iter();
    for unit in units {
        let item = items.next();
        match (unit, item) {
            (_, None) => out.extend(
                unit.parts()
                    .iter()
                    .map(|p| PartResponse::not_executed(p.id.clone())),
            ),
            (Unit::Single(part), Some(multipart::Item::Single(answer))) => {
                out.push(PartResponse::from_answer(part.id.clone(), answer));
            }
            (unit, Some(multipart::Item::Single(failure))) => {
                out.extend(
                    unit.parts()
                        .iter()
                        .map(|p| PartResponse::from_answer(p.id.clone(), failure.clone())),
                );
            }
            (unit, Some(multipart::Item::Changeset(answers))) => {
                let mut by_id: HashMap<String, InnerAnswer> = HashMap::new();
                let mut unlabelled = Vec::new();
                for answer in answers {
                    match answer.id.clone() {
                        Some(id) => {
                            by_id.insert(id, answer);
                        }
                        None => unlabelled.push(answer),
                    }
                }
                let mut unlabelled = unlabelled.into_iter();
                for part in unit.parts() {
                    let answer = by_id.remove(&part.id).or_else(|| unlabelled.next());
                    out.push(match answer {
                        Some(answer) => PartResponse::from_answer(part.id.clone(), answer),
                        None => PartResponse::not_executed(part.id.clone()),
                    });
                }
            }
        }
    }
    out
}

/// The writes of one changeset; dropped when done.
#[derive(Debug)]
pub struct Changeset<'a> {
    batch: &'a mut Batch,
    unit: usize,
}

impl Changeset<'_> {
    fn add(&mut self, part: PartRequest) -> PartRef {
        let reference = PartRef {
            id: part.id.clone(),
        };
        if let Some(Unit::Changeset(parts)) = self.batch.units.get_mut(self.unit) {
            parts.push(part);
        }
        reference
    }

    /// `POST` a new entity.
    pub fn create<T, B: Serialize + ?Sized>(
        &mut self,
        set: &EntitySet<T, ReadWrite>,
        body: &B,
    ) -> PartRef {
        let part = self.batch.write(
            WriteKind::Create,
            &set.res,
            Some(serialize(body)),
            &Precondition::None,
        );
        self.add(part)
    }

    /// `POST` to a navigation of what `parent` created: `$1/SalesOrderLines`.
    pub fn create_under<B: Serialize + ?Sized>(
        &mut self,
        parent: &PartRef,
        navigation: &str,
        body: &B,
    ) -> PartRef {
        let url = format!("{}/{navigation}", parent.reference());
        let part = self.batch.part(
            Method::POST,
            url,
            Some(serialize(body)),
            Some((WriteKind::Create, &Precondition::None)),
        );
        self.add(part)
    }

    /// `PATCH` an entity.
    pub fn update<T, B: Serialize + ?Sized>(
        &mut self,
        entity: &Entity<T, ReadWrite>,
        body: &B,
        precondition: Precondition,
    ) -> PartRef {
        let part = self.batch.write(
            WriteKind::Update,
            &entity.set.res,
            Some(serialize(body)),
            &precondition,
        );
        self.add(part)
    }

    /// `PUT` an entity.
    pub fn replace<T, B: Serialize + ?Sized>(
        &mut self,
        entity: &Entity<T, ReadWrite>,
        body: &B,
        precondition: Precondition,
    ) -> PartRef {
        let part = self.batch.write(
            WriteKind::Replace,
            &entity.set.res,
            Some(serialize(body)),
            &precondition,
        );
        self.add(part)
    }

    /// `DELETE` an entity.
    pub fn delete<T>(
        &mut self,
        entity: &Entity<T, ReadWrite>,
        precondition: Precondition,
    ) -> PartRef {
        let part = self
            .batch
            .write(WriteKind::Delete, &entity.set.res, None, &precondition);
        self.add(part)
    }
}

/// The answers of a batch, one per part, in the order the parts were added.
#[derive(Debug)]
pub struct BatchResponse {
    parts: Vec<PartResponse>,
    interrupted: Option<Error>,
}

impl BatchResponse {
    /// Why a split batch stopped early: the failure of one of its requests after earlier
    /// ones had run. The parts it carried, and those after it, are not executed (or, for an
    /// [`Error::OutcomeUnknown`], may have been).
    pub fn interrupted(&self) -> Option<&Error> {
        self.interrupted.as_ref()
    }

    /// Every part's answer.
    pub fn parts(&self) -> &[PartResponse] {
        &self.parts
    }

    /// The answers, owned.
    pub fn into_parts(self) -> Vec<PartResponse> {
        self.parts
    }

    /// The answer to `part`.
    pub fn part(&self, part: &PartRef) -> Option<&PartResponse> {
        self.parts.iter().find(|p| p.id == part.id)
    }

    /// The parts that failed or were not executed.
    pub fn failures(&self) -> impl Iterator<Item = &PartResponse> {
        self.parts.iter().filter(|p| !p.is_success())
    }

    /// `Ok` if every part succeeded.
    ///
    /// # Errors
    /// The first failed part's error.
    pub fn check(&self) -> Result<()> {
        match self.failures().next() {
            Some(part) => Err(part.error().unwrap_or_else(|| Error::NotExecuted {
                id: part.id.clone(),
            })),
            None => Ok(()),
        }
    }
}

/// The answer to one part of a batch.
#[derive(Debug, Clone)]
pub struct PartResponse {
    id: String,
    status: Option<u16>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    attempts: u32,
}

impl PartResponse {
    fn not_executed(id: String) -> PartResponse {
        PartResponse {
            id,
            status: None,
            headers: Vec::new(),
            body: Vec::new(),
            attempts: 0,
        }
    }

    pub(crate) fn from_answer(id: String, answer: InnerAnswer) -> PartResponse {
        PartResponse {
            id,
            status: Some(answer.status),
            headers: answer.headers,
            body: answer.body,
            attempts: 1,
        }
    }

    /// The part's id (its `Content-ID`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The part's HTTP status, or `None` if the service did not execute it.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// Whether the part succeeded (2xx).
    pub fn is_success(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// A header of the part's answer (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn meta(&self) -> crate::error::ResponseMeta {
        let mut headers = reqwest::header::HeaderMap::new();
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                headers.append(name, value);
            }
        }
        response_meta(self.status.unwrap_or_default(), &headers)
    }

    /// The part's failure as an [`Error`] (typed like any answer: 412 →
    /// [`Error::PreconditionFailed`], …), or `None` if it succeeded.
    pub fn error(&self) -> Option<Error> {
        match self.status {
            None => Some(Error::NotExecuted {
                id: self.id.clone(),
            }),
            Some(s) if (200..300).contains(&s) => None,
            Some(_) => {
                let mut error = Error::from_answer(self.meta(), &self.body);
                error.set_attempts(self.attempts);
                Some(error)
            }
        }
    }

    /// Decodes the part's entity.
    ///
    /// # Errors
    /// The part's failure, or [`Error::Decode`].
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        if let Some(error) = self.error() {
            return Err(error);
        }
        decode_json(&self.body, self.meta(), self.attempts)
    }

    /// The part's ETag (entity `@odata.etag` or `ETag` header).
    pub fn etag(&self) -> Option<ETag> {
        etag::from_body(&self.body).or_else(|| self.header("etag").map(ETag::new))
    }

    /// The created entity's URL (`OData-EntityId` or `Location`).
    pub fn entity_id(&self) -> Option<&str> {
        self.header("odata-entityid")
            .or_else(|| self.header("location"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(id: &str, deps: &[&str]) -> PartRequest {
        PartRequest {
            id: id.to_owned(),
            method: Method::GET,
            url: "X".to_owned(),
            headers: Vec::new(),
            body: None,
            idempotent: true,
            depends_on: deps.iter().map(|d| (*d).to_owned()).collect(),
        }
    }

    #[test]
    fn plan_packs_independent_units_and_keeps_changesets_whole() {
        let units = vec![
            Unit::Single(req("1", &[])),
            Unit::Changeset(vec![req("2", &[]), req("3", &["2"])]),
            Unit::Single(req("4", &[])),
            Unit::Single(req("5", &[])),
        ];
        assert_eq!(plan(&units, 2).unwrap(), vec![vec![0], vec![1], vec![2, 3]]);
        assert_eq!(plan(&units, 3).unwrap(), vec![vec![0, 1], vec![2, 3]]);
        assert_eq!(plan(&units, 100).unwrap(), vec![vec![0, 1, 2, 3]]);
        assert!(
            plan(&units, 1).is_err(),
            "a changeset of 2 cannot fit a cap of 1"
        );
    }

    #[test]
    fn plan_keeps_dependent_units_together() {
        let units = vec![
            Unit::Single(req("1", &[])),
            Unit::Single(req("2", &[])),
            Unit::Single(req("3", &["1"])),
        ];
        assert_eq!(plan(&units, 2).unwrap(), vec![vec![0, 2], vec![1]]);
    }
}
