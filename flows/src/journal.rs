//! The general-journal entries use cases 5, 7 and 8 write to the ERP: a subscription charge,
//! a refund or void credit, a chargeback reversal. Each is two balanced lines on accounts the
//! caller chooses ([`LedgerAccount`]), with a reference short enough for both ERPs.
//!
//! The ERP facade finds an entry again by its reference before writing it
//! ([`Erp::create_journal_entry`](dynamics365_client::erp::Erp::create_journal_entry)), so a
//! rerun never books it twice; the flows' ledger is the first line of defence.
//!
//! ```
//! use canonical_model::{Currency, Money};
//! use chrono::NaiveDate;
//! use flows::journal::{LedgerAccount, two_line_entry, reference};
//! use rust_decimal::Decimal;
//!
//! let day = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
//! let amount = Money::new(Decimal::new(4_900, 2), Currency::USD);
//! let entry = two_line_entry(
//!     reference("CB", "CASE-2026-000417"),
//!     day,
//!     amount,
//!     &LedgerAccount::ledger("618500"),
//!     &LedgerAccount::bank("USMF OPER"),
//!     "Chargeback CASE-2026-000417",
//! );
//! assert_eq!(entry.reference, "CB-CASE-2026-000417");
//! entry.validate()?;
//! # Ok::<(), canonical_model::ModelError>(())
//! ```

use canonical_model::{AccountKind, JournalEntry, Money};
use chrono::NaiveDate;
use mapping::idempotency::IdempotencyKey;
use serde::{Deserialize, Serialize};

/// The longest reference both ERPs keep whole: Business Central's `documentNumber` is a
/// `Code[20]`.
pub const MAX_REFERENCE_LEN: usize = 20;

/// An account a journal line posts to: its kind and its number as the ERP displays it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerAccount {
    /// Ledger, bank, customer or vendor account.
    pub kind: AccountKind,
    /// The account (F&O `AccountDisplayValue`, BC account number).
    pub account: String,
}

impl LedgerAccount {
    /// A general-ledger (main) account.
    pub fn ledger(account: impl Into<String>) -> Self {
        LedgerAccount {
            kind: AccountKind::Ledger,
            account: account.into(),
        }
    }

    /// A bank account.
    pub fn bank(account: impl Into<String>) -> Self {
        LedgerAccount {
            kind: AccountKind::Bank,
            account: account.into(),
        }
    }
}

/// A balanced entry: `amount` debited to `debit` and credited to `credit` on `date`, with
/// `description` on the entry and both lines.
pub fn two_line_entry(
    reference: String,
    date: NaiveDate,
    amount: Money,
    debit: &LedgerAccount,
    credit: &LedgerAccount,
    description: &str,
) -> JournalEntry {
    let mut entry = JournalEntry::new(reference, date, amount.currency)
        .debit(debit.kind, debit.account.clone(), amount)
        .credit(credit.kind, credit.account.clone(), amount);
    entry.description = Some(description.to_owned());
    for line in &mut entry.lines {
        line.description = Some(description.to_owned());
    }
    entry
}

/// The entry reference `<prefix>-<id>` when it fits [`MAX_REFERENCE_LEN`], else
/// `<prefix>-` and as much of a hash of `id` as fits: stable across reruns either way, and
/// never cut to a prefix another id shares.
pub fn reference(prefix: &str, id: &str) -> String {
    let whole = format!("{prefix}-{id}");
    if whole.len() <= MAX_REFERENCE_LEN {
        return whole;
    }
    let key = IdempotencyKey::derive(prefix, &[id]);
    let hash = key.as_str().rsplit('-').next().unwrap_or_default();
    let room = MAX_REFERENCE_LEN.saturating_sub(prefix.len() + 1);
    format!("{prefix}-{}", hash.get(..room).unwrap_or(hash))
}

/// Writes `entry` to the ERP (and posts it with `post`) as step `step_name`, counting it as
/// `object`: created, or skipped when a rerun finds it.
pub(crate) async fn write(
    step: &crate::step::Step<'_>,
    step_name: &'static str,
    object: &'static str,
    entry: &JournalEntry,
    post: bool,
) -> Result<(), crate::once::Failed> {
    use dynamics365_client::erp::Erp;
    let erp = &step.systems.erp;
    let journal = step
        .idempotent(step_name, || async {
            if post {
                erp.create_and_post_journal_entry(entry).await
            } else {
                erp.create_journal_entry(entry).await
            }
        })
        .await
        .map_err(crate::once::on(crate::report::Target::Erp, object))?;
    let action = if journal.created {
        crate::report::Action::Created
    } else {
        crate::report::Action::Skipped
    };
    step.count(crate::report::Target::Erp, object, action);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_fit_business_central() {
        assert_eq!(reference("RF", "123456789"), "RF-123456789");
        let long = reference("CB", "a-processor-case-id-that-is-long");
        assert_eq!(long.len(), MAX_REFERENCE_LEN);
        assert!(long.starts_with("CB-"));
        assert_eq!(long, reference("CB", "a-processor-case-id-that-is-long"));
        assert_ne!(long, reference("CB", "a-processor-case-id-that-is-lonG"));
    }
}
