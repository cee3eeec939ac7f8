//! Metrics: an instance's series for its owner and admins (others do not see it);
//! nodes, clusters and storages for admins only. The matrix's cluster has never been
//! reached, so it has no nodes or storages: a cluster id alone is no node (404).
//! `/metrics` (Prometheus) names every resource: admins only.

use super::common::*;

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![
        row("GET", "/metrics", Nothing, no_body, admin_only(200)),
        row(
            "GET",
            "/api/v1/metrics/instances/{id}",
            OwnerInstance,
            no_body,
            OWN_ONLY,
        ),
        row(
            "GET",
            "/api/v1/metrics/clusters/{id}",
            Cluster,
            no_body,
            admin_only(200),
        ),
        row(
            "GET",
            "/api/v1/metrics/nodes/{id}",
            Cluster,
            no_body,
            admin_only(404),
        ),
        row(
            "GET",
            "/api/v1/metrics/storages/{id}",
            Cluster,
            no_body,
            admin_only(404),
        ),
    ]
}
