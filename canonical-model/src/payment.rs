//! Payments and their lifecycle.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};
use crate::method::PaymentMethod;
use crate::money::Money;
use crate::refs::ExternalRef;

/// What a transaction does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TransactionKind {
    /// Authorize and capture in one step.
    Sale,
    /// Reserve funds without capturing them.
    Authorization,
    /// Capture a prior authorization.
    Capture,
    /// Return money for a prior transaction.
    Refund,
    /// Cancel a transaction before it settles.
    Void,
    /// Send money to a card without a prior transaction (an unreferenced credit).
    Credit,
}

impl TransactionKind {
    /// Whether the transaction moves money from the customer to the merchant once settled.
    pub fn is_inflow(self) -> bool {
        matches!(self, Self::Sale | Self::Capture)
    }

    /// Whether the transaction moves money back to the customer.
    pub fn is_outflow(self) -> bool {
        matches!(self, Self::Refund | Self::Credit)
    }
}

/// Where a payment stands. Every system's status vocabulary maps onto this one (the tables are in
/// `mapping::transform::status`).
///
/// ```text
/// pending ──► authorized ──► approved ──► settled ──► partially_refunded ──► refunded
///    │            │             │            └────────────┴──► charged_back
///    └─► declined / failed      └─► voided (before settlement)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PaymentStatus {
    /// Created or sent, outcome not known yet.
    Pending,
    /// Funds reserved, not captured.
    Authorized,
    /// Approved sale or captured authorization, waiting for settlement. Reads `"captured"` too.
    #[serde(alias = "captured")]
    Approved,
    /// Refused by the issuer or the processor.
    Declined,
    /// Included in a settled batch: money has moved.
    Settled,
    /// Part of the settled amount has been returned.
    PartiallyRefunded,
    /// The whole amount has been returned.
    Refunded,
    /// Cancelled before settlement.
    Voided,
    /// Could not be processed (technical failure, validation error); nothing was charged.
    Failed,
    /// Reversed by the cardholder's bank after a dispute.
    ChargedBack,
}

impl PaymentStatus {
    /// Whether no further status can follow.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Declined | Self::Failed | Self::Voided | Self::Refunded | Self::ChargedBack
        )
    }

    /// Whether the customer has been (or will be, at settlement) charged.
    pub fn is_charged(self) -> bool {
        matches!(
            self,
            Self::Approved | Self::Settled | Self::PartiallyRefunded
        )
    }

    /// Whether the lifecycle allows moving from `self` to `next`. Staying in the same status is
    /// allowed (a replayed update changes nothing), except that a partial refund may repeat.
    pub fn can_transition_to(self, next: Self) -> bool {
        use PaymentStatus::*;
        if self == next {
            return true;
        }
        match self {
            Pending => matches!(
                next,
                Authorized | Approved | Declined | Failed | Voided | Settled
            ),
            Authorized => matches!(next, Approved | Voided | Declined | Failed | Settled),
            Approved => matches!(
                next,
                Settled | Voided | PartiallyRefunded | Refunded | ChargedBack
            ),
            Settled => matches!(next, PartiallyRefunded | Refunded | ChargedBack),
            PartiallyRefunded => matches!(next, Refunded | ChargedBack),
            Declined | Failed | Voided | Refunded | ChargedBack => false,
        }
    }

    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Authorized => "authorized",
            Self::Approved => "approved",
            Self::Declined => "declined",
            Self::Settled => "settled",
            Self::PartiallyRefunded => "partially_refunded",
            Self::Refunded => "refunded",
            Self::Voided => "voided",
            Self::Failed => "failed",
            Self::ChargedBack => "charged_back",
        }
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The address verification (AVS) result, in the gateway-neutral form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AvsResult {
    /// Street and ZIP match.
    FullMatch,
    /// Street matches, ZIP does not.
    AddressOnly,
    /// ZIP matches, street does not.
    ZipOnly,
    /// Neither matches.
    NoMatch,
    /// The issuer could not check (system down, address unavailable).
    Unavailable,
    /// Not supported for this card or transaction (non-US issuer, not a mail/phone order).
    NotSupported,
    /// Not performed or not reported.
    NotChecked,
    /// Any other text, kept as the processor sent it.
    #[serde(untagged)]
    Other(String),
}

/// The card security code (CVV/CSC) check result.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CscResult {
    /// The code matched.
    Match,
    /// The code did not match.
    NoMatch,
    /// The code was not processed.
    NotProcessed,
    /// No code was sent.
    NotPresent,
    /// The issuer does not support the check.
    NotSupported,
    /// Any other text, kept as the processor sent it.
    #[serde(untagged)]
    Other(String),
}

/// Why a payment was declined, gateway-neutral. Drives dunning: soft declines may succeed later,
/// hard declines need the customer to act.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeclineReason {
    /// Not enough money on the account.
    InsufficientFunds,
    /// The card has expired.
    ExpiredCard,
    /// The card number, expiry or account is invalid.
    InvalidCard,
    /// Generic issuer refusal ("do not honor").
    DoNotHonor,
    /// Address verification failed.
    AvsMismatch,
    /// Security code check failed.
    CscMismatch,
    /// The card was reported lost or stolen.
    LostOrStolen,
    /// The issuer suspects fraud.
    SuspectedFraud,
    /// A credit or activity limit was exceeded.
    LimitExceeded,
    /// The card may not be used for this kind of transaction.
    RestrictedCard,
    /// The issuer asks the merchant to call.
    CallIssuer,
    /// A duplicate of a recent transaction.
    Duplicate,
    /// The processor or issuer was unavailable.
    ProcessorUnavailable,
    /// Anything else, with the processor's text.
    #[serde(untagged)]
    Other(String),
}

impl DeclineReason {
    /// Whether retrying the same card later may succeed (a soft decline). Hard declines (expired,
    /// invalid, lost or stolen, fraud, restricted) need new payment details.
    pub fn is_soft(&self) -> bool {
        matches!(
            self,
            Self::InsufficientFunds
                | Self::DoNotHonor
                | Self::LimitExceeded
                | Self::CallIssuer
                | Self::ProcessorUnavailable
                | Self::AvsMismatch
                | Self::CscMismatch
                | Self::Other(_)
        )
    }
}

/// What the processor said about a transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessorResponse {
    /// The gateway's result code as text (PayTrace `response_code`, e.g. `"101"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The gateway's status text, trimmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The issuer's approval code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_code: Option<String>,
    /// The processor's approval or decline text, trimmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_message: Option<String>,
    /// Address verification result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avs: Option<AvsResult>,
    /// Security code result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csc: Option<CscResult>,
    /// Why it was declined, for declined payments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline_reason: Option<DeclineReason>,
}

/// The ids that tie a payment to business records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentReferences {
    /// The gateway's transaction id (PayTrace `transaction_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processor_transaction_id: Option<String>,
    /// For captures, refunds and voids: the transaction they act on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_transaction_id: Option<String>,
    /// The merchant invoice number sent to the gateway (PayTrace `invoice_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_id: Option<String>,
    /// The order this pays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// The Salesforce Opportunity this pays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opportunity_id: Option<String>,
    /// The CRM account of the payer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The gateway vault profile charged (PayTrace `customer_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_vault_id: Option<String>,
    /// The settlement batch number, once settled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_number: Option<String>,
    /// Copies of this payment in other systems (`Payment__c` id, ERP journal line).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external: Vec<ExternalRef>,
}

/// A payment transaction as every system sees it.
///
/// Stored in dead-letter records and checkpoints, so its JSON shape is stable: new fields are
/// added as optional, never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    /// Tributary's id for the payment, stable across systems (by default the gateway's
    /// transaction id, or the idempotency key before the gateway has answered).
    pub id: String,
    /// What the transaction does.
    pub kind: TransactionKind,
    /// Where it stands.
    pub status: PaymentStatus,
    /// The amount charged, authorized or returned (positive).
    pub amount: Money,
    /// How much of it has been refunded so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_amount: Option<Money>,
    /// Card, ACH or vault profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<PaymentMethod>,
    /// The processor's answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processor: Option<ProcessorResponse>,
    /// Free-text description sent with the payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When the gateway created the transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// When the transaction settled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled_at: Option<DateTime<Utc>>,
    /// When this record last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Ids tying it to orders, invoices, opportunities, customers and batches.
    #[serde(default)]
    pub references: PaymentReferences,
    /// Custom fields carried between systems by the field-mapping engine (PayTrace
    /// `discretionary_data`, Salesforce custom fields).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, serde_json::Value>,
}

impl Payment {
    /// A payment with the required fields set and everything else empty.
    pub fn new(
        id: impl Into<String>,
        kind: TransactionKind,
        status: PaymentStatus,
        amount: Money,
    ) -> Self {
        Self {
            id: id.into(),
            kind,
            status,
            amount,
            refunded_amount: None,
            method: None,
            processor: None,
            description: None,
            created_at: None,
            settled_at: None,
            updated_at: None,
            references: PaymentReferences::default(),
            metadata: BTreeMap::new(),
        }
    }

    /// Moves the payment to `next`, refusing moves the lifecycle does not allow.
    ///
    /// # Errors
    /// [`ModelError::InvalidTransition`].
    pub fn transition(&mut self, next: PaymentStatus) -> Result<()> {
        if !self.status.can_transition_to(next) {
            return Err(ModelError::InvalidTransition {
                entity: "payment",
                from: self.status.to_string(),
                to: next.to_string(),
            });
        }
        self.status = next;
        Ok(())
    }

    /// Records a refund of `amount`, moving the status to partially refunded or refunded.
    ///
    /// # Errors
    /// [`ModelError::CurrencyMismatch`], [`ModelError::InvalidValue`] for a non-positive amount
    /// or one above what remains, [`ModelError::InvalidTransition`] when the payment cannot be
    /// refunded in its status.
    pub fn apply_refund(&mut self, amount: &Money) -> Result<()> {
        if !amount.is_positive() {
            return Err(ModelError::invalid("refund amount", "must be positive"));
        }
        let already = self
            .refunded_amount
            .unwrap_or_else(|| Money::zero(self.amount.currency));
        let total = already.checked_add(amount)?;
        if total.amount > self.amount.amount {
            return Err(ModelError::invalid(
                "refund amount",
                format!(
                    "{total} refunded in all would exceed the payment of {}",
                    self.amount
                ),
            ));
        }
        let next = if total.amount == self.amount.amount {
            PaymentStatus::Refunded
        } else {
            PaymentStatus::PartiallyRefunded
        };
        self.transition(next)?;
        self.refunded_amount = Some(total);
        Ok(())
    }

    /// What has not been refunded yet.
    ///
    /// # Errors
    /// [`ModelError::CurrencyMismatch`] if the refunded amount is in another currency.
    pub fn refundable_amount(&self) -> Result<Money> {
        match &self.refunded_amount {
            Some(refunded) => self.amount.checked_sub(refunded),
            None => Ok(self.amount),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use rust_decimal_macros::dec;

    fn sale(status: PaymentStatus) -> Payment {
        Payment::new(
            "123",
            TransactionKind::Sale,
            status,
            Money::new(dec!(100.00), Currency::USD),
        )
    }

    #[test]
    fn lifecycle_table() {
        use PaymentStatus::*;
        let allowed = [
            (Pending, Approved),
            (Pending, Declined),
            (Authorized, Approved),
            (Authorized, Voided),
            (Approved, Settled),
            (Approved, Voided),
            (Settled, PartiallyRefunded),
            (Settled, ChargedBack),
            (PartiallyRefunded, Refunded),
            (Refunded, Refunded),
        ];
        let refused = [
            (Settled, Voided),
            (Declined, Approved),
            (Voided, Settled),
            (Refunded, PartiallyRefunded),
            (ChargedBack, Settled),
            (Settled, Pending),
        ];
        for (from, to) in allowed {
            assert!(
                from.can_transition_to(to),
                "{from} → {to} should be allowed"
            );
        }
        for (from, to) in refused {
            assert!(
                !from.can_transition_to(to),
                "{from} → {to} should be refused"
            );
        }
        assert!(Voided.is_terminal() && !Settled.is_terminal());
        assert!(Approved.is_charged() && !Declined.is_charged());
    }

    #[test]
    fn transition_refuses_invalid_moves() {
        let mut p = sale(PaymentStatus::Settled);
        let err = p.transition(PaymentStatus::Voided).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a payment cannot go from settled to voided"
        );
        assert_eq!(p.status, PaymentStatus::Settled);
    }

    #[test]
    fn refunds_accumulate_and_cannot_exceed_the_payment() {
        let mut p = sale(PaymentStatus::Settled);
        p.apply_refund(&Money::new(dec!(30), Currency::USD))
            .unwrap();
        assert_eq!(p.status, PaymentStatus::PartiallyRefunded);
        assert_eq!(p.refundable_amount().unwrap().amount, dec!(70.00));
        assert!(
            p.apply_refund(&Money::new(dec!(70.01), Currency::USD))
                .is_err()
        );
        assert!(p.apply_refund(&Money::new(dec!(1), Currency::EUR)).is_err());
        assert!(p.apply_refund(&Money::new(dec!(0), Currency::USD)).is_err());
        p.apply_refund(&Money::new(dec!(70), Currency::USD))
            .unwrap();
        assert_eq!(p.status, PaymentStatus::Refunded);
        assert!(p.refundable_amount().unwrap().is_zero());
    }

    #[test]
    fn json_shape_is_stable() {
        let mut p = sale(PaymentStatus::Approved);
        p.references.invoice_id = Some("INV-1".into());
        p.processor = Some(ProcessorResponse {
            code: Some("101".into()),
            avs: Some(AvsResult::Other("Odd text".into())),
            decline_reason: None,
            ..ProcessorResponse::default()
        });
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": "123", "kind": "sale", "status": "approved",
                "amount": {"amount": "100.00", "currency": "USD"},
                "processor": {"code": "101", "avs": "Odd text"},
                "references": {"invoice_id": "INV-1"}
            })
        );
        assert_eq!(serde_json::from_value::<Payment>(json).unwrap(), p);
        let captured: PaymentStatus = serde_json::from_str("\"captured\"").unwrap();
        assert_eq!(captured, PaymentStatus::Approved);
    }

    #[test]
    fn soft_and_hard_declines() {
        assert!(DeclineReason::InsufficientFunds.is_soft());
        assert!(!DeclineReason::ExpiredCard.is_soft());
        assert!(!DeclineReason::LostOrStolen.is_soft());
        assert_eq!(
            serde_json::to_value(DeclineReason::DoNotHonor).unwrap(),
            "do_not_honor"
        );
    }
}
