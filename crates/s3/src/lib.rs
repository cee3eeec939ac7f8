//! ProxiCloud's S3 endpoint: [`s3s`] speaks the protocol (routing, XML, SigV4 header
//! and query auth, presigned URLs, aws-chunked payloads); [`ProxiS3`] implements its
//! operations over the [`ObjectStore`](proxicloud_objects::ObjectStore), and
//! [`auth`] checks signatures with the users' access keys and pins every request
//! to the key's owner (other users' buckets are `AccessDenied`).
//!
//! Layout: `service.rs` holds the `impl S3` (one line per operation, delegating to
//! the family files `buckets.rs`, `objects.rs`, `listing.rs`, `multipart.rs`);
//! `convert.rs` maps headers, times, bodies and errors between s3s and the object
//! store; `serve.rs` accepts connections (TCP_NODELAY) and serves HTTP/1.1 and h2.
//!
//! Adding an operation: its method in `service.rs`, its body in the family file,
//! and an AWS-SDK test in `tests/s3`.

pub mod auth;
mod buckets;
mod convert;
mod listing;
mod multipart;
mod objects;
mod serve;
mod service;

pub use serve::{S3Config, build, serve};
pub use service::ProxiS3;
