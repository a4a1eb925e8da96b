//! Object metadata: which sObjects exist, their fields, which fields are required, external
//! IDs or unique, and which objects publish Change Data Capture events.
//!
//! The defaults ([`standard_objects`]) describe a small slice of a real org: Account, Contact,
//! Opportunity, Order, Case and User with the fields integrations touch most and their real
//! required fields. Custom objects (`Name__c`) and platform events (`Name__e`) that are not
//! declared are created on first use when
//! [`SalesforceConfig::auto_create_objects`](super::SalesforceConfig::auto_create_objects) is on.
//!
//! An object is *open* by default: a custom field (`Something__c`) that was never declared is
//! defined on first use, with a type inferred from the value. Fields used as external IDs
//! (upsert, get or delete by external ID) must be declared with [`FieldMeta::external_id`],
//! except on objects that were themselves created on first use. Undeclared standard field names
//! are always rejected with `INVALID_FIELD`, as Salesforce does, and so is every undeclared
//! field of a [`closed`](ObjectMeta::closed) object.

use serde_json::Value;

/// A field's Salesforce type, as `describe` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldType {
    /// `id`: the record id.
    Id,
    /// `string`: text with a maximum length.
    String,
    /// `textarea`: long text.
    TextArea,
    /// `boolean`.
    Boolean,
    /// `int`.
    Int,
    /// `double`: a number.
    Double,
    /// `currency`: a number, in the record's currency.
    Currency,
    /// `percent`.
    Percent,
    /// `date`: `YYYY-MM-DD`.
    Date,
    /// `datetime`: ISO 8601, answered as `2024-05-01T18:00:00.000+0000`.
    DateTime,
    /// `picklist`.
    Picklist,
    /// `multipicklist`: values joined with `;`.
    MultiPicklist,
    /// `email`.
    Email,
    /// `phone`.
    Phone,
    /// `url`.
    Url,
    /// `reference`: the id of another record (a lookup or master-detail).
    Reference,
}

impl FieldType {
    /// The name `describe` uses (`string`, `double`, `reference`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::String => "string",
            Self::TextArea => "textarea",
            Self::Boolean => "boolean",
            Self::Int => "int",
            Self::Double => "double",
            Self::Currency => "currency",
            Self::Percent => "percent",
            Self::Date => "date",
            Self::DateTime => "datetime",
            Self::Picklist => "picklist",
            Self::MultiPicklist => "multipicklist",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Url => "url",
            Self::Reference => "reference",
        }
    }

    /// Whether values are numbers.
    #[must_use]
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            Self::Int | Self::Double | Self::Currency | Self::Percent
        )
    }

    /// Whether values are text (SOQL wants quoted literals).
    #[must_use]
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Self::Id
                | Self::String
                | Self::TextArea
                | Self::Picklist
                | Self::MultiPicklist
                | Self::Email
                | Self::Phone
                | Self::Url
                | Self::Reference
        )
    }
}

/// One field of an object.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct FieldMeta {
    /// API name, e.g. `Name` or `PaymentID__c`.
    pub name: String,
    /// Label.
    pub label: String,
    /// Type.
    pub field_type: FieldType,
    /// Maximum length of text fields.
    pub length: Option<u32>,
    /// Whether the field may be empty. `false` and not defaulted = required on create.
    pub nillable: bool,
    /// Whether a create may set it.
    pub createable: bool,
    /// Whether an update may set it.
    pub updateable: bool,
    /// Whether it is an external ID (usable for upsert and get/delete by external ID).
    pub external_id: bool,
    /// Whether values must be unique among live records (`DUPLICATE_VALUE` otherwise).
    pub unique: bool,
    /// Whether it identifies a record (`Id`, external IDs, `Name` of some objects).
    pub id_lookup: bool,
    /// For references: the objects it may point to.
    pub reference_to: Vec<String>,
    /// For references: the relationship name used in SOQL paths (`Account`, `Parent__r`).
    pub relationship_name: Option<String>,
    /// Whether the server fills it on create when it is missing.
    pub defaulted_on_create: bool,
    /// Value set on create when the field is missing.
    pub default_value: Option<Value>,
    /// Whether it is computed (never writable).
    pub calculated: bool,
    /// Picklist values (informational; not enforced).
    pub picklist_values: Vec<String>,
}

impl FieldMeta {
    /// An optional, writable field.
    #[must_use]
    pub fn new(name: impl Into<String>, field_type: FieldType) -> Self {
        let name = name.into();
        let length = match field_type {
            FieldType::Id | FieldType::Reference => Some(18),
            FieldType::String
            | FieldType::Picklist
            | FieldType::Email
            | FieldType::Phone
            | FieldType::Url => Some(255),
            FieldType::TextArea => Some(131_072),
            FieldType::MultiPicklist => Some(4099),
            _ => None,
        };
        Self {
            label: label_of(&name),
            name,
            field_type,
            length,
            nillable: field_type != FieldType::Boolean,
            createable: true,
            updateable: true,
            external_id: false,
            unique: false,
            id_lookup: false,
            reference_to: Vec::new(),
            relationship_name: None,
            defaulted_on_create: field_type == FieldType::Boolean,
            default_value: (field_type == FieldType::Boolean).then_some(Value::Bool(false)),
            calculated: false,
            picklist_values: Vec::new(),
        }
    }

    /// A text field of at most `length` characters.
    #[must_use]
    pub fn text(name: impl Into<String>, length: u32) -> Self {
        Self::new(name, FieldType::String).length(length)
    }

    /// A lookup to `object` with relationship name `relationship` (e.g. `AccountId` →
    /// `Account`, `Parent__c` → `Parent__r`).
    #[must_use]
    pub fn reference(
        name: impl Into<String>,
        object: impl Into<String>,
        relationship: impl Into<String>,
    ) -> Self {
        let mut f = Self::new(name, FieldType::Reference);
        f.reference_to = vec![object.into()];
        f.relationship_name = Some(relationship.into());
        f
    }

    /// Required on create (`nillable: false`, not defaulted).
    #[must_use]
    pub fn required(mut self) -> Self {
        self.nillable = false;
        self.defaulted_on_create = false;
        self.default_value = None;
        self
    }

    /// An external ID (and `idLookup`), not unique.
    #[must_use]
    pub fn external_id(mut self) -> Self {
        self.external_id = true;
        self.id_lookup = true;
        self
    }

    /// Values must be unique among live records.
    #[must_use]
    pub fn unique(mut self) -> Self {
        self.unique = true;
        self
    }

    /// Maximum length.
    #[must_use]
    pub fn length(mut self, length: u32) -> Self {
        self.length = Some(length);
        self
    }

    /// Label.
    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Not writable by the API (system, formula, auto-number fields).
    #[must_use]
    pub fn read_only(mut self) -> Self {
        self.createable = false;
        self.updateable = false;
        self
    }

    /// Set on create when missing.
    #[must_use]
    pub fn default_value(mut self, value: Value) -> Self {
        self.default_value = Some(value);
        self.defaulted_on_create = true;
        self
    }

    /// Picklist values (informational).
    #[must_use]
    pub fn picklist(mut self, values: &[&str]) -> Self {
        self.picklist_values = values.iter().map(|v| (*v).to_owned()).collect();
        self
    }

    /// Whether a create without a value for it fails with `REQUIRED_FIELD_MISSING`.
    #[must_use]
    pub fn is_required(&self) -> bool {
        !self.nillable && !self.defaulted_on_create && self.createable && !self.calculated
    }
}

/// What kind of object it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObjectKind {
    /// A standard object (`Account`).
    Standard,
    /// A custom object (`Payment__c`).
    Custom,
    /// A platform event (`Payment_Event__e`): published, never stored.
    PlatformEvent,
}

/// One sObject type.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ObjectMeta {
    /// API name.
    pub name: String,
    /// Label.
    pub label: String,
    /// Plural label.
    pub label_plural: String,
    /// Key prefix (first three characters of its ids); `None` = allocated (`a0…` for
    /// custom objects, `e0…` for platform events).
    pub key_prefix: Option<String>,
    /// Kind.
    pub kind: ObjectKind,
    /// Declared fields (system fields are added automatically).
    pub fields: Vec<FieldMeta>,
    /// Whether undeclared custom fields (`X__c`) are defined on first use.
    pub open: bool,
    /// Whether writes publish Change Data Capture events.
    pub cdc: bool,
}

impl ObjectMeta {
    /// An open object named `name`; its kind follows the suffix (`__c`, `__e`).
    #[must_use]
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        let lower = name.to_ascii_lowercase();
        let kind = if lower.ends_with("__e") {
            ObjectKind::PlatformEvent
        } else if lower.ends_with("__c") {
            ObjectKind::Custom
        } else {
            ObjectKind::Standard
        };
        let label = label_of(&name);
        Self {
            label_plural: format!("{label}s"),
            label,
            key_prefix: super::ids::standard_prefix(&name).map(str::to_owned),
            kind,
            name,
            fields: Vec::new(),
            open: true,
            cdc: false,
        }
    }

    /// Add or replace a field.
    #[must_use]
    pub fn field(mut self, field: FieldMeta) -> Self {
        self.fields
            .retain(|f| !f.name.eq_ignore_ascii_case(&field.name));
        self.fields.push(field);
        self
    }

    /// Reject every undeclared field with `INVALID_FIELD`.
    #[must_use]
    pub fn closed(mut self) -> Self {
        self.open = false;
        self
    }

    /// Publish Change Data Capture events for writes.
    #[must_use]
    pub fn cdc(mut self) -> Self {
        self.cdc = true;
        self
    }

    /// Use this key prefix.
    #[must_use]
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = Some(prefix.into());
        self
    }

    /// Label and plural label.
    #[must_use]
    pub fn label(mut self, label: impl Into<String>, plural: impl Into<String>) -> Self {
        self.label = label.into();
        self.label_plural = plural.into();
        self
    }

    /// Whether the name is a platform event.
    #[must_use]
    pub fn is_event(&self) -> bool {
        self.kind == ObjectKind::PlatformEvent
    }

    /// Whether it is a custom object.
    #[must_use]
    pub fn is_custom(&self) -> bool {
        self.kind != ObjectKind::Standard
    }

    /// The CometD channel of this object's change events (`/data/AccountChangeEvent`,
    /// `/data/Payment__ChangeEvent`), or of its platform events (`/event/Name__e`).
    #[must_use]
    pub fn channel(&self) -> String {
        if self.is_event() {
            format!("/event/{}", self.name)
        } else {
            change_event_channel(&self.name)
        }
    }
}

/// `/data/AccountChangeEvent` for `Account`, `/data/Payment__ChangeEvent` for `Payment__c`.
#[must_use]
pub fn change_event_channel(object: &str) -> String {
    match object.strip_suffix("__c") {
        Some(base) => format!("/data/{base}__ChangeEvent"),
        None => format!("/data/{object}ChangeEvent"),
    }
}

/// A label from an API name: `PaymentID__c` → `PaymentID`, `Billing_City__c` → `Billing City`.
fn label_of(name: &str) -> String {
    let base = name
        .strip_suffix("__c")
        .or_else(|| name.strip_suffix("__e"))
        .unwrap_or(name);
    base.replace('_', " ")
}

/// Fields every stored object has, managed by the server.
pub(crate) fn system_fields(kind: ObjectKind) -> Vec<FieldMeta> {
    if kind == ObjectKind::PlatformEvent {
        return vec![
            FieldMeta::new("ReplayId", FieldType::String).read_only(),
            FieldMeta::new("CreatedDate", FieldType::DateTime).read_only(),
            FieldMeta::reference("CreatedById", "User", "CreatedBy").read_only(),
            FieldMeta::text("EventUuid", 36).read_only(),
        ];
    }
    let mut id = FieldMeta::new("Id", FieldType::Id).read_only();
    id.id_lookup = true;
    id.nillable = false;
    id.defaulted_on_create = true;
    let mut is_deleted = FieldMeta::new("IsDeleted", FieldType::Boolean).read_only();
    is_deleted.default_value = Some(Value::Bool(false));
    vec![
        id,
        is_deleted,
        FieldMeta::new("CreatedDate", FieldType::DateTime).read_only(),
        FieldMeta::reference("CreatedById", "User", "CreatedBy").read_only(),
        FieldMeta::new("LastModifiedDate", FieldType::DateTime).read_only(),
        FieldMeta::reference("LastModifiedById", "User", "LastModifiedBy").read_only(),
        FieldMeta::new("SystemModstamp", FieldType::DateTime).read_only(),
    ]
}

/// Account, Contact, Opportunity, Order, Case and User with their commonly used fields and
/// their real required fields.
#[must_use]
pub fn standard_objects() -> Vec<ObjectMeta> {
    use FieldType as T;
    let owner = || FieldMeta::reference("OwnerId", "User", "Owner");
    let account_ref = || FieldMeta::reference("AccountId", "Account", "Account");
    let account = ObjectMeta::new("Account")
        .label("Account", "Accounts")
        .field(FieldMeta::text("Name", 255).required())
        .field(FieldMeta::text("AccountNumber", 40))
        .field(FieldMeta::new("Type", T::Picklist))
        .field(FieldMeta::new("Industry", T::Picklist))
        .field(FieldMeta::new("Phone", T::Phone))
        .field(FieldMeta::new("Website", T::Url))
        .field(FieldMeta::new("Description", T::TextArea))
        .field(FieldMeta::new("BillingStreet", T::TextArea))
        .field(FieldMeta::text("BillingCity", 40))
        .field(FieldMeta::text("BillingState", 80))
        .field(FieldMeta::text("BillingPostalCode", 20))
        .field(FieldMeta::text("BillingCountry", 80))
        .field(FieldMeta::new("AnnualRevenue", T::Currency))
        .field(FieldMeta::new("NumberOfEmployees", T::Int))
        .field(FieldMeta::reference("ParentId", "Account", "Parent"))
        .field(owner());
    let mut contact_name = FieldMeta::text("Name", 121).read_only();
    contact_name.calculated = true;
    let contact = ObjectMeta::new("Contact")
        .label("Contact", "Contacts")
        .field(FieldMeta::text("FirstName", 40))
        .field(FieldMeta::text("LastName", 80).required())
        .field(contact_name)
        .field(FieldMeta::new("Email", T::Email))
        .field(FieldMeta::new("Phone", T::Phone))
        .field(FieldMeta::text("Title", 128))
        .field(FieldMeta::text("MailingCity", 40))
        .field(account_ref())
        .field(owner());
    let opportunity = ObjectMeta::new("Opportunity")
        .label("Opportunity", "Opportunities")
        .field(FieldMeta::text("Name", 120).required())
        .field(
            FieldMeta::new("StageName", T::Picklist)
                .required()
                .picklist(&["Prospecting", "Qualification", "Closed Won", "Closed Lost"]),
        )
        .field(FieldMeta::new("CloseDate", T::Date).required())
        .field(FieldMeta::new("Amount", T::Currency))
        .field(FieldMeta::new("Probability", T::Percent))
        .field(FieldMeta::new("Type", T::Picklist))
        .field(FieldMeta::new("Description", T::TextArea))
        .field(account_ref())
        .field(owner());
    let order = ObjectMeta::new("Order")
        .label("Order", "Orders")
        .field(account_ref().required())
        .field(FieldMeta::new("EffectiveDate", T::Date).required())
        .field(
            FieldMeta::new("Status", T::Picklist)
                .required()
                .picklist(&["Draft", "Activated"]),
        )
        .field(FieldMeta::text("OrderNumber", 30).read_only())
        .field(FieldMeta::new("TotalAmount", T::Currency).read_only())
        .field(FieldMeta::text("Name", 80))
        .field(FieldMeta::new("Description", T::TextArea))
        .field(FieldMeta::reference("ContractId", "Contract", "Contract"))
        .field(owner());
    let case = ObjectMeta::new("Case")
        .label("Case", "Cases")
        .field(FieldMeta::text("CaseNumber", 30).read_only())
        .field(FieldMeta::text("Subject", 255))
        .field(FieldMeta::new("Status", T::Picklist).default_value(Value::String("New".into())))
        .field(
            FieldMeta::new("Priority", T::Picklist).default_value(Value::String("Medium".into())),
        )
        .field(FieldMeta::new("Origin", T::Picklist))
        .field(FieldMeta::new("Description", T::TextArea))
        .field(account_ref())
        .field(FieldMeta::reference("ContactId", "Contact", "Contact"))
        .field(owner());
    let mut username = FieldMeta::text("Username", 80).required().unique();
    username.id_lookup = true;
    let user = ObjectMeta::new("User")
        .label("User", "Users")
        .field(username)
        .field(FieldMeta::text("FirstName", 40))
        .field(FieldMeta::text("LastName", 80).required())
        .field(FieldMeta::text("Name", 121).read_only())
        .field(FieldMeta::new("Email", T::Email).required())
        .field(FieldMeta::new("IsActive", T::Boolean).default_value(Value::Bool(true)));
    vec![account, contact, opportunity, order, case, user]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_channels_and_required() {
        assert_eq!(ObjectMeta::new("Payment__c").kind, ObjectKind::Custom);
        assert_eq!(ObjectMeta::new("Paid__e").channel(), "/event/Paid__e");
        assert_eq!(
            ObjectMeta::new("Payment__c").channel(),
            "/data/Payment__ChangeEvent"
        );
        assert_eq!(
            ObjectMeta::new("Account").channel(),
            "/data/AccountChangeEvent"
        );
        assert!(FieldMeta::text("Name", 80).required().is_required());
        assert!(!FieldMeta::new("Flag__c", FieldType::Boolean).is_required());
        assert!(!FieldMeta::text("X", 1).required().read_only().is_required());
        let objs = standard_objects();
        assert_eq!(objs.len(), 6);
        assert_eq!(objs[0].key_prefix.as_deref(), Some("001"));
    }
}
