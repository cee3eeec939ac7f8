//! An in-memory Proxmox VE for the instance job tests: guests with configs and locks,
//! tasks that finish a few milliseconds after they start (a failing creation rolls
//! its guest back, as PVE does), call counters, and "the next task fails".

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use proxicloud_pve::{GuestType, NodeName, PveError, Upid, VmId};
use serde_json::Value;

mod api;

pub const TEMPLATE: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";
pub const TASK_TIME: Duration = Duration::from_millis(15);

#[derive(Debug, Clone)]
pub struct FakeGuest {
    pub node: String,
    pub kind: GuestType,
    pub config: BTreeMap<String, String>,
    pub running: bool,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Effect {
    Create(u32),
    Power(u32, bool),
    Destroy(u32),
}

pub(super) struct FakeTask {
    upid: Upid,
    started: Instant,
    effect: Effect,
    exitstatus: Option<String>,
    log: Vec<String>,
}

#[derive(Default)]
pub(super) struct State {
    guests: BTreeMap<u32, FakeGuest>,
    tasks: Vec<FakeTask>,
    pid: u32,
    fail_next_tasks: u32,
    held: bool,
    /// Tasks of this type always fail.
    failing_kind: Option<String>,
    calls: HashMap<&'static str, usize>,
    /// A vmid some other client takes right before our create request lands.
    snipe: Option<u32>,
    /// Failing creations leave their guest behind, unlocked and unmarked, as after a
    /// node restart interrupted them (instead of being rolled back).
    creations_die: bool,
    /// Address lookups are refused (403), as for a token without `VM.Audit`.
    refuse_addresses: bool,
}

#[derive(Default)]
pub struct FakePve {
    pub(super) state: Mutex<State>,
}

pub(super) fn noun(kind: GuestType) -> &'static str {
    if kind == GuestType::Lxc { "CT" } else { "VM" }
}

pub(super) fn decode<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("fake builds valid PVE data")
}

impl FakePve {
    pub fn calls(&self, operation: &str) -> usize {
        self.state.lock().calls.get(operation).copied().unwrap_or(0)
    }

    pub fn guests(&self) -> BTreeMap<u32, FakeGuest> {
        self.finish_due_tasks();
        self.state.lock().guests.clone()
    }

    /// While held, no task finishes.
    pub fn hold_tasks(&self, held: bool) {
        self.state.lock().held = held;
    }

    pub fn fail_next_tasks(&self, count: u32) {
        self.state.lock().fail_next_tasks = count;
    }

    pub fn fail_tasks_of_kind(&self, kind: &str) {
        self.state.lock().failing_kind = Some(kind.to_owned());
    }

    /// Failing creations leave a half-made guest instead of rolling back.
    pub fn creations_die_halfway(&self) {
        self.state.lock().creations_die = true;
    }

    pub fn refuse_address_lookups(&self) {
        self.state.lock().refuse_addresses = true;
    }

    /// Someone else creates a guest at `vmid` just before our next create request.
    pub fn snipe_next_create(&self, vmid: u32) {
        self.state.lock().snipe = Some(vmid);
    }

    pub(super) fn count(&self, operation: &'static str) {
        *self.state.lock().calls.entry(operation).or_default() += 1;
    }

    /// Applies the effect of every task whose time is up.
    pub(super) fn finish_due_tasks(&self) {
        let mut state = self.state.lock();
        let state = &mut *state;
        if state.held {
            return;
        }
        for task in state
            .tasks
            .iter_mut()
            .filter(|t| t.exitstatus.is_none() && t.started.elapsed() >= TASK_TIME)
        {
            let fail = state.fail_next_tasks > 0
                || state.failing_kind.as_deref() == Some(task.upid.task_type());
            state.fail_next_tasks = state.fail_next_tasks.saturating_sub(1);
            match (task.effect, fail) {
                (Effect::Create(vmid), false) => {
                    if let Some(guest) = state.guests.get_mut(&vmid) {
                        guest.config.remove("lock");
                    }
                }
                (Effect::Create(vmid), true) if state.creations_die => {
                    if let Some(guest) = state.guests.get_mut(&vmid) {
                        guest.config.remove("lock");
                        guest.config.remove("description");
                    }
                }
                (Effect::Create(vmid), true) => {
                    state.guests.remove(&vmid);
                }
                (Effect::Power(vmid, running), false) => {
                    if let Some(guest) = state.guests.get_mut(&vmid) {
                        guest.running = running;
                    }
                }
                (Effect::Destroy(vmid), false) => {
                    state.guests.remove(&vmid);
                }
                (_, true) => {}
            }
            let status = if fail {
                "simulated failure (injected)".to_owned()
            } else {
                "OK".to_owned()
            };
            task.log.push(if fail {
                format!("TASK ERROR: {status}")
            } else {
                "TASK OK".into()
            });
            task.exitstatus = Some(status);
        }
    }

    pub(super) fn spawn(&self, node: &str, kind: &str, id: u32, effect: Effect) -> Upid {
        let mut state = self.state.lock();
        state.pid += 1;
        let starttime = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let raw = format!(
            "UPID:{node}:{:08X}:{:08X}:{starttime:08X}:{kind}:{id}:root@pam!ci:",
            state.pid,
            state.pid * 3
        );
        let upid: Upid = raw.parse().expect("valid UPID");
        state.tasks.push(FakeTask {
            upid: upid.clone(),
            started: Instant::now(),
            effect,
            exitstatus: None,
            log: vec![format!("starting {kind} {id}")],
        });
        upid
    }

    pub(super) fn guest(
        &self,
        node: &NodeName,
        kind: GuestType,
        vmid: VmId,
    ) -> Result<FakeGuest, PveError> {
        self.finish_due_tasks();
        let state = self.state.lock();
        match state.guests.get(&vmid.get()) {
            Some(guest) if guest.node == node.as_str() && guest.kind == kind => Ok(guest.clone()),
            _ => Err(PveError::NotFound {
                message: format!(
                    "Configuration file 'nodes/{node}/{}/{vmid}.conf' does not exist",
                    kind.as_str()
                ),
            }),
        }
    }
}
