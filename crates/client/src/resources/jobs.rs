//! `/api/v1/jobs`: the jobs behind every long operation.

use proxicloud_types::api::common::Paginated;
use proxicloud_types::api::jobs::{JobDto, JobListParams};
use reqwest::Method;
use uuid::Uuid;

use crate::pages::collect_all;
use crate::{Client, Result};

pub struct Jobs<'a>(pub(crate) &'a Client);

impl Jobs<'_> {
    /// One page of jobs, newest first.
    pub async fn list(&self, params: &JobListParams) -> Result<Paginated<JobDto>> {
        let request = self.0.request(Method::GET, "api/v1/jobs")?.query(params);
        self.0.send(request).await
    }

    /// Every job matching `params` (all pages from `params.cursor` on).
    pub async fn list_all(&self, params: &JobListParams) -> Result<Vec<JobDto>> {
        collect_all(|cursor| {
            let params = JobListParams {
                cursor: cursor.or_else(|| params.cursor.clone()),
                ..params.clone()
            };
            async move { self.list(&params).await }
        })
        .await
    }

    pub async fn get(&self, id: Uuid) -> Result<JobDto> {
        let request = self.0.request(Method::GET, &format!("api/v1/jobs/{id}"))?;
        self.0.send(request).await
    }
}
