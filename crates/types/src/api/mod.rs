//! The request and response bodies of `/api/v1`, one module per resource. The server
//! (crate `api`) serves them and derives the OpenAPI document from them (feature
//! `openapi`); the client and the CLI read and send the very same types.
//!
//! To add a resource: write `api/<resource>.rs` with its types (derive
//! `Serialize, Deserialize`, and `utoipa::ToSchema` under
//! `cfg_attr(feature = "openapi", …)`), then use them from `api/src/routes/<resource>.rs`.
//! Keep conversions from domain views out of here: they belong to the server
//! (`api/src/dto/`). Schema names are the Rust type names, so renaming a type
//! changes the served document.

pub mod alerts;
pub mod audit;
pub mod auth;
pub mod backups;
pub mod buckets;
pub mod clusters;
pub mod common;
pub mod images;
pub mod instances;
pub mod jobs;
pub mod keypairs;
pub mod launch;
pub mod metrics;
pub mod monitoring;
pub mod notifications;
pub mod s3;
mod secret;
pub mod secrets;
pub mod settings;
pub mod snapshots;
pub mod system;
pub mod tokens;
pub mod users;
pub mod volumes;
pub mod workers;
