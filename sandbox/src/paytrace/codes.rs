//! `response_code` values (reference §4.5) and `errors` keys (reference §4.6) the emulator
//! uses.
//!
//! Keys marked *sandbox choice* are not documented by PayTrace (the reference marks them
//! UNCONFIRMED or does not list them); the emulator picked a number outside the confirmed set
//! so that a client keying off a confirmed code is never misled. Clients must treat any key as
//! an opaque validation error.

// ---- response_code ----

/// Errors present (`errors` object), also the generic "request completed" of exports.
pub const RC_ERRORS_OR_COMPLETED: u16 = 1;
/// Transaction approved.
pub const RC_APPROVED: u16 = 101;
/// Transaction declined.
pub const RC_DECLINED: u16 = 102;
/// Approved, but voided by the merchant's AVS/CSC rule.
pub const RC_AUTO_VOIDED: u16 = 103;
/// Refund successful.
pub const RC_REFUNDED: u16 = 106;
/// Void successful.
pub const RC_VOIDED: u16 = 109;
/// Capture successful.
pub const RC_CAPTURED: u16 = 112;
/// Check transaction processed.
pub const RC_CHECK_PROCESSED: u16 = 120;
/// Check refund processed.
pub const RC_CHECK_REFUNDED: u16 = 122;
/// Check managed (fund/void).
pub const RC_CHECK_MANAGED: u16 = 124;
/// Check NOT processed.
pub const RC_CHECK_NOT_PROCESSED: u16 = 125;
/// Receipt emailed.
pub const RC_RECEIPT_EMAILED: u16 = 149;
/// Recurring payment created.
pub const RC_RECURRENCE_CREATED: u16 = 150;
/// Recurring payment updated.
pub const RC_RECURRENCE_UPDATED: u16 = 151;
/// Recurring payment deleted.
pub const RC_RECURRENCE_DELETED: u16 = 152;
/// Recurring export successful.
pub const RC_RECURRENCE_EXPORTED: u16 = 155;
/// Customer profile created.
pub const RC_CUSTOMER_CREATED: u16 = 160;
/// Customer profile updated.
pub const RC_CUSTOMER_UPDATED: u16 = 161;
/// Customer profile deleted.
pub const RC_CUSTOMER_DELETED: u16 = 162;
/// Protect sale approved and customer profile created.
pub const RC_PROTECT_SALE_CUSTOMER_CREATED: u16 = 165;
/// Level 3 data added.
pub const RC_LEVEL_THREE_ADDED: u16 = 170;
/// Batch settled (UNCONFIRMED for `/v1/transactions/settle`; the reference's guess).
pub const RC_BATCH_SETTLED: u16 = 175;
/// Transaction amount adjusted.
pub const RC_ADJUSTED: u16 = 180;

// ---- errors keys (confirmed) ----

/// Customer ID not found / profile incomplete.
pub const E_CUSTOMER_NOT_FOUND: u16 = 30;
/// Invalid card number.
pub const E_CARD_NUMBER: u16 = 35;
/// Invalid expiration month.
pub const E_EXPIRATION_MONTH: u16 = 43;
/// Invalid expiration year.
pub const E_EXPIRATION_YEAR: u16 = 44;
/// Invalid checking account number.
pub const E_CHECK_ACCOUNT: u16 = 45;
/// Invalid routing number.
pub const E_CHECK_ROUTING: u16 = 46;
/// Invalid (missing or malformed) transaction id.
pub const E_TRANSACTION_ID: u16 = 58;
/// Check id not found.
pub const E_CHECK_NOT_FOUND: u16 = 80;
/// Duplicate customer id on create.
pub const E_DUPLICATE_CUSTOMER: u16 = 171;
/// Transaction id not found.
pub const E_TRANSACTION_NOT_FOUND: u16 = 811;
/// Only approved, uncaptured authorizations can be captured.
pub const E_CANNOT_CAPTURE: u16 = 816;
/// Only settled transactions can be refunded.
pub const E_CANNOT_REFUND: u16 = 817;
/// Only transactions pending settlement can be voided.
pub const E_CANNOT_VOID: u16 = 818;
/// Protect `hpf_token` unknown or already used.
pub const E_HPF_TOKEN: u16 = 961;
/// Required parameter missing or empty (also: body is not a JSON object — sandbox choice).
pub const E_PARAM_MISSING: u16 = 970;
/// Invalid `integrator_id`.
pub const E_INTEGRATOR_INVALID: u16 = 971;

// ---- errors keys (sandbox choice) ----

/// Sandbox choice: invalid amount (missing, not a number, ≤ 0, more than 2 decimals, or above
/// 99,999,999.99).
pub const E_AMOUNT: u16 = 41;
/// Sandbox choice: invoice id required by the account settings, or longer than 50.
pub const E_INVOICE: u16 = 47;
/// Sandbox choice: CSC required by the account settings, or not 3–4 digits.
pub const E_CSC: u16 = 48;
/// Sandbox choice: invalid email address.
pub const E_EMAIL: u16 = 49;
/// Sandbox choice: invalid date (`MM/DD/YYYY` expected).
pub const E_DATE: u16 = 50;
/// Sandbox choice: swipe data unreadable.
pub const E_SWIPE: u16 = 51;
/// Sandbox choice: invalid recurrence field (frequency, total count, transaction type).
pub const E_RECURRENCE_FIELD: u16 = 52;
/// Sandbox choice: batch not found.
pub const E_BATCH_NOT_FOUND: u16 = 810;
/// Sandbox choice: recurrence id not found.
pub const E_RECURRENCE_NOT_FOUND: u16 = 812;
/// Sandbox choice: refund amount exceeds what remains refundable.
pub const E_REFUND_EXCEEDS: u16 = 814;
/// Sandbox choice: capture amount exceeds the authorized amount.
pub const E_CAPTURE_EXCEEDS: u16 = 815;
/// Sandbox choice: duplicate transaction within the account's duplicate window.
pub const E_DUPLICATE_TRANSACTION: u16 = 819;
/// Sandbox choice: amount adjustment not allowed for this transaction or amount.
pub const E_CANNOT_ADJUST: u16 = 820;
/// Sandbox choice: level 3 data not allowed for this transaction (not an unsettled approved
/// sale of that card brand).
pub const E_LEVEL_THREE: u16 = 821;
