//! In-memory copies of a table, for the lists that must answer at thousands of
//! requests per second without a database query (instances, volumes): a
//! [`SortedIndex`] holds the rows ordered once per sort with keyset cursors, and an
//! [`IndexCache`] keeps one current — rebuilt before the next read when this process
//! wrote the table, and at least every `max_age` for writes of other processes.
//!
//! To index another kind of row: implement [`IndexRow`] (its id, its sorts and the
//! key of each), count the table's writes in the store (`Store::writes`), and hold an
//! `IndexCache<SortedIndex<YourRow>>` (or a wrapper with your filters) in the service.
//! Give the row a [`Rendered`] to let the API serve its JSON from memory too.

mod cache;
mod rendered;
mod sorted;

pub use cache::IndexCache;
pub use rendered::Rendered;
pub use sorted::{IndexPage, IndexRow, Natural, SortKey, SortedIndex};
