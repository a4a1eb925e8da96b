//! Parsing the `Retry-After` response header (RFC 9110 §10.2.3).

use std::time::{Duration, SystemTime};

/// Parses a `Retry-After` header value into how long to wait from `now`.
///
/// Accepts both forms the header may take:
///
/// - delta-seconds: a non-negative integer (`"120"`), surrounding whitespace tolerated; a
///   number too large for a `Duration` saturates, so it is never mistaken for "no wait";
/// - an HTTP-date (`"Wed, 21 Oct 2015 07:28:00 GMT"`, and the obsolete RFC 850 and asctime
///   forms): the time until that date, or zero if it is already past.
///
/// Returns `None` for anything else (empty, negative, fractional, `+5`, garbage), so the
/// caller falls back to its own backoff.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use mapping::retry::parse_retry_after;
///
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_400); // 07:26:40 GMT
/// assert_eq!(parse_retry_after(" 120 ", now), Some(Duration::from_secs(120)));
/// assert_eq!(
///     parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
///     Some(Duration::from_secs(80)),
/// );
/// assert_eq!(parse_retry_after("-1", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    // `u64::from_str` would accept a leading `+`; the grammar is `1*DIGIT`.
    if value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2015-10-21T07:28:00Z, the RFC's example date.
    fn rfc_example_instant() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480)
    }

    #[test]
    fn table() {
        let now = rfc_example_instant() - Duration::from_secs(90);
        let cases: &[(&str, Option<Duration>)] = &[
            ("0", Some(Duration::ZERO)),
            ("1", Some(Duration::from_secs(1))),
            ("120", Some(Duration::from_secs(120))),
            ("  30\t", Some(Duration::from_secs(30))),
            ("007", Some(Duration::from_secs(7))),
            (
                "99999999999999999999999",
                Some(Duration::from_secs(u64::MAX)),
            ),
            (
                "Wed, 21 Oct 2015 07:28:00 GMT",
                Some(Duration::from_secs(90)),
            ),
            (
                " Wed, 21 Oct 2015 07:28:00 GMT ",
                Some(Duration::from_secs(90)),
            ),
            // RFC 850 and asctime forms, which recipients must accept.
            (
                "Wednesday, 21-Oct-15 07:28:00 GMT",
                Some(Duration::from_secs(90)),
            ),
            ("Wed Oct 21 07:28:00 2015", Some(Duration::from_secs(90))),
            // In the past: retry now.
            ("Wed, 21 Oct 2015 07:00:00 GMT", Some(Duration::ZERO)),
            ("Thu, 01 Jan 1970 00:00:00 GMT", Some(Duration::ZERO)),
            ("", None),
            ("   ", None),
            ("-1", None),
            ("+5", None),
            ("1.5", None),
            ("5s", None),
            ("1 2", None),
            ("soon", None),
            ("Wed, 21 Oct 2015 07:28:00", None),
            ("Wed, 32 Oct 2015 07:28:00 GMT", None),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_retry_after(input, now), *expected, "input {input:?}");
        }
    }

    #[test]
    fn http_date_is_measured_from_the_given_now() {
        let date = "Wed, 21 Oct 2015 07:28:00 GMT";
        let early = rfc_example_instant() - Duration::from_secs(600);
        assert_eq!(
            parse_retry_after(date, early),
            Some(Duration::from_secs(600))
        );
        assert_eq!(
            parse_retry_after(date, rfc_example_instant()),
            Some(Duration::ZERO)
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(input in ".{0,64}") {
            let _ = parse_retry_after(&input, rfc_example_instant());
        }

        #[test]
        fn delta_seconds_round_trip(secs in 0u64..10_000_000, pad in " {0,3}") {
            let input = format!("{pad}{secs}{pad}");
            proptest::prop_assert_eq!(
                parse_retry_after(&input, rfc_example_instant()),
                Some(Duration::from_secs(secs))
            );
        }

        #[test]
        fn formatted_future_dates_round_trip(secs in 0u64..100_000_000) {
            let now = rfc_example_instant();
            let at = now + Duration::from_secs(secs);
            proptest::prop_assert_eq!(
                parse_retry_after(&httpdate::fmt_http_date(at), now),
                Some(Duration::from_secs(secs))
            );
        }
    }
}
