//! `GET /nodes`, `GET /nodes/{node}` and `GET /nodes/{node}/status` (pve-manager
//! `PVE::API2::Nodes`).

use serde_json::{Value, json};

use super::cluster::{PVE_REPOID, node_entry, ordered_nodes};
use crate::Sim;
use crate::api::{ApiError, ApiResult, Method, Req, Route, route};
use crate::metrics::node_sample;
use crate::model::Guest;
use crate::tasks::now;

/// The kernel PVE 9.1 ships.
const KERNEL_RELEASE: &str = "6.17.2-1-pve";
const KERNEL_VERSION: &str = "#1 SMP PREEMPT_DYNAMIC PMX 6.17.2-1 (2025-10-21T11:55Z)";

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::Get, "/nodes", list),
        route(Method::Get, "/nodes/{node}", index),
        route(Method::Get, "/nodes/{node}/status", status),
    ]
}

fn list(sim: &Sim, _: &Req) -> ApiResult {
    let cluster = sim.cluster.lock();
    let fingerprint = sim.fingerprint.clone();
    let t = now();
    let mut by_node: std::collections::HashMap<&str, Vec<&Guest>> =
        std::collections::HashMap::new();
    for guest in cluster.guests.values() {
        by_node.entry(guest.node.as_str()).or_default().push(guest);
    }
    let entries = ordered_nodes(&cluster)
        .into_iter()
        .map(|node| {
            let guests = by_node
                .get(node.name.as_str())
                .map_or(&[][..], Vec::as_slice);
            let mut entry = node_entry(node, guests, t);
            if let Some(fp) = &fingerprint {
                entry["ssl_fingerprint"] = json!(fp);
            }
            entry
        })
        .collect();
    Ok(Value::Array(entries))
}

fn index(_: &Sim, _: &Req) -> ApiResult {
    let subdirs = [
        "aplinfo",
        "apt",
        "capabilities",
        "ceph",
        "certificates",
        "config",
        "disks",
        "dns",
        "firewall",
        "hardware",
        "hosts",
        "journal",
        "lxc",
        "migrateall",
        "netstat",
        "network",
        "qemu",
        "query-url-metadata",
        "replication",
        "report",
        "rrd",
        "rrddata",
        "scan",
        "sdn",
        "services",
        "spiceshell",
        "startall",
        "status",
        "stopall",
        "storage",
        "subscription",
        "suspendall",
        "syslog",
        "tasks",
        "termproxy",
        "time",
        "version",
        "vncshell",
        "vzdump",
        "wakeonlan",
    ];
    Ok(Value::Array(
        subdirs.iter().map(|name| json!({ "name": name })).collect(),
    ))
}

fn status(sim: &Sim, req: &Req) -> ApiResult {
    let cluster = sim.cluster.lock();
    let name = req.node()?;
    let node = cluster
        .nodes
        .get(name)
        .ok_or_else(|| ApiError::internal(format!("no such node '{name}'")))?;
    let guests: Vec<&Guest> = cluster.guests_on(name).collect();
    let t = now();
    let sample = node_sample(node, &guests, t);
    let uptime = (t - node.booted_at).max(0);
    let sockets = if node.cpus >= 32 { 2 } else { 1 };
    Ok(json!({
        "uptime": uptime,
        "idle": 0,
        // PVE sends the load averages as strings.
        "loadavg": sample.loadavg.map(|l| format!("{l:.2}")),
        "kversion": format!("Linux {KERNEL_RELEASE} {KERNEL_VERSION}"),
        "current-kernel": {
            "sysname": "Linux",
            "release": KERNEL_RELEASE,
            "version": KERNEL_VERSION,
            "machine": "x86_64",
        },
        "boot-info": { "mode": "efi", "secureboot": 0 },
        "cpuinfo": {
            "model": "AMD EPYC 7543P 32-Core Processor",
            "sockets": sockets,
            "cores": node.cpus / 2 / sockets,
            "cpus": node.cpus,
            "mhz": "2800.000",
            "hvm": "1",
            "user_hz": 100,
            "flags": "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 \
                      clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm \
                      constant_tsc rep_good nopl nonstop_tsc cpuid extd_apicid aperfmperf pni \
                      pclmulqdq monitor ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt aes \
                      xsave avx f16c rdrand lahf_lm cmp_legacy svm extapic cr8_legacy abm sse4a \
                      misalignsse 3dnowprefetch osvw ibs skinit wdt tce topoext perfctr_core \
                      perfctr_nb bpext perfctr_llc mwaitx cpb cat_l3 cdp_l3 hw_pstate ssbd mba \
                      ibrs ibpb stibp vmmcall fsgsbase bmi1 avx2 smep bmi2 erms invpcid cqm rdt_a \
                      rdseed adx smap clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 xsaves \
                      cqm_llc cqm_occup_llc cqm_mbm_total cqm_mbm_local user_shstk clzero irperf \
                      xsaveerptr rdpru wbnoinvd amd_ppin arat npt lbrv svm_lock nrip_save \
                      tsc_scale vmcb_clean flushbyasid decodeassists pausefilter pfthreshold v_vmsave_vmload \
                      vgif v_spec_ctrl umip pku ospke vaes vpclmulqdq rdpid overflow_recov succor smca",
        },
        "cpu": sample.cpu,
        "wait": sample.iowait,
        "memory": {
            "total": sample.maxmem,
            "used": sample.mem,
            "free": sample.maxmem.saturating_sub(sample.mem),
            "available": sample.memavailable,
        },
        "ksm": { "shared": 0 },
        "swap": {
            "total": sample.swap_total,
            "used": sample.swap_used,
            "free": sample.swap_total.saturating_sub(sample.swap_used),
        },
        "pveversion": format!("pve-manager/{}/{PVE_REPOID}", sim.config.pve_version),
        "rootfs": {
            "total": sample.rootfs_total,
            "used": sample.rootfs_used,
            "avail": sample.rootfs_total.saturating_sub(sample.rootfs_used),
            "free": sample.rootfs_total.saturating_sub(sample.rootfs_used),
        },
    }))
}
