//! [`Amount`]: a positive US-dollar amount with exactly two decimals, the only kind of amount
//! PayTrace takes.

use std::fmt;
use std::str::FromStr;

use canonical_model::{Currency, Money};
use mapping::transform::types::{format_paytrace_amount, format_paytrace_money, parse_decimal};
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use crate::error::{Error, Result};

/// A positive amount of US dollars with exactly two decimal places.
///
/// PayTrace has no currency field: every amount is USD (reference §7). Building an `Amount`
/// refuses zero, negative amounts, more than two decimals and, from a canonical [`Money`],
/// any currency but USD, so a wrong amount fails before anything is sent.
///
/// Serialises as a JSON string with two decimals (`"19.90"`), which PayTrace accepts and which
/// no JSON reader can turn into a binary float.
///
/// ```
/// use canonical_model::{Currency, Money};
/// use paytrace_client::Amount;
/// use rust_decimal::Decimal;
///
/// let amount = Amount::try_from(&Money::new(Decimal::new(199, 1), Currency::USD))?;
/// assert_eq!(amount.to_string(), "19.90");
/// assert!(Amount::try_from(&Money::new(Decimal::new(199, 1), Currency::EUR)).is_err());
/// assert!(Amount::parse("1.005").is_err());
/// # Ok::<(), paytrace_client::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Amount(Decimal);

impl Amount {
    /// An amount from a decimal with at most two decimal places, greater than zero.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for zero, a negative amount or more than two decimals
    /// (`1.005`; trailing zeros such as `1.500` are fine).
    pub fn new(amount: Decimal) -> Result<Self> {
        format_paytrace_amount(amount).map_err(|e| {
            Error::refused(
                "amount",
                format!("{amount} is negative or has more than two decimals"),
                e,
            )
        })?;
        if amount.is_zero() {
            return Err(Error::invalid("amount", "must be greater than zero"));
        }
        // At most two decimals (checked above), so this only pads: 1.5 → 1.50.
        let mut exact = amount;
        exact.rescale(2);
        Ok(Amount(exact))
    }

    /// An amount from a whole number of cents.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for zero.
    pub fn from_cents(cents: u64) -> Result<Self> {
        Amount::new(Decimal::from(cents) / Decimal::ONE_HUNDRED)
    }

    /// Parses `"19.99"`, `"20"`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when the text is not a decimal, or as [`new`](Self::new).
    pub fn parse(text: &str) -> Result<Self> {
        let decimal = parse_decimal(text).map_err(|e| {
            Error::refused("amount", format!("{text:?} is not a decimal number"), e)
        })?;
        Amount::new(decimal)
    }

    /// The amount, at scale 2.
    pub fn as_decimal(&self) -> Decimal {
        self.0
    }

    /// The amount as canonical USD money.
    pub fn to_money(&self) -> Money {
        Money::new(self.0, Currency::USD)
    }
}

impl TryFrom<&Money> for Amount {
    type Error = Error;

    /// # Errors
    /// [`Error::InvalidRequest`] for a currency other than USD, or as [`Amount::new`].
    fn try_from(money: &Money) -> Result<Self> {
        format_paytrace_money(money).map_err(|e| {
            Error::refused(
                "amount",
                format!(
                    "PayTrace only takes US dollars; this amount is in {} (convert it first)",
                    money.currency.code()
                ),
                e,
            )
        })?;
        Amount::new(money.amount)
    }
}

impl TryFrom<Money> for Amount {
    type Error = Error;

    fn try_from(money: Money) -> Result<Self> {
        Amount::try_from(&money)
    }
}

impl FromStr for Amount {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        Amount::parse(text)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Amount({} USD)", self.0)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn formats_exactly_two_decimals() {
        let cases = [
            (dec!(19.99), "19.99"),
            (dec!(20), "20.00"),
            (dec!(0.5), "0.50"),
            (dec!(1.500), "1.50"),
            (dec!(0.01), "0.01"),
            (dec!(1234567.89), "1234567.89"),
        ];
        for (input, want) in cases {
            let amount = Amount::new(input).unwrap();
            assert_eq!(amount.to_string(), want);
            assert_eq!(
                serde_json::to_string(&amount).unwrap(),
                format!("\"{want}\"")
            );
        }
        assert_eq!(Amount::from_cents(1999).unwrap().to_string(), "19.99");
        assert_eq!(Amount::parse(" 7 ").unwrap().to_string(), "7.00");
    }

    #[test]
    fn refuses_what_paytrace_cannot_take() {
        for bad in [dec!(0), dec!(-1.00), dec!(1.005), dec!(0.001)] {
            let err = Amount::new(bad).unwrap_err();
            assert_eq!(err.kind(), mapping::retry::ErrorKind::Validation, "{bad}");
        }
        assert!(Amount::from_cents(0).is_err());
        assert!(Amount::parse("12,50").is_err());
        assert!(Amount::parse("").is_err());
    }

    #[test]
    fn money_must_be_usd() {
        let eur = Money::new(dec!(10.00), Currency::EUR);
        let err = Amount::try_from(&eur).unwrap_err();
        assert!(err.to_string().contains("EUR"), "{err}");
        assert!(err.to_string().contains("US dollars"), "{err}");
        let usd = Money::new(dec!(10.5), Currency::USD);
        let amount = Amount::try_from(usd).unwrap();
        assert_eq!(amount.to_money(), Money::new(dec!(10.50), Currency::USD));
        assert!(Amount::try_from(Money::new(dec!(-1), Currency::USD)).is_err());
    }
}
