//! Actions: `POST` to `{entity}/{Namespace.Action}` (bound) or `{root}/{Action}` (unbound).
//!
//! Business Central's `Microsoft.NAV.post`, `Microsoft.NAV.shipAndInvoice`; a custom F&O
//! entity's `Microsoft.Dynamics.DataEntities.Post`. Parameters go in a JSON object body.
//! Actions change things, so they are not resent once they may have arrived, unless you say
//! the action is [`idempotent`](Action::idempotent).

use std::fmt;
use std::future::IntoFuture;

use futures::future::BoxFuture;
use mapping::retry::Idempotency;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::Resource;
use crate::error::{Error, ResponseMeta, Result};
use crate::http::{Verb, decode_json};

/// An action call, ready to send: add parameters, then await it.
#[must_use = "an Action does nothing until awaited"]
pub struct Action {
    res: Resource,
    params: Map<String, Value>,
    body: Option<Result<Vec<u8>>>,
    idempotency: Idempotency,
}

impl fmt::Debug for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Action")
            .field("resource", &self.res)
            .field("idempotency", &self.idempotency)
            .finish_non_exhaustive()
    }
}

impl Action {
    pub(crate) fn new(res: Resource) -> Action {
        Action {
            res,
            params: Map::new(),
            body: None,
            idempotency: Idempotency::NonIdempotent,
        }
    }

    /// Adds a parameter to the JSON body.
    pub fn param(mut self, name: impl Into<String>, value: impl Serialize) -> Self {
        match serde_json::to_value(value) {
            Ok(value) => {
                self.params.insert(name.into(), value);
            }
            Err(e) => self.body = Some(Err(Error::invalid("action parameter", e.to_string()))),
        }
        self
    }

    /// The whole body, instead of [`param`](Self::param)s.
    pub fn body<B: Serialize + ?Sized>(mut self, body: &B) -> Self {
        self.body = Some(super::write::serialize(body));
        self
    }

    /// Declares the action safe to resend (it has no effect the second time).
    pub fn idempotent(mut self) -> Self {
        self.idempotency = Idempotency::Idempotent;
        self
    }

    /// Calls the action.
    ///
    /// # Errors
    /// The service's error (Business Central: `Application_DialogException` "There is nothing
    /// to post."); [`Error::OutcomeUnknown`] when the answer was lost.
    pub async fn send(self) -> Result<ActionResult> {
        let body = match self.body {
            Some(body) => body?,
            None => super::write::serialize(&self.params)?,
        };
        let url = self.res.url(&[])?;
        let call = self
            .res
            .call(Verb::Action, Method::POST, url)
            .idempotency(self.idempotency)
            .json_body(body);
        let reply = self.res.client.execute(call).await?;
        Ok(ActionResult {
            response: reply.meta(),
            attempts: reply.attempts,
            body: reply.body,
        })
    }
}

impl IntoFuture for Action {
    type Output = Result<ActionResult>;
    type IntoFuture = BoxFuture<'static, Result<ActionResult>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// What an action answered: usually 204 without a body, or 200 with a result.
#[derive(Debug, Clone)]
pub struct ActionResult {
    response: ResponseMeta,
    attempts: u32,
    body: Vec<u8>,
}

impl ActionResult {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.response.status
    }

    /// Whether the answer has a body.
    pub fn has_body(&self) -> bool {
        !self.body.iter().all(u8::is_ascii_whitespace)
    }

    /// Decodes the result.
    ///
    /// # Errors
    /// [`Error::Decode`] naming the JSON path that failed.
    pub fn json<R: DeserializeOwned>(&self) -> Result<R> {
        decode_json(&self.body, self.response.clone(), self.attempts)
    }
}
