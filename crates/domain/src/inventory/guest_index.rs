//! An immutable in-memory copy of every live guest of the mirror, indexed for the
//! instance list's filters and sorts (a [`SortedIndex`]), so instance reads cost no
//! database query. [`super::InstanceDirectory`] keeps it current through an
//! `IndexCache` (rebuilt when the store reports a guest write) and replaces it whole;
//! readers keep the copy they started with.

use std::ops::Deref;
use std::sync::Arc;

use bytes::Bytes;
use proxicloud_store::{Cursor, Guest, GuestFilter, GuestSort, OwnerFilter, StoreError, Uuid};

use crate::read_index::{IndexRow, Rendered, SortKey, SortedIndex};

/// A guest in the index, with a slot for the caller's rendering of it.
#[derive(Debug)]
pub struct IndexedGuest {
    guest: Guest,
    /// For case-insensitive name search.
    name_lower: String,
    /// Its tags, lower-cased, for the tag filter.
    tags_lower: Vec<String>,
    /// The API's serialised form (see [`Rendered`]).
    rendered: Rendered,
}

impl IndexedGuest {
    pub fn guest(&self) -> &Guest {
        &self.guest
    }

    /// `render(guest)`, computed once per copy of the guest. Every caller must pass
    /// the same rendering (there is one: the API's JSON).
    pub fn rendered(&self, render: impl FnOnce(&Guest) -> Bytes) -> Bytes {
        self.rendered.get_or_render(|| render(&self.guest))
    }
}

impl Deref for IndexedGuest {
    type Target = Guest;

    fn deref(&self) -> &Guest {
        &self.guest
    }
}

impl IndexRow for IndexedGuest {
    type Sort = GuestSort;
    const SORTS: &'static [GuestSort] = &[
        GuestSort::Name,
        GuestSort::Created,
        GuestSort::Status,
        GuestSort::Node,
        GuestSort::VmId,
        GuestSort::Cpu,
    ];

    fn id(&self) -> Uuid {
        self.guest.id
    }

    fn sort_key(&self, sort: GuestSort) -> SortKey<'_> {
        let guest = &self.guest;
        match sort {
            GuestSort::Name => SortKey::Text(&guest.observed.name),
            GuestSort::Created => SortKey::Time(guest.created_at),
            GuestSort::Status => SortKey::Text(&guest.observed.status),
            GuestSort::Node => SortKey::Text(&guest.observed.node),
            GuestSort::VmId => SortKey::Number(u64::from(guest.observed.vmid.get())),
            // A positive f64's bits order like its value; zero, NaN and negatives
            // (which Proxmox never reports) count as idle.
            GuestSort::Cpu => {
                let cpu = guest.observed.activity.cpu;
                SortKey::Number(if cpu > 0.0 { cpu.to_bits() } else { 0 })
            }
        }
    }
}

/// One page of guests out of the index.
pub type IndexPage = crate::read_index::IndexPage<IndexedGuest>;

pub struct GuestIndex {
    rows: SortedIndex<IndexedGuest>,
}

impl GuestIndex {
    pub fn build(guests: Vec<Guest>) -> Self {
        let guests = guests
            .into_iter()
            .filter(|g| g.removed_at.is_none())
            .map(|guest| IndexedGuest {
                name_lower: guest.observed.name.to_lowercase(),
                tags_lower: tag_list(guest.observed.tags.as_deref())
                    .map(str::to_lowercase)
                    .collect(),
                guest,
                rendered: Rendered::default(),
            })
            .collect();
        Self {
            rows: SortedIndex::build(guests),
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn get(&self, id: Uuid) -> Option<&Arc<IndexedGuest>> {
        self.rows.get(id)
    }

    /// Every guest matching `filter`, in no particular order.
    pub fn matching<'a>(
        &'a self,
        filter: &'a GuestFilter,
    ) -> impl Iterator<Item = &'a Arc<IndexedGuest>> + 'a {
        let matcher = Matcher::new(filter);
        self.rows.iter().filter(move |g| matcher.matches(g))
    }

    /// Up to `limit` guests matching `filter`, in `sort` order, after `after`.
    /// `InvalidCursor` when the cursor is malformed or came from another order.
    pub fn page(
        &self,
        filter: &GuestFilter,
        sort: GuestSort,
        descending: bool,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<IndexPage, StoreError> {
        let matcher = Matcher::new(filter);
        self.rows
            .page(|g| matcher.matches(g), sort, descending, after, limit)
    }
}

/// The entries of PVE's tag list (`;`, `,` or whitespace between them, as
/// `PVE::Tools::split_list` reads it).
pub fn tag_list(tags: Option<&str>) -> impl Iterator<Item = &str> {
    tags.unwrap_or_default()
        .split(|c: char| c == ';' || c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
}

/// A [`GuestFilter`] prepared for testing many guests.
struct Matcher<'a> {
    filter: &'a GuestFilter,
    name_contains: Option<String>,
    tag: Option<String>,
}

impl<'a> Matcher<'a> {
    fn new(filter: &'a GuestFilter) -> Self {
        Self {
            filter,
            name_contains: filter.name_contains.as_deref().map(str::to_lowercase),
            tag: filter.tag.as_deref().map(str::to_lowercase),
        }
    }

    fn matches(&self, indexed: &IndexedGuest) -> bool {
        let guest = &indexed.guest;
        let f = self.filter;
        let observed = &guest.observed;
        f.status.as_ref().is_none_or(|s| *s == observed.status)
            && f.kind.is_none_or(|k| k == observed.kind)
            && f.cluster_id.is_none_or(|c| c == guest.cluster_id)
            && f.node.as_ref().is_none_or(|n| *n == observed.node)
            && match f.owner {
                OwnerFilter::Any => true,
                OwnerFilter::Owner(owner) => guest.owner_id == Some(owner),
                OwnerFilter::Unowned => guest.owner_id.is_none(),
            }
            && self
                .name_contains
                .as_ref()
                .is_none_or(|part| indexed.name_lower.contains(part.as_str()))
            && self
                .tag
                .as_ref()
                .is_none_or(|tag| indexed.tags_lower.iter().any(|t| t == tag))
    }
}

#[cfg(test)]
mod tests;
