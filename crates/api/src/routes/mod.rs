//! One module per resource, each exposing `router() -> OpenApiRouter<AppState>`
//! built with `utoipa_axum::routes!`, so a route and its OpenAPI operation are one
//! declaration and cannot drift apart.
//!
//! To add a resource: write `routes/<resource>.rs` with handlers annotated
//! `#[utoipa::path(…, tag = "<resource>")]` (the function name becomes the
//! operationId and the audit action: `verb_noun`), merge its `router()` below, and
//! add its rows to the authorization matrix (`tests/api/matrix.rs`).

pub mod audit;
pub mod auth;
pub mod clusters;
pub mod events;
pub mod instance_detail;
pub mod instances_read;
pub mod instances_summary;
pub mod instances_write;
pub mod jobs;
pub mod launch_options;
pub mod settings;
pub mod system;
pub mod tokens;
pub mod users;

use proxicloud_store::{Cursor, Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Every route of the API, with its OpenAPI description.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(system::router())
        .merge(auth::router())
        .merge(users::router())
        .merge(tokens::router())
        .merge(audit::router())
        .merge(clusters::router())
        .merge(settings::router())
        .merge(instances_read::router())
        .merge(instances_summary::router())
        .merge(instances_write::router())
        .merge(launch_options::router())
        .merge(instance_detail::router())
        .merge(jobs::router())
        .merge(events::router())
}

pub const DEFAULT_PAGE_LIMIT: u32 = 50;

/// `?limit=&cursor=` of list endpoints.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn to_request(&self) -> PageRequest {
        let limit = self.limit.unwrap_or(DEFAULT_PAGE_LIMIT);
        match &self.cursor {
            Some(cursor) => PageRequest::after(Cursor::new(cursor.clone()), limit),
            None => PageRequest::first(limit),
        }
    }
}

/// One page of a list; pass `next_cursor` back as `cursor` for the next page
/// (`null` on the last one).
#[derive(Debug, Serialize, ToSchema)]
pub struct Paginated<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Paginated<T> {
    pub fn from_page<U>(page: Page<U>, convert: impl Fn(U) -> T) -> Self {
        Self {
            items: page.items.into_iter().map(convert).collect(),
            next_cursor: page.next.map(|c| c.to_string()),
        }
    }

    /// A complete list (no further pages).
    pub fn all(items: Vec<T>) -> Self {
        Self {
            items,
            next_cursor: None,
        }
    }
}
