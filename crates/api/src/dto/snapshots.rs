//! Instance snapshots: the domain's list → [`proxicloud_types::api::snapshots`].

use proxicloud_domain::instances::SnapshotList;
use proxicloud_store::Timestamp;
use proxicloud_types::api::snapshots::{SnapshotDto, SnapshotListDto};

use super::IntoDto;

impl IntoDto for SnapshotList {
    type Dto = SnapshotListDto;
    fn into_dto(self) -> SnapshotListDto {
        let current = self.current_parent;
        SnapshotListDto {
            items: self
                .items
                .into_iter()
                .map(|s| SnapshotDto {
                    current: current.as_deref() == Some(s.name.as_str()),
                    taken_at: s.taken_at.and_then(|secs| {
                        Timestamp::from_unix_micros(secs.saturating_mul(1_000_000))
                    }),
                    name: s.name,
                    description: s.description,
                    parent: s.parent,
                    includes_ram: s.with_ram,
                })
                .collect(),
        }
    }
}
