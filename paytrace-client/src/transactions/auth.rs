//! Authorizations (`/v1/transactions/authorization/*`): reserve funds, capture later.

use super::{
    CustomerPayment, KeyedPayment, ProtectPayment, SwipedPayment, TransactionPayment,
    TransactionResponse, Transactions,
};
use crate::error::Result;
use crate::http::operation;

impl Transactions<'_> {
    /// Authorizes a keyed card: `POST /v1/transactions/authorization/keyed`. Never resent
    /// once it may have reached PayTrace.
    ///
    /// # Errors
    /// As [`sale_keyed`](Self::sale_keyed).
    pub async fn authorize_keyed(&self, request: &KeyedPayment) -> Result<TransactionResponse> {
        let op = operation!(
            "paytrace.authorize_keyed",
            "/v1/transactions/authorization/keyed",
            NonIdempotent
        );
        self.client.send(op, request).await
    }

    /// Authorizes swiped track data: `POST /v1/transactions/authorization/swiped` (path by
    /// analogy with the swiped sale; UNCONFIRMED).
    ///
    /// # Errors
    /// As [`sale_keyed`](Self::sale_keyed).
    pub async fn authorize_swiped(&self, request: &SwipedPayment) -> Result<TransactionResponse> {
        let op = operation!(
            "paytrace.authorize_swiped",
            "/v1/transactions/authorization/swiped",
            NonIdempotent
        );
        self.client.send(op, request).await
    }

    /// Authorizes a vault profile: `POST /v1/transactions/authorization/by_customer`.
    ///
    /// # Errors
    /// As [`sale_keyed`](Self::sale_keyed).
    pub async fn authorize_by_customer(
        &self,
        request: &CustomerPayment,
    ) -> Result<TransactionResponse> {
        let op = operation!(
            "paytrace.authorize_by_customer",
            "/v1/transactions/authorization/by_customer",
            NonIdempotent
        );
        self.client.send(op, request).await
    }

    /// Authorizes the card of an earlier transaction:
    /// `POST /v1/transactions/authorization/by_transaction`.
    ///
    /// # Errors
    /// As [`sale_keyed`](Self::sale_keyed).
    pub async fn authorize_by_transaction(
        &self,
        request: &TransactionPayment,
    ) -> Result<TransactionResponse> {
        let op = operation!(
            "paytrace.authorize_by_transaction",
            "/v1/transactions/authorization/by_transaction",
            NonIdempotent
        );
        self.client.send(op, request).await
    }

    /// Authorizes a Protect.js token: `POST /v1/transactions/authorization/pt_protect`.
    ///
    /// # Errors
    /// As [`sale_keyed`](Self::sale_keyed).
    pub async fn authorize_pt_protect(
        &self,
        request: &ProtectPayment,
    ) -> Result<TransactionResponse> {
        let op = operation!(
            "paytrace.authorize_pt_protect",
            "/v1/transactions/authorization/pt_protect",
            NonIdempotent
        );
        self.client.send(op, request).await
    }
}
