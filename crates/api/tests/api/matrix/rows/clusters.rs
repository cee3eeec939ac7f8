//! Clusters: admins only; a connection test answers 200 whatever its outcome.

use serde_json::{Value, json};

use super::super::targets::{UNREACHABLE_NODE, matrix_cluster_name};
use super::common::*;

fn new_cluster(_: &Cell) -> Option<Value> {
    Some(json!({
        "name": format!("matrix-{}", uuid::Uuid::now_v7().simple()),
        "addresses": [UNREACHABLE_NODE],
        "auth": { "type": "token", "token_id": "root@pam!matrix", "secret": "matrix-secret" },
    }))
}

fn confirm_cluster_name(cell: &Cell) -> Option<Value> {
    Some(json!({ "confirm": matrix_cluster_name(&cell.owner) }))
}

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![
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
            confirm_cluster_name,
            admin_only(204),
        ),
        row(
            "POST",
            "/api/v1/clusters/test",
            Nothing,
            new_cluster,
            admin_only(200),
        ),
        row(
            "POST",
            "/api/v1/clusters/{id}/test",
            Cluster,
            no_body,
            admin_only(200),
        ),
    ]
}
