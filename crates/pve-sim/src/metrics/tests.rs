use std::collections::BTreeMap;

use super::*;
use crate::model::Node;

const NOW: i64 = 1_780_000_000;

fn guest(vmid: u32, kind: GuestType, status: GuestStatus, started_at: Option<i64>) -> Guest {
    let mut config = BTreeMap::new();
    config.insert("memory".to_string(), "2048".to_string());
    config.insert("cores".to_string(), "2".to_string());
    let disk_key = match kind {
        GuestType::Lxc => "rootfs",
        GuestType::Qemu => "scsi0",
    };
    config.insert(
        disk_key.to_string(),
        format!("local-lvm:vm-{vmid}-disk-0,size=8G"),
    );
    Guest {
        vmid,
        kind,
        node: "pve1".to_string(),
        status,
        config,
        snapshots: BTreeMap::new(),
        started_at,
        pending_delete: Vec::new(),
        pending: Default::default(),
    }
}

fn node() -> Node {
    Node {
        name: "pve1".to_string(),
        online: true,
        ip: "10.0.0.11".to_string(),
        cpus: 16,
        maxmem: 64 * GIB,
        storages: BTreeMap::new(),
        booted_at: NOW - 30 * 86_400,
    }
}

#[test]
fn same_inputs_give_same_outputs_and_ids_differ() {
    let a = guest(101, GuestType::Lxc, GuestStatus::Running, Some(NOW - 3_600));
    let b = guest(102, GuestType::Lxc, GuestStatus::Running, Some(NOW - 3_600));
    assert_eq!(guest_sample(&a, NOW), guest_sample(&a, NOW));
    assert_ne!(guest_sample(&a, NOW), guest_sample(&b, NOW));
}

#[test]
fn counters_never_decrease_while_running() {
    let g = guest(
        4242,
        GuestType::Qemu,
        GuestStatus::Running,
        Some(NOW - 86_400),
    );
    let mut previous = guest_sample(&g, NOW - 86_400);
    for step in 1..5_000 {
        let sample = guest_sample(&g, NOW - 86_400 + step * 37);
        assert!(
            sample.netin >= previous.netin,
            "netin went back at step {step}"
        );
        assert!(sample.netout >= previous.netout);
        assert!(sample.diskread >= previous.diskread);
        assert!(sample.diskwrite > previous.diskwrite);
        previous = sample;
    }
    assert!(previous.netin > 0);
}

#[test]
fn stopped_guest_reports_zero_like_pve_and_counters_restart_on_start() {
    let stopped = guest(150, GuestType::Lxc, GuestStatus::Stopped, Some(NOW - 500));
    let s = guest_sample(&stopped, NOW);
    assert_eq!((s.cpu, s.mem, s.netin, s.diskwrite), (0.0, 0, 0, 0));

    let restarted = guest(150, GuestType::Lxc, GuestStatus::Running, Some(NOW));
    assert_eq!(guest_sample(&restarted, NOW).netin, 0);
    assert!(guest_sample(&restarted, NOW + 60).netin > 0);
    // Before the current run began the guest counts as stopped.
    assert_eq!(guest_sample(&restarted, NOW - 10).mem, 0);
}

#[test]
fn gauges_stay_within_configured_limits() {
    let g = guest(
        777,
        GuestType::Lxc,
        GuestStatus::Running,
        Some(NOW - 7 * 86_400),
    );
    for i in 0..2_000 {
        let s = guest_sample(&g, NOW - i * 300);
        assert!((0.0..=1.0).contains(&s.cpu));
        assert!(s.mem > 0 && s.mem <= g.max_mem());
        assert!(s.disk > 0 && s.disk <= g.max_disk());
    }
    let vm = guest(778, GuestType::Qemu, GuestStatus::Running, Some(NOW - 60));
    assert_eq!(
        guest_sample(&vm, NOW).disk,
        0,
        "PVE has no disk usage for VMs"
    );
}

#[test]
fn rates_are_the_counter_slope() {
    let g = guest(
        321,
        GuestType::Qemu,
        GuestStatus::Running,
        Some(NOW - 86_400),
    );
    let (from, to) = (NOW - 1_800, NOW);
    let rates = guest_rates(&g, from, to);
    let delta = guest_sample(&g, to).netin - guest_sample(&g, from).netin;
    let expected = delta as f64 / 1_800.0;
    assert!(
        (rates.netin - expected).abs() < 1.0,
        "{} vs {expected}",
        rates.netin
    );
    let stopped = guest(321, GuestType::Qemu, GuestStatus::Stopped, None);
    assert_eq!(guest_rates(&stopped, from, to), IoRates::default());
}

#[test]
fn node_memory_follows_running_guests() {
    let n = node();
    let running: Vec<Guest> = (100..110)
        .map(|id| guest(id, GuestType::Lxc, GuestStatus::Running, Some(NOW - 600)))
        .collect();
    let idle = node_sample(&n, &[], NOW);
    let refs: Vec<&Guest> = running.iter().collect();
    let busy = node_sample(&n, &refs, NOW);
    let guest_mem: u64 = running.iter().map(|g| guest_sample(g, NOW).mem).sum();
    assert_eq!(busy.mem - idle.mem, guest_mem);
    assert!(busy.cpu > idle.cpu);
    assert!(busy.mem <= n.maxmem && busy.memavailable == n.maxmem - busy.mem);
    assert!(busy.loadavg.iter().all(|l| *l > 0.0));
    assert!(node_sample(&n, &refs, NOW + 60).netin > busy.netin);
}

#[test]
fn node_load_from_guest_samples_is_the_same_as_from_the_guests() {
    let n = node();
    let guests = [
        guest(100, GuestType::Lxc, GuestStatus::Running, Some(NOW - 600)),
        guest(101, GuestType::Qemu, GuestStatus::Running, Some(NOW - 60)),
        guest(102, GuestType::Qemu, GuestStatus::Paused, Some(NOW - 900)),
        guest(103, GuestType::Lxc, GuestStatus::Stopped, None),
        // Started after `NOW`: not running yet at that instant.
        guest(104, GuestType::Qemu, GuestStatus::Running, Some(NOW + 60)),
    ];
    let refs: Vec<&Guest> = guests.iter().collect();
    let mut from_samples = GuestLoad::default();
    for g in &guests {
        from_samples += GuestLoad::of_sample(g, &guest_sample(g, NOW));
    }
    assert_eq!(from_samples, GuestLoad::of_guests(&refs, NOW));
    assert!(from_samples.busy_cpus > 0.0 && from_samples.mem > 0);
    assert_eq!(
        node_sample_under(&n, from_samples, NOW),
        node_sample(&n, &refs, NOW)
    );
}
