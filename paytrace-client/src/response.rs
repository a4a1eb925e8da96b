//! What every PayTrace response shares: the `response_code` table (reference §4.5), ids that
//! arrive as numbers or strings, and tolerant decoding of amounts and empty strings.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! response_codes {
    ($( $(#[$doc:meta])* $name:ident = $code:literal, )*) => {
        /// PayTrace's `response_code`: what happened to the request (reference §4.5).
        ///
        /// An open enum: a code this crate does not know decodes as
        /// [`Unknown`](Self::Unknown) with its number, so a new code never breaks decoding.
        /// Build one from a number with [`from_u32`](Self::from_u32), which never returns
        /// `Unknown` for a listed code. Decision logic should use the code, never
        /// `status_message`, whose wording varies.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ResponseCode {
            $( $(#[$doc])* $name, )*
            /// A code not in the table, kept as sent.
            Unknown(u32),
        }

        impl ResponseCode {
            /// Every listed code, in numeric order.
            pub const KNOWN: &'static [ResponseCode] = &[$(ResponseCode::$name,)*];

            /// The code for `code`; [`Unknown`](Self::Unknown) when it is not listed.
            pub const fn from_u32(code: u32) -> Self {
                match code {
                    $( $code => ResponseCode::$name, )*
                    other => ResponseCode::Unknown(other),
                }
            }

            /// The number PayTrace sends.
            pub const fn as_u32(self) -> u32 {
                match self {
                    $( ResponseCode::$name => $code, )*
                    ResponseCode::Unknown(code) => code,
                }
            }
        }
    };
}

response_codes! {
    /// 1: the request completed (exports); with an `errors` object, one or more errors.
    Completed = 1,
    /// 100: password successfully updated.
    PasswordUpdated = 100,
    /// 101: transaction approved.
    Approved = 101,
    /// 102: transaction declined.
    Declined = 102,
    /// 103: approved, then voided automatically by the merchant's AVS/CSC rules.
    ApprovedAndVoided = 103,
    /// 104: test-mode transaction approved (nothing charged).
    TestApproved = 104,
    /// 105: test-mode transaction not approved.
    TestDeclined = 105,
    /// 106: refund successful.
    Refunded = 106,
    /// 107: refund not successful.
    RefundDeclined = 107,
    /// 108: test-mode refund successful.
    TestRefunded = 108,
    /// 109: void successful.
    Voided = 109,
    /// 110: void not successful.
    VoidDeclined = 110,
    /// 111: test-mode void successful.
    TestVoided = 111,
    /// 112: capture successful.
    Captured = 112,
    /// 113: capture not successful.
    CaptureDeclined = 113,
    /// 114: test-mode capture successful.
    TestCaptured = 114,
    /// 115: forced sale successful.
    ForcedSale = 115,
    /// 116: forced sale not successful.
    ForcedSaleDeclined = 116,
    /// 117: test-mode forced sale.
    TestForcedSale = 117,
    /// 118: stored (store and forward).
    Stored = 118,
    /// 120: check transaction processed.
    CheckProcessed = 120,
    /// 121: test-mode check processed.
    TestCheckProcessed = 121,
    /// 122: check refund processed.
    CheckRefunded = 122,
    /// 123: test-mode check refund.
    TestCheckRefunded = 123,
    /// 124: check funded or voided.
    CheckManaged = 124,
    /// 125: check NOT processed.
    CheckNotProcessed = 125,
    /// 149: receipt emailed.
    ReceiptEmailed = 149,
    /// 150: recurring payment created.
    RecurrenceCreated = 150,
    /// 151: recurring payment updated.
    RecurrenceUpdated = 151,
    /// 152: recurring payment deleted.
    RecurrenceDeleted = 152,
    /// 155: recurring export successful.
    RecurrenceExported = 155,
    /// 160: customer profile created.
    CustomerCreated = 160,
    /// 161: customer profile updated.
    CustomerUpdated = 161,
    /// 162: customer profile deleted.
    CustomerDeleted = 162,
    /// 165: Protect sale approved and customer profile created.
    ApprovedAndCustomerCreated = 165,
    /// 167: "exists" (meaning UNCONFIRMED; one client treats it as a failure).
    Exists = 167,
    /// 170: Level 3 data added.
    Level3Added = 170,
    /// 171: legacy alternate Level 3 success code (UNCONFIRMED in JSON).
    Level3AddedLegacy = 171,
    /// 172: signature attached.
    SignatureAttached = 172,
    /// 175: batch settled.
    BatchSettled = 175,
    /// 180: transaction amount adjusted.
    AmountAdjusted = 180,
}

impl ResponseCode {
    /// Whether the processor refused the transaction (a decline, not an error): 102, 105,
    /// 107, 110, 113, 116, 125.
    pub const fn is_declined(self) -> bool {
        matches!(
            self,
            ResponseCode::Declined
                | ResponseCode::TestDeclined
                | ResponseCode::RefundDeclined
                | ResponseCode::VoidDeclined
                | ResponseCode::CaptureDeclined
                | ResponseCode::ForcedSaleDeclined
                | ResponseCode::CheckNotProcessed
        )
    }

    /// Whether the account is in test mode and nothing was charged (104, 105, 108, 111, 114,
    /// 117, 121, 123).
    pub const fn is_test_mode(self) -> bool {
        matches!(
            self,
            ResponseCode::TestApproved
                | ResponseCode::TestDeclined
                | ResponseCode::TestRefunded
                | ResponseCode::TestVoided
                | ResponseCode::TestCaptured
                | ResponseCode::TestForcedSale
                | ResponseCode::TestCheckProcessed
                | ResponseCode::TestCheckRefunded
        )
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_u32())
    }
}

impl Serialize for ResponseCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(self.as_u32())
    }
}

impl<'de> Deserialize<'de> for ResponseCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = de::u64_lenient(deserializer)?;
        u32::try_from(code)
            .map(ResponseCode::from_u32)
            .map_err(|_| serde::de::Error::custom("response_code out of range"))
    }
}

macro_rules! numeric_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// Serialises as a JSON integer; decodes from an integer or a numeric string.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl From<u64> for $name {
            fn from(id: u64) -> Self {
                $name(id)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_u64(self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                de::u64_lenient(deserializer).map($name)
            }
        }
    };
}

numeric_id! {
    /// A card transaction id (`transaction_id`).
    TransactionId
}

numeric_id! {
    /// An ACH check transaction id (`check_transaction_id`).
    CheckTransactionId
}

numeric_id! {
    /// A recurring payment's id (`recurrence.id`; an integer like PayTrace's other ids,
    /// UNCONFIRMED).
    RecurrenceId
}

/// Tolerant field decoders: PayTrace sends amounts as numbers or strings, ids as integers or
/// strings, and `""` where a value is absent.
pub(crate) mod de {
    use std::fmt;

    use mapping::transform::types::parse_decimal;
    use rust_decimal::Decimal;
    use serde::Deserializer;
    use serde::de::{Error, Visitor};

    /// A scalar as text, whatever JSON type carried it; `None` for `null` and `""`.
    struct Text;

    impl<'de> Visitor<'de> for Text {
        type Value = Option<String>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or a number")
        }

        fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
            let v = v.trim();
            Ok((!v.is_empty()).then(|| v.to_owned()))
        }

        fn visit_u64<E: Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }

        fn visit_i64<E: Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }

        fn visit_f64<E: Error>(self, v: f64) -> Result<Self::Value, E> {
            // Rust prints the shortest text that reads back as the same f64: 51.88 → "51.88".
            Ok(Some(v.to_string()))
        }

        fn visit_bool<E: Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }

        fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(Text)
        }
    }

    /// A string, number or bool as trimmed text; `None` for `null` and `""`.
    pub(crate) fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_any(Text)
    }

    /// A decimal from a JSON number or string (`2.00`, `"8.10"`); `None` for `null` and `""`.
    pub(crate) fn opt_decimal<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Decimal>, D::Error> {
        opt_text(d)?
            .map(|t| parse_decimal(&t).map_err(D::Error::custom))
            .transpose()
    }

    /// An unsigned integer from a JSON number or a numeric string.
    pub(crate) fn u64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let text = opt_text(d)?.ok_or_else(|| D::Error::custom("expected an integer id"))?;
        text.parse()
            .map_err(|_| D::Error::custom(format!("{text:?} is not an unsigned integer")))
    }

    /// Like [`u64_lenient`], with `null` and `""` as `None`.
    pub(crate) fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        opt_text(d)?
            .map(|text| {
                text.parse()
                    .map_err(|_| D::Error::custom(format!("{text:?} is not an unsigned integer")))
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use serde::Deserialize;

    #[test]
    fn response_codes_round_trip_and_keep_unknown_codes() {
        for &code in ResponseCode::KNOWN {
            assert_eq!(ResponseCode::from_u32(code.as_u32()), code);
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, code.as_u32().to_string());
            assert_eq!(serde_json::from_str::<ResponseCode>(&json).unwrap(), code);
        }
        assert_eq!(ResponseCode::KNOWN.len(), 41);
        let unknown: ResponseCode = serde_json::from_str("199").unwrap();
        assert_eq!(unknown, ResponseCode::Unknown(199));
        assert_eq!(serde_json::to_string(&unknown).unwrap(), "199");
        let as_text: ResponseCode = serde_json::from_str("\"102\"").unwrap();
        assert_eq!(as_text, ResponseCode::Declined);
        assert!(as_text.is_declined());
        assert!(ResponseCode::TestApproved.is_test_mode());
        assert!(!ResponseCode::Approved.is_declined());
        assert!(serde_json::from_str::<ResponseCode>("\"abc\"").is_err());
    }

    #[test]
    fn ids_accept_numbers_and_strings() {
        assert_eq!(
            serde_json::from_str::<TransactionId>("123456789").unwrap(),
            TransactionId(123_456_789)
        );
        assert_eq!(
            serde_json::from_str::<TransactionId>("\"42\"").unwrap(),
            TransactionId(42)
        );
        assert!(serde_json::from_str::<TransactionId>("\"x\"").is_err());
        assert!(serde_json::from_str::<TransactionId>("-1").is_err());
        assert_eq!(serde_json::to_string(&CheckTransactionId(7)).unwrap(), "7");
    }

    #[derive(Deserialize)]
    struct Amounts {
        #[serde(default, deserialize_with = "de::opt_decimal")]
        a: Option<Decimal>,
        #[serde(default, deserialize_with = "de::opt_text")]
        t: Option<String>,
    }

    #[test]
    fn amounts_accept_numbers_strings_and_blanks() {
        let cases = [
            (r#"{"a": 2.00}"#, Some("2")),
            (r#"{"a": 51.88}"#, Some("51.88")),
            (r#"{"a": "8.10"}"#, Some("8.10")),
            (r#"{"a": 100}"#, Some("100")),
            (r#"{"a": ""}"#, None),
            (r#"{"a": null}"#, None),
            (r#"{}"#, None),
        ];
        for (json, want) in cases {
            let got = serde_json::from_str::<Amounts>(json).unwrap().a;
            assert_eq!(got.map(|d| d.to_string()).as_deref(), want, "{json}");
        }
        assert!(serde_json::from_str::<Amounts>(r#"{"a": "ten"}"#).is_err());
        let t = serde_json::from_str::<Amounts>(r#"{"t": 12345}"#)
            .unwrap()
            .t;
        assert_eq!(t.as_deref(), Some("12345"));
        let blank = serde_json::from_str::<Amounts>(r#"{"t": "  "}"#).unwrap().t;
        assert_eq!(blank, None);
    }
}
