//! The generic OData v4 pieces of the emulator (no Dynamics knowledge): expression lexer and
//! `$filter` evaluator, query options, payload formatting, ETags, paging, JSON value helpers.

pub(crate) mod etag;
pub(crate) mod filter;
pub(crate) mod format;
pub(crate) mod lexer;
pub(crate) mod paging;
pub(crate) mod query;
pub(crate) mod value;
