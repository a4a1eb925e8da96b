//! API usage: the rolling daily request allocation behind `Sforce-Limit-Info:
//! api-usage=N/M` and `403 REQUEST_LIMIT_EXCEEDED` ("TotalRequests Limit exceeded."), and the
//! `/limits` resource computed from the same counters.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value, json};

use super::state::State;

/// Requests counted in the current 24-hour window.
#[derive(Clone, Debug)]
pub(crate) struct Usage {
    window_start: DateTime<Utc>,
    used: u64,
}

impl Usage {
    pub(crate) fn new(now: DateTime<Utc>) -> Self {
        Self {
            window_start: now,
            used: 0,
        }
    }

    fn roll(&mut self, now: DateTime<Utc>) {
        if now.signed_duration_since(self.window_start) >= TimeDelta::hours(24) {
            self.window_start = now;
            self.used = 0;
        }
    }

    /// Requests used so far.
    pub(crate) fn used(&mut self, now: DateTime<Utc>) -> u64 {
        self.roll(now);
        self.used
    }

    /// Count one request unless the allocation is spent.
    pub(crate) fn try_take(&mut self, now: DateTime<Utc>, max: u64) -> bool {
        self.roll(now);
        if self.used >= max {
            return false;
        }
        self.used += 1;
        true
    }

    /// Count `n` more requests (composite batch subrequests).
    pub(crate) fn add(&mut self, n: u64) {
        self.used = self.used.saturating_add(n);
    }

    /// Set the counter (tests).
    pub(crate) fn set(&mut self, now: DateTime<Utc>, n: u64) {
        self.window_start = now;
        self.used = n;
    }
}

/// The `Sforce-Limit-Info` value.
pub(crate) fn limit_info(used: u64, max: u64) -> String {
    format!("api-usage={}/{max}", used.min(max))
}

fn pair(max: u64, remaining: u64) -> Value {
    json!({"Max": max, "Remaining": remaining.min(max)})
}

/// `GET /limits/`: every limit `{Max, Remaining}`; daily API requests, hourly published
/// platform events and data storage follow what the emulator counted.
pub(crate) fn resource(st: &mut State) -> Value {
    let now = st.now();
    let max = st.config.daily_api_limit;
    let used = st.usage.used(now);
    let hour_ago = now.checked_sub_signed(TimeDelta::hours(1)).unwrap_or(now);
    let published = st.bus.platform_events_since(hour_ago) as u64;
    // Salesforce counts most records as 2 KB of data storage.
    let storage_mb = (st.db.live_count() as u64 * 2).div_ceil(1024);
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_owned(), v);
    };
    put("DailyApiRequests", pair(max, max.saturating_sub(used)));
    put("ConcurrentAsyncGetReportInstances", pair(200, 200));
    put("ConcurrentSyncReportRuns", pair(20, 20));
    put("DailyAsyncApexExecutions", pair(250_000, 250_000));
    put("DailyBulkApiBatches", pair(15_000, 15_000));
    put("DailyBulkV2QueryFileStorageMB", pair(976_562, 976_562));
    put("DailyBulkV2QueryJobs", pair(10_000, 10_000));
    put("DailyDurableStreamingApiEvents", pair(10_000, 10_000));
    put("DailyStandardVolumePlatformEvents", pair(10_000, 10_000));
    put("DurableStreamingApiConcurrentClients", pair(2_000, 2_000));
    put("HourlyAsyncReportRuns", pair(1_200, 1_200));
    put(
        "HourlyPublishedPlatformEvents",
        pair(250_000, 250_000u64.saturating_sub(published)),
    );
    put(
        "HourlyPublishedStandardVolumePlatformEvents",
        pair(50_000, 50_000),
    );
    put("MassEmail", pair(5_000, 5_000));
    put("SingleEmail", pair(5_000, 5_000));
    put(
        "DataStorageMB",
        pair(1_024, 1_024u64.saturating_sub(storage_mb)),
    );
    put("FileStorageMB", pair(1_024, 1_024));
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window() {
        let t = Utc::now();
        let mut u = Usage::new(t);
        assert!(u.try_take(t, 2));
        assert!(u.try_take(t, 2));
        assert!(!u.try_take(t, 2));
        assert_eq!(limit_info(u.used(t), 2), "api-usage=2/2");
        assert!(u.try_take(t + TimeDelta::hours(25), 2));
        assert_eq!(u.used(t + TimeDelta::hours(25)), 1);
    }
}
