//! `--state FILE`: the cluster as JSON, written atomically (temporary file, fsync, rename)
//! so a crash mid-write never leaves a torn file, and read back at start.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::tasks::now;
use crate::{Cluster, Sim};

/// The exit status of tasks that were running when the simulator stopped.
pub const INTERRUPTED: &str = "interrupted by simulator restart";

/// Snapshot the cluster (under its lock, so the snapshot is consistent) and write it.
pub fn save(sim: &Sim, path: &Path) -> anyhow::Result<()> {
    let bytes = serde_json::to_vec(&*sim.cluster.lock()).context("serialising the cluster")?;
    write_atomically(path, &bytes)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let temp = temp_path(path);
    let mut file =
        std::fs::File::create(&temp).with_context(|| format!("creating {}", temp.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", temp.display()))?;
    drop(file);
    std::fs::rename(&temp, path)
        .with_context(|| format!("renaming {} to {}", temp.display(), path.display()))
}

/// Same directory as the target, so the rename stays on one filesystem.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".to_string());
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Read a saved cluster. Tasks that were running cannot resume (their work lived in the
/// old process), so they end as failed and release the locks they held.
pub fn load(path: &Path) -> anyhow::Result<Cluster> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mut cluster: Cluster = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a saved simulator state", path.display()))?;
    interrupt_running_tasks(&mut cluster);
    Ok(cluster)
}

fn interrupt_running_tasks(cluster: &mut Cluster) {
    let ended = now();
    let mut unlock = Vec::new();
    for task in cluster.tasks.iter_mut().filter(|t| t.is_running()) {
        task.log.push(format!("TASK ERROR: {INTERRUPTED}"));
        task.exitstatus = Some(INTERRUPTED.to_string());
        task.endtime = Some(ended);
        if let Ok(vmid) = task.id.parse::<u32>() {
            unlock.push(vmid);
        }
    }
    for vmid in unlock {
        if let Some(guest) = cluster.guests.get_mut(&vmid) {
            guest.config.remove("lock");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimConfig;
    use crate::tasks::Task;

    fn running_task(id: &str) -> Task {
        Task {
            upid: format!("UPID:pve1:00001000:00002000:67400000:vzdump:{id}:root@pam:"),
            node: "pve1".into(),
            kind: "vzdump".into(),
            id: id.into(),
            user: "root@pam".into(),
            pid: 0x1000,
            pstart: 0x2000,
            starttime: 0x6740_0000,
            endtime: None,
            exitstatus: None,
            log: vec!["INFO: starting new backup job".into()],
        }
    }

    #[test]
    fn state_round_trips_and_running_tasks_come_back_failed_and_unlocked() {
        let config = SimConfig {
            nodes: 2,
            guests: 6,
            schema_path: None,
            ..SimConfig::default()
        };
        let mut cluster = crate::seed::seed_cluster(&config);
        let vmid = *cluster.guests.keys().next().unwrap();
        cluster
            .guests
            .get_mut(&vmid)
            .unwrap()
            .config
            .insert("lock".into(), "backup".into());
        cluster.tasks.push(running_task(&vmid.to_string()));
        let sim = Sim::new(config, cluster);

        let dir = std::env::temp_dir().join(format!("pve-sim-persist-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.json");
        save(&sim, &path).unwrap();
        let loaded = load(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();

        assert_eq!(loaded.guests.len(), 6);
        assert_eq!(loaded.nodes.len(), 2);
        let task = loaded.tasks.last().unwrap();
        assert_eq!(task.exitstatus.as_deref(), Some(INTERRUPTED));
        assert!(task.endtime.is_some());
        assert_eq!(
            task.log.last().unwrap(),
            &format!("TASK ERROR: {INTERRUPTED}")
        );
        assert!(loaded.guests[&vmid].lock().is_none());
    }
}
