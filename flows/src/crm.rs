//! Salesforce reads and writes that use cases 4–8 share: field access on [`SObject`]s, whole
//! queries, the `Payment__c` of a transaction, the owner of an account, and Cases written
//! exactly once by the external id `Tributary_Key__c`.

use canonical_model::Payment;
use chrono::NaiveDate;
use futures::TryStreamExt;
use mapping::fieldmap::Context;
use mapping::transform::datetime::parse_salesforce_date;
use rust_decimal::Decimal;
use salesforce_client::query::soql;
use salesforce_client::sobjects::UpsertOutcome;
use salesforce_client::{Client, SObject, canonical};
use serde_json::{Value, json};

/// The object payments are kept in, and its external id (PayTrace's transaction id).
pub(crate) const PAYMENT: &str = "Payment__c";
pub(crate) const PAYMENT_ID: &str = "PaymentID__c";

/// The Case field holding the flow's key, so a rerun updates the Case it opened: Text(50),
/// External ID, Unique.
pub(crate) const CASE_KEY: &str = "Tributary_Key__c";

/// The trimmed, non-empty text of `field`.
pub(crate) fn text(record: &SObject, field: &str) -> Option<String> {
    match record.get(field)? {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The decimal in `field` (a JSON number or numeric text).
pub(crate) fn decimal(record: &SObject, field: &str) -> Option<Decimal> {
    match record.get(field)? {
        Value::Number(n) => n.to_string().parse().ok(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The date in `field` (`YYYY-MM-DD`).
pub(crate) fn date(record: &SObject, field: &str) -> Option<NaiveDate> {
    parse_salesforce_date(&text(record, field)?).ok()
}

/// Every record `soql` matches, all pages read.
pub(crate) async fn query_all(
    sf: &Client,
    soql: String,
) -> Result<Vec<SObject>, salesforce_client::Error> {
    sf.query(soql).stream::<SObject>().try_collect().await
}

/// Every record of the queries `soql(list)`, one per `IN` list of at most 100 of `ids`.
pub(crate) async fn query_in(
    sf: &Client,
    ids: &[&str],
    soql: impl Fn(&str) -> String,
) -> Result<Vec<SObject>, salesforce_client::Error> {
    let mut records = Vec::new();
    for chunk in ids.chunks(100) {
        let list = soql::in_list(chunk.iter().copied())?;
        records.extend(query_all(sf, soql(&list)).await?);
    }
    Ok(records)
}

/// The `Payment__c` of PayTrace transaction `transaction_id`, with `fields`, if there is one.
pub(crate) async fn payment_record(
    sf: &Client,
    transaction_id: &str,
    fields: &[&str],
) -> Result<Option<SObject>, salesforce_client::Error> {
    match sf
        .sobjects(PAYMENT)
        .get_by_external_id::<SObject>(PAYMENT_ID, transaction_id, fields)
        .await
    {
        Ok(record) => Ok(Some(record)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// `payment` as a `Payment__c` (by `mapping`'s default spec, the CRM ids from `context`)
/// with `extra` fields, upserted by `PaymentID__c`.
pub(crate) async fn upsert_payment(
    sf: &Client,
    payment: &Payment,
    context: &Context,
    extra: &[(&str, Value)],
) -> Result<UpsertOutcome, crate::Error> {
    let mut record = canonical::payment_to_salesforce(payment, context)?;
    for (field, value) in extra {
        record.fields.insert((*field).to_owned(), value.clone());
    }
    let id = record
        .fields
        .remove(PAYMENT_ID)
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| payment.id.clone());
    Ok(sf
        .sobjects(PAYMENT)
        .upsert(PAYMENT_ID, &id, &record)
        .await?)
}

/// The `OwnerId` and `Name` of account `account_id`.
pub(crate) async fn account_owner(
    sf: &Client,
    account_id: &str,
) -> Result<(Option<String>, Option<String>), salesforce_client::Error> {
    let account: SObject = sf
        .sobjects("Account")
        .get(account_id, &["OwnerId", "Name"])
        .await?;
    Ok((text(&account, "OwnerId"), text(&account, "Name")))
}

/// The Accounts whose `field` is `value`.
pub(crate) async fn accounts_where(
    sf: &Client,
    field: &str,
    value: &str,
    fields: &str,
) -> Result<Vec<SObject>, salesforce_client::Error> {
    let field = soql::identifier(field)?;
    query_all(
        sf,
        format!(
            "SELECT {fields} FROM Account WHERE {field} = {}",
            soql::quote(value)
        ),
    )
    .await
}

/// A Case a flow opens for a person to act on.
#[derive(Debug, Clone)]
pub(crate) struct NewCase<'a> {
    /// The flow's key for it (`Tributary_Key__c`): a rerun updates this Case.
    pub(crate) key: &'a str,
    pub(crate) subject: String,
    pub(crate) description: String,
    pub(crate) account_id: Option<&'a str>,
    /// The account owner, who gets the Case.
    pub(crate) owner_id: Option<&'a str>,
    pub(crate) priority: &'a str,
    pub(crate) status: &'a str,
    pub(crate) origin: &'a str,
}

/// Opens (or, on a rerun, updates) the Case, by its key.
pub(crate) async fn upsert_case(
    sf: &Client,
    case: &NewCase<'_>,
) -> Result<UpsertOutcome, salesforce_client::Error> {
    let mut record = json!({
        "Subject": case.subject,
        "Description": case.description,
        "Priority": case.priority,
        "Status": case.status,
        "Origin": case.origin,
    });
    if let Some(account) = case.account_id {
        record["AccountId"] = json!(account);
    }
    if let Some(owner) = case.owner_id {
        record["OwnerId"] = json!(owner);
    }
    sf.sobjects("Case")
        .upsert(CASE_KEY, case.key, &record)
        .await
}

/// Whether an upsert created the record or updated it, as the report counts it.
pub(crate) fn upsert_action(outcome: &UpsertOutcome) -> crate::report::Action {
    if outcome.is_created() {
        crate::report::Action::Created
    } else {
        crate::report::Action::Updated
    }
}
