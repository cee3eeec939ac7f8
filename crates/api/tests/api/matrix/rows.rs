//! The matrix's table: one row per operation, with the five expected statuses.

use serde_json::{Value, json};

use super::targets::{Target, UNREACHABLE_NODE};
use super::{BodyFn, Cell};
use crate::support::USER_PASSWORD;

pub(super) struct Row {
    pub method: &'static str,
    pub path: &'static str,
    pub target: Target,
    pub body: BodyFn,
    /// Expected status per caller, in the order of [`CALLERS`].
    pub expect: [u16; 5],
}

const fn row(
    method: &'static str,
    path: &'static str,
    target: Target,
    body: BodyFn,
    expect: [u16; 5],
) -> Row {
    Row {
        method,
        path,
        target,
        body,
        expect,
    }
}

const fn admin_only(success: u16) -> [u16; 5] {
    [401, 403, 403, 403, success]
}

const fn any_user(success: u16) -> [u16; 5] {
    [401, success, success, success, success]
}

const PUBLIC: [u16; 5] = [200; 5];

fn no_body(_: &Cell) -> Option<Value> {
    None
}

fn empty_object(_: &Cell) -> Option<Value> {
    Some(json!({}))
}

fn own_credentials(cell: &Cell) -> Option<Value> {
    Some(json!({ "username": cell.login_user().username, "password": USER_PASSWORD }))
}

fn own_refresh_token(cell: &Cell) -> Option<Value> {
    Some(
        cell.session
            .as_ref()
            .map_or(json!({}), |s| json!({ "refresh_token": s.refresh })),
    )
}

fn password_change(_: &Cell) -> Option<Value> {
    Some(
        json!({ "current_password": USER_PASSWORD, "new_password": "a-new-password-for-the-matrix" }),
    )
}

fn new_user(_: &Cell) -> Option<Value> {
    Some(
        json!({ "username": format!("new-{}", uuid::Uuid::now_v7().simple()), "role": "operator" }),
    )
}

fn role_change(_: &Cell) -> Option<Value> {
    Some(json!({ "role": "readonly" }))
}

fn new_token(_: &Cell) -> Option<Value> {
    Some(json!({ "name": "matrix" }))
}

fn new_cluster(_: &Cell) -> Option<Value> {
    Some(json!({
        "name": format!("matrix-{}", uuid::Uuid::now_v7().simple()),
        "addresses": [UNREACHABLE_NODE],
        "auth": { "type": "token", "token_id": "root@pam!matrix", "secret": "matrix-secret" },
    }))
}

fn settings_document(_: &Cell) -> Option<Value> {
    Some(serde_json::to_value(proxicloud_domain::settings::Settings::default()).unwrap())
}

fn no_owner(_: &Cell) -> Option<Value> {
    Some(json!({ "owner_id": null }))
}

/// Passes authorization; fails validation (no template), so nothing is created.
fn incomplete_instance(_: &Cell) -> Option<Value> {
    Some(json!({ "type": "lxc" }))
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

/// Readable by its owner (whatever the role) and admins; others do not see it.
const OWN_ONLY: [u16; 5] = [401, 200, 200, 404, 200];

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![
        row("GET", "/healthz", Nothing, no_body, PUBLIC),
        row("GET", "/readyz", Nothing, no_body, PUBLIC),
        row("GET", "/api/v1/openapi.json", Nothing, no_body, PUBLIC),
        row("GET", "/api/docs", Nothing, no_body, PUBLIC),
        // auth
        row(
            "POST",
            "/api/v1/auth/login",
            Nothing,
            own_credentials,
            PUBLIC,
        ),
        row(
            "POST",
            "/api/v1/auth/refresh",
            Nothing,
            own_refresh_token,
            any_user(200),
        ),
        row(
            "POST",
            "/api/v1/auth/logout",
            Nothing,
            empty_object,
            any_user(204),
        ),
        row("GET", "/api/v1/auth/me", Nothing, no_body, any_user(200)),
        row(
            "POST",
            "/api/v1/me/password",
            Nothing,
            password_change,
            any_user(200),
        ),
        // users
        row("GET", "/api/v1/users", Nothing, no_body, admin_only(200)),
        row("POST", "/api/v1/users", Nothing, new_user, admin_only(201)),
        row(
            "GET",
            "/api/v1/users/{id}",
            OwnerAccount,
            no_body,
            admin_only(200),
        ),
        row(
            "PATCH",
            "/api/v1/users/{id}",
            OwnerAccount,
            role_change,
            admin_only(200),
        ),
        row(
            "DELETE",
            "/api/v1/users/{id}",
            OwnerAccount,
            no_body,
            admin_only(204),
        ),
        row(
            "POST",
            "/api/v1/users/{id}/reset-password",
            OwnerAccount,
            no_body,
            admin_only(200),
        ),
        row(
            "POST",
            "/api/v1/users/{id}/disable",
            OwnerAccount,
            no_body,
            admin_only(200),
        ),
        row(
            "POST",
            "/api/v1/users/{id}/enable",
            OwnerAccount,
            no_body,
            admin_only(200),
        ),
        // tokens: personal credentials, every role manages its own
        row("GET", "/api/v1/tokens", Nothing, no_body, any_user(200)),
        row("POST", "/api/v1/tokens", Nothing, new_token, any_user(201)),
        row(
            "DELETE",
            "/api/v1/tokens/{id}",
            OwnerApiToken,
            no_body,
            [401, 204, 204, 404, 204],
        ),
        // clusters (admin only; a connection test answers 200 whatever its outcome)
        row("GET", "/api/v1/clusters", Nothing, no_body, admin_only(200)),
        row(
            "POST",
            "/api/v1/clusters",
            Nothing,
            new_cluster,
            admin_only(201),
        ),
        row(
            "GET",
            "/api/v1/clusters/{id}",
            Cluster,
            no_body,
            admin_only(200),
        ),
        row(
            "PUT",
            "/api/v1/clusters/{id}",
            Cluster,
            new_cluster,
            admin_only(200),
        ),
        row(
            "DELETE",
            "/api/v1/clusters/{id}",
            Cluster,
            no_body,
            admin_only(204),
        ),
        row(
            "POST",
            "/api/v1/clusters/{id}/test",
            Cluster,
            no_body,
            admin_only(200),
        ),
        // settings
        row("GET", "/api/v1/settings", Nothing, no_body, any_user(200)),
        row(
            "PUT",
            "/api/v1/settings",
            Nothing,
            settings_document,
            admin_only(200),
        ),
        // instance reads: someone else's instance does not exist for you
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
        // instance writes: queued as jobs (202); readonly never, others' are not found
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
        // launch wizard options: for whoever may create (the cluster is unreachable)
        row(
            "GET",
            "/api/v1/launch-options",
            Cluster,
            no_body,
            [401, 403, 503, 503, 503],
        ),
        instance_action("DELETE", "/api/v1/instances/{id}", confirm_matrix_instance),
        instance_action("POST", "/api/v1/instances/{id}/start", no_body),
        instance_action("POST", "/api/v1/instances/{id}/stop", no_body),
        instance_action("POST", "/api/v1/instances/{id}/shutdown", no_body),
        instance_action("POST", "/api/v1/instances/{id}/reboot", no_body),
        // jobs and events: your own, admins everything
        row("GET", "/api/v1/jobs", Nothing, no_body, any_user(200)),
        row("GET", "/api/v1/jobs/{id}", OwnerJob, no_body, OWN_ONLY),
        row("GET", "/api/v1/events", Nothing, no_body, any_user(200)),
        // audit
        row("GET", "/api/v1/audit", Nothing, no_body, admin_only(200)),
        row(
            "GET",
            "/api/v1/audit.csv",
            Nothing,
            no_body,
            admin_only(200),
        ),
    ]
}
