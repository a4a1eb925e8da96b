//! API versions: the [`ApiVersion`] a client speaks, and discovery through
//! `GET /services/data/` (reference §2.1).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{Call, DataPath, Reply, Target, op};

/// A REST API version such as `66.0` (Spring '26). Salesforce versions are whole numbers
/// written with `.0`; this type accepts `66`, `66.0` and `v66.0`.
///
/// ```
/// use salesforce_client::ApiVersion;
///
/// let v: ApiVersion = "v66.0".parse().unwrap();
/// assert_eq!(v.to_string(), "66.0");
/// assert_eq!(v.path_segment(), "v66.0");
/// assert!("66.5".parse::<ApiVersion>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion(u16);

impl ApiVersion {
    /// The version used unless configured or discovered: 66.0 (Spring '26).
    pub const DEFAULT: ApiVersion = ApiVersion(66);

    /// Version `major.0`.
    pub const fn new(major: u16) -> Self {
        ApiVersion(major)
    }

    /// The major number: 66 for `66.0`.
    pub const fn major(self) -> u16 {
        self.0
    }

    /// The URL path segment: `v66.0`.
    pub fn path_segment(self) -> String {
        format!("v{}.0", self.0)
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.0", self.0)
    }
}

impl FromStr for ApiVersion {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let bare = text.trim().trim_start_matches(['v', 'V']);
        let major = bare.strip_suffix(".0").unwrap_or(bare);
        major
            .parse::<u16>()
            .ok()
            .filter(|m| *m > 0 && major.bytes().all(|b| b.is_ascii_digit()))
            .map(ApiVersion)
            .ok_or_else(|| {
                Error::config(format!(
                    "API version {text:?} is not of the form 66.0 (or v66.0)"
                ))
            })
    }
}

impl Serialize for ApiVersion {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ApiVersion {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// One entry of `GET /services/data/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    /// The release name: `Spring '26`.
    pub label: String,
    /// The version's base path: `/services/data/v66.0`.
    pub url: String,
    /// The version.
    pub version: ApiVersion,
}

impl Client {
    /// The API versions the org supports, oldest first (`GET /services/data/`; does not count
    /// against limits).
    ///
    /// # Errors
    /// As any call: see [`Error`].
    pub async fn versions(&self) -> Result<Vec<VersionInfo>> {
        self.versions_reply().await?.json()
    }

    async fn versions_reply(&self) -> Result<Reply> {
        let call = Call::new(reqwest::Method::GET, Target::Link("/services/data/".into()));
        self.send(op!("salesforce.versions"), call).await
    }

    /// The newest version the org supports. Use it with
    /// [`with_api_version`](Client::with_api_version):
    ///
    /// ```no_run
    /// # async fn run(client: salesforce_client::Client) -> salesforce_client::Result<()> {
    /// let client = client.with_api_version(client.latest_version().await?);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`versions`](Self::versions); [`Error::UnexpectedResponse`] if the list is empty.
    pub async fn latest_version(&self) -> Result<ApiVersion> {
        let reply = self.versions_reply().await?;
        let versions: Vec<VersionInfo> = reply.json()?;
        match versions.iter().map(|v| v.version).max() {
            Some(latest) => Ok(latest),
            None => Err(reply.into_error()),
        }
    }

    /// The resources of this client's API version (`GET /services/data/vNN.0/`): name → path
    /// (`sobjects`, `query`, `composite`, `limits`, …).
    ///
    /// # Errors
    /// As any call: see [`Error`].
    pub async fn resources(&self) -> Result<BTreeMap<String, String>> {
        let call = Call::get(DataPath::new());
        self.send(op!("salesforce.resources"), call).await?.json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        for ok in ["66.0", "v66.0", "66", " V62.0 "] {
            assert!(ok.parse::<ApiVersion>().is_ok(), "{ok}");
        }
        for bad in ["", "v", "66.1", "sixty", "0", "-1", "+66"] {
            assert!(bad.parse::<ApiVersion>().is_err(), "{bad}");
        }
        let list: Vec<VersionInfo> = serde_json::from_str(
            r#"[{"label":"Winter '26","url":"/services/data/v65.0","version":"65.0"},{"label":"Spring '26","url":"/services/data/v66.0","version":"66.0"}]"#,
        )
        .unwrap();
        assert_eq!(
            list.iter().map(|v| v.version).max(),
            Some(ApiVersion::new(66))
        );
    }
}
