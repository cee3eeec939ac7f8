//! Node figures: a node's own baseline plus the load of the guests on it.

use proxicloud_types::GuestType;

use super::{
    GIB, GuestProfile, GuestSample, QEMU_OVERHEAD, RateCurve, guest_cpu, guest_mem, guest_memhost,
    guest_running_at, mix, noise, round2,
};
use crate::model::{Guest, Node};

/// A node's state at one instant, as `/nodes/{node}/status` would report it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeSample {
    /// Fraction of all host CPUs in use, 0..1.
    pub cpu: f64,
    /// 1, 5 and 15 minute load averages.
    pub loadavg: [f64; 3],
    /// Fraction of CPU time waiting for I/O, 0..1.
    pub iowait: f64,
    /// Bytes of memory in use.
    pub mem: u64,
    pub maxmem: u64,
    /// Bytes of memory the kernel could hand out; PVE 9 derives `used` as total minus this.
    pub memavailable: u64,
    pub swap_used: u64,
    pub swap_total: u64,
    pub rootfs_used: u64,
    pub rootfs_total: u64,
    /// Byte counters since the node booted.
    pub netin: u64,
    pub netout: u64,
}

/// What guests take from their node: busy host CPUs and host memory.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GuestLoad {
    pub busy_cpus: f64,
    pub mem: u64,
}

impl GuestLoad {
    /// A guest's load at `t`: the part of [`guest_sample`] a node needs, without the
    /// disk and counter work, because node series sum it over every guest at every point.
    pub fn of(guest: &Guest, t: i64) -> Self {
        if !guest_running_at(guest, t) {
            return Self::default();
        }
        let profile = GuestProfile::of(guest.vmid);
        let overhead = match guest.kind {
            GuestType::Lxc => 0,
            GuestType::Qemu => QEMU_OVERHEAD,
        };
        Self {
            busy_cpus: guest_cpu(guest, &profile, t) * guest.cpus() as f64,
            mem: guest_mem(guest, &profile, t) + overhead,
        }
    }

    /// The same figures from a sample already taken, for callers that need both.
    pub fn of_sample(guest: &Guest, sample: &GuestSample) -> Self {
        Self {
            busy_cpus: sample.cpu * guest.cpus() as f64,
            mem: guest_memhost(guest, sample),
        }
    }

    /// The summed load of a node's guests at `t`.
    pub fn of_guests(guests: &[&Guest], t: i64) -> Self {
        let mut total = Self::default();
        for guest in guests {
            total += Self::of(guest, t);
        }
        total
    }
}

impl std::ops::AddAssign for GuestLoad {
    fn add_assign(&mut self, other: Self) {
        self.busy_cpus += other.busy_cpus;
        self.mem += other.mem;
    }
}

/// A node's pressure stall figures: `[cpu some, io some, io full, memory some,
/// memory full]` (the node RRD has no `cpu full`: the kernel reports it as 0).
pub fn node_pressure(sample: &NodeSample) -> [f64; 5] {
    let cpu_some = 30.0 * sample.cpu * sample.cpu;
    let io_some = sample.iowait * 100.0;
    let mem_use = sample.mem as f64 / sample.maxmem.max(1) as f64;
    let mem_some = if mem_use > 0.9 {
        (mem_use - 0.9) * 40.0
    } else {
        0.0
    };
    [cpu_some, io_some, io_some / 3.0, mem_some, mem_some / 2.0].map(round2)
}

/// Root filesystem size of a node: the `local` dir storage lives on it in a default
/// PVE install; 100 GiB when the node has no such storage.
fn node_rootfs(node: &Node) -> (u64, u64) {
    let base_used = 5 * GIB + GIB / 2;
    match node.storages.get("local") {
        Some(local) => (base_used + local.used(), local.total.max(base_used * 2)),
        None => (base_used, 100 * GIB),
    }
}

fn node_seed(node: &Node) -> u64 {
    node.name
        .bytes()
        .fold(0xC0FF_EE00_D15C_u64, |h, b| mix(h ^ u64::from(b)))
}

fn node_rate(seed: u64, which: u64) -> RateCurve {
    RateCurve::new(mix(seed ^ which), 20_000.0, 3_000_000.0)
}

/// The node's state at `t`, given the guests that live on it. Guests are summed in
/// with their state at `t`, so busy guests make a busy node.
pub fn node_sample(node: &Node, guests: &[&Guest], t: i64) -> NodeSample {
    node_sample_under(node, GuestLoad::of_guests(guests, t), t)
}

/// The node's state at `t` under its guests' summed load at `t`.
pub fn node_sample_under(node: &Node, load: GuestLoad, t: i64) -> NodeSample {
    let seed = node_seed(node);
    let cpus = node.cpus.max(1) as f64;
    let GuestLoad {
        busy_cpus,
        mem: guest_mem,
    } = load;
    let host_busy = cpus * (0.01 + 0.01 * (1.0 + noise(seed, t, 120)));
    let busy = (busy_cpus + host_busy).min(cpus);
    let cpu = (busy / cpus).clamp(0.0, 1.0);
    let iowait = (0.002 + 0.04 * cpu * (1.0 + noise(seed ^ 1, t, 300)) / 2.0).clamp(0.0, 1.0);
    let loadavg = [
        busy * (1.0 + 0.15 * noise(seed ^ 2, t, 60)),
        busy * (1.0 + 0.07 * noise(seed ^ 3, t, 300)),
        busy * (1.0 + 0.03 * noise(seed ^ 4, t, 900)),
    ]
    .map(|l: f64| round2(l.max(0.0)));

    // The host itself (kernel, pmxcfs, pvestatd, page tables, ZFS ARC) uses a base
    // amount that grows with the machine.
    let host_mem = GIB + node.maxmem / 50;
    let mem = (host_mem + guest_mem).min(node.maxmem / 100 * 97);
    let swap_total = 8 * GIB;
    let swap_used = if mem > node.maxmem / 10 * 9 {
        swap_total / 4
    } else {
        (64.0 * 1024.0 * 1024.0 * (1.0 + noise(seed ^ 5, t, 3_600))) as u64
    };
    let (rootfs_used, rootfs_total) = node_rootfs(node);
    let boot = node.booted_at.min(t);
    NodeSample {
        cpu,
        loadavg,
        iowait,
        mem,
        maxmem: node.maxmem,
        memavailable: node.maxmem - mem,
        swap_used,
        swap_total,
        rootfs_used,
        rootfs_total,
        netin: node_rate(seed, 1).bytes_between(boot, t) as u64,
        netout: node_rate(seed, 2).bytes_between(boot, t) as u64,
    }
}

/// A node's average network rates over (from, to] in bytes per second.
pub fn node_net_rates(node: &Node, from: i64, to: i64) -> (f64, f64) {
    if to <= from {
        return (0.0, 0.0);
    }
    let seed = node_seed(node);
    let lo = from.max(node.booted_at);
    let len = (to - from) as f64;
    (
        node_rate(seed, 1).bytes_between(lo, to) / len,
        node_rate(seed, 2).bytes_between(lo, to) / len,
    )
}
