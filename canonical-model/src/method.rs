//! How a payment was made: card, ACH or a vault profile, never with a full card number.
//!
//! The types here cannot hold a primary account number: [`LastFour`] accepts exactly four
//! digits, and nothing else stores digits from a card. Full numbers and CSCs live only inside
//! the PayTrace request that needs them (`paytrace-client`).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};

/// The last four digits of a card or bank account number.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LastFour([u8; 4]);

impl LastFour {
    /// Exactly four ASCII digits.
    ///
    /// # Errors
    /// [`ModelError::InvalidValue`] for anything else. The message never repeats the input,
    /// because a caller might mistakenly pass a whole card number.
    pub fn new(digits: &str) -> Result<Self> {
        match digits.trim().as_bytes() {
            [a, b, c, d] if [a, b, c, d].iter().all(|x| x.is_ascii_digit()) => {
                Ok(Self([*a, *b, *c, *d]))
            }
            _ => Err(ModelError::invalid(
                "last four",
                "expected exactly four digits",
            )),
        }
    }

    /// The last four characters of a masked number (`"xxxxxxxxxxxx5439"`,
    /// `"************5454"`, `"411111******1111"`); the rest of the input is dropped.
    ///
    /// # Errors
    /// [`ModelError::InvalidValue`] when the input does not end in four digits.
    pub fn from_masked(masked: &str) -> Result<Self> {
        let trimmed = masked.trim();
        let start = trimmed
            .char_indices()
            .rev()
            .nth(3)
            .map(|(i, _)| i)
            .ok_or_else(|| {
                ModelError::invalid("last four", "masked number is shorter than four characters")
            })?;
        Self::new(&trimmed[start..])
    }

    /// The four digits.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("0000")
    }
}

impl TryFrom<String> for LastFour {
    type Error = ModelError;
    fn try_from(value: String) -> Result<Self> {
        Self::new(&value)
    }
}

impl From<LastFour> for String {
    fn from(value: LastFour) -> Self {
        value.as_str().to_owned()
    }
}

impl fmt::Debug for LastFour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "…{}", self.as_str())
    }
}

impl fmt::Display for LastFour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A card network.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CardBrand {
    /// Visa.
    Visa,
    /// Mastercard.
    Mastercard,
    /// American Express.
    Amex,
    /// Discover.
    Discover,
    /// Diners Club.
    DinersClub,
    /// JCB.
    Jcb,
    /// UnionPay.
    UnionPay,
    /// Not known (e.g. a fully masked number).
    Unknown,
    /// Any other brand, by name.
    #[serde(untagged)]
    Other(String),
}

impl CardBrand {
    /// The brand from a number's leading digits (its BIN/IIN prefix), e.g. from a masked number
    /// that keeps the first six (`"541111******5454"`). A number whose leading characters are
    /// masked gives [`CardBrand::Unknown`].
    pub fn from_leading_digits(number: &str) -> Self {
        let digits: String = number
            .trim()
            .chars()
            .take_while(char::is_ascii_digit)
            .take(6)
            .collect();
        let prefix = |n: usize| digits.get(..n).and_then(|p| p.parse::<u32>().ok());
        let in_range =
            |n: usize, lo: u32, hi: u32| prefix(n).is_some_and(|p| (lo..=hi).contains(&p));
        if digits.starts_with('4') {
            Self::Visa
        } else if in_range(2, 51, 55) || in_range(4, 2221, 2720) {
            Self::Mastercard
        } else if in_range(2, 34, 34) || in_range(2, 37, 37) {
            Self::Amex
        } else if in_range(4, 6011, 6011)
            || in_range(2, 65, 65)
            || in_range(3, 644, 649)
            || in_range(6, 622_126, 622_925)
        {
            Self::Discover
        } else if in_range(2, 62, 62) {
            Self::UnionPay
        } else if in_range(4, 3528, 3589) {
            Self::Jcb
        } else if in_range(3, 300, 305) || in_range(2, 36, 36) || in_range(2, 38, 39) {
            Self::DinersClub
        } else {
            Self::Unknown
        }
    }
}

/// A card's expiry month and four-digit year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CardExpiry {
    /// Month, 1–12.
    pub month: u8,
    /// Four-digit year.
    pub year: u16,
}

impl CardExpiry {
    /// An expiry from a month and a two- or four-digit year (`"20"` means 2020, as in PayTrace
    /// exports).
    ///
    /// # Errors
    /// [`ModelError::InvalidValue`] for a month outside 1–12 or a year that is not 2 or 4 digits.
    pub fn new(month: u8, year: u16) -> Result<Self> {
        if !(1..=12).contains(&month) {
            return Err(ModelError::invalid(
                "expiry month",
                format!("{month} is not 1–12"),
            ));
        }
        let year = match year {
            0..=99 => 2000 + year,
            1000..=9999 => year,
            _ => {
                return Err(ModelError::invalid(
                    "expiry year",
                    format!("{year} is not 2 or 4 digits"),
                ));
            }
        };
        Ok(Self { month, year })
    }

    /// Parses month and year strings as APIs send them (`"07"`, `"2027"` or `"27"`).
    ///
    /// # Errors
    /// [`ModelError::InvalidValue`] when either part is not a number in range.
    pub fn parse(month: &str, year: &str) -> Result<Self> {
        let m = month.trim().parse::<u8>().map_err(|_| {
            ModelError::invalid("expiry month", format!("{month:?} is not a number"))
        })?;
        let y = year.trim();
        if !(y.len() == 2 || y.len() == 4) {
            return Err(ModelError::invalid(
                "expiry year",
                format!("{year:?} is not 2 or 4 digits"),
            ));
        }
        let y = y
            .parse::<u16>()
            .map_err(|_| ModelError::invalid("expiry year", format!("{year:?} is not a number")))?;
        Self::new(m, y)
    }

    /// Whether the card has expired by `year`/`month` (a card is valid through the end of its
    /// expiry month).
    pub fn is_expired_at(&self, year: u16, month: u8) -> bool {
        (self.year, self.month) < (year, month)
    }
}

/// What we may keep of a card: brand, last four, expiry, holder name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CardSummary {
    /// The card network.
    pub brand: CardBrand,
    /// Last four digits.
    pub last_four: LastFour,
    /// Expiry, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<CardExpiry>,
    /// Cardholder name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder_name: Option<String>,
}

/// The kind of bank account of an ACH payment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AchAccountType {
    /// Personal checking.
    Checking,
    /// Personal savings.
    Savings,
    /// Business checking.
    BusinessChecking,
    /// Business savings.
    BusinessSavings,
    /// Not known.
    Unknown,
}

/// What we may keep of an ACH payment's bank account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AchSummary {
    /// Last four digits of the account number.
    pub last_four: LastFour,
    /// The kind of account.
    pub account_type: AchAccountType,
}

/// How a payment was made.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PaymentMethod {
    /// A card entered for this payment.
    Card(CardSummary),
    /// A bank account debit (ACH / eCheck).
    Ach(AchSummary),
    /// A stored profile in the gateway's vault (PayTrace `customer_id`).
    Vault {
        /// The vault id.
        vault_id: String,
        /// The card on the profile, when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        card: Option<CardSummary>,
    },
}

impl PaymentMethod {
    /// A short label for CRM fields: `"Credit Card"`, `"ACH"`, `"Vault"`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Card(_) => "Credit Card",
            Self::Ach(_) => "ACH",
            Self::Vault { .. } => "Vault",
        }
    }

    /// The last four digits of the card or account, when known.
    pub fn last_four(&self) -> Option<&LastFour> {
        match self {
            Self::Card(card) => Some(&card.last_four),
            Self::Ach(ach) => Some(&ach.last_four),
            Self::Vault { card, .. } => card.as_ref().map(|c| &c.last_four),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_four_accepts_only_four_digits_and_never_echoes_input() {
        assert_eq!(LastFour::new("5439").unwrap().as_str(), "5439");
        let err = LastFour::new("4111111111111111").unwrap_err().to_string();
        assert!(!err.contains("4111"), "{err}");
        for bad in ["", "123", "12345", "12a4"] {
            assert!(LastFour::new(bad).is_err(), "{bad:?}");
        }
        assert!(serde_json::from_str::<LastFour>("\"4111111111111111\"").is_err());
    }

    #[test]
    fn last_four_from_masked_numbers() {
        for (masked, want) in [
            ("xxxxxxxxxxxx5439", "5439"),
            ("************5454", "5454"),
            ("411111******1111", "1111"),
            (" ****1234 ", "1234"),
        ] {
            assert_eq!(LastFour::from_masked(masked).unwrap().as_str(), want);
        }
        assert!(LastFour::from_masked("***").is_err());
        assert!(LastFour::from_masked("1234****").is_err());
        assert_eq!(format!("{:?}", LastFour::new("5439").unwrap()), "…5439");
    }

    #[test]
    fn brand_from_leading_digits() {
        let cases = [
            ("4111111111111111", CardBrand::Visa),
            ("541111******5454", CardBrand::Mastercard),
            ("222100", CardBrand::Mastercard),
            ("378282", CardBrand::Amex),
            ("601111", CardBrand::Discover),
            ("650000", CardBrand::Discover),
            ("622126", CardBrand::Discover),
            ("620000", CardBrand::UnionPay),
            ("353011", CardBrand::Jcb),
            ("305693", CardBrand::DinersClub),
            ("************5454", CardBrand::Unknown),
            ("", CardBrand::Unknown),
            ("999999", CardBrand::Unknown),
        ];
        for (number, brand) in cases {
            assert_eq!(CardBrand::from_leading_digits(number), brand, "{number}");
        }
        assert_eq!(
            serde_json::to_value(CardBrand::Other("Maestro".into())).unwrap(),
            "Maestro"
        );
        assert_eq!(
            serde_json::from_value::<CardBrand>("visa".into()).unwrap(),
            CardBrand::Visa
        );
    }

    #[test]
    fn expiry_parsing_and_expiration() {
        assert_eq!(
            CardExpiry::parse("12", "20").unwrap(),
            CardExpiry {
                month: 12,
                year: 2020
            }
        );
        assert_eq!(
            CardExpiry::parse("07", "2027").unwrap(),
            CardExpiry {
                month: 7,
                year: 2027
            }
        );
        assert!(CardExpiry::parse("13", "2027").is_err());
        assert!(CardExpiry::parse("0", "2027").is_err());
        assert!(CardExpiry::parse("1", "202").is_err());
        assert!(CardExpiry::parse("x", "2027").is_err());
        let e = CardExpiry::new(6, 2026).unwrap();
        assert!(!e.is_expired_at(2026, 6));
        assert!(e.is_expired_at(2026, 7));
        assert!(e.is_expired_at(2027, 1));
    }

    #[test]
    fn payment_method_is_tagged_by_type() {
        let m = PaymentMethod::Vault {
            vault_id: "cust-1".into(),
            card: Some(CardSummary {
                brand: CardBrand::Visa,
                last_four: LastFour::new("1111").unwrap(),
                expiry: None,
                holder_name: None,
            }),
        };
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "vault", "vault_id": "cust-1", "card": {"brand": "visa", "last_four": "1111"}})
        );
        assert_eq!(serde_json::from_value::<PaymentMethod>(json).unwrap(), m);
        assert_eq!(m.label(), "Vault");
        assert_eq!(m.last_four().map(LastFour::as_str), Some("1111"));
    }
}
