//! A small hand-seeded cluster and helpers to call guest and vzdump handlers the way
//! the HTTP layer does, then wait for their tasks.
//!
//! The cluster: `pve1` and `pve2` online, `pve3` offline. Each node has `local` (dir:
//! templates, ISOs, backups, 100 GiB) and `local-lvm` (lvmthin: images and rootdir,
//! 128 GiB); `nfs` is shared (images, rootdir, backup). On pve1: CT 101 `web01`
//! running (8 GiB rootfs), VM 100 `db01` stopped (32 GiB scsi0 + ISO), CT 900 a
//! template with a base volume.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use proxicloud_types::GuestType;
use serde_json::{Map, Value};

use crate::api::{ApiError, ApiResult, Method, Req};
use crate::model::{Guest, GuestStatus, Node, Storage, Volume};
use crate::schema::{self, Schema};
use crate::tasks::Task;
use crate::{Cluster, Sim, SimConfig};

pub(crate) const GIB: u64 = 1024 * 1024 * 1024;
pub(crate) const TEMPLATE: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";
pub(crate) const ISO: &str = "local:iso/debian-12.7.0-amd64-netinst.iso";

fn volume(volid: &str, content: &str, format: &str, size: u64, vmid: Option<u32>) -> Volume {
    Volume {
        volid: volid.to_string(),
        content: content.to_string(),
        format: format.to_string(),
        size,
        vmid,
        ctime: 1_700_000_000,
        notes: None,
        backup_config: None,
        protected: false,
    }
}

fn storage(
    id: &str,
    kind: &str,
    content: &[&str],
    total: u64,
    shared: bool,
    volumes: Vec<Volume>,
) -> Storage {
    Storage {
        id: id.to_string(),
        kind: kind.to_string(),
        content: content.iter().map(|c| c.to_string()).collect(),
        total,
        shared,
        enabled: true,
        volumes: volumes.into_iter().map(|v| (v.volid.clone(), v)).collect(),
    }
}

fn node(name: &str, online: bool, lvm_volumes: Vec<Volume>) -> Node {
    let local = storage(
        "local",
        "dir",
        &["vztmpl", "iso", "backup"],
        100 * GIB,
        false,
        vec![
            volume(TEMPLATE, "vztmpl", "tzst", 120 << 20, None),
            volume(ISO, "iso", "iso", 630 << 20, None),
        ],
    );
    let lvm = storage(
        "local-lvm",
        "lvmthin",
        &["images", "rootdir"],
        128 * GIB,
        false,
        lvm_volumes,
    );
    let nfs = storage(
        "nfs",
        "nfs",
        &["images", "rootdir", "backup"],
        500 * GIB,
        true,
        Vec::new(),
    );
    Node {
        name: name.to_string(),
        online,
        ip: format!("10.0.0.{}", name.trim_start_matches("pve")),
        cpus: 16,
        maxmem: 64 * GIB,
        storages: [local, lvm, nfs]
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect(),
        booted_at: 1_700_000_000,
    }
}

fn guest(vmid: u32, kind: GuestType, status: GuestStatus, config: &[(&str, &str)]) -> Guest {
    Guest {
        vmid,
        kind,
        node: "pve1".to_string(),
        status,
        config: config
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        snapshots: BTreeMap::new(),
        started_at: (status != GuestStatus::Stopped).then_some(1_700_000_000),
        pending_delete: Vec::new(),
        pending: Default::default(),
    }
}

pub(crate) fn cluster() -> Cluster {
    let pve1_disks = vec![
        volume(
            "local-lvm:vm-101-disk-0",
            "rootdir",
            "raw",
            8 * GIB,
            Some(101),
        ),
        volume(
            "local-lvm:vm-100-disk-0",
            "images",
            "raw",
            32 * GIB,
            Some(100),
        ),
        volume(
            "local-lvm:base-900-disk-0",
            "rootdir",
            "raw",
            4 * GIB,
            Some(900),
        ),
    ];
    let guests = [
        guest(
            101,
            GuestType::Lxc,
            GuestStatus::Running,
            &[
                ("arch", "amd64"),
                ("cores", "2"),
                ("hostname", "web01"),
                ("memory", "1024"),
                (
                    "net0",
                    "name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:01:01,ip=dhcp,type=veth",
                ),
                ("ostype", "debian"),
                ("rootfs", "local-lvm:vm-101-disk-0,size=8G"),
                ("swap", "512"),
                ("unprivileged", "1"),
            ],
        ),
        guest(
            100,
            GuestType::Qemu,
            GuestStatus::Stopped,
            &[
                ("boot", "order=scsi0;ide2;net0"),
                ("cores", "2"),
                ("ide2", &format!("{ISO},media=cdrom,size=630M")),
                ("memory", "4096"),
                ("name", "db01"),
                ("net0", "virtio=BC:24:11:00:01:00,bridge=vmbr0"),
                ("ostype", "l26"),
                ("scsi0", "local-lvm:vm-100-disk-0,iothread=1,size=32G"),
                ("scsihw", "virtio-scsi-single"),
                ("sockets", "1"),
            ],
        ),
        guest(
            900,
            GuestType::Lxc,
            GuestStatus::Stopped,
            &[
                ("hostname", "tmpl-debian"),
                ("memory", "512"),
                (
                    "net0",
                    "name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:09:00,ip=dhcp,type=veth",
                ),
                ("ostype", "debian"),
                ("rootfs", "local-lvm:base-900-disk-0,size=4G"),
                ("template", "1"),
            ],
        ),
    ];
    Cluster {
        name: "testcluster".to_string(),
        nodes: [
            node("pve1", true, pve1_disks),
            node("pve2", true, Vec::new()),
            node("pve3", false, Vec::new()),
        ]
        .into_iter()
        .map(|n| (n.name.clone(), n))
        .collect(),
        guests: guests.into_iter().map(|g| (g.vmid, g)).collect(),
        next_pid: 1000,
        ..Default::default()
    }
}

/// A simulator over [`cluster`] whose tasks finish as soon as the runtime polls them.
pub(crate) fn sim() -> Sim {
    Sim::new(
        SimConfig {
            time_scale: 0.0,
            ..Default::default()
        },
        cluster(),
    )
}

fn routes() -> Vec<crate::api::Route> {
    let mut all = super::routes();
    all.extend(crate::handlers::vzdump::routes());
    all.extend(crate::handlers::storage::routes());
    all.extend(crate::handlers::firewall::routes());
    all
}

/// The official schema: every test request is resolved and validated exactly like the
/// HTTP layer does. Missing, it fails the test (never skips the check).
fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = schema::default_schema_path().expect(
            "the official PVE API schema was not found: set PROXICLOUD_PVE_SCHEMA to \
             shared/pve-api/pve-api-schema.json (scripts/test.sh does)",
        );
        Schema::load(&path).unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display()))
    })
}

/// Call the handler for `METHOD /path` as `root@pam` with form-style string params.
pub(crate) fn call(sim: &Sim, method: &str, path: &str, params: &[(&str, &str)]) -> ApiResult {
    call_as(sim, "root@pam", method, path, params)
}

/// Route and call like the dispatcher: resolve the path in the official schema, reject
/// schema-invalid parameters (a test sending one is a bug), then run the handler
/// registered for exactly that schema template.
pub(crate) fn call_as(
    sim: &Sim,
    user: &str,
    method: &str,
    path: &str,
    params: &[(&str, &str)],
) -> ApiResult {
    let method = Method::parse(method).expect("known method");
    let params: Map<String, Value> = params
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect();
    let schema = schema();
    let resolved = schema
        .resolve(method, path)
        .expect("path in the PVE schema");
    if let Err(error) = schema.check_params(method, &resolved, &params) {
        panic!(
            "schema rejects {} {path} {params:?}: {error:?}",
            method.as_str()
        );
    }
    let (template, path_params) = (resolved.template, resolved.path_values);
    let route = routes()
        .into_iter()
        .find(|r| r.method == method && r.template == template)
        .unwrap_or_else(|| panic!("no handler for {} {template}", method.as_str()));
    let req = Req {
        method,
        template,
        path: path_params,
        params,
        user: user.to_string(),
    };
    route
        .handler
        .call(sim, &req)
        .map(|answer| answer.data.into_value())
}

/// The UPID a task-starting call answered with.
pub(crate) fn upid(result: ApiResult) -> String {
    match result {
        Ok(Value::String(upid)) if upid.starts_with("UPID:") => upid,
        other => panic!("expected a UPID, got {other:?}"),
    }
}

/// The 500 message of a call PVE rejects synchronously.
pub(crate) fn error_message(result: ApiResult) -> String {
    match result {
        Err(ApiError { message, .. }) => message,
        Ok(value) => panic!("expected an error, got {value}"),
    }
}

/// Poll until the task stops (tasks finish on the runtime's timers).
pub(crate) async fn wait(sim: &Sim, upid: &str) -> Task {
    for _ in 0..500 {
        if let Some(task) = sim.cluster.lock().task(upid).filter(|t| !t.is_running()) {
            return task.clone();
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("task {upid} did not finish");
}

/// Run a task-starting call and wait for its task.
pub(crate) async fn run(sim: &Sim, method: &str, path: &str, params: &[(&str, &str)]) -> Task {
    let upid = upid(call(sim, method, path, params));
    wait(sim, &upid).await
}

pub(crate) fn exit_ok(task: &Task) -> bool {
    task.exitstatus.as_deref() == Some("OK")
}

/// Sum of volume sizes of one node's storage.
pub(crate) fn used(sim: &Sim, node: &str, storage: &str) -> u64 {
    sim.cluster.lock().nodes[node].storages[storage].used()
}

pub(crate) fn has_volume(sim: &Sim, node: &str, volid: &str) -> bool {
    let (sid, _) = volid.split_once(':').expect("volid");
    sim.cluster.lock().nodes[node].storages[sid]
        .volumes
        .contains_key(volid)
}

pub(crate) fn config_of(sim: &Sim, vmid: u32) -> BTreeMap<String, String> {
    sim.cluster.lock().guests[&vmid].config.clone()
}

/// The whole task log as one string, for `contains` checks.
pub(crate) fn log_text(task: &Task) -> String {
    task.log.join("\n")
}

pub(crate) fn status_of(sim: &Sim, vmid: u32) -> GuestStatus {
    sim.cluster.lock().guests[&vmid].status
}
