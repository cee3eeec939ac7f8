//! `image.delete`: one step. A file is deleted from each node's storage
//! (`DELETE /nodes/{node}/storage/{storage}/content/{volume}`; gone already counts as
//! done, so a resumed job finishes where it stopped); a VM template is destroyed as a
//! guest (`qmdestroy`, resumed through `jobs::pve_task` like an instance's
//! terminate). Then the mirror is refreshed (a destroyed VM template leaves the list at
//! once, not at the next inventory poll) and the launch options' cache is dropped.

use std::sync::Arc;

use async_trait::async_trait;
use proxicloud_pve::{DeleteOptions, GuestType, NodeName, PveError, VmId};
use proxicloud_store::Uuid;
use serde::{Deserialize, Serialize};

use super::job_deps::ImageJobDeps;
use crate::jobs::pve_task::{resume_task, start_and_wait};
use crate::jobs::{JobHandler, JobRun, StepError};

pub const DELETE_KIND: &str = "image.delete";

pub mod steps {
    pub const DELETE: &str = "delete";
    pub const ALL: [&str; 1] = [DELETE];
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteParams {
    pub cluster_id: Uuid,
    /// For the job's words.
    pub name: String,
    pub target: DeleteTarget,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeleteTarget {
    Volume { volid: String, nodes: Vec<String> },
    VmTemplate { node: String, vmid: u32 },
}

pub(crate) struct DeleteHandler {
    deps: Arc<ImageJobDeps>,
}

impl DeleteHandler {
    pub fn new(deps: Arc<ImageJobDeps>) -> Self {
        Self { deps }
    }
}

fn node_name(node: &str) -> Result<NodeName, StepError> {
    NodeName::new(node.to_owned()).map_err(|e| StepError::failed(e.to_string()))
}

#[async_trait]
impl JobHandler for DeleteHandler {
    async fn run_step(&self, run: &mut JobRun<'_>, step: &str) -> Result<(), StepError> {
        if step != steps::DELETE {
            return Err(StepError::failed(format!("unknown step '{step}'")));
        }
        let params: DeleteParams = run.params()?;
        let pve = self.deps.pve(params.cluster_id).await?;
        match &params.target {
            DeleteTarget::Volume { volid, nodes } => {
                let storage = volid.split_once(':').map_or("", |(s, _)| s);
                for node in nodes {
                    let name = node_name(node)?;
                    match pve.delete_volume(&name, storage, volid).await {
                        Ok(Some(upid)) => {
                            run.wait_task(pve.as_ref(), &upid).await?;
                        }
                        Ok(None) | Err(PveError::NotFound { .. }) => {}
                        Err(error) => return Err(error.into()),
                    }
                    run.set_detail(format!("{} deleted on {node}", params.name));
                    run.checkpoint().await?;
                }
            }
            DeleteTarget::VmTemplate { node, vmid } => {
                let name = node_name(node)?;
                let vmid = VmId::new(*vmid).map_err(|e| StepError::failed(e.to_string()))?;
                if !resume_task(run, pve.as_ref(), &name, "qmdestroy", vmid).await? {
                    let options = DeleteOptions {
                        purge: true,
                        destroy_unreferenced_disks: true,
                    };
                    match pve
                        .delete_guest(&name, GuestType::Qemu, vmid, options)
                        .await
                    {
                        Ok(upid) => start_and_wait(run, pve.as_ref(), upid).await?,
                        Err(PveError::NotFound { .. }) => {}
                        Err(error) => return Err(error.into()),
                    }
                }
                run.set_detail(format!("VM template {} ({vmid}) deleted", params.name));
            }
        }
        let guests_changed = matches!(params.target, DeleteTarget::VmTemplate { .. });
        self.deps
            .settle(run, params.cluster_id, guests_changed)
            .await;
        Ok(())
    }
}
