//! S3 access keys: owned resources; readonly callers see their own and change nothing.
//! Quotas: admins only.

use serde_json::{Value, json};

use super::common::*;

fn disable(_: &Cell) -> Option<Value> {
    Some(json!({ "disabled": true }))
}

fn quota(_: &Cell) -> Option<Value> {
    Some(json!({ "max_bytes": 1_000_000, "max_objects": 100 }))
}

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![
        row(
            "GET",
            "/api/v1/s3/access-keys",
            Nothing,
            no_body,
            any_user(200),
        ),
        row(
            "POST",
            "/api/v1/s3/access-keys",
            Nothing,
            no_body,
            [401, 403, 201, 201, 201],
        ),
        row(
            "PATCH",
            "/api/v1/s3/access-keys/{id}",
            OwnerAccessKey,
            disable,
            [401, 403, 200, 404, 200],
        ),
        row(
            "DELETE",
            "/api/v1/s3/access-keys/{id}",
            OwnerAccessKey,
            no_body,
            [401, 403, 204, 404, 204],
        ),
        row(
            "GET",
            "/api/v1/s3/quotas/{id}",
            OwnerAccount,
            no_body,
            admin_only(200),
        ),
        row(
            "PUT",
            "/api/v1/s3/quotas/{id}",
            OwnerAccount,
            quota,
            admin_only(200),
        ),
    ]
}
