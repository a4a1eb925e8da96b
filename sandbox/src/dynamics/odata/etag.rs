//! Weak ETags in each flavour's shape, and `If-Match` / `If-None-Match` evaluation.
//!
//! F&O: `W/"` + base64 of `'<version>,<recid>'` (reference §1.5 sample `W/"JzEsNjg3MTk0ODI4MzMn"`
//! decodes to `'1,68719482833'`). BC: `W/"` + base64 of `'<n digits>;<number>;00;'`, the shape
//! of `W/"JzIwOzEyMjU1NzUwNjQ3MjkxMTQ0Mjg5MTswMDsn"`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The F&O ETag of a row version.
pub(crate) fn fno(rec_id: u64, version: u64) -> String {
    format!("W/\"{}\"", STANDARD.encode(format!("'{version},{rec_id}'")))
}

/// The BC ETag of a row version.
pub(crate) fn bc(rec_id: u64, version: u64) -> String {
    // A stable 20-digit number (leading 1) mixing record and version.
    let mixed = rec_id
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(version.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    let number = format!("1{:019}", mixed % 10_000_000_000_000_000_000);
    let inner = format!("'{};{number};00;'", number.len());
    format!("W/\"{}\"", STANDARD.encode(inner))
}

/// Outcome of a precondition check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Precondition {
    /// No precondition header, or it matched.
    Ok,
    /// `If-Match` given but does not match the current ETag.
    Stale,
    /// `If-None-Match` matched (the entity exists / is unchanged).
    NoneMatchFailed,
}

fn opaque(tag: &str) -> &str {
    let t = tag.trim();
    let t = t.strip_prefix("W/").unwrap_or(t);
    t.trim_matches('"')
}

/// Whether an `If-Match`-style header value (`*` or a list) matches `current` (weak compare).
pub(crate) fn matches(header: &str, current: &str) -> bool {
    header
        .split(',')
        .any(|t| t.trim() == "*" || opaque(t) == opaque(current))
}

/// Evaluate `If-Match` and `If-None-Match` against the row's current ETag.
pub(crate) fn check(
    if_match: Option<&str>,
    if_none_match: Option<&str>,
    current: &str,
) -> Precondition {
    if let Some(h) = if_match
        && !matches(h, current)
    {
        return Precondition::Stale;
    }
    if let Some(h) = if_none_match
        && matches(h, current)
    {
        return Precondition::NoneMatchFailed;
    }
    Precondition::Ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(fno(68_719_482_833, 1), "W/\"JzEsNjg3MTk0ODI4MzMn\"");
        let b = bc(5, 1);
        assert!(b.starts_with("W/\"JzIwO"), "{b}");
        assert_ne!(bc(5, 1), bc(5, 2));
    }

    #[test]
    fn preconditions() {
        let cur = fno(1, 2);
        assert_eq!(check(Some("*"), None, &cur), Precondition::Ok);
        assert_eq!(check(Some(&cur), None, &cur), Precondition::Ok);
        assert_eq!(check(Some(&fno(1, 1)), None, &cur), Precondition::Stale);
        let strong = cur.trim_start_matches("W/");
        assert_eq!(check(Some(strong), None, &cur), Precondition::Ok);
        assert_eq!(check(None, Some("*"), &cur), Precondition::NoneMatchFailed);
    }
}
