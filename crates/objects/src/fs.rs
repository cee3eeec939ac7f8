//! [`FsBlobStore`]: blobs as files under `<data_dir>/objects`.
//!
//! Layout: `blobs/<last two hex digits>/<id>` (256 fan-out directories, made once at
//! open, so no directory grows past what `readdir` handles well) and `tmp/<id>` for
//! writes in progress. A write goes to `tmp/`, is fsynced, renamed into `blobs/…`,
//! and the fan-out directory is fsynced so the rename itself survives a crash.

use std::io::SeekFrom;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use async_trait::async_trait;
use futures_util::StreamExt;
use md5::{Digest, Md5};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use crate::ObjectError;
use crate::blob::{BlobId, BlobStore, ByteStream, WrittenBlob};

/// Reads are streamed in chunks of this size: large enough for full-speed sequential
/// reads, small enough that many concurrent GETs stay within a few MiB.
const READ_CHUNK: usize = 256 * 1024;

pub struct FsBlobStore {
    blobs: PathBuf,
    tmp: PathBuf,
}

fn io(context: &str, path: &Path, error: std::io::Error) -> ObjectError {
    ObjectError::Internal(format!("{context} {}: {error}", path.display()))
}

/// fsyncs a directory, so that entries created or renamed in it are durable.
async fn sync_dir(path: PathBuf) -> Result<(), ObjectError> {
    tokio::task::spawn_blocking(move || {
        std::fs::File::open(&path)
            .and_then(|dir| dir.sync_all())
            .map_err(|e| io("fsync directory", &path, e))
    })
    .await
    .map_err(|e| ObjectError::Internal(format!("fsync task: {e}")))?
}

impl FsBlobStore {
    /// Opens (creating) the store under `root` (`<data_dir>/objects`), mode 0700.
    pub async fn open(root: &Path) -> Result<Self, ObjectError> {
        let blobs = root.join("blobs");
        let tmp = root.join("tmp");
        for dir in [root, &blobs, &tmp] {
            create_private_dir(dir).await?;
        }
        for fan in 0..=255u8 {
            let dir = blobs.join(format!("{fan:02x}"));
            if !tokio::fs::try_exists(&dir).await.unwrap_or(false) {
                create_private_dir(&dir).await?;
            }
        }
        sync_dir(blobs.clone()).await?;
        sync_dir(root.to_owned()).await?;
        Ok(Self { blobs, tmp })
    }

    fn path(&self, id: &BlobId) -> PathBuf {
        let id = id.as_str();
        self.blobs.join(&id[id.len().saturating_sub(2)..]).join(id)
    }

    /// Streams `body` into a new temporary file, then renames it into place; on any
    /// failure (or when the caller stops waiting) the temporary file is gone.
    ///
    /// The file is written, hashed and fsynced by one blocking thread while this task
    /// keeps reading the body: one thread hop per upload instead of one per chunk, MD5
    /// off the async workers, and the network and the disk busy at the same time. The
    /// queue between them is bounded, so a disk slower than the network holds the
    /// upload back instead of filling memory.
    async fn write_chunks(
        &self,
        mut body: impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Unpin + Send,
    ) -> Result<WrittenBlob, ObjectError> {
        let id = BlobId::new();
        let tmp = self.tmp.join(id.as_str());
        let (pieces, received) = tokio::sync::mpsc::channel(WRITE_QUEUE);
        let writer = tokio::task::spawn_blocking({
            let tmp = tmp.clone();
            move || write_file(&tmp, received)
        });
        let mut body_error = None;
        while let Some(chunk) = body.next().await {
            match chunk {
                // The writer stopped (a disk error): its error is the answer.
                Ok(chunk) => {
                    if pieces.send(Piece::Data(chunk)).await.is_err() {
                        break;
                    }
                }
                Err(error) => {
                    body_error = Some(error);
                    break;
                }
            }
        }
        if body_error.is_none() {
            let _ = pieces.send(Piece::End).await;
        }
        // Without `End` (a body error, or this future dropped) the writer deletes the file.
        drop(pieces);
        let written = writer
            .await
            .map_err(|e| ObjectError::Internal(format!("write task: {e}")))?;
        let (size, md5) = match (body_error, written) {
            (Some(error), _) => return Err(ObjectError::Body(error)),
            (None, written) => written?,
        };
        let path = self.path(&id);
        if let Err(error) = tokio::fs::rename(&tmp, &path).await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(io("rename into", &path, error));
        }
        sync_dir(path.parent().map(Path::to_owned).unwrap_or_default()).await?;
        Ok(WrittenBlob { id, size, md5 })
    }
}

/// Chunks queued between the body and the writer thread (a few MiB at most: hyper's
/// chunks are up to a few hundred KiB).
const WRITE_QUEUE: usize = 16;

enum Piece {
    Data(bytes::Bytes),
    /// The body ended well: make the file durable.
    End,
}

/// Writes `pieces` into a new file at `tmp` and `fdatasync`s it (the data and the
/// size, all a reader needs) once `End` arrives: (size, MD5). The file is removed
/// when anything fails or the pieces stop without `End`.
fn write_file(
    tmp: &Path,
    mut pieces: tokio::sync::mpsc::Receiver<Piece>,
) -> Result<(u64, [u8; 16]), ObjectError> {
    use std::io::Write;
    let written = (|| {
        let mut file = std::fs::File::create(tmp).map_err(|e| io("create", tmp, e))?;
        let mut md5 = Md5::new();
        let mut size = 0u64;
        loop {
            match pieces.blocking_recv() {
                Some(Piece::Data(chunk)) => {
                    md5.update(&chunk);
                    size += chunk.len() as u64;
                    file.write_all(&chunk).map_err(|e| io("write", tmp, e))?;
                }
                Some(Piece::End) => break,
                None => {
                    return Err(ObjectError::Internal(
                        "the upload stopped before its body ended".into(),
                    ));
                }
            }
        }
        file.sync_data().map_err(|e| io("fsync", tmp, e))?;
        Ok((size, md5.finalize().into()))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    written
}

async fn create_private_dir(dir: &Path) -> Result<(), ObjectError> {
    let mut builder = tokio::fs::DirBuilder::new();
    builder.recursive(true).mode(0o700);
    builder
        .create(dir)
        .await
        .map_err(|e| io("create directory", dir, e))
}

#[async_trait]
impl BlobStore for FsBlobStore {
    async fn write(&self, body: ByteStream) -> Result<WrittenBlob, ObjectError> {
        self.write_chunks(body).await
    }

    async fn read(
        &self,
        id: &BlobId,
        range: Option<Range<u64>>,
    ) -> Result<ByteStream, ObjectError> {
        let path = self.path(id);
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ObjectError::BlobGone);
            }
            Err(e) => return Err(io("open", &path, e)),
        };
        let stream: ByteStream = match range {
            None => Box::pin(ReaderStream::with_capacity(file, READ_CHUNK)),
            Some(range) => {
                file.seek(SeekFrom::Start(range.start))
                    .await
                    .map_err(|e| io("seek", &path, e))?;
                let length = range.end.saturating_sub(range.start);
                Box::pin(ReaderStream::with_capacity(file.take(length), READ_CHUNK))
            }
        };
        Ok(stream)
    }

    async fn delete(&self, id: &BlobId) -> Result<(), ObjectError> {
        let path = self.path(id);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io("delete", &path, e)),
        }
    }

    async fn list(&self) -> Result<Vec<(BlobId, SystemTime)>, ObjectError> {
        let mut blobs = Vec::new();
        for fan in 0..=255u8 {
            let dir = self.blobs.join(format!("{fan:02x}"));
            let mut entries = match tokio::fs::read_dir(&dir).await {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io("list", &dir, e)),
            };
            while let Some(entry) = entries
                .next_entry()
                .await
                .map_err(|e| io("list", &dir, e))?
            {
                let Some(id) = entry
                    .file_name()
                    .to_str()
                    .and_then(|n| BlobId::parse(n).ok())
                else {
                    continue;
                };
                let modified = entry
                    .metadata()
                    .await
                    .and_then(|m| m.modified())
                    .unwrap_or(SystemTime::UNIX_EPOCH);
                blobs.push((id, modified));
            }
        }
        Ok(blobs)
    }

    async fn clean_temporary(&self, before: SystemTime) -> Result<usize, ObjectError> {
        let mut removed = 0;
        let mut entries = tokio::fs::read_dir(&self.tmp)
            .await
            .map_err(|e| io("list", &self.tmp, e))?;
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|e| io("list", &self.tmp, e))?
        {
            let modified = entry.metadata().await.and_then(|m| m.modified());
            if modified.is_ok_and(|time| time < before)
                && tokio::fs::remove_file(entry.path()).await.is_ok()
            {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Copies the parts one after another into one new file (one part open at a time,
    /// however many parts there are).
    async fn compose(&self, parts: &[BlobId]) -> Result<WrittenBlob, ObjectError> {
        let paths: Vec<PathBuf> = parts.iter().map(|id| self.path(id)).collect();
        let body = futures_util::stream::iter(paths).flat_map(file_stream);
        self.write_chunks(Box::pin(body)).await
    }
}

/// A file's bytes, opened when first polled.
fn file_stream(path: PathBuf) -> ByteStream {
    let opened = futures_util::stream::once(async move { tokio::fs::File::open(path).await });
    Box::pin(opened.flat_map(|opened| -> ByteStream {
        match opened {
            Ok(file) => Box::pin(ReaderStream::with_capacity(file, READ_CHUNK)),
            Err(error) => Box::pin(futures_util::stream::iter([Err(error)])),
        }
    }))
}
