//! Emailing a receipt (`/v1/transactions/email_receipt`).

use serde::Serialize;

use super::{StatusResponse, Transactions};
use crate::error::Result;
use crate::http::operation;
use crate::response::TransactionId;

#[derive(Serialize)]
struct EmailReceipt<'a> {
    transaction_id: TransactionId,
    email: &'a str,
}

impl Transactions<'_> {
    /// Emails the receipt of a transaction: `POST /v1/transactions/email_receipt` (code 149).
    /// Retried like a read: a repeat sends at most a second email.
    ///
    /// # Errors
    /// [`Error::Api`](crate::Error::Api) for an unknown transaction (811) or a bad address;
    /// transport errors after the retries.
    pub async fn email_receipt(
        &self,
        transaction_id: TransactionId,
        email: &str,
    ) -> Result<StatusResponse> {
        let op = operation!(
            "paytrace.email_receipt",
            "/v1/transactions/email_receipt",
            Idempotent
        );
        self.client
            .send(
                op,
                &EmailReceipt {
                    transaction_id,
                    email,
                },
            )
            .await
    }
}
