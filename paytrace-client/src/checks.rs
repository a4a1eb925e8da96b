//! ACH payments (checks, reference §2.4): sales and holds by bank account or vault profile,
//! refunds, funding held checks, voids.
//!
//! All of these move money and are never resent once they may have reached PayTrace.

use std::collections::BTreeMap;
use std::fmt;

use canonical_model::LastFour;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};

use crate::amount::Amount;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::operation;
use crate::response::{CheckTransactionId, ResponseCode, de};
use crate::transactions::{CustomerPayment, TransactionExtras, extras_setters};

/// The ACH area: `client.checks()`.
#[derive(Debug, Clone, Copy)]
pub struct Checks<'a> {
    pub(crate) client: &'a Client,
}

/// A bank account number: 4 to 17 digits. Treated like a card number: `Debug` shows the last
/// four only, errors never repeat it, and it is wiped from memory when dropped.
#[derive(Clone)]
pub struct AccountNumber {
    digits: SecretString,
    last_four: LastFour,
}

impl AccountNumber {
    /// Checks and keeps an account number.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] unless it is 4 to 17 digits.
    pub fn new(number: &str) -> Result<Self> {
        let digits = SecretString::from(number.trim().to_owned());
        let text = digits.expose_secret();
        if !(4..=17).contains(&text.len()) || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid("account number", "must be 4 to 17 digits"));
        }
        let last_four = LastFour::new(&text[text.len() - 4..])
            .map_err(|_| Error::invalid("account number", "must end in four digits"))?;
        Ok(AccountNumber { digits, last_four })
    }

    /// The last four digits.
    pub fn last_four(&self) -> &LastFour {
        &self.last_four
    }
}

impl fmt::Debug for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountNumber(…{})", self.last_four)
    }
}

impl Serialize for AccountNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.digits.expose_secret())
    }
}

/// An ABA routing number: 9 digits with a valid checksum. Routing numbers identify banks and
/// are public, so it prints in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoutingNumber(String);

impl RoutingNumber {
    /// Checks a routing number.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] unless it is 9 digits whose ABA checksum
    /// (3·7·1 weights) is a multiple of 10.
    pub fn new(number: &str) -> Result<Self> {
        let number = number.trim();
        let digits: Vec<u32> = number.chars().filter_map(|c| c.to_digit(10)).collect();
        if digits.len() != 9 || number.len() != 9 {
            return Err(Error::invalid("routing number", "must be 9 digits"));
        }
        let sum: u32 = digits
            .iter()
            .zip([3, 7, 1].iter().cycle())
            .map(|(d, w)| d * w)
            .sum();
        if !sum.is_multiple_of(10) {
            return Err(Error::invalid("routing number", "fails the ABA checksum"));
        }
        Ok(RoutingNumber(number.to_owned()))
    }

    /// The nine digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A bank account: PayTrace's `check` object `{account_number, routing_number}`.
#[derive(Debug, Clone, Serialize)]
pub struct BankAccount {
    /// The account number.
    pub account_number: AccountNumber,
    /// The bank's routing number.
    pub routing_number: RoutingNumber,
}

impl BankAccount {
    /// Checks and keeps an account.
    ///
    /// # Errors
    /// As [`AccountNumber::new`] and [`RoutingNumber::new`].
    pub fn new(account_number: &str, routing_number: &str) -> Result<Self> {
        Ok(BankAccount {
            account_number: AccountNumber::new(account_number)?,
            routing_number: RoutingNumber::new(routing_number)?,
        })
    }
}

/// An ACH payment from a bank account: `amount`, `check`, and the optional extras
/// (`billing_address.name` is the account holder).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct CheckPayment {
    /// The amount.
    pub amount: Amount,
    /// The account (`check`).
    pub check: BankAccount,
    /// Optional fields.
    #[serde(flatten)]
    pub extras: TransactionExtras,
}

impl CheckPayment {
    /// An ACH payment of `amount` from `account`.
    pub fn new(amount: Amount, account: BankAccount) -> Self {
        CheckPayment {
            amount,
            check: account,
            extras: TransactionExtras::default(),
        }
    }
}

extras_setters!(CheckPayment);

/// Refunds a check transaction, in full or in part.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct CheckRefund {
    /// The check transaction.
    pub check_transaction_id: CheckTransactionId,
    /// The amount to return; all of it when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
}

impl CheckRefund {
    /// Refunds the whole check.
    pub fn full(check_transaction_id: CheckTransactionId) -> Self {
        CheckRefund {
            check_transaction_id,
            amount: None,
        }
    }

    /// Refunds `amount` of the check.
    pub fn partial(check_transaction_id: CheckTransactionId, amount: Amount) -> Self {
        CheckRefund {
            check_transaction_id,
            amount: Some(amount),
        }
    }
}

#[derive(Serialize)]
struct ByCheckId {
    check_transaction_id: CheckTransactionId,
}

/// PayTrace's answer to an ACH call: `check_transaction_id`, `ach_code`, `ach_message`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CheckResponse {
    /// `success`.
    #[serde(default)]
    pub success: bool,
    /// 120 processed, 122 refunded, 124 funded/voided, 125 not processed (121/123 test mode).
    pub response_code: ResponseCode,
    /// PayTrace's text.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub status_message: Option<String>,
    /// The check transaction's id.
    #[serde(default)]
    pub check_transaction_id: Option<CheckTransactionId>,
    /// The ACH processor's code.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub ach_code: Option<String>,
    /// The ACH processor's message.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub ach_message: Option<String>,
    /// The processor's transaction id, usually empty.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub external_transaction_id: Option<String>,
    /// Fields this crate does not model, kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl CheckResponse {
    /// Whether the check was processed (`success`, and not code 125).
    pub fn is_approved(&self) -> bool {
        self.success && !self.response_code.is_declined()
    }
}

impl Checks<'_> {
    /// Debits a bank account: `POST /v1/checks/sale/by_account` (code 120).
    ///
    /// # Errors
    /// [`Error::Api`] for refused data (45 account number, 46 routing number);
    /// [`Error::OutcomeUnknown`] when the answer was lost — reconcile before trying again;
    /// transport errors. A check that was not processed (125) is `Ok`.
    pub async fn sale_by_account(&self, request: &CheckPayment) -> Result<CheckResponse> {
        let op = operation!(
            "paytrace.check_sale_by_account",
            "/v1/checks/sale/by_account",
            NonIdempotent
        );
        self.client.send(op, request).await
    }

    /// Debits a vault profile's bank account: `POST /v1/checks/sale/by_customer`. The
    /// request's `csc` does not apply to checks; leave it unset.
    ///
    /// # Errors
    /// As [`sale_by_account`](Self::sale_by_account).
    pub async fn sale_by_customer(&self, request: &CustomerPayment) -> Result<CheckResponse> {
        let op = operation!(
            "paytrace.check_sale_by_customer",
            "/v1/checks/sale/by_customer",
            NonIdempotent
        );
        self.client.send(op, request).await
    }

    /// Debits a bank account and holds the funds until [`fund`](Self::fund):
    /// `POST /v1/checks/hold/by_account`.
    ///
    /// # Errors
    /// As [`sale_by_account`](Self::sale_by_account).
    pub async fn hold_by_account(&self, request: &CheckPayment) -> Result<CheckResponse> {
        let op = operation!(
            "paytrace.check_hold_by_account",
            "/v1/checks/hold/by_account",
            NonIdempotent
        );
        self.client.send(op, request).await
    }

    /// Holds a payment from a vault profile's bank account:
    /// `POST /v1/checks/hold/by_customer`.
    ///
    /// # Errors
    /// As [`sale_by_account`](Self::sale_by_account).
    pub async fn hold_by_customer(&self, request: &CustomerPayment) -> Result<CheckResponse> {
        let op = operation!(
            "paytrace.check_hold_by_customer",
            "/v1/checks/hold/by_customer",
            NonIdempotent
        );
        self.client.send(op, request).await
    }

    /// Refunds a check transaction: `POST /v1/checks/refund/by_transaction` (code 122).
    ///
    /// # Errors
    /// As [`sale_by_account`](Self::sale_by_account); code 80 (unknown check) is
    /// [`is_not_found`](Error::is_not_found).
    pub async fn refund_by_transaction(&self, request: &CheckRefund) -> Result<CheckResponse> {
        let op = operation!(
            "paytrace.check_refund_by_transaction",
            "/v1/checks/refund/by_transaction",
            NonIdempotent
        );
        self.client.send(op, request).await
    }

    /// Credits a bank account, unlinked to any check: `POST /v1/checks/refund/by_account`.
    ///
    /// # Errors
    /// As [`sale_by_account`](Self::sale_by_account).
    pub async fn refund_by_account(&self, request: &CheckPayment) -> Result<CheckResponse> {
        let op = operation!(
            "paytrace.check_refund_by_account",
            "/v1/checks/refund/by_account",
            NonIdempotent
        );
        self.client.send(op, request).await
    }

    /// Releases a held check: `POST /v1/checks/manage/fund` (code 124).
    ///
    /// # Errors
    /// As [`refund_by_transaction`](Self::refund_by_transaction).
    pub async fn fund(&self, check_transaction_id: CheckTransactionId) -> Result<CheckResponse> {
        let op = operation!(
            "paytrace.check_fund",
            "/v1/checks/manage/fund",
            NonIdempotent
        );
        self.client
            .send(
                op,
                &ByCheckId {
                    check_transaction_id,
                },
            )
            .await
    }

    /// Voids a check: `POST /v1/checks/manage/void` (code 124).
    ///
    /// # Errors
    /// As [`refund_by_transaction`](Self::refund_by_transaction).
    pub async fn void(&self, check_transaction_id: CheckTransactionId) -> Result<CheckResponse> {
        let op = operation!(
            "paytrace.check_void",
            "/v1/checks/manage/void",
            NonIdempotent
        );
        self.client
            .send(
                op,
                &ByCheckId {
                    check_transaction_id,
                },
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_numbers_never_print() {
        let account = AccountNumber::new("000123456789").unwrap();
        assert_eq!(format!("{account:?}"), "AccountNumber(…6789)");
        assert_eq!(account.last_four().as_str(), "6789");
        for bad in ["123", "123456789012345678", "12-34-56", ""] {
            let err = AccountNumber::new(bad).unwrap_err().to_string();
            assert!(!err.contains("123456"), "{err}");
        }
    }

    #[test]
    fn routing_numbers_pass_the_aba_checksum() {
        for ok in ["011000015", "021000021", "111000025", "325070760"] {
            assert!(RoutingNumber::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "011000016",
            "12345678",
            "0110000150",
            "01100001x",
            "０11000015",
        ] {
            assert!(RoutingNumber::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn check_payments_serialise_the_check_object() {
        let account = BankAccount::new("000123456789", "021000021").unwrap();
        let request = CheckPayment::new(Amount::parse("25").unwrap(), account).invoice_id("INV-9");
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({
                "amount": "25.00",
                "check": {"account_number": "000123456789", "routing_number": "021000021"},
                "invoice_id": "INV-9"
            })
        );
        assert!(!format!("{request:?}").contains("123456789"));
    }
}
