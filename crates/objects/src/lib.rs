//! The object store behind ProxiCloud's S3 endpoint and its bucket API.
//!
//! Two layers:
//! - [`BlobStore`]: opaque, immutable byte blobs, written once and durable when the
//!   write returns. [`FsBlobStore`] keeps them under `<data_dir>/objects`.
//! - [`ObjectStore`]: buckets, objects and multipart uploads — their metadata in the
//!   database (`proxicloud_store::ObjectRepo`), their bytes in blobs.
//!
//! **The durability rule**: a blob is complete and durable (for the filesystem:
//! written to a temporary file, fsynced, renamed into place, directory fsynced)
//! *before* the row naming it is committed, and a blob a row stops naming is deleted
//! only *after* that commit. So an object is visible only when complete, a crash
//! leaves the old object or the new one, and the worst a crash leaves behind is an
//! unreferenced blob, which [`sweep`] removes at start-up.
//!
//! **The seam for other backends** (Garage, Ceph RGW, any S3 for users who outgrow
//! one disk): implement [`BlobStore`] — `write` (upload a new object under a fresh
//! name; return when the backend acknowledged it), `read` (ranged GET), `delete`,
//! `list` (for the sweep), and optionally `compose` (server-side concatenation, for
//! multipart completion and copies; the default streams the parts through). Nothing
//! above the trait knows where bytes live; blob ids are opaque strings the store
//! makes itself.
//!
//! Adding an S3 operation: a method on [`ObjectStore`] (in the file of its family:
//! `buckets.rs`, `objects.rs`, `listing.rs`, `multipart.rs`) returning an
//! [`ObjectError`], then its handler in the `s3` crate.

mod blob;
mod buckets;
mod error;
mod fs;
mod headers;
mod listing;
mod multipart;
mod objects;
mod room;
mod service;
pub mod sweep;

pub use blob::{BlobId, BlobStore, ByteStream, WrittenBlob};
pub use buckets::validate_bucket_name;
pub use error::ObjectError;
pub use fs::FsBlobStore;
pub use headers::ObjectHeaders;
pub use listing::{ListPage, ListQuery};
pub use multipart::{CompletedPart, MIN_PART_SIZE, MultipartLimits};
pub use objects::{ByteRange, GetObject, ObjectInfo, PutObject, WriteCondition};
pub use service::{Access, ObjectStore};
pub use sweep::{SweepReport, sweep};
