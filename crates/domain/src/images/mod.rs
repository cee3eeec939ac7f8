//! Images (`/api/v1/images`): what instances can be launched from, across a cluster's
//! nodes and storages — container templates (`vztmpl`), installer ISOs (`iso`) and VM
//! templates — and downloading container templates from Proxmox VE's appliance
//! catalogue (`aplinfo`) as a job.
//!
//! The volumes come from the launch wizard's gathering (`launch`), so the wizard and
//! this list always agree; a change made here drops that cache. Adding an operation:
//! a method on [`ImagesService`]; a long one: a job kind beside `download_job`.

mod download_job;
mod service;

pub use download_job::DOWNLOAD_KIND;
pub use proxicloud_pve::Appliance;
pub use service::{DownloadImage, Image, ImageKind, ImagesService};

use std::sync::Arc;

use crate::app::{Platform, Registry};
use crate::launch::LaunchOptionsService;

/// Provides [`ImagesService`] and the `image.download` job. After `launch::register`.
pub fn register(registry: &mut Registry, platform: &Platform) {
    let launch = registry.get::<LaunchOptionsService>();
    registry.jobs().register(
        DOWNLOAD_KIND,
        Arc::new(download_job::DownloadHandler::new(
            platform.connector.clone(),
            launch.clone(),
        )),
    );
    registry.provide(Arc::new(ImagesService::new(
        platform.connector.clone(),
        platform.queue.clone(),
        launch,
    )));
}
