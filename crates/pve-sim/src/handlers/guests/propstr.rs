//! PVE property strings (`local-lvm:vm-101-disk-0,size=8G`, `name=eth0,bridge=vmbr0`):
//! parsed into an optional default value plus key/value pairs, and printed back the way
//! `PVE::JSONSchema::print_property_string` does — default value first, then the
//! format's required keys, then the rest sorted by name.

use rand::Rng;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct PropertyString {
    /// The value of the format's default key (a disk's volume), written without `key=`.
    pub head: Option<String>,
    pub pairs: Vec<(String, String)>,
}

impl PropertyString {
    pub fn parse(text: &str) -> Self {
        let mut parsed = Self::default();
        for (index, part) in text.split(',').enumerate() {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            match part.split_once('=') {
                Some((key, value)) => parsed.set(key, value),
                None if index == 0 => parsed.head = Some(part.to_string()),
                // A bare flag after the head is malformed; PVE would reject it, keep it verbatim.
                None => parsed.set(part, ""),
            }
        }
        parsed
    }

    /// Disk strings also accept the default key spelled out (`file=…`, `volume=…`).
    pub fn parse_disk(text: &str) -> Self {
        let mut parsed = Self::parse(text);
        if parsed.head.is_none() {
            parsed.head = parsed.take("file").or_else(|| parsed.take("volume"));
        }
        parsed
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        let value = value.into();
        match self.pairs.iter_mut().find(|(k, _)| k == key) {
            Some(pair) => pair.1 = value,
            None => self.pairs.push((key.to_string(), value)),
        }
    }

    pub fn take(&mut self, key: &str) -> Option<String> {
        let index = self.pairs.iter().position(|(k, _)| k == key)?;
        Some(self.pairs.remove(index).1)
    }

    /// Print with `first` keys (the format's required ones, in order) right after the head.
    pub fn print(&self, first: &[&str]) -> String {
        let mut parts: Vec<String> = self.head.iter().cloned().collect();
        for key in first {
            if let Some(value) = self.get(key) {
                parts.push(format!("{key}={value}"));
            }
        }
        let mut rest: Vec<&(String, String)> = self
            .pairs
            .iter()
            .filter(|(k, _)| !first.contains(&k.as_str()))
            .collect();
        rest.sort();
        parts.extend(rest.into_iter().map(|(k, v)| format!("{k}={v}")));
        parts.join(",")
    }
}

/// QEMU NIC models; in `net[n]` the model is the key and the MAC its value (`virtio=BC:…`).
pub(crate) const QEMU_NIC_MODELS: [&str; 9] = [
    "virtio", "e1000", "e1000e", "rtl8139", "vmxnet3", "i82551", "i82557b", "i82559er", "ne2k_pci",
];

/// `PVE::Tools::random_ether_addr` with PVE's default `mac_prefix` BC:24:11
/// (Proxmox's OUI) — what new NICs get when the request names no MAC.
pub(crate) fn random_mac() -> String {
    let mut rng = rand::rng();
    format!(
        "BC:24:11:{:02X}:{:02X}:{:02X}",
        rng.random::<u8>(),
        rng.random::<u8>(),
        rng.random::<u8>()
    )
}

/// A QEMU `net[n]` value with its MAC filled in, as `PVE::QemuServer::Network` prints it.
pub(crate) fn qemu_net_with_mac(value: &str, force_new_mac: bool) -> String {
    let mut net = PropertyString::parse(value);
    // `virtio,bridge=vmbr0` and `model=virtio,macaddr=…` both mean `virtio=<mac>,…`.
    let model = net.head.take().or_else(|| net.take("model")).or_else(|| {
        QEMU_NIC_MODELS
            .iter()
            .find(|m| net.get(m).is_some())
            .map(|m| m.to_string())
    });
    let Some(model) = model else {
        return value.to_string();
    };
    let existing = net.take(&model).filter(|m| !m.is_empty());
    let macaddr = net.take("macaddr");
    let mac = match (force_new_mac, existing.or(macaddr)) {
        (false, Some(mac)) => mac.to_uppercase(),
        _ => random_mac(),
    };
    net.set(&model, mac);
    net.print(&[model.as_str()])
}

/// An LXC `net[n]` value as pve-container stores it: `type=veth` and a generated
/// `hwaddr` added when missing; `name` (the required key) first.
pub(crate) fn lxc_net_with_mac(value: &str, force_new_mac: bool) -> String {
    let mut net = PropertyString::parse(value);
    if force_new_mac || net.get("hwaddr").is_none() {
        net.set("hwaddr", random_mac());
    }
    if net.get("type").is_none() {
        net.set("type", "veth");
    }
    net.print(&["name"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_strings_print_volume_first_then_sorted_options() {
        let mut disk = PropertyString::parse_disk("local-lvm:32,ssd=1,iothread=1");
        assert_eq!(disk.head.as_deref(), Some("local-lvm:32"));
        disk.head = Some("local-lvm:vm-100-disk-0".into());
        disk.set("size", "32G");
        assert_eq!(
            disk.print(&[]),
            "local-lvm:vm-100-disk-0,iothread=1,size=32G,ssd=1"
        );
        let spelled = PropertyString::parse_disk("file=local:iso/x.iso,media=cdrom");
        assert_eq!(spelled.print(&[]), "local:iso/x.iso,media=cdrom");
    }

    #[test]
    fn mount_points_keep_mp_right_after_the_volume() {
        let mp = PropertyString::parse("local-lvm:vm-101-disk-1,size=8G,backup=1,mp=/data");
        assert_eq!(
            mp.print(&["mp"]),
            "local-lvm:vm-101-disk-1,mp=/data,backup=1,size=8G"
        );
    }

    #[test]
    fn qemu_nics_get_a_proxmox_mac_after_the_model() {
        let net = qemu_net_with_mac("virtio,bridge=vmbr0,firewall=1", false);
        let (model, rest) = net.split_once(',').unwrap();
        assert!(model.starts_with("virtio=BC:24:11:"), "{net}");
        assert_eq!(model.len(), "virtio=BC:24:11:00:00:00".len());
        assert_eq!(rest, "bridge=vmbr0,firewall=1");
        let kept = qemu_net_with_mac("e1000=aa:bb:cc:dd:ee:ff,bridge=vmbr1", false);
        assert_eq!(kept, "e1000=AA:BB:CC:DD:EE:FF,bridge=vmbr1");
        let renewed = qemu_net_with_mac(&kept, true);
        assert!(renewed.starts_with("e1000=BC:24:11:"), "{renewed}");
    }

    #[test]
    fn lxc_nics_get_hwaddr_and_veth_type() {
        let net = lxc_net_with_mac("bridge=vmbr0,name=eth0,ip=dhcp", false);
        assert!(
            net.starts_with("name=eth0,bridge=vmbr0,hwaddr=BC:24:11:"),
            "{net}"
        );
        assert!(net.ends_with(",ip=dhcp,type=veth"), "{net}");
    }
}
