//! F&O entity sets with their real names and keys (reference §1.3, §4.1).
//!
//! Emulator choices where the reference is UNCONFIRMED: the navigation property names from
//! journal headers to lines (`CustomerPaymentJournalLines`, `LedgerJournalLines`) and from
//! free-text invoice headers to lines (`FreeTextInvoiceLines`); the key of
//! `FreeTextInvoiceLines` (`dataAreaId, InvoiceIdentifier, LineNumber`) and of
//! `GeneralJournalAccountEntries` (`dataAreaId, EntryNumber`).

use crate::dynamics::schema::{Dv, Nav, Prop, SetDef, Ty, p, ro};

/// Namespace of F&O types, enums and actions.
pub(crate) const NS: &str = "Microsoft.Dynamics.DataEntities";

const NOYES: Ty = Ty::Enum("NoYes");
const S: Ty = Ty::Str;
const D: Ty = Ty::Dec;
const DATE: Ty = Ty::FnoDate;
const E: Dv = Dv::Empty;

pub(crate) const CUSTOMERS: &str = "CustomersV3";
pub(crate) const SALES_ORDERS: &str = "SalesOrderHeadersV2";
pub(crate) const SALES_ORDER_LINES: &str = "SalesOrderLines";
pub(crate) const PAYMENT_HEADERS: &str = "CustomerPaymentJournalHeaders";
pub(crate) const PAYMENT_LINES: &str = "CustomerPaymentJournalLines";
pub(crate) const LEDGER_HEADERS: &str = "LedgerJournalHeaders";
pub(crate) const LEDGER_LINES: &str = "LedgerJournalLines";
pub(crate) const INVOICE_HEADERS: &str = "SalesInvoiceHeadersV2";
pub(crate) const INVOICE_LINES: &str = "SalesInvoiceV2Lines";
pub(crate) const FREE_TEXT_HEADERS: &str = "FreeTextInvoiceHeaders";
pub(crate) const FREE_TEXT_LINES: &str = "FreeTextInvoiceLines";
pub(crate) const GL_ENTRIES: &str = "GeneralJournalAccountEntries";

const CUSTOMER_PROPS: &[Prop] = &[
    p("dataAreaId", S, E),
    p("CustomerAccount", S, E),
    p(
        "PartyType",
        Ty::Enum("DirPartyBaseType"),
        Dv::Str("Organization"),
    ),
    p("OrganizationName", S, E),
    p("PersonFirstName", S, E),
    p("PersonMiddleName", S, E),
    p("PersonLastName", S, E),
    p("NameAlias", S, E),
    ro("PartyNumber", S, E),
    p("IdentificationNumber", S, E),
    p("CustomerGroupId", S, E),
    p("SalesCurrencyCode", S, E),
    p("InvoiceAccount", S, E),
    p("PaymentTerms", S, E),
    p("PaymentMethod", S, E),
    p("SalesTaxGroup", S, E),
    p("DefaultDimensionDisplayValue", S, E),
    p("CreditLimit", D, Dv::Zero),
    p("CreditLimitIsMandatory", NOYES, Dv::No),
    p("OnHoldStatus", Ty::Enum("CustVendorBlocked"), Dv::No),
    p("AddressDescription", S, E),
    p("AddressStreet", S, E),
    p("AddressCity", S, E),
    p("AddressState", S, E),
    p("AddressZipCode", S, E),
    p("AddressCountryRegionId", S, E),
    p("AddressCountryRegionISOCode", S, E),
    p("PrimaryContactEmail", S, E),
    p("PrimaryContactPhone", S, E),
];

const SALES_ORDER_PROPS: &[Prop] = &[
    p("dataAreaId", S, E),
    p("SalesOrderNumber", S, E),
    p("OrderingCustomerAccountNumber", S, E),
    p("InvoiceCustomerAccountNumber", S, E),
    p("CurrencyCode", S, E),
    p("SalesOrderName", S, E),
    p("CustomersOrderReference", S, E),
    p("CustomerPaymentMethodName", S, E),
    p("CustomerPostingProfileId", S, E),
    p("DeliveryTermsCode", S, E),
    p("PaymentTermsName", S, E),
    p("SalesTaxGroupCode", S, E),
    p("RequestedReceiptDate", DATE, Dv::NoDate),
    p("RequestedShippingDate", DATE, Dv::NoDate),
    ro(
        "SalesOrderStatus",
        Ty::Enum("SalesStatus"),
        Dv::Str("Backorder"),
    ),
];

const SALES_LINE_PROPS: &[Prop] = &[
    p("dataAreaId", S, E),
    p("InventoryLotId", S, E),
    p("SalesOrderNumber", S, E),
    p("LineNumber", D, Dv::Zero),
    p("ItemNumber", S, E),
    p("LineDescription", S, E),
    p("OrderedSalesQuantity", D, Dv::Zero),
    p("SalesPrice", D, Dv::Zero),
    p("LineAmount", D, Dv::Zero),
    p("SalesUnitSymbol", S, E),
    p("RequestedShippingDate", DATE, Dv::NoDate),
    p("DeliveryAddressLocationId", S, E),
    p("ShippingSiteId", S, E),
    p("ShippingWarehouseId", S, E),
    ro(
        "SalesOrderLineStatus",
        Ty::Enum("SalesStatus"),
        Dv::Str("Backorder"),
    ),
];

const JOURNAL_HEADER_PROPS: &[Prop] = &[
    p("dataAreaId", S, E),
    ro("JournalBatchNumber", S, E),
    p("JournalName", S, E),
    p("Description", S, E),
    ro("IsPosted", NOYES, Dv::No),
];

const PAYMENT_LINE_PROPS: &[Prop] = &[
    p("dataAreaId", S, E),
    p("JournalBatchNumber", S, E),
    p("LineNumber", D, Dv::Zero),
    p("TransactionDate", DATE, Dv::NoDate),
    p("Voucher", S, E),
    p(
        "AccountType",
        Ty::Enum("LedgerJournalACType"),
        Dv::Str("Cust"),
    ),
    p("AccountDisplayValue", S, E),
    p("Company", S, E),
    ro("CustomerName", S, E),
    p("CreditAmount", D, Dv::Zero),
    p("DebitAmount", D, Dv::Zero),
    p("CurrencyCode", S, E),
    p("ExchangeRate", D, Dv::Int(100)),
    p("SecondaryExchangeRate", D, Dv::Zero),
    p("ReportingCurrencyExchRate", D, Dv::Zero),
    p("PaymentMethodName", S, E),
    p("PaymentReference", S, E),
    p("PaymentId", S, E),
    p("PaymentSpecification", S, E),
    p("PaymentNotes", S, E),
    p(
        "OffsetAccountType",
        Ty::Enum("LedgerJournalACType"),
        Dv::Str("Bank"),
    ),
    p("OffsetAccountDisplayValue", S, E),
    p("OffsetCompany", S, E),
    p("OffsetTransactionText", S, E),
    p("TransactionText", S, E),
    p("MarkedInvoice", S, E),
    p("MarkedInvoiceCompany", S, E),
    p("SettleVoucher", Ty::Enum("SettlementType"), Dv::Str("None")),
    p("PostingProfile", S, E),
    p("IsPrepayment", NOYES, Dv::No),
    p("BankTransactionType", S, E),
    p("DepositNumber", S, E),
    p("UseABankDepositSlip", NOYES, Dv::No),
    p("ThirdPartyBankAccountId", S, E),
    p("DefaultDimensionsForAccountDisplayValue", S, E),
    p("DefaultDimensionsForOffsetAccountDisplayValue", S, E),
    p("TaxGroup", S, E),
    p("TaxItemGroup", S, E),
    p("CalculateWithholdingTax", NOYES, Dv::No),
];

const LEDGER_LINE_PROPS: &[Prop] = &[
    p("dataAreaId", S, E),
    p("JournalBatchNumber", S, E),
    p("LineNumber", D, Dv::Zero),
    p("TransDate", DATE, Dv::NoDate),
    p("Voucher", S, E),
    p(
        "AccountType",
        Ty::Enum("LedgerJournalACType"),
        Dv::Str("Ledger"),
    ),
    p("AccountDisplayValue", S, E),
    p("Company", S, E),
    p(
        "OffsetAccountType",
        Ty::Enum("LedgerJournalACType"),
        Dv::Str("Ledger"),
    ),
    p("OffsetAccountDisplayValue", S, E),
    p("OffsetCompany", S, E),
    p("CurrencyCode", S, E),
    p("DebitAmount", D, Dv::Zero),
    p("CreditAmount", D, Dv::Zero),
    p("ExchangeRate", D, Dv::Int(100)),
    p("ExchangeRateSecondary", D, Dv::Zero),
    p("ReportingCurrencyExchRate", D, Dv::Zero),
    p("Text", S, E),
    p("SalesTaxGroup", S, E),
    p("ItemSalesTaxGroup", S, E),
    p("FinTagDisplayValue", S, E),
];

const INVOICE_HEADER_PROPS: &[Prop] = &[
    p("dataAreaId", S, E),
    p("InvoiceNumber", S, E),
    p("InvoiceDate", DATE, Dv::NoDate),
    p("LedgerVoucher", S, E),
    p("SalesOrderNumber", S, E),
    p("InvoiceCustomerAccountNumber", S, E),
    p("CustomersOrderReference", S, E),
    p("CurrencyCode", S, E),
    p("TotalInvoiceAmount", D, Dv::Zero),
    p("TotalTaxAmount", D, Dv::Zero),
    p("TotalChargeAmount", D, Dv::Zero),
    p("TotalDiscountAmount", D, Dv::Zero),
    p("PaymentTermsName", S, E),
    p("DeliveryModeCode", S, E),
    p("DeliveryTermsCode", S, E),
    p("InvoiceAddressStreet", S, E),
    p("InvoiceAddressCity", S, E),
    p("InvoiceAddressState", S, E),
    p("InvoiceAddressZipCode", S, E),
    p("InvoiceAddressCountryRegionId", S, E),
];

const INVOICE_LINE_PROPS: &[Prop] = &[
    p("dataAreaId", S, E),
    p("InvoiceDate", DATE, Dv::NoDate),
    p("InvoiceNumber", S, E),
    p("LedgerVoucher", S, E),
    p("LineCreationSequenceNumber", Ty::Int, Dv::Zero),
    p("ItemNumber", S, E),
    p("LineDescription", S, E),
    p("InvoicedQuantity", D, Dv::Zero),
    p("SalesPrice", D, Dv::Zero),
    p("LineAmount", D, Dv::Zero),
    p("LineTotalTaxAmount", D, Dv::Zero),
    p("SalesUnitSymbol", S, E),
    p("CurrencyCode", S, E),
];

const FREE_TEXT_HEADER_PROPS: &[Prop] = &[
    p("dataAreaId", S, E),
    ro("InvoiceIdentifier", S, E),
    p("CustomerAccount", S, E),
    p("InvoiceDate", DATE, Dv::NoDate),
    p("DueDate", DATE, Dv::NoDate),
    p("CurrencyCode", S, E),
    p("InvoiceDescription", S, E),
    ro("InvoiceId", S, E),
    ro("IsPosted", NOYES, Dv::No),
];

const FREE_TEXT_LINE_PROPS: &[Prop] = &[
    p("dataAreaId", S, E),
    p("InvoiceIdentifier", S, E),
    p("LineNumber", D, Dv::Zero),
    p("Description", S, E),
    p("MainAccountDisplayValue", S, E),
    p("Quantity", D, Dv::Zero),
    p("UnitPrice", D, Dv::Zero),
    p("Amount", D, Dv::Zero),
    p("SalesTaxGroup", S, E),
    p("ItemSalesTaxGroup", S, E),
];

const GL_ENTRY_PROPS: &[Prop] = &[
    p("dataAreaId", S, E),
    p("EntryNumber", Ty::Int, Dv::Zero),
    p("AccountingDate", DATE, Dv::NoDate),
    p("JournalNumber", S, E),
    p("Voucher", S, E),
    p("JournalCategory", Ty::Enum("LedgerTransType"), E),
    p("PostingType", Ty::Enum("LedgerPostingType"), E),
    p("MainAccountId", S, E),
    p("LedgerAccount", S, E),
    p("Text", S, E),
    p("TransactionCurrencyCode", S, E),
    p("TransactionCurrencyAmount", D, Dv::Zero),
    p("AccountingCurrencyAmount", D, Dv::Zero),
    p("ReportingCurrencyAmount", D, Dv::Zero),
    p("IsCredit", NOYES, Dv::No),
];

const AREA_AND: (&str, &str) = ("dataAreaId", "dataAreaId");

/// Every F&O entity set the emulator serves.
pub(crate) static SETS: &[SetDef] = &[
    SetDef {
        name: CUSTOMERS,
        type_name: "CustomerV3",
        caption: "CustCustomerV3Entity",
        keys: &["dataAreaId", "CustomerAccount"],
        props: CUSTOMER_PROPS,
        navs: &[],
        writable: true,
    },
    SetDef {
        name: SALES_ORDERS,
        type_name: "SalesOrderHeaderV2",
        caption: "SalesOrderHeaderV2Entity",
        keys: &["dataAreaId", "SalesOrderNumber"],
        props: SALES_ORDER_PROPS,
        navs: &[Nav {
            name: "SalesOrderLines",
            target: SALES_ORDER_LINES,
            on: &[AREA_AND, ("SalesOrderNumber", "SalesOrderNumber")],
            many: true,
        }],
        writable: true,
    },
    SetDef {
        name: SALES_ORDER_LINES,
        type_name: "SalesOrderLine",
        caption: "SalesOrderLineV2Entity",
        keys: &["dataAreaId", "InventoryLotId"],
        props: SALES_LINE_PROPS,
        navs: &[Nav {
            name: "SalesOrderHeader",
            target: SALES_ORDERS,
            on: &[AREA_AND, ("SalesOrderNumber", "SalesOrderNumber")],
            many: false,
        }],
        writable: true,
    },
    SetDef {
        name: PAYMENT_HEADERS,
        type_name: "CustomerPaymentJournalHeader",
        caption: "CustomerPaymentJournalHeaderEntity",
        keys: &["dataAreaId", "JournalBatchNumber"],
        props: JOURNAL_HEADER_PROPS,
        navs: &[Nav {
            name: PAYMENT_LINES,
            target: PAYMENT_LINES,
            on: &[AREA_AND, ("JournalBatchNumber", "JournalBatchNumber")],
            many: true,
        }],
        writable: true,
    },
    SetDef {
        name: PAYMENT_LINES,
        type_name: "CustomerPaymentJournalLine",
        caption: "CustomerPaymentJournalLineEntity",
        keys: &["dataAreaId", "JournalBatchNumber", "LineNumber"],
        props: PAYMENT_LINE_PROPS,
        navs: &[],
        writable: true,
    },
    SetDef {
        name: LEDGER_HEADERS,
        type_name: "LedgerJournalHeader",
        caption: "LedgerJournalHeaderEntity",
        keys: &["dataAreaId", "JournalBatchNumber"],
        props: JOURNAL_HEADER_PROPS,
        navs: &[Nav {
            name: LEDGER_LINES,
            target: LEDGER_LINES,
            on: &[AREA_AND, ("JournalBatchNumber", "JournalBatchNumber")],
            many: true,
        }],
        writable: true,
    },
    SetDef {
        name: LEDGER_LINES,
        type_name: "LedgerJournalLine",
        caption: "LedgerJournalLineEntity",
        keys: &["dataAreaId", "JournalBatchNumber", "LineNumber"],
        props: LEDGER_LINE_PROPS,
        navs: &[],
        writable: true,
    },
    SetDef {
        name: INVOICE_HEADERS,
        type_name: "SalesInvoiceHeaderV2",
        caption: "SalesInvoiceHeaderV2Entity",
        keys: &[
            "dataAreaId",
            "InvoiceNumber",
            "InvoiceDate",
            "LedgerVoucher",
        ],
        props: INVOICE_HEADER_PROPS,
        navs: &[Nav {
            name: "SalesInvoiceLinesV2",
            target: INVOICE_LINES,
            on: &[
                AREA_AND,
                ("InvoiceNumber", "InvoiceNumber"),
                ("InvoiceDate", "InvoiceDate"),
                ("LedgerVoucher", "LedgerVoucher"),
            ],
            many: true,
        }],
        writable: false,
    },
    SetDef {
        name: INVOICE_LINES,
        type_name: "SalesInvoiceV2Line",
        caption: "SalesInvoiceLineV2Entity",
        keys: &[
            "dataAreaId",
            "InvoiceDate",
            "InvoiceNumber",
            "LedgerVoucher",
            "LineCreationSequenceNumber",
        ],
        props: INVOICE_LINE_PROPS,
        navs: &[],
        writable: false,
    },
    SetDef {
        name: FREE_TEXT_HEADERS,
        type_name: "FreeTextInvoiceHeader",
        caption: "CustFreeTextInvoiceHeaderEntity",
        keys: &["dataAreaId", "InvoiceIdentifier"],
        props: FREE_TEXT_HEADER_PROPS,
        navs: &[Nav {
            name: FREE_TEXT_LINES,
            target: FREE_TEXT_LINES,
            on: &[AREA_AND, ("InvoiceIdentifier", "InvoiceIdentifier")],
            many: true,
        }],
        writable: true,
    },
    SetDef {
        name: FREE_TEXT_LINES,
        type_name: "FreeTextInvoiceLine",
        caption: "CustFreeTextInvoiceLineEntity",
        keys: &["dataAreaId", "InvoiceIdentifier", "LineNumber"],
        props: FREE_TEXT_LINE_PROPS,
        navs: &[],
        writable: true,
    },
    SetDef {
        name: GL_ENTRIES,
        type_name: "GeneralJournalAccountEntry",
        caption: "GeneralJournalAccountEntryEntity",
        keys: &["dataAreaId", "EntryNumber"],
        props: GL_ENTRY_PROPS,
        navs: &[],
        writable: false,
    },
];

/// The F&O set called `name` (case-sensitive, as F&O is).
pub(crate) fn set(name: &str) -> Option<&'static SetDef> {
    SETS.iter().find(|s| s.name == name)
}
