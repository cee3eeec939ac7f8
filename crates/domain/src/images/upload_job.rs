//! `image.upload`: one step, `await`. The file is already on the node (the upload
//! request streamed it); Proxmox's `imgcopy` task, whose UPID the job is created with,
//! verifies the checksum and moves the file in place. Waiting on a known UPID is
//! idempotent, so a resumed job simply waits again. Then the launch options' cache is
//! dropped so the new image is offered at once.

use std::sync::Arc;

use async_trait::async_trait;
use proxicloud_pve::Upid;
use proxicloud_store::Uuid;
use serde::{Deserialize, Serialize};

use super::job_deps::ImageJobDeps;
use crate::jobs::{JobHandler, JobRun, StepError};

pub const UPLOAD_KIND: &str = "image.upload";

pub mod steps {
    pub const AWAIT: &str = "await";
    pub const ALL: [&str; 1] = [AWAIT];
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadParams {
    pub cluster_id: Uuid,
    pub node: String,
    /// Where the file lands: `local:iso/x.iso`.
    pub volid: String,
    /// The `imgcopy` task.
    pub upid: Upid,
}

pub(crate) struct UploadHandler {
    deps: Arc<ImageJobDeps>,
}

impl UploadHandler {
    pub fn new(deps: Arc<ImageJobDeps>) -> Self {
        Self { deps }
    }
}

#[async_trait]
impl JobHandler for UploadHandler {
    async fn run_step(&self, run: &mut JobRun<'_>, step: &str) -> Result<(), StepError> {
        if step != steps::AWAIT {
            return Err(StepError::failed(format!("unknown step '{step}'")));
        }
        let params: UploadParams = run.params()?;
        let pve = self.deps.pve(params.cluster_id).await?;
        run.wait_task(pve.as_ref(), &params.upid).await?;
        run.set_detail(format!("{} stored on {}", params.volid, params.node));
        self.deps.settle(run, params.cluster_id, false).await;
        Ok(())
    }
}
