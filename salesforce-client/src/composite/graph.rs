//! `POST /composite/graph`: independent graphs of subrequests, each all-or-nothing.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::composite::{CompositeResponse, subrequests_json};
use super::{Composite, Subrequest, idempotency};
use crate::error::{Error, Result};
use crate::http::{Call, DataPath, Target, op};
use crate::versions::ApiVersion;

/// One graph: subrequests with reference ids, committed together or not at all.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct Graph {
    graph_id: String,
    subrequests: Vec<(String, Subrequest)>,
}

impl Graph {
    /// An empty graph called `graph_id`.
    pub fn new(graph_id: impl Into<String>) -> Self {
        Graph {
            graph_id: graph_id.into(),
            subrequests: Vec::new(),
        }
    }

    /// Adds a subrequest (a node) under `reference_id`.
    pub fn add(mut self, reference_id: impl Into<String>, subrequest: Subrequest) -> Self {
        self.subrequests.push((reference_id.into(), subrequest));
        self
    }
}

/// A composite graph request (API v50.0+): up to 75 graphs and 500 nodes in all. Only sObject
/// operations (create, read, update, upsert, delete) may be nodes.
///
/// ```
/// use salesforce_client::ApiVersion;
/// use salesforce_client::composite::{Graph, GraphRequest, Subrequest, reference};
/// use serde_json::json;
///
/// let request = GraphRequest::new().graph(
///     Graph::new("order-1")
///         .add("acct", Subrequest::upsert("Account", "ExternalId__c", "C-1", &json!({"Name": "Acme"})))
///         .add("pay", Subrequest::create("Payment__c", &json!({"Account__c": reference("acct", "id")}))),
/// );
/// let body = request.to_json(ApiVersion::new(66))?;
/// assert_eq!(body["graphs"][0]["graphId"], "order-1");
/// # Ok::<(), salesforce_client::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct GraphRequest {
    graphs: Vec<Graph>,
}

impl GraphRequest {
    /// Most graphs in one request.
    pub const MAX_GRAPHS: usize = 75;
    /// Most nodes in one request (and in one graph).
    pub const MAX_NODES: usize = 500;

    /// An empty request.
    pub fn new() -> Self {
        GraphRequest::default()
    }

    /// Adds a graph.
    pub fn graph(mut self, graph: Graph) -> Self {
        self.graphs.push(graph);
        self
    }

    /// The request body for API `version`, after checking the limits.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for no graphs, more than 75, more than 500 nodes, an empty
    /// graph, or an invalid subrequest or reference id.
    pub fn to_json(&self, version: ApiVersion) -> Result<Value> {
        let nodes: usize = self.graphs.iter().map(|g| g.subrequests.len()).sum();
        if self.graphs.is_empty() || self.graphs.len() > Self::MAX_GRAPHS {
            return Err(Error::invalid(
                "graph request",
                format!("has {} graphs; 1 to 75 are allowed", self.graphs.len()),
            ));
        }
        if nodes > Self::MAX_NODES || self.graphs.iter().any(|g| g.subrequests.is_empty()) {
            return Err(Error::invalid(
                "graph request",
                format!("has {nodes} nodes; every graph needs one and at most 500 are allowed"),
            ));
        }
        let graphs = self
            .graphs
            .iter()
            .map(|g| {
                Ok(json!({
                    "graphId": g.graph_id,
                    "compositeRequest": subrequests_json(&g.subrequests, version)?,
                }))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(json!({ "graphs": graphs }))
    }
}

/// The answer of a graph request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphResponse {
    /// One result per graph.
    pub graphs: Vec<GraphResult>,
}

/// The result of one graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphResult {
    /// The graph's id.
    pub graph_id: String,
    /// Its subrequests' results.
    pub graph_response: CompositeResponse,
    /// Whether it was committed.
    pub is_successful: bool,
}

impl Composite<'_> {
    /// Sends a graph request: `POST /composite/graph`. Not resent once it may have reached
    /// Salesforce if any node is a create.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a request over the limits; as any call otherwise.
    pub async fn graph(&self, request: &GraphRequest) -> Result<GraphResponse> {
        let body = request.to_json(self.client.api_version())?;
        let nodes = request
            .graphs
            .iter()
            .flat_map(|g| g.subrequests.iter().map(|(_, s)| s));
        let path = DataPath::new().seg("composite").seg("graph");
        let call = Call::new(Method::POST, Target::Data(path))
            .json(&body)?
            .idempotency(idempotency(nodes));
        self.client
            .send(op!("salesforce.composite_graph"), call)
            .await?
            .json()
    }
}
