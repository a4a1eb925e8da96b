//! Void of a transaction pending settlement (`/v1/transactions/void`).

use super::{ById, TransactionResponse, Transactions};
use crate::error::Result;
use crate::http::operation;
use crate::response::TransactionId;

impl Transactions<'_> {
    /// Voids a transaction still pending settlement, or an open authorization:
    /// `POST /v1/transactions/void` (code 109). Never resent once it may have reached
    /// PayTrace.
    ///
    /// # Errors
    /// [`Error::Api`](crate::Error::Api) with code 818 (a
    /// [`Conflict`](mapping::retry::ErrorKind::Conflict)) when it has settled — refund it
    /// instead; otherwise as [`sale_keyed`](Self::sale_keyed).
    pub async fn void(&self, transaction_id: TransactionId) -> Result<TransactionResponse> {
        let op = operation!("paytrace.void", "/v1/transactions/void", NonIdempotent);
        self.client.send(op, &ById { transaction_id }).await
    }
}
