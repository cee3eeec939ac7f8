//! The health map: every signed-in caller gets one — of what they may see (the
//! isolation of its contents is tested in `monitoring.rs`). The hosts: admins only.

use super::common::*;

pub(super) fn rows() -> Vec<Row> {
    vec![
        row(
            "GET",
            "/api/v1/monitoring/health",
            Target::Nothing,
            no_body,
            any_user(200),
        ),
        row(
            "GET",
            "/api/v1/monitoring/hosts",
            Target::Nothing,
            no_body,
            admin_only(200),
        ),
    ]
}
