//! Volumes and their snapshots: someone else's volume does not exist for you; writes
//! are queued as jobs (202), never by readonly callers. The matrix's volumes live on
//! a cluster nobody can reach and whose storages were never mirrored, so a snapshot
//! is refused (409: the storage's features are unknown) before anything happens.

use serde_json::{Value, json};

use super::common::*;

/// Passes authorization; fails validation (the cluster was never seen).
fn volume_elsewhere(_: &Cell) -> Option<Value> {
    Some(json!({
        "name": "data",
        "size_gib": 10,
        "cluster_id": "00000000-0000-7000-8000-000000000000",
        "node": "pve1",
        "storage": "local-lvm",
    }))
}

fn attach_to_nothing(_: &Cell) -> Option<Value> {
    Some(json!({ "instance_id": "00000000-0000-7000-8000-000000000000", "mount_path": "/data" }))
}

fn grow(_: &Cell) -> Option<Value> {
    Some(json!({ "size_gib": 2 }))
}

fn snapshot(_: &Cell) -> Option<Value> {
    Some(json!({ "name": "before", "description": "matrix" }))
}

fn clone(_: &Cell) -> Option<Value> {
    Some(json!({ "name": "copy" }))
}

/// The owner (operator) and admins may; readonly may not; others do not see it.
const MANAGE: fn(u16) -> [u16; 5] = |success| [401, 403, success, 404, success];

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![
        row("GET", "/api/v1/volumes", Nothing, no_body, any_user(200)),
        row(
            "POST",
            "/api/v1/volumes",
            Nothing,
            volume_elsewhere,
            [401, 403, 422, 422, 422],
        ),
        row(
            "GET",
            "/api/v1/volumes/{id}",
            OwnerVolume,
            no_body,
            OWN_ONLY,
        ),
        row(
            "DELETE",
            "/api/v1/volumes/{id}",
            OwnerVolume,
            no_body,
            MANAGE(202),
        ),
        row(
            "POST",
            "/api/v1/volumes/{id}/attach",
            OwnerVolume,
            attach_to_nothing,
            MANAGE(422),
        ),
        row(
            "POST",
            "/api/v1/volumes/{id}/detach",
            OwnerVolume,
            no_body,
            MANAGE(409),
        ),
        row(
            "POST",
            "/api/v1/volumes/{id}/grow",
            OwnerVolume,
            grow,
            MANAGE(202),
        ),
        row(
            "GET",
            "/api/v1/volumes/{id}/snapshots",
            OwnerVolume,
            no_body,
            OWN_ONLY,
        ),
        row(
            "POST",
            "/api/v1/volumes/{id}/snapshots",
            OwnerVolume,
            snapshot,
            MANAGE(409),
        ),
        row(
            "DELETE",
            "/api/v1/volume-snapshots/{id}",
            OwnerVolumeSnapshot,
            no_body,
            MANAGE(202),
        ),
        row(
            "POST",
            "/api/v1/volume-snapshots/{id}/restore",
            OwnerVolumeSnapshot,
            no_body,
            MANAGE(202),
        ),
        row(
            "POST",
            "/api/v1/volume-snapshots/{id}/clone",
            OwnerVolumeSnapshot,
            clone,
            MANAGE(409),
        ),
    ]
}
