//! Guest lifecycle shared by containers and VMs: list, status, config, delete and
//! power actions. Creation lives in `create.rs`.

use std::collections::BTreeMap;

use proxicloud_types::{GuestType, NodeName, VmId};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::error::{PveError, Result};
use crate::params::{Params, api_path};
use crate::serde_util::{opt_bool, opt_f64, opt_string, opt_u64, value_as_string};
use crate::transport::Transport;
use crate::upid::Upid;

/// A guest in `GET /nodes/{node}/{lxc|qemu}` or its `status/current`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GuestStatus {
    pub vmid: VmId,
    /// `running` or `stopped`.
    #[serde(default)]
    pub status: String,
    #[serde(default, deserialize_with = "opt_string")]
    pub name: Option<String>,
    /// VMs only: QEMU's own view (`running`, `paused`, `prelaunch`, …).
    #[serde(default, deserialize_with = "opt_string")]
    pub qmpstatus: Option<String>,
    #[serde(default, deserialize_with = "opt_f64")]
    pub cpu: Option<f64>,
    #[serde(default, deserialize_with = "opt_f64")]
    pub cpus: Option<f64>,
    #[serde(default, deserialize_with = "opt_u64")]
    pub mem: Option<u64>,
    #[serde(default, deserialize_with = "opt_u64")]
    pub maxmem: Option<u64>,
    #[serde(default, deserialize_with = "opt_u64")]
    pub disk: Option<u64>,
    #[serde(default, deserialize_with = "opt_u64")]
    pub maxdisk: Option<u64>,
    #[serde(default, deserialize_with = "opt_u64")]
    pub uptime: Option<u64>,
    #[serde(default, deserialize_with = "opt_u64")]
    pub netin: Option<u64>,
    #[serde(default, deserialize_with = "opt_u64")]
    pub netout: Option<u64>,
    #[serde(default, deserialize_with = "opt_u64")]
    pub diskread: Option<u64>,
    #[serde(default, deserialize_with = "opt_u64")]
    pub diskwrite: Option<u64>,
    #[serde(default, deserialize_with = "opt_string")]
    pub lock: Option<String>,
    #[serde(default, deserialize_with = "opt_bool")]
    pub template: Option<bool>,
    #[serde(default, deserialize_with = "opt_string")]
    pub tags: Option<String>,
    #[serde(default, deserialize_with = "opt_u64")]
    pub pid: Option<u64>,
}

impl GuestStatus {
    pub fn is_running(&self) -> bool {
        self.status == "running"
    }
}

/// A guest's configuration: the commonly used keys typed, every key in `raw`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GuestConfig {
    /// Pass back in `ConfigUpdate::digest` to refuse concurrent edits.
    pub digest: Option<String>,
    /// `name` for VMs, `hostname` for containers.
    pub name: Option<String>,
    pub memory_mib: Option<u64>,
    pub cores: Option<u64>,
    pub sockets: Option<u64>,
    pub onboot: Option<bool>,
    pub template: Option<bool>,
    pub lock: Option<String>,
    pub tags: Option<String>,
    pub description: Option<String>,
    pub ostype: Option<String>,
    /// The whole config as PVE sent it (property strings such as `net0` unparsed).
    pub raw: BTreeMap<String, Value>,
}

impl GuestConfig {
    pub fn from_raw(raw: BTreeMap<String, Value>) -> Self {
        let text = |key: &str| raw.get(key).and_then(value_as_string);
        let number = |key: &str| text(key).and_then(|v| v.trim().parse::<u64>().ok());
        let flag = |key: &str| text(key).map(|v| v.trim() == "1");
        // VM memory became a property string (`current=4096,…`) in PVE 8.1; a bare
        // number is its default key.
        let memory_mib = text("memory").and_then(|m| {
            m.split(',')
                .find_map(|part| match part.split_once('=') {
                    Some(("current", v)) => Some(v.to_string()),
                    Some(_) => None,
                    None => Some(part.to_string()),
                })
                .and_then(|v| v.trim().parse().ok())
        });
        Self {
            digest: text("digest"),
            name: text("name").or_else(|| text("hostname")),
            memory_mib,
            cores: number("cores"),
            sockets: number("sockets"),
            onboot: flag("onboot"),
            template: flag("template"),
            lock: text("lock"),
            tags: text("tags"),
            description: text("description"),
            ostype: text("ostype"),
            raw,
        }
    }

    /// Any key as text.
    pub fn get(&self, key: &str) -> Option<String> {
        self.raw.get(key).and_then(value_as_string)
    }

    /// Numbered keys by index: `indexed("net")` → `{0: "name=eth0,…", 1: …}`.
    pub fn indexed(&self, prefix: &str) -> BTreeMap<u32, String> {
        self.raw
            .iter()
            .filter_map(|(key, value)| {
                let index = key.strip_prefix(prefix)?.parse().ok()?;
                Some((index, value_as_string(value)?))
            })
            .collect()
    }
}

impl<'de> Deserialize<'de> for GuestConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::from_raw(BTreeMap::deserialize(d)?))
    }
}

/// Changes for `PUT …/config`. Only set fields are sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigUpdate {
    /// Sent as `name` (VM) or `hostname` (container).
    pub name: Option<String>,
    pub memory_mib: Option<u64>,
    pub cores: Option<u32>,
    pub description: Option<String>,
    pub onboot: Option<bool>,
    pub tags: Option<String>,
    /// Any other keys, e.g. `net1` or `mp0`, with values as PVE expects them.
    pub set: BTreeMap<String, String>,
    /// Keys to remove.
    pub delete: Vec<String>,
    /// Refuse the change if the config changed since it was read.
    pub digest: Option<String>,
}

/// Options of `DELETE /nodes/{node}/{lxc|qemu}/{vmid}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    /// Also remove the guest from backup jobs, replication, HA and ACLs.
    pub purge: bool,
    /// Also destroy disks that are not referenced in the config.
    pub destroy_unreferenced_disks: bool,
}

/// Power actions, each with the options both guest types accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerAction {
    Start,
    /// Hard stop; `overrule_shutdown` aborts a running shutdown task first.
    Stop {
        overrule_shutdown: bool,
    },
    /// Clean shutdown; `force_stop` stops hard once `timeout` (seconds) passes.
    Shutdown {
        timeout: Option<u32>,
        force_stop: bool,
    },
    Reboot {
        timeout: Option<u32>,
    },
    Suspend,
    Resume,
}

impl PowerAction {
    fn segment(self) -> &'static str {
        match self {
            PowerAction::Start => "start",
            PowerAction::Stop { .. } => "stop",
            PowerAction::Shutdown { .. } => "shutdown",
            PowerAction::Reboot { .. } => "reboot",
            PowerAction::Suspend => "suspend",
            PowerAction::Resume => "resume",
        }
    }

    fn params(self) -> Params {
        match self {
            PowerAction::Stop { overrule_shutdown } => {
                Params::new().flag("overrule-shutdown", overrule_shutdown)
            }
            PowerAction::Shutdown {
                timeout,
                force_stop,
            } => Params::new()
                .opt("timeout", timeout)
                .flag("forceStop", force_stop),
            PowerAction::Reboot { timeout } => Params::new().opt("timeout", timeout),
            PowerAction::Start | PowerAction::Suspend | PowerAction::Resume => Params::new(),
        }
    }
}

pub(crate) async fn list(
    t: &Transport,
    node: &NodeName,
    ty: GuestType,
) -> Result<Vec<GuestStatus>> {
    t.get(&api_path!("nodes", node, ty), Params::new()).await
}

pub(crate) async fn status(
    t: &Transport,
    node: &NodeName,
    ty: GuestType,
    vmid: VmId,
) -> Result<GuestStatus> {
    let path = api_path!("nodes", node, ty, vmid, "status", "current");
    t.get(&path, Params::new()).await
}

pub(crate) async fn config(
    t: &Transport,
    node: &NodeName,
    ty: GuestType,
    vmid: VmId,
) -> Result<GuestConfig> {
    let path = api_path!("nodes", node, ty, vmid, "config");
    t.get(&path, Params::new()).await
}

/// The config key holding a guest's name: `hostname` for containers, `name` for VMs.
pub(crate) fn name_key(ty: GuestType) -> &'static str {
    match ty {
        GuestType::Lxc => "hostname",
        GuestType::Qemu => "name",
    }
}

pub(crate) fn update_params(ty: GuestType, update: &ConfigUpdate) -> Result<Params> {
    if let Some((key, _)) = update
        .set
        .iter()
        .find(|(k, _)| k.as_str() == "delete" || k.as_str() == "digest")
    {
        return Err(PveError::InvalidRequest(format!(
            "'{key}' has its own field in ConfigUpdate"
        )));
    }
    let params = Params::new()
        .opt(name_key(ty), update.name.as_deref())
        .opt("memory", update.memory_mib)
        .opt("cores", update.cores)
        .opt("description", update.description.as_deref())
        .opt("onboot", update.onboot)
        .opt("tags", update.tags.as_deref())
        .extend(&update.set)
        .joined("delete", update.delete.iter().map(String::as_str))
        .opt("digest", update.digest.as_deref());
    if params.is_empty() {
        return Err(PveError::InvalidRequest(
            "the config update changes nothing".to_string(),
        ));
    }
    Ok(params)
}

/// Uses the synchronous `PUT`; PVE applies the change before answering.
pub(crate) async fn update_config(
    t: &Transport,
    node: &NodeName,
    ty: GuestType,
    vmid: VmId,
    update: &ConfigUpdate,
) -> Result<()> {
    let path = api_path!("nodes", node, ty, vmid, "config");
    t.put(&path, update_params(ty, update)?).await
}

pub(crate) async fn delete(
    t: &Transport,
    node: &NodeName,
    ty: GuestType,
    vmid: VmId,
    options: DeleteOptions,
) -> Result<Upid> {
    let params = Params::new().flag("purge", options.purge).flag(
        "destroy-unreferenced-disks",
        options.destroy_unreferenced_disks,
    );
    t.delete(&api_path!("nodes", node, ty, vmid), params).await
}

pub(crate) async fn power(
    t: &Transport,
    node: &NodeName,
    ty: GuestType,
    vmid: VmId,
    action: PowerAction,
) -> Result<Upid> {
    let path = api_path!("nodes", node, ty, vmid, "status", action.segment());
    t.post(&path, action.params()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_keeps_raw_keys_and_types_common_ones() {
        let json = r#"{"digest":"abc","hostname":"ct1","memory":512,"cores":"2","onboot":1,
            "net0":"name=eth0,bridge=vmbr0,ip=dhcp","net2":"name=eth2,bridge=vmbr1","rootfs":"local-lvm:vm-101-disk-0,size=8G"}"#;
        let config: GuestConfig = serde_json::from_str(json).expect("decodes");
        assert_eq!(config.name.as_deref(), Some("ct1"));
        assert_eq!(config.memory_mib, Some(512));
        assert_eq!(config.cores, Some(2));
        assert_eq!(config.onboot, Some(true));
        assert_eq!(
            config.indexed("net").keys().copied().collect::<Vec<_>>(),
            [0, 2]
        );
        assert_eq!(
            config.get("rootfs").as_deref(),
            Some("local-lvm:vm-101-disk-0,size=8G")
        );
    }

    #[test]
    fn vm_memory_property_string_is_understood() {
        let config: GuestConfig =
            serde_json::from_str(r#"{"name":"vm1","memory":"current=4096,hotplug=1"}"#).unwrap();
        assert_eq!(config.memory_mib, Some(4096));
    }

    #[test]
    fn config_updates_use_each_guest_types_key_names() {
        let update = ConfigUpdate {
            name: Some("web".to_string()),
            onboot: Some(true),
            delete: vec!["net1".to_string(), "mp0".to_string()],
            ..ConfigUpdate::default()
        };
        let lxc = update_params(GuestType::Lxc, &update).unwrap().to_form();
        assert_eq!(lxc, "hostname=web&onboot=1&delete=net1%2Cmp0");
        let qemu = update_params(GuestType::Qemu, &update).unwrap().to_form();
        assert!(qemu.starts_with("name=web&"));
        assert!(update_params(GuestType::Qemu, &ConfigUpdate::default()).is_err());
    }

    #[test]
    fn power_actions_send_only_their_options() {
        let shutdown = PowerAction::Shutdown {
            timeout: Some(30),
            force_stop: true,
        };
        assert_eq!(shutdown.segment(), "shutdown");
        assert_eq!(shutdown.params().to_form(), "timeout=30&forceStop=1");
        assert!(PowerAction::Start.params().is_empty());
        assert!(
            PowerAction::Stop {
                overrule_shutdown: false
            }
            .params()
            .is_empty()
        );
    }
}
