//! The volume list, answered from memory: every volume with what the API shows of it
//! (its status as listed, whether its storage can snapshot), ordered once per sort.
//! [`super::VolumeService`] keeps one current through an `IndexCache` (rebuilt before
//! the next read after this process wrote a volume, and every few seconds for other
//! processes' writes), so `GET /api/v1/volumes` costs no query at 10,000 volumes.
//!
//! To sort by something new: a [`VolumeSort`] variant, its key in `sort_key`, and its
//! name in the API's `VolumeSortDto`.

use proxicloud_store::repo::volumes::{IN_USE, status};
use proxicloud_store::{Cursor, StoreError, Uuid, Volume, VolumeFilter};

use super::service::{StorageTypes, VolumeView};
use crate::read_index::{IndexPage, IndexRow, Natural, Rendered, SortKey, SortedIndex};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VolumeSort {
    /// Oldest first (the default).
    #[default]
    Created,
    Name,
    Size,
    /// The status as listed (`in-use` for an attached, available volume).
    Status,
    /// Node, then storage.
    Node,
}

pub struct IndexedVolume {
    pub view: VolumeView,
    /// Its API form, made by the first list that shows it.
    pub rendered: Rendered,
    name_lower: String,
    listed_status: String,
    node_storage: String,
}

/// The status the list shows and filters by: `in-use` for an available volume that is
/// attached, else its lifecycle status.
pub fn listed_status(volume: &Volume) -> &str {
    if volume.status == status::AVAILABLE && volume.attachment.is_some() {
        IN_USE
    } else {
        &volume.status
    }
}

impl IndexRow for IndexedVolume {
    type Sort = VolumeSort;
    const SORTS: &'static [VolumeSort] = &[
        VolumeSort::Created,
        VolumeSort::Name,
        VolumeSort::Size,
        VolumeSort::Status,
        VolumeSort::Node,
    ];

    fn id(&self) -> Uuid {
        self.view.volume.id
    }

    fn sort_key(&self, sort: VolumeSort) -> SortKey<'_> {
        let volume = &self.view.volume;
        match sort {
            VolumeSort::Created => SortKey::Time(volume.created_at),
            // As people read names: case-insensitive (`alpha` before `Zeta`), numbers
            // by value (`vol-2` before `vol-10`).
            VolumeSort::Name => SortKey::Natural(Natural(&self.name_lower)),
            VolumeSort::Size => SortKey::Number(volume.size_bytes),
            VolumeSort::Status => SortKey::Text(&self.listed_status),
            VolumeSort::Node => SortKey::Natural(Natural(&self.node_storage)),
        }
    }
}

pub struct VolumeIndex {
    rows: SortedIndex<IndexedVolume>,
}

impl VolumeIndex {
    pub(super) fn build(volumes: Vec<Volume>, types: &StorageTypes) -> Self {
        let rows = volumes
            .into_iter()
            .map(|volume| IndexedVolume {
                name_lower: volume.name.to_lowercase(),
                listed_status: listed_status(&volume).to_owned(),
                node_storage: format!("{}/{}", volume.node, volume.storage),
                view: types.view(volume),
                rendered: Rendered::default(),
            })
            .collect();
        Self {
            rows: SortedIndex::build(rows),
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Up to `limit` volumes matching `filter`, in `sort` order, after `after`.
    pub fn page(
        &self,
        filter: &VolumeFilter,
        sort: VolumeSort,
        descending: bool,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<IndexPage<IndexedVolume>, StoreError> {
        let name_contains = filter.name_contains.as_deref().map(str::to_lowercase);
        let matches = |row: &IndexedVolume| {
            let volume = &row.view.volume;
            filter
                .owner_id
                .is_none_or(|owner| volume.owner_id == Some(owner))
                && filter.attached_to.is_none_or(|guest| {
                    volume.attachment.as_ref().map(|a| a.guest_id) == Some(guest)
                })
                && filter
                    .status
                    .as_deref()
                    .is_none_or(|wanted| wanted == row.listed_status)
                && filter
                    .class
                    .as_deref()
                    .is_none_or(|class| volume.class.as_deref() == Some(class))
                && name_contains
                    .as_deref()
                    .is_none_or(|part| row.name_lower.contains(part))
        };
        self.rows.page(matches, sort, descending, after, limit)
    }
}

#[cfg(test)]
mod tests;
