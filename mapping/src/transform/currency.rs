//! Currency symbols and money as people write it: `"$1,234.50"`, `"1234.50 USD"`.
//!
//! ## Written by [`format_money`]
//!
//! - The amount at the currency's minor units (USD 2, JPY 0, BHD 3), thousands grouped with
//!   `,`, `.` as the decimal point. An amount with more decimals than the currency has is
//!   refused, not rounded: round it with a named `Rounding` first.
//! - A currency with a symbol in the table: symbol first, `"-"` before it for negatives:
//!   `"$1,234.50"`, `"-$1,234.50"`, `"¥1,235"`, `"CA$5.00"`. Other currencies: code after:
//!   `"1,234.50 CHF"`, `"-1,234.50 CHF"`.
//!
//! ## Read by [`parse_money`]
//!
//! | input | result |
//! |---|---|
//! | `"$1,234.50"`, `"1234.50 USD"`, `"USD 1,234.50"`, `"usd1234.5"`, `"1234.50 $"` | 1234.50 USD |
//! | `"-$5.00"`, `"$-5.00"`, `"-5.00 USD"`, `"USD -5.00"`, `"(5.00 USD)"`, `"($5.00)"` | -5.00 USD (parentheses are the accounting negative) |
//! | `"$5 CAD"`, `"$5.00 USD"` | a symbol and a code together: the code decides, and the symbol must be one that currency uses |
//! | `"€5"`, `"£5"`, `"¥500"` | EUR, GBP, JPY |
//! | `"$5"` | USD: `"$"` is ambiguous and reads as the table's default, which [`CurrencySymbols::with_reading`] changes |
//! | `"5.00"` | refused by [`parse_money`]; [`parse_money_or`] reads it in a given currency |
//! | `"1.234,50 €"`, `"5 EUR USD"`, `"--5"`, `"$"`, `"5 XYZ"` | refused |
//!
//! The amount keeps the scale it was written with (`"$5"` is 5 USD, scale 0).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use canonical_model::{Currency, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::error::{Result, TransformError};
use super::types::parse_decimal;
use super::vocab::Vocabulary;

/// Which symbol each currency is written with, and which currency each symbol reads as.
///
/// ```
/// use canonical_model::{Currency, Money};
/// use mapping::transform::currency::CurrencySymbols;
/// use rust_decimal::Decimal;
///
/// let canadian = CurrencySymbols::default().with_reading("$", Currency::CAD);
/// let money = canadian.parse("$12.50", None)?;
/// assert_eq!(money, Money::new(Decimal::new(1250, 2), Currency::CAD));
/// assert_eq!(canadian.format(&money)?, "CA$12.50");
/// # Ok::<(), mapping::transform::TransformError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CurrencySymbols {
    /// The symbol written before amounts of each currency. A currency without an entry is
    /// written with its ISO code after the amount.
    pub symbols: BTreeMap<Currency, String>,
    /// The currency each symbol reads as, on top of `symbols` read backwards; this is where
    /// ambiguous symbols (`"$"`, `"¥"`) get their default.
    pub readings: Vocabulary<Currency>,
}

impl Default for CurrencySymbols {
    fn default() -> Self {
        use Currency::*;
        // Symbols other than $, €, £ and ¥ carry a country prefix where the bare sign is shared
        // (CA$, A$), so that what we write reads back as the same currency.
        let symbols: BTreeMap<Currency, String> = [
            (USD, "$"),
            (EUR, "€"),
            (GBP, "£"),
            (JPY, "¥"),
            (CAD, "CA$"),
            (AUD, "A$"),
            (NZD, "NZ$"),
            (HKD, "HK$"),
            (SGD, "S$"),
            (MXN, "MX$"),
            (BRL, "R$"),
            (CNY, "CN¥"),
            (INR, "₹"),
            (KRW, "₩"),
            (ILS, "₪"),
            (NGN, "₦"),
            (PHP, "₱"),
            (THB, "฿"),
            (TRY, "₺"),
            (UAH, "₴"),
            (VND, "₫"),
        ]
        .into_iter()
        .map(|(c, s)| (c, s.to_owned()))
        .collect();
        let readings = [
            ("$", USD),
            ("US$", USD),
            ("C$", CAD),
            ("AU$", AUD),
            ("¥", JPY),
            ("RMB", CNY),
        ]
        .into_iter()
        .collect();
        Self { symbols, readings }
    }
}

impl CurrencySymbols {
    /// The table with `symbol` read as `currency` (e.g. `"$"` as CAD for a Canadian
    /// merchant). What is written does not change.
    #[must_use]
    pub fn with_reading(mut self, symbol: &str, currency: Currency) -> Self {
        self.readings.insert(symbol, currency);
        self
    }

    /// The table with `currency` written with `symbol` (and `symbol` read as `currency`).
    #[must_use]
    pub fn with_symbol(mut self, currency: Currency, symbol: &str) -> Self {
        self.symbols.insert(currency, symbol.to_owned());
        self.readings.insert(symbol, currency);
        self
    }

    /// The symbol written for `currency`, if the table has one.
    pub fn symbol(&self, currency: Currency) -> Option<&str> {
        self.symbols.get(&currency).map(String::as_str)
    }

    /// The currency a symbol or an ISO code stands for.
    ///
    /// # Errors
    /// [`TransformError::Unknown`] for a text that is neither.
    pub fn currency(&self, symbol_or_code: &str) -> Result<Currency> {
        let text = symbol_or_code.trim();
        if let Some(c) = self.readings.get(text) {
            return Ok(*c);
        }
        if let Some((c, _)) = self.symbols.iter().find(|(_, s)| s.as_str() == text) {
            return Ok(*c);
        }
        if text.len() == 3
            && text.bytes().all(|b| b.is_ascii_alphabetic())
            && let Some(c) = Currency::from_code(&text.to_ascii_uppercase())
        {
            return Ok(c);
        }
        Err(TransformError::unknown(
            "currency",
            symbol_or_code,
            "not an ISO 4217 code or a symbol in the table; add it with with_reading",
        ))
    }

    /// Writes `money` for people (see the module docs).
    ///
    /// # Errors
    /// [`TransformError::Invalid`] when the amount has more decimals than the currency's minor
    /// unit.
    pub fn format(&self, money: &Money) -> Result<String> {
        let mut amount = money.amount.abs();
        match money.currency.exponent().map(u32::from) {
            Some(exp) => {
                if amount.normalize().scale() > exp {
                    return Err(TransformError::invalid(
                        "amount",
                        &money.amount.to_string(),
                        format!(
                            "{} has {exp} decimals: round the amount to them first",
                            money.currency.code()
                        ),
                    ));
                }
                amount.rescale(exp);
            }
            None => amount = amount.normalize(),
        }
        let digits = group_thousands(&amount.to_string());
        let sign = if money.amount.is_sign_negative() && !money.amount.is_zero() {
            "-"
        } else {
            ""
        };
        Ok(match self.symbol(money.currency) {
            Some(symbol) => format!("{sign}{symbol}{digits}"),
            None => format!("{sign}{digits} {}", money.currency.code()),
        })
    }

    /// Reads money written with a symbol or an ISO code (see the module docs for the accepted
    /// forms). A bare number is read in `fallback`, or refused when there is none.
    ///
    /// # Errors
    /// [`TransformError::Missing`] for blank text or a bare number without a fallback,
    /// [`TransformError::Unknown`] for an unknown symbol or code, [`TransformError::Invalid`]
    /// for text that is not one amount with at most one sign.
    pub fn parse(&self, text: &str, fallback: Option<Currency>) -> Result<Money> {
        let invalid = |reason: &str| TransformError::invalid("money", text, reason);
        let mut s = text.trim();
        if s.is_empty() {
            return Err(TransformError::missing("money"));
        }
        let mut negative = false;
        if let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
            negative = true;
            s = inner.trim();
        }
        let first_digit = s
            .find(|c: char| c.is_ascii_digit())
            .ok_or_else(|| invalid("no amount in it"))?;
        // ".50" starts at its dot, but the dot of a symbol such as "Fr." does not.
        let start = match s[..first_digit].strip_suffix('.') {
            Some(before) if !before.ends_with(char::is_alphabetic) => first_digit - 1,
            _ => first_digit,
        };
        let end = s
            .rfind(|c: char| c.is_ascii_digit())
            .map_or(first_digit, |i| i + 1);
        let (head, number, tail) = (&s[..start], &s[start..end], &s[end..]);

        let minus_signs = head.matches('-').count();
        if minus_signs > 1 || (minus_signs == 1 && negative) || head.matches('+').count() > 1 {
            return Err(invalid("more than one sign"));
        }
        negative |= minus_signs == 1;
        let head = head.replace(['-', '+'], "");
        let (head, tail) = (head.trim(), tail.trim());

        let currency = match (head.is_empty(), tail.is_empty()) {
            (true, true) => fallback.ok_or_else(|| TransformError::missing("currency"))?,
            (false, true) => self.currency(head)?,
            (true, false) => self.currency(tail)?,
            (false, false) => self.symbol_and_code(head, tail, text)?,
        };
        let amount = parse_decimal(number)?;
        if amount.is_sign_negative() {
            return Err(invalid("a sign inside the number"));
        }
        Ok(Money::new(
            if negative { -amount } else { amount },
            currency,
        ))
    }

    /// A symbol on one side and an ISO code on the other: the code decides, and the symbol
    /// must be one that currency is written with (here or in ISO 4217's symbol list).
    fn symbol_and_code(&self, head: &str, tail: &str, text: &str) -> Result<Currency> {
        let is_code = |t: &str| {
            t.len() == 3
                && t.bytes().all(|b| b.is_ascii_alphabetic())
                && Currency::from_code(&t.to_ascii_uppercase()).is_some()
        };
        let (symbol, code) = if is_code(tail) {
            (head, tail)
        } else if is_code(head) {
            (tail, head)
        } else {
            return Err(TransformError::invalid(
                "money",
                text,
                "two currency marks and neither is an ISO 4217 code",
            ));
        };
        let currency = self.currency(code)?;
        let agrees = self.symbol(currency) == Some(symbol)
            || currency.symbol().symbol == symbol
            || self.currency(symbol).ok() == Some(currency);
        if agrees {
            Ok(currency)
        } else {
            Err(TransformError::invalid(
                "money",
                text,
                format!("{symbol:?} is not a symbol of {}", currency.code()),
            ))
        }
    }
}

static DEFAULT_SYMBOLS: LazyLock<CurrencySymbols> = LazyLock::new(CurrencySymbols::default);

/// Writes `money` with the default symbols: `"$1,234.50"`, `"-$1,234.50"`, `"1,234.50 CHF"`.
///
/// ```
/// use canonical_model::{Currency, Money};
/// use mapping::transform::currency::format_money;
/// use rust_decimal::Decimal;
/// assert_eq!(format_money(&Money::new(Decimal::new(-123_450, 2), Currency::USD))?, "-$1,234.50");
/// # Ok::<(), mapping::transform::TransformError>(())
/// ```
///
/// # Errors
/// As [`CurrencySymbols::format`].
pub fn format_money(money: &Money) -> Result<String> {
    DEFAULT_SYMBOLS.format(money)
}

/// Reads money written with a symbol or a code, with the default symbols (`"$"` is USD).
///
/// # Errors
/// As [`CurrencySymbols::parse`]; a bare number is refused.
pub fn parse_money(text: &str) -> Result<Money> {
    DEFAULT_SYMBOLS.parse(text, None)
}

/// [`parse_money`], reading a bare number (`"12.50"`) in `currency`.
///
/// # Errors
/// As [`CurrencySymbols::parse`].
pub fn parse_money_or(text: &str, currency: Currency) -> Result<Money> {
    DEFAULT_SYMBOLS.parse(text, Some(currency))
}

/// The default symbol for `currency` (`USD` → `"$"`), if the table has one.
pub fn currency_symbol(currency: Currency) -> Option<&'static str> {
    DEFAULT_SYMBOLS.symbol(currency)
}

/// The currency a symbol or ISO code stands for, with the default table (`"$"` → USD,
/// `"€"` → EUR, `"gbp"` → GBP).
///
/// # Errors
/// As [`CurrencySymbols::currency`].
pub fn currency_from_symbol(symbol_or_code: &str) -> Result<Currency> {
    DEFAULT_SYMBOLS.currency(symbol_or_code)
}

/// An ISO 4217 currency from its code, ignoring case and spaces (`" usd "` → USD).
///
/// # Errors
/// [`TransformError::Unknown`] for anything that is not an ISO 4217 code.
pub fn parse_currency_code(code: &str) -> Result<Currency> {
    Currency::from_code(&code.trim().to_ascii_uppercase())
        .ok_or_else(|| TransformError::unknown("currency code", code, "not an ISO 4217 code"))
}

/// Puts `,` between groups of three digits in the integer part of a plain decimal text
/// (`"-1234567.891"` → `"-1,234,567.891"`). Text that is not a plain decimal comes back as is.
pub fn group_thousands(decimal_text: &str) -> String {
    let (sign, rest) = match decimal_text.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", decimal_text),
    };
    let (int_part, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    if int_part.is_empty() || !int_part.bytes().all(|b| b.is_ascii_digit()) {
        return decimal_text.to_owned();
    }
    let mut grouped = String::with_capacity(int_part.len() + int_part.len() / 3);
    for (i, c) in int_part.chars().enumerate() {
        if i > 0 && (int_part.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// Whether `amount` has no more decimals than `currency`'s minor unit allows.
pub fn fits_minor_units(amount: Decimal, currency: Currency) -> bool {
    currency
        .exponent()
        .is_some_and(|exp| amount.normalize().scale() <= u32::from(exp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn m(amount: Decimal, currency: Currency) -> Money {
        Money::new(amount, currency)
    }

    #[test]
    fn symbols_both_ways() {
        let cases = [
            (Currency::USD, "$"),
            (Currency::EUR, "€"),
            (Currency::GBP, "£"),
            (Currency::JPY, "¥"),
            (Currency::CAD, "CA$"),
        ];
        for (currency, symbol) in cases {
            assert_eq!(currency_symbol(currency), Some(symbol));
            assert_eq!(currency_from_symbol(symbol).unwrap(), currency, "{symbol}");
        }
        assert_eq!(currency_symbol(Currency::CHF), None);
        assert_eq!(currency_from_symbol("usd").unwrap(), Currency::USD);
        assert_eq!(currency_from_symbol("US$").unwrap(), Currency::USD);
        assert_eq!(currency_from_symbol("C$").unwrap(), Currency::CAD);
        assert!(matches!(
            currency_from_symbol("XYZ"),
            Err(TransformError::Unknown { .. })
        ));
        assert!(currency_from_symbol("kr").is_err());
        assert_eq!(parse_currency_code(" eur ").unwrap(), Currency::EUR);
        assert!(parse_currency_code("EURO").is_err());
    }

    #[test]
    fn formatting() {
        let cases = [
            (m(dec!(1234.5), Currency::USD), "$1,234.50"),
            (m(dec!(-1234.50), Currency::USD), "-$1,234.50"),
            (m(dec!(0), Currency::USD), "$0.00"),
            (m(dec!(-0.00), Currency::USD), "$0.00"),
            (m(dec!(999.99), Currency::USD), "$999.99"),
            (m(dec!(1000000), Currency::EUR), "€1,000,000.00"),
            (m(dec!(1235), Currency::JPY), "¥1,235"),
            (m(dec!(1234.5), Currency::GBP), "£1,234.50"),
            (m(dec!(1234.5), Currency::CHF), "1,234.50 CHF"),
            (m(dec!(-1234.5), Currency::CHF), "-1,234.50 CHF"),
            (m(dec!(1.5), Currency::BHD), "1.500 BHD"),
            (m(dec!(5), Currency::CAD), "CA$5.00"),
            (m(dec!(1.2500), Currency::XAU), "1.25 XAU"),
        ];
        for (money, want) in cases {
            assert_eq!(format_money(&money).unwrap(), want, "{money:?}");
        }
        let err = format_money(&m(dec!(1.005), Currency::USD)).unwrap_err();
        assert!(err.to_string().contains("USD has 2 decimals"), "{err}");
        assert!(format_money(&m(dec!(1.5), Currency::JPY)).is_err());
    }

    #[test]
    fn parsing_accepted_forms() {
        let usd = |d| m(d, Currency::USD);
        let cases = [
            ("$1,234.50", usd(dec!(1234.50))),
            ("1234.50 USD", usd(dec!(1234.50))),
            ("USD 1,234.50", usd(dec!(1234.50))),
            ("usd1234.5", usd(dec!(1234.5))),
            ("1234.50 $", usd(dec!(1234.50))),
            ("-$5.00", usd(dec!(-5.00))),
            ("$-5.00", usd(dec!(-5.00))),
            ("-5.00 USD", usd(dec!(-5.00))),
            ("USD -5.00", usd(dec!(-5.00))),
            ("(5.00 USD)", usd(dec!(-5.00))),
            ("($5.00)", usd(dec!(-5.00))),
            ("+$5", usd(dec!(5))),
            ("$5.00 USD", usd(dec!(5.00))),
            (" $ 5 ", usd(dec!(5))),
            ("$5 CAD", m(dec!(5), Currency::CAD)),
            ("€5", m(dec!(5), Currency::EUR)),
            ("£5.5", m(dec!(5.5), Currency::GBP)),
            ("$.50", usd(dec!(0.50))),
            ("¥500", m(dec!(500), Currency::JPY)),
            ("CN¥500", m(dec!(500), Currency::CNY)),
            ("1,234.50 CHF", m(dec!(1234.50), Currency::CHF)),
        ];
        for (text, want) in cases {
            let got = parse_money(text).unwrap();
            assert_eq!(got, want, "{text}");
            assert_eq!(got.amount.scale(), want.amount.scale(), "{text}");
        }
        assert_eq!(
            parse_money_or("12.50", Currency::USD).unwrap(),
            usd(dec!(12.50))
        );
        assert_eq!(
            parse_money_or("€3", Currency::USD).unwrap(),
            m(dec!(3), Currency::EUR)
        );
        assert_eq!(
            parse_money_or("(5.00)", Currency::USD).unwrap(),
            usd(dec!(-5.00))
        );
    }

    #[test]
    fn parsing_refused_forms() {
        for text in [
            "1.234,50 €",
            "5 EUR USD",
            "--5",
            "-$-5",
            "(-5 USD)",
            "$",
            "5 XYZ",
            "€5 USD",
            "five dollars",
            "$1,23",
            "$NaN",
            "1e5 USD",
        ] {
            assert!(parse_money(text).is_err(), "{text:?} accepted");
        }
        assert_eq!(
            parse_money("12.50").unwrap_err(),
            TransformError::missing("currency")
        );
        assert_eq!(
            parse_money(" ").unwrap_err(),
            TransformError::missing("money")
        );
    }

    #[test]
    fn ambiguous_symbols_follow_the_table() {
        let canadian = CurrencySymbols::default().with_reading("$", Currency::CAD);
        assert_eq!(
            canadian.parse("$5", None).unwrap(),
            m(dec!(5), Currency::CAD)
        );
        let yuan = CurrencySymbols::default().with_reading("¥", Currency::CNY);
        assert_eq!(yuan.parse("¥5", None).unwrap().currency, Currency::CNY);
        let swiss = CurrencySymbols::default().with_symbol(Currency::CHF, "Fr.");
        assert_eq!(swiss.format(&m(dec!(5), Currency::CHF)).unwrap(), "Fr.5.00");
        assert_eq!(
            swiss.parse("Fr.5.00", None).unwrap().currency,
            Currency::CHF
        );
        let from_toml: CurrencySymbols = toml::from_str("[readings]\n\"$\" = \"AUD\"").unwrap();
        assert_eq!(from_toml.currency("$").unwrap(), Currency::AUD);
    }

    #[test]
    fn grouping() {
        let cases = [
            ("0", "0"),
            ("999", "999"),
            ("1000", "1,000"),
            ("-1234567.891", "-1,234,567.891"),
            ("123456", "123,456"),
            ("abc", "abc"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(group_thousands(input), want, "{input}");
        }
        assert!(fits_minor_units(dec!(1.10), Currency::USD));
        assert!(!fits_minor_units(dec!(1.105), Currency::USD));
        assert!(!fits_minor_units(dec!(1), Currency::XAU));
    }

    fn currencies() -> impl Strategy<Value = Currency> {
        prop::sample::select(vec![
            Currency::USD,
            Currency::EUR,
            Currency::GBP,
            Currency::JPY,
            Currency::CHF,
            Currency::BHD,
            Currency::CAD,
            Currency::CNY,
            Currency::INR,
        ])
    }

    proptest! {
        #[test]
        fn format_then_parse_is_identity(minor in -1_000_000_000_000_i64..1_000_000_000_000, c in currencies()) {
            let money = Money::from_minor_units(minor, c).unwrap();
            let text = format_money(&money).unwrap();
            let back = parse_money(&text).unwrap();
            prop_assert_eq!(back, money);
            prop_assert_eq!(back.amount.scale(), money.amount.scale());
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,30}") {
            let _ = parse_money(&s);
            let _ = parse_money_or(&s, Currency::USD);
            let _ = currency_from_symbol(&s);
        }

        #[test]
        fn parse_never_panics_on_money_like_text(s in "[-+()$€£¥ ,.0-9A-Za-z]{0,16}") {
            let _ = parse_money(&s);
        }
    }
}
