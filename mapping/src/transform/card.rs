//! Card details we may keep: brand names and PayTrace's masked card data.
//!
//! Nothing here stores or echoes more than the last four digits: a full number passed by
//! mistake is cut to its brand and last four like a masked one.

use std::sync::LazyLock;

use canonical_model::{CardBrand, CardExpiry, CardSummary, LastFour};

use super::error::Result;
use super::types::trim_processor_text;
use super::vocab::Vocabulary;

static BRAND_NAMES: LazyLock<Vocabulary<CardBrand>> = LazyLock::new(|| {
    use CardBrand::*;
    [
        ("Visa", Visa),
        ("Mastercard", Mastercard),
        ("Master Card", Mastercard),
        ("MC", Mastercard),
        ("American Express", Amex),
        ("AmEx", Amex),
        ("AMEX", Amex),
        ("Discover", Discover),
        ("Diners Club", DinersClub),
        ("Diners", DinersClub),
        ("JCB", Jcb),
        ("UnionPay", UnionPay),
        ("China UnionPay", UnionPay),
        ("CUP", UnionPay),
        ("Unknown", Unknown),
    ]
    .into_iter()
    .collect()
});

/// The brand's usual name, as CRMs and receipts write it (`Amex` → `"American Express"`).
pub fn card_brand_name(brand: &CardBrand) -> &str {
    match brand {
        CardBrand::Visa => "Visa",
        CardBrand::Mastercard => "Mastercard",
        CardBrand::Amex => "American Express",
        CardBrand::Discover => "Discover",
        CardBrand::DinersClub => "Diners Club",
        CardBrand::Jcb => "JCB",
        CardBrand::UnionPay => "UnionPay",
        CardBrand::Other(name) => name,
        // Unknown, and any brand a later canonical-model adds.
        _ => "Unknown",
    }
}

/// The brand a name stands for, ignoring case (`"AMEX"`, `"American Express"` → `Amex`);
/// blank text is [`CardBrand::Unknown`], any other name [`CardBrand::Other`].
pub fn card_brand_from_name(name: &str) -> CardBrand {
    let trimmed = trim_processor_text(name);
    if trimmed.is_empty() {
        return CardBrand::Unknown;
    }
    BRAND_NAMES
        .get(&trimmed)
        .cloned()
        .unwrap_or(CardBrand::Other(trimmed))
}

/// A card summary from PayTrace's export fields: `credit_card.masked_number`
/// (`"************5454"`, or `"541111******5454"` with `include_bin`, which also gives the
/// brand), `expiration_month` and `expiration_year` (two digits in exports, four in requests;
/// both blank means no expiry).
///
/// ```
/// use canonical_model::CardBrand;
/// use mapping::transform::card::card_from_paytrace;
/// let card = card_from_paytrace("541111******5454", "12", "20")?;
/// assert_eq!(card.brand, CardBrand::Mastercard);
/// assert_eq!(card.last_four.as_str(), "5454");
/// assert_eq!(card.expiry.map(|e| e.year), Some(2020));
/// # Ok::<(), mapping::transform::TransformError>(())
/// ```
///
/// # Errors
/// [`TransformError::Model`](super::TransformError::Model) when the number does not end in
/// four digits or the expiry is not a month and year (the message never repeats the number).
pub fn card_from_paytrace(
    masked_number: &str,
    expiration_month: &str,
    expiration_year: &str,
) -> Result<CardSummary> {
    let last_four = LastFour::from_masked(masked_number)?;
    let expiry = if expiration_month.trim().is_empty() && expiration_year.trim().is_empty() {
        None
    } else {
        Some(CardExpiry::parse(expiration_month, expiration_year)?)
    };
    Ok(CardSummary {
        brand: CardBrand::from_leading_digits(masked_number),
        last_four,
        expiry,
        holder_name: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::TransformError;

    #[test]
    fn brand_names_both_ways() {
        let brands = [
            (CardBrand::Visa, "Visa"),
            (CardBrand::Mastercard, "Mastercard"),
            (CardBrand::Amex, "American Express"),
            (CardBrand::Discover, "Discover"),
            (CardBrand::DinersClub, "Diners Club"),
            (CardBrand::Jcb, "JCB"),
            (CardBrand::UnionPay, "UnionPay"),
            (CardBrand::Unknown, "Unknown"),
            (CardBrand::Other("Maestro".into()), "Maestro"),
        ];
        for (brand, name) in brands {
            assert_eq!(card_brand_name(&brand), name);
            assert_eq!(card_brand_from_name(name), brand, "{name}");
        }
        assert_eq!(card_brand_from_name(" AMEX "), CardBrand::Amex);
        assert_eq!(card_brand_from_name("master card"), CardBrand::Mastercard);
        assert_eq!(card_brand_from_name(""), CardBrand::Unknown);
    }

    #[test]
    fn paytrace_card_fields() {
        let card = card_from_paytrace("xxxxxxxxxxxx5439", "07", "2027").unwrap();
        assert_eq!(card.brand, CardBrand::Unknown);
        assert_eq!(card.last_four.as_str(), "5439");
        assert_eq!(
            card.expiry,
            Some(CardExpiry {
                month: 7,
                year: 2027
            })
        );
        let no_expiry = card_from_paytrace("************1111", "", " ").unwrap();
        assert_eq!(no_expiry.expiry, None);
        assert!(card_from_paytrace("************1111", "13", "27").is_err());
        assert!(card_from_paytrace("1111****", "12", "27").is_err());
    }

    #[test]
    fn a_full_number_is_cut_to_brand_and_last_four() {
        let card = card_from_paytrace("4111111111111111", "12", "30").unwrap();
        assert_eq!(card.brand, CardBrand::Visa);
        assert_eq!(card.last_four.as_str(), "1111");
        let debug = format!("{card:?}");
        assert!(!debug.contains("411111"), "{debug}");
        let err: TransformError = card_from_paytrace("4111111111111111x", "12", "30").unwrap_err();
        assert!(!err.to_string().contains("411111"), "{err}");
    }
}
