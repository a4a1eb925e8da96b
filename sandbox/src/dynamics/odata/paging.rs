//! Server-driven paging: page size from the cap and `Prefer: odata.maxpagesize`, opaque
//! `$skiptoken`s, and absolute `@odata.nextLink`s that repeat the request's own options.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// How a flavour writes its next link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NextLinkStyle {
    /// `…&$skip=<n>` (and `$top=<remaining>` when the request had `$top`): the F&O shape of
    /// reference §1.2.
    Skip,
    /// `…&$skiptoken=<opaque>`: the BC shape (reference §2.4).
    SkipToken,
}

/// An opaque skip token for `offset` rows already returned.
pub(crate) fn encode_token(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("o={offset}"))
}

/// The offset inside a skip token, if it is one of ours.
pub(crate) fn decode_token(token: &str) -> Option<usize> {
    let t = token.trim().trim_matches('\'');
    let bytes = URL_SAFE_NO_PAD.decode(t).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix("o=")?.parse().ok()
}

/// Percent-encode a query value (RFC 3986 unreserved characters and `$'(),:*` kept).
pub(crate) fn encode_query_value(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~$'(),:*".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `origin + path + ?query` where the raw query keeps every parameter of the request except
/// those named in `replace` (compared decoded, case-insensitively), which are appended with
/// their new values.
pub(crate) fn next_link(
    origin: &str,
    path: &str,
    raw_query: &str,
    replace: &[(&str, String)],
) -> String {
    let mut parts: Vec<String> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let key = p.split('=').next().unwrap_or("");
            let decoded: String = form_urlencoded::parse(key.as_bytes())
                .map(|(k, _)| k.into_owned())
                .collect();
            !replace
                .iter()
                .any(|(name, _)| name.eq_ignore_ascii_case(&decoded))
        })
        .map(str::to_owned)
        .collect();
    for (name, value) in replace {
        parts.push(format!("{name}={}", encode_query_value(value)));
    }
    format!("{origin}{path}?{}", parts.join("&"))
}

/// The `odata.maxpagesize` of a `Prefer` header value, if any.
pub(crate) fn max_page_size(prefer: &str) -> Option<usize> {
    prefer.split(',').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("odata.maxpagesize")
            .then(|| v.trim().trim_matches('"').parse().ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        assert_eq!(decode_token(&encode_token(42)), Some(42));
        assert_eq!(decode_token("garbage!"), None);
    }

    #[test]
    fn next_link_keeps_other_options() {
        let l = next_link(
            "http://h",
            "/data/CustomersV3",
            "cross-company=true&%24skip=2&$filter=A%20eq%201",
            &[("$skip", "4".into())],
        );
        assert_eq!(
            l,
            "http://h/data/CustomersV3?cross-company=true&$filter=A%20eq%201&$skip=4"
        );
    }

    #[test]
    fn prefer_values() {
        assert_eq!(max_page_size("odata.maxpagesize=50"), Some(50));
        assert_eq!(
            max_page_size("return=minimal, odata.maxpagesize=\"7\""),
            Some(7)
        );
        assert_eq!(max_page_size("return=minimal"), None);
    }
}
