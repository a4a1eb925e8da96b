//! Channel names (reference §4.2): platform events `/event/X__e`, every change event
//! `/data/ChangeEvents`, one object's change events `/data/AccountChangeEvent`,
//! `/data/Employee__ChangeEvent`.
//!
//! ```
//! use salesforce_client::streaming::channel;
//!
//! assert_eq!(channel::platform_event("Payment_Settled__e"), "/event/Payment_Settled__e");
//! assert_eq!(channel::change_events(), "/data/ChangeEvents");
//! assert_eq!(channel::change_events_of("Account"), "/data/AccountChangeEvent");
//! assert_eq!(channel::change_events_of("Employee__c"), "/data/Employee__ChangeEvent");
//! ```

/// The channel of a platform event (`Payment_Settled__e`) or custom channel (`X__chn`).
pub fn platform_event(name: &str) -> String {
    format!("/event/{name}")
}

/// The channel of every change event of the objects selected for Change Data Capture.
pub fn change_events() -> String {
    "/data/ChangeEvents".to_owned()
}

/// The change-event channel of one object: `Account` → `/data/AccountChangeEvent`, a custom
/// `Employee__c` → `/data/Employee__ChangeEvent`.
pub fn change_events_of(object: &str) -> String {
    match object.strip_suffix("__c") {
        Some(custom) => format!("/data/{custom}__ChangeEvent"),
        None => format!("/data/{object}ChangeEvent"),
    }
}
