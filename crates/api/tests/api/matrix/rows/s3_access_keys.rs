//! S3 access keys: owned resources; readonly callers see their own and change nothing.

use serde_json::{Value, json};

use super::common::*;

fn disable(_: &Cell) -> Option<Value> {
    Some(json!({ "disabled": true }))
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
    ]
}
