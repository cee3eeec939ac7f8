//! An immutable in-memory copy of every live guest of the mirror, indexed for the
//! instance list's filters, sorts and cursors, so instance reads cost no database
//! query. [`super::InstanceDirectory`] rebuilds it when the store reports a guest
//! write (`Store::guest_writes`) and replaces it whole; readers keep the copy they
//! started with.
//!
//! Order and cursors match the store's keyset pagination: sorted by the key, ties
//! broken by id; a cursor names the last row's key and id, so pages never skip or
//! repeat a row when rows change between page requests.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use bytes::Bytes;
use proxicloud_store::{
    Cursor, Guest, GuestFilter, GuestSort, OwnerFilter, StoreError, Timestamp, Uuid,
};
use serde::{Deserialize, Serialize};

const SORTS: [GuestSort; 5] = [
    GuestSort::Name,
    GuestSort::Created,
    GuestSort::Status,
    GuestSort::Node,
    GuestSort::VmId,
];

/// A guest in the index, with a slot for the caller's rendering of it.
#[derive(Debug)]
pub struct IndexedGuest {
    guest: Guest,
    /// For case-insensitive name search.
    name_lower: String,
    /// Its tags, lower-cased, for the tag filter.
    tags_lower: Vec<String>,
    /// The API's serialised form, made on first use and kept as long as this copy of
    /// the guest: a list page is then a concatenation, not 100 serialisations.
    rendered: OnceLock<Bytes>,
}

impl IndexedGuest {
    pub fn guest(&self) -> &Guest {
        &self.guest
    }

    /// `render(guest)`, computed once per copy of the guest. Every caller must pass
    /// the same rendering (there is one: the API's JSON).
    pub fn rendered(&self, render: impl FnOnce(&Guest) -> Bytes) -> Bytes {
        self.rendered.get_or_init(|| render(&self.guest)).clone()
    }
}

impl Deref for IndexedGuest {
    type Target = Guest;

    fn deref(&self) -> &Guest {
        &self.guest
    }
}

/// A sort key value, borrowed from a guest.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum KeyRef<'a> {
    Text(&'a str),
    Time(Timestamp),
    Number(u32),
}

fn key_of(sort: GuestSort, guest: &Guest) -> KeyRef<'_> {
    match sort {
        GuestSort::Name => KeyRef::Text(&guest.observed.name),
        GuestSort::Created => KeyRef::Time(guest.created_at),
        GuestSort::Status => KeyRef::Text(&guest.observed.status),
        GuestSort::Node => KeyRef::Text(&guest.observed.node),
        GuestSort::VmId => KeyRef::Number(guest.observed.vmid.get()),
    }
}

/// The owned form of [`KeyRef`], as written into cursors.
#[derive(Debug, Serialize, Deserialize)]
enum Key {
    Text(String),
    Time(Timestamp),
    Number(u32),
}

impl Key {
    fn as_ref(&self) -> KeyRef<'_> {
        match self {
            Key::Text(text) => KeyRef::Text(text),
            Key::Time(at) => KeyRef::Time(*at),
            Key::Number(n) => KeyRef::Number(*n),
        }
    }

    fn of(key: KeyRef<'_>) -> Self {
        match key {
            KeyRef::Text(text) => Key::Text(text.to_owned()),
            KeyRef::Time(at) => Key::Time(at),
            KeyRef::Number(n) => Key::Number(n),
        }
    }
}

/// The position after the last row of a page, for one sort and direction.
#[derive(Debug, Serialize, Deserialize)]
struct IndexCursor {
    sort: u8,
    descending: bool,
    key: Key,
    id: Uuid,
}

fn sort_code(sort: GuestSort) -> u8 {
    SORTS.iter().position(|s| *s == sort).unwrap_or_default() as u8
}

/// One page of guests out of the index.
pub struct IndexPage {
    pub items: Vec<Arc<IndexedGuest>>,
    pub next: Option<Cursor>,
}

pub struct GuestIndex {
    /// `Store::guest_writes` before the rows were read: the index holds at least
    /// every write counted up to there.
    pub(super) writes: u64,
    pub(super) built_at: Instant,
    guests: Vec<Arc<IndexedGuest>>,
    by_id: HashMap<Uuid, u32>,
    /// Per entry of [`SORTS`]: positions in `guests`, ascending by (key, id).
    orders: [Vec<u32>; 5],
}

impl GuestIndex {
    pub fn build(guests: Vec<Guest>, writes: u64) -> Self {
        let guests: Vec<Arc<IndexedGuest>> = guests
            .into_iter()
            .filter(|g| g.removed_at.is_none())
            .map(|guest| {
                Arc::new(IndexedGuest {
                    name_lower: guest.observed.name.to_lowercase(),
                    tags_lower: tag_list(guest.observed.tags.as_deref())
                        .map(str::to_lowercase)
                        .collect(),
                    guest,
                    rendered: OnceLock::new(),
                })
            })
            .collect();
        let by_id = guests
            .iter()
            .enumerate()
            .map(|(at, g)| (g.id, at as u32))
            .collect();
        let orders = SORTS.map(|sort| {
            let mut order: Vec<u32> = (0..guests.len() as u32).collect();
            order
                .sort_unstable_by(|&a, &b| compare(sort, &guests[a as usize], &guests[b as usize]));
            order
        });
        Self {
            writes,
            built_at: Instant::now(),
            guests,
            by_id,
            orders,
        }
    }

    pub fn len(&self) -> usize {
        self.guests.len()
    }

    pub fn is_empty(&self) -> bool {
        self.guests.is_empty()
    }

    pub fn get(&self, id: Uuid) -> Option<&Arc<IndexedGuest>> {
        self.by_id.get(&id).map(|&at| &self.guests[at as usize])
    }

    /// Every guest matching `filter`, in no particular order.
    pub fn matching<'a>(
        &'a self,
        filter: &'a GuestFilter,
    ) -> impl Iterator<Item = &'a Arc<IndexedGuest>> + 'a {
        let matcher = Matcher::new(filter);
        self.guests.iter().filter(move |g| matcher.matches(g))
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
        let order = &self.orders[usize::from(sort_code(sort))];
        let matcher = Matcher::new(filter);
        let mut items: Vec<Arc<IndexedGuest>> = Vec::with_capacity(limit.min(1024) + 1);
        let mut collect = |positions: &mut dyn Iterator<Item = &u32>| {
            for &at in positions {
                let guest = &self.guests[at as usize];
                if matcher.matches(guest) {
                    items.push(guest.clone());
                    if items.len() > limit {
                        break;
                    }
                }
            }
        };
        let cursor = after.map(Cursor::decode::<IndexCursor>).transpose()?;
        if let Some(cursor) = &cursor
            && (cursor.sort != sort_code(sort) || cursor.descending != descending)
        {
            return Err(StoreError::InvalidCursor);
        }
        // Position of the cursor in ascending order: rows at or before it come first.
        let split = |cursor: &IndexCursor, inclusive: bool| {
            order.partition_point(|&at| {
                let guest = &self.guests[at as usize];
                let ordering = key_of(sort, guest)
                    .cmp(&cursor.key.as_ref())
                    .then(guest.id.cmp(&cursor.id));
                ordering == Ordering::Less || (inclusive && ordering == Ordering::Equal)
            })
        };
        match (&cursor, descending) {
            (None, false) => collect(&mut order.iter()),
            (None, true) => collect(&mut order.iter().rev()),
            (Some(cursor), false) => collect(&mut order[split(cursor, true)..].iter()),
            (Some(cursor), true) => collect(&mut order[..split(cursor, false)].iter().rev()),
        }
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| {
                Cursor::encode(&IndexCursor {
                    sort: sort_code(sort),
                    descending,
                    key: Key::of(key_of(sort, last)),
                    id: last.id,
                })
            })
        } else {
            None
        };
        Ok(IndexPage { items, next })
    }
}

fn compare(sort: GuestSort, a: &Guest, b: &Guest) -> Ordering {
    key_of(sort, a).cmp(&key_of(sort, b)).then(a.id.cmp(&b.id))
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
