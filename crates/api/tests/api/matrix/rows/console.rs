//! Instance consoles: someone else's instance does not exist for you, readers may not
//! open one. The matrix's instance runs on a cluster registered with a token, so
//! allowed callers get as far as asking its Proxmox VE for its version (whether a
//! token may open consoles there), which cannot be reached: past authorization, a 503.

use super::common::*;

pub(super) fn rows() -> Vec<Row> {
    vec![row(
        "GET",
        "/api/v1/instances/{id}/console",
        Target::OwnerInstance,
        no_body,
        [401, 403, 503, 404, 503],
    )]
}
