//! Conversions between Salesforce records and Tributary's canonical model.
//!
//! | Salesforce | canonical | through |
//! |---|---|---|
//! | `Account` | [`Customer`] | [`customer_from_account`], [`account_from_customer`]; `Billing*` / `Shipping*` with `mapping`'s [`address_systems`](mapping::transform::address_systems) |
//! | `Payment__c` | [`Payment`] | [`payment_to_salesforce`], [`payment_from_salesforce`]; `mapping`'s default spec [`canonical_payment_to_salesforce`](mapping::fieldmap::defaults::canonical_payment_to_salesforce) |
//!
//! The vocabulary (status picklist values, address formats, date formats) lives in `mapping`
//! as data; this module only fits it to the client's [`SObject`] records.
//!
//! ```
//! use canonical_model::{Currency, Money, Payment, PaymentStatus, TransactionKind};
//! use mapping::fieldmap::Context;
//! use rust_decimal::Decimal;
//! use salesforce_client::canonical;
//!
//! let payment = Payment::new("123456789", TransactionKind::Sale, PaymentStatus::Settled,
//!     Money::new(Decimal::new(12_500, 2), Currency::USD));
//! let record = canonical::payment_to_salesforce(&payment, &Context::new().with("account_id", "001A"))?;
//! assert_eq!(record.get("PaymentID__c"), Some(&serde_json::json!("123456789")));
//! assert_eq!(record.get("Account__c"), Some(&serde_json::json!("001A")));
//!
//! let back = canonical::payment_from_salesforce(&record, Currency::USD)?;
//! assert_eq!((back.id.as_str(), back.status, back.amount), ("123456789", PaymentStatus::Settled, payment.amount));
//! # Ok::<(), salesforce_client::Error>(())
//! ```

use std::sync::LazyLock;

use canonical_model::{
    Address, Currency, Customer, ExternalRef, Party, Payment, PaymentMethod, PersonName, System,
};
use mapping::fieldmap::{Context, Spec, defaults};
use mapping::transform::address_systems::{address_from_salesforce, address_to_salesforce};
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::sobjects::{Attributes, SObject};

/// The standard object customers map to.
pub const ACCOUNT: &str = "Account";
/// The custom object payments map to.
pub const PAYMENT: &str = "Payment__c";

/// `mapping`'s default `Payment__c` spec, loaded once: parsing and checking the TOML costs
/// about twenty times what applying it to a payment does.
fn payment_spec() -> std::result::Result<&'static Spec, String> {
    static SPEC: LazyLock<std::result::Result<Spec, String>> =
        LazyLock::new(|| defaults::canonical_payment_to_salesforce().map_err(|e| e.to_string()));
    SPEC.as_ref().map_err(String::clone)
}

fn mapping_error(
    what: &'static str,
    source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> Error {
    Error::Mapping {
        what,
        source: source.into(),
    }
}

fn text(fields: &Map<String, Value>, key: &str) -> Option<String> {
    fields
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// An `Account` as a [`Customer`].
///
/// - A Person Account (`IsPersonAccount: true`) becomes a person from `Salutation`,
///   `FirstName`, `MiddleName`, `LastName`, `Suffix`, with `PersonEmail`; any other account
///   an organization named `Name`.
/// - `Phone`; `Billing*` and `Shipping*` (State/Country picklist codes when present), empty
///   addresses left out.
/// - The record id as a Salesforce [`ExternalRef`]; custom fields (`…__c`) in `metadata`.
///
/// # Errors
/// [`Error::Mapping`] for an account without a name, or an address `mapping` cannot read
/// (an unknown country).
pub fn customer_from_account(account: &SObject) -> Result<Customer> {
    const WHAT: &str = "Account to Customer";
    let f = &account.fields;
    let person = f.get("IsPersonAccount").and_then(Value::as_bool) == Some(true);
    let party = if person {
        Party::Person(PersonName {
            prefix: text(f, "Salutation"),
            given: text(f, "FirstName"),
            middle: text(f, "MiddleName"),
            family: text(f, "LastName"),
            suffix: text(f, "Suffix"),
        })
    } else {
        let name = text(f, "Name").ok_or_else(|| {
            mapping_error(WHAT, "the account has no Name (select it in the query)")
        })?;
        Party::Organization { name }
    };
    let mut customer = Customer::new(party);
    customer.email = text(f, "PersonEmail");
    customer.phone = text(f, "Phone");
    let address = |prefix: &str| -> Result<Option<Address>> {
        let address = address_from_salesforce(f, prefix).map_err(|e| mapping_error(WHAT, e))?;
        Ok((!address.is_empty()).then_some(address))
    };
    customer.billing_address = address("Billing")?;
    customer.shipping_address = address("Shipping")?;
    if let Some(id) = &account.id {
        customer
            .references
            .push(ExternalRef::new(System::Salesforce, id.clone()));
    }
    customer.metadata = f
        .iter()
        .filter(|(key, _)| key.ends_with("__c"))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    Ok(customer)
}

/// A [`Customer`] as an `Account` to create, update or upsert.
///
/// - `Name`: the organization's name, or a person's full name (a business account; Person
///   Accounts need the org's Person Account setting and are not written by this function).
/// - `Phone`; `Billing*` / `Shipping*` in the free-text style (`BillingState: "WA"`,
///   `BillingCountry: "United States"`).
/// - The `Id` from the customer's Salesforce reference, when it has one.
/// - `metadata` entries named like custom fields (`…__c`) as fields.
///
/// Fields the customer does not have are left out, so an update never clears them.
///
/// # Errors
/// [`Error::Mapping`] for an address `mapping` cannot write.
pub fn account_from_customer(customer: &Customer) -> Result<SObject> {
    const WHAT: &str = "Customer to Account";
    let mut account = SObject::new(ACCOUNT).with("Name", customer.display_name());
    account.id = customer.reference(&System::Salesforce).map(str::to_owned);
    if let Some(phone) = &customer.phone {
        account = account.with("Phone", phone.as_str());
    }
    for (prefix, address) in [
        ("Billing", &customer.billing_address),
        ("Shipping", &customer.shipping_address),
    ] {
        if let Some(address) = address {
            let fields =
                address_to_salesforce(address, prefix).map_err(|e| mapping_error(WHAT, e))?;
            account.fields.extend(fields);
        }
    }
    for (key, value) in &customer.metadata {
        if key.ends_with("__c") && crate::sobjects::check_name("field", key).is_ok() {
            account.fields.insert(key.clone(), value.clone());
        }
    }
    Ok(account)
}

/// A [`Payment`] as a `Payment__c` record, by `mapping`'s default spec
/// (`canonical_payment_to_salesforce`): `PaymentID__c`, `Amount__c` (negative for refunds and
/// credits), `Status__c`, `TransactionDate__c`, `PaymentMethodType__c`, `Last4Digits__c`,
/// `CustomerVaultID__c`, `Account__c` / `Opportunity__c` / `OrderId__c` (from the payment's
/// references, else `context`'s `account_id`, `opportunity_id`, `order_id`), and custom
/// fields from `metadata`. Upsert it by `PaymentID__c`.
///
/// # Errors
/// [`Error::Mapping`] with the engine's error (a status with no Salesforce value, …).
pub fn payment_to_salesforce(payment: &Payment, context: &Context) -> Result<SObject> {
    const WHAT: &str = "Payment to Payment__c";
    let spec = payment_spec().map_err(|e| mapping_error(WHAT, e))?;
    let source = serde_json::to_value(payment).map_err(|e| mapping_error(WHAT, e))?;
    let target = spec
        .apply(&source, context)
        .map_err(|e| mapping_error(WHAT, e))?;
    let Value::Object(fields) = target else {
        return Err(mapping_error(WHAT, "the spec did not produce a record"));
    };
    Ok(SObject {
        attributes: Some(Attributes::of(PAYMENT)),
        id: None,
        fields,
    })
}

/// A `Payment__c` record as a [`Payment`], by the same spec in reverse.
///
/// `Payment__c` does not store everything a canonical payment has, so:
/// - the currency is the record's `CurrencyIsoCode` (multi-currency orgs), else `currency`;
/// - the kind is a refund when `Amount__c` is negative, else a sale;
/// - a card's brand is `unknown`; a method that still cannot be rebuilt (ACH without an
///   account type) is left out;
/// - the record id is added as a Salesforce [`ExternalRef`] (entity `Payment__c`).
///
/// # Errors
/// [`Error::Mapping`] for a record without `PaymentID__c`, `Amount__c` or a known
/// `Status__c`.
pub fn payment_from_salesforce(record: &SObject, currency: Currency) -> Result<Payment> {
    const WHAT: &str = "Payment__c to Payment";
    let spec = payment_spec().map_err(|e| mapping_error(WHAT, e))?;
    let target = Value::Object(record.fields.clone());
    let reversed = spec
        .reverse(&target, &Context::new())
        .map_err(|e| mapping_error(WHAT, e))?;
    let Value::Object(mut source) = reversed.record else {
        return Err(mapping_error(WHAT, "the spec did not rebuild a record"));
    };
    let currency = match text(&record.fields, "CurrencyIsoCode") {
        Some(code) => serde_json::from_value(json!(code)).map_err(|e| mapping_error(WHAT, e))?,
        None => currency,
    };
    if let Some(Value::Object(amount)) = source.get_mut("amount") {
        amount.insert("currency".into(), json!(currency));
    }
    let negative = record
        .fields
        .get("Amount__c")
        .and_then(Value::as_f64)
        .is_some_and(|a| a < 0.0);
    source
        .entry("kind")
        .or_insert_with(|| json!(if negative { "refund" } else { "sale" }));
    if let Some(Value::Object(method)) = source.get_mut("method")
        && method.get("type") == Some(&json!("card"))
    {
        method.entry("brand").or_insert_with(|| json!("unknown"));
    }
    if let Some(method) = source.get("method")
        && serde_json::from_value::<PaymentMethod>(method.clone()).is_err()
    {
        source.remove("method");
    }
    let mut payment: Payment =
        serde_json::from_value(Value::Object(source)).map_err(|e| mapping_error(WHAT, e))?;
    if let Some(id) = &record.id {
        payment.references.external.push(ExternalRef {
            entity: Some(PAYMENT.to_owned()),
            ..ExternalRef::new(System::Salesforce, id.clone())
        });
    }
    Ok(payment)
}

#[cfg(test)]
mod tests {
    use super::*;
    use canonical_model::{CountryCode, Money, PaymentStatus, TransactionKind};
    use rust_decimal::Decimal;

    fn account(json: Value) -> SObject {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn business_accounts_round_trip() {
        let record = account(json!({
            "attributes": {"type": "Account", "url": "/services/data/v66.0/sobjects/Account/001A"},
            "Id": "001A", "Name": "Acme Corp", "Phone": "+1 206 555 0100",
            "BillingStreet": "1 Main St\nSuite 200", "BillingCity": "Seattle", "BillingState": "Washington",
            "BillingPostalCode": "981011234", "BillingCountry": "United States",
            "ShippingStreet": null, "ShippingCity": null,
            "Tier__c": "Gold",
        }));
        let customer = customer_from_account(&record).unwrap();
        assert_eq!(customer.display_name(), "Acme Corp");
        let billing = customer.billing_address.clone().unwrap();
        assert_eq!(billing.lines, ["1 Main St", "Suite 200"]);
        assert_eq!(billing.region.as_deref(), Some("WA"));
        assert_eq!(billing.postal_code.as_deref(), Some("98101-1234"));
        assert_eq!(billing.country, Some(CountryCode::new("US").unwrap()));
        assert_eq!(customer.shipping_address, None);
        assert_eq!(customer.reference(&System::Salesforce), Some("001A"));
        assert_eq!(customer.metadata["Tier__c"], "Gold");

        let back = account_from_customer(&customer).unwrap();
        assert_eq!(back.id.as_deref(), Some("001A"));
        assert_eq!(
            serde_json::to_value(&back).unwrap(),
            json!({
                "attributes": {"type": "Account"}, "Id": "001A", "Name": "Acme Corp", "Phone": "+1 206 555 0100",
                "BillingStreet": "1 Main St\nSuite 200", "BillingCity": "Seattle", "BillingState": "WA",
                "BillingPostalCode": "98101-1234", "BillingCountry": "United States", "Tier__c": "Gold",
            })
        );
    }

    #[test]
    fn person_accounts_and_bad_records() {
        let person = account(json!({
            "Id": "001P", "IsPersonAccount": true, "Salutation": "Dr.", "FirstName": "Jane", "LastName": "Doe",
            "PersonEmail": "jane@example.com", "Name": "Jane Doe",
        }));
        let customer = customer_from_account(&person).unwrap();
        assert_eq!(customer.display_name(), "Dr. Jane Doe");
        assert_eq!(customer.email.as_deref(), Some("jane@example.com"));
        assert!(matches!(
            customer_from_account(&account(json!({"Id": "001X"}))),
            Err(Error::Mapping { .. })
        ));
        let bad_country = account(json!({"Name": "X", "BillingCountry": "Atlantis"}));
        assert_eq!(
            customer_from_account(&bad_country).unwrap_err().kind(),
            mapping::retry::ErrorKind::Validation
        );
    }

    #[test]
    fn refunds_come_back_as_refunds() {
        let mut refund = Payment::new(
            "987",
            TransactionKind::Refund,
            PaymentStatus::Settled,
            Money::new(Decimal::new(2_500, 2), Currency::USD),
        );
        refund.references.processor_transaction_id = Some("987".into());
        let mut record = payment_to_salesforce(&refund, &Context::new()).unwrap();
        assert_eq!(record.get("Amount__c"), Some(&json!(-25.0)));
        record.id = Some("a01R".into());
        record.fields.insert("CurrencyIsoCode".into(), json!("EUR"));
        let back = payment_from_salesforce(&record, Currency::USD).unwrap();
        assert_eq!(back.kind, TransactionKind::Refund);
        assert_eq!(
            back.amount,
            Money::new(Decimal::new(2_500, 2), Currency::EUR)
        );
        assert_eq!(back.references.external[0].id, "a01R");
    }
}
