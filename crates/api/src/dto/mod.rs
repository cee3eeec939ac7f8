//! From domain views to the API types of [`proxicloud_types::api`]: the one place
//! that knows both (the types crate knows neither the domain nor the store, and the
//! orphan rule keeps `From` impls between two foreign types out of this crate), so
//! the conversions are a local trait, [`IntoDto`], and a few helpers.
//!
//! To add a resource: write `dto/<resource>.rs` with `impl IntoDto for <View>`
//! (and plain functions for the reverse direction, e.g. query enums).

pub mod alerts;
pub mod audit;
pub mod backups;
pub mod buckets;
pub mod clusters;
pub mod images;
pub mod instances;
pub mod jobs;
pub mod keypairs;
pub mod launch;
pub mod monitoring;
pub mod notifications;
pub mod s3;
pub mod secrets;
pub mod settings;
pub mod snapshots;
pub mod tokens;
pub mod users;
pub mod volumes;
pub mod workers;

use proxicloud_store::{Cursor, Page, PageRequest};
use proxicloud_types::api::common::{DEFAULT_PAGE_LIMIT, PageQuery, Paginated};

/// A domain value that the API sends as `Self::Dto`.
pub trait IntoDto {
    type Dto;
    fn into_dto(self) -> Self::Dto;
}

impl<T: IntoDto> IntoDto for Vec<T> {
    type Dto = Vec<T::Dto>;
    fn into_dto(self) -> Self::Dto {
        self.into_iter().map(IntoDto::into_dto).collect()
    }
}

/// A store page as the API sends it, items converted with `convert`.
pub fn paginated<U, T>(page: Page<U>, convert: impl Fn(U) -> T) -> Paginated<T> {
    Paginated {
        items: page.items.into_iter().map(convert).collect(),
        next_cursor: page.next.map(|c| c.to_string()),
    }
}

/// `?limit=&cursor=` as the store's page request.
pub fn page_request(query: &PageQuery) -> PageRequest {
    let limit = query.limit.unwrap_or(DEFAULT_PAGE_LIMIT);
    match &query.cursor {
        Some(cursor) => PageRequest::after(Cursor::new(cursor.clone()), limit),
        None => PageRequest::first(limit),
    }
}
