//! CSV plumbing: reading stored uploads with the `csv` crate, spotting the record terminators
//! of an upload as it streams in, and writing result rows with Salesforce's quoting.

use std::io::{self, Read};
use std::sync::Arc;

use super::job::{Delimiter, Upload};

/// `std::io::Read` over the chunks of one stored upload.
#[derive(Debug)]
pub(crate) struct ChunkReader {
    upload: Arc<Upload>,
    idx: usize,
    pos: usize,
}

impl ChunkReader {
    pub(crate) fn new(upload: Arc<Upload>) -> Self {
        Self {
            upload,
            idx: 0,
            pos: 0,
        }
    }
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(chunk) = self.upload.chunks.get(self.idx) {
            let rest = chunk.get(self.pos..).unwrap_or_default();
            if rest.is_empty() {
                self.idx += 1;
                self.pos = 0;
                continue;
            }
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            self.pos += n;
            return Ok(n);
        }
        Ok(0)
    }
}

/// A `csv` reader of a stored upload in the job's dialect (header row first; rows of any
/// length, checked by the caller).
pub(crate) fn reader(upload: Arc<Upload>, delimiter: Delimiter) -> csv::Reader<ChunkReader> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter.byte())
        .has_headers(false)
        .flexible(true)
        .from_reader(ChunkReader::new(upload))
}

/// Tracks, across chunks, which record terminators an upload uses outside quoted fields.
#[derive(Debug, Default)]
pub(crate) struct LineScan {
    in_quotes: bool,
    prev_cr: bool,
    pub(crate) crlf: bool,
    pub(crate) bare_lf: bool,
}

impl LineScan {
    pub(crate) fn feed(&mut self, data: &[u8]) {
        for &b in data {
            match b {
                b'"' => self.in_quotes = !self.in_quotes,
                b'\n' if !self.in_quotes => {
                    if self.prev_cr {
                        self.crlf = true;
                    } else {
                        self.bare_lf = true;
                    }
                }
                _ => {}
            }
            self.prev_cr = b == b'\r';
        }
    }
}

/// Append `field`, quoted when `always` or when it needs it (delimiter, quote, CR, LF),
/// embedded quotes doubled.
pub(crate) fn push_field(out: &mut Vec<u8>, field: &[u8], delimiter: u8, always: bool) {
    let needs = always
        || field
            .iter()
            .any(|&b| b == delimiter || b == b'"' || b == b'\n' || b == b'\r');
    if !needs {
        out.extend_from_slice(field);
        return;
    }
    out.push(b'"');
    for &b in field {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// Strip a UTF-8 byte-order mark.
pub(crate) fn strip_bom(s: &[u8]) -> &[u8] {
    s.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;

    fn upload(parts: &[&'static [u8]]) -> Arc<Upload> {
        let mut scan = LineScan::default();
        for p in parts {
            scan.feed(p);
        }
        Arc::new(Upload {
            chunks: parts.iter().map(|p| Bytes::from_static(p)).collect(),
            bytes: parts.iter().map(|p| p.len() as u64).sum(),
            crlf: scan.crlf,
            bare_lf: scan.bare_lf,
        })
    }

    #[test]
    fn reads_across_chunks_with_quotes() {
        let u = upload(&[
            b"Name,Desc\n\"Ac",
            b"me, \"\"Inc\"\"\",\"line1\nline2\"\n",
            b"B,",
        ]);
        assert!(u.bare_lf && !u.crlf);
        let mut r = reader(u, Delimiter::Comma);
        let rows: Vec<Vec<String>> = r
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        assert_eq!(rows[0], vec!["Name", "Desc"]);
        assert_eq!(rows[1], vec!["Acme, \"Inc\"", "line1\nline2"]);
        assert_eq!(rows[2], vec!["B", ""]);
    }

    #[test]
    fn line_endings() {
        let u = upload(&[b"a\r", b"\nb\r\n\"x\ny\"\r\n"]);
        assert!(u.crlf && !u.bare_lf);
        let u = upload(&[b"a\r\nb\n"]);
        assert!(u.crlf && u.bare_lf);
    }

    #[test]
    fn quoting() {
        let mut out = Vec::new();
        push_field(&mut out, b"plain", b',', false);
        out.push(b',');
        push_field(&mut out, b"a,b", b',', false);
        out.push(b',');
        push_field(&mut out, b"say \"hi\"", b'|', false);
        out.push(b',');
        push_field(&mut out, b"x", b',', true);
        assert_eq!(out, b"plain,\"a,b\",\"say \"\"hi\"\"\",\"x\"");
        assert_eq!(strip_bom(b"\xEF\xBB\xBFId"), b"Id");
    }
}
