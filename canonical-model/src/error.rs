//! The one error type of the canonical model.

use iso_currency::Currency;

/// What went wrong when building or combining canonical values.
///
/// None of these is retryable: each one means the input itself is wrong, so retrying the same
/// input gives the same answer. Fix the data (or the mapping that produced it) instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// Two amounts in different currencies were combined.
    #[error("cannot combine {left} with {right}: convert one currency first")]
    CurrencyMismatch {
        /// Currency of the left operand.
        left: Currency,
        /// Currency of the right operand.
        right: Currency,
    },
    /// An arithmetic result does not fit in a `Decimal` or an `i64` of minor units.
    #[error("amount overflow while computing {operation}")]
    Overflow {
        /// The operation that overflowed (e.g. "add", "to_minor_units").
        operation: &'static str,
    },
    /// The currency has no minor unit in ISO 4217 (precious metals, testing codes, …).
    #[error("{0:?} has no ISO 4217 minor unit: it cannot be expressed in minor units")]
    NoMinorUnit(Currency),
    /// A split or allocation was asked for zero parts or zero total weight.
    #[error("cannot split money into {parts} parts with total weight {total_weight}")]
    InvalidSplit {
        /// Number of parts requested.
        parts: usize,
        /// Sum of the weights.
        total_weight: u64,
    },
    /// A value does not have the format its type requires.
    #[error("invalid {field}: {reason}")]
    InvalidValue {
        /// The field or type being built (e.g. "country code", "last four").
        field: &'static str,
        /// Why the value was refused; never contains card data.
        reason: String,
    },
    /// A journal entry's debits and credits differ.
    #[error("journal entry is unbalanced: debits {debits} ≠ credits {credits}")]
    Unbalanced {
        /// Sum of the debit lines.
        debits: String,
        /// Sum of the credit lines.
        credits: String,
    },
    /// A payment against an invoice exceeds what is still due.
    #[error("payment of {payment} exceeds the {due} still due on invoice {invoice}")]
    Overpayment {
        /// Invoice number.
        invoice: String,
        /// The payment amount.
        payment: String,
        /// The amount still due before the payment.
        due: String,
    },
    /// A status change that the lifecycle does not allow.
    #[error("a {entity} cannot go from {from} to {to}")]
    InvalidTransition {
        /// What changes status ("payment", "subscription").
        entity: &'static str,
        /// Current status.
        from: String,
        /// Requested status.
        to: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = ModelError> = std::result::Result<T, E>;

impl ModelError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidValue {
            field,
            reason: reason.into(),
        }
    }
}
