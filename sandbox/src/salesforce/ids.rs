//! Salesforce record ids: 15-character case-sensitive keys with a 3-character object prefix,
//! and their 18-character case-insensitive form (a 3-character checksum of the capitals).

/// Base-62 digits in ASCII order, so that ids of one object sort by creation.
const B62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Alphabet of the 18-character suffix.
const SUFFIX: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
/// "Pod" characters after the key prefix (real ids carry an instance identifier there).
const POD: &str = "5g";

/// `n` written in base 62, left-padded with `0` to `width` characters.
pub(crate) fn base62(mut n: u64, width: usize) -> String {
    let mut out = Vec::with_capacity(width);
    while n > 0 {
        out.push(B62[(n % 62) as usize]);
        n /= 62;
    }
    while out.len() < width {
        out.push(b'0');
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The 18-character id for `prefix` (3 characters) and sequence number `n`.
pub(crate) fn make_id(prefix: &str, n: u64) -> String {
    let body = format!("{prefix}{POD}{}", base62(n, 10));
    to18(&body).unwrap_or(body)
}

/// The 3-character checksum suffix of a 15-character id.
fn suffix(id15: &str) -> Option<String> {
    let bytes = id15.as_bytes();
    if bytes.len() != 15 || !bytes.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    let mut out = String::with_capacity(3);
    for chunk in bytes.chunks(5) {
        let mut bits = 0usize;
        for (i, c) in chunk.iter().enumerate() {
            if c.is_ascii_uppercase() {
                bits |= 1 << i;
            }
        }
        out.push(char::from(SUFFIX[bits]));
    }
    Some(out)
}

/// A 15-character id in its 18-character form.
pub(crate) fn to18(id15: &str) -> Option<String> {
    suffix(id15).map(|s| format!("{id15}{s}"))
}

/// Normalise a 15- or 18-character id to 18 characters; `None` if it is not an id.
///
/// An 18-character id whose checksum does not match its first 15 characters is rejected.
/// The suffix is compared case-insensitively, as Salesforce does.
pub(crate) fn normalize(s: &str) -> Option<String> {
    match s.len() {
        15 => to18(s),
        18 => {
            let (head, tail) = (s.get(..15)?, s.get(15..)?);
            let expected = suffix(head)?;
            expected
                .eq_ignore_ascii_case(tail)
                .then(|| format!("{head}{expected}"))
        }
        _ => None,
    }
}

/// The key prefix (first three characters) of an id.
pub(crate) fn prefix_of(id: &str) -> Option<&str> {
    id.get(..3)
}

/// Key prefixes of common standard objects.
pub(crate) fn standard_prefix(object: &str) -> Option<&'static str> {
    const TABLE: &[(&str, &str)] = &[
        ("Account", "001"),
        ("Contact", "003"),
        ("User", "005"),
        ("Opportunity", "006"),
        ("Lead", "00Q"),
        ("Task", "00T"),
        ("Event", "00U"),
        ("Case", "500"),
        ("Campaign", "701"),
        ("Contract", "800"),
        ("Order", "801"),
        ("OrderItem", "802"),
        ("Product2", "01t"),
        ("Pricebook2", "01s"),
        ("PricebookEntry", "01u"),
        ("Asset", "02i"),
        ("Quote", "0Q0"),
        ("Organization", "00D"),
    ];
    TABLE
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(object))
        .map(|(_, p)| *p)
}

/// The `n`-th key prefix of a family: `a00`, `a01`, … for custom objects, `e00`, … for
/// platform events.
pub(crate) fn family_prefix(letter: char, n: u32) -> String {
    format!("{letter}{}", base62(u64::from(n), 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_suffixes() {
        // Documented examples of 15 → 18 conversion.
        assert_eq!(
            to18("001A0000006Vm9r").as_deref(),
            Some("001A0000006Vm9rIAC")
        );
        assert_eq!(
            to18("003i000000AAAAA").as_deref(),
            Some("003i000000AAAAAAA5")
        );
        assert_eq!(
            normalize("001a0000006vm9riac").as_deref(),
            None,
            "the 15 significant characters are case-sensitive"
        );
        assert_eq!(
            normalize("001A0000006Vm9riac").as_deref(),
            Some("001A0000006Vm9rIAC")
        );
        assert_eq!(normalize("001A0000006Vm9rAAA"), None);
        assert_eq!(normalize("hello"), None);
        assert_eq!(normalize("001A0000006Vm9é"), None);
    }

    #[test]
    fn generated_ids_are_valid_and_sorted() {
        let a = make_id("001", 1);
        let b = make_id("001", 62);
        let c = make_id("001", 63);
        for id in [&a, &b, &c] {
            assert_eq!(id.len(), 18);
            assert_eq!(normalize(id).as_deref(), Some(id.as_str()));
            assert!(id.starts_with("0015g"));
        }
        assert!(a.get(..15) < b.get(..15) && b.get(..15) < c.get(..15));
        assert_eq!(family_prefix('a', 0), "a00");
        assert_eq!(family_prefix('a', 63), "a11");
        assert_eq!(standard_prefix("order"), Some("801"));
    }
}
