//! The fake's state: what it knows, its guests and tasks, and what was scripted.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use proxicloud_types::GuestType;

use super::calls::{Call, Injection};
use super::{AddressAnswer, TASK_TIME};
use crate::network::NetworkInterface;
use crate::nodes::NodeSummary;
use crate::storage::{StorageStatus, StorageVolume};
use crate::tasks::parse_exit_status;
use crate::upid::Upid;

/// A guest on the fake: its config as PVE stores it (strings), and whether it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeGuest {
    pub node: String,
    pub kind: GuestType,
    pub config: BTreeMap<String, String>,
    pub running: bool,
}

impl FakeGuest {
    /// A stopped guest with an empty config.
    pub fn new(node: &str, kind: GuestType) -> Self {
        Self {
            node: node.to_owned(),
            kind,
            config: BTreeMap::new(),
            running: false,
        }
    }

    pub fn running(mut self) -> Self {
        self.running = true;
        self
    }

    /// Sets one config key (`hostname`, `description`, `lock`, …).
    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.config.insert(key.to_owned(), value.to_owned());
        self
    }
}

/// How a task ends: its exit status, and optionally its whole log.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskEnd {
    pub(super) exitstatus: String,
    pub(super) log: Option<Vec<String>>,
}

impl TaskEnd {
    pub fn ok() -> Self {
        Self::exit("OK")
    }

    /// Any exit status: `OK` and `WARNINGS: n` are successes, anything else an error.
    pub fn exit(exitstatus: &str) -> Self {
        Self {
            exitstatus: exitstatus.to_owned(),
            log: None,
        }
    }

    /// The failure `fail_next_tasks` scripts.
    pub fn injected_failure() -> Self {
        Self::exit("simulated failure (injected)")
    }

    /// The task's whole log, instead of its start line and `TASK OK`/`TASK ERROR: …`.
    pub fn with_log(mut self, lines: impl IntoIterator<Item = String>) -> Self {
        self.log = Some(lines.into_iter().collect());
        self
    }

    pub(super) fn succeeded(&self) -> bool {
        parse_exit_status(&self.exitstatus).is_some()
    }
}

/// What a task does to the guests when it ends well.
#[derive(Debug, Clone, Copy)]
pub(super) enum Effect {
    Nothing,
    Create(u32),
    Power(u32, bool),
    Destroy(u32),
    /// A vzdump of one guest: its archive (in `State::archives`) appears when it ends well.
    Backup,
}

pub(super) struct FakeTask {
    pub upid: Upid,
    pub started: Instant,
    pub effect: Effect,
    pub exitstatus: Option<String>,
    pub log: Vec<String>,
}

#[derive(Default)]
pub(super) struct State {
    pub nodes: Vec<NodeSummary>,
    /// (node, storage)
    pub storages: Vec<(String, StorageStatus)>,
    /// (node, storage id, volume)
    pub volumes: Vec<(String, String, StorageVolume)>,
    /// (node, interface)
    pub interfaces: Vec<(String, NetworkInterface)>,
    pub guests: BTreeMap<u32, FakeGuest>,
    pub tasks: Vec<FakeTask>,
    pub pid: u32,
    pub task_time: Option<Duration>,
    pub held: bool,
    pub task_ends: VecDeque<TaskEnd>,
    pub failing_kind: Option<String>,
    pub creations_die: bool,
    pub snipe: Option<u32>,
    pub addresses: VecDeque<AddressAnswer>,
    pub injections: Vec<Injection>,
    pub cut_off: BTreeSet<String>,
    pub calls: Vec<Call>,
    /// Archives of running vzdump tasks by UPID: (node, storage, volume, config text).
    pub archives: BTreeMap<String, (String, String, StorageVolume, String)>,
    /// The config file inside each finished archive, by volume id.
    pub archive_configs: BTreeMap<String, String>,
    /// The root password each container was created with, by vmid.
    pub root_passwords: BTreeMap<u32, String>,
}

impl State {
    pub fn task_time(&self) -> Duration {
        self.task_time.unwrap_or(TASK_TIME)
    }

    /// Whether calls naming `node` cannot reach it.
    pub fn unreachable(&self, node: &str) -> bool {
        self.cut_off.contains(node)
            || self
                .nodes
                .iter()
                .any(|n| n.node.as_str() == node && n.status != "online")
    }
}
