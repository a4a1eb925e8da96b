//! Settlement batches: what the gateway paid out, with totals per type and brand.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::method::{CardBrand, PaymentMethod};
use crate::money::{Currency, Money};
use crate::payment::{Payment, TransactionKind};

/// The count and amount of one group of transactions in a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchTotal {
    /// Transaction kind of the group.
    pub kind: TransactionKind,
    /// Card brand of the group; `None` for ACH or when the brand is not reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<CardBrand>,
    /// Number of transactions.
    pub count: u64,
    /// Sum of their amounts (positive, refunds included).
    pub amount: Money,
}

/// A settled batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettlementBatch {
    /// The batch number (PayTrace `GB<n>` gives `n`).
    pub batch_number: String,
    /// When it settled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled_at: Option<DateTime<Utc>>,
    /// Currency of the batch.
    pub currency: Currency,
    /// Totals per kind and brand, as the gateway reports them (or as computed from the
    /// transactions with [`SettlementBatch::from_transactions`]).
    pub totals: Vec<BatchTotal>,
    /// The transactions in the batch, when they were fetched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transactions: Vec<Payment>,
}

fn brand_of(p: &Payment) -> Option<CardBrand> {
    match &p.method {
        Some(PaymentMethod::Card(card)) => Some(card.brand.clone()),
        Some(PaymentMethod::Vault {
            card: Some(card), ..
        }) => Some(card.brand.clone()),
        _ => None,
    }
}

impl SettlementBatch {
    /// A batch whose totals are computed from its transactions, grouped by kind and brand.
    ///
    /// # Errors
    /// A transaction in another currency, overflow.
    pub fn from_transactions(
        batch_number: impl Into<String>,
        settled_at: Option<DateTime<Utc>>,
        currency: Currency,
        transactions: Vec<Payment>,
    ) -> Result<Self> {
        let totals = Self::compute_totals(currency, &transactions)?;
        Ok(Self {
            batch_number: batch_number.into(),
            settled_at,
            currency,
            totals,
            transactions,
        })
    }

    /// Totals per (kind, brand) of `transactions`, in a deterministic order.
    ///
    /// # Errors
    /// A transaction in another currency, overflow.
    pub fn compute_totals(currency: Currency, transactions: &[Payment]) -> Result<Vec<BatchTotal>> {
        let mut groups: BTreeMap<(TransactionKind, Option<CardBrand>), (u64, Money)> =
            BTreeMap::new();
        for p in transactions {
            let entry = groups
                .entry((p.kind, brand_of(p)))
                .or_insert_with(|| (0, Money::zero(currency)));
            entry.0 += 1;
            entry.1 = entry.1.checked_add(&p.amount)?;
        }
        Ok(groups
            .into_iter()
            .map(|((kind, brand), (count, amount))| BatchTotal {
                kind,
                brand,
                count,
                amount,
            })
            .collect())
    }

    /// Count and amount of one kind across brands.
    ///
    /// # Errors
    /// A total in another currency, overflow.
    pub fn total_for(&self, kind: TransactionKind) -> Result<(u64, Money)> {
        let group: Vec<&BatchTotal> = self.totals.iter().filter(|t| t.kind == kind).collect();
        let count = group.iter().map(|t| t.count).sum();
        Ok((
            count,
            Money::sum(self.currency, group.iter().map(|t| &t.amount))?,
        ))
    }

    /// Money in minus money out: sales and captures less refunds and credits.
    ///
    /// # Errors
    /// A total in another currency, overflow.
    pub fn net_amount(&self) -> Result<Money> {
        self.totals
            .iter()
            .try_fold(Money::zero(self.currency), |acc, t| {
                if t.kind.is_inflow() {
                    acc.checked_add(&t.amount)
                } else if t.kind.is_outflow() {
                    acc.checked_sub(&t.amount)
                } else {
                    Ok(acc)
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::method::{CardSummary, LastFour};
    use crate::payment::PaymentStatus;
    use rust_decimal_macros::dec;

    fn tx(
        id: &str,
        kind: TransactionKind,
        amount: rust_decimal::Decimal,
        brand: CardBrand,
    ) -> Payment {
        let mut p = Payment::new(
            id,
            kind,
            PaymentStatus::Settled,
            Money::new(amount, Currency::USD),
        );
        p.method = Some(PaymentMethod::Card(CardSummary {
            brand,
            last_four: LastFour::new("1111").unwrap(),
            expiry: None,
            holder_name: None,
        }));
        p
    }

    #[test]
    fn totals_group_by_kind_and_brand_and_net_subtracts_refunds() {
        let batch = SettlementBatch::from_transactions(
            "571",
            None,
            Currency::USD,
            vec![
                tx("1", TransactionKind::Sale, dec!(100.00), CardBrand::Visa),
                tx("2", TransactionKind::Sale, dec!(50.00), CardBrand::Visa),
                tx(
                    "3",
                    TransactionKind::Sale,
                    dec!(25.00),
                    CardBrand::Mastercard,
                ),
                tx("4", TransactionKind::Refund, dec!(10.00), CardBrand::Visa),
            ],
        )
        .unwrap();
        assert_eq!(batch.totals.len(), 3);
        let visa_sales = &batch.totals[0];
        assert_eq!(
            (visa_sales.kind, visa_sales.brand.clone(), visa_sales.count),
            (TransactionKind::Sale, Some(CardBrand::Visa), 2)
        );
        assert_eq!(visa_sales.amount.amount, dec!(150.00));
        let (count, amount) = batch.total_for(TransactionKind::Sale).unwrap();
        assert_eq!((count, amount.amount), (3, dec!(175.00)));
        assert_eq!(batch.net_amount().unwrap().amount, dec!(165.00));
        let json = serde_json::to_string(&batch).unwrap();
        assert_eq!(
            serde_json::from_str::<SettlementBatch>(&json).unwrap(),
            batch
        );
    }
}
