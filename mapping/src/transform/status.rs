//! Payment statuses in the CRM and the ERP: [`StatusTable`] and [`StatusTables`].
//!
//! A [`StatusTable`] maps the canonical [`PaymentStatus`] to the value one system writes
//! (`to_external`), and the values that system may hold back to the canonical status
//! (`to_canonical`, which also lists aliases such as legacy picklist values). Both directions
//! are data: deserialise a user's TOML or JSON into a table and [`extend`](StatusTable::extend)
//! ours with it, or call [`with_override`](StatusTable::with_override).
//!
//! PayTrace's own codes and export statuses are in [`paytrace_status`](super::paytrace_status).
//!
//! ## Salesforce `Payment__c.Status__c` (default)
//!
//! | canonical | picklist value | also read |
//! |---|---|---|
//! | pending | `Pending` | |
//! | authorized | `Authorized` | |
//! | approved | `Completed` (the seed's word for a PayTrace approval) | `Approved`, `Captured` |
//! | declined | `Declined` | |
//! | settled | `Settled` | |
//! | partially_refunded | `Partially Refunded` | |
//! | refunded | `Refunded` | |
//! | voided | `Voided` | `Void` |
//! | failed | `Failed` | `Error` |
//! | charged_back | `Charged Back` | `Chargeback` |
//!
//! ## Dynamics 365 Finance & Operations (default)
//!
//! F&O has no payment-status field on the payment journal; the closest standard vocabulary for
//! a card payment is the call-center payment status enum `MCRCustPaymStatus` (values
//! `NotSubmitted`, `Authorized`, `Declined`, `Posted`, `Paid`; documented in the
//! Dynamics AX 2012 R3 reference and carried into F&O's call-center payments). It is coarser
//! than ours, so the table collapses some statuses and refuses others:
//!
//! | canonical | F&O value | read back as |
//! |---|---|---|
//! | pending | `NotSubmitted` | pending |
//! | authorized | `Authorized` | authorized |
//! | declined, failed | `Declined` | declined |
//! | approved | `Posted` | approved |
//! | settled, partially_refunded | `Paid` | settled |
//! | voided, refunded, charged_back | *none*: an error | |
//!
//! A voided, refunded or charged-back payment is not a status in the ERP but a reversing
//! journal line, so [`StatusTable::to_external`] refuses it with
//! [`TransformError::Unmapped`] instead of inventing a value. Business Central has no payment
//! status at all (a `customerPayments` line is either in a journal or posted), so there is no
//! BC table.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use canonical_model::PaymentStatus;
use serde::{Deserialize, Serialize};

use super::error::{Result, TransformError};
use super::vocab::Vocabulary;

/// Every canonical payment status, in lifecycle order (for tests and table checks).
pub const ALL_PAYMENT_STATUSES: [PaymentStatus; 10] = [
    PaymentStatus::Pending,
    PaymentStatus::Authorized,
    PaymentStatus::Approved,
    PaymentStatus::Declined,
    PaymentStatus::Settled,
    PaymentStatus::PartiallyRefunded,
    PaymentStatus::Refunded,
    PaymentStatus::Voided,
    PaymentStatus::Failed,
    PaymentStatus::ChargedBack,
];

/// One system's status vocabulary, both ways.
///
/// ```
/// use canonical_model::PaymentStatus;
/// use mapping::transform::status::StatusTable;
///
/// let sf = StatusTable::salesforce_payment();
/// assert_eq!(sf.to_external(PaymentStatus::Approved)?, "Completed");
/// assert_eq!(sf.to_canonical(" completed ")?, PaymentStatus::Approved);
/// assert_eq!(sf.to_canonical("Captured")?, PaymentStatus::Approved);
/// assert!(sf.to_canonical("Shipped").is_err());
///
/// // A user whose picklist says "Paid" instead of "Completed":
/// let mine = sf.with_override(PaymentStatus::Approved, "Paid");
/// assert_eq!(mine.to_external(PaymentStatus::Approved)?, "Paid");
/// assert_eq!(mine.to_canonical("Completed")?, PaymentStatus::Approved); // still read
/// # Ok::<(), mapping::transform::TransformError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct StatusTable {
    /// What the system calls this table, for error messages ("Salesforce payment status").
    pub system: String,
    /// The value written for each canonical status. A status without an entry cannot be
    /// written: [`to_external`](Self::to_external) refuses it.
    pub to_external: BTreeMap<PaymentStatus, String>,
    /// The canonical status for each value the system may hold, matched ignoring case, dots
    /// and extra spaces.
    pub to_canonical: Vocabulary<PaymentStatus>,
    /// Why statuses without a `to_external` entry have none (shown in the error).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unmapped_reason: Option<String>,
}

impl StatusTable {
    /// An empty table for `system`.
    pub fn new(system: impl Into<String>) -> Self {
        Self {
            system: system.into(),
            ..Self::default()
        }
    }

    /// The default Salesforce `Payment__c.Status__c` picklist (see the module docs).
    pub fn salesforce_payment() -> Self {
        use PaymentStatus::*;
        let mut table = Self::new("Salesforce payment status");
        for (status, value) in [
            (Pending, "Pending"),
            (Authorized, "Authorized"),
            (Approved, "Completed"),
            (Declined, "Declined"),
            (Settled, "Settled"),
            (PartiallyRefunded, "Partially Refunded"),
            (Refunded, "Refunded"),
            (Voided, "Voided"),
            (Failed, "Failed"),
            (ChargedBack, "Charged Back"),
        ] {
            table = table.with_mapping(status, value);
        }
        for (alias, status) in [
            ("Approved", Approved),
            ("Captured", Approved),
            ("Void", Voided),
            ("Error", Failed),
            ("Chargeback", ChargedBack),
        ] {
            table = table.with_alias(alias, status);
        }
        table
    }

    /// The default Dynamics 365 F&O table, from `MCRCustPaymStatus` (see the module docs).
    pub fn dynamics_fno_payment() -> Self {
        use PaymentStatus::*;
        let mut table = Self::new("Dynamics 365 F&O payment status");
        // Read-back entries first; the collapsing writes below must not replace them.
        for (value, status) in [
            ("NotSubmitted", Pending),
            ("Authorized", Authorized),
            ("Declined", Declined),
            ("Posted", Approved),
            ("Paid", Settled),
        ] {
            table = table.with_mapping(status, value);
        }
        table.to_external.insert(Failed, "Declined".into());
        table.to_external.insert(PartiallyRefunded, "Paid".into());
        table.unmapped_reason =
            Some("the ERP records it as a reversing journal line, not as a payment status".into());
        table
    }

    /// The table with `status` written as `value` and `value` read back as `status`.
    fn with_mapping(mut self, status: PaymentStatus, value: &str) -> Self {
        self.to_external.insert(status, value.to_owned());
        self.to_canonical.insert(value, status);
        self
    }

    /// The table with `status` now written as `value` (and `value` read back as `status`).
    /// The old value is still read back as `status`, so records written before the change
    /// keep decoding.
    #[must_use]
    pub fn with_override(self, status: PaymentStatus, value: &str) -> Self {
        self.with_mapping(status, value)
    }

    /// The table with `value` also read back as `status` (a legacy or alternative spelling);
    /// what is written does not change.
    #[must_use]
    pub fn with_alias(mut self, value: &str, status: PaymentStatus) -> Self {
        self.to_canonical.insert(value, status);
        self
    }

    /// Adds `other`'s entries; where both have one, `other`'s wins. `other`'s system name and
    /// unmapped reason replace ours when set.
    pub fn extend(&mut self, other: StatusTable) {
        self.to_external.extend(other.to_external);
        self.to_canonical.extend(other.to_canonical);
        if !other.system.is_empty() {
            self.system = other.system;
        }
        if other.unmapped_reason.is_some() {
            self.unmapped_reason = other.unmapped_reason;
        }
    }

    /// The value this system uses for `status`.
    ///
    /// # Errors
    /// [`TransformError::Unmapped`] when the table has no entry for `status`.
    pub fn to_external(&self, status: PaymentStatus) -> Result<&str> {
        self.to_external
            .get(&status)
            .map(String::as_str)
            .ok_or_else(|| {
                let reason = self.unmapped_reason.as_deref().unwrap_or(
                    "the table has no entry for it; add one with with_override or extend",
                );
                TransformError::unmapped(
                    "payment status",
                    status.as_str(),
                    format!("{} has no value for it: {reason}", self.label()),
                )
            })
    }

    /// The canonical status for a value this system holds.
    ///
    /// # Errors
    /// [`TransformError::Missing`] for a blank value, [`TransformError::Unknown`] for a value
    /// the table does not list (never a guessed default).
    pub fn to_canonical(&self, value: &str) -> Result<PaymentStatus> {
        if value.trim().is_empty() {
            return Err(TransformError::missing("payment status"));
        }
        self.to_canonical.get(value).copied().ok_or_else(|| {
            TransformError::unknown(
                "payment status",
                value,
                "not in the status table; add it with with_alias or extend",
            )
        })
    }

    fn label(&self) -> &str {
        if self.system.is_empty() {
            "the status table"
        } else {
            &self.system
        }
    }
}

/// The status tables of every system, as one configuration value.
///
/// `Default` holds ours. Deserialising fills any table the file leaves out with ours, so a
/// configuration file holds only what differs; merge it onto the defaults with
/// [`extend`](Self::extend):
///
/// ```
/// use canonical_model::PaymentStatus;
/// use mapping::transform::status::StatusTables;
///
/// let overrides: StatusTables = toml::from_str(r#"
///     [salesforce.to_external]
///     approved = "Paid"
///     [salesforce.to_canonical]
///     Paid = "approved"
/// "#).unwrap();
/// let mut tables = StatusTables::default();
/// tables.extend(overrides);
/// assert_eq!(tables.salesforce.to_external(PaymentStatus::Approved)?, "Paid");
/// assert_eq!(tables.salesforce.to_external(PaymentStatus::Voided)?, "Voided");
/// assert_eq!(tables.dynamics_fno.to_external(PaymentStatus::Approved)?, "Posted");
/// # Ok::<(), mapping::transform::TransformError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StatusTables {
    /// Salesforce `Payment__c.Status__c`.
    pub salesforce: StatusTable,
    /// Dynamics 365 Finance & Operations.
    pub dynamics_fno: StatusTable,
}

impl Default for StatusTables {
    fn default() -> Self {
        Self {
            salesforce: StatusTable::salesforce_payment(),
            dynamics_fno: StatusTable::dynamics_fno_payment(),
        }
    }
}

impl StatusTables {
    /// Adds `other`'s entries to each table; `other`'s win.
    pub fn extend(&mut self, other: StatusTables) {
        self.salesforce.extend(other.salesforce);
        self.dynamics_fno.extend(other.dynamics_fno);
    }
}

static SALESFORCE: LazyLock<StatusTable> = LazyLock::new(StatusTable::salesforce_payment);
static DYNAMICS_FNO: LazyLock<StatusTable> = LazyLock::new(StatusTable::dynamics_fno_payment);

/// The Salesforce `Payment__c.Status__c` value for `status`, from the default table.
///
/// # Errors
/// As [`StatusTable::to_external`].
pub fn status_to_salesforce(status: PaymentStatus) -> Result<String> {
    SALESFORCE.to_external(status).map(str::to_owned)
}

/// The canonical status for a Salesforce `Payment__c.Status__c` value, from the default table.
///
/// # Errors
/// As [`StatusTable::to_canonical`].
pub fn status_from_salesforce(value: &str) -> Result<PaymentStatus> {
    SALESFORCE.to_canonical(value)
}

/// The F&O payment status for `status`, from the default table.
///
/// # Errors
/// As [`StatusTable::to_external`]; voided, refunded and charged-back payments have none.
pub fn status_to_dynamics_fno(status: PaymentStatus) -> Result<String> {
    DYNAMICS_FNO.to_external(status).map(str::to_owned)
}

/// The canonical status for an F&O payment status, from the default table.
///
/// # Errors
/// As [`StatusTable::to_canonical`].
pub fn status_from_dynamics_fno(value: &str) -> Result<PaymentStatus> {
    DYNAMICS_FNO.to_canonical(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use PaymentStatus::*;

    #[test]
    fn salesforce_table_both_ways() {
        let cases = [
            (Pending, "Pending"),
            (Authorized, "Authorized"),
            (Approved, "Completed"),
            (Declined, "Declined"),
            (Settled, "Settled"),
            (PartiallyRefunded, "Partially Refunded"),
            (Refunded, "Refunded"),
            (Voided, "Voided"),
            (Failed, "Failed"),
            (ChargedBack, "Charged Back"),
        ];
        for (status, value) in cases {
            assert_eq!(status_to_salesforce(status).unwrap(), value);
            assert_eq!(status_from_salesforce(value).unwrap(), status, "{value}");
        }
        for (alias, status) in [
            ("APPROVED", Approved),
            ("captured", Approved),
            ("Void", Voided),
            ("Chargeback", ChargedBack),
            (" partially  refunded ", PartiallyRefunded),
        ] {
            assert_eq!(status_from_salesforce(alias).unwrap(), status, "{alias}");
        }
    }

    #[test]
    fn every_status_round_trips_through_salesforce() {
        let table = StatusTable::salesforce_payment();
        for status in ALL_PAYMENT_STATUSES {
            let value = table.to_external(status).unwrap();
            assert_eq!(table.to_canonical(value).unwrap(), status);
        }
    }

    #[test]
    fn unknown_values_are_errors_not_defaults() {
        let err = status_from_salesforce("Shipped").unwrap_err();
        assert!(matches!(err, TransformError::Unknown { .. }), "{err:?}");
        assert!(err.to_string().contains("\"Shipped\""), "{err}");
        assert_eq!(
            status_from_salesforce("  ").unwrap_err(),
            TransformError::missing("payment status")
        );
        let empty = StatusTable::new("Custom");
        let err = empty.to_external(Approved).unwrap_err();
        assert!(err.to_string().contains("Custom has no value"), "{err}");
    }

    #[test]
    fn dynamics_table_collapses_and_refuses() {
        let writes = [
            (Pending, "NotSubmitted"),
            (Authorized, "Authorized"),
            (Approved, "Posted"),
            (Declined, "Declined"),
            (Failed, "Declined"),
            (Settled, "Paid"),
            (PartiallyRefunded, "Paid"),
        ];
        for (status, value) in writes {
            assert_eq!(status_to_dynamics_fno(status).unwrap(), value, "{status}");
        }
        for status in [Voided, Refunded, ChargedBack] {
            let err = status_to_dynamics_fno(status).unwrap_err();
            assert!(matches!(err, TransformError::Unmapped { .. }));
            assert!(err.to_string().contains("reversing journal line"), "{err}");
        }
        let reads = [
            ("NotSubmitted", Pending),
            ("Authorized", Authorized),
            ("Declined", Declined),
            ("Posted", Approved),
            ("Paid", Settled),
        ];
        for (value, status) in reads {
            assert_eq!(status_from_dynamics_fno(value).unwrap(), status, "{value}");
        }
    }

    #[test]
    fn overrides_keep_old_values_readable() {
        let t = StatusTable::salesforce_payment()
            .with_override(Approved, "Paid")
            .with_alias("Cancelled", Voided);
        assert_eq!(t.to_external(Approved).unwrap(), "Paid");
        assert_eq!(t.to_canonical("paid").unwrap(), Approved);
        assert_eq!(t.to_canonical("Completed").unwrap(), Approved);
        assert_eq!(t.to_canonical("Cancelled").unwrap(), Voided);
        assert_eq!(t.to_external(Voided).unwrap(), "Voided");
    }

    #[test]
    fn tables_load_from_json_and_merge_onto_defaults() {
        let user: StatusTable = serde_json::from_value(serde_json::json!({
            "to_external": {"voided": "Cancelled"},
            "to_canonical": {"Cancelled": "voided", "On Hold": "pending"}
        }))
        .unwrap();
        let mut t = StatusTable::salesforce_payment();
        t.extend(user);
        assert_eq!(t.to_external(Voided).unwrap(), "Cancelled");
        assert_eq!(t.to_canonical("on hold").unwrap(), Pending);
        assert_eq!(t.to_external(Approved).unwrap(), "Completed");
        assert_eq!(t.system, "Salesforce payment status");

        let all: StatusTables = toml::from_str("").unwrap();
        assert_eq!(all, StatusTables::default());
        let json = serde_json::to_value(StatusTable::salesforce_payment()).unwrap();
        assert_eq!(json["to_external"]["approved"], "Completed");
        let back: StatusTable = serde_json::from_value(json).unwrap();
        assert_eq!(back, StatusTable::salesforce_payment());
    }
}
