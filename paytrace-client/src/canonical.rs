//! PayTrace records → canonical-model types, through `mapping::transform` (PayTrace's
//! status, date, card, address, name and processor-text vocabularies live there, once for the
//! whole workspace).
//!
//! | from | function | to |
//! |---|---|---|
//! | [`TransactionRecord`] (export) | [`payment`], [`payment_in_zone`] | [`Payment`] |
//! | [`TransactionResponse`] (sale, authorization, …) | [`payment_from_response`] | [`Payment`] |
//! | [`CustomerRecord`] (vault export) | [`customer`] | [`Customer`] |
//! | [`BatchSummary`] + its transactions | [`settlement_batch`] | [`SettlementBatch`] |
//! | canonical [`Address`](canonical_model::Address) | [`paytrace_address`] | request [`Address`] |
//!
//! Conversions refuse what they cannot read ([`TransformError`]) rather than guess: an
//! unknown status, a missing amount, an amount with sub-cent digits.

use canonical_model::{
    Currency, Customer, ExternalRef, Money, Payment, PaymentMethod, PaymentStatus,
    ProcessorResponse, Rounding, SettlementBatch, System, TransactionKind,
};
use chrono_tz::Tz;
use mapping::transform::address_systems::{address_from_paytrace, address_to_paytrace};
use mapping::transform::card::card_from_paytrace;
use mapping::transform::currency::fits_minor_units;
use mapping::transform::datetime::{PAYTRACE_TIME_ZONE, parse_paytrace_timestamp_opt};
use mapping::transform::party::party_from_name;
use mapping::transform::paytrace_status::{
    paytrace_export_kind, paytrace_export_status, paytrace_status,
};
use mapping::transform::response::{
    decline_reason, decline_reason_for_code, parse_avs_response, parse_csc_response,
};
use mapping::transform::types::non_blank;
use mapping::transform::{Result, TransformError};
use rust_decimal::Decimal;

use crate::amount::Amount;
use crate::batches::BatchSummary;
use crate::customers::CustomerRecord;
use crate::exports::{MaskedCard, TransactionRecord};
use crate::transactions::{Address, TransactionResponse};

/// An export record as a canonical [`Payment`], reading PayTrace timestamps as Pacific time
/// ([`PAYTRACE_TIME_ZONE`]; PayTrace states no zone). See [`payment_in_zone`].
///
/// # Errors
/// As [`payment_in_zone`].
pub fn payment(record: &TransactionRecord) -> Result<Payment> {
    payment_in_zone(record, PAYTRACE_TIME_ZONE)
}

/// An export record as a canonical [`Payment`], reading timestamps in `zone`:
///
/// - kind from `transaction_type` (an `AUTHORIZATION` row that is pending settlement or
///   settled was captured: [`TransactionKind::Capture`]), status (and batch number of
///   `GB<n>`) from `status_code`, `status_message` and `transaction_type`;
/// - amount in USD at two decimals; `created.at` and `settled` as UTC instants;
/// - the masked card as a [`CardSummary`](canonical_model::CardSummary) (last four, brand
///   when the mask keeps the BIN, expiry, billing name as holder), under
///   [`PaymentMethod::Vault`] when a vault profile was charged;
/// - AVS, CSC, approval texts and, for declines, the decline reason;
/// - `invoice_id` and `customer_id` as references, `discretionary_data` as metadata.
///
/// # Errors
/// [`TransformError`] for a missing or unknown `transaction_type` or status, a missing
/// amount or one with sub-cent digits, an unreadable timestamp or masked card.
pub fn payment_in_zone(record: &TransactionRecord, zone: Tz) -> Result<Payment> {
    let kind_text = record.transaction_type.as_deref().unwrap_or_default();
    let export = paytrace_export_status(
        record.status_code.as_deref().unwrap_or_default(),
        record.status_message.as_deref().unwrap_or_default(),
        kind_text,
    )?;
    let kind = paytrace_export_kind(kind_text, export.status)?;
    let amount = record
        .amount
        .ok_or_else(|| TransformError::missing("PayTrace amount"))?;
    let id = record.transaction_id.to_string();
    let mut payment = Payment::new(id.clone(), kind, export.status, usd(amount)?);

    let holder = record
        .billing_address
        .as_ref()
        .and_then(|a| a.name.as_deref())
        .and_then(non_blank);
    let card = record
        .credit_card
        .as_ref()
        .map(|card| card_summary(card, holder))
        .transpose()?
        .flatten();
    payment.method = method(card, record.customer_id.as_deref());

    let approval_message = record.approval_message.as_deref().and_then(non_blank);
    payment.processor = Some(ProcessorResponse {
        code: None,
        message: record.status_message.as_deref().and_then(non_blank),
        approval_code: record.approval_code.clone(),
        decline_reason: (export.status == PaymentStatus::Declined)
            .then(|| decline_reason(approval_message.as_deref().unwrap_or_default())),
        approval_message,
        avs: record.avs_response.as_deref().map(parse_avs_response),
        csc: record.csc_response.as_deref().map(parse_csc_response),
    });
    payment.description = record.description.clone();
    payment.created_at = record
        .created
        .as_ref()
        .and_then(|c| c.at.as_deref())
        .map(|at| parse_paytrace_timestamp_opt(at, zone))
        .transpose()?
        .flatten();
    payment.settled_at = record
        .settled
        .as_deref()
        .map(|at| parse_paytrace_timestamp_opt(at, zone))
        .transpose()?
        .flatten();

    let references = &mut payment.references;
    references.processor_transaction_id = Some(id);
    references.invoice_id = record.invoice_id.clone();
    references.customer_vault_id = record.customer_id.clone();
    references.batch_number = export.batch_number;
    if let Some(serde_json::Value::Object(fields)) = &record.discretionary_data {
        payment.metadata.extend(fields.clone());
    }
    Ok(payment)
}

/// The answer to a card call as a canonical [`Payment`] of `kind` for `amount`: status from
/// the `response_code`, the processor's texts, the decline reason (102, 103), and the masked
/// card of keyed calls. Nothing is known yet of settlement or time.
///
/// # Errors
/// [`TransformError`] when the answer has no `transaction_id`, or its code is not about a
/// payment or not known.
pub fn payment_from_response(
    response: &TransactionResponse,
    kind: TransactionKind,
    amount: &Amount,
) -> Result<Payment> {
    let id = response
        .transaction_id
        .ok_or_else(|| TransformError::missing("PayTrace transaction_id"))?
        .to_string();
    let code = u16::try_from(response.response_code.as_u32()).map_err(|_| {
        TransformError::invalid(
            "PayTrace response_code",
            &response.response_code.to_string(),
            "out of range",
        )
    })?;
    let status = paytrace_status(code, kind)?;
    let mut payment = Payment::new(id.clone(), kind, status, amount.to_money());
    let avs = response.avs_response.as_deref().map(parse_avs_response);
    let csc = response.csc_response.as_deref().map(parse_csc_response);
    let approval_message = response.approval_message.as_deref().and_then(non_blank);
    let card = response
        .masked_card_number
        .as_deref()
        .map(|masked| card_from_paytrace(masked, "", ""))
        .transpose()?;
    payment.method = method(card, response.customer_id.as_deref());
    payment.processor = Some(ProcessorResponse {
        code: Some(response.response_code.to_string()),
        message: response.status_message.as_deref().and_then(non_blank),
        approval_code: response.approval_code.clone(),
        decline_reason: decline_reason_for_code(
            code,
            approval_message.as_deref().unwrap_or_default(),
            avs.as_ref(),
            csc.as_ref(),
        ),
        approval_message,
        avs,
        csc,
    });
    payment.references.processor_transaction_id = Some(id);
    payment.references.customer_vault_id = response.customer_id.clone();
    Ok(payment)
}

/// A vault profile as a canonical [`Customer`]: the billing name read as a person or an
/// organization, email, phone, billing and shipping addresses, the PayTrace `customer_id` as
/// a reference and `discretionary_data` as metadata.
///
/// # Errors
/// [`TransformError`] when the profile has no id or no billing name, or an address cannot be
/// read (an unknown country).
pub fn customer(record: &CustomerRecord) -> Result<Customer> {
    let id = record
        .customer_id
        .as_deref()
        .ok_or_else(|| TransformError::missing("PayTrace customer_id"))?;
    let name = record
        .billing_address
        .as_ref()
        .and_then(|a| a.name.as_deref())
        .ok_or_else(|| TransformError::missing("PayTrace billing_address.name"))?;
    let mut customer = Customer::new(party_from_name(name)?);
    customer.email = record.email.as_deref().and_then(non_blank);
    customer.phone = record.phone.as_deref().and_then(non_blank);
    customer.billing_address = canonical_address(record.billing_address.as_ref())?;
    customer.shipping_address = canonical_address(record.shipping_address.as_ref())?;
    customer
        .references
        .push(ExternalRef::new(System::Paytrace, id));
    if let Some(serde_json::Value::Object(fields)) = &record.discretionary_data {
        customer.metadata.extend(fields.clone());
    }
    Ok(customer)
}

/// A settled batch as a canonical [`SettlementBatch`], with totals computed from its
/// transactions (from [`Batches::transaction_list`](crate::batches::Batches::transaction_list);
/// PayTrace's own summary fields are UNCONFIRMED). `settled_at` is the latest settlement time
/// among them.
///
/// # Errors
/// As [`payment`], for any of the transactions.
pub fn settlement_batch(
    summary: &BatchSummary,
    transactions: &[TransactionRecord],
) -> Result<SettlementBatch> {
    let payments = transactions
        .iter()
        .map(payment)
        .collect::<Result<Vec<_>>>()?;
    let settled_at = payments.iter().filter_map(|p| p.settled_at).max();
    Ok(SettlementBatch::from_transactions(
        summary.number.to_string(),
        settled_at,
        Currency::USD,
        payments,
    )?)
}

/// A canonical address (and the cardholder's name) as a request's `billing_address` or
/// `shipping_address`: state names become codes, ZIP+4 gets its dash, extra street lines are
/// joined into `street_address2`.
///
/// # Errors
/// [`TransformError`] when the address cannot be normalised.
pub fn paytrace_address(address: &canonical_model::Address, name: Option<&str>) -> Result<Address> {
    let fields = address_to_paytrace(address, name)?;
    serde_json::from_value(serde_json::Value::Object(fields))
        .map_err(|e| TransformError::invalid("PayTrace address", "", e.to_string()))
}

fn usd(amount: Decimal) -> Result<Money> {
    if !fits_minor_units(amount, Currency::USD) {
        return Err(TransformError::invalid(
            "PayTrace amount",
            &amount.to_string(),
            "more than two decimals",
        ));
    }
    // Exact, since it fits: only sets the scale to 2.
    Ok(Money::new(amount, Currency::USD).round_to_minor_units(Rounding::HalfEven)?)
}

/// The card of an export, or `None` when it has no masked number (an ACH row).
fn card_summary(
    card: &MaskedCard,
    holder: Option<String>,
) -> Result<Option<canonical_model::CardSummary>> {
    let Some(masked) = card.masked_number.as_deref() else {
        return Ok(None);
    };
    let mut summary = card_from_paytrace(
        masked,
        card.expiration_month.as_deref().unwrap_or_default(),
        card.expiration_year.as_deref().unwrap_or_default(),
    )?;
    summary.holder_name = holder;
    Ok(Some(summary))
}

fn method(
    card: Option<canonical_model::CardSummary>,
    vault_id: Option<&str>,
) -> Option<PaymentMethod> {
    match (vault_id, card) {
        (Some(vault_id), card) => Some(PaymentMethod::Vault {
            vault_id: vault_id.to_owned(),
            card,
        }),
        (None, card) => card.map(PaymentMethod::Card),
    }
}

fn canonical_address(address: Option<&Address>) -> Result<Option<canonical_model::Address>> {
    let Some(address) = address else {
        return Ok(None);
    };
    let serde_json::Value::Object(fields) = serde_json::to_value(address)
        .map_err(|e| TransformError::invalid("PayTrace address", "", e.to_string()))?
    else {
        return Ok(None);
    };
    let read = address_from_paytrace(&fields)?;
    Ok((!read.address.is_empty()).then_some(read.address))
}

#[cfg(test)]
mod tests {
    use super::*;
    use canonical_model::{AvsResult, CardBrand, CscResult, DeclineReason, Party};
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    fn record(overrides: serde_json::Value) -> TransactionRecord {
        let mut base = json!({
            "transaction_id": 1143, "transaction_type": "SALE", "amount": 2.00,
            "credit_card": {"masked_number": "541111******5454", "expiration_month": "12", "expiration_year": "20"},
            "description": "Gold plan", "invoice_id": "INV-1", "tax_amount": "0.10",
            "billing_address": {"name": "Jane Doe", "street_address": "1 Main St", "city": "Spokane", "state": "Washington", "zip": "992011234", "country": "US"},
            "approval_code": "TAS610", "approval_message": "  NO  MATCH - Approved and completed",
            "avs_response": "No Match", "csc_response": "Match",
            "status_code": "GB571", "status_message": "GB571",
            "created": {"through": "API", "at": "4/10/2015 4:06:30 PM", "by": "user", "from_ip": "1.2.3.4"},
            "settled": "4/10/2015 8:13:45 PM", "customer_id": "", "discretionary_data": {"PO": "77"}
        });
        base.as_object_mut()
            .unwrap()
            .extend(overrides.as_object().unwrap().clone());
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn settled_sale_becomes_a_settled_payment() {
        let p = payment(&record(json!({}))).unwrap();
        assert_eq!(p.id, "1143");
        assert_eq!(
            (p.kind, p.status),
            (TransactionKind::Sale, PaymentStatus::Settled)
        );
        assert_eq!(p.amount.amount.to_string(), "2.00");
        assert_eq!(p.references.batch_number.as_deref(), Some("571"));
        assert_eq!(p.references.invoice_id.as_deref(), Some("INV-1"));
        assert_eq!(p.references.customer_vault_id, None);
        // 4:06:30 PM Pacific daylight time is 23:06:30 UTC.
        assert_eq!(
            p.created_at,
            Some(Utc.with_ymd_and_hms(2015, 4, 10, 23, 6, 30).unwrap())
        );
        assert_eq!(
            p.settled_at,
            Some(Utc.with_ymd_and_hms(2015, 4, 11, 3, 13, 45).unwrap())
        );
        let Some(PaymentMethod::Card(card)) = &p.method else {
            panic!("{:?}", p.method)
        };
        assert_eq!(card.brand, CardBrand::Mastercard);
        assert_eq!(card.last_four.as_str(), "5454");
        assert_eq!(card.expiry.map(|e| (e.month, e.year)), Some((12, 2020)));
        assert_eq!(card.holder_name.as_deref(), Some("Jane Doe"));
        let processor = p.processor.unwrap();
        assert_eq!(processor.avs, Some(AvsResult::NoMatch));
        assert_eq!(processor.csc, Some(CscResult::Match));
        assert_eq!(
            processor.approval_message.as_deref(),
            Some("NO MATCH - Approved and completed")
        );
        assert_eq!(processor.decline_reason, None);
        assert_eq!(p.metadata["PO"], "77");
    }

    #[test]
    fn statuses_kinds_and_vault_profiles() {
        let pending = payment(&record(
            json!({"status_code": "Y", "status_message": "Pending Settlement", "settled": ""}),
        ))
        .unwrap();
        assert_eq!(pending.status, PaymentStatus::Approved);
        assert_eq!(pending.settled_at, None);
        let declined = payment(&record(json!({
            "status_code": "N", "status_message": "Declined", "approval_message": "    DECLINE - Insufficient funds"
        })))
        .unwrap();
        assert_eq!(declined.status, PaymentStatus::Declined);
        assert_eq!(
            declined.processor.unwrap().decline_reason,
            Some(DeclineReason::InsufficientFunds)
        );
        let auth = payment(&record(json!({"transaction_type": "AUTHORIZATION", "status_code": "N", "status_message": "Authorization Only"}))).unwrap();
        let captured = payment(&record(json!({"transaction_type": "AUTHORIZATION"}))).unwrap();
        assert_eq!(
            (captured.kind, captured.status),
            (TransactionKind::Capture, PaymentStatus::Settled)
        );
        assert_eq!(
            (auth.kind, auth.status),
            (TransactionKind::Authorization, PaymentStatus::Authorized)
        );
        let vaulted = payment(&record(json!({"customer_id": "cust-1"}))).unwrap();
        assert!(
            matches!(vaulted.method, Some(PaymentMethod::Vault { ref vault_id, card: Some(_) }) if vault_id == "cust-1")
        );
        assert!(payment(&record(json!({"status_code": "Q"}))).is_err());
        assert!(payment(&record(json!({"amount": "1.005"}))).is_err());
        assert!(payment(&record(json!({"amount": null}))).is_err());
        assert!(payment(&record(json!({"transaction_type": "ODD"}))).is_err());
    }

    #[test]
    fn responses_become_payments() {
        let response: TransactionResponse = serde_json::from_value(json!({
            "success": false, "response_code": 102, "transaction_id": 7,
            "approval_message": "    DECLINE - Insufficient funds", "avs_response": "Full Exact Match",
            "csc_response": "Match", "masked_card_number": "xxxxxxxxxxxx5439"
        }))
        .unwrap();
        let amount = Amount::parse("19.99").unwrap();
        let p = payment_from_response(&response, TransactionKind::Sale, &amount).unwrap();
        assert_eq!(p.status, PaymentStatus::Declined);
        assert_eq!(p.amount.to_string(), "19.99 USD");
        let processor = p.processor.unwrap();
        assert_eq!(processor.code.as_deref(), Some("102"));
        assert_eq!(
            processor.decline_reason,
            Some(DeclineReason::InsufficientFunds)
        );
        assert!(
            matches!(p.method, Some(PaymentMethod::Card(ref c)) if c.last_four.as_str() == "5439")
        );
        let auth: TransactionResponse = serde_json::from_value(
            json!({"success": true, "response_code": 101, "transaction_id": 8}),
        )
        .unwrap();
        let a = payment_from_response(&auth, TransactionKind::Authorization, &amount).unwrap();
        assert_eq!(a.status, PaymentStatus::Authorized);
        let no_id: TransactionResponse =
            serde_json::from_value(json!({"success": true, "response_code": 101})).unwrap();
        assert!(payment_from_response(&no_id, TransactionKind::Sale, &amount).is_err());
    }

    #[test]
    fn vault_profiles_become_customers() {
        let record: CustomerRecord = serde_json::from_value(json!({
            "customer_id": "cust-1",
            "credit_card": {"masked_number": "************0057", "expiration_month": "01", "expiration_year": "31"},
            "billing_address": {"name": "Acme Widgets, Inc.", "street_address": "1 Main St", "city": "Spokane", "state": "WA", "zip": "99201", "country": "US"},
            "shipping_address": {"name": "", "street_address": "", "city": "", "state": "", "zip": "", "country": ""},
            "email": "ap@acme.example", "phone": "", "discretionary_data": {"TIER": "gold"}
        }))
        .unwrap();
        let c = customer(&record).unwrap();
        assert_eq!(
            c.party,
            Party::Organization {
                name: "Acme Widgets, Inc.".into()
            }
        );
        assert_eq!(c.email.as_deref(), Some("ap@acme.example"));
        assert_eq!(c.phone, None);
        assert_eq!(
            c.billing_address.as_ref().unwrap().region.as_deref(),
            Some("WA")
        );
        assert_eq!(c.shipping_address, None);
        assert_eq!(c.reference(&System::Paytrace), Some("cust-1"));
        assert_eq!(c.metadata["TIER"], "gold");
        let nameless: CustomerRecord = serde_json::from_value(json!({"customer_id": "x"})).unwrap();
        assert!(customer(&nameless).is_err());
    }

    #[test]
    fn batches_total_their_transactions() {
        let summary: BatchSummary = serde_json::from_value(json!({"number": 571})).unwrap();
        let refund =
            record(json!({"transaction_id": 2, "transaction_type": "REFUND", "amount": 0.5}));
        let batch = settlement_batch(&summary, &[record(json!({})), refund]).unwrap();
        assert_eq!(batch.batch_number, "571");
        assert_eq!(batch.net_amount().unwrap().amount.to_string(), "1.50");
        assert_eq!(batch.transactions.len(), 2);
        assert!(batch.settled_at.is_some());
    }

    #[test]
    fn canonical_addresses_become_request_addresses() {
        let address = canonical_model::Address {
            lines: vec!["1 Main St".into(), "Suite 2".into()],
            city: Some("Anytown".into()),
            region: Some("Washington".into()),
            postal_code: Some("992011234".into()),
            country: Some(canonical_model::CountryCode::US),
        };
        let request = paytrace_address(&address, Some("Jane Doe")).unwrap();
        assert_eq!(request.name.as_deref(), Some("Jane Doe"));
        assert_eq!(request.street_address2.as_deref(), Some("Suite 2"));
        assert_eq!(request.state.as_deref(), Some("WA"));
        assert_eq!(request.zip.as_deref(), Some("99201-1234"));
    }
}
