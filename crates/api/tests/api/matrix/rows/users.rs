//! User administration: admins only.

use serde_json::{Value, json};

use super::common::*;

fn new_user(_: &Cell) -> Option<Value> {
    Some(
        json!({ "username": format!("new-{}", uuid::Uuid::now_v7().simple()), "role": "operator" }),
    )
}

fn role_change(_: &Cell) -> Option<Value> {
    Some(json!({ "role": "readonly" }))
}

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![
        row("GET", "/api/v1/users", Nothing, no_body, admin_only(200)),
        row("POST", "/api/v1/users", Nothing, new_user, admin_only(201)),
        row(
            "GET",
            "/api/v1/users/{id}",
            OwnerAccount,
            no_body,
            admin_only(200),
        ),
        row(
            "PATCH",
            "/api/v1/users/{id}",
            OwnerAccount,
            role_change,
            admin_only(200),
        ),
        row(
            "DELETE",
            "/api/v1/users/{id}",
            OwnerAccount,
            no_body,
            admin_only(204),
        ),
        row(
            "POST",
            "/api/v1/users/{id}/reset-password",
            OwnerAccount,
            no_body,
            admin_only(200),
        ),
        row(
            "POST",
            "/api/v1/users/{id}/disable",
            OwnerAccount,
            no_body,
            admin_only(200),
        ),
        row(
            "POST",
            "/api/v1/users/{id}/enable",
            OwnerAccount,
            no_body,
            admin_only(200),
        ),
    ]
}
