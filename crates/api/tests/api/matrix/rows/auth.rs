//! Sign-in, sessions and the caller's own password.

use serde_json::{Value, json};

use super::common::*;
use crate::support::USER_PASSWORD;

fn own_credentials(cell: &Cell) -> Option<Value> {
    Some(json!({ "username": cell.login_user().username, "password": USER_PASSWORD }))
}

fn own_refresh_token(cell: &Cell) -> Option<Value> {
    Some(
        cell.session
            .as_ref()
            .map_or(json!({}), |s| json!({ "refresh_token": s.refresh })),
    )
}

fn password_change(_: &Cell) -> Option<Value> {
    Some(
        json!({ "current_password": USER_PASSWORD, "new_password": "a-new-password-for-the-matrix" }),
    )
}

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![
        row(
            "POST",
            "/api/v1/auth/login",
            Nothing,
            own_credentials,
            PUBLIC,
        ),
        row(
            "POST",
            "/api/v1/auth/refresh",
            Nothing,
            own_refresh_token,
            any_user(200),
        ),
        row(
            "POST",
            "/api/v1/auth/logout",
            Nothing,
            empty_object,
            any_user(204),
        ),
        row("GET", "/api/v1/auth/me", Nothing, no_body, any_user(200)),
        row(
            "POST",
            "/api/v1/me/password",
            Nothing,
            password_change,
            any_user(200),
        ),
    ]
}
