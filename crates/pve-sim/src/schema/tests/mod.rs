//! Checks against the official schema and the reference samples next to it.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value, json};

use crate::api::{ApiError, Method};
use crate::schema::{RecordedRequest, Resolved, Schema, default_schema_path};

mod params;
mod paths;
mod propstrings;

/// The official schema, loaded once for all tests. Fails (never skips) when it is missing.
fn schema() -> Arc<Schema> {
    static SCHEMA: OnceLock<Arc<Schema>> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let path = schema_path();
            Arc::new(
                Schema::load(&path)
                    .unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display())),
            )
        })
        .clone()
}

fn schema_path() -> PathBuf {
    default_schema_path().expect(
        "official PVE schema not found: set PROXICLOUD_PVE_SCHEMA or put \
         shared/pve-api/pve-api-schema.json next to the checkout",
    )
}

fn samples(name: &str) -> Vec<(usize, RecordedRequest)> {
    let path = schema_path().with_file_name(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let requests: Vec<_> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .map(|(i, line)| {
            let request = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{name}:{}: bad JSON: {e}", i + 1));
            (i + 1, request)
        })
        .collect();
    assert!(!requests.is_empty(), "{} has no requests", path.display());
    requests
}

fn params(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("params must be an object, got {other}"),
    }
}

/// Resolves and checks one request, as the simulator does for a ticket-authenticated call.
fn check(method: Method, path: &str, body: Value) -> Result<Resolved, ApiError> {
    let schema = schema();
    let resolved = schema.resolve(method, path)?;
    schema.check_params(method, &resolved, &params(body))?;
    Ok(resolved)
}

/// The per-param message of a 400, failing when the request passed or failed otherwise.
fn param_error(method: Method, path: &str, body: Value, param: &str) -> String {
    let err = check(method, path, body).expect_err("request must be rejected");
    assert_eq!(err.status, 400, "{err:?}");
    assert_eq!(err.message, "Parameter verification failed.");
    err.errors
        .get(param)
        .unwrap_or_else(|| panic!("no error for '{param}' in {:?}", err.errors))
        .clone()
}

#[test]
fn every_valid_sample_passes() {
    let schema = schema();
    for (line, request) in samples("samples.jsonl") {
        // validate_requests.py is run with --token in CI, so check that mode too.
        for api_token in [false, true] {
            if let Err(e) = schema.check_recorded(&request, api_token) {
                panic!("samples.jsonl:{line} {request:?} rejected: {e:?}");
            }
        }
    }
}

#[test]
fn every_invalid_sample_fails() {
    let schema = schema();
    for (line, request) in samples("samples-invalid.jsonl") {
        // The last sample is only invalid for API tokens (POST /access/ticket).
        let result = schema.check_recorded(&request, true);
        assert!(
            result.is_err(),
            "samples-invalid.jsonl:{line} {request:?} passed"
        );
    }
}

#[test]
fn schema_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync + 'static>(_: &T) {}
    shareable(&schema());
}

#[test]
fn recorded_request_serialises_as_one_validator_line() {
    let request = RecordedRequest {
        method: Method::Post,
        path: "/nodes/pve1/lxc".into(),
        params: params(json!({"vmid": "200"})),
    };
    assert_eq!(
        serde_json::to_string(&request).unwrap(),
        r#"{"method":"POST","path":"/nodes/pve1/lxc","params":{"vmid":"200"}}"#
    );
    let back: RecordedRequest =
        serde_json::from_str(&serde_json::to_string(&request).unwrap()).expect("round trip");
    assert_eq!(back, request);
}

#[test]
fn loads_raw_apidoc_js_and_lists_endpoints() {
    let js = r#"const apiSchema = [{"path": "/version", "info": {"GET": {"allowtoken": 1}}}];
        let x = [1, 2]; Ext.onReady(function() {});"#;
    let tiny = Schema::from_json_str(js).expect("apidoc.js");
    assert_eq!(
        tiny.endpoints(),
        vec![(Method::Get, "/version".to_string())]
    );

    let official = schema().endpoints();
    assert_eq!(
        official.len(),
        646,
        "SOURCE.md counts 646 method+path pairs"
    );
    assert!(official.contains(&(Method::Post, "/nodes/{node}/lxc".to_string())));
}

#[test]
fn query_strings_in_recorded_paths_are_params() {
    let request = |path: &str| RecordedRequest {
        method: Method::Get,
        path: path.into(),
        params: Map::new(),
    };
    let schema = schema();
    schema
        .check_recorded(&request("/api2/json/cluster/resources?type=vm"), false)
        .expect("valid query");
    let err = schema
        .check_recorded(&request("/cluster/resources?type=container"), false)
        .expect_err("bad enum in query");
    assert!(err.errors.contains_key("type"), "{err:?}");
}
