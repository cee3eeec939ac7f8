//! One job at a time per volume. Two jobs on one volume would act on the same holder
//! container and record contradicting results (a grow and a restore both setting the
//! size), so a second one is refused with `409 volume_busy` naming the job that runs.
//!
//! The check before anything is recorded gives the answer early; the store's unique
//! index on unfinished volume jobs (`jobs_volume_active_key`) makes it hold under
//! concurrent requests: a submission that loses that race is refused the same way,
//! and the caller undoes what it recorded for it.

use proxicloud_store::{JobFilter, JobResource, PageRequest, StoreError, Volume, constraints};

use super::{RESOURCE, VolumeService};
use crate::error::{DomainError, DomainResult};

impl VolumeService {
    /// `volume_busy` when a job on `volume` has not ended.
    pub(super) async fn require_idle(&self, volume: &Volume) -> DomainResult<()> {
        match self.busy_error(volume).await? {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// The refusal naming the unfinished job on `volume`, if there is one. With the
    /// index, an unfinished job is always the volume's newest: later ones were refused.
    pub(super) async fn busy_error(&self, volume: &Volume) -> DomainResult<Option<DomainError>> {
        let filter = JobFilter {
            resource: Some(JobResource {
                kind: RESOURCE.to_owned(),
                id: volume.id.to_string(),
            }),
            ..JobFilter::default()
        };
        let newest = self
            .store
            .jobs()
            .list(&filter, PageRequest::first(1))
            .await?;
        Ok(newest
            .items
            .into_iter()
            .find(|job| !job.status.is_terminal())
            .map(|job| {
                DomainError::conflict(
                    "volume_busy",
                    format!(
                        "volume '{}' is busy: job {} ({}) is {}; try again when it has ended",
                        volume.name, job.id, job.kind, job.status
                    ),
                )
            }))
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
