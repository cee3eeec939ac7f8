//! The matrix's table, one file per resource: each lists its operations with the
//! five expected statuses. [`rows`] collects them; a route without a row fails the
//! matrix, so every new route lands with its rows.
//!
//! Adding a resource: add `rows/<resource>.rs` with `pub(super) fn rows() -> Vec<Row>`
//! (status shorthands and common bodies are in [`common`]), then one `mod` line and
//! one line in [`rows`] below.

mod common;

mod alerts;
mod audit;
mod auth;
mod backups;
mod buckets;
mod clusters;
mod console;
mod events;
mod images;
mod instances;
mod jobs;
mod keypairs;
mod launch_options;
mod metrics;
mod monitoring;
mod notifications;
mod s3_access_keys;
mod secrets;
mod settings;
mod snapshots;
mod system;
mod tokens;
mod users;
mod volume_classes;
mod volumes;
mod workers;

pub(super) use alerts::alert_target;
pub(super) use common::Row;
pub(super) use keypairs::PUBLIC_KEY;
pub(super) use notifications::notification_target;
pub(super) use secrets::secret_target;

/// Every row of the matrix.
pub(super) fn rows() -> Vec<Row> {
    [
        system::rows(),
        auth::rows(),
        users::rows(),
        tokens::rows(),
        clusters::rows(),
        settings::rows(),
        instances::rows(),
        snapshots::rows(),
        backups::rows(),
        console::rows(),
        launch_options::rows(),
        jobs::rows(),
        keypairs::rows(),
        images::rows(),
        events::rows(),
        audit::rows(),
        workers::rows(),
        volumes::rows(),
        volume_classes::rows(),
        metrics::rows(),
        monitoring::rows(),
        alerts::rows(),
        notifications::rows(),
        s3_access_keys::rows(),
        secrets::rows(),
        buckets::rows(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
