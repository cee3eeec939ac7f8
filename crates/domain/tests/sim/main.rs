//! Clusters and the inventory mirror against the real simulator over HTTPS.

mod addresses;
mod clusters;
mod common;
mod instances;
mod inventory;
mod refresh;
mod snapshots;
mod supervised;
