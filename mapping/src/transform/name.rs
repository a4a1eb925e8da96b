//! Person names: split a full name into a [`PersonName`] and join it back.
//!
//! ## How [`split_person_name`] reads a name
//!
//! 1. Honorifics at the start (`Dr.`, `Mrs`, `Prof.` …) become the prefix and generational or
//!    professional suffixes at the end (`Jr.`, `III`, `PhD` …) the suffix; dots and case do
//!    not matter. A name is never reduced to nothing: `"Dr. Who"` keeps `Who` as the family
//!    name.
//! 2. With a comma the family name comes first: `"Doe, Jane Q."` → family `Doe`, given `Jane`,
//!    middle `Q.`. A comma before a suffix (`"Jane Doe, Jr."`) is not this form.
//! 3. Otherwise the **last word is the family name**, together with the particles just before
//!    it (`van`, `von`, `de`, `der`, `la`, `del`, `di`, `da`, `du`, `dos`, `St.`, `bin`, `al`, …,
//!    matched as written, so the given names `Van` and `Al` are not particles) and a Spanish
//!    `y` joining two surnames: `"Ludwig van Beethoven"` → family
//!    `van Beethoven`; `"Jean de la Fontaine"` → `de la Fontaine`; `"Ana García y López"` →
//!    `García y López`. The first word is the given name and the words between are the middle
//!    name. Two surnames without a `y` cannot be told from a middle name, so
//!    `"María José García López"` gives given `María`, middle `José García`, family `López`;
//!    write it `"García López, María José"` to keep both surnames.
//! 4. A single word (`"Cher"`) is the **family** name: Salesforce contacts and the ERPs
//!    require a last name and treat the first name as optional.
//!
//! [`join_person_name`] writes `"Dr. Jane Q. Doe Jr."`, [`join_family_first`]
//! `"Doe, Dr. Jane Q., Jr."`; both read back to the same parts.

use canonical_model::PersonName;
use serde::{Deserialize, Serialize};

use super::error::{Result, TransformError};
use super::vocab::normalize_key;

/// The word lists [`NameRules::split`] uses. `Default` holds ours; add to them for other
/// languages (`rules.particles.push("zu".into())`) or load them from TOML/JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NameRules {
    /// Honorifics before a name, compared without dots and case.
    pub prefixes: Vec<String>,
    /// Generational and professional suffixes after a name, compared without dots and case.
    pub suffixes: Vec<String>,
    /// Particles that belong to the family name that follows them, compared exactly as
    /// written: `"van"` is a particle, `"Van"` (also a given name) is not.
    pub particles: Vec<String>,
    /// Words that join two family names (`y` in Spanish), compared exactly as written.
    pub connectors: Vec<String>,
}

impl Default for NameRules {
    fn default() -> Self {
        let list = |words: &[&str]| words.iter().map(|w| (*w).to_owned()).collect();
        Self {
            prefixes: list(&[
                "mr",
                "mrs",
                "ms",
                "miss",
                "mx",
                "dr",
                "prof",
                "professor",
                "rev",
                "reverend",
                "fr",
                "father",
                "sr",
                "sir",
                "dame",
                "lady",
                "lord",
                "hon",
                "honorable",
                "judge",
                "capt",
                "captain",
                "col",
                "gen",
                "lt",
                "maj",
                "sgt",
                "adm",
                "sra",
                "srta",
                "herr",
                "frau",
                "mme",
                "mlle",
            ]),
            suffixes: list(&[
                "jr", "sr", "ii", "iii", "iv", "phd", "md", "dds", "dmd", "dvm", "esq", "esquire",
                "cpa", "jd", "mba", "rn", "ret", "obe", "mbe", "cbe", "kbe", "qc", "kc",
            ]),
            particles: list(&[
                "van", "von", "vom", "zu", "zum", "de", "der", "den", "del", "della", "delle",
                "dei", "di", "da", "das", "dos", "do", "du", "des", "la", "le", "lo", "ter", "ten",
                "bin", "binti", "ibn", "al", "el", "ben", "af", "av", "St.", "Ste.", "st.", "ste.",
            ]),
            connectors: list(&["y"]),
        }
    }
}

impl NameRules {
    fn in_list(list: &[String], word: &str) -> bool {
        let key = normalize_key(word.trim_end_matches(','));
        !key.is_empty() && list.iter().any(|w| normalize_key(w) == key)
    }

    fn is_prefix(&self, word: &str) -> bool {
        Self::in_list(&self.prefixes, word)
    }

    fn is_suffix(&self, word: &str) -> bool {
        Self::in_list(&self.suffixes, word)
    }

    fn is_particle(&self, word: &str) -> bool {
        // Exact: "Van", "Al", "Ben" and "Del" are given names too, and an initial "E." must
        // never read as a particle.
        self.particles.iter().any(|p| p == word)
    }

    fn is_connector(&self, word: &str) -> bool {
        self.connectors.iter().any(|c| c == word)
    }

    /// Splits a full name into its parts (see the module docs for the rules).
    ///
    /// # Errors
    /// [`TransformError::Missing`] for a blank name.
    pub fn split(&self, full_name: &str) -> Result<PersonName> {
        let cleaned = full_name.split_whitespace().collect::<Vec<_>>().join(" ");
        if cleaned
            .trim_matches(|c: char| c == ',' || c.is_whitespace())
            .is_empty()
        {
            return Err(TransformError::missing("person name"));
        }
        let mut parts: Vec<&str> = cleaned
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        // Trailing comma-separated suffixes: "Jane Doe, Jr.", "Doe, Jane, PhD".
        let mut suffixes = Vec::new();
        while parts.len() > 1
            && parts
                .last()
                .is_some_and(|p| p.split(' ').all(|w| self.is_suffix(w)))
        {
            if let Some(p) = parts.pop() {
                suffixes.insert(0, p.to_owned());
            }
        }
        let mut name = match parts.as_slice() {
            [family, given @ ..] if !given.is_empty() => {
                let given_words: Vec<&str> = given.iter().flat_map(|g| g.split(' ')).collect();
                let mut name = self.split_words(&given_words, false);
                // The given part holds no family name: what split_words took as one is the
                // last given or middle word.
                if let Some(last) = name.family.take() {
                    match (&mut name.given, &mut name.middle) {
                        (None, _) => name.given = Some(last),
                        (Some(_), Some(middle)) => {
                            middle.push(' ');
                            middle.push_str(&last);
                        }
                        (Some(_), None) => name.middle = Some(last),
                    }
                }
                name.family = Some((*family).to_owned());
                name
            }
            _ => {
                let words: Vec<&str> = parts.iter().flat_map(|p| p.split(' ')).collect();
                self.split_words(&words, true)
            }
        };
        if !suffixes.is_empty() {
            let mut all: Vec<String> = name.suffix.take().into_iter().collect();
            all.extend(suffixes);
            name.suffix = Some(all.join(" "));
        }
        Ok(name)
    }

    /// Splits space-separated words: prefixes, suffixes, then given / middle / family.
    fn split_words(&self, words: &[&str], family_from_particles: bool) -> PersonName {
        let mut start = 0;
        let mut end = words.len();
        while end - start > 1 && self.is_prefix(words[start]) {
            start += 1;
        }
        while end - start > 1 && self.is_suffix(words[end - 1]) {
            end -= 1;
        }
        let core = &words[start..end];
        let joined = |ws: &[&str]| (!ws.is_empty()).then(|| ws.join(" "));
        let mut family_start = core.len().saturating_sub(1);
        if family_from_particles {
            loop {
                if family_start >= 2 && self.is_particle(core[family_start - 1]) {
                    family_start -= 1;
                } else if family_start >= 3 && self.is_connector(core[family_start - 1]) {
                    family_start -= 2;
                } else {
                    break;
                }
            }
        }
        let (given, middle, family) = match core {
            [] => (None, None, None),
            [only] => (None, None, Some((*only).to_owned())),
            [first, ..] => (
                Some((*first).to_owned()),
                joined(&core[1..family_start]),
                joined(&core[family_start..]),
            ),
        };
        PersonName {
            prefix: joined(&words[..start]),
            given,
            middle,
            family,
            suffix: joined(&words[end..]),
        }
    }
}

/// Splits a full name with the default [`NameRules`].
///
/// ```
/// use mapping::transform::name::split_person_name;
/// let n = split_person_name("Dr. Jane Q. Doe Jr.")?;
/// assert_eq!(n.prefix.as_deref(), Some("Dr."));
/// assert_eq!(n.given.as_deref(), Some("Jane"));
/// assert_eq!(n.middle.as_deref(), Some("Q."));
/// assert_eq!(n.family.as_deref(), Some("Doe"));
/// assert_eq!(n.suffix.as_deref(), Some("Jr."));
/// # Ok::<(), mapping::transform::TransformError>(())
/// ```
///
/// # Errors
/// [`TransformError::Missing`] for a blank name.
pub fn split_person_name(full_name: &str) -> Result<PersonName> {
    NameRules::default().split(full_name)
}

/// The parts joined given-name first: `"Dr. Jane Q. Doe Jr."` (as `PersonName::full`).
pub fn join_person_name(name: &PersonName) -> String {
    name.full()
}

/// The parts joined family-name first, as sorted lists and some CRMs write them:
/// `"Doe, Dr. Jane Q., Jr."`. A name with no family name is joined given-name first.
pub fn join_family_first(name: &PersonName) -> String {
    let part = |p: &Option<String>| {
        p.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let Some(family) = part(&name.family) else {
        return name.full();
    };
    let rest: Vec<String> = [&name.prefix, &name.given, &name.middle]
        .into_iter()
        .filter_map(part)
        .collect();
    let mut out = family;
    if !rest.is_empty() {
        out.push_str(", ");
        out.push_str(&rest.join(" "));
    }
    if let Some(suffix) = part(&name.suffix) {
        out.push_str(", ");
        out.push_str(&suffix);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn name(
        prefix: Option<&str>,
        given: Option<&str>,
        middle: Option<&str>,
        family: Option<&str>,
        suffix: Option<&str>,
    ) -> PersonName {
        let own = |s: Option<&str>| s.map(str::to_owned);
        PersonName {
            prefix: own(prefix),
            given: own(given),
            middle: own(middle),
            family: own(family),
            suffix: own(suffix),
        }
    }

    #[test]
    fn splits_names_as_documented() {
        let cases = [
            (
                "Jane Q. Doe",
                name(None, Some("Jane"), Some("Q."), Some("Doe"), None),
            ),
            (
                "Jane Doe",
                name(None, Some("Jane"), None, Some("Doe"), None),
            ),
            (
                "  Jane   Doe ",
                name(None, Some("Jane"), None, Some("Doe"), None),
            ),
            (
                "Dr. Jane Doe Jr.",
                name(Some("Dr."), Some("Jane"), None, Some("Doe"), Some("Jr.")),
            ),
            (
                "Doe, Jane Q.",
                name(None, Some("Jane"), Some("Q."), Some("Doe"), None),
            ),
            (
                "Doe, Jane",
                name(None, Some("Jane"), None, Some("Doe"), None),
            ),
            ("Cher", name(None, None, None, Some("Cher"), None)),
            (
                "María José García López",
                name(
                    None,
                    Some("María"),
                    Some("José García"),
                    Some("López"),
                    None,
                ),
            ),
            (
                "García López, María José",
                name(
                    None,
                    Some("María"),
                    Some("José"),
                    Some("García López"),
                    None,
                ),
            ),
            (
                "Ana García y López",
                name(None, Some("Ana"), None, Some("García y López"), None),
            ),
            (
                "Ludwig van Beethoven",
                name(None, Some("Ludwig"), None, Some("van Beethoven"), None),
            ),
            (
                "Vincent van der Berg",
                name(None, Some("Vincent"), None, Some("van der Berg"), None),
            ),
            (
                "Jean de la Fontaine",
                name(None, Some("Jean"), None, Some("de la Fontaine"), None),
            ),
            (
                "Jane Doe, Jr.",
                name(None, Some("Jane"), None, Some("Doe"), Some("Jr.")),
            ),
            (
                "Doe, Dr. Jane Q., Jr.",
                name(
                    Some("Dr."),
                    Some("Jane"),
                    Some("Q."),
                    Some("Doe"),
                    Some("Jr."),
                ),
            ),
            (
                "Mr John Paul Smith III",
                name(
                    Some("Mr"),
                    Some("John"),
                    Some("Paul"),
                    Some("Smith"),
                    Some("III"),
                ),
            ),
            (
                "Rev. Dr. Martin Luther King Jr.",
                name(
                    Some("Rev. Dr."),
                    Some("Martin"),
                    Some("Luther"),
                    Some("King"),
                    Some("Jr."),
                ),
            ),
            (
                "John E. Smith",
                name(None, Some("John"), Some("E."), Some("Smith"), None),
            ),
            // "Dr" alone is kept as the name rather than dropped.
            ("Dr.", name(None, None, None, Some("Dr."), None)),
            ("Dr. Who", name(Some("Dr."), None, None, Some("Who"), None)),
            // A particle as the first word is the given name, not part of the family name.
            (
                "Van Morrison",
                name(None, Some("Van"), None, Some("Morrison"), None),
            ),
            // Capitalised "Ben" is a given name, lower-case "ben" a particle.
            (
                "John Ben Smith",
                name(None, Some("John"), Some("Ben"), Some("Smith"), None),
            ),
            (
                "Ali ben Salem",
                name(None, Some("Ali"), None, Some("ben Salem"), None),
            ),
            (
                "Smith, John V",
                name(None, Some("John"), Some("V"), Some("Smith"), None),
            ),
            ("Anh Do", name(None, Some("Anh"), None, Some("Do"), None)),
            (
                "Don Smith",
                name(None, Some("Don"), None, Some("Smith"), None),
            ),
            (
                "Mary St. John",
                name(None, Some("Mary"), None, Some("St. John"), None),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(split_person_name(input).unwrap(), want, "{input:?}");
        }
    }

    #[test]
    fn blank_names_are_missing() {
        for blank in ["", "   ", ",", " , "] {
            assert_eq!(
                split_person_name(blank).unwrap_err(),
                TransformError::missing("person name"),
                "{blank:?}"
            );
        }
    }

    #[test]
    fn joins_both_ways() {
        let n = name(
            Some("Dr."),
            Some("Jane"),
            Some("Q."),
            Some("Doe"),
            Some("Jr."),
        );
        assert_eq!(join_person_name(&n), "Dr. Jane Q. Doe Jr.");
        assert_eq!(join_family_first(&n), "Doe, Dr. Jane Q., Jr.");
        assert_eq!(
            join_family_first(&name(None, None, None, Some("Cher"), None)),
            "Cher"
        );
        assert_eq!(
            join_family_first(&name(None, Some("Jane"), None, None, None)),
            "Jane"
        );
        assert_eq!(
            join_family_first(&name(None, None, None, Some("Doe"), Some("Jr."))),
            "Doe, Jr."
        );
    }

    #[test]
    fn rules_are_extendable() {
        let mut rules = NameRules::default();
        assert_eq!(
            rules.split("Rhys ap Gruffydd").unwrap().family.as_deref(),
            Some("Gruffydd")
        );
        rules.particles.push("ap".into());
        assert_eq!(
            rules.split("Rhys ap Gruffydd").unwrap().family.as_deref(),
            Some("ap Gruffydd")
        );
        let from_json: NameRules =
            serde_json::from_value(serde_json::json!({"suffixes": ["Bt"]})).unwrap();
        assert_eq!(
            from_json.split("John Smith Bt").unwrap().suffix.as_deref(),
            Some("Bt")
        );
        assert_eq!(from_json.prefixes, NameRules::default().prefixes);
    }

    fn plain_word() -> impl Strategy<Value = String> {
        "[A-Z][a-z]{2,9}".prop_filter("not a listed word", |w| {
            let r = NameRules::default();
            !r.is_prefix(w) && !r.is_suffix(w) && !r.is_particle(w) && !r.is_connector(w)
        })
    }

    fn person() -> impl Strategy<Value = PersonName> {
        (
            prop::option::of(prop::sample::select(vec!["Dr.", "Mrs.", "Prof."])),
            plain_word(),
            prop::option::of(prop::collection::vec(plain_word(), 1..3)),
            prop::option::of(prop::sample::select(vec!["van", "de la", "von der"])),
            plain_word(),
            prop::option::of(prop::sample::select(vec!["Jr.", "III", "PhD"])),
        )
            .prop_map(
                |(prefix, given, middle, particle, family, suffix)| PersonName {
                    prefix: prefix.map(str::to_owned),
                    given: Some(given),
                    middle: middle.map(|m| m.join(" ")),
                    family: Some(match particle {
                        Some(p) => format!("{p} {family}"),
                        None => family,
                    }),
                    suffix: suffix.map(str::to_owned),
                },
            )
    }

    proptest! {
        #[test]
        fn join_then_split_is_identity(n in person()) {
            prop_assert_eq!(split_person_name(&join_person_name(&n)).unwrap(), n.clone());
            prop_assert_eq!(split_person_name(&join_family_first(&n)).unwrap(), n);
        }

        #[test]
        fn split_never_panics(s in "\\PC{0,40}") {
            let _ = split_person_name(&s);
        }

        #[test]
        fn split_never_panics_on_name_like_text(s in "[A-Za-z., ]{0,30}") {
            if let Ok(n) = split_person_name(&s) {
                prop_assert!(n.family.is_some());
            }
        }
    }
}
