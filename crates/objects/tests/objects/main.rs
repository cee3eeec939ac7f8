//! The object store over a real SQLite store and the filesystem blob store: what a
//! client sees, and what stays on disk.

mod buckets;
mod durability;
mod listing;
mod multipart;
mod objects;
mod quotas;
mod support;
