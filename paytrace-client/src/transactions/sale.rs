//! Sale requests and the sale endpoints (`/v1/transactions/sale/*`). The same request types
//! serve authorizations and refunds.

use serde::Serialize;

use super::{TransactionExtras, TransactionResponse, Transactions, extras_setters};
use crate::amount::Amount;
use crate::card::{Card, Csc, Swipe};
use crate::error::Result;
use crate::http::operation;
use crate::protect::ProtectToken;
use crate::response::TransactionId;

/// A payment with a keyed card: `amount`, `credit_card`, `csc` and the optional extras.
/// Used by [`sale_keyed`](Transactions::sale_keyed),
/// [`authorize_keyed`](Transactions::authorize_keyed) and
/// [`refund_keyed`](Transactions::refund_keyed).
///
/// ```
/// use paytrace_client::{Address, Amount, Card, KeyedPayment};
///
/// let request = KeyedPayment::new(Amount::parse("19.99")?, Card::new("4111111111111111", 12, 2030)?.with_csc("999")?)
///     .invoice_id("INV-1001")
///     .billing_address(Address { name: Some("Jane Doe".into()), zip: Some("99201".into()), ..Address::default() });
/// let json = serde_json::to_value(&request).unwrap();
/// assert_eq!(json["amount"], "19.99");
/// assert_eq!(json["credit_card"]["expiration_year"], "2030");
/// assert_eq!(json["billing_address"]["zip"], "99201");
/// assert!(!format!("{request:?}").contains("41111111"));
/// # Ok::<(), paytrace_client::Error>(())
/// ```
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct KeyedPayment {
    /// The amount.
    pub amount: Amount,
    /// The card (`credit_card` and `csc`).
    #[serde(flatten)]
    pub card: Card,
    /// Optional fields.
    #[serde(flatten)]
    pub extras: TransactionExtras,
}

impl KeyedPayment {
    /// A keyed payment of `amount` with `card`.
    pub fn new(amount: Amount, card: Card) -> Self {
        KeyedPayment {
            amount,
            card,
            extras: TransactionExtras::default(),
        }
    }
}

/// A payment with swiped track data: `amount`, `swipe`.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct SwipedPayment {
    /// The amount.
    pub amount: Amount,
    /// Raw track data.
    pub swipe: Swipe,
    /// Optional fields.
    #[serde(flatten)]
    pub extras: TransactionExtras,
}

impl SwipedPayment {
    /// A swiped payment of `amount`.
    pub fn new(amount: Amount, swipe: Swipe) -> Self {
        SwipedPayment {
            amount,
            swipe,
            extras: TransactionExtras::default(),
        }
    }
}

/// A payment with a vault profile: `amount`, `customer_id`, optional `csc`. Used by
/// [`sale_by_customer`](Transactions::sale_by_customer),
/// [`authorize_by_customer`](Transactions::authorize_by_customer) and
/// [`refund_to_customer`](Transactions::refund_to_customer).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct CustomerPayment {
    /// The amount.
    pub amount: Amount,
    /// The vault profile's id.
    pub customer_id: String,
    /// The card's security code, if the account asks for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csc: Option<Csc>,
    /// Optional fields.
    #[serde(flatten)]
    pub extras: TransactionExtras,
}

impl CustomerPayment {
    /// A payment of `amount` with the vault profile `customer_id`.
    pub fn new(amount: Amount, customer_id: impl Into<String>) -> Self {
        CustomerPayment {
            amount,
            customer_id: customer_id.into(),
            csc: None,
            extras: TransactionExtras::default(),
        }
    }

    /// Adds the security code.
    #[must_use]
    pub fn csc(mut self, csc: Csc) -> Self {
        self.csc = Some(csc);
        self
    }
}

/// A payment with the card of an earlier transaction: `amount`, `transaction_id`.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct TransactionPayment {
    /// The amount.
    pub amount: Amount,
    /// The earlier transaction whose card is used.
    pub transaction_id: TransactionId,
    /// The card's security code, if the account asks for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csc: Option<Csc>,
    /// Optional fields.
    #[serde(flatten)]
    pub extras: TransactionExtras,
}

impl TransactionPayment {
    /// A payment of `amount` with the card of `transaction_id`.
    pub fn new(amount: Amount, transaction_id: TransactionId) -> Self {
        TransactionPayment {
            amount,
            transaction_id,
            csc: None,
            extras: TransactionExtras::default(),
        }
    }

    /// Adds the security code.
    #[must_use]
    pub fn csc(mut self, csc: Csc) -> Self {
        self.csc = Some(csc);
        self
    }
}

/// A payment with a one-time Protect.js token: `amount`, `hpf_token`, `enc_key`, and for
/// [`sale_pt_protect_customer`](Transactions::sale_pt_protect_customer) the `customer_id` of
/// the profile to create.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ProtectPayment {
    /// The amount.
    pub amount: Amount,
    /// The Protect.js token (`hpf_token`, `enc_key`).
    #[serde(flatten)]
    pub token: ProtectToken,
    /// The vault profile to create (sale with customer creation only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// Optional fields.
    #[serde(flatten)]
    pub extras: TransactionExtras,
}

impl ProtectPayment {
    /// A payment of `amount` with a Protect.js token.
    pub fn new(amount: Amount, token: ProtectToken) -> Self {
        ProtectPayment {
            amount,
            token,
            customer_id: None,
            extras: TransactionExtras::default(),
        }
    }

    /// Sets the id of the vault profile that
    /// [`sale_pt_protect_customer`](Transactions::sale_pt_protect_customer) creates.
    #[must_use]
    pub fn customer_id(mut self, customer_id: impl Into<String>) -> Self {
        self.customer_id = Some(customer_id.into());
        self
    }
}

extras_setters!(
    KeyedPayment,
    SwipedPayment,
    CustomerPayment,
    TransactionPayment,
    ProtectPayment
);

impl Transactions<'_> {
    /// Charges a keyed card: `POST /v1/transactions/sale/keyed`. Never resent once it may
    /// have reached PayTrace.
    ///
    /// # Errors
    /// [`Error::Api`](crate::Error::Api) when PayTrace refuses the request (all codes kept);
    /// [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown) when the answer was lost —
    /// reconcile before trying again; transport and configuration errors otherwise. A decline
    /// is `Ok` with [`is_declined`](TransactionResponse::is_declined).
    pub async fn sale_keyed(&self, request: &KeyedPayment) -> Result<TransactionResponse> {
        let op = operation!(
            "paytrace.sale_keyed",
            "/v1/transactions/sale/keyed",
            NonIdempotent
        );
        self.client.send(op, request).await
    }

    /// Charges swiped track data: `POST /v1/transactions/sale/swiped`.
    ///
    /// # Errors
    /// As [`sale_keyed`](Self::sale_keyed).
    pub async fn sale_swiped(&self, request: &SwipedPayment) -> Result<TransactionResponse> {
        let op = operation!(
            "paytrace.sale_swiped",
            "/v1/transactions/sale/swiped",
            NonIdempotent
        );
        self.client.send(op, request).await
    }

    /// Charges a vault profile: `POST /v1/transactions/sale/by_customer`.
    ///
    /// # Errors
    /// As [`sale_keyed`](Self::sale_keyed); code 30 (unknown customer) is
    /// [`is_not_found`](crate::Error::is_not_found).
    pub async fn sale_by_customer(&self, request: &CustomerPayment) -> Result<TransactionResponse> {
        let op = operation!(
            "paytrace.sale_by_customer",
            "/v1/transactions/sale/by_customer",
            NonIdempotent
        );
        self.client.send(op, request).await
    }

    /// Charges the card of an earlier transaction: `POST /v1/transactions/sale/by_transaction`.
    ///
    /// # Errors
    /// As [`sale_keyed`](Self::sale_keyed).
    pub async fn sale_by_transaction(
        &self,
        request: &TransactionPayment,
    ) -> Result<TransactionResponse> {
        let op = operation!(
            "paytrace.sale_by_transaction",
            "/v1/transactions/sale/by_transaction",
            NonIdempotent
        );
        self.client.send(op, request).await
    }

    /// Charges a Protect.js token: `POST /v1/transactions/sale/pt_protect`.
    ///
    /// # Errors
    /// As [`sale_keyed`](Self::sale_keyed); code 961 when the token was already used.
    pub async fn sale_pt_protect(&self, request: &ProtectPayment) -> Result<TransactionResponse> {
        let op = operation!(
            "paytrace.sale_pt_protect",
            "/v1/transactions/sale/pt_protect",
            NonIdempotent
        );
        self.client.send(op, request).await
    }

    /// Charges a Protect.js token and stores the card as a vault profile:
    /// `POST /v1/transactions/sale/pt_protect_customer` (code 165, with `customer_id`).
    ///
    /// # Errors
    /// As [`sale_pt_protect`](Self::sale_pt_protect).
    pub async fn sale_pt_protect_customer(
        &self,
        request: &ProtectPayment,
    ) -> Result<TransactionResponse> {
        let op = operation!(
            "paytrace.sale_pt_protect_customer",
            "/v1/transactions/sale/pt_protect_customer",
            NonIdempotent
        );
        self.client.send(op, request).await
    }
}
