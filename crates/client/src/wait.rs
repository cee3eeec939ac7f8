//! Following a job until it ends: `job.updated` events as they come, with a poll of
//! `GET /api/v1/jobs/{id}` as the fallback (no event stream, a `reload`, a broken
//! stream, or simply a quiet one), so a lost event costs at most one poll interval.

use std::time::Duration;

use futures_util::StreamExt;
use proxicloud_types::api::jobs::JobDto;
use uuid::Uuid;

use crate::{Client, EventStream, Result};

#[derive(Debug, Clone)]
pub struct WaitOptions {
    /// How often to re-read the job while the event stream is open and quiet.
    pub poll_with_events: Duration,
    /// How often to re-read the job without an event stream.
    pub poll_without_events: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            poll_with_events: Duration::from_secs(5),
            poll_without_events: Duration::from_secs(1),
        }
    }
}

impl Client {
    /// Follows job `id` until it succeeds, fails or is cancelled, calling `progress`
    /// with each new state (the first call is the state it had when waiting began).
    /// Returns the final job: check its `status`, a failed job is not an `Err`.
    pub async fn wait_for_job(
        &self,
        id: Uuid,
        options: &WaitOptions,
        mut progress: impl FnMut(&JobDto),
    ) -> Result<JobDto> {
        // Subscribe before the first read, so no update falls between the two.
        let mut events: Option<EventStream> = self.events(None).await.ok();
        let mut last = self.jobs().get(id).await?;
        progress(&last);
        while !last.status.is_terminal() {
            let update = match events.as_mut() {
                Some(stream) => {
                    let next = tokio::time::timeout(options.poll_with_events, stream.next()).await;
                    match next {
                        Ok(Some(Ok(event))) if event.kind == "job.updated" => {
                            match event.data_as::<JobDto>() {
                                Ok(job) if job.id == id => Some(job),
                                _ => continue,
                            }
                        }
                        Ok(Some(Ok(event))) if event.kind != "reload" => continue,
                        // `reload`, or the quiet interval passed: read the job.
                        Ok(Some(Ok(_))) | Err(_) => None,
                        // The stream ended or broke: poll from now on.
                        Ok(Some(Err(_)) | None) => {
                            events = None;
                            None
                        }
                    }
                }
                None => {
                    tokio::time::sleep(options.poll_without_events).await;
                    None
                }
            };
            let job = match update {
                Some(job) => job,
                None => self.jobs().get(id).await?,
            };
            // An event sent before the last read can arrive after it: never go back.
            if job.updated_at >= last.updated_at && job != last {
                progress(&job);
                last = job;
            }
        }
        Ok(last)
    }
}
