//! Property strings (`net0=name=eth0,bridge=vmbr0`): what PVE accepts must pass, and
//! what it refuses must fail with its message.

use serde_json::{Value, json};

use super::{check, param_error};
use crate::api::Method;

const LXC_CONFIG: &str = "/nodes/pve/lxc/100/config";
const QEMU_CONFIG: &str = "/nodes/pve/qemu/101/config";

fn single(name: &str, value: &str) -> Value {
    json!({ name: value })
}

#[test]
fn everyday_config_strings_pass() {
    let lxc = [
        (
            "net0",
            "name=eth0,bridge=vmbr0,firewall=1,gw=192.168.1.1,hwaddr=BC:24:11:2A:3B:4C,ip=192.168.1.10/24,type=veth",
        ),
        (
            "net1",
            "name=eth1,bridge=vmbr1,ip=dhcp,ip6=auto,tag=20,mtu=1450,rate=12.5",
        ),
        ("rootfs", "local-lvm:vm-100-disk-0,size=8G"),
        ("mp0", "local-lvm:16,mp=/data,backup=1"),
        ("mp1", "volume=/mnt/host,mp=/host,ro=1"),
        ("features", "nesting=1,keyctl=1"),
        ("unused0", "local-lvm:vm-100-disk-1"),
    ];
    for (name, value) in lxc {
        check(Method::Put, LXC_CONFIG, single(name, value))
            .unwrap_or_else(|e| panic!("lxc {name}={value}: {e:?}"));
    }
    let qemu = [
        (
            "net0",
            "virtio=BC:24:11:AA:BB:CC,bridge=vmbr0,firewall=1,tag=10",
        ),
        ("net1", "virtio,bridge=vmbr0,firewall=yes"),
        ("net2", "model=e1000,bridge=vmbr1,link_down=on"),
        (
            "scsi0",
            "local-lvm:vm-101-disk-0,iothread=1,size=32G,ssd=1,discard=on",
        ),
        ("ide2", "none,media=cdrom"),
        ("ide0", "local:iso/debian.iso,media=cdrom"),
        ("efidisk0", "local-lvm:1,efitype=4m,pre-enrolled-keys=1"),
        ("tpmstate0", "local-lvm:1,version=v2.0"),
        ("agent", "1"),
        ("agent", "enabled=1,fstrim_cloned_disks=1"),
        ("vga", "serial0"),
        ("machine", "q35"),
        ("memory", "4096"),
    ];
    for (name, value) in qemu {
        check(Method::Put, QEMU_CONFIG, single(name, value))
            .unwrap_or_else(|e| panic!("qemu {name}={value}: {e:?}"));
    }
    // JSON numbers are property strings too once Perl stringifies them.
    check(Method::Put, QEMU_CONFIG, json!({"memory": 4096})).expect("memory as a number");
}

#[test]
fn unknown_keys_use_parse_property_string_wording() {
    let body = single("net0", "name=eth0,bridge=vmbr0,foo=1");
    assert_eq!(
        param_error(Method::Put, LXC_CONFIG, body, "net0"),
        "invalid format - invalid key in comma-separated list property: foo\n"
    );
}

#[test]
fn nested_key_errors_are_listed_under_format_error() {
    let body = single("net0", "bridge=vmbr0");
    assert_eq!(
        param_error(Method::Put, LXC_CONFIG, body, "net0"),
        "invalid format - format error\nnet0.name: property is missing and it is not optional\n"
    );
    let body = single("net3", "name=eth3,mtu=big,tag=5000");
    assert_eq!(
        param_error(Method::Put, LXC_CONFIG, body, "net3"),
        "invalid format - format error\n\
         net3.mtu: type check ('integer') failed - got 'big'\n\
         net3.tag: value must have a maximum value of 4094\n"
    );
    let body = single("ide2", "none,media=floppy");
    assert_eq!(
        param_error(Method::Put, QEMU_CONFIG, body, "ide2"),
        "invalid format - format error\n\
         ide2.media: value 'floppy' does not have a value in the enumeration 'cdrom, disk'\n"
    );
}

#[test]
fn malformed_property_strings_are_refused() {
    let cases = [
        (
            "name=eth0,name=eth1",
            "duplicate key in comma-separated list property: name",
        ),
        (
            "eth0,bridge=vmbr0",
            "value without key, but schema does not define a default key",
        ),
        (
            "name=eth0,=vmbr0",
            "missing key in comma-separated list property",
        ),
        (
            "name=eth0,bridge=",
            "missing key in comma-separated list property",
        ),
    ];
    for (value, reason) in cases {
        assert_eq!(
            param_error(Method::Put, LXC_CONFIG, single("net0", value), "net0"),
            format!("invalid format - {reason}\n"),
            "{value}"
        );
    }
    // A second positional value repeats the default key; an alias repeats its target.
    let body = single("net0", "virtio,e1000");
    assert_eq!(
        param_error(Method::Put, QEMU_CONFIG, body, "net0"),
        "invalid format - duplicate key in comma-separated list property: model\n"
    );
    let body = single("net0", "macaddr=BC:24:11:AA:BB:CD,virtio=BC:24:11:AA:BB:CC");
    assert_eq!(
        param_error(Method::Put, QEMU_CONFIG, body, "net0"),
        "invalid format - key 'macaddr' is already defined (via alias)\n"
    );
}

#[test]
fn array_items_with_property_string_formats_are_checked() {
    let path = "/cluster/mapping/dir";
    let good = json!({"id": "share", "map": ["node=pve,path=/srv/share"]});
    check(Method::Post, path, good).expect("valid mapping");
    let bad = json!({"id": "share", "map": ["node=pve"]});
    assert_eq!(
        param_error(Method::Post, path, bad, "map[0]"),
        "invalid format - format error\nmap[0].path: property is missing and it is not optional\n"
    );
}
