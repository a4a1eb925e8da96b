//! Countries: names, aliases, alpha-2 and alpha-3 codes.
//!
//! The ISO 3166-1 data (alpha-2, alpha-3, numeric, formal names) comes from the `celes`
//! crate. On top of it [`Countries`] keeps what people and systems actually write: aliases
//! (`"USA"`, `"U.S.A."`, `"UK"`, `"Great Britain"`, `"Holland"`, `"Deutschland"` …) and the
//! short English names we write back (`"United States"`, `"United Kingdom"`, `"South Korea"`),
//! because ISO's formal names (`"The United States Of America"`) are not what a CRM holds.
//!
//! Dynamics 365 F&O needs both codes: `AddressCountryRegionId` is the F&O country/region id,
//! alpha-3 (`"USA"`) in standard data, while `AddressCountryRegionISOCode` is alpha-2.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use canonical_model::CountryCode;
use serde::{Deserialize, Serialize};

use super::error::{Result, TransformError};
use super::vocab::{Vocabulary, normalize_key};

/// Names we write where ISO's formal name is not the common one.
const DISPLAY_NAMES: [(&str, &str); 43] = [
    ("US", "United States"),
    ("GB", "United Kingdom"),
    ("UM", "United States Minor Outlying Islands"),
    ("VI", "U.S. Virgin Islands"),
    ("KR", "South Korea"),
    ("KP", "North Korea"),
    ("RU", "Russia"),
    ("IR", "Iran"),
    ("SY", "Syria"),
    ("LA", "Laos"),
    ("VE", "Venezuela"),
    ("BO", "Bolivia"),
    ("TZ", "Tanzania"),
    ("MD", "Moldova"),
    ("FM", "Micronesia"),
    ("PS", "Palestine"),
    ("TW", "Taiwan"),
    ("MK", "North Macedonia"),
    ("CI", "Côte d'Ivoire"),
    ("CD", "Democratic Republic of the Congo"),
    ("CG", "Republic of the Congo"),
    ("CC", "Cocos (Keeling) Islands"),
    ("FK", "Falkland Islands"),
    ("VA", "Vatican City"),
    ("SH", "Saint Helena, Ascension and Tristan da Cunha"),
    ("SX", "Sint Maarten"),
    ("MF", "Saint Martin"),
    ("BQ", "Bonaire, Sint Eustatius and Saba"),
    ("HM", "Heard Island and McDonald Islands"),
    ("GW", "Guinea-Bissau"),
    ("TL", "Timor-Leste"),
    ("AX", "Åland Islands"),
    ("CW", "Curaçao"),
    ("RE", "Réunion"),
    ("BL", "Saint Barthélemy"),
    ("TR", "Türkiye"),
    ("BS", "Bahamas"),
    ("GM", "Gambia"),
    ("NL", "Netherlands"),
    ("PH", "Philippines"),
    ("AE", "United Arab Emirates"),
    ("CZ", "Czechia"),
    ("VN", "Vietnam"),
];

/// Spellings people and systems write that ISO and `celes` do not list.
const ALIASES: [(&str, &str); 55] = [
    ("USA", "US"),
    ("U.S.A.", "US"),
    ("U.S.", "US"),
    ("U S A", "US"),
    ("United States", "US"),
    ("United States of America", "US"),
    ("America", "US"),
    ("UK", "GB"),
    ("U.K.", "GB"),
    ("United Kingdom", "GB"),
    ("Great Britain", "GB"),
    ("Britain", "GB"),
    ("England", "GB"),
    ("Scotland", "GB"),
    ("Wales", "GB"),
    ("Northern Ireland", "GB"),
    ("Holland", "NL"),
    ("The Netherlands", "NL"),
    ("Korea", "KR"),
    ("Korea, Republic of", "KR"),
    ("Republic of Korea", "KR"),
    ("Korea, Democratic People's Republic of", "KP"),
    ("Russian Federation", "RU"),
    ("Viet Nam", "VN"),
    ("Iran, Islamic Republic of", "IR"),
    ("Czech Republic", "CZ"),
    ("Ivory Coast", "CI"),
    ("Cote d'Ivoire", "CI"),
    ("Macedonia", "MK"),
    ("Burma", "MM"),
    ("Swaziland", "SZ"),
    ("Cape Verde", "CV"),
    ("East Timor", "TL"),
    ("Turkey", "TR"),
    ("Vatican", "VA"),
    ("Holy See", "VA"),
    ("Bolivia, Plurinational State of", "BO"),
    ("Venezuela, Bolivarian Republic of", "VE"),
    ("Tanzania, United Republic of", "TZ"),
    ("Taiwan, Province of China", "TW"),
    ("Taiwan, Republic of China", "TW"),
    ("Hong Kong SAR", "HK"),
    ("Macau", "MO"),
    ("UAE", "AE"),
    ("U.A.E.", "AE"),
    ("Deutschland", "DE"),
    ("España", "ES"),
    ("México", "MX"),
    ("Brasil", "BR"),
    ("Schweiz", "CH"),
    ("Suisse", "CH"),
    ("Österreich", "AT"),
    ("Nederland", "NL"),
    ("Italia", "IT"),
    ("Curacao", "CW"),
];

/// Country names and aliases. `Default` holds ours; extend `aliases` and `names` with a
/// user's own (from TOML or JSON) for the spellings their data holds.
///
/// ```
/// use canonical_model::CountryCode;
/// use mapping::transform::countries::Countries;
///
/// let mut countries = Countries::default();
/// assert!(countries.code("Murica").is_err());
/// countries.aliases.insert("Murica", CountryCode::US);
/// assert_eq!(countries.code("murica")?, CountryCode::US);
/// # Ok::<(), mapping::transform::TransformError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Countries {
    /// Extra spellings, read before the ISO table.
    pub aliases: Vocabulary<CountryCode>,
    /// The names we write, where ISO's formal name is not the common one.
    pub names: BTreeMap<CountryCode, String>,
}

impl Default for Countries {
    fn default() -> Self {
        let mut aliases = Vocabulary::new();
        let mut names = BTreeMap::new();
        // `CountryCode::new` cannot fail on these two-letter literals; a failure would only
        // drop the entry, and the tests check every entry is present.
        for (code, name) in DISPLAY_NAMES {
            if let Ok(code) = CountryCode::new(code) {
                names.insert(code, name.to_owned());
                aliases.insert(name, code);
            }
        }
        for (alias, code) in ALIASES {
            if let Ok(code) = CountryCode::new(code) {
                aliases.insert(alias, code);
            }
        }
        Self { aliases, names }
    }
}

/// `text` folded for `celes`'s name keys: lower-case letters only, without a leading "the".
fn squash(text: &str) -> String {
    let key = normalize_key(text);
    let key = key.strip_prefix("the ").unwrap_or(&key);
    key.chars().filter(|c| c.is_alphanumeric()).collect()
}

fn from_celes(country: celes::Country) -> Result<CountryCode> {
    Ok(CountryCode::new(country.alpha2)?)
}

fn celes_by_alpha2(code: CountryCode) -> Result<celes::Country> {
    celes::Country::from_alpha2(code.as_str()).map_err(|_| {
        TransformError::unknown(
            "country code",
            code.as_str(),
            "not an assigned ISO 3166-1 alpha-2 code",
        )
    })
}

impl Countries {
    /// The country a text names: an alias, an ISO alpha-2, alpha-3 or numeric code, or a name
    /// (ignoring case, dots, spaces and a leading "The").
    ///
    /// # Errors
    /// [`TransformError::Missing`] for blank text, [`TransformError::Unknown`] otherwise.
    pub fn code(&self, text: &str) -> Result<CountryCode> {
        let t = text.trim();
        if t.is_empty() {
            return Err(TransformError::missing("country"));
        }
        if let Some(code) = self.aliases.get(t) {
            return Ok(*code);
        }
        let is_letters = |n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_alphabetic());
        let found = if is_letters(2) {
            celes::Country::from_alpha2(t).ok()
        } else if is_letters(3) {
            celes::Country::from_alpha3(t).ok()
        } else if t.len() == 3 && t.bytes().all(|b| b.is_ascii_digit()) {
            celes::Country::from_code(t).ok()
        } else {
            let key = squash(t);
            celes::Country::from_name(&key)
                .or_else(|_| celes::Country::from_name(format!("the{key}")))
                .or_else(|_| celes::Country::from_alias(&key))
                .ok()
        };
        match found {
            Some(country) => from_celes(country),
            None => Err(TransformError::unknown(
                "country",
                text,
                "not an ISO 3166-1 code, name or known alias; add it to Countries::aliases",
            )),
        }
    }

    /// The short English name we write for a country (`US` → `"United States"`).
    ///
    /// # Errors
    /// [`TransformError::Unknown`] for a code ISO 3166-1 does not assign.
    pub fn name(&self, code: CountryCode) -> Result<String> {
        if let Some(name) = self.names.get(&code) {
            return Ok(name.clone());
        }
        Ok(readable_name(celes_by_alpha2(code)?.long_name))
    }

    /// The alpha-3 code of a country (`US` → `"USA"`).
    ///
    /// # Errors
    /// [`TransformError::Unknown`] for a code ISO 3166-1 does not assign.
    pub fn alpha3(&self, code: CountryCode) -> Result<&'static str> {
        Ok(celes_by_alpha2(code)?.alpha3)
    }
}

/// `celes`'s formal name in ordinary capitalisation: `"The Isle Of Man"` → `"Isle of Man"`.
fn readable_name(formal: &str) -> String {
    let formal = formal.strip_prefix("The ").unwrap_or(formal);
    formal
        .split(' ')
        .enumerate()
        .map(|(i, w)| match w {
            "And" | "Of" | "The" | "Da" if i > 0 => w.to_lowercase(),
            _ => w.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

static DEFAULT_COUNTRIES: LazyLock<Countries> = LazyLock::new(Countries::default);

/// The country a text names, with the default aliases: `"United States"`, `"USA"`,
/// `"U.S.A."`, `"us"`, `"840"` and `"United States of America"` are all `US`; `"UK"` and
/// `"Great Britain"` are `GB`.
///
/// ```
/// use mapping::transform::countries::country_code;
/// assert_eq!(country_code("U.S.A.")?.as_str(), "US");
/// assert_eq!(country_code("Great Britain")?.as_str(), "GB");
/// assert_eq!(country_code("deu")?.as_str(), "DE");
/// # Ok::<(), mapping::transform::TransformError>(())
/// ```
///
/// # Errors
/// As [`Countries::code`].
pub fn country_code(text: &str) -> Result<CountryCode> {
    DEFAULT_COUNTRIES.code(text)
}

/// The short English name of a country, with the default names.
///
/// # Errors
/// As [`Countries::name`].
pub fn country_name(code: CountryCode) -> Result<String> {
    DEFAULT_COUNTRIES.name(code)
}

/// The alpha-3 code of a country (`US` → `"USA"`), as F&O's `AddressCountryRegionId` holds it.
///
/// # Errors
/// As [`Countries::alpha3`].
pub fn country_alpha3(code: CountryCode) -> Result<&'static str> {
    DEFAULT_COUNTRIES.alpha3(code)
}

/// The country of an alpha-3 code (`"USA"` → `US`), ignoring case.
///
/// # Errors
/// [`TransformError::Unknown`] for anything that is not an assigned alpha-3 code.
pub fn country_from_alpha3(alpha3: &str) -> Result<CountryCode> {
    let t = alpha3.trim();
    if t.len() == 3
        && t.bytes().all(|b| b.is_ascii_alphabetic())
        && let Ok(country) = celes::Country::from_alpha3(t)
    {
        return from_celes(country);
    }
    Err(TransformError::unknown(
        "alpha-3 country code",
        alpha3,
        "not an assigned ISO 3166-1 alpha-3 code",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cc(code: &str) -> CountryCode {
        CountryCode::new(code).unwrap()
    }

    #[test]
    fn names_aliases_and_codes_read_as_alpha2() {
        let cases = [
            ("United States", "US"),
            ("USA", "US"),
            ("U.S.A.", "US"),
            ("u.s.", "US"),
            ("United States of America", "US"),
            ("  united   states ", "US"),
            ("us", "US"),
            ("840", "US"),
            ("UK", "GB"),
            ("Great Britain", "GB"),
            ("United Kingdom", "GB"),
            ("England", "GB"),
            ("GBR", "GB"),
            ("Germany", "DE"),
            ("deu", "DE"),
            ("Deutschland", "DE"),
            ("Canada", "CA"),
            ("Mexico", "MX"),
            ("México", "MX"),
            ("The Netherlands", "NL"),
            ("Holland", "NL"),
            ("Isle of Man", "IM"),
            ("Bosnia and Herzegovina", "BA"),
            ("Korea, Republic of", "KR"),
            ("South Korea", "KR"),
            ("Côte d'Ivoire", "CI"),
            ("Puerto Rico", "PR"),
            ("Guinea-Bissau", "GW"),
            ("Viet Nam", "VN"),
        ];
        for (text, want) in cases {
            assert_eq!(country_code(text).unwrap().as_str(), want, "{text:?}");
        }
        for bad in ["Atlantis", "XX", "ZZZ", "999", "EU", "U"] {
            assert!(
                matches!(country_code(bad), Err(TransformError::Unknown { .. })),
                "{bad:?} accepted"
            );
        }
        assert!(matches!(
            country_code(" "),
            Err(TransformError::Missing { .. })
        ));
    }

    #[test]
    fn names_we_write() {
        let cases = [
            ("US", "United States"),
            ("GB", "United Kingdom"),
            ("DE", "Germany"),
            ("IM", "Isle of Man"),
            ("AG", "Antigua and Barbuda"),
            ("VC", "Saint Vincent and the Grenadines"),
            ("KY", "Cayman Islands"),
            ("KR", "South Korea"),
        ];
        for (code, want) in cases {
            assert_eq!(country_name(cc(code)).unwrap(), want, "{code}");
        }
        assert!(country_name(cc("ZZ")).is_err());
    }

    #[test]
    fn alpha3_both_ways() {
        for (a2, a3) in [
            ("US", "USA"),
            ("GB", "GBR"),
            ("DE", "DEU"),
            ("CA", "CAN"),
            ("PR", "PRI"),
        ] {
            assert_eq!(country_alpha3(cc(a2)).unwrap(), a3);
            assert_eq!(country_from_alpha3(a3).unwrap(), cc(a2));
            assert_eq!(country_from_alpha3(&a3.to_lowercase()).unwrap(), cc(a2));
        }
        assert!(country_from_alpha3("US").is_err());
        assert!(country_from_alpha3("XYZ").is_err());
        assert!(country_alpha3(cc("ZZ")).is_err());
    }

    #[test]
    fn every_country_round_trips_through_its_name_and_alpha3() {
        let all = celes::Country::get_countries();
        assert!(all.len() >= 249);
        let mut failures = Vec::new();
        for country in all {
            let code = cc(country.alpha2);
            let name = country_name(code).unwrap();
            for text in [name.as_str(), country.alpha3, country.long_name] {
                if country_code(text).ok() != Some(code) {
                    failures.push(format!("{text} ≠ {code}"));
                }
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn every_table_entry_is_a_real_country() {
        let d = Countries::default();
        assert_eq!(d.names.len(), DISPLAY_NAMES.len());
        for (_, code) in d.aliases.iter() {
            assert!(country_alpha3(*code).is_ok(), "{code}");
        }
        for code in d.names.keys() {
            assert!(country_alpha3(*code).is_ok(), "{code}");
        }
    }

    #[test]
    fn tables_load_from_toml() {
        let user: Countries =
            toml::from_str("[aliases]\n\"Blighty\" = \"GB\"\n[names]\nUS = \"USA\"").unwrap();
        assert_eq!(user.code("blighty").unwrap(), cc("GB"));
        assert_eq!(user.name(cc("US")).unwrap(), "USA");
        assert_eq!(user.name(cc("DE")).unwrap(), "Germany");
    }

    proptest! {
        #[test]
        fn lookups_never_panic(s in "\\PC{0,40}") {
            let _ = country_code(&s);
            let _ = country_from_alpha3(&s);
        }
    }
}
