//! The launch wizard's options: for whoever may create (the cluster is unreachable).

use super::common::*;

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![row(
        "GET",
        "/api/v1/launch-options",
        Cluster,
        no_body,
        [401, 403, 503, 503, 503],
    )]
}
