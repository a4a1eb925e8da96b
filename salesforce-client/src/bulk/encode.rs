//! Records → Bulk API CSV cells (reference §3.3), and the datetime format Salesforce reads.

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// The cell that sets a field to null.
pub(crate) const NULL_CELL: &str = "#N/A";

/// One record's cells, `(column, text)` in the record's order, from its JSON form: nested
/// objects become relationship columns (`Account.External_Id__c`), `null` becomes `#N/A`,
/// `attributes` is dropped. `row` numbers the error.
pub(crate) fn cells<T: Serialize>(record: &T, row: u64) -> Result<Vec<(String, String)>> {
    let fail = |reason: String, source: Option<serde_json::Error>| Error::CsvEncode {
        row,
        reason,
        source: source.map(|e| Box::new(e) as _),
    };
    let value = serde_json::to_value(record)
        .map_err(|e| fail("the record does not serialize".into(), Some(e)))?;
    let Value::Object(map) = value else {
        return Err(fail(
            "a record must serialize as an object of fields".into(),
            None,
        ));
    };
    let mut out = Vec::with_capacity(map.len());
    flatten("", map, &mut out).map_err(|reason| fail(reason, None))?;
    Ok(out)
}

fn flatten(
    prefix: &str,
    map: serde_json::Map<String, Value>,
    out: &mut Vec<(String, String)>,
) -> std::result::Result<(), String> {
    for (name, value) in map {
        if name == "attributes" {
            continue;
        }
        let column = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}.{name}")
        };
        let text = match value {
            Value::Object(inner) => {
                flatten(&column, inner, out)?;
                continue;
            }
            Value::Null => NULL_CELL.to_owned(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::String(s) => s,
            Value::Array(_) => {
                return Err(format!(
                    "field {column} is a list; Bulk API CSV has one value per cell (a multi-select picklist is one string, values separated by `;`)"
                ));
            }
        };
        out.push((column, text));
    }
    Ok(())
}

/// Salesforce's Bulk API datetime format, `yyyy-MM-ddTHH:mm:ss.SSSZ` (reference §3.3), for
/// `DateTime<Utc>` fields: `#[serde(with = "salesforce_client::bulk::datetime")]`.
///
/// chrono's own format may carry micro- or nanoseconds, which Salesforce does not read;
/// this writes milliseconds, and reads any Salesforce datetime (`Z`, `+0000`, `+00:00`).
///
/// ```
/// use chrono::{DateTime, TimeZone, Utc};
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Settlement {
///     #[serde(rename = "SettledAt__c", with = "salesforce_client::bulk::datetime")]
///     settled_at: DateTime<Utc>,
/// }
///
/// let at = Utc.with_ymd_and_hms(2026, 11, 21, 10, 15, 30).unwrap()
///     + chrono::Duration::nanoseconds(123_456_789);
/// let json = serde_json::to_value(Settlement { settled_at: at }).unwrap();
/// assert_eq!(json["SettledAt__c"], "2026-11-21T10:15:30.123Z");
/// ```
pub mod datetime {
    use chrono::{DateTime, Utc};
    use serde::{Deserializer, Serializer};

    /// Writes `yyyy-MM-ddTHH:mm:ss.SSSZ`.
    ///
    /// # Errors
    /// Only the serializer's own.
    pub fn serialize<S: Serializer>(value: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&value.format("%Y-%m-%dT%H:%M:%S%.3fZ"))
    }

    /// Reads a Salesforce datetime.
    ///
    /// # Errors
    /// A value that is not a Salesforce datetime.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        crate::de::datetime(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_follow_the_csv_rules() {
        let record = json!({
            "attributes": {"type": "Contact"},
            "LastName": "O\"Brien, \"the\" gold",
            "Email": null,
            "Age__c": 42,
            "Active__c": true,
            "Account": {"attributes": {"type": "Account"}, "External_Id__c": "A-1"},
            "Note__c": "",
        });
        let mut got = cells(&record, 0).unwrap();
        got.sort();
        let want: Vec<(String, String)> = [
            ("Account.External_Id__c", "A-1"),
            ("Active__c", "true"),
            ("Age__c", "42"),
            ("Email", "#N/A"),
            ("LastName", "O\"Brien, \"the\" gold"),
            ("Note__c", ""),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn lists_and_scalars_are_refused_with_the_row() {
        let err = cells(&json!({"Tags__c": ["a", "b"]}), 7).unwrap_err();
        assert!(matches!(err, Error::CsvEncode { row: 7, .. }), "{err}");
        assert!(err.to_string().contains("Tags__c"));
        assert_eq!(err.kind(), mapping::retry::ErrorKind::Validation);
        assert!(cells(&"just a string", 0).is_err());
    }
}
