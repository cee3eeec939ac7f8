//! `POST /nodes/{node}/qemu`: create a VM (or, with `archive`, restore one — see
//! `restore.rs`), following qemu-server's `create_vm`: new disks allocated from
//! `STORAGE:SIZE`, ISOs attached with their size, NICs given MACs, and the generated
//! `boot`, `smbios1`, `vmgenid` and `meta` options.

use std::collections::BTreeMap;

use proxicloud_types::GuestType;
use rand::Rng;

use super::common::{check_vmid_unused, online_node, secs, spawn_failing, upid_answer};
use super::lxc_create::required_vmid;
use super::propstr::{PropertyString, qemu_net_with_mac};
use super::provision::{self, NewDisk, Provision};
use super::volumes::{self, find_volume, split_volid};
use crate::api::{ApiError, ApiResult, Req};
use crate::model::format_size;
use crate::tasks::now;
use crate::{Cluster, Sim};

const NON_CONFIG_PARAMS: &[&str] = &[
    "node",
    "vmid",
    "archive",
    "bwlimit",
    "force",
    "pool",
    "start",
    "ha-managed",
    "storage",
    "unique",
    "live-restore",
    "import-working-storage",
];

/// The QEMU version new VMs record in `meta` (PVE 9.1 ships QEMU 10.0).
pub(crate) const QEMU_VERSION: &str = "10.0.2";

pub(crate) fn create(sim: &Sim, req: &Req) -> ApiResult {
    if req.str("archive").is_some() {
        return super::restore::restore_qemu(sim, req);
    }
    for requires_archive in ["force", "unique"] {
        if req.str(requires_archive).is_some() {
            return Err(ApiError::param(
                requires_archive,
                "parameter requires option 'archive'",
            ));
        }
    }
    let node = req.node()?.to_string();
    let vmid = required_vmid(req)?;
    let storage = req.str("storage");

    let mut cluster = sim.cluster.lock();
    online_node(&cluster, &node)?;
    check_vmid_unused(&cluster, vmid)
        .map_err(|e| ApiError::internal(format!("unable to create VM {vmid} - {e}")))?;

    let mut options = vm_options(req);
    let drives = plan_drives(&cluster, &node, storage.as_deref(), &mut options)?;
    let mut p = Provision::new(GuestType::Qemu, &node, vmid, "qmcreate");
    p.start = req.flag("start")?;
    p.duration = secs(3.0);
    p.config = options;

    if let Err(error) = attach_existing(&cluster, &node, &mut p.config)
        .and_then(|()| provision::allocate_disks(&mut cluster, &mut p, drives.new_disks, |_| &[]))
    {
        let upid = spawn_failing(
            sim,
            &mut cluster,
            &req.user,
            &node,
            "qmcreate",
            vmid,
            format!("unable to create VM {vmid} - {error}"),
        );
        return upid_answer(upid);
    }
    finish_config(&mut p.config);
    p.log = p
        .config
        .iter()
        .filter(|(k, _)| drives.keys.contains(k))
        .map(|(k, v)| format!("{k}: successfully created disk '{v}'"))
        .collect();
    let upid = provision::spawn(sim, &mut cluster, &req.user, p);
    upid_answer(upid)
}

/// The request's VM options: `cdrom` becomes `ide2` with `media=cdrom`, NICs get MACs.
fn vm_options(req: &Req) -> BTreeMap<String, String> {
    let mut options = BTreeMap::new();
    for key in req.params.keys() {
        if NON_CONFIG_PARAMS.contains(&key.as_str()) || key.starts_with("unused") {
            continue;
        }
        let Some(value) = req.str(key) else { continue };
        match key.as_str() {
            "cdrom" => {
                options.insert("ide2".to_string(), format!("{value},media=cdrom"));
            }
            net if net.starts_with("net") => {
                options.insert(key.clone(), qemu_net_with_mac(&value, false));
            }
            _ => {
                options.insert(key.clone(), value);
            }
        }
    }
    options
}

pub(crate) struct DrivePlan {
    pub new_disks: Vec<NewDisk>,
    /// Every drive key that was requested (for the "successfully created" log).
    pub keys: Vec<String>,
}

/// Sort drives into new allocations and existing volumes, with qemu-server's checks.
pub(crate) fn plan_drives(
    cluster: &Cluster,
    node: &str,
    default_storage: Option<&str>,
    options: &mut BTreeMap<String, String>,
) -> Result<DrivePlan, ApiError> {
    let mut plan = DrivePlan {
        new_disks: Vec::new(),
        keys: Vec::new(),
    };
    let keys: Vec<String> = options
        .keys()
        .filter(|k| volumes::is_disk_key(GuestType::Qemu, k))
        .cloned()
        .collect();
    for key in keys {
        let mut drive = PropertyString::parse_disk(&options[&key]);
        let head = drive.head.clone().unwrap_or_default();
        let is_cdrom = drive.get("media") == Some("cdrom");
        plan.keys.push(key.clone());
        if head.is_empty() || head == "none" || head == "cdrom" {
            continue;
        }
        let storage_of = |sid: Option<&str>| -> Result<String, ApiError> {
            let sid = sid.or(default_storage).ok_or_else(|| {
                ApiError::internal("no storage ID specified (and no default storage)")
            })?;
            volumes::check_disk_storage(cluster, node, sid, GuestType::Qemu)
                .map_err(|e| ApiError::param("storage", e))?;
            Ok(sid.to_string())
        };
        // `STORAGE:cloudinit` creates the cloud-init drive `vm-<vmid>-cloudinit`.
        if let Some(sid) = head
            .strip_suffix(":cloudinit")
            .or((head == "cloudinit").then_some(""))
        {
            let sid = storage_of((!sid.is_empty()).then_some(sid))?;
            drive.head = None;
            drive.set("media", "cdrom");
            let mut disk = NewDisk::new(&key, &sid, CLOUDINIT_SIZE, drive);
            disk.suffix = Some("cloudinit");
            plan.new_disks.push(disk);
            options.remove(&key);
            continue;
        }
        if !is_cdrom && let Some((sid, size)) = volumes::new_disk_request(&head) {
            let sid = storage_of(sid)?;
            let size = match drive.take("import-from") {
                None => size,
                Some(source) => import_size(cluster, node, &key, &source, size)?,
            };
            drive.head = None;
            plan.new_disks.push(NewDisk::new(&key, &sid, size, drive));
            options.remove(&key);
            continue;
        }
        if let Some((_, name)) = split_volid(&head)
            && name.starts_with("iso/")
            && !is_cdrom
        {
            return Err(ApiError::param(
                &key,
                "explicit 'media=cdrom' is required for iso images",
            ));
        }
    }
    Ok(plan)
}

/// `PVE::QemuServer::Cloudinit::CLOUDINIT_DISK_SIZE`: 4 MiB.
pub(crate) const CLOUDINIT_SIZE: u64 = 4 * 1024 * 1024;

/// `STORAGE:0,import-from=<volume>` copies an existing image (a cloud image, another
/// guest's disk): the new disk gets the source's size.
pub(crate) fn import_size(
    cluster: &Cluster,
    node: &str,
    key: &str,
    source: &str,
    requested: u64,
) -> Result<u64, ApiError> {
    if requested != 0 {
        let msg = "'import-from' requires special syntax - use <storage ID>:0,import-from=<source>";
        return Err(ApiError::param(key, msg));
    }
    find_volume(cluster, node, source)
        .map(|v| v.size)
        .ok_or_else(|| {
            ApiError::param(
                key,
                format!("cannot import from '{source}' - volume does not exist"),
            )
        })
}

/// Existing volumes (ISOs, attached disks) get their size recorded; a missing one
/// fails the task like `volume_size_info` does in qemu-server.
pub(crate) fn attach_existing(
    cluster: &Cluster,
    node: &str,
    config: &mut BTreeMap<String, String>,
) -> Result<(), String> {
    let keys: Vec<String> = config
        .keys()
        .filter(|k| volumes::is_disk_key(GuestType::Qemu, k))
        .cloned()
        .collect();
    for key in keys {
        let mut drive = PropertyString::parse_disk(&config[&key]);
        let Some(volid) = drive.head.clone().filter(|h| split_volid(h).is_some()) else {
            continue;
        };
        let volume = find_volume(cluster, node, &volid)
            .ok_or_else(|| format!("volume {volid} does not exist"))?;
        drive.set("size", format_size(volume.size));
        config.insert(key, drive.print(&[]));
    }
    Ok(())
}

/// Options qemu-server generates at creation: boot order, SMBIOS UUID, VM generation
/// id and the `meta` creation record.
pub(crate) fn finish_config(config: &mut BTreeMap<String, String>) {
    if !config.contains_key("boot") {
        let order = default_boot_order(config);
        if !order.is_empty() {
            config.insert("boot".into(), format!("order={}", order.join(";")));
        }
    }
    if !config.contains_key("smbios1") {
        config.insert("smbios1".into(), format!("uuid={}", random_uuid()));
    }
    if config.get("vmgenid").is_none_or(|v| v == "1") {
        config.insert("vmgenid".into(), random_uuid());
    }
    config.insert(
        "meta".into(),
        format!("creation-qemu={QEMU_VERSION},ctime={}", now()),
    );
}

/// `get_default_bootdevices`: first hard disk, first CD-ROM, first NIC.
fn default_boot_order(config: &BTreeMap<String, String>) -> Vec<String> {
    let bus_order = |key: &str| {
        let bus = ["ide", "sata", "scsi", "virtio"]
            .iter()
            .position(|b| key.starts_with(b));
        let index: u32 = key
            .trim_start_matches(|c: char| c.is_ascii_alphabetic())
            .parse()
            .unwrap_or(0);
        bus.map(|b| (b, index))
    };
    let first = |cdrom: bool| {
        config
            .iter()
            .filter(|(k, v)| bus_order(k).is_some() && v.contains("media=cdrom") == cdrom)
            .min_by_key(|(k, _)| bus_order(k))
            .map(|(k, _)| k.clone())
    };
    let nic = (0..32)
        .map(|i| format!("net{i}"))
        .find(|k| config.contains_key(k));
    [first(false), first(true), nic]
        .into_iter()
        .flatten()
        .collect()
}

/// A random version-4 UUID, as `generate_uuid` produces.
pub(crate) fn random_uuid() -> String {
    let mut bytes: [u8; 16] = rand::rng().random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
