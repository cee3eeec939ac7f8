//! The `configure` step of a VM cloned from a template: the copy has the template's
//! cores, memory, network and disk; the request's values are applied here. Setting a
//! config is idempotent, and the disk is only grown when it is still smaller.

use proxicloud_pve::{GuestType, Pve, ResizeRequest, VmId};

use super::plan::CreatePlan;
use crate::jobs::{JobRun, StepError};

/// Disk keys in the order PVE boots from them by default.
const DISK_KEYS: &[&str] = &["scsi0", "virtio0", "sata0", "ide0"];

pub(super) async fn configure_clone(
    run: &mut JobRun<'_>,
    pve: &dyn Pve,
    plan: &CreatePlan,
    vmid: VmId,
) -> Result<(), StepError> {
    let node = plan.node_name().map_err(StepError::Failed)?;
    pve.update_guest_config(&node, GuestType::Qemu, vmid, &plan.clone_config())
        .await?;
    let config = pve.guest_config(&node, GuestType::Qemu, vmid).await?;
    let disk = DISK_KEYS.iter().find_map(|key| {
        let value = config.get(key)?;
        (!value.contains("media=cdrom")).then(|| (*key, size_bytes(&value)))
    });
    let wanted = plan.disk_gib << 30;
    match disk {
        Some((key, Some(current))) if current < wanted => {
            let request = ResizeRequest {
                disk: key.to_owned(),
                size: format!("{}G", plan.disk_gib),
            };
            if let Some(upid) = pve
                .resize_disk(&node, GuestType::Qemu, vmid, &request)
                .await?
            {
                run.record_upid(&upid).await?;
                run.wait_task(pve, &upid).await?;
            }
            run.set_detail(format!("configured; {key} grown to {} GiB", plan.disk_gib));
        }
        _ => run.set_detail("configured"),
    }
    Ok(())
}

/// The `size=` of a disk property string (`local-lvm:vm-100-disk-0,size=32G`), in bytes.
pub(super) fn size_bytes(property: &str) -> Option<u64> {
    let size = property
        .split(',')
        .find_map(|part| part.strip_prefix("size="))?;
    let (number, unit) = size.split_at(
        size.find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(size.len()),
    );
    let number: f64 = number.parse().ok()?;
    let factor = match unit {
        "" => 1u64,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return None,
    };
    Some((number * factor as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::size_bytes;

    #[test]
    fn disk_sizes_read_like_pve_writes_them() {
        assert_eq!(
            size_bytes("local-lvm:vm-100-disk-0,size=32G"),
            Some(32 << 30)
        );
        assert_eq!(
            size_bytes("local:100/vm-100-disk-0.qcow2,iothread=1,size=512M"),
            Some(512 << 20)
        );
        assert_eq!(
            size_bytes("local-lvm:vm-100-disk-0,size=1.5T"),
            Some(3 << 39)
        );
        assert_eq!(size_bytes("local-lvm:vm-100-disk-0"), None);
    }
}
