//! Transforms between the vocabularies of PayTrace, Salesforce and Dynamics 365 and the
//! canonical model: statuses, money, addresses, names, dates, scalars and processor texts.
//!
//! # Guide
//!
//! Every transform is a small pure function: text, a `Decimal` or a canonical type in, a
//! canonical type or the system's text out, `Result<_, `[`TransformError`]`>` for anything
//! that can be refused. Nothing guesses: an unknown status, country or code is an error (or,
//! for processor texts, an explicit `Other(text)`), never a silent default. Errors name the
//! refused value, masked so a card number cannot reach a log ([`error::safe_excerpt`]).
//!
//! The systems' vocabularies are **data**, not `match` arms: [`status::StatusTable`],
//! [`paytrace_status::PaytraceCodeTable`], [`paytrace_status::ExportStatusRules`],
//! [`response::ResponseVocabulary`], [`currency::CurrencySymbols`],
//! [`countries::Countries`], [`name::NameRules`] and [`party::OrganizationMarkers`] each have
//! a `Default` holding ours, deserialise from TOML or JSON, and `extend` with a user's
//! entries. The free functions use the defaults; call the table's method to use your own.
//! Text keys are matched ignoring case, dots and extra spaces ([`vocab::normalize_key`]).
//!
//! The field-mapping engine exposes these functions as named transforms on JSON values.
//!
//! # Example
//!
//! A PayTrace sale, its export row and its billing address, on their way to a Salesforce
//! `Payment__c` and an F&O customer:
//!
//! ```
//! use canonical_model::{Currency, DeclineReason, Money, PaymentStatus, TransactionKind};
//! use mapping::transform::{
//!     address_systems, currency, datetime, paytrace_status, response, status, types,
//! };
//! use rust_decimal::Decimal;
//!
//! // Statuses: PayTrace code → canonical → Salesforce picklist.
//! let approved = paytrace_status::paytrace_status(101, TransactionKind::Sale)?;
//! assert_eq!(status::status_to_salesforce(approved)?, "Completed");
//! let row = paytrace_status::paytrace_export_status("GB571", "GB571", "SALE")?;
//! assert_eq!((row.status, row.batch_number.as_deref()), (PaymentStatus::Settled, Some("571")));
//!
//! // A decline's padded processor text → a reason dunning can act on.
//! let reason = response::decline_reason("    DECLINE - Insufficient funds");
//! assert_eq!(reason, DeclineReason::InsufficientFunds);
//! assert!(reason.is_soft());
//!
//! // Money and times.
//! let amount = Money::new(types::parse_decimal("1,234.5")?, Currency::USD);
//! assert_eq!(currency::format_money(&amount)?, "$1,234.50");
//! assert_eq!(types::format_paytrace_money(&amount)?, "1234.50");
//! let created = datetime::parse_paytrace_timestamp("4/10/2015 4:06:30 PM", datetime::PAYTRACE_TIME_ZONE)?;
//! assert_eq!(datetime::format_salesforce_datetime(created), "2015-04-10T23:06:30.000+0000");
//! assert_eq!(datetime::format_fno_date(Some(created.date_naive())), "2015-04-10T12:00:00Z");
//!
//! // The billing address, from PayTrace's shape to Salesforce's and F&O's.
//! let billing = serde_json::json!({
//!     "name": "Jane Doe", "street_address": "1 Main St", "city": "Anytown",
//!     "state": "Washington", "zip": "992011234", "country": "US"
//! });
//! let serde_json::Value::Object(billing) = billing else { unreachable!() };
//! let read = address_systems::address_from_paytrace(&billing)?;
//! let sf = address_systems::address_to_salesforce(&read.address, "Billing")?;
//! assert_eq!(sf["BillingState"], "WA");
//! assert_eq!(sf["BillingPostalCode"], "99201-1234");
//! assert_eq!(sf["BillingCountry"], "United States");
//! let fno = address_systems::address_to_fno(&read.address)?;
//! assert_eq!(fno["AddressCountryRegionId"], "USA");
//! # Ok::<(), mapping::transform::TransformError>(())
//! ```
//!
//! # Functions
//!
//! | module | function | from → to |
//! |---|---|---|
//! | [`status`] | [`status_to_salesforce`](status::status_to_salesforce) / [`status_from_salesforce`](status::status_from_salesforce) | `PaymentStatus` ↔ `Payment__c.Status__c` (`Approved` ↔ `"Completed"`) |
//! | | [`status_to_dynamics_fno`](status::status_to_dynamics_fno) / [`status_from_dynamics_fno`](status::status_from_dynamics_fno) | `PaymentStatus` ↔ F&O `MCRCustPaymStatus` |
//! | | [`StatusTable`](status::StatusTable), [`StatusTables`](status::StatusTables) | the tables, overridable |
//! | [`paytrace_status`] | [`paytrace_status`](paytrace_status::paytrace_status) | `response_code` + `TransactionKind` → `PaymentStatus` |
//! | | [`paytrace_export_status`](paytrace_status::paytrace_export_status) | export `status_code`, `status_message`, `transaction_type` → status + batch |
//! | | [`batch_number_from_status_code`](paytrace_status::batch_number_from_status_code) | `"GB571"` → `"571"` |
//! | | [`paytrace_transaction_kind`](paytrace_status::paytrace_transaction_kind) | `"SALE"` → `TransactionKind` |
//! | [`response`] | [`parse_approval_message`](response::parse_approval_message) | padded processor text → code, readable text, approved? |
//! | | [`decline_reason`](response::decline_reason), [`decline_reason_for_code`](response::decline_reason_for_code), [`auto_void_reason`](response::auto_void_reason) | text / code → `DeclineReason` |
//! | | [`parse_avs_response`](response::parse_avs_response) / [`avs_to_paytrace`](response::avs_to_paytrace) | `avs_response` ↔ `AvsResult` |
//! | | [`parse_csc_response`](response::parse_csc_response) / [`csc_to_paytrace`](response::csc_to_paytrace) | `csc_response` ↔ `CscResult` |
//! | [`currency`] | [`format_money`](currency::format_money) / [`parse_money`](currency::parse_money), [`parse_money_or`](currency::parse_money_or) | `Money` ↔ `"$1,234.50"`, `"1234.50 USD"` |
//! | | [`currency_symbol`](currency::currency_symbol) / [`currency_from_symbol`](currency::currency_from_symbol), [`parse_currency_code`](currency::parse_currency_code) | `Currency` ↔ `"$"`, `"€"`, `"usd"` |
//! | | [`group_thousands`](currency::group_thousands), [`fits_minor_units`](currency::fits_minor_units) | helpers |
//! | [`types`] | [`parse_decimal`](types::parse_decimal), [`parse_decimal_with_scale`](types::parse_decimal_with_scale), [`decimal_from_json`](types::decimal_from_json) | text / JSON → `Decimal` |
//! | | [`format_paytrace_amount`](types::format_paytrace_amount), [`format_paytrace_money`](types::format_paytrace_money) | `Decimal` / `Money` → `"19.90"` |
//! | | [`parse_no_yes`](types::parse_no_yes) / [`format_no_yes`](types::format_no_yes) | F&O `NoYes` ↔ `bool` |
//! | | [`parse_bool_lenient`](types::parse_bool_lenient) | `"Y"`, `"1"`, `"true"` … → `bool` |
//! | | [`trim_processor_text`](types::trim_processor_text), [`non_blank`](types::non_blank) | padded text → trimmed |
//! | [`datetime`] | [`format_paytrace_date`](datetime::format_paytrace_date) / [`parse_paytrace_date`](datetime::parse_paytrace_date) | `NaiveDate` ↔ `MM/DD/YYYY` |
//! | | [`parse_paytrace_timestamp`](datetime::parse_paytrace_timestamp), [`parse_paytrace_timestamp_opt`](datetime::parse_paytrace_timestamp_opt) / [`format_paytrace_timestamp`](datetime::format_paytrace_timestamp) | `M/D/YYYY h:mm:ss AM` in a zone ↔ `DateTime<Utc>` |
//! | | [`local_to_utc`](datetime::local_to_utc) | local time → UTC, DST resolved |
//! | | [`parse_salesforce_datetime`](datetime::parse_salesforce_datetime) / [`format_salesforce_datetime`](datetime::format_salesforce_datetime), [`parse_salesforce_date`](datetime::parse_salesforce_date) / [`format_salesforce_date`](datetime::format_salesforce_date) | Salesforce ↔ chrono |
//! | | [`parse_fno_date`](datetime::parse_fno_date) / [`format_fno_date`](datetime::format_fno_date), [`parse_fno_datetime`](datetime::parse_fno_datetime) / [`format_fno_datetime`](datetime::format_fno_datetime) | F&O noon-UTC dates, 1900 sentinel ↔ `Option` |
//! | | [`parse_bc_date`](datetime::parse_bc_date) / [`format_bc_date`](datetime::format_bc_date), [`parse_bc_datetime`](datetime::parse_bc_datetime) / [`format_bc_datetime`](datetime::format_bc_datetime) | BC `Edm.Date`, 0001 sentinel ↔ `Option` |
//! | [`address`] | [`normalize_address`](address::normalize_address) | `Address` → cleaned `Address` |
//! | | [`split_street`](address::split_street) / [`join_street`](address::join_street), [`clean_text`](address::clean_text) | `"a\nb"` ↔ lines |
//! | | [`normalize_us_zip`](address::normalize_us_zip), [`normalize_postal_code`](address::normalize_postal_code) | `"981011234"` → `"98101-1234"` |
//! | | [`us_state_code`](address::us_state_code) / [`us_state_name`](address::us_state_name), [`ca_province_code`](address::ca_province_code) / [`ca_province_name`](address::ca_province_name), [`normalize_region`](address::normalize_region), [`region_name`](address::region_name) | `"Washington"` ↔ `"WA"` |
//! | [`address_systems`] | [`address_to_paytrace`](address_systems::address_to_paytrace) / [`address_from_paytrace`](address_systems::address_from_paytrace) | `Address` ↔ PayTrace `billing_address` |
//! | | [`address_to_salesforce`](address_systems::address_to_salesforce), [`address_to_salesforce_with`](address_systems::address_to_salesforce_with) / [`address_from_salesforce`](address_systems::address_from_salesforce) | `Address` ↔ `{prefix}Street`, … |
//! | | [`address_to_fno`](address_systems::address_to_fno) / [`address_from_fno`](address_systems::address_from_fno) | `Address` ↔ F&O `Address*` |
//! | | [`address_to_bc`](address_systems::address_to_bc) / [`address_from_bc`](address_systems::address_from_bc) | `Address` ↔ BC `addressLine1`, … |
//! | [`countries`] | [`country_code`](countries::country_code) / [`country_name`](countries::country_name) | `"U.S.A."`, `"UK"`, `"deu"` ↔ `CountryCode` / `"United States"` |
//! | | [`country_alpha3`](countries::country_alpha3) / [`country_from_alpha3`](countries::country_from_alpha3) | `US` ↔ `"USA"` |
//! | [`name`] | [`split_person_name`](name::split_person_name) / [`join_person_name`](name::join_person_name), [`join_family_first`](name::join_family_first) | `"Dr. Jane Q. Doe Jr."`, `"Doe, Jane Q."` ↔ `PersonName` |
//! | [`party`] | [`party_from_name`](party::party_from_name), [`classify_party`](party::classify_party), [`looks_like_organization`](party::looks_like_organization), [`party_display_name`](party::party_display_name) | name → `Party` (person or organization) |
//! | [`card`] | [`card_from_paytrace`](card::card_from_paytrace) | masked number + expiry → `CardSummary` |
//! | | [`card_brand_name`](card::card_brand_name) / [`card_brand_from_name`](card::card_brand_from_name) | `CardBrand` ↔ `"American Express"` |
//! | [`vocab`] | [`Vocabulary`](vocab::Vocabulary), [`KeywordTable`](vocab::KeywordTable), [`normalize_key`](vocab::normalize_key) | the table types |
//! | [`error`] | [`TransformError`], [`safe_excerpt`](error::safe_excerpt) | the error, and masking |
//! | [`us_states`] | [`US_STATES`](us_states::US_STATES), [`CA_PROVINCES`](us_states::CA_PROVINCES) | the region tables |

pub mod address;
pub mod address_systems;
pub mod card;
pub mod countries;
pub mod currency;
pub mod datetime;
pub mod error;
pub mod name;
pub mod party;
pub mod paytrace_status;
pub mod response;
pub mod status;
pub mod types;
pub mod us_states;
pub mod vocab;

pub use error::{Result, TransformError};
