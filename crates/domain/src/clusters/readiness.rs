//! `/readyz`'s `clusters` check.

use std::sync::Arc;

use async_trait::async_trait;
use proxicloud_store::ClusterStatus;

use super::ClusterService;
use crate::app::ReadinessCheck;

/// The server can manage something: at least one cluster was reached by its last
/// poll. A fresh install with no cluster yet is ready (to be set up); clusters not
/// polled yet, or all offline, are not.
pub struct ClustersReady(pub Arc<ClusterService>);

#[async_trait]
impl ReadinessCheck for ClustersReady {
    fn name(&self) -> &'static str {
        "clusters"
    }

    async fn check(&self) -> Result<(), String> {
        let clusters = self.0.all().await.map_err(|e| e.to_string())?;
        if clusters.is_empty()
            || clusters
                .iter()
                .any(|c| c.health.status == ClusterStatus::Online)
        {
            Ok(())
        } else {
            Err(format!(
                "none of the {} clusters is reachable",
                clusters.len()
            ))
        }
    }
}
