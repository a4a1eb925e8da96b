//! CSV files from Salesforce (job results, query result pages) read as they download: the body
//! is cut into blocks of whole records and each block parsed with the `csv` crate, so only one
//! network chunk and the records in it are in memory at a time.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;

use csv::ByteRecord;
use futures::stream::{self, Stream, StreamExt};
use serde::de::DeserializeOwned;

use crate::error::{Error, ErrorDetail, Result};

/// One data row of a CSV file, with the file's header.
#[derive(Debug)]
pub(crate) struct Row {
    pub(crate) header: Arc<ByteRecord>,
    pub(crate) record: ByteRecord,
    /// From 1, after the header.
    pub(crate) number: u64,
}

impl Row {
    /// The row as `T`, fields matched to the header by name.
    pub(crate) fn decode<T: DeserializeOwned>(&self, what: &'static str) -> Result<T> {
        self.record
            .deserialize(Some(&self.header))
            .map_err(|source| Error::CsvDecode {
                what,
                row: self.number,
                source,
            })
    }
}

/// Cuts a byte stream after the last line feed that is outside quotes, so each block holds
/// whole records. Quotes toggle the state; an escaped quote (`""`) toggles it twice.
#[derive(Debug, Default)]
struct Blocks {
    buf: Vec<u8>,
    scanned: usize,
    in_quotes: bool,
}

impl Blocks {
    fn push(&mut self, bytes: &[u8]) -> Option<Vec<u8>> {
        self.buf.extend_from_slice(bytes);
        let mut boundary = None;
        for (i, byte) in self.buf[self.scanned..].iter().enumerate() {
            match byte {
                b'"' => self.in_quotes = !self.in_quotes,
                b'\n' if !self.in_quotes => boundary = Some(self.scanned + i + 1),
                _ => {}
            }
        }
        self.scanned = self.buf.len();
        let end = boundary?;
        let rest = self.buf.split_off(end);
        self.scanned = rest.len();
        Some(std::mem::replace(&mut self.buf, rest))
    }

    fn finish(&mut self) -> Option<Vec<u8>> {
        self.scanned = 0;
        let rest = std::mem::take(&mut self.buf);
        (!rest.is_empty()).then_some(rest)
    }
}

type Chunks = Pin<Box<dyn Stream<Item = reqwest::Result<Vec<u8>>> + Send>>;

struct Reader {
    body: Chunks,
    blocks: Blocks,
    delimiter: u8,
    what: &'static str,
    header: Option<Arc<ByteRecord>>,
    ready: VecDeque<ByteRecord>,
    done: bool,
    number: u64,
}

impl Reader {
    fn parse(&mut self, block: &[u8]) -> Result<()> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(self.delimiter)
            .from_reader(block);
        for record in reader.byte_records() {
            let record = record.map_err(|source| Error::CsvDecode {
                what: self.what,
                row: self.number + self.ready.len() as u64 + 1,
                source,
            })?;
            if self.header.is_none() {
                self.header = Some(Arc::new(record));
            } else {
                self.ready.push_back(record);
            }
        }
        Ok(())
    }
}

/// The data rows of a CSV answer, read as it downloads.
pub(crate) fn rows(
    response: reqwest::Response,
    delimiter: u8,
    what: &'static str,
) -> impl Stream<Item = Result<Row>> + Send + 'static {
    let reader = Reader {
        body: Box::pin(response.bytes_stream().map(|chunk| chunk.map(Vec::from))),
        blocks: Blocks::default(),
        delimiter,
        what,
        header: None,
        ready: VecDeque::new(),
        done: false,
        number: 0,
    };
    stream::try_unfold(reader, |mut reader| async move {
        loop {
            if let Some(header) = reader.header.clone()
                && let Some(record) = reader.ready.pop_front()
            {
                reader.number += 1;
                let row = Row {
                    header,
                    record,
                    number: reader.number,
                };
                return Ok(Some((row, reader)));
            }
            if reader.done {
                return Ok(None);
            }
            let block = match reader.body.next().await {
                Some(chunk) => reader.blocks.push(&chunk.map_err(Error::transport)?),
                None => {
                    reader.done = true;
                    reader.blocks.finish()
                }
            };
            if let Some(block) = block {
                reader.parse(&block)?;
            }
        }
    })
}

/// Reads `sf__Error` (`STATUS_CODE:message:fields`, reference §3.1; the format is not
/// documented, so anything else is kept whole as the message).
pub(crate) fn row_error(text: &str) -> ErrorDetail {
    let is_code = |code: &str| {
        !code.is_empty()
            && code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    };
    let Some((code, rest)) = text.split_once(':').filter(|(code, _)| is_code(code)) else {
        return ErrorDetail::new("", text);
    };
    let fields_of = |tail: &str| -> Option<Vec<String>> {
        let tail = tail.trim().trim_end_matches("--").trim();
        if tail.is_empty() {
            return Some(Vec::new());
        }
        let names: Vec<String> = tail.split(',').map(|f| f.trim().to_owned()).collect();
        let api_name = |f: &String| {
            !f.is_empty()
                && f.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        };
        names.iter().all(api_name).then_some(names)
    };
    let mut detail = ErrorDetail::new(code, rest);
    if let Some((message, tail)) = rest.rsplit_once(':')
        && let Some(fields) = fields_of(tail)
    {
        detail.message = message.to_owned();
        detail.fields = fields;
    }
    detail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_end_only_at_line_feeds_outside_quotes() {
        let mut blocks = Blocks::default();
        assert_eq!(
            blocks.push(b"Id,Name\n001,\"multi"),
            Some(b"Id,Name\n".to_vec())
        );
        assert_eq!(blocks.push(b"\nline, \"\"quoted\"\"\""), None);
        assert_eq!(
            blocks.push(b"\r\n002,plain\r\n003"),
            Some(b"001,\"multi\nline, \"\"quoted\"\"\"\r\n002,plain\r\n".to_vec())
        );
        assert_eq!(blocks.finish(), Some(b"003".to_vec()));
        assert_eq!(blocks.finish(), None);
    }

    #[test]
    fn row_errors_table() {
        let cases: &[(&str, &str, &str, &[&str])] = &[
            (
                "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --",
                "REQUIRED_FIELD_MISSING",
                "Required fields are missing: [Name]",
                &["Name"],
            ),
            (
                "DUPLICATE_VALUE:duplicate value found: PaymentID__c duplicates value on record with id: a01xx:--",
                "DUPLICATE_VALUE",
                "duplicate value found: PaymentID__c duplicates value on record with id: a01xx",
                &[],
            ),
            (
                "INVALID_FIELD:No such column 'Foo' on entity 'Account'",
                "INVALID_FIELD",
                "No such column 'Foo' on entity 'Account'",
                &[],
            ),
            (
                "FIELD_INTEGRITY_EXCEPTION:bad value:Amount__c,Status__c",
                "FIELD_INTEGRITY_EXCEPTION",
                "bad value",
                &["Amount__c", "Status__c"],
            ),
            (
                "something odd: happened",
                "",
                "something odd: happened",
                &[],
            ),
        ];
        for (text, code, message, fields) in cases {
            let e = row_error(text);
            assert_eq!(
                (e.error_code.as_str(), e.message.as_str(), e.fields.clone()),
                (
                    *code,
                    *message,
                    fields.iter().map(|f| (*f).to_owned()).collect()
                ),
                "{text}"
            );
        }
    }
}
