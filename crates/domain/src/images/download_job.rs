//! `image.download`: start → await. `start` asks the node to fetch the template
//! (`POST /nodes/{node}/aplinfo`, a `download` task named after the template) and
//! records its UPID before anything else; resumed after a crash before that record,
//! it looks the task up in the node's task list (`jobs::pve_task`) instead of
//! starting a second download. `await` follows the task, reading wget's percentages
//! from its log into the job's progress, then drops the launch options' cache so the
//! new template is offered at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use proxicloud_pve::{NodeName, Pve, Upid};
use proxicloud_store::Uuid;
use serde::{Deserialize, Serialize};

use super::job_deps::ImageJobDeps;
use crate::jobs::pve_task::{find_started_named_task, recorded_task};
use crate::jobs::{JobHandler, JobRun, StepError};

pub const DOWNLOAD_KIND: &str = "image.download";
/// PVE's task type for `POST /nodes/{node}/aplinfo` (pve-manager `PVE::API2::Nodes`,
/// `apl_download`: `fork_worker('download', $template, …)`).
const TASK_TYPE: &str = "download";
/// Without a new percentage, the job is still saved this often (its lease).
const SAVE_EVERY: Duration = Duration::from_secs(2);

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

pub(crate) struct DownloadHandler {
    deps: Arc<ImageJobDeps>,
}

impl DownloadHandler {
    pub fn new(deps: Arc<ImageJobDeps>) -> Self {
        Self { deps }
    }
}

#[async_trait]
impl JobHandler for DownloadHandler {
    async fn run_step(&self, run: &mut JobRun<'_>, step: &str) -> Result<(), StepError> {
        let params: DownloadParams = run.params()?;
        let pve = self.deps.pve(params.cluster_id).await?;
        let node =
            NodeName::new(params.node.clone()).map_err(|e| StepError::failed(e.to_string()))?;
        match step {
            steps::START => {
                if recorded_task(run, TASK_TYPE, &params.template).is_some() {
                    return Ok(());
                }
                if run.resumed_mid_step() {
                    let found = find_started_named_task(
                        run,
                        pve.as_ref(),
                        &node,
                        TASK_TYPE,
                        &params.template,
                    )
                    .await?;
                    if let Some(upid) = found {
                        return run.record_upid(&upid).await;
                    }
                }
                let upid = pve
                    .download_appliance(&node, &params.storage, &params.template)
                    .await?;
                run.record_upid(&upid).await
            }
            steps::AWAIT => {
                let upid = run
                    .recorded_upid()
                    .ok_or_else(|| StepError::failed("the download task was not recorded"))?;
                follow_progress(run, pve.as_ref(), &upid).await?;
                run.wait_task(pve.as_ref(), &upid).await?;
                self.deps.settle(run, params.cluster_id, false).await;
                run.set_step_progress(100);
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

/// Until the task stops: the newest percentage in its log becomes the step's progress
/// (saved when it changes, and every [`SAVE_EVERY`] to keep the lease).
async fn follow_progress(
    run: &mut JobRun<'_>,
    pve: &dyn Pve,
    upid: &Upid,
) -> Result<(), StepError> {
    let mut read = 0u64;
    let mut shown = None;
    let mut saved = Instant::now();
    loop {
        let status = pve.task_status(upid).await?;
        let log = pve.task_log(upid, read, 0).await?;
        read += log.lines.len() as u64;
        let newest = log
            .lines
            .iter()
            .rev()
            .find_map(|line| wget_percent(&line.t));
        if newest.is_some() && newest != shown {
            shown = newest;
            let percent = newest.unwrap_or(0);
            run.set_step_progress(percent);
            run.set_detail(format!("downloading: {percent} %"));
            run.checkpoint().await?;
            saved = Instant::now();
        } else if saved.elapsed() >= SAVE_EVERY {
            run.checkpoint().await?;
            saved = Instant::now();
        }
        if !status.is_running() {
            return Ok(());
        }
        run.pause(run.poll_interval()).await?;
    }
}

/// The percentage of one of wget's `--progress=dot:giga` lines, which
/// `PVE::Tools::download_file_from_url` (pve-common) leaves in the task log:
/// ` 32768K ........ ........ ........ ........ 50% 61.0M 1s`.
fn wget_percent(line: &str) -> Option<u8> {
    let mut words = line.split_whitespace();
    let offset = words.next()?;
    if !offset.ends_with('K') || offset[..offset.len() - 1].parse::<u64>().is_err() {
        return None;
    }
    words
        .find_map(|w| w.strip_suffix('%'))
        .and_then(|p| p.parse::<u8>().ok())
        .filter(|p| *p <= 100)
}

#[cfg(test)]
mod tests {
    use super::wget_percent;

    #[test]
    fn percentages_are_read_from_wget_dot_lines() {
        assert_eq!(
            wget_percent("     0K ........ ........ ........ ........ 25% 50.2M 2s"),
            Some(25)
        );
        assert_eq!(
            wget_percent(" 98304K ........ ........ .....            100% 12.4M=10s"),
            Some(100)
        );
        assert_eq!(
            wget_percent("Length: 134217728 (128M) [application/octet-stream]"),
            None
        );
        assert_eq!(
            wget_percent("calculating checksum...OK, checksum verified"),
            None
        );
        assert_eq!(wget_percent("TASK OK"), None);
    }
}
