//! The S3 endpoint in-process, driven by the real AWS SDK for Rust: every operation
//! the endpoint implements, its AWS error codes and statuses, presigned URLs.

mod buckets;
mod conditional;
mod large;
mod listing;
mod multipart;
mod objects;
mod presign;
mod quotas;
mod support;
