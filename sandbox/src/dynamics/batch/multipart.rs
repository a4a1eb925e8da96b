//! `multipart/mixed` batches: parts of `Content-Type: application/http` holding one HTTP
//! request each, changesets as nested `multipart/mixed` parts, `Content-ID` on a part and
//! `$<Content-ID>` at the start of a later part's URL. CRLF and bare LF line ends are both
//! accepted; responses use CRLF, `batchresponse_<guid>` and `changesetresponse_<guid>`
//! boundaries, and per part `HTTP/1.1 <status> <reason>` with headers and body.

use std::collections::HashMap;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};

use super::{Base, Executor, entity_location, part_request, substitute};
use crate::dynamics::error::ApiError;
use crate::dynamics::http::Resp;
use crate::dynamics::odata::value::new_guid;

/// One request of a batch.
#[derive(Clone, Debug)]
struct Part {
    content_id: Option<String>,
    method: Method,
    url: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// A top-level item: one request or a changeset.
#[derive(Clone, Debug)]
enum Item {
    Single(Part),
    Changeset(Vec<Part>),
}

/// The `boundary` parameter of a `multipart/*` content type.
pub(crate) fn boundary_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty())
    })
}

/// Bodies of the parts between `--boundary` delimiters.
fn split_parts<'a>(body: &'a str, boundary: &str) -> Result<Vec<&'a str>, String> {
    let delim = format!("--{boundary}");
    let mut starts = Vec::new();
    let mut from = 0;
    while let Some(i) = body.get(from..).and_then(|s| s.find(&delim)) {
        let at = from + i;
        if at == 0 || body.get(..at).is_some_and(|s| s.ends_with('\n')) {
            starts.push(at);
        }
        from = at + delim.len();
    }
    if starts.is_empty() {
        return Err(format!(
            "The batch body does not contain the boundary '{boundary}'."
        ));
    }
    let mut parts = Vec::new();
    let mut closed = false;
    for (n, &at) in starts.iter().enumerate() {
        let after = at + delim.len();
        let rest = body.get(after..).unwrap_or("");
        if rest.starts_with("--") {
            closed = true;
            break;
        }
        let end = starts.get(n + 1).copied().unwrap_or(body.len());
        let chunk = body.get(after..end).unwrap_or("");
        let chunk = match chunk.find('\n') {
            Some(i) => chunk.get(i + 1..).unwrap_or(""),
            None => "",
        };
        let chunk = chunk
            .strip_suffix("\r\n")
            .or_else(|| chunk.strip_suffix('\n'))
            .unwrap_or(chunk);
        parts.push(chunk);
    }
    if !closed {
        return Err(format!(
            "The batch body is missing the closing boundary '--{boundary}--'."
        ));
    }
    Ok(parts)
}

/// Headers and body of a MIME part or an HTTP message.
fn split_head(s: &str) -> (&str, &str) {
    if let Some(rest) = s.strip_prefix("\r\n") {
        return ("", rest);
    }
    if let Some(rest) = s.strip_prefix('\n') {
        return ("", rest);
    }
    let crlf = s.find("\r\n\r\n").map(|i| (i, 4));
    let lf = s.find("\n\n").map(|i| (i, 2));
    let best = match (crlf, lf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    };
    match best {
        Some((i, n)) => (s.get(..i).unwrap_or(""), s.get(i + n..).unwrap_or("")),
        None => (s, ""),
    }
}

fn parse_headers(h: &str) -> Vec<(String, String)> {
    h.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect()
}

fn header<'a>(hs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    hs.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn parse_request(part_headers: &[(String, String)], text: &str) -> Result<Part, String> {
    let (head, body) = split_head(text);
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or("").trim();
    let mut words = request_line.split_whitespace();
    let (Some(method), Some(url)) = (words.next(), words.next()) else {
        return Err(format!("The request line '{request_line}' is not valid."));
    };
    let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|_| format!("The HTTP method '{method}' is not valid."))?;
    let inner: Vec<(String, String)> = parse_headers(&lines.collect::<Vec<_>>().join("\n"));
    let mut headers = HeaderMap::new();
    for (k, v) in &inner {
        if let (Ok(n), Ok(v)) = (
            HeaderName::try_from(k.as_str()),
            HeaderValue::try_from(v.as_str()),
        ) {
            headers.append(n, v);
        }
    }
    let content_id = header(part_headers, "Content-ID")
        .or_else(|| header(&inner, "Content-ID"))
        .map(str::to_owned);
    let body = body.trim_end_matches(['\r', '\n']).as_bytes().to_vec();
    Ok(Part {
        content_id,
        method,
        url: url.to_owned(),
        headers,
        body,
    })
}

fn parse(body: &str, boundary: &str) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    for raw in split_parts(body, boundary)? {
        let (h, content) = split_head(raw);
        let hs = parse_headers(h);
        let ct = header(&hs, "Content-Type")
            .unwrap_or("")
            .to_ascii_lowercase();
        if ct.starts_with("multipart/mixed") {
            let inner = boundary_of(header(&hs, "Content-Type").unwrap_or(""))
                .ok_or_else(|| "A changeset has no boundary.".to_owned())?;
            let mut parts = Vec::new();
            for sub in split_parts(content, &inner)? {
                let (sh, sc) = split_head(sub);
                let shs = parse_headers(sh);
                let p = parse_request(&shs, sc)?;
                if p.method == Method::GET {
                    return Err("A GET request is not allowed inside a change set.".into());
                }
                parts.push(p);
            }
            items.push(Item::Changeset(parts));
        } else {
            items.push(Item::Single(parse_request(&hs, content)?));
        }
    }
    Ok(items)
}

fn render_part(resp: &Resp, content_id: Option<&str>) -> String {
    let mut s =
        String::from("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n");
    if let Some(id) = content_id {
        s.push_str(&format!("Content-ID: {id}\r\n"));
    }
    s.push_str("\r\n");
    s.push_str(&format!(
        "HTTP/1.1 {} {}\r\n",
        resp.status.as_u16(),
        resp.status.canonical_reason().unwrap_or("")
    ));
    let body = resp.body_bytes();
    if let Some((ct, _)) = &body {
        s.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    for (k, v) in &resp.headers {
        if let Ok(v) = v.to_str() {
            s.push_str(&format!("{}: {v}\r\n", k.as_str()));
        }
    }
    s.push_str("\r\n");
    if let Some((_, bytes)) = body {
        s.push_str(&String::from_utf8_lossy(&bytes));
    }
    s.push_str("\r\n");
    s
}

struct Run<'a> {
    exec: &'a mut dyn Executor,
    base: &'a Base,
    locations: HashMap<String, String>,
}

impl Run<'_> {
    fn one(&mut self, p: &Part) -> Resp {
        let locations = &self.locations;
        let url = match substitute(&p.url, &|id| locations.get(id).cloned()) {
            Ok(u) => u,
            Err(r) => {
                return self.exec.error(ApiError::BadBatch(format!(
                    "Content-ID Reference: '{r}' does not exist in the batch context."
                )));
            }
        };
        let req = part_request(
            self.base,
            p.method.clone(),
            &url,
            p.headers.clone(),
            p.body.clone(),
        );
        if req.path.ends_with("/$batch") {
            return self.exec.error(ApiError::BadBatch(
                "A batch cannot contain another batch.".into(),
            ));
        }
        let resp = self.exec.execute(&req);
        if resp.is_success()
            && let (Some(id), Some(loc)) = (&p.content_id, entity_location(&resp))
        {
            self.locations.insert(id.clone(), loc);
        }
        resp
    }
}

/// Run a multipart batch.
///
/// # Errors
///
/// [`ApiError::BadBatch`] for a malformed body, [`ApiError::BatchTooLarge`] beyond
/// `max_operations` requests.
pub(crate) fn run(
    exec: &mut dyn Executor,
    base: &Base,
    content_type: &str,
    body: &[u8],
    max_operations: usize,
    whole_atomic: bool,
) -> Result<Resp, ApiError> {
    let boundary = boundary_of(content_type)
        .ok_or_else(|| ApiError::BadBatch("The batch request has no multipart boundary.".into()))?;
    let text = String::from_utf8_lossy(body);
    let items = parse(&text, &boundary).map_err(ApiError::BadBatch)?;
    let ops: usize = items
        .iter()
        .map(|i| match i {
            Item::Single(_) => 1,
            Item::Changeset(p) => p.len(),
        })
        .sum();
    if ops > max_operations {
        return Err(ApiError::BatchTooLarge {
            limit: max_operations,
        });
    }
    let mut run = Run {
        exec,
        base,
        locations: HashMap::new(),
    };
    let outer = format!("batchresponse_{}", new_guid());
    let mut out: Vec<String> = Vec::new();
    if whole_atomic {
        run.exec.begin();
    }
    for item in &items {
        match item {
            Item::Single(p) => {
                let resp = run.one(p);
                if whole_atomic && !resp.is_success() {
                    run.exec.rollback();
                    return Ok(finish(
                        &outer,
                        vec![render_part(&resp, p.content_id.as_deref())],
                    ));
                }
                out.push(render_part(&resp, p.content_id.as_deref()));
            }
            Item::Changeset(parts) => {
                run.exec.begin();
                let before = run.locations.clone();
                let mut done = Vec::new();
                let mut failed = None;
                for p in parts {
                    let resp = run.one(p);
                    if !resp.is_success() {
                        failed = Some(render_part(&resp, p.content_id.as_deref()));
                        break;
                    }
                    done.push(render_part(&resp, p.content_id.as_deref()));
                }
                match failed {
                    Some(err) => {
                        run.exec.rollback();
                        run.locations = before;
                        if whole_atomic {
                            run.exec.rollback();
                            return Ok(finish(&outer, vec![err]));
                        }
                        out.push(err);
                    }
                    None => {
                        run.exec.commit();
                        let cs = format!("changesetresponse_{}", new_guid());
                        let mut s = format!("Content-Type: multipart/mixed; boundary={cs}\r\n\r\n");
                        for d in done {
                            s.push_str(&format!("--{cs}\r\n{d}"));
                        }
                        s.push_str(&format!("--{cs}--\r\n"));
                        out.push(s);
                    }
                }
            }
        }
    }
    if whole_atomic {
        run.exec.commit();
    }
    Ok(finish(&outer, out))
}

fn finish(boundary: &str, parts: Vec<String>) -> Resp {
    let mut body = String::new();
    for p in parts {
        body.push_str(&format!("--{boundary}\r\n{p}"));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    Resp::text(
        StatusCode::OK,
        &format!("multipart/mixed; boundary={boundary}"),
        body,
    )
    .header("OData-Version", "4.0")
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "--batch_1\r\nContent-Type: multipart/mixed; boundary=changeset_1\r\n\r\n--changeset_1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: 1\r\n\r\nPOST CustomersV3 HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{\"a\":1}\r\n--changeset_1\r\nContent-Type: application/http\r\nContent-ID: 2\r\n\r\nPATCH $1 HTTP/1.1\r\n\r\n{}\r\n--changeset_1--\r\n--batch_1\r\nContent-Type: application/http\r\n\r\nGET CustomersV3?$top=1 HTTP/1.1\r\nAccept: application/json\r\n\r\n\r\n--batch_1--\r\n";

    #[test]
    fn parses_changesets_and_parts() {
        let items = parse(BODY, "batch_1").unwrap();
        assert_eq!(items.len(), 2);
        let Item::Changeset(cs) = &items[0] else {
            panic!("changeset expected")
        };
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0].content_id.as_deref(), Some("1"));
        assert_eq!(cs[0].body, b"{\"a\":1}");
        assert_eq!(cs[1].url, "$1");
        let Item::Single(get) = &items[1] else {
            panic!("single expected")
        };
        assert_eq!(get.method, Method::GET);
        assert_eq!(get.url, "CustomersV3?$top=1");
        assert!(get.body.is_empty());
    }

    #[test]
    fn lf_only_and_errors() {
        let lf = BODY.replace("\r\n", "\n");
        assert_eq!(parse(&lf, "batch_1").unwrap().len(), 2);
        assert!(parse("nothing", "batch_1").is_err());
        assert!(parse("--batch_1\r\n\r\nGET X HTTP/1.1\r\n\r\n", "batch_1").is_err());
        assert_eq!(
            boundary_of("multipart/mixed; boundary=\"b_1\""),
            Some("b_1".into())
        );
    }
}
