//! Orders and their lines.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::address::Address;
use crate::customer::Customer;
use crate::error::Result;
use crate::money::{Currency, Money, Rounding};
use crate::refs::ExternalRef;

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OrderStatus {
    /// Being prepared, not yet confirmed.
    Draft,
    /// Placed and waiting for fulfilment.
    Open,
    /// Shipped or delivered.
    Fulfilled,
    /// Invoiced in the ERP.
    Invoiced,
    /// Cancelled.
    Canceled,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    /// Item number or SKU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// What is sold.
    pub description: String,
    /// How many units.
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
    /// Price per unit.
    pub unit_price: Money,
    /// Discount on the whole line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<Money>,
    /// Tax on the whole line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax: Option<Money>,
}

impl OrderLine {
    /// Quantity × unit price − discount, before tax, rounded to minor units half away from
    /// zero (commercial rounding, as invoices print it).
    ///
    /// # Errors
    /// Currency mismatch between price and discount, overflow, or a currency without minor
    /// units.
    pub fn net_amount(&self) -> Result<Money> {
        let gross = self.unit_price.checked_mul(self.quantity)?;
        let net = match &self.discount {
            Some(discount) => gross.checked_sub(discount)?,
            None => gross,
        };
        net.round_to_minor_units(Rounding::HalfAwayFromZero)
    }
}

/// A customer order (from a storefront, a CRM Order, or an ERP sales order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// The order id in its source system.
    pub id: String,
    /// The human-facing order number, when it differs from the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Who ordered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    /// Currency of every amount on the order.
    pub currency: Currency,
    /// The lines.
    pub lines: Vec<OrderLine>,
    /// Shipping charged on the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping: Option<Money>,
    /// Where it ships.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<Address>,
    /// Where it stands.
    pub status: OrderStatus,
    /// When it was placed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordered_at: Option<DateTime<Utc>>,
    /// Copies in other systems (Opportunity, ERP sales order).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<ExternalRef>,
    /// Custom fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, serde_json::Value>,
}

impl Order {
    /// Sum of the lines' net amounts.
    ///
    /// # Errors
    /// A line in another currency, overflow.
    pub fn subtotal(&self) -> Result<Money> {
        let nets = self
            .lines
            .iter()
            .map(OrderLine::net_amount)
            .collect::<Result<Vec<_>>>()?;
        Money::sum(self.currency, &nets)
    }

    /// Sum of the lines' taxes.
    ///
    /// # Errors
    /// A tax in another currency, overflow.
    pub fn tax_total(&self) -> Result<Money> {
        Money::sum(
            self.currency,
            self.lines.iter().filter_map(|l| l.tax.as_ref()),
        )
    }

    /// Subtotal + tax + shipping: what the customer pays.
    ///
    /// # Errors
    /// An amount in another currency, overflow.
    pub fn total(&self) -> Result<Money> {
        let mut total = self.subtotal()?.checked_add(&self.tax_total()?)?;
        if let Some(shipping) = &self.shipping {
            total = total.checked_add(shipping)?;
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn usd(a: Decimal) -> Money {
        Money::new(a, Currency::USD)
    }

    #[test]
    fn totals_add_lines_tax_and_shipping() {
        let order = Order {
            id: "web-1001".into(),
            number: None,
            customer: None,
            currency: Currency::USD,
            lines: vec![
                OrderLine {
                    sku: Some("SKU-1".into()),
                    description: "Widget".into(),
                    quantity: dec!(3),
                    unit_price: usd(dec!(19.99)),
                    discount: Some(usd(dec!(5))),
                    tax: Some(usd(dec!(4.50))),
                },
                OrderLine {
                    sku: None,
                    description: "Bulk thread by the metre".into(),
                    quantity: dec!(2.5),
                    unit_price: usd(dec!(0.333)),
                    discount: None,
                    tax: None,
                },
            ],
            shipping: Some(usd(dec!(7.25))),
            shipping_address: None,
            status: OrderStatus::Open,
            ordered_at: None,
            references: vec![],
            metadata: BTreeMap::new(),
        };
        // 3 × 19.99 − 5 = 54.97; 2.5 × 0.333 = 0.8325 → 0.83
        assert_eq!(order.subtotal().unwrap().amount, dec!(55.80));
        assert_eq!(order.tax_total().unwrap().amount, dec!(4.50));
        assert_eq!(order.total().unwrap().amount, dec!(67.55));
        let json = serde_json::to_string(&order).unwrap();
        assert_eq!(serde_json::from_str::<Order>(&json).unwrap(), order);
    }

    #[test]
    fn a_line_in_another_currency_is_refused() {
        let line = OrderLine {
            sku: None,
            description: "x".into(),
            quantity: dec!(1),
            unit_price: usd(dec!(1)),
            discount: Some(Money::new(dec!(1), Currency::EUR)),
            tax: None,
        };
        assert!(line.net_amount().is_err());
    }
}
