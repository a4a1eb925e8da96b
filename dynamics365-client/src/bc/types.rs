//! Business Central enums and the `Edm.Date` wire format.
//!
//! Enum members with spaces or slashes are written as shown in the BC UI (`"G/L Account"`,
//! `"In Review"`); the escaped spellings BC also emits (`"G_x002F_L_x0020_Account"`) are read
//! as the same member. The `TYPE_NAME`s (`Microsoft.NAV.contactType`, …) used by
//! `literal()` are unconfirmed guesses at BC's metadata.

/// `#[serde(with = "crate::bc::types::date")]`: a Business Central `Edm.Date` (`2026-11-21`),
/// with the blank date `0001-01-01` read as `None` (through `mapping::transform::datetime`).
pub mod date {
    use chrono::NaiveDate;
    use mapping::transform::datetime::{format_bc_date, parse_bc_date};
    use serde::{Deserialize, Deserializer, Serializer, de};

    /// Writes `Some(date)` as `YYYY-MM-DD`, `None` as `null`.
    ///
    /// # Errors
    /// Never, except from the serializer.
    pub fn serialize<S: Serializer>(
        value: &Option<NaiveDate>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(date) => serializer.serialize_str(&format_bc_date(Some(*date))),
            None => serializer.serialize_none(),
        }
    }

    /// Reads `YYYY-MM-DD`; `0001-01-01`, `""` and `null` as `None`.
    ///
    /// # Errors
    /// For text that is not a date.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<NaiveDate>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            None => Ok(None),
            Some(text) if text.trim().is_empty() => Ok(None),
            Some(text) => parse_bc_date(&text).map_err(de::Error::custom),
        }
    }
}

open_enum! {
    /// A customer's `type`.
    pub enum ContactType: "Microsoft.NAV.contactType" {
        /// `Company`.
        Company => "Company",
        /// `Person`.
        Person => "Person",
    }
}

open_enum! {
    /// A customer's `blocked` state.
    pub enum CustomerBlocked: "Microsoft.NAV.customerBlocked" {
        /// Not blocked (`" "`).
        None => " " | "" | "_x0020_",
        /// `Ship`.
        Ship => "Ship",
        /// `Invoice`.
        Invoice => "Invoice",
        /// `All`.
        All => "All",
    }
}

open_enum! {
    /// A sales order's `status`.
    pub enum SalesOrderStatus: "Microsoft.NAV.salesOrderStatus" {
        /// `Draft`.
        Draft => "Draft",
        /// `In Review`.
        InReview => "In Review" | "In_x0020_Review",
        /// `Open`.
        Open => "Open",
    }
}

open_enum! {
    /// A sales invoice's `status`.
    pub enum SalesInvoiceStatus: "Microsoft.NAV.salesInvoiceStatus" {
        /// `Draft`.
        Draft => "Draft",
        /// `In Review`.
        InReview => "In Review" | "In_x0020_Review",
        /// Posted, not fully paid (`Open`).
        Open => "Open",
        /// `Paid`.
        Paid => "Paid",
        /// `Canceled`.
        Canceled => "Canceled",
        /// `Corrective`.
        Corrective => "Corrective",
    }
}

open_enum! {
    /// A journal line's `accountType`.
    pub enum AccountType: "Microsoft.NAV.genJournalAccountType" {
        /// `G/L Account`.
        GlAccount => "G/L Account" | "G_x002F_L_x0020_Account",
        /// `Customer`.
        Customer => "Customer",
        /// `Vendor`.
        Vendor => "Vendor",
        /// `Bank Account`.
        BankAccount => "Bank Account" | "Bank_x0020_Account",
        /// `Fixed Asset`.
        FixedAsset => "Fixed Asset" | "Fixed_x0020_Asset",
        /// `Employee`.
        Employee => "Employee",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_members_read_as_the_same_member() {
        for text in ["\"G/L Account\"", "\"G_x002F_L_x0020_Account\""] {
            assert_eq!(
                serde_json::from_str::<AccountType>(text).unwrap(),
                AccountType::GlAccount
            );
        }
        assert_eq!(
            serde_json::to_string(&AccountType::BankAccount).unwrap(),
            "\"Bank Account\""
        );
        assert_eq!(
            serde_json::to_string(&CustomerBlocked::None).unwrap(),
            "\" \""
        );
    }
}
