//! Backups as the API sends them.

use proxicloud_store::Backup;
use proxicloud_types::api::backups::{BackupDto, BackupModeDto};

use super::IntoDto;

impl IntoDto for Backup {
    type Dto = BackupDto;
    fn into_dto(self) -> BackupDto {
        let mode = match self.mode.as_str() {
            "suspend" => BackupModeDto::Suspend,
            "stop" => BackupModeDto::Stop,
            _ => BackupModeDto::Snapshot,
        };
        let duration_secs = match (self.started_at, self.finished_at) {
            (Some(start), Some(end)) => {
                Some(((end.unix_micros() - start.unix_micros()).max(0) / 1_000_000) as u64)
            }
            _ => None,
        };
        let config = self.config.and_then(|c| {
            c.as_object().map(|map| {
                map.iter()
                    .map(|(k, v)| {
                        let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                        (k.clone(), text)
                    })
                    .collect()
            })
        });
        BackupDto {
            id: self.id,
            instance_id: self.guest_id,
            instance_name: self.guest_name,
            instance_type: self.guest_kind.into(),
            vmid: self.vmid.get(),
            cluster_id: self.cluster_id,
            node: self.node,
            storage: self.storage,
            mode,
            status: self.status,
            notes: self.notes,
            protected: self.protected,
            volid: self.volid,
            size_bytes: self.size_bytes,
            duration_secs,
            config,
            error: self.error,
            owner_id: self.owner_id,
            created_at: self.created_at,
            finished_at: self.finished_at,
        }
    }
}
