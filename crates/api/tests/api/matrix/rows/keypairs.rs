//! Key pairs: owned resources; readonly callers see their own and change nothing.

use serde_json::{Value, json};

use super::common::*;

/// A real public key (`ssh-keygen -t ed25519`).
pub(in super::super) const PUBLIC_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host";

fn generate(_: &Cell) -> Option<Value> {
    Some(json!({ "name": "matrix" }))
}

fn import(_: &Cell) -> Option<Value> {
    Some(json!({ "name": "matrix", "public_key": PUBLIC_KEY }))
}

/// Creating: every role but readonly.
const CREATORS: [u16; 5] = [401, 403, 201, 201, 201];

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![
        row("GET", "/api/v1/keypairs", Nothing, no_body, any_user(200)),
        row("POST", "/api/v1/keypairs", Nothing, generate, CREATORS),
        row("POST", "/api/v1/keypairs/import", Nothing, import, CREATORS),
        row(
            "GET",
            "/api/v1/keypairs/{id}",
            OwnerKeyPair,
            no_body,
            OWN_ONLY,
        ),
        row(
            "DELETE",
            "/api/v1/keypairs/{id}",
            OwnerKeyPair,
            no_body,
            [401, 403, 204, 404, 204],
        ),
        row(
            "GET",
            "/api/v1/instances/{id}/keypairs",
            OwnerInstance,
            no_body,
            OWN_ONLY,
        ),
    ]
}
