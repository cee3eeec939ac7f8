//! The retention job: raw samples older than a day and rollups older than
//! `metrics_retention_days` (a setting, 30 by default) are deleted, whole chunks at a
//! time and at most [`BATCH`] × [`MAX_BATCHES`] chunks per round, so a round never
//! holds the database for long; what is left goes in the next round.

use proxicloud_store::Store;

use super::writer::{RAW, ROLLUP};

const BATCH: i64 = 2000;
const MAX_BATCHES: usize = 10;
/// How long raw samples are kept.
pub const RAW_RETENTION: i64 = 86_400;

/// One round at `now`; returns how many chunks were deleted.
pub async fn prune(store: &dyn Store, retention_days: u32, now: i64) -> Result<u64, String> {
    // A chunk goes when its last sample is past the limit; one straddling it is kept
    // whole until then (at most a chunk's span longer).
    let limits = [
        (RAW, now - RAW_RETENTION),
        (ROLLUP, now - i64::from(retention_days) * 86_400),
    ];
    let mut deleted = 0;
    for (resolution, before) in limits {
        for _ in 0..MAX_BATCHES {
            let n = store
                .metrics()
                .delete_chunks_before(resolution, before, BATCH)
                .await
                .map_err(|e| e.to_string())?;
            deleted += n;
            if n < BATCH as u64 {
                break;
            }
        }
    }
    Ok(deleted)
}
