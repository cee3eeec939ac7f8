//! Settings: everyone reads them, admins change them.

use serde_json::Value;

use super::common::*;

fn settings_document(_: &Cell) -> Option<Value> {
    Some(serde_json::to_value(proxicloud_domain::settings::Settings::default()).unwrap())
}

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![
        row("GET", "/api/v1/settings", Nothing, no_body, any_user(200)),
        row(
            "PUT",
            "/api/v1/settings",
            Nothing,
            settings_document,
            admin_only(200),
        ),
    ]
}
