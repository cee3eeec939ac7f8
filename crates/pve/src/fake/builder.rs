//! What the fake knows before the test starts. Records PVE answers with (nodes,
//! storages, volumes, interfaces) are given as PVE's JSON, listed on the nodes that
//! see them (a shared storage: every node).

use std::time::Duration;

use serde_json::Value;

use super::state::State;
use super::{AddressAnswer, FakeGuest, FakePve, decode};

#[derive(Default)]
pub struct FakePveBuilder {
    state: State,
}

impl FakePveBuilder {
    /// One entry of `GET /nodes`, e.g. `{"node": "pve1", "status": "online", "maxcpu": 16}`.
    pub fn node(mut self, summary: Value) -> Self {
        self.state.nodes.push(decode(summary));
        self
    }

    /// A storage as `GET /nodes/{node}/storage` lists it, on each of `nodes`.
    pub fn storage(mut self, nodes: &[&str], status: Value) -> Self {
        for node in nodes {
            let entry = ((*node).to_owned(), decode(status.clone()));
            self.state.storages.push(entry);
        }
        self
    }

    /// A volume in `storage`'s content, as seen from each of `nodes`.
    pub fn volume(mut self, nodes: &[&str], storage: &str, volume: Value) -> Self {
        for node in nodes {
            let entry = (
                (*node).to_owned(),
                storage.to_owned(),
                decode(volume.clone()),
            );
            self.state.volumes.push(entry);
        }
        self
    }

    /// A network interface (`{"iface": "vmbr0", "type": "bridge"}`) on each of `nodes`.
    pub fn interface(mut self, nodes: &[&str], interface: Value) -> Self {
        for node in nodes {
            let entry = ((*node).to_owned(), decode(interface.clone()));
            self.state.interfaces.push(entry);
        }
        self
    }

    pub fn guest(mut self, vmid: u32, guest: FakeGuest) -> Self {
        self.state.guests.insert(vmid, guest);
        self
    }

    /// How long tasks run (default [`TASK_TIME`](super::TASK_TIME)).
    pub fn task_time(mut self, time: Duration) -> Self {
        self.state.task_time = Some(time);
        self
    }

    /// Tasks start held: none ends until `hold_tasks(false)`.
    pub fn hold_tasks(mut self) -> Self {
        self.state.held = true;
        self
    }

    /// `guest_addresses` answers these, one per call, before computing any.
    pub fn addresses(mut self, answers: impl IntoIterator<Item = AddressAnswer>) -> Self {
        self.state.addresses.extend(answers);
        self
    }

    pub fn build(self) -> FakePve {
        FakePve {
            state: self.state.into(),
        }
    }
}
