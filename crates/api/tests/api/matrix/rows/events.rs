//! Events: any signed-in caller.

use super::common::*;

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![row(
        "GET",
        "/api/v1/events",
        Nothing,
        no_body,
        any_user(200),
    )]
}
