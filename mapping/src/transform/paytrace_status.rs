//! PayTrace's status vocabulary: `response_code` (reference §4.5), the transaction export's
//! `status_code` / `status_message` (§5.1) and `transaction_type`.
//!
//! ## `response_code` → [`PaymentStatus`] (default [`PaytraceCodeTable`])
//!
//! | code | meaning | status | why |
//! |---|---|---|---|
//! | 1 | errors (`errors` object) | failed | the request was refused before processing; nothing was charged |
//! | 101, 104 | approved (104: test mode) | approved; **authorized** for an authorization | an approved authorization holds funds without capturing them |
//! | 102, 105 | declined (105: test mode) | declined | |
//! | 103 | approved, then voided by the merchant's AVS/CSC rules | voided | the hold was released; nothing will settle |
//! | 106, 108 | refund successful (108: test mode) | approved | this is the *refund transaction's* status: approved and settling with the batch, its kind says money flows back. The original payment moves to refunded through `Payment::apply_refund`, which knows the amounts. `Refunded` here would be terminal and refuse the later move to settled |
//! | 107 | refund not successful | failed | nothing moved; a refund is refused for processing reasons, not by a cardholder's bank |
//! | 109, 111 | void successful (111: test mode) | voided | |
//! | 110, 113, 116 | void / capture / forced sale not successful | failed | |
//! | 112, 114 | capture successful (114: test mode) | approved | captured, waiting for settlement |
//! | 115, 117 | forced sale (117: test mode) | approved | |
//! | 118 | stored (store and forward) | pending | not yet sent to the processor |
//! | 120, 121 | check processed (121: test mode) | approved | an ACH debit accepted for settlement |
//! | 122, 123 | check refund processed | approved | as for 106 |
//! | 124 | check managed (fund/void) | approved; **voided** for a void | the code covers both actions |
//! | 125 | check not processed | failed | |
//! | 165 | Protect sale approved and profile created | approved; authorized for an authorization | as 101 |
//! | 175 | batch settled | settled | |
//! | 180 | amount adjusted | approved | the sale stays approved with its new amount |
//!
//! Codes that are not about a payment (100 password, 149 receipt, 150–155 recurrence,
//! 160–162 customer profile, 167, 170–172 level 3 and signature) and codes not in the table
//! are an error, never a guessed status: a caller that must go on treats the outcome as
//! unknown and reconciles through the export, as a non-idempotent sale requires anyway.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use canonical_model::{PaymentStatus, TransactionKind};
use serde::{Deserialize, Serialize};

use super::error::{Result, TransformError};
use super::vocab::{KeywordTable, Vocabulary};

/// What one `response_code` means: a status, optionally a different one per transaction kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRule {
    /// The status for any kind not listed in `by_kind`.
    pub status: PaymentStatus,
    /// Statuses for particular kinds (e.g. an approved authorization is `authorized`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_kind: BTreeMap<TransactionKind, PaymentStatus>,
}

impl CodeRule {
    /// A rule with one status for every kind.
    pub fn always(status: PaymentStatus) -> Self {
        Self {
            status,
            by_kind: BTreeMap::new(),
        }
    }

    /// The rule with `kind` mapped to `status`.
    #[must_use]
    pub fn with_kind(mut self, kind: TransactionKind, status: PaymentStatus) -> Self {
        self.by_kind.insert(kind, status);
        self
    }

    /// The status for a transaction of `kind`.
    pub fn status_for(&self, kind: TransactionKind) -> PaymentStatus {
        self.by_kind.get(&kind).copied().unwrap_or(self.status)
    }
}

/// PayTrace `response_code` → [`PaymentStatus`], as data (see the module docs for the default
/// table and the reason for each entry).
///
/// Keys are the codes as text, so the table reads from TOML as well as JSON:
///
/// ```
/// use canonical_model::{PaymentStatus, TransactionKind};
/// use mapping::transform::paytrace_status::PaytraceCodeTable;
///
/// let mut table = PaytraceCodeTable::default();
/// assert_eq!(table.status(101, TransactionKind::Authorization)?, PaymentStatus::Authorized);
/// // This merchant's account returns 167 for an already-existing sale: treat it as approved.
/// table.extend(toml::from_str(r#"codes."167".status = "approved""#).unwrap());
/// assert_eq!(table.status(167, TransactionKind::Sale)?, PaymentStatus::Approved);
/// # Ok::<(), mapping::transform::TransformError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PaytraceCodeTable {
    /// The rule for each code.
    pub codes: BTreeMap<String, CodeRule>,
}

impl Default for PaytraceCodeTable {
    fn default() -> Self {
        use PaymentStatus::*;
        use TransactionKind as K;
        let approved_or_authorized =
            CodeRule::always(Approved).with_kind(K::Authorization, Authorized);
        let rules: [(&[u16], CodeRule); 13] = [
            (&[1, 107, 110, 113, 116, 125], CodeRule::always(Failed)),
            (&[101, 104, 165], approved_or_authorized),
            (&[102, 105], CodeRule::always(Declined)),
            (&[103, 109, 111], CodeRule::always(Voided)),
            (&[106, 108], CodeRule::always(Approved)),
            (&[112, 114], CodeRule::always(Approved)),
            (&[115, 117], CodeRule::always(Approved)),
            (&[118], CodeRule::always(Pending)),
            (&[120, 121], CodeRule::always(Approved)),
            (&[122, 123], CodeRule::always(Approved)),
            (
                &[124],
                CodeRule::always(Approved).with_kind(K::Void, Voided),
            ),
            (&[175], CodeRule::always(Settled)),
            (&[180], CodeRule::always(Approved)),
        ];
        let mut codes = BTreeMap::new();
        for (list, rule) in rules {
            for code in list {
                codes.insert(code.to_string(), rule.clone());
            }
        }
        Self { codes }
    }
}

/// Codes PayTrace uses for things other than a payment outcome (reference §4.5).
const NON_PAYMENT_CODES: [u16; 13] = [
    100, 149, 150, 151, 152, 155, 160, 161, 162, 167, 170, 171, 172,
];

impl PaytraceCodeTable {
    /// The status of a transaction of `kind` that PayTrace answered with `code`.
    ///
    /// # Errors
    /// [`TransformError::Unmapped`] for a code that is not about a payment (customer profile,
    /// receipt, recurrence, level 3), [`TransformError::Unknown`] for a code not in the table.
    pub fn status(&self, code: u16, kind: TransactionKind) -> Result<PaymentStatus> {
        let key = code.to_string();
        if let Some(rule) = self.codes.get(&key) {
            return Ok(rule.status_for(kind));
        }
        if NON_PAYMENT_CODES.contains(&code) {
            Err(TransformError::unmapped(
                "PayTrace response_code",
                &key,
                "it reports a customer, receipt, recurrence or level-3 operation, not a payment",
            ))
        } else {
            Err(TransformError::unknown(
                "PayTrace response_code",
                &key,
                "outcome unknown: reconcile through the transaction export, or add the code to the table",
            ))
        }
    }

    /// Adds `other`'s rules; where both have one for a code, `other`'s wins.
    pub fn extend(&mut self, other: PaytraceCodeTable) {
        self.codes.extend(other.codes);
    }

    /// The table with `code` mapped by `rule`.
    #[must_use]
    pub fn with_rule(mut self, code: u16, rule: CodeRule) -> Self {
        self.codes.insert(code.to_string(), rule);
        self
    }
}

static DEFAULT_CODES: LazyLock<PaytraceCodeTable> = LazyLock::new(PaytraceCodeTable::default);

/// The status for a PayTrace `response_code` on a transaction of `kind`, from the default
/// table.
///
/// ```
/// use canonical_model::{PaymentStatus, TransactionKind};
/// use mapping::transform::paytrace_status::paytrace_status;
/// assert_eq!(paytrace_status(101, TransactionKind::Sale)?, PaymentStatus::Approved);
/// assert_eq!(paytrace_status(102, TransactionKind::Sale)?, PaymentStatus::Declined);
/// # Ok::<(), mapping::transform::TransformError>(())
/// ```
///
/// # Errors
/// As [`PaytraceCodeTable::status`].
pub fn paytrace_status(code: u16, kind: TransactionKind) -> Result<PaymentStatus> {
    DEFAULT_CODES.status(code, kind)
}

/// A transaction's status and batch as the PayTrace export reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportStatus {
    /// Where the transaction stands.
    pub status: PaymentStatus,
    /// The settlement batch number, for settled transactions (`"GB571"` → `"571"`).
    pub batch_number: Option<String>,
}

/// How to read the export's `status_code` `"N"`, whose meaning hides in `status_message` and
/// `transaction_type` (the texts for voided and declined rows are UNCONFIRMED in the
/// reference, so both are matched by keyword).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExportStatusRules {
    /// Keywords looked for in `status_message` first.
    pub message_keywords: KeywordTable<PaymentStatus>,
    /// Keywords looked for in `transaction_type` when the message says nothing known.
    pub type_keywords: KeywordTable<PaymentStatus>,
}

impl Default for ExportStatusRules {
    fn default() -> Self {
        use PaymentStatus::*;
        let words = KeywordTable::new()
            .with("authorization only", Authorized)
            .with("auth only", Authorized)
            .with("void", Voided)
            .with("declin", Declined)
            .with("not approved", Declined)
            .with("fail", Failed)
            .with("error", Failed);
        Self {
            message_keywords: words.clone(),
            type_keywords: words.with("authorization", Authorized),
        }
    }
}

impl ExportStatusRules {
    /// The status and batch of an export row.
    ///
    /// - `"GB"` + digits: settled in that batch.
    /// - `"Y"`: pending settlement, so approved (captured).
    /// - `"N"`: not going to settle: authorized (`"Authorization Only"`), voided or declined,
    ///   told apart by keywords in `status_message`, then in `transaction_type`.
    ///
    /// # Errors
    /// [`TransformError::Missing`] for a blank code, [`TransformError::Unknown`] for any other
    /// code or an `"N"` row whose texts match no keyword.
    pub fn classify(
        &self,
        status_code: &str,
        status_message: &str,
        transaction_type: &str,
    ) -> Result<ExportStatus> {
        let code = status_code.trim();
        if code.is_empty() {
            return Err(TransformError::missing("PayTrace export status_code"));
        }
        if let Some(batch) = batch_number_from_status_code(code) {
            return Ok(ExportStatus {
                status: PaymentStatus::Settled,
                batch_number: Some(batch),
            });
        }
        let status = match code.to_ascii_uppercase().as_str() {
            "Y" => PaymentStatus::Approved,
            "N" => self
                .message_keywords
                .find(status_message)
                .or_else(|| self.type_keywords.find(transaction_type))
                .copied()
                .ok_or_else(|| {
                    TransformError::unknown(
                        "PayTrace export status",
                        &format!("N / {} / {}", status_message.trim(), transaction_type.trim()),
                        "no keyword matched the status message or transaction type; extend ExportStatusRules",
                    )
                })?,
            _ => {
                return Err(TransformError::unknown(
                    "PayTrace export status_code",
                    code,
                    "expected \"Y\", \"N\" or \"GB\" followed by a batch number",
                ));
            }
        };
        Ok(ExportStatus {
            status,
            batch_number: None,
        })
    }
}

static DEFAULT_EXPORT_RULES: LazyLock<ExportStatusRules> =
    LazyLock::new(ExportStatusRules::default);

/// The status and batch of a PayTrace export row, with the default keywords.
///
/// ```
/// use canonical_model::PaymentStatus;
/// use mapping::transform::paytrace_status::paytrace_export_status;
/// let row = paytrace_export_status("GB571", "GB571", "SALE")?;
/// assert_eq!(row.status, PaymentStatus::Settled);
/// assert_eq!(row.batch_number.as_deref(), Some("571"));
/// let auth = paytrace_export_status("N", "Authorization Only", "AUTHORIZATION")?;
/// assert_eq!(auth.status, PaymentStatus::Authorized);
/// # Ok::<(), mapping::transform::TransformError>(())
/// ```
///
/// # Errors
/// As [`ExportStatusRules::classify`].
pub fn paytrace_export_status(
    status_code: &str,
    status_message: &str,
    transaction_type: &str,
) -> Result<ExportStatus> {
    DEFAULT_EXPORT_RULES.classify(status_code, status_message, transaction_type)
}

/// The batch number in an export `status_code` of the form `"GB"` + digits (`"GB571"` →
/// `"571"`); `None` for anything else.
pub fn batch_number_from_status_code(status_code: &str) -> Option<String> {
    let code = status_code.trim();
    let digits = code
        .get(..2)
        .filter(|p| p.eq_ignore_ascii_case("GB"))
        .and_then(|_| code.get(2..))?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.to_owned())
}

static TRANSACTION_TYPES: LazyLock<Vocabulary<TransactionKind>> = LazyLock::new(|| {
    use TransactionKind::*;
    [
        ("SALE", Sale),
        ("FORCE", Sale),
        ("FORCED SALE", Sale),
        ("AUTHORIZATION", Authorization),
        ("AUTH", Authorization),
        ("CAPTURE", Capture),
        ("REFUND", Refund),
        ("CREDIT", Credit),
        ("VOID", Void),
    ]
    .into_iter()
    .collect()
});

/// The kind of a PayTrace `transaction_type` (`"SALE"`; the other spellings mirror the export
/// filter names, UNCONFIRMED in the reference, and are matched ignoring case).
///
/// # Errors
/// [`TransformError::Missing`] for blank text, [`TransformError::Unknown`] otherwise.
pub fn paytrace_transaction_kind(transaction_type: &str) -> Result<TransactionKind> {
    if transaction_type.trim().is_empty() {
        return Err(TransformError::missing("PayTrace transaction_type"));
    }
    TRANSACTION_TYPES
        .get(transaction_type)
        .copied()
        .ok_or_else(|| {
            TransformError::unknown(
                "PayTrace transaction_type",
                transaction_type,
                "expected SALE, AUTHORIZATION, CAPTURE, REFUND, CREDIT or VOID",
            )
        })
}

/// The kind of an export row, given the status its `status_code` mapped to.
///
/// PayTrace keeps one row per authorization and never exports a separate capture row: an
/// `AUTHORIZATION` row that is pending settlement (`Y`) or settled (`GB<n>`) has been
/// captured, and its money flows like a sale's, so it is a [`TransactionKind::Capture`].
/// Every other row keeps the kind of its `transaction_type`.
///
/// # Errors
/// As [`paytrace_transaction_kind`].
pub fn paytrace_export_kind(
    transaction_type: &str,
    status: PaymentStatus,
) -> Result<TransactionKind> {
    Ok(match paytrace_transaction_kind(transaction_type)? {
        TransactionKind::Authorization if status.is_charged() => TransactionKind::Capture,
        kind => kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use PaymentStatus::*;
    use TransactionKind as K;

    #[test]
    fn response_codes_by_kind() {
        let cases = [
            (1, K::Sale, Failed),
            (101, K::Sale, Approved),
            (101, K::Authorization, Authorized),
            (104, K::Sale, Approved),
            (104, K::Authorization, Authorized),
            (102, K::Sale, Declined),
            (105, K::Authorization, Declined),
            (103, K::Sale, Voided),
            (106, K::Refund, Approved),
            (108, K::Credit, Approved),
            (107, K::Refund, Failed),
            (109, K::Void, Voided),
            (111, K::Void, Voided),
            (110, K::Void, Failed),
            (112, K::Capture, Approved),
            (114, K::Capture, Approved),
            (113, K::Capture, Failed),
            (115, K::Sale, Approved),
            (118, K::Sale, Pending),
            (120, K::Sale, Approved),
            (121, K::Sale, Approved),
            (122, K::Refund, Approved),
            (124, K::Void, Voided),
            (124, K::Sale, Approved),
            (125, K::Sale, Failed),
            (165, K::Sale, Approved),
            (175, K::Sale, Settled),
            (180, K::Sale, Approved),
        ];
        for (code, kind, want) in cases {
            assert_eq!(
                paytrace_status(code, kind).unwrap(),
                want,
                "{code} {kind:?}"
            );
        }
    }

    #[test]
    fn non_payment_and_unknown_codes_are_errors() {
        for code in [160, 149, 150, 170] {
            let err = paytrace_status(code, K::Sale).unwrap_err();
            assert!(
                matches!(err, TransformError::Unmapped { .. }),
                "{code}: {err:?}"
            );
        }
        let err = paytrace_status(199, K::Sale).unwrap_err();
        assert!(matches!(err, TransformError::Unknown { .. }));
        assert!(err.to_string().contains("\"199\""), "{err}");
    }

    #[test]
    fn code_table_overrides_from_toml_and_json() {
        let mut t = PaytraceCodeTable::default();
        let user: PaytraceCodeTable = toml::from_str(
            r#"
            [codes."101"]
            status = "approved"
            [codes."101".by_kind]
            authorization = "pending"
            "#,
        )
        .unwrap();
        t.extend(user);
        assert_eq!(t.status(101, K::Authorization).unwrap(), Pending);
        assert_eq!(t.status(102, K::Sale).unwrap(), Declined);
        let json = serde_json::to_value(PaytraceCodeTable::default()).unwrap();
        assert_eq!(
            json["codes"]["101"]["by_kind"]["authorization"],
            "authorized"
        );
        let back: PaytraceCodeTable = serde_json::from_value(json).unwrap();
        assert_eq!(back, PaytraceCodeTable::default());
        let t = PaytraceCodeTable::default().with_rule(167, CodeRule::always(Failed));
        assert_eq!(t.status(167, K::Sale).unwrap(), Failed);
    }

    #[test]
    fn export_rows() {
        let cases = [
            ("GB571", "GB571", "SALE", Settled, Some("571")),
            (" gb12 ", "", "REFUND", Settled, Some("12")),
            ("Y", "Pending Settlement", "SALE", Approved, None),
            ("y", "", "REFUND", Approved, None),
            ("N", "Authorization Only", "AUTHORIZATION", Authorized, None),
            ("N", "Voided", "SALE", Voided, None),
            ("N", "Transaction Void", "SALE", Voided, None),
            ("N", "Declined", "SALE", Declined, None),
            ("N", "", "VOID", Voided, None),
            ("N", "", "DECLINED", Declined, None),
            ("N", "", "AUTHORIZATION", Authorized, None),
        ];
        for (code, message, kind, status, batch) in cases {
            let got = paytrace_export_status(code, message, kind).unwrap();
            assert_eq!(got.status, status, "{code} {message} {kind}");
            assert_eq!(got.batch_number.as_deref(), batch, "{code}");
        }
    }

    #[test]
    fn export_rows_that_cannot_be_read_are_errors() {
        assert_eq!(
            paytrace_export_status(" ", "x", "SALE").unwrap_err(),
            TransformError::missing("PayTrace export status_code")
        );
        for (code, message, kind) in [
            ("N", "", "SALE"),
            ("Q", "", "SALE"),
            ("GB", "", "SALE"),
            ("GBx1", "", "SALE"),
        ] {
            let err = paytrace_export_status(code, message, kind).unwrap_err();
            assert!(
                matches!(err, TransformError::Unknown { .. }),
                "{code}: {err:?}"
            );
        }
        let mut rules = ExportStatusRules::default();
        rules
            .message_keywords
            .extend(KeywordTable::new().with("Held", Pending));
        assert_eq!(
            rules
                .classify("N", "Held for review", "SALE")
                .unwrap()
                .status,
            Pending
        );
    }

    #[test]
    fn batch_numbers() {
        assert_eq!(
            batch_number_from_status_code("GB571").as_deref(),
            Some("571")
        );
        assert_eq!(batch_number_from_status_code("Y"), None);
        assert_eq!(batch_number_from_status_code("GB"), None);
        assert_eq!(batch_number_from_status_code("GB5x"), None);
        assert_eq!(batch_number_from_status_code("é"), None);
    }

    #[test]
    fn transaction_types() {
        for (text, kind) in [
            ("SALE", K::Sale),
            ("Authorization", K::Authorization),
            ("CAPTURE", K::Capture),
            ("REFUND", K::Refund),
            ("VOID", K::Void),
            ("credit", K::Credit),
        ] {
            assert_eq!(paytrace_transaction_kind(text).unwrap(), kind, "{text}");
        }
        assert!(paytrace_transaction_kind("").is_err());
        assert!(paytrace_transaction_kind("LEVEL3").is_err());
    }

    #[test]
    fn export_kind_of_captured_authorizations() {
        let cases = [
            ("AUTHORIZATION", Authorized, K::Authorization),
            ("AUTHORIZATION", Approved, K::Capture),
            ("AUTHORIZATION", Settled, K::Capture),
            ("AUTHORIZATION", Voided, K::Authorization),
            ("SALE", Settled, K::Sale),
            ("REFUND", Approved, K::Refund),
        ];
        for (text, status, kind) in cases {
            assert_eq!(
                paytrace_export_kind(text, status).unwrap(),
                kind,
                "{text} {status}"
            );
        }
        assert!(paytrace_export_kind("", Approved).is_err());
    }
}
