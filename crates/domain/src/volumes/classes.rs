//! Volume classes: names (`ssd`, `hdd`, anything) an admin maps onto storages that hold
//! container volumes, so users ask for a kind of disk rather than a storage id. Stored
//! as one settings document (`volume_classes`), checked against the inventory mirror
//! when written (every storage must exist and hold `rootdir`, what a holder container
//! needs), and used by `VolumeService::create` through [`choose_storage`].
//!
//! To add a property of a class (a default size, a description): a field here with a
//! serde default (stored documents stay readable), its check in `validate`, the DTO.

use std::collections::{BTreeSet, HashMap};

use proxicloud_store::{SettingKey, Storage, Store, Uuid};
use serde::{Deserialize, Serialize};

use super::VolumeService;
use super::rules::{self, GIB};
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::iam::Principal;

/// How many classes an admin may define (the create dialog lists them all).
pub const MAX_CLASSES: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeClass {
    pub name: String,
    pub storages: Vec<ClassStorage>,
}

/// A storage by its id in one cluster; every node of the cluster that has it counts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ClassStorage {
    pub cluster_id: Uuid,
    pub storage: String,
}

/// The stored document.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Document {
    #[serde(default)]
    classes: Vec<VolumeClass>,
}

impl VolumeService {
    /// The volume classes; every signed-in user may read them (the create dialog).
    pub async fn classes(&self) -> DomainResult<Vec<VolumeClass>> {
        stored_classes(self.store.as_ref()).await
    }

    /// Replaces every class (admin). `Validation` names each bad field as
    /// `classes[i].name` or `classes[i].storages[j]`.
    pub async fn set_classes(
        &self,
        caller: &Principal,
        classes: Vec<VolumeClass>,
    ) -> DomainResult<Vec<VolumeClass>> {
        caller.require_admin()?;
        let storages = self.store.inventory().list_storages(None).await?;
        let classes = validate(classes, &storages)?;
        let document = serde_json::to_value(Document {
            classes: classes.clone(),
        })
        .map_err(|e| DomainError::Internal(e.to_string()))?;
        self.store
            .settings()
            .put(SettingKey::VolumeClasses, document, Some(caller.user_id))
            .await?;
        Ok(classes)
    }
}

/// Bytes that volumes placed earlier in the same request will take, by storage name:
/// a launch that brings several new volumes must fit them all, not each one alone.
pub(super) type PlannedSpace = HashMap<String, u64>;

/// The storage (and class) a new volume of `size_gib` on `node` goes to: the named
/// storage, the class's roomiest one, or with neither the node's roomiest container
/// storage, counting what `planned` already takes of each. 4xx (`cluster_id`, `node`,
/// `class`, `storage`, 409s) when none fits; on success `planned` counts this one too.
pub(super) async fn place_volume(
    store: &dyn Store,
    cluster_id: Uuid,
    node: &str,
    size_gib: u64,
    class: Option<&str>,
    storage: Option<&str>,
    planned: &mut PlannedSpace,
) -> DomainResult<(String, Option<String>)> {
    let storages = store.inventory().list_storages(Some(cluster_id)).await?;
    if storages.is_empty() {
        return Err(DomainError::invalid(
            "cluster_id",
            "no such cluster, or it has not been seen yet",
        ));
    }
    let on_node: Vec<&Storage> = storages
        .iter()
        .filter(|s| s.observed.node == node)
        .collect();
    if on_node.is_empty() {
        return Err(DomainError::invalid("node", "no such node in this cluster"));
    }
    let class = match class {
        Some(name) => Some(class_named(store, name).await?),
        None => None,
    };
    let placement = match (storage, &class) {
        (Some(_), Some(_)) => {
            return Err(DomainError::invalid(
                "class",
                "give a class or a storage, not both",
            ));
        }
        (Some(storage), None) => Placement::Named(storage),
        (None, Some(class)) => Placement::Class(class),
        (None, None) => Placement::Any,
    };
    let chosen = choose_storage(&on_node, placement, size_gib, planned)?;
    *planned.entry(chosen.observed.storage.clone()).or_default() += space_needed(size_gib);
    Ok((chosen.observed.storage.clone(), class.map(|c| c.name)))
}

/// The class of that name, or a 422 on `class` that lists the classes there are.
async fn class_named(store: &dyn Store, name: &str) -> DomainResult<VolumeClass> {
    let classes = stored_classes(store).await?;
    if let Some(class) = classes.iter().find(|c| c.name == name) {
        return Ok(class.clone());
    }
    let known: Vec<&str> = classes.iter().map(|c| c.name.as_str()).collect();
    Err(DomainError::invalid(
        "class",
        match known.is_empty() {
            true => "no volume classes are set up; leave it out or name a storage".to_owned(),
            false => format!("no such volume class; there are: {}", known.join(", ")),
        },
    ))
}

async fn stored_classes(store: &dyn Store) -> DomainResult<Vec<VolumeClass>> {
    let stored = store.settings().get(SettingKey::VolumeClasses).await?;
    let Some(stored) = stored else {
        return Ok(Vec::new());
    };
    match serde_json::from_value::<Document>(stored.value) {
        Ok(document) => Ok(document.classes),
        Err(error) => {
            // Written by another version: no classes until an admin saves again.
            tracing::warn!(%error, "stored volume classes are unreadable; ignoring them");
            Ok(Vec::new())
        }
    }
}

fn holds_volumes(storage: &Storage) -> bool {
    storage.observed.content.split(',').any(|c| c == "rootdir")
}

/// Trims names, drops repeated storages, and lists every problem.
fn validate(classes: Vec<VolumeClass>, inventory: &[Storage]) -> DomainResult<Vec<VolumeClass>> {
    let mut errors = FieldErrors::new();
    if classes.len() > MAX_CLASSES {
        errors.insert("classes".into(), format!("at most {MAX_CLASSES} classes"));
    }
    let mut names = BTreeSet::new();
    let mut out = Vec::with_capacity(classes.len());
    for (i, class) in classes.into_iter().enumerate() {
        let name = class.name.trim().to_owned();
        if !valid_name(&name) {
            errors.insert(
                format!("classes[{i}].name"),
                "1 to 32 characters: lower-case letters, digits, '-' and '_', a letter or digit first"
                    .into(),
            );
        } else if !names.insert(name.clone()) {
            errors.insert(
                format!("classes[{i}].name"),
                "another class has this name".into(),
            );
        }
        if class.storages.is_empty() {
            errors.insert(
                format!("classes[{i}].storages"),
                "name at least one storage".into(),
            );
        }
        let mut seen = BTreeSet::new();
        let mut storages = Vec::new();
        for (j, wanted) in class.storages.into_iter().enumerate() {
            let matching: Vec<&Storage> = inventory
                .iter()
                .filter(|s| {
                    s.cluster_id == wanted.cluster_id && s.observed.storage == wanted.storage
                })
                .collect();
            let problem = if matching.is_empty() {
                Some("no such storage in this cluster (or it has not been seen yet)")
            } else if !matching.iter().any(|s| holds_volumes(s)) {
                Some(
                    "this storage does not hold container volumes (content 'rootdir'), which volumes are",
                )
            } else {
                None
            };
            if let Some(problem) = problem {
                errors.insert(format!("classes[{i}].storages[{j}]"), problem.into());
            }
            if seen.insert(wanted.clone()) {
                storages.push(wanted);
            }
        }
        out.push(VolumeClass { name, storages });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(DomainError::Validation(errors))
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.len() <= 32
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Which storage of a node a new volume goes to.
enum Placement<'a> {
    /// The storage the request named.
    Named(&'a str),
    /// The class's storage with the most room.
    Class(&'a VolumeClass),
    /// Any storage that holds volumes, the one with the most room.
    Any,
}

/// What a new volume takes of its storage: itself and its holder's root disk.
fn space_needed(size_gib: u64) -> u64 {
    (size_gib + rules::HOLDER_ROOTFS_GIB) * GIB
}

/// The storage of `on_node` (one node's storages) a volume of `size_gib` goes to, or
/// the 4xx that says why none fits.
fn choose_storage<'s>(
    on_node: &[&'s Storage],
    placement: Placement<'_>,
    size_gib: u64,
    planned: &PlannedSpace,
) -> DomainResult<&'s Storage> {
    let needed = space_needed(size_gib);
    let free = |s: &Storage| {
        let taken = planned.get(&s.observed.storage).copied().unwrap_or(0);
        s.observed.avail.saturating_sub(taken)
    };
    let named = matches!(placement, Placement::Named(_));
    let (candidates, what): (Vec<&Storage>, String) = match placement {
        Placement::Named(name) => {
            let Some(storage) = on_node.iter().find(|s| s.observed.storage == name) else {
                return Err(DomainError::invalid(
                    "storage",
                    "no such storage on this node",
                ));
            };
            if !holds_volumes(storage) {
                return Err(DomainError::invalid(
                    "storage",
                    "this storage does not hold container volumes (content 'rootdir')",
                ));
            }
            (vec![*storage], format!("storage '{name}'"))
        }
        Placement::Class(class) => {
            let in_class: Vec<&Storage> = on_node
                .iter()
                .copied()
                .filter(|s| holds_volumes(s))
                .filter(|s| {
                    class
                        .storages
                        .iter()
                        .any(|c| c.cluster_id == s.cluster_id && c.storage == s.observed.storage)
                })
                .collect();
            if in_class.is_empty() {
                let node = on_node
                    .first()
                    .map(|s| s.observed.node.as_str())
                    .unwrap_or("?");
                return Err(DomainError::conflict(
                    "no_storage_in_class",
                    format!(
                        "volume class '{}' has no storage on node '{node}'; pick another class \
                         or node, or ask an admin to add one of this node's storages to it",
                        class.name
                    ),
                ));
            }
            let node = &in_class[0].observed.node;
            (
                in_class,
                format!("no storage of class '{}' on node '{node}'", class.name),
            )
        }
        Placement::Any => {
            let any: Vec<&Storage> = on_node
                .iter()
                .copied()
                .filter(|s| holds_volumes(s))
                .collect();
            if any.is_empty() {
                return Err(DomainError::invalid(
                    "node",
                    "no storage of this node holds container volumes (content 'rootdir')",
                ));
            }
            let node = &any[0].observed.node;
            (any, format!("no storage of node '{node}'"))
        }
    };
    let roomiest = candidates
        .into_iter()
        .max_by_key(|s| (free(s), std::cmp::Reverse(s.observed.storage.clone())))
        .expect("candidates are not empty");
    if free(roomiest) < needed {
        let others = match planned.get(&roomiest.observed.storage) {
            Some(_) => {
                " (after the instance's root disk and the other new volumes of this request)"
            }
            None => "",
        };
        let (free, needed) = (free(roomiest) / GIB, needed / GIB);
        let message = match named {
            true => format!("{what} has {free} GiB free{others}, the volume needs {needed} GiB"),
            false => format!(
                "{what} has room for the volume ({needed} GiB needed): the most free is \
                 {free} GiB{others}, on '{}'",
                roomiest.observed.storage
            ),
        };
        return Err(DomainError::conflict("insufficient_storage", message));
    }
    Ok(roomiest)
}

#[cfg(test)]
mod tests;
