//! The SOQL subset the emulator runs: one object per query, field and parent-relationship
//! paths, `COUNT()`, WHERE with `= != <> < > <= >= IN NOT IN LIKE INCLUDES EXCLUDES AND OR
//! NOT` and parentheses, string/number/boolean/null/date/datetime and relative date
//! literals, `ORDER BY … ASC|DESC NULLS FIRST|LAST`, `LIMIT`, `OFFSET`.
//!
//! Errors carry Salesforce's codes (`MALFORMED_QUERY`, `INVALID_FIELD`, `INVALID_TYPE`) and
//! the message layout of the real API: the query line, a caret, `ERROR at Row:r:Column:c`
//! and the reason.

mod eval;
mod lexer;
mod parser;

pub(crate) use eval::{Outcome, run};
pub(crate) use parser::parse;

use super::errors::SfError;

/// A SOQL error with the char position it points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SoqlError {
    pub(crate) code: &'static str,
    pub(crate) pos: Option<usize>,
    pub(crate) message: String,
}

impl SoqlError {
    pub(crate) fn malformed(pos: usize, message: impl Into<String>) -> Self {
        Self {
            code: "MALFORMED_QUERY",
            pos: Some(pos),
            message: message.into(),
        }
    }

    pub(crate) fn invalid_field(pos: usize, message: impl Into<String>) -> Self {
        Self {
            code: "INVALID_FIELD",
            pos: Some(pos),
            message: message.into(),
        }
    }

    pub(crate) fn no_such_column(pos: usize, field: &str, object: &str) -> Self {
        Self::invalid_field(
            pos,
            format!(
                "No such column '{field}' on entity '{object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
            ),
        )
    }

    pub(crate) fn bad_relationship(pos: usize, rel: &str) -> Self {
        Self::invalid_field(
            pos,
            format!(
                "Didn't understand relationship '{rel}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."
            ),
        )
    }

    pub(crate) fn invalid_type(pos: usize, object: &str) -> Self {
        Self {
            code: "INVALID_TYPE",
            pos: Some(pos),
            message: format!(
                "sObject type '{object}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
            ),
        }
    }

    /// The REST error for query text `q`.
    pub(crate) fn into_sf(self, q: &str) -> SfError {
        let Some(pos) = self.pos else {
            return SfError::bad(self.code, self.message);
        };
        let (mut row, mut col, mut line_start) = (1usize, 1usize, 0usize);
        for (i, c) in q.chars().enumerate().take(pos) {
            if c == '\n' {
                row += 1;
                col = 1;
                line_start = i + 1;
            } else {
                col += 1;
            }
        }
        let line: String = q
            .chars()
            .skip(line_start)
            .take_while(|c| *c != '\n')
            .collect();
        let caret = format!("{}^", " ".repeat(col.saturating_sub(1)));
        SfError::bad(
            self.code,
            format!(
                "\n{line}\n{caret}\nERROR at Row:{row}:Column:{col}\n{}",
                self.message
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::salesforce::schema::standard_objects;
    use crate::salesforce::store::Db;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// Random token soups and random text never panic: they parse, run, or fail with an
    /// error whose message can be rendered.
    #[test]
    fn random_queries_never_panic() {
        const WORDS: &[&str] = &[
            "SELECT",
            "FROM",
            "WHERE",
            "AND",
            "OR",
            "NOT",
            "IN",
            "LIKE",
            "ORDER",
            "BY",
            "ASC",
            "DESC",
            "NULLS",
            "FIRST",
            "LAST",
            "LIMIT",
            "OFFSET",
            "COUNT()",
            "Id",
            "Name",
            "Account",
            "Contact",
            "Account.Name",
            "Owner.Email",
            "Amount__c",
            "Foo__r.Bar__c",
            "=",
            "!=",
            "<",
            ">=",
            "<>",
            "(",
            ")",
            ",",
            "'x'",
            "'a\\'b'",
            "'%\\_'",
            "1",
            "-2.5",
            "null",
            "TRUE",
            "2024-05-01",
            "2024-05-01T10:00:00Z",
            "TODAY",
            "LAST_N_DAYS:99999999999",
            "NEXT_N_DAYS:3",
            "INCLUDES",
            "'",
            "\\",
            "é",
            ";",
        ];
        let mut rng = StdRng::seed_from_u64(7);
        let mut db = Db::new(standard_objects(), true);
        let now = chrono::Utc::now();
        for _ in 0..4000 {
            let n = rng.random_range(0..14);
            let mut q = String::from(if rng.random_bool(0.8) {
                "SELECT Id, Name FROM Account WHERE "
            } else {
                ""
            });
            for _ in 0..n {
                q.push_str(WORDS[rng.random_range(0..WORDS.len())]);
                q.push(' ');
            }
            match parse(&q) {
                Ok(parsed) => {
                    if let Err(e) = run(&mut db, parsed, rng.random_bool(0.5), now, 60) {
                        let _ = e.into_sf(&q);
                    }
                }
                Err(e) => {
                    let _ = e.into_sf(&q);
                }
            }
            let noise: String = (0..rng.random_range(0..40))
                .map(|_| char::from_u32(rng.random_range(0..0x2FF)).unwrap_or('?'))
                .collect();
            let _ = parse(&noise).map_err(|e| e.into_sf(&noise));
        }
    }

    #[test]
    fn message_layout() {
        let q = "SELECT Id FRM Account";
        let e = parse(q).unwrap_err().into_sf(q);
        assert_eq!(e.code, "MALFORMED_QUERY");
        assert_eq!(
            e.message,
            "\nSELECT Id FRM Account\n          ^\nERROR at Row:1:Column:11\nunexpected token: FRM"
        );
    }
}
