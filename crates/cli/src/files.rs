//! Files written whole or not at all, with their mode from the start: credentials,
//! the installed binary, its config and unit, a generated private key. Any new such
//! file goes through [`write_atomic`] (replaces) or [`write_new`] (never replaces).

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// Writes `bytes` to `path` with `mode` (on unix): into a fresh temporary file beside
/// it (created 0600 by `tempfile`, removed if anything fails), synced, then renamed
/// over `path` — a reader or a running binary never sees half, a crash leaves the old
/// file or the new one, and the content is never in a file anyone but its owner reads
/// before it has `mode`.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    write_whole(path, bytes, mode, Existing::Replace)
}

/// Like [`write_atomic`], but `path` must not exist yet: the file appears whole with
/// `mode`, or an existing one stays untouched and this fails (a private key the server
/// returns once must never replace another).
pub fn write_new(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    write_whole(path, bytes, mode, Existing::Refuse)
}

#[derive(Clone, Copy, PartialEq)]
enum Existing {
    Replace,
    Refuse,
}

#[cfg_attr(not(unix), allow(unused_variables))]
fn write_whole(path: &Path, bytes: &[u8], mode: u32, existing: Existing) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".proxicloud-")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    let written = file.write_all(bytes).and_then(|()| {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.as_file()
                .set_permissions(std::fs::Permissions::from_mode(mode))?;
        }
        file.as_file().sync_all()
    });
    written.with_context(|| format!("writing {}", file.path().display()))?;
    let persisted = match existing {
        Existing::Replace => file.persist(path),
        Existing::Refuse => file.persist_noclobber(path),
    };
    // The error keeps the temporary file alive; dropping it here removes the file
    // rather than when (or if) the error is.
    persisted.map_err(|failed| failed.error).with_context(|| {
        let verb = match existing {
            Existing::Replace => "replacing",
            Existing::Refuse => "creating",
        };
        format!("{verb} {}", path.display())
    })?;
    // The rename itself is durable once the directory is synced.
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|dir| dir.sync_all())
        .with_context(|| format!("syncing {}", dir.display()))?;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use super::{write_atomic, write_new};

    fn mode(path: &std::path::Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn replaces_the_file_with_exactly_the_mode_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_atomic(&path, b"new", 0o600).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(mode(&path), 0o600);
        write_atomic(&path, b"public", 0o755).unwrap();
        assert_eq!(
            mode(&path),
            0o755,
            "wider than the umask allows at creation"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, ["secret"]);
    }

    #[test]
    fn write_new_creates_with_the_mode_and_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        write_new(&path, b"first", 0o600).unwrap();
        assert_eq!(mode(&path), 0o600);
        let refused = write_new(&path, b"second", 0o600).unwrap_err();
        assert!(format!("{refused:#}").contains("creating"), "{refused:#}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "first");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, ["key"], "no temporary file left behind");
    }

    /// A reader polling the file while it is rewritten sees one whole version or the
    /// other, never a truncated or half-written one (as `std::fs::write` would show).
    #[test]
    fn a_reader_never_sees_a_half_written_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials.toml");
        let versions = [vec![b'a'; 1 << 20], vec![b'b'; 1 << 20]];
        write_atomic(&path, &versions[0], 0o600).unwrap();
        let done = AtomicBool::new(false);
        let reads = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            let reader = scope.spawn(|| {
                while !done.load(Ordering::Acquire) {
                    let seen = std::fs::read(&path).unwrap();
                    assert!(
                        versions.contains(&seen),
                        "a partial file: {} bytes",
                        seen.len()
                    );
                    assert_eq!(mode(&path), 0o600);
                    reads.fetch_add(1, Ordering::Release);
                }
            });
            // Rewrites while the reader reads (at least 20 reads overlap the writes,
            // unless the reader failed).
            let mut round = 0;
            while round < 50 || (reads.load(Ordering::Acquire) < 20 && !reader.is_finished()) {
                write_atomic(&path, &versions[round % 2], 0o600).unwrap();
                round += 1;
            }
            done.store(true, Ordering::Release);
        });
    }
}
