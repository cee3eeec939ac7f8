//! Keeping one in-memory index current: rebuilt before the next read when this
//! process wrote the table (its writes counter moved), so a caller always reads its own
//! writes; and at least every `max_age`, for writes made by other processes sharing
//! the database. Concurrent readers rebuild it once.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

struct Built<I> {
    index: Arc<I>,
    /// The table's writes counter before its rows were read: the index holds at least
    /// every write counted up to there.
    writes: u64,
    built_at: Instant,
}

pub struct IndexCache<I> {
    current: Mutex<Option<Arc<Built<I>>>>,
    /// Held while the index is rebuilt.
    rebuilding: tokio::sync::Mutex<()>,
    max_age: Duration,
}

impl<I> IndexCache<I> {
    pub fn new(max_age: Duration) -> Self {
        Self {
            current: Mutex::new(None),
            rebuilding: tokio::sync::Mutex::new(()),
            max_age,
        }
    }

    /// The index, rebuilt first with `build` when `writes()` moved since it was built;
    /// when it is merely older than `max_age`, one reader rebuilds it while the others
    /// go on with the copy they have.
    pub async fn get<E, F, Fut>(&self, writes: impl Fn() -> u64, build: F) -> Result<Arc<I>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<I, E>>,
    {
        let current = self.current.lock().clone();
        if let Some(built) = current
            && built.writes == writes()
        {
            if built.built_at.elapsed() >= self.max_age
                && let Ok(_rebuilding) = self.rebuilding.try_lock()
            {
                return self.rebuild(writes(), build).await;
            }
            return Ok(built.index.clone());
        }
        let _rebuilding = self.rebuilding.lock().await;
        let current = self.current.lock().clone();
        match current {
            // Rebuilt by the reader this one waited for.
            Some(built) if built.writes == writes() => Ok(built.index.clone()),
            _ => self.rebuild(writes(), build).await,
        }
    }

    /// The caller holds `rebuilding`. The counter is read before the rows: a write that
    /// lands during the read leaves the index behind the counter, and the next read
    /// rebuilds again.
    async fn rebuild<E, F, Fut>(&self, writes: u64, build: F) -> Result<Arc<I>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<I, E>>,
    {
        let index = Arc::new(build().await?);
        *self.current.lock() = Some(Arc::new(Built {
            index: index.clone(),
            writes,
            built_at: Instant::now(),
        }));
        Ok(index)
    }
}
