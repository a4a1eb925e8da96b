//! The emulator's records, as returned by the in-process inspection API.
//!
//! No record holds a full card number, account number or CSC: cards are kept as BIN, last
//! four digits, length, expiry and a private fingerprint.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// Card brand derived from the leading digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CardBrand {
    /// Starts with 4.
    Visa,
    /// 51–55 or 2221–2720.
    Mastercard,
    /// 34 or 37.
    Amex,
    /// 6011, 644–649, 65.
    Discover,
    /// Anything else.
    Other,
}

impl CardBrand {
    /// The name used in batch exports: `VISA`, `MASTERCARD`, `AMEX`, `DISCOVER`, `OTHER`.
    #[must_use]
    pub fn export_name(self) -> &'static str {
        match self {
            Self::Visa => "VISA",
            Self::Mastercard => "MASTERCARD",
            Self::Amex => "AMEX",
            Self::Discover => "DISCOVER",
            Self::Other => "OTHER",
        }
    }
}

/// A card as the emulator keeps it: never the full number.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CardSummary {
    /// Brand.
    pub brand: CardBrand,
    /// First six digits.
    pub bin: String,
    /// Last four digits.
    pub last4: String,
    /// Number of digits.
    pub length: usize,
    /// Expiration month 1–12.
    pub expiration_month: u32,
    /// Four-digit expiration year.
    pub expiration_year: i32,
    pub(crate) fingerprint: u64,
}

impl CardSummary {
    /// Mask used in sale/vault responses: `xxxxxxxxxxxx1234`.
    #[must_use]
    pub fn masked_response(&self) -> String {
        format!(
            "{}{}",
            "x".repeat(self.length.saturating_sub(4)),
            self.last4
        )
    }

    /// Mask used in exports: `************1234`, or with `include_bin` `401200******5439`.
    #[must_use]
    pub fn masked_export(&self, include_bin: bool) -> String {
        if include_bin && self.length >= 10 {
            format!("{}{}{}", self.bin, "*".repeat(self.length - 10), self.last4)
        } else {
            format!(
                "{}{}",
                "*".repeat(self.length.saturating_sub(4)),
                self.last4
            )
        }
    }
}

/// A bank account as the emulator keeps it: last four digits and routing number.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BankAccount {
    /// Last four digits of the account number.
    pub last4: String,
    /// Number of digits of the account number.
    pub length: usize,
    /// ABA routing number.
    pub routing_number: String,
    pub(crate) fingerprint: u64,
}

impl BankAccount {
    /// `*****6789`-style mask.
    #[must_use]
    pub fn masked(&self) -> String {
        format!(
            "{}{}",
            "*".repeat(self.length.saturating_sub(4)),
            self.last4
        )
    }
}

/// A billing or shipping address; empty strings for absent parts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Address {
    /// Name (cardholder name on billing addresses).
    pub name: String,
    /// Street.
    pub street_address: String,
    /// Street, second line.
    pub street_address2: String,
    /// City.
    pub city: String,
    /// County (shipping addresses).
    pub county: String,
    /// State.
    pub state: String,
    /// Postal code.
    pub zip: String,
    /// Two-letter country code.
    pub country: String,
}

impl Address {
    /// Whether no part is set.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// What kind of card transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransactionKind {
    /// Sale.
    Sale,
    /// Authorization (captured or not).
    Authorization,
    /// Refund (linked or unlinked).
    Refund,
}

impl TransactionKind {
    /// The export `transaction_type`: `SALE`, `AUTHORIZATION`, `REFUND`.
    #[must_use]
    pub fn export_name(self) -> &'static str {
        match self {
            Self::Sale => "SALE",
            Self::Authorization => "AUTHORIZATION",
            Self::Refund => "REFUND",
        }
    }
}

/// How the card was supplied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryMode {
    /// `credit_card{…}` in the body.
    Keyed,
    /// `swipe` track data.
    Swiped,
    /// A vault customer.
    Customer,
    /// The card of a previous transaction.
    Transaction,
    /// A Protect.js `hpf_token`.
    Protect,
}

/// Where a card transaction is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransactionStatus {
    /// Approved sale, captured authorization or refund waiting for settlement (`"Y"`).
    PendingSettlement,
    /// Approved authorization not captured yet (`"N"`, "Authorization Only").
    AuthorizationOnly,
    /// Declined (`"N"`, "Declined").
    Declined,
    /// Voided, by request or by the AVS/CSC rule (`"N"`, "Voided").
    Voided,
    /// Settled in [`Transaction::batch_number`] (`"GB<n>"`).
    Settled,
}

/// A card transaction.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Transaction {
    /// `transaction_id`.
    pub id: u64,
    /// Sale, authorization or refund.
    pub kind: TransactionKind,
    /// How the card was supplied.
    pub entry: EntryMode,
    /// State.
    pub status: TransactionStatus,
    /// The `response_code` it was answered with.
    pub response_code: u16,
    /// Current amount (after capture or adjustment).
    pub amount: Decimal,
    /// Amount originally requested.
    pub original_amount: Decimal,
    /// Sum of the non-voided refunds issued against it.
    pub refunded: Decimal,
    /// For a refund of a transaction: the refunded transaction.
    pub original_transaction_id: Option<u64>,
    /// For a captured authorization: true.
    pub captured: bool,
    /// The card (masked).
    pub card: Option<CardSummary>,
    /// Vault customer used or created.
    pub customer_id: Option<String>,
    /// Recurrence that created it.
    pub recurrence_id: Option<u64>,
    /// `invoice_id`.
    pub invoice_id: String,
    /// `description`.
    pub description: String,
    /// `customer_reference_id`.
    pub customer_reference_id: String,
    /// `tax_amount`.
    pub tax_amount: Option<Decimal>,
    /// Billing address.
    pub billing_address: Address,
    /// Shipping address.
    pub shipping_address: Address,
    /// Cardholder `email` given on the request.
    pub email: String,
    /// Where a receipt was emailed (`email_receipt`).
    pub receipt_emailed_to: String,
    /// `discretionary_data`.
    pub discretionary_data: Map<String, Value>,
    /// Approval code (empty for declines and refunds).
    pub approval_code: String,
    /// Processor text, padded as PayTrace sends it.
    pub approval_message: String,
    /// AVS result.
    pub avs_response: String,
    /// CSC result.
    pub csc_response: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// API user that created it.
    pub created_by: String,
    /// Client IP.
    pub from_ip: String,
    /// Settlement time.
    pub settled_at: Option<DateTime<Utc>>,
    /// Batch it settled in.
    pub batch_number: Option<u64>,
    /// Level 3 data added: `"visa"` or `"mastercard"` and the number of line items.
    pub level_three: Option<(String, usize)>,
}

impl Transaction {
    /// Export `status_code`: `Y`, `N` or `GB<batch>`.
    #[must_use]
    pub fn status_code(&self) -> String {
        match (self.status, self.batch_number) {
            (TransactionStatus::PendingSettlement, _) => "Y".to_owned(),
            (TransactionStatus::Settled, Some(b)) => format!("GB{b}"),
            (TransactionStatus::Settled, None) => "GB".to_owned(),
            _ => "N".to_owned(),
        }
    }

    /// Export `status_message`: `Pending Settlement`, `Authorization Only`, `Declined`,
    /// `Voided` or `GB<batch>` (the texts for declined/voided rows are the sandbox's choice).
    #[must_use]
    pub fn status_message(&self) -> String {
        match self.status {
            TransactionStatus::PendingSettlement => "Pending Settlement".to_owned(),
            TransactionStatus::AuthorizationOnly => "Authorization Only".to_owned(),
            TransactionStatus::Declined => "Declined".to_owned(),
            TransactionStatus::Voided => "Voided".to_owned(),
            TransactionStatus::Settled => self.status_code(),
        }
    }

    /// Whether it was approved (whatever happened after).
    #[must_use]
    pub fn approved(&self) -> bool {
        !matches!(self.status, TransactionStatus::Declined)
            && self.response_code != super::codes::RC_AUTO_VOIDED
    }
}

/// A vault customer profile.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Customer {
    /// `customer_id`.
    pub customer_id: String,
    /// Card on file.
    pub card: Option<CardSummary>,
    /// Bank account on file (ACH).
    pub bank_account: Option<BankAccount>,
    /// Billing address.
    pub billing_address: Address,
    /// Shipping address.
    pub shipping_address: Address,
    /// Email.
    pub email: String,
    /// Phone.
    pub phone: String,
    /// Fax.
    pub fax: String,
    /// Custom fields.
    pub discretionary_data: Map<String, Value>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A settlement batch.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Batch {
    /// Batch number.
    pub number: u64,
    /// Settlement time.
    pub settled_at: DateTime<Utc>,
    /// Transactions in it.
    pub transaction_ids: Vec<u64>,
}

/// A recurring payment schedule.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Recurrence {
    /// Recurrence id.
    pub id: u64,
    /// Vault customer charged.
    pub customer_id: String,
    /// Amount of each charge.
    pub amount: Decimal,
    /// First charge date.
    pub start_date: NaiveDate,
    /// Next charge date.
    pub next_date: NaiveDate,
    /// Frequency code as sent (see `handlers::recurrence` for the mapping used).
    pub frequency: String,
    /// Number of charges; 999 = until cancelled.
    pub total_count: u32,
    /// Charges run so far.
    pub current_count: u32,
    /// `Sale` or `Authorization`.
    pub transaction_type: String,
    /// Description.
    pub description: String,
    /// Transactions it created.
    pub transaction_ids: Vec<u64>,
}

/// What kind of check transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckKind {
    /// Sale (debit).
    Sale,
    /// Hold, released by `manage/fund`.
    Hold,
    /// Refund (credit).
    Refund,
}

/// Where a check transaction is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckStatus {
    /// Processed, not settled yet.
    Pending,
    /// Held until funded.
    Held,
    /// Voided.
    Voided,
    /// Settled by `settle`.
    Settled,
}

/// An ACH check transaction.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct CheckTransaction {
    /// `check_transaction_id`.
    pub id: u64,
    /// Sale, hold or refund.
    pub kind: CheckKind,
    /// State.
    pub status: CheckStatus,
    /// Amount.
    pub amount: Decimal,
    /// Sum of the non-voided refunds against it.
    pub refunded: Decimal,
    /// For refunds by transaction: the refunded check.
    pub original_check_transaction_id: Option<u64>,
    /// The account (masked).
    pub bank_account: BankAccount,
    /// Vault customer used.
    pub customer_id: Option<String>,
    /// `invoice_id`.
    pub invoice_id: String,
    /// `description`.
    pub description: String,
    /// Billing address.
    pub billing_address: Address,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}
