//! Volume classes: everyone reads them (the create dialog), admins replace them.

use serde_json::{Value, json};

use super::common::*;

fn no_classes(_: &Cell) -> Option<Value> {
    Some(json!({ "classes": [] }))
}

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![
        row(
            "GET",
            "/api/v1/settings/volume-classes",
            Nothing,
            no_body,
            any_user(200),
        ),
        row(
            "PUT",
            "/api/v1/settings/volume-classes",
            Nothing,
            no_classes,
            admin_only(200),
        ),
    ]
}
