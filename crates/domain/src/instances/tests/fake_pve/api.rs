//! The `Pve` methods the instance jobs use, over the fake's state.

use std::collections::BTreeMap;

use async_trait::async_trait;
use proxicloud_pve::{
    ClusterResource, ContentFilter, Created, DeleteOptions, GuestAddress, GuestAddresses,
    GuestConfig, GuestStatus, GuestType, LxcCreate, NetworkInterface, NodeName, PowerAction, Pve,
    PveError, ResourceKind, StorageVolume, TaskFilter, TaskLog, TaskLogLine, TaskStatus,
    TaskSummary, UnavailableReason, Upid, VmId,
};
use serde_json::{Value, json};

use super::{Effect, FakeGuest, FakePve, TEMPLATE, decode, noun};

#[async_trait]
impl Pve for FakePve {
    async fn cluster_resources(
        &self,
        _kind: Option<ResourceKind>,
    ) -> Result<Vec<ClusterResource>, PveError> {
        self.finish_due_tasks();
        let state = self.state.lock();
        Ok(state
            .guests
            .iter()
            .map(|(vmid, g)| {
                let running = if g.running { "running" } else { "stopped" };
                decode(json!({"id": format!("{}/{vmid}", g.kind.as_str()), "type": g.kind.as_str(), "node": g.node, "vmid": vmid, "status": running}))
            })
            .collect())
    }

    async fn next_id(&self, hint: Option<VmId>) -> Result<VmId, PveError> {
        self.count("next_id");
        let state = self.state.lock();
        match hint {
            Some(vmid) if state.guests.contains_key(&vmid.get()) => {
                Err(PveError::ParameterVerification {
                    message: "Parameter verification failed.".into(),
                    fields: BTreeMap::from([("vmid".into(), format!("VM {vmid} already exists"))]),
                })
            }
            Some(vmid) => Ok(vmid),
            None => {
                Ok(VmId::new((100..).find(|id| !state.guests.contains_key(id)).unwrap()).unwrap())
            }
        }
    }

    async fn create_lxc(&self, node: &NodeName, request: &LxcCreate) -> Result<Created, PveError> {
        self.count("create_lxc");
        let vmid = request.vmid.expect("jobs always choose the vmid");
        {
            let mut state = self.state.lock();
            if let Some(taken) = state.snipe.take() {
                let config = BTreeMap::from([("hostname".to_owned(), "sniper".to_owned())]);
                state.guests.insert(
                    taken,
                    FakeGuest {
                        node: "pve2".into(),
                        kind: GuestType::Lxc,
                        config,
                        running: false,
                    },
                );
            }
            if let Some(existing) = state.guests.get(&vmid.get()) {
                return Err(PveError::Conflict {
                    message: format!("CT {vmid} already exists on node '{}'", existing.node),
                });
            }
            let mut config = BTreeMap::from([("lock".to_owned(), "create".to_owned())]);
            config.insert(
                "hostname".into(),
                request.hostname.clone().unwrap_or_default(),
            );
            config.insert(
                "description".into(),
                request.description.clone().unwrap_or_default(),
            );
            state.guests.insert(
                vmid.get(),
                FakeGuest {
                    node: node.to_string(),
                    kind: GuestType::Lxc,
                    config,
                    running: false,
                },
            );
        }
        let upid = self.spawn(
            node.as_str(),
            "vzcreate",
            vmid.get(),
            Effect::Create(vmid.get()),
        );
        Ok(Created { vmid, upid })
    }

    async fn guest_config(
        &self,
        node: &NodeName,
        kind: GuestType,
        vmid: VmId,
    ) -> Result<GuestConfig, PveError> {
        let guest = self.guest(node, kind, vmid)?;
        // PVE writes the description with the final config; a creation in progress
        // shows only its lock.
        let visible: BTreeMap<String, Value> =
            if guest.config.get("lock").is_some_and(|l| l == "create") {
                BTreeMap::from([("lock".to_owned(), json!("create"))])
            } else {
                guest
                    .config
                    .iter()
                    .map(|(k, v)| (k.clone(), json!(v)))
                    .collect()
            };
        Ok(GuestConfig::from_raw(visible))
    }

    /// A running guest has `10.0.<vmid / 256>.<vmid % 256>`; a stopped one cannot tell.
    async fn guest_addresses(
        &self,
        node: &NodeName,
        kind: GuestType,
        vmid: VmId,
    ) -> Result<GuestAddresses, PveError> {
        self.count("guest_addresses");
        if self.state.lock().refuse_addresses {
            return Err(PveError::Forbidden {
                message: format!("Permission check failed (/vms/{vmid}, VM.Audit)"),
            });
        }
        let guest = self.guest(node, kind, vmid)?;
        if !guest.running {
            return Ok(GuestAddresses::Unavailable(UnavailableReason::NotRunning));
        }
        let [_, _, high, low] = vmid.get().to_be_bytes();
        Ok(GuestAddresses::Known(vec![GuestAddress {
            interface: "eth0".to_owned(),
            address: std::net::Ipv4Addr::new(10, 0, high, low).into(),
            prefix: Some(24),
        }]))
    }

    async fn guest_status(
        &self,
        node: &NodeName,
        kind: GuestType,
        vmid: VmId,
    ) -> Result<GuestStatus, PveError> {
        let guest = self.guest(node, kind, vmid)?;
        Ok(decode(
            json!({"vmid": vmid.get(), "status": if guest.running { "running" } else { "stopped" }}),
        ))
    }

    async fn power(
        &self,
        node: &NodeName,
        kind: GuestType,
        vmid: VmId,
        action: PowerAction,
    ) -> Result<Upid, PveError> {
        self.count("power");
        let guest = self.guest(node, kind, vmid)?;
        let prefix = if kind == GuestType::Lxc { "vz" } else { "qm" };
        let (name, running) = match action {
            PowerAction::Start if guest.running => {
                return Err(PveError::Conflict {
                    message: format!("{} {vmid} already running", noun(kind)),
                });
            }
            PowerAction::Start => ("start", true),
            PowerAction::Stop { .. } => ("stop", false),
            PowerAction::Shutdown { .. } => ("shutdown", false),
            PowerAction::Reboot { .. } if !guest.running => {
                return Err(PveError::Conflict {
                    message: format!("{} {vmid} not running", noun(kind)),
                });
            }
            PowerAction::Reboot { .. } => ("reboot", true),
            PowerAction::Suspend | PowerAction::Resume => unreachable!("not offered by instances"),
        };
        Ok(self.spawn(
            node.as_str(),
            &format!("{prefix}{name}"),
            vmid.get(),
            Effect::Power(vmid.get(), running),
        ))
    }

    async fn delete_guest(
        &self,
        node: &NodeName,
        kind: GuestType,
        vmid: VmId,
        _: DeleteOptions,
    ) -> Result<Upid, PveError> {
        self.count("delete_guest");
        let guest = self.guest(node, kind, vmid)?;
        if guest.running {
            return Err(PveError::Server {
                status: 500,
                message: format!("{} {vmid} is running - destroy failed", noun(kind)),
            });
        }
        let prefix = if kind == GuestType::Lxc { "vz" } else { "qm" };
        Ok(self.spawn(
            node.as_str(),
            &format!("{prefix}destroy"),
            vmid.get(),
            Effect::Destroy(vmid.get()),
        ))
    }

    async fn task_status(&self, upid: &Upid) -> Result<TaskStatus, PveError> {
        self.finish_due_tasks();
        let state = self.state.lock();
        let task = state
            .tasks
            .iter()
            .find(|t| &t.upid == upid)
            .ok_or(PveError::NotFound {
                message: "no such task".into(),
            })?;
        let status = if task.exitstatus.is_some() {
            "stopped"
        } else {
            "running"
        };
        Ok(decode(
            json!({"status": status, "exitstatus": task.exitstatus, "type": upid.task_type(), "user": "root@pam"}),
        ))
    }

    async fn task_log(&self, upid: &Upid, _start: u64, _limit: u64) -> Result<TaskLog, PveError> {
        let state = self.state.lock();
        let task = state
            .tasks
            .iter()
            .find(|t| &t.upid == upid)
            .ok_or(PveError::NotFound {
                message: "no such task".into(),
            })?;
        let lines = task
            .log
            .iter()
            .enumerate()
            .map(|(n, t)| TaskLogLine {
                n: Some(n as u64 + 1),
                t: t.clone(),
            })
            .collect();
        Ok(TaskLog {
            lines,
            total: Some(task.log.len() as u64),
        })
    }

    async fn node_tasks(
        &self,
        node: &NodeName,
        filter: &TaskFilter,
    ) -> Result<Vec<TaskSummary>, PveError> {
        self.finish_due_tasks();
        let state = self.state.lock();
        Ok(state
            .tasks
            .iter()
            .rev()
            .filter(|t| t.upid.node() == node)
            .filter(|t| filter.typefilter.as_deref().is_none_or(|kind| t.upid.task_type() == kind))
            .filter(|t| filter.vmid.is_none_or(|vmid| t.upid.id() == vmid.to_string()))
            .map(|t| decode(json!({"upid": t.upid.as_str(), "type": t.upid.task_type(), "starttime": t.upid.starttime(), "status": t.exitstatus.clone().unwrap_or("RUNNING".into())})))
            .collect())
    }

    async fn storage_content(
        &self,
        _node: &NodeName,
        storage: &str,
        _filter: &ContentFilter,
    ) -> Result<Vec<StorageVolume>, PveError> {
        if storage != "local" {
            return Ok(Vec::new());
        }
        Ok(vec![decode(
            json!({"volid": TEMPLATE, "content": "vztmpl", "size": 123_456_789}),
        )])
    }

    async fn network_interfaces(
        &self,
        _node: &NodeName,
        _kind: Option<&str>,
    ) -> Result<Vec<NetworkInterface>, PveError> {
        Ok(vec![decode(json!({"iface": "vmbr0", "type": "bridge"}))])
    }
}
