//! Finance & Operations enums and the date-only wire format.
//!
//! Enums are `Microsoft.Dynamics.DataEntities.*` types: plain strings in JSON (`"Yes"`,
//! `"Cust"`), `Microsoft.Dynamics.DataEntities.NoYes'Yes'` in `$filter` (use
//! [`NoYes::literal`] and the like; F&O compares enums only with `eq`/`ne`).

/// `#[serde(with = "crate::fno::types::date")]`: an F&O date-only field. Written at noon UTC
/// (`2026-11-21T12:00:00Z`) so no time zone moves it to another day; read from any datetime as
/// its UTC date, with the empty sentinel `1900-01-01` read as `None`. Both through
/// `mapping::transform::datetime`.
pub mod date {
    use chrono::NaiveDate;
    use mapping::transform::datetime::{format_fno_date, parse_fno_date};
    use serde::{Deserialize, Deserializer, Serializer, de};

    /// Writes `Some(date)` as `YYYY-MM-DDT12:00:00Z`, `None` as `null`.
    ///
    /// # Errors
    /// Never, except from the serializer.
    pub fn serialize<S: Serializer>(
        value: &Option<NaiveDate>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(date) => serializer.serialize_str(&format_fno_date(Some(*date))),
            None => serializer.serialize_none(),
        }
    }

    /// Reads a datetime (or plain date) as its UTC date; the 1900 sentinel and `null` as `None`.
    ///
    /// # Errors
    /// For text that is not a date.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<NaiveDate>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            None => Ok(None),
            Some(text) if text.trim().is_empty() => Ok(None),
            Some(text) => parse_fno_date(&text).map_err(de::Error::custom),
        }
    }
}

/// The namespace of F&O's enum types and actions.
pub const NAMESPACE: &str = "Microsoft.Dynamics.DataEntities";

open_enum! {
    /// `NoYes`: F&O's boolean.
    pub enum NoYes: "Microsoft.Dynamics.DataEntities.NoYes" {
        /// `No`.
        No => "No",
        /// `Yes`.
        Yes => "Yes",
    }
}

impl NoYes {
    /// `Some(true)` for `Yes`, `Some(false)` for `No`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            NoYes::Yes => Some(true),
            NoYes::No => Some(false),
            NoYes::Other(_) => None,
        }
    }
}

impl From<bool> for NoYes {
    fn from(value: bool) -> Self {
        if value { NoYes::Yes } else { NoYes::No }
    }
}

open_enum! {
    /// `DirPartyBaseType`: whether a customer is an organization or a person.
    pub enum PartyType: "Microsoft.Dynamics.DataEntities.DirPartyBaseType" {
        /// `Organization`.
        Organization => "Organization",
        /// `Person`.
        Person => "Person",
    }
}

open_enum! {
    /// `LedgerJournalACType`: what kind of account a journal line posts to.
    pub enum AccountType: "Microsoft.Dynamics.DataEntities.LedgerJournalACType" {
        /// A main account (`Ledger`).
        Ledger => "Ledger",
        /// A customer (`Cust`).
        Customer => "Cust",
        /// A vendor (`Vend`).
        Vendor => "Vend",
        /// A bank account (`Bank`).
        Bank => "Bank",
        /// A project (`Project`).
        Project => "Project",
        /// A fixed asset (`FixedAssets`).
        FixedAssets => "FixedAssets",
    }
}

open_enum! {
    /// `SalesStatus`: where a sales order stands.
    pub enum SalesStatus: "Microsoft.Dynamics.DataEntities.SalesStatus" {
        /// `None`.
        None => "None",
        /// Open order (`Backorder`).
        Backorder => "Backorder",
        /// `Delivered`.
        Delivered => "Delivered",
        /// `Invoiced`.
        Invoiced => "Invoiced",
        /// `Canceled`.
        Canceled => "Canceled",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_are_open_and_render_as_literals() {
        assert_eq!(
            serde_json::to_string(&AccountType::Customer).unwrap(),
            "\"Cust\""
        );
        assert_eq!(
            serde_json::from_str::<AccountType>("\"Project\"").unwrap(),
            AccountType::Project
        );
        assert_eq!(
            serde_json::from_str::<AccountType>("\"Worker\"").unwrap(),
            AccountType::Other("Worker".into())
        );
        assert_eq!(
            NoYes::Yes.literal().to_odata(),
            "Microsoft.Dynamics.DataEntities.NoYes'Yes'"
        );
        assert_eq!(NoYes::from(false).as_bool(), Some(false));
    }

    #[test]
    fn dates_are_noon_utc_with_the_1900_sentinel() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Row {
            #[serde(with = "date", default)]
            d: Option<chrono::NaiveDate>,
        }
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 21);
        assert_eq!(
            serde_json::to_string(&Row { d: day }).unwrap(),
            r#"{"d":"2026-11-21T12:00:00Z"}"#
        );
        for (json, expected) in [
            (r#"{"d":"2026-11-21T12:00:00Z"}"#, day),
            (r#"{"d":"2026-11-21T00:00:00Z"}"#, day),
            (r#"{"d":"1900-01-01T12:00:00Z"}"#, None),
            (r#"{"d":null}"#, None),
            (r#"{}"#, None),
        ] {
            assert_eq!(
                serde_json::from_str::<Row>(json).unwrap().d,
                expected,
                "{json}"
            );
        }
        assert!(serde_json::from_str::<Row>(r#"{"d":"soon"}"#).is_err());
    }
}
