//! BC error bodies: `{"error":{"code":"…","message":"…  CorrelationId:  <guid>."}}` with the
//! codes of BC's error-code table (reference §2.4): `BadRequest_NotFound` (malformed query or
//! URL), `BadRequest_ResourceNotFound` (unknown segment), `BadRequest_InvalidToken` (missing
//! `If-Match`), `Request_EntityChanged` (stale `If-Match`, 409), `BadRequest_MethodNotAllowed`,
//! `Internal_RecordNotFound`, `Internal_EntityWithSameKeyExists`, `Application_*`,
//! `Authentication_InvalidCredentials`; `Application_TooManyRequests` on 429 (third-party
//! evidence only).
//!
//! HTTP statuses where the table gives none are emulator choices: 404 for not-found codes,
//! 400 for the rest of `BadRequest_*` and `Application_*`.

use axum::http::StatusCode;
use serde_json::json;

use crate::dynamics::error::ApiError;
use crate::dynamics::http::Resp;
use crate::dynamics::odata::filter::FilterError;
use crate::dynamics::odata::value::new_guid;

fn bc(status: StatusCode, code: &str, message: &str) -> Resp {
    let cid = new_guid();
    let sep = if message.ends_with('.') { "" } else { "." };
    Resp::odata(
        status,
        json!({"error": {"code": code,
                          "message": format!("{message}{sep}  CorrelationId:  {cid}.")}}),
    )
    .header("ms-correlation-x", &cid)
}

/// The BC response for `e`.
pub(crate) fn render(e: &ApiError) -> Resp {
    use StatusCode as S;
    match e {
        ApiError::NoRoute => bc(S::NOT_FOUND, "BadRequest_NotFound", "Bad Request - Error in query syntax."),
        ApiError::SegmentNotFound(seg) => bc(
            S::NOT_FOUND,
            "BadRequest_ResourceNotFound",
            &format!("Resource not found for the segment '{seg}'."),
        ),
        ApiError::NotFound { caption, ident, .. } => bc(
            S::NOT_FOUND,
            "Internal_RecordNotFound",
            &format!("The {caption} does not exist. Identification fields and values: {ident}"),
        ),
        ApiError::Query { error, type_name } => match error {
            FilterError::Syntax(m) => bc(S::BAD_REQUEST, "BadRequest_NotFound", m),
            FilterError::Unsupported(m) => bc(S::BAD_REQUEST, "BadRequest", m),
            FilterError::UnknownProperty(p) => bc(
                S::BAD_REQUEST,
                "BadRequest",
                &format!("Could not find a property named '{p}' on type '{type_name}'."),
            ),
        },
        ApiError::BadBody(_) => bc(S::BAD_REQUEST, "BadRequest", "Invalid Request Body"),
        ApiError::UnknownBodyProperty { prop, type_name } => bc(
            S::BAD_REQUEST,
            "BadRequest",
            &format!(
                "The property '{prop}' does not exist on type '{type_name}'. Make sure to only use property names that are defined by the type."
            ),
        ),
        ApiError::BadValue { prop, message } => bc(
            S::BAD_REQUEST,
            "BadRequest",
            &format!("{message} Property: '{prop}'."),
        ),
        ApiError::MethodNotAllowed { method, set } => bc(
            S::METHOD_NOT_ALLOWED,
            "BadRequest_MethodNotAllowed",
            &format!(
                "'{method}' requests for '{set}' of EdmType 'Entity' are not allowed within Microsoft Dynamics NAV OData web services."
            ),
        ),
        ApiError::Stale { .. } => bc(
            S::CONFLICT,
            "Request_EntityChanged",
            "Another user has already changed the record.",
        ),
        ApiError::IfMatchRequired => bc(
            S::BAD_REQUEST,
            "BadRequest_InvalidToken",
            "Could not validate the client concurrency token required by the service. Please provide a valid token in the client request.",
        ),
        ApiError::Business {
            message,
            bc_code,
            status,
            ..
        } => {
            let code = if bc_code.is_empty() { "Application_DialogException" } else { bc_code };
            let default = if code == "Internal_RecordNotFound" { 404 } else { 400 };
            let status = StatusCode::from_u16(status.unwrap_or(default)).unwrap_or(S::BAD_REQUEST);
            bc(status, code, message)
        }
        ApiError::Duplicate { caption, ident } => bc(
            S::BAD_REQUEST,
            "Internal_EntityWithSameKeyExists",
            &format!("The {caption} already exists. Identification fields and values: {ident}"),
        ),
        ApiError::NotImplemented(m) => bc(S::NOT_IMPLEMENTED, "BadRequest_MethodNotImplemented", m),
        ApiError::ServiceFault(m) => bc(S::INTERNAL_SERVER_ERROR, "Internal_ServerError", m),
        ApiError::MediaType(ct) => bc(
            S::UNSUPPORTED_MEDIA_TYPE,
            "BadRequest",
            &format!("The content type '{ct}' is not supported."),
        ),
        ApiError::BatchTooLarge { limit } => bc(
            S::BAD_REQUEST,
            "BadRequest",
            &format!(
                "The current batch message contains too many parts. Only batch messages with a maximum number of '{limit}' query operations and change sets are allowed."
            ),
        ),
        ApiError::BadBatch(m) => bc(S::BAD_REQUEST, "BadRequest", m),
        ApiError::Throttled {
            message,
            retry_after,
        } => {
            let mut r = bc(S::TOO_MANY_REQUESTS, "Application_TooManyRequests", message);
            if let Some(s) = retry_after {
                r = r.header("Retry-After", &s.to_string());
            }
            r
        }
        ApiError::Unauthorized { description } => bc(
            S::UNAUTHORIZED,
            "Authentication_InvalidCredentials",
            "The server has rejected the client credentials.",
        )
        .header(
            "WWW-Authenticate",
            &format!(
                "Bearer authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", error=\"invalid_token\", error_description=\"{description}\""
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_suffix() {
        let r = render(&ApiError::IfMatchRequired);
        let m = r.json().unwrap()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(m.starts_with("Could not validate the client concurrency token required by the service. Please provide a valid token in the client request.  CorrelationId:  "), "{m}");
        assert!(m.ends_with('.'));
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            render(&ApiError::Stale { caption: "x" }).status,
            StatusCode::CONFLICT
        );
    }
}
