//! The `multipart/mixed` batch format (OData 4.0 §11.7.7): building requests, parsing
//! answers. Lines end with CRLF; answers are read leniently (bare LF too).

use super::{InnerAnswer, PartRequest, Unit};

/// A top-level item of a multipart answer.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    /// One answer (to a single request, or a changeset's failure).
    Single(InnerAnswer),
    /// A changeset's answers.
    Changeset(Vec<InnerAnswer>),
}

/// The batch body for `units`, with `boundary` (and a fresh boundary per changeset).
pub(crate) fn build(units: &[&Unit], boundary: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for unit in units {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match unit {
            Unit::Single(part) => write_part(&mut out, part, false),
            Unit::Changeset(parts) => {
                let changeset = format!("changeset_{:032x}", rand::random::<u128>());
                out.extend_from_slice(
                    format!("Content-Type: multipart/mixed; boundary={changeset}\r\n\r\n")
                        .as_bytes(),
                );
                for part in parts {
                    out.extend_from_slice(format!("--{changeset}\r\n").as_bytes());
                    write_part(&mut out, part, true);
                }
                out.extend_from_slice(format!("--{changeset}--\r\n").as_bytes());
            }
        }
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

/// One `application/http` part; the CRLF after it belongs to the next delimiter.
fn write_part(out: &mut Vec<u8>, part: &PartRequest, in_changeset: bool) {
    out.extend_from_slice(
        b"Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n",
    );
    if in_changeset {
        out.extend_from_slice(format!("Content-ID: {}\r\n", part.id).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(format!("{} {} HTTP/1.1\r\n", part.method, part.url).as_bytes());
    for (name, value) in &part.headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    if let Some(body) = &part.body {
        out.extend_from_slice(body);
    }
    out.extend_from_slice(b"\r\n");
}

/// The `boundary` parameter of a `multipart/*` content type.
fn boundary_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The bodies of the parts between `--boundary` lines, up to `--boundary--`.
fn split<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    let delimiter = format!("--{boundary}").into_bytes();
    // Starts of delimiter lines: at the beginning, or right after a line feed.
    let mut starts = Vec::new();
    let mut from = 0;
    while let Some(found) = body.get(from..).and_then(|rest| find(rest, &delimiter)) {
        let at = from + found;
        if at == 0 || body.get(at - 1) == Some(&b'\n') {
            starts.push(at);
        }
        from = at + delimiter.len();
    }
    let mut parts = Vec::new();
    for (i, &start) in starts.iter().enumerate() {
        let after = start + delimiter.len();
        if body.get(after..after + 2) == Some(b"--") {
            break;
        }
        let Some(end) = starts.get(i + 1).copied() else {
            break;
        };
        // The part starts after the delimiter line and ends before the line break that
        // precedes the next delimiter.
        let content_start = body
            .get(after..end)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
            .map_or(end, |p| after + p + 1);
        let mut content_end = end;
        if content_end > content_start && body.get(content_end - 1) == Some(&b'\n') {
            content_end -= 1;
            if content_end > content_start && body.get(content_end - 1) == Some(&b'\r') {
                content_end -= 1;
            }
        }
        if let Some(content) = body.get(content_start..content_end) {
            parts.push(content);
        }
    }
    parts
}

/// Splits a header block from what follows it (at the first empty line).
fn split_headers(part: &[u8]) -> (Vec<(String, String)>, &[u8]) {
    let (head, rest) = match (find(part, b"\r\n\r\n"), find(part, b"\n\n")) {
        (Some(a), Some(b)) if b < a => (&part[..b], &part[b + 2..]),
        (Some(a), _) => (&part[..a], &part[a + 4..]),
        (None, Some(b)) => (&part[..b], &part[b + 2..]),
        (None, None) => (part, &part[part.len()..]),
    };
    let headers = String::from_utf8_lossy(head)
        .lines()
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.trim().to_owned(), value.trim().to_owned()))
        })
        .collect();
    (headers, rest)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// An `application/http` part: MIME headers, then `HTTP/1.1 201 Created`, headers, body.
fn parse_http(part: &[u8]) -> Result<InnerAnswer, String> {
    let (mime, message) = split_headers(part);
    let line_end = message
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(message.len());
    let status_line = String::from_utf8_lossy(&message[..line_end]);
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("not an HTTP status line: {:?}", status_line.trim()))?;
    let rest = message.get(line_end + 1..).unwrap_or_default();
    // A blank line right after the status line means no headers.
    let (headers, body) = if rest.starts_with(b"\r\n") {
        (Vec::new(), &rest[2..])
    } else if rest.starts_with(b"\n") {
        (Vec::new(), &rest[1..])
    } else {
        split_headers(rest)
    };
    let id = header(&mime, "Content-ID")
        .or_else(|| header(&headers, "Content-ID"))
        .map(str::to_owned);
    Ok(InnerAnswer {
        id,
        status,
        headers,
        body: body.to_vec(),
    })
}

/// Parses a multipart batch answer whose `Content-Type` is `content_type`.
pub(crate) fn parse(content_type: &str, body: &[u8]) -> Result<Vec<Item>, String> {
    let boundary = boundary_of(content_type)
        .ok_or_else(|| format!("the answer is not multipart: Content-Type {content_type:?}"))?;
    let mut items = Vec::new();
    for part in split(body, &boundary) {
        let (mime, inner) = split_headers(part);
        let part_type = header(&mime, "Content-Type").unwrap_or_default();
        if part_type.to_ascii_lowercase().starts_with("multipart/") {
            let changeset = boundary_of(part_type)
                .ok_or_else(|| format!("changeset without a boundary: {part_type:?}"))?;
            let answers = split(inner, &changeset)
                .into_iter()
                .map(parse_http)
                .collect::<Result<Vec<_>, _>>()?;
            items.push(Item::Changeset(answers));
        } else {
            items.push(Item::Single(parse_http(part)?));
        }
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::Method;

    fn part(id: &str, method: Method, url: &str, body: Option<&str>) -> PartRequest {
        let mut headers = vec![("Accept".to_owned(), "application/json".to_owned())];
        if body.is_some() {
            headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
        }
        PartRequest {
            id: id.to_owned(),
            method,
            url: url.to_owned(),
            headers,
            body: body.map(|b| b.as_bytes().to_vec()),
            idempotent: false,
            depends_on: Vec::new(),
        }
    }

    #[test]
    fn request_shape() {
        let get = Unit::Single(part("1", Method::GET, "CustomersV3?$top=1", None));
        let changeset = Unit::Changeset(vec![
            part("2", Method::POST, "SalesOrderHeadersV2", Some(r#"{"a":1}"#)),
            part("3", Method::POST, "$2/SalesOrderLines", Some(r#"{"b":2}"#)),
        ]);
        let body = String::from_utf8(build(&[&get, &changeset], "batch_x")).unwrap();
        let changeset_boundary = body
            .split("boundary=")
            .nth(1)
            .and_then(|rest| rest.split("\r\n").next())
            .unwrap()
            .to_owned();
        let expected = format!(
            "--batch_x\r\n\
             Content-Type: application/http\r\n\
             Content-Transfer-Encoding: binary\r\n\
             \r\n\
             GET CustomersV3?$top=1 HTTP/1.1\r\n\
             Accept: application/json\r\n\
             \r\n\
             \r\n\
             --batch_x\r\n\
             Content-Type: multipart/mixed; boundary={cs}\r\n\
             \r\n\
             --{cs}\r\n\
             Content-Type: application/http\r\n\
             Content-Transfer-Encoding: binary\r\n\
             Content-ID: 2\r\n\
             \r\n\
             POST SalesOrderHeadersV2 HTTP/1.1\r\n\
             Accept: application/json\r\n\
             Content-Type: application/json\r\n\
             \r\n\
             {{\"a\":1}}\r\n\
             --{cs}\r\n\
             Content-Type: application/http\r\n\
             Content-Transfer-Encoding: binary\r\n\
             Content-ID: 3\r\n\
             \r\n\
             POST $2/SalesOrderLines HTTP/1.1\r\n\
             Accept: application/json\r\n\
             Content-Type: application/json\r\n\
             \r\n\
             {{\"b\":2}}\r\n\
             --{cs}--\r\n\
             --batch_x--\r\n",
            cs = changeset_boundary
        );
        assert_eq!(body, expected);
        assert!(changeset_boundary.starts_with("changeset_"));
    }

    #[test]
    fn parses_nested_answers_and_changeset_failures() {
        let answer = "--batchresponse_1\r\n\
Content-Type: application/http\r\n\
Content-Transfer-Encoding: binary\r\n\
\r\n\
HTTP/1.1 200 OK\r\n\
Content-Type: application/json; odata.metadata=minimal\r\n\
\r\n\
{\"value\":[]}\r\n\
--batchresponse_1\r\n\
Content-Type: multipart/mixed; boundary=changesetresponse_2\r\n\
\r\n\
--changesetresponse_2\r\n\
Content-Type: application/http\r\n\
Content-Transfer-Encoding: binary\r\n\
Content-ID: 3\r\n\
\r\n\
HTTP/1.1 201 Created\r\n\
Location: https://x/data/SalesOrderLines(1)\r\n\
\r\n\
{\"b\":2}\r\n\
--changesetresponse_2\r\n\
Content-Type: application/http\r\n\
Content-Transfer-Encoding: binary\r\n\
Content-ID: 2\r\n\
\r\n\
HTTP/1.1 204 No Content\r\n\
OData-EntityId: https://x/data/SalesOrderHeadersV2(1)\r\n\
\r\n\
\r\n\
--changesetresponse_2--\r\n\
--batchresponse_1\r\n\
Content-Type: application/http\r\n\
\r\n\
HTTP/1.1 500 Internal Server Error\r\n\
Content-Type: application/json\r\n\
\r\n\
{\"error\":{\"code\":\"\",\"message\":\"An error has occurred.\"}}\r\n\
--batchresponse_1--\r\n";
        let items = parse(
            "multipart/mixed; boundary=\"batchresponse_1\"",
            answer.as_bytes(),
        )
        .unwrap();
        assert_eq!(items.len(), 3);
        let Item::Single(first) = &items[0] else {
            panic!("{items:?}")
        };
        assert_eq!(
            (first.status, first.body.as_slice()),
            (200, &b"{\"value\":[]}"[..])
        );
        let Item::Changeset(answers) = &items[1] else {
            panic!("{items:?}")
        };
        assert_eq!(answers[0].id.as_deref(), Some("3"));
        assert_eq!(answers[0].status, 201);
        assert_eq!(answers[0].body, b"{\"b\":2}");
        assert_eq!(answers[1].status, 204);
        assert!(answers[1].body.is_empty());
        assert_eq!(
            header(&answers[1].headers, "odata-entityid"),
            Some("https://x/data/SalesOrderHeadersV2(1)")
        );
        let Item::Single(failure) = &items[2] else {
            panic!("{items:?}")
        };
        assert_eq!(failure.status, 500);
    }

    #[test]
    fn bare_line_feeds_are_read_too() {
        let answer = "--b\nContent-Type: application/http\n\nHTTP/1.1 204 No Content\n\n\n--b--\n";
        let items = parse("multipart/mixed;boundary=b", answer.as_bytes()).unwrap();
        let Item::Single(only) = &items[0] else {
            panic!()
        };
        assert_eq!(only.status, 204);
        assert!(parse("application/json", b"{}").is_err());
    }
}
