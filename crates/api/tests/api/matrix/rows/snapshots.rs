//! Instance snapshots: someone else's instance does not exist for you; readers may
//! list their own but change nothing. The matrix's cluster is unreachable, so every
//! allowed call ends in `503` when it asks Proxmox.

use serde_json::{Value, json};

use super::common::*;

fn snapshot(_: &Cell) -> Option<Value> {
    Some(json!({ "name": "matrix-snap" }))
}

const WRITE: [u16; 5] = [401, 403, 503, 404, 503];

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![
        row(
            "GET",
            "/api/v1/instances/{id}/snapshots",
            OwnerInstance,
            no_body,
            [401, 503, 503, 404, 503],
        ),
        row(
            "POST",
            "/api/v1/instances/{id}/snapshots",
            OwnerInstance,
            snapshot,
            WRITE,
        ),
        row(
            "POST",
            "/api/v1/instances/{id}/snapshots/{name}/rollback",
            OwnerInstance,
            no_body,
            WRITE,
        ),
        row(
            "DELETE",
            "/api/v1/instances/{id}/snapshots/{name}",
            OwnerInstance,
            no_body,
            WRITE,
        ),
    ]
}
