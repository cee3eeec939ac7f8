//! `image.create`: one step, `template`. A VM's `qmtemplate` task is the answer of
//! `POST …/template`; a container's `vztemplate` task is not (pve-container answers
//! `null`), so it is found in the node's task list (`jobs::pve_task`). A resumed step
//! waits for the task it started, and one whose guest is a template already is done.
//! Then the mirror is refreshed (the instance shows as a template at once) and the
//! launch options' cache is dropped (a new VM template is offered at once).

use std::sync::Arc;

use async_trait::async_trait;
use proxicloud_pve::GuestType;

use super::job_deps::ImageJobDeps;
use crate::instances::Target;
use crate::jobs::pve_task::{find_started_task, resume_task, start_and_wait};
use crate::jobs::{JobHandler, JobRun, StepError};

pub const CREATE_KIND: &str = "image.create";

pub mod steps {
    pub const TEMPLATE: &str = "template";
    pub const ALL: [&str; 1] = [TEMPLATE];
}

pub(crate) struct CreateHandler {
    deps: Arc<ImageJobDeps>,
}

impl CreateHandler {
    pub fn new(deps: Arc<ImageJobDeps>) -> Self {
        Self { deps }
    }
}

#[async_trait]
impl JobHandler for CreateHandler {
    async fn run_step(&self, run: &mut JobRun<'_>, step: &str) -> Result<(), StepError> {
        if step != steps::TEMPLATE {
            return Err(StepError::failed(format!("unknown step '{step}'")));
        }
        let target: Target = run.params()?;
        let pve = self.deps.pve(target.cluster_id).await?;
        let pve = pve.as_ref();
        let node = target.node_name()?;
        let task_type = match target.kind {
            GuestType::Lxc => "vztemplate",
            GuestType::Qemu => "qmtemplate",
        };
        let done = format!("{} is a template", target.name);
        if resume_task(run, pve, &node, task_type, target.vmid).await? {
            run.set_detail(done);
            self.deps.settle(run, target.cluster_id, true).await;
            return Ok(());
        }
        let config = pve.guest_config(&node, target.kind, target.vmid).await?;
        if config.template == Some(true) {
            run.skip_step(format!("{} is a template already", target.name));
            self.deps.settle(run, target.cluster_id, true).await;
            return Ok(());
        }
        match pve.make_template(&node, target.kind, target.vmid).await? {
            Some(upid) => start_and_wait(run, pve, upid).await?,
            None => {
                let upid = find_started_task(run, pve, &node, task_type, target.vmid)
                    .await?
                    .ok_or_else(|| {
                        StepError::failed(format!(
                            "Proxmox accepted the conversion but no {task_type} task for {} is in its task list",
                            target.vmid
                        ))
                    })?;
                start_and_wait(run, pve, upid).await?;
            }
        }
        run.set_detail(done);
        self.deps.settle(run, target.cluster_id, true).await;
        Ok(())
    }
}
