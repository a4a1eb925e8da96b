//! Adjusting the amount of an unsettled authorization or refund.

use serde::Serialize;

use super::{TransactionResponse, Transactions};
use crate::amount::Amount;
use crate::error::Result;
use crate::http::operation;
use crate::response::TransactionId;

#[derive(Serialize)]
struct Adjust {
    transaction_id: TransactionId,
    amount: Amount,
}

impl Transactions<'_> {
    /// Sets a new amount on an approved, unsettled authorization or an unsettled refund
    /// (code 180).
    ///
    /// The path `POST /v1/transactions/adjust` is UNCONFIRMED: PayTrace documents the
    /// operation ("adjusting transaction amounts") but no v1 path was seen in traffic; this
    /// one follows the pattern of `/v1/transactions/void`. If PayTrace uses another path,
    /// [`raw`](crate::Client::raw) reaches it meanwhile. The ceiling is UNCONFIRMED too
    /// (sources say "not above the original" or "at most 30 % above"). Not resent once it may
    /// have reached PayTrace.
    ///
    /// # Errors
    /// As [`sale_keyed`](Self::sale_keyed).
    pub async fn adjust(
        &self,
        transaction_id: TransactionId,
        amount: Amount,
    ) -> Result<TransactionResponse> {
        let op = operation!("paytrace.adjust", "/v1/transactions/adjust", NonIdempotent);
        self.client
            .send(
                op,
                &Adjust {
                    transaction_id,
                    amount,
                },
            )
            .await
    }
}
