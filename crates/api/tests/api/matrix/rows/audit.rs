//! The audit log: admins only.

use super::common::*;

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![
        row("GET", "/api/v1/audit", Nothing, no_body, admin_only(200)),
        row(
            "GET",
            "/api/v1/audit.csv",
            Nothing,
            no_body,
            admin_only(200),
        ),
    ]
}
