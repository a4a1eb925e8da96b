//! Address parts: whitespace, street lines, US states and Canadian provinces, ZIP codes, and
//! [`normalize_address`], which puts a canonical [`Address`] in the form its docs promise.
//!
//! Conversions to and from each system's address fields are in
//! [`address_systems`](super::address_systems); country names and codes in
//! [`countries`](super::countries).
//!
//! ## Rules
//! - Text: trimmed, inner whitespace collapsed, blank → absent. Case is left alone (city
//!   names such as `McAllen` or `LaGrange` cannot be re-cased safely); codes are upper-cased.
//! - Street lines: one string with lines separated by newlines (`\n`, `\r\n` or `\r`, as
//!   Salesforce `BillingStreet` and F&O `AddressStreet` hold them) ↔ a list of lines; blank
//!   lines dropped.
//! - Region: for the US (and the territories that use US ZIP codes) the USPS code, for Canada
//!   the province code, read from a code or a name (`"Washington"` → `WA`); an unknown US or
//!   Canadian region is an error. Other countries' regions are kept as written.
//! - Postal code: US ZIP or ZIP+4, normalised to `98101` or `98101-1234` (from `"981011234"`,
//!   `"98101 1234"`); anything else for the US is an error. Other countries' codes are only
//!   trimmed.

use std::sync::LazyLock;

use canonical_model::{Address, CountryCode};

use super::error::{Result, TransformError};
use super::us_states::{CA_PROVINCE_ALIASES, CA_PROVINCES, US_STATE_ALIASES, US_STATES};
use super::vocab::Vocabulary;

/// Text trimmed with inner whitespace collapsed to one space; `None` when nothing is left.
pub fn clean_text(text: &str) -> Option<String> {
    let cleaned = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!cleaned.is_empty()).then_some(cleaned)
}

/// Street lines from a newline-separated string (`"1 Main St\nSuite 200"`), each cleaned,
/// blank lines dropped.
pub fn split_street(text: &str) -> Vec<String> {
    text.split(['\n', '\r']).filter_map(clean_text).collect()
}

/// Street lines joined with `\n` as Salesforce and F&O store them; `None` when there are no
/// non-blank lines.
pub fn join_street(lines: &[String]) -> Option<String> {
    let lines: Vec<String> = lines.iter().flat_map(|l| split_street(l)).collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// The countries whose postal codes are US ZIP codes and whose regions are USPS codes: the
/// US and the territories and freely associated states served by USPS.
const US_POSTAL: [&str; 10] = ["US", "PR", "VI", "GU", "AS", "MP", "UM", "FM", "MH", "PW"];

/// Whether `country` uses US ZIP codes and USPS state codes.
pub fn uses_us_postal_system(country: Option<CountryCode>) -> bool {
    country.is_some_and(|c| US_POSTAL.contains(&c.as_str()))
}

/// A US ZIP or ZIP+4 in its standard form: `"98101"`, `"98101-1234"`. Accepts 5 or 9 digits
/// with an optional `-` or space before the last four.
///
/// ```
/// use mapping::transform::address::normalize_us_zip;
/// assert_eq!(normalize_us_zip("981011234")?, "98101-1234");
/// assert!(normalize_us_zip("9810").is_err());
/// # Ok::<(), mapping::transform::TransformError>(())
/// ```
///
/// # Errors
/// [`TransformError::Missing`] for blank text, [`TransformError::Invalid`] for anything else.
pub fn normalize_us_zip(text: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(TransformError::missing("US ZIP code"));
    }
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let (five, four) = match t.len() {
        5 => (t, None),
        9 => (t.get(..5).unwrap_or(""), t.get(5..)),
        10 => match t.as_bytes().get(5) {
            Some(b'-' | b' ') => (t.get(..5).unwrap_or(""), t.get(6..)),
            _ => ("", None),
        },
        _ => ("", None),
    };
    if !digits(five, 5) || four.is_some_and(|f| !digits(f, 4)) {
        return Err(TransformError::invalid(
            "US ZIP code",
            text,
            "expected 5 digits or ZIP+4 (98101, 98101-1234, 981011234)",
        ));
    }
    Ok(match four {
        Some(four) => format!("{five}-{four}"),
        None => five.to_owned(),
    })
}

/// A postal code for `country`: a normalised ZIP for the US postal system, otherwise trimmed
/// with inner whitespace collapsed (`"SW1A 1AA"` stays as it is). `None` for blank text.
///
/// # Errors
/// [`TransformError::Invalid`] for a malformed US ZIP.
pub fn normalize_postal_code(text: &str, country: Option<CountryCode>) -> Result<Option<String>> {
    let Some(cleaned) = clean_text(text) else {
        return Ok(None);
    };
    if uses_us_postal_system(country) {
        normalize_us_zip(&cleaned).map(Some)
    } else {
        Ok(Some(cleaned))
    }
}

static US_REGIONS: LazyLock<Vocabulary<&'static str>> = LazyLock::new(|| {
    US_STATES
        .iter()
        .flat_map(|(code, name)| [(*code, *code), (*name, *code)])
        .chain(US_STATE_ALIASES.iter().copied())
        .collect()
});

static CA_REGIONS: LazyLock<Vocabulary<&'static str>> = LazyLock::new(|| {
    CA_PROVINCES
        .iter()
        .flat_map(|(code, name)| [(*code, *code), (*name, *code)])
        .chain(CA_PROVINCE_ALIASES.iter().copied())
        .collect()
});

/// The USPS code for a US state, territory or armed-forces region, from its code or name
/// (`"Washington"`, `"wa"`, `"Washington D.C."`, `"Armed Forces Europe"`).
///
/// # Errors
/// [`TransformError::Missing`] for blank text, [`TransformError::Unknown`] otherwise.
pub fn us_state_code(text: &str) -> Result<&'static str> {
    if text.trim().is_empty() {
        return Err(TransformError::missing("US state"));
    }
    US_REGIONS.get(text).copied().ok_or_else(|| {
        TransformError::unknown(
            "US state",
            text,
            "not a USPS state or territory code or name",
        )
    })
}

/// The name of a USPS state or territory code (`"WA"` → `"Washington"`), ignoring case.
pub fn us_state_name(code: &str) -> Option<&'static str> {
    let code = code.trim();
    US_STATES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .map(|(_, name)| *name)
}

/// The Canada Post code for a province or territory, from its code or name (`"Ontario"` →
/// `ON`, `"Québec"` → `QC`).
///
/// # Errors
/// [`TransformError::Missing`] for blank text, [`TransformError::Unknown`] otherwise.
pub fn ca_province_code(text: &str) -> Result<&'static str> {
    if text.trim().is_empty() {
        return Err(TransformError::missing("Canadian province"));
    }
    CA_REGIONS.get(text).copied().ok_or_else(|| {
        TransformError::unknown(
            "Canadian province",
            text,
            "not a province or territory code or name",
        )
    })
}

/// The name of a Canadian province or territory code (`"ON"` → `"Ontario"`).
pub fn ca_province_name(code: &str) -> Option<&'static str> {
    let code = code.trim();
    CA_PROVINCES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .map(|(_, name)| *name)
}

/// A region as the canonical address holds it: the USPS code in the US postal system, the
/// province code in Canada, otherwise the cleaned text. `None` for blank text.
///
/// # Errors
/// [`TransformError::Unknown`] for a US or Canadian region that is not in the tables.
pub fn normalize_region(text: &str, country: Option<CountryCode>) -> Result<Option<String>> {
    let Some(cleaned) = clean_text(text) else {
        return Ok(None);
    };
    if uses_us_postal_system(country) {
        us_state_code(&cleaned).map(|c| Some(c.to_owned()))
    } else if country.is_some_and(|c| c.as_str() == "CA") {
        ca_province_code(&cleaned).map(|c| Some(c.to_owned()))
    } else {
        Ok(Some(cleaned))
    }
}

/// The name of a region code for display (`WA` in the US → `"Washington"`); other regions
/// come back as they are.
pub fn region_name(region: &str, country: Option<CountryCode>) -> String {
    let name = if uses_us_postal_system(country) {
        us_state_name(region)
    } else if country.is_some_and(|c| c.as_str() == "CA") {
        ca_province_name(region)
    } else {
        None
    };
    name.map_or_else(|| region.trim().to_owned(), str::to_owned)
}

/// `address` with every part cleaned as the module docs describe: text trimmed, street lines
/// split and blank ones dropped, region and postal code normalised for the country.
///
/// # Errors
/// [`TransformError::Unknown`] for an unknown US or Canadian region,
/// [`TransformError::Invalid`] for a malformed US ZIP.
pub fn normalize_address(address: &Address) -> Result<Address> {
    let country = address.country;
    Ok(Address {
        lines: address.lines.iter().flat_map(|l| split_street(l)).collect(),
        city: address.city.as_deref().and_then(clean_text),
        region: match &address.region {
            Some(r) => normalize_region(r, country)?,
            None => None,
        },
        postal_code: match &address.postal_code {
            Some(p) => normalize_postal_code(p, country)?,
            None => None,
        },
        country,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cc(code: &str) -> Option<CountryCode> {
        Some(CountryCode::new(code).unwrap())
    }

    #[test]
    fn text_and_street_lines() {
        assert_eq!(clean_text("  1  Main   St "), Some("1 Main St".into()));
        assert_eq!(clean_text(" \t "), None);
        let cases: [(&str, &[&str]); 5] = [
            ("1 Main St\nSuite 200", &["1 Main St", "Suite 200"]),
            ("1 Main St\r\nSuite 200\r\n", &["1 Main St", "Suite 200"]),
            ("1 Main St\rSuite 200", &["1 Main St", "Suite 200"]),
            ("\n\n 1 Main St \n\n", &["1 Main St"]),
            ("", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(split_street(text), want, "{text:?}");
        }
        let lines = vec![
            "1 Main St".to_owned(),
            " ".to_owned(),
            "Suite 200".to_owned(),
        ];
        assert_eq!(join_street(&lines).as_deref(), Some("1 Main St\nSuite 200"));
        assert_eq!(join_street(&[]), None);
        assert_eq!(join_street(&["  ".to_owned()]), None);
    }

    #[test]
    fn us_zip_codes() {
        let ok = [
            ("98101", "98101"),
            (" 98101 ", "98101"),
            ("981011234", "98101-1234"),
            ("98101-1234", "98101-1234"),
            ("98101 1234", "98101-1234"),
            ("00501", "00501"),
        ];
        for (text, want) in ok {
            assert_eq!(normalize_us_zip(text).unwrap(), want, "{text:?}");
        }
        for bad in [
            "9810",
            "981012",
            "98101-123",
            "98101-12345",
            "9810a",
            "98101_1234",
            "ABCDE",
            "98101--123",
            "98101-１２３４",
            "SW1A 1AA",
            "٩٨١٠١",
        ] {
            assert!(
                matches!(normalize_us_zip(bad), Err(TransformError::Invalid { .. })),
                "{bad:?} accepted"
            );
        }
        assert!(matches!(
            normalize_us_zip(""),
            Err(TransformError::Missing { .. })
        ));
    }

    #[test]
    fn postal_codes_by_country() {
        assert_eq!(
            normalize_postal_code("981011234", cc("US"))
                .unwrap()
                .as_deref(),
            Some("98101-1234")
        );
        assert_eq!(
            normalize_postal_code("00901", cc("PR")).unwrap().as_deref(),
            Some("00901")
        );
        assert_eq!(
            normalize_postal_code("  SW1A  1AA ", cc("GB"))
                .unwrap()
                .as_deref(),
            Some("SW1A 1AA")
        );
        assert_eq!(
            normalize_postal_code("981011234", None).unwrap().as_deref(),
            Some("981011234")
        );
        assert_eq!(normalize_postal_code("  ", cc("US")).unwrap(), None);
        assert!(normalize_postal_code("1234", cc("US")).is_err());
    }

    #[test]
    fn us_states_territories_and_armed_forces() {
        let cases = [
            ("Washington", "WA"),
            ("wa", "WA"),
            (" WA ", "WA"),
            ("New  York", "NY"),
            ("district of columbia", "DC"),
            ("Washington, D.C.", "DC"),
            ("Washington D.C.", "DC"),
            ("Puerto Rico", "PR"),
            ("Guam", "GU"),
            ("US Virgin Islands", "VI"),
            ("Armed Forces Europe", "AE"),
            ("Armed Forces Middle East", "AE"),
            ("AP", "AP"),
            ("Armed Forces Americas", "AA"),
        ];
        for (text, want) in cases {
            assert_eq!(us_state_code(text).unwrap(), want, "{text:?}");
        }
        // Every state's name and code read back.
        for (code, name) in US_STATES {
            assert_eq!(us_state_code(name).unwrap(), code);
            assert_eq!(us_state_code(code).unwrap(), code);
            assert_eq!(us_state_name(code), Some(name));
        }
        assert!(us_state_code("Washingon").is_err());
        assert!(us_state_code("ON").is_err());
        assert!(matches!(
            us_state_code(""),
            Err(TransformError::Missing { .. })
        ));
        assert_eq!(us_state_name("wa"), Some("Washington"));
        assert_eq!(us_state_name("XX"), None);
    }

    #[test]
    fn canadian_provinces() {
        for (text, want) in [
            ("Ontario", "ON"),
            ("qc", "QC"),
            ("Québec", "QC"),
            ("British Columbia", "BC"),
        ] {
            assert_eq!(ca_province_code(text).unwrap(), want, "{text}");
        }
        for (code, name) in CA_PROVINCES {
            assert_eq!(ca_province_code(name).unwrap(), code);
            assert_eq!(ca_province_name(code), Some(name));
        }
        assert!(ca_province_code("WA").is_err());
    }

    #[test]
    fn regions_by_country() {
        assert_eq!(
            normalize_region("Washington", cc("US")).unwrap().as_deref(),
            Some("WA")
        );
        assert_eq!(
            normalize_region("Ontario", cc("CA")).unwrap().as_deref(),
            Some("ON")
        );
        assert_eq!(
            normalize_region(" Bayern ", cc("DE")).unwrap().as_deref(),
            Some("Bayern")
        );
        assert_eq!(
            normalize_region("Washington", None).unwrap().as_deref(),
            Some("Washington")
        );
        assert_eq!(normalize_region(" ", cc("US")).unwrap(), None);
        assert!(normalize_region("Atlantis", cc("US")).is_err());
        assert_eq!(region_name("WA", cc("US")), "Washington");
        assert_eq!(region_name("ON", cc("CA")), "Ontario");
        assert_eq!(region_name("Bayern", cc("DE")), "Bayern");
    }

    #[test]
    fn whole_addresses() {
        let messy = Address {
            lines: vec!["  1  Main St \n Suite 200".into(), "  ".into()],
            city: Some("  Seattle ".into()),
            region: Some("washington".into()),
            postal_code: Some("981011234".into()),
            country: cc("US"),
        };
        let clean = Address {
            lines: vec!["1 Main St".into(), "Suite 200".into()],
            city: Some("Seattle".into()),
            region: Some("WA".into()),
            postal_code: Some("98101-1234".into()),
            country: cc("US"),
        };
        assert_eq!(normalize_address(&messy).unwrap(), clean);
        assert_eq!(normalize_address(&clean).unwrap(), clean);
        let bad_zip = Address {
            postal_code: Some("9810".into()),
            ..clean.clone()
        };
        assert!(normalize_address(&bad_zip).is_err());
        assert_eq!(
            normalize_address(&Address::default()).unwrap(),
            Address::default()
        );
    }

    proptest! {
        #[test]
        fn zip_normalisation_is_idempotent_and_lossless(five in "[0-9]{5}", four in prop::option::of("[0-9]{4}"), sep in prop::sample::select(vec!["", "-", " "])) {
            let raw = match &four { Some(f) => format!("{five}{sep}{f}"), None => five.clone() };
            let zip = normalize_us_zip(&raw).unwrap();
            prop_assert_eq!(normalize_us_zip(&zip).unwrap(), zip.clone());
            let digits: String = zip.chars().filter(char::is_ascii_digit).collect();
            prop_assert_eq!(digits, format!("{five}{}", four.unwrap_or_default()));
        }

        #[test]
        fn street_lines_round_trip(lines in prop::collection::vec("[A-Za-z0-9#.,]{1,8}( [A-Za-z0-9#.,]{1,8}){0,3}", 0..4)) {
            let joined = join_street(&lines);
            let back = joined.as_deref().map(split_street).unwrap_or_default();
            prop_assert_eq!(back, lines);
        }

        #[test]
        fn never_panics(s in "\\PC{0,30}") {
            let _ = normalize_us_zip(&s);
            let _ = us_state_code(&s);
            let _ = normalize_region(&s, Some(CountryCode::US));
            let _ = split_street(&s);
        }
    }
}
