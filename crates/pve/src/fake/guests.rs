//! Guests: lookups, creation, power, destruction and addresses, as PVE answers them.

use std::collections::BTreeMap;

use proxicloud_types::{GuestType, NodeName, VmId};
use serde_json::json;

use super::state::Effect;
use super::{FakeGuest, FakePve, decode};
use crate::addresses::{GuestAddress, GuestAddresses, UnavailableReason};
use crate::cluster::{ClusterResource, ResourceKind};
use crate::create::{Created, LxcCreate};
use crate::error::{PveError, Result};
use crate::guests::{ConfigUpdate, DeleteOptions, GuestConfig, GuestStatus, PowerAction};
use crate::upid::Upid;

fn noun(kind: GuestType) -> &'static str {
    if kind == GuestType::Lxc { "CT" } else { "VM" }
}

/// Task type prefix: `vzstart`, `qmstart`, …
fn prefix(kind: GuestType) -> &'static str {
    if kind == GuestType::Lxc { "vz" } else { "qm" }
}

impl FakePve {
    fn guest(&self, node: &NodeName, kind: GuestType, vmid: VmId) -> Result<FakeGuest> {
        self.finish_due_tasks();
        let state = self.state();
        match state.guests.get(&vmid.get()) {
            Some(guest) if guest.node == node.as_str() && guest.kind == kind => Ok(guest.clone()),
            _ => Err(PveError::NotFound {
                message: format!(
                    "Configuration file 'nodes/{node}/{}/{vmid}.conf' does not exist",
                    kind.as_str()
                ),
            }),
        }
    }

    /// Guests only (for no kind or `vm`); the fake lists no node or storage resources.
    pub(super) fn fake_cluster_resources(
        &self,
        kind: Option<ResourceKind>,
    ) -> Result<Vec<ClusterResource>> {
        self.enter("cluster_resources", None, format!("{kind:?}"))?;
        if kind.is_some_and(|k| k != ResourceKind::Vm) {
            return Ok(Vec::new());
        }
        self.finish_due_tasks();
        let state = self.state();
        let resource = |(vmid, g): (&u32, &FakeGuest)| {
            let status = if g.running { "running" } else { "stopped" };
            let ty = g.kind.as_str();
            decode(
                json!({"id": format!("{ty}/{vmid}"), "type": ty, "node": g.node, "vmid": vmid, "status": status}),
            )
        };
        Ok(state.guests.iter().map(resource).collect())
    }

    pub(super) fn fake_next_id(&self, hint: Option<VmId>) -> Result<VmId> {
        self.enter("next_id", None, format!("{hint:?}"))?;
        let state = self.state();
        match hint {
            Some(vmid) if state.guests.contains_key(&vmid.get()) => {
                Err(PveError::ParameterVerification {
                    message: "Parameter verification failed.".into(),
                    fields: BTreeMap::from([("vmid".into(), format!("VM {vmid} already exists"))]),
                })
            }
            Some(vmid) => Ok(vmid),
            None => {
                let free = (100..).find(|id| !state.guests.contains_key(id));
                Ok(VmId::new(free.unwrap()).unwrap())
            }
        }
    }

    /// Needs the vmid chosen; the guest exists (locked) until its task ends.
    pub(super) fn fake_create_lxc(&self, node: &NodeName, request: &LxcCreate) -> Result<Created> {
        let vmid = request.vmid.expect("the fake needs the vmid chosen");
        self.enter("create_lxc", Some(node.as_str()), format!("{vmid}"))?;
        {
            let mut state = self.state();
            if let Some(taken) = state.snipe.take() {
                let sniper = FakeGuest::new("pve2", GuestType::Lxc).with("hostname", "sniper");
                state.guests.insert(taken, sniper);
            }
            if let Some(existing) = state.guests.get(&vmid.get()) {
                return Err(PveError::Conflict {
                    message: format!("CT {vmid} already exists on node '{}'", existing.node),
                });
            }
            let mut guest = FakeGuest::new(node.as_str(), GuestType::Lxc)
                .with("lock", "create")
                .with("hostname", request.hostname.as_deref().unwrap_or_default())
                .with(
                    "description",
                    request.description.as_deref().unwrap_or_default(),
                );
            for (index, spec) in &request.mount_points {
                guest = guest.with(&format!("mp{index}"), &allocated(vmid, *index, spec));
            }
            state.guests.insert(vmid.get(), guest);
            if let Some(password) = &request.password {
                state
                    .root_passwords
                    .insert(vmid.get(), password.expose().to_owned());
            }
        }
        let effect = Effect::Create(vmid.get());
        let upid = self.spawn(node.as_str(), "vzcreate", &vmid.to_string(), effect);
        Ok(Created { vmid, upid })
    }

    pub(super) fn fake_guest_config(
        &self,
        node: &NodeName,
        kind: GuestType,
        vmid: VmId,
    ) -> Result<GuestConfig> {
        self.enter(
            "guest_config",
            Some(node.as_str()),
            format!("{kind:?} {vmid}"),
        )?;
        let guest = self.guest(node, kind, vmid)?;
        // PVE writes the description with the final config; a creation in progress
        // shows only its lock.
        let config = if guest.config.get("lock").is_some_and(|l| l == "create") {
            BTreeMap::from([("lock".to_owned(), json!("create"))])
        } else {
            let entries = guest.config.iter();
            entries.map(|(k, v)| (k.clone(), json!(v))).collect()
        };
        Ok(GuestConfig::from_raw(config))
    }

    /// `PUT …/config`, applied at once: `set` keys written, `delete` keys removed (the
    /// fake keeps no pending changes and ignores the digest).
    pub(super) fn fake_update_guest_config(
        &self,
        node: &NodeName,
        kind: GuestType,
        vmid: VmId,
        update: &ConfigUpdate,
    ) -> Result<()> {
        self.enter(
            "update_guest_config",
            Some(node.as_str()),
            format!("{kind:?} {vmid} {:?} {:?}", update.set, update.delete),
        )?;
        self.guest(node, kind, vmid)?;
        let mut state = self.state();
        let guest = state.guests.get_mut(&vmid.get()).expect("found above");
        for (key, value) in &update.set {
            guest.config.insert(key.clone(), value.clone());
        }
        for key in &update.delete {
            guest.config.remove(key);
        }
        Ok(())
    }

    /// Scripted answers first; then a running guest has `10.0.<vmid / 256>.<vmid % 256>`
    /// and a stopped one cannot tell.
    pub(super) fn fake_guest_addresses(
        &self,
        node: &NodeName,
        kind: GuestType,
        vmid: VmId,
    ) -> Result<GuestAddresses> {
        self.enter(
            "guest_addresses",
            Some(node.as_str()),
            format!("{kind:?} {vmid}"),
        )?;
        if let Some(answer) = self.state().addresses.pop_front() {
            return answer;
        }
        if !self.guest(node, kind, vmid)?.running {
            return Ok(GuestAddresses::Unavailable(UnavailableReason::NotRunning));
        }
        let [_, _, high, low] = vmid.get().to_be_bytes();
        Ok(GuestAddresses::Known(vec![GuestAddress {
            interface: "eth0".to_owned(),
            address: std::net::Ipv4Addr::new(10, 0, high, low).into(),
            prefix: Some(24),
        }]))
    }

    pub(super) fn fake_guest_status(
        &self,
        node: &NodeName,
        kind: GuestType,
        vmid: VmId,
    ) -> Result<GuestStatus> {
        self.enter(
            "guest_status",
            Some(node.as_str()),
            format!("{kind:?} {vmid}"),
        )?;
        let guest = self.guest(node, kind, vmid)?;
        let status = if guest.running { "running" } else { "stopped" };
        Ok(decode(json!({"vmid": vmid.get(), "status": status})))
    }

    /// Start, stop, shutdown and reboot (suspend and resume are not simulated).
    pub(super) fn fake_power(
        &self,
        node: &NodeName,
        kind: GuestType,
        vmid: VmId,
        action: PowerAction,
    ) -> Result<Upid> {
        self.enter(
            "power",
            Some(node.as_str()),
            format!("{kind:?} {vmid} {action:?}"),
        )?;
        let guest = self.guest(node, kind, vmid)?;
        let conflict = |state: &str| PveError::Conflict {
            message: format!("{} {vmid} {state}", noun(kind)),
        };
        let (name, running) = match action {
            PowerAction::Start if guest.running => return Err(conflict("already running")),
            PowerAction::Start => ("start", true),
            PowerAction::Stop { .. } => ("stop", false),
            PowerAction::Shutdown { .. } => ("shutdown", false),
            PowerAction::Reboot { .. } if !guest.running => return Err(conflict("not running")),
            PowerAction::Reboot { .. } => ("reboot", true),
            PowerAction::Suspend | PowerAction::Resume => {
                return Err(PveError::NotImplemented { operation: "power" });
            }
        };
        let kind_name = format!("{}{name}", prefix(kind));
        let effect = Effect::Power(vmid.get(), running);
        Ok(self.spawn(node.as_str(), &kind_name, &vmid.to_string(), effect))
    }

    pub(super) fn fake_delete_guest(
        &self,
        node: &NodeName,
        kind: GuestType,
        vmid: VmId,
        options: DeleteOptions,
    ) -> Result<Upid> {
        let args = format!("{kind:?} {vmid} {options:?}");
        self.enter("delete_guest", Some(node.as_str()), args)?;
        let guest = self.guest(node, kind, vmid)?;
        if guest.running {
            return Err(PveError::Server {
                status: 500,
                message: format!("{} {vmid} is running - destroy failed", noun(kind)),
            });
        }
        let kind_name = format!("{}destroy", prefix(kind));
        let effect = Effect::Destroy(vmid.get());
        Ok(self.spawn(node.as_str(), &kind_name, &vmid.to_string(), effect))
    }
}

/// A mount point as PVE writes it once the create task allocated it: `STORAGE:SIZE`
/// becomes the new volume `STORAGE:vm-VMID-disk-N` with its size.
fn allocated(vmid: VmId, index: u32, spec: &str) -> String {
    let (volume, options) = spec.split_once(',').unwrap_or((spec, ""));
    let options = options.split(',').filter(|o| !o.is_empty());
    match volume.split_once(':') {
        Some((storage, size)) if size.parse::<u64>().is_ok() => {
            let disk = format!("{storage}:vm-{vmid}-disk-{}", index + 1);
            let size = format!("size={size}G");
            std::iter::once(disk)
                .chain(options.map(str::to_owned))
                .chain(std::iter::once(size))
                .collect::<Vec<_>>()
                .join(",")
        }
        _ => spec.to_owned(),
    }
}
