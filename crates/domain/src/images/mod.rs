//! Images (`/api/v1/images`): what instances can be launched from, across a cluster's
//! nodes and storages — container templates (`vztmpl`), installer ISOs (`iso`) and VM
//! templates — downloading container templates from Proxmox VE's appliance catalogue
//! (`aplinfo`), uploading ISOs and templates, deleting images and turning a stopped
//! instance into a template, each as a job.
//!
//! The volumes come from the launch wizard's gathering (`launch`), so the wizard and
//! this list always agree; a change made here drops that cache. Adding an operation:
//! a method on [`ImagesService`] (`service.rs`, or its own file like `delete.rs`); a
//! long one: a job kind beside `download_job` and `delete_job`, registered below.

mod create_job;
mod delete;
mod delete_job;
mod download_job;
mod from_instance;
mod job_deps;
mod service;
#[cfg(test)]
mod tests;
mod upload;
mod upload_job;

pub use create_job::CREATE_KIND;
pub use delete::DeleteImage;
pub use delete_job::DELETE_KIND;
pub use download_job::DOWNLOAD_KIND;
pub use proxicloud_pve::Appliance;
pub use service::{DownloadImage, Image, ImageKind, ImageList, ImageStorage, ImagesService};
pub use upload::{UploadContent, UploadImage};
pub use upload_job::UPLOAD_KIND;

use std::sync::Arc;

use crate::app::{Platform, Registry};
use crate::launch::LaunchOptionsService;

/// Provides [`ImagesService`] and the image jobs. After `launch::register`.
pub fn register(registry: &mut Registry, platform: &Platform) {
    let launch = registry.get::<LaunchOptionsService>();
    register_handlers(
        registry.jobs(),
        platform.connector.clone(),
        launch.clone(),
        Some(platform.mirror.clone()),
    );
    registry.provide(Arc::new(ImagesService::new(
        platform.store.clone(),
        platform.connector.clone(),
        platform.queue.clone(),
        launch,
    )));
}

/// The image job kinds, for `register` and for test worlds that build their own engine.
pub(crate) fn register_handlers(
    handlers: &mut crate::jobs::JobHandlers,
    connector: Arc<dyn crate::clusters::PveConnector>,
    launch: Arc<LaunchOptionsService>,
    refresh: Option<Arc<dyn crate::clusters::MirrorRefresh>>,
) {
    let deps = Arc::new(job_deps::ImageJobDeps {
        connector,
        launch,
        refresh,
    });
    handlers.register(
        DOWNLOAD_KIND,
        Arc::new(download_job::DownloadHandler::new(deps.clone())),
    );
    handlers.register(
        DELETE_KIND,
        Arc::new(delete_job::DeleteHandler::new(deps.clone())),
    );
    handlers.register(
        UPLOAD_KIND,
        Arc::new(upload_job::UploadHandler::new(deps.clone())),
    );
    handlers.register(CREATE_KIND, Arc::new(create_job::CreateHandler::new(deps)));
}
