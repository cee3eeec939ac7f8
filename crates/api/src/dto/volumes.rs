//! Volumes and volume snapshots as the API sends them.

use proxicloud_domain::volumes::classes::{ClassStorage, VolumeClass};
use proxicloud_domain::volumes::rules::gib_of;
use proxicloud_domain::volumes::{IndexedVolume, VolumeSort, VolumeView, listed_status};
use proxicloud_store::VolumeSnapshot;
use proxicloud_types::api::volumes::{
    VolumeAttachmentDto, VolumeClassDto, VolumeClassStorageDto, VolumeClassesDto, VolumeDto,
    VolumeSnapshotDto, VolumeSortDto,
};

use super::IntoDto;

impl IntoDto for VolumeView {
    type Dto = VolumeDto;
    fn into_dto(self) -> VolumeDto {
        let volume = self.volume;
        // In use while attached, whatever job is still writing the config.
        let status = listed_status(&volume).to_owned();
        let attachment = volume.attachment.map(|a| VolumeAttachmentDto {
            instance_id: a.guest_id,
            device: a.key,
            mount_path: a.mount_path,
        });
        VolumeDto {
            id: volume.id,
            name: volume.name,
            size_gib: gib_of(volume.size_bytes),
            cluster_id: volume.cluster_id,
            node: volume.node,
            storage: volume.storage,
            class: volume.class,
            status,
            error: volume.error,
            attachment,
            owner_id: volume.owner_id,
            snapshots_supported: self.snapshots_supported,
            created_at: volume.created_at,
        }
    }
}

impl IntoDto for VolumeSnapshot {
    type Dto = VolumeSnapshotDto;
    fn into_dto(self) -> VolumeSnapshotDto {
        VolumeSnapshotDto {
            id: self.id,
            volume_id: self.volume_id,
            name: self.name,
            description: self.description,
            size_gib: gib_of(self.size_bytes),
            status: self.status,
            created_at: self.created_at,
        }
    }
}

pub fn classes_dto(classes: Vec<VolumeClass>) -> VolumeClassesDto {
    VolumeClassesDto {
        classes: classes
            .into_iter()
            .map(|class| VolumeClassDto {
                name: class.name,
                storages: class
                    .storages
                    .into_iter()
                    .map(|s| VolumeClassStorageDto {
                        cluster_id: s.cluster_id,
                        storage: s.storage,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// A `PUT` body as the domain's classes.
pub fn classes_of(dto: VolumeClassesDto) -> Vec<VolumeClass> {
    dto.classes
        .into_iter()
        .map(|class| VolumeClass {
            name: class.name,
            storages: class
                .storages
                .into_iter()
                .map(|s| ClassStorage {
                    cluster_id: s.cluster_id,
                    storage: s.storage,
                })
                .collect(),
        })
        .collect()
}

/// The list's order as the domain's: its sort and whether descending.
pub fn volume_sort(sort: Option<VolumeSortDto>) -> (VolumeSort, bool) {
    use VolumeSortDto as S;
    match sort.unwrap_or(S::Created) {
        S::Created => (VolumeSort::Created, false),
        S::CreatedDesc => (VolumeSort::Created, true),
        S::Name => (VolumeSort::Name, false),
        S::NameDesc => (VolumeSort::Name, true),
        S::Size => (VolumeSort::Size, false),
        S::SizeDesc => (VolumeSort::Size, true),
        S::Status => (VolumeSort::Status, false),
        S::StatusDesc => (VolumeSort::Status, true),
        S::Node => (VolumeSort::Node, false),
        S::NodeDesc => (VolumeSort::Node, true),
    }
}

/// A listed volume's JSON, rendered once per copy of the row in the index.
pub fn volume_json(row: &IndexedVolume) -> bytes::Bytes {
    row.rendered.get_or_render(|| {
        serde_json::to_vec(&row.view.clone().into_dto())
            .expect("a volume serialises")
            .into()
    })
}
