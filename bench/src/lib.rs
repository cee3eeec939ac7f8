//! Helpers shared by the benchmark commands: child processes, memory, percentiles.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};

/// Resident memory of a process, in KiB.
pub fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .context("VmRSS missing")
}

/// The `p` quantile (0..=1) of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A child process whose stdout announced what we wait for; killed on drop.
pub struct Spawned {
    pub child: Child,
    /// Stdout lines read until (and including) the awaited one.
    pub lines: Vec<String>,
}

impl Spawned {
    /// Start `command` and read its stdout until a line starts with `ready_prefix`
    /// (further output is drained in the background).
    pub fn start(mut command: Command, ready_prefix: &str) -> anyhow::Result<Self> {
        let mut child = command
            .stdout(Stdio::piped())
            .stdin(Stdio::piped())
            .spawn()
            .context("spawning benchmark child")?;
        let stdout = child.stdout.take().context("piped stdout")?;
        let mut reader = BufReader::new(stdout).lines();
        let mut lines = Vec::new();
        loop {
            match reader.next() {
                Some(line) => {
                    let line = line?;
                    let ready = line.starts_with(ready_prefix);
                    lines.push(line);
                    if ready {
                        break;
                    }
                }
                None => bail!("child exited before printing '{ready_prefix}'"),
            }
        }
        std::thread::spawn(move || for _ in reader {});
        Ok(Self { child, lines })
    }

    /// The rest of the first line that starts with `prefix`.
    pub fn value_after(&self, prefix: &str) -> Option<String> {
        self.lines
            .iter()
            .find_map(|l| l.strip_prefix(prefix).map(|v| v.trim().to_string()))
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
