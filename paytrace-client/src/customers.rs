//! The customer vault (reference §2.5): profiles holding a card or bank account, charged
//! later by `customer_id`.
//!
//! Creating a profile with an id you choose is retried like a read: a repeat cannot create a
//! second profile, it is refused with code 171 (a
//! [`Conflict`](mapping::retry::ErrorKind::Conflict)). So a 171 on a call that needed more
//! than one attempt ([`Error::attempts`](crate::Error::attempts) > 1) may mean the first
//! attempt created the profile: check with [`Customers::export`]. Calls that spend a
//! one-time Protect token are never resent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::card::Card;
use crate::checks::BankAccount;
use crate::client::Client;
use crate::error::Result;
use crate::exports::MaskedCard;
use crate::http::operation;
use crate::protect::ProtectToken;
use crate::response::{ResponseCode, TransactionId, de};
use crate::transactions::Address;

/// The vault area: `client.customers()`.
#[derive(Debug, Clone, Copy)]
pub struct Customers<'a> {
    pub(crate) client: &'a Client,
}

/// The contact details of a profile, set through the request types' builder methods.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct CustomerDetails {
    /// Billing address; `name` is the cardholder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<Address>,
    /// Shipping address (with `county`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<Address>,
    /// Email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Fax.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fax: Option<String>,
    /// Custom fields.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub discretionary_data: BTreeMap<String, String>,
}

macro_rules! details_setters {
    ($($ty:ty),* $(,)?) => {$(
        impl $ty {
            /// Sets `billing_address`.
            #[must_use]
            pub fn billing_address(mut self, address: Address) -> Self {
                self.details.billing_address = Some(address);
                self
            }

            /// Sets `shipping_address`.
            #[must_use]
            pub fn shipping_address(mut self, address: Address) -> Self {
                self.details.shipping_address = Some(address);
                self
            }

            /// Sets `email`.
            #[must_use]
            pub fn email(mut self, email: impl Into<String>) -> Self {
                self.details.email = Some(email.into());
                self
            }

            /// Sets `phone`.
            #[must_use]
            pub fn phone(mut self, phone: impl Into<String>) -> Self {
                self.details.phone = Some(phone.into());
                self
            }

            /// Sets `fax`.
            #[must_use]
            pub fn fax(mut self, fax: impl Into<String>) -> Self {
                self.details.fax = Some(fax.into());
                self
            }

            /// Adds one `discretionary_data` custom field.
            #[must_use]
            pub fn discretionary(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
                self.details.discretionary_data.insert(name.into(), value.into());
                self
            }
        }
    )*};
}

/// Creates a profile: `customer_id` (yours, unique) with a card and/or a bank account.
///
/// A card's CSC, if set, is sent but not stored by PayTrace. The bank account is sent as the
/// `check` object, as on the ACH endpoints (field names for ACH profiles on create are
/// UNCONFIRMED).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct CreateCustomer {
    /// The profile's id, unique in the account.
    pub customer_id: String,
    /// The card (`credit_card`).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub card: Option<Card>,
    /// The bank account (`check`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<BankAccount>,
    /// Contact details.
    #[serde(flatten)]
    pub details: CustomerDetails,
}

impl CreateCustomer {
    /// A profile `customer_id` holding `card`.
    pub fn with_card(customer_id: impl Into<String>, card: Card) -> Self {
        CreateCustomer {
            customer_id: customer_id.into(),
            card: Some(card),
            check: None,
            details: CustomerDetails::default(),
        }
    }

    /// A profile `customer_id` holding a bank account only.
    pub fn with_bank_account(customer_id: impl Into<String>, account: BankAccount) -> Self {
        CreateCustomer {
            customer_id: customer_id.into(),
            card: None,
            check: Some(account),
            details: CustomerDetails::default(),
        }
    }
}

/// Creates a profile from the card of an earlier transaction.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct CreateCustomerFromTransaction {
    /// The profile's id, unique in the account.
    pub customer_id: String,
    /// The transaction whose card is stored.
    pub transaction_id: TransactionId,
    /// Contact details.
    #[serde(flatten)]
    pub details: CustomerDetails,
}

impl CreateCustomerFromTransaction {
    /// A profile `customer_id` with the card of `transaction_id`.
    pub fn new(customer_id: impl Into<String>, transaction_id: TransactionId) -> Self {
        CreateCustomerFromTransaction {
            customer_id: customer_id.into(),
            transaction_id,
            details: CustomerDetails::default(),
        }
    }
}

/// Creates a profile from a Protect.js token. Without an id, PayTrace assigns a numeric one
/// (the request then sends `customer_id: ""`, as PayTrace documents "may be empty").
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ProtectCreateCustomer {
    /// The profile's id; empty for one assigned by PayTrace.
    pub customer_id: String,
    /// The Protect.js token.
    #[serde(flatten)]
    pub token: ProtectToken,
    /// Contact details.
    #[serde(flatten)]
    pub details: CustomerDetails,
}

impl ProtectCreateCustomer {
    /// A profile from `token`, with an id assigned by PayTrace.
    pub fn new(token: ProtectToken) -> Self {
        ProtectCreateCustomer {
            customer_id: String::new(),
            token,
            details: CustomerDetails::default(),
        }
    }

    /// Chooses the profile's id.
    #[must_use]
    pub fn customer_id(mut self, customer_id: impl Into<String>) -> Self {
        self.customer_id = customer_id.into();
        self
    }
}

/// Updates a profile; only the fields set are sent.
///
/// A bank account goes as `direct_deposit_account` and `transit_routing_number`, the names
/// PayTrace's update page documents (legacy-style; UNCONFIRMED in traffic).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct UpdateCustomer {
    /// The profile to update.
    pub customer_id: String,
    /// A new id for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_id: Option<String>,
    /// A new card.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub card: Option<Card>,
    /// A new bank account.
    #[serde(
        flatten,
        skip_serializing_if = "Option::is_none",
        serialize_with = "legacy_ach"
    )]
    pub bank_account: Option<BankAccount>,
    /// Contact details.
    #[serde(flatten)]
    pub details: CustomerDetails,
}

#[allow(clippy::ref_option)] // serde's `serialize_with` passes `&Option<T>`
fn legacy_ach<S: serde::Serializer>(
    account: &Option<BankAccount>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(None)?;
    if let Some(account) = account {
        map.serialize_entry("direct_deposit_account", &account.account_number)?;
        map.serialize_entry("transit_routing_number", &account.routing_number)?;
    }
    map.end()
}

impl UpdateCustomer {
    /// An update of `customer_id` that changes nothing yet.
    pub fn new(customer_id: impl Into<String>) -> Self {
        UpdateCustomer {
            customer_id: customer_id.into(),
            new_id: None,
            card: None,
            bank_account: None,
            details: CustomerDetails::default(),
        }
    }

    /// Renames the profile.
    #[must_use]
    pub fn new_id(mut self, new_id: impl Into<String>) -> Self {
        self.new_id = Some(new_id.into());
        self
    }

    /// Replaces the card.
    #[must_use]
    pub fn card(mut self, card: Card) -> Self {
        self.card = Some(card);
        self
    }

    /// Replaces the bank account.
    #[must_use]
    pub fn bank_account(mut self, account: BankAccount) -> Self {
        self.bank_account = Some(account);
        self
    }
}

details_setters!(
    CreateCustomer,
    CreateCustomerFromTransaction,
    ProtectCreateCustomer,
    UpdateCustomer
);

#[derive(Serialize)]
struct ProtectUpdate<'a> {
    customer_id: &'a str,
    #[serde(flatten)]
    token: &'a ProtectToken,
}

#[derive(Serialize)]
pub(crate) struct ByCustomerId<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) customer_id: Option<&'a str>,
}

/// PayTrace's answer to a vault call: `customer_id` and, for card profiles,
/// `masked_card_number`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CustomerResponse {
    /// `success`.
    #[serde(default)]
    pub success: bool,
    /// 160 created, 161 updated, 162 deleted.
    pub response_code: ResponseCode,
    /// PayTrace's text.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub status_message: Option<String>,
    /// The profile's id (as assigned, for Protect creation without one).
    #[serde(default, deserialize_with = "de::opt_text")]
    pub customer_id: Option<String>,
    /// The stored card, masked.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub masked_card_number: Option<String>,
    /// Fields this crate does not model, kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// A profile as `/v1/customer/export` returns it (reference §5.3). Fields besides
/// `customer_id` and `credit_card` are UNCONFIRMED for v1 (named as in v3), hence optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CustomerRecord {
    /// The profile's id.
    #[serde(deserialize_with = "de::opt_text")]
    pub customer_id: Option<String>,
    /// The stored card, masked.
    #[serde(default)]
    pub credit_card: Option<MaskedCard>,
    /// Billing address.
    #[serde(default)]
    pub billing_address: Option<Address>,
    /// Shipping address.
    #[serde(default)]
    pub shipping_address: Option<Address>,
    /// Email.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub email: Option<String>,
    /// Phone.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub phone: Option<String>,
    /// Fax.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub fax: Option<String>,
    /// Custom fields, as sent (an object, or empty).
    #[serde(default)]
    pub discretionary_data: Option<serde_json::Value>,
    /// Fields this crate does not model, kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct CustomerExport {
    #[serde(default)]
    customers: Vec<CustomerRecord>,
}

impl Customers<'_> {
    /// Creates a profile: `POST /v1/customer/create` (code 160).
    ///
    /// # Errors
    /// [`Error::Api`](crate::Error::Api) when PayTrace refuses (171, a
    /// [`Conflict`](mapping::retry::ErrorKind::Conflict), when the id is taken — see the
    /// [module docs](self) about repeats); transport errors after the retries.
    pub async fn create(&self, request: &CreateCustomer) -> Result<CustomerResponse> {
        let op = operation!(
            "paytrace.customer_create",
            "/v1/customer/create",
            Idempotent
        );
        self.client.send(op, request).await
    }

    /// Creates a profile from an earlier transaction's card:
    /// `POST /v1/customer/create_from_transaction` (code 160).
    ///
    /// # Errors
    /// As [`create`](Self::create); 811 for an unknown transaction.
    pub async fn create_from_transaction(
        &self,
        request: &CreateCustomerFromTransaction,
    ) -> Result<CustomerResponse> {
        let op = operation!(
            "paytrace.customer_create_from_transaction",
            "/v1/customer/create_from_transaction",
            Idempotent
        );
        self.client.send(op, request).await
    }

    /// Creates a profile from a Protect.js token: `POST /v1/customer/pt_protect_create`
    /// (code 160). Never resent: the token is single-use and the id may be assigned.
    ///
    /// # Errors
    /// As [`create`](Self::create); 961 for a spent token;
    /// [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown) when the answer was lost.
    pub async fn create_pt_protect(
        &self,
        request: &ProtectCreateCustomer,
    ) -> Result<CustomerResponse> {
        let op = operation!(
            "paytrace.customer_pt_protect_create",
            "/v1/customer/pt_protect_create",
            NonIdempotent
        );
        self.client.send(op, request).await
    }

    /// Updates a profile: `POST /v1/customer/update` (code 161).
    ///
    /// # Errors
    /// [`Error::Api`](crate::Error::Api); code 30 (unknown profile) is
    /// [`is_not_found`](crate::Error::is_not_found). Transport errors after the retries.
    pub async fn update(&self, request: &UpdateCustomer) -> Result<CustomerResponse> {
        let op = operation!(
            "paytrace.customer_update",
            "/v1/customer/update",
            Idempotent
        );
        self.client.send(op, request).await
    }

    /// Replaces a profile's card with a Protect.js token: `POST /v1/customer/pt_protect_update`
    /// (code 161). Never resent.
    ///
    /// # Errors
    /// As [`update`](Self::update); 961 for a spent token.
    pub async fn update_pt_protect(
        &self,
        customer_id: &str,
        token: &ProtectToken,
    ) -> Result<CustomerResponse> {
        let op = operation!(
            "paytrace.customer_pt_protect_update",
            "/v1/customer/pt_protect_update",
            NonIdempotent
        );
        self.client
            .send(op, &ProtectUpdate { customer_id, token })
            .await
    }

    /// Deletes a profile: `POST /v1/customer/delete` (code 162).
    ///
    /// # Errors
    /// As [`update`](Self::update).
    pub async fn delete(&self, customer_id: &str) -> Result<CustomerResponse> {
        let op = operation!(
            "paytrace.customer_delete",
            "/v1/customer/delete",
            Idempotent
        );
        self.client
            .send(
                op,
                &ByCustomerId {
                    customer_id: Some(customer_id),
                },
            )
            .await
    }

    /// Exports one profile, or all of them: `POST /v1/customer/export`.
    ///
    /// # Errors
    /// [`Error::Api`](crate::Error::Api), decoding and transport errors.
    pub async fn export(&self, customer_id: Option<&str>) -> Result<Vec<CustomerRecord>> {
        let op = operation!(
            "paytrace.customer_export",
            "/v1/customer/export",
            Idempotent
        );
        let export: CustomerExport = self.client.send(op, &ByCustomerId { customer_id }).await?;
        Ok(export.customers)
    }

    /// Exports the profiles not used for `days_inactive` days:
    /// `POST /v1/customer/export_inactive`.
    ///
    /// UNCONFIRMED: PayTrace's documentation index lists this export; the path and the
    /// `days_inactive` field are the most plausible reading. The answer is taken to have the
    /// [`export`](Self::export) shape.
    ///
    /// # Errors
    /// [`Error::Api`](crate::Error::Api), decoding and transport errors.
    pub async fn export_inactive(&self, days_inactive: u32) -> Result<Vec<CustomerRecord>> {
        #[derive(Serialize)]
        struct Inactive {
            days_inactive: u32,
        }
        let op = operation!(
            "paytrace.customer_export_inactive",
            "/v1/customer/export_inactive",
            Idempotent
        );
        let export: CustomerExport = self.client.send(op, &Inactive { days_inactive }).await?;
        Ok(export.customers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn create_sends_card_and_details() {
        let card = Card::new("5499740000000057", 1, 2031).unwrap();
        let request = CreateCustomer::with_card("cust-1", card)
            .email("jane@example.com")
            .billing_address(Address {
                name: Some("Jane".into()),
                ..Address::default()
            });
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({
                "customer_id": "cust-1",
                "credit_card": {"number": "5499740000000057", "expiration_month": "01", "expiration_year": "2031"},
                "billing_address": {"name": "Jane"},
                "email": "jane@example.com"
            })
        );
    }

    #[test]
    fn update_uses_the_documented_ach_names() {
        let account = BankAccount::new("000123456789", "021000021").unwrap();
        let request = UpdateCustomer::new("cust-1")
            .bank_account(account)
            .phone("555");
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({
                "customer_id": "cust-1",
                "direct_deposit_account": "000123456789",
                "transit_routing_number": "021000021",
                "phone": "555"
            })
        );
        assert_eq!(
            serde_json::to_value(UpdateCustomer::new("c")).unwrap(),
            json!({"customer_id": "c"})
        );
    }

    #[test]
    fn protect_create_without_id_sends_an_empty_one() {
        let request = ProtectCreateCustomer::new(ProtectToken::new("hpf", "enc"));
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({"customer_id": "", "hpf_token": "hpf", "enc_key": "enc"})
        );
    }
}
