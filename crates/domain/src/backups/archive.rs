//! What vzdump tells us about the archive it wrote, read the way PVE writes it: the
//! task log's `creating vzdump archive '<path>'` line names the file, and the file
//! lives in the storage's `dump` directory, so its volume id is
//! `<storage>:backup/<file name>`. The name is never guessed from the time.

use proxicloud_pve::{GuestType, VmId};

/// The archive's volume id from the log of a vzdump task that backed up `vmid` to
/// `storage`; `None` when no line names one (a failed or foreign task).
pub(crate) fn archive_volid(
    storage: &str,
    kind: GuestType,
    vmid: VmId,
    log: &[String],
) -> Option<String> {
    let prefix = format!("vzdump-{}-{vmid}-", kind.as_str());
    log.iter().find_map(|line| {
        let (_, rest) = line.split_once("creating vzdump archive '")?;
        let path = rest.strip_suffix('\'')?;
        let file = path.rsplit('/').next()?;
        file.starts_with(&prefix)
            .then(|| format!("{storage}:backup/{file}"))
    })
}

/// Notes as a vzdump `notes-template`: PVE expands `\n` and `\\` (and `{{…}}`
/// variables, which the API refuses in notes), so a backslash and a line break are
/// escaped to come out as written.
pub(crate) fn notes_template(notes: &str) -> String {
    notes.replace('\\', "\\\\").replace('\n', "\\n")
}

/// Why notes cannot be sent to PVE, if they cannot.
pub(crate) fn check_notes(notes: &str) -> Result<(), String> {
    if notes.chars().count() > MAX_NOTES {
        return Err(format!("at most {MAX_NOTES} characters"));
    }
    if notes.contains("{{") || notes.contains("}}") {
        return Err("'{{' and '}}' are reserved by Proxmox VE's notes template".to_owned());
    }
    if notes.chars().any(|c| c.is_control() && c != '\n') {
        return Err("no control characters other than line breaks".to_owned());
    }
    Ok(())
}

pub const MAX_NOTES: usize = 1024;

#[cfg(test)]
mod tests {
    use super::*;

    fn vmid(id: u32) -> VmId {
        VmId::new(id).unwrap()
    }

    #[test]
    fn the_volume_id_comes_from_the_log_line_that_names_the_archive() {
        let log = vec![
            "INFO: starting new backup job: vzdump 101 --storage local".to_owned(),
            "INFO: Starting Backup of VM 101 (lxc)".to_owned(),
            "INFO: creating vzdump archive '/var/lib/vz/dump/vzdump-lxc-101-2026_12_07-23_10_00.tar.zst'".to_owned(),
            "INFO: archive file size: 120MB".to_owned(),
        ];
        assert_eq!(
            archive_volid("local", GuestType::Lxc, vmid(101), &log).as_deref(),
            Some("local:backup/vzdump-lxc-101-2026_12_07-23_10_00.tar.zst")
        );
        assert_eq!(
            archive_volid("local", GuestType::Lxc, vmid(102), &log),
            None
        );
        assert_eq!(
            archive_volid("local", GuestType::Qemu, vmid(101), &log),
            None
        );
        let nfs = vec!["INFO: creating vzdump archive '/mnt/pve/nfs/dump/vzdump-qemu-100-2026_12_07-23_10_00.vma.zst'".to_owned()];
        assert_eq!(
            archive_volid("nfs", GuestType::Qemu, vmid(100), &nfs).as_deref(),
            Some("nfs:backup/vzdump-qemu-100-2026_12_07-23_10_00.vma.zst")
        );
        assert_eq!(archive_volid("local", GuestType::Lxc, vmid(101), &[]), None);
    }

    #[test]
    fn notes_survive_pves_template_expansion() {
        assert_eq!(notes_template("a\\b\nc"), "a\\\\b\\nc");
        assert!(check_notes("before the upgrade\nsecond line").is_ok());
        assert!(check_notes("{{guestname}}").is_err());
        assert!(check_notes("tab\there").is_err());
        assert!(check_notes(&"x".repeat(MAX_NOTES + 1)).is_err());
    }
}
