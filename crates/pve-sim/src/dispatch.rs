//! The `/api2/json` pipeline, in pveproxy's order: parse parameters, authenticate,
//! resolve the path against the official schema, refuse API tokens where PVE does,
//! validate parameters, proxy to the node (offline → error), run the handler. Every
//! request is recorded with whether it got as far as its handler.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use axum::body::Bytes;
use axum::http::{HeaderMap, Uri};
use serde_json::{Map, Value};

use crate::Sim;
use crate::api::{ApiError, Handler, Method, Req};
use crate::auth::{self, Principal};
use crate::record::RecordEntry;
use crate::schema::RecordedRequest;
use crate::upload;
use crate::wire::{self, Reply};

/// PVE's API prefix for the JSON format.
pub const API_PREFIX: &str = "/api2/json";

type RouteTable = HashMap<(Method, &'static str), Handler>;

/// Every implemented endpoint: the handler modules' tables plus the login endpoint.
fn route_table() -> &'static RouteTable {
    static TABLE: OnceLock<RouteTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = crate::handlers::route_table();
        // The ticket endpoint belongs with authentication; it wins over any duplicate.
        table.extend(
            auth::routes()
                .into_iter()
                .map(|r| ((r.method, r.template), r.handler)),
        );
        table
    })
}

/// One request as the HTTP layer hands it over.
pub struct Incoming<'a> {
    pub method: &'a str,
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    pub body: Bytes,
}

/// Handles one `/api2/json` request (latency and outages are applied by the caller).
pub fn handle(sim: &Sim, incoming: Incoming<'_>) -> Reply {
    let mut upload = None;
    let reply = handle_request(sim, incoming, &mut upload);
    // An uploaded file the upload handler did not take (the request was refused before
    // it: auth, schema, routing, an injected fault) is dropped: pveproxy unlinks its
    // temporary file whatever the request's outcome (`cleanup_reqstate`,
    // proxmox/pve-http-server src/PVE/APIServer/AnyEvent.pm).
    if let Some(tmpfilename) = upload {
        sim.uploads.take(&tmpfilename);
    }
    reply
}

/// [`handle`], noting in `upload` the name of an uploaded file it stored.
fn handle_request(sim: &Sim, incoming: Incoming<'_>, upload: &mut Option<String>) -> Reply {
    let raw_path = incoming.uri.path();
    let rel_path = raw_path.strip_prefix(API_PREFIX).unwrap_or(raw_path);
    let rel_path = if rel_path.is_empty() { "/" } else { rel_path };

    let Some(method) = Method::parse(incoming.method) else {
        // pveproxy refuses other methods before looking at the path.
        return Reply::bare(501, format!("method '{}' not available", incoming.method));
    };
    let mut trace = Trace::new(sim, method, rel_path);

    let has_body_method = matches!(method, Method::Post | Method::Put);
    if !has_body_method && !incoming.body.is_empty() {
        let message = format!("Unexpected content for method '{}'", method.as_str());
        return trace.finish(Reply::Bare {
            status: 501,
            reason: message.clone(),
            body: message,
        });
    }
    let content_type = incoming
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok());
    let params = match read_params(sim, method, rel_path, content_type, &incoming, upload) {
        Ok(params) => params,
        Err(reply) => return trace.finish(reply),
    };
    // The trace owns the parameters; the handler borrows them for its call and hands them
    // back, so recording a request costs no copy of its body.
    trace.params = params;

    if let Some(error) = sim.faults.take_injected_error() {
        return trace.finish(Reply::Api(error));
    }

    let principal = match auth::authenticate(sim, method, rel_path, incoming.headers) {
        Ok(principal) => principal,
        Err(failure) => return trace.finish(Reply::bare(failure.status, failure.reason)),
    };
    trace.token = principal.as_ref().is_some_and(|p| p.via_token);

    match prepare(sim, method, rel_path, principal, &trace.params) {
        Ok((handler, mut req)) => {
            trace.template = Some(req.template.clone());
            trace.accepted = true;
            req.params = std::mem::take(&mut trace.params);
            let reply = match handler {
                Some(handler) => match handler.call(sim, &req) {
                    Ok(answer) => Reply::Data(answer),
                    Err(error) => Reply::Api(error),
                },
                None => Reply::Api(ApiError::not_implemented(method, &req.template)),
            };
            trace.params = req.params;
            trace.finish(reply)
        }
        Err((template, reply)) => {
            trace.template = template;
            trace.finish(reply)
        }
    }
}

/// The request's parameters: an upload's form fields (its file kept in `sim.uploads`,
/// named by `tmpfilename`), otherwise the body and query string as `extract_params`
/// reads them. pveproxy only reads urlencoded and JSON bodies outside uploads (506).
fn read_params(
    sim: &Sim,
    method: Method,
    rel_path: &str,
    content_type: Option<&str>,
    incoming: &Incoming<'_>,
    stored: &mut Option<String>,
) -> Result<Map<String, Value>, Reply> {
    let has_body_method = matches!(method, Method::Post | Method::Put);
    let (media, boundary) = content_type
        .map(upload::content_type_and_boundary)
        .unwrap_or_default();
    if upload::is_upload_path(method.as_str(), rel_path) && !incoming.body.is_empty() {
        let refused = |message: String| Reply::Bare {
            status: 501,
            reason: message.clone(),
            body: message,
        };
        let boundary = boundary
            .filter(|_| media == "multipart/form-data")
            .ok_or_else(|| {
                refused(format!(
                    "upload 'Content-Type '{}' not implemented",
                    content_type.unwrap_or_default()
                ))
            })?;
        let upload = upload::parse(&incoming.body, &boundary, incoming.uri.query())
            .map_err(|e| Reply::Api(ApiError::internal(e)))?;
        let mut params = upload.params;
        let tmpfilename = sim.uploads.store(upload.file);
        *stored = Some(tmpfilename.clone());
        params.insert("tmpfilename".into(), Value::String(tmpfilename));
        return Ok(params);
    }
    if has_body_method
        && !incoming.body.is_empty()
        && !matches!(
            media.as_str(),
            "" | "application/x-www-form-urlencoded" | "application/json"
        )
    {
        let message = format!(
            "upload 'Content-Type '{}' not implemented",
            content_type.unwrap_or_default()
        );
        return Err(Reply::Bare {
            status: 506,
            reason: message.clone(),
            body: message,
        });
    }
    wire::extract_params(
        has_body_method,
        content_type,
        &incoming.body,
        incoming.uri.query(),
    )
}

/// Resolve, validate and route a request; the returned request's `params` are left empty
/// for the caller to move in. On error, also returns the template when the path was
/// resolved (for statistics).
fn prepare(
    sim: &Sim,
    method: Method,
    rel_path: &str,
    principal: Option<Principal>,
    params: &Map<String, Value>,
) -> Result<(Option<Handler>, Req), (Option<String>, Reply)> {
    let via_token = principal.as_ref().is_some_and(|p| p.via_token);
    let (template, mut path_values) = match &sim.schema {
        Some(schema) => {
            let resolved = schema
                .resolve(method, rel_path)
                .map_err(|e| (None, Reply::Api(e)))?;
            let fail = |e: ApiError| (Some(resolved.template.clone()), Reply::Api(e));
            if via_token {
                let shown = percent_encoding::percent_decode_str(rel_path).decode_utf8_lossy();
                resolved.check_api_token(&shown).map_err(fail)?;
            }
            schema
                .check_params(method, &resolved, params)
                .map_err(fail)?;
            (resolved.template, resolved.path_values)
        }
        None => resolve_without_schema(method, rel_path).map_err(|e| (None, Reply::Api(e)))?,
    };

    crate::versions::check(&sim.config.pve_version, method, &template, params)
        .map_err(|e| (Some(template.clone()), Reply::Api(e)))?;
    if let Some(node) = path_values.get_mut("node") {
        check_node(sim, node).map_err(|reply| (Some(template.clone()), reply))?;
    }

    let handler = route_table().get(&(method, template.as_str())).copied();
    let req = Req {
        method,
        template,
        path: path_values,
        params: Map::new(),
        user: principal.map(|p| p.user).unwrap_or_default(),
    };
    Ok((handler, req))
}

/// Without a schema, the implemented routes are the only known paths.
fn resolve_without_schema(
    method: Method,
    rel_path: &str,
) -> Result<(String, BTreeMap<String, String>), ApiError> {
    // Most literal segments wins, as in the schema's own matcher.
    route_table()
        .keys()
        .filter(|(m, _)| *m == method)
        .filter_map(|(_, template)| {
            match_template(template, rel_path).map(|values| (template.to_string(), values))
        })
        .max_by_key(|(template, values)| {
            (
                template.matches('/').count() - values.len(),
                template.clone(),
            )
        })
        .ok_or_else(|| {
            let shown = percent_encoding::percent_decode_str(rel_path).decode_utf8_lossy();
            ApiError::new(
                501,
                format!("Method '{} {shown}' not implemented", method.as_str()),
            )
        })
}

/// Segment-wise template matching; a trailing `{volume}` takes the rest of the path, as
/// PVE mounts storage content with an empty fragment delimiter.
fn match_template(template: &str, path: &str) -> Option<BTreeMap<String, String>> {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let mut segments: Vec<&str> = decoded.split('/').filter(|s| !s.is_empty()).collect();
    let parts: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    let joined;
    if parts.last() == Some(&"{volume}") && segments.len() > parts.len() {
        joined = segments[parts.len() - 1..].join("/");
        segments.truncate(parts.len() - 1);
        segments.push(&joined);
    }
    if segments.len() != parts.len() {
        return None;
    }
    let mut values = BTreeMap::new();
    for (part, segment) in parts.iter().zip(&segments) {
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => {
                values.insert(name.to_string(), segment.to_string());
            }
            None if part == segment => {}
            None => return None,
        }
    }
    Some(values)
}

/// Node-scoped calls are proxied to their node in PVE: `localhost` means the node the
/// client talks to, an unknown name fails the address lookup, an offline node fails the
/// connection (AnyEvent::HTTP's 595, with an empty body).
fn check_node(sim: &Sim, node: &mut String) -> Result<(), Reply> {
    let cluster = sim.cluster.lock();
    if node == "localhost"
        && let Some(local) = cluster.local_node_name()
    {
        *node = local;
    }
    match cluster.nodes.get(node.as_str()) {
        None => Err(Reply::Api(ApiError::internal(format!(
            "hostname lookup '{node}' failed - failed to get address info for: {node}: \
             Name or service not known"
        )))),
        Some(n) if !n.online => Err(Reply::bare(
            595,
            "Errors during connection establishment, proxy handshake: No route to host",
        )),
        Some(_) => Ok(()),
    }
}

/// Collects what gets recorded about a request and records it once answered.
struct Trace<'a> {
    sim: &'a Sim,
    method: Method,
    path: String,
    params: Map<String, Value>,
    template: Option<String>,
    accepted: bool,
    token: bool,
}

impl<'a> Trace<'a> {
    fn new(sim: &'a Sim, method: Method, rel_path: &str) -> Self {
        Self {
            sim,
            method,
            path: rel_path.to_string(),
            params: Map::new(),
            template: None,
            accepted: false,
            token: false,
        }
    }

    fn finish(self, reply: Reply) -> Reply {
        let stats_key = format!(
            "{} {}",
            self.method.as_str(),
            self.template.as_deref().unwrap_or("(unresolved)")
        );
        let entry = RecordEntry {
            request: RecordedRequest {
                method: self.method,
                path: self.path,
                params: self.params,
            },
            accepted: self.accepted,
            status: reply.status(),
            token: self.token,
        };
        self.sim.recorder.record(entry, stats_key);
        reply
    }
}

/// Builds the route table now rather than on the first request.
pub fn warm_up() {
    route_table();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_segments_and_greedy_volumes() {
        let values = match_template(
            "/nodes/{node}/storage/{storage}/content/{volume}",
            "/nodes/pve1/storage/local/content/local%3Avztmpl%2Fdebian.tar.zst",
        )
        .unwrap();
        assert_eq!(values["volume"], "local:vztmpl/debian.tar.zst");
        let values = match_template(
            "/nodes/{node}/storage/{storage}/content/{volume}",
            "/nodes/pve1/storage/local/content/local:vztmpl/debian.tar.zst",
        )
        .unwrap();
        assert_eq!(values["volume"], "local:vztmpl/debian.tar.zst");
        assert!(match_template("/nodes/{node}/status", "/nodes/pve1/tasks").is_none());
        assert_eq!(
            match_template("/cluster/resources", "/cluster/resources").unwrap(),
            BTreeMap::new()
        );
    }
}
