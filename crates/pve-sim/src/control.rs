//! Simulator-only endpoints under `/sim/…`: fault injection, the request log and
//! statistics. They need no PVE authentication (the simulator is a test tool) and answer
//! `{"data": …}`. Parameters go in the query string or a form body.
//!
//! | Endpoint | Effect |
//! |---|---|
//! | `GET /sim/faults` | what is injected right now |
//! | `POST /sim/nodes/{node}/offline` / `online` | node unreachable: its guests and storages report `unknown` in `/cluster/resources`, calls to `/nodes/{node}/…` fail with 595 |
//! | `POST /sim/api/down` / `up` | `/api2` connections are closed without a response |
//! | `POST /sim/api/errors?status=500&count=N&message=…` | the next N (or, without `count`, all) `/api2` requests fail; `DELETE` clears |
//! | `POST /sim/api/latency?ms=N` | every `/api2` request waits N ms first |
//! | `POST /sim/tasks/fail-next?count=N` | the next N tasks to finish fail |
//! | `POST /sim/guests/{vmid}/lock?lock=backup` | guest stuck locked; `DELETE` unlocks |
//! | `POST /sim/version?version=9.0.12` | `/version` reports that release |
//! | `POST /sim/reset` | clears every fault above (the cluster's guests stay as they are) |
//! | `GET /sim/requests?accepted=1&format=jsonl` | recorded requests; `DELETE` forgets them |
//! | `GET /sim/stats` | request counts per `METHOD template`, cluster size, running tasks |
//! | `POST /sim/save` | write `--state` now |

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::Sim;
use crate::faults::ErrorInjection;

pub fn router() -> Router<Sim> {
    Router::new()
        .route("/faults", get(faults))
        .route("/nodes/{node}/{state}", post(node_state))
        .route("/api/{state}", post(api_state))
        .route("/api/errors", post(inject_errors).delete(clear_errors))
        .route("/api/latency", post(latency))
        .route("/version", post(set_version))
        .route("/tasks/fail-next", post(fail_next_tasks))
        .route("/guests/{vmid}/lock", post(lock_guest).delete(unlock_guest))
        .route("/reset", post(reset))
        .route("/requests", get(requests).delete(clear_requests))
        .route("/stats", get(stats))
        .route("/save", post(save))
}

/// Query string and form body merged (the body wins).
fn params(query: Option<String>, body: &Bytes) -> HashMap<String, String> {
    let mut params: HashMap<String, String> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
    let from_body: HashMap<String, String> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    params.extend(from_body);
    params
}

/// An optional numeric parameter; the error is the message for a 400.
fn number<T: std::str::FromStr>(
    params: &HashMap<String, String>,
    name: &str,
) -> Result<Option<T>, String> {
    params
        .get(name)
        .map(|v| v.parse().map_err(|_| format!("'{name}' must be a number")))
        .transpose()
}

fn ok(data: Value) -> Response {
    axum::Json(json!({ "data": data })).into_response()
}

fn bad_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({ "data": null, "message": message })),
    )
        .into_response()
}

fn not_found(message: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({ "data": null, "message": message })),
    )
        .into_response()
}

async fn faults(State(sim): State<Sim>) -> Response {
    let offline: Vec<String> = {
        let cluster = sim.cluster.lock();
        cluster
            .nodes
            .values()
            .filter(|n| !n.online)
            .map(|n| n.name.clone())
            .collect()
    };
    let state = sim.faults.snapshot();
    let fail_next_tasks = sim.cluster.lock().fail_next_tasks;
    ok(json!({
        "api_down": state.api_down,
        "latency_ms": state.latency_ms,
        "errors": state.errors,
        "locked_guests": state.locked_guests,
        "version": state.version,
        "offline_nodes": offline,
        "fail_next_tasks": fail_next_tasks,
    }))
}

async fn node_state(
    State(sim): State<Sim>,
    Path((node, state)): Path<(String, String)>,
) -> Response {
    let online = match state.as_str() {
        "online" => true,
        "offline" => false,
        _ => return not_found("use /sim/nodes/{node}/offline or /online"),
    };
    let mut cluster = sim.cluster.lock();
    match cluster.nodes.get_mut(&node) {
        Some(n) => {
            n.online = online;
            ok(json!({ "node": node, "online": online }))
        }
        None => not_found(&format!("no node '{node}'")),
    }
}

async fn api_state(State(sim): State<Sim>, Path(state): Path<String>) -> Response {
    let down = match state.as_str() {
        "down" => true,
        "up" => false,
        _ => return not_found("use /sim/api/down or /sim/api/up"),
    };
    sim.faults.update(|s| s.api_down = down);
    ok(json!({ "api_down": down }))
}

async fn inject_errors(State(sim): State<Sim>, RawQuery(query): RawQuery, body: Bytes) -> Response {
    let params = params(query, &body);
    let status = match number::<u16>(&params, "status") {
        Ok(status) => status.unwrap_or(500),
        Err(message) => return bad_request(&message),
    };
    if !(400..=599).contains(&status) {
        return bad_request("'status' must be an HTTP error status (400-599)");
    }
    let remaining = match number::<u32>(&params, "count") {
        Ok(count) => count,
        Err(message) => return bad_request(&message),
    };
    let message = params
        .get("message")
        .cloned()
        .unwrap_or_else(|| "simulated server error (injected by /sim/api/errors)".to_string());
    let injection = ErrorInjection {
        status,
        message,
        remaining,
    };
    sim.faults.update(|s| s.errors = Some(injection.clone()));
    ok(serde_json::to_value(injection).unwrap_or_default())
}

async fn clear_errors(State(sim): State<Sim>) -> Response {
    sim.faults.update(|s| s.errors = None);
    ok(Value::Null)
}

async fn latency(State(sim): State<Sim>, RawQuery(query): RawQuery, body: Bytes) -> Response {
    match number::<u64>(&params(query, &body), "ms") {
        Ok(Some(ms)) => {
            sim.faults.update(|s| s.latency_ms = ms);
            ok(json!({ "latency_ms": ms }))
        }
        Ok(None) => bad_request("'ms' is required"),
        Err(message) => bad_request(&message),
    }
}

async fn set_version(State(sim): State<Sim>, RawQuery(query): RawQuery, body: Bytes) -> Response {
    match params(query, &body).remove("version") {
        Some(version) if !version.is_empty() => {
            sim.faults.update(|s| s.version = Some(version.clone()));
            ok(json!({ "version": version }))
        }
        _ => bad_request("'version' is required"),
    }
}

async fn fail_next_tasks(
    State(sim): State<Sim>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    match number::<u32>(&params(query, &body), "count") {
        Ok(count) => {
            let count = count.unwrap_or(1);
            sim.cluster.lock().fail_next_tasks = count;
            ok(json!({ "fail_next_tasks": count }))
        }
        Err(message) => bad_request(&message),
    }
}

async fn lock_guest(
    State(sim): State<Sim>,
    Path(vmid): Path<u32>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let lock = params(query, &body)
        .remove("lock")
        .unwrap_or_else(|| "backup".to_string());
    let mut cluster = sim.cluster.lock();
    let Some(guest) = cluster.guests.get_mut(&vmid) else {
        return not_found(&format!("no guest {vmid}"));
    };
    guest.config.insert("lock".to_string(), lock.clone());
    sim.faults.update(|s| {
        s.locked_guests.insert(vmid);
    });
    ok(json!({ "vmid": vmid, "lock": lock }))
}

async fn unlock_guest(State(sim): State<Sim>, Path(vmid): Path<u32>) -> Response {
    let mut cluster = sim.cluster.lock();
    let Some(guest) = cluster.guests.get_mut(&vmid) else {
        return not_found(&format!("no guest {vmid}"));
    };
    guest.config.remove("lock");
    sim.faults.update(|s| {
        s.locked_guests.remove(&vmid);
    });
    ok(json!({ "vmid": vmid }))
}

async fn reset(State(sim): State<Sim>) -> Response {
    let injected = sim.faults.reset();
    let mut cluster = sim.cluster.lock();
    cluster.fail_next_tasks = 0;
    for node in cluster.nodes.values_mut() {
        node.online = true;
    }
    for vmid in injected.locked_guests {
        if let Some(guest) = cluster.guests.get_mut(&vmid) {
            guest.config.remove("lock");
        }
    }
    ok(Value::Null)
}

async fn requests(State(sim): State<Sim>, RawQuery(query): RawQuery) -> Response {
    let params = params(query, &Bytes::new());
    let only_accepted = params.get("accepted").is_some_and(|v| v == "1");
    let entries = sim
        .recorder
        .entries()
        .into_iter()
        .filter(|e| !only_accepted || e.accepted);
    if params.get("format").is_some_and(|f| f == "jsonl") {
        // Exactly validate_requests.py's input: one request object per line.
        let lines: String = entries
            .map(|e| serde_json::to_string(&e.request).unwrap_or_default() + "\n")
            .collect();
        return ([("content-type", "application/x-ndjson")], lines).into_response();
    }
    ok(serde_json::to_value(entries.collect::<Vec<_>>()).unwrap_or_default())
}

async fn clear_requests(State(sim): State<Sim>) -> Response {
    sim.recorder.clear();
    ok(Value::Null)
}

async fn stats(State(sim): State<Sim>) -> Response {
    let counts = sim.recorder.counts();
    let total: u64 = counts.values().sum();
    let cluster = sim.cluster.lock();
    ok(json!({
        "requests": counts,
        "total_requests": total,
        "nodes": cluster.nodes.len(),
        "guests": cluster.guests.len(),
        "tasks_running": cluster.tasks.iter().filter(|t| t.is_running()).count(),
    }))
}

async fn save(State(sim): State<Sim>) -> Response {
    let Some(path) = sim.config.state_file.clone() else {
        return bad_request("the simulator runs without --state");
    };
    match tokio::task::spawn_blocking(move || crate::persist::save(&sim, &path)).await {
        Ok(Ok(())) => ok(Value::Null),
        Ok(Err(e)) => bad_request(&format!("{e:#}")),
        Err(e) => bad_request(&e.to_string()),
    }
}
