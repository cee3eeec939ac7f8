//! Repository traits and the types they exchange, one module per aggregate.

pub mod access_keys;
pub mod alerts;
pub mod audit;
pub mod backups;
pub mod clusters;
pub mod coordination;
pub mod guests;
pub mod inventory;
pub mod jobs;
pub mod key_pairs;
pub mod metrics;
pub mod notifications;
pub mod objects;
pub mod secrets;
pub mod settings;
pub mod tokens;
pub mod users;
pub mod volumes;
