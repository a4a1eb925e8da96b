//! Capture of an authorization (`/v1/transactions/authorization/capture`).

use serde::Serialize;

use super::{TransactionResponse, Transactions};
use crate::amount::Amount;
use crate::error::Result;
use crate::http::operation;
use crate::response::TransactionId;

/// Captures an approved authorization, in full or for a lesser amount.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Capture {
    /// The authorization.
    pub transaction_id: TransactionId,
    /// A lesser amount to capture; the whole authorization when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
}

impl Capture {
    /// Captures the whole authorization.
    pub fn full(transaction_id: TransactionId) -> Self {
        Capture {
            transaction_id,
            amount: None,
        }
    }

    /// Captures `amount` of the authorization.
    pub fn partial(transaction_id: TransactionId, amount: Amount) -> Self {
        Capture {
            transaction_id,
            amount: Some(amount),
        }
    }
}

impl Transactions<'_> {
    /// Captures an authorization: `POST /v1/transactions/authorization/capture` (code 112).
    /// Never resent once it may have reached PayTrace.
    ///
    /// # Errors
    /// [`Error::Api`](crate::Error::Api) with code 816 (a
    /// [`Conflict`](mapping::retry::ErrorKind::Conflict)) when the transaction is not an
    /// uncaptured approved authorization; otherwise as [`sale_keyed`](Self::sale_keyed).
    pub async fn capture(&self, request: &Capture) -> Result<TransactionResponse> {
        let op = operation!(
            "paytrace.capture",
            "/v1/transactions/authorization/capture",
            NonIdempotent
        );
        self.client.send(op, request).await
    }
}
