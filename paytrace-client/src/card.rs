//! Card data: [`CardNumber`], [`Csc`], [`Card`] (number, expiry, optional CSC) and [`Swipe`]
//! track data.
//!
//! Each is checked before anything is sent (Luhn and length, expiry, CSC digits), and none can
//! leak: `Debug` shows at most the last four digits, there is no `Display`, errors never repeat
//! the input, and the values are wiped from memory when dropped ([`secrecy`]). The only way
//! out is the JSON body of the PayTrace request that needs them.

use std::fmt;

use canonical_model::{CardBrand, CardExpiry, LastFour};
use chrono::Datelike;
use secrecy::{ExposeSecret, SecretString};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::error::{Error, Result};

/// A card number (PAN) that passed the Luhn check: 12 to 19 digits.
///
/// Spaces and dashes are accepted on input and dropped. `Debug` prints `CardNumber(…1111)`.
///
/// ```
/// use paytrace_client::CardNumber;
///
/// let number = CardNumber::new("4111 1111 1111 1111")?;
/// assert_eq!(number.last_four().as_str(), "1111");
/// assert_eq!(format!("{number:?}"), "CardNumber(…1111)");
/// assert!(CardNumber::new("4111111111111112").is_err()); // Luhn
/// # Ok::<(), paytrace_client::Error>(())
/// ```
#[derive(Clone)]
pub struct CardNumber {
    digits: SecretString,
    last_four: LastFour,
}

impl CardNumber {
    /// Shortest card number accepted.
    pub const MIN_LEN: usize = 12;
    /// Longest card number accepted.
    pub const MAX_LEN: usize = 19;

    /// Checks and keeps a card number.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when it holds anything but digits (spaces and dashes aside),
    /// has fewer than 12 or more than 19 digits, or fails the Luhn check. The error never
    /// repeats the number.
    pub fn new(number: &str) -> Result<Self> {
        let digits: String = number.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let digits = SecretString::from(digits);
        let text = digits.expose_secret();
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid("card number", "must contain only digits"));
        }
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&text.len()) {
            return Err(Error::invalid(
                "card number",
                format!(
                    "must have {} to {} digits, not {}",
                    Self::MIN_LEN,
                    Self::MAX_LEN,
                    text.len()
                ),
            ));
        }
        if !luhn(text) {
            return Err(Error::invalid("card number", "fails the Luhn check"));
        }
        let last_four = LastFour::new(&text[text.len() - 4..])
            .map_err(|_| Error::invalid("card number", "must end in four digits"))?;
        Ok(CardNumber { digits, last_four })
    }

    /// The last four digits.
    pub fn last_four(&self) -> LastFour {
        self.last_four.clone()
    }

    /// The card network, from the leading digits.
    pub fn brand(&self) -> CardBrand {
        CardBrand::from_leading_digits(self.digits.expose_secret())
    }
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardNumber(…{})", self.last_four)
    }
}

impl Serialize for CardNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.digits.expose_secret())
    }
}

/// The Luhn (mod 10) check over ASCII digits.
fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The card security code (CVV2/CVC2/CID): 3 digits, 4 for American Express.
///
/// `Debug` prints `Csc(***)`.
#[derive(Clone)]
pub struct Csc(SecretString);

impl Csc {
    /// Checks and keeps a security code.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] unless it is 3 or 4 digits.
    pub fn new(csc: &str) -> Result<Self> {
        let csc = SecretString::from(csc.trim().to_owned());
        let text = csc.expose_secret();
        if !(3..=4).contains(&text.len()) || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid("CSC", "must be 3 or 4 digits"));
        }
        Ok(Csc(csc))
    }

    fn len(&self) -> usize {
        self.0.expose_secret().len()
    }
}

impl fmt::Debug for Csc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Csc(***)")
    }
}

impl Serialize for Csc {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.expose_secret())
    }
}

/// A keyed card: number, expiry, and optionally the security code.
///
/// In a request it becomes PayTrace's `credit_card` object plus the top-level `csc`:
/// `"credit_card": {"number", "expiration_month": "07", "expiration_year": "2027"}, "csc"`.
///
/// ```
/// use paytrace_client::Card;
///
/// let card = Card::new("4012000098765439", 12, 2030)?.with_csc("999")?;
/// assert_eq!(format!("{card:?}"), "Card { number: CardNumber(…5439), expiry: 12/2030, csc: Some(Csc(***)) }");
/// assert!(Card::new("4012000098765439", 13, 2030).is_err());
/// # Ok::<(), paytrace_client::Error>(())
/// ```
#[derive(Clone)]
pub struct Card {
    number: CardNumber,
    expiry: CardExpiry,
    csc: Option<Csc>,
}

impl Card {
    /// A card from its number and expiry (month 1–12; year with 2 or 4 digits).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an invalid number (see [`CardNumber::new`]), a month
    /// outside 1–12, a year that is not 2 or 4 digits, a card that has expired (it is valid
    /// through the end of its expiry month, in UTC), or an expiry more than 20 years ahead.
    pub fn new(number: &str, month: u8, year: u16) -> Result<Self> {
        let number = CardNumber::new(number)?;
        let now = chrono::Utc::now();
        let month_now = u8::try_from(now.month()).unwrap_or(1);
        let year_now = u16::try_from(now.year()).unwrap_or(u16::MAX);
        let expiry = check_expiry(month, year, (year_now, month_now))?;
        Ok(Card {
            number,
            expiry,
            csc: None,
        })
    }

    /// Adds the security code: 4 digits for American Express, 3 for other known brands.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when the code is not digits or has the wrong length for the
    /// card's brand.
    pub fn with_csc(mut self, csc: &str) -> Result<Self> {
        let csc = Csc::new(csc)?;
        let expected = match self.number.brand() {
            CardBrand::Amex => Some(4),
            CardBrand::Unknown | CardBrand::Other(_) => None,
            _ => Some(3),
        };
        if let Some(len) = expected
            && csc.len() != len
        {
            return Err(Error::invalid(
                "CSC",
                format!("this card's security code has {len} digits"),
            ));
        }
        self.csc = Some(csc);
        Ok(self)
    }

    /// The card number.
    pub fn number(&self) -> &CardNumber {
        &self.number
    }

    /// The expiry.
    pub fn expiry(&self) -> CardExpiry {
        self.expiry
    }

    /// Whether a security code was given.
    pub fn has_csc(&self) -> bool {
        self.csc.is_some()
    }
}

fn check_expiry(month: u8, year: u16, (year_now, month_now): (u16, u8)) -> Result<CardExpiry> {
    let expiry = CardExpiry::new(month, year).map_err(|_| {
        Error::invalid(
            "card expiry",
            "month must be 1–12 and the year 2 or 4 digits",
        )
    })?;
    if expiry.is_expired_at(year_now, month_now) {
        return Err(Error::invalid(
            "card expiry",
            format!(
                "the card expired at the end of {:02}/{}",
                expiry.month, expiry.year
            ),
        ));
    }
    if expiry.year > year_now.saturating_add(20) {
        return Err(Error::invalid(
            "card expiry",
            format!("{} is more than 20 years ahead", expiry.year),
        ));
    }
    Ok(expiry)
}

impl fmt::Debug for Card {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Card")
            .field("number", &self.number)
            .field(
                "expiry",
                &format_args!("{:02}/{}", self.expiry.month, self.expiry.year),
            )
            .field("csc", &self.csc)
            .finish()
    }
}

/// The `credit_card` object of a request.
struct CreditCardObject<'a>(&'a Card);

impl Serialize for CreditCardObject<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("credit_card", 3)?;
        s.serialize_field("number", &self.0.number)?;
        s.serialize_field(
            "expiration_month",
            &format_args!("{:02}", self.0.expiry.month),
        )?;
        s.serialize_field("expiration_year", &format_args!("{}", self.0.expiry.year))?;
        s.end()
    }
}

/// Serialises as the fields it adds to a request: `credit_card` and, when set, `csc`. Use it
/// with `#[serde(flatten)]`.
impl Serialize for Card {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Card", 2)?;
        s.serialize_field("credit_card", &CreditCardObject(self))?;
        match &self.csc {
            Some(csc) => s.serialize_field("csc", csc)?,
            None => s.skip_field("csc")?,
        }
        s.end()
    }
}

/// Raw magnetic-stripe track data for the swiped endpoints. It holds the card number, so it
/// is treated like one: `Debug` prints `Swipe(<redacted>)`.
#[derive(Clone)]
pub struct Swipe(SecretString);

impl Swipe {
    /// Keeps track data as read from the reader.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when it is empty.
    pub fn new(track_data: &str) -> Result<Self> {
        if track_data.trim().is_empty() {
            return Err(Error::invalid("swipe", "track data is empty"));
        }
        Ok(Swipe(SecretString::from(track_data.to_owned())))
    }
}

impl fmt::Debug for Swipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Swipe(<redacted>)")
    }
}

impl Serialize for Swipe {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.expose_secret())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_are_checked() {
        let valid = [
            "4012000098765439",
            "5499740000000057",
            "6011000993026909",
            "371449635392376",
            "4111111111111111",
            "4111-1111-1111-1111",
            "4222222222222",
            "6304000000000000", // 16-digit Maestro
        ];
        for n in valid {
            assert!(CardNumber::new(n).is_ok(), "{n}");
        }
        let invalid = [
            ("4111111111111112", "Luhn"),
            ("41111111111111a1", "only digits"),
            ("411111111111", "Luhn"),
            ("41111111111", "12 to 19"),
            ("41111111111111111111", "12 to 19"),
            ("", "12 to 19"),
            ("4111 1111 1111 111１", "only digits"),
        ];
        for (n, why) in invalid {
            let err = CardNumber::new(n).unwrap_err().to_string();
            assert!(err.contains(why), "{n}: {err}");
            assert!(!err.contains("41111111"), "{err}");
        }
    }

    #[test]
    fn luhn_table() {
        for (digits, ok) in [
            ("0", true),
            ("18", true),
            ("79927398713", true),
            ("79927398710", false),
            ("4012000098765439", true),
        ] {
            assert_eq!(luhn(digits), ok, "{digits}");
        }
    }

    #[test]
    fn debug_shows_only_the_last_four() {
        let card = Card::new("4111111111111111", 12, 2030)
            .unwrap()
            .with_csc("123")
            .unwrap();
        let debug = format!("{card:?}");
        assert!(!debug.contains("411111"), "{debug}");
        assert!(!debug.contains("123"), "{debug}");
        assert!(debug.contains("…1111"), "{debug}");
        assert_eq!(card.number().brand(), CardBrand::Visa);
        assert_eq!(
            format!(
                "{:?}",
                Swipe::new("%B4111111111111111^DOE/J^3012?").unwrap()
            ),
            "Swipe(<redacted>)"
        );
    }

    #[test]
    fn expiry_is_checked_against_today() {
        let now = (2026, 6);
        assert_eq!(
            check_expiry(6, 2026, now).unwrap(),
            CardExpiry {
                month: 6,
                year: 2026
            }
        );
        assert_eq!(check_expiry(1, 30, now).unwrap().year, 2030);
        let cases = [
            (5, 2026, "expired"),
            (12, 2025, "expired"),
            (13, 2030, "month must be 1–12"),
            (0, 2030, "month must be 1–12"),
            (1, 203, "2 or 4 digits"),
            (1, 2047, "20 years"),
        ];
        for (m, y, why) in cases {
            let err = check_expiry(m, y, now).unwrap_err().to_string();
            assert!(err.contains(why), "{m}/{y}: {err}");
        }
    }

    #[test]
    fn csc_is_checked_against_the_brand() {
        let visa = || Card::new("4111111111111111", 12, 2035).unwrap();
        let amex = || Card::new("371449635392376", 12, 2035).unwrap();
        assert!(visa().with_csc("999").is_ok());
        assert!(visa().with_csc("9999").is_err());
        assert!(amex().with_csc("1234").is_ok());
        assert!(amex().with_csc("123").is_err());
        for bad in ["", "12", "12345", "12a"] {
            assert!(Csc::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn serialises_as_credit_card_and_csc() {
        let card = Card::new("4012000098765439", 7, 30)
            .unwrap()
            .with_csc("999")
            .unwrap();
        assert_eq!(
            serde_json::to_value(&card).unwrap(),
            serde_json::json!({
                "credit_card": {"number": "4012000098765439", "expiration_month": "07", "expiration_year": "2030"},
                "csc": "999"
            })
        );
        let no_csc = Card::new("4012000098765439", 7, 2030).unwrap();
        assert!(serde_json::to_value(&no_csc).unwrap().get("csc").is_none());
    }
}
