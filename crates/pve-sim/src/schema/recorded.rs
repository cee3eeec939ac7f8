//! Recorded requests in the reference validator's input format, and checking them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Resolved, Schema};
use crate::api::{ApiError, Method};

/// One request as the simulator records it: exactly one line of `validate_requests.py`
/// input, e.g. `{"method":"POST","path":"/nodes/pve1/lxc","params":{"vmid":"200"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: Method,
    /// Relative to `/api2/json`; may carry a `?query`, merged into `params` when checked.
    pub path: String,
    #[serde(default)]
    pub params: Map<String, Value>,
}

impl Schema {
    /// Checks a recorded request the way `validate_requests.py` does (with `--token` when
    /// `api_token`): a leading `/api2/json` is stripped and a query string merged into the
    /// params (body params win; repeated query keys become arrays).
    pub fn check_recorded(
        &self,
        request: &RecordedRequest,
        api_token: bool,
    ) -> Result<Resolved, ApiError> {
        let (path, query) = split_query(&request.path);
        let path = strip_api_prefix(path);
        let resolved = self.resolve(request.method, path)?;
        let mut params = query_params(query);
        params.extend(request.params.clone());
        if api_token {
            resolved.check_api_token(path)?;
        }
        self.check_params(request.method, &resolved, &params)?;
        Ok(resolved)
    }
}

fn split_query(path: &str) -> (&str, &str) {
    let path = path.split_once('#').map_or(path, |(before, _)| before);
    path.split_once('?').unwrap_or((path, ""))
}

fn strip_api_prefix(path: &str) -> &str {
    for prefix in ["/api2/json", "/api2/extjs"] {
        if let Some(rest) = path.strip_prefix(prefix)
            && (rest.is_empty() || rest.starts_with('/'))
        {
            return rest;
        }
    }
    path
}

/// Form-decodes a query string; a repeated key becomes an array (PVE array params).
fn query_params(query: &str) -> Map<String, Value> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    let mut params = Map::new();
    for (key, value) in pairs {
        match params.get_mut(&key) {
            Some(Value::Array(values)) => values.push(Value::String(value)),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(value)]);
            }
            None => {
                params.insert(key, Value::String(value));
            }
        }
    }
    params
}
