//! API tokens: personal credentials, every role manages its own.

use serde_json::{Value, json};

use super::common::*;

fn new_token(_: &Cell) -> Option<Value> {
    Some(json!({ "name": "matrix" }))
}

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![
        row("GET", "/api/v1/tokens", Nothing, no_body, any_user(200)),
        row("POST", "/api/v1/tokens", Nothing, new_token, any_user(201)),
        row(
            "DELETE",
            "/api/v1/tokens/{id}",
            OwnerApiToken,
            no_body,
            [401, 204, 204, 404, 204],
        ),
    ]
}
