//! Deterministic idempotency keys derived from business identifiers.
//!
//! The same business event must always produce the same key, so that a resend after a
//! crash, a replayed queue message or a second run of a flow is recognised as a duplicate
//! (by the API's idempotency-key header, by an upsert on an external-id field, or by our own
//! idempotency ledger) instead of doing the work twice.
//!
//! A key is `<namespace>-<hash>`:
//!
//! - the **namespace** says what kind of event it is (`pt-sale`, `sf-payment`); it is a
//!   readable label, at most [`IdempotencyKey::MAX_NAMESPACE_LEN`] characters are shown;
//! - the **hash** is the first 128 bits of SHA-256, as 32 lowercase hex digits, over an
//!   unambiguous encoding of the full namespace and the business identifiers (each part
//!   length-prefixed, so `("ab", "c")` and `("a", "bc")` differ).
//!
//! Keys are at most [`IdempotencyKey::MAX_LEN`] = 50 characters, because PayTrace
//! idempotency keys and many external-id fields cap at 50, and use only ASCII letters,
//! digits, `-`, `_` and `.`: safe in URLs, headers, CSV and file names without escaping.
//!
//! A *deliberate new attempt* at the same business event (dunning retry #2 of an invoice)
//! must not be deduplicated against the first, so it gets its own key from
//! [`IdempotencyKey::derive_attempt`].
//!
//! # Example
//!
//! ```
//! use mapping::idempotency::IdempotencyKey;
//!
//! let key = IdempotencyKey::derive("pt-sale", &["INV-1001", "2025-06"]);
//! assert_eq!(key, IdempotencyKey::derive("pt-sale", &["INV-1001", "2025-06"]));
//! assert!(key.as_str().starts_with("pt-sale-"));
//! assert_eq!(key.as_str().len(), "pt-sale-".len() + 32);
//!
//! // The first attempt is the plain key; a deliberate second attempt gets a new one.
//! let first = IdempotencyKey::derive_attempt("pt-sale", &["INV-1001", "2025-06"], 1);
//! let second = IdempotencyKey::derive_attempt("pt-sale", &["INV-1001", "2025-06"], 2);
//! assert_eq!(first, key);
//! assert_ne!(second, key);
//! ```
//!
//! # Collision odds
//!
//! Within one namespace, two different events share a key only if their 128-bit hashes
//! collide: for `n` keys the chance is about `n² / 2¹²⁹` — about 1.5 × 10⁻²¹ for a billion
//! keys, 1.5 × 10⁻¹⁵ for a trillion. Keys of different namespaces cannot be confused even
//! when their shown labels are cut to the same prefix, since the hash covers the full
//! namespace.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A stable idempotency key: `<namespace>-<32 hex digits>`, at most 50 characters.
///
/// Serialises as a plain string; deserialising (and [`FromStr`], [`TryFrom<String>`])
/// checks the length and character set, so a key read back from storage is as safe to use
/// as a derived one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdempotencyKey(String);

/// Tags the hash input, so these hashes can never equal a SHA-256 computed elsewhere over
/// the same bytes, and the encoding can change later (v2) without reusing old keys.
const DOMAIN: &[u8] = b"tributary.idempotency.v1\0";

impl IdempotencyKey {
    /// The longest key: 50 characters.
    pub const MAX_LEN: usize = 50;

    /// Hex digits of hash in every key: 32 (128 bits).
    pub const HASH_LEN: usize = 32;

    /// Characters of the namespace shown in the key: 17, so that
    /// namespace + `-` + hash fits [`MAX_LEN`](Self::MAX_LEN).
    pub const MAX_NAMESPACE_LEN: usize = Self::MAX_LEN - 1 - Self::HASH_LEN;

    /// The key of the business event identified by `parts` (invoice number, period,
    /// customer id, …) in `namespace`.
    ///
    /// Never fails: the namespace is shown as a label, with any character other than ASCII
    /// letters, digits, `-`, `_` and `.` replaced by `_`, cut to
    /// [`MAX_NAMESPACE_LEN`](Self::MAX_NAMESPACE_LEN) characters; an empty namespace shows no
    /// label (the key is just the hash). The hash always covers the namespace as given.
    /// Prefer short lowercase namespace constants such as `"pt-sale"`.
    pub fn derive(namespace: &str, parts: &[&str]) -> Self {
        Self::from_digest(namespace, hash(namespace, parts, None))
    }

    /// The key of deliberate attempt number `attempt` (1-based) at the business event:
    /// attempt 1 (and 0) is the same as [`derive`](Self::derive), each later attempt has a
    /// key of its own.
    ///
    /// Use it when the business itself tries again, e.g. the second dunning charge of an
    /// unpaid invoice, which must not be mistaken for a duplicate of the first.
    pub fn derive_attempt(namespace: &str, parts: &[&str], attempt: u32) -> Self {
        let attempt = (attempt > 1).then_some(attempt);
        Self::from_digest(namespace, hash(namespace, parts, attempt))
    }

    /// The key as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }

    fn from_digest(namespace: &str, digest: [u8; 32]) -> Self {
        let mut key = String::with_capacity(Self::MAX_LEN);
        key.extend(
            namespace
                .chars()
                .take(Self::MAX_NAMESPACE_LEN)
                .map(|c| if is_key_char(c) { c } else { '_' }),
        );
        if !key.is_empty() {
            key.push('-');
        }
        for byte in &digest[..Self::HASH_LEN / 2] {
            key.push(hex_digit(byte >> 4));
            key.push(hex_digit(byte & 0x0f));
        }
        IdempotencyKey(key)
    }
}

/// SHA-256 over an encoding that maps each `(namespace, parts, attempt)` to distinct bytes:
/// every string is preceded by its byte length and the parts by their count, so no two
/// inputs can be read from the same bytes; the attempt, if any, follows the last part,
/// where a key without an attempt ends.
fn hash(namespace: &str, parts: &[&str], attempt: Option<u32>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN);
    update_with_str(&mut hasher, namespace);
    hasher.update(len_prefix(parts.len()));
    for part in parts {
        update_with_str(&mut hasher, part);
    }
    if let Some(attempt) = attempt {
        hasher.update(attempt.to_be_bytes());
    }
    hasher.finalize().into()
}

fn update_with_str(hasher: &mut Sha256, s: &str) {
    hasher.update(len_prefix(s.len()));
    hasher.update(s.as_bytes());
}

fn len_prefix(len: usize) -> [u8; 8] {
    // usize fits u64 on every platform Rust supports; saturate rather than panic anyway.
    u64::try_from(len).unwrap_or(u64::MAX).to_be_bytes()
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(nibble & 0x0f)])
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// Why a string is not a valid [`IdempotencyKey`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidIdempotencyKey {
    /// The key is empty or longer than [`IdempotencyKey::MAX_LEN`].
    #[error("an idempotency key must be 1 to 50 characters long, this one has {len}")]
    Length {
        /// The key's length in bytes.
        len: usize,
    },
    /// The key holds a character other than ASCII letters, digits, `-`, `_` and `.`.
    #[error("an idempotency key may only hold ASCII letters, digits, '-', '_' and '.'")]
    Character,
}

impl TryFrom<String> for IdempotencyKey {
    type Error = InvalidIdempotencyKey;

    fn try_from(key: String) -> Result<Self, Self::Error> {
        if key.is_empty() || key.len() > Self::MAX_LEN {
            return Err(InvalidIdempotencyKey::Length { len: key.len() });
        }
        if !key.chars().all(is_key_char) {
            return Err(InvalidIdempotencyKey::Character);
        }
        Ok(IdempotencyKey(key))
    }
}

impl FromStr for IdempotencyKey {
    type Err = InvalidIdempotencyKey;

    fn from_str(key: &str) -> Result<Self, Self::Err> {
        IdempotencyKey::try_from(key.to_owned())
    }
}

impl From<IdempotencyKey> for String {
    fn from(key: IdempotencyKey) -> String {
        key.0
    }
}

impl AsRef<str> for IdempotencyKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(namespace: &str, parts: &[&str]) -> String {
        IdempotencyKey::derive(namespace, parts).into_string()
    }

    /// Exact values, computed independently (Python's hashlib over the documented
    /// encoding). Keys are persisted and sent to APIs: if one of these changes, every
    /// stored key stops matching, so a change here must be a deliberate new version.
    #[test]
    fn known_values() {
        let cases: &[(&str, &[&str], u32, &str)] = &[
            (
                "pt-sale",
                &["INV-1001", "2025-06"],
                1,
                "pt-sale-bac5b8ebd062fc9fc7815f3dc80e3de0",
            ),
            (
                "pt-sale",
                &["INV-1001", "2025-06"],
                2,
                "pt-sale-2a9a2291cbbc8dd8f21dcdd83df284c6",
            ),
            (
                "sf-payment",
                &["a0B5g00000XyZ"],
                1,
                "sf-payment-d5d78e81c3738dddef33c9464f9cf5f8",
            ),
            ("", &["x"], 1, "98b0ab48163d60d02f6e3a6b17ae68a5"),
            ("ns", &[], 1, "ns-1abdc6ec20fcff223faa2d898be3e0d4"),
            (
                "a namespace/that is far too long",
                &["1"],
                1,
                "a_namespace_that_-f9e691f50d92b9d8e2bd51fb39dd697d",
            ),
        ];
        for (namespace, parts, attempt, expected) in cases {
            assert_eq!(
                IdempotencyKey::derive_attempt(namespace, parts, *attempt).as_str(),
                *expected,
                "{namespace:?} {parts:?} #{attempt}"
            );
        }
    }

    #[test]
    fn length_prefixing_keeps_ambiguous_splits_apart() {
        let distinct: &[(&str, &[&str])] = &[
            ("n", &["ab", "c"]),
            ("n", &["a", "bc"]),
            ("n", &["abc"]),
            ("n", &["a", "b", "c"]),
            ("n", &[]),
            ("n", &[""]),
            ("n", &["", ""]),
            ("na", &[]),
            ("", &["n"]),
            ("n", &["a\u{0}b"]),
            ("n", &["a", "b"]),
            ("N", &["ab", "c"]),
        ];
        let keys: std::collections::HashSet<String> =
            distinct.iter().map(|(n, p)| key(n, p)).collect();
        assert_eq!(keys.len(), distinct.len());
    }

    #[test]
    fn attempts_one_and_zero_are_the_plain_key_and_later_attempts_differ() {
        let parts = ["INV-7", "2025-06"];
        let plain = IdempotencyKey::derive("dunning", &parts);
        assert_eq!(IdempotencyKey::derive_attempt("dunning", &parts, 0), plain);
        assert_eq!(IdempotencyKey::derive_attempt("dunning", &parts, 1), plain);
        let later: std::collections::HashSet<_> = (2..50)
            .chain([u32::MAX])
            .map(|n| IdempotencyKey::derive_attempt("dunning", &parts, n))
            .collect();
        assert_eq!(later.len(), 49);
        assert!(!later.contains(&plain));
    }

    #[test]
    fn namespace_labels_that_look_alike_still_give_different_keys() {
        let a = key("pay/trace", &["1"]);
        let b = key("pay_trace", &["1"]);
        assert!(a.starts_with("pay_trace-") && b.starts_with("pay_trace-"));
        assert_ne!(a, b);
        let long_a = key("a-very-long-namespace-one", &["1"]);
        let long_b = key("a-very-long-namespace-two", &["1"]);
        assert_eq!(long_a[..18], long_b[..18]);
        assert_ne!(long_a, long_b);
        assert_eq!(long_a.len(), IdempotencyKey::MAX_LEN);
    }

    #[test]
    fn parsing_validates() {
        let derived = IdempotencyKey::derive("pt-sale", &["INV-1"]);
        assert_eq!(
            derived.as_str().parse::<IdempotencyKey>(),
            Ok(derived.clone())
        );
        assert_eq!(
            "my_key.v1".parse::<IdempotencyKey>().unwrap().as_str(),
            "my_key.v1"
        );
        assert_eq!(
            "".parse::<IdempotencyKey>(),
            Err(InvalidIdempotencyKey::Length { len: 0 })
        );
        assert_eq!(
            "x".repeat(51).parse::<IdempotencyKey>(),
            Err(InvalidIdempotencyKey::Length { len: 51 })
        );
        assert!("x".repeat(50).parse::<IdempotencyKey>().is_ok());
        for bad in ["a,b", "a b", "a\"b", "a/b", "a?b", "é", "a\nb", "a+b"] {
            assert_eq!(
                bad.parse::<IdempotencyKey>(),
                Err(InvalidIdempotencyKey::Character),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn serde_is_a_plain_validated_string() {
        let key = IdempotencyKey::derive("sf-payment", &["42"]);
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(json, format!("\"{key}\""));
        assert_eq!(serde_json::from_str::<IdempotencyKey>(&json).unwrap(), key);
        assert!(serde_json::from_str::<IdempotencyKey>("\"a,b\"").is_err());
        assert!(serde_json::from_str::<IdempotencyKey>("\"\"").is_err());
    }

    #[test]
    fn display_as_str_and_as_ref_agree() {
        let key = IdempotencyKey::derive("ns", &["1"]);
        assert_eq!(key.to_string(), key.as_str());
        assert_eq!(AsRef::<str>::as_ref(&key), key.as_str());
        assert_eq!(String::from(key.clone()), key.into_string());
    }

    fn parts_strategy() -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec(".{0,12}", 0..5)
    }

    fn as_strs(parts: &[String]) -> Vec<&str> {
        parts.iter().map(String::as_str).collect()
    }

    proptest! {
        #[test]
        fn stable_bounded_and_safe(namespace in ".{0,40}", parts in parts_strategy(), attempt in any::<u32>()) {
            let parts = as_strs(&parts);
            let a = IdempotencyKey::derive_attempt(&namespace, &parts, attempt);
            let b = IdempotencyKey::derive_attempt(&namespace, &parts, attempt);
            prop_assert_eq!(&a, &b);
            let s = a.as_str();
            prop_assert!(s.len() <= IdempotencyKey::MAX_LEN);
            prop_assert!(s.len() >= IdempotencyKey::HASH_LEN);
            prop_assert!(s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)), "{}", s);
            // Every derived key passes its own validation.
            prop_assert_eq!(s.parse::<IdempotencyKey>(), Ok(a.clone()));
        }

        #[test]
        fn distinct_inputs_give_distinct_keys(
            ns_a in "[a-z-]{0,20}", parts_a in parts_strategy(),
            ns_b in "[a-z-]{0,20}", parts_b in parts_strategy(),
        ) {
            prop_assume!((&ns_a, &parts_a) != (&ns_b, &parts_b));
            prop_assert_ne!(
                IdempotencyKey::derive(&ns_a, &as_strs(&parts_a)),
                IdempotencyKey::derive(&ns_b, &as_strs(&parts_b))
            );
        }

        #[test]
        fn moving_a_boundary_between_parts_changes_the_key(s in ".{2,20}", cut in 1usize..19) {
            let boundaries: Vec<usize> = s.char_indices().map(|(i, _)| i).skip(1).collect();
            prop_assume!(!boundaries.is_empty());
            let at = boundaries[cut % boundaries.len()];
            let (left, right) = s.split_at(at);
            prop_assert_ne!(
                IdempotencyKey::derive("n", &[left, right]),
                IdempotencyKey::derive("n", &[&s])
            );
        }

        #[test]
        fn each_later_attempt_has_its_own_key(parts in parts_strategy(), a in 2u32.., b in 2u32..) {
            prop_assume!(a != b);
            let parts = as_strs(&parts);
            let plain = IdempotencyKey::derive("ns", &parts);
            let key_a = IdempotencyKey::derive_attempt("ns", &parts, a);
            let key_b = IdempotencyKey::derive_attempt("ns", &parts, b);
            prop_assert_ne!(&key_a, &plain);
            prop_assert_ne!(&key_a, &key_b);
        }
    }
}
