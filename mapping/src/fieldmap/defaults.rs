//! The specs Tributary ships (`mapping/specs/*.toml`), compiled into the crate.
//!
//! Each `…()` function loads one with [`TransformRegistry::standard`]; the `…_TOML` constants
//! hold the text, to copy and edit, or to load with a registry holding your own transforms.
//!
//! | function | maps | context |
//! |---|---|---|
//! | [`paytrace_to_salesforce`] | PayTrace transaction export record → Salesforce `Payment__c` | `account_id`, `opportunity_id`, `order_id` (optional) |
//! | [`paytrace_to_fno_payment_journal`] | PayTrace export record → F&O `CustomerPaymentJournalLines` | `data_area_id`, `journal_batch_number`, `customer_account`, `bank_account`; `card_payment_method` (`"CARD"`), `ach_payment_method` (`"ACH"`) |
//! | [`paytrace_to_bc_customer_payment`] | PayTrace export record → Business Central `customerPayments` | `customer_number`; `document_number` (optional), `amount_sign` (`"negative"`) |
//! | [`canonical_payment_to_salesforce`] | canonical `Payment` JSON → Salesforce `Payment__c` | `account_id`, `opportunity_id`, `order_id` (optional) |
//!
//! ```
//! use mapping::fieldmap::{Context, defaults};
//! use serde_json::json;
//!
//! let spec = defaults::paytrace_to_salesforce()?;
//! let row = json!({
//!     "transaction_id": 123456789, "transaction_type": "SALE", "amount": 19.99,
//!     "status_code": "Y", "status_message": "Pending Settlement",
//!     "created": {"at": "4/10/2015 4:06:30 PM"},
//!     "credit_card": {"masked_number": "************5454"}
//! });
//! let payment = spec.apply(&row, &Context::new().with("account_id", "001A"))?;
//! assert_eq!(payment["Status__c"], "Completed");
//! assert_eq!(payment["TransactionDate__c"], "2015-04-10T23:06:30.000+0000");
//! # Ok::<(), mapping::fieldmap::FieldMapError>(())
//! ```

use super::error::FieldMapError;
use super::registry::TransformRegistry;
use super::spec::Spec;

/// The text of `specs/paytrace_to_salesforce.toml`.
pub const PAYTRACE_TO_SALESFORCE_TOML: &str =
    include_str!("../../specs/paytrace_to_salesforce.toml");

/// The text of `specs/paytrace_to_fno_payment_journal.toml`.
pub const PAYTRACE_TO_FNO_PAYMENT_JOURNAL_TOML: &str =
    include_str!("../../specs/paytrace_to_fno_payment_journal.toml");

/// The text of `specs/paytrace_to_bc_customer_payment.toml`.
pub const PAYTRACE_TO_BC_CUSTOMER_PAYMENT_TOML: &str =
    include_str!("../../specs/paytrace_to_bc_customer_payment.toml");

/// The text of `specs/canonical_payment_to_salesforce.toml`.
pub const CANONICAL_PAYMENT_TO_SALESFORCE_TOML: &str =
    include_str!("../../specs/canonical_payment_to_salesforce.toml");

/// Every shipped spec as `(file name, text)`.
pub const ALL: [(&str, &str); 4] = [
    ("paytrace_to_salesforce.toml", PAYTRACE_TO_SALESFORCE_TOML),
    (
        "paytrace_to_fno_payment_journal.toml",
        PAYTRACE_TO_FNO_PAYMENT_JOURNAL_TOML,
    ),
    (
        "paytrace_to_bc_customer_payment.toml",
        PAYTRACE_TO_BC_CUSTOMER_PAYMENT_TOML,
    ),
    (
        "canonical_payment_to_salesforce.toml",
        CANONICAL_PAYMENT_TO_SALESFORCE_TOML,
    ),
];

fn load(text: &str) -> Result<Spec, FieldMapError> {
    Spec::from_toml_str(text, &TransformRegistry::standard())
}

/// PayTrace transaction export record → Salesforce `Payment__c`.
///
/// # Errors
/// None for the shipped text; the `Result` is the loader's.
pub fn paytrace_to_salesforce() -> Result<Spec, FieldMapError> {
    load(PAYTRACE_TO_SALESFORCE_TOML)
}

/// PayTrace transaction export record → F&O `CustomerPaymentJournalLines`.
///
/// # Errors
/// None for the shipped text; the `Result` is the loader's.
pub fn paytrace_to_fno_payment_journal() -> Result<Spec, FieldMapError> {
    load(PAYTRACE_TO_FNO_PAYMENT_JOURNAL_TOML)
}

/// PayTrace transaction export record → Business Central `customerPayments`.
///
/// # Errors
/// None for the shipped text; the `Result` is the loader's.
pub fn paytrace_to_bc_customer_payment() -> Result<Spec, FieldMapError> {
    load(PAYTRACE_TO_BC_CUSTOMER_PAYMENT_TOML)
}

/// Canonical `Payment` JSON → Salesforce `Payment__c`.
///
/// # Errors
/// None for the shipped text; the `Result` is the loader's.
pub fn canonical_payment_to_salesforce() -> Result<Spec, FieldMapError> {
    load(CANONICAL_PAYMENT_TO_SALESFORCE_TOML)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_spec_loads() {
        for (file, text) in ALL {
            let spec = load(text).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert!(spec.rules().count() > 5, "{file}");
            assert!(spec.name().is_some(), "{file}");
        }
    }
}
