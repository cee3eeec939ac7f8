//! What the launch wizard may offer for a cluster: its nodes (free memory, cores,
//! bridges, disk storages), the container templates and ISOs on its storages, its VM
//! templates, and size presets with the defaults of Settings → Resources.
//!
//! Read live from Proxmox VE (the mirror knows neither storage content nor bridges)
//! and cached per cluster for [`CACHE_TTL`], so opening the wizard again and again
//! costs Proxmox nothing; presets and defaults are read fresh on every call.

mod gather;
mod options;
mod presets;
mod service;

#[cfg(test)]
mod tests;

pub use options::{
    ClusterChoice, ClusterOptions, ImageStorageOption, LaunchDefaults, LaunchOptions, NodeOption,
    SizePreset, StorageOption, VmTemplateOption, VolumeOption,
};
pub use presets::size_presets;
pub use service::{CACHE_TTL, LaunchOptionsService};

use std::sync::Arc;

use crate::app::{Platform, Registry};

/// Provides [`LaunchOptionsService`] (what the launch wizard can offer).
pub fn register(registry: &mut Registry, platform: &Platform) {
    registry.provide(Arc::new(LaunchOptionsService::new(
        platform.store.clone(),
        platform.connector.clone(),
        platform.settings.clone(),
    )));
}
