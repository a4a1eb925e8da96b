//! One module per API area; each endpoint is a synchronous function over the state.

pub(crate) mod cards;
pub(crate) mod checks;
pub(crate) mod customers;
pub(crate) mod exports;
pub(crate) mod manage;
pub(crate) mod protect;
pub(crate) mod recurrence;
pub(crate) mod refunds;
