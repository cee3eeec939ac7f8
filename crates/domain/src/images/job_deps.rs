//! What every image job needs: a Proxmox connection, the launch options' cache to drop
//! (the wizard offers a new or deleted image at once) and, where a guest changes, the
//! mirror to refresh. A new image job kind takes an `Arc<ImageJobDeps>`.

use std::sync::Arc;

use proxicloud_pve::Pve;
use proxicloud_store::Uuid;

use crate::clusters::{MirrorRefresh, PveConnector};
use crate::jobs::{JobRun, StepError};
use crate::launch::LaunchOptionsService;

pub(crate) struct ImageJobDeps {
    pub connector: Arc<dyn PveConnector>,
    pub launch: Arc<LaunchOptionsService>,
    pub refresh: Option<Arc<dyn MirrorRefresh>>,
}

impl ImageJobDeps {
    /// The cluster's client; a cluster that cannot be reached now is retried.
    pub async fn pve(&self, cluster_id: Uuid) -> Result<Arc<dyn Pve>, StepError> {
        self.connector
            .pve(cluster_id)
            .await
            .map_err(|e| StepError::Transient(e.to_string()))
    }

    /// The launch options forget the cluster's images; with `guests_changed`, the
    /// mirror is refreshed too so a guest that became or stopped being a template
    /// shows so at once.
    pub async fn settle(&self, run: &JobRun<'_>, cluster_id: Uuid, guests_changed: bool) {
        if guests_changed
            && let Some(refresh) = &self.refresh
            && let Err(error) = refresh.refresh(cluster_id).await
        {
            // The next inventory poll does the same.
            tracing::warn!(job = %run.id(), %error, "cannot refresh the mirror after an image job");
        }
        self.launch.forget(cluster_id);
    }
}
