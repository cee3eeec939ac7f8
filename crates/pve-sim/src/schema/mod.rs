//! Validation of requests against the official PVE API schema (the apidoc.js tree).
//!
//! The rules follow `../shared/pve-api/validate_requests.py` (the reference the test suite
//! checks recorded requests with): whatever it rejects is rejected here. Wording comes from
//! PVE's own `PVE::JSONSchema`, `PVE::RESTHandler` and `PVE::HTTPServer`, and so do the few
//! checks PVE makes beyond the reference: property strings (`net0=name=eth0,…`), the
//! `pve-vmid`, `pve-node`, `pve-storage-id` and `pve-configid` formats (and their `-list`
//! forms), placeholders without whitespace, no zero-padded indexes (`net01`). Not checked:
//! regex `pattern`s and other named formats (accepted, as the reference does).
//!
//! Typical use in the HTTP layer, in PVE's order:
//! 1. [`Schema::resolve`] — 501 `Method 'GET /x' not implemented` for unknown paths/methods;
//! 2. [`Resolved::check_api_token`] when the caller authenticated with an API token (403);
//! 3. [`Schema::check_params`] — 400 `Parameter verification failed.` with per-param messages.

mod formats;
mod model;
mod params;
mod propstring;
mod recorded;
mod tree;
mod value;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::api::{ApiError, Method};

pub use recorded::RecordedRequest;

use model::Endpoint;
use tree::PathTree;

/// The environment variable that overrides [`default_schema_path`].
pub const SCHEMA_ENV: &str = "PROXICLOUD_PVE_SCHEMA";

/// The official schema, compiled for fast lookups. Load once and share it behind an `Arc`.
#[derive(Debug)]
pub struct Schema {
    endpoints: Vec<Endpoint>,
    by_template: HashMap<String, usize>,
    tree: PathTree,
}

/// A concrete path matched against the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The schema template, e.g. `/nodes/{node}/lxc/{vmid}/config` (owned: the schema is
    /// loaded at run time, so no `&'static str` exists for it).
    pub template: String,
    /// Placeholder values, percent-decoded: `node -> pve1`, `vmid -> 101`.
    pub path_values: BTreeMap<String, String>,
    /// `info.allowtoken` of the matched method: false means PVE refuses API tokens there.
    pub allowtoken: bool,
    /// Index of the endpoint in the schema that resolved it (a fast path for `check_params`).
    endpoint: usize,
}

impl Resolved {
    /// PVE's answer when an API token calls a method with `allowtoken: 0` (403, checked by
    /// `PVE::HTTPServer` after resolving the path and before validating parameters).
    /// `rel_uri` is the request path relative to `/api2/json`, as PVE quotes it.
    pub fn check_api_token(&self, rel_uri: &str) -> Result<(), ApiError> {
        if self.allowtoken {
            return Ok(());
        }
        Err(ApiError::forbidden(format!(
            "Permission check failed (URI '{rel_uri}' not available with API token, need proper ticket.)"
        )))
    }
}

/// Why a schema file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("cannot read schema {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("schema is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("invalid schema: {0}")]
    Invalid(String),
}

impl Schema {
    /// Loads a plain JSON array or a raw `apidoc.js` (`const apiSchema = [ … ];` + viewer JS).
    pub fn load(path: &Path) -> Result<Schema, SchemaError> {
        let text = std::fs::read_to_string(path).map_err(|source| SchemaError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json_str(&text)
    }

    pub fn from_json_str(text: &str) -> Result<Schema, SchemaError> {
        let endpoints = model::parse_endpoints(text)?;
        let tree = PathTree::build(&endpoints);
        let by_template = endpoints
            .iter()
            .enumerate()
            .map(|(i, e)| (e.template.clone(), i))
            .collect();
        Ok(Schema {
            endpoints,
            by_template,
            tree,
        })
    }

    /// Matches `path` (relative to `/api2/json`, no query string) and `method`.
    /// Unknown path or method: 501 with PVE's message `Method 'GET /x' not implemented`.
    pub fn resolve(&self, method: Method, path: &str) -> Result<Resolved, ApiError> {
        let not_implemented = || {
            let shown = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
            ApiError::new(
                501,
                format!("Method '{} {shown}' not implemented", method.as_str()),
            )
        };
        let (index, values) = self.tree.lookup(path).ok_or_else(not_implemented)?;
        let endpoint = &self.endpoints[index];
        let info = endpoint.method(method).ok_or_else(not_implemented)?;
        Ok(Resolved {
            template: endpoint.template.clone(),
            path_values: values,
            allowtoken: info.allowtoken,
            endpoint: index,
        })
    }

    /// Checks merged query and body parameters the way `PVE::JSONSchema::validate` does.
    /// Form values arrive as JSON strings; JSON bodies keep their types.
    pub fn check_params(
        &self,
        method: Method,
        resolved: &Resolved,
        params: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), ApiError> {
        let endpoint = self.endpoint_of(resolved).ok_or_else(|| {
            ApiError::internal(format!("unknown schema template '{}'", resolved.template))
        })?;
        let info = endpoint.method(method).ok_or_else(|| {
            ApiError::new(
                501,
                format!(
                    "Method '{} {}' not implemented",
                    method.as_str(),
                    resolved.template
                ),
            )
        })?;
        params::check(&info.parameters, &resolved.path_values, params)
    }

    /// Every (method, template) pair the schema defines, sorted by template then method.
    pub fn endpoints(&self) -> Vec<(Method, String)> {
        let mut all: Vec<(Method, String)> = self
            .endpoints
            .iter()
            .flat_map(|e| e.methods().map(|m| (m, e.template.clone())))
            .collect();
        all.sort_by(|a, b| (&a.1, method_rank(a.0)).cmp(&(&b.1, method_rank(b.0))));
        all
    }

    /// The endpoint a `Resolved` came from; falls back to the template for one built by
    /// another `Schema` instance.
    fn endpoint_of(&self, resolved: &Resolved) -> Option<&Endpoint> {
        match self.endpoints.get(resolved.endpoint) {
            Some(e) if e.template == resolved.template => Some(e),
            _ => self
                .by_template
                .get(&resolved.template)
                .map(|&i| &self.endpoints[i]),
        }
    }
}

fn method_rank(method: Method) -> u8 {
    match method {
        Method::Get => 0,
        Method::Post => 1,
        Method::Put => 2,
        Method::Delete => 3,
    }
}

/// Where the official schema is: `$PROXICLOUD_PVE_SCHEMA` if set, else the first existing
/// `shared/pve-api/pve-api-schema.json` found by walking up from the current directory and
/// then from this crate's manifest directory (the checkout sits next to `shared/`).
pub fn default_schema_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(SCHEMA_ENV) {
        return Some(PathBuf::from(path));
    }
    let relative = Path::new("shared/pve-api/pve-api-schema.json");
    let starts = [
        std::env::current_dir().ok(),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
    ];
    starts
        .into_iter()
        .flatten()
        .flat_map(|start| {
            start
                .ancestors()
                .map(|dir| dir.join(relative))
                .collect::<Vec<_>>()
        })
        .find(|candidate| candidate.is_file())
}
