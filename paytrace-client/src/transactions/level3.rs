//! Level 3 (enhanced) data for Visa and Mastercard sales (`/v1/level_three/*`).

use rust_decimal::Decimal;
use rust_decimal::serde::str_option;
use serde::Serialize;

use super::{Address, StatusResponse, Transactions};
use crate::error::Result;
use crate::http::operation;
use crate::response::TransactionId;

/// Level 3 data for an approved, unsettled Visa or Mastercard sale (reference §3.5).
///
/// Which fields each brand takes is partly UNCONFIRMED: `national_tax_amount`,
/// `commodity_code` and `discount_amount` appear on Visa, the `additional_tax_*` and
/// `*_included` flags on Mastercard; unset fields are not sent. Numbers are sent as decimal
/// strings exactly as given (amounts here may be zero, rates may have more decimals).
///
/// ```
/// use paytrace_client::{Level3, LineItem, TransactionId};
/// use rust_decimal::Decimal;
///
/// let request = Level3 {
///     invoice_id: Some("INV-7".into()),
///     line_items: vec![LineItem {
///         description: Some("Widget".into()),
///         quantity: Some(Decimal::from(2)),
///         unit_cost: Some(Decimal::new(500, 2)),
///         amount: Some(Decimal::new(1000, 2)),
///         ..LineItem::default()
///     }],
///     ..Level3::new(TransactionId(42))
/// };
/// let json = serde_json::to_value(&request).unwrap();
/// assert_eq!(json["line_items"][0]["unit_cost"], "5.00");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Level3 {
    /// The sale.
    pub transaction_id: TransactionId,
    /// Invoice number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_id: Option<String>,
    /// Purchase order or customer code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_reference_id: Option<String>,
    /// Sales tax.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "str_option::serialize"
    )]
    pub tax_amount: Option<Decimal>,
    /// National tax (Visa).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "str_option::serialize"
    )]
    pub national_tax_amount: Option<Decimal>,
    /// Merchant's tax id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_tax_id: Option<String>,
    /// Customer's tax id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_tax_id: Option<String>,
    /// Commodity code (Visa).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commodity_code: Option<String>,
    /// Discount (Visa).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "str_option::serialize"
    )]
    pub discount_amount: Option<Decimal>,
    /// Freight.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "str_option::serialize"
    )]
    pub freight_amount: Option<Decimal>,
    /// Duty.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "str_option::serialize"
    )]
    pub duty_amount: Option<Decimal>,
    /// Where the goods ship from (`zip`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_address: Option<Address>,
    /// Where the goods ship to (`zip`, `country`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<Address>,
    /// Additional tax (Mastercard).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "str_option::serialize"
    )]
    pub additional_tax_amount: Option<Decimal>,
    /// Additional tax rate (Mastercard).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "str_option::serialize"
    )]
    pub additional_tax_rate: Option<Decimal>,
    /// Whether the additional tax is included (Mastercard).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_tax_included: Option<bool>,
    /// The line items.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub line_items: Vec<LineItem>,
}

impl Level3 {
    /// Level 3 data for `transaction_id` with nothing else set.
    pub fn new(transaction_id: TransactionId) -> Self {
        Level3 {
            transaction_id,
            invoice_id: None,
            customer_reference_id: None,
            tax_amount: None,
            national_tax_amount: None,
            merchant_tax_id: None,
            customer_tax_id: None,
            commodity_code: None,
            discount_amount: None,
            freight_amount: None,
            duty_amount: None,
            source_address: None,
            shipping_address: None,
            additional_tax_amount: None,
            additional_tax_rate: None,
            additional_tax_included: None,
            line_items: Vec::new(),
        }
    }
}

/// One Level 3 line item; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LineItem {
    /// Additional tax (Mastercard).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "str_option::serialize"
    )]
    pub additional_tax_amount: Option<Decimal>,
    /// Whether the additional tax is included (Mastercard).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_tax_included: Option<bool>,
    /// Additional tax rate (Mastercard).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "str_option::serialize"
    )]
    pub additional_tax_rate: Option<Decimal>,
    /// Line total.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "str_option::serialize"
    )]
    pub amount: Option<Decimal>,
    /// Commodity code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commodity_code: Option<String>,
    /// `"D"` (debit) or `"C"` (credit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debit_or_credit: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Discount.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "str_option::serialize"
    )]
    pub discount_amount: Option<Decimal>,
    /// Discount rate.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "str_option::serialize"
    )]
    pub discount_rate: Option<Decimal>,
    /// Whether the discount is included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount_included: Option<bool>,
    /// Merchant's tax id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_tax_id: Option<String>,
    /// Product id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    /// Quantity.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "str_option::serialize"
    )]
    pub quantity: Option<Decimal>,
    /// Whether tax is included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_included: Option<bool>,
    /// Unit of measure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_of_measure: Option<String>,
    /// Unit cost.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "str_option::serialize"
    )]
    pub unit_cost: Option<Decimal>,
}

impl Transactions<'_> {
    /// Adds Level 3 data to a Visa sale: `POST /v1/level_three/visa` (code 170). Not resent
    /// once it may have reached PayTrace (a repeat could add the line items twice).
    ///
    /// # Errors
    /// [`Error::Api`](crate::Error::Api) when PayTrace refuses (unknown, settled or non-Visa
    /// transaction); [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown) when the answer
    /// was lost; transport errors.
    pub async fn level3_visa(&self, request: &Level3) -> Result<StatusResponse> {
        let op = operation!(
            "paytrace.level3_visa",
            "/v1/level_three/visa",
            NonIdempotent
        );
        self.client.send(op, request).await
    }

    /// Adds Level 3 data to a Mastercard sale: `POST /v1/level_three/mastercard` (code 170).
    ///
    /// # Errors
    /// As [`level3_visa`](Self::level3_visa).
    pub async fn level3_mastercard(&self, request: &Level3) -> Result<StatusResponse> {
        let op = operation!(
            "paytrace.level3_mastercard",
            "/v1/level_three/mastercard",
            NonIdempotent
        );
        self.client.send(op, request).await
    }
}
