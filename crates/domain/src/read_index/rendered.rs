//! A row's API form, serialised on first use and kept with this copy of the row: a
//! list page is then a concatenation of ready bytes, not a hundred serialisations.
//! A copy of a row lives until the index is rebuilt (after a write), so what was
//! rendered never goes stale. The API layer decides what the bytes are.

use std::sync::OnceLock;

use bytes::Bytes;

#[derive(Debug, Default)]
pub struct Rendered(OnceLock<Bytes>);

impl Rendered {
    /// The bytes `render` made the first time this was asked for.
    pub fn get_or_render(&self, render: impl FnOnce() -> Bytes) -> Bytes {
        self.0.get_or_init(render).clone()
    }
}
