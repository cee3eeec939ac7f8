//! The simulator's shared state: configuration plus the cluster behind one lock.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::auth::AuthKeys;
use crate::faults::Faults;
use crate::handlers::{
    access::AccessState, firewall::FirewallState, network::NetworkState, sdn::SdnState,
};
use crate::model::{Guest, Node};
use crate::record::Recorder;
use crate::schema::Schema;
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
    /// Whether running without the schema deserves a loud warning: yes for tests and
    /// `proxicloud pve-sim`; no for the `serve --demo` sandbox on a user's machine,
    /// where the schema (a development file) is normally absent.
    pub warn_without_schema: bool,
    /// Multiplies every task duration (1.0 = real time, 0.01 = tests).
    pub time_scale: f64,
    /// Persist the cluster here so a demo survives restarts.
    pub state_file: Option<PathBuf>,
    /// Append every received request as JSON lines (validate_requests.py input).
    pub record_file: Option<PathBuf>,
    /// Seeds the generated cluster so runs are reproducible.
    pub seed: u64,
    /// How long a login ticket (and its CSRF token) stays valid; PVE's is 2 hours.
    pub ticket_lifetime: Duration,
    /// The release `/version` reports. An older one than the schema's 9.1 refuses the
    /// parameters it did not have yet (`crate::versions`).
    pub pve_version: String,
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
            schema_path: crate::schema::default_schema_path(),
            warn_without_schema: true,
            time_scale: 1.0,
            state_file: None,
            record_file: None,
            seed: 42,
            ticket_lifetime: Duration::from_secs(2 * 60 * 60),
            pve_version: crate::handlers::cluster::PVE_VERSION.to_string(),
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
    /// The official schema requests are validated against; `None` runs unvalidated.
    pub schema: Option<Arc<Schema>>,
    /// Every request received, for tests and `/sim/requests`.
    pub recorder: Recorder,
    /// Injected faults that live outside the cluster model (latency, outages, 5xx).
    pub faults: Faults,
    /// Signs login tickets and CSRF tokens.
    pub auth_keys: AuthKeys,
    /// SHA-256 fingerprint of the served certificate (`ssl_fingerprint` in `/nodes`).
    pub fingerprint: Option<String>,
    /// Uploaded files waiting for their handler (pveproxy's `/var/tmp/pveupload-*`).
    pub uploads: crate::upload::Uploads,
    /// Consoles started by `termproxy`/`vncproxy`, waiting for `vncwebsocket`.
    pub consoles: crate::console::Consoles,
    /// PEM of the served certificate (`cert` in `vncproxy`'s answer); `None` without TLS.
    pub certificate_pem: Option<String>,
}

/// The parts of a simulator that `start` prepares before serving.
#[derive(Default)]
pub struct SimParts {
    pub schema: Option<Arc<Schema>>,
    pub recorder: Recorder,
    pub fingerprint: Option<String>,
    pub certificate_pem: Option<String>,
}

/// Cheap to clone; handed to every handler.
#[derive(Clone)]
pub struct Sim(Arc<SimInner>);

impl Sim {
    /// A simulator without schema validation or record file (handler unit tests).
    pub fn new(config: SimConfig, cluster: Cluster) -> Self {
        Self::with_parts(config, cluster, SimParts::default())
    }

    pub fn with_parts(config: SimConfig, cluster: Cluster, parts: SimParts) -> Self {
        Self(Arc::new(SimInner {
            config,
            cluster: Mutex::new(cluster),
            schema: parts.schema,
            recorder: parts.recorder,
            faults: Faults::default(),
            auth_keys: AuthKeys::random(),
            fingerprint: parts.fingerprint,
            uploads: Default::default(),
            consoles: Default::default(),
            certificate_pem: parts.certificate_pem,
        }))
    }
}

impl std::ops::Deref for Sim {
    type Target = SimInner;
    fn deref(&self) -> &SimInner {
        &self.0
    }
}
