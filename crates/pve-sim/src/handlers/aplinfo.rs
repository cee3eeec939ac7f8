//! `GET/POST /nodes/{node}/aplinfo`: the appliance (container template) catalogue and
//! downloads into a storage (pve-manager `PVE::API2::Nodes` apl_download, `PVE::APLInfo`).

use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha512};

use crate::api::{ApiError, ApiResult, Method, Req, Route, route};
use crate::model::Volume;
use crate::seed::template_format;
use crate::tasks::{TaskOutcome, TaskSpec, now};
use crate::{Cluster, Sim};

const SOURCE: &str = "http://download.proxmox.com/images";
const INFOPAGE: &str = "https://pve.proxmox.com/wiki/Linux_Container#pct_supported_distributions";
const MAINTAINER: &str = "Proxmox Support Team <support@proxmox.com>";

/// How long fetching a template takes on a decent line.
const DOWNLOAD_DURATION: Duration = Duration::from_secs(20);

/// One catalogue entry: (package, version, os, headline, template file, size in bytes).
struct Appliance {
    package: &'static str,
    version: &'static str,
    os: &'static str,
    headline: &'static str,
    template: &'static str,
    size: u64,
}

const MIB: u64 = 1024 * 1024;

const CATALOGUE: &[Appliance] = &[
    Appliance {
        package: "debian-12-standard",
        version: "12.7-1",
        os: "debian-12",
        headline: "Debian 12 Bookworm (standard)",
        template: "debian-12-standard_12.7-1_amd64.tar.zst",
        size: 126 * MIB,
    },
    Appliance {
        package: "debian-13-standard",
        version: "13.1-2",
        os: "debian-13",
        headline: "Debian 13 Trixie (standard)",
        template: "debian-13-standard_13.1-2_amd64.tar.zst",
        size: 131 * MIB,
    },
    Appliance {
        package: "ubuntu-24.04-standard",
        version: "24.04-2",
        os: "ubuntu-24.04",
        headline: "Ubuntu 24.04 Noble (standard)",
        template: "ubuntu-24.04-standard_24.04-2_amd64.tar.zst",
        size: 141 * MIB,
    },
    Appliance {
        package: "ubuntu-22.04-standard",
        version: "22.04-1",
        os: "ubuntu-22.04",
        headline: "Ubuntu 22.04 Jammy (standard)",
        template: "ubuntu-22.04-standard_22.04-1_amd64.tar.zst",
        size: 123 * MIB,
    },
    Appliance {
        package: "alpine-3.22-default",
        version: "20250617",
        os: "alpine-3.22",
        headline: "Alpine Linux 3.22 (default)",
        template: "alpine-3.22-default_20250617_amd64.tar.xz",
        size: 3 * MIB,
    },
    Appliance {
        package: "alpine-3.20-default",
        version: "20240908",
        os: "alpine-3.20",
        headline: "Alpine Linux 3.20 (default)",
        template: "alpine-3.20-default_20240908_amd64.tar.xz",
        size: 3 * MIB,
    },
    Appliance {
        package: "rockylinux-9-default",
        version: "20240912",
        os: "rockylinux-9",
        headline: "Rocky Linux 9 (default)",
        template: "rockylinux-9-default_20240912_amd64.tar.xz",
        size: 93 * MIB,
    },
    Appliance {
        package: "fedora-42-default",
        version: "20250428",
        os: "fedora-42",
        headline: "Fedora 42 (default)",
        template: "fedora-42-default_20250428_amd64.tar.xz",
        size: 96 * MIB,
    },
    Appliance {
        package: "archlinux-base",
        version: "20240911-1",
        os: "archlinux",
        headline: "ArchLinux base image.",
        template: "archlinux-base_20240911-1_amd64.tar.zst",
        size: 168 * MIB,
    },
];

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::Get, "/nodes/{node}/aplinfo", list),
        route(Method::Post, "/nodes/{node}/aplinfo", download),
    ]
}

fn location(appliance: &Appliance) -> String {
    format!("{SOURCE}/system/{}", appliance.template)
}

/// Not the real archives' checksums (the simulator has no archives): a stable stand-in
/// of the right shape.
fn sha512sum(appliance: &Appliance) -> String {
    hex::encode(Sha512::digest(appliance.template.as_bytes()))
}

fn entry(appliance: &Appliance) -> Value {
    json!({
        "package": appliance.package,
        "version": appliance.version,
        "type": "lxc",
        "os": appliance.os,
        "section": "system",
        "headline": appliance.headline,
        "description": appliance.headline,
        "maintainer": MAINTAINER,
        "infopage": INFOPAGE,
        "location": location(appliance),
        "source": SOURCE,
        "template": appliance.template,
        "architecture": "amd64",
        "sha512sum": sha512sum(appliance),
    })
}

fn list(_: &Sim, _: &Req) -> ApiResult {
    Ok(Value::Array(CATALOGUE.iter().map(entry).collect()))
}

fn download(sim: &Sim, req: &Req) -> ApiResult {
    let template = req.required_str("template")?;
    let storage_id = req.required_str("storage")?;
    let appliance = CATALOGUE
        .iter()
        .find(|a| a.template == template)
        .ok_or_else(|| ApiError::param("template", "no such template"))?;
    let node = req.node()?.to_string();

    let mut cluster = sim.cluster.lock();
    let storage = cluster
        .nodes
        .get(&node)
        .and_then(|n| n.storages.get(&storage_id))
        .ok_or_else(|| ApiError::internal(format!("storage '{storage_id}' does not exist")))?;
    if !storage.enabled {
        return Err(ApiError::internal(format!(
            "storage '{storage_id}' is disabled"
        )));
    }
    if !storage.content.iter().any(|c| c == "vztmpl") {
        return Err(ApiError::internal(format!(
            "storage '{storage_id}' does not support templates"
        )));
    }
    let target = format!(
        "{}/template/cache/{template}",
        super::storage::dir_path(storage)
    );
    let url = location(appliance);
    let start_log = vec![
        format!("downloading {url} to {target}"),
        format!("--{}--  {url}", wget_time(now())),
        "Resolving download.proxmox.com (download.proxmox.com)... 212.224.123.70".to_string(),
        "Connecting to download.proxmox.com (download.proxmox.com)|212.224.123.70|:80... connected."
            .to_string(),
        "HTTP request sent, awaiting response... 200 OK".to_string(),
        format!("Length: {} ({}M) [application/octet-stream]", appliance.size, appliance.size / MIB),
    ];
    let volid = format!("{storage_id}:vztmpl/{template}");
    let size = appliance.size;
    let work = move |cluster: &mut Cluster| {
        let storage = cluster
            .nodes
            .get_mut(&node)
            .and_then(|n| n.storages.get_mut(&storage_id));
        let Some(storage) = storage else {
            return TaskOutcome::failed(
                Vec::new(),
                format!("storage '{storage_id}' does not exist"),
            );
        };
        storage.volumes.insert(
            volid.clone(),
            Volume {
                volid: volid.clone(),
                content: "vztmpl".into(),
                format: template_format(&template),
                size,
                vmid: None,
                ctime: now(),
                notes: None,
                backup_config: None,
                protected: false,
            },
        );
        TaskOutcome::ok(vec![
            "calculating checksum...OK, checksum verified".to_string(),
            format!("download of '{url}' to '{target}' finished"),
        ])
    };
    let spec = TaskSpec::new(
        req.node()?,
        "download",
        appliance.template,
        DOWNLOAD_DURATION,
        work,
    )
    .with_start_log(start_log)
    .with_progress_log(wget_progress(size));
    Ok(json!(sim.spawn_task(&mut cluster, &req.user, spec)))
}

/// What `wget --progress=dot:giga` prints while it fetches `size` bytes (pve-common
/// `PVE::Tools::download_file_from_url` runs it so, and the task log keeps its
/// output): a line per 32 MiB (32 dots of 1 MiB, in clusters of eight) ending with
/// the percentage done, the rate and the time left; the last line's percentage is 100.
fn wget_progress(size: u64) -> Vec<String> {
    const LINE: u64 = 32 * MIB;
    let lines = size.div_ceil(LINE).max(1);
    (0..lines)
        .map(|i| {
            let offset = i * LINE;
            let chunk = (size - offset).min(LINE);
            let dots: String = (0..chunk.div_ceil(MIB))
                .map(|d| if d > 0 && d % 8 == 0 { " ." } else { "." })
                .collect();
            let done = (offset + chunk) * 100 / size.max(1);
            let left = lines - i - 1;
            if left == 0 {
                format!("{:>7}K {dots:<35} {done:>3}% 12.4M=10s", offset / 1024)
            } else {
                format!("{:>7}K {dots:<35} {done:>3}% 12.1M {left}s", offset / 1024)
            }
        })
        .collect()
}

/// wget's `--2025-01-31 10:00:00--` timestamp.
fn wget_time(unix: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_log_wget_dot_giga_progress() {
        let lines = wget_progress(100 * MIB);
        assert_eq!(
            lines[0],
            "      0K ........ ........ ........ ........  32% 12.1M 3s"
        );
        assert_eq!(lines.len(), 4);
        assert!(lines[3].starts_with("  98304K .... "), "{}", lines[3]);
        assert!(lines[3].contains(" 100% "), "{}", lines[3]);
    }

    #[test]
    fn catalogue_entries_carry_pve_fields() {
        let first = entry(&CATALOGUE[0]);
        for key in [
            "package",
            "template",
            "os",
            "version",
            "section",
            "headline",
            "location",
            "sha512sum",
            "type",
        ] {
            assert!(first.get(key).is_some(), "missing {key}");
        }
        assert_eq!(first["sha512sum"].as_str().unwrap().len(), 128);
        assert!(
            first["location"]
                .as_str()
                .unwrap()
                .ends_with(CATALOGUE[0].template)
        );
    }
}
