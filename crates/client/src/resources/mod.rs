//! One module per API resource: a borrowed handle with its typed calls.

pub mod auth;
pub mod buckets;
pub mod images;
pub mod instances;
pub mod jobs;
pub mod keypairs;
pub mod s3keys;
pub mod secrets;
pub mod tokens;
pub mod volumes;
