//! Types shared by every ProxiCloud crate: identifiers that are parsed once and
//! then trusted, the one instant type, and the request/response types of the HTTP
//! API ([`api`]), shared by the server, the client and the CLI. No I/O lives here.
//!
//! Features: `openapi` derives the API types' OpenAPI schemas (the server enables
//! it; clients do not need it); `sqlx` lets the store keep a [`Timestamp`].

pub mod api;
mod ids;
mod timestamp;
#[cfg(feature = "sqlx")]
mod timestamp_sqlx;

pub use ids::{GuestType, InvalidId, NodeName, VmId};
pub use timestamp::Timestamp;
