//! The rows of a table in memory, ordered once per sort, paged with cursors.
//!
//! Order and cursors match the store's keyset pagination: sorted by the key, ties
//! broken by id; a cursor names the last row's key and id, so pages never skip or
//! repeat a row when rows change between page requests.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use proxicloud_store::{Cursor, StoreError, Timestamp, Uuid};
use serde::{Deserialize, Serialize};

/// A row the index can hold: its id and its key in each of its sorts.
pub trait IndexRow: Send + Sync + 'static {
    type Sort: Copy + Eq + Send + Sync + 'static;
    /// Every sort the index keeps an order for.
    const SORTS: &'static [Self::Sort];

    fn id(&self) -> Uuid;
    fn sort_key(&self, sort: Self::Sort) -> SortKey<'_>;
}

/// A sort key value, borrowed from a row.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey<'a> {
    Text(&'a str),
    /// Text in natural order, as people number things: `vol-2` before `vol-10`.
    Natural(Natural<'a>),
    Time(Timestamp),
    Number(u64),
}

/// Text compared in natural order: runs of digits by their value.
#[derive(Debug, PartialEq, Eq)]
pub struct Natural<'a>(pub &'a str);

impl Ord for Natural<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        // Equal by digits but different text (`a01`, `a1`) still orders, by bytes, so
        // the order is total and a cursor finds its row again.
        alphanumeric_sort::compare_str(self.0, other.0).then_with(|| self.0.cmp(other.0))
    }
}

impl PartialOrd for Natural<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The owned form of [`SortKey`], as written into cursors.
#[derive(Debug, Serialize, Deserialize)]
enum Key {
    Text(String),
    Natural(String),
    Time(Timestamp),
    Number(u64),
}

impl Key {
    fn as_ref(&self) -> SortKey<'_> {
        match self {
            Key::Text(text) => SortKey::Text(text),
            Key::Natural(text) => SortKey::Natural(Natural(text)),
            Key::Time(at) => SortKey::Time(*at),
            Key::Number(n) => SortKey::Number(*n),
        }
    }

    fn of(key: SortKey<'_>) -> Self {
        match key {
            SortKey::Text(text) => Key::Text(text.to_owned()),
            SortKey::Natural(Natural(text)) => Key::Natural(text.to_owned()),
            SortKey::Time(at) => Key::Time(at),
            SortKey::Number(n) => Key::Number(n),
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

/// One page of rows out of the index.
pub struct IndexPage<R> {
    pub items: Vec<Arc<R>>,
    pub next: Option<Cursor>,
}

pub struct SortedIndex<R: IndexRow> {
    rows: Vec<Arc<R>>,
    by_id: HashMap<Uuid, u32>,
    /// Per entry of `R::SORTS`: positions in `rows`, ascending by (key, id).
    orders: Vec<Vec<u32>>,
}

impl<R: IndexRow> SortedIndex<R> {
    pub fn build(rows: Vec<R>) -> Self {
        let rows: Vec<Arc<R>> = rows.into_iter().map(Arc::new).collect();
        let by_id = rows
            .iter()
            .enumerate()
            .map(|(at, row)| (row.id(), at as u32))
            .collect();
        let orders = R::SORTS
            .iter()
            .map(|&sort| {
                let mut order: Vec<u32> = (0..rows.len() as u32).collect();
                order.sort_unstable_by(|&a, &b| {
                    compare::<R>(sort, &rows[a as usize], &rows[b as usize])
                });
                order
            })
            .collect();
        Self {
            rows,
            by_id,
            orders,
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn get(&self, id: Uuid) -> Option<&Arc<R>> {
        self.by_id.get(&id).map(|&at| &self.rows[at as usize])
    }

    /// Every row, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<R>> {
        self.rows.iter()
    }

    /// Up to `limit` rows for which `matches` holds, in `sort` order, after `after`.
    /// `InvalidCursor` when the cursor is malformed or came from another order.
    pub fn page(
        &self,
        matches: impl Fn(&R) -> bool,
        sort: R::Sort,
        descending: bool,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<IndexPage<R>, StoreError> {
        let code = sort_code::<R>(sort);
        let order = &self.orders[usize::from(code)];
        let mut items: Vec<Arc<R>> = Vec::with_capacity(limit.min(1024) + 1);
        let mut collect = |positions: &mut dyn Iterator<Item = &u32>| {
            for &at in positions {
                let row = &self.rows[at as usize];
                if matches(row) {
                    items.push(row.clone());
                    if items.len() > limit {
                        break;
                    }
                }
            }
        };
        let cursor = after.map(Cursor::decode::<IndexCursor>).transpose()?;
        if let Some(cursor) = &cursor
            && (cursor.sort != code || cursor.descending != descending)
        {
            return Err(StoreError::InvalidCursor);
        }
        // Position of the cursor in ascending order: rows at or before it come first.
        let split = |cursor: &IndexCursor, inclusive: bool| {
            order.partition_point(|&at| {
                let row = &self.rows[at as usize];
                let ordering = row
                    .sort_key(sort)
                    .cmp(&cursor.key.as_ref())
                    .then(row.id().cmp(&cursor.id));
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
                    sort: code,
                    descending,
                    key: Key::of(last.sort_key(sort)),
                    id: last.id(),
                })
            })
        } else {
            None
        };
        Ok(IndexPage { items, next })
    }
}

fn sort_code<R: IndexRow>(sort: R::Sort) -> u8 {
    R::SORTS.iter().position(|s| *s == sort).unwrap_or_default() as u8
}

fn compare<R: IndexRow>(sort: R::Sort, a: &R, b: &R) -> Ordering {
    a.sort_key(sort)
        .cmp(&b.sort_key(sort))
        .then(a.id().cmp(&b.id()))
}
