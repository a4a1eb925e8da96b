//! Realistic data for the emulators: accounts with vault profiles, Closed Won opportunities,
//! ERP customers and open invoices, storefront orders.
//!
//! Seeding writes only to the emulators this process started ([`Sandboxes`]), never to a real
//! system, and is deterministic for a given [`SeedOptions::seed`]. The data is what an
//! integration meets in a real org: business accounts with billing addresses, opportunities
//! of a few hundred to tens of thousands of dollars, some settling an invoice the ERP already
//! holds, some whose customers the ERP knows already. With
//! [`edge_cases`](SeedOptions::edge_cases) it also holds the records a flow must not choke
//! on: an account without a vault profile, a card that declines, an opportunity naming an
//! invoice the ERP does not have, an opportunity that is not won.

use std::collections::BTreeMap;

use canonical_model::{
    Address, CountryCode, Currency, Customer, ExternalRef, Money, Order, OrderLine, OrderStatus,
    Party, PersonName, System,
};
use chrono::Utc;
use rust_decimal::Decimal;
use sandbox::paytrace::{Address as VaultAddress, TestCard, test_cards};
use serde_json::{Value, json};

use super::{ErpFlavor, Sandboxes};
use crate::error::{Error, Result};

const COMPANIES: [&str; 24] = [
    "Northwind Traders",
    "Contoso Pharmaceuticals",
    "Fabrikam Residences",
    "Adventure Works Cycles",
    "Tailspin Toys",
    "Wide World Importers",
    "Litware Inc.",
    "Proseware Inc.",
    "Alpine Ski House",
    "Blue Yonder Airlines",
    "Coho Winery",
    "Fourth Coffee",
    "Graphic Design Institute",
    "Lucerne Publishing",
    "Margie's Travel",
    "Relecloud",
    "Southridge Video",
    "Trey Research",
    "VanArsdel Ltd.",
    "Woodgrove Bank",
    "Humongous Insurance",
    "Datum Corporation",
    "Consolidated Messenger",
    "Lamna Healthcare",
];

const CITIES: [(&str, &str, &str); 8] = [
    ("Spokane", "WA", "99201"),
    ("Portland", "OR", "97205"),
    ("Denver", "CO", "80202"),
    ("Austin", "TX", "78701"),
    ("Chicago", "IL", "60601"),
    ("Boston", "MA", "02108"),
    ("Atlanta", "GA", "30303"),
    ("San Diego", "CA", "92101"),
];

const STREETS: [&str; 6] = [
    "Main St",
    "Market St",
    "Riverside Ave",
    "Lake Shore Dr",
    "Commerce Way",
    "Industrial Pkwy",
];

const PRODUCTS: [(&str, &str); 6] = [
    ("Annual platform subscription", "SUB-ANNUAL"),
    ("Implementation services", "SRV-IMPL"),
    ("Support renewal", "SUP-RENEW"),
    ("Hardware bundle", "HW-BUNDLE"),
    ("Training workshop", "SRV-TRAIN"),
    ("Premium add-on", "SUB-ADDON"),
];

const CARDS: [&str; 4] = [
    test_cards::VISA,
    test_cards::MASTERCARD,
    test_cards::DISCOVER,
    test_cards::AMEX,
];

/// The amount the PayTrace emulator declines ("Do not honor").
const DECLINED_AMOUNT: Decimal = Decimal::from_parts(11_200, 0, 0, false, 2);

/// What to seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedOptions {
    /// Closed Won opportunities (one account each; default 40).
    pub opportunities: usize,
    /// Seed of the deterministic generator (default 7).
    pub seed: u64,
    /// Every `n`-th opportunity settles an open ERP invoice the seed creates (default 3;
    /// 0: none).
    pub invoice_every: usize,
    /// Every `n`-th account exists in the ERP already (default 2; 0: none).
    pub erp_customer_every: usize,
    /// Add the records a flow must handle without stopping (default true): an account
    /// without a vault id, a declined card, a missing ERP invoice, a lost opportunity.
    pub edge_cases: bool,
}

impl Default for SeedOptions {
    fn default() -> Self {
        SeedOptions {
            opportunities: 40,
            seed: 7,
            invoice_every: 3,
            erp_customer_every: 2,
            edge_cases: true,
        }
    }
}

/// What a seeded opportunity is expected to end as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Charged, written to Salesforce and the ERP.
    Paid,
    /// Declined by the card issuer.
    Declined,
    /// Refused at a step: a dead letter naming it.
    DeadLetter(&'static str),
    /// Not won: the flow does not pick it up.
    Ignored,
}

/// A seeded account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededAccount {
    /// Salesforce `Account` id.
    pub id: String,
    /// `Name`.
    pub name: String,
    /// `AccountNumber`: the ERP customer account.
    pub account_number: String,
    /// `CustomerVaultID__c`, the PayTrace profile.
    pub vault_id: Option<String>,
}

/// A seeded opportunity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededOpportunity {
    /// Salesforce `Opportunity` id.
    pub id: String,
    /// `Name`.
    pub name: String,
    /// The account's id.
    pub account_id: String,
    /// `Amount`.
    pub amount: Decimal,
    /// `ERP_Invoice__c`, when it settles an invoice.
    pub invoice: Option<String>,
    /// What the flow should make of it.
    pub expect: Expect,
}

/// What [`opportunities`] seeded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seeded {
    /// The accounts.
    pub accounts: Vec<SeededAccount>,
    /// The opportunities, in creation order.
    pub opportunities: Vec<SeededOpportunity>,
}

impl Seeded {
    /// The opportunities expected to end as `expect`.
    pub fn expecting(&self, expect: Expect) -> impl Iterator<Item = &SeededOpportunity> {
        self.opportunities
            .iter()
            .filter(move |o| o.expect == expect)
    }
}

/// A small deterministic generator (64-bit LCG), so a seed gives the same data everywhere.
#[derive(Debug, Clone)]
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
    }

    /// An amount from $250.00 to $25,000.00 that the emulator approves.
    fn amount(&mut self) -> Decimal {
        let cents = 25_000 + self.next() % 2_475_000;
        let amount = Decimal::new(i64::try_from(cents).unwrap_or(25_000), 2);
        if amount == DECLINED_AMOUNT {
            amount + Decimal::ONE
        } else {
            amount
        }
    }
}

fn seed_error(what: &str, error: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::Config {
        reason: format!("could not seed {what}"),
        source: Some(Box::new(error)),
    }
}

fn company_name(i: usize) -> String {
    let base = COMPANIES[i % COMPANIES.len()];
    match i / COMPANIES.len() {
        0 => base.to_owned(),
        n => format!("{base} {}", n + 1),
    }
}

/// Seeds `options.opportunities` Closed Won opportunities, each with its account (vault id,
/// account number, billing address), the account's PayTrace vault profile with a test card,
/// and, as the options say, the account as an existing ERP customer and an open ERP invoice
/// the opportunity settles.
///
/// # Errors
/// [`Error::Config`] when a system is not an emulator of this process, or an emulator
/// refuses a record.
pub fn opportunities(sandboxes: &Sandboxes, options: &SeedOptions) -> Result<Seeded> {
    let salesforce = sandboxes.salesforce()?.emulator();
    let paytrace = sandboxes.paytrace()?.emulator();
    let dynamics = sandboxes.dynamics()?.emulator();
    let flavor = sandboxes.erp_flavor();
    let mut rng = Lcg(options.seed);
    let today = Utc::now().date_naive();
    let mut seeded = Seeded::default();

    let edge =
        |i: usize, which: usize| options.edge_cases && options.opportunities > 4 && i == which;
    for i in 0..options.opportunities {
        let name = company_name(i);
        let (city, state, zip) = CITIES[rng.below(CITIES.len())];
        let street = format!(
            "{} {}",
            100 + rng.below(9_800),
            STREETS[rng.below(STREETS.len())]
        );
        let account_number = format!("C-{:05}", i + 1);
        let no_vault = edge(i, 1);
        let vault_id = (!no_vault).then(|| format!("VLT-{:05}", i + 1));

        let mut account = json!({
            "Name": name, "AccountNumber": account_number, "Type": "Customer",
            "Phone": format!("(509) 555-{:04}", rng.below(10_000)),
            "BillingStreet": street, "BillingCity": city, "BillingState": state,
            "BillingPostalCode": zip, "BillingCountry": "United States",
        });
        if let Some(vault_id) = &vault_id {
            account["CustomerVaultID__c"] = json!(vault_id);
            let card = TestCard::new(
                CARDS[i % CARDS.len()],
                1 + rng.below(12) as u32,
                2029 + rng.below(4) as i32,
            );
            let address = vault_address(&name, &street, city, state, zip);
            paytrace
                .seed_customer(vault_id, &card, address)
                .map_err(|e| seed_error("a PayTrace vault profile", e))?;
        }
        let account_id = salesforce
            .seed("Account", account)
            .map_err(|e| seed_error("a Salesforce Account", e))?;

        let settles = options.invoice_every > 0 && i % options.invoice_every == 0;
        let known =
            settles || (options.erp_customer_every > 0 && i % options.erp_customer_every == 0);
        if known {
            seed_erp_customer(dynamics, flavor, &account_number, &name)?;
        }

        let (product, _) = PRODUCTS[rng.below(PRODUCTS.len())];
        let declined = edge(i, 2);
        let amount = if declined {
            DECLINED_AMOUNT
        } else {
            rng.amount()
        };
        let missing_invoice = edge(i, 3);
        let lost = edge(i, 4);
        let invoice = if missing_invoice {
            Some("CIV-999999".to_owned())
        } else if settles {
            Some(seed_erp_invoice(
                dynamics,
                flavor,
                &account_number,
                product,
                amount,
                i,
            )?)
        } else {
            None
        };
        let opportunity_name = format!("{name} — {product}");
        let mut opportunity = json!({
            "Name": opportunity_name,
            "StageName": if lost { "Closed Lost" } else { "Closed Won" },
            "CloseDate": today.format("%Y-%m-%d").to_string(),
            "Amount": amount.to_string().parse::<f64>().unwrap_or_default(),
            "AccountId": account_id,
            "Probability": if lost { 0 } else { 100 },
        });
        if let Some(invoice) = &invoice {
            opportunity["ERP_Invoice__c"] = json!(invoice);
        }
        if product.starts_with("Annual") || product.starts_with("Support") {
            opportunity["Subscription_Term__c"] =
                json!(["12 months", "24 months", "36 months"][rng.below(3)]);
        }
        let id = salesforce
            .seed("Opportunity", opportunity)
            .map_err(|e| seed_error("a Salesforce Opportunity", e))?;
        let expect = if lost {
            Expect::Ignored
        } else if no_vault {
            Expect::DeadLetter("validate")
        } else if declined {
            Expect::Declined
        } else if missing_invoice {
            Expect::DeadLetter("erp.find_invoice")
        } else {
            Expect::Paid
        };
        seeded.accounts.push(SeededAccount {
            id: account_id.clone(),
            name: name.clone(),
            account_number,
            vault_id,
        });
        seeded.opportunities.push(SeededOpportunity {
            id,
            name: opportunity_name,
            account_id,
            amount,
            invoice,
            expect,
        });
    }
    Ok(seeded)
}

/// A US billing address for a vault profile.
fn vault_address(name: &str, street: &str, city: &str, state: &str, zip: &str) -> VaultAddress {
    let mut address = VaultAddress::default();
    address.name = name.to_owned();
    address.street_address = street.to_owned();
    address.city = city.to_owned();
    address.state = state.to_owned();
    address.zip = zip.to_owned();
    address.country = "US".to_owned();
    address
}

fn seed_erp_customer(
    dynamics: &sandbox::dynamics::DynamicsEmulator,
    flavor: ErpFlavor,
    account: &str,
    name: &str,
) -> Result<()> {
    let seeded = match flavor {
        ErpFlavor::FinanceOperations => {
            dynamics.seed_fno_customer(sandbox::dynamics::DEFAULT_FNO_COMPANY, account, name)
        }
        ErpFlavor::BusinessCentral => {
            dynamics.seed_bc_customer(sandbox::dynamics::DEFAULT_BC_COMPANY_ID, account, name)
        }
    };
    seeded
        .map(|_| ())
        .map_err(|e| seed_error("an ERP customer", e))
}

/// An open invoice of `amount` for `account`; returns its number.
fn seed_erp_invoice(
    dynamics: &sandbox::dynamics::DynamicsEmulator,
    flavor: ErpFlavor,
    account: &str,
    product: &str,
    amount: Decimal,
    i: usize,
) -> Result<String> {
    let amount_json = amount.to_string().parse::<f64>().unwrap_or_default();
    match flavor {
        ErpFlavor::FinanceOperations => {
            let number = format!("CIV-{:06}", 500 + i);
            dynamics
                .seed_fno_invoice(
                    json!({"dataAreaId": sandbox::dynamics::DEFAULT_FNO_COMPANY,
                           "InvoiceNumber": number, "InvoiceCustomerAccountNumber": account,
                           "CurrencyCode": "USD"}),
                    vec![json!({"ItemNumber": "SRV-IMPL", "LineAmount": amount_json,
                                "LineDescription": product})],
                )
                .map_err(|e| seed_error("an ERP invoice", e))?;
            Ok(number)
        }
        ErpFlavor::BusinessCentral => {
            let row = dynamics
                .seed_bc_posted_invoice(
                    sandbox::dynamics::DEFAULT_BC_COMPANY_ID,
                    account,
                    &[(product, 1.0, amount_json)],
                )
                .map_err(|e| seed_error("an ERP invoice", e))?;
            row.get("number")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| Error::config("the seeded ERP invoice has no number"))
        }
    }
}

/// Generates `count` storefront orders of returning customers, and seeds each customer's
/// PayTrace vault profile. Each order's customer carries its storefront id (the ERP customer
/// account, `System::Other("storefront")`) and its vault id (`System::Paytrace`); lines
/// carry item numbers. With `edge_cases`, one order's customer has no vault profile.
///
/// # Errors
/// [`Error::Config`] when PayTrace is not an emulator of this process, or it refuses a
/// profile.
pub fn storefront_orders(
    sandboxes: &Sandboxes,
    count: usize,
    seed: u64,
    edge_cases: bool,
) -> Result<Vec<Order>> {
    let paytrace = sandboxes.paytrace()?.emulator();
    let mut rng = Lcg(seed);
    let day = Utc::now().format("%Y%m%d").to_string();
    let mut orders = Vec::with_capacity(count);
    for i in 0..count {
        let given = ["Ava", "Liam", "Maya", "Noah", "Zoe", "Ethan", "Ivy", "Owen"][rng.below(8)];
        let family = [
            "Garcia", "Nguyen", "Smith", "Patel", "Kim", "Okafor", "Rossi", "Larsen",
        ][rng.below(8)];
        let (city, state, zip) = CITIES[rng.below(CITIES.len())];
        let address = Address {
            lines: vec![format!(
                "{} {}",
                10 + rng.below(990),
                STREETS[rng.below(STREETS.len())]
            )],
            city: Some(city.to_owned()),
            region: Some(state.to_owned()),
            postal_code: Some(zip.to_owned()),
            country: CountryCode::new("US").ok(),
        };
        let storefront_id = format!("WEB-C{:05}", i + 1);
        let mut customer = Customer::new(Party::Person(PersonName {
            given: Some(given.to_owned()),
            family: Some(family.to_owned()),
            ..PersonName::default()
        }));
        customer.email = Some(format!(
            "{}.{}{}@example.com",
            given.to_lowercase(),
            family.to_lowercase(),
            i + 1
        ));
        customer.billing_address = Some(address.clone());
        customer.references.push(ExternalRef::new(
            System::Other("storefront".into()),
            storefront_id.clone(),
        ));
        if !(edge_cases && count > 2 && i == 1) {
            let vault_id = format!("WEB-VLT-{:05}", i + 1);
            let card = TestCard::new(CARDS[i % CARDS.len()], 1 + rng.below(12) as u32, 2030);
            let vault_address = vault_address(
                &format!("{given} {family}"),
                &address.lines.join(" "),
                city,
                state,
                zip,
            );
            paytrace
                .seed_customer(&vault_id, &card, vault_address)
                .map_err(|e| seed_error("a PayTrace vault profile", e))?;
            customer
                .references
                .push(ExternalRef::new(System::Paytrace, vault_id));
        }
        let lines = (0..1 + rng.below(3))
            .map(|_| {
                let (description, sku) = PRODUCTS[rng.below(PRODUCTS.len())];
                let cents = 1_999 + rng.next() % 48_000;
                OrderLine {
                    sku: Some(sku.to_owned()),
                    description: description.to_owned(),
                    quantity: Decimal::from(1 + rng.below(3)),
                    unit_price: Money::new(
                        Decimal::new(i64::try_from(cents).unwrap_or(1_999), 2),
                        Currency::USD,
                    ),
                    discount: None,
                    tax: None,
                }
            })
            .collect();
        orders.push(Order {
            // A letter after the date: digits in dash-joined groups can look like a card
            // number to the stores' card guard, which would redact the id.
            id: format!("WEB-{day}-N{:04}", i + 1),
            number: None,
            customer: Some(customer),
            currency: Currency::USD,
            lines,
            shipping: Some(Money::new(Decimal::new(995, 2), Currency::USD)),
            shipping_address: Some(address),
            status: OrderStatus::Open,
            ordered_at: Some(Utc::now()),
            references: Vec::new(),
            metadata: BTreeMap::new(),
        });
    }
    Ok(orders)
}

/// What [`settlement_day`] prepared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementDay {
    /// The opportunities charged during the day.
    pub seeded: Seeded,
    /// The batch the day settled in.
    pub batch: Option<u64>,
    /// The discrepancies planted, for the reader.
    pub planted: Vec<String>,
}

/// A day for settlement reconciliation to look at: `options.opportunities` opportunities
/// paid by use case 1 (so PayTrace, Salesforce and the ERP agree on them), then three
/// discrepancies as they happen in real life — a sale keyed at a terminal (in PayTrace only),
/// a `Payment__c` amount edited by hand, a `Payment__c` marked `Declined` by hand — and the
/// day's batch settled.
///
/// # Errors
/// As [`opportunities`]; the flow's and the PayTrace client's errors.
pub async fn settlement_day(
    systems: &crate::Systems,
    options: &SeedOptions,
) -> Result<SettlementDay> {
    let sandboxes = systems
        .sandboxes()
        .ok_or_else(|| Error::config("the systems are not the sandbox"))?;
    let seeded = opportunities(sandboxes, options)?;
    let quiet = systems.with_settings(crate::systems::Settings {
        progress: std::sync::Arc::new(crate::report::NoProgress),
        ..systems.settings.clone()
    });
    crate::opportunity_to_payment::run(&quiet, &crate::opportunity_to_payment::Options::default())
        .await?;

    let mut planted = Vec::new();
    if let Some(account) = seeded.accounts.iter().find_map(|a| a.vault_id.clone()) {
        let amount = paytrace_client::Amount::new(Decimal::new(4_999, 2))?;
        let sale = paytrace_client::CustomerPayment::new(amount, account.clone())
            .invoice_id("POS-0001")
            .description("Counter sale");
        let answer = systems
            .paytrace
            .transactions()
            .sale_by_customer(&sale)
            .await?;
        planted.push(format!(
            "transaction {} (invoice POS-0001, 49.99) was keyed at a terminal: it is in PayTrace only",
            answer.transaction_id.map(|t| t.to_string()).unwrap_or_default()
        ));
    }
    let salesforce = sandboxes.salesforce()?.emulator();
    let payments: Vec<_> = salesforce
        .records("Payment__c")
        .into_iter()
        .filter(|r| r.get("Status__c").and_then(Value::as_str) == Some("Completed"))
        .collect();
    if let Some(record) = payments.first() {
        let amount = record
            .get("Amount__c")
            .and_then(Value::as_f64)
            .unwrap_or_default();
        salesforce
            .update(&record.id, json!({"Amount__c": amount + 10.0}))
            .map_err(|e| seed_error("a Payment__c amount", e))?;
        planted.push(format!(
            "Payment__c {} had its amount edited by hand (+10.00)",
            record
                .get("PaymentID__c")
                .and_then(Value::as_str)
                .unwrap_or_default()
        ));
    }
    if let Some(record) = payments.get(1) {
        salesforce
            .update(&record.id, json!({"Status__c": "Declined"}))
            .map_err(|e| seed_error("a Payment__c status", e))?;
        planted.push(format!(
            "Payment__c {} was marked Declined by hand",
            record
                .get("PaymentID__c")
                .and_then(Value::as_str)
                .unwrap_or_default()
        ));
    }
    let batch = sandboxes.paytrace()?.emulator().force_settle();
    Ok(SettlementDay {
        seeded,
        batch,
        planted,
    })
}
