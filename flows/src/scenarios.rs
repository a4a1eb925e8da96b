//! Sandbox scenarios of use cases 4–8: the Salesforce objects those flows use, and the
//! records each acts on, seeded into the emulators on top of [`seed::opportunities`]'s
//! accounts. The examples and the flow tests start from these.
//!
//! Like [`seed`], everything here writes only to emulators this process started; payments are
//! made through the PayTrace client, as the flagship flow would make them.
//!
//! | scenario | seeds |
//! |---|---|
//! | [`dunning`] | three declined sales of won opportunities: one soft decline that a retry recovers, one soft decline that keeps failing, one hard decline |
//! | [`recurring`] | `Subscription__c` records: due today on several terms, not due yet, paused, one whose card declines, one whose account has no vault profile |
//! | [`vault_sync`] | accounts linked, to be linked, with an unknown vault id, claimed by a stray profile, to get a profile from a payment, and with nothing to go on |
//! | [`refunds`] | payments settled and not, and `Refund_Request__c` records: void, partial then the rest, full, one that must wait, one too large |
//! | [`chargebacks`] | settled payments and a chargeback report CSV with a bad row and an unknown transaction |

use std::path::{Path, PathBuf};

use canonical_model::TransactionKind;
use chrono::{Days, NaiveDate, Utc};
use mapping::fieldmap::Context;
use paytrace_client::{Amount, CustomerPayment, UpdateCustomer};
use rust_decimal::Decimal;
use sandbox::paytrace::{Address as VaultAddress, DeclineRule, TestCard, test_cards};
use sandbox::salesforce::{FieldMeta, FieldType, ObjectMeta, SalesforceEmulator};
use serde_json::json;

use crate::crm;
use crate::error::{Error, Result};
use crate::systems::seed::{self, SeedOptions, Seeded, SeededAccount};
use crate::systems::{Sandboxes, Systems};

fn seed_error(what: &str, error: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::Config {
        reason: format!("could not seed {what}"),
        source: Some(Box::new(error)),
    }
}

fn sandboxes(systems: &Systems) -> Result<&Sandboxes> {
    systems
        .sandboxes()
        .ok_or_else(|| Error::config("these systems started no emulators to seed"))
}

/// Declares the Salesforce objects and fields use cases 4–8 read and write, as a real org
/// would have them: `Subscription__c`, `Refund_Request__c`, `Case.Tributary_Key__c` (the
/// external id of the Cases the flows open), and the dunning, refund and chargeback fields of
/// `Payment__c` and `Opportunity`. Idempotent.
///
/// # Errors
/// [`Error::Config`] when Salesforce is not an emulator of this process.
pub fn define_objects(sandboxes: &Sandboxes) -> Result<()> {
    use FieldType as T;
    let sf = sandboxes.salesforce()?.emulator();
    let extend = |name: &str, fields: Vec<FieldMeta>| {
        let meta = fields.into_iter().fold(
            sf.object(name).unwrap_or_else(|| ObjectMeta::new(name)),
            ObjectMeta::field,
        );
        sf.define_object(meta);
    };
    extend(
        "Case",
        vec![FieldMeta::text(crm::CASE_KEY, 50).external_id().unique()],
    );
    extend(
        crm::PAYMENT,
        vec![
            FieldMeta::new("Refunded_Amount__c", T::Currency),
            FieldMeta::text("Decline_Reason__c", 80),
            FieldMeta::text("Dunning_Status__c", 20),
            FieldMeta::new("Dunning_Attempts__c", T::Double),
            FieldMeta::new("Next_Retry_Date__c", T::Date),
            FieldMeta::text("Recovered_By__c", 50),
            FieldMeta::text("Dunning_Retry_Of__c", 50),
            FieldMeta::reference("Subscription__c", "Subscription__c", "Subscription__r"),
            FieldMeta::text("Chargeback_Case_ID__c", 50),
            FieldMeta::new("Chargeback_Amount__c", T::Currency),
            FieldMeta::text("Chargeback_Reason__c", 255),
            FieldMeta::new("Chargeback_Date__c", T::Date),
            FieldMeta::new("Chargeback_Respond_By__c", T::Date),
        ],
    );
    extend(
        "Opportunity",
        vec![FieldMeta::new("Next_Retry_Date__c", T::Date)],
    );
    sf.define_object(
        ObjectMeta::new(crate::recurring_billing::SUBSCRIPTION_OBJECT)
            .label("Subscription", "Subscriptions")
            .field(FieldMeta::text("Name", 80))
            .field(FieldMeta::reference("Account__c", "Account", "Account__r"))
            .field(FieldMeta::new("Amount__c", T::Currency).required())
            .field(FieldMeta::text("Subscription_Term__c", 40).required())
            .field(FieldMeta::new("Start_Date__c", T::Date))
            .field(FieldMeta::new("Next_Charge_Date__c", T::Date).required())
            .field(FieldMeta::new("Remaining_Payments__c", T::Double))
            .field(FieldMeta::new("Status__c", T::Picklist).picklist(&[
                "Active",
                "Past Due",
                "Paused",
                "Canceled",
                "Completed",
            ]))
            .field(FieldMeta::text("CustomerVaultID__c", 50))
            .field(FieldMeta::text("Last_Payment_ID__c", 50))
            .field(FieldMeta::new("Last_Charge_Date__c", T::Date)),
    );
    sf.define_object(
        ObjectMeta::new(crate::refund::REQUEST_OBJECT)
            .label("Refund Request", "Refund Requests")
            .field(FieldMeta::text("PaymentID__c", 50).required())
            .field(FieldMeta::new("Amount__c", T::Currency))
            .field(FieldMeta::text("Reason__c", 255))
            .field(
                FieldMeta::new("Status__c", T::Picklist)
                    .picklist(&["Requested", "Voided", "Refunded", "Rejected"])
                    .default_value(json!("Requested")),
            )
            .field(FieldMeta::text("Refund_Transaction_ID__c", 50))
            .field(FieldMeta::new("Processed_Date__c", T::Date))
            .field(FieldMeta::text("Result__c", 255)),
    );
    Ok(())
}

/// Seeds `count` accounts with vault profiles (and their won opportunities), with the
/// objects of [`define_objects`].
fn accounts(systems: &Systems, count: usize, seed: u64) -> Result<Seeded> {
    let sandboxes = sandboxes(systems)?;
    define_objects(sandboxes)?;
    seed::opportunities(
        sandboxes,
        &SeedOptions {
            opportunities: count,
            seed,
            invoice_every: 0,
            erp_customer_every: 0,
            edge_cases: false,
        },
    )
}

/// A payment made for a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioPayment {
    /// The PayTrace transaction.
    pub transaction_id: String,
    /// The Salesforce Account.
    pub account_id: String,
    /// The Opportunity paid, when there is one.
    pub opportunity_id: Option<String>,
    /// The amount.
    pub amount: Decimal,
    /// Whether PayTrace approved it.
    pub approved: bool,
}

/// Charges the vault profile of `account` as the flagship does (`invoice_id` the Opportunity
/// id) and, when `record`, writes its `Payment__c`.
async fn pay(
    systems: &Systems,
    account: &SeededAccount,
    opportunity: Option<&str>,
    amount: Decimal,
    record: bool,
) -> Result<ScenarioPayment> {
    let vault = account
        .vault_id
        .clone()
        .ok_or_else(|| Error::config("the scenario's account has no vault profile"))?;
    let amount_pt = Amount::new(amount)?;
    let mut sale = CustomerPayment::new(amount_pt, vault);
    if let Some(opportunity) = opportunity {
        sale = sale.invoice_id(opportunity);
    }
    let answer = systems
        .paytrace
        .transactions()
        .sale_by_customer(&sale)
        .await?;
    let mut payment = paytrace_client::canonical::payment_from_response(
        &answer,
        TransactionKind::Sale,
        &amount_pt,
    )
    .map_err(|e| Error::mapping("a scenario payment", e))?;
    payment.created_at = Some(Utc::now());
    payment.references.invoice_id = opportunity.map(str::to_owned);
    if record {
        let mut context = Context::new().with("account_id", account.id.as_str());
        if let Some(opportunity) = opportunity {
            context = context.with("opportunity_id", opportunity);
        }
        crm::upsert_payment(&systems.salesforce, &payment, &context, &[]).await?;
    }
    Ok(ScenarioPayment {
        transaction_id: payment.id.clone(),
        account_id: account.id.clone(),
        opportunity_id: opportunity.map(str::to_owned),
        amount,
        approved: answer.is_approved(),
    })
}

/// The amount the PayTrace emulator declines "Insufficient funds" (soft), by default.
pub const SOFT_DECLINE: Decimal = Decimal::from_parts(21, 0, 0, false, 2);
/// Another soft-declined amount, which the dunning scenario never lifts.
pub const STUBBORN_DECLINE: Decimal = Decimal::from_parts(29, 0, 0, false, 2);
/// The amount the dunning scenario declines "Expired card" (hard).
pub const HARD_DECLINE: Decimal = Decimal::from_parts(33, 0, 0, false, 2);

/// What [`dunning`] seeded: the declined sales.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DunningScenario {
    /// Declined for insufficient funds; approved once [`recover`](Self::recover) lifts the
    /// rule.
    pub recovers: ScenarioPayment,
    /// Declined for insufficient funds on every retry.
    pub keeps_failing: ScenarioPayment,
    /// Declined as an expired card.
    pub hard: ScenarioPayment,
}

impl DunningScenario {
    /// The customer of [`recovers`](Self::recovers) has funds again: the emulator stops
    /// declining its amount.
    ///
    /// # Errors
    /// [`Error::Config`] when PayTrace is not an emulator of this process.
    pub fn recover(&self, systems: &Systems) -> Result<()> {
        sandboxes(systems)?
            .paytrace()?
            .emulator()
            .update_config(|c| c.declines.retain(|r| r.amount != Some(SOFT_DECLINE)));
        Ok(())
    }
}

/// Seeds three won opportunities whose charges PayTrace declines (see [`DunningScenario`]),
/// as the flagship would have tried them.
///
/// # Errors
/// [`Error::Config`] when a system is not an emulator of this process; the clients' errors.
pub async fn dunning(systems: &Systems) -> Result<DunningScenario> {
    let seeded = accounts(systems, 3, 41)?;
    sandboxes(systems)?
        .paytrace()?
        .emulator()
        .update_config(|c| {
            c.declines.push(DeclineRule::amount(
                HARD_DECLINE,
                "    DECLINE - Expired card",
            ));
        });
    let mut made = Vec::new();
    for (i, amount) in [SOFT_DECLINE, STUBBORN_DECLINE, HARD_DECLINE]
        .into_iter()
        .enumerate()
    {
        let opportunity = &seeded.opportunities[i];
        made.push(
            pay(
                systems,
                &seeded.accounts[i],
                Some(&opportunity.id),
                amount,
                false,
            )
            .await?,
        );
    }
    let [recovers, keeps_failing, hard] = <[ScenarioPayment; 3]>::try_from(made)
        .map_err(|_| Error::config("the dunning scenario made the wrong number of payments"))?;
    Ok(DunningScenario {
        recovers,
        keeps_failing,
        hard,
    })
}

/// What [`recurring`] seeded: `Subscription__c` ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurringScenario {
    /// Due on `today`, approved: monthly, quarterly, "12 months".
    pub due: Vec<String>,
    /// Due, its last payment: it completes.
    pub last_payment: String,
    /// Due, declined (soft): past due.
    pub declines: String,
    /// Due, but its account has no vault profile: dead-lettered.
    pub no_vault: String,
    /// Not due yet, and paused.
    pub not_due: Vec<String>,
}

/// Seeds subscriptions of seeded accounts, billed on `today` (see [`RecurringScenario`]).
///
/// # Errors
/// [`Error::Config`] when a system is not an emulator of this process.
pub fn recurring(systems: &Systems, today: NaiveDate) -> Result<RecurringScenario> {
    let seeded = accounts(systems, 6, 53)?;
    let sf = sandboxes(systems)?.salesforce()?.emulator();
    let no_vault_account = sf
        .seed(
            "Account",
            json!({"Name": "Cash Only Corp", "AccountNumber": "C-90001"}),
        )
        .map_err(|e| seed_error("an Account", e))?;
    let day = |days: i64| {
        if days >= 0 {
            today.checked_add_days(Days::new(days.unsigned_abs()))
        } else {
            today.checked_sub_days(Days::new(days.unsigned_abs()))
        }
        .unwrap_or(today)
    };
    let add = |sf: &SalesforceEmulator,
               name: &str,
               account: &str,
               amount: f64,
               term: &str,
               start: NaiveDate,
               next: NaiveDate,
               remaining: Option<u32>,
               status: &str| {
        let mut record = json!({
            "Name": name, "Account__c": account, "Amount__c": amount,
            "Subscription_Term__c": term, "Start_Date__c": start, "Next_Charge_Date__c": next,
            "Status__c": status,
        });
        if let Some(remaining) = remaining {
            record["Remaining_Payments__c"] = json!(remaining);
        }
        sf.seed(crate::recurring_billing::SUBSCRIPTION_OBJECT, record)
            .map_err(|e| seed_error("a Subscription__c", e))
    };
    let a = |i: usize| seeded.accounts[i].id.as_str();
    let a_year_ago = today
        .checked_sub_months(chrono::Months::new(12))
        .unwrap_or(today);
    Ok(RecurringScenario {
        due: vec![
            add(
                sf,
                "Platform — monthly",
                a(0),
                49.0,
                "Monthly",
                day(-61),
                today,
                Some(10),
                "Active",
            )?,
            add(
                sf,
                "Support — quarterly",
                a(1),
                300.0,
                "Quarterly",
                today,
                today,
                None,
                "Active",
            )?,
            add(
                sf,
                "Premium — yearly",
                a(2),
                1_200.0,
                "12 months",
                a_year_ago,
                today,
                Some(2),
                "Past Due",
            )?,
        ],
        last_payment: add(
            sf,
            "Add-on — last month",
            a(3),
            19.0,
            "1 month",
            day(-150),
            today,
            Some(1),
            "Active",
        )?,
        declines: add(
            sf,
            "Training — weekly",
            a(4),
            0.29,
            "Weekly",
            day(-7),
            today,
            None,
            "Active",
        )?,
        no_vault: add(
            sf,
            "Cash only — monthly",
            &no_vault_account,
            25.0,
            "Monthly",
            today,
            today,
            None,
            "Active",
        )?,
        not_due: vec![
            add(
                sf,
                "Hardware lease — monthly",
                a(5),
                99.0,
                "Monthly",
                day(1),
                day(1),
                None,
                "Active",
            )?,
            add(
                sf,
                "Paused plan",
                a(5),
                15.0,
                "Monthly",
                day(-30),
                today,
                None,
                "Paused",
            )?,
        ],
    })
}

/// What [`vault_sync`] seeded: Account ids by what the flow should do with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultSyncScenario {
    /// Linked, with a profile: nothing to do.
    pub in_sync: Vec<String>,
    /// No vault id; its profile names its account number: to link, with this vault id.
    pub to_link: (String, String),
    /// Its vault id is not in PayTrace: a mismatch.
    pub unknown_vault: String,
    /// Linked; a stray profile also names its account number: a mismatch (`profile <id>`).
    pub stray_profile: String,
    /// No vault id, no profile, an approved payment: a profile made from it.
    pub from_payment: String,
    /// No vault id, no profile, no payment: left alone.
    pub nothing: String,
}

/// Seeds accounts and profiles in every state [`vault_sync`](crate::vault_sync) meets.
///
/// # Errors
/// [`Error::Config`] when a system is not an emulator of this process; the clients' errors.
pub async fn vault_sync(systems: &Systems) -> Result<VaultSyncScenario> {
    let seeded = accounts(systems, 7, 67)?;
    let sandboxes = sandboxes(systems)?;
    let sf = sandboxes.salesforce()?.emulator();
    let paytrace = sandboxes.paytrace()?.emulator();
    let unlink = |account: &SeededAccount, vault: Option<&str>| {
        sf.update(&account.id, json!({ "CustomerVaultID__c": vault }))
            .map_err(|e| seed_error("an Account", e))
    };
    let named = |vault: &str, number: &str| {
        let update = UpdateCustomer::new(vault).discretionary("AccountNumber", number);
        async move { systems.paytrace.customers().update(&update).await }
    };

    // 0, 1: in sync. 2: its profile names it, the link is missing.
    let to_link = &seeded.accounts[2];
    let to_link_vault = to_link.vault_id.clone().unwrap_or_default();
    unlink(to_link, None)?;
    named(&to_link_vault, &to_link.account_number).await?;
    // 3: a vault id PayTrace does not know.
    unlink(&seeded.accounts[3], Some("VLT-GONE"))?;
    // 4: a stray profile claims its account number.
    let stray = &seeded.accounts[4];
    let card = TestCard::new(test_cards::MASTERCARD, 6, 2031);
    paytrace
        .seed_customer("VLT-STRAY", &card, VaultAddress::default())
        .map_err(|e| seed_error("a vault profile", e))?;
    named("VLT-STRAY", &stray.account_number).await?;
    // 5: paid once by card, then the profile went away: a profile from that payment.
    let from_payment = &seeded.accounts[5];
    pay(
        systems,
        from_payment,
        seeded.opportunities.get(5).map(|o| o.id.as_str()),
        Decimal::new(12_500, 2),
        true,
    )
    .await?;
    systems
        .paytrace
        .customers()
        .delete(from_payment.vault_id.as_deref().unwrap_or_default())
        .await?;
    unlink(from_payment, None)?;
    // 6: no vault id and nothing to make one from.
    let nothing = &seeded.accounts[6];
    systems
        .paytrace
        .customers()
        .delete(nothing.vault_id.as_deref().unwrap_or_default())
        .await?;
    unlink(nothing, None)?;

    Ok(VaultSyncScenario {
        in_sync: vec![seeded.accounts[0].id.clone(), seeded.accounts[1].id.clone()],
        to_link: (to_link.id.clone(), to_link_vault),
        unknown_vault: seeded.accounts[3].id.clone(),
        stray_profile: stray.id.clone(),
        from_payment: from_payment.id.clone(),
        nothing: nothing.id.clone(),
    })
}

/// What [`refunds`] seeded: the payments and `Refund_Request__c` ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundScenario {
    /// Not settled; refunded in full: a void.
    pub void: (ScenarioPayment, String),
    /// Settled; $40.00 of it refunded, then (a later request) the rest.
    pub partial_then_rest: (ScenarioPayment, String, String),
    /// Settled; refunded in full.
    pub full: (ScenarioPayment, String),
    /// Not settled; part of it asked for: waits for settlement.
    pub waits: (ScenarioPayment, String),
    /// Settled; more than it was asked for: rejected.
    pub too_much: (ScenarioPayment, String),
}

/// Seeds payments (some settled) and refund requests for them (see [`RefundScenario`]).
///
/// # Errors
/// [`Error::Config`] when a system is not an emulator of this process; the clients' errors.
pub async fn refunds(systems: &Systems) -> Result<RefundScenario> {
    let seeded = accounts(systems, 5, 79)?;
    let sandboxes = sandboxes(systems)?;
    let opportunity = |i: usize| seeded.opportunities.get(i).map(|o| o.id.as_str());
    let partial = pay(
        systems,
        &seeded.accounts[1],
        opportunity(1),
        Decimal::new(10_000, 2),
        true,
    )
    .await?;
    let full = pay(
        systems,
        &seeded.accounts[2],
        opportunity(2),
        Decimal::new(7_550, 2),
        true,
    )
    .await?;
    let too_much = pay(
        systems,
        &seeded.accounts[4],
        opportunity(4),
        Decimal::new(2_000, 2),
        true,
    )
    .await?;
    sandboxes.paytrace()?.emulator().force_settle();
    let void = pay(
        systems,
        &seeded.accounts[0],
        opportunity(0),
        Decimal::new(25_000, 2),
        true,
    )
    .await?;
    let waits = pay(
        systems,
        &seeded.accounts[3],
        opportunity(3),
        Decimal::new(6_000, 2),
        true,
    )
    .await?;

    let sf = sandboxes.salesforce()?.emulator();
    let request = |payment: &ScenarioPayment, amount: Option<f64>, reason: &str| {
        let mut record = json!({
            "PaymentID__c": payment.transaction_id, "Reason__c": reason, "Status__c": "Requested",
        });
        if let Some(amount) = amount {
            record["Amount__c"] = json!(amount);
        }
        sf.seed(crate::refund::REQUEST_OBJECT, record)
            .map_err(|e| seed_error("a Refund_Request__c", e))
    };
    let void_request = request(&void, None, "Order cancelled before shipping")?;
    let first = request(&partial, Some(40.0), "One seat returned")?;
    let rest = request(&partial, None, "Contract cancelled")?;
    let full_request = request(&full, Some(75.5), "Duplicate purchase")?;
    let waits_request = request(&waits, Some(10.0), "Damaged item")?;
    let too_much_request = request(&too_much, Some(25.0), "Goodwill")?;
    Ok(RefundScenario {
        void: (void, void_request),
        partial_then_rest: (partial, first, rest),
        full: (full, full_request),
        waits: (waits, waits_request),
        too_much: (too_much, too_much_request),
    })
}

/// What [`chargebacks`] seeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargebackScenario {
    /// The report file.
    pub report: PathBuf,
    /// The settled payments charged back, with their case ids.
    pub charged_back: Vec<(ScenarioPayment, String)>,
    /// The case id of the row naming a transaction PayTrace does not have.
    pub unknown_transaction: String,
    /// The line of the row that is not a valid chargeback.
    pub invalid_line: u64,
}

/// Seeds settled payments and writes a chargeback report for them into `dir` (see
/// [`ChargebackScenario`]).
///
/// # Errors
/// [`Error::Config`] when a system is not an emulator of this process or the file cannot be
/// written; the clients' errors.
pub async fn chargebacks(systems: &Systems, dir: &Path) -> Result<ChargebackScenario> {
    let seeded = accounts(systems, 2, 97)?;
    let opportunity = |i: usize| seeded.opportunities.get(i).map(|o| o.id.as_str());
    let first = pay(
        systems,
        &seeded.accounts[0],
        opportunity(0),
        Decimal::new(31_999, 2),
        true,
    )
    .await?;
    let second = pay(
        systems,
        &seeded.accounts[1],
        opportunity(1),
        Decimal::new(4_900, 2),
        false,
    )
    .await?;
    sandboxes(systems)?.paytrace()?.emulator().force_settle();
    let today = Utc::now().date_naive();
    let respond_by = today.checked_add_days(Days::new(20)).unwrap_or(today);
    let stamp = today.format("%Y%m%d");
    let case = |n: u32| format!("CB-{stamp}-{n:04}");
    let report = format!(
        "case_id,transaction_id,amount,currency,reason_code,reason,chargeback_date,respond_by\n\
         {},{},319.99,USD,10.4,Other Fraud - Card Absent Environment,{today},{respond_by}\n\
         {},{},49.00,USD,13.1,Merchandise/Services Not Received,{today},{respond_by}\n\
         {},999999999,12.00,USD,4837,No Cardholder Authorization,{today},\n\
         {},{},not-a-number,USD,13.3,Not as Described,{today},\n",
        case(1),
        first.transaction_id,
        case(2),
        second.transaction_id,
        case(3),
        case(4),
        first.transaction_id,
    );
    let path = dir.join(format!("chargebacks-{today}.csv"));
    std::fs::write(&path, report).map_err(|e| seed_error("the chargeback report", e))?;
    Ok(ChargebackScenario {
        report: path,
        charged_back: vec![(first, case(1)), (second, case(2))],
        unknown_transaction: case(3),
        invalid_line: 5,
    })
}
