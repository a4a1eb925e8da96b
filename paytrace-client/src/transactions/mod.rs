//! Card transactions (reference §2.1–§2.3): sales and authorizations (keyed, swiped, by
//! vault customer, by prior transaction, Protect), capture, void, refunds, adjustment,
//! settlement, email receipts and Level 3 data.
//!
//! Every money-moving call here is [non-idempotent](mapping::retry::Idempotency::NonIdempotent):
//! it is retried only when it certainly never reached PayTrace (a connect failure, a 401 for
//! an expired token, a 429). Otherwise a lost answer comes back as
//! [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown). Set an `invoice_id` on every
//! charge so [`Exports::find_by_invoice`](crate::exports::Exports::find_by_invoice) can tell
//! whether it went through.

mod adjust;
mod auth;
mod capture;
mod level3;
mod receipt;
mod refund;
mod sale;
mod settle;
mod void;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::amount::Amount;
use crate::client::Client;
use crate::response::{ResponseCode, TransactionId, de};

pub use capture::Capture;
pub use level3::{Level3, LineItem};
pub use refund::Refund;
pub use sale::{CustomerPayment, KeyedPayment, ProtectPayment, SwipedPayment, TransactionPayment};

/// The card-transaction area: `client.transactions()`.
#[derive(Debug, Clone, Copy)]
pub struct Transactions<'a> {
    pub(crate) client: &'a Client,
}

/// A billing or shipping address (`billing_address`, `shipping_address`). `county` is sent
/// only in shipping addresses. Unknown fields PayTrace returns are kept in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Cardholder or recipient name.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub name: Option<String>,
    /// First street line.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub street_address: Option<String>,
    /// Second street line.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub street_address2: Option<String>,
    /// City.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub city: Option<String>,
    /// County (shipping addresses).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub county: Option<String>,
    /// State, two letters for the US.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub state: Option<String>,
    /// ZIP code.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub zip: Option<String>,
    /// Two-letter country code (`"US"`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub country: Option<String>,
    /// Fields this crate does not model, kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// The optional fields of sales, authorizations and refunds (reference §3.2), set through
/// the request types' builder methods (`.invoice_id(…)`, `.description(…)`, …).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct TransactionExtras {
    /// Merchant invoice number: what reconciliation searches by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_id: Option<String>,
    /// Purchase order or customer code (Level 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_reference_id: Option<String>,
    /// Free-text description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Tax included in the amount (Level 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_amount: Option<Amount>,
    /// Freight included in the amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freight_amount: Option<Amount>,
    /// Cardholder email, also used for automatic receipts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Ask for the card level (commercial card detection).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_clr: Option<bool>,
    /// Allow a partial approval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_partial_authorization: Option<bool>,
    /// Soft descriptor override.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_dba: Option<String>,
    /// The merchant's custom fields, by the names configured in the Virtual Terminal.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub discretionary_data: BTreeMap<String, String>,
    /// Billing address; `name` is the cardholder name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<Address>,
    /// Shipping address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<Address>,
}

/// Builder methods for the [`TransactionExtras`] of each request type.
macro_rules! extras_setters {
    ($($ty:ty),* $(,)?) => {$(
        impl $ty {
            /// Sets `invoice_id`, the merchant's invoice number. Set it on every charge:
            /// reconciliation after a lost answer searches by it.
            #[must_use]
            pub fn invoice_id(mut self, invoice_id: impl Into<String>) -> Self {
                self.extras.invoice_id = Some(invoice_id.into());
                self
            }

            /// Sets `customer_reference_id` (purchase order, Level 2).
            #[must_use]
            pub fn customer_reference_id(mut self, reference: impl Into<String>) -> Self {
                self.extras.customer_reference_id = Some(reference.into());
                self
            }

            /// Sets `description`.
            #[must_use]
            pub fn description(mut self, description: impl Into<String>) -> Self {
                self.extras.description = Some(description.into());
                self
            }

            /// Sets `tax_amount` (Level 2).
            #[must_use]
            pub fn tax_amount(mut self, tax: $crate::Amount) -> Self {
                self.extras.tax_amount = Some(tax);
                self
            }

            /// Sets `freight_amount`.
            #[must_use]
            pub fn freight_amount(mut self, freight: $crate::Amount) -> Self {
                self.extras.freight_amount = Some(freight);
                self
            }

            /// Sets the cardholder's `email`.
            #[must_use]
            pub fn email(mut self, email: impl Into<String>) -> Self {
                self.extras.email = Some(email.into());
                self
            }

            /// Sets `return_clr`: ask for the card level.
            #[must_use]
            pub fn return_clr(mut self, yes: bool) -> Self {
                self.extras.return_clr = Some(yes);
                self
            }

            /// Sets `enable_partial_authorization`.
            #[must_use]
            pub fn enable_partial_authorization(mut self, yes: bool) -> Self {
                self.extras.enable_partial_authorization = Some(yes);
                self
            }

            /// Sets `custom_dba`, the soft descriptor.
            #[must_use]
            pub fn custom_dba(mut self, dba: impl Into<String>) -> Self {
                self.extras.custom_dba = Some(dba.into());
                self
            }

            /// Adds one `discretionary_data` custom field.
            #[must_use]
            pub fn discretionary(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
                self.extras.discretionary_data.insert(name.into(), value.into());
                self
            }

            /// Sets `billing_address`.
            #[must_use]
            pub fn billing_address(mut self, address: $crate::transactions::Address) -> Self {
                self.extras.billing_address = Some(address);
                self
            }

            /// Sets `shipping_address`.
            #[must_use]
            pub fn shipping_address(mut self, address: $crate::transactions::Address) -> Self {
                self.extras.shipping_address = Some(address);
                self
            }
        }
    )*};
}
pub(crate) use extras_setters;

/// PayTrace's answer to a sale, authorization, capture, refund or void (reference §4.1).
///
/// A decline is an answer like any other: check [`is_approved`](Self::is_approved).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TransactionResponse {
    /// `success`: false for declines.
    #[serde(default)]
    pub success: bool,
    /// What happened.
    pub response_code: ResponseCode,
    /// PayTrace's text; decide on `response_code`, never on this.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub status_message: Option<String>,
    /// The transaction's id (declines have one too).
    #[serde(default)]
    pub transaction_id: Option<TransactionId>,
    /// The issuer's approval code.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub approval_code: Option<String>,
    /// The processor's approval or decline text, trimmed.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub approval_message: Option<String>,
    /// The AVS result text (`"Full Exact Match"`, `"No Match"`, …).
    #[serde(default, deserialize_with = "de::opt_text")]
    pub avs_response: Option<String>,
    /// The CSC result text (`"Match"`, `"No Match"`, …).
    #[serde(default, deserialize_with = "de::opt_text")]
    pub csc_response: Option<String>,
    /// The processor's transaction id, usually empty.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub external_transaction_id: Option<String>,
    /// The masked card number (`"xxxxxxxxxxxx5439"`), for keyed calls.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub masked_card_number: Option<String>,
    /// The vault customer id (Protect sale with customer creation).
    #[serde(default, deserialize_with = "de::opt_text")]
    pub customer_id: Option<String>,
    /// Fields this crate does not model, kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl TransactionResponse {
    /// Whether PayTrace approved the request (`success` and not a decline or an approval
    /// voided by the AVS/CSC rules, code 103).
    pub fn is_approved(&self) -> bool {
        self.success
            && !self.response_code.is_declined()
            && self.response_code != ResponseCode::ApprovedAndVoided
    }

    /// Whether the card was not charged: declined (102 …) or approved then voided by the
    /// merchant's AVS/CSC rules (103).
    pub fn is_declined(&self) -> bool {
        !self.is_approved()
    }
}

/// PayTrace's answer to calls that return no record (settle, email receipt, Level 3,
/// recurrence update or delete).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StatusResponse {
    /// `success`.
    #[serde(default)]
    pub success: bool,
    /// What happened.
    pub response_code: ResponseCode,
    /// PayTrace's text.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub status_message: Option<String>,
    /// Fields this crate does not model, kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// An empty request body (`integrator_id` is added to it).
#[derive(Serialize)]
pub(crate) struct Empty {}

/// A body holding only a transaction id.
#[derive(Serialize)]
pub(crate) struct ById {
    pub(crate) transaction_id: TransactionId,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn responses_decode_as_documented() {
        let approved: TransactionResponse = serde_json::from_value(json!({
            "success": true, "response_code": 101,
            "status_message": "Your transaction was successfully approved.",
            "transaction_id": 123456789, "approval_code": "A1B2C3",
            "approval_message": "  NO  MATCH - Approved and completed",
            "avs_response": "No Match", "csc_response": "Match",
            "external_transaction_id": "", "masked_card_number": "xxxxxxxxxxxx5439"
        }))
        .unwrap();
        assert!(approved.is_approved());
        assert_eq!(approved.transaction_id, Some(TransactionId(123_456_789)));
        assert_eq!(
            approved.approval_message.as_deref(),
            Some("NO  MATCH - Approved and completed")
        );
        assert_eq!(approved.external_transaction_id, None);
        assert!(approved.extra.is_empty());

        let declined: TransactionResponse = serde_json::from_value(json!({
            "success": false, "response_code": 102, "transaction_id": "77",
            "approval_message": "    DECLINE - Do not honor", "new_field": 1
        }))
        .unwrap();
        assert!(declined.is_declined());
        assert_eq!(declined.transaction_id, Some(TransactionId(77)));
        assert_eq!(declined.extra["new_field"], 1);

        let auto_voided: TransactionResponse =
            serde_json::from_value(json!({"success": true, "response_code": 103})).unwrap();
        assert!(!auto_voided.is_approved());
    }
}
