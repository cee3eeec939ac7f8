//! `POST /nodes/{node}/storage/{storage}/upload`: a file streamed to a storage as
//! `multipart/form-data`, the way pveproxy takes uploads (pve-http-server
//! `file_upload_multipart`): the fields `content`, `checksum-algorithm` and `checksum`
//! come before the file part, whose field is named `filename`; PVE answers with the
//! UPID of an `imgcopy` task that verifies the checksum and moves the file in place.
//!
//! The body is streamed, never held in memory, so it cannot be sent twice: the
//! request goes to one node address only, with fresh credentials, and no retry.

use std::fmt;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use proxicloud_types::NodeName;
use reqwest::multipart::{Form, Part};

use crate::error::{PveError, Result};
use crate::params::api_path;
use crate::transport::{Method, Transport, decode};
use crate::upid::Upid;

/// A byte stream that ends with the file; an `Err` aborts the upload.
pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// An upload takes as long as the file needs; this only bounds a stalled one.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(12 * 3600);

/// One file for a storage.
pub struct UploadFile {
    /// `iso`, `vztmpl` or `import`.
    pub content: String,
    /// The file's name on the storage (PVE replaces unsafe characters with `_`).
    pub filename: String,
    /// Exact length of `body` in bytes (PVE needs the request's length up front).
    pub size: u64,
    /// `(algorithm, lower-case hex digest)`: PVE's task checks it before the copy.
    pub checksum: Option<(String, String)>,
    pub body: ByteStream,
}

impl fmt::Debug for UploadFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadFile")
            .field("content", &self.content)
            .field("filename", &self.filename)
            .field("size", &self.size)
            .field("checksum", &self.checksum)
            .finish_non_exhaustive()
    }
}

pub(crate) async fn upload(
    t: &Transport,
    node: &NodeName,
    storage: &str,
    file: UploadFile,
) -> Result<Upid> {
    let path = api_path!("nodes", node, "storage", storage, "upload");
    let mut form = Form::new().text("content", file.content);
    if let Some((algorithm, digest)) = file.checksum {
        form = form
            .text("checksum-algorithm", algorithm)
            .text("checksum", digest);
    }
    let part = Part::stream_with_length(reqwest::Body::wrap_stream(file.body), file.size)
        .file_name(file.filename)
        .mime_str("application/octet-stream")
        .map_err(|e| PveError::InvalidRequest(e.to_string()))?;
    let form = form.part("filename", part);
    let envelope = t.send_multipart(&path, form, UPLOAD_TIMEOUT).await?;
    decode(Method::Post, &path, envelope.data)
}
