//! Which changes to a running VM PVE applies at once and which wait in the config's
//! `[PENDING]` section until the next start: qemu-server's `vmconfig_hotplug_pending`
//! (src/PVE/QemuServer.pm). Its `$fast_plug_option` keys (`name`, `tags`,
//! `description`, `onboot`, …, and the cloud-init options) apply at once; `vcpus` only
//! with the hot-plug feature `cpu` and at most `sockets × cores` (`qemu_cpu_hotplug`);
//! `memory` only with `memory` and at least `$STATICMEM` (1024 MiB,
//! PVE/QemuServer/Memory.pm `qemu_memory_hotplug`); `balloon`, `cpuunits`, `cpulimit`
//! and `agent` at once; NICs and disks as the simulator handles them elsewhere;
//! everything else (`cores`, `sockets`, `cpu`, `numa`, …) is "skip" there, so pending.
//! A refused hot-plug stays pending too, and the request answers 400 naming it
//! (`raise_param_exc($errors)` after the config was written).
//!
//! Containers are not routed here: pve-container's `$LXC_FASTPLUG_OPTIONS` (`cores`,
//! `hostname`, `tags`, …) and its cgroup hot-plug of `memory`/`swap` cover every key
//! the simulator is asked to change on a running container.

use std::collections::BTreeMap;

use proxicloud_types::GuestType;

use super::volumes;

/// qemu-server's `$fast_plug_option`.
const FAST_PLUG: &[&str] = &[
    "description",
    "hookscript",
    "lock",
    "migrate_downtime",
    "migrate_speed",
    "name",
    "onboot",
    "protection",
    "shares",
    "startup",
    "tags",
    "vmstatestorage",
];
/// `$confdesc_cloudinit`: fast-plugged as well.
const CLOUD_INIT: &[&str] = &[
    "cicustom",
    "cipassword",
    "citype",
    "ciupgrade",
    "ciuser",
    "nameserver",
    "searchdomain",
    "sshkeys",
];
/// Applied through QMP or the cgroup, without a feature flag.
const LIVE: &[&str] = &["balloon", "cpuunits", "cpulimit", "agent"];
/// `$STATICMEM` in PVE/QemuServer/Memory.pm.
const STATIC_MEMORY_MIB: u64 = 1024;

/// What happens to one changed key of a running VM.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Plug {
    /// Applied to the running VM and written to the config.
    Now,
    /// Written to `[PENDING]`; applied at the next start.
    Pending,
    /// The hot-plug failed: pending, and the request answers 400 with this message.
    Refused(String),
}

/// `parse_hotplug_features`: `0` none, `1` (or unset) the default
/// `network,disk,usb`, else the listed ones.
fn hotplug_features(config: &BTreeMap<String, String>) -> Vec<String> {
    let value = config.get("hotplug").map_or("1", String::as_str);
    let value = match value {
        "0" => "",
        "1" => "network,disk,usb",
        other => other,
    };
    value
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect()
}

fn number(config: &BTreeMap<String, String>, key: &str, default: u64) -> u64 {
    config
        .get(key)
        .and_then(|v| v.split(',').next())
        .and_then(|v| v.trim_start_matches("current=").parse().ok())
        .unwrap_or(default)
}

/// How PVE treats setting `key` to `value` on a running VM with `config`.
pub(crate) fn plug(config: &BTreeMap<String, String>, key: &str, value: &str) -> Plug {
    let is_nic = key
        .strip_prefix("net")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    let is_ipconfig = key
        .strip_prefix("ipconfig")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if FAST_PLUG.contains(&key) || CLOUD_INIT.contains(&key) || is_ipconfig || LIVE.contains(&key) {
        return Plug::Now;
    }
    if is_nic
        || (volumes::is_disk_key(GuestType::Qemu, key) && key != "efidisk0" && key != "tpmstate0")
    {
        return Plug::Now;
    }
    let features = hotplug_features(config);
    let has = |feature: &str| features.iter().any(|f| f == feature);
    match key {
        "vcpus" if has("cpu") => {
            let max = number(config, "sockets", 1) * number(config, "cores", 1);
            match value.parse::<u64>() {
                Ok(vcpus) if vcpus > max => {
                    Plug::Refused("you can't add more vcpus than maxcpus".to_owned())
                }
                _ => Plug::Now,
            }
        }
        "memory" if has("memory") => {
            let wanted = value
                .split(',')
                .next()
                .and_then(|v| v.trim_start_matches("current=").parse::<u64>().ok())
                .unwrap_or(0);
            if wanted < STATIC_MEMORY_MIB {
                Plug::Refused(format!("memory can't be lower than {STATIC_MEMORY_MIB} MB"))
            } else {
                Plug::Now
            }
        }
        _ => Plug::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// qemu-server `vmconfig_hotplug_pending`: `cores` is never hot-plugged; `memory`
    /// and `vcpus` need their hot-plug feature (the default is network,disk,usb).
    #[test]
    fn a_running_vm_takes_fast_plug_keys_now_and_leaves_the_rest_pending() {
        let default = config(&[("cores", "2"), ("memory", "2048")]);
        assert_eq!(plug(&default, "name", "db-2"), Plug::Now);
        assert_eq!(plug(&default, "tags", "web"), Plug::Now);
        assert_eq!(plug(&default, "ipconfig0", "ip=dhcp"), Plug::Now);
        assert_eq!(plug(&default, "net1", "virtio,bridge=vmbr0"), Plug::Now);
        assert_eq!(plug(&default, "cores", "4"), Plug::Pending);
        assert_eq!(plug(&default, "sockets", "2"), Plug::Pending);
        assert_eq!(plug(&default, "memory", "4096"), Plug::Pending);
        assert_eq!(plug(&default, "vcpus", "1"), Plug::Pending);
        assert_eq!(plug(&default, "efidisk0", "local-lvm:1"), Plug::Pending);

        let hotplug = config(&[
            ("cores", "2"),
            ("sockets", "2"),
            ("memory", "2048"),
            ("numa", "1"),
            ("hotplug", "disk,network,usb,memory,cpu"),
        ]);
        assert_eq!(plug(&hotplug, "memory", "4096"), Plug::Now);
        assert_eq!(plug(&hotplug, "vcpus", "4"), Plug::Now);
        assert!(matches!(plug(&hotplug, "vcpus", "5"), Plug::Refused(_)));
        assert!(matches!(plug(&hotplug, "memory", "512"), Plug::Refused(_)));
        assert_eq!(plug(&hotplug, "cores", "4"), Plug::Pending, "cores never");
        assert_eq!(
            plug(&config(&[("hotplug", "0")]), "memory", "4096"),
            Plug::Pending
        );
    }
}
