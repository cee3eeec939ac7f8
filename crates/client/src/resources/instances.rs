//! `/api/v1/instances`: containers and VMs. Reads come from the server's mirror of
//! Proxmox; writes answer at once with the job that carries them out (follow it with
//! [`Client::wait_for_job`]).

use proxicloud_types::api::instances::{
    ConfirmTermination, CreateInstanceRequest, InstanceDto, InstanceListDto, InstanceListParams,
    LaunchedInstanceDto, ResizeInstanceRequest, UpdateInstanceRequest,
};
use proxicloud_types::api::jobs::JobDto;
use reqwest::Method;
use uuid::Uuid;

use crate::pages::collect_all;
use crate::{Client, Result};

pub struct Instances<'a>(pub(crate) &'a Client);

/// A power action on an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Power {
    Start,
    /// At once, like pulling the plug.
    Stop,
    /// Cleanly (ACPI / init).
    Shutdown,
    Reboot,
}

impl Power {
    fn path(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Stop => "stop",
            Self::Shutdown => "shutdown",
            Self::Reboot => "reboot",
        }
    }
}

impl Instances<'_> {
    /// One page of the instances the caller may see.
    pub async fn list(&self, params: &InstanceListParams) -> Result<InstanceListDto> {
        let request = self
            .0
            .request(Method::GET, "api/v1/instances")?
            .query(params);
        self.0.send(request).await
    }

    /// Every instance matching `params` (all pages).
    pub async fn list_all(&self, params: &InstanceListParams) -> Result<Vec<InstanceDto>> {
        collect_all(|cursor| {
            let params = InstanceListParams {
                cursor: cursor.or_else(|| params.cursor.clone()),
                ..params.clone()
            };
            async move { self.list(&params).await }
        })
        .await
    }

    pub async fn get(&self, id: Uuid) -> Result<InstanceDto> {
        let request = self
            .0
            .request(Method::GET, &format!("api/v1/instances/{id}"))?;
        self.0.send(request).await
    }

    /// Starts creating an instance; `idempotency_key` makes a retry return the first job.
    /// The answer is the job, with the generated root password when one was asked for
    /// (a retry's answer has none).
    pub async fn launch(
        &self,
        create: &CreateInstanceRequest,
        idempotency_key: Option<&str>,
    ) -> Result<LaunchedInstanceDto> {
        let mut request = self
            .0
            .request(Method::POST, "api/v1/instances")?
            .json(create);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        self.0.send(request).await
    }

    pub async fn power(&self, id: Uuid, action: Power) -> Result<JobDto> {
        let path = format!("api/v1/instances/{id}/{}", action.path());
        let request = self.0.request(Method::POST, &path)?;
        self.0.send(request).await
    }

    /// Terminates an instance (stops it and destroys it with its disks); `confirm`
    /// must be its name.
    pub async fn terminate(&self, id: Uuid, confirm: &str) -> Result<JobDto> {
        let body = ConfirmTermination {
            confirm: Some(confirm.to_owned()),
        };
        let request = self
            .0
            .request(Method::DELETE, &format!("api/v1/instances/{id}"))?
            .json(&body);
        self.0.send(request).await
    }

    /// Renames and/or retags an instance (applied at once); answers the instance.
    pub async fn update(&self, id: Uuid, update: &UpdateInstanceRequest) -> Result<InstanceDto> {
        let request = self
            .0
            .request(Method::PATCH, &format!("api/v1/instances/{id}"))?
            .json(update);
        self.0.send(request).await
    }

    /// Changes cores and memory and/or grows the root disk, as a job.
    pub async fn resize(&self, id: Uuid, resize: &ResizeInstanceRequest) -> Result<JobDto> {
        let request = self
            .0
            .request(Method::POST, &format!("api/v1/instances/{id}/resize"))?
            .json(resize);
        self.0.send(request).await
    }
}
