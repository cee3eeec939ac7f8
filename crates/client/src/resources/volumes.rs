//! `/api/v1/volumes` and `/api/v1/volume-snapshots`: data volumes and their snapshots.
//! Writes return the job that carries them out (wait for it with `crate::wait`).

use proxicloud_types::api::common::Paginated;
use proxicloud_types::api::jobs::JobDto;
use proxicloud_types::api::volumes::{
    AttachVolumeRequest, CloneVolumeRequest, CreateVolumeRequest, CreateVolumeSnapshotRequest,
    GrowVolumeRequest, VolumeDto, VolumeListParams, VolumeSnapshotDto,
};
use reqwest::Method;
use serde::Serialize;
use uuid::Uuid;

use crate::pages::collect_all;
use crate::{Client, Result};

pub struct Volumes<'a>(pub(crate) &'a Client);

impl Volumes<'_> {
    /// One page of your volumes (every volume for an admin) matching `params`.
    pub async fn list(&self, params: &VolumeListParams) -> Result<Paginated<VolumeDto>> {
        let request = self.0.request(Method::GET, "api/v1/volumes")?.query(params);
        self.0.send(request).await
    }

    /// Every volume matching `params` (all pages), oldest first.
    pub async fn list_all(&self, params: &VolumeListParams) -> Result<Vec<VolumeDto>> {
        collect_all(|cursor| {
            let params = VolumeListParams {
                cursor: cursor.or_else(|| params.cursor.clone()),
                ..params.clone()
            };
            async move { self.list(&params).await }
        })
        .await
    }

    pub async fn get(&self, id: Uuid) -> Result<VolumeDto> {
        let request = self
            .0
            .request(Method::GET, &format!("api/v1/volumes/{id}"))?;
        self.0.send(request).await
    }

    /// The job's `resource_id` names the new volume.
    pub async fn create(&self, request: &CreateVolumeRequest) -> Result<JobDto> {
        self.post("api/v1/volumes", request).await
    }

    pub async fn attach(&self, id: Uuid, request: &AttachVolumeRequest) -> Result<JobDto> {
        self.post(&format!("api/v1/volumes/{id}/attach"), request)
            .await
    }

    pub async fn detach(&self, id: Uuid) -> Result<JobDto> {
        self.post(
            &format!("api/v1/volumes/{id}/detach"),
            &serde_json::json!({}),
        )
        .await
    }

    pub async fn grow(&self, id: Uuid, size_gib: u64) -> Result<JobDto> {
        self.post(
            &format!("api/v1/volumes/{id}/grow"),
            &GrowVolumeRequest { size_gib },
        )
        .await
    }

    pub async fn delete(&self, id: Uuid) -> Result<JobDto> {
        let request = self
            .0
            .request(Method::DELETE, &format!("api/v1/volumes/{id}"))?;
        self.0.send(request).await
    }

    pub async fn snapshots(&self, id: Uuid) -> Result<Vec<VolumeSnapshotDto>> {
        let request = self
            .0
            .request(Method::GET, &format!("api/v1/volumes/{id}/snapshots"))?;
        let page: Paginated<VolumeSnapshotDto> = self.0.send(request).await?;
        Ok(page.items)
    }

    pub async fn snapshot(
        &self,
        id: Uuid,
        request: &CreateVolumeSnapshotRequest,
    ) -> Result<JobDto> {
        self.post(&format!("api/v1/volumes/{id}/snapshots"), request)
            .await
    }

    pub async fn delete_snapshot(&self, snapshot_id: Uuid) -> Result<JobDto> {
        let request = self.0.request(
            Method::DELETE,
            &format!("api/v1/volume-snapshots/{snapshot_id}"),
        )?;
        self.0.send(request).await
    }

    pub async fn restore(&self, snapshot_id: Uuid) -> Result<JobDto> {
        self.post(
            &format!("api/v1/volume-snapshots/{snapshot_id}/restore"),
            &serde_json::json!({}),
        )
        .await
    }

    /// The job's `resource_id` names the new volume.
    pub async fn clone_snapshot(&self, snapshot_id: Uuid, name: &str) -> Result<JobDto> {
        let body = CloneVolumeRequest {
            name: name.to_owned(),
        };
        self.post(
            &format!("api/v1/volume-snapshots/{snapshot_id}/clone"),
            &body,
        )
        .await
    }

    async fn post<B: Serialize + ?Sized>(&self, path: &str, body: &B) -> Result<JobDto> {
        let request = self.0.request(Method::POST, path)?.json(body);
        self.0.send(request).await
    }
}
