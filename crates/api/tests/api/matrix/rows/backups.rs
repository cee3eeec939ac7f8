//! Backups: someone else's backup does not exist for you; readers see their own but
//! change nothing. The matrix's backups live on a cluster nobody can reach, so a
//! protect or a restore (which ask Proxmox first) ends in `503`; a delete is queued.

use serde_json::{Value, json};

use super::common::*;

/// Passes authorization; the instance does not exist for anyone.
fn backup_of_nothing(_: &Cell) -> Option<Value> {
    Some(json!({
        "instance_id": "00000000-0000-7000-8000-000000000000",
        "storage": "local",
    }))
}

/// The owner (operator) and admins may; readonly may not; others do not see it.
const MANAGE: fn(u16) -> [u16; 5] = |success| [401, 403, success, 404, success];

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![
        row("GET", "/api/v1/backups", Nothing, no_body, any_user(200)),
        row(
            "POST",
            "/api/v1/backups",
            Nothing,
            backup_of_nothing,
            [401, 404, 404, 404, 404],
        ),
        row(
            "GET",
            "/api/v1/backups/{id}",
            OwnerBackup,
            no_body,
            OWN_ONLY,
        ),
        row(
            "GET",
            "/api/v1/instances/{id}/backup-storages",
            OwnerInstance,
            no_body,
            OWN_ONLY,
        ),
        row(
            "DELETE",
            "/api/v1/backups/{id}",
            OwnerBackup,
            no_body,
            MANAGE(202),
        ),
        row(
            "POST",
            "/api/v1/backups/{id}/protect",
            OwnerBackup,
            no_body,
            MANAGE(503),
        ),
        row(
            "POST",
            "/api/v1/backups/{id}/unprotect",
            OwnerBackup,
            no_body,
            MANAGE(503),
        ),
        row(
            "POST",
            "/api/v1/backups/{id}/restore",
            OwnerBackup,
            no_body,
            MANAGE(503),
        ),
    ]
}
