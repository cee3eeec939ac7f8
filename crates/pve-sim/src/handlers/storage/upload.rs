//! `POST /nodes/{node}/storage/{storage}/upload` (pve-storage
//! `PVE::API2::Storage::Status`, method `upload`): pveproxy has already taken the file
//! into `tmpfilename` (see `crate::upload`); the handler checks the storage, content
//! type and file name, then copies the file in an `imgcopy` task that verifies the
//! checksum first.

use std::time::Duration;

use md5::Md5;
use serde_json::json;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

use super::{node, storage};
use crate::api::{ApiError, ApiResult, Req};
use crate::model::Volume;
use crate::tasks::{TaskOutcome, TaskSpec, now};
use crate::{Cluster, Sim};

/// `cp` of an ISO into the storage.
const COPY_DURATION: Duration = Duration::from_secs(2);

pub(super) fn upload(sim: &Sim, req: &Req) -> ApiResult {
    let node_name = req.node()?.to_string();
    let storage_id = req.path("storage")?.to_string();
    let content = req.required_str("content")?;
    let mut cluster = sim.cluster.lock();
    let scfg = storage(node(&cluster, &node_name)?, &storage_id)?;
    if !matches!(
        scfg.kind.as_str(),
        "dir" | "nfs" | "cifs" | "cephfs" | "btrfs"
    ) {
        return Err(ApiError::internal(format!(
            "can't upload to storage type '{}'",
            scfg.kind
        )));
    }
    let tmpfilename = req
        .str("tmpfilename")
        .ok_or_else(|| ApiError::internal("missing temporary file name"))?;
    let file = sim.uploads.take(&tmpfilename).ok_or_else(|| {
        ApiError::internal(format!("temporary file '{tmpfilename}' does not exist"))
    })?;
    let filename = normalize_content_filename(&req.required_str("filename")?);
    let lower = filename.to_ascii_lowercase();
    let (dir, format) = match content.as_str() {
        "iso" if lower.ends_with(".iso") || lower.ends_with(".img") => ("iso", "iso"),
        "vztmpl" => match [".tar", ".tar.gz", ".tar.xz", ".tar.zst", ".tar.bz2"]
            .iter()
            .find(|ext| lower.ends_with(*ext))
        {
            Some(ext) => ("vztmpl", vztmpl_format(ext)),
            None => return Err(ApiError::param("filename", "wrong file extension")),
        },
        "import" => match ["ova", "qcow2", "raw", "vmdk"]
            .iter()
            .find(|ext| filename.ends_with(&format!(".{ext}")))
        {
            Some(ext) => ("import", *ext),
            None => {
                return Err(ApiError::param(
                    "filename",
                    "invalid filename or wrong extension",
                ));
            }
        },
        "iso" => return Err(ApiError::param("filename", "wrong file extension")),
        other => {
            return Err(ApiError::param(
                "content",
                format!("upload content type '{other}' not allowed"),
            ));
        }
    };
    if !scfg.content.contains(&content) {
        return Err(ApiError::internal(format!(
            "storage '{storage_id}' does not support '{content}' content"
        )));
    }
    let checksum = match (req.str("checksum-algorithm"), req.str("checksum")) {
        (Some(algorithm), Some(expected)) => Some((algorithm, expected)),
        _ => None,
    };
    let volid = format!("{storage_id}:{dir}/{filename}");
    let size = file.len() as u64;
    let dest = format!("{}/{}", super::volume_dir(scfg, dir), filename);
    let mut log = vec![
        format!("starting file import from: {tmpfilename}"),
        format!("target node: {node_name}"),
        format!("target file: {dest}"),
        format!("file size is: {size}"),
        format!("command: cp -- {tmpfilename} {dest}"),
    ];
    let work = move |cluster: &mut Cluster| {
        if let Some((algorithm, expected)) = checksum {
            let got = file_hash(&algorithm, &file);
            if !got.eq_ignore_ascii_case(&expected) {
                log.truncate(1);
                log.push("calculating checksum...".into());
                return TaskOutcome::failed(
                    log,
                    format!("checksum mismatch: got '{got}' != expect '{expected}'"),
                );
            }
            log.insert(1, "calculating checksum...OK, checksum verified".into());
        }
        let Some(storage) = cluster
            .nodes
            .get_mut(&node_name)
            .and_then(|n| n.storages.get_mut(&storage_id))
        else {
            return TaskOutcome::failed(log, format!("storage '{storage_id}' vanished"));
        };
        // PVE simply overwrites an existing file of the same name.
        storage.volumes.insert(
            volid.clone(),
            Volume {
                volid: volid.clone(),
                content: content.clone(),
                format: format.to_string(),
                size,
                vmid: None,
                ctime: now(),
                notes: None,
                backup_config: None,
                protected: false,
            },
        );
        log.push("finished file import successfully".into());
        TaskOutcome::ok(log)
    };
    let spec = TaskSpec::new(req.node()?, "imgcopy", "", COPY_DURATION, work);
    Ok(json!(sim.spawn_task(&mut cluster, &req.user, spec)))
}

/// `PVE::Storage::normalize_content_filename`: the base name, unsafe characters as `_`.
fn normalize_content_filename(name: &str) -> String {
    let base = name.trim_end_matches('\n');
    let base = base.rsplit(['/', '\\']).next().unwrap_or(base);
    base.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn vztmpl_format(ext: &str) -> &'static str {
    match ext {
        ".tar.gz" => "tgz",
        ".tar.xz" => "txz",
        ".tar.zst" => "tzst",
        ".tar.bz2" => "tbz2",
        _ => "tar",
    }
}

/// `PVE::Tools::get_file_hash`: lower-case hex digest.
fn file_hash(algorithm: &str, data: &[u8]) -> String {
    match algorithm {
        "md5" => hex::encode(Md5::digest(data)),
        "sha1" => hex::encode(Sha1::digest(data)),
        "sha224" => hex::encode(Sha224::digest(data)),
        "sha384" => hex::encode(Sha384::digest(data)),
        "sha512" => hex::encode(Sha512::digest(data)),
        _ => hex::encode(Sha256::digest(data)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_normalised_like_pve() {
        assert_eq!(
            normalize_content_filename("C:\\isos\\my disk (1).iso"),
            "my_disk__1_.iso"
        );
        assert_eq!(normalize_content_filename("../../etc/x.iso"), "x.iso");
    }

    #[test]
    fn hashes_are_lower_case_hex() {
        assert_eq!(file_hash("md5", b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(
            file_hash("sha1", b""),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
    }
}
