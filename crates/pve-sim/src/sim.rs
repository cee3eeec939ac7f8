//! The simulator's shared state: configuration plus the cluster behind one lock.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::handlers::{
    access::AccessState, firewall::FirewallState, network::NetworkState, sdn::SdnState,
};
use crate::model::{Guest, Node};
use crate::tasks::Task;

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub listen: SocketAddr,
    pub cluster_name: String,
    pub nodes: usize,
    pub guests: usize,
    /// API tokens accepted: (`user@realm!tokenid`, secret).
    pub tokens: Vec<(String, String)>,
    /// Password logins accepted: (`user@realm`, password).
    pub passwords: Vec<(String, String)>,
    pub tls: bool,
    /// The official schema; every request is validated against it when set.
    pub schema_path: Option<PathBuf>,
    /// Multiplies every task duration (1.0 = real time, 0.01 = tests).
    pub time_scale: f64,
    /// Persist the cluster here so a demo survives restarts.
    pub state_file: Option<PathBuf>,
    /// Append every received request as JSON lines (validate_requests.py input).
    pub record_file: Option<PathBuf>,
    /// Seeds the generated cluster so runs are reproducible.
    pub seed: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8006".parse().expect("static address"),
            cluster_name: "simcluster".to_string(),
            nodes: 3,
            guests: 30,
            tokens: Vec::new(),
            passwords: Vec::new(),
            tls: true,
            schema_path: None,
            time_scale: 1.0,
            state_file: None,
            record_file: None,
            seed: 42,
        }
    }
}

/// Everything the simulated cluster knows. Serialisable so `--state` can persist it.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Cluster {
    pub name: String,
    pub nodes: BTreeMap<String, Node>,
    pub guests: BTreeMap<u32, Guest>,
    pub tasks: Vec<Task>,
    pub next_pid: u32,
    /// Fault injection: the next N tasks to finish fail.
    pub fail_next_tasks: u32,
    pub network: NetworkState,
    pub firewall: FirewallState,
    pub sdn: SdnState,
    pub access: AccessState,
}

pub struct SimInner {
    pub config: SimConfig,
    pub cluster: Mutex<Cluster>,
}

/// Cheap to clone; handed to every handler.
#[derive(Clone)]
pub struct Sim(Arc<SimInner>);

impl Sim {
    pub fn new(config: SimConfig, cluster: Cluster) -> Self {
        Self(Arc::new(SimInner {
            config,
            cluster: Mutex::new(cluster),
        }))
    }
}

impl std::ops::Deref for Sim {
    type Target = SimInner;
    fn deref(&self) -> &SimInner {
        &self.0
    }
}
