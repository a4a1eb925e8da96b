//! Finance & Operations data entities, with their public collection names and keys.
//!
//! Every field is optional: one type reads a record, creates one (only the fields you set are
//! sent, like .NET's `PostOnlySetProperties`) and patches one. Field names are the OData
//! property names (PascalCase, except `dataAreaId`); fields marked *unconfirmed* are named
//! from secondary sources (generated proxies, integrations) and land in `extra` if F&O spells
//! them otherwise. Dates go through [`date`](super::types::date) (noon UTC, 1900 sentinel),
//! money through [`edm::decimal_opt`](crate::odata::edm::decimal_opt).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::types::{AccountType, NoYes, PartyType, SalesStatus};
use crate::odata::Key;

entity! {
    /// A customer: `CustomersV3`, key `dataAreaId`, `CustomerAccount`. Creating one needs
    /// `CustomerGroupId` and `SalesCurrencyCode`, and `OrganizationName` (or a person's name).
    pub struct CustomerV3 {
        /// Company (`dataAreaId`).
        data_area_id: String => "dataAreaId";
        /// Customer account number.
        customer_account: String => "CustomerAccount";
        /// Organization or person.
        party_type: PartyType => "PartyType";
        /// The organization's name.
        organization_name: String => "OrganizationName";
        /// A person's first name.
        person_first_name: String => "PersonFirstName";
        /// A person's middle name.
        person_middle_name: String => "PersonMiddleName";
        /// A person's last name.
        person_last_name: String => "PersonLastName";
        /// Search name.
        name_alias: String => "NameAlias";
        /// Customer group (required on create).
        customer_group_id: String => "CustomerGroupId";
        /// Currency (required on create).
        sales_currency_code: String => "SalesCurrencyCode";
        /// Invoice account.
        invoice_account: String => "InvoiceAccount";
        /// Sales tax group.
        sales_tax_group: String => "SalesTaxGroup";
        /// Credit limit.
        credit_limit: Decimal => "CreditLimit", with "crate::odata::edm::decimal_opt";
        /// Street lines, joined by line breaks.
        address_street: String => "AddressStreet";
        /// City.
        address_city: String => "AddressCity";
        /// State or region.
        address_state: String => "AddressState";
        /// Postal code.
        address_zip_code: String => "AddressZipCode";
        /// Country/region id (ISO alpha-3 in standard data, `USA`).
        address_country_region_id: String => "AddressCountryRegionId";
        /// Country ISO alpha-2 code.
        address_country_region_iso_code: String => "AddressCountryRegionISOCode";
        /// Primary email.
        primary_contact_email: String => "PrimaryContactEmail";
        /// Primary phone.
        primary_contact_phone: String => "PrimaryContactPhone";
        /// Party number.
        party_number: String => "PartyNumber";
    }
}

impl CustomerV3 {
    /// The collection name.
    pub const SET: &'static str = "CustomersV3";

    /// The key `(dataAreaId='…',CustomerAccount='…')`.
    pub fn key(data_area_id: &str, customer_account: &str) -> Key {
        Key::new()
            .part("dataAreaId", data_area_id)
            .part("CustomerAccount", customer_account)
    }
}

entity! {
    /// A sales order header: `SalesOrderHeadersV2`, key `dataAreaId`, `SalesOrderNumber`
    /// (assigned by a number sequence when omitted on create). Updatable while open.
    pub struct SalesOrderHeaderV2 {
        /// Company.
        data_area_id: String => "dataAreaId";
        /// Order number.
        sales_order_number: String => "SalesOrderNumber";
        /// The ordering customer.
        ordering_customer_account_number: String => "OrderingCustomerAccountNumber";
        /// The invoice customer.
        invoice_customer_account_number: String => "InvoiceCustomerAccountNumber";
        /// Currency.
        currency_code: String => "CurrencyCode";
        /// The customer's reference (we write the source order id here, to find it again).
        customers_order_reference: String => "CustomersOrderReference";
        /// Order name.
        sales_order_name: String => "SalesOrderName";
        /// Status.
        sales_order_status: SalesStatus => "SalesOrderStatus";
        /// Requested receipt date.
        requested_receipt_date: NaiveDate => "RequestedReceiptDate", with "crate::fno::types::date";
        /// Requested ship date.
        requested_shipping_date: NaiveDate => "RequestedShippingDate", with "crate::fno::types::date";
        /// Method of payment.
        customer_payment_method_name: String => "CustomerPaymentMethodName";
        /// Terms of payment.
        payment_terms_name: String => "PaymentTermsName";
        /// Delivery terms.
        delivery_terms_code: String => "DeliveryTermsCode";
        /// Sales tax group.
        sales_tax_group_code: String => "SalesTaxGroupCode";
    }
}

impl SalesOrderHeaderV2 {
    /// The collection name.
    pub const SET: &'static str = "SalesOrderHeadersV2";

    /// The key `(dataAreaId='…',SalesOrderNumber='…')`.
    pub fn key(data_area_id: &str, sales_order_number: &str) -> Key {
        Key::new()
            .part("dataAreaId", data_area_id)
            .part("SalesOrderNumber", sales_order_number)
    }
}

entity! {
    /// A sales order line: `SalesOrderLines`, key `dataAreaId`, `InventoryLotId` (assigned on
    /// create). Needs `SalesOrderNumber` and `ItemNumber`.
    pub struct SalesOrderLine {
        /// Company.
        data_area_id: String => "dataAreaId";
        /// Lot id (the key).
        inventory_lot_id: String => "InventoryLotId";
        /// The order.
        sales_order_number: String => "SalesOrderNumber";
        /// Line number (*unconfirmed* for this entity).
        line_number: Decimal => "LineNumber", with "crate::odata::edm::decimal_opt";
        /// Item.
        item_number: String => "ItemNumber";
        /// Quantity.
        ordered_sales_quantity: Decimal => "OrderedSalesQuantity", with "crate::odata::edm::decimal_opt";
        /// Unit price.
        sales_price: Decimal => "SalesPrice", with "crate::odata::edm::decimal_opt";
        /// Line amount.
        line_amount: Decimal => "LineAmount", with "crate::odata::edm::decimal_opt";
        /// Unit.
        sales_unit_symbol: String => "SalesUnitSymbol";
        /// Text.
        line_description: String => "LineDescription";
        /// Requested ship date.
        requested_shipping_date: NaiveDate => "RequestedShippingDate", with "crate::fno::types::date";
        /// Site.
        shipping_site_id: String => "ShippingSiteId";
        /// Warehouse.
        shipping_warehouse_id: String => "ShippingWarehouseId";
        /// Line status.
        sales_order_line_status: SalesStatus => "SalesOrderLineStatus";
    }
}

impl SalesOrderLine {
    /// The collection name.
    pub const SET: &'static str = "SalesOrderLines";

    /// The key `(dataAreaId='…',InventoryLotId='…')`.
    pub fn key(data_area_id: &str, inventory_lot_id: &str) -> Key {
        Key::new()
            .part("dataAreaId", data_area_id)
            .part("InventoryLotId", inventory_lot_id)
    }
}

entity! {
    /// A posted sales invoice header (read-only): `SalesInvoiceHeadersV2`. Its key is
    /// *unconfirmed* (`dataAreaId`, `InvoiceNumber`, `InvoiceDate`, `LedgerVoucher` in generated
    /// clients): query by `InvoiceNumber` instead.
    pub struct SalesInvoiceHeaderV2 {
        /// Company.
        data_area_id: String => "dataAreaId";
        /// Invoice number.
        invoice_number: String => "InvoiceNumber";
        /// Invoice date.
        invoice_date: NaiveDate => "InvoiceDate", with "crate::fno::types::date";
        /// Voucher.
        ledger_voucher: String => "LedgerVoucher";
        /// The order invoiced.
        sales_order_number: String => "SalesOrderNumber";
        /// The invoiced customer.
        invoice_customer_account_number: String => "InvoiceCustomerAccountNumber";
        /// The customer's reference.
        customers_order_reference: String => "CustomersOrderReference";
        /// Currency.
        currency_code: String => "CurrencyCode";
        /// Total including tax.
        total_invoice_amount: Decimal => "TotalInvoiceAmount", with "crate::odata::edm::decimal_opt";
        /// Tax.
        total_tax_amount: Decimal => "TotalTaxAmount", with "crate::odata::edm::decimal_opt";
        /// Charges.
        total_charge_amount: Decimal => "TotalChargeAmount", with "crate::odata::edm::decimal_opt";
        /// Discount.
        total_discount_amount: Decimal => "TotalDiscountAmount", with "crate::odata::edm::decimal_opt";
        /// Terms of payment.
        payment_terms_name: String => "PaymentTermsName";
        /// Mode of delivery.
        delivery_mode_code: String => "DeliveryModeCode";
        /// Delivery terms.
        delivery_terms_code: String => "DeliveryTermsCode";
    }
}

impl SalesInvoiceHeaderV2 {
    /// The collection name.
    pub const SET: &'static str = "SalesInvoiceHeadersV2";
}

entity! {
    /// A posted sales invoice line (read-only): `SalesInvoiceV2Lines`. Line field names are
    /// *unconfirmed*.
    pub struct SalesInvoiceV2Line {
        /// Company.
        data_area_id: String => "dataAreaId";
        /// Invoice number.
        invoice_number: String => "InvoiceNumber";
        /// Invoice date.
        invoice_date: NaiveDate => "InvoiceDate", with "crate::fno::types::date";
        /// Voucher.
        ledger_voucher: String => "LedgerVoucher";
        /// Line sequence.
        line_creation_sequence_number: Decimal => "LineCreationSequenceNumber", with "crate::odata::edm::decimal_opt";
        /// Item.
        item_number: String => "ItemNumber";
        /// Text.
        line_description: String => "LineDescription";
        /// Quantity.
        invoiced_quantity: Decimal => "InvoicedQuantity", with "crate::odata::edm::decimal_opt";
        /// Unit price.
        sales_price: Decimal => "SalesPrice", with "crate::odata::edm::decimal_opt";
        /// Line amount.
        line_amount: Decimal => "LineAmount", with "crate::odata::edm::decimal_opt";
    }
}

impl SalesInvoiceV2Line {
    /// The collection name.
    pub const SET: &'static str = "SalesInvoiceV2Lines";
}

entity! {
    /// A free-text invoice header: `FreeTextInvoiceHeaders`, key `dataAreaId`,
    /// `InvoiceIdentifier`. Fields other than the key and `IsPosted` are *unconfirmed*.
    pub struct FreeTextInvoiceHeader {
        /// Company.
        data_area_id: String => "dataAreaId";
        /// Invoice identifier (the key).
        invoice_identifier: String => "InvoiceIdentifier";
        /// Customer.
        customer_account: String => "CustomerAccount";
        /// Invoice date.
        invoice_date: NaiveDate => "InvoiceDate", with "crate::fno::types::date";
        /// Due date.
        due_date: NaiveDate => "DueDate", with "crate::fno::types::date";
        /// Currency.
        currency_code: String => "CurrencyCode";
        /// Text.
        invoice_description: String => "InvoiceDescription";
        /// Whether it is posted.
        is_posted: NoYes => "IsPosted";
    }
}

impl FreeTextInvoiceHeader {
    /// The collection name.
    pub const SET: &'static str = "FreeTextInvoiceHeaders";

    /// The key `(dataAreaId='…',InvoiceIdentifier='…')`.
    pub fn key(data_area_id: &str, invoice_identifier: &str) -> Key {
        Key::new()
            .part("dataAreaId", data_area_id)
            .part("InvoiceIdentifier", invoice_identifier)
    }
}

entity! {
    /// A free-text invoice line: `FreeTextInvoiceLines`, key (*unconfirmed*) `dataAreaId`,
    /// `InvoiceIdentifier`, `LineNumber`.
    pub struct FreeTextInvoiceLine {
        /// Company.
        data_area_id: String => "dataAreaId";
        /// The invoice.
        invoice_identifier: String => "InvoiceIdentifier";
        /// Line number.
        line_number: Decimal => "LineNumber", with "crate::odata::edm::decimal_opt";
        /// Text.
        description: String => "Description";
        /// The revenue account, as a ledger display value.
        main_account_display_value: String => "MainAccountDisplayValue";
        /// Quantity.
        quantity: Decimal => "Quantity", with "crate::odata::edm::decimal_opt";
        /// Unit price.
        unit_price: Decimal => "UnitPrice", with "crate::odata::edm::decimal_opt";
        /// Amount.
        amount: Decimal => "Amount", with "crate::odata::edm::decimal_opt";
    }
}

impl FreeTextInvoiceLine {
    /// The collection name.
    pub const SET: &'static str = "FreeTextInvoiceLines";

    /// The key `(dataAreaId='…',InvoiceIdentifier='…',LineNumber=…)`.
    pub fn key(data_area_id: &str, invoice_identifier: &str, line_number: Decimal) -> Key {
        Key::new()
            .part("dataAreaId", data_area_id)
            .part("InvoiceIdentifier", invoice_identifier)
            .part("LineNumber", line_number)
    }
}

entity! {
    /// A customer payment journal: `CustomerPaymentJournalHeaders`, key `dataAreaId`,
    /// `JournalBatchNumber` (assigned by F&O on create: do not send it). Create with
    /// `JournalName` (a journal name set up for payments, `CustPay` in demo data).
    pub struct CustomerPaymentJournalHeader {
        /// Company.
        data_area_id: String => "dataAreaId";
        /// Journal batch number (the key, assigned on create).
        journal_batch_number: String => "JournalBatchNumber";
        /// Journal name.
        journal_name: String => "JournalName";
        /// Description.
        description: String => "Description";
        /// Whether it is posted.
        is_posted: NoYes => "IsPosted";
    }
}

impl CustomerPaymentJournalHeader {
    /// The collection name.
    pub const SET: &'static str = "CustomerPaymentJournalHeaders";

    /// The key `(dataAreaId='…',JournalBatchNumber='…')`.
    pub fn key(data_area_id: &str, journal_batch_number: &str) -> Key {
        journal_key(data_area_id, journal_batch_number)
    }
}

fn journal_key(data_area_id: &str, journal_batch_number: &str) -> Key {
    Key::new()
        .part("dataAreaId", data_area_id)
        .part("JournalBatchNumber", journal_batch_number)
}

fn journal_line_key(data_area_id: &str, journal_batch_number: &str, line_number: Decimal) -> Key {
    journal_key(data_area_id, journal_batch_number).part("LineNumber", line_number)
}

entity! {
    /// A customer payment journal line: `CustomerPaymentJournalLines`, key `dataAreaId`,
    /// `JournalBatchNumber`, `LineNumber`. A payment received is a `CreditAmount` on a
    /// `Cust` account, offset to a bank account; `MarkedInvoice` settles an invoice.
    pub struct CustomerPaymentJournalLine {
        /// Company.
        data_area_id: String => "dataAreaId";
        /// The journal.
        journal_batch_number: String => "JournalBatchNumber";
        /// Line number (assigned on create when omitted).
        line_number: Decimal => "LineNumber", with "crate::odata::edm::decimal_opt";
        /// Transaction date.
        transaction_date: NaiveDate => "TransactionDate", with "crate::fno::types::date";
        /// Voucher.
        voucher: String => "Voucher";
        /// Account type (`Cust`).
        account_type: AccountType => "AccountType";
        /// The customer account.
        account_display_value: String => "AccountDisplayValue";
        /// The account's company.
        company: String => "Company";
        /// The customer's name (read).
        customer_name: String => "CustomerName";
        /// Payment received.
        credit_amount: Decimal => "CreditAmount", with "crate::odata::edm::decimal_opt";
        /// Debit.
        debit_amount: Decimal => "DebitAmount", with "crate::odata::edm::decimal_opt";
        /// Currency.
        currency_code: String => "CurrencyCode";
        /// Exchange rate, in percent (100 = 1:1).
        exchange_rate: Decimal => "ExchangeRate", with "crate::odata::edm::decimal_opt";
        /// Method of payment.
        payment_method_name: String => "PaymentMethodName";
        /// Payment reference: we write the gateway's transaction id here.
        payment_reference: String => "PaymentReference";
        /// Payment id.
        payment_id: String => "PaymentId";
        /// Payment notes.
        payment_notes: String => "PaymentNotes";
        /// Offset account type (`Bank`, `Ledger`).
        offset_account_type: AccountType => "OffsetAccountType";
        /// Offset account (bank account id or ledger display value).
        offset_account_display_value: String => "OffsetAccountDisplayValue";
        /// Offset account's company.
        offset_company: String => "OffsetCompany";
        /// Text.
        transaction_text: String => "TransactionText";
        /// The invoice to settle.
        marked_invoice: String => "MarkedInvoice";
        /// The settled invoice's company.
        marked_invoice_company: String => "MarkedInvoiceCompany";
        /// Settlement mode.
        settle_voucher: String => "SettleVoucher";
        /// Posting profile.
        posting_profile: String => "PostingProfile";
        /// Prepayment.
        is_prepayment: NoYes => "IsPrepayment";
    }
}

impl CustomerPaymentJournalLine {
    /// The collection name.
    pub const SET: &'static str = "CustomerPaymentJournalLines";

    /// The key `(dataAreaId='…',JournalBatchNumber='…',LineNumber=…)`.
    pub fn key(data_area_id: &str, journal_batch_number: &str, line_number: Decimal) -> Key {
        journal_line_key(data_area_id, journal_batch_number, line_number)
    }
}

entity! {
    /// A general journal: `LedgerJournalHeaders`, key `dataAreaId`, `JournalBatchNumber`
    /// (assigned on create). Create with `JournalName` (`GenJrn` in demo data).
    pub struct LedgerJournalHeader {
        /// Company.
        data_area_id: String => "dataAreaId";
        /// Journal batch number.
        journal_batch_number: String => "JournalBatchNumber";
        /// Journal name.
        journal_name: String => "JournalName";
        /// Description (we write the entry's reference here, to find it again).
        description: String => "Description";
        /// Whether it is posted.
        is_posted: NoYes => "IsPosted";
    }
}

impl LedgerJournalHeader {
    /// The collection name.
    pub const SET: &'static str = "LedgerJournalHeaders";

    /// The key `(dataAreaId='…',JournalBatchNumber='…')`.
    pub fn key(data_area_id: &str, journal_batch_number: &str) -> Key {
        journal_key(data_area_id, journal_batch_number)
    }
}

entity! {
    /// A general journal line: `LedgerJournalLines`, key `dataAreaId`, `JournalBatchNumber`,
    /// `LineNumber` (assigned on create). Lines of one voucher share a `TransDate`.
    pub struct LedgerJournalLine {
        /// Company.
        data_area_id: String => "dataAreaId";
        /// The journal.
        journal_batch_number: String => "JournalBatchNumber";
        /// Line number.
        line_number: Decimal => "LineNumber", with "crate::odata::edm::decimal_opt";
        /// Account type.
        account_type: AccountType => "AccountType";
        /// Account (ledger display value, customer, bank account).
        account_display_value: String => "AccountDisplayValue";
        /// Offset account type.
        offset_account_type: AccountType => "OffsetAccountType";
        /// Offset account.
        offset_account_display_value: String => "OffsetAccountDisplayValue";
        /// Transaction date (required).
        trans_date: NaiveDate => "TransDate", with "crate::fno::types::date";
        /// Voucher (defaults from the journal name).
        voucher: String => "Voucher";
        /// Currency (required).
        currency_code: String => "CurrencyCode";
        /// Debit.
        debit_amount: Decimal => "DebitAmount", with "crate::odata::edm::decimal_opt";
        /// Credit.
        credit_amount: Decimal => "CreditAmount", with "crate::odata::edm::decimal_opt";
        /// Exchange rate, in percent.
        exchange_rate: Decimal => "ExchangeRate", with "crate::odata::edm::decimal_opt";
        /// Text (*unconfirmed* spelling; some releases say `TransactionText`).
        text: String => "Text";
        /// Sales tax group.
        sales_tax_group: String => "SalesTaxGroup";
        /// Item sales tax group.
        item_sales_tax_group: String => "ItemSalesTaxGroup";
    }
}

impl LedgerJournalLine {
    /// The collection name.
    pub const SET: &'static str = "LedgerJournalLines";

    /// The key `(dataAreaId='…',JournalBatchNumber='…',LineNumber=…)`.
    pub fn key(data_area_id: &str, journal_batch_number: &str, line_number: Decimal) -> Key {
        journal_line_key(data_area_id, journal_batch_number, line_number)
    }
}

entity! {
    /// A posted general ledger entry (read-only): `GeneralJournalAccountEntries`. Field names
    /// other than `AccountingDate`, `JournalNumber` and `MainAccountId` are *unconfirmed*.
    pub struct GeneralJournalAccountEntry {
        /// Company.
        data_area_id: String => "dataAreaId";
        /// Journal number.
        journal_number: String => "JournalNumber";
        /// Voucher.
        voucher: String => "Voucher";
        /// Accounting date.
        accounting_date: NaiveDate => "AccountingDate", with "crate::fno::types::date";
        /// Main account.
        main_account_id: String => "MainAccountId";
        /// Ledger account display value.
        ledger_account: String => "LedgerAccount";
        /// Amount in the transaction currency.
        transaction_currency_amount: Decimal => "TransactionCurrencyAmount", with "crate::odata::edm::decimal_opt";
        /// Transaction currency.
        transaction_currency_code: String => "TransactionCurrencyCode";
        /// Amount in the accounting currency.
        accounting_currency_amount: Decimal => "AccountingCurrencyAmount", with "crate::odata::edm::decimal_opt";
        /// Whether it is a credit.
        is_credit: NoYes => "IsCredit";
        /// Text.
        text: String => "Text";
    }
}

impl GeneralJournalAccountEntry {
    /// The collection name.
    pub const SET: &'static str = "GeneralJournalAccountEntries";
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn creates_send_only_what_is_set() {
        let line = CustomerPaymentJournalLine {
            data_area_id: Some("usmf".into()),
            journal_batch_number: Some("00123".into()),
            transaction_date: NaiveDate::from_ymd_opt(2026, 11, 21),
            account_type: Some(AccountType::Customer),
            account_display_value: Some("US-001".into()),
            credit_amount: Some(dec!(125.50)),
            currency_code: Some("USD".into()),
            payment_reference: Some("40000123".into()),
            marked_invoice: Some("CIV-000123".into()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&line).unwrap(),
            serde_json::json!({
                "dataAreaId": "usmf", "JournalBatchNumber": "00123",
                "TransactionDate": "2026-11-21T12:00:00Z", "AccountType": "Cust",
                "AccountDisplayValue": "US-001", "CreditAmount": 125.5, "CurrencyCode": "USD",
                "PaymentReference": "40000123", "MarkedInvoice": "CIV-000123"
            })
        );
    }

    #[test]
    fn reads_keep_the_etag_and_unknown_fields() {
        let json = r#"{
            "@odata.etag": "W/\"JzEsNjg3MTk0ODI4MzMn\"",
            "dataAreaId": "usmf", "CustomerAccount": "US-001", "PartyType": "Organization",
            "OrganizationName": "Contoso", "CreditLimit": 1000, "OnHoldStatus": "No",
            "ZZ_LoyaltyTier": "Gold", "CustomerGroupId": "10"
        }"#;
        let customer: CustomerV3 = serde_json::from_str(json).unwrap();
        assert_eq!(
            customer.etag.as_ref().unwrap().as_str(),
            r#"W/"JzEsNjg3MTk0ODI4MzMn""#
        );
        assert_eq!(customer.party_type, Some(PartyType::Organization));
        assert_eq!(customer.credit_limit, Some(dec!(1000)));
        assert_eq!(customer.extra["ZZ_LoyaltyTier"], "Gold");
        let back = serde_json::to_value(&customer).unwrap();
        assert_eq!(back["ZZ_LoyaltyTier"], "Gold");
        assert!(back.get("@odata.etag").is_none());
    }

    #[test]
    fn keys() {
        assert_eq!(
            CustomerV3::key("usmf", "US-001").to_odata(),
            "(dataAreaId='usmf',CustomerAccount='US-001')"
        );
        assert_eq!(
            LedgerJournalLine::key("usmf", "000456", dec!(2)).to_odata(),
            "(dataAreaId='usmf',JournalBatchNumber='000456',LineNumber=2)"
        );
    }
}
