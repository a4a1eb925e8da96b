//! Settling the open batch now (`/v1/transactions/settle`).

use super::{Empty, StatusResponse, Transactions};
use crate::error::Result;
use crate::http::operation;

impl Transactions<'_> {
    /// Settles the open batch now instead of at the nightly cut-off:
    /// `POST /v1/transactions/settle`. The success code is probably 175 ("batch settled";
    /// UNCONFIRMED), so this returns the answer as is. Not resent once it may have reached
    /// PayTrace.
    ///
    /// # Errors
    /// [`Error::Api`](crate::Error::Api) when PayTrace refuses;
    /// [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown) when the answer was lost (check
    /// with [`Batches::export_one`](crate::batches::Batches::export_one)); transport errors.
    pub async fn settle(&self) -> Result<StatusResponse> {
        let op = operation!("paytrace.settle", "/v1/transactions/settle", NonIdempotent);
        self.client.send(op, &Empty {}).await
    }
}
