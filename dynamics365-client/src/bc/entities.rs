//! Business Central API v2.0 entities (camelCase, keyed by `id` GUIDs).
//!
//! As in [`fno::entities`](crate::fno::entities), every field is optional so one type reads,
//! creates and patches. Dates are `Edm.Date` through [`date`](super::types::date) (`0001-01-01`
//! is none); money through [`edm::decimal_opt`](crate::odata::edm::decimal_opt).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::types::{
    AccountType, ContactType, CustomerBlocked, SalesInvoiceStatus, SalesOrderStatus,
};
use crate::odata::Guid;

entity! {
    /// A company: `companies`. Everything else lives under `companies({id})/`.
    pub struct Company {
        /// Id.
        id: Guid => "id";
        /// Name.
        name: String => "name";
        /// Display name.
        display_name: String => "displayName";
        /// Business profile id.
        business_profile_id: String => "businessProfileId";
        /// System version.
        system_version: String => "systemVersion";
    }
}

entity! {
    /// A customer: `customers`.
    pub struct Customer {
        /// Id.
        id: Guid => "id";
        /// Customer number (the natural key).
        number: String => "number";
        /// Name.
        display_name: String => "displayName";
        /// Company or person.
        contact_type: ContactType => "type";
        /// Street line 1.
        address_line1: String => "addressLine1";
        /// Street line 2.
        address_line2: String => "addressLine2";
        /// City.
        city: String => "city";
        /// State.
        state: String => "state";
        /// Country (ISO alpha-2).
        country: String => "country";
        /// Postal code.
        postal_code: String => "postalCode";
        /// Phone.
        phone_number: String => "phoneNumber";
        /// Email.
        email: String => "email";
        /// Website.
        website: String => "website";
        /// Salesperson.
        salesperson_code: String => "salespersonCode";
        /// Balance due (read).
        balance_due: Decimal => "balanceDue", with "crate::odata::edm::decimal_opt";
        /// Credit limit.
        credit_limit: Decimal => "creditLimit", with "crate::odata::edm::decimal_opt";
        /// Liable for tax.
        tax_liable: bool => "taxLiable";
        /// Tax registration number.
        tax_registration_number: String => "taxRegistrationNumber";
        /// Currency (blank: the local currency).
        currency_code: String => "currencyCode";
        /// Payment terms.
        payment_terms_id: Guid => "paymentTermsId";
        /// Payment method.
        payment_method_id: Guid => "paymentMethodId";
        /// Blocked for shipping, invoicing or all.
        blocked: CustomerBlocked => "blocked";
        /// Last change.
        last_modified_date_time: DateTime<Utc> => "lastModifiedDateTime";
    }
}

entity! {
    /// A sales order: `salesOrders`; lines at `salesOrders({id})/salesOrderLines`; bound
    /// action `Microsoft.NAV.shipAndInvoice`.
    pub struct SalesOrder {
        /// Id.
        id: Guid => "id";
        /// Order number.
        number: String => "number";
        /// External document number (we write the source order id here, to find it again).
        external_document_number: String => "externalDocumentNumber";
        /// Order date.
        order_date: NaiveDate => "orderDate", with "crate::bc::types::date";
        /// Posting date.
        posting_date: NaiveDate => "postingDate", with "crate::bc::types::date";
        /// Customer id.
        customer_id: Guid => "customerId";
        /// Customer number.
        customer_number: String => "customerNumber";
        /// Customer name.
        customer_name: String => "customerName";
        /// Currency (blank: local currency).
        currency_code: String => "currencyCode";
        /// Whether prices include tax.
        prices_include_tax: bool => "pricesIncludeTax";
        /// Discount.
        discount_amount: Decimal => "discountAmount", with "crate::odata::edm::decimal_opt";
        /// Total before tax.
        total_amount_excluding_tax: Decimal => "totalAmountExcludingTax", with "crate::odata::edm::decimal_opt";
        /// Tax.
        total_tax_amount: Decimal => "totalTaxAmount", with "crate::odata::edm::decimal_opt";
        /// Total with tax.
        total_amount_including_tax: Decimal => "totalAmountIncludingTax", with "crate::odata::edm::decimal_opt";
        /// Whether fully shipped.
        fully_shipped: bool => "fullyShipped";
        /// Status.
        status: SalesOrderStatus => "status";
    }
}

entity! {
    /// A sales document line: `salesOrderLines` and `salesInvoiceLines`.
    pub struct SalesLine {
        /// Id.
        id: Guid => "id";
        /// The order or invoice.
        document_id: Guid => "documentId";
        /// Line sequence.
        sequence: i64 => "sequence";
        /// Item id.
        item_id: Guid => "itemId";
        /// G/L account id.
        account_id: Guid => "accountId";
        /// `Item`, `Account`, `Comment`, …
        line_type: String => "lineType";
        /// The item or account number.
        line_object_number: String => "lineObjectNumber";
        /// Text.
        description: String => "description";
        /// Quantity.
        quantity: Decimal => "quantity", with "crate::odata::edm::decimal_opt";
        /// Unit price.
        unit_price: Decimal => "unitPrice", with "crate::odata::edm::decimal_opt";
        /// Discount.
        discount_amount: Decimal => "discountAmount", with "crate::odata::edm::decimal_opt";
        /// Amount with tax.
        amount_including_tax: Decimal => "amountIncludingTax", with "crate::odata::edm::decimal_opt";
        /// Tax code.
        tax_code: String => "taxCode";
    }
}

entity! {
    /// A sales invoice: `salesInvoices`; lines at `salesInvoices({id})/salesInvoiceLines`;
    /// bound action `Microsoft.NAV.post`.
    pub struct SalesInvoice {
        /// Id.
        id: Guid => "id";
        /// Invoice number.
        number: String => "number";
        /// External document number.
        external_document_number: String => "externalDocumentNumber";
        /// Invoice date.
        invoice_date: NaiveDate => "invoiceDate", with "crate::bc::types::date";
        /// Posting date.
        posting_date: NaiveDate => "postingDate", with "crate::bc::types::date";
        /// Due date.
        due_date: NaiveDate => "dueDate", with "crate::bc::types::date";
        /// Customer id.
        customer_id: Guid => "customerId";
        /// Customer number.
        customer_number: String => "customerNumber";
        /// Customer name.
        customer_name: String => "customerName";
        /// Order id.
        order_id: Guid => "orderId";
        /// Order number.
        order_number: String => "orderNumber";
        /// Currency (blank: local currency).
        currency_code: String => "currencyCode";
        /// What is still due.
        remaining_amount: Decimal => "remainingAmount", with "crate::odata::edm::decimal_opt";
        /// Total before tax.
        total_amount_excluding_tax: Decimal => "totalAmountExcludingTax", with "crate::odata::edm::decimal_opt";
        /// Tax.
        total_tax_amount: Decimal => "totalTaxAmount", with "crate::odata::edm::decimal_opt";
        /// Total with tax.
        total_amount_including_tax: Decimal => "totalAmountIncludingTax", with "crate::odata::edm::decimal_opt";
        /// Status.
        status: SalesInvoiceStatus => "status";
    }
}

entity! {
    /// A customer payment journal (a cash receipt journal batch): `customerPaymentJournals`.
    /// It has no `post` action: post it through `journals({id})/Microsoft.NAV.post`.
    pub struct CustomerPaymentJournal {
        /// Id.
        id: Guid => "id";
        /// Batch code (at most 10 characters).
        code: String => "code";
        /// Name.
        display_name: String => "displayName";
        /// Balancing account id.
        balancing_account_id: Guid => "balancingAccountId";
        /// Balancing account number (read).
        balancing_account_number: String => "balancingAccountNumber";
    }
}

entity! {
    /// A customer payment: `customerPaymentJournals({id})/customerPayments`. The server sets
    /// document type Payment, account type Customer, applies-to type Invoice.
    pub struct CustomerPayment {
        /// Id.
        id: Guid => "id";
        /// The journal.
        journal_id: Guid => "journalId";
        /// The journal's code.
        journal_display_name: String => "journalDisplayName";
        /// Line number.
        line_number: i64 => "lineNumber";
        /// Customer id.
        customer_id: Guid => "customerId";
        /// Customer number.
        customer_number: String => "customerNumber";
        /// Posting date.
        posting_date: NaiveDate => "postingDate", with "crate::bc::types::date";
        /// Document number (at most 20 characters).
        document_number: String => "documentNumber";
        /// External document number (we write the gateway's transaction id here).
        external_document_number: String => "externalDocumentNumber";
        /// Amount, signed (see [`AmountSign`](super::AmountSign)).
        amount: Decimal => "amount", with "crate::odata::edm::decimal_opt";
        /// The invoice settled, by id.
        applies_to_invoice_id: Guid => "appliesToInvoiceId";
        /// The invoice settled, by number.
        applies_to_invoice_number: String => "appliesToInvoiceNumber";
        /// Text.
        description: String => "description";
        /// Comment.
        comment: String => "comment";
    }
}

entity! {
    /// A general journal (batch): `journals`; lines at `journals({id})/journalLines`; bound
    /// action `Microsoft.NAV.post` posts the whole batch.
    pub struct Journal {
        /// Id.
        id: Guid => "id";
        /// Batch code (at most 10 characters).
        code: String => "code";
        /// Name.
        display_name: String => "displayName";
        /// Template.
        template_display_name: String => "templateDisplayName";
        /// Balancing account id.
        balancing_account_id: Guid => "balancingAccountId";
        /// Balancing account number.
        balancing_account_number: String => "balancingAccountNumber";
    }
}

entity! {
    /// A general journal line: `journals({id})/journalLines`. `amount` is signed: positive
    /// debits the account, negative credits it.
    pub struct JournalLine {
        /// Id.
        id: Guid => "id";
        /// The journal.
        journal_id: Guid => "journalId";
        /// Line number.
        line_number: i64 => "lineNumber";
        /// Account type.
        account_type: AccountType => "accountType";
        /// Account id.
        account_id: Guid => "accountId";
        /// Account number.
        account_number: String => "accountNumber";
        /// Posting date.
        posting_date: NaiveDate => "postingDate", with "crate::bc::types::date";
        /// Document number (at most 20 characters).
        document_number: String => "documentNumber";
        /// External document number.
        external_document_number: String => "externalDocumentNumber";
        /// Signed amount.
        amount: Decimal => "amount", with "crate::odata::edm::decimal_opt";
        /// Text.
        description: String => "description";
        /// Comment.
        comment: String => "comment";
        /// Tax code.
        tax_code: String => "taxCode";
        /// Balancing account type.
        balance_account_type: AccountType => "balanceAccountType";
        /// Balancing account id.
        balancing_account_id: Guid => "balancingAccountId";
        /// Balancing account number.
        balancing_account_number: String => "balancingAccountNumber";
    }
}

entity! {
    /// A posted general ledger entry (read-only): `generalLedgerEntries`.
    pub struct GeneralLedgerEntry {
        /// Id.
        id: Guid => "id";
        /// Entry number.
        entry_number: i64 => "entryNumber";
        /// Posting date.
        posting_date: NaiveDate => "postingDate", with "crate::bc::types::date";
        /// Document number.
        document_number: String => "documentNumber";
        /// Document type.
        document_type: String => "documentType";
        /// G/L account id.
        account_id: Guid => "accountId";
        /// G/L account number.
        account_number: String => "accountNumber";
        /// Text.
        description: String => "description";
        /// Debit.
        debit_amount: Decimal => "debitAmount", with "crate::odata::edm::decimal_opt";
        /// Credit.
        credit_amount: Decimal => "creditAmount", with "crate::odata::edm::decimal_opt";
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn customer_payment_shape() {
        let payment = CustomerPayment {
            customer_number: Some("10000".into()),
            posting_date: NaiveDate::from_ymd_opt(2026, 1, 31),
            document_number: Some("PAY-123".into()),
            external_document_number: Some("40000123".into()),
            amount: Some(dec!(-125.50)),
            applies_to_invoice_number: Some("103001".into()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&payment).unwrap(),
            serde_json::json!({
                "customerNumber": "10000", "postingDate": "2026-01-31",
                "documentNumber": "PAY-123", "externalDocumentNumber": "40000123",
                "amount": -125.5, "appliesToInvoiceNumber": "103001"
            })
        );
    }

    #[test]
    fn reads_decode_guids_dates_and_enums() {
        let json = r#"{"@odata.etag":"W/\"JzIwOzEy\"","id":"5D115C9C-44E3-EA11-BB43-000D3A2FECA1",
            "number":"10000","displayName":"Adatum","type":"Company","blocked":" ",
            "balanceDue":1499.99,"lastModifiedDateTime":"2017-03-17T19:02:22.043Z","currencyCode":""}"#;
        let customer: Customer = serde_json::from_str(json).unwrap();
        assert_eq!(
            customer.id.unwrap().as_str(),
            "5d115c9c-44e3-ea11-bb43-000d3a2feca1"
        );
        assert_eq!(customer.contact_type, Some(ContactType::Company));
        assert_eq!(customer.blocked, Some(CustomerBlocked::None));
        assert_eq!(customer.balance_due, Some(dec!(1499.99)));
        let invoice: SalesInvoice =
            serde_json::from_str(r#"{"dueDate":"0001-01-01","status":"In_x0020_Review"}"#).unwrap();
        assert_eq!(invoice.due_date, None);
        assert_eq!(invoice.status, Some(SalesInvoiceStatus::InReview));
    }
}
