//! SOQL: [`query`](crate::Client::query) and [`query_all`](crate::Client::query_all) as
//! streams that follow `nextRecordsUrl` ([`stream`]), and literal escaping so values can
//! never inject ([`soql`]).

pub mod soql;
pub mod stream;

pub use stream::{Query, QueryPage};
