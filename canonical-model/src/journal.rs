//! General-ledger journal entries: balanced debit and credit lines.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};
use crate::money::{Currency, Money};
use crate::refs::ExternalRef;

/// What kind of account a journal line posts to (F&O `AccountType`, BC `accountType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AccountKind {
    /// A general-ledger (main) account.
    Ledger,
    /// A customer account.
    Customer,
    /// A bank account.
    Bank,
    /// A vendor account.
    Vendor,
}

/// Debit or credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntrySide {
    /// Debit.
    Debit,
    /// Credit.
    Credit,
}

/// One line of a journal entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalLine {
    /// Kind of account.
    pub account_kind: AccountKind,
    /// The account as the ERP displays it (F&O `AccountDisplayValue`, e.g. `"110110-001"`;
    /// BC account number).
    pub account: String,
    /// Debit or credit.
    pub side: EntrySide,
    /// The amount, positive.
    pub amount: Money,
    /// Line text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A journal entry: lines on one date in one currency whose debits equal their credits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Our reference for the entry (document number / voucher), stable across reruns.
    pub reference: String,
    /// Posting date.
    pub date: NaiveDate,
    /// Currency of every line.
    pub currency: Currency,
    /// Description of the entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The lines.
    pub lines: Vec<JournalLine>,
    /// What the entry records (settlement batch, payment) and where it was posted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<ExternalRef>,
}

impl JournalEntry {
    /// An entry with no lines yet.
    pub fn new(reference: impl Into<String>, date: NaiveDate, currency: Currency) -> Self {
        Self {
            reference: reference.into(),
            date,
            currency,
            description: None,
            lines: Vec::new(),
            references: Vec::new(),
        }
    }

    /// Adds a debit line (builder style).
    pub fn debit(
        mut self,
        account_kind: AccountKind,
        account: impl Into<String>,
        amount: Money,
    ) -> Self {
        self.lines.push(JournalLine {
            account_kind,
            account: account.into(),
            side: EntrySide::Debit,
            amount,
            description: None,
        });
        self
    }

    /// Adds a credit line (builder style).
    pub fn credit(
        mut self,
        account_kind: AccountKind,
        account: impl Into<String>,
        amount: Money,
    ) -> Self {
        self.lines.push(JournalLine {
            account_kind,
            account: account.into(),
            side: EntrySide::Credit,
            amount,
            description: None,
        });
        self
    }

    /// Sum of the lines on one side.
    ///
    /// # Errors
    /// A line in another currency, overflow.
    pub fn total(&self, side: EntrySide) -> Result<Money> {
        Money::sum(
            self.currency,
            self.lines
                .iter()
                .filter(|l| l.side == side)
                .map(|l| &l.amount),
        )
    }

    /// Checks that the entry can be posted: at least two lines, every amount positive and in the
    /// entry's currency, debits equal to credits.
    ///
    /// # Errors
    /// [`ModelError::InvalidValue`], [`ModelError::CurrencyMismatch`] or
    /// [`ModelError::Unbalanced`], naming what is wrong.
    pub fn validate(&self) -> Result<()> {
        if self.lines.len() < 2 {
            return Err(ModelError::invalid(
                "journal entry",
                "needs at least one debit and one credit line",
            ));
        }
        if let Some(line) = self.lines.iter().find(|l| !l.amount.is_positive()) {
            return Err(ModelError::invalid(
                "journal line",
                format!("amount on account {} must be positive", line.account),
            ));
        }
        let debits = self.total(EntrySide::Debit)?;
        let credits = self.total(EntrySide::Credit)?;
        if debits != credits {
            return Err(ModelError::Unbalanced {
                debits: debits.to_string(),
                credits: credits.to_string(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn usd(a: rust_decimal::Decimal) -> Money {
        Money::new(a, Currency::USD)
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    #[test]
    fn a_balanced_entry_validates() {
        let e = JournalEntry::new("BATCH-571", day(), Currency::USD)
            .debit(AccountKind::Bank, "USMF OPER", usd(dec!(165.00)))
            .debit(AccountKind::Ledger, "618900", usd(dec!(4.95)))
            .credit(AccountKind::Ledger, "130100", usd(dec!(169.95)));
        e.validate().unwrap();
        assert_eq!(e.total(EntrySide::Debit).unwrap().amount, dec!(169.95));
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<JournalEntry>(&json).unwrap(), e);
    }

    #[test]
    fn invalid_entries_say_why() {
        let unbalanced = JournalEntry::new("x", day(), Currency::USD)
            .debit(AccountKind::Bank, "B", usd(dec!(10)))
            .credit(AccountKind::Ledger, "L", usd(dec!(9.99)));
        assert!(matches!(
            unbalanced.validate(),
            Err(ModelError::Unbalanced { .. })
        ));
        let one_line = JournalEntry::new("x", day(), Currency::USD).debit(
            AccountKind::Bank,
            "B",
            usd(dec!(10)),
        );
        assert!(one_line.validate().is_err());
        let negative = JournalEntry::new("x", day(), Currency::USD)
            .debit(AccountKind::Bank, "B", usd(dec!(-10)))
            .credit(AccountKind::Ledger, "L", usd(dec!(-10)));
        assert!(negative.validate().is_err());
        let mixed = JournalEntry::new("x", day(), Currency::USD)
            .debit(AccountKind::Bank, "B", usd(dec!(10)))
            .credit(
                AccountKind::Ledger,
                "L",
                Money::new(dec!(10), Currency::EUR),
            );
        assert!(matches!(
            mixed.validate(),
            Err(ModelError::CurrencyMismatch { .. })
        ));
    }
}
