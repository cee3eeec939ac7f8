//! Renaming an instance and editing its tags (`PATCH /api/v1/instances/{id}`): one
//! synchronous `PUT …/config` (Proxmox applies `hostname`/`name` and `tags` at once,
//! even to a running guest: both are in pve-container's `$LXC_FASTPLUG_OPTIONS` and
//! qemu-server's `$fast_plug_option`), then the mirror is refreshed so every list
//! shows the change at once.
//!
//! The name follows launch's rules ([`dns_label_problem`], unique per cluster); tags
//! follow PVE's `pve-tag` format (pve-common `$PVE_TAG_RE`). A new editable field is
//! one more `Option` in [`InstanceEdit`], checked in [`InstanceEdit::check`] and sent
//! in [`InstanceEdit::update`].

use std::sync::Arc;

use proxicloud_pve::{ConfigUpdate, NodeName, PveError};
use proxicloud_store::{Guest, STATUS_CREATING, Store, Uuid};

use super::names::dns_label_problem;
use super::unique_name::require_unique_name;
use crate::clusters::{MirrorRefresh, PveConnector};
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::iam::Principal;
use crate::inventory::{load_live_guest, tag_list};
use crate::volumes::rules::HOLDER_TAG;

const RESOURCE: &str = "instance";
/// PVE sets no limit; these keep a row of the list a row.
pub const MAX_TAGS: usize = 32;
pub const MAX_TAG_LEN: usize = 64;

/// What to change; `None` leaves it as it is. `tags: Some(vec![])` removes them all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceEdit {
    pub name: Option<String>,
    pub tags: Option<Vec<String>>,
}

impl InstanceEdit {
    /// Every field problem at once, and the tags as Proxmox will store them.
    fn check(&self) -> Result<Option<Vec<String>>, FieldErrors> {
        let mut fields = FieldErrors::new();
        if self.name.is_none() && self.tags.is_none() {
            fields.insert("name".into(), "give a new name, new tags, or both".into());
        }
        if let Some(problem) = self.name.as_deref().and_then(dns_label_problem) {
            fields.insert("name".into(), problem);
        }
        let tags = match self.tags.as_deref().map(normalize_tags).transpose() {
            Ok(tags) => tags,
            Err(problem) => {
                fields.insert("tags".into(), problem);
                None
            }
        };
        if fields.is_empty() {
            Ok(tags)
        } else {
            Err(fields)
        }
    }

    fn update(&self, tags: Option<Vec<String>>) -> ConfigUpdate {
        let mut update = ConfigUpdate {
            name: self.name.clone(),
            ..ConfigUpdate::default()
        };
        match tags {
            Some(tags) if tags.is_empty() => update.delete.push("tags".into()),
            Some(tags) => update.tags = Some(tags.join(";")),
            None => {}
        }
        update
    }
}

/// PVE's `pve-tag` (`[a-z0-9_][a-z0-9_\-\+\.]*`, any case), each once — compared
/// case-insensitively, as PVE's `get_unique_tags` does by default — in the order given.
/// Our own volume marker is refused: it would hide the instance from the mirror.
pub fn normalize_tags(tags: &[String]) -> Result<Vec<String>, String> {
    let mut unique: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let tag = tag.trim();
        let mut chars = tag.chars();
        let well_formed = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '.'));
        if !well_formed || tag.len() > MAX_TAG_LEN {
            return Err(format!(
                "'{tag}' is not a tag: 1 to {MAX_TAG_LEN} letters, digits, '_', '-', '+' or '.', starting with a letter, digit or '_'"
            ));
        }
        if tag.eq_ignore_ascii_case(HOLDER_TAG) {
            return Err(format!("'{HOLDER_TAG}' is reserved for volumes"));
        }
        if !unique.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
            unique.push(tag.to_owned());
        }
    }
    if unique.len() > MAX_TAGS {
        return Err(format!("at most {MAX_TAGS} tags"));
    }
    Ok(unique)
}

pub struct InstanceEdits {
    store: Arc<dyn Store>,
    connector: Arc<dyn PveConnector>,
    refresh: Option<Arc<dyn MirrorRefresh>>,
}

impl InstanceEdits {
    pub fn new(
        store: Arc<dyn Store>,
        connector: Arc<dyn PveConnector>,
        refresh: Option<Arc<dyn MirrorRefresh>>,
    ) -> Self {
        Self {
            store,
            connector,
            refresh,
        }
    }

    /// Renames and/or retags the instance; answers it as the mirror has it afterwards.
    /// `422` for a bad or taken name or a bad tag, `409` while it is being created or
    /// when Proxmox has it locked, `503` when Proxmox cannot be asked — nothing changed.
    pub async fn edit(
        &self,
        caller: &Principal,
        id: Uuid,
        edit: &InstanceEdit,
    ) -> DomainResult<Guest> {
        let guest = load_live_guest(self.store.as_ref(), id).await?;
        caller.authorize_manage(guest.owner_id, RESOURCE)?;
        let tags = edit.check().map_err(DomainError::Validation)?;
        if guest.observed.status == STATUS_CREATING {
            return Err(DomainError::conflict(
                "instance_not_ready",
                "the instance is still being created",
            ));
        }
        if let Some(lock) = &guest.observed.lock {
            return Err(DomainError::conflict(
                "instance_locked",
                format!("Proxmox VE has the instance locked ({lock}); try again when it is done"),
            ));
        }
        if let Some(name) = &edit.name
            && *name != guest.observed.name
        {
            let cluster = self.store.clusters().get(guest.cluster_id).await?;
            require_unique_name(
                self.store.as_ref(),
                guest.cluster_id,
                &cluster.config.name,
                name,
                Some(guest.id),
            )
            .await?;
        }
        let unchanged_tags = tags.as_ref().is_none_or(|tags| {
            tag_list(guest.observed.tags.as_deref()).eq(tags.iter().map(String::as_str))
        });
        if edit.name.as_ref().is_none_or(|n| *n == guest.observed.name) && unchanged_tags {
            return Ok(guest);
        }
        let node = NodeName::new(guest.observed.node.clone())
            .map_err(|e| DomainError::Internal(format!("mirrored node name: {e}")))?;
        let pve = self
            .connector
            .pve(guest.cluster_id)
            .await
            .map_err(|e| e.for_caller(caller))?;
        pve.update_guest_config(
            &node,
            guest.observed.kind,
            guest.observed.vmid,
            &edit.update(tags),
        )
        .await
        .map_err(|e| refused(e).for_caller(caller))?;
        if let Some(refresh) = &self.refresh
            && let Err(error) = refresh.refresh(guest.cluster_id).await
        {
            // The next scheduled poll catches up; Proxmox has the change.
            tracing::warn!(instance = %id, %error, "could not refresh the inventory after an edit");
        }
        load_live_guest(self.store.as_ref(), id).await
    }
}

/// Proxmox refused or could not be asked: a lock is a conflict, the rest a 503.
fn refused(error: PveError) -> DomainError {
    let message = format!("Proxmox VE did not change the configuration: {error}");
    if message.contains("locked") {
        return DomainError::conflict("instance_locked", message);
    }
    DomainError::pve_refused(message, &error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| (*t).to_owned()).collect()
    }

    /// pve-common `$PVE_TAG_RE = qr/[a-z0-9_][a-z0-9_\-\+\.]*/i`; duplicates compared
    /// case-insensitively (`PVE::GuestHelpers::get_unique_tags` without
    /// `case-sensitive`).
    #[test]
    fn tags_follow_pve_tag_format_and_are_unique_ignoring_case() {
        assert_eq!(
            normalize_tags(&tags(&["web", "_x", "v1.2+b-c", "Web", " db "])),
            Ok(tags(&["web", "_x", "v1.2+b-c", "db"]))
        );
        for bad in ["", "-lead", ".dot", "a;b", "a,b", "a b", "é", "a/b"] {
            assert!(normalize_tags(&tags(&[bad])).is_err(), "{bad:?}");
        }
        assert!(normalize_tags(&tags(&["Proxicloud-Volume"])).is_err());
        assert!(normalize_tags(&tags(&[&"x".repeat(MAX_TAG_LEN + 1)])).is_err());
        let many: Vec<String> = (0..=MAX_TAGS).map(|n| format!("t{n}")).collect();
        assert!(normalize_tags(&many).is_err());
    }

    #[test]
    fn an_edit_checks_every_field_and_sends_tags_as_pve_stores_them() {
        let nothing = InstanceEdit::default().check().unwrap_err();
        assert!(nothing.contains_key("name"));
        let both = InstanceEdit {
            name: Some("-bad".into()),
            tags: Some(tags(&["a b"])),
        };
        let errors = both.check().unwrap_err();
        assert!(errors.contains_key("name") && errors.contains_key("tags"));

        let edit = InstanceEdit {
            name: None,
            tags: Some(tags(&["web", "prod"])),
        };
        let update = edit.update(edit.check().unwrap());
        assert_eq!(update.tags.as_deref(), Some("web;prod"));
        let cleared = InstanceEdit {
            name: Some("db-2".into()),
            tags: Some(Vec::new()),
        };
        let update = cleared.update(cleared.check().unwrap());
        assert_eq!(
            (update.name.as_deref(), update.delete),
            (Some("db-2"), vec!["tags".to_owned()])
        );
    }
}
