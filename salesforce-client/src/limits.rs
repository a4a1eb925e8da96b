//! API usage: the `Sforce-Limit-Info` header every REST answer carries, and the `limits`
//! resource (reference §2.1, §2.7).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::Result;
use crate::http::{Call, DataPath, op};

/// A counter as `used/max`, e.g. the org's rolling 24-hour API requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ApiUsage {
    /// Used so far.
    pub used: u64,
    /// The allocation.
    pub max: u64,
}

impl ApiUsage {
    /// What is left: `max - used`, never below zero.
    pub fn remaining(self) -> u64 {
        self.max.saturating_sub(self.used)
    }

    /// `used / max` (0 when `max` is 0), handy for "slow down above 80 %".
    pub fn fraction_used(self) -> f64 {
        if self.max == 0 {
            0.0
        } else {
            self.used as f64 / self.max as f64
        }
    }
}

impl fmt::Display for ApiUsage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.used, self.max)
    }
}

/// One counter of `Sforce-Limit-Info`: `per-app-api-usage=17/250(appName=X)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LimitCounter {
    /// The counter's name: `api-usage`, `per-app-api-usage`, `api-bursts`, ….
    pub name: String,
    /// Its value.
    pub usage: ApiUsage,
    /// The text in parentheses after it, if any (`appName=X`).
    pub qualifier: Option<String>,
}

/// The parsed `Sforce-Limit-Info` header:
/// `api-usage=18/5000; per-app-api-usage=17/250(appName=X); api-bursts=1/750`.
///
/// ```
/// use salesforce_client::limits::LimitInfo;
///
/// let info = LimitInfo::parse("api-usage=18/5000; per-app-api-usage=17/250(appName=sample)").unwrap();
/// let usage = info.api_usage().unwrap();
/// assert_eq!((usage.used, usage.max, usage.remaining()), (18, 5000, 4982));
/// assert_eq!(info.get("per-app-api-usage").unwrap().qualifier.as_deref(), Some("appName=sample"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LimitInfo {
    counters: Vec<LimitCounter>,
}

impl LimitInfo {
    /// Parses the header value; counters it cannot read are skipped. `None` when nothing
    /// could be read.
    pub fn parse(header: &str) -> Option<LimitInfo> {
        let counters: Vec<LimitCounter> = header.split([';', ',']).filter_map(counter).collect();
        (!counters.is_empty()).then_some(LimitInfo { counters })
    }

    /// Every counter, in header order.
    pub fn counters(&self) -> &[LimitCounter] {
        &self.counters
    }

    /// The counter called `name`.
    pub fn get(&self, name: &str) -> Option<&LimitCounter> {
        self.counters
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// The org's API request usage (`api-usage`).
    pub fn api_usage(&self) -> Option<ApiUsage> {
        self.get("api-usage").map(|c| c.usage)
    }
}

fn counter(part: &str) -> Option<LimitCounter> {
    let (name, value) = part.trim().split_once('=')?;
    let (value, qualifier) = match value.split_once('(') {
        Some((value, rest)) => (value, Some(rest.trim_end_matches(')').trim().to_owned())),
        None => (value, None),
    };
    let (used, max) = value.trim().split_once('/')?;
    Some(LimitCounter {
        name: name.trim().to_owned(),
        usage: ApiUsage {
            used: used.trim().parse().ok()?,
            max: max.trim().parse().ok()?,
        },
        qualifier,
    })
}

/// One entry of the `limits` resource: `{"Max": 15000, "Remaining": 14998}`, plus any
/// per-app breakdown Salesforce adds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Limit {
    /// The allocation.
    #[serde(rename = "Max")]
    pub max: i64,
    /// What is left.
    #[serde(rename = "Remaining")]
    pub remaining: i64,
    /// Other members (per-app sub-objects).
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// The org's limits (`GET /limits/`), keyed by name: `DailyApiRequests`,
/// `DailyBulkV2QueryJobs`, `HourlyPublishedPlatformEvents`, …. Values lag by a few minutes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Limits(pub BTreeMap<String, Limit>);

impl Limits {
    /// The limit called `name`.
    pub fn get(&self, name: &str) -> Option<&Limit> {
        self.0.get(name)
    }

    /// `DailyApiRequests`: the rolling 24-hour API allocation.
    pub fn daily_api_requests(&self) -> Option<&Limit> {
        self.get("DailyApiRequests")
    }
}

impl Client {
    /// The org's limits: `GET /services/data/vNN.0/limits/` (needs "View Setup and
    /// Configuration"). For the API usage alone, [`last_api_usage`](Client::last_api_usage)
    /// costs nothing.
    ///
    /// # Errors
    /// As any call: see [`Error`](crate::Error).
    pub async fn limits(&self) -> Result<Limits> {
        let call = Call::get(DataPath::new().seg("limits").slash());
        self.send(op!("salesforce.limits"), call).await?.json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_table() {
        let info = LimitInfo::parse("api-usage=18/5000").unwrap();
        assert_eq!(
            info.api_usage(),
            Some(ApiUsage {
                used: 18,
                max: 5000
            })
        );
        let info = LimitInfo::parse(
            "api-usage=25/15000; per-app-api-usage=17/250(appName=Tributary App); api-bursts=1/750",
        )
        .unwrap();
        assert_eq!(info.counters().len(), 3);
        let app = info.get("per-app-api-usage").unwrap();
        assert_eq!(app.usage, ApiUsage { used: 17, max: 250 });
        assert_eq!(app.qualifier.as_deref(), Some("appName=Tributary App"));
        assert_eq!(info.get("api-bursts").unwrap().usage.remaining(), 749);
        assert_eq!(LimitInfo::parse("garbage"), None);
        assert_eq!(LimitInfo::parse(""), None);
        let partial = LimitInfo::parse("api-usage=x/5; api-usage=1/2").unwrap();
        assert_eq!(partial.api_usage(), Some(ApiUsage { used: 1, max: 2 }));
        assert_eq!(ApiUsage { used: 5, max: 3 }.remaining(), 0);
        assert!((ApiUsage { used: 1, max: 4 }.fraction_used() - 0.25).abs() < 1e-9);
    }

    #[test]
    fn limits_resource_decodes() {
        let limits: Limits = serde_json::from_str(
            r#"{"DailyApiRequests":{"Max":15000,"Remaining":14998,"Tributary":{"Max":0,"Remaining":0}},"DataStorageMB":{"Max":5,"Remaining":5}}"#,
        )
        .unwrap();
        let daily = limits.daily_api_requests().unwrap();
        assert_eq!((daily.max, daily.remaining), (15000, 14998));
        assert!(daily.extra.contains_key("Tributary"));
    }
}
