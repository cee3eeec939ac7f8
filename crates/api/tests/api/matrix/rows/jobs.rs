//! Jobs: your own, admins everything.

use super::common::*;

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![
        row("GET", "/api/v1/jobs", Nothing, no_body, any_user(200)),
        row("GET", "/api/v1/jobs/{id}", OwnerJob, no_body, OWN_ONLY),
    ]
}
