//! Money: a `Decimal` amount with an ISO 4217 currency.
//!
//! Amounts are never `f64`. Arithmetic is checked and refuses to mix currencies. Converting to
//! minor units (cents) and rounding always name a [`Rounding`] strategy, so the rounding rule a
//! flow applies is visible at the call site.

use std::fmt;
use std::iter::Sum;

pub use iso_currency::Currency;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};

/// A rounding rule, named so that every rounding in a flow says which one it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Round half to even ("banker's rounding"): 0.125 → 0.12, 0.135 → 0.14. Unbiased over many
    /// values; the default for sums and allocations.
    HalfEven,
    /// Round half away from zero ("commercial rounding"): 0.125 → 0.13, -0.125 → -0.13.
    HalfAwayFromZero,
    /// Round half toward zero: 0.125 → 0.12.
    HalfTowardZero,
    /// Truncate toward zero: 0.129 → 0.12, -0.129 → -0.12.
    TowardZero,
    /// Away from zero: 0.121 → 0.13.
    AwayFromZero,
    /// Toward negative infinity: 0.129 → 0.12, -0.121 → -0.13.
    Floor,
    /// Toward positive infinity: 0.121 → 0.13, -0.129 → -0.12.
    Ceiling,
}

impl Rounding {
    fn strategy(self) -> RoundingStrategy {
        match self {
            Self::HalfEven => RoundingStrategy::MidpointNearestEven,
            Self::HalfAwayFromZero => RoundingStrategy::MidpointAwayFromZero,
            Self::HalfTowardZero => RoundingStrategy::MidpointTowardZero,
            Self::TowardZero => RoundingStrategy::ToZero,
            Self::AwayFromZero => RoundingStrategy::AwayFromZero,
            Self::Floor => RoundingStrategy::ToNegativeInfinity,
            Self::Ceiling => RoundingStrategy::ToPositiveInfinity,
        }
    }
}

/// The number of decimal places of a currency's minor unit (USD 2, JPY 0, BHD 3), or `None` for
/// codes ISO 4217 gives no minor unit (XAU, XDR, …).
pub fn minor_unit_exponent(currency: Currency) -> Option<u32> {
    currency.exponent().map(u32::from)
}

/// An amount of money in one currency.
///
/// Serialises as `{"amount":"12.50","currency":"USD"}`: the amount is a JSON string so no JSON
/// reader can turn it into a binary float on the way.
///
/// ```
/// use canonical_model::{Currency, Money, Rounding};
/// use rust_decimal::Decimal;
///
/// let price = Money::new(Decimal::new(1999, 2), Currency::USD); // 19.99 USD
/// let total = price.checked_add(&Money::from_minor_units(1, Currency::USD)?)?;
/// assert_eq!(total.to_minor_units(Rounding::HalfEven)?, 2000);
/// assert_eq!(total.to_string(), "20.00 USD");
/// # Ok::<(), canonical_model::ModelError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// The amount, positive or negative, at whatever scale it was created with.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// The ISO 4217 currency.
    pub currency: Currency,
}

impl Money {
    /// Money of `amount` in `currency`.
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// Zero in `currency`, at the currency's minor-unit scale.
    pub fn zero(currency: Currency) -> Self {
        let mut amount = Decimal::ZERO;
        amount.rescale(minor_unit_exponent(currency).unwrap_or(0));
        Self { amount, currency }
    }

    /// Builds money from an integer count of minor units (e.g. cents).
    ///
    /// # Errors
    /// [`ModelError::NoMinorUnit`] if the currency has no minor unit.
    pub fn from_minor_units(minor: i64, currency: Currency) -> Result<Self> {
        let exp = minor_unit_exponent(currency).ok_or(ModelError::NoMinorUnit(currency))?;
        Ok(Self::new(Decimal::new(minor, exp), currency))
    }

    /// Parses a decimal string (`"12.5"`, `"-3"`) as an amount in `currency`.
    ///
    /// # Errors
    /// [`ModelError::InvalidValue`] if the text is not a decimal number.
    pub fn parse(amount: &str, currency: Currency) -> Result<Self> {
        let amount = amount.trim().parse::<Decimal>().map_err(|e| {
            ModelError::invalid("amount", format!("{amount:?} is not a decimal: {e}"))
        })?;
        Ok(Self::new(amount, currency))
    }

    /// The amount rounded to the currency's minor units with `rounding`, as an integer count of
    /// minor units.
    ///
    /// # Errors
    /// [`ModelError::NoMinorUnit`] for currencies without a minor unit, [`ModelError::Overflow`]
    /// if the result does not fit in an `i64`.
    pub fn to_minor_units(&self, rounding: Rounding) -> Result<i64> {
        let rounded = self.round_to_minor_units(rounding)?;
        let exp =
            minor_unit_exponent(self.currency).ok_or(ModelError::NoMinorUnit(self.currency))?;
        let scaled = rounded
            .amount
            .checked_mul(Decimal::from(10_i64.pow(exp)))
            .ok_or(ModelError::Overflow {
                operation: "to_minor_units",
            })?;
        scaled.to_i64().ok_or(ModelError::Overflow {
            operation: "to_minor_units",
        })
    }

    /// The same money rounded to the currency's minor units with `rounding`, at exactly that
    /// scale (so `12.5 USD` becomes `12.50 USD`).
    ///
    /// # Errors
    /// [`ModelError::NoMinorUnit`] for currencies without a minor unit, [`ModelError::Overflow`]
    /// if the amount has no room for the extra digits.
    pub fn round_to_minor_units(&self, rounding: Rounding) -> Result<Self> {
        let exp =
            minor_unit_exponent(self.currency).ok_or(ModelError::NoMinorUnit(self.currency))?;
        let mut amount = self.amount.round_dp_with_strategy(exp, rounding.strategy());
        amount.rescale(exp);
        if amount.scale() != exp {
            return Err(ModelError::Overflow {
                operation: "round_to_minor_units",
            });
        }
        Ok(Self::new(amount, self.currency))
    }

    /// Whether the amount has no more decimal places than the currency's minor unit allows.
    pub fn is_minor_unit_exact(&self) -> bool {
        minor_unit_exponent(self.currency).is_some_and(|exp| self.amount.normalize().scale() <= exp)
    }

    fn same_currency(&self, other: &Self) -> Result<()> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(ModelError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }

    /// `self + other`.
    ///
    /// # Errors
    /// [`ModelError::CurrencyMismatch`] or [`ModelError::Overflow`].
    pub fn checked_add(&self, other: &Self) -> Result<Self> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_add(other.amount)
            .ok_or(ModelError::Overflow { operation: "add" })?;
        Ok(Self::new(amount, self.currency))
    }

    /// `self - other`.
    ///
    /// # Errors
    /// [`ModelError::CurrencyMismatch`] or [`ModelError::Overflow`].
    pub fn checked_sub(&self, other: &Self) -> Result<Self> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_sub(other.amount)
            .ok_or(ModelError::Overflow {
                operation: "subtract",
            })?;
        Ok(Self::new(amount, self.currency))
    }

    /// `self × factor` (a quantity, a rate), unrounded: round it with
    /// [`round_to_minor_units`](Self::round_to_minor_units) when it becomes a charge.
    ///
    /// # Errors
    /// [`ModelError::Overflow`].
    pub fn checked_mul(&self, factor: Decimal) -> Result<Self> {
        let amount = self
            .amount
            .checked_mul(factor)
            .ok_or(ModelError::Overflow {
                operation: "multiply",
            })?;
        Ok(Self::new(amount, self.currency))
    }

    /// The same amount with the opposite sign.
    pub fn negated(&self) -> Self {
        Self::new(-self.amount, self.currency)
    }

    /// The absolute value.
    pub fn abs(&self) -> Self {
        Self::new(self.amount.abs(), self.currency)
    }

    /// Whether the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// Whether the amount is strictly greater than zero.
    pub fn is_positive(&self) -> bool {
        self.amount > Decimal::ZERO
    }

    /// Whether the amount is strictly less than zero.
    pub fn is_negative(&self) -> bool {
        self.amount < Decimal::ZERO
    }

    /// Adds up `items`, all of which must be in `currency`. An empty input gives zero.
    ///
    /// # Errors
    /// [`ModelError::CurrencyMismatch`] or [`ModelError::Overflow`].
    pub fn sum<'a>(currency: Currency, items: impl IntoIterator<Item = &'a Money>) -> Result<Self> {
        items
            .into_iter()
            .try_fold(Self::zero(currency), |acc, m| acc.checked_add(m))
    }

    /// Splits the amount into `parts` shares that differ by at most one minor unit and add up
    /// exactly to the original (rounded to minor units with `rounding` first). Earlier shares
    /// receive the leftover units.
    ///
    /// # Errors
    /// [`ModelError::InvalidSplit`] for zero parts, [`ModelError::NoMinorUnit`],
    /// [`ModelError::Overflow`].
    pub fn split(&self, parts: usize, rounding: Rounding) -> Result<Vec<Self>> {
        let weights = vec![1_u64; parts];
        self.allocate(&weights, rounding)
    }

    /// Allocates the amount in proportion to `weights` with the largest-remainder method: the
    /// shares add up exactly to the original (rounded to minor units with `rounding` first), and
    /// no share is off by more than one minor unit from its exact proportion.
    ///
    /// # Errors
    /// [`ModelError::InvalidSplit`] when `weights` is empty or sums to zero,
    /// [`ModelError::NoMinorUnit`], [`ModelError::Overflow`].
    pub fn allocate(&self, weights: &[u64], rounding: Rounding) -> Result<Vec<Self>> {
        let total_weight = weights
            .iter()
            .try_fold(0_u64, |acc, w| acc.checked_add(*w))
            .ok_or(ModelError::Overflow {
                operation: "allocate",
            })?;
        if weights.is_empty() || total_weight == 0 {
            return Err(ModelError::InvalidSplit {
                parts: weights.len(),
                total_weight,
            });
        }
        let total = i128::from(self.to_minor_units(rounding)?);
        let tw = i128::from(total_weight);
        let mut shares = Vec::with_capacity(weights.len());
        let mut remainders = Vec::with_capacity(weights.len());
        let mut assigned: i128 = 0;
        for (index, w) in weights.iter().enumerate() {
            let exact = total * i128::from(*w);
            // Euclidean division keeps remainders non-negative for negative totals too.
            let share = exact.div_euclid(tw);
            remainders.push((exact.rem_euclid(tw), index));
            shares.push(share);
            assigned += share;
        }
        // Largest remainders first; ties go to the earlier share so the result is deterministic.
        remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let leftover = usize::try_from(total - assigned).map_err(|_| ModelError::Overflow {
            operation: "allocate",
        })?;
        for (_, index) in remainders.iter().take(leftover) {
            if let Some(share) = shares.get_mut(*index) {
                *share += 1;
            }
        }
        shares
            .into_iter()
            .map(|minor| {
                let minor = i64::try_from(minor).map_err(|_| ModelError::Overflow {
                    operation: "allocate",
                })?;
                Self::from_minor_units(minor, self.currency)
            })
            .collect()
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({} {})", self.amount, self.currency.code())
    }
}

/// `"1234.50 USD"`: the amount as stored, then the ISO code. Display formats with symbols and
/// grouping live in `mapping::transform::currency`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency.code())
    }
}

/// Totals of checked sums: `Some` when every item shares one currency and nothing overflows.
impl<'a> Sum<&'a Money> for Option<Money> {
    fn sum<I: Iterator<Item = &'a Money>>(mut iter: I) -> Self {
        let first = *iter.next()?;
        iter.try_fold(first, |acc, m| acc.checked_add(m).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn usd(amount: Decimal) -> Money {
        Money::new(amount, Currency::USD)
    }

    #[test]
    fn minor_units_follow_iso_4217() {
        assert_eq!(minor_unit_exponent(Currency::USD), Some(2));
        assert_eq!(minor_unit_exponent(Currency::JPY), Some(0));
        assert_eq!(minor_unit_exponent(Currency::BHD), Some(3));
        assert_eq!(minor_unit_exponent(Currency::XAU), None);
        assert_eq!(
            Money::from_minor_units(1234, Currency::JPY).unwrap().amount,
            dec!(1234)
        );
        assert_eq!(
            Money::from_minor_units(1234, Currency::BHD).unwrap().amount,
            dec!(1.234)
        );
        assert_eq!(
            Money::from_minor_units(1, Currency::XAU),
            Err(ModelError::NoMinorUnit(Currency::XAU))
        );
    }

    #[test]
    fn rounding_strategies_differ_where_they_should() {
        let cases = [
            (dec!(0.125), Rounding::HalfEven, 12),
            (dec!(0.135), Rounding::HalfEven, 14),
            (dec!(0.125), Rounding::HalfAwayFromZero, 13),
            (dec!(-0.125), Rounding::HalfAwayFromZero, -13),
            (dec!(0.125), Rounding::HalfTowardZero, 12),
            (dec!(0.129), Rounding::TowardZero, 12),
            (dec!(-0.129), Rounding::TowardZero, -12),
            (dec!(0.121), Rounding::AwayFromZero, 13),
            (dec!(-0.121), Rounding::Floor, -13),
            (dec!(-0.129), Rounding::Ceiling, -12),
        ];
        for (amount, rounding, cents) in cases {
            assert_eq!(
                usd(amount).to_minor_units(rounding).unwrap(),
                cents,
                "{amount} {rounding:?}"
            );
        }
    }

    #[test]
    fn round_to_minor_units_sets_the_scale() {
        let m = usd(dec!(12.5))
            .round_to_minor_units(Rounding::HalfEven)
            .unwrap();
        assert_eq!(m.amount.to_string(), "12.50");
        assert_eq!(Money::zero(Currency::USD).amount.to_string(), "0.00");
        assert!(usd(dec!(1.10)).is_minor_unit_exact());
        assert!(!usd(dec!(1.105)).is_minor_unit_exact());
    }

    #[test]
    fn arithmetic_refuses_to_mix_currencies() {
        let eur = Money::new(dec!(1), Currency::EUR);
        assert_eq!(
            usd(dec!(1)).checked_add(&eur),
            Err(ModelError::CurrencyMismatch {
                left: Currency::USD,
                right: Currency::EUR
            })
        );
        assert!(usd(dec!(1)).checked_sub(&eur).is_err());
        assert!(Money::sum(Currency::USD, &[usd(dec!(1)), eur]).is_err());
        let total: Option<Money> = [usd(dec!(1)), eur].iter().sum();
        assert_eq!(total, None);
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        let big = usd(Decimal::MAX);
        assert!(matches!(
            big.checked_add(&usd(dec!(1))),
            Err(ModelError::Overflow { .. })
        ));
        assert!(matches!(
            big.to_minor_units(Rounding::HalfEven),
            Err(ModelError::Overflow { .. })
        ));
        assert!(matches!(
            big.checked_mul(dec!(2)),
            Err(ModelError::Overflow { .. })
        ));
    }

    #[test]
    fn split_hands_leftover_cents_to_the_first_shares() {
        let parts = usd(dec!(100)).split(3, Rounding::HalfEven).unwrap();
        let amounts: Vec<String> = parts.iter().map(|m| m.amount.to_string()).collect();
        assert_eq!(amounts, ["33.34", "33.33", "33.33"]);
        assert!(matches!(
            usd(dec!(1)).split(0, Rounding::HalfEven),
            Err(ModelError::InvalidSplit { .. })
        ));
    }

    #[test]
    fn allocate_by_weights_and_negative_amounts() {
        let parts = usd(dec!(10)).allocate(&[1, 2], Rounding::HalfEven).unwrap();
        assert_eq!(parts[0].amount, dec!(3.33));
        assert_eq!(parts[1].amount, dec!(6.67));
        let refund = usd(dec!(-0.05))
            .allocate(&[1, 1], Rounding::HalfEven)
            .unwrap();
        assert_eq!(
            Money::sum(Currency::USD, &refund).unwrap().amount,
            dec!(-0.05)
        );
        assert!(usd(dec!(1)).allocate(&[0, 0], Rounding::HalfEven).is_err());
    }

    #[test]
    fn serde_shape_is_stable() {
        let m = usd(dec!(12.50));
        let json = serde_json::to_value(m).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"amount": "12.50", "currency": "USD"})
        );
        let back: Money = serde_json::from_value(json).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.amount.to_string(), "12.50");
        assert!(serde_json::from_str::<Money>(r#"{"amount":"1","currency":"ZZZ"}"#).is_err());
    }

    #[test]
    fn parse_and_display() {
        assert_eq!(
            Money::parse(" 12.5 ", Currency::USD).unwrap().to_string(),
            "12.5 USD"
        );
        assert!(Money::parse("12,50", Currency::USD).is_err());
    }

    fn currency_with_minor_units() -> impl Strategy<Value = Currency> {
        prop::sample::select(vec![
            Currency::USD,
            Currency::EUR,
            Currency::JPY,
            Currency::BHD,
            Currency::GBP,
            Currency::CLF,
        ])
    }

    proptest! {
        #[test]
        fn minor_units_round_trip(minor in -1_000_000_000_000_i64..1_000_000_000_000, c in currency_with_minor_units()) {
            let m = Money::from_minor_units(minor, c).unwrap();
            prop_assert_eq!(m.to_minor_units(Rounding::HalfEven).unwrap(), minor);
            let json = serde_json::to_string(&m).unwrap();
            let back: Money = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, m);
        }

        #[test]
        fn split_neither_creates_nor_loses_money(minor in -10_000_000_000_i64..10_000_000_000, parts in 1_usize..50, c in currency_with_minor_units()) {
            let m = Money::from_minor_units(minor, c).unwrap();
            let shares = m.split(parts, Rounding::HalfEven).unwrap();
            prop_assert_eq!(shares.len(), parts);
            prop_assert_eq!(Money::sum(c, &shares).unwrap(), m);
            let cents: Vec<i64> = shares.iter().map(|s| s.to_minor_units(Rounding::HalfEven).unwrap()).collect();
            let (lo, hi) = (cents.iter().min().unwrap(), cents.iter().max().unwrap());
            prop_assert!(hi - lo <= 1);
        }

        #[test]
        fn allocate_neither_creates_nor_loses_money(minor in -10_000_000_000_i64..10_000_000_000, weights in prop::collection::vec(0_u64..1000, 1..20)) {
            prop_assume!(weights.iter().sum::<u64>() > 0);
            let m = Money::from_minor_units(minor, Currency::USD).unwrap();
            let shares = m.allocate(&weights, Rounding::HalfEven).unwrap();
            prop_assert_eq!(Money::sum(Currency::USD, &shares).unwrap(), m);
            let total: u64 = weights.iter().sum();
            for (share, w) in shares.iter().zip(&weights) {
                let exact = Decimal::from(minor) * Decimal::from(*w) / Decimal::from(total);
                let got = Decimal::from(share.to_minor_units(Rounding::HalfEven).unwrap());
                prop_assert!((got - exact).abs() < Decimal::ONE);
            }
        }

        #[test]
        fn add_then_sub_is_identity(a in -1_000_000_000_i64..1_000_000_000, b in -1_000_000_000_i64..1_000_000_000) {
            let x = Money::from_minor_units(a, Currency::USD).unwrap();
            let y = Money::from_minor_units(b, Currency::USD).unwrap();
            prop_assert_eq!(x.checked_add(&y).unwrap().checked_sub(&y).unwrap(), x);
        }
    }
}
