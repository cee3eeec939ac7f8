//! A configurable in-memory Proxmox VE for unit tests: the one `impl Pve` fake of the
//! workspace (cargo feature `fake`; this crate's own tests always have it).
//!
//! Build one with [`FakePve::builder`] (or [`FakePve::default`] for an empty cluster):
//! the nodes, storages, volumes and bridges it knows, given as PVE's own JSON so any
//! field can be set, and its guests as [`FakeGuest`]s. At run time:
//! - **tasks** (a creation, power action or destroy, or a bare [`FakePve::start_task`])
//!   run for [`TASK_TIME`] and then end as scripted: `OK` unless
//!   [`FakePve::script_task_ends`] / [`FakePve::fail_next_tasks`] queued another end,
//!   or [`FakePve::fail_tasks_of_kind`] makes their kind fail; while
//!   [`FakePve::hold_tasks`] holds them, none ends. A task's effect (the guest created,
//!   started, destroyed) lands when it ends well; a failed creation rolls back.
//! - **calls fail** as injected: [`FakePve::fail_calls`] (until [`FakePve::heal`]) or
//!   [`FakePve::fail_next_calls`], for one operation or all of them — unreachable,
//!   refused (403) or a 5xx ([`Failure`]). Calls naming an offline node, or one
//!   [`FakePve::cut_off_node`] cut off, answer 595 as PVE's proxy does.
//! - **guest addresses** are computed (a running guest has `10.0.<vmid/256>.<vmid%256>`,
//!   a stopped one cannot tell) unless answers were scripted with
//!   [`FakePveBuilder::addresses`].
//! - **every call is recorded**: [`FakePve::calls`] counts one operation,
//!   [`FakePve::recorded`] lists them all with their node and arguments.
//!
//! Methods it does not implement keep the trait's `PveError::NotImplemented`.
//! Scripting a new behaviour: implement the method in `api.rs`, delegating to a
//! function next to its kin (`guests.rs`, `inventory.rs`, `tasks.rs`) that starts with
//! [`FakePve::enter`] (so it is recorded and can be made to fail); keep what it needs in
//! `State` and add a knob here or to the builder.

mod api;
mod backup;
mod builder;
mod calls;
mod guests;
mod inventory;
mod state;
mod tasks;

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::Value;

pub use builder::FakePveBuilder;
pub use calls::{Call, Failure};
pub use state::{FakeGuest, TaskEnd};

use crate::addresses::GuestAddresses;
use crate::error::Result;
use crate::upid::Upid;
use calls::Injection;
use state::State;

/// How long a task runs before it ends (unless held).
pub const TASK_TIME: Duration = Duration::from_millis(15);

/// The fake. Share it as `Arc<FakePve>` (it is a `Pve`, so also `Arc<dyn Pve>`).
#[derive(Default)]
pub struct FakePve {
    state: Mutex<State>,
}

impl FakePve {
    pub fn builder() -> FakePveBuilder {
        FakePveBuilder::default()
    }

    /// A test that panicked while holding the lock must not hide the next failure.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // ---- what it was asked ----

    /// How many times `operation` (a `Pve` method name) was called, failed or not.
    pub fn calls(&self, operation: &str) -> usize {
        self.state()
            .calls
            .iter()
            .filter(|c| c.op == operation)
            .count()
    }

    /// Every call so far, oldest first.
    pub fn recorded(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    /// The guests now, after every task whose time is up has ended.
    pub fn guests(&self) -> std::collections::BTreeMap<u32, FakeGuest> {
        self.finish_due_tasks();
        self.state().guests.clone()
    }

    /// The root password container `vmid` was created with (PVE sets it inside the
    /// container and never shows it in the config).
    pub fn root_password(&self, vmid: u32) -> Option<String> {
        self.state().root_passwords.get(&vmid).cloned()
    }

    /// The UPIDs of the tasks started so far, oldest first.
    pub fn task_upids(&self) -> Vec<Upid> {
        self.state().tasks.iter().map(|t| t.upid.clone()).collect()
    }

    /// Scripted address answers not asked for yet.
    pub fn scripted_addresses_left(&self) -> usize {
        self.state().addresses.len()
    }

    // ---- tasks ----

    /// While held, no task ends.
    pub fn hold_tasks(&self, held: bool) {
        self.state().held = held;
    }

    /// The next tasks to end end like this, in order (then `OK` again).
    pub fn script_task_ends(&self, ends: impl IntoIterator<Item = TaskEnd>) {
        self.state().task_ends.extend(ends);
    }

    /// The next `count` tasks to end fail with [`TaskEnd::injected_failure`].
    pub fn fail_next_tasks(&self, count: u32) {
        self.script_task_ends((0..count).map(|_| TaskEnd::injected_failure()));
    }

    /// Tasks of this type (`vzstart`, `qmcreate`, …) always fail.
    pub fn fail_tasks_of_kind(&self, kind: &str) {
        self.state().failing_kind = Some(kind.to_owned());
    }

    /// Failing creations leave their guest behind, unlocked and unmarked, as after a
    /// node restart interrupted them (instead of being rolled back).
    pub fn creations_die_halfway(&self) {
        self.state().creations_die = true;
    }

    /// Starts a task with no effect on any guest (to test waiting for one).
    pub fn start_task(&self, node: &str, kind: &str, id: &str) -> Upid {
        self.spawn(node, kind, id, state::Effect::Nothing)
    }

    // ---- failures ----

    /// Calls of `operation` (`None`: every call) fail like this until [`Self::heal`].
    pub fn fail_calls(&self, operation: Option<&'static str>, failure: Failure) {
        self.state()
            .injections
            .push(Injection::new(operation, failure, None));
    }

    /// The next `count` calls of `operation` (`None`: any call) fail like this.
    pub fn fail_next_calls(&self, operation: Option<&'static str>, failure: Failure, count: u32) {
        let injection = Injection::new(operation, failure, Some(count));
        self.state().injections.push(injection);
    }

    /// Forgets every injected call failure and reconnects every cut-off node.
    pub fn heal(&self) {
        let mut state = self.state();
        state.injections.clear();
        state.cut_off.clear();
    }

    /// Calls naming this node answer 595 "No route to host", as when PVE's proxy
    /// cannot reach it (it still shows as online in the node list).
    pub fn cut_off_node(&self, node: &str) {
        self.state().cut_off.insert(node.to_owned());
    }

    /// Someone else creates a guest at `vmid` just before our next create request.
    pub fn snipe_next_create(&self, vmid: u32) {
        self.state().snipe = Some(vmid);
    }
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("the fake is given and builds valid PVE JSON")
}

/// A scripted answer to `guest_addresses`.
pub type AddressAnswer = Result<GuestAddresses>;
