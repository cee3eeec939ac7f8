//! ProxiCloud's business logic. Depends on the `pve` client and the `store`
//! traits, never on axum or sqlx.

pub mod alerts;
pub mod app;
pub mod audit;
pub mod backups;
pub mod buckets;
pub mod clusters;
pub mod console;
pub mod error;
pub mod events;
pub mod iam;
pub mod images;
pub mod instances;
pub mod inventory;
pub mod jobs;
pub mod keypairs;
pub mod launch;
pub mod metrics;
pub mod monitoring;
pub mod objects;
pub mod read_index;
pub mod s3keys;
pub mod secrets;
pub mod settings;
#[cfg(test)]
mod testing;
pub mod vault;
pub mod workers;

pub use error::{DomainError, DomainResult, FieldErrors};

pub mod volumes;
