//! Refunds (`/v1/transactions/refund/*`).

use serde::Serialize;

use super::{
    CustomerPayment, KeyedPayment, SwipedPayment, TransactionExtras, TransactionResponse,
    Transactions, extras_setters,
};
use crate::amount::Amount;
use crate::error::Result;
use crate::http::operation;
use crate::response::TransactionId;

/// Refunds a settled transaction, in full or in part.
///
/// ```
/// use paytrace_client::{Amount, Refund, TransactionId};
///
/// let partial = Refund::partial(TransactionId(42), Amount::parse("5")?);
/// assert_eq!(serde_json::to_value(&partial).unwrap(), serde_json::json!({"transaction_id": 42, "amount": "5.00"}));
/// # Ok::<(), paytrace_client::Error>(())
/// ```
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Refund {
    /// The transaction to refund.
    pub transaction_id: TransactionId,
    /// The amount to return; the whole transaction when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// Optional fields.
    #[serde(flatten)]
    pub extras: TransactionExtras,
}

impl Refund {
    /// Refunds the whole transaction.
    pub fn full(transaction_id: TransactionId) -> Self {
        Refund {
            transaction_id,
            amount: None,
            extras: TransactionExtras::default(),
        }
    }

    /// Refunds `amount` of the transaction.
    pub fn partial(transaction_id: TransactionId, amount: Amount) -> Self {
        Refund {
            amount: Some(amount),
            ..Refund::full(transaction_id)
        }
    }
}

extras_setters!(Refund);

impl Transactions<'_> {
    /// Refunds a settled transaction: `POST /v1/transactions/refund/for_transaction`
    /// (code 106). Never resent once it may have reached PayTrace.
    ///
    /// # Errors
    /// [`Error::Api`](crate::Error::Api) with code 817 (a
    /// [`Conflict`](mapping::retry::ErrorKind::Conflict)) when the transaction has not settled
    /// — void it instead; otherwise as [`sale_keyed`](Self::sale_keyed).
    pub async fn refund_transaction(&self, request: &Refund) -> Result<TransactionResponse> {
        let op = operation!(
            "paytrace.refund_transaction",
            "/v1/transactions/refund/for_transaction",
            NonIdempotent
        );
        self.client.send(op, request).await
    }

    /// Refunds to a keyed card, unlinked to any transaction:
    /// `POST /v1/transactions/refund/keyed`.
    ///
    /// # Errors
    /// As [`sale_keyed`](Self::sale_keyed).
    pub async fn refund_keyed(&self, request: &KeyedPayment) -> Result<TransactionResponse> {
        let op = operation!(
            "paytrace.refund_keyed",
            "/v1/transactions/refund/keyed",
            NonIdempotent
        );
        self.client.send(op, request).await
    }

    /// Refunds to a vault profile: `POST /v1/transactions/refund/to_customer`.
    ///
    /// # Errors
    /// As [`sale_keyed`](Self::sale_keyed).
    pub async fn refund_to_customer(
        &self,
        request: &CustomerPayment,
    ) -> Result<TransactionResponse> {
        let op = operation!(
            "paytrace.refund_to_customer",
            "/v1/transactions/refund/to_customer",
            NonIdempotent
        );
        self.client.send(op, request).await
    }

    /// Refunds to a swiped card: `POST /v1/transactions/refund/swiped`.
    ///
    /// The path is UNCONFIRMED: PayTrace's documentation index lists a swiped refund and this
    /// is the path its siblings (`sale/swiped`, `refund/keyed`) imply. Its body is the swiped
    /// sale's: `amount` and `swipe`.
    ///
    /// # Errors
    /// As [`sale_keyed`](Self::sale_keyed).
    pub async fn refund_swiped(&self, request: &SwipedPayment) -> Result<TransactionResponse> {
        let op = operation!(
            "paytrace.refund_swiped",
            "/v1/transactions/refund/swiped",
            NonIdempotent
        );
        self.client.send(op, request).await
    }

    /// Authorizes a refund to a keyed card without completing it:
    /// `POST /v1/transactions/refundauth/keyed`.
    ///
    /// UNCONFIRMED: the path is seen only in one third-party client; the body is taken to be
    /// the keyed refund's.
    ///
    /// # Errors
    /// As [`sale_keyed`](Self::sale_keyed).
    pub async fn refund_authorization_keyed(
        &self,
        request: &KeyedPayment,
    ) -> Result<TransactionResponse> {
        let op = operation!(
            "paytrace.refund_authorization_keyed",
            "/v1/transactions/refundauth/keyed",
            NonIdempotent
        );
        self.client.send(op, request).await
    }

    /// Authorizes a refund of a prior transaction without completing it:
    /// `POST /v1/transactions/refundauth/for_transaction`.
    ///
    /// UNCONFIRMED: the path is seen only in one third-party client; the body is taken to be
    /// [`refund_transaction`](Self::refund_transaction)'s.
    ///
    /// # Errors
    /// As [`refund_transaction`](Self::refund_transaction).
    pub async fn refund_authorization_for_transaction(
        &self,
        request: &Refund,
    ) -> Result<TransactionResponse> {
        let op = operation!(
            "paytrace.refund_authorization_for_transaction",
            "/v1/transactions/refundauth/for_transaction",
            NonIdempotent
        );
        self.client.send(op, request).await
    }
}
