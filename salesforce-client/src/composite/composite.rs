//! `POST /composite`: up to 25 subrequests in order, later ones referring to earlier
//! results, one API call.

use std::collections::BTreeMap;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Composite, Subrequest, check_reference_ids, idempotency};
use crate::error::{Error, ErrorDetail, Result};
use crate::http::{Call, DataPath, Target, op};
use crate::versions::ApiVersion;

/// A composite request: subrequests executed in order, each with a reference id that later
/// subrequests can use as `@{refId.field}` (see [`reference()`](super::reference())).
///
/// ```
/// use salesforce_client::ApiVersion;
/// use salesforce_client::composite::{CompositeRequest, Subrequest, reference};
/// use serde_json::json;
///
/// let request = CompositeRequest::new()
///     .all_or_none(true)
///     .add("newAccount", Subrequest::create("Account", &json!({"Name": "Acme"})))
///     .add(
///         "newContact",
///         Subrequest::create("Contact", &json!({"LastName": "Doe", "AccountId": reference("newAccount", "id")})),
///     );
/// let body = request.to_json(ApiVersion::new(66))?;
/// assert_eq!(body["compositeRequest"][1]["url"], "/services/data/v66.0/sobjects/Contact");
/// assert_eq!(body["compositeRequest"][1]["body"]["AccountId"], "@{newAccount.id}");
/// # Ok::<(), salesforce_client::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct CompositeRequest {
    all_or_none: bool,
    collate_subrequests: Option<bool>,
    subrequests: Vec<(String, Subrequest)>,
}

impl CompositeRequest {
    /// Most subrequests in one request.
    pub const MAX_SUBREQUESTS: usize = 25;
    /// Most query subrequests in one request.
    pub const MAX_QUERIES: usize = 5;

    /// An empty request.
    pub fn new() -> Self {
        CompositeRequest::default()
    }

    /// Rolls everything back when one subrequest fails (`allOrNone`).
    pub fn all_or_none(mut self, all_or_none: bool) -> Self {
        self.all_or_none = all_or_none;
        self
    }

    /// Lets Salesforce group independent subrequests (`collateSubrequests`, default true
    /// since v49.0).
    pub fn collate_subrequests(mut self, collate: bool) -> Self {
        self.collate_subrequests = Some(collate);
        self
    }

    /// Adds a subrequest under `reference_id`.
    pub fn add(mut self, reference_id: impl Into<String>, subrequest: Subrequest) -> Self {
        self.subrequests.push((reference_id.into(), subrequest));
        self
    }

    /// How many subrequests there are.
    pub fn len(&self) -> usize {
        self.subrequests.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.subrequests.is_empty()
    }

    /// The request body for API `version`, after checking the limits.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when there are no or more than 25 subrequests, more than 5
    /// queries, a reference id is invalid or repeated, or a subrequest is invalid.
    pub fn to_json(&self, version: ApiVersion) -> Result<Value> {
        if self.subrequests.is_empty() || self.subrequests.len() > Self::MAX_SUBREQUESTS {
            return Err(Error::invalid(
                "composite request",
                format!(
                    "has {} subrequests; 1 to 25 are allowed",
                    self.subrequests.len()
                ),
            ));
        }
        let queries = self.subrequests.iter().filter(|(_, s)| s.is_query).count();
        if queries > Self::MAX_QUERIES {
            return Err(Error::invalid(
                "composite request",
                format!("has {queries} queries; at most 5 are allowed"),
            ));
        }
        let mut body = json!({
            "allOrNone": self.all_or_none,
            "compositeRequest": subrequests_json(&self.subrequests, version)?,
        });
        if let (Some(collate), Some(map)) = (self.collate_subrequests, body.as_object_mut()) {
            map.insert("collateSubrequests".into(), collate.into());
        }
        Ok(body)
    }
}

/// `[{method, url, referenceId, body?, httpHeaders?}]`, as composite and graph requests
/// write their subrequests.
pub(super) fn subrequests_json(
    subrequests: &[(String, Subrequest)],
    version: ApiVersion,
) -> Result<Vec<Value>> {
    check_reference_ids(subrequests.iter().map(|(id, _)| id.as_str()))?;
    subrequests
        .iter()
        .map(|(reference_id, sub)| {
            sub.check()?;
            let mut item = json!({
                "method": sub.method.as_str(),
                "url": sub.url("/services/data/", version),
                "referenceId": reference_id,
            });
            if let Some(map) = item.as_object_mut() {
                if let Some(body) = &sub.body {
                    map.insert("body".into(), body.clone());
                }
                if !sub.headers.is_empty() {
                    map.insert("httpHeaders".into(), json!(sub.headers));
                }
            }
            Ok(item)
        })
        .collect()
}

/// The answer of a composite request: one result per subrequest, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompositeResponse {
    /// The results.
    pub composite_response: Vec<SubResponse>,
}

impl CompositeResponse {
    /// The result of the subrequest with `reference_id`.
    pub fn get(&self, reference_id: &str) -> Option<&SubResponse> {
        self.composite_response
            .iter()
            .find(|r| r.reference_id == reference_id)
    }

    /// Whether every subrequest succeeded (2xx).
    pub fn is_success(&self) -> bool {
        self.composite_response.iter().all(SubResponse::is_success)
    }
}

/// The result of one subrequest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubResponse {
    /// The body: a record, a save result, a query page, or an error array.
    #[serde(default)]
    pub body: Value,
    /// Response headers (`Location`, …).
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub http_headers: BTreeMap<String, String>,
    /// The HTTP status of this subrequest.
    pub http_status_code: u16,
    /// The subrequest's reference id.
    pub reference_id: String,
}

impl SubResponse {
    /// Whether the subrequest succeeded (2xx).
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.http_status_code)
    }

    /// The subrequest's errors (`PROCESSING_HALTED`, `ALL_OR_NONE_OPERATION_ROLLED_BACK`, a
    /// validation error, …); empty when it succeeded.
    pub fn errors(&self) -> Vec<ErrorDetail> {
        if self.is_success() {
            return Vec::new();
        }
        serde_json::from_value(self.body.clone()).unwrap_or_default()
    }

    /// The body as `T` (a record type, [`SaveResult`](crate::sobjects::SaveResult), …).
    ///
    /// # Errors
    /// The JSON error when the body does not have `T`'s shape.
    pub fn body_as<T: DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_value(self.body.clone())
    }
}

impl Composite<'_> {
    /// Sends a composite request: `POST /composite`. Not resent once it may have reached
    /// Salesforce if any subrequest is a create (`POST`); otherwise retried like any
    /// idempotent call.
    ///
    /// The call succeeds when Salesforce accepted the request; each subrequest's outcome is in
    /// its [`SubResponse`].
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a request over the limits (see
    /// [`CompositeRequest::to_json`]); [`Error::Api`] when Salesforce refuses the whole
    /// request; as any call otherwise.
    pub async fn send(&self, request: &CompositeRequest) -> Result<CompositeResponse> {
        let body = request.to_json(self.client.api_version())?;
        let call = Call::new(Method::POST, Target::Data(DataPath::new().seg("composite")))
            .json(&body)?
            .idempotency(idempotency(request.subrequests.iter().map(|(_, s)| s)));
        self.client
            .send(op!("salesforce.composite"), call)
            .await?
            .json()
    }
}

#[cfg(test)]
mod tests {
    use super::super::reference;
    use super::*;

    #[test]
    fn composite_body_shape() {
        let request = CompositeRequest::new()
            .all_or_none(true)
            .add(
                "newAccount",
                Subrequest::create(
                    "Account",
                    &json!({"Name": "Acme", "attributes": {"type": "Account"}}),
                ),
            )
            .add(
                "acct",
                Subrequest::get("Account", &reference("newAccount", "id"), &["Name"]),
            )
            .add(
                "upd",
                Subrequest::update(
                    "Account",
                    &reference("newAccount", "id"),
                    &json!({"Phone": "1"}),
                )
                .header("Sforce-Auto-Assign", "false"),
            )
            .add(
                "q",
                Subrequest::query("SELECT Id FROM Account WHERE Name = 'Acme'"),
            );
        let body = request.to_json(ApiVersion::new(66)).unwrap();
        assert_eq!(
            body,
            json!({
                "allOrNone": true,
                "compositeRequest": [
                    {"method": "POST", "url": "/services/data/v66.0/sobjects/Account", "referenceId": "newAccount", "body": {"Name": "Acme"}},
                    {"method": "GET", "url": "/services/data/v66.0/sobjects/Account/@{newAccount.id}?fields=Name", "referenceId": "acct"},
                    {"method": "PATCH", "url": "/services/data/v66.0/sobjects/Account/@{newAccount.id}", "referenceId": "upd", "body": {"Phone": "1"}, "httpHeaders": {"Sforce-Auto-Assign": "false"}},
                    {"method": "GET", "url": "/services/data/v66.0/query/?q=SELECT%20Id%20FROM%20Account%20WHERE%20Name%20%3D%20%27Acme%27", "referenceId": "q"},
                ]
            })
        );
    }

    #[test]
    fn limits_are_checked() {
        let v = ApiVersion::new(66);
        assert!(CompositeRequest::new().to_json(v).is_err());
        let many = (0..26).fold(CompositeRequest::new(), |r, i| {
            r.add(format!("r{i}"), Subrequest::delete("Account", "001"))
        });
        assert!(many.to_json(v).is_err());
        let queries = (0..6).fold(CompositeRequest::new(), |r, i| {
            r.add(format!("q{i}"), Subrequest::query("SELECT Id FROM Account"))
        });
        assert!(queries.to_json(v).is_err());
        let twice = CompositeRequest::new()
            .add("a", Subrequest::delete("Account", "001"))
            .add("a", Subrequest::delete("Account", "002"));
        assert!(twice.to_json(v).is_err());
        let bad_ref = CompositeRequest::new().add("bad ref", Subrequest::delete("Account", "001"));
        assert!(bad_ref.to_json(v).is_err());
    }

    #[test]
    fn responses_expose_errors() {
        let response: CompositeResponse = serde_json::from_value(json!({"compositeResponse": [
            {"body": {"id": "001A", "success": true, "errors": []}, "httpHeaders": {"Location": "/x"}, "httpStatusCode": 201, "referenceId": "a"},
            {"body": [{"errorCode": "PROCESSING_HALTED", "message": "halted"}], "httpHeaders": {}, "httpStatusCode": 400, "referenceId": "b"},
        ]}))
        .unwrap();
        assert!(!response.is_success());
        assert_eq!(
            response.get("b").unwrap().errors()[0].error_code,
            "PROCESSING_HALTED"
        );
        let saved: crate::sobjects::SaveResult = response.get("a").unwrap().body_as().unwrap();
        assert_eq!(saved.id.as_deref(), Some("001A"));
    }
}
