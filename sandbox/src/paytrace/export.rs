//! Export shapes (reference §5) built from the emulator's state.
//!
//! Transaction records follow §5.1 field for field. Where §5 says UNCONFIRMED, the names
//! chosen here are:
//!
//! * batch summary (`/v1/batches/export_one` → `batch`, `/v1/batches/export` → `batches[]`):
//!   `number`, `settled` (`M/D/YYYY h:mm:ss AM/PM`), `transaction_count`, `sales_count`,
//!   `sales_amount`, `refund_count`, `refund_amount`, `net_amount` (sales − refunds), and
//!   `card_types[]` with `card_type` (`VISA`, `MASTERCARD`, `AMEX`, `DISCOVER`, `OTHER`) and the
//!   same count/amount fields per brand. Amounts are 2-decimal JSON numbers like `amount` in
//!   transaction records. A captured authorization counts as a sale.
//! * `/v1/batches/transaction_list` → `transactions[]` of §5.1 records.
//! * customer export records: `customer_id`, `credit_card{masked_number, expiration_month,
//!   expiration_year}` (only when a card is on file), `check{masked_account_number,
//!   routing_number}` (only when a bank account is on file), `billing_address`,
//!   `shipping_address`, `email`, `phone`, `fax`, `discretionary_data`.
//! * recurrence objects: `id`, `customer_id`, `amount`, `start_date`, `next_date`
//!   (`MM/DD/YYYY`), `frequency`, `total_count`, `current_count`, `transaction_type`,
//!   `description`.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use super::json::J;
use super::model::{
    Address, Batch, CardBrand, CardSummary, Customer, Recurrence, Transaction, TransactionKind,
};

/// `M/D/YYYY h:mm:ss AM/PM` in `tz`.
#[must_use]
pub fn format_timestamp(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .format("%-m/%-d/%Y %-I:%M:%S %p")
        .to_string()
}

/// `MM/DD/YYYY`.
pub(crate) fn format_date(d: chrono::NaiveDate) -> String {
    d.format("%m/%d/%Y").to_string()
}

pub(crate) fn billing_json(a: &Address) -> J {
    J::obj()
        .with("name", &a.name)
        .with("street_address", &a.street_address)
        .with("street_address2", &a.street_address2)
        .with("city", &a.city)
        .with("state", &a.state)
        .with("zip", &a.zip)
        .with("country", &a.country)
}

pub(crate) fn shipping_json(a: &Address) -> J {
    J::obj()
        .with("name", &a.name)
        .with("street_address", &a.street_address)
        .with("street_address2", &a.street_address2)
        .with("city", &a.city)
        .with("county", &a.county)
        .with("state", &a.state)
        .with("zip", &a.zip)
        .with("country", &a.country)
}

pub(crate) fn card_json(c: Option<&CardSummary>, include_bin: bool) -> J {
    match c {
        Some(c) => J::obj()
            .with("masked_number", c.masked_export(include_bin))
            .with("expiration_month", format!("{:02}", c.expiration_month))
            .with(
                "expiration_year",
                format!("{:02}", c.expiration_year.rem_euclid(100)),
            ),
        None => J::obj()
            .with("masked_number", "")
            .with("expiration_month", "")
            .with("expiration_year", ""),
    }
}

/// One §5.1 transaction record.
pub(crate) fn transaction_record(t: &Transaction, tz: Tz, include_bin: bool) -> J {
    J::obj()
        .with("transaction_id", t.id)
        .with("transaction_type", t.kind.export_name())
        .with("amount", J::money(t.amount))
        .with("credit_card", card_json(t.card.as_ref(), include_bin))
        .with("description", &t.description)
        .with("invoice_id", &t.invoice_id)
        .with("customer_reference_id", &t.customer_reference_id)
        .with("tax_amount", t.tax_amount.map_or(J::from(""), J::money_str))
        .with("billing_address", billing_json(&t.billing_address))
        .with("shipping_address", shipping_json(&t.shipping_address))
        .with("receipt_emailed_to", &t.receipt_emailed_to)
        .with("approval_code", &t.approval_code)
        .with("approval_message", &t.approval_message)
        .with("avs_response", &t.avs_response)
        .with("csc_response", &t.csc_response)
        .with("status_code", t.status_code())
        .with("status_message", t.status_message())
        .with(
            "created",
            J::obj()
                .with("through", "API")
                .with("at", format_timestamp(t.created_at, tz))
                .with("by", &t.created_by)
                .with("from_ip", &t.from_ip),
        )
        .with(
            "settled",
            t.settled_at
                .map(|s| format_timestamp(s, tz))
                .unwrap_or_default(),
        )
        .with("customer_id", t.customer_id.clone().unwrap_or_default())
        .with("discretionary_data", t.discretionary_data.clone())
}

#[derive(Default)]
struct Totals {
    count: u64,
    sales_count: u64,
    sales_amount: Decimal,
    refund_count: u64,
    refund_amount: Decimal,
}

impl Totals {
    fn add(&mut self, t: &Transaction) {
        self.count += 1;
        if t.kind == TransactionKind::Refund {
            self.refund_count += 1;
            self.refund_amount += t.amount;
        } else {
            self.sales_count += 1;
            self.sales_amount += t.amount;
        }
    }

    fn fields(&self, j: J, count_key: &str) -> J {
        j.with(count_key, self.count)
            .with("sales_count", self.sales_count)
            .with("sales_amount", J::money(self.sales_amount))
            .with("refund_count", self.refund_count)
            .with("refund_amount", J::money(self.refund_amount))
            .with(
                "net_amount",
                J::money(self.sales_amount - self.refund_amount),
            )
    }
}

/// One batch summary (field names are the sandbox's choice; see the module docs).
pub(crate) fn batch_summary<'a>(
    b: &Batch,
    transactions: impl Iterator<Item = &'a Transaction>,
    tz: Tz,
) -> J {
    let mut all = Totals::default();
    let mut by_brand: std::collections::BTreeMap<CardBrand, Totals> = Default::default();
    for t in transactions {
        all.add(t);
        let brand = t.card.as_ref().map_or(CardBrand::Other, |c| c.brand);
        by_brand.entry(brand).or_default().add(t);
    }
    let brands: Vec<J> = by_brand
        .iter()
        .map(|(brand, tot)| {
            tot.fields(
                J::obj().with("card_type", brand.export_name()),
                "transaction_count",
            )
        })
        .collect();
    all.fields(
        J::obj()
            .with("number", b.number)
            .with("settled", format_timestamp(b.settled_at, tz)),
        "transaction_count",
    )
    .with("card_types", brands)
}

/// One customer export record (field names beyond `customer_id`/`credit_card`: sandbox choice).
pub(crate) fn customer_record(c: &Customer) -> J {
    let mut j = J::obj().with("customer_id", &c.customer_id);
    if let Some(card) = &c.card {
        j = j.with("credit_card", card_json(Some(card), false));
    }
    if let Some(acct) = &c.bank_account {
        j = j.with(
            "check",
            J::obj()
                .with("masked_account_number", acct.masked())
                .with("routing_number", &acct.routing_number),
        );
    }
    j.with("billing_address", billing_json(&c.billing_address))
        .with("shipping_address", shipping_json(&c.shipping_address))
        .with("email", &c.email)
        .with("phone", &c.phone)
        .with("fax", &c.fax)
        .with("discretionary_data", c.discretionary_data.clone())
}

/// A recurrence object (fields beyond `id`: sandbox choice).
pub(crate) fn recurrence_json(r: &Recurrence) -> J {
    J::obj()
        .with("id", r.id)
        .with("customer_id", &r.customer_id)
        .with("amount", J::money(r.amount))
        .with("start_date", format_date(r.start_date))
        .with("next_date", format_date(r.next_date))
        .with("frequency", &r.frequency)
        .with("total_count", r.total_count)
        .with("current_count", r.current_count)
        .with("transaction_type", &r.transaction_type)
        .with("description", &r.description)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_pacific_12h() {
        let t = DateTime::parse_from_rfc3339("2015-04-10T23:06:30Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            format_timestamp(t, chrono_tz::America::Los_Angeles),
            "4/10/2015 4:06:30 PM"
        );
        let t = DateTime::parse_from_rfc3339("2015-01-02T08:05:09Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            format_timestamp(t, chrono_tz::America::Los_Angeles),
            "1/2/2015 12:05:09 AM"
        );
    }
}
