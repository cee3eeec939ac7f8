//! A simulator, a fresh store and the cluster service per test.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use proxicloud_domain::app::{Services, ServicesConfig};
use proxicloud_domain::clusters::{
    AuthInput, ClusterInfo, ClusterInput, ClusterService, ConnectOptions,
};
use proxicloud_domain::events::EventBus;
use proxicloud_domain::iam::{AuthMethod, Principal};
use proxicloud_domain::inventory::{Inventory, InventoryConfig, InventoryRefresher, PollStats};
use proxicloud_domain::secrets::MasterKey;
use proxicloud_domain::workers::{Supervisor, SupervisorConfig, SupervisorHandle, WorkerState};
use proxicloud_pve::GuestType;
use proxicloud_pve::{RetryPolicy, Timeouts, VmId};
use proxicloud_pve_sim::model::GuestStatus;
use proxicloud_pve_sim::schema::default_schema_path;
use proxicloud_pve_sim::{RunningSim, SimConfig};
use proxicloud_store::{Guest, NewUser, Role, Store, Uuid};
use secrecy::SecretString;
use tokio::sync::watch;

pub const TOKEN_ID: &str = "root@pam!proxicloud";
pub const TOKEN_SECRET: &str = "5d2c7e1a-planted-token-secret-9f3b";
pub const USER: &str = "root@pam";
pub const PASSWORD: &str = "sim-root-password";
pub const GUESTS: usize = 12;

pub struct Harness {
    pub sim: RunningSim,
    pub store: Arc<dyn Store>,
    pub clusters: Arc<ClusterService>,
    pub events: Arc<EventBus>,
    pub services: Arc<Services>,
}

/// Short limits and quick retries so fault tests stay fast.
pub fn fast_options() -> ConnectOptions {
    ConnectOptions {
        timeouts: Timeouts {
            connect: Duration::from_secs(2),
            request: Duration::from_secs(5),
        },
        retry: RetryPolicy {
            max_attempts: 2,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
        },
        test_timeouts: Timeouts {
            connect: Duration::from_secs(1),
            request: Duration::from_millis(500),
        },
    }
}

/// A fresh simulated 3-node cluster (its own CA and node certificate).
pub async fn start_sim() -> RunningSim {
    proxicloud_pve_sim::start(SimConfig {
        listen: "127.0.0.1:0".parse().expect("static address"),
        nodes: 3,
        guests: GUESTS,
        tokens: vec![(TOKEN_ID.into(), TOKEN_SECRET.into())],
        passwords: vec![(USER.into(), PASSWORD.into())],
        schema_path: Some(default_schema_path().expect(
            "the official PVE API schema was not found: run from the checkout next to shared/pve-api/",
        )),
        time_scale: 0.005,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

/// The simulator and the application built as `serve` builds it (quick Proxmox
/// timeouts), started by nothing: each test starts what it exercises.
pub async fn harness() -> Harness {
    let sim = start_sim().await;
    let store = proxicloud_store::connect("sqlite::memory:")
        .await
        .expect("in-memory store");
    let config = ServicesConfig {
        connect: fast_options(),
        ..ServicesConfig::default()
    };
    let services = Services::build(store.clone(), MasterKey::generate(), config)
        .await
        .expect("the application builds");
    let platform = services.platform();
    Harness {
        sim,
        store,
        clusters: platform.clusters.clone(),
        events: platform.events.clone(),
        services: Arc::new(services),
    }
}

/// The simulator as an administrator would register it: token auth, pinned certificate.
pub fn sim_input(sim: &RunningSim) -> ClusterInput {
    ClusterInput {
        name: "sim".into(),
        addresses: vec![sim.base_url.clone()],
        auth: AuthInput::ApiToken {
            token_id: TOKEN_ID.into(),
            secret: Some(SecretString::from(TOKEN_SECRET)),
        },
        tls_fingerprint: sim.fingerprint.clone(),
        ca_pem: None,
        verify_tls: true,
    }
}

impl Harness {
    /// Registers the simulator as `admin` would (see [`sim_input`]).
    pub async fn register_sim(&self, admin: &Principal) -> ClusterInfo {
        self.clusters
            .create(admin, sim_input(&self.sim))
            .await
            .expect("created")
    }
}

/// A user that exists in the store, as the caller of domain operations.
pub async fn user(store: &dyn Store, username: &str, role: Role) -> Principal {
    let user = store
        .users()
        .create(NewUser {
            username: username.into(),
            password_hash: "unused".into(),
            role,
            disabled: false,
        })
        .await
        .expect("user created");
    Principal {
        user_id: user.id,
        username: user.username,
        role,
        via: AuthMethod::ApiToken { id: Uuid::now_v7() },
    }
}

/// Calls a `/sim/…` control endpoint (no PVE auth, self-signed certificate).
pub async fn control(sim: &RunningSim, method: reqwest::Method, path_and_query: &str) {
    let http = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .expect("client builds");
    let response = http
        .request(method, format!("{}/sim/{path_and_query}", sim.base_url))
        .send()
        .await
        .expect("simulator reachable");
    assert!(
        response.status().is_success(),
        "/sim/{path_and_query}: {}",
        response.status()
    );
}

/// Polls `probe` until it yields a value; fails the test after `limit`.
pub async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Every request the simulator accepted must be valid for real Proxmox VE.
pub fn assert_schema_valid(sim: &RunningSim) {
    let schema = sim.sim.schema.clone().expect("tests run with the schema");
    let violations: Vec<String> = sim
        .recorded_entries()
        .into_iter()
        .filter(|e| e.accepted)
        .filter_map(|e| {
            schema
                .check_recorded(&e.request, e.token)
                .err()
                .map(|err| format!("{} {}: {err}", e.request.method.as_str(), e.request.path))
        })
        .collect();
    assert!(violations.is_empty(), "schema violations: {violations:#?}");
}

/// How long an eventually-true condition may take (polls run every 50–100 ms).
pub const WAIT: Duration = Duration::from_secs(20);

/// The mirror as `serve` runs it: [`Inventory`] (built as `Services` builds it) under
/// the workers' supervisor, alone, so that nothing else acts behind a test's back.
pub struct RunningInventory {
    inventory: Inventory,
    workers: SupervisorHandle,
}

impl RunningInventory {
    pub fn stats(&self) -> Arc<PollStats> {
        self.inventory.stats.clone()
    }

    pub fn refresher(&self) -> Arc<InventoryRefresher> {
        self.inventory.refresher.clone()
    }

    /// The `inventory` worker's state as the supervisor reports it.
    pub fn state(&self) -> WorkerState {
        self.workers.states().remove(0)
    }

    /// Stops the pollers (an in-flight poll is abandoned) and waits for them.
    pub async fn shutdown(self) {
        self.workers.shutdown().await;
    }
}

/// Starts the mirror polling every `every`; the sender changes the interval.
pub fn start_inventory(
    h: &Harness,
    every: Duration,
) -> (RunningInventory, watch::Sender<Duration>) {
    let (interval, receiver) = watch::channel(every);
    let inventory = Inventory::new(
        h.store.clone(),
        h.clusters.clone(),
        h.events.clone(),
        receiver,
        InventoryConfig {
            max_backoff: Duration::from_millis(400),
            reconcile_interval: Duration::from_secs(60),
        },
    );
    let workers = Supervisor::start(
        h.store.clone(),
        vec![inventory.worker.clone()],
        SupervisorConfig::default(),
    );
    (RunningInventory { inventory, workers }, interval)
}

/// The live guest with this vmid in the mirror.
pub async fn guest(h: &Harness, cluster: Uuid, vmid: u32) -> Option<Guest> {
    let vmid = VmId::new(vmid).expect("valid vmid");
    h.store
        .guests()
        .find_by_vmid(cluster, vmid)
        .await
        .expect("store reads")
}

/// Live mirrored guests of the cluster (vmids from 100, as the simulator seeds them).
pub async fn live_guest_count(h: &Harness, cluster: Uuid) -> usize {
    let nodes = h
        .store
        .inventory()
        .list_nodes(Some(cluster))
        .await
        .expect("reads");
    if nodes.is_empty() {
        return 0;
    }
    let mut count = 0;
    for vmid in 100..(100 + GUESTS as u32 + 50) {
        count += usize::from(guest(h, cluster, vmid).await.is_some());
    }
    count
}

/// Waits until the mirror holds every guest the simulator seeded.
pub async fn all_seeded_guests_mirrored(h: &Harness, cluster: Uuid) {
    eventually("the seeded guests", WAIT, || async {
        (live_guest_count(h, cluster).await == GUESTS).then_some(())
    })
    .await;
}

/// Registers the simulator as a cluster, mirrors it once completely, then stops
/// polling: from there on the mirror changes only through what the test does.
pub async fn register_and_mirror_once(h: &Harness, admin: &Principal) -> Uuid {
    let (inventory, _interval) = start_inventory(h, Duration::from_millis(100));
    let cluster = h.register_sim(admin).await.id;
    all_seeded_guests_mirrored(h, cluster).await;
    inventory.shutdown().await;
    cluster
}

/// The first seeded guest of `kind`, put into `status` with `config` set.
pub fn prepare(
    h: &Harness,
    kind: GuestType,
    status: GuestStatus,
    config: &[(&str, Option<&str>)],
) -> u32 {
    let mut cluster = h.sim.sim.cluster.lock();
    let guest = cluster
        .guests
        .values_mut()
        .find(|g| g.kind == kind && g.config.get("template").is_none_or(|t| t != "1"))
        .expect("a seeded guest of this kind");
    guest.status = status;
    for (key, value) in config {
        match value {
            Some(value) => guest.config.insert((*key).into(), (*value).into()),
            None => guest.config.remove(*key),
        };
    }
    guest.vmid
}
