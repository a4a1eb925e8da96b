//! The Finance & Operations flavour (reference §1): entity sets, write rules, optional journal
//! posting, error bodies.

pub(crate) mod entities;
pub(crate) mod errors;
pub(crate) mod handlers;
pub(crate) mod posting;
pub(crate) mod rules;
