//! The one place the application is built: `serve`, the benchmarks and every
//! integration test call [`Services::build`], then [`Services::start`].
//!
//! Building happens in two layers:
//! - the [`Platform`]: what every feature may use — the store, the master key, the
//!   event bus, the job queue, settings, clusters with their [`PveConnector`], and
//!   the inventory mirror's on-demand refresh;
//! - the features, each contributing through `<feature>::register(&mut registry,
//!   &platform)`: the services its API handlers use ([`Registry::provide`]), its job
//!   handlers ([`Registry::jobs`]), its background workers ([`Registry::worker`]) and
//!   its readiness checks ([`Registry::readiness`]).
//!
//! Adding a feature: write `pub fn register(registry: &mut Registry, platform:
//! &Platform)` in its module and call it once in `services.rs` (after the features
//! whose services it reads with [`Registry::get`]). Nothing else has to change: the
//! API reaches any provided service by its type (`Domain<T>` in the api crate).
//!
//! [`PveConnector`]: crate::clusters::PveConnector

mod platform;
mod readiness;
mod registry;
mod services;

pub use platform::Platform;
pub use readiness::{DatabaseReady, ReadinessCheck};
pub use registry::Registry;
pub use services::{Running, Services, ServicesConfig, Start};
