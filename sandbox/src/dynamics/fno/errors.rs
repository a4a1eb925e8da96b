//! F&O error bodies (reference §1.7).
//!
//! * OData errors: `{"error":{"code":"","message":"An error has occurred.","innererror":
//!   {"message":"…","type":"…","stacktrace":""}}}` — the useful text is in `innererror`.
//! * Write failures: innererror `Write failed for table row of type '<Entity>'. Infolog: …`,
//!   type `Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException`.
//! * Routing errors come from ASP.NET Web API, not OData: `{"Message":"No HTTP resource was
//!   found that matches the request URI '…'."}` (404); a verb the route lacks: `{"Message":"The
//!   requested resource does not support http method '…'."}` (405).
//! * Custom services: `{"Message":"An exception occured when invoking the operation - …",
//!   "ExceptionType":"ErrorException","ActivityId":"…"}` (500; UNCONFIRMED shape).
//! * 401 has an empty body and a `WWW-Authenticate` header.
//!
//! Query-option errors use the OData library's texts ("Syntax error at position …", "Could not
//! find a property named …") with type `Microsoft.OData.ODataException`. A stale `If-Match`
//! answers 412 with X++'s update-conflict text (the status is UNCONFIRMED; reference §1.6).

use axum::http::StatusCode;
use serde_json::json;

use crate::dynamics::error::ApiError;
use crate::dynamics::http::Resp;
use crate::dynamics::odata::filter::FilterError;
use crate::dynamics::odata::value::new_guid;

const WRITE_EXCEPTION: &str =
    "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException";
const ODATA_EXCEPTION: &str = "Microsoft.OData.ODataException";

fn odata(status: u16, message: &str, inner: &str, kind: &str) -> Resp {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    Resp::odata(
        status,
        json!({"error": {"code": "", "message": message,
               "innererror": {"message": inner, "type": kind, "stacktrace": ""}}}),
    )
}

fn asp(status: StatusCode, message: String) -> Resp {
    Resp::plain(status, json!({ "Message": message }))
}

/// The F&O response for `e`. `uri` is the absolute request URI; `validation_status` the
/// configured status of write failures.
pub(crate) fn render(e: &ApiError, uri: &str, validation_status: u16) -> Resp {
    match e {
        ApiError::NoRoute | ApiError::SegmentNotFound(_) => asp(
            StatusCode::NOT_FOUND,
            format!("No HTTP resource was found that matches the request URI '{uri}'."),
        ),
        ApiError::MethodNotAllowed { method, .. } => asp(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("The requested resource does not support http method '{method}'."),
        ),
        ApiError::MediaType(ct) => asp(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("The request entity's media type '{ct}' is not supported for this resource."),
        ),
        ApiError::NotFound { set, .. } => {
            let m = format!("Resource not found for the segment '{set}'.");
            odata(
                404,
                &m,
                &m,
                "Microsoft.OData.UriParser.ODataUnrecognizedPathException",
            )
        }
        ApiError::Query { error, type_name } => {
            let inner = match error {
                FilterError::Syntax(m) | FilterError::Unsupported(m) => m.clone(),
                FilterError::UnknownProperty(p) => {
                    format!("Could not find a property named '{p}' on type '{type_name}'.")
                }
            };
            let message = format!("The query specified in the URI is not valid. {inner}");
            odata(400, &message, &inner, ODATA_EXCEPTION)
        }
        ApiError::BadBody(m) => odata(400, "An error has occurred.", m, ODATA_EXCEPTION),
        ApiError::UnknownBodyProperty { prop, type_name } => {
            let m = format!(
                "The property '{prop}' does not exist on type '{type_name}'. Make sure to only use property names that are defined by the type."
            );
            odata(400, &m, &m, ODATA_EXCEPTION)
        }
        ApiError::BadValue { prop, message } => {
            let m = format!("Cannot convert the value of property '{prop}'. {message}");
            odata(400, &m, &m, ODATA_EXCEPTION)
        }
        ApiError::Stale { caption } => odata(
            412,
            "An error has occurred.",
            &format!(
                "Cannot edit a record in {caption}. The values displayed in the form are not current, so an update or deletion cannot be made. To view the current values, on the Command menu, click Restore or press CTRL+F5."
            ),
            WRITE_EXCEPTION,
        ),
        ApiError::IfMatchRequired => odata(
            428,
            "An error has occurred.",
            "A precondition header is required.",
            ODATA_EXCEPTION,
        ),
        ApiError::Business {
            caption,
            message,
            status,
            ..
        } => odata(
            status.unwrap_or(validation_status),
            "An error has occurred.",
            &format!("Write failed for table row of type '{caption}'. Infolog: {message}"),
            WRITE_EXCEPTION,
        ),
        ApiError::Duplicate { caption, ident } => odata(
            validation_status,
            "An error has occurred.",
            &format!(
                "Write failed for table row of type '{caption}'. Infolog: Error: Cannot create a record in {caption} ({ident}). The record already exists."
            ),
            WRITE_EXCEPTION,
        ),
        ApiError::NotImplemented(m) => odata(501, m, m, ODATA_EXCEPTION),
        ApiError::ServiceFault(m) => Resp::plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"Message": format!("An exception occured when invoking the operation - {m}"),
                   "ExceptionType": "ErrorException", "ActivityId": new_guid()}),
        ),
        ApiError::BatchTooLarge { limit } => {
            let m = format!(
                "The current batch message contains too many parts. Only batch messages with a maximum number of '{limit}' query operations and change sets are allowed."
            );
            odata(400, &m, &m, ODATA_EXCEPTION)
        }
        ApiError::BadBatch(m) => odata(400, m, m, ODATA_EXCEPTION),
        ApiError::Throttled {
            message,
            retry_after,
        } => {
            let mut r = Resp::odata(
                StatusCode::TOO_MANY_REQUESTS,
                json!({"error": {"code": "", "message": message}}),
            );
            if let Some(s) = retry_after {
                r = r.header("Retry-After", &s.to_string());
            }
            r
        }
        ApiError::Unauthorized { description } => Resp::empty(StatusCode::UNAUTHORIZED).header(
            "WWW-Authenticate",
            &format!("Bearer error=\"invalid_token\", error_description=\"{description}\""),
        ),
    }
}

/// Just the JSON of an F&O error, for tests.
#[cfg(test)]
pub(crate) fn body(e: &ApiError) -> serde_json::Value {
    render(e, "http://x/data/Nope", 400)
        .json()
        .cloned()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(
            body(&ApiError::NoRoute),
            json!({"Message": "No HTTP resource was found that matches the request URI 'http://x/data/Nope'."})
        );
        let b = body(&ApiError::business("CustCustomerV3Entity", "Error: x"));
        assert_eq!(b["error"]["code"], "");
        assert_eq!(b["error"]["message"], "An error has occurred.");
        assert_eq!(
            b["error"]["innererror"]["message"],
            "Write failed for table row of type 'CustCustomerV3Entity'. Infolog: Error: x"
        );
    }
}
