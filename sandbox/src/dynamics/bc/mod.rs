//! The Business Central API v2.0 flavour (reference §2): entity sets, write rules, bound
//! actions, error bodies.

pub(crate) mod actions;
pub(crate) mod entities;
pub(crate) mod errors;
pub(crate) mod handlers;
pub(crate) mod rules;
