//! Dates and times as each system writes them, parsed and formatted in one place.
//!
//! | system | value | read | written |
//! |---|---|---|---|
//! | PayTrace request | date | `MM/DD/YYYY` (also `M/D/YYYY`) | `MM/DD/YYYY` |
//! | PayTrace export | timestamp | `M/D/YYYY h:mm:ss AM` in the merchant's zone, `""` = none | same |
//! | Salesforce | datetime | `2026-11-21T10:15:30.000+0000`, also `Z`, `+00:00`, other offsets, with or without milliseconds | `2026-11-21T10:15:30.000+0000` |
//! | Salesforce | date | `2026-11-21` | `2026-11-21` |
//! | F&O | date (`Edm.DateTimeOffset`) | any datetime, its UTC date; `1900-01-01…` = none | `2026-11-21T12:00:00Z`; none = `1900-01-01T12:00:00Z` |
//! | F&O | datetime | RFC 3339; `1900-01-01…` = none | `2026-11-21T10:15:30Z`; none = `1900-01-01T00:00:00Z` |
//! | Business Central | date (`Edm.Date`) | `2026-11-21`; `0001-01-01` = none | `2026-11-21`; none = `0001-01-01` |
//! | Business Central | datetime | RFC 3339; `0001-01-01T00:00:00Z` = none | `2017-03-17T19:02:22.043Z`; none = `0001-01-01T00:00:00Z` |
//!
//! ## PayTrace's time zone
//!
//! PayTrace does not say which zone its export timestamps are in. We assume the merchant's
//! local time, Pacific by default ([`PAYTRACE_TIME_ZONE`], `America/Los_Angeles`, PayTrace's
//! home), and take the zone as a parameter so a merchant elsewhere can say theirs. Local times
//! that daylight saving makes odd are resolved deterministically by [`local_to_utc`].

use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, SecondsFormat,
    TimeDelta, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

use super::error::{Result, TransformError};

/// The zone PayTrace export timestamps are presumed to be in: `America/Los_Angeles`.
pub const PAYTRACE_TIME_ZONE: Tz = chrono_tz::America::Los_Angeles;

/// A date as PayTrace requests take it: `MM/DD/YYYY`.
pub fn format_paytrace_date(date: NaiveDate) -> String {
    date.format("%m/%d/%Y").to_string()
}

/// A PayTrace date, `MM/DD/YYYY` or `M/D/YYYY` (four-digit year).
///
/// # Errors
/// [`TransformError::Missing`] for blank text, [`TransformError::Invalid`] for anything else
/// that is not a real date in that form.
pub fn parse_paytrace_date(text: &str) -> Result<NaiveDate> {
    let t = text.trim();
    if t.is_empty() {
        return Err(TransformError::missing("PayTrace date"));
    }
    mdy(t).ok_or_else(|| {
        TransformError::invalid("PayTrace date", text, "expected a real date as MM/DD/YYYY")
    })
}

/// `M/D/YYYY` → a date.
fn mdy(text: &str) -> Option<NaiveDate> {
    let mut parts = text.split('/');
    let (m, d, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 {
        return None;
    }
    NaiveDate::from_ymd_opt(number(y, 4)?, number(m, 2)?, number(d, 2)?)
}

/// A number of 1 to `max_len` ASCII digits.
fn number<T: std::str::FromStr>(text: &str, max_len: usize) -> Option<T> {
    let ok = (1..=max_len).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| text.parse().ok()).flatten()
}

/// A PayTrace export timestamp (`"4/10/2015 4:06:30 PM"`), read as local time in `zone`.
///
/// ```
/// use mapping::transform::datetime::{parse_paytrace_timestamp, PAYTRACE_TIME_ZONE};
/// let at = parse_paytrace_timestamp("4/10/2015 4:06:30 PM", PAYTRACE_TIME_ZONE)?;
/// assert_eq!(at.to_rfc3339(), "2015-04-10T23:06:30+00:00"); // PDT is UTC-7
/// # Ok::<(), mapping::transform::TransformError>(())
/// ```
///
/// # Errors
/// [`TransformError::Missing`] for blank text, [`TransformError::Invalid`] for anything that
/// is not `M/D/YYYY h:mm:ss AM|PM` with real values.
pub fn parse_paytrace_timestamp(text: &str, zone: Tz) -> Result<DateTime<Utc>> {
    if text.trim().is_empty() {
        return Err(TransformError::missing("PayTrace timestamp"));
    }
    let local = paytrace_local(text).ok_or_else(|| {
        TransformError::invalid(
            "PayTrace timestamp",
            text,
            "expected M/D/YYYY h:mm:ss AM or PM",
        )
    })?;
    local_to_utc(local, zone)
}

/// [`parse_paytrace_timestamp`], with blank text (an unsettled transaction's `settled`) as
/// `None`.
///
/// # Errors
/// As [`parse_paytrace_timestamp`] for text that is not blank.
pub fn parse_paytrace_timestamp_opt(text: &str, zone: Tz) -> Result<Option<DateTime<Utc>>> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        parse_paytrace_timestamp(text, zone).map(Some)
    }
}

/// `M/D/YYYY h:mm:ss AM` → a local date and time.
fn paytrace_local(text: &str) -> Option<NaiveDateTime> {
    let mut words = text.split_whitespace();
    let (date, time, meridiem) = (words.next()?, words.next()?, words.next()?);
    if words.next().is_some() {
        return None;
    }
    let mut hms = time.split(':');
    let (h, m, s) = (hms.next()?, hms.next()?, hms.next()?);
    if hms.next().is_some() || m.len() != 2 || s.len() != 2 {
        return None;
    }
    let hour12: u32 = number(h, 2).filter(|h| (1..=12).contains(h))?;
    let pm = match meridiem.to_ascii_uppercase().as_str() {
        "AM" => false,
        "PM" => true,
        _ => return None,
    };
    let hour = hour12 % 12 + if pm { 12 } else { 0 };
    let time = NaiveTime::from_hms_opt(hour, number(m, 2)?, number(s, 2)?)?;
    Some(mdy(date)?.and_time(time))
}

/// An instant as a PayTrace export writes it, in `zone`: `"4/10/2015 4:06:30 PM"`.
pub fn format_paytrace_timestamp(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone)
        .format("%-m/%-d/%Y %-I:%M:%S %p")
        .to_string()
}

/// The instant a local date and time in `zone` stands for, with daylight saving resolved
/// deterministically:
///
/// - **Repeated hour** (clocks go back; `1:30 AM` happens twice): the *earlier* instant, the
///   one still on daylight time. A timestamp written during the second pass reads an hour
///   early; there is nothing in the text to tell the two apart.
/// - **Skipped hour** (clocks go forward; `2:30 AM` never happens): shifted forward by the
///   length of the gap, i.e. read with the offset in force just before it (`2:30 AM` PST-8 →
///   `10:30 UTC` = `3:30 AM` PDT), as `java.time` does.
///
/// # Errors
/// [`TransformError::Invalid`] only when the time is at the very edge of the representable
/// range.
pub fn local_to_utc(local: NaiveDateTime, zone: Tz) -> Result<DateTime<Utc>> {
    let out_of_range = || {
        TransformError::invalid(
            "local time",
            &local.to_string(),
            "outside the supported range",
        )
    };
    match zone.from_local_datetime(&local) {
        LocalResult::Single(at) => Ok(at.with_timezone(&Utc)),
        LocalResult::Ambiguous(earlier, _later) => Ok(earlier.with_timezone(&Utc)),
        LocalResult::None => {
            // Inside a gap: find the offset in force just before it (gaps are at most a few
            // hours; two days covers any zone's history).
            let before = (1..=48)
                .filter_map(|h| local.checked_sub_signed(TimeDelta::hours(h)))
                .find_map(|t| zone.from_local_datetime(&t).latest())
                .ok_or_else(out_of_range)?;
            let offset = i64::from(before.offset().fix().local_minus_utc());
            let utc = local
                .checked_sub_signed(TimeDelta::seconds(offset))
                .ok_or_else(out_of_range)?;
            Ok(Utc.from_utc_datetime(&utc))
        }
    }
}

/// A Salesforce datetime as Salesforce writes them: `2026-11-21T10:15:30.000+0000`. Also
/// accepts `Z` and `+00:00` forms, other offsets, and no or more fractional digits.
///
/// # Errors
/// [`TransformError::Missing`] for blank text, [`TransformError::Invalid`] otherwise.
pub fn parse_salesforce_datetime(text: &str) -> Result<DateTime<Utc>> {
    parse_iso_datetime(text, "Salesforce datetime")
}

/// ISO 8601 with an offset, in the forms Salesforce and OData write.
fn parse_iso_datetime(text: &str, what: &'static str) -> Result<DateTime<Utc>> {
    let t = text.trim();
    if t.is_empty() {
        return Err(TransformError::missing(what));
    }
    DateTime::parse_from_rfc3339(t)
        .or_else(|_| DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| {
            TransformError::invalid(
                what,
                text,
                "expected YYYY-MM-DDThh:mm:ss[.sss] with Z or an offset such as +0000",
            )
        })
}

/// An instant as Salesforce writes it: `2026-11-21T10:15:30.000+0000` (milliseconds, UTC;
/// finer digits are dropped, as Salesforce stores milliseconds).
pub fn format_salesforce_datetime(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// A Salesforce date: `2026-11-21`.
///
/// # Errors
/// [`TransformError::Missing`] for blank text, [`TransformError::Invalid`] otherwise.
pub fn parse_salesforce_date(text: &str) -> Result<NaiveDate> {
    parse_iso_date(text, "Salesforce date")
}

fn parse_iso_date(text: &str, what: &'static str) -> Result<NaiveDate> {
    let t = text.trim();
    if t.is_empty() {
        return Err(TransformError::missing(what));
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .filter(|_| t.len() == 10)
        .ok_or_else(|| TransformError::invalid(what, text, "expected YYYY-MM-DD"))
}

/// A date as Salesforce (and Business Central) write it: `2026-11-21`.
pub fn format_salesforce_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// F&O's empty-date sentinel year/month/day: 1900-01-01.
fn is_fno_empty(date: NaiveDate) -> bool {
    (date.year(), date.month(), date.day()) == (1900, 1, 1)
}

/// An F&O date-only field (an `Edm.DateTimeOffset` read back at `T12:00:00Z`): its UTC date,
/// or `None` for the empty sentinel `1900-01-01T12:00:00Z` (any time on 1900-01-01). A plain
/// `YYYY-MM-DD` is accepted too.
///
/// # Errors
/// [`TransformError::Missing`] for blank text, [`TransformError::Invalid`] otherwise.
pub fn parse_fno_date(text: &str) -> Result<Option<NaiveDate>> {
    let date = if text.trim().len() == 10 {
        parse_iso_date(text, "F&O date")?
    } else {
        parse_iso_datetime(text, "F&O date")?.date_naive()
    };
    Ok((!is_fno_empty(date)).then_some(date))
}

/// An F&O date-only value: `2026-11-21T12:00:00Z` (noon UTC, so no zone moves it to another
/// day); `None` is the empty sentinel `1900-01-01T12:00:00Z`.
pub fn format_fno_date(date: Option<NaiveDate>) -> String {
    match date {
        Some(d) => d.format("%Y-%m-%dT12:00:00Z").to_string(),
        None => "1900-01-01T12:00:00Z".to_owned(),
    }
}

/// An F&O datetime, or `None` for the empty sentinel (any time on 1900-01-01).
///
/// # Errors
/// [`TransformError::Missing`] for blank text, [`TransformError::Invalid`] otherwise.
pub fn parse_fno_datetime(text: &str) -> Result<Option<DateTime<Utc>>> {
    let at = parse_iso_datetime(text, "F&O datetime")?;
    Ok((!is_fno_empty(at.date_naive())).then_some(at))
}

/// An F&O datetime: `2026-11-21T10:15:30Z` (whole seconds, as F&O stores them); `None` is
/// `1900-01-01T00:00:00Z`.
pub fn format_fno_datetime(at: Option<DateTime<Utc>>) -> String {
    match at {
        Some(at) => at.to_rfc3339_opts(SecondsFormat::Secs, true),
        None => "1900-01-01T00:00:00Z".to_owned(),
    }
}

/// BC's empty date: 0001-01-01.
fn is_bc_empty(date: NaiveDate) -> bool {
    (date.year(), date.month(), date.day()) == (1, 1, 1)
}

/// A Business Central `Edm.Date` (`2026-11-21`), or `None` for BC's blank date `0001-01-01`.
///
/// # Errors
/// [`TransformError::Missing`] for blank text, [`TransformError::Invalid`] otherwise.
pub fn parse_bc_date(text: &str) -> Result<Option<NaiveDate>> {
    let date = parse_iso_date(text, "Business Central date")?;
    Ok((!is_bc_empty(date)).then_some(date))
}

/// A Business Central `Edm.Date`: `2026-11-21`; `None` is `0001-01-01`.
pub fn format_bc_date(date: Option<NaiveDate>) -> String {
    date.map_or_else(|| "0001-01-01".to_owned(), format_salesforce_date)
}

/// A Business Central datetime (`2017-03-17T19:02:22.043Z`), or `None` for
/// `0001-01-01T00:00:00Z`.
///
/// # Errors
/// [`TransformError::Missing`] for blank text, [`TransformError::Invalid`] otherwise.
pub fn parse_bc_datetime(text: &str) -> Result<Option<DateTime<Utc>>> {
    let at = parse_iso_datetime(text, "Business Central datetime")?;
    Ok((!is_bc_empty(at.date_naive())).then_some(at))
}

/// A Business Central datetime: `2017-03-17T19:02:22.043Z`; `None` is `0001-01-01T00:00:00Z`.
pub fn format_bc_datetime(at: Option<DateTime<Utc>>) -> String {
    match at {
        Some(at) => at.to_rfc3339_opts(SecondsFormat::Millis, true),
        None => "0001-01-01T00:00:00Z".to_owned(),
    }
}

/// Drops anything finer than milliseconds (what Salesforce and BC store).
pub fn truncate_to_millis(at: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = at.nanosecond() % 1_000_000_000;
    at.with_nanosecond(nanos - nanos % 1_000_000).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn paytrace_dates() {
        assert_eq!(format_paytrace_date(date(2026, 1, 5)), "01/05/2026");
        let ok = [
            ("01/05/2026", date(2026, 1, 5)),
            ("1/5/2026", date(2026, 1, 5)),
            (" 12/31/2025 ", date(2025, 12, 31)),
            ("02/29/2024", date(2024, 2, 29)),
        ];
        for (text, want) in ok {
            assert_eq!(parse_paytrace_date(text).unwrap(), want, "{text}");
        }
        for bad in [
            "2026-01-05",
            "13/01/2026",
            "02/29/2025",
            "1/5/26",
            "01/05/2026/1",
            "1//2026",
            "+1/5/2026",
            "001/05/2026",
        ] {
            assert!(
                matches!(
                    parse_paytrace_date(bad),
                    Err(TransformError::Invalid { .. })
                ),
                "{bad:?} accepted"
            );
        }
        assert!(matches!(
            parse_paytrace_date(""),
            Err(TransformError::Missing { .. })
        ));
    }

    #[test]
    fn paytrace_timestamps_in_pacific_time() {
        let cases = [
            ("4/10/2015 4:06:30 PM", "2015-04-10T23:06:30Z"), // PDT, UTC-7
            ("4/10/2015 8:13:45 PM", "2015-04-11T03:13:45Z"),
            ("1/15/2026 12:00:00 AM", "2026-01-15T08:00:00Z"), // PST, midnight
            ("1/15/2026 12:30:00 PM", "2026-01-15T20:30:00Z"), // noon
            ("01/15/2026 09:05:07 am", "2026-01-15T17:05:07Z"),
            // Clocks went back at 2:00 on 2026-11-01: 1:30 happened twice; the first wins.
            ("11/1/2026 1:30:00 AM", "2026-11-01T08:30:00Z"),
            // Clocks went forward at 2:00 on 2026-03-08: 2:30 never happened; +1h.
            ("3/8/2026 2:30:00 AM", "2026-03-08T10:30:00Z"),
        ];
        for (text, want) in cases {
            let got = parse_paytrace_timestamp(text, PAYTRACE_TIME_ZONE).unwrap();
            assert_eq!(got, utc(want), "{text}");
        }
        let ny = chrono_tz::America::New_York;
        assert_eq!(
            parse_paytrace_timestamp("4/10/2015 4:06:30 PM", ny).unwrap(),
            utc("2015-04-10T20:06:30Z")
        );
        for bad in [
            "4/10/2015 16:06:30",
            "4/10/2015 13:06:30 PM",
            "4/10/2015 0:06:30 AM",
            "4/10/2015 4:6:30 PM",
            "4/10/2015 4:06 PM",
            "2015-04-10T16:06:30",
            "4/10/2015 4:06:30 PM PST",
            "4/31/2015 4:06:30 PM",
        ] {
            assert!(
                parse_paytrace_timestamp(bad, PAYTRACE_TIME_ZONE).is_err(),
                "{bad:?} accepted"
            );
        }
        assert_eq!(
            parse_paytrace_timestamp_opt("  ", PAYTRACE_TIME_ZONE).unwrap(),
            None
        );
        assert!(parse_paytrace_timestamp_opt("x", PAYTRACE_TIME_ZONE).is_err());
    }

    #[test]
    fn daylight_saving_is_resolved_deterministically() {
        let local = |text: &str| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
        let ny = chrono_tz::America::New_York;
        let cases = [
            // Repeated hour: the first pass (daylight time).
            ("2026-11-01 01:30", ny, "2026-11-01T05:30:00Z"),
            // Skipped hour: shifted forward by the gap.
            ("2026-03-08 02:30", ny, "2026-03-08T07:30:00Z"),
            ("2026-03-08 01:59", ny, "2026-03-08T06:59:00Z"),
            ("2026-03-08 03:00", ny, "2026-03-08T07:00:00Z"),
            // A zone without daylight saving.
            (
                "2026-03-08 02:30",
                chrono_tz::America::Phoenix,
                "2026-03-08T09:30:00Z",
            ),
            ("2026-07-01 12:00", chrono_tz::UTC, "2026-07-01T12:00:00Z"),
        ];
        for (text, zone, want) in cases {
            assert_eq!(
                local_to_utc(local(text), zone).unwrap(),
                utc(want),
                "{text} {zone}"
            );
        }
    }

    #[test]
    fn paytrace_timestamp_formatting() {
        let at = utc("2015-04-10T23:06:30Z");
        assert_eq!(
            format_paytrace_timestamp(at, PAYTRACE_TIME_ZONE),
            "4/10/2015 4:06:30 PM"
        );
        assert_eq!(
            format_paytrace_timestamp(utc("2026-01-15T08:00:00Z"), PAYTRACE_TIME_ZONE),
            "1/15/2026 12:00:00 AM"
        );
    }

    #[test]
    fn salesforce_datetimes() {
        let want = utc("2026-11-21T10:15:30Z");
        for text in [
            "2026-11-21T10:15:30.000+0000",
            "2026-11-21T10:15:30Z",
            "2026-11-21T10:15:30.000Z",
            "2026-11-21T10:15:30+00:00",
            "2026-11-21T02:15:30.000-0800",
            " 2026-11-21T11:15:30+01:00 ",
        ] {
            assert_eq!(parse_salesforce_datetime(text).unwrap(), want, "{text}");
        }
        assert_eq!(
            parse_salesforce_datetime("2026-11-21T10:15:30.123+0000").unwrap(),
            utc("2026-11-21T10:15:30.123Z")
        );
        for bad in [
            "2026-11-21",
            "2026-11-21T10:15:30",
            "21/11/2026 10:15",
            "now",
        ] {
            assert!(parse_salesforce_datetime(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            format_salesforce_datetime(utc("2026-11-21T10:15:30.123456Z")),
            "2026-11-21T10:15:30.123+0000"
        );
        assert_eq!(
            format_salesforce_datetime(want),
            "2026-11-21T10:15:30.000+0000"
        );
    }

    #[test]
    fn salesforce_dates() {
        assert_eq!(
            parse_salesforce_date("2026-11-21").unwrap(),
            date(2026, 11, 21)
        );
        assert_eq!(format_salesforce_date(date(2026, 1, 2)), "2026-01-02");
        for bad in [
            "2026-11-21T00:00:00Z",
            "2026-2-3",
            "11/21/2026",
            "2026-02-30",
        ] {
            assert!(parse_salesforce_date(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn fno_dates_and_the_1900_sentinel() {
        let cases = [
            ("2026-11-21T12:00:00Z", Some(date(2026, 11, 21))),
            ("2019-01-03T00:00:00Z", Some(date(2019, 1, 3))),
            ("2026-11-21", Some(date(2026, 11, 21))),
            ("1900-01-01T12:00:00Z", None),
            ("1900-01-01T00:00:00Z", None),
            ("2154-12-31T23:59:59Z", Some(date(2154, 12, 31))),
        ];
        for (text, want) in cases {
            assert_eq!(parse_fno_date(text).unwrap(), want, "{text}");
        }
        assert_eq!(
            format_fno_date(Some(date(2026, 11, 21))),
            "2026-11-21T12:00:00Z"
        );
        assert_eq!(format_fno_date(None), "1900-01-01T12:00:00Z");
        assert!(parse_fno_date("yesterday").is_err());
        assert!(parse_fno_date("").is_err());
        assert_eq!(
            parse_fno_datetime("2026-11-21T10:15:30Z").unwrap(),
            Some(utc("2026-11-21T10:15:30Z"))
        );
        assert_eq!(parse_fno_datetime("1900-01-01T00:00:00Z").unwrap(), None);
        assert_eq!(
            format_fno_datetime(Some(utc("2026-11-21T10:15:30Z"))),
            "2026-11-21T10:15:30Z"
        );
        assert_eq!(format_fno_datetime(None), "1900-01-01T00:00:00Z");
    }

    #[test]
    fn bc_dates_and_datetimes() {
        assert_eq!(
            parse_bc_date("2015-12-31").unwrap(),
            Some(date(2015, 12, 31))
        );
        assert_eq!(parse_bc_date("0001-01-01").unwrap(), None);
        assert_eq!(format_bc_date(Some(date(2015, 12, 31))), "2015-12-31");
        assert_eq!(format_bc_date(None), "0001-01-01");
        assert!(parse_bc_date("2015-12-31T00:00:00Z").is_err());
        let at = utc("2017-03-17T19:02:22.043Z");
        assert_eq!(
            parse_bc_datetime("2017-03-17T19:02:22.043Z").unwrap(),
            Some(at)
        );
        assert_eq!(parse_bc_datetime("0001-01-01T00:00:00Z").unwrap(), None);
        assert_eq!(format_bc_datetime(Some(at)), "2017-03-17T19:02:22.043Z");
        assert_eq!(format_bc_datetime(None), "0001-01-01T00:00:00Z");
    }

    fn instant_secs() -> impl Strategy<Value = DateTime<Utc>> {
        // 1971 … 2099, whole seconds.
        (31_536_000_i64..4_102_444_800).prop_map(|s| Utc.timestamp_opt(s, 0).unwrap())
    }

    fn instant_millis() -> impl Strategy<Value = DateTime<Utc>> {
        (31_536_000_000_i64..4_102_444_800_000).prop_map(|ms| Utc.timestamp_millis_opt(ms).unwrap())
    }

    fn dates() -> impl Strategy<Value = NaiveDate> {
        (1000_i32..9999, 1_u32..=12, 1_u32..=28).prop_map(|(y, m, d)| date(y, m, d))
    }

    proptest! {
        #[test]
        fn paytrace_date_round_trip(d in dates()) {
            prop_assert_eq!(parse_paytrace_date(&format_paytrace_date(d)).unwrap(), d);
        }

        #[test]
        fn paytrace_timestamp_round_trip(at in instant_secs()) {
            let text = format_paytrace_timestamp(at, PAYTRACE_TIME_ZONE);
            let back = parse_paytrace_timestamp(&text, PAYTRACE_TIME_ZONE).unwrap();
            // In the repeated hour after clocks go back the text cannot say which pass it was:
            // we read the first, an hour earlier.
            let repeated = at.with_timezone(&PAYTRACE_TIME_ZONE).offset().fix()
                != back.with_timezone(&PAYTRACE_TIME_ZONE).offset().fix();
            if repeated {
                prop_assert_eq!(back + TimeDelta::hours(1), at);
            } else {
                prop_assert_eq!(back, at);
            }
        }

        #[test]
        fn salesforce_round_trips(at in instant_millis(), d in dates()) {
            prop_assert_eq!(parse_salesforce_datetime(&format_salesforce_datetime(at)).unwrap(), at);
            prop_assert_eq!(parse_salesforce_date(&format_salesforce_date(d)).unwrap(), d);
        }

        #[test]
        fn dynamics_round_trips(at in instant_millis(), d in dates()) {
            prop_assert_eq!(parse_fno_date(&format_fno_date(Some(d))).unwrap(), Some(d));
            let secs = at.with_nanosecond(0).unwrap();
            prop_assert_eq!(parse_fno_datetime(&format_fno_datetime(Some(secs))).unwrap(), Some(secs));
            prop_assert_eq!(parse_bc_date(&format_bc_date(Some(d))).unwrap(), Some(d));
            prop_assert_eq!(parse_bc_datetime(&format_bc_datetime(Some(at))).unwrap(), Some(at));
            prop_assert_eq!(truncate_to_millis(at), at);
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,40}") {
            let _ = parse_paytrace_date(&s);
            let _ = parse_paytrace_timestamp(&s, PAYTRACE_TIME_ZONE);
            let _ = parse_salesforce_datetime(&s);
            let _ = parse_salesforce_date(&s);
            let _ = parse_fno_date(&s);
            let _ = parse_bc_datetime(&s);
        }

        #[test]
        fn paytrace_like_text_never_panics(s in "[0-9]{1,3}/[0-9]{1,3}/[0-9]{3,5} [0-9]{1,3}:[0-9]{1,3}:[0-9]{1,3} [AP]M") {
            let _ = parse_paytrace_timestamp(&s, PAYTRACE_TIME_ZONE);
        }
    }
}
