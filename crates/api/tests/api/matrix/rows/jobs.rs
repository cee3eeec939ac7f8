//! Jobs: your own, admins everything; cancelling is a write (never readonly).

use super::common::*;

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![
        row("GET", "/api/v1/jobs", Nothing, no_body, any_user(200)),
        row("GET", "/api/v1/jobs/{id}", OwnerJob, no_body, OWN_ONLY),
        // The owner's queued job is cancelled at once (each cell has a fresh one).
        row(
            "POST",
            "/api/v1/jobs/{id}/cancel",
            OwnerJob,
            no_body,
            [401, 403, 202, 404, 202],
        ),
    ]
}
