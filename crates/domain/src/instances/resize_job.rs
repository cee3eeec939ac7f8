//! `instance.resize`: `configure` (one `PUT …/config` with cores and memory, then
//! `GET …/pending` to tell what waits for the next start) and `grow_disk` (`PUT
//! …/resize` of the root disk, waiting for the task). Both are safe to run again:
//! setting the same values twice changes nothing, and the disk is only grown while
//! it is still smaller (a resumed step first waits for the task it started).

use std::sync::Arc;

use async_trait::async_trait;
use proxicloud_pve::{ConfigUpdate, GuestConfig, GuestType, Pve, ResizeRequest};

use super::clone_config::size_bytes;
use super::create_job::connect_error;
use super::pve_steps::Target;
use super::resize::{ResizeJob, steps};
use crate::clusters::{MirrorRefresh, PveConnector};
use crate::jobs::pve_task::{resume_task, start_and_wait};
use crate::jobs::{JobHandler, JobRun, StepError};

/// VM disk keys in the order PVE boots from them when `boot` names none.
const VM_DISK_KEYS: &[&str] = &["scsi0", "virtio0", "sata0", "ide0"];

pub struct ResizeHandler {
    pub connector: Arc<dyn PveConnector>,
    /// The new sizes show in every list at once, not at the next poll.
    pub refresh: Option<Arc<dyn MirrorRefresh>>,
}

#[async_trait]
impl JobHandler for ResizeHandler {
    async fn run_step(&self, run: &mut JobRun<'_>, step: &str) -> Result<(), StepError> {
        let job: ResizeJob = run.params()?;
        let mut target = job.target.clone();
        let pve = self
            .connector
            .pve(target.cluster_id)
            .await
            .map_err(connect_error)?;
        if !target.locate(pve.as_ref()).await? {
            return Err(StepError::failed(format!(
                "guest {} no longer exists on Proxmox VE",
                target.vmid
            )));
        }
        match step {
            steps::CONFIGURE => configure(run, pve.as_ref(), &target, &job).await?,
            steps::GROW_DISK => grow_disk(run, pve.as_ref(), &target, &job).await?,
            other => {
                return Err(StepError::failed(format!(
                    "unknown step '{other}' of instance.resize"
                )));
            }
        }
        if let Some(refresh) = &self.refresh
            && let Err(error) = refresh.refresh(target.cluster_id).await
        {
            // The next scheduled poll catches up; Proxmox has the change.
            tracing::warn!(job = %run.id(), %error, "could not refresh the inventory after a resize");
        }
        Ok(())
    }
}

async fn configure(
    run: &mut JobRun<'_>,
    pve: &dyn Pve,
    target: &Target,
    job: &ResizeJob,
) -> Result<(), StepError> {
    let node = target.node_name()?;
    let update = ConfigUpdate {
        cores: job.resize.cores,
        memory_mib: job.resize.memory_mib,
        ..ConfigUpdate::default()
    };
    pve.update_guest_config(&node, target.kind, target.vmid, &update)
        .await?;
    let mut changed = Vec::new();
    if let Some(cores) = job.resize.cores {
        changed.push(("cores", format!("{cores} cores")));
    }
    if let Some(memory) = job.resize.memory_mib {
        changed.push(("memory", format!("{memory} MiB memory")));
    }
    // What Proxmox could not apply to the running guest waits for its next start.
    let pending: Vec<String> = match pve.guest_pending(&node, target.kind, target.vmid).await {
        Ok(entries) => entries
            .iter()
            .filter(|e| e.is_pending())
            .map(|e| e.key.clone())
            .collect(),
        Err(error) => {
            tracing::info!(job = %run.id(), %error, "could not read the pending changes");
            Vec::new()
        }
    };
    let (later, now): (Vec<_>, Vec<_>) = changed
        .into_iter()
        .partition(|(key, _)| pending.iter().any(|p| p == key));
    let words = |list: &[(&str, String)]| {
        list.iter()
            .map(|(_, w)| w.as_str())
            .collect::<Vec<_>>()
            .join(" and ")
    };
    let detail = match (now.is_empty(), later.is_empty()) {
        (_, true) => format!("{} applied", words(&now)),
        (true, false) => format!(
            "{} pending until the next start (Proxmox cannot change them on the running {})",
            words(&later),
            target.noun()
        ),
        (false, false) => format!(
            "{} applied; {} pending until the next start",
            words(&now),
            words(&later)
        ),
    };
    run.set_detail(detail);
    Ok(())
}

async fn grow_disk(
    run: &mut JobRun<'_>,
    pve: &dyn Pve,
    target: &Target,
    job: &ResizeJob,
) -> Result<(), StepError> {
    let Some(gib) = job.resize.disk_gib else {
        run.skip_step("no new disk size");
        return Ok(());
    };
    let node = target.node_name()?;
    if resume_task(run, pve, &node, "resize", target.vmid).await? {
        run.set_detail(format!("root disk grown to {gib} GiB"));
        return Ok(());
    }
    let config = pve.guest_config(&node, target.kind, target.vmid).await?;
    let Some((key, current)) = root_disk(target.kind, &config) else {
        return Err(StepError::failed(format!(
            "the {} has no root disk to grow",
            target.noun()
        )));
    };
    if current.is_some_and(|bytes| bytes >= gib << 30) {
        run.skip_step(format!("{key} already has {gib} GiB or more"));
        return Ok(());
    }
    let request = ResizeRequest {
        disk: key.clone(),
        size: format!("{gib}G"),
    };
    if let Some(upid) = pve
        .resize_disk(&node, target.kind, target.vmid, &request)
        .await?
    {
        start_and_wait(run, pve, upid).await?;
    }
    run.set_detail(format!("{key} grown to {gib} GiB"));
    Ok(())
}

/// The root disk's key and size: a container's `rootfs`; a VM's first disk in its
/// `boot` order (`order=scsi0;ide2;net0`), else the first of [`VM_DISK_KEYS`] that is
/// not a CD-ROM drive.
fn root_disk(kind: GuestType, config: &GuestConfig) -> Option<(String, Option<u64>)> {
    let disk = |key: &str| {
        let value = config.get(key)?;
        (!value.contains("media=cdrom")).then(|| (key.to_owned(), size_bytes(&value)))
    };
    match kind {
        GuestType::Lxc => disk("rootfs"),
        GuestType::Qemu => {
            let boot = config.get("boot").unwrap_or_default();
            let order = boot
                .split(',')
                .find_map(|part| part.strip_prefix("order="))
                .unwrap_or_default();
            order
                .split(';')
                .filter(|key| {
                    VM_DISK_KEYS
                        .iter()
                        .any(|p| key.starts_with(&p[..p.len() - 1]))
                })
                .find_map(disk)
                .or_else(|| VM_DISK_KEYS.iter().find_map(|key| disk(key)))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;

    fn config(pairs: &[(&str, &str)]) -> GuestConfig {
        GuestConfig::from_raw(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), json!(v)))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    #[test]
    fn the_root_disk_is_rootfs_or_the_first_boot_disk() {
        let ct = config(&[("rootfs", "local-lvm:vm-101-disk-0,size=8G")]);
        assert_eq!(
            root_disk(GuestType::Lxc, &ct),
            Some(("rootfs".into(), Some(8 << 30)))
        );
        let vm = config(&[
            ("boot", "order=ide2;virtio1;net0"),
            ("ide2", "local:iso/d.iso,media=cdrom"),
            ("scsi0", "local-lvm:vm-100-disk-0,size=32G"),
            ("virtio1", "local-lvm:vm-100-disk-1,size=4G"),
        ]);
        assert_eq!(
            root_disk(GuestType::Qemu, &vm),
            Some(("virtio1".into(), Some(4 << 30)))
        );
        let unordered = config(&[
            ("ide0", "local:iso/d.iso,media=cdrom"),
            ("sata0", "local-lvm:vm-100-disk-0,size=10G"),
        ]);
        assert_eq!(
            root_disk(GuestType::Qemu, &unordered),
            Some(("sata0".into(), Some(10 << 30)))
        );
        assert_eq!(root_disk(GuestType::Qemu, &config(&[])), None);
    }
}
