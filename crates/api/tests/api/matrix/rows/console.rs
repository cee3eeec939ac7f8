//! Instance consoles: someone else's instance does not exist for you, readers may not
//! open one. The matrix's instance runs, and its calls are plain GETs, so allowed
//! callers get as far as the missing websocket upgrade (`400`).

use super::common::*;

pub(super) fn rows() -> Vec<Row> {
    vec![row(
        "GET",
        "/api/v1/instances/{id}/console",
        Target::OwnerInstance,
        no_body,
        [401, 403, 400, 404, 400],
    )]
}
