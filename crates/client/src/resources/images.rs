//! `/api/v1/images`: what instances launch from, the appliance catalogue, downloads,
//! uploads, deletions and templates made from instances. Writes return the job that
//! carries them out (wait for it with `crate::wait`).

use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use proxicloud_types::api::images::{
    ApplianceListDto, CreateImageRequest, DeleteImageQuery, DownloadImageRequest,
    ImageClusterQuery, ImageListDto, UploadImageQuery,
};
use proxicloud_types::api::jobs::JobDto;
use reqwest::Method;
use uuid::Uuid;

use crate::{Client, Result};

/// An upload takes as long as the file needs; this only bounds a stalled one.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(12 * 3600);

pub struct Images<'a>(pub(crate) &'a Client);

impl Images<'_> {
    /// The cluster's (default: the first) images and the storages new ones can go to.
    pub async fn list(&self, cluster_id: Option<Uuid>) -> Result<ImageListDto> {
        let query = ImageClusterQuery { cluster_id };
        let request = self.0.request(Method::GET, "api/v1/images")?.query(&query);
        self.0.send(request).await
    }

    /// Proxmox VE's appliance catalogue (admins).
    pub async fn catalog(&self, cluster_id: Option<Uuid>) -> Result<ApplianceListDto> {
        let query = ImageClusterQuery { cluster_id };
        let request = self
            .0
            .request(Method::GET, "api/v1/images/catalog")?
            .query(&query);
        self.0.send(request).await
    }

    pub async fn download(&self, request: &DownloadImageRequest) -> Result<JobDto> {
        let request = self
            .0
            .request(Method::POST, "api/v1/images/download")?
            .json(request);
        self.0.send(request).await
    }

    /// Streams `body` (exactly `size` bytes) as the file; the job waits for Proxmox to
    /// verify and store it. Asks first whether it would be accepted (`dry_run`): a
    /// refusal sent while the body is still going out can surface as a broken pipe.
    pub async fn upload<S>(&self, query: &UploadImageQuery, size: u64, body: S) -> Result<JobDto>
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    {
        let check = UploadImageQuery {
            dry_run: true,
            size: Some(size),
            ..query.clone()
        };
        let request = self
            .0
            .request(Method::POST, "api/v1/images/upload")?
            .query(&check);
        self.0.send_empty(request).await?;
        let request = self
            .0
            .request(Method::POST, "api/v1/images/upload")?
            .query(query)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header(reqwest::header::CONTENT_LENGTH, size)
            .body(reqwest::Body::wrap_stream(body));
        self.0.send_within(request, UPLOAD_TIMEOUT).await
    }

    /// `id` as the list gives it: a volume id (`local:iso/x.iso`) or a VM template's vmid.
    pub async fn delete(&self, id: &str, query: &DeleteImageQuery) -> Result<JobDto> {
        let path = format!("api/v1/images/{}", encode_segment(id));
        let request = self.0.request(Method::DELETE, &path)?.query(query);
        self.0.send(request).await
    }

    /// Turns a stopped instance into a template.
    pub async fn create_from_instance(&self, instance_id: Uuid) -> Result<JobDto> {
        let request = self
            .0
            .request(Method::POST, "api/v1/images")?
            .json(&CreateImageRequest { instance_id });
        self.0.send(request).await
    }
}

/// A volume id as one path segment (`:` and `/` escaped).
fn encode_segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}
