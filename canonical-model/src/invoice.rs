//! Invoices and their lines.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};
use crate::money::{Currency, Money};
use crate::refs::ExternalRef;

/// Where an invoice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InvoiceStatus {
    /// Not yet posted or sent.
    Draft,
    /// Posted, nothing paid.
    Open,
    /// Posted, part paid.
    PartiallyPaid,
    /// Fully paid.
    Paid,
    /// Cancelled or voided.
    Canceled,
}

/// One line of an invoice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceLine {
    /// What is billed.
    pub description: String,
    /// How many units.
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
    /// Line amount before tax.
    pub amount: Money,
    /// Item number, when the line bills an item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
}

/// An invoice, in the ERP or issued by a storefront.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invoice {
    /// The invoice number.
    pub number: String,
    /// The customer's account number in the issuing system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_account: Option<String>,
    /// The order it bills.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Date of issue.
    pub issued_on: NaiveDate,
    /// Due date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_on: Option<NaiveDate>,
    /// Currency of every amount on the invoice.
    pub currency: Currency,
    /// The lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<InvoiceLine>,
    /// Total including tax.
    pub total: Money,
    /// What is still due.
    pub amount_due: Money,
    /// Where it stands.
    pub status: InvoiceStatus,
    /// Copies in other systems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<ExternalRef>,
    /// Custom fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, serde_json::Value>,
}

impl Invoice {
    /// Applies a payment: lowers the amount due and sets the status to partially paid or paid.
    /// Returns what is still due.
    ///
    /// # Errors
    /// [`ModelError::CurrencyMismatch`], [`ModelError::InvalidValue`] for a non-positive
    /// payment, [`ModelError::Overpayment`] when the payment exceeds what is due, and
    /// [`ModelError::InvalidTransition`] for draft or cancelled invoices.
    pub fn apply_payment(&mut self, payment: &Money) -> Result<Money> {
        if matches!(self.status, InvoiceStatus::Draft | InvoiceStatus::Canceled) {
            return Err(ModelError::InvalidTransition {
                entity: "invoice",
                from: format!("{:?}", self.status).to_lowercase(),
                to: "paid".into(),
            });
        }
        if !payment.is_positive() {
            return Err(ModelError::invalid("payment amount", "must be positive"));
        }
        let remaining = self.amount_due.checked_sub(payment)?;
        if remaining.is_negative() {
            return Err(ModelError::Overpayment {
                invoice: self.number.clone(),
                payment: payment.to_string(),
                due: self.amount_due.to_string(),
            });
        }
        self.status = if remaining.is_zero() {
            InvoiceStatus::Paid
        } else {
            InvoiceStatus::PartiallyPaid
        };
        self.amount_due = remaining;
        Ok(remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn invoice() -> Invoice {
        let total = Money::new(dec!(250.00), Currency::USD);
        Invoice {
            number: "INV-000123".into(),
            customer_account: Some("US-001".into()),
            order_id: None,
            issued_on: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            due_on: NaiveDate::from_ymd_opt(2026, 12, 1),
            currency: Currency::USD,
            lines: vec![],
            total,
            amount_due: total,
            status: InvoiceStatus::Open,
            references: vec![],
            metadata: BTreeMap::new(),
        }
    }

    #[test]
    fn payments_reduce_the_amount_due() {
        let mut inv = invoice();
        let left = inv
            .apply_payment(&Money::new(dec!(100), Currency::USD))
            .unwrap();
        assert_eq!(left.amount, dec!(150.00));
        assert_eq!(inv.status, InvoiceStatus::PartiallyPaid);
        let err = inv
            .apply_payment(&Money::new(dec!(150.01), Currency::USD))
            .unwrap_err();
        assert!(matches!(err, ModelError::Overpayment { .. }));
        assert_eq!(
            inv.amount_due.amount,
            dec!(150.00),
            "a refused payment changes nothing"
        );
        inv.apply_payment(&Money::new(dec!(150), Currency::USD))
            .unwrap();
        assert_eq!(inv.status, InvoiceStatus::Paid);
    }

    #[test]
    fn draft_invoices_and_other_currencies_are_refused() {
        let mut inv = invoice();
        assert!(
            inv.apply_payment(&Money::new(dec!(1), Currency::EUR))
                .is_err()
        );
        inv.status = InvoiceStatus::Draft;
        assert!(
            inv.apply_payment(&Money::new(dec!(1), Currency::USD))
                .is_err()
        );
    }
}
