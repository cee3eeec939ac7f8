//! Background workers' states: admins only.

use super::common::*;

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![row(
        "GET",
        "/api/v1/system/workers",
        Nothing,
        no_body,
        admin_only(200),
    )]
}
