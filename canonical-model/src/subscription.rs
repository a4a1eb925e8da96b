//! Subscriptions: recurring charges on a schedule.

use std::collections::BTreeMap;

use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};
use crate::money::Money;
use crate::refs::ExternalRef;

/// How often a subscription charges. These are the periods PayTrace's Virtual Terminal offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Frequency {
    /// Every day.
    Daily,
    /// Every 7 days.
    Weekly,
    /// Every 14 days.
    BiWeekly,
    /// Every month on the same day (clamped to the month's last day).
    Monthly,
    /// Every 2 months.
    BiMonthly,
    /// Every 3 months.
    Quarterly,
    /// Every 6 months.
    SemiAnnually,
    /// Every year.
    Annually,
}

impl Frequency {
    /// The charge date after `date`. Monthly periods count from `anchor` (the first charge date)
    /// so a subscription started on the 31st charges on the last day of shorter months and
    /// returns to the 31st afterwards.
    pub fn next_after(self, anchor: NaiveDate, date: NaiveDate) -> Option<NaiveDate> {
        let months: u32 = match self {
            Self::Daily => return date.checked_add_days(Days::new(1)),
            Self::Weekly => return date.checked_add_days(Days::new(7)),
            Self::BiWeekly => return date.checked_add_days(Days::new(14)),
            Self::Monthly => 1,
            Self::BiMonthly => 2,
            Self::Quarterly => 3,
            Self::SemiAnnually => 6,
            Self::Annually => 12,
        };
        // Step from the anchor by whole periods until we pass `date`.
        let mut n: u32 = 1;
        loop {
            let candidate = anchor.checked_add_months(Months::new(months.checked_mul(n)?))?;
            if candidate > date {
                return Some(candidate);
            }
            n = n.checked_add(1)?;
        }
    }
}

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SubscriptionStatus {
    /// Charging on schedule.
    Active,
    /// Last charge failed; dunning in progress.
    PastDue,
    /// Temporarily not charging.
    Paused,
    /// Stopped by the customer or merchant.
    Canceled,
    /// All scheduled payments were made.
    Completed,
}

/// A recurring charge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    /// Our id for the subscription (e.g. the Salesforce record id).
    pub id: String,
    /// The gateway vault profile to charge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_vault_id: Option<String>,
    /// Amount per charge.
    pub amount: Money,
    /// How often it charges.
    pub frequency: Frequency,
    /// First charge date; monthly schedules keep its day of month.
    pub start_date: NaiveDate,
    /// The next date a charge is due.
    pub next_date: NaiveDate,
    /// Charges still to make; `None` runs until cancelled (PayTrace `total_count` 999).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_payments: Option<u32>,
    /// Where it stands.
    pub status: SubscriptionStatus,
    /// Copies in other systems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<ExternalRef>,
    /// Custom fields (e.g. Salesforce `Subscription_Term__c`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, serde_json::Value>,
}

impl Subscription {
    /// Whether a charge is due on `today` (active or past due, and the next date has come).
    pub fn is_due(&self, today: NaiveDate) -> bool {
        matches!(
            self.status,
            SubscriptionStatus::Active | SubscriptionStatus::PastDue
        ) && self.next_date <= today
            && self.remaining_payments != Some(0)
    }

    /// Records a successful charge: counts it down, moves `next_date` one period on, and
    /// completes the subscription after its last payment.
    ///
    /// # Errors
    /// [`ModelError::InvalidTransition`] when the subscription is not active or past due,
    /// [`ModelError::InvalidValue`] when the next date is out of range.
    pub fn record_charge(&mut self) -> Result<()> {
        if !matches!(
            self.status,
            SubscriptionStatus::Active | SubscriptionStatus::PastDue
        ) {
            return Err(ModelError::InvalidTransition {
                entity: "subscription",
                from: format!("{:?}", self.status).to_lowercase(),
                to: "charged".into(),
            });
        }
        if let Some(left) = self.remaining_payments.as_mut() {
            *left = left.saturating_sub(1);
        }
        self.status = if self.remaining_payments == Some(0) {
            SubscriptionStatus::Completed
        } else {
            SubscriptionStatus::Active
        };
        self.next_date = self
            .frequency
            .next_after(self.start_date, self.next_date)
            .ok_or_else(|| ModelError::invalid("next date", "beyond the supported calendar"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use rust_decimal_macros::dec;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn monthly_schedules_keep_the_anchor_day() {
        let anchor = d(2026, 1, 31);
        let feb = Frequency::Monthly.next_after(anchor, anchor).unwrap();
        assert_eq!(feb, d(2026, 2, 28));
        let mar = Frequency::Monthly.next_after(anchor, feb).unwrap();
        assert_eq!(mar, d(2026, 3, 31));
        assert_eq!(
            Frequency::Quarterly.next_after(anchor, anchor),
            Some(d(2026, 4, 30))
        );
        assert_eq!(
            Frequency::Annually.next_after(d(2024, 2, 29), d(2024, 2, 29)),
            Some(d(2025, 2, 28))
        );
        assert_eq!(
            Frequency::BiWeekly.next_after(anchor, anchor),
            Some(d(2026, 2, 14))
        );
    }

    #[test]
    fn charges_count_down_and_complete() {
        let mut s = Subscription {
            id: "a0B1".into(),
            customer_vault_id: Some("cust-1".into()),
            amount: Money::new(dec!(49.00), Currency::USD),
            frequency: Frequency::Monthly,
            start_date: d(2026, 10, 15),
            next_date: d(2026, 11, 15),
            remaining_payments: Some(2),
            status: SubscriptionStatus::Active,
            references: vec![],
            metadata: BTreeMap::new(),
        };
        assert!(!s.is_due(d(2026, 11, 14)));
        assert!(s.is_due(d(2026, 11, 22)));
        s.record_charge().unwrap();
        assert_eq!(
            (s.next_date, s.remaining_payments, s.status),
            (d(2026, 12, 15), Some(1), SubscriptionStatus::Active)
        );
        s.record_charge().unwrap();
        assert_eq!(s.status, SubscriptionStatus::Completed);
        assert!(!s.is_due(d(2027, 6, 1)));
        assert!(s.record_charge().is_err());
    }
}
