//! Small serde helpers for Salesforce's JSON.

use serde::{Deserialize, Deserializer};

/// Reads `null` (as well as a missing member, with `#[serde(default)]`) as the default value.
pub(crate) fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A Salesforce datetime (`2026-11-21T10:15:30.000+0000`, also `Z` and `+00:00`), through
/// `mapping`'s one parser.
pub(crate) fn datetime<'de, D>(deserializer: D) -> Result<chrono::DateTime<chrono::Utc>, D::Error>
where
    D: Deserializer<'de>,
{
    let text = String::deserialize(deserializer)?;
    mapping::transform::datetime::parse_salesforce_datetime(&text).map_err(serde::de::Error::custom)
}

/// As [`datetime`], `null` or missing as `None`.
pub(crate) fn datetime_opt<'de, D>(
    deserializer: D,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, D::Error>
where
    D: Deserializer<'de>,
{
    match Option::<String>::deserialize(deserializer)? {
        Some(text) => mapping::transform::datetime::parse_salesforce_datetime(&text)
            .map(Some)
            .map_err(serde::de::Error::custom),
        None => Ok(None),
    }
}
