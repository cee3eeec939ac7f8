//! Images: everyone signed in reads the list; the catalogue, downloads, uploads and deletes are
//! for admins (the matrix's cluster cannot be reached: past authorization, a 503).

use serde_json::{Value, json};

use super::common::*;

fn download(_: &Cell) -> Option<Value> {
    Some(
        json!({ "node": "pve1", "storage": "local", "template": "debian-12-standard_12.7-1_amd64.tar.zst" }),
    )
}

/// The body cannot name the cell's instance (it is made after the rows are listed): an
/// instance nobody has, which is a 404 for every signed-in caller, before any role
/// check (so nobody learns which ids exist). Owner rules: the API test `images_create`.
fn from_instance(_: &Cell) -> Option<Value> {
    Some(json!({ "instance_id": "00000000-0000-7000-8000-000000000000" }))
}

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![
        row(
            "GET",
            "/api/v1/images",
            Cluster,
            no_body,
            [401, 503, 503, 503, 503],
        ),
        row(
            "POST",
            "/api/v1/images",
            Nothing,
            from_instance,
            [401, 404, 404, 404, 404],
        ),
        row(
            "GET",
            "/api/v1/images/catalog",
            Cluster,
            no_body,
            [401, 403, 403, 403, 503],
        ),
        row(
            "POST",
            "/api/v1/images/download",
            Cluster,
            download,
            [401, 403, 403, 403, 503],
        ),
        // Roles are checked before the (here missing) parameters.
        row(
            "POST",
            "/api/v1/images/upload",
            Nothing,
            no_body,
            [401, 403, 403, 403, 422],
        ),
        // `{id}` is the cluster's id here: no image has it, but admins learn that only
        // from the cluster, which cannot be reached.
        row(
            "DELETE",
            "/api/v1/images/{id}",
            Cluster,
            no_body,
            [401, 403, 403, 403, 503],
        ),
    ]
}
