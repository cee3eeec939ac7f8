//! Instances: someone else's instance does not exist for you; writes are queued as
//! jobs (202), never by readonly callers.

use serde_json::{Value, json};

use super::common::*;

fn no_owner(_: &Cell) -> Option<Value> {
    Some(json!({ "owner_id": null }))
}

/// Passes authorization; fails validation (no template), so nothing is created.
fn incomplete_instance(_: &Cell) -> Option<Value> {
    Some(json!({ "type": "lxc" }))
}

/// A change Proxmox must make: the matrix's cluster cannot be reached (503).
fn retag(_: &Cell) -> Option<Value> {
    Some(json!({ "tags": ["matrix"] }))
}

fn one_core(_: &Cell) -> Option<Value> {
    Some(json!({ "cores": 1 }))
}

/// No secrets: nothing to ask Proxmox before queuing.
fn no_secrets(_: &Cell) -> Option<Value> {
    Some(json!({ "secrets": [] }))
}

fn confirm_matrix_instance(_: &Cell) -> Option<Value> {
    Some(json!({ "confirm": "matrix" }))
}

/// Instance actions, queued as jobs: the owner and admins may, readonly may not,
/// other operators do not even see the instance.
fn instance_action(method: &'static str, path: &'static str, body: BodyFn) -> Row {
    row(
        method,
        path,
        Target::OwnerInstance,
        body,
        [401, 403, 202, 404, 202],
    )
}

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![
        row("GET", "/api/v1/instances", Nothing, no_body, any_user(200)),
        row(
            "GET",
            "/api/v1/instances/summary",
            Nothing,
            no_body,
            any_user(200),
        ),
        row(
            "GET",
            "/api/v1/instances/{id}",
            OwnerInstance,
            no_body,
            [401, 200, 200, 404, 200],
        ),
        row(
            "PUT",
            "/api/v1/instances/{id}/owner",
            OwnerInstance,
            no_owner,
            admin_only(200),
        ),
        row(
            "POST",
            "/api/v1/instances",
            Nothing,
            incomplete_instance,
            [401, 403, 422, 422, 422],
        ),
        // an instance's detail: for whoever sees it; its cluster cannot be reached
        row(
            "GET",
            "/api/v1/instances/{id}/jobs",
            OwnerInstance,
            no_body,
            OWN_ONLY,
        ),
        row(
            "GET",
            "/api/v1/instances/{id}/audit",
            OwnerInstance,
            no_body,
            OWN_ONLY,
        ),
        row(
            "GET",
            "/api/v1/instances/{id}/config",
            OwnerInstance,
            no_body,
            [401, 503, 503, 404, 503],
        ),
        // a dry run of the create: the same authorisation, nothing created
        row(
            "POST",
            "/api/v1/instances/validate",
            Nothing,
            incomplete_instance,
            [401, 403, 422, 422, 422],
        ),
        // rename/retag: synchronous, for whoever may manage it; Proxmox is unreachable
        row(
            "PATCH",
            "/api/v1/instances/{id}",
            OwnerInstance,
            retag,
            [401, 403, 503, 404, 503],
        ),
        instance_action("POST", "/api/v1/instances/{id}/resize", one_core),
        // the secrets it receives: names for whoever sees it, changes as jobs
        row(
            "GET",
            "/api/v1/instances/{id}/secrets",
            OwnerInstance,
            no_body,
            OWN_ONLY,
        ),
        instance_action("PUT", "/api/v1/instances/{id}/secrets", no_secrets),
        instance_action("DELETE", "/api/v1/instances/{id}", confirm_matrix_instance),
        instance_action("POST", "/api/v1/instances/{id}/start", no_body),
        instance_action("POST", "/api/v1/instances/{id}/stop", no_body),
        instance_action("POST", "/api/v1/instances/{id}/shutdown", no_body),
        instance_action("POST", "/api/v1/instances/{id}/reboot", no_body),
    ]
}
