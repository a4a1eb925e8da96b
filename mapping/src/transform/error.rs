//! The one error type of the transforms.
//!
//! Every variant names the value that was refused and why, so a dead-letter record says what to
//! fix. Refused values are passed through [`safe_excerpt`] before they are stored: a value with
//! more than 8 digits (it could be a card number) keeps only its last four digits, and a long
//! value is cut short, so neither `Display` nor `Debug` can leak a card number into a log.

use canonical_model::ModelError;

/// Why a transform refused its input.
///
/// None of these is retryable: the same input gives the same answer. Fix the data, or extend
/// the vocabulary table that did not know the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransformError {
    /// A value that the vocabulary table does not list (a status, a code, a country name).
    #[error("unknown {what} {value:?}: {hint}")]
    Unknown {
        /// What kind of value it is ("Salesforce payment status", "country").
        what: &'static str,
        /// The value, masked by [`safe_excerpt`].
        value: String,
        /// What the caller can do about it.
        hint: &'static str,
    },
    /// A known value that the target vocabulary cannot express (e.g. a voided payment in an
    /// ERP status list that has no "voided").
    #[error("{what} {value:?} has no equivalent: {reason}")]
    Unmapped {
        /// What kind of value it is.
        what: &'static str,
        /// The value, masked by [`safe_excerpt`].
        value: String,
        /// Why there is no equivalent, and what to do instead.
        reason: String,
    },
    /// A value that does not have the required format.
    #[error("invalid {what} {value:?}: {reason}")]
    Invalid {
        /// What kind of value it is ("US ZIP code", "amount").
        what: &'static str,
        /// The value, masked by [`safe_excerpt`].
        value: String,
        /// What was expected.
        reason: String,
    },
    /// A required value is absent or blank.
    #[error("{what} is missing")]
    Missing {
        /// What is missing ("person name", "BillingCountry").
        what: &'static str,
    },
    /// The canonical model refused the converted value.
    #[error(transparent)]
    Model(#[from] ModelError),
}

impl TransformError {
    /// An [`Unknown`](Self::Unknown) error; `value` is masked.
    pub fn unknown(what: &'static str, value: &str, hint: &'static str) -> Self {
        Self::Unknown {
            what,
            value: safe_excerpt(value),
            hint,
        }
    }

    /// An [`Unmapped`](Self::Unmapped) error; `value` is masked.
    pub fn unmapped(what: &'static str, value: &str, reason: impl Into<String>) -> Self {
        Self::Unmapped {
            what,
            value: safe_excerpt(value),
            reason: reason.into(),
        }
    }

    /// An [`Invalid`](Self::Invalid) error; `value` is masked.
    pub fn invalid(what: &'static str, value: &str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            what,
            value: safe_excerpt(value),
            reason: reason.into(),
        }
    }

    /// A [`Missing`](Self::Missing) error.
    pub fn missing(what: &'static str) -> Self {
        Self::Missing { what }
    }
}

/// Shorthand for results of the transforms.
pub type Result<T, E = TransformError> = std::result::Result<T, E>;

/// The longest excerpt of a refused value kept in an error, in characters.
const MAX_EXCERPT_CHARS: usize = 64;
/// More digits than this and a value might be a card number.
const MAX_CLEAR_DIGITS: usize = 8;

/// A copy of `value` that is safe to put in an error message or a log.
///
/// - More than 8 ASCII digits in all (a card number, even with spaces or dashes in it): every
///   digit but the last four becomes `*` — `"4111 1111 1111 1111"` → `"**** **** **** 1111"`.
/// - Longer than 64 characters: cut to 64, with `…` appended.
///
/// ```
/// use mapping::transform::error::safe_excerpt;
/// assert_eq!(safe_excerpt("4111111111111111"), "************1111");
/// assert_eq!(safe_excerpt("98101"), "98101");
/// ```
pub fn safe_excerpt(value: &str) -> String {
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let masked: String = if digits > MAX_CLEAR_DIGITS {
        let mut seen = 0;
        value
            .chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    seen += 1;
                    if seen <= digits - 4 { '*' } else { c }
                } else {
                    c
                }
            })
            .collect()
    } else {
        value.to_owned()
    };
    if masked.chars().count() > MAX_EXCERPT_CHARS {
        let mut cut: String = masked.chars().take(MAX_EXCERPT_CHARS).collect();
        cut.push('…');
        cut
    } else {
        masked
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn excerpts_mask_card_numbers_and_cut_long_values() {
        let cases = [
            ("4111111111111111", "************1111"),
            ("4111 1111 1111 1111", "**** **** **** 1111"),
            ("card 5454-5454-5454-5454 x", "card ****-****-****-5454 x"),
            ("981011234", "*****1234"),
            ("98101-123", "98101-123"),
            ("Completed", "Completed"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(safe_excerpt(input), want, "{input:?}");
        }
        let long = "x".repeat(100);
        assert_eq!(safe_excerpt(&long).chars().count(), MAX_EXCERPT_CHARS + 1);
        assert!(safe_excerpt(&long).ends_with('…'));
    }

    #[test]
    fn errors_never_echo_a_card_number() {
        let errors = [
            TransformError::unknown("status", "4111111111111111", "extend the table"),
            TransformError::invalid("amount", "4111111111111111", "not a decimal"),
            TransformError::unmapped("status", "4111111111111111", "no value"),
        ];
        for e in errors {
            assert!(!e.to_string().contains("41111111"), "{e}");
            assert!(!format!("{e:?}").contains("41111111"), "{e:?}");
            assert!(e.to_string().contains("1111"), "{e}");
        }
    }

    #[test]
    fn messages_say_what_and_why() {
        let e = TransformError::invalid("US ZIP code", "9810", "expected 5 or 9 digits");
        assert_eq!(
            e.to_string(),
            "invalid US ZIP code \"9810\": expected 5 or 9 digits"
        );
        assert_eq!(
            TransformError::missing("person name").to_string(),
            "person name is missing"
        );
    }

    proptest! {
        #[test]
        fn no_run_of_more_than_eight_digits_survives(s in "[0-9 -]{0,40}") {
            let out = safe_excerpt(&s);
            let digits = out.chars().filter(char::is_ascii_digit).count();
            prop_assert!(digits <= MAX_CLEAR_DIGITS);
        }
    }
}
