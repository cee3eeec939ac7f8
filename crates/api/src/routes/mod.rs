//! One module per resource, each exposing `router() -> OpenApiRouter<AppState>`
//! built with `utoipa_axum::routes!`, so a route and its OpenAPI operation are one
//! declaration and cannot drift apart.
//!
//! To add a resource: put its request/response types in `proxicloud_types::api::<resource>`
//! and their conversions from domain views in `dto/<resource>.rs` (a route never imports
//! another route's types), write `routes/<resource>.rs` with handlers annotated
//! `#[utoipa::path(…, tag = "<resource>")]` (the function name becomes the
//! operationId and the audit action: `verb_noun`) that take the domain services they
//! use as `Domain<T>` arguments (provided by the feature's `register`, see
//! `proxicloud_domain::app`), merge its `router()` below, and add its rows to the
//! authorization matrix (`tests/api/matrix/rows/<resource>.rs`).

pub mod alerts;
pub mod audit;
pub mod auth;
pub mod backups;
pub mod bucket_objects;
pub mod bucket_uploads;
pub mod buckets;
pub mod clusters;
pub mod events;
pub mod images;
pub mod instance_console;
pub mod instance_detail;
pub mod instance_edit;
pub mod instance_secrets;
pub mod instance_snapshots;
pub mod instances_read;
pub mod instances_summary;
pub mod instances_write;
pub mod jobs;
pub mod keypairs;
pub mod launch_options;
pub mod metrics;
pub mod monitoring;
pub mod notifications;
pub mod prometheus;
pub mod s3_access_keys;
pub mod secret_grants;
pub mod secrets;
pub mod settings;
pub mod system;
pub mod tokens;
pub mod users;
pub mod volume_classes;
pub mod volumes;
pub mod workers;

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
        .merge(instance_edit::router())
        .merge(instance_secrets::router())
        .merge(instance_snapshots::router())
        .merge(instance_console::router())
        .merge(jobs::router())
        .merge(keypairs::router())
        .merge(images::router())
        .merge(events::router())
        .merge(workers::router())
        .merge(volumes::router())
        .merge(backups::router())
        .merge(volume_classes::router())
        .merge(metrics::router())
        .merge(monitoring::router())
        .merge(prometheus::router())
        .merge(alerts::router())
        .merge(notifications::router())
        .merge(s3_access_keys::router())
        .merge(secrets::router())
        .merge(secret_grants::router())
        .merge(buckets::router())
        .merge(bucket_objects::router())
        .merge(bucket_uploads::router())
}
