//! One job at a time per volume. Two jobs on one volume would act on the same holder
//! container and record contradicting results (a grow and a restore both setting the
//! size), so a second one is refused with `409 volume_busy` naming the job that runs.
//!
//! The check before anything is recorded gives the answer early; the store's unique
//! index on unfinished volume jobs (`jobs_volume_active_key`) makes it hold under
//! concurrent requests: a submission that loses that race is refused the same way,
//! and the caller undoes what it recorded for it.
//!
//! A copy of a snapshot into a new volume (`volume.clone`) is the new volume's job but
//! reads the source's holder (Proxmox locks it while it copies), so the source counts
//! as busy while it runs — for a second copy too. This is checked here only, not by
//! the index.

use proxicloud_store::{
    Job, JobFilter, JobResource, JobStatus, MAX_PAGE_LIMIT, PageRequest, StoreError, Volume,
    constraints,
};

use super::{RESOURCE, VolumeService};
use crate::error::{DomainError, DomainResult};
use crate::volumes::jobs::{VolumeJob, kinds};

/// The statuses of a job that has not ended.
const UNFINISHED: [JobStatus; 3] = [JobStatus::Running, JobStatus::Waiting, JobStatus::Queued];

impl VolumeService {
    /// `volume_busy` when a job on `volume` has not ended.
    pub(super) async fn require_idle(&self, volume: &Volume) -> DomainResult<()> {
        match self.busy_error(volume).await? {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// The refusal naming the unfinished job on `volume` (its own, or a copy of one of
    /// its snapshots), if there is one. Asked by status: the unfinished job need not be
    /// the volume's newest (replicas' clocks differ; a copy is another volume's job).
    pub(super) async fn busy_error(&self, volume: &Volume) -> DomainResult<Option<DomainError>> {
        let jobs = self.store.jobs();
        for status in UNFINISHED {
            let own = JobFilter {
                status: Some(status),
                resource: Some(JobResource {
                    kind: RESOURCE.to_owned(),
                    id: volume.id.to_string(),
                }),
                ..JobFilter::default()
            };
            if let Some(job) = jobs.list(&own, PageRequest::first(1)).await?.items.pop() {
                return Ok(Some(busy(volume, &job, "")));
            }
        }
        // Unfinished jobs are work in progress: few, read a page of each status.
        for status in UNFINISHED {
            let filter = JobFilter {
                status: Some(status),
                ..JobFilter::default()
            };
            let page = jobs
                .list(&filter, PageRequest::first(MAX_PAGE_LIMIT))
                .await?;
            if let Some(job) = page.items.iter().find(|job| copies_from(job, volume)) {
                return Ok(Some(busy(
                    volume,
                    job,
                    " copying one of its snapshots into a new volume",
                )));
            }
        }
        Ok(None)
    }

    /// Maps the store's refusal of a second unfinished job to `volume_busy`.
    pub(super) async fn busy_on_conflict(
        &self,
        volume: &Volume,
        error: DomainError,
    ) -> DomainError {
        if !matches!(&error, DomainError::Store(StoreError::Conflict { constraint })
            if constraint == constraints::JOB_VOLUME_ACTIVE)
        {
            return error;
        }
        match self.busy_error(volume).await {
            Ok(Some(busy)) => busy,
            // The other job ended in between: still refused, the caller may retry.
            Ok(None) => DomainError::conflict(
                "volume_busy",
                format!("volume '{}' was busy; try again", volume.name),
            ),
            Err(other) => other,
        }
    }
}

fn copies_from(job: &Job, volume: &Volume) -> bool {
    job.kind == kinds::CLONE
        && serde_json::from_value::<VolumeJob>(job.params.clone())
            .is_ok_and(|params| params.source_volume_id == Some(volume.id))
}

fn busy(volume: &Volume, job: &Job, doing: &str) -> DomainError {
    DomainError::conflict(
        "volume_busy",
        format!(
            "volume '{}' is busy: job {} ({}{doing}) is {}; try again when it has ended",
            volume.name, job.id, job.kind, job.status
        ),
    )
}
