//! [`BlobStore`]: where object bytes live. See the crate header for the contract.

use std::ops::Range;
use std::pin::Pin;
use std::time::SystemTime;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use crate::ObjectError;

/// A body, streamed: never a whole object in memory.
pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send + Sync>>;

/// A blob's name: lower-case hex and `-` only (it becomes a file name), made by the
/// blob store.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobId(String);

impl BlobId {
    pub(crate) fn new() -> Self {
        Self(uuid::Uuid::now_v7().simple().to_string())
    }

    /// A stored name, checked: a row edited by hand cannot point outside the store.
    pub fn parse(text: &str) -> Result<Self, ObjectError> {
        let valid = !text.is_empty()
            && text.len() <= 64
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(ObjectError::Internal(format!("malformed blob id {text:?}")))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a finished write knows about its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenBlob {
    pub id: BlobId,
    pub size: u64,
    pub md5: [u8; 16],
}

#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Writes `body` as a new blob and returns once it is durable. When the body
    /// fails (client gone) or the write fails, nothing of it remains.
    async fn write(&self, body: ByteStream) -> Result<WrittenBlob, ObjectError>;

    /// The bytes of `range` (whole blob when `None`); the range is within the blob.
    async fn read(&self, id: &BlobId, range: Option<Range<u64>>)
    -> Result<ByteStream, ObjectError>;

    /// Deletes a blob; an absent one is not an error (deletes are retried by sweeps).
    async fn delete(&self, id: &BlobId) -> Result<(), ObjectError>;

    /// Every blob with its creation (or last modification) time, for the orphan
    /// sweep; temporary leftovers of interrupted writes are the store's own business
    /// ([`BlobStore::clean_temporary`]).
    async fn list(&self) -> Result<Vec<(BlobId, SystemTime)>, ObjectError>;

    /// Removes the remains of writes interrupted before `before`.
    async fn clean_temporary(&self, before: SystemTime) -> Result<usize, ObjectError>;

    /// A new blob made of `parts` in order. A backend that can concatenate on its side
    /// overrides this; the default streams each part through [`BlobStore::write`].
    async fn compose(&self, parts: &[BlobId]) -> Result<WrittenBlob, ObjectError> {
        let mut streams = Vec::with_capacity(parts.len());
        for part in parts {
            streams.push(self.read(part, None).await?);
        }
        let body = futures_util::stream::iter(streams).flatten();
        self.write(Box::pin(body)).await
    }
}
