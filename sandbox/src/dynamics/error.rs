//! Flavour-neutral failures of a request. Each flavour renders them in its own body shape
//! (`fno::errors`, `bc::errors`).

use super::odata::filter::FilterError;

/// Why a request failed.
#[derive(Clone, Debug)]
pub(crate) enum ApiError {
    /// Nothing is routed at this URI (unknown entity set, bad key syntax, unknown path).
    NoRoute,
    /// A path segment does not resolve (unknown navigation property, unknown action).
    SegmentNotFound(String),
    /// No visible row has this key.
    NotFound {
        /// Entity set name.
        set: &'static str,
        /// F&O entity / BC table caption.
        caption: &'static str,
        /// Human-readable key, e.g. `Id='…'`.
        ident: String,
    },
    /// A query option is malformed, names an unknown property, or is not supported.
    Query {
        error: FilterError,
        /// Qualified type name for "Could not find a property named …".
        type_name: String,
    },
    /// The body is not a JSON object (or not JSON).
    BadBody(String),
    /// The body names a property the type does not have.
    UnknownBodyProperty { prop: String, type_name: String },
    /// A property value does not fit its type.
    BadValue { prop: String, message: String },
    /// The verb is not allowed on this resource.
    MethodNotAllowed { method: String, set: String },
    /// `If-Match` does not match the current ETag.
    Stale { caption: &'static str },
    /// BC: PATCH/DELETE without `If-Match`.
    IfMatchRequired,
    /// A business rule failed (F&O: a write failure with an Infolog; BC: an AL error).
    Business {
        /// F&O AOT entity name or BC table caption.
        caption: &'static str,
        /// The Infolog / AL message.
        message: String,
        /// BC error code, e.g. `Application_DialogException`.
        bc_code: &'static str,
        /// Overrides the flavour's default status.
        status: Option<u16>,
    },
    /// A row with the same key exists.
    Duplicate {
        /// F&O table label, e.g. `Customers (CustTable)`; BC table caption.
        caption: &'static str,
        /// `Customer account: US-001` / `No.='C00010'`.
        ident: String,
    },
    /// Understood but not implemented by the service (or by the emulator).
    NotImplemented(String),
    /// F&O custom service failure (`/api/services/...`).
    ServiceFault(String),
    /// The request content type is not accepted here.
    MediaType(String),
    /// `$batch` with more operations than the flavour allows.
    BatchTooLarge { limit: usize },
    /// A malformed `$batch` body.
    BadBatch(String),
    /// Service protection.
    Throttled {
        message: String,
        retry_after: Option<u64>,
    },
    /// Missing, unknown or expired bearer token.
    Unauthorized { description: String },
}

impl ApiError {
    /// A business failure with BC's generic dialog code.
    pub(crate) fn business(caption: &'static str, message: impl Into<String>) -> Self {
        Self::Business {
            caption,
            message: message.into(),
            bc_code: "Application_DialogException",
            status: None,
        }
    }

    /// A business failure with a specific BC code.
    pub(crate) fn business_code(
        caption: &'static str,
        bc_code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self::Business {
            caption,
            message: message.into(),
            bc_code,
            status: None,
        }
    }

    /// A query error for type `type_name`.
    pub(crate) fn query(error: FilterError, type_name: impl Into<String>) -> Self {
        Self::Query {
            error,
            type_name: type_name.into(),
        }
    }
}
