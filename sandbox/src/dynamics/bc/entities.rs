//! Business Central API v2.0 entity sets (reference §2.2): camelCase properties, `id` GUID
//! keys, `Edm.Date` dates. Every set except `companies` is company-scoped.

use crate::dynamics::schema::{Dv, Nav, Prop, SetDef, Ty, p, ro};

/// Namespace of BC types and actions.
pub(crate) const NS: &str = "Microsoft.NAV";

const S: Ty = Ty::Str;
const D: Ty = Ty::Dec;
const G: Ty = Ty::Guid;
const DATE: Ty = Ty::Date;
const E: Dv = Dv::Empty;
const Z: Dv = Dv::Zero;
const ZG: Dv = Dv::ZeroGuid;
const ND: Dv = Dv::BcNoDate;

pub(crate) const COMPANIES: &str = "companies";
pub(crate) const CUSTOMERS: &str = "customers";
pub(crate) const SALES_ORDERS: &str = "salesOrders";
pub(crate) const SALES_ORDER_LINES: &str = "salesOrderLines";
pub(crate) const SALES_INVOICES: &str = "salesInvoices";
pub(crate) const SALES_INVOICE_LINES: &str = "salesInvoiceLines";
pub(crate) const PAYMENT_JOURNALS: &str = "customerPaymentJournals";
pub(crate) const PAYMENTS: &str = "customerPayments";
pub(crate) const JOURNALS: &str = "journals";
pub(crate) const JOURNAL_LINES: &str = "journalLines";
pub(crate) const GL_ENTRIES: &str = "generalLedgerEntries";

const ID: Prop = ro("id", G, ZG);
const MODIFIED: Prop = ro("lastModifiedDateTime", Ty::Dto, Dv::Now);

const COMPANY_PROPS: &[Prop] = &[
    ro("id", G, ZG),
    ro("systemVersion", S, Dv::Str("24.0.16410.18056")),
    ro("timestamp", Ty::Int, Z),
    ro("name", S, E),
    ro("displayName", S, E),
    ro("businessProfileId", S, E),
    ro("systemCreatedAt", Ty::Dto, Dv::Now),
    ro("systemCreatedBy", G, ZG),
    ro("systemModifiedAt", Ty::Dto, Dv::Now),
    ro("systemModifiedBy", G, ZG),
];

const CUSTOMER_PROPS: &[Prop] = &[
    ID,
    p("number", S, E),
    p("displayName", S, E),
    p("type", Ty::Enum("contactType"), Dv::Str("Company")),
    p("addressLine1", S, E),
    p("addressLine2", S, E),
    p("city", S, E),
    p("state", S, E),
    p("country", S, E),
    p("postalCode", S, E),
    p("phoneNumber", S, E),
    p("email", S, E),
    p("website", S, E),
    p("salespersonCode", S, E),
    ro("balanceDue", D, Z),
    p("creditLimit", D, Z),
    p("taxLiable", Ty::Bool, Dv::False),
    p("taxAreaId", G, ZG),
    ro("taxAreaDisplayName", S, E),
    p("taxRegistrationNumber", S, E),
    p("currencyId", G, ZG),
    p("currencyCode", S, E),
    p("paymentTermsId", G, ZG),
    p("shipmentMethodId", G, ZG),
    p("paymentMethodId", G, ZG),
    p("blocked", Ty::Enum("customerBlocked"), Dv::Str(" ")),
    MODIFIED,
];

const SALES_ORDER_PROPS: &[Prop] = &[
    ID,
    ro("number", S, E),
    p("externalDocumentNumber", S, E),
    p("orderDate", DATE, ND),
    p("postingDate", DATE, ND),
    p("customerId", G, ZG),
    p("customerNumber", S, E),
    ro("customerName", S, E),
    p("billToCustomerId", G, ZG),
    p("billToCustomerNumber", S, E),
    ro("billToName", S, E),
    p("shipToName", S, E),
    p("shipToContact", S, E),
    p("sellToAddressLine1", S, E),
    p("sellToAddressLine2", S, E),
    p("sellToCity", S, E),
    p("sellToCountry", S, E),
    p("sellToState", S, E),
    p("sellToPostCode", S, E),
    p("currencyId", G, ZG),
    p("currencyCode", S, E),
    ro("pricesIncludeTax", Ty::Bool, Dv::False),
    p("paymentTermsId", G, ZG),
    p("shipmentMethodId", G, ZG),
    p("salesperson", S, E),
    p("partialShipping", Ty::Bool, Dv::False),
    p("requestedDeliveryDate", DATE, ND),
    p("discountAmount", D, Z),
    ro("discountAppliedBeforeTax", Ty::Bool, Dv::False),
    ro("totalAmountExcludingTax", D, Z),
    ro("totalTaxAmount", D, Z),
    ro("totalAmountIncludingTax", D, Z),
    ro("fullyShipped", Ty::Bool, Dv::False),
    ro("status", Ty::Enum("salesOrderStatus"), Dv::Str("Draft")),
    MODIFIED,
    p("phoneNumber", S, E),
    p("email", S, E),
];

const LINE_PROPS: &[Prop] = &[
    ID,
    p("documentId", G, ZG),
    ro("sequence", Ty::Int, Z),
    p("itemId", G, ZG),
    p("accountId", G, ZG),
    p(
        "lineType",
        Ty::Enum("invoiceLineAggLineType"),
        Dv::Str("Item"),
    ),
    p("lineObjectNumber", S, E),
    p("description", S, E),
    p("unitOfMeasureCode", S, E),
    p("quantity", D, Z),
    p("unitPrice", D, Z),
    p("discountAmount", D, Z),
    p("discountPercent", D, Z),
    ro("discountAppliedBeforeTax", Ty::Bool, Dv::False),
    ro("amountExcludingTax", D, Z),
    p("taxCode", S, E),
    p("taxPercent", D, Z),
    ro("totalTaxAmount", D, Z),
    ro("amountIncludingTax", D, Z),
    ro("netAmount", D, Z),
    p("shipmentDate", DATE, ND),
];

const SALES_INVOICE_PROPS: &[Prop] = &[
    ID,
    ro("number", S, E),
    p("externalDocumentNumber", S, E),
    p("invoiceDate", DATE, ND),
    p("postingDate", DATE, ND),
    p("dueDate", DATE, ND),
    p("customerPurchaseOrderReference", S, E),
    p("customerId", G, ZG),
    p("customerNumber", S, E),
    ro("customerName", S, E),
    p("billToCustomerId", G, ZG),
    p("billToCustomerNumber", S, E),
    ro("billToName", S, E),
    p("sellToAddressLine1", S, E),
    p("sellToAddressLine2", S, E),
    p("sellToCity", S, E),
    p("sellToCountry", S, E),
    p("sellToState", S, E),
    p("sellToPostCode", S, E),
    p("currencyId", G, ZG),
    p("currencyCode", S, E),
    ro("orderId", G, ZG),
    ro("orderNumber", S, E),
    p("paymentTermsId", G, ZG),
    p("shipmentMethodId", G, ZG),
    p("salesperson", S, E),
    ro("pricesIncludeTax", Ty::Bool, Dv::False),
    ro("remainingAmount", D, Z),
    p("discountAmount", D, Z),
    ro("discountAppliedBeforeTax", Ty::Bool, Dv::False),
    ro("totalAmountExcludingTax", D, Z),
    ro("totalTaxAmount", D, Z),
    ro("totalAmountIncludingTax", D, Z),
    ro("status", Ty::Enum("salesInvoiceStatus"), Dv::Str("Draft")),
    MODIFIED,
    p("phoneNumber", S, E),
    p("email", S, E),
];

const JOURNAL_PROPS: &[Prop] = &[
    ID,
    p("code", S, E),
    p("displayName", S, E),
    ro("templateDisplayName", S, E),
    MODIFIED,
    p("balancingAccountId", G, ZG),
    p("balancingAccountNumber", S, E),
];

const PAYMENT_JOURNAL_PROPS: &[Prop] = &[
    ID,
    p("code", S, E),
    p("displayName", S, E),
    MODIFIED,
    p("balancingAccountId", G, ZG),
    p("balancingAccountNumber", S, E),
];

const PAYMENT_PROPS: &[Prop] = &[
    ID,
    p("journalId", G, ZG),
    ro("journalDisplayName", S, E),
    p("lineNumber", Ty::Int, Z),
    p("customerId", G, ZG),
    p("customerNumber", S, E),
    p("contactId", G, ZG),
    p("postingDate", DATE, ND),
    p("documentNumber", S, E),
    p("externalDocumentNumber", S, E),
    p("amount", D, Z),
    p("appliesToInvoiceId", G, ZG),
    p("appliesToInvoiceNumber", S, E),
    p("description", S, E),
    p("comment", S, E),
    MODIFIED,
];

const JOURNAL_LINE_PROPS: &[Prop] = &[
    ID,
    p("journalId", G, ZG),
    ro("journalDisplayName", S, E),
    p("lineNumber", Ty::Int, Z),
    p(
        "accountType",
        Ty::Enum("generalJournalAccountType"),
        Dv::Str("G/L Account"),
    ),
    p("accountId", G, ZG),
    p("accountNumber", S, E),
    p("postingDate", DATE, ND),
    p("documentNumber", S, E),
    p("externalDocumentNumber", S, E),
    p("amount", D, Z),
    p("description", S, E),
    p("comment", S, E),
    p("taxCode", S, E),
    p(
        "balanceAccountType",
        Ty::Enum("generalJournalAccountType"),
        Dv::Str("G/L Account"),
    ),
    p("balancingAccountId", G, ZG),
    p("balancingAccountNumber", S, E),
    MODIFIED,
];

const GL_ENTRY_PROPS: &[Prop] = &[
    ID,
    p("entryNumber", Ty::Int, Z),
    p("postingDate", DATE, ND),
    p("documentNumber", S, E),
    p(
        "documentType",
        Ty::Enum("glEntryDocumentType"),
        Dv::Str(" "),
    ),
    p("accountId", G, ZG),
    p("accountNumber", S, E),
    p("description", S, E),
    p("debitAmount", D, Z),
    p("creditAmount", D, Z),
    p("additionalCurrencyDebitAmount", D, Z),
    p("additionalCurrencyCreditAmount", D, Z),
    MODIFIED,
];

const ID_KEY: &[&str] = &["id"];

/// Every BC entity set the emulator serves.
pub(crate) static SETS: &[SetDef] = &[
    SetDef {
        name: COMPANIES,
        type_name: "company",
        caption: "Company",
        keys: ID_KEY,
        props: COMPANY_PROPS,
        navs: &[],
        writable: false,
    },
    SetDef {
        name: CUSTOMERS,
        type_name: "customer",
        caption: "Customer",
        keys: ID_KEY,
        props: CUSTOMER_PROPS,
        navs: &[],
        writable: true,
    },
    SetDef {
        name: SALES_ORDERS,
        type_name: "salesOrder",
        caption: "Sales Header",
        keys: ID_KEY,
        props: SALES_ORDER_PROPS,
        navs: &[Nav {
            name: SALES_ORDER_LINES,
            target: SALES_ORDER_LINES,
            on: &[("id", "documentId")],
            many: true,
        }],
        writable: true,
    },
    SetDef {
        name: SALES_ORDER_LINES,
        type_name: "salesOrderLine",
        caption: "Sales Line",
        keys: ID_KEY,
        props: LINE_PROPS,
        navs: &[],
        writable: true,
    },
    SetDef {
        name: SALES_INVOICES,
        type_name: "salesInvoice",
        caption: "Sales Invoice Header",
        keys: ID_KEY,
        props: SALES_INVOICE_PROPS,
        navs: &[Nav {
            name: SALES_INVOICE_LINES,
            target: SALES_INVOICE_LINES,
            on: &[("id", "documentId")],
            many: true,
        }],
        writable: true,
    },
    SetDef {
        name: SALES_INVOICE_LINES,
        type_name: "salesInvoiceLine",
        caption: "Sales Invoice Line",
        keys: ID_KEY,
        props: LINE_PROPS,
        navs: &[],
        writable: true,
    },
    SetDef {
        name: PAYMENT_JOURNALS,
        type_name: "customerPaymentJournal",
        caption: "Gen. Journal Batch",
        keys: ID_KEY,
        props: PAYMENT_JOURNAL_PROPS,
        navs: &[Nav {
            name: PAYMENTS,
            target: PAYMENTS,
            on: &[("id", "journalId")],
            many: true,
        }],
        writable: true,
    },
    SetDef {
        name: PAYMENTS,
        type_name: "customerPayment",
        caption: "Gen. Journal Line",
        keys: ID_KEY,
        props: PAYMENT_PROPS,
        navs: &[],
        writable: true,
    },
    SetDef {
        name: JOURNALS,
        type_name: "journal",
        caption: "Gen. Journal Batch",
        keys: ID_KEY,
        props: JOURNAL_PROPS,
        navs: &[Nav {
            name: JOURNAL_LINES,
            target: JOURNAL_LINES,
            on: &[("id", "journalId")],
            many: true,
        }],
        writable: true,
    },
    SetDef {
        name: JOURNAL_LINES,
        type_name: "journalLine",
        caption: "Gen. Journal Line",
        keys: ID_KEY,
        props: JOURNAL_LINE_PROPS,
        navs: &[],
        writable: true,
    },
    SetDef {
        name: GL_ENTRIES,
        type_name: "generalLedgerEntry",
        caption: "G/L Entry",
        keys: ID_KEY,
        props: GL_ENTRY_PROPS,
        navs: &[],
        writable: false,
    },
];

/// The BC set called `name`.
pub(crate) fn set(name: &str) -> Option<&'static SetDef> {
    SETS.iter().find(|s| s.name == name)
}
