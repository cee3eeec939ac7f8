//! `image.download`: start → await. `start` asks the node to fetch the template
//! (`POST /nodes/{node}/aplinfo`, a `download` task) and records its UPID before
//! anything else, so a resumed job waits for that task instead of starting another;
//! `await` follows the task and then drops the launch options' cache so the new
//! template is offered at once.

use std::sync::Arc;

use async_trait::async_trait;
use proxicloud_pve::NodeName;
use proxicloud_store::Uuid;
use serde::{Deserialize, Serialize};

use crate::clusters::PveConnector;
use crate::jobs::{JobHandler, JobRun, StepError};
use crate::launch::LaunchOptionsService;

pub const DOWNLOAD_KIND: &str = "image.download";

pub mod steps {
    pub const START: &str = "start";
    pub const AWAIT: &str = "await";
    pub const ALL: [&str; 2] = [START, AWAIT];
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadParams {
    pub cluster_id: Uuid,
    pub node: String,
    pub storage: String,
    pub template: String,
}

pub struct DownloadHandler {
    connector: Arc<dyn PveConnector>,
    launch: Arc<LaunchOptionsService>,
}

impl DownloadHandler {
    pub fn new(connector: Arc<dyn PveConnector>, launch: Arc<LaunchOptionsService>) -> Self {
        Self { connector, launch }
    }
}

#[async_trait]
impl JobHandler for DownloadHandler {
    async fn run_step(&self, run: &mut JobRun<'_>, step: &str) -> Result<(), StepError> {
        let params: DownloadParams = run.params()?;
        let pve = self
            .connector
            .pve(params.cluster_id)
            .await
            .map_err(|e| StepError::Transient(e.to_string()))?;
        match step {
            steps::START => {
                if run.recorded_upid().is_some() {
                    return Ok(());
                }
                let node = NodeName::new(params.node.clone())
                    .map_err(|e| StepError::failed(e.to_string()))?;
                let upid = pve
                    .download_appliance(&node, &params.storage, &params.template)
                    .await?;
                run.record_upid(&upid).await
            }
            steps::AWAIT => {
                let upid = run
                    .recorded_upid()
                    .ok_or_else(|| StepError::failed("the download task was not recorded"))?;
                run.wait_task(pve.as_ref(), &upid).await?;
                self.launch.forget(params.cluster_id);
                run.set_detail(format!(
                    "{} downloaded to {} on {}",
                    params.template, params.storage, params.node
                ));
                Ok(())
            }
            other => Err(StepError::failed(format!("unknown step '{other}'"))),
        }
    }
}
