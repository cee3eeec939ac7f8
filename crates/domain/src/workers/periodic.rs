//! [`Periodic`]: a worker made of an interval and an async tick, for the common case
//! of "do this every N seconds" (retention, schedules, metrics collection).

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use proxicloud_store::Timestamp;

use super::{BackgroundWorker, WorkerContext, WorkerScope};

/// Calls `tick` at once and then every `interval` (measured from the end of a tick, so
/// slow ticks never pile up). A tick's `Err` is recorded as the worker's last error and
/// the next tick comes as usual; a panic restarts the worker with back-off. A tick in
/// progress at shutdown is dropped, so a tick must be safe to abandon at any `.await`.
pub struct Periodic<F> {
    name: String,
    scope: WorkerScope,
    interval: Duration,
    tick: F,
}

impl<F, Fut> Periodic<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    pub fn new(name: impl Into<String>, scope: WorkerScope, interval: Duration, tick: F) -> Self {
        Self {
            name: name.into(),
            scope,
            interval,
            tick,
        }
    }
}

#[async_trait]
impl<F, Fut> BackgroundWorker for Periodic<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn scope(&self) -> WorkerScope {
        self.scope
    }

    async fn run(&self, ctx: WorkerContext) -> Result<(), String> {
        loop {
            let result = tokio::select! {
                () = ctx.cancelled() => return Ok(()),
                result = (self.tick)() => result,
            };
            ctx.record_run(result, Some(Timestamp::now() + self.interval));
            tokio::select! {
                () = ctx.cancelled() => return Ok(()),
                () = tokio::time::sleep(self.interval) => {}
            }
        }
    }
}
