//! Every request that reaches `/api2/json` is recorded — accepted or not — so tests can
//! check what a client sent against the official schema.
//!
//! A record line is a `validate_requests.py` input line plus three fields the validator
//! ignores: `accepted` (the request passed authentication and schema validation, so its
//! handler ran — whatever the handler answered), `status` (the HTTP status sent) and
//! `token` (authenticated by API token). Feed the validator only accepted lines, e.g.
//! `GET /sim/requests?accepted=1&format=jsonl`.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::schema::RecordedRequest;

/// In memory, the recorder keeps at most this many entries (oldest dropped first) so a
/// long-running demo does not grow without bound; the record file keeps everything.
const MEMORY_LIMIT: usize = 200_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordEntry {
    #[serde(flatten)]
    pub request: RecordedRequest,
    pub accepted: bool,
    pub status: u16,
    #[serde(default)]
    pub token: bool,
}

#[derive(Default)]
pub struct Recorder {
    entries: Mutex<Vec<RecordEntry>>,
    file: Option<Mutex<BufWriter<File>>>,
    /// Requests per `METHOD template` (or raw path when unresolved), for `/sim/stats`.
    counts: Mutex<BTreeMap<String, u64>>,
}

impl Recorder {
    /// A recorder that also appends JSON lines to `path` (created if missing).
    pub fn new(path: Option<&Path>) -> anyhow::Result<Self> {
        let file = match path {
            Some(path) => {
                let file = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| anyhow::anyhow!("opening record file {}: {e}", path.display()))?;
                Some(Mutex::new(BufWriter::new(file)))
            }
            None => None,
        };
        Ok(Self {
            file,
            ..Self::default()
        })
    }

    pub fn record(&self, entry: RecordEntry, stats_key: String) {
        if let Some(file) = &self.file {
            let mut file = file.lock();
            // A failing record file must not take the API down; the in-memory log stays.
            let written = serde_json::to_writer(&mut *file, &entry)
                .map_err(std::io::Error::other)
                .and_then(|()| file.write_all(b"\n"))
                .and_then(|()| file.flush());
            if let Err(e) = written {
                tracing::warn!("cannot append to the record file: {e}");
            }
        }
        *self.counts.lock().entry(stats_key).or_default() += 1;
        let mut entries = self.entries.lock();
        if entries.len() >= MEMORY_LIMIT {
            entries.drain(..MEMORY_LIMIT / 10);
        }
        entries.push(entry);
    }

    pub fn entries(&self) -> Vec<RecordEntry> {
        self.entries.lock().clone()
    }

    /// Forget recorded requests and counts (the record file is append-only and kept).
    pub fn clear(&self) {
        self.entries.lock().clear();
        self.counts.lock().clear();
    }

    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.counts.lock().clone()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::api::Method;

    fn entry(accepted: bool) -> RecordEntry {
        RecordEntry {
            request: RecordedRequest {
                method: Method::Post,
                path: "/nodes/pve1/lxc".into(),
                params: json!({"vmid": "200"}).as_object().cloned().unwrap(),
            },
            accepted,
            status: 200,
            token: true,
        }
    }

    #[test]
    fn lines_are_validator_input_plus_flags() {
        let line = serde_json::to_value(entry(true)).unwrap();
        assert_eq!(
            line,
            json!({"method": "POST", "path": "/nodes/pve1/lxc", "params": {"vmid": "200"},
                   "accepted": true, "status": 200, "token": true})
        );
    }

    #[test]
    fn record_file_gets_one_json_line_per_request() {
        let dir = std::env::temp_dir().join(format!("pve-sim-record-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("requests.jsonl");
        let _ = std::fs::remove_file(&path);
        let recorder = Recorder::new(Some(&path)).unwrap();
        recorder.record(entry(true), "POST /nodes/{node}/lxc".into());
        recorder.record(entry(false), "POST /nodes/{node}/lxc".into());
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<RecordEntry> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines, vec![entry(true), entry(false)]);
        assert_eq!(recorder.counts()["POST /nodes/{node}/lxc"], 2);
        recorder.clear();
        assert!(recorder.entries().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
