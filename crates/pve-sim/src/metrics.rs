//! Deterministic, plausible metrics: every value is a pure function of the guest or
//! node (its id, config and state) and a unix time, so `rrddata`, `/cluster/resources`
//! and `/cluster/metrics/export` agree with each other and across restarts.
//!
//! Gauges (cpu, memory, disk) follow a diurnal sine with a per-id phase plus smooth
//! hash noise. Byte counters are the closed-form integral of a strictly positive rate
//! curve, so they never decrease while a guest runs.
//!
//! Counter semantics follow PVE: a guest's `netin`/`netout` come from its tap/veth
//! devices and `diskread`/`diskwrite` from the QEMU process or the container's cgroup,
//! all of which are created when the guest starts. So PVE's counters count *since the
//! guest started* and a stopped guest reports 0 for all of them (qemu-server and
//! pve-container `vmstatus` set them to 0 when there is no pid). Within one run they
//! only grow. Node counters count since the node booted.

use std::f64::consts::TAU;

use proxicloud_types::GuestType;

use crate::model::{Guest, GuestStatus};

const DAY: f64 = 86_400.0;
const GIB: u64 = 1024 * 1024 * 1024;
/// What a QEMU process needs on top of its guest's memory (PVE 9's `memhost`).
const QEMU_OVERHEAD: u64 = 96 * 1024 * 1024;
/// Assumed start of a running guest whose start time the model does not know.
const UNKNOWN_START_EPOCH: i64 = 1_700_000_000;

/// A guest's state at one instant, as `status/current` would report it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GuestSample {
    /// Fraction of the guest's own vCPUs in use, 0..1.
    pub cpu: f64,
    /// Bytes of memory in use.
    pub mem: u64,
    /// Bytes used on the root disk (PVE reports 0 for VMs: it has no way to know).
    pub disk: u64,
    /// Byte counters since the guest started (0 while stopped, like PVE).
    pub netin: u64,
    pub netout: u64,
    pub diskread: u64,
    pub diskwrite: u64,
}

/// Average byte rates (bytes per second) over an interval, as RRD `DERIVE` stores them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct IoRates {
    pub netin: f64,
    pub netout: f64,
    pub diskread: f64,
    pub diskwrite: f64,
}

/// splitmix64's finaliser: a cheap, well-mixed hash of one word.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A uniform value in [0, 1) for (seed, key).
fn unit(seed: u64, key: u64) -> f64 {
    (mix(seed ^ mix(key)) >> 11) as f64 / (1u64 << 53) as f64
}

/// Smooth noise in [-1, 1]: random values at multiples of `period` seconds, cosine-
/// interpolated between them, so neighbouring samples are correlated like real load.
fn noise(seed: u64, t: i64, period: i64) -> f64 {
    let bucket = t.div_euclid(period);
    let frac = t.rem_euclid(period) as f64 / period as f64;
    let a = unit(seed, bucket as u64) * 2.0 - 1.0;
    let b = unit(seed, (bucket + 1) as u64) * 2.0 - 1.0;
    let w = (1.0 - (frac * std::f64::consts::PI).cos()) / 2.0;
    a + (b - a) * w
}

/// A sine with a one-day period; `phase` in turns (0..1) shifts each id's peak hour.
fn diurnal(t: i64, phase: f64) -> f64 {
    (TAU * (t.rem_euclid(86_400) as f64 / DAY + phase)).sin()
}

/// A strictly positive rate curve `base * (1 + a·sin(ω₁t+φ₁) + b·sin(ω₂t+φ₂))` with
/// `a + b < 1`, whose integral has a closed form — so counters are exact and monotonic.
#[derive(Debug, Clone, Copy)]
struct RateCurve {
    base: f64,
    daily_amp: f64,
    daily_phase: f64,
    fast_amp: f64,
    fast_period: f64,
    fast_phase: f64,
}

impl RateCurve {
    /// `base` is log-uniform between `low` and `high` bytes/s.
    fn new(seed: u64, low: f64, high: f64) -> Self {
        Self {
            base: low * (high / low).powf(unit(seed, 1)),
            daily_amp: 0.3 + 0.3 * unit(seed, 2),
            daily_phase: TAU * unit(seed, 3),
            fast_amp: 0.1 + 0.2 * unit(seed, 4),
            fast_period: 1_800.0 + 9_000.0 * unit(seed, 5),
            fast_phase: TAU * unit(seed, 6),
        }
    }

    /// Bytes transferred in (from, to]. Computed from the interval length and bounded
    /// cosine terms rather than as a difference of two huge antiderivatives, so f64
    /// rounding cannot make a later counter smaller than an earlier one.
    fn bytes_between(&self, from: i64, to: i64) -> f64 {
        if to <= from {
            return 0.0;
        }
        let w1 = TAU / DAY;
        let w2 = TAU / self.fast_period;
        let (f, t) = (from as f64, to as f64);
        let daily = self.daily_amp / w1
            * ((w1 * f + self.daily_phase).cos() - (w1 * t + self.daily_phase).cos());
        let fast = self.fast_amp / w2
            * ((w2 * f + self.fast_phase).cos() - (w2 * t + self.fast_phase).cos());
        (self.base * ((to - from) as f64 + daily + fast)).max(0.0)
    }
}

/// The per-guest random profile, derived from the vmid alone.
struct GuestProfile {
    seed: u64,
    cpu_level: f64,
    mem_level: f64,
    disk_level: f64,
    phase: f64,
}

impl GuestProfile {
    fn of(vmid: u32) -> Self {
        let seed = mix(u64::from(vmid) ^ 0x005E_ED0F_6E57);
        let busy = unit(seed, 10);
        Self {
            seed,
            // Most guests idle, a few are busy: square the uniform draw.
            cpu_level: 0.02 + 0.35 * busy * busy,
            mem_level: 0.25 + 0.45 * unit(seed, 11),
            disk_level: 0.12 + 0.5 * unit(seed, 12),
            phase: unit(seed, 13),
        }
    }

    fn curve(&self, which: u64, low: f64, high: f64) -> RateCurve {
        RateCurve::new(mix(self.seed ^ which), low, high)
    }

    fn netin(&self) -> RateCurve {
        self.curve(1, 500.0, 2_000_000.0)
    }
    fn netout(&self) -> RateCurve {
        self.curve(2, 200.0, 1_000_000.0)
    }
    fn diskread(&self) -> RateCurve {
        self.curve(3, 1_000.0, 4_000_000.0)
    }
    fn diskwrite(&self) -> RateCurve {
        self.curve(4, 2_000.0, 3_000_000.0)
    }
}

/// When the current run of a running guest began, or `None` if it is stopped.
fn run_start(guest: &Guest) -> Option<i64> {
    match guest.status {
        GuestStatus::Stopped => None,
        GuestStatus::Running | GuestStatus::Paused => Some(guest.started_at.unwrap_or_else(|| {
            UNKNOWN_START_EPOCH - (mix(u64::from(guest.vmid)) % (30 * 86_400)) as i64
        })),
    }
}

/// Whether the guest is running at `t` under the model's knowledge: running now, and
/// `t` is not before its current start.
pub fn guest_running_at(guest: &Guest, t: i64) -> bool {
    run_start(guest).is_some_and(|start| t >= start)
}

/// CPU fraction of a running guest at `t`; paused VMs burn nothing.
fn guest_cpu(guest: &Guest, profile: &GuestProfile, t: i64) -> f64 {
    if guest.status == GuestStatus::Paused {
        return 0.0;
    }
    let level = profile.cpu_level
        * (1.0 + 0.5 * diurnal(t, profile.phase) + 0.35 * noise(profile.seed, t, 300));
    (level + 0.01 * noise(profile.seed ^ 1, t, 60)).clamp(0.0, 1.0)
}

/// Memory in use by a running guest at `t`.
fn guest_mem(guest: &Guest, profile: &GuestProfile, t: i64) -> u64 {
    let fraction = profile.mem_level
        + 0.06 * diurnal(t, profile.phase + 0.1)
        + 0.03 * noise(profile.seed ^ 3, t, 600);
    (guest.max_mem() as f64 * fraction.clamp(0.05, 0.97)) as u64
}

/// The guest's state at `t`. Stopped guests (and times before the current start) have
/// zero cpu, memory, disk usage and counters, like PVE.
pub fn guest_sample(guest: &Guest, t: i64) -> GuestSample {
    let profile = GuestProfile::of(guest.vmid);
    let Some(start) = run_start(guest).filter(|&start| t >= start) else {
        return GuestSample {
            cpu: 0.0,
            mem: 0,
            // pve-container measures disk usage only inside a running container.
            disk: 0,
            netin: 0,
            netout: 0,
            diskread: 0,
            diskwrite: 0,
        };
    };
    let disk = match guest.kind {
        // qemu-server: "disk = 0; # no info available" without a guest agent.
        GuestType::Qemu => 0,
        GuestType::Lxc => {
            let fraction = profile.disk_level + 0.02 * noise(profile.seed ^ 2, t, 7 * 86_400);
            (guest.max_disk() as f64 * fraction.clamp(0.01, 0.98)) as u64
        }
    };
    let counter = |curve: RateCurve| curve.bytes_between(start, t) as u64;
    GuestSample {
        cpu: guest_cpu(guest, &profile, t),
        mem: guest_mem(guest, &profile, t),
        disk,
        netin: counter(profile.netin()),
        netout: counter(profile.netout()),
        diskread: counter(profile.diskread()),
        diskwrite: counter(profile.diskwrite()),
    }
}

/// Average I/O rates of a guest over the part of (from, to] in which it ran — what
/// RRD's `DERIVE` + `AVERAGE` stores, since it averages known values only. Zero when
/// the guest did not run in the interval.
pub fn guest_rates(guest: &Guest, from: i64, to: i64) -> IoRates {
    let Some(start) = run_start(guest) else {
        return IoRates::default();
    };
    let lo = from.max(start);
    if to <= lo {
        return IoRates::default();
    }
    let len = (to - lo) as f64;
    let profile = GuestProfile::of(guest.vmid);
    let rate = |curve: RateCurve| curve.bytes_between(lo, to) / len;
    IoRates {
        netin: rate(profile.netin()),
        netout: rate(profile.netout()),
        diskread: rate(profile.diskread()),
        diskwrite: rate(profile.diskwrite()),
    }
}

/// PVE 9's `memhost`: what the guest costs the host. A VM's QEMU process adds its
/// own overhead to the guest memory; a container's memory is host memory.
pub fn guest_memhost(guest: &Guest, sample: &GuestSample) -> u64 {
    match guest.kind {
        GuestType::Lxc => sample.mem,
        GuestType::Qemu if sample.mem == 0 => 0,
        GuestType::Qemu => sample.mem + QEMU_OVERHEAD,
    }
}

/// PVE 9's pressure stall figures (`avg10`, percent of time some/all tasks stalled)
/// for a guest: `[cpu some, cpu full, io some, io full, memory some, memory full]`.
/// Contention grows with load, so derive it from the sample.
pub fn guest_pressure(guest: &Guest, sample: &GuestSample) -> [f64; 6] {
    let cpu_some = 40.0 * sample.cpu * sample.cpu;
    let mem_use = sample.mem as f64 / guest.max_mem().max(1) as f64;
    let mem_some = if mem_use > 0.9 {
        (mem_use - 0.9) * 50.0
    } else {
        0.0
    };
    let io_some = (sample.cpu * 3.0).min(100.0);
    [
        cpu_some,
        cpu_some / 3.0,
        io_some,
        io_some / 2.0,
        mem_some,
        mem_some / 2.0,
    ]
    .map(round2)
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

mod node;

pub use node::{
    GuestLoad, NodeSample, node_net_rates, node_pressure, node_sample, node_sample_under,
};

#[cfg(test)]
mod tests;
