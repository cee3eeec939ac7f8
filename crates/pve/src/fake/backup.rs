//! vzdump of one guest at a time: a `vzdump` task whose log names the archive as PVE
//! does (`creating vzdump archive '<path>'`); the archive appears in the storage's
//! content, with the guest's config inside it, when the task ends well.

use std::time::{SystemTime, UNIX_EPOCH};

use proxicloud_types::{GuestType, NodeName};

use super::FakePve;
use super::state::Effect;
use crate::backup::VzdumpRequest;
use crate::error::{PveError, Result};
use crate::storage::StorageVolume;
use crate::upid::Upid;

impl FakePve {
    pub(super) fn fake_vzdump(&self, node: &NodeName, request: &VzdumpRequest) -> Result<Upid> {
        self.enter("vzdump", Some(node.as_str()), format!("{request:?}"))?;
        let [vmid] = request.vmids.as_slice() else {
            return Err(PveError::NotImplemented {
                operation: "vzdump of several guests",
            });
        };
        let guest = self
            .guests()
            .get(&vmid.get())
            .cloned()
            .filter(|g| g.node == node.as_str())
            .ok_or_else(|| PveError::NotFound {
                message: format!("unable to find VM '{vmid}'"),
            })?;
        let storage = request.storage.clone().unwrap_or_else(|| "local".into());
        let kind = match guest.kind {
            GuestType::Lxc => "lxc",
            GuestType::Qemu => "qemu",
        };
        let upid = self.spawn(node.as_str(), "vzdump", &vmid.to_string(), Effect::Backup);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        // The file name carries the pid to stay unique within a second.
        let file = format!("vzdump-{kind}-{vmid}-{now}_{}.tar.zst", upid.pid());
        let volid = format!("{storage}:backup/{file}");
        let config: String = guest
            .config
            .iter()
            .filter(|(k, _)| k.as_str() != "lock")
            .map(|(k, v)| format!("{k}: {v}\n"))
            .collect();
        let volume = StorageVolume {
            volid,
            content: "backup".into(),
            format: Some("tar.zst".into()),
            size: Some(64 << 20),
            used: None,
            vmid: Some(*vmid),
            ctime: Some(now as i64),
            notes: request.notes_template.clone(),
            protected: request.protected.filter(|p| *p),
            parent: None,
        };
        let mut state = self.state();
        if let Some(task) = state.tasks.iter_mut().find(|t| t.upid == upid) {
            task.log.push(format!(
                "INFO: creating vzdump archive '/var/lib/vz/dump/{file}'"
            ));
        }
        state.archives.insert(
            upid.to_string(),
            (node.to_string(), storage, volume, config),
        );
        Ok(upid)
    }

    pub(super) fn fake_extract_config(&self, node: &NodeName, volid: &str) -> Result<String> {
        self.enter("extract_config", Some(node.as_str()), volid.to_owned())?;
        self.state()
            .archive_configs
            .get(volid)
            .cloned()
            .ok_or_else(|| PveError::NotFound {
                message: format!("volume '{volid}' does not exist"),
            })
    }
}
