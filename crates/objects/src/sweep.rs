//! The start-up sweep: removes what interrupted writes left behind — temporary files,
//! and blobs no row names (written but never committed, or released but not yet
//! deleted when the process died).
//!
//! Only blobs older than `before` are considered: on SQLite there is one process and
//! `before` is its start; with several replicas on PostgreSQL, pass a time old enough
//! that no other replica is still between writing a blob and committing its row.

use std::time::SystemTime;

use crate::ObjectError;
use crate::blob::BlobStore;
use proxicloud_store::Store;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub temporary: usize,
    pub orphans: usize,
}

pub async fn sweep(
    store: &dyn Store,
    blobs: &dyn BlobStore,
    before: SystemTime,
) -> Result<SweepReport, ObjectError> {
    let temporary = blobs.clean_temporary(before).await?;
    let candidates: Vec<_> = blobs
        .list()
        .await?
        .into_iter()
        .filter(|(_, modified)| *modified < before)
        .map(|(id, _)| id)
        .collect();
    let mut orphans = 0;
    for chunk in candidates.chunks(1000) {
        let names: Vec<String> = chunk.iter().map(|id| id.as_str().to_owned()).collect();
        let referenced = store.objects().referenced_blobs(&names).await?;
        for id in chunk {
            if !referenced.iter().any(|r| r == id.as_str()) {
                blobs.delete(id).await?;
                orphans += 1;
            }
        }
    }
    if temporary + orphans > 0 {
        tracing::info!(
            temporary,
            orphans,
            "object store sweep removed leftovers of interrupted writes"
        );
    }
    Ok(SweepReport { temporary, orphans })
}
