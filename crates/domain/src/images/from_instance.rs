//! "Create image from instance": a stopped instance becomes a template
//! (`POST …/qemu/{vmid}/template` or `…/lxc/{vmid}/template`) in an `image.create` job.
//! Who may: whoever may manage the instance (its owner, or an admin). It then shows
//! as a template in the instance list and, a VM, in this list.

use proxicloud_store::{JobActor, JobStep, NewJob, Uuid};

use super::create_job::{CREATE_KIND, steps};
use super::service::ImagesService;
use crate::error::{DomainError, DomainResult};
use crate::iam::Principal;
use crate::instances::Target;
use crate::inventory::load_live_guest;
use crate::jobs::Submitted;

impl ImagesService {
    /// Queues `image.create` for instance `id`: 404 when the caller may not see it,
    /// 409 when it runs (Proxmox refuses: "you can't convert a … to template if the …
    /// is running") or is a template already.
    pub async fn create_from_instance(
        &self,
        caller: &Principal,
        id: Uuid,
    ) -> DomainResult<Submitted> {
        let guest = load_live_guest(self.store.as_ref(), id).await?;
        caller.authorize_manage(guest.owner_id, "instance")?;
        let name = &guest.observed.name;
        if guest.observed.template {
            return Err(DomainError::conflict(
                "instance_is_template",
                format!("'{name}' is a template already"),
            ));
        }
        if guest.observed.status != "stopped" {
            return Err(DomainError::conflict(
                "instance_running",
                format!(
                    "'{name}' is {}: stop it first, Proxmox turns only a stopped instance into a template",
                    guest.observed.status
                ),
            ));
        }
        let target = Target::of(&guest);
        let job = NewJob {
            kind: CREATE_KIND.to_owned(),
            actor: JobActor::User(caller.user_id),
            resource_kind: Some("instance".to_owned()),
            resource_id: Some(guest.id.to_string()),
            params: serde_json::to_value(&target).expect("targets serialise"),
            steps: steps::ALL.iter().map(|s| JobStep::pending(*s)).collect(),
            idempotency_key: None,
            run_after: None,
            parent: None,
        };
        self.queue.submit(job).await
    }
}
