//! [`Vocabulary`]: a text → value table that ignores case, dots and extra spaces.
//!
//! Every lookup table that reads another system's words (statuses, AVS texts, country names,
//! state names, decline keywords) is one of these, so a user can load their own entries from
//! TOML or JSON and [`extend`](Vocabulary::extend) ours with them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The form a text takes as a table key: trimmed, lower-case, without dots, inner whitespace
/// collapsed to one space: `" U.S.A. "` and `"usa"` are the same key. Dots go because the
/// systems we read write abbreviations both ways (`"Inc."`/`"Inc"`, `"D.C."`/`"DC"`).
///
/// ```
/// use mapping::transform::vocab::normalize_key;
/// assert_eq!(normalize_key("  Partially   Refunded "), "partially refunded");
/// assert_eq!(normalize_key("U.S.A."), "usa");
/// ```
pub fn normalize_key(text: &str) -> String {
    let lowered = text.to_lowercase().replace('.', "");
    lowered.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A table from texts to values, looked up by [`normalize_key`].
///
/// Serialises as a plain map (`{"completed": "approved"}`), so a user's TOML or JSON file of
/// extra entries deserialises straight into one; keys are normalised on the way in.
///
/// ```
/// use mapping::transform::vocab::Vocabulary;
/// let mut colours: Vocabulary<u8> = [("Red", 1), ("Green", 2)].into_iter().collect();
/// colours.extend(Vocabulary::from_iter([("GREEN", 20), ("Blue", 3)]));
/// assert_eq!(colours.get(" green "), Some(&20));
/// assert_eq!(colours.get("blue"), Some(&3));
/// assert_eq!(colours.get("purple"), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    from = "BTreeMap<String, T>",
    into = "BTreeMap<String, T>",
    bound(
        serialize = "T: Serialize + Clone",
        deserialize = "T: Deserialize<'de>"
    )
)]
pub struct Vocabulary<T> {
    entries: BTreeMap<String, T>,
}

impl<T> Default for Vocabulary<T> {
    fn default() -> Self {
        Self {
            entries: BTreeMap::new(),
        }
    }
}

impl<T> Vocabulary<T> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces the entry for `text`, returning the value it replaced.
    pub fn insert(&mut self, text: &str, value: T) -> Option<T> {
        self.entries.insert(normalize_key(text), value)
    }

    /// The table with the entry for `text` added or replaced (builder form of
    /// [`insert`](Self::insert)).
    #[must_use]
    pub fn with(mut self, text: &str, value: T) -> Self {
        self.insert(text, value);
        self
    }

    /// Removes the entry for `text`.
    pub fn remove(&mut self, text: &str) -> Option<T> {
        self.entries.remove(&normalize_key(text))
    }

    /// The value for `text`, if the table has one.
    pub fn get(&self, text: &str) -> Option<&T> {
        self.entries.get(&normalize_key(text))
    }

    /// Adds every entry of `other`; where both have an entry, `other`'s wins.
    pub fn extend(&mut self, other: Vocabulary<T>) {
        self.entries.extend(other.entries);
    }

    /// The entries, keys in their normalised form, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<S: AsRef<str>, T> FromIterator<(S, T)> for Vocabulary<T> {
    fn from_iter<I: IntoIterator<Item = (S, T)>>(iter: I) -> Self {
        let mut table = Self::new();
        for (text, value) in iter {
            table.insert(text.as_ref(), value);
        }
        table
    }
}

impl<T> From<BTreeMap<String, T>> for Vocabulary<T> {
    fn from(map: BTreeMap<String, T>) -> Self {
        map.into_iter().collect()
    }
}

impl<T> From<Vocabulary<T>> for BTreeMap<String, T> {
    fn from(table: Vocabulary<T>) -> Self {
        table.entries
    }
}

/// An ordered list of keywords, each with a value: the first keyword found in a text wins.
///
/// A keyword matches where it starts a word of the text (after [`normalize_key`] on both), so
/// `"declin"` finds `"DECLINED"` and `"call"` finds `"Call issuer"` but not `"recall"`.
/// Serialises as a list of `{keyword, value}` pairs, because order matters.
///
/// ```
/// use mapping::transform::vocab::KeywordTable;
/// let mut t = KeywordTable::new().with("insufficient", 1).with("decline", 2);
/// assert_eq!(t.find("    DECLINE - Insufficient funds"), Some(&1));
/// assert_eq!(t.find("DECLINED"), Some(&2));
/// t.extend(KeywordTable::new().with("funds", 3)); // the user's entries go first
/// assert_eq!(t.find("DECLINE - Insufficient funds"), Some(&3));
/// assert_eq!(t.find("approved"), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    from = "Vec<Keyword<T>>",
    into = "Vec<Keyword<T>>",
    bound(
        serialize = "T: Serialize + Clone",
        deserialize = "T: Deserialize<'de>"
    )
)]
pub struct KeywordTable<T> {
    entries: Vec<Keyword<T>>,
}

/// One entry of a [`KeywordTable`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keyword<T> {
    /// The keyword, matched at the start of a word, ignoring case, dots and extra spaces.
    pub keyword: String,
    /// The value it stands for.
    pub value: T,
}

impl<T> Default for KeywordTable<T> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<T> KeywordTable<T> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// The table with `keyword` added after the existing entries.
    #[must_use]
    pub fn with(mut self, keyword: &str, value: T) -> Self {
        self.push(keyword, value);
        self
    }

    /// Adds `keyword` after the existing entries (it wins only where none of them match).
    pub fn push(&mut self, keyword: &str, value: T) {
        let keyword = normalize_key(keyword);
        if !keyword.is_empty() {
            self.entries.push(Keyword { keyword, value });
        }
    }

    /// Puts `other`'s entries before ours, so they win.
    pub fn extend(&mut self, other: KeywordTable<T>) {
        let ours = std::mem::take(&mut self.entries);
        self.entries = other.entries;
        self.entries.extend(ours);
    }

    /// The value of the first keyword that starts a word of `text`.
    pub fn find(&self, text: &str) -> Option<&T> {
        let text = normalize_key(text);
        self.entries
            .iter()
            .find(|k| starts_a_word(&text, &k.keyword))
            .map(|k| &k.value)
    }

    /// The entries in match order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.entries.iter().map(|k| (k.keyword.as_str(), &k.value))
    }
}

/// Whether `needle` occurs in `haystack` where a word starts (at the beginning, or after a
/// character that is not a letter or digit).
fn starts_a_word(haystack: &str, needle: &str) -> bool {
    haystack.match_indices(needle).any(|(i, _)| {
        haystack[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
    })
}

impl<T> From<Vec<Keyword<T>>> for KeywordTable<T> {
    fn from(entries: Vec<Keyword<T>>) -> Self {
        let mut table = Self::new();
        for k in entries {
            table.push(&k.keyword, k.value);
        }
        table
    }
}

impl<T> From<KeywordTable<T>> for Vec<Keyword<T>> {
    fn from(table: KeywordTable<T>) -> Self {
        table.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_dots_and_spaces() {
        let cases = [
            ("Completed", "completed"),
            ("  Charged   Back ", "charged back"),
            ("U.S.A.", "usa"),
            ("Not a Mail/Phone Order", "not a mail/phone order"),
            ("MARÍA", "maría"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_key(input), want, "{input:?}");
        }
    }

    #[test]
    fn later_entries_win_and_lookups_normalise() {
        let mut t: Vocabulary<&str> = [("Approved", "a")].into_iter().collect();
        assert_eq!(t.insert("APPROVED", "b"), Some("a"));
        assert_eq!(t.len(), 1);
        t.extend(Vocabulary::new().with("approved", "c").with("Voided", "v"));
        assert_eq!(t.get("  approved"), Some(&"c"));
        assert_eq!(t.get("voided"), Some(&"v"));
        assert_eq!(t.remove("VOIDED"), Some("v"));
        assert_eq!(t.get("voided"), None);
        assert!(!t.is_empty());
        assert_eq!(t.iter().collect::<Vec<_>>(), vec![("approved", &"c")]);
    }

    #[test]
    fn deserialises_from_toml_and_json_maps() {
        let from_toml: Vocabulary<u32> = toml::from_str("\"Charged Back\" = 7\nPaid = 1").unwrap();
        assert_eq!(from_toml.get("charged back"), Some(&7));
        assert_eq!(from_toml.get("PAID"), Some(&1));
        let from_json: Vocabulary<u32> =
            serde_json::from_str(r#"{"U.S.": 1, "Great  Britain": 2}"#).unwrap();
        assert_eq!(from_json.get("us"), Some(&1));
        assert_eq!(from_json.get("great britain"), Some(&2));
        let back = serde_json::to_value(&from_json).unwrap();
        assert_eq!(back, serde_json::json!({"us": 1, "great britain": 2}));
    }

    #[test]
    fn keywords_match_at_word_starts_in_order() {
        let t = KeywordTable::new()
            .with("call", "call")
            .with("lost", "lost")
            .with("declin", "declined");
        assert_eq!(t.find("Call issuer"), Some(&"call"));
        assert_eq!(t.find("recall notice"), None);
        assert_eq!(t.find("almost"), None);
        assert_eq!(t.find("PICK UP - Lost card"), Some(&"lost"));
        assert_eq!(t.find("(declined)"), Some(&"declined"));
        assert_eq!(t.find(""), None);
        assert_eq!(KeywordTable::<u8>::new().with("  ", 1).iter().count(), 0);
    }

    #[test]
    fn keyword_tables_load_as_ordered_lists() {
        let t: KeywordTable<u8> = serde_json::from_value(serde_json::json!([
            {"keyword": "Do Not Honor", "value": 1},
            {"keyword": "do", "value": 2}
        ]))
        .unwrap();
        assert_eq!(t.find("DECLINE - Do not honor"), Some(&1));
        assert_eq!(t.find("do it"), Some(&2));
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(json[0]["keyword"], "do not honor");
    }
}
